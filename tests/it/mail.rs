//! Mail commands against a real Dovecot: mailboxes, messages saved over IMAP and then
//! fetched, searched, flagged, copied, moved and expunged; quota, user, server commands.

use serde_json::Value;

use crate::harness::{versions, Dovecot, Rd};

const ALICE: &str = "alice@example.org";

/// A message whose Subject header is folded over two lines.
const MSG1: &str = "From: bob@example.org\nTo: alice@example.org\nSubject: first line\n continued here\nMessage-ID: <m1@test>\n\nhello one\nsecond body line\n";
const MSG2: &str = "From: carol@example.org\nTo: alice@example.org\nSubject: two\nMessage-ID: <m2@test>\n\nhello two\n";

fn rd(d: &Dovecot) -> Rd {
    d.rdoveadm()
}

fn json(d: &Dovecot, args: &[&str]) -> Value {
    let out = rd(d).args(["-f", "json"]).args(args).run().ok();
    out.json()
}

/// Messages in a mailbox, from `mailbox status`.
fn count(d: &Dovecot, mailbox: &str) -> u64 {
    let v = json(d, &["mailbox", "status", "-u", ALICE, "messages", mailbox]);
    v[0]["messages"].as_str().unwrap().parse().unwrap()
}

#[test]
fn mailbox_lifecycle_and_exit_codes() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        rd(&d)
            .args(["mailbox", "create", "-u", ALICE, "Archive", "Projects"])
            .run()
            .ok();
        // An existing mailbox: 65.
        let out = rd(&d)
            .args(["mailbox", "create", "-u", ALICE, "Archive"])
            .run()
            .code(65);
        out.one_error_line();
        let out = rd(&d)
            .args(["-f", "tab", "--no-header", "mailbox", "list", "-u", ALICE])
            .run()
            .ok();
        let mut names: Vec<&str> = out.stdout.lines().collect();
        names.sort();
        assert_eq!(names, ["Archive", "INBOX", "Projects"], "{v}");

        // Subscriptions.
        rd(&d)
            .args(["mailbox", "subscribe", "-u", ALICE, "Archive"])
            .run()
            .ok();
        let subs = json(&d, &["mailbox", "list", "-s", "-u", ALICE]);
        assert_eq!(subs, serde_json::json!([{"mailbox": "Archive"}]), "{v}");
        rd(&d)
            .args(["mailbox", "unsubscribe", "-u", ALICE, "Archive"])
            .run()
            .ok();
        assert_eq!(
            json(&d, &["mailbox", "list", "-s", "-u", ALICE]),
            serde_json::json!([])
        );

        // Status with every field, and a total.
        let st = json(&d, &["mailbox", "status", "-u", ALICE, "all", "INBOX"]);
        for f in [
            "messages",
            "recent",
            "uidnext",
            "uidvalidity",
            "unseen",
            "highestmodseq",
            "vsize",
            "guid",
            "firstsaved",
        ] {
            assert!(st[0].get(f).is_some(), "{v}: status lacks {f}: {st}");
        }
        assert_eq!(st[0]["mailbox"], "INBOX");
        let total = json(
            &d,
            &[
                "mailbox",
                "status",
                "-t",
                "-u",
                ALICE,
                "messages vsize",
                "*",
            ],
        );
        assert_eq!(total, serde_json::json!([{"messages": "0", "vsize": "0"}]));
        // Unknown field: refused locally (the server's worker would die), 64.
        let out = rd(&d)
            .args(["mailbox", "status", "-u", ALICE, "bogus", "INBOX"])
            .run()
            .code(64);
        assert!(out.one_error_line().contains("unknown field `bogus`"));

        // Rename, delete, then a missing mailbox: 68. An unknown user: 67.
        rd(&d)
            .args(["mailbox", "rename", "-u", ALICE, "Projects", "Old"])
            .run()
            .ok();
        rd(&d)
            .args(["mailbox", "delete", "--yes", "-u", ALICE, "Old"])
            .run()
            .ok();
        let out = rd(&d)
            .args(["mailbox", "status", "-u", ALICE, "messages", "Old"])
            .run()
            .code(68);
        out.one_error_line();
        rd(&d)
            .args([
                "mailbox",
                "status",
                "-u",
                "nobody@example.org",
                "messages",
                "INBOX",
            ])
            .run()
            .code(67);
        // No user selection at all: a local usage error, never sent (the worker would die).
        rd(&d).args(["mailbox", "list"]).run().code(64);
    }
}

