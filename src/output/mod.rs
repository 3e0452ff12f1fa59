//! Renders rows as `table`, `tab`, `flow`, `pager`, `json` or `jsonl`. Never touches
//! the network and never asks the terminal: it is handed a writer and the settings.
//!
//! A doveadm command's rows ([`sink_for`], with its API name) print as native doveadm
//! prints them when stdout is not a terminal or `-f` names a doveadm format: its
//! titles, flags and default formatter ([`doveadm`]). On a terminal rdoveadm keeps its
//! own table; rdoveadm's own commands (`server info`, `probe`...) and `jsonl` use the
//! renderers below.
//!
//! A row is a JSON object with the server's field names (values are strings, except
//! a few numeric `stats dump` columns). Text formats (`table`, `tab`, `flow`) keep one
//! row per line and show untrusted text, never execute it: keys and values go through
//! [`crate::text::escape_value`] (newline, carriage return, tab and backslash as `\n`,
//! `\r`, `\t`, `\\`; other controls, C1 and bidi controls as `\xHH` / `\u{HHHH}`).
//! `json` and `jsonl` stay exact, with controls written as `\uXXXX` ([`write_json`]).

pub mod doveadm;
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

pub use json::write as write_json;

/// Receives rows one at a time and writes them out.
pub trait RowSink {
    fn row(&mut self, row: &Row) -> std::io::Result<()>;
    /// Writes out the rows given so far, as far as the format allows, so that a reader
    /// sees them now (a streaming fan-out calls it after each server). `tab` fixes its
    /// columns here if it has not yet; `table` needs every row and writes nothing.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()>;
}

/// A sink for the rows of doveadm command `api` (its API name): when stdout is not a
/// terminal, or `-f` chose a doveadm format, what native doveadm of `version` prints
/// (its titles, flags and default formatter: [`doveadm::registry`]); else, and for
/// commands doveadm has no titles for, [`sink`]. On a terminal without `-f` (or with
/// `-f table`) rdoveadm's own table; `jsonl` is rdoveadm's own.
pub fn sink_for<'w>(
    settings: &OutputSettings,
    api: &str,
    version: doveadm::Version,
    columns: &[&str],
    w: Box<dyn Write + 'w>,
) -> Box<dyn RowSink + 'w> {
    let Some(spec) = doveadm::registry::lookup(api, version, columns) else {
        return sink(settings, columns, w);
    };
    match doveadm_kind(settings, spec.default) {
        Some(kind) => doveadm::sink(kind, spec, settings.header, settings.explicit, w),
        None => sink(settings, columns, w),
    }
}

/// As [`sink_for`], for a fan-out's merged rows: a `server` column first (titled
/// `server`), then the command's. Commands whose rows doveadm reshapes (`user`,
/// `kick`) keep rdoveadm's formats there.
pub fn sink_for_servers<'w>(
    settings: &OutputSettings,
    api: &str,
    version: doveadm::Version,
    columns: &[&str],
    w: Box<dyn Write + 'w>,
) -> Box<dyn RowSink + 'w> {
    let mut all = vec!["server"];
    all.extend(columns.iter().copied().filter(|c| *c != "server"));
    let spec = doveadm::registry::lookup(api, version, columns)
        .filter(|s| s.transform == doveadm::Transform::None);
    let Some(mut spec) = spec else {
        return sink(settings, &all, w);
    };
    match doveadm_kind(settings, spec.default) {
        Some(kind) => {
            spec.headers.insert(0, doveadm::Header::simple("server"));
            doveadm::sink(kind, spec, settings.header, settings.explicit, w)
        }
        None => sink(settings, &all, w),
    }
}

