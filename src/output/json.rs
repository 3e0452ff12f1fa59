//! `json`: one JSON array of row objects, written row by row so that it is always
//! one valid array, with the server's field names and values kept exactly.
//!
//! Exact, and still safe to show on a terminal: serde_json writes C0 controls as
//! `\u00XX`; [`write`] also writes DEL, C1 and bidi controls ([`text::is_unsafe`]) as
//! `\uXXXX` escapes, which any JSON parser reads back as the same characters.

use std::io::Write;

use serde::Serialize;

use super::{Row, RowSink};
use crate::text;

/// Writes `value` as compact JSON with every character a terminal would act on escaped.
pub fn write<W: Write + ?Sized, T: Serialize + ?Sized>(
    w: &mut W,
    value: &T,
) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(w, SafeFormatter);
    value.serialize(&mut ser).map_err(std::io::Error::from)
}

/// serde_json's compact format, with [`text::is_unsafe`] characters as `\uXXXX`.
struct SafeFormatter;

impl serde_json::ser::Formatter for SafeFormatter {
    fn write_string_fragment<W: Write + ?Sized>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if text::is_unsafe(c) {
                w.write_all(fragment.get(start..i).unwrap_or_default().as_bytes())?;
                // Every unsafe character is in the BMP: one `\u` escape each.
                write!(w, "\\u{:04x}", u32::from(c))?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(fragment.get(start..).unwrap_or_default().as_bytes())
    }
}

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
        write(&mut self.w, row)?;
        self.count += 1;
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.w
            .write_all(if self.count == 0 { b"[]\n" } else { b"]\n" })?;
        self.w.flush()
    }
}

/// `jsonl`: one JSON object per line (a streaming fan-out flushes after each server).
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
        write(&mut self.w, row)?;
        self.w.write_all(b"\n")
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}
