//! User selection at scale (-u mask, -A, -F on 250 bulk users), `commands`, `api`,
//! and the confirmation prompt of destructive commands on a real terminal.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::harness::{versions, Dovecot};

const BULK: usize = 250;

/// Rows per user name.
fn per_user(v: &Value) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in v.as_array().unwrap() {
        let u = r["username"]
            .as_str()
            .unwrap_or_else(|| panic!("row without username: {r}"));
        *m.entry(u.to_string()).or_default() += 1;
    }
    m
}

#[test]
fn user_mask_all_users_and_user_file_on_250_users() {
    for v in versions() {
        let d = Dovecot::start(v, &["--users", &BULK.to_string()]);
        // -u with a wildcard: the server iterates; each row carries its username.
        let out = d
            .rdoveadm()
            .args(["-f", "json", "quota", "get", "-u", "u*@bulk.test"])
            .run()
            .ok();
        let m = per_user(&out.json());
        assert_eq!(m.len(), BULK, "{v}");
        assert!(
            m.values().all(|n| *n == 2),
            "two quota rows (STORAGE, MESSAGE) per user"
        );
        assert!(m.contains_key("u00001@bulk.test") && m.contains_key("u00250@bulk.test"));

        // -A: every user of the sandbox (250 bulk + 6 fixed).
        let out = d
            .rdoveadm()
            .args(["-f", "json", "mailbox", "list", "-A"])
            .run()
            .ok();
        let m = per_user(&out.json());
        assert_eq!(m.len(), BULK + 6, "{v}");

        // -F: a local file, run here per user, rows in file order with username first.
        let file = std::env::temp_dir().join(format!("rdoveadm-users-{}-{v}", std::process::id()));
        let mut text = String::from("# bulk users, one per line\n");
        for i in 1..=BULK {
            text.push_str(&format!("u{i:05}@bulk.test\n"));
        }
        std::fs::write(&file, text).unwrap();
        let out = d
            .rdoveadm()
            .args(["-f", "json", "quota", "get", "-F", file.to_str().unwrap()])
            .run()
            .ok();
        let rows = out.json();
        assert_eq!(per_user(&rows).len(), BULK);
        assert_eq!(rows[0]["username"], "u00001@bulk.test");
        assert_eq!(
            rows[2 * BULK - 1]["username"],
            format!("u{BULK:05}@bulk.test")
        );
        let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
        assert_eq!(keys[0], "username");
        // A file with one user: still one row per quota line, each with `username` first.
        std::fs::write(&file, "bob@example.org\n").unwrap();
        let out = d
            .rdoveadm()
            .args(["-f", "tab", "quota", "get", "-F", file.to_str().unwrap()])
            .run()
            .ok();
        let lines: Vec<&str> = out.stdout.lines().collect();
        // doveadm's titles: its `Username` column for several users, then quota's.
        assert_eq!(lines[0], "Username\tQuota name\tType\tValue\tLimit\t%");
        assert_eq!(lines.len(), 3, "{}", out.stdout);
        assert!(
            lines[1..]
                .iter()
                .all(|l| l.starts_with("bob@example.org\t")),
            "{}",
            out.stdout
        );
        // An unknown user in the file: the others' rows are still printed, exit 67.
        std::fs::write(
            &file,
            "alice@example.org\nnobody@example.org\nbob@example.org\n",
        )
        .unwrap();
        let out = d
            .rdoveadm()
            .args([
                "-f",
                "tab",
                "--no-header",
                "quota",
                "get",
                "-F",
                file.to_str().unwrap(),
            ])
            .run()
            .code(67);
        assert_eq!(out.stdout.lines().count(), 4, "{}", out.stdout);
        assert!(out.stderr.contains("nobody@example.org"), "{}", out.stderr);
        // A missing file: 66. None of -u/-A/-F: 64.
        let out = d
            .rdoveadm()
            .args(["quota", "get", "-F", "/nonexistent/users"])
            .run()
            .code(66);
        out.one_error_line();
        d.rdoveadm().args(["quota", "get"]).run().code(64);
        let _ = std::fs::remove_file(&file);
    }
}

#[test]
fn commands_lists_everything_the_server_advertises() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let out = d.rdoveadm().args(["-f", "json", "commands"]).run().ok();
        let ours: Vec<String> = out
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["command"].as_str().unwrap().to_string())
            .collect();
        // The same list, straight from the server with curl.
        let raw = Command::new("curl")
            .args(["-s", "-u", &format!("doveadm:{}", d.password()), d.url()])
            .output()
            .expect("curl");
        let theirs: Value = serde_json::from_slice(&raw.stdout).unwrap();
        let theirs: Vec<String> = theirs
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["command"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ours, theirs, "{v}");
        assert!(ours.len() > 90, "{v}: {} commands", ours.len());
        let who = out
            .json()
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["command"] == "who")
            .unwrap()
            .clone();
        assert!(who["parameters"].as_str().unwrap().contains("mask:array"));
    }
}

