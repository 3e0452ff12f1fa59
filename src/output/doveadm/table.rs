//! doveadm's `table` formatter (src/doveadm/doveadm-print-table.c, the same in 2.3.19
//! and 2.4.1), as it prints when stdout is not a terminal: 80 columns, widths from the
//! first 100 rows (later rows are padded to those widths), the titles above unless all
//! are hidden, every cell padded (also the last: lines end in spaces), and the spare
//! width given to the first EXPAND column (else the last).

use std::io::Write;

use super::{Header, EXPAND, HIDE_TITLE, RIGHT_JUSTIFY};

/// `MAX_BUFFER_LINES`: rows held back to compute the widths.
const MAX_BUFFER_LINES: usize = 100;

pub struct Table {
    columns: usize,
    buffered: Vec<Vec<String>>,
    /// Column widths, once computed (`lengths_set`).
    lengths: Option<Vec<usize>>,
}

impl Table {
    pub fn new(columns: usize) -> Table {
        Table {
            columns,
            buffered: Vec::new(),
            lengths: None,
        }
    }

    pub fn row(
        &mut self,
        w: &mut dyn Write,
        headers: &[Header],
        titles: bool,
        values: Vec<String>,
    ) -> std::io::Result<()> {
        if self.lengths.is_none() {
            if self.buffered.len() < MAX_BUFFER_LINES {
                self.buffered.push(values);
                return Ok(());
            }
            self.release(w, headers, titles)?;
        }
        self.print(w, headers, &values)
    }

    pub fn finish(
        &mut self,
        w: &mut dyn Write,
        headers: &[Header],
        titles: bool,
    ) -> std::io::Result<()> {
        if self.lengths.is_none() {
            self.release(w, headers, titles)?;
        }
        Ok(())
    }

    fn release(
        &mut self,
        w: &mut dyn Write,
        headers: &[Header],
        titles: bool,
    ) -> std::io::Result<()> {
        let lengths = lengths(headers, &self.buffered, self.columns);
        if titles && headers.iter().any(|h| h.flags & HIDE_TITLE == 0) {
            let mut line = String::new();
            for (i, (h, len)) in headers.iter().zip(&lengths).enumerate() {
                if i > 0 {
                    line.push(' ');
                }
                pad(&mut line, &h.title, *len, h.flags & RIGHT_JUSTIFY != 0);
            }
            line.push('\n');
            w.write_all(line.as_bytes())?;
        }
        self.lengths = Some(lengths);
        for values in std::mem::take(&mut self.buffered) {
            self.print(w, headers, &values)?;
        }
        Ok(())
    }

    fn print(
        &self,
        w: &mut dyn Write,
        headers: &[Header],
        values: &[String],
    ) -> std::io::Result<()> {
        let Some(lengths) = &self.lengths else {
            return Ok(());
        };
        let mut line = String::new();
        for (i, (h, len)) in headers.iter().zip(lengths).enumerate() {
            if i > 0 {
                line.push(' ');
            }
            let v = values.get(i).map_or("", String::as_str);
            pad(&mut line, v, *len, h.flags & RIGHT_JUSTIFY != 0);
        }
        line.push('\n');
        w.write_all(line.as_bytes())
    }
}

/// `printf("%-*s")` / `printf("%*s")` with the width in characters (doveadm adds the
/// UTF-8 continuation bytes to the byte width, which comes to the same).
fn pad(out: &mut String, s: &str, width: usize, right: bool) {
    let n = s.chars().count();
    let fill = width.saturating_sub(n);
    if right {
        out.extend(std::iter::repeat(' ').take(fill));
        out.push_str(s);
    } else {
        out.push_str(s);
        out.extend(std::iter::repeat(' ').take(fill));
    }
}

/// `doveadm_calc_header_length()`, step for step (its odd shrinking included: taking a
/// bit off a column does not count towards the total, so only a column that can make
/// the whole line fit ends the loop).
fn lengths(headers: &[Header], rows: &[Vec<String>], columns: usize) -> Vec<usize> {
    struct L {
        min: usize,
        max: usize,
        len: usize,
    }
    let mut ls: Vec<L> = headers
        .iter()
        .map(|h| {
            let n = h.title.len();
            L {
                min: n,
                max: n,
                len: n,
            }
        })
        .collect();
    for row in rows {
        for (i, l) in ls.iter_mut().enumerate() {
            let n = row.get(i).map_or(0, |v| v.chars().count());
            if l.min > n {
                l.min = n;
            }
            if l.max < n {
                l.max = n;
                l.len = n;
            }
        }
    }
    let mut max_length: usize = ls
        .iter()
        .map(|l| l.max + 1)
        .sum::<usize>()
        .saturating_sub(1);
    while max_length > columns {
        let orig = max_length;
        for l in ls.iter_mut().rev() {
            let diff = l.len.wrapping_sub(l.min);
            if max_length.wrapping_sub(diff) <= columns {
                let diff = max_length - columns;
                l.len = l.len.wrapping_sub(diff);
                max_length -= diff;
                break;
            }
            if diff > 0 {
                l.len -= if diff == 1 { 1 } else { diff / 2 };
            }
        }
        if max_length == orig {
            break;
        }
    }
    if max_length < columns {
        let at = headers
            .iter()
            .position(|h| h.flags & EXPAND != 0)
            .unwrap_or(headers.len().saturating_sub(1));
        if let Some(l) = ls.get_mut(at) {
            l.len += (columns - max_length) / 2;
        }
    }
    ls.into_iter().map(|l| l.len).collect()
}
