//! `table`: a boxed table for people, fitted to the terminal width when known.
//!
//! Written here rather than with comfy-table: comfy-table keeps a styled cell object per
//! value and renders the whole table into one string, which measured 50 MB and 4.3 s for
//! 50,000 rows; this keeps only the cell texts and writes line by line (the look is
//! comfy-table's UTF8_FULL_CONDENSED preset). One row is one line; keys and values are
//! escaped ([`text::escape_value`]). A value is never cut: a UID, a GUID, a size or an
//! address cut to `17959…` is a wrong value, not a shorter one.
//!
//! When the table is wider than the terminal, it turns vertical: one block of
//! `key: value` lines per row (as doveadm's `pager` formatter), a long value wrapped
//! onto indented lines, so no line is wider than the terminal and every value is whole.
//! Widths are measured only with [`text::width`], and all arithmetic saturates: the
//! renderer can't panic on any text.

use std::io::Write;

use unicode_segmentation::UnicodeSegmentation;

use super::{text as value_text, Columns, Row, RowSink};
use crate::text;

/// The narrowest terminal the table is fitted to: a narrower (or zero) width is taken
/// as this one, so a line may be up to this wide.
pub const MIN_WIDTH: usize = 8;

pub struct TableSink<'w> {
    w: Box<dyn Write + 'w>,
    columns: Columns,
    /// Each row's cells as (column, shown text), in column order; only the keys the row
    /// has, so memory follows the reply, not rows × columns.
    rows: Vec<Vec<(usize, String)>>,
    header: bool,
    width: Option<u16>,
    color: bool,
}

impl<'w> TableSink<'w> {
    pub fn new(
        w: Box<dyn Write + 'w>,
        columns: Vec<String>,
        header: bool,
        width: Option<u16>,
        color: bool,
    ) -> Self {
        TableSink {
            w,
            columns: Columns::new(columns),
            rows: Vec::new(),
            header,
            width,
            color,
        }
    }
}

impl RowSink for TableSink<'_> {
    fn row(&mut self, row: &Row) -> std::io::Result<()> {
        // A table needs every row for its widths: keep just the cell texts until finish.
        self.columns.merge(row);
        let mut cells: Vec<(usize, String)> = row
            .iter()
            .filter_map(|(k, v)| Some((self.columns.position(k)?, shown(&value_text(v)))))
            .collect();
        cells.sort_unstable_by_key(|(i, _)| *i);
        self.rows.push(cells);
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        let n = self.columns.names().len();
        if n == 0 || (self.rows.is_empty() && !self.header) {
            return self.w.flush();
        }
        let titles: Vec<String> = self.columns.names().iter().map(|c| shown(c)).collect();
        let mut natural: Vec<usize> = if self.header {
            titles.iter().map(|t| text::width(t)).collect()
        } else {
            vec![0; n]
        };
        for r in &self.rows {
            for (i, cell) in r {
                if let Some(w) = natural.get_mut(*i) {
                    *w = (*w).max(text::width(cell));
                }
            }
        }
        let widths = match self.width {
            None => Some(natural),
            Some(w) => fit(&natural, usize::from(w).max(MIN_WIDTH)),
        };
        let w = &mut self.w;
        match widths {
            Some(widths) => {
                border(w, &widths, '┌', '─', '┬', '┐')?;
                if self.header {
                    line(w, &widths, &titles, self.color)?;
                    border(w, &widths, '╞', '═', '╪', '╡')?;
                }
                for r in &self.rows {
                    line(w, &widths, &dense(r, n), false)?;
                }
                border(w, &widths, '└', '─', '┴', '┘')?;
            }
            None => {
                let width = self
                    .width
                    .map_or(MIN_WIDTH, |w| usize::from(w).max(MIN_WIDTH));
                vertical(w, &titles, &self.rows, width, self.color)?;
            }
        }
        w.flush()
    }
}

/// A row's cells with an empty one for each column it lacks.
fn dense(cells: &[(usize, String)], n: usize) -> Vec<&str> {
    let mut out = vec![""; n];
    for (i, c) in cells {
        if let Some(slot) = out.get_mut(*i) {
            *slot = c;
        }
    }
    out
}

