//! How doveadm's formatters write one value: line formats (made safe, `\\` kept),
//! `formatted`'s `%{key}` templates, and JSON strings as Dovecot escapes them.

use serde_json::Value;

use super::{Header, Kind};
use crate::output::text;
use crate::text::{escape_message, is_unsafe};

/// A value as a line formatter prints it: as doveadm does, but never a raw newline,
/// tab or control (`pager` keeps newline and tab).
pub fn value(v: &Value, kind: Kind) -> String {
    let t = text(v);
    if kind == Kind::Pager && t.contains(['\n', '\t']) {
        let mut out = String::with_capacity(t.len());
        for (i, line) in t.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            for (j, cell) in line.split('\t').enumerate() {
                if j > 0 {
                    out.push('\t');
                }
                out.push_str(&escape_message(cell));
            }
        }
        return out;
    }
    escape_message(&t).into_owned()
}

/// `var_expand()` of a format with `%{key}` for each header's value (`%%` is `%`).
pub fn formatted(format: &str, headers: &[Header], values: &[String]) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(at) = rest.find('%') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let after = rest.get(at + 1..).unwrap_or_default();
        if let Some(tail) = after.strip_prefix('%') {
            out.push('%');
            rest = tail;
        } else if let Some((name, tail)) = after.strip_prefix('{').and_then(|a| a.split_once('}')) {
            if let Some(i) = headers.iter().position(|h| h.key == name) {
                out.push_str(values.get(i).map_or("", String::as_str));
            }
            rest = tail;
        } else {
            out.push('%');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// `str_is_float()`: digits with at most one `.`, as doveadm's json asserts for NUMBER.
pub fn is_float(s: &str) -> bool {
    let mut dot = false;
    !s.is_empty()
        && s.chars().all(|c| match c {
            '0'..='9' => true,
            '.' if !dot => {
                dot = true;
                true
            }
            _ => false,
        })
}

/// A JSON string as Dovecot's `json_append_escaped` writes it (`\b \f \n \r \t \" \\`,
/// other C0 controls and U+2028/U+2029 as `\u%04x`, the rest raw UTF-8), with DEL, C1
/// and bidi controls also as `\u%04x` so that none reaches a terminal raw.
pub fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_unsafe(c) || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)))
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
