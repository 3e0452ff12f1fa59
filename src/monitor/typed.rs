//! `--typed`: in `json` and `jsonl`, the numeric fields of server rows become JSON
//! numbers and Dovecot's `-` (unlimited, not applicable) becomes null. Dovecot's API
//! sends every value as a string; only the fields in [`NUMERIC`] are converted, by
//! name, whatever the command, and only when the text is a whole number or `-`
//! (anything else stays the string it was). The README's "Monitoring" section lists
//! them per command.

use serde_json::Value;

use crate::output::{Row, RowSink};

/// Fields that hold a number wherever Dovecot sends them:
/// `who` connections, pid; `quota get` value, limit, percent; `mailbox status`
/// messages, recent, unseen, uidnext, uidvalidity, vsize, highestmodseq, firstsaved;
/// `fetch` / `search` uid, seq, size.physical, size.virtual.
pub const NUMERIC: &[&str] = &[
    "connections",
    "pid",
    "value",
    "limit",
    "percent",
    "messages",
    "recent",
    "unseen",
    "uidnext",
    "uidvalidity",
    "vsize",
    "highestmodseq",
    "firstsaved",
    "uid",
    "seq",
    "size.physical",
    "size.virtual",
];

/// A field's value, typed.
pub fn value(key: &str, v: &Value) -> Value {
    let Value::String(s) = v else {
        return v.clone();
    };
    if !NUMERIC.contains(&key) {
        return v.clone();
    }
    if s == "-" {
        return Value::Null;
    }
    if let Ok(n) = s.parse::<u64>() {
        return Value::from(n);
    }
    if let Ok(n) = s.parse::<i64>() {
        return Value::from(n);
    }
    v.clone()
}

/// A row with its numeric fields typed.
pub fn row(r: &Row) -> Row {
    r.iter().map(|(k, v)| (k.clone(), value(k, v))).collect()
}

/// Types each row, then hands it on.
pub struct TypedSink<'w>(pub Box<dyn RowSink + 'w>);

impl RowSink for TypedSink<'_> {
    fn row(&mut self, r: &Row) -> std::io::Result<()> {
        self.0.row(&row(r))
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
    fn numbers_and_unlimited_by_field_name_only() {
        let r = json!({"username":"123","root":"User quota","type":"STORAGE","value":"42",
            "limit":"-","percent":"0","uid":"x1","pid":"-3"});
        let t = row(r.as_object().unwrap());
        assert_eq!(
            Value::Object(t),
            json!({"username":"123","root":"User quota","type":"STORAGE","value":42,
                "limit":null,"percent":0,"uid":"x1","pid":-3})
        );
    }
}