#[test]
fn api_passthrough_types_spellings_errors() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let rd = || d.rdoveadm().args(["-f", "json", "api"]);
        // Three spellings of one command.
        for name in ["quotaGet", "quota-get", "quota get"] {
            let out = rd().args([name, "user=alice@example.org"]).run().ok();
            assert_eq!(out.json().as_array().unwrap().len(), 2, "{name}");
        }
        // string + array (comma list) + array (repeated) + boolean.
        d.rdoveadm()
            .args(["mailbox", "create", "-u", "alice@example.org", "Sent"])
            .run()
            .ok();
        let out = rd()
            .args([
                "mailboxStatus",
                "user=alice@example.org",
                "field=messages,unseen",
                "mailboxMask=INBOX",
                "mailboxMask=Sent",
            ])
            .run()
            .ok();
        let rows = out.json();
        assert_eq!(rows.as_array().unwrap().len(), 2, "{rows}");
        assert_eq!(
            rows[0].as_object().unwrap().keys().collect::<Vec<_>>(),
            ["mailbox", "messages", "unseen"]
        );
        let out = rd()
            .args([
                "mailboxStatus",
                "user=alice@example.org",
                "field=messages",
                "mailboxMask=*",
                "total-sum=true",
            ])
            .run()
            .ok();
        assert_eq!(out.json(), serde_json::json!([{"messages": "0"}]));
        // integer (logErrors since) and JSON (:=).
        rd().args(["logErrors", "since=0"]).run().ok();
        rd().args([
            "mailboxList",
            "user=alice@example.org",
            "mailboxMask:=[\"INBOX\"]",
        ])
        .run()
        .ok();
        // A false boolean is left out (sending it would act as true): all mailboxes listed.
        let out = rd()
            .args([
                "mailboxList",
                "user=alice@example.org",
                "subscriptions=false",
            ])
            .run()
            .ok();
        assert_eq!(out.json().as_array().unwrap().len(), 2);

        // Wrong name, wrong type: 64 with the list of valid parameters.
        let out = rd()
            .args(["quotaGet", "usr=alice@example.org"])
            .run()
            .code(64);
        let line = out.one_error_line();
        assert!(
            line.contains("no parameter `usr`") && line.contains("user (string)"),
            "{line}"
        );
        let out = rd().args(["logErrors", "since=yesterday"]).run().code(64);
        assert!(out.one_error_line().contains("is integer"));
        let out = rd().args(["quotaFrobnicate"]).run().code(64);
        assert!(out.one_error_line().contains("does not advertise"));

        // A command no typed subcommand covers: mailbox metadata.
        rd().args([
            "mailbox metadata set",
            "user=alice@example.org",
            "mailbox=INBOX",
            "key=/private/comment",
            "value=hello",
        ])
        .run()
        .ok();
        let out = rd()
            .args([
                "mailboxMetadataGet",
                "user=alice@example.org",
                "mailbox=INBOX",
                "key=/private/comment",
            ])
            .run()
            .ok();
        assert_eq!(out.json()[0]["value"], "hello", "{v}: {}", out.stdout);
    }
}

/// Runs a command under a pseudo-terminal (util-linux `script`) with `answer` typed in.
fn on_terminal(d: &Dovecot, args: &str, answer: &str) -> (i32, String) {
    let bin = env!("CARGO_BIN_EXE_rdoveadm");
    let cmd = format!(
        "env -i PATH=/usr/bin:/bin RDOVEADM_URL={} RDOVEADM_PASSWORD={} {bin} {args}",
        d.url(),
        d.password()
    );
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux) is needed");
    use std::io::Write;
    // Give the prompt time to appear before typing, as a person would.
    std::thread::sleep(std::time::Duration::from_millis(800));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn destructive_commands_ask_on_a_terminal() {
    let v = versions()[0];
    let d = Dovecot::start(v, &[]);
    let mut s = d.imap_login("alice@example.org", "alicepw");
    s.append("INBOX", "Subject: x\n\nbody\n");
    let count = || {
        let out = d
            .rdoveadm()
            .args([
                "-f",
                "tab",
                "--no-header",
                "mailbox",
                "status",
                "-u",
                "alice@example.org",
                "messages",
                "INBOX",
            ])
            .run()
            .ok();
        out.stdout.trim().split('\t').nth(1).unwrap().to_string()
    };
    assert_eq!(count(), "1");
    // Asked, answered no: nothing happens, exit 1.
    let (code, screen) = on_terminal(&d, "expunge -u alice@example.org mailbox INBOX all", "n\n");
    assert!(
        screen.contains("expunge 1 message(s) of user `alice@example.org`"),
        "{screen}"
    );
    assert!(screen.contains("Proceed? [y/N]"), "{screen}");
    assert_eq!(code, 1, "{screen}");
    assert_eq!(count(), "1");
    // Asked, answered yes.
    let (code, screen) = on_terminal(&d, "expunge -u alice@example.org mailbox INBOX all", "y\n");
    assert_eq!(code, 0, "{screen}");
    assert_eq!(count(), "0");
    // mailbox delete and stop ask too; --yes does not.
    let (code, screen) = on_terminal(&d, "mailbox delete -u alice@example.org INBOX", "\n");
    assert!(screen.contains("delete mailbox `INBOX`"), "{screen}");
    assert_eq!(code, 1);
    let (code, screen) = on_terminal(&d, "stop", "no\n");
    assert!(screen.contains("stop Dovecot at"), "{screen}");
    assert_eq!(code, 1);
    let (code, screen) = on_terminal(&d, "kick 'a*'", "n\n");
    assert!(
        screen.contains("kick 1 session(s) of 1 user(s) matching `a*`"),
        "{screen}"
    );
    assert_eq!(code, 1);
    assert!(
        s.alive(),
        "the session was kicked although the answer was no"
    );
    let (code, screen) = on_terminal(&d, "mailbox create -u alice@example.org Tmp", "");
    assert_eq!(code, 0, "{screen}");
    let (code, screen) = on_terminal(&d, "mailbox delete --yes -u alice@example.org Tmp", "");
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("Proceed?"));
}