/// A key or value as the table shows it: escaped, and isolated so that its width adds
/// up with its neighbours'.
fn shown(s: &str) -> String {
    text::isolate(&text::escape_value(s)).into_owned()
}

fn border(
    w: &mut dyn Write,
    widths: &[usize],
    left: char,
    fill: char,
    mid: char,
    right: char,
) -> std::io::Result<()> {
    let mut s = String::new();
    s.push(left);
    for (i, wd) in widths.iter().enumerate() {
        if i > 0 {
            s.push(mid);
        }
        s.extend(std::iter::repeat(fill).take(wd.saturating_add(2)));
    }
    s.push(right);
    s.push('\n');
    w.write_all(s.as_bytes())
}

fn line<S: AsRef<str>>(
    w: &mut dyn Write,
    widths: &[usize],
    cells: &[S],
    bold: bool,
) -> std::io::Result<()> {
    let mut s = String::new();
    s.push('│');
    for (i, wd) in widths.iter().enumerate() {
        if i > 0 {
            s.push('┆');
        }
        let cell = text::cut(cells.get(i).map_or("", AsRef::as_ref), *wd);
        s.push(' ');
        push_styled(&mut s, &cell, bold);
        s.extend(text::pad(text::width(&cell), *wd));
        s.push(' ');
    }
    s.push_str("│\n");
    w.write_all(s.as_bytes())
}

fn push_styled(s: &mut String, t: &str, bold: bool) {
    if bold {
        s.push_str("\x1b[1m");
    }
    s.push_str(t);
    if bold {
        s.push_str("\x1b[0m");
    }
}

/// The column widths when the boxed table fits into `width` terminal columns (3
/// columns of border and padding per column, plus one); `None` when it doesn't, and the
/// table turns vertical rather than cut a value.
fn fit(natural: &[usize], width: usize) -> Option<Vec<usize>> {
    let frame = natural.len().saturating_mul(3).saturating_add(1);
    let total = natural.iter().fold(frame, |sum, &w| sum.saturating_add(w));
    (total <= width).then(|| natural.to_vec())
}

