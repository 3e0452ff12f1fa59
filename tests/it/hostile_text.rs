//! Untrusted text from a real Dovecot: a mail whose Subject carries terminal escape
//! sequences, a C1 control, a bidi override and emoji with VS16 (appended over IMAP),
//! and a mailbox named with emoji, shown by `fetch`, `mailbox list` and `mailbox
//! status` in every format on a real pty (util-linux `script`) at 40, 80 and 200
//! columns: no panic, nothing a terminal would act on, no table line wider than the
//! terminal, and json that gives back the exact text.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::harness::{versions, Dovecot};

const ALICE: &str = "alice@example.org";

/// CSI colour, an OSC window title ended by BEL, a C1 CSI (U+009B), a right-to-left
/// override, and the reported panic's emoji.
const SUBJECT: &str = "\u{1b}[31mRED\u{1b}[0m \u{1b}]0;pwned\u{7} \u{9b}2J \u{202e}gpj.exe ⚠️⚠️ Your account will be suspended unless you verify it today";

const MAILBOX: &str = "❤️❤️ Family";

const FORMATS: [&str; 5] = ["table", "tab", "flow", "json", "jsonl"];

const WIDTHS: [u16; 3] = [40, 80, 200];

/// What a run on a pty printed (stdout and stderr together, as a terminal shows them).
struct Shown {
    code: i32,
    text: String,
}

/// Runs rdoveadm on a new pty of `cols` columns.
fn on_pty(d: &Dovecot, cols: u16, args: &[&str]) -> Shown {
    let mut words = vec![env!("CARGO_BIN_EXE_rdoveadm").to_string()];
    if let Some(ca) = d.vars.get("SANDBOX_CACERT") {
        words.extend(["--cacert".to_string(), ca.clone()]);
    }
    words.extend(args.iter().map(|a| a.to_string()));
    let line = words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
    let home = std::env::temp_dir().join("rdoveadm-it-home");
    let out = Command::new("script")
        .args([
            "-qec",
            &format!("stty cols {cols} rows 50 && exec {line}"),
            "/dev/null",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("LANG", "C.UTF-8")
        .env("RDOVEADM_URL", d.url())
        .env("RDOVEADM_PASSWORD", d.password())
        .stdin(Stdio::null())
        .output()
        .expect("run script(1): util-linux must be installed");
    Shown {
        code: out.status.code().unwrap_or(-1),
        text: String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
    }
}

/// `w` quoted for sh.
fn quote(w: &str) -> String {
    format!("'{}'", w.replace('\'', r"'\''"))
}

/// Checks what a terminal was sent: exit 0, no panic, no byte it would act on (other
/// than the table's own bold header), and for `table` no line wider than `cols`.
fn check(what: &str, format: &str, cols: u16, s: &Shown) {
    let ctx = format!("{what} -f {format} at {cols} columns:\n{}", s.text);
    assert_eq!(s.code, 0, "exit code of {ctx}");
    assert!(!s.text.contains("panicked"), "{ctx}");
    let plain = s.text.replace("\x1b[1m", "").replace("\x1b[0m", "");
    let raw: Vec<char> = plain
        .chars()
        .filter(|&c| rdoveadm::text::is_unsafe(c) && c != '\n' && !(format == "tab" && c == '\t'))
        .collect();
    assert!(raw.is_empty(), "raw {raw:?} in {ctx}");
    if format == "table" {
        for l in plain.lines() {
            assert!(
                rdoveadm::text::width(l) <= usize::from(cols),
                "line of {} columns: {l}\n{ctx}",
                rdoveadm::text::width(l)
            );
        }
    }
}

/// The JSON values of a json or jsonl run.
fn parsed(format: &str, s: &Shown) -> Vec<Value> {
    match format {
        "json" => match serde_json::from_str(&s.text) {
            Ok(Value::Array(v)) => v,
            other => panic!("json output: {other:?}\n{}", s.text),
        },
        _ => s
            .text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect(),
    }
}

#[test]
fn hostile_subjects_and_mailbox_names_on_a_real_pty() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        d.rdoveadm()
            .args(["mailbox", "create", "-u", ALICE, MAILBOX])
            .run()
            .ok();
        let mut imap = d.imap_login(ALICE, "alicepw");
        imap.append(
            "INBOX",
            &format!("From: mallory@example.org\nTo: {ALICE}\nSubject: {SUBJECT}\nMessage-ID: <evil@test>\n\nclick here\n"),
        );
        let runs: [(&str, Vec<&str>); 3] = [
            (
                "fetch",
                vec![
                    "fetch",
                    "-u",
                    ALICE,
                    "uid hdr.subject",
                    "mailbox",
                    "INBOX",
                    "all",
                ],
            ),
            ("mailbox list", vec!["mailbox", "list", "-u", ALICE]),
            (
                "mailbox status",
                vec!["mailbox", "status", "-u", ALICE, "all", "*"],
            ),
        ];
        for (what, args) in &runs {
            for format in FORMATS {
                for cols in WIDTHS {
                    let mut a = vec!["-f", format];
                    a.extend(args.iter().copied());
                    let s = on_pty(&d, cols, &a);
                    check(&format!("{v}: {what}"), format, cols, &s);
                    if format.starts_with("json") {
                        let rows = parsed(format, &s);
                        match *what {
                            "fetch" => assert_eq!(
                                rows.iter()
                                    .map(|r| r["hdr.subject"].as_str())
                                    .collect::<Vec<_>>(),
                                [Some(SUBJECT)],
                                "{v}: {}",
                                s.text
                            ),
                            _ => assert!(
                                rows.iter().any(|r| r["mailbox"] == MAILBOX),
                                "{v}: {what}: {}",
                                s.text
                            ),
                        }
                    }
                }
            }
        }
        // What people see: the escapes, and the emoji whole.
        let s = on_pty(
            &d,
            200,
            &[
                "-f",
                "flow",
                "fetch",
                "-u",
                ALICE,
                "hdr.subject",
                "mailbox",
                "INBOX",
                "all",
            ],
        );
        assert!(
            s.text.contains("hdr.subject=\\x1b[31mRED\\x1b[0m \\x1b]0;pwned\\x07 \\u{009b}2J \\u{202e}gpj.exe ⚠️⚠️ Your account"),
            "{v}: {}", s.text
        );
        let s = on_pty(&d, 40, &["mailbox", "list", "-u", ALICE]);
        assert!(s.text.contains(&format!("│ {MAILBOX}")), "{v}: {}", s.text);
    }
}
