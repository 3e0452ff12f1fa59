//! `tab` for rdoveadm's own commands: a header line of field names, then one
//! tab-separated line per row (doveadm commands print with [`super::doveadm`]'s `tab`).

use std::io::Write;

use super::{text, Columns, Row, RowSink};
use crate::text::escape_value;

/// Rows held back before the header is fixed, so that a key that only later rows
/// carry still gets a column. Past this, rows stream with the columns seen so far.
const LOOKAHEAD: usize = 256;

pub struct TabSink<'w> {
    w: Box<dyn Write + 'w>,
    columns: Columns,
    header: bool,
    held: Option<Vec<Row>>,
}

impl<'w> TabSink<'w> {
    pub fn new(w: Box<dyn Write + 'w>, columns: Vec<String>, header: bool) -> Self {
        TabSink {
            w,
            columns: Columns::new(columns),
            header,
            held: Some(Vec::new()),
        }
    }

    fn release(&mut self) -> std::io::Result<()> {
        let Some(held) = self.held.take() else {
            return Ok(());
        };
        if self.header && !self.columns.names().is_empty() {
            let titles: Vec<_> = self
                .columns
                .names()
                .iter()
                .map(|c| escape_value(c))
                .collect();
            writeln!(self.w, "{}", titles.join("\t"))?;
        }
        for r in &held {
            self.write_row(r)?;
        }
        Ok(())
    }

    fn write_row(&mut self, row: &Row) -> std::io::Result<()> {
        let mut first = true;
        for c in self.columns.names() {
            if !first {
                self.w.write_all(b"\t")?;
            }
            first = false;
            if let Some(v) = row.get(c) {
                self.w.write_all(escape_value(&text(v)).as_bytes())?;
            }
        }
        self.w.write_all(b"\n")
    }
}

impl RowSink for TabSink<'_> {
    fn row(&mut self, row: &Row) -> std::io::Result<()> {
        if let Some(held) = &mut self.held {
            self.columns.merge(row);
            held.push(row.clone());
            if held.len() >= LOOKAHEAD {
                self.release()?;
            }
            return Ok(());
        }
        self.write_row(row)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.release()?;
        self.w.flush()
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.release()?;
        self.w.flush()
    }
}