/// `s` in pieces of at most `max` columns, split between grapheme clusters: a value too
/// long for its line goes on over the next ones, whole. (Only a single cluster wider
/// than a line, which no real value has, is cut.)
fn wrap(s: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut used = 0usize;
    for g in s.graphemes(true) {
        let w = text::width(g);
        if used.saturating_add(w) > max && !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
            used = 0;
        }
        if w > max {
            lines.push(text::cut(g, max).into_owned());
            continue;
        }
        cur.push_str(g);
        used = used.saturating_add(w);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// One block of `key: value` lines per row, blocks separated by a blank line. Keys take
/// at most half the width; a value too wide for the rest of its line goes on the next
/// lines, indented, wrapped to the width: never cut.
fn vertical(
    w: &mut dyn Write,
    titles: &[String],
    rows: &[Vec<(usize, String)>],
    width: usize,
    bold: bool,
) -> std::io::Result<()> {
    let widest = titles.iter().map(|t| text::width(t)).max().unwrap_or(0);
    let key_width = widest.min(width / 2);
    let value_room = width.saturating_sub(key_width.saturating_add(2));
    const INDENT: usize = 2;
    for (i, row) in rows.iter().enumerate() {
        let mut s = String::new();
        if i > 0 {
            s.push('\n');
        }
        // Only the keys this row has: a sparse reply doesn't become pages of empty keys.
        for (j, value) in row {
            let Some(title) = titles.get(*j) else {
                continue;
            };
            let key = text::cut(title, key_width);
            push_styled(&mut s, &key, bold);
            s.push(':');
            let vw = text::width(value);
            if vw == 0 {
            } else if vw <= value_room {
                s.extend(text::pad(text::width(&key), key_width));
                s.push(' ');
                s.push_str(value);
            } else {
                for piece in wrap(value, width.saturating_sub(INDENT)) {
                    s.push('\n');
                    s.extend(text::pad(0, INDENT));
                    s.push_str(&piece);
                }
            }
            s.push('\n');
        }
        w.write_all(s.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn render(rows: &[serde_json::Value], width: Option<u16>) -> String {
        let mut buf = Vec::new();
        {
            let mut t = TableSink::new(Box::new(&mut buf), vec![], true, width, false);
            for r in rows {
                t.row(r.as_object().unwrap()).unwrap();
            }
            t.finish().unwrap();
        }
        String::from_utf8(buf).unwrap()
    }

    /// Every line of `t` fits `width` (or [`MIN_WIDTH`]) and nothing a terminal acts on
    /// is in it.
    fn assert_fits(t: &str, width: usize) {
        for l in t.lines() {
            assert!(
                text::width(l) <= width.max(MIN_WIDTH),
                "line wider than {width}: {l:?}\n{t}"
            );
            assert!(!l.chars().any(text::is_unsafe), "raw control: {l:?}");
        }
    }

    #[test]
    fn looks_like_a_condensed_box_table() {
        let t = render(
            &[
                json!({"mailbox":"INBOX","messages":"2"}),
                json!({"mailbox":"Архив","messages":"10"}),
            ],
            None,
        );
        assert_eq!(
            t,
            "┌─────────┬──────────┐\n│ mailbox ┆ messages │\n╞═════════╪══════════╡\n│ INBOX   ┆ 2        │\n│ Архив   ┆ 10       │\n└─────────┴──────────┘\n"
        );
    }

    #[test]
    fn narrow_terminals_turn_vertical_and_never_cut_a_value() {
        let long = "x".repeat(100);
        let t = render(&[json!({"a": long, "b": "short"})], Some(40));
        assert_fits(&t, 40);
        assert!(!t.contains('…'), "{t}");
        assert_eq!(t.matches('x').count(), 100, "{t}");
        // `mailbox status all` at 80 columns: every number and the GUID whole.
        let status = json!({"mailbox": "INBOX", "messages": "12345", "recent": "0",
            "uidnext": "98765", "uidvalidity": "1795997096", "unseen": "3",
            "highestmodseq": "424242", "vsize": "123456789012",
            "guid": "32323119a8bd0c6bbc6e000083ecc375", "firstsaved": "1795997096"});
        let t = render(std::slice::from_ref(&status), Some(80));
        assert_fits(&t, 80);
        for v in status.as_object().unwrap().values() {
            assert!(t.contains(v.as_str().unwrap()), "{v} cut:\n{t}");
        }
        assert!(!t.contains('…'), "{t}");
    }

    #[test]
    fn wrap_splits_between_clusters_into_lines_that_fit() {
        assert_eq!(wrap("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(wrap("ab", 4), ["ab"]);
        assert_eq!(wrap("日本日本", 3), ["日", "本", "日", "本"]);
        assert_eq!(wrap("", 4), Vec::<String>::new());
    }

    // The reported panic ("capacity overflow", exit 101): a cut cell whose characters'
    // widths don't add up to the string's width (VS16), and control characters.
    #[test]
    fn emoji_with_vs16_cut_at_any_width_does_not_panic() {
        let subject = "⚠️⚠️ Your account has been suspended, click here now to restore";
        for w in 1..=100 {
            let t = render(&[json!({"uid": "1", "hdr.subject": subject})], Some(w));
            assert_fits(&t, w.into());
        }
        let mailbox = json!({"mailbox": "❤️❤️ Family", "messages": "1", "unseen": "0",
            "vsize": "12345678", "guid": "0123456789abcdef0123456789abcdef"});
        for w in 1..=100 {
            assert_fits(&render(std::slice::from_ref(&mailbox), Some(w)), w.into());
        }
        let t = render(std::slice::from_ref(&mailbox), Some(90));
        assert!(t.contains("│ ❤️❤️ Family ┆"), "{t}");
        let t = render(&[mailbox], Some(60));
        assert!(t.contains("mailbox:  ❤️❤️ Family\n"), "{t}");
    }

    #[test]
    fn controls_in_keys_and_values_are_escaped_and_measured_as_shown() {
        let row = json!({"mail\u{1b}]0;x\u{7}box": "\u{1b}[31m\u{7}\u{8}x\u{0}yz \u{9b}1m \u{202e}gpj.exe long long long long long", "x": "y"});
        for w in 1..=90 {
            assert_fits(&render(std::slice::from_ref(&row), Some(w)), w.into());
        }
        let t = render(&[row], None);
        assert!(t.contains("mail\\x1b]0;x\\x07box"), "{t}");
        assert!(
            t.contains("\\x1b[31m\\x07\\x08x\\x00yz \\u{009b}1m \\u{202e}gpj.exe"),
            "{t}"
        );
    }

    #[test]
    fn too_many_columns_turn_vertical_and_fit() {
        let row: Row = (0..12)
            .map(|i| (format!("column{i}"), json!(format!("value number {i}"))))
            .collect();
        let rows = [
            serde_json::Value::Object(row.clone()),
            json!({"column0": "x".repeat(200)}),
        ];
        let t = render(&rows, Some(40));
        assert_fits(&t, 40);
        assert!(
            t.starts_with("column0:  value number 0\ncolumn1:  value number 1\n"),
            "{t}"
        );
        assert!(t.contains("\n\ncolumn0:\n  xxxx"), "{t}");
        assert!(!t.contains('┌'));
        // Wide enough: the boxed table is kept.
        let t = render(&rows[..1], Some(250));
        assert!(t.starts_with('┌'), "{t}");
        assert_fits(&t, 250);
    }

    #[test]
    fn fit_keeps_natural_widths_or_gives_up() {
        assert_eq!(fit(&[3, 50, 20], 40), None);
        assert_eq!(fit(&[3, 4], 40), Some(vec![3, 4]));
        assert_eq!(fit(&[3, 4], 14), Some(vec![3, 4]));
        assert_eq!(fit(&[3, 4], 13), None);
        assert_eq!(fit(&[usize::MAX, 1], 80), None);
        assert_eq!(fit(&[1], 3), None);
    }

    /// Text a hostile server could send: emoji with VS16 and ZWJ, combining marks, CJK,
    /// zero-width, controls, C1, bidi, and any other character.
    fn hostile() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "a",
            "Z",
            " ",
            "0",
            "⚠",
            "❤",
            "\u{fe0f}",
            "\u{fe0e}",
            "\u{200d}",
            "👨",
            "👩",
            "\u{301}",
            "\u{302}",
            "日",
            "本",
            "ﾊ",
            "\u{200b}",
            "\u{feff}",
            "\u{1b}",
            "\u{7}",
            "\u{8}",
            "\u{0}",
            "\u{7f}",
            "\u{85}",
            "\u{9b}",
            "\u{202e}",
            "\u{2066}",
            "\u{61c}",
            "\t",
            "\n",
            "\r",
            "\\",
            "🇩",
            "🇪",
            "…",
            "\u{2028}",
            "\u{e000}",
            "\u{10ffff}",
            "\u{1b}]0;pwned\u{7}",
            "\u{1b}[31m",
            "é",
        ]);
        let piece = prop_oneof![
            4 => pieces.prop_map(String::from),
            1 => any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn never_panics_and_no_line_is_wider_than_the_terminal(
            rows in prop::collection::vec(
                prop::collection::vec((hostile(), hostile()), 1..=6), 0..4),
            width in 1u16..=200,
            header in any::<bool>(),
            color in any::<bool>(),
        ) {
            let mut buf = Vec::new();
            {
                let mut t = TableSink::new(Box::new(&mut buf), vec![], header, Some(width), color);
                for r in &rows {
                    let row: Row = r.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                    t.row(&row).unwrap();
                }
                t.finish().unwrap();
            }
            // The table's own bold is the one escape sequence allowed.
            let out = String::from_utf8(buf).unwrap().replace("\x1b[1m", "").replace("\x1b[0m", "");
            for l in out.lines() {
                prop_assert!(text::width(l) <= usize::from(width).max(MIN_WIDTH),
                    "width {}: {:?}\n{}", width, l, out);
                prop_assert!(!l.chars().any(text::is_unsafe), "{:?}", l);
            }
        }
    }
}
