//! Renders rows as `table`, `tab`, `flow` or `json`. Never touches the network and
//! never asks the terminal: it is handed a writer and the settings.
//!
//! A row is a JSON object with the server's field names (values are strings, except
//! a few numeric `stats dump` columns). Text formats keep one row per line: newline,
//! carriage return, tab and backslash inside values are escaped as `\n`, `\r`, `\t`, `\\`.

mod flow;
mod json;
mod tab;
mod table;

use std::borrow::Cow;
use std::io::Write;

use serde_json::{Map, Value};

use crate::cli::Format;
use crate::settings::OutputSettings;

pub type Row = Map<String, Value>;

/// Receives rows one at a time and writes them out.
pub trait RowSink {
    fn row(&mut self, row: &Row) -> std::io::Result<()>;
    fn finish(&mut self) -> std::io::Result<()>;
}

/// A sink for `settings.format`. `columns` names the expected columns (used for the
/// header of an empty result and to order columns); rows may add more.
pub fn sink<'w>(
    settings: &OutputSettings,
    columns: &[&str],
    w: Box<dyn Write + 'w>,
) -> Box<dyn RowSink + 'w> {
    let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    match settings.format {
        Format::Table => Box::new(table::TableSink::new(
            w,
            columns,
            settings.header,
            settings.width,
            settings.color,
        )),
        Format::Tab => Box::new(tab::TabSink::new(w, columns, settings.header)),
        Format::Flow => Box::new(flow::FlowSink::new(w)),
        Format::Json => Box::new(json::JsonSink::new(w)),
        Format::Jsonl => Box::new(json::JsonLinesSink::new(w)),
    }
}

/// Writes all rows through a sink and finishes it.
pub fn write_rows(mut s: Box<dyn RowSink + '_>, rows: &[Row]) -> std::io::Result<()> {
    for r in rows {
        s.row(r)?;
    }
    s.finish()
}

/// The row with `key` = `value` as its first field (an existing `key` is replaced):
/// `username` for `-F`, `server` for fan-out, `line` for batch.
pub fn with_first(key: &str, value: Value, row: Row) -> Row {
    let mut r = Row::with_capacity(row.len() + 1);
    r.insert(key.to_string(), value);
    for (k, v) in row {
        if k != key {
            r.insert(k, v);
        }
    }
    r
}

/// A value as text: strings as they are, `null` empty, numbers and the rest as JSON.
pub fn text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed(""),
        other => Cow::Owned(other.to_string()),
    }
}

/// Escapes what would break a line-based format.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains(['\n', '\r', '\t', '\\']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Columns of a row set: the expected ones first, then any others in first-seen order.
pub fn merge_columns(columns: &mut Vec<String>, row: &Row) {
    for k in row.keys() {
        if !columns.iter().any(|c| c == k) {
            columns.push(k.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows() -> Vec<Row> {
        vec![
            json!({"username":"alice@example.org","connections":"2","service":"imap"}).as_object().unwrap().clone(),
            json!({"username":"bob","connections":"1","service":"pop3","hdr":"Subject: a\r\n\tb\\"}).as_object().unwrap().clone(),
        ]
    }

    fn out(format: Format, header: bool) -> String {
        let mut buf = Vec::new();
        let s = OutputSettings {
            format,
            header,
            width: None,
            color: false,
        };
        write_rows(
            sink(
                &s,
                &["username", "connections", "service"],
                Box::new(&mut buf),
            ),
            &rows(),
        )
        .unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn tab_has_a_header_and_one_line_per_row() {
        assert_eq!(
            out(Format::Tab, true),
            "username\tconnections\tservice\thdr\nalice@example.org\t2\timap\t\nbob\t1\tpop3\tSubject: a\\r\\n\\tb\\\\\n"
        );
        assert_eq!(out(Format::Tab, false).lines().count(), 2);
    }

    #[test]
    fn flow_is_key_value_pairs() {
        assert_eq!(
            out(Format::Flow, true),
            "username=alice@example.org connections=2 service=imap\nusername=bob connections=1 service=pop3 hdr=Subject: a\\r\\n\\tb\\\\\n"
        );
    }

    #[test]
    fn json_is_one_array_and_exact() {
        let v: Value = serde_json::from_str(&out(Format::Json, true)).unwrap();
        assert_eq!(
            v,
            Value::Array(rows().into_iter().map(Value::Object).collect())
        );
    }

    #[test]
    fn empty_json_is_an_empty_array_and_empty_tab_is_the_header() {
        let s = |f| {
            let mut buf = Vec::new();
            let settings = OutputSettings {
                format: f,
                header: true,
                width: None,
                color: false,
            };
            write_rows(sink(&settings, &["a", "b"], Box::new(&mut buf)), &[]).unwrap();
            String::from_utf8(buf).unwrap()
        };
        assert_eq!(s(Format::Json), "[]\n");
        assert_eq!(s(Format::Tab), "a\tb\n");
        assert_eq!(s(Format::Flow), "");
    }

    #[test]
    fn table_keeps_one_line_per_row() {
        let t = out(Format::Table, true);
        assert!(t.contains("alice@example.org"));
        assert!(t.contains("Subject: a\\r\\n\\tb"));
        // header + 2 rows + borders
        assert_eq!(
            t.lines()
                .filter(|l| l.contains("bob") || l.contains("alice"))
                .count(),
            2
        );
    }
}
