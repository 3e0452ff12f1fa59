//! The row writers of doveadm's formatters: how `tab`, `flow`, `pager`, `json`,
//! `formatted` and `table` print one row once the headers are fixed. Separate from
//! the sink's bookkeeping (sink.rs): holding rows, transforms, the end of output.

use std::io::Write;

use serde_json::Value;

use super::text::{formatted, is_float, json_string, value};
use super::{DoveadmSink, Kind, Row, HIDE_TITLE, NUMBER, STREAM};
use crate::output::text;
use crate::text::escape_message;

impl DoveadmSink<'_> {
    fn values(&self, row: &Row) -> Vec<String> {
        self.headers
            .iter()
            .map(|h| {
                row.get(&h.key)
                    .map_or(String::new(), |v| value(v, self.kind))
            })
            .collect()
    }

    pub(super) fn print(&mut self, row: &Row) -> std::io::Result<()> {
        if self.headers.is_empty() {
            return Ok(());
        }
        match self.kind {
            Kind::Tab => {
                let line = self.values(row).join("\t");
                writeln!(self.w, "{line}")
            }
            Kind::Flow => {
                let vals = self.values(row);
                let mut line = String::new();
                for (i, (h, v)) in self.headers.iter().zip(&vals).enumerate() {
                    if i > 0 {
                        line.push(' ');
                    }
                    if h.flags & HIDE_TITLE == 0 {
                        line.push_str(&escape_message(&h.title));
                        line.push('=');
                    }
                    line.push_str(v);
                }
                writeln!(self.w, "{line}")
            }
            Kind::Pager => {
                if self.rows > 0 {
                    self.w.write_all(b"\x0c\n")?;
                }
                let vals = self.values(row);
                let mut out = String::new();
                for (h, v) in self.headers.iter().zip(&vals) {
                    let stream = h.flags & STREAM != 0;
                    if h.flags & HIDE_TITLE == 0 {
                        out.push_str(&escape_message(&h.title));
                        out.push_str(if stream { ":\n" } else { ": " });
                    }
                    out.push_str(v);
                    if !stream {
                        out.push('\n');
                    }
                }
                self.w.write_all(out.as_bytes())
            }
            Kind::Json => {
                self.w
                    .write_all(if self.rows == 0 { b"[{" } else { b",{" })?;
                let mut out = String::new();
                for (i, h) in self.headers.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_string(&mut out, &h.key);
                    out.push(':');
                    match row.get(&h.key) {
                        None | Some(Value::Null) => out.push_str("null"),
                        // A number is the server's (NUMBER columns) or `--typed`'s.
                        Some(Value::Number(n)) => out.push_str(&n.to_string()),
                        Some(v) => {
                            let t = text(v);
                            if h.flags & NUMBER != 0 && is_float(&t) {
                                out.push_str(&t);
                            } else {
                                json_string(&mut out, &t);
                            }
                        }
                    }
                }
                out.push('}');
                self.w.write_all(out.as_bytes())
            }
            Kind::Formatted(format) => {
                let vals = self.values(row);
                let out = formatted(format, &self.headers, &vals);
                self.w.write_all(out.as_bytes())
            }
            Kind::Table => {
                let vals = self.values(row);
                self.table
                    .row(&mut self.w, &self.headers, self.titles, vals)?;
                if self.flush_each {
                    self.table.finish(&mut self.w, &self.headers, self.titles)?;
                }
                Ok(())
            }
        }
    }
}
