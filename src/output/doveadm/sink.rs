//! The [`RowSink`] side of [`DoveadmSink`]: rows held until the headers are fixed
//! (and the title line `tab` prints then), the [`Transform`]s of `user` and `kick`, and
//! what each formatter prints at the end. Separate from the row writers (rows.rs),
//! which print one row once the headers are known.

use std::io::Write;

use serde_json::Value;

use super::text::json_string;
use super::{DoveadmSink, Header, Kind, Row, RowSink, Transform, HIDE_TITLE, STICKY};
use crate::output::text;
use crate::text::escape_message;

impl DoveadmSink<'_> {
    /// Fixes the headers: the registry's, then any other field of the rows held so far
    /// (doveadm's rows have no others; a key the registry did not name is a title too,
    /// made visible), at most [`crate::output::MAX_COLUMNS`].
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
                if self.headers.len() >= crate::output::MAX_COLUMNS {
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
pub(super) const LOOKAHEAD: usize = 256;

/// 2.3 `kick`'s line before the users it kicked.
const KICKED: &str = "kicked connections from the following users:\n";

/// 2.3 `kick`'s line when nothing matched.
const NO_KICK: &str = "no users kicked\n";
