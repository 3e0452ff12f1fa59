//! `flow` for rdoveadm's own commands: one line per row of `key=value` pairs separated
//! by spaces (doveadm commands print with [`super::doveadm`]'s `flow`).

use std::io::Write;

use super::{text, Row, RowSink};
use crate::text::escape_value;

pub struct FlowSink<'w> {
    w: Box<dyn Write + 'w>,
}

impl<'w> FlowSink<'w> {
    pub fn new(w: Box<dyn Write + 'w>) -> Self {
        FlowSink { w }
    }
}

impl RowSink for FlowSink<'_> {
    fn row(&mut self, row: &Row) -> std::io::Result<()> {
        let mut first = true;
        for (k, v) in row {
            if !first {
                self.w.write_all(b" ")?;
            }
            first = false;
            write!(self.w, "{}={}", escape_value(k), escape_value(&text(v)))?;
        }
        self.w.write_all(b"\n")
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}