#[test]
fn messages_fetch_search_flags_copy_move_expunge() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let mut s = d.imap_login(ALICE, "alicepw");
        s.append("INBOX", MSG1);
        s.append("INBOX", MSG2);
        rd(&d)
            .args(["mailbox", "create", "-u", ALICE, "Archive"])
            .run()
            .ok();
        assert_eq!(count(&d, "INBOX"), 2);

        let f = json(
            &d,
            &[
                "fetch",
                "-u",
                ALICE,
                "uid flags hdr.subject",
                "mailbox",
                "INBOX",
                "all",
            ],
        );
        assert_eq!(f.as_array().unwrap().len(), 2, "{v}: {f}");
        assert_eq!(f[0]["uid"], "1");
        assert!(
            f[0]["hdr.subject"]
                .as_str()
                .unwrap()
                .starts_with("first line"),
            "{f}"
        );
        assert_eq!(f[1]["hdr.subject"], "two");

        let sr = json(
            &d,
            &["search", "-u", ALICE, "mailbox", "INBOX", "subject", "two"],
        );
        assert_eq!(sr.as_array().unwrap().len(), 1);
        assert_eq!(sr[0]["uid"], "2");
        assert_eq!(sr[0]["mailbox-guid"].as_str().unwrap().len(), 32);

        rd(&d)
            .args([
                "flags",
                "add",
                "-u",
                ALICE,
                "\\Flagged $Work",
                "mailbox",
                "INBOX",
                "uid",
                "1",
            ])
            .run()
            .ok();
        let f = json(
            &d,
            &[
                "fetch", "-u", ALICE, "flags", "mailbox", "INBOX", "uid", "1",
            ],
        );
        let flags = f[0]["flags"].as_str().unwrap();
        assert!(
            flags.contains("\\Flagged") && flags.contains("$Work"),
            "{flags}"
        );
        rd(&d)
            .args([
                "flags", "remove", "-u", ALICE, "$Work", "mailbox", "INBOX", "uid", "1",
            ])
            .run()
            .ok();
        rd(&d)
            .args([
                "flags", "replace", "-u", ALICE, "\\Seen", "mailbox", "INBOX", "uid", "2",
            ])
            .run()
            .ok();
        let f = json(
            &d,
            &["fetch", "-u", ALICE, "uid flags", "mailbox", "INBOX", "all"],
        );
        // \Recent is the session's own flag; the rest is what we set.
        let set = |i: usize| -> Vec<String> {
            let mut v: Vec<String> = f[i]["flags"]
                .as_str()
                .unwrap()
                .split(' ')
                .filter(|x| *x != "\\Recent")
                .map(String::from)
                .collect();
            v.sort();
            v
        };
        assert_eq!(set(0), ["\\Flagged"], "{f}");
        assert_eq!(set(1), ["\\Seen"], "{f}");

        rd(&d)
            .args([
                "copy", "-u", ALICE, "Archive", "mailbox", "INBOX", "uid", "1",
            ])
            .run()
            .ok();
        assert_eq!((count(&d, "INBOX"), count(&d, "Archive")), (2, 1));
        rd(&d)
            .args([
                "move", "-u", ALICE, "Archive", "mailbox", "INBOX", "uid", "2",
            ])
            .run()
            .ok();
        assert_eq!((count(&d, "INBOX"), count(&d, "Archive")), (1, 2));

        // --dry-run shows what would go and changes nothing.
        let out = rd(&d)
            .args([
                "-f",
                "json",
                "expunge",
                "--dry-run",
                "-u",
                ALICE,
                "mailbox",
                "Archive",
                "all",
            ])
            .run()
            .ok();
        assert_eq!(out.json().as_array().unwrap().len(), 2);
        assert!(
            out.stderr.contains("dry run: 2 message(s)"),
            "{}",
            out.stderr
        );
        assert_eq!(count(&d, "Archive"), 2);
        rd(&d)
            .args([
                "expunge", "--yes", "-u", ALICE, "mailbox", "Archive", "subject", "two",
            ])
            .run()
            .ok();
        assert_eq!(count(&d, "Archive"), 1);

        // Errors users hit: unknown mailbox 68.
        rd(&d)
            .args(["mailbox", "rename", "-u", ALICE, "Nope", "Nope2"])
            .run()
            .code(68);
        rd(&d).args(["index", "-u", ALICE, "INBOX"]).run().ok();
        rd(&d)
            .args(["force-resync", "-u", ALICE, "INBOX"])
            .run()
            .ok();
        rd(&d).args(["purge", "-u", ALICE]).run().ok();
        drop(s);
    }
}

