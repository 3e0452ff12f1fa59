//! Property tests: the parsers of hostile input and the renderers never panic. A
//! bounded run (a few hundred cases each, a few seconds in all) that is part of
//! `cargo test`; `fuzz/` (`scripts/fuzz`) runs the same code for millions of inputs.
//!
//! `PROPTEST_CASES=N` runs more cases.

mod fuzz_inputs;

use std::path::Path;

use fuzz_inputs::FORMATS;
use proptest::prelude::*;
use rdoveadm::cli::Format;
use rdoveadm::client::wire;
use rdoveadm::output;
use rdoveadm::probe::{imap, line, pop3};
use rdoveadm::settings::OutputSettings;
use serde_json::{json, Map, Value};

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        // A failure is shrunk, but not for minutes.
        max_shrink_iters: 2000,
        // A failure prints its minimal case; no `.proptest-regressions` file appears
        // in the tree (what fuzzing finds goes to fuzz/regressions/ by hand).
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Pieces that break naive width, cutting and escaping: wide and zero-width
/// characters, emoji with VS16 and ZWJ, combining marks, controls, C1, bidi.
const HARD: &[&str] = &[
    "a",
    "Z",
    " ",
    "\\",
    "\t",
    "\n",
    "\r",
    "\x1b",
    "\x1b[2J",
    "\x1b]0;x\x07",
    "\x07",
    "\x08",
    "\x7f",
    "\u{85}",
    "\u{9b}",
    "\u{200b}",
    "\u{200d}",
    "\u{202e}",
    "\u{2066}",
    "\u{fe0f}",
    "\u{301}",
    "⚠",
    "⚠️",
    "❤️",
    "👨‍👩‍👧",
    "🇩🇪",
    "漢",
    "ｱ",
    "é",
    "\u{0600}",
    "\u{ad}",
    "\u{fffd}",
];

/// Strings made of [`HARD`] pieces, or any Unicode.
fn hard_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(prop::sample::select(HARD), 0..24).prop_map(|v| v.concat()),
        1 => any::<String>(),
    ]
}

/// A JSON value shaped like a reply part: mostly strings, arrays and row objects.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(&["doveadmResponse", "error", "exitCode", "t", ""][..])
            .prop_map(Value::from),
        hard_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(&["type", "exitCode", "username", "a"][..]),
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

/// Reply bodies: near-valid envelopes, their truncations, and raw bytes.
fn reply_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => (json_value(), json_value(), any::<u8>()).prop_map(|(kind, rest, how)| {
            let kind = match how % 4 {
                0 => json!("doveadmResponse"),
                1 => json!("error"),
                _ => kind,
            };
            let mut entry = vec![kind];
            match rest {
                Value::Array(items) if how & 4 != 0 => entry.extend(items),
                other => entry.push(other),
            }
            if how & 8 != 0 {
                entry.push(json!("t"));
            }
            let body = json!([entry]).to_string().into_bytes();
            // Sometimes cut short, as a dying worker leaves it.
            let cut = if how & 16 != 0 { body.len() * usize::from(how) / 256 } else { body.len() };
            body[..cut].to_vec()
        }),
        1 => prop::collection::vec(any::<u8>(), 0..256),
    ]
}

