//! The streaming reply parser: a state machine over the envelope's brackets and
//! commas, and a scanner that finds where each captured value (a row, the type, the
//! error detail, the tag) ends, so rows are handed over while the body still arrives.
//! Separate from `mod.rs` because it is the one part of the wire format with state.

use serde_json::{Map, Value};

use super::{server_error, size, Shape};
use crate::error::Error;
use crate::text::{bounded, escape_message};

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use super::super::{parse_reply, stream_rows};

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
}
