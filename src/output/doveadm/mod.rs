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
mod rows;
mod sink;
mod table;
mod text;

pub use text::json_string;

use std::io::Write;

use super::{Row, RowSink};

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
    /// Rows held until the headers are fixed (at most [`sink::LOOKAHEAD`]).
    held: Vec<Row>,
    rows: usize,
    table: table::Table,
}

#[cfg(test)]
mod tests;
