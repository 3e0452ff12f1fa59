//! Wire format of the doveadm HTTP API (`POST /doveadm/v1`): request envelopes and
//! the one reply parser, fed chunk by chunk as the body arrives. Pure: no I/O.
//!
//! Request: `[[command, {params}, tag]]`. Reply: `[["doveadmResponse", result, tag]]` or
//! `[["error", {"type": ..., "exitCode": N}, tag]]`, always HTTP 200.
//!
//! This file holds the request body, the whole-body entry points, the mapping of
//! error entries, the command list and the size arithmetic; the streaming parser's
//! state machine is in `parser`.

use serde_json::{Map, Value};

use crate::error::Error;
use crate::text::{bounded, escape_message};

mod parser;
#[cfg(test)]
mod props;

pub use parser::ReplyParser;

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
