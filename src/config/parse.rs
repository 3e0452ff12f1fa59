//! Config text to [`Config`]: the toml crate parses; this file turns its errors into
//! messages that name the line, column and key but never the value. Pure (no I/O):
//! tests and the `config` fuzz target call it without a file; `load` does the reading.

use std::path::Path;

use super::Config;
use crate::error::Error;
use crate::text;

/// Parses config text; `path` only names the file in messages. Pure (no I/O), and
/// never panics, whatever the text. An error names the line, column and key, never
/// the value: `password = 12345` must not put the password in a terminal or a log.
pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
    toml::from_str(text).map_err(|e| {
        Error::Config(format!(
            "config file `{}`{}: {}",
            text::escape_message(&path.display().to_string()),
            location(text, e.span()),
            describe_toml_error(e.message())
        ))
    })
}

/// ` (line L, column C, key `K`)` for a position in the text, as far as known.
fn location(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let Some(start) = span.map(|s| s.start.min(text.len())) else {
        return String::new();
    };
    let Some(before) = text.get(..start) else {
        return String::new();
    };
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    // The key: `key = ...` on the same line before the position, under its `[table]`.
    let key = before[line_start..]
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty());
    let table = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| {
            l.trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
        });
    let key = match (table, key) {
        (Some(t), Some(k)) => format!(", key `{t}.{k}`"),
        (None, Some(k)) => format!(", key `{k}`"),
        _ => String::new(),
    };
    text::escape_message(&text::bounded(
        &format!(" (line {line}, column {column}{key})"),
        200,
    ))
    .into_owned()
}

/// toml's message without any value it quotes: serde's "invalid type: integer
/// `12345`, expected a string" keeps only what was expected.
fn describe_toml_error(message: &str) -> String {
    let first = message.lines().next().unwrap_or("").trim();
    let expected = || {
        first
            .split_once(", expected ")
            .map(|(_, x)| format!(": expected {x}"))
            .unwrap_or_default()
    };
    let text = if first.starts_with("invalid type") {
        format!("wrong type{}", expected())
    } else if first.starts_with("invalid value") || first.starts_with("invalid length") {
        format!("bad value{}", expected())
    } else if first.starts_with("unknown variant") {
        format!("unknown value{}", expected())
    } else {
        // Syntax errors name what the parser expected; the others (unknown field,
        // missing field, duplicate key) name keys, never values.
        message.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    text::escape_message(&text::bounded(&text, 300)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_error(text: &str) -> String {
        let e = parse(text, Path::new("/c.toml")).unwrap_err();
        assert_eq!(e.exit_code(), 78);
        e.to_string()
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = parse_error("[servers.a]\nurl='x'\npasword='S3CRET'\n");
        assert!(e.contains("unknown field `pasword`"), "{e}");
        assert!(e.contains("line 3"), "{e}");
        assert!(!e.contains("S3CRET"), "{e}");
    }

    #[test]
    fn errors_name_the_key_never_the_value() {
        for (text, key) in [
            ("[servers.a]\npassword = 12345\n", "servers.a.password"),
            ("[servers.a]\napi_key = [12345]\n", "servers.a.api_key"),
            ("[servers.a]\npassword = 12345.5\n", "servers.a.password"),
            (
                "[servers.a]\npassword = { x = 12345 }\n",
                "servers.a.password",
            ),
            ("[servers.a]\ntimeout = \"12345\"\n", "servers.a.timeout"),
            ("default = 12345\n", "default"),
            ("[servers.a] # c\npassword = 12345\n", "servers.a.password"),
        ] {
            let e = parse_error(text);
            assert!(!e.contains("12345"), "{text:?}: {e}");
            assert!(e.contains(&format!("key `{key}`")), "{text:?}: {e}");
            assert!(e.contains("line ") && e.contains("column "), "{e}");
            assert!(e.starts_with("config file `/c.toml` (line"), "{e}");
        }
        let e = parse_error("[servers.a]\npassword = \"12345\n");
        assert!(!e.contains("12345"), "{e}");
        let e = parse_error("[servers.a]\npassword = \"x\"\npassword = \"12345\"\n");
        assert!(e.contains("duplicate key"), "{e}");
        assert!(!e.contains("12345"), "{e}");
    }

    #[test]
    fn parse_survives_odd_text() {
        for text in [
            "",
            "\u{0}",
            "[",
            "a = \"\u{e9}",
            "\u{e9}\u{e9} = 1",
            "[[servers]]",
            "x",
        ] {
            let _ = parse(text, Path::new("p"));
        }
        assert!(parse("", Path::new("p")).unwrap().servers.is_empty());
        // Random texts from config-ish pieces (a quick stand-in for the fuzz target).
        let pieces = [
            "[",
            "]",
            "servers",
            ".",
            "a",
            "=",
            " ",
            "\n",
            "\"",
            "'",
            "password",
            "12345",
            "url",
            "timeout",
            "1e300",
            "nan",
            "{",
            "}",
            ",",
            "\u{e9}",
            "\u{1f600}",
            "#",
            "\\",
            "[[",
            "max_reply_size",
            "-",
            "inf",
            "\r",
            "\u{0}",
            "groups",
            "servers = [",
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(x % 24) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                text.push_str(pieces[(x % pieces.len() as u64) as usize]);
            }
            if let Err(e) = parse(&text, Path::new("p")) {
                assert!(!e.to_string().contains("12345"), "{text:?}: {e}");
            }
        }
    }
}