fn rows() -> impl Strategy<Value = Vec<Map<String, Value>>> {
    let value = prop_oneof![
        6 => hard_string().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => Just(Value::Null),
    ];
    prop::collection::vec(
        prop::collection::vec((hard_string(), value), 0..5)
            .prop_map(|kv| kv.into_iter().collect::<Map<String, Value>>()),
        0..6,
    )
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn reply_parsers_never_panic_and_agree(
        body in reply_body(),
        chunks in prop::collection::vec(any::<u8>(), 1..8),
    ) {
        let (tree, streamed) = fuzz_inputs::reply(&body);
        prop_assert!(fuzz_inputs::agree(&tree, &streamed), "{:?} / {:?}", tree, streamed);
        // Fed as a socket hands it over, in chunks of any size: the same result.
        prop_assert_eq!(&tree, &fuzz_inputs::reply_chunked(&body, &chunks));
        match tree {
            // Every failure maps to an exit code of the documented table.
            Err(code) => prop_assert!((1..=255).contains(&code), "exit code {}", code),
            // What it accepts is JSON.
            Ok(_) => prop_assert!(serde_json::from_slice::<Value>(&body).is_ok()),
        }
    }

    #[test]
    fn schema_parser_never_panics(body in prop_oneof![
        json_value().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..256),
    ]) {
        let _ = wire::parse_schema(&body);
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn renderers_never_panic_at_any_width(
        rows in rows(),
        columns in prop::collection::vec(hard_string(), 0..3),
        width in 1u16..=200,
        header in any::<bool>(),
        color in any::<bool>(),
    ) {
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        for format in FORMATS {
            let settings = OutputSettings { format, header, width: Some(width), color, typed: false, explicit: true, tty: true };
            let mut buf = Vec::new();
            output::write_rows(output::sink(&settings, &columns, Box::new(&mut buf)), &rows)
                .expect("writing to a Vec never fails");
            let text = String::from_utf8(buf).expect("renderers write UTF-8");
            if matches!(format, Format::Json) {
                serde_json::from_str::<Value>(&text).expect("json output is JSON");
                continue;
            }
            if matches!(format, Format::Jsonl) {
                continue;
            }
            // Nothing a terminal acts on but the format's own newlines, tabs and bold.
            let raw = text.chars().find(|&c| {
                rdoveadm::text::is_unsafe(c)
                    && c != '\n'
                    && !(format == Format::Tab && c == '\t')
                    && !(color && c == '\u{1b}')
            });
            prop_assert!(raw.is_none(), "raw {:?} in {:?}:\n{}", raw, format, text);
            if format == Format::Table && !color {
                // No line wider than the terminal (the table's floor is 8 columns).
                let max = usize::from(width).max(8);
                for l in text.lines() {
                    prop_assert!(rdoveadm::text::width(l) <= max, "{} > {}: {:?}", rdoveadm::text::width(l), max, l);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn probe_line_splitting_never_panics(data in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut buf = data.clone();
        let mut taken = 0;
        while let Ok(Some(l)) = line::take_line(&mut buf) {
            prop_assert!(!l.contains('\n'));
            taken += 1;
        }
        prop_assert_eq!(taken, data.iter().filter(|&&b| b == b'\n').count());
    }

    #[test]
    fn imap_line_parsers_never_panic(lines in prop::collection::vec(
        prop_oneof![
            hard_string(),
            (prop::sample::select(&["* ", "p1 ", "* OK [CAPABILITY ", "* CAPABILITY ", "* BYE "][..]), hard_string())
                .prop_map(|(a, b)| format!("{a}{b}")),
        ],
        1..8,
    )) {
        let g = imap::parse_greeting(&lines[0]);
        let _ = imap::greeting_text(&lines[0]);
        prop_assert_eq!(imap::check_greeting(&lines[0]).is_ok(), g.ok);
        let mut reply = imap::CapabilityReply::new("p1");
        for l in &lines {
            let _ = imap::classify(l, "p1");
            let _ = imap::parse_capability_line(l);
            if let Some(Ok(caps)) = reply.feed(l) {
                let _ = imap::plaintext_login_offered(&caps);
                break;
            }
        }
    }

    #[test]
    fn pop3_line_parsers_never_panic(lines in prop::collection::vec(
        prop_oneof![
            hard_string(),
            (prop::sample::select(&["+OK", "+OK ", "-ERR ", ".", "..", "IMPLEMENTATION ", "SASL "][..]), hard_string())
                .prop_map(|(a, b)| format!("{a}{b}")),
        ],
        1..8,
    )) {
        let _ = pop3::greeting_text(&lines[0]);
        let _ = pop3::check_ok(lines[0].clone());
        let mut reply = pop3::CapaReply::default();
        for l in &lines {
            if let Some(Ok(Some(caps))) = reply.feed(l) {
                let _ = pop3::implementation(&caps);
                let _ = pop3::plaintext_login_offered(&caps);
                let _ = pop3::has(&caps, "STLS");
                break;
            }
        }
        let _ = pop3::implementation(&lines);
    }
}

/// The inputs of `fuzz/regressions/TARGET/`: what fuzzing found, kept as tests.
fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read(&p).expect("readable"),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn reply_regressions_never_panic() {
    for (_, data) in regressions("reply") {
        let _ = fuzz_inputs::reply(&data);
    }
}

/// Issue 10, "two parsers disagree": the inputs where they once did.
#[test]
fn reply_parsers_agree_on_the_regressions() {
    for (name, data) in regressions("reply") {
        let (tree, streamed) = fuzz_inputs::reply(&data);
        assert!(
            fuzz_inputs::agree(&tree, &streamed),
            "{name}: parse_reply {tree:?}, stream_rows {streamed:?}"
        );
        assert_eq!(tree, fuzz_inputs::reply_chunked(&data, &data), "{name}");
    }
}

#[test]
fn render_regressions_never_panic() {
    for (_, data) in regressions("render") {
        if let Some(case) = fuzz_inputs::render_case(&data) {
            fuzz_inputs::render(&case);
        }
    }
}
