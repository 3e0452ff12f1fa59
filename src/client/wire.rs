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
        return Err(Error::Protocol(format!("the reply to `{command}` is not a JSON array")));
    };
    if entries.len() != 1 {
        return Err(Error::Protocol(format!(
            "expected one reply entry for `{command}`, got {}",
            entries.len()
        )));
    }
    let Value::Array(entry) = entries.pop().unwrap_or_default() else {
        return Err(Error::Protocol(format!("the reply entry for `{command}` is not an array")));
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
        _ => return Err(Error::Protocol(format!("the reply entry for `{command}` has no tag"))),
    }
    let kind = match entry.remove(0) {
        Value::String(s) => s,
        _ => return Err(Error::Protocol(format!("the reply entry for `{command}` has no type"))),
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
        _ => return Err(Error::Protocol(format!("the result of `{command}` is malformed"))),
    };
    for item in rest {
        match item {
            Value::Object(_) => rows.push(item),
            Value::Array(more) => rows.extend(more),
            _ => return Err(Error::Protocol(format!("the result of `{command}` is malformed"))),
        }
    }
    Ok(Value::Array(rows))
}

/// Maps an error entry to a typed error. Keys off `type`: the `exitCode` of the
/// non-`exitCode` types is stale (often 0).
fn server_error(command: &str, detail: Option<&Value>) -> Error {
    let kind = detail.and_then(|d| d.get("type")).and_then(Value::as_str).unwrap_or("");
    let command = command.to_string();
    match kind {
        "exitCode" => {
            let code = detail
                .and_then(|d| d.get("exitCode"))
                .and_then(|c| c.as_i64().or_else(|| c.as_str().and_then(|s| s.parse().ok())));
            match code {
                Some(code) => Error::Server { command, code: code as i32 },
                None => Error::Protocol(format!("error reply for `{command}` without an exit code")),
            }
        }
        "unknownMethod" => Error::UnknownMethod(command),
        "invalidRequest" => Error::InvalidRequest(command),
        "unAuthorized" => Error::NotAllowed(command),
        "internalError" => Error::Internal(command),
        other => Error::Protocol(format!("unknown error type `{other}` for `{command}`")),
    }
}

/// Reads the command list of `GET /doveadm/v1` into (command, [(param, type)]).
pub fn parse_schema(body: &[u8]) -> Result<Vec<(String, Vec<(String, String)>)>, Error> {
    let top: Value = serde_json::from_slice(body)
        .map_err(|e| Error::Protocol(format!("the command list is not JSON ({e})")))?;
    let Value::Array(cmds) = top else {
        return Err(Error::Protocol("the command list is not a JSON array".into()));
    };
    let mut out = Vec::with_capacity(cmds.len());
    for c in cmds {
        let name = c.get("command").and_then(Value::as_str).ok_or_else(|| {
            Error::Protocol("a command list entry has no `command` name".into())
        })?;
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
        assert_eq!(body, json!([["who", {"mask": ["a*"], "allUsers": true}, TAG]]));
    }

    #[test]
    fn success_rows() {
        let v = parse(r#"[["doveadmResponse",[{"mailbox":"INBOX"},{"mailbox":"Archive"}],"t"]]"#).unwrap();
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
        assert_eq!(v, json!([{"username":"carol"},{"username":"bob"},{"username":"alice"}]));
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
        let e = |t: &str| parse(&format!(r#"[["error",{{"type":"{t}","exitCode":0}},"t"]]"#)).unwrap_err();
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
        for body in ["<html>oops</html>", r#"[["doveadmResponse",[{"a":"b"}"#, "{}", "[1]", "[[1,2]]", r#"[["doveadmResponse",[],5]]"#] {
            let e = parse(body).unwrap_err();
            assert_eq!(e.exit_code(), 76, "{body}: {e}");
        }
        assert!(parse(r#"[["doveadmResponse",[{"a":"b"}"#).unwrap_err().to_string().contains("truncated"));
    }

    #[test]
    fn schema_lists_commands_and_types() {
        let s = parse_schema(br#"[{"command":"who","parameters":[{"name":"mask","type":"array"}]}]"#).unwrap();
        assert_eq!(s, vec![("who".to_string(), vec![("mask".to_string(), "array".to_string())])]);
    }
}