/// The doveadm formatter these settings print a doveadm command with (`default`: the
/// command's own), or `None` for rdoveadm's own (`table` on a terminal or with
/// `--color always`, `jsonl`).
fn doveadm_kind(settings: &OutputSettings, default: doveadm::Kind) -> Option<doveadm::Kind> {
    if settings.explicit {
        match settings.format {
            // `--color always` asks for rdoveadm's table, also piped.
            Format::Table if !settings.tty && !settings.color => Some(doveadm::Kind::Table),
            Format::Tab => Some(doveadm::Kind::Tab),
            Format::Flow => Some(doveadm::Kind::Flow),
            Format::Pager => Some(doveadm::Kind::Pager),
            Format::Json => Some(doveadm::Kind::Json),
            _ => None,
        }
    } else if settings.tty {
        None
    } else {
        Some(default)
    }
}

/// Whether these settings print doveadm commands in doveadm's formats (which end
/// their output, titles or `[]`, also when the command failed).
pub fn is_doveadm(settings: &OutputSettings) -> bool {
    doveadm_kind(settings, doveadm::Kind::Flow).is_some()
}

/// Whether printing doveadm command `api` needs the server's version: what these
/// settings print of it differs between 2.3 and 2.4 (`who`'s titles, not its json;
/// `kick`'s lines; `log errors`' own format). Asking costs a request when the
/// server's schema is not cached yet, so only then.
pub fn needs_version(settings: &OutputSettings, api: &str) -> bool {
    use doveadm::Kind;
    let Some(spec) = doveadm::registry::lookup(api, doveadm::Version::V23, &[]) else {
        return false;
    };
    let Some(kind) = doveadm_kind(settings, spec.default) else {
        return false;
    };
    match api {
        "who" => match kind {
            Kind::Json => false,
            Kind::Tab | Kind::Table => settings.header,
            _ => true,
        },
        "kick" => true,
        "logErrors" => matches!(kind, Kind::Formatted(_)),
        _ => false,
    }
}

/// A sink for `settings.format`. `columns` names the expected columns (used for the
/// header of an empty result and to order columns); rows may add more.
pub fn sink<'w>(
    settings: &OutputSettings,
    columns: &[&str],
    w: Box<dyn Write + 'w>,
) -> Box<dyn RowSink + 'w> {
    // `--typed` is per command: `crate::monitor::typed::wrap`, in `Ctx::open_for`.
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
        Format::Nagios => Box::new(crate::monitor::nagios::NagiosSink::new(w)),
        Format::Openmetrics => Box::new(crate::monitor::openmetrics::OpenMetricsSink::new(w)),
        // doveadm's pager, with the columns as titles (rdoveadm's own commands).
        Format::Pager => doveadm::sink(
            doveadm::Kind::Pager,
            doveadm::Spec {
                headers: columns.iter().map(|c| doveadm::Header::simple(c)).collect(),
                default: doveadm::Kind::Pager,
                transform: doveadm::Transform::None,
                extra: doveadm::Header::simple,
                flush_each: false,
                user_first: false,
            },
            settings.header,
            true,
            w,
        ),
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

/// At most this many columns in `table` and `tab`: a reply whose rows each bring new
/// keys can't make a renderer keep a cell for every key it ever saw (flow and json show
/// every key of every row).
pub const MAX_COLUMNS: usize = 512;

/// Columns of a row set: the expected ones first, then any others in first-seen order,
/// up to [`MAX_COLUMNS`]. Membership is hashed, so a row with a million keys costs a
/// million look-ups, not a million times the columns.
pub struct Columns {
    names: Vec<String>,
    index: std::collections::HashMap<String, usize>,
}

