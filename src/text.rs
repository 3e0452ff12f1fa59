//! Untrusted text made visible, never executed. Every byte rdoveadm prints may come
//! from a server, a mailbox or a probed host: before it reaches a terminal, control
//! characters become visible escapes, so an ESC, OSC or bidi override in a mail
//! subject can't move the cursor, set the window title or reorder a line.
//!
//! The escapes: `\n`, `\r`, `\t` and `\\` as before; any other C0 control and DEL as
//! `\xHH`; C1 controls (U+0080-U+009F) and the bidi controls (U+061C, U+200E, U+200F,
//! U+202A-U+202E, U+2066-U+2069) as `\u{HHHH}`. Pure: no I/O.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal raw.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{200e}' | '\u{200f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A value for a line format (`table`, `tab`, `flow`): one line, nothing a terminal
/// acts on, and `\` doubled so the escapes can be told from the text.
pub fn escape_value(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

/// Text for a message on stderr: one line, nothing a terminal acts on; `\` is left
/// alone (an error naming `\Seen` stays readable).
pub fn escape_message(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

fn escape(s: &str, backslash: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) || (backslash && c == '\\')) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c, backslash);
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char, backslash: bool) {
    use std::fmt::Write as _;
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\\' if backslash => out.push_str("\\\\"),
        c if (c as u32) < 0x20 || c == '\u{7f}' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if is_unsafe(c) => {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// At most `max` characters of `s`, with a note of how much was left out, for
/// server texts quoted in messages (an HTTP body may be megabytes).
pub fn bounded(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((cut, _)) => Cow::Owned(format!("{}… ({} more bytes)", &s[..cut], s.len() - cut)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_become_visible() {
        assert_eq!(
            escape_value("a\x1b]0;pwned\x07b\x1b[2Jc"),
            "a\\x1b]0;pwned\\x07b\\x1b[2Jc"
        );
        assert_eq!(escape_value("\u{9b}31m\u{85}"), "\\u{009b}31m\\u{0085}");
        assert_eq!(escape_value("abc\u{202e}fdp.exe"), "abc\\u{202e}fdp.exe");
        assert_eq!(escape_value("\u{7f}\u{8}"), "\\x7f\\x08");
        assert_eq!(escape_value("x\ny\tz\\"), "x\\ny\\tz\\\\");
    }

    #[test]
    fn messages_keep_backslashes_and_plain_text_is_borrowed() {
        assert_eq!(escape_message("flag \\Seen\n"), "flag \\Seen\\n");
        assert!(matches!(escape_value("❤️ Family"), Cow::Borrowed(_)));
        assert!(matches!(escape_message("a\\b"), Cow::Borrowed(_)));
    }

    #[test]
    fn bounded_cuts_on_a_character_boundary() {
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("ééé", 1), "é… (4 more bytes)");
    }
}
