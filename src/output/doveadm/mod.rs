//! doveadm's own formatters (`tab`, `flow`, `table`, `pager`, `json`), byte for byte
//! as src/doveadm/doveadm-print-*.c of Dovecot 2.3.19 and 2.4.1 print them (the five
//! files are the same in both, but for json's writer, whose bytes agree), with each
//! command's titles and flags from [`registry`]. Piped, a doveadm command's output is
//! what native doveadm prints; on a terminal rdoveadm keeps its own table.
//!
//! Two documented departures, both where native output would be broken or unsafe:
//! - values go through [`crate::text::escape_message`]: newline, carriage return, tab,
//!   other controls and bidi controls become visible escapes (one row stays one line),
//!   while plain text, `\Seen` included, is printed as doveadm prints it (no doubled
//!   `\`). `pager` keeps newline and tab raw (a message body is many lines there).
//! - `json` also writes DEL, C1 and bidi controls as `\uXXXX` (the same string to a
//!   JSON reader), and 2.3's `who` JSON (invalid natively) is one valid array.

pub mod registry;
mod table;
mod text;

pub use text::json_string;
use text::{formatted, is_float, value};

use std::io::Write;

use serde_json::Value;

use super::{text, Row, RowSink};
use crate::text::escape_message;

/// `DOVEADM_PRINT_HEADER_FLAG_*` (doveadm-print.h).
pub const STICKY: u8 = 0x01;
pub const HIDE_TITLE: u8 = 0x02;
pub const EXPAND: u8 = 0x04;
pub const RIGHT_JUSTIFY: u8 = 0x08;
pub const NUMBER: u8 = 0x10;
/// Not doveadm's: the command prints this field with `doveadm_print_stream` (fetch's
/// `hdr`, `body`, `text`), which `pager` shows as `title:` and the raw text below it.
pub const STREAM: u8 = 0x80;

/// One `doveadm_print_header(key, title, flags)` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub key: String,
    pub title: String,
    pub flags: u8,
}

impl Header {
    pub fn new(key: &str, title: &str, flags: u8) -> Header {
        Header {
            key: key.to_string(),
            title: title.to_string(),
            flags,
        }
    }

    /// `doveadm_print_header_simple(key)`: the key is the title.
    pub fn simple(key: &str) -> Header {
        Header::new(key, key, 0)
    }
}

/// doveadm's formatters (`doveadm -f NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tab,
    Flow,
    Table,
    Pager,
    Json,
    /// `formatted` with the command's own format (`doveadm_print_formatted_set_format`):
    /// the default of `kick`, `log errors`, `fs stat`...; `-f` can't choose it.
    Formatted(&'static str),
}

/// The Dovecot version whose titles are printed (they differ in a few commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V23,
    V24,
}

impl Version {
    /// From [`crate::client::features::Features::generation`]: `2.4`, else 2.3.
    pub fn from_generation(g: &str) -> Version {
        if g == "2.4" {
            Version::V24
        } else {
            Version::V23
        }
    }
}

/// What a command prints: its headers and the formatter it picks itself.
#[derive(Debug, Clone)]
pub struct Spec {
    pub headers: Vec<Header>,
    pub default: Kind,
    /// How rdoveadm's rows become the rows doveadm prints.
    pub transform: Transform,
    /// The header of a field the headers did not name (doveadm's rows have none, but
    /// for `proxy list`, whose fields are the reply's own).
    pub extra: fn(&str) -> Header,
    /// The command flushes the formatter after each row (`doveadm_print_flush()`):
    /// `table` then fixes its widths after the first row.
    pub flush_each: bool,
    /// A mail command (doveadm-mail.c): rows that carry `username` (-A, a user mask)
    /// print it first, untitled, also when the caller's columns did not name it.
    pub user_first: bool,
}

/// rdoveadm rows that are not doveadm's rows one to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    None,
    /// `user`: each row's fields as `field`/`value` rows.
    Fields,
    /// `user -f FIELD`: the values of each row, one line each, as doveadm prints them
    /// with printf() (after the formatter's stream: `-f tab`'s empty title line).
    Values,
    /// 2.4 `kick`: one `count` row, the sum of the rows' `connections`.
    Count,
    /// 2.3 `kick`: a `result` row per user, then the line doveadm prints with
    /// printf() (stdio, so at exit: after the formatter's stream, but around `table`,
    /// which prints with stdio too).
    Kicked,
}

/// A sink printing rows as doveadm's formatter `kind` with `spec`'s headers.
/// `titles`: false for `-h`/`--no-header` (doveadm's `doveadm_print_hide_titles`).
pub fn sink<'w>(
    kind: Kind,
    spec: Spec,
    titles: bool,
    chosen: bool,
    w: Box<dyn Write + 'w>,
) -> Box<dyn RowSink + 'w> {
    Box::new(DoveadmSink {
        w,
        kind,
        headers: spec.headers,
        transform: spec.transform,
        extra: spec.extra,
        flush_each: spec.flush_each,
        user_first: spec.user_first,
        count: 0,
        users: 0,
        listed: Vec::new(),
        chosen,
        titles,
        fixed: false,
        held: Vec::new(),
        rows: 0,
        table: table::Table::new(80),
    })
}

