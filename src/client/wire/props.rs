//! The parser against an independent reading of the same rules on serde_json's tree,
//! for generated bodies fed in random pieces. Its own file: test-only code as long
//! as the parser it checks.

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
