//! `--typed`: in `json` and `jsonl`, the numeric fields of a command's rows become JSON
//! numbers and Dovecot's `-` (unlimited, not applicable) becomes null. Dovecot's API
//! sends every value as a string; only the fields [`fields_for`] lists for that
//! doveadm command are converted, and only when the text is a canonical integer
//! (`0`, `42`, `-1`; not `007` or `+1`) or `-`: anything else stays the string it was.
//! The README's "Monitoring" section lists them per command.

use serde_json::Value;

use crate::cli::Format;
use crate::output::{Row, RowSink};
use crate::settings::OutputSettings;

/// The fields `--typed` converts in the rows of doveadm command `api` (its API name);
/// none for a command not listed (e.g. `api mailboxMetadataGet`, `server info`).
pub fn fields_for(api: &str) -> &'static [&'static str] {
    match api {
        "who" => &["connections", "pid"],
        "quotaGet" => &["value", "limit", "percent"],
        "mailboxStatus" => &[
            "messages",
            "recent",
            "unseen",
            "uidnext",
            "uidvalidity",
            "vsize",
            "highestmodseq",
            "firstsaved",
        ],
        "fetch" => &["uid", "seq", "size.physical", "size.virtual"],
        "search" => &["uid"],
        _ => &[],
    }
}

/// Whether `s` is an integer as a program writes one: `^-?(0|[1-9][0-9]*)$`.
fn canonical_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    match digits.as_bytes() {
        [] => false,
        [b'0'] => true,
        [b'0', ..] => false,
        d => d.iter().all(u8::is_ascii_digit),
    }
}

/// A field's value, typed when `key` is one of `fields`.
pub fn value(fields: &[&str], key: &str, v: &Value) -> Value {
    let Value::String(s) = v else {
        return v.clone();
    };
    if !fields.contains(&key) {
        return v.clone();
    }
    if s == "-" {
        return Value::Null;
    }
    if !canonical_integer(s) {
        return v.clone();
    }
    if let Ok(n) = s.parse::<u64>() {
        return Value::from(n);
    }
    if let Ok(n) = s.parse::<i64>() {
        return Value::from(n);
    }
    v.clone()
}

/// A row with `fields` typed.
pub fn row(fields: &[&str], r: &Row) -> Row {
    r.iter()
        .map(|(k, v)| (k.clone(), value(fields, k, v)))
        .collect()
}

/// `sink` typing the rows of doveadm command `api` when `--typed` goes with `json` or
/// `jsonl`; `sink` itself otherwise.
pub fn wrap<'w>(
    settings: &OutputSettings,
    api: &str,
    sink: Box<dyn RowSink + 'w>,
) -> Box<dyn RowSink + 'w> {
    let fields = fields_for(api);
    if settings.typed
        && matches!(settings.format, Format::Json | Format::Jsonl)
        && !fields.is_empty()
    {
        Box::new(TypedSink(sink, fields))
    } else {
        sink
    }
}

/// Types each row's fields (the list), then hands it on.
pub struct TypedSink<'w>(pub Box<dyn RowSink + 'w>, pub &'static [&'static str]);

impl RowSink for TypedSink<'_> {
    fn row(&mut self, r: &Row) -> std::io::Result<()> {
        self.0.row(&row(self.1, r))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.0.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_commands_fields_only_and_canonical_integers_only() {
        let r = json!({"username":"123","root":"User quota","type":"STORAGE","value":"42",
            "limit":"-","percent":"0","uid":"7","pid":"-3"});
        let t = row(fields_for("quotaGet"), r.as_object().unwrap());
        assert_eq!(
            Value::Object(t),
            json!({"username":"123","root":"User quota","type":"STORAGE","value":42,
                "limit":null,"percent":0,"uid":"7","pid":"-3"})
        );
        let who = json!({"username":"a","connections":"2","pid":"-1"});
        let t = row(fields_for("who"), who.as_object().unwrap());
        assert_eq!(
            Value::Object(t),
            json!({"username":"a","connections":2,"pid":-1})
        );
        // A metadata value or a setting is text, whatever it looks like.
        let meta = json!({"value":"007","limit":"-"});
        let t = row(fields_for("mailboxMetadataGet"), meta.as_object().unwrap());
        assert_eq!(Value::Object(t), meta);
        for (s, want) in [
            ("0", json!(0)),
            ("-12", json!(-12)),
            ("18446744073709551615", json!(18446744073709551615u64)),
            ("007", json!("007")),
            ("+1", json!("+1")),
            ("1e3", json!("1e3")),
            (" 1", json!(" 1")),
            ("-", Value::Null),
            ("--1", json!("--1")),
            ("", json!("")),
            ("99999999999999999999", json!("99999999999999999999")),
        ] {
            assert_eq!(value(&["value"], "value", &json!(s)), want, "{s:?}");
        }
    }
}