struct DoveadmSink<'w> {
    w: Box<dyn Write + 'w>,
    kind: Kind,
    headers: Vec<Header>,
    transform: Transform,
    extra: fn(&str) -> Header,
    flush_each: bool,
    user_first: bool,
    /// [`Transform::Count`]'s sum so far.
    count: u64,
    /// [`Transform::Fields`]: users printed, and the names of a user list (a mask) or
    /// [`Transform::Values`]' values, as the server sent them.
    users: usize,
    listed: Vec<String>,
    /// The format was chosen with `-f` (a user list prints differently then).
    chosen: bool,
    titles: bool,
    /// Headers fixed (rows may add fields the registry did not name).
    fixed: bool,
    /// Rows held until the headers are fixed (at most [`LOOKAHEAD`]).
    held: Vec<Row>,
    rows: usize,
    table: table::Table,
}

impl DoveadmSink<'_> {
    /// Fixes the headers: the registry's, then any other field of the rows held so far
    /// (doveadm's rows have no others; a key the registry did not name is a title too,
    /// made visible), at most [`super::MAX_COLUMNS`].
    fn fix(&mut self) -> std::io::Result<()> {
        if self.fixed {
            return Ok(());
        }
        self.fixed = true;
        if self.user_first
            && !self.headers.iter().any(|h| h.key == "username")
            && self.held.iter().any(|r| r.contains_key("username"))
        {
            self.headers
                .insert(0, Header::new("username", "Username", STICKY | HIDE_TITLE));
        }
        let mut known: std::collections::HashSet<String> =
            self.headers.iter().map(|h| h.key.clone()).collect();
        for row in &self.held {
            for k in row.keys() {
                if self.headers.len() >= super::MAX_COLUMNS {
                    break;
                }
                if known.insert(k.clone()) {
                    let mut h = (self.extra)(k);
                    h.title = escape_message(&h.title).into_owned();
                    self.headers.push(h);
                }
            }
        }
        // With no headers at all, still the newline that ends the (empty) title line.
        if self.kind == Kind::Tab && self.titles && !self.deferred() {
            let titles: Vec<_> = self
                .headers
                .iter()
                .map(|h| escape_message(&h.title))
                .collect();
            writeln!(self.w, "{}", titles.join("\t"))?;
        }
        Ok(())
    }

    /// Fixes the headers and prints the rows held for it.
    fn release(&mut self) -> std::io::Result<()> {
        self.fix()?;
        for r in std::mem::take(&mut self.held) {
            self.print(&r)?;
            self.rows += 1;
        }
        Ok(())
    }

    /// `user`'s header line waits for the first user (a user list has none), and
    /// `user -f FIELD` has none.
    fn deferred(&self) -> bool {
        self.transform == Transform::Fields && self.users == 0
            || self.transform == Transform::Values && self.kind != Kind::Json
    }

    fn values(&self, row: &Row) -> Vec<String> {
        self.headers
            .iter()
            .map(|h| {
                row.get(&h.key)
                    .map_or(String::new(), |v| value(v, self.kind))
            })
            .collect()
    }

    fn print(&mut self, row: &Row) -> std::io::Result<()> {
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

    fn pivoted(row: &Row) -> Vec<Row> {
        // `user`: one `field`/`value` line per userdb field, in the server's order.
        // rdoveadm adds `mail_path` to 2.3's rows (derived from `mail`): not doveadm's.
        let derived_path = row.contains_key("mail");
        row.iter()
            .filter(|(k, _)| *k != "username" && !(derived_path && *k == "mail_path"))
            .map(|(k, v)| {
                let mut r = Row::new();
                r.insert("field".into(), Value::String(k.clone()));
                r.insert("value".into(), Value::String(text(v).into_owned()));
                r
            })
            .collect()
    }
}

