//! Wire format of the doveadm HTTP API (`POST /doveadm/v1`): request envelopes and
//! the one reply parser, fed chunk by chunk as the body arrives. Pure: no I/O.
//!
//! Request: `[[command, {params}, tag]]`. Reply: `[["doveadmResponse", result, tag]]` or
//! `[["error", {"type": ..., "exitCode": N}, tag]]`, always HTTP 200.

use serde_json::{Map, Value};

use crate::error::Error;
use crate::text::{bounded, escape_message};

/// The tag we put on every command. One command per request (a worker that dies
/// drops the whole reply, so batching commands would lose all of them).
pub const TAG: &str = "rdoveadm";

/// Builds the request body for one command.
///
/// `false` booleans are dropped: on Dovecot 2.3 mail commands and on 2.4.0-2.4.1 a
/// boolean that is present counts as set whatever its value.
pub fn request_body(command: &str, params: &Map<String, Value>) -> Vec<u8> {
    let params: Map<String, Value> = params
        .iter()
        .filter(|(_, v)| !matches!(v, Value::Bool(false) | Value::Null))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let body = Value::Array(vec![Value::Array(vec![
        Value::String(command.to_string()),
        Value::Object(params),
        Value::String(TAG.to_string()),
    ])]);
    // Serialising a JSON value can't fail.
    serde_json::to_vec(&body).unwrap_or_default()
}

/// Parses a whole reply body into the command's result (an array of rows, or the
/// object `user` returns), or the error the server reported for `command`. The same
/// parser as [`stream_rows`] and [`ReplyParser`], fed the body in one piece.
pub fn parse_reply(command: &str, body: &[u8]) -> Result<Value, Error> {
    let mut rows = Vec::new();
    let mut parser = ReplyParser::new(command, usize::MAX);
    parser.feed(body, &mut |r| {
        rows.push(r);
        Ok(())
    })?;
    Ok(parser.finish()?.collect(rows))
}

/// Parses a whole reply body of a row command, handing each row to `on_row`; an
/// object result (as `user` gives) is handed over as one row.
pub fn stream_rows(
    command: &str,
    body: &[u8],
    on_row: &mut dyn FnMut(Map<String, Value>) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut parser = ReplyParser::new(command, usize::MAX);
    parser.feed(body, on_row)?;
    parser.finish().map(|_| ())
}

/// What a success result was made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Arrays of rows (and loose rows: the 2.3 `who` quirk).
    Rows,
    /// One object and nothing else (`user`).
    Object,
}

