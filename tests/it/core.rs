//! The core commands against a real Dovecot, over every transport: `who` (grouped,
//! `-1`, user and IP masks), `kick`, `mailbox list`, `quota get`.

use crate::harness::{user_service_pairs, versions, Dovecot, Session};

/// alice ×2 IMAP, bob IMAP + POP3, carol IMAP: 5 connections, 4 grouped rows, 3 users.
fn open_sessions(d: &Dovecot) -> Vec<Session> {
    let s = vec![
        d.imap_login("alice@example.org", "alicepw"),
        d.imap_login("alice@example.org", "alicepw"),
        d.imap_login("bob@example.org", "bobpw"),
        d.pop3_login("bob@example.org", "bobpw"),
        d.imap_login("carol@example.org", "carolpw"),
    ];
    d.wait_for_connections(5);
    s
}

fn expected_grouped() -> Vec<(String, String)> {
    [
        ("alice", "imap"),
        ("bob", "imap"),
        ("bob", "pop3"),
        ("carol", "imap"),
    ]
    .iter()
    .map(|(u, s)| (format!("{u}@example.org"), s.to_string()))
    .collect()
}

fn check_transports(d: &Dovecot) {
    let _sessions = open_sessions(d);
    for (name, rd) in d.transports() {
        // who, grouped: every row present (the 2.3 framing quirk loses none), valid JSON.
        let out = rd.clone().args(["-f", "json", "who"]).run().ok();
        let v = out.json();
        assert_eq!(
            user_service_pairs(&v),
            expected_grouped(),
            "{name} ({})",
            d.version()
        );
        let alice = v
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["username"] == "alice@example.org")
            .unwrap();
        assert_eq!(alice["connections"], "2", "{name}");
        assert!(
            alice["pids"].as_str().unwrap().starts_with('('),
            "{name}: pids {}",
            alice["pids"]
        );

        // mailbox list and quota get.
        let out = rd
            .clone()
            .args(["-f", "tab", "mailbox", "list", "-u", "alice@example.org"])
            .run()
            .ok();
        assert_eq!(out.stdout, "mailbox\nINBOX\n", "{name}");
        let out = rd
            .clone()
            .args(["-f", "json", "quota", "get", "-u", "alice@example.org"])
            .run()
            .ok();
        let q = out.json();
        let types: Vec<&str> = q
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["STORAGE", "MESSAGE"], "{name}");
        assert_eq!(q[0]["limit"], "10240", "{name}");
        assert_eq!(q[1]["limit"], "1000", "{name}");
    }
}

#[test]
fn every_transport_and_credential_over_http() {
    for v in versions() {
        check_transports(&Dovecot::start(v, &[]));
    }
}

#[test]
fn every_transport_and_credential_over_https_with_cacert() {
    for v in versions() {
        let d = Dovecot::start(v, &["--tls"]);
        assert!(d.url().starts_with("https://"));
        check_transports(&d);
        // Without --cacert the private CA is not trusted: a clear error, exit 77 (as probe).
        let out = d.rdoveadm_no_ca().args(["who"]).run().code(77);
        let line = out.one_error_line();
        assert!(
            line.contains("certificate") || line.contains("UnknownIssuer"),
            "{line}"
        );
    }
}

#[test]
fn who_separate_connections_and_masks() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let _s = open_sessions(&d);
        let rd = d.rdoveadm();

        let out = rd.clone().args(["-f", "json", "who", "-1"]).run().ok();
        let rows = out.json();
        assert_eq!(rows.as_array().unwrap().len(), 5);
        for r in rows.as_array().unwrap() {
            assert!(r["pid"].as_str().unwrap().parse::<u32>().is_ok(), "{r}");
            assert_eq!(r["ip"], "127.0.0.1");
        }

        // A user mask with a wildcard.
        let out = rd.clone().args(["-f", "json", "who", "b*"]).run().ok();
        assert_eq!(
            user_service_pairs(&out.json()),
            vec![
                ("bob@example.org".into(), "imap".into()),
                ("bob@example.org".into(), "pop3".into())
            ]
        );
        // An IP mask, and a CIDR: every session is from 127.0.0.1.
        for ip in ["127.0.0.1", "127.0.0.0/8"] {
            let out = rd.clone().args(["-f", "json", "who", ip]).run().ok();
            assert_eq!(user_service_pairs(&out.json()), expected_grouped(), "{ip}");
        }
        let out = rd
            .clone()
            .args(["-f", "json", "who", "10.0.0.0/8"])
            .run()
            .ok();
        assert_eq!(out.stdout.trim(), "[]");
        // Tab output: a header and one line per row.
        let out = rd.clone().args(["-f", "tab", "who"]).run().ok();
        let lines: Vec<&str> = out.stdout.lines().collect();
        // doveadm's titles, of the server's version.
        let proto = if v == "2.3" { "proto" } else { "service" };
        assert_eq!(lines[0], format!("username\t#\t{proto}\t(pids)\t(ips)"));
        assert_eq!(lines.len(), 5);
    }
}

#[test]
fn kick_removes_exactly_the_matched_sessions() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let mut s = open_sessions(&d);
        let out = d
            .rdoveadm()
            .args(["-f", "tab", "kick", "bob@example.org"])
            .run()
            .ok();
        // As doveadm prints it: 2.3 names the users, 2.4 counts the connections.
        let want = if v == "2.3" {
            "result\nbob@example.org\nkicked connections from the following users:\n\n"
        } else {
            "count\n2\n"
        };
        assert_eq!(out.stdout, want, "{v}");
        d.wait_for_connections(3);
        // bob's IMAP (index 2) and POP3 (3) are gone; alice's and carol's still answer.
        assert!(!s[2].alive(), "bob's IMAP session survived the kick");
        assert!(!s[3].alive(), "bob's POP3 session survived the kick");
        for i in [0, 1, 4] {
            assert!(s[i].alive(), "session {i} was kicked but did not match");
        }
        let out = d.rdoveadm().args(["-f", "json", "who"]).run().ok();
        let users: Vec<String> = user_service_pairs(&out.json())
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(users, ["alice@example.org", "carol@example.org"]);
    }
}