impl RowSink for DoveadmSink<'_> {
    fn row(&mut self, row: &Row) -> std::io::Result<()> {
        match self.transform {
            Transform::None if !self.fixed => {
                self.held.push(row.clone());
                if self.held.len() >= LOOKAHEAD {
                    self.release()?;
                }
                return Ok(());
            }
            Transform::None => {}
            Transform::Fields => {
                if row.len() == 1 {
                    // A mask's user list: doveadm prints the names itself, not as rows.
                    if let Some(u) = row.get("username") {
                        self.listed.push(text(u).into_owned());
                        return Ok(());
                    }
                }
                self.users += 1;
                self.fix()?;
                for r in Self::pivoted(row) {
                    self.print(&r)?;
                    self.rows += 1;
                }
                return Ok(());
            }
            Transform::Values if self.kind != Kind::Json => {
                // doveadm's putchar('\n') between users, in the same stdio stream.
                if !self.listed.is_empty() {
                    self.listed.push(String::new());
                }
                for h in self.headers.iter().filter(|h| h.key != "username") {
                    if let Some(v) = row.get(&h.key) {
                        self.listed.push(text(v).into_owned());
                    }
                }
                return Ok(());
            }
            Transform::Values => self.fix()?,
            Transform::Kicked => {
                let mut r = Row::new();
                // rdoveadm's per-user rows carry `username`; the server's own rows
                // (the command run as doveadm's, e.g. `kick -a PATH`) `result`.
                if let Some(u) = row.get("username").or_else(|| row.get("result")) {
                    r.insert("result".into(), u.clone());
                }
                if self.rows == 0 && self.kind == Kind::Table {
                    self.w.write_all(KICKED.as_bytes())?;
                }
                self.fix()?;
                self.print(&r)?;
                self.rows += 1;
                return Ok(());
            }
            Transform::Count => {
                // rdoveadm's per-user rows, or the server's own `count` row (the
                // command run as doveadm's, e.g. `kick -a PATH`).
                let n = row
                    .get("connections")
                    .or_else(|| row.get("count"))
                    .map(text)
                    .and_then(|c| c.parse::<u64>().ok())
                    .unwrap_or(1);
                self.count = self.count.saturating_add(n);
                return Ok(());
            }
        }
        self.print(row)?;
        self.rows += 1;
        Ok(())
    }

    /// Fixes the headers with the rows so far and writes them out (a fan-out calls it
    /// after each server); `table` still waits for its widths.
    fn flush(&mut self) -> std::io::Result<()> {
        if self.transform == Transform::None {
            self.release()?;
        }
        self.w.flush()
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.release()?;
        if self.transform == Transform::Count {
            let mut r = Row::new();
            r.insert("count".into(), Value::String(self.count.to_string()));
            self.transform = Transform::None;
            self.print(&r)?;
            self.rows += 1;
        }
        // `user` with several users: doveadm puts a newline between them with putchar(),
        // whose stdio buffer reaches stdout at exit, after the formatter's stream; only
        // `table` prints with stdio too, so there the newlines come before the table.
        let between = "\n".repeat(self.users.saturating_sub(1));
        let listing =
            !self.listed.is_empty() && self.users == 0 || self.transform == Transform::Values;
        if listing && self.kind == Kind::Json && self.transform == Transform::Fields {
            // A user list in json: doveadm prints `[]` and the names after it, which is
            // no JSON; rdoveadm prints one valid array of `username` objects.
            let mut out = String::from("[");
            for (i, name) in std::mem::take(&mut self.listed).iter().enumerate() {
                out.push_str(if i == 0 { "{" } else { ",{" });
                json_string(&mut out, "username");
                out.push(':');
                json_string(&mut out, name);
                out.push('}');
            }
            out.push(']');
            self.w.write_all(out.as_bytes())?;
            return self.w.flush();
        }
        match self.kind {
            Kind::Json => self
                .w
                .write_all(if self.rows == 0 { b"[]" } else { b"]" })?,
            Kind::Table if !self.headers.is_empty() && !listing => {
                self.w.write_all(between.as_bytes())?;
                if self.transform == Transform::Kicked && self.rows == 0 {
                    self.w.write_all(NO_KICK.as_bytes())?;
                }
                self.table.finish(&mut self.w, &self.headers, self.titles)?
            }
            // A user list alone: no header was set, so `-f tab` ends its empty title line.
            Kind::Tab if listing && self.chosen => self.w.write_all(b"\n")?,
            _ => {}
        }
        if self.kind != Kind::Table {
            self.w.write_all(between.as_bytes())?;
        }
        for name in &self.listed {
            writeln!(self.w, "{}", escape_message(name))?;
        }
        if self.transform == Transform::Kicked && self.rows > 0 {
            if self.kind != Kind::Table {
                self.w.write_all(KICKED.as_bytes())?;
            }
            self.w.write_all(b"\n")?;
        } else if self.transform == Transform::Kicked
            && !matches!(self.kind, Kind::Json | Kind::Table)
        {
            // (After `json`'s `[]` doveadm's line would make it no JSON: left out there.)
            self.w.write_all(NO_KICK.as_bytes())?;
        }
        self.w.flush()
    }
}

/// Rows held back before the headers are fixed, so that a field only later rows carry
/// still gets a header (as rdoveadm's `tab`). Past this, rows stream with those seen.
const LOOKAHEAD: usize = 256;

/// 2.3 `kick`'s line before the users it kicked.
const KICKED: &str = "kicked connections from the following users:\n";

/// 2.3 `kick`'s line when nothing matched.
const NO_KICK: &str = "no users kicked\n";

#[cfg(test)]
mod tests;
