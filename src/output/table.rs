//! `table`: a table for people (comfy-table), fitted to the terminal width when known.

use std::io::Write;

use comfy_table::{presets, Attribute, Cell, ContentArrangement, Table};

use super::{escape, merge_columns, text, Row, RowSink};

pub struct TableSink<'w> {
    w: Box<dyn Write + 'w>,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    pending: Vec<Row>,
    header: bool,
    width: Option<u16>,
    color: bool,
}

impl<'w> TableSink<'w> {
    pub fn new(w: Box<dyn Write + 'w>, columns: Vec<String>, header: bool, width: Option<u16>, color: bool) -> Self {
        TableSink { w, columns, rows: Vec::new(), pending: Vec::new(), header, width, color }
    }
}

impl RowSink for TableSink<'_> {
    fn row(&mut self, row: &Row) -> std::io::Result<()> {
        // A table needs every row for its widths; keep rows until finish.
        merge_columns(&mut self.columns, row);
        self.pending.push(row.clone());
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        for row in std::mem::take(&mut self.pending) {
            let cells = self
                .columns
                .iter()
                .map(|c| row.get(c).map(|v| escape(&text(v)).into_owned()).unwrap_or_default())
                .collect();
            self.rows.push(cells);
        }
        if self.rows.is_empty() && (self.columns.is_empty() || !self.header) {
            return self.w.flush();
        }
        if let Some(w) = self.width {
            fit_to_width(&self.columns, &mut self.rows, w as usize);
        }
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED);
        // Never wrap: one row stays one line; `fit_to_width` truncated visibly instead.
        t.set_content_arrangement(ContentArrangement::Disabled);
        // Styling is decided by the caller (terminal, NO_COLOR, --color), never here.
        if self.color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        if self.header {
            let cells: Vec<Cell> = self
                .columns
                .iter()
                .map(|c| if self.color { Cell::new(c).add_attribute(Attribute::Bold) } else { Cell::new(c) })
                .collect();
            t.set_header(cells);
        }
        for r in std::mem::take(&mut self.rows) {
            t.add_row(r);
        }
        writeln!(self.w, "{t}")?;
        self.w.flush()
    }
}

/// Shrinks the widest columns, marking cut cells with `…`, until the table fits `width`
/// (3 characters of border and padding per column, plus one).
fn fit_to_width(columns: &[String], rows: &mut [Vec<String>], width: usize) {
    let n = columns.len();
    if n == 0 {
        return;
    }
    let len = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = columns.iter().map(|c| len(c)).collect();
    for r in rows.iter() {
        for (i, cell) in r.iter().enumerate() {
            widths[i] = widths[i].max(len(cell));
        }
    }
    let budget = width.saturating_sub(3 * n + 1);
    const MIN: usize = 6;
    while widths.iter().sum::<usize>() > budget {
        let (i, w) = widths.iter().copied().enumerate().max_by_key(|&(_, w)| w).unwrap_or((0, 0));
        if w <= MIN {
            break;
        }
        widths[i] = w - 1;
    }
    for r in rows.iter_mut() {
        for (i, cell) in r.iter_mut().enumerate() {
            if len(cell) > widths[i] {
                let keep: String = cell.chars().take(widths[i].saturating_sub(1)).collect();
                *cell = format!("{keep}…");
            }
        }
    }
}