impl Shape {
    /// The result as one value, from the rows handed over.
    pub fn collect(self, mut rows: Vec<Map<String, Value>>) -> Value {
        match (self, rows.pop()) {
            (Shape::Object, Some(obj)) if rows.is_empty() => Value::Object(obj),
            (_, last) => {
                rows.extend(last);
                Value::Array(rows.into_iter().map(Value::Object).collect())
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the top-level `[`.
    Before,
    /// In the top-level array of entries.
    Top,
    /// In the one entry `[kind, result..., tag]`.
    Entry,
    /// In an array of rows inside the entry.
    Rows,
    /// After the top-level `]`: only whitespace may follow.
    Done,
}

/// What may come next inside an array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Right after `[`: a value or `]`.
    First,
    /// After a value: `,` or `]`.
    Next,
    /// After `,`: a value.
    Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Unknown,
    Response,
    Error,
}

/// A value being read whole: a row, the entry's type, the error detail or the tag.
#[derive(Clone, Copy, Debug, Default)]
struct Capture {
    depth: u32,
    in_str: bool,
    esc: bool,
    scalar: bool,
}

/// The one reply parser, fed the body chunk by chunk as it arrives. Rows are handed
/// over as soon as their closing `}` is read, so a reply never has to exist whole in
/// memory: only one row (at most `max_value` bytes) is held at a time.
///
/// The rules: the body is `[entry]` with exactly one entry; an entry is
/// `[kind, item..., tag]` with at least three items and a string tag last. A
/// `doveadmResponse` result is arrays of row objects, loose row objects (Dovecot 2.3's
/// grouped `who` closes the rows array after the first row and sends the other rows
/// as siblings), or one object (`user`). An `error` entry's second item is
/// `{"type": ..., "exitCode": N}`. Anything else, and anything cut short, is a
/// protocol error (exit 76); an empty body is a connection closed without a reply.
pub struct ReplyParser {
    command: String,
    max_value: usize,
    state: State,
    expect: Expect,
    capture: Option<Capture>,
    buf: Vec<u8>,
    /// Bytes fed so far (for messages).
    offset: u64,
    /// Whether anything but whitespace arrived.
    seen: bool,
    entries: usize,
    kind: Kind,
    /// Items of the entry so far, the type included.
    items: usize,
    /// The last item was a string: the tag, if the entry ends here.
    pending_tag: bool,
    result_items: usize,
    object_result: bool,
    detail: Option<Value>,
}

impl ReplyParser {
    /// A parser for the reply to `command`; one value (a row, say) may hold at most
    /// `max_value` bytes.
    pub fn new(command: &str, max_value: usize) -> Self {
        ReplyParser {
            command: command.to_string(),
            max_value,
            state: State::Before,
            expect: Expect::First,
            capture: None,
            buf: Vec::new(),
            offset: 0,
            seen: false,
            entries: 0,
            kind: Kind::Unknown,
            items: 0,
            pending_tag: false,
            result_items: 0,
            object_result: false,
            detail: None,
        }
    }

    /// Reads the next bytes of the body; hands each complete row to `on_row`. An error
    /// from `on_row` (e.g. a closed pipe) comes back unchanged.
    pub fn feed(
        &mut self,
        data: &[u8],
        on_row: &mut dyn FnMut(Map<String, Value>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut rest = data;
        while !rest.is_empty() {
            if let Some(cap) = &mut self.capture {
                let (used, done) = scan(cap, rest);
                let (value, tail) = rest.split_at_checked(used).unwrap_or((rest, &[]));
                if self.buf.len().saturating_add(value.len()) > self.max_value {
                    return Err(Error::TooLarge(format!(
                        "one value in the reply to `{}` is larger than {} (one row may take a sixteenth of --max-reply-size)",
                        self.command,
                        size(self.max_value as u64)
                    )));
                }
                self.buf.extend_from_slice(value);
                self.offset = self.offset.saturating_add(value.len() as u64);
                rest = tail;
                if done {
                    self.capture = None;
                    self.value_done(on_row)?;
                }
                continue;
            }
            let Some((&b, tail)) = rest.split_first() else {
                break;
            };
            self.offset = self.offset.saturating_add(1);
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.seen = true;
                self.structural(b, rest)?;
            }
            rest = tail;
        }
        Ok(())
    }

    /// Ends the body: the result's shape, or the error the reply holds.
    pub fn finish(self) -> Result<Shape, Error> {
        if self.state != State::Done {
            if !self.seen {
                return Err(Error::Unavailable(format!(
                    "the server closed the connection without a reply to `{}`; its worker may have died: see `rdoveadm log errors` or the server log",
                    self.command
                )));
            }
            return Err(Error::Protocol(format!(
                "the reply to `{}` is truncated (after {} bytes)",
                self.command, self.offset
            )));
        }
        if self.kind == Kind::Error {
            return Err(server_error(&self.command, self.detail.as_ref()));
        }
        Ok(if self.object_result {
            Shape::Object
        } else {
            Shape::Rows
        })
    }

    fn malformed(&self, what: &str) -> Error {
        Error::Protocol(format!(
            "the reply to `{}` is malformed: {what}",
            self.command
        ))
    }

    /// A byte outside any value: brackets and commas of the envelope.
    fn structural(&mut self, b: u8, rest: &[u8]) -> Result<(), Error> {
        let starts_value = matches!(
            b,
            b'[' | b'{' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
        );
        let want_value = matches!(self.expect, Expect::First | Expect::Value);
        match self.state {
            State::Before => {
                if b != b'[' {
                    let what = if starts_value {
                        "is not a JSON array"
                    } else {
                        "is not JSON"
                    };
                    let start = String::from_utf8_lossy(rest.get(..200).unwrap_or(rest));
                    return Err(Error::Protocol(format!(
                        "the reply to `{}` {what}: `{}`",
                        self.command,
                        bounded(&escape_message(&start), 80)
                    )));
                }
                self.state = State::Top;
                self.expect = Expect::First;
            }
            State::Top => match b {
                b'[' if want_value => {
                    self.entries += 1;
                    if self.entries > 1 {
                        return Err(self.malformed("more than one reply entry"));
                    }
                    self.state = State::Entry;
                    self.expect = Expect::First;
                }
                b']' if self.expect == Expect::Next => self.state = State::Done,
                b']' if self.expect == Expect::First => {
                    return Err(self.malformed("no reply entry"))
                }
                b',' if self.expect == Expect::Next => self.expect = Expect::Value,
                _ if want_value && starts_value => {
                    return Err(self.malformed("the reply entry is not an array"))
                }
                _ => return Err(self.unexpected(b)),
            },
            State::Entry => match b {
                b']' if self.expect != Expect::Value => {
                    self.end_entry()?;
                    self.state = State::Top;
                    self.expect = Expect::Next;
                }
                b',' if self.expect == Expect::Next => self.expect = Expect::Value,
                _ if want_value && starts_value => self.start_item(b)?,
                _ => return Err(self.unexpected(b)),
            },
            State::Rows => match b {
                b']' if self.expect != Expect::Value => {
                    self.state = State::Entry;
                    self.expect = Expect::Next;
                }
                b',' if self.expect == Expect::Next => self.expect = Expect::Value,
                _ if want_value && starts_value => self.start_capture(b),
                _ => return Err(self.unexpected(b)),
            },
            State::Done => return Err(self.malformed("data after the reply")),
        }
        Ok(())
    }

    fn unexpected(&self, b: u8) -> Error {
        let shown = if b.is_ascii_graphic() {
            (b as char).to_string()
        } else {
            format!("\\x{b:02x}")
        };
        self.malformed(&format!("unexpected `{shown}` at byte {}", self.offset))
    }

    fn start_capture(&mut self, b: u8) {
        self.buf.clear();
        self.buf.push(b);
        self.capture = Some(match b {
            b'"' => Capture {
                in_str: true,
                ..Capture::default()
            },
            b'[' | b'{' => Capture {
                depth: 1,
                ..Capture::default()
            },
            _ => Capture {
                scalar: true,
                ..Capture::default()
            },
        });
    }

    /// An item of the entry begins.
    fn start_item(&mut self, b: u8) -> Result<(), Error> {
        self.items += 1;
        if self.items > 1 && self.kind == Kind::Response {
            if self.pending_tag {
                return Err(self.malformed("text inside the result"));
            }
            if b == b'[' {
                self.note_result(false);
                self.state = State::Rows;
                self.expect = Expect::First;
                return Ok(());
            }
        }
        self.start_capture(b);
        Ok(())
    }

    fn note_result(&mut self, object: bool) {
        self.result_items += 1;
        self.object_result = object && self.result_items == 1;
    }

    /// A value read whole: a row, or an item of the entry.
    fn value_done(
        &mut self,
        on_row: &mut dyn FnMut(Map<String, Value>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.expect = Expect::Next;
        let first = self.buf.first().copied();
        let result = if self.state == State::Rows {
            if first != Some(b'{') {
                return Err(self.malformed("a row that is not an object"));
            }
            let row = self.parse::<Map<String, Value>>()?;
            on_row(row)
        } else if self.items == 1 {
            match self.parse::<Value>()? {
                Value::String(k) if k == "doveadmResponse" => {
                    self.kind = Kind::Response;
                    Ok(())
                }
                Value::String(k) if k == "error" => {
                    self.kind = Kind::Error;
                    Ok(())
                }
                Value::String(other) => Err(Error::Protocol(format!(
                    "unknown reply type `{}` for `{}`",
                    bounded(&escape_message(&other), 100),
                    self.command
                ))),
                _ => Err(self.malformed("the reply entry has no type")),
            }
        } else {
            self.pending_tag = first == Some(b'"');
            match self.kind {
                Kind::Response if first == Some(b'{') => {
                    let obj = self.parse::<Map<String, Value>>()?;
                    self.note_result(true);
                    on_row(obj)
                }
                Kind::Response if self.pending_tag => self.parse::<String>().map(|_| ()),
                Kind::Response => Err(self.malformed("the result is neither rows nor an object")),
                _ if self.items == 2 => {
                    self.detail = Some(self.parse::<Value>()?);
                    Ok(())
                }
                _ => self.parse::<serde::de::IgnoredAny>().map(|_| ()),
            }
        };
        if self.buf.capacity() > 1 << 20 {
            self.buf = Vec::new();
        }
        result
    }

    fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.buf).map_err(|e| self.malformed(&e.to_string()))
    }

    fn end_entry(&self) -> Result<(), Error> {
        if self.items < 3 {
            return Err(self.malformed(&format!(
                "the reply entry has {} items, expected at least 3",
                self.items
            )));
        }
        if !self.pending_tag {
            return Err(self.malformed("the reply entry has no tag"));
        }
        Ok(())
    }
}

/// Finds where the value being captured ends in `bytes`: how many bytes belong to it,
/// and whether it is complete. A scalar ends before its delimiter.
fn scan(cap: &mut Capture, bytes: &[u8]) -> (usize, bool) {
    let mut j: usize = 0;
    while let Some(&b) = bytes.get(j) {
        if cap.scalar {
            if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                return (j, true);
            }
        } else if cap.in_str {
            if cap.esc {
                cap.esc = false;
            } else {
                // Skip plain string bytes fast.
                let special = bytes
                    .get(j..)
                    .and_then(|r| r.iter().position(|&c| c == b'"' || c == b'\\'));
                let Some(p) = special else {
                    return (bytes.len(), false);
                };
                j = j.saturating_add(p);
                if bytes.get(j) == Some(&b'\\') {
                    cap.esc = true;
                } else {
                    cap.in_str = false;
                    if cap.depth == 0 {
                        return (j.saturating_add(1), true);
                    }
                }
            }
        } else {
            match b {
                b'"' => cap.in_str = true,
                b'{' | b'[' => cap.depth = cap.depth.saturating_add(1),
                b'}' | b']' => {
                    cap.depth = cap.depth.saturating_sub(1);
                    if cap.depth == 0 {
                        return (j.saturating_add(1), true);
                    }
                }
                _ => {}
            }
        }
        j = j.saturating_add(1);
    }
    (bytes.len(), false)
}

