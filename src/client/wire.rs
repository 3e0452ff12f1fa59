//! Wire format of the doveadm HTTP API (`POST /doveadm/v1`): request envelopes and
//! a tolerant reply parser. Pure: no I/O.
//!
//! Request: `[[command, {params}, tag]]`. Reply: `[["doveadmResponse", result, tag]]` or
//! `[["error", {"type": ..., "exitCode": N}, tag]]`, always HTTP 200.

use serde_json::{Map, Value};

use crate::error::Error;

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
    serde_json::to_vec(&body).expect("a JSON value always serialises")
}

/// Parses a reply body into the command's result (an array of rows, or the object
/// `user` returns), or the error the server reported for `command`.
pub fn parse_reply(command: &str, body: &[u8]) -> Result<Value, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Unavailable(format!(
            "the server closed the connection without a reply to `{command}`; its worker may have died: see `rdoveadm log errors` or the server log"
        )));
    }
    let top: Value = serde_json::from_slice(body).map_err(|e| {
        if e.is_eof() {
            Error::Protocol(format!("the reply to `{command}` is truncated ({e})"))
        } else {
            Error::Protocol(format!("the reply to `{command}` is not JSON ({e})"))
        }
    })?;
    let Value::Array(mut entries) = top else {
        return Err(Error::Protocol(format!(
            "the reply to `{command}` is not a JSON array"
        )));
    };
    if entries.len() != 1 {
        return Err(Error::Protocol(format!(
            "expected one reply entry for `{command}`, got {}",
            entries.len()
        )));
    }
    let Value::Array(entry) = entries.pop().unwrap_or_default() else {
        return Err(Error::Protocol(format!(
            "the reply entry for `{command}` is not an array"
        )));
    };
    parse_entry(command, entry)
}

/// One `[kind, result..., tag]` entry. Never assumes exactly three items: Dovecot 2.3's
/// grouped `who` closes the rows array after the first row and sends the remaining
/// rows as siblings before the tag (`["doveadmResponse",[{r1}],{r2},{r3},"tag"]`).
fn parse_entry(command: &str, mut entry: Vec<Value>) -> Result<Value, Error> {
    if entry.len() < 3 {
        return Err(Error::Protocol(format!(
            "the reply entry for `{command}` has {} items, expected at least 3",
            entry.len()
        )));
    }
    match entry.pop() {
        Some(Value::String(_)) => {}
        _ => {
            return Err(Error::Protocol(format!(
                "the reply entry for `{command}` has no tag"
            )))
        }
    }
    let kind = match entry.remove(0) {
        Value::String(s) => s,
        _ => {
            return Err(Error::Protocol(format!(
                "the reply entry for `{command}` has no type"
            )))
        }
    };
    match kind.as_str() {
        "doveadmResponse" => flatten_result(command, entry),
        "error" => Err(server_error(command, entry.first())),
        other => Err(Error::Protocol(format!(
            "unknown reply type `{other}` for `{command}`"
        ))),
    }
}