#[test]
fn multi_line_header_keeps_one_row_per_line() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        d.imap_login(ALICE, "alicepw").append("INBOX", MSG1);
        let args = ["fetch", "-u", ALICE, "uid hdr", "mailbox", "INBOX", "all"];
        // json: exact, with the real line breaks of the header block.
        let j = json(&d, &args);
        let hdr = j[0]["hdr"].as_str().unwrap();
        assert!(
            hdr.contains("Subject: first line\n continued here\n"),
            "{hdr:?}"
        );
        // tab: a header line and exactly one line for the message, breaks escaped.
        let out = rd(&d).args(["-f", "tab"]).args(args).run().ok();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{}", out.stdout);
        assert_eq!(lines[0], "uid\thdr");
        assert!(
            lines[1].contains("Subject: first line\\n continued here\\n"),
            "{}",
            lines[1]
        );
        // table (piped: doveadm's, whose own formatter refuses multi-line values):
        // one line for the row too, under the titles.
        let out = rd(&d).args(["-f", "table"]).args(args).run().ok();
        let rows: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| l.contains("Subject:"))
            .collect();
        assert_eq!(rows.len(), 1, "{}", out.stdout);
        assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
        // flow: one line.
        let out = rd(&d).args(["-f", "flow"]).args(args).run().ok();
        assert_eq!(out.stdout.lines().count(), 1);
        assert!(
            out.stdout
                .starts_with("uid=1 hdr=From: bob@example.org\\nTo: "),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn quota_user_and_server_commands() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        d.imap_login(ALICE, "alicepw").append("INBOX", MSG2);
        rd(&d).args(["quota", "recalc", "-u", ALICE]).run().ok();
        let q = json(&d, &["quota", "get", "-u", ALICE]);
        assert_eq!(q[1]["type"], "MESSAGE");
        assert_eq!(q[1]["value"], "1", "{q}");

        // doveadm's json for `user`: one field/value object per userdb field.
        let u = json(&d, &["user", ALICE]);
        let home = u
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["field"] == "home")
            .unwrap_or_else(|| panic!("no home field: {u}"));
        assert!(
            home["value"]
                .as_str()
                .unwrap()
                .ends_with("/example.org/alice"),
            "{u}"
        );
        let u = json(&d, &["user", "-f", "home", ALICE]);
        assert_eq!(u.as_array().unwrap().len(), 1);
        let u = json(&d, &["user", "*@example.org"]);
        let mut names: Vec<&str> = u
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["username"].as_str().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["alice@example.org", "bob@example.org", "carol@example.org"]
        );
        rd(&d).args(["user", "nobody@example.org"]).run().code(67);
        rd(&d)
            .args(["quota", "get", "-u", "nobody@example.org"])
            .run()
            .code(67);

        let p = json(&d, &["process", "status"]);
        let names: Vec<&str> = p
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"anvil") && names.contains(&"doveadm"),
            "{names:?}"
        );
        let s = json(&d, &["service", "status", "imap"]);
        assert_eq!(s[0]["name"], "imap");
        // An error the server logged shows up in `log errors` (the unknown user above).
        let e = json(&d, &["log", "errors"]);
        assert!(
            e.as_array().unwrap().iter().any(|r| r["text"]
                .as_str()
                .unwrap_or("")
                .contains("nobody@example.org")
                || r["prefix"]
                    .as_str()
                    .unwrap_or("")
                    .contains("nobody@example.org")),
            "{e}"
        );
        rd(&d).args(["log", "reopen"]).run().ok();
        rd(&d).args(["stats", "dump"]).run().ok();
        rd(&d).args(["reload"]).run().ok();
        // Still answering after the reload.
        d.wait_for_connections(0);
    }
}