/// About how many bytes of memory a parsed row takes (allocations, their bookkeeping,
/// its place in the list of rows): a short-valued row takes ten times its JSON text
/// or more. Measured: `{"username":"b","service":"imap"}` rows weigh 532 and take
/// about 550 bytes each.
pub fn weight(row: &Map<String, Value>) -> u64 {
    fn value(v: &Value) -> u64 {
        match v {
            Value::String(s) => 48 + s.len() as u64,
            Value::Array(a) => 48 + a.iter().map(value).sum::<u64>(),
            Value::Object(o) => object(o),
            _ => 16,
        }
    }
    fn object(o: &Map<String, Value>) -> u64 {
        224 + o
            .iter()
            .map(|(k, v)| 96 + k.len() as u64 + value(v))
            .sum::<u64>()
    }
    object(row)
}

/// A byte count as `--max-reply-size` takes it: `1G`, `64M`, `512K` or bytes.
pub fn size(n: u64) -> String {
    for (unit, shift) in [("G", 30), ("M", 20), ("K", 10)] {
        if n >= 1 << shift && n % (1 << shift) == 0 {
            return format!("{}{unit}", n >> shift);
        }
    }
    format!("{n} bytes")
}

/// Maps an error entry to a typed error. Keys off `type`: the `exitCode` of the
/// non-`exitCode` types is stale (often 0).
fn server_error(command: &str, detail: Option<&Value>) -> Error {
    let kind = detail
        .and_then(|d| d.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let command = command.to_string();
    match kind {
        "exitCode" => {
            let code = detail.and_then(|d| d.get("exitCode")).and_then(|c| {
                c.as_i64()
                    .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
            });
            match code {
                // A code that doesn't fit is doveadm's "unknown" (-1), not a wrapped number.
                Some(code) => Error::Server {
                    command,
                    code: i32::try_from(code).unwrap_or(-1),
                },
                None => {
                    Error::Protocol(format!("error reply for `{command}` without an exit code"))
                }
            }
        }
        // A plugin's command (`quotaGet`) is unknown when the server has not loaded the
        // plugin: doveadm's 75, as the `doveadm` subcommand answers before sending.
        "unknownMethod" => match crate::doveadm::plugin_command(&command) {
            Some((name, plugin)) => crate::doveadm::plugin_not_loaded(name, plugin),
            None => Error::UnknownMethod(command),
        },
        "invalidRequest" => Error::InvalidRequest(command),
        "unAuthorized" => Error::NotAllowed(command),
        "internalError" => Error::Internal(command),
        other => Error::Protocol(format!(
            "unknown error type `{}` for `{command}`",
            bounded(&escape_message(other), 100)
        )),
    }
}

/// What `GET /doveadm/v1` advertises: command name and its (parameter, type) list.
pub type Schema = Vec<(String, Vec<(String, String)>)>;

/// Reads the command list of `GET /doveadm/v1`.
pub fn parse_schema(body: &[u8]) -> Result<Schema, Error> {
    let top: Value = serde_json::from_slice(body)
        .map_err(|e| Error::Protocol(format!("the command list is not JSON ({e})")))?;
    let Value::Array(cmds) = top else {
        return Err(Error::Protocol(
            "the command list is not a JSON array".into(),
        ));
    };
    let mut out = Vec::with_capacity(cmds.len());
    for c in cmds {
        let name = c
            .get("command")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Protocol("a command list entry has no `command` name".into()))?;
        let params = c
            .get("parameters")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| {
                        Some((
                            p.get("name")?.as_str()?.to_string(),
                            p.get("type")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push((name.to_string(), params));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: &str) -> Result<Value, Error> {
        parse_reply("who", body.as_bytes())
    }

    /// Rows handed over and the outcome's exit code, feeding `body` in the given pieces.
    fn fed(body: &[u8], cuts: &[usize], max_value: usize) -> (Vec<Value>, Result<Shape, i32>) {
        let mut rows = Vec::new();
        let mut p = ReplyParser::new("who", max_value);
        let mut at = 0;
        for &cut in cuts.iter().chain([&body.len()]) {
            let r = p.feed(&body[at..cut], &mut |r| {
                rows.push(Value::Object(r));
                Ok(())
            });
            if let Err(e) = r {
                return (rows, Err(e.exit_code()));
            }
            at = cut;
        }
        (rows, p.finish().map_err(|e| e.exit_code()))
    }

    /// Bodies that exercise every state of the parser.
    const BODIES: &[&str] = &[
        r#"[["doveadmResponse",[{"mailbox":"INBOX"},{"mailbox":"Archive"}],"t"]]"#,
        r#" [ [ "doveadmResponse" , [ { "a" : "x\"]}" } , {"b":["[","{"]} ] , "t" ] ] "#,
        r#"[["doveadmResponse",[{"username":"carol"}],{"username":"bob"},{"username":"alice"},"w1"]]"#,
        r#"[["doveadmResponse",{"userList":["a","b"]},"t"]]"#,
        r#"[["doveadmResponse",[],"t"]]"#,
        r#"[["error",{"type":"exitCode", "exitCode":67},"t"]]"#,
        r#"[["error",{"type":"unknownMethod","exitCode":0},"t"]]"#,
        r#"[["error",{"type":"exitCode","exitCode":67}]]"#,
        r#"[["doveadmResponse","",""]]"#,
        r#"[["doveadmResponse",[{"a":1}],5]]"#,
        r#"[["doveadmResponse",[{"a":"b"}"#,
        r#"[["doveadmResponse",[1],"t"]]"#,
        r#"[["doveadmResponse",[]]]"#,
        r#"[["doveadmResponse",[],"t"]] x"#,
        r#"[["doveadmResponse",[],"t"],["doveadmResponse",[],"t"]]"#,
        r#"[["doveadmResponse",[{"a":"b"},],"t"]]"#,
        r#"[["doveadmResponse",[{"a":tru}],"t"]]"#,
        r#"[["doveadmResponse",[{"a":"\u00e9\\"}],"t"]]"#,
        "[]",
        "[1]",
        "[[1,2]]",
        "{}",
        "<html>oops</html>",
        "  \n",
        "",
    ];

    #[test]
    fn every_split_of_the_body_gives_the_same_outcome() {
        for body in BODIES {
            let b = body.as_bytes();
            let whole = fed(b, &[], usize::MAX);
            for cut in 0..=b.len() {
                assert_eq!(fed(b, &[cut], usize::MAX), whole, "{body} cut at {cut}");
            }
            let bytewise: Vec<usize> = (1..b.len()).collect();
            assert_eq!(fed(b, &bytewise, usize::MAX), whole, "{body} byte by byte");
        }
    }

    #[test]
    fn the_tree_and_the_stream_agree() {
        for body in BODIES {
            let tree = parse(body).map_err(|e| e.exit_code());
            let mut rows = Vec::new();
            let streamed = stream_rows("who", body.as_bytes(), &mut |r| {
                rows.push(r);
                Ok(())
            })
            .map_err(|e| e.exit_code());
            match (&tree, streamed) {
                (Ok(v), Ok(())) => {
                    let as_rows = match v {
                        Value::Object(o) => vec![o.clone()],
                        Value::Array(a) => {
                            a.iter().filter_map(|r| r.as_object().cloned()).collect()
                        }
                        _ => panic!("{body}: {v}"),
                    };
                    assert_eq!(as_rows, rows, "{body}");
                }
                (Err(a), Err(b)) => assert_eq!(*a, b, "{body}"),
                (t, s) => panic!("{body}: tree {t:?}, stream {s:?}"),
            }
        }
    }

    #[test]
    fn request_drops_false_booleans_and_keeps_the_rest() {
        let mut p = Map::new();
        p.insert("separateConnections".into(), json!(false));
        p.insert("mask".into(), json!(["a*"]));
        p.insert("allUsers".into(), json!(true));
        let body: Value = serde_json::from_slice(&request_body("who", &p)).unwrap();
        assert_eq!(
            body,
            json!([["who", {"mask": ["a*"], "allUsers": true}, TAG]])
        );
    }

    #[test]
    fn success_rows() {
        let v = parse(r#"[["doveadmResponse",[{"mailbox":"INBOX"},{"mailbox":"Archive"}],"t"]]"#)
            .unwrap();
        assert_eq!(v, json!([{"mailbox":"INBOX"},{"mailbox":"Archive"}]));
        let v = parse(BODIES[1]).unwrap();
        assert_eq!(v, json!([{"a":"x\"]}"},{"b":["[","{"]}]));
    }

    #[test]
    fn empty_result_is_no_rows() {
        assert_eq!(parse(r#"[["doveadmResponse",[],"t"]]"#).unwrap(), json!([]));
    }

    #[test]
    fn object_result_of_user() {
        let v = parse(r#"[["doveadmResponse",{"userList":["a","b"]},"t"]]"#).unwrap();
        assert_eq!(v, json!({"userList":["a","b"]}));
    }

    #[test]
    fn dovecot_23_who_framing_quirk_keeps_every_row() {
        let body = r#"[["doveadmResponse",[{"username":"carol"}],{"username":"bob"},{"username":"alice"},"w1"]]"#;
        let v = parse(body).unwrap();
        assert_eq!(
            v,
            json!([{"username":"carol"},{"username":"bob"},{"username":"alice"}])
        );
        let (rows, shape) = fed(body.as_bytes(), &[], usize::MAX);
        assert_eq!((rows.len(), shape), (3, Ok(Shape::Rows)));
    }

    #[test]
    fn exit_code_error_with_and_without_the_23_space() {
        for body in [
            r#"[["error",{"type":"exitCode", "exitCode":67},"t"]]"#,
            r#"[["error",{"type":"exitCode","exitCode":67},"t"]]"#,
            r#"[["error",{"type":"exitCode","exitCode":"67"},"t"]]"#,
        ] {
            match parse(body) {
                Err(Error::Server { code: 67, .. }) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        // A code that doesn't fit an i32 is "unknown", not a wrapped 67.
        let e = parse(r#"[["error",{"type":"exitCode","exitCode":4294967363},"t"]]"#).unwrap_err();
        assert_eq!(e.exit_code(), 1);
    }

    #[test]
    fn the_two_cases_the_old_parsers_disagreed_on_are_76() {
        for body in [
            r#"[["error",{"type":"exitCode","exitCode":67}]]"#,
            r#"[["doveadmResponse","",""]]"#,
        ] {
            assert_eq!(parse(body).unwrap_err().exit_code(), 76, "{body}");
            let e = stream_rows("who", body.as_bytes(), &mut |_| Ok(())).unwrap_err();
            assert_eq!(e.exit_code(), 76, "{body}");
        }
    }

    #[test]
    fn each_error_type() {
        let e = |t: &str| {
            parse(&format!(r#"[["error",{{"type":"{t}","exitCode":0}},"t"]]"#)).unwrap_err()
        };
        assert!(matches!(e("unknownMethod"), Error::UnknownMethod(_)));
        assert!(matches!(e("invalidRequest"), Error::InvalidRequest(_)));
        assert!(matches!(e("unAuthorized"), Error::NotAllowed(_)));
        assert!(matches!(e("internalError"), Error::Internal(_)));
        assert!(matches!(e("somethingNew"), Error::Protocol(_)));
        assert_eq!(e("unAuthorized").exit_code(), 77);
    }

    #[test]
    fn a_plugin_command_the_server_does_not_know_is_75_naming_the_plugin() {
        let unknown = serde_json::json!({"type": "unknownMethod"});
        let e = server_error("quotaRecalc", Some(&unknown));
        assert_eq!(e.exit_code(), 75);
        assert_eq!(
            e.to_string(),
            "`quota recalc`: the server has not loaded plugin quota (mail_plugins=quota)"
        );
        let e = server_error("aclGet", Some(&unknown));
        assert!(
            e.to_string().contains("plugin acl (mail_plugins=acl)"),
            "{e}"
        );
        // Not a plugin's: 64, as before.
        assert_eq!(server_error("bogusCmd", Some(&unknown)).exit_code(), 64);
    }

    #[test]
    fn server_text_in_errors_is_escaped_and_bounded() {
        let long = "x".repeat(5000);
        for body in [
            format!(r#"[["error",{{"type":"\u001b]0;pwned\u0007{long}","exitCode":0}},"t"]]"#),
            format!(r#"[["\u001b[2J{long}",{{}},"t"]]"#),
            format!("\x1b[2J<html>{long}"),
        ] {
            let msg = parse(&body).unwrap_err().to_string();
            assert!(!msg.chars().any(crate::text::is_unsafe), "{msg}");
            assert!(msg.len() < 600, "{}", msg.len());
        }
    }

    #[test]
    fn empty_body_is_a_closed_connection() {
        let e = parse("").unwrap_err();
        assert!(matches!(e, Error::Unavailable(_)));
        assert_eq!(e.exit_code(), 75);
    }

    #[test]
    fn garbage_and_truncation_are_protocol_errors() {
        for body in [
            "<html>oops</html>",
            r#"[["doveadmResponse",[{"a":"b"}"#,
            "{}",
            "[1]",
            "[[1,2]]",
            r#"[["doveadmResponse",[],5]]"#,
            r#"[["doveadmResponse",[1],"t"]]"#,
            r#"[["doveadmResponse",[]]]"#,
            "[]",
        ] {
            let e = parse(body).unwrap_err();
            assert_eq!(e.exit_code(), 76, "{body}: {e}");
        }
        assert!(parse(r#"[["doveadmResponse",[{"a":"b"}"#)
            .unwrap_err()
            .to_string()
            .contains("truncated"));
    }

    #[test]
    fn a_value_past_the_limit_stops_the_parser() {
        let body = format!(
            r#"[["doveadmResponse",[{{"a":"{}"}}],"t"]]"#,
            "b".repeat(100)
        );
        let (_, r) = fed(body.as_bytes(), &[], 64);
        assert_eq!(r, Err(76));
        let mut p = ReplyParser::new("fetch", 64);
        let e = p.feed(body.as_bytes(), &mut |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("larger than 64 bytes"), "{e}");
        // Many small rows pass one limit of the row size.
        let body = format!(
            r#"[["doveadmResponse",[{}],"t"]]"#,
            vec![r#"{"a":"b"}"#; 1000].join(",")
        );
        let (rows, r) = fed(body.as_bytes(), &[], 64);
        assert_eq!((rows.len(), r), (1000, Ok(Shape::Rows)));
    }

    #[test]
    fn a_callback_error_comes_back_as_itself() {
        let e = stream_rows(
            "who",
            br#"[["doveadmResponse",[{"a":"1"}],"t"]]"#,
            &mut |_| Err(Error::BrokenPipe),
        )
        .unwrap_err();
        assert!(matches!(e, Error::BrokenPipe));
    }

    #[test]
    fn sizes_read_like_the_flag() {
        assert_eq!(size(1 << 30), "1G");
        assert_eq!(size(64 << 20), "64M");
        assert_eq!(size(1536), "1536 bytes");
        assert_eq!(size(2048), "2K");
    }

    #[test]
    fn schema_lists_commands_and_types() {
        let s =
            parse_schema(br#"[{"command":"who","parameters":[{"name":"mask","type":"array"}]}]"#)
                .unwrap();
        assert_eq!(
            s,
            vec![(
                "who".to_string(),
                vec![("mask".to_string(), "array".to_string())]
            )]
        );
    }
}

/// The parser against an independent reading of the same rules on serde_json's tree,
/// for generated bodies fed in random pieces.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// The rules of [`ReplyParser`], read off a whole tree: rows and shape, or the exit code.
    fn reference(body: &[u8]) -> Result<(Vec<Map<String, Value>>, Shape), i32> {
        if body
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            return Err(75);
        }
        let top: Value = serde_json::from_slice(body).map_err(|_| 76)?;
        let Value::Array(entries) = top else {
            return Err(76);
        };
        let [Value::Array(entry)] = entries.as_slice() else {
            return Err(76);
        };
        if entry.len() < 3 || !entry[entry.len() - 1].is_string() {
            return Err(76);
        }
        let middle = &entry[1..entry.len() - 1];
        match entry[0].as_str() {
            Some("doveadmResponse") => {
                let mut rows = Vec::new();
                for item in middle {
                    match item {
                        Value::Array(a) => {
                            for r in a {
                                rows.push(r.as_object().ok_or(76)?.clone());
                            }
                        }
                        Value::Object(o) => rows.push(o.clone()),
                        _ => return Err(76),
                    }
                }
                let shape = match middle {
                    [Value::Object(_)] => Shape::Object,
                    _ => Shape::Rows,
                };
                Ok((rows, shape))
            }
            Some("error") => Err(server_error("who", middle.first()).exit_code()),
            _ => Err(76),
        }
    }

    /// What the parser makes of `body` fed in the pieces `cuts` mark.
    fn incremental(body: &[u8], cuts: &[usize]) -> Result<(Vec<Map<String, Value>>, Shape), i32> {
        let mut rows = Vec::new();
        let mut p = ReplyParser::new("who", usize::MAX);
        let mut at = 0;
        for &cut in cuts.iter().chain([&body.len()]) {
            let cut = cut.clamp(at, body.len());
            p.feed(&body[at..cut], &mut |r| {
                rows.push(r);
                Ok(())
            })
            .map_err(|e| e.exit_code())?;
            at = cut;
        }
        let shape = p.finish().map_err(|e| e.exit_code())?;
        Ok((rows, shape))
    }

    const TOKENS: &[&str] = &[
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        " ",
        "\n",
        "\"doveadmResponse\"",
        "\"error\"",
        "\"t\"",
        "\"\"",
        "\"a\"",
        "\"x\\\"]}\"",
        "\"\\\\\"",
        "1",
        "-2.5e3",
        "null",
        "true",
        "[]",
        "{}",
        "{\"a\":\"b\"}",
        "{\"a\":[1,{\"b\":\"]\"}]}",
        "{\"type\":\"exitCode\",\"exitCode\":67}",
        "{\"type\":\"unknownMethod\",\"exitCode\":0}",
        "\"\\u00e9\"",
        "\u{e9}",
        "\"",
        "\\",
        "x",
    ];

    fn soup() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|t| t.concat())
    }

    fn row() -> impl Strategy<Value = String> {
        let value = prop_oneof![
            "[a-z\\]\\[{}\" ]{0,8}".prop_map(|s| Value::String(s).to_string()),
            any::<i32>().prop_map(|n| n.to_string()),
            Just("[\"]\",{\"}\":1}]".to_string()),
        ];
        prop::collection::vec(("[a-z\"\\\\]{0,4}", value), 0..4).prop_map(|kv| {
            let fields: Vec<String> = kv
                .into_iter()
                .map(|(k, v)| format!("{}:{v}", Value::String(k)))
                .collect();
            format!("{{{}}}", fields.join(","))
        })
    }

    /// Envelopes close to what a server sends, then perhaps cut or with one byte changed.
    fn envelope() -> impl Strategy<Value = String> {
        let item = prop_oneof![
            prop::collection::vec(row(), 0..4).prop_map(|r| format!("[{}]", r.join(","))),
            row(),
            Just("\"t\"".to_string()),
            Just("{\"type\":\"exitCode\",\"exitCode\":68}".to_string()),
            Just("7".to_string()),
        ];
        let kind = prop::sample::select(vec!["\"doveadmResponse\"", "\"error\"", "\"other\"", "5"]);
        (
            kind,
            prop::collection::vec(item, 0..4),
            any::<bool>(),
            any::<prop::sample::Index>(),
            0u8..4,
            any::<u8>(),
        )
            .prop_map(|(kind, items, tag, at, damage, byte)| {
                let mut parts = vec![kind.to_string()];
                parts.extend(items);
                if tag {
                    parts.push("\"w1\"".into());
                }
                let mut body = format!("[[{}]]", parts.join(",")).into_bytes();
                let i = at.index(body.len() + 1);
                match damage {
                    0 => body.truncate(i),
                    1 if i < body.len() => body[i] = byte,
                    _ => {}
                }
                String::from_utf8_lossy(&body).into_owned()
            })
    }

    proptest! {
        #[test]
        fn agrees_with_the_tree_reading_in_any_pieces(
            body in prop_oneof![soup(), envelope()],
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let b = body.as_bytes();
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(b.len() + 1)).collect();
            cuts.sort_unstable();
            let want = reference(b);
            let got = incremental(b, &cuts);
            match (&want, &got) {
                (Ok(w), Ok(g)) => prop_assert_eq!(w, g),
                (Err(w), Err(g)) => prop_assert_eq!(w, g),
                _ => prop_assert!(false, "{body:?}: reference {want:?}, parser {got:?}"),
            }
            // The public entry points give the same answer.
            prop_assert_eq!(parse_reply("who", b).is_ok(), want.is_ok());
        }
    }
}