/// Joins the middle items of a success entry into one result.
fn flatten_result(command: &str, middle: Vec<Value>) -> Result<Value, Error> {
    let mut items = middle.into_iter();
    let first = items.next().unwrap_or(Value::Array(Vec::new()));
    let rest: Vec<Value> = items.collect();
    if rest.is_empty() {
        return match first {
            v @ (Value::Array(_) | Value::Object(_)) => Ok(v),
            _ => Err(Error::Protocol(format!(
                "the result of `{command}` is neither rows nor an object"
            ))),
        };
    }
    // The 2.3 `who` framing bug: [rows...] followed by loose row objects.
    let mut rows = match first {
        Value::Array(rows) => rows,
        obj @ Value::Object(_) => vec![obj],
        _ => {
            return Err(Error::Protocol(format!(
                "the result of `{command}` is malformed"
            )))
        }
    };
    for item in rest {
        match item {
            Value::Object(_) => rows.push(item),
            Value::Array(more) => rows.extend(more),
            _ => {
                return Err(Error::Protocol(format!(
                    "the result of `{command}` is malformed"
                )))
            }
        }
    }
    Ok(Value::Array(rows))
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
                Some(code) => Error::Server {
                    command,
                    code: code as i32,
                },
                None => {
                    Error::Protocol(format!("error reply for `{command}` without an exit code"))
                }
            }
        }
        "unknownMethod" => Error::UnknownMethod(command),
        "invalidRequest" => Error::InvalidRequest(command),
        "unAuthorized" => Error::NotAllowed(command),
        "internalError" => Error::Internal(command),
        other => Error::Protocol(format!("unknown error type `{other}` for `{command}`")),
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
    }

    #[test]
    fn exit_code_error_with_and_without_the_23_space() {
        for body in [
            r#"[["error",{"type":"exitCode", "exitCode":67},"t"]]"#,
            r#"[["error",{"type":"exitCode","exitCode":67},"t"]]"#,
        ] {
            match parse(body) {
                Err(Error::Server { code: 67, .. }) => {}
                other => panic!("unexpected {other:?}"),
            }
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

/// Parses a reply of a row command, handing each row to `on_row` as it is parsed, so
/// that a large reply never exists as one tree of values. Same rules as [`parse_reply`]
/// (including the Dovecot 2.3 `who` framing quirk); an object result (as `user` gives)
/// is handed over as one row.
pub fn stream_rows(
    command: &str,
    body: &[u8],
    on_row: &mut dyn FnMut(Map<String, Value>) -> Result<(), Error>,
) -> Result<(), Error> {
    use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
    use std::fmt;

    if body.iter().all(u8::is_ascii_whitespace) {
        return parse_reply(command, body).map(|_| ());
    }

    /// The outcome of the entry: rows went to the callback; an error entry is kept.
    struct Outer<'a, 'b> {
        command: &'a str,
        on_row: &'b mut dyn FnMut(Map<String, Value>) -> Result<(), Error>,
        failure: Option<Error>,
    }
    struct EntrySeed<'x, 'a, 'b>(&'x mut Outer<'a, 'b>);
    struct RowsSeed<'x, 'a, 'b>(&'x mut Outer<'a, 'b>);

    impl<'de> Visitor<'de> for &mut Outer<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON array of reply entries")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut n = 0;
            while seq.next_element_seed(EntrySeed(&mut *self))?.is_some() {
                n += 1;
            }
            if n != 1 {
                return Err(serde::de::Error::custom(format!(
                    "expected one reply entry, got {n}"
                )));
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for EntrySeed<'_, '_, '_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for EntrySeed<'_, '_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a reply entry [type, result..., tag]")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            use serde::de::Error as _;
            let kind: String = seq
                .next_element()?
                .ok_or_else(|| A::Error::custom("empty reply entry"))?;
            match kind.as_str() {
                "doveadmResponse" => {
                    // Items until the tag: arrays of rows or loose row objects (2.3 quirk).
                    let mut items = 0;
                    let mut tag = false;
                    while let Some(last_was_tag) = seq.next_element_seed(RowsSeed(&mut *self.0))? {
                        items += 1;
                        tag = last_was_tag;
                    }
                    if items < 2 || !tag {
                        return Err(A::Error::custom("the reply entry has no tag"));
                    }
                    Ok(())
                }
                "error" => {
                    let detail: Value = seq.next_element()?.unwrap_or(Value::Null);
                    while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                    self.0.failure = Some(server_error(self.0.command, Some(&detail)));
                    Ok(())
                }
                other => Err(A::Error::custom(format!("unknown reply type `{other}`"))),
            }
        }
    }
    /// One item of a success entry; returns whether it was the (string) tag.
    impl<'de> DeserializeSeed<'de> for RowsSeed<'_, '_, '_> {
        type Value = bool;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for RowsSeed<'_, '_, '_> {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("rows, a row or the tag")
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<bool, E> {
            Ok(true)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            use serde::de::Error as _;
            while let Some(v) = seq.next_element::<Value>()? {
                match v {
                    Value::Object(row) => {
                        (self.0.on_row)(row).map_err(|e| A::Error::custom(Passthrough::wrap(e)))?
                    }
                    _ => return Err(A::Error::custom("a row that is not an object")),
                }
            }
            Ok(false)
        }
        fn visit_map<M: serde::de::MapAccess<'de>>(self, map: M) -> Result<bool, M::Error> {
            use serde::de::Error as _;
            let row = Map::<String, Value>::deserialize(
                serde::de::value::MapAccessDeserializer::new(map),
            )?;
            (self.0.on_row)(row).map_err(|e| M::Error::custom(Passthrough::wrap(e)))?;
            Ok(false)
        }
    }

    use serde::Deserialize;
    let mut outer = Outer {
        command,
        on_row,
        failure: None,
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = (&mut de).deserialize_seq(&mut outer).and_then(|_| de.end());
    if let Err(e) = parsed {
        // An error from the callback (e.g. a closed pipe) comes back through serde's text.
        if let Some(err) = Passthrough::take(&e.to_string()) {
            return Err(err);
        }
        return Err(if e.is_eof() {
            Error::Protocol(format!("the reply to `{command}` is truncated ({e})"))
        } else {
            Error::Protocol(format!("the reply to `{command}` is malformed ({e})"))
        });
    }
    match outer.failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Carries a callback's error through serde's string-only custom errors.
struct Passthrough;

thread_local! {
    static PASSED: std::cell::RefCell<Option<Error>> = const { std::cell::RefCell::new(None) };
}

impl Passthrough {
    const MARK: &'static str = "rdoveadm-callback-error";
    fn wrap(e: Error) -> &'static str {
        PASSED.with(|p| *p.borrow_mut() = Some(e));
        Self::MARK
    }
    fn take(text: &str) -> Option<Error> {
        if text.contains(Self::MARK) {
            PASSED.with(|p| p.borrow_mut().take())
        } else {
            None
        }
    }
}

