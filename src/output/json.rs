//! `json`: one JSON array of row objects, written row by row so that it is always
//! one valid array, with the server's field names and values kept exactly.

use std::io::Write;

use super::{Row, RowSink};

pub struct JsonSink<'w> {
    w: Box<dyn Write + 'w>,
    count: usize,
}

impl<'w> JsonSink<'w> {
    pub fn new(w: Box<dyn Write + 'w>) -> Self {
        JsonSink { w, count: 0 }
    }
}

impl RowSink for JsonSink<'_> {
    fn row(&mut self, row: &Row) -> std::io::Result<()> {
        self.w
            .write_all(if self.count == 0 { b"[" } else { b",\n" })?;
        serde_json::to_writer(&mut self.w, row)?;
        self.count += 1;
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.w
            .write_all(if self.count == 0 { b"[]\n" } else { b"]\n" })?;
        self.w.flush()
    }
}

/// `jsonl`: one JSON object per line, flushed per row so a reader sees rows as they come.
pub struct JsonLinesSink<'w> {
    w: Box<dyn Write + 'w>,
}

impl<'w> JsonLinesSink<'w> {
    pub fn new(w: Box<dyn Write + 'w>) -> Self {
        JsonLinesSink { w }
    }
}

impl RowSink for JsonLinesSink<'_> {
    fn row(&mut self, row: &Row) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.w, row)?;
        self.w.write_all(b"\n")
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}