impl Columns {
    pub fn new(names: Vec<String>) -> Self {
        let mut index = std::collections::HashMap::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            index.entry(n.clone()).or_insert(i);
        }
        Columns { names, index }
    }

    pub fn merge(&mut self, row: &Row) {
        for k in row.keys() {
            if self.names.len() >= MAX_COLUMNS {
                return;
            }
            if !self.index.contains_key(k) {
                self.index.insert(k.clone(), self.names.len());
                self.names.push(k.clone());
            }
        }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The position of column `key`, if it is one.
    pub fn position(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
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
            typed: false,
            explicit: true,
            tty: false,
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
                typed: false,
                explicit: true,
                tty: false,
            };
            write_rows(sink(&settings, &["a", "b"], Box::new(&mut buf)), &[]).unwrap();
            String::from_utf8(buf).unwrap()
        };
        assert_eq!(s(Format::Json), "[]\n");
        assert_eq!(s(Format::Tab), "a\tb\n");
        assert_eq!(s(Format::Flow), "");
    }

    #[test]
    fn rows_that_each_bring_new_keys_get_at_most_max_columns() {
        // A hostile reply: 20,000 rows, each with 10 keys no other row has.
        let rows: Vec<Row> = (0..20_000)
            .map(|i| {
                (0..10)
                    .map(|j| (format!("k{}", i * 10 + j), json!("v")))
                    .collect()
            })
            .collect();
        for format in [Format::Tab, Format::Table] {
            let mut buf = Vec::new();
            let s = OutputSettings {
                format,
                header: true,
                width: Some(80),
                color: false,
                typed: false,
                explicit: true,
                tty: false,
            };
            write_rows(sink(&s, &[], Box::new(&mut buf)), &rows).unwrap();
            let out = String::from_utf8(buf).unwrap();
            if format == Format::Tab {
                let header = out.lines().next().unwrap();
                assert_eq!(header.split('\t').count(), MAX_COLUMNS);
                assert_eq!(out.lines().count(), 20_001);
            } else {
                // Vertical (512 columns can't fit 80): only the keys a row has are shown.
                assert_eq!(out.matches("k0:").count(), 1);
                assert!(!out.contains(&format!("k{MAX_COLUMNS}:")));
            }
        }
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

    fn hostile_out(format: Format) -> String {
        let row = json!({
            "mail\u{1b}[2Jbox": "\u{1b}]0;pwned\u{7}\u{1b}[31mred\u{9b}1m\u{202e}gpj.exe\u{7f}\u{8}",
            "hdr.subject": "⚠️⚠️ Your account\\n",
        });
        let mut buf = Vec::new();
        let s = OutputSettings {
            format,
            header: true,
            width: Some(40),
            color: false,
            typed: false,
            explicit: true,
            tty: false,
        };
        write_rows(
            sink(&s, &[], Box::new(&mut buf)),
            &[row.as_object().unwrap().clone()],
        )
        .unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn keys_and_values_reach_no_terminal_raw_in_any_format() {
        for f in [
            Format::Table,
            Format::Tab,
            Format::Flow,
            Format::Json,
            Format::Jsonl,
        ] {
            let o = hostile_out(f);
            let raw: Vec<char> = o
                .chars()
                .filter(|&c| {
                    crate::text::is_unsafe(c) && c != '\n' && !(f == Format::Tab && c == '\t')
                })
                .collect();
            assert!(raw.is_empty(), "{f:?}: {raw:?} in {o:?}");
        }
        assert_eq!(
            hostile_out(Format::Flow),
            "mail\\x1b[2Jbox=\\x1b]0;pwned\\x07\\x1b[31mred\\u{009b}1m\\u{202e}gpj.exe\\x7f\\x08 hdr.subject=⚠️⚠️ Your account\\\\n\n"
        );
        assert!(hostile_out(Format::Tab).starts_with("mail\\x1b[2Jbox\thdr.subject\n"));
    }

    #[test]
    fn json_escapes_controls_and_still_gives_back_the_exact_text() {
        for f in [Format::Json, Format::Jsonl] {
            let o = hostile_out(f);
            assert!(
                o.contains(r"\u001b]0;pwned\u0007")
                    && o.contains(r"\u009b")
                    && o.contains(r"\u202e"),
                "{o}"
            );
            assert!(o.contains("⚠️⚠️"), "{o}");
            let v: Value = serde_json::from_str(
                o.lines()
                    .next()
                    .unwrap()
                    .trim_start_matches('[')
                    .trim_end_matches(']'),
            )
            .unwrap();
            assert_eq!(
                v["mail\u{1b}[2Jbox"],
                "\u{1b}]0;pwned\u{7}\u{1b}[31mred\u{9b}1m\u{202e}gpj.exe\u{7f}\u{8}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Any text: one line per row in tab and flow, nothing raw a terminal acts on in
        /// any format, and json / jsonl give back exactly the rows written.
        #[test]
        fn any_text_is_one_visible_line_and_json_round_trips(
            rows in proptest::collection::vec(
                proptest::collection::btree_map("(?s).{0,12}", "(?s).{0,24}", 1..5), 1..4),
        ) {
            let rows: Vec<Row> = rows
                .into_iter()
                .map(|r| r.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
                .collect();
            for format in [Format::Tab, Format::Flow, Format::Json, Format::Jsonl] {
                let mut buf = Vec::new();
                let s = OutputSettings { format, header: false, width: None, color: false, typed: false, explicit: true, tty: false };
                write_rows(sink(&s, &[], Box::new(&mut buf)), &rows).unwrap();
                let out = String::from_utf8(buf).unwrap();
                proptest::prop_assert!(
                    !out.chars().any(|c| crate::text::is_unsafe(c) && c != '\n' && c != '\t'),
                    "{:?}: {:?}", format, out
                );
                match format {
                    Format::Tab | Format::Flow => {
                        proptest::prop_assert_eq!(out.lines().count(), rows.len());
                    }
                    Format::Json => {
                        let v: Vec<Row> = serde_json::from_str(&out).unwrap();
                        proptest::prop_assert_eq!(&v, &rows);
                    }
                    _ => {
                        let v: Vec<Row> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
                        proptest::prop_assert_eq!(&v, &rows);
                    }
                }
            }
        }
    }

    fn piped(format: Option<Format>, tty: bool, color: bool) -> OutputSettings {
        OutputSettings {
            format: format.unwrap_or(if tty { Format::Table } else { Format::Tab }),
            header: true,
            width: Some(80),
            color,
            typed: false,
            explicit: format.is_some(),
            tty,
        }
    }

    fn quota_via(s: &OutputSettings) -> String {
        let mut buf = Vec::new();
        let rows = [
            json!({"root":"User quota","type":"STORAGE","value":"0","limit":"10240","percent":"0"})
                .as_object()
                .unwrap()
                .clone(),
        ];
        write_rows(
            sink_for(
                s,
                "quotaGet",
                doveadm::Version::V23,
                &[],
                Box::new(&mut buf),
            ),
            &rows,
        )
        .unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn a_doveadm_command_prints_doveadm_s_format_unless_on_a_terminal() {
        // Piped, no -f: the command's own default (doveadm's table for `quota get`).
        assert!(
            quota_via(&piped(None, false, false)).starts_with("Quota name Type    Value Limit ")
        );
        // -f tab on a terminal too: doveadm's tab.
        assert!(quota_via(&piped(Some(Format::Tab), true, false)).starts_with("Quota name\tType\t"));
        // On a terminal without -f, and with --color always: rdoveadm's own table.
        for s in [
            piped(None, true, false),
            piped(Some(Format::Table), false, true),
        ] {
            let t = quota_via(&s);
            assert!(t.contains("root") && !t.contains("Quota name"), "{t}");
        }
        // jsonl stays rdoveadm's.
        assert_eq!(
            quota_via(&piped(Some(Format::Jsonl), false, false)),
            "{\"root\":\"User quota\",\"type\":\"STORAGE\",\"value\":\"0\",\"limit\":\"10240\",\"percent\":\"0\"}\n"
        );
    }

    #[test]
    fn the_version_is_asked_only_when_the_output_shows_it() {
        let tab = piped(Some(Format::Tab), false, false);
        assert!(needs_version(&tab, "who"));
        assert!(!needs_version(
            &piped(Some(Format::Json), false, false),
            "who"
        ));
        assert!(!needs_version(
            &OutputSettings {
                header: false,
                ..tab
            },
            "who"
        ));
        assert!(!needs_version(&piped(None, true, false), "who"));
        assert!(needs_version(&piped(None, false, false), "kick"));
        assert!(needs_version(&piped(None, false, false), "logErrors"));
        assert!(!needs_version(&tab, "logErrors"));
        assert!(!needs_version(&tab, "quotaGet"));
    }
}
