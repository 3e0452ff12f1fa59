//! Untrusted text made visible, never executed. Every byte rdoveadm prints may come
//! from a server, a mailbox or a probed host: before it reaches a terminal, control
//! characters become visible escapes, so an ESC, OSC or bidi override in a mail
//! subject can't move the cursor, set the window title or reorder a line.
//!
//! The escapes: `\n`, `\r`, `\t` and `\\` as before; any other C0 control and DEL as
//! `\xHH`; C1 controls (U+0080-U+009F) and the bidi controls (U+061C, U+200E, U+200F,
//! U+202A-U+202E, U+2066-U+2069) as `\u{HHHH}`.
//!
//! Also the one measure of how wide text is on a terminal ([`width`]) and the one way
//! to cut it ([`cut`]): every renderer pads and cuts with these, so the width it
//! computes for a line is the width it writes. Pure: no I/O.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

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

/// The most characters of server text quoted in one stderr line.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// A line for stderr: server text cut to [`MAX_MESSAGE_CHARS`], then escaped, so it is
/// one line of bounded length that a terminal only shows.
pub fn message_line(s: &str) -> String {
    escape_message(&bounded(s, MAX_MESSAGE_CHARS)).into_owned()
}

/// Columns `s` takes on a terminal, summed over its grapheme clusters (what a terminal
/// draws as one character: a base with its combining marks, an emoji with its
/// variation selector or ZWJ sequence, a flag). Cutting between clusters and adding up
/// their widths always agree: `width(a + b) == width(a) + width(b)`.
///
/// Meant for escaped text (controls already visible escapes); a raw control is counted
/// as one column, never less, so a stray one can't make a line look shorter.
pub fn width(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.graphemes(true)
        .map(cluster_width)
        .fold(0, usize::saturating_add)
}

/// One cluster's width: unicode-width's (which knows emoji presentation, ZWJ sequences
/// and zero-width characters), at least 2 when a visible cluster carries VS16 (U+FE0F
/// asks for the wide emoji form; terminals draw `⚠️` two columns wide), and controls
/// counted as 1.
fn cluster_width(g: &str) -> usize {
    if g.chars().any(|c| c.is_control()) {
        return g.chars().count();
    }
    let w = UnicodeWidthStr::width(g);
    if w > 0 && g.contains('\u{fe0f}') {
        w.max(2)
    } else {
        w
    }
}

/// `s` cut to at most `max` columns between grapheme clusters, ending in `…` where it
/// was cut; `s` itself when it fits. The result's [`width`] is never more than `max`,
/// and an [`isolate`]d `s` gives an isolated result.
pub fn cut(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    let Some(room) = max.checked_sub(1) else {
        return Cow::Borrowed("");
    };
    let mut used = 0usize;
    let mut end = 0;
    for (at, g) in s.grapheme_indices(true) {
        let w = cluster_width(g);
        match used.checked_add(w) {
            // A cluster that would take the `…` into itself is left out too.
            Some(u) if u <= room && !g.chars().last().is_some_and(joins_next) => used = u,
            _ => break,
        }
        end = at + g.len();
    }
    Cow::Owned(format!("{}…", &s[..end]))
}

/// `s` made to keep its own grapheme clusters whatever text is put before or after it
/// (a table's border, padding, a `key:`), so that the width of a line is the sum of
/// its pieces' widths. A leading mark that would combine with what precedes it (a
/// combining accent, ZWJ, a variation selector, a spacing mark) is shown on a dotted
/// circle `◌`, as Unicode shows a lone mark; so is a trailing prepended concatenation
/// mark (U+0600-U+0605...), which would take in what follows.
pub fn isolate(s: &str) -> Cow<'_, str> {
    let lead = s.chars().next().is_some_and(joins_previous);
    let trail = s.chars().last().is_some_and(joins_next);
    if !lead && !trail {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 6);
    if lead {
        out.push('◌');
    }
    out.push_str(s);
    if trail {
        out.push('◌');
    }
    Cow::Owned(out)
}

/// Whether `c` joins the cluster of an ordinary character before it.
fn joins_previous(c: char) -> bool {
    !c.is_ascii() && one_cluster(['x', c])
}

/// Whether `c` joins the cluster of an ordinary character after it.
fn joins_next(c: char) -> bool {
    !c.is_ascii() && one_cluster([c, 'x'])
}

/// Whether two characters form one grapheme cluster.
fn one_cluster(pair: [char; 2]) -> bool {
    let joined: String = pair.iter().collect();
    joined.graphemes(true).nth(1).is_none()
}

/// Spaces that pad text of width `used` to `to` columns (none when it is already wider).
pub fn pad(used: usize, to: usize) -> impl Iterator<Item = char> {
    std::iter::repeat(' ').take(to.saturating_sub(used))
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
    fn a_message_line_is_one_bounded_visible_line() {
        let body = format!("500: \u{1b}[2J{}\n", "x".repeat(10_000));
        let l = message_line(&body);
        assert!(l.starts_with("500: \\x1b[2Jxxx"), "{l}");
        assert!(l.ends_with("… (8010 more bytes)"), "{l}");
        assert!(!l.contains('\n') && !l.contains('\u{1b}'));
        assert_eq!(message_line("flag \\Seen"), "flag \\Seen");
    }

    #[test]
    fn bounded_cuts_on_a_character_boundary() {
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("ééé", 1), "é… (4 more bytes)");
    }

    #[test]
    fn width_counts_clusters_as_a_terminal_draws_them() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("⚠️"), 2);
        assert_eq!(width("❤️❤️ Family"), 11);
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(width("a\u{200b}b"), 2);
        assert_eq!(width("日本"), 4);
        assert_eq!(width("👨\u{200d}👩\u{200d}👧"), 2);
        assert_eq!(width("\x1b"), 1);
    }

    #[test]
    fn cut_never_exceeds_and_splits_only_between_clusters() {
        assert_eq!(cut("⚠️⚠️ Your account", 40), "⚠️⚠️ Your account");
        assert_eq!(cut("⚠️⚠️ Your account", 4), "⚠️…");
        assert_eq!(cut("⚠️⚠️ Your account", 3), "⚠️…");
        assert_eq!(cut("⚠️⚠️", 2), "…");
        assert_eq!(cut("abc", 0), "");
        assert_eq!(cut("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
        for s in [
            "❤️❤️ Family",
            "日本語テキスト",
            "a\u{301}\u{302}bc",
            "🇩🇪🇫🇷x",
        ] {
            for max in 0..15 {
                assert!(width(&cut(s, max)) <= max, "{s} {max}");
            }
        }
    }

    #[test]
    fn isolated_text_keeps_its_clusters_next_to_anything() {
        assert_eq!(isolate("abc"), "abc");
        assert_eq!(isolate("\u{fe0f}x"), "◌\u{fe0f}x");
        assert_eq!(isolate("\u{301}"), "◌\u{301}");
        assert_eq!(isolate("\u{200d}👩"), "◌\u{200d}👩");
        assert_eq!(isolate("a\u{600}"), "a\u{600}◌");
        for s in [
            "\u{fe0f}",
            "\u{903}a",
            "\u{600}",
            "a\u{600}\u{200b}b",
            "👩\u{200d}",
        ] {
            let i = isolate(s);
            assert_eq!(width(&format!(" {i} ")), width(&i) + 2, "{s:?}");
            assert_eq!(width(&format!("m{i}│")), width(&i) + 2, "{s:?}");
            for max in 0..6 {
                let c = cut(&i, max);
                assert_eq!(width(&format!(" {c} ")), width(&c) + 2, "{s:?} {max}");
            }
        }
    }
}