#[cfg(test)]
mod stream_tests {
    use super::*;

    fn collect(body: &str) -> Result<Vec<Value>, Error> {
        let mut rows = Vec::new();
        stream_rows("who", body.as_bytes(), &mut |r| {
            rows.push(Value::Object(r));
            Ok(())
        })?;
        Ok(rows)
    }

    #[test]
    fn streams_the_same_rows_as_the_tree_parser() {
        for body in [
            r#"[["doveadmResponse",[{"a":"1"},{"a":"2"}],"t"]]"#,
            r#"[["doveadmResponse",[{"username":"carol"}],{"username":"bob"},{"username":"alice"},"w1"]]"#,
            r#"[["doveadmResponse",[],"t"]]"#,
        ] {
            let tree = parse_reply("who", body.as_bytes()).unwrap();
            assert_eq!(Value::Array(collect(body).unwrap()), tree, "{body}");
        }
    }

    #[test]
    fn errors_match_the_tree_parser() {
        assert!(matches!(
            collect(r#"[["error",{"type":"exitCode", "exitCode":67},"t"]]"#),
            Err(Error::Server { code: 67, .. })
        ));
        assert!(matches!(
            collect(r#"[["error",{"type":"unknownMethod","exitCode":0},"t"]]"#),
            Err(Error::UnknownMethod(_))
        ));
        for bad in [
            "",
            "garbage",
            r#"[["doveadmResponse",[{"a":"b"}"#,
            r#"[["doveadmResponse",[1],"t"]]"#,
            r#"[["doveadmResponse",[]]]"#,
            "[]",
        ] {
            let e = collect(bad).unwrap_err();
            assert!(matches!(e.exit_code(), 75 | 76), "{bad}: {e}");
        }
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
