//! Output the HTTP API loses, and doveadm's usage errors that must not reach it:
//! - commands that print their result with printf() instead of doveadm_print() (run by
//!   the API's worker, it goes to the server's own stdout) are refused before anything
//!   is sent: exit 64, one line that says "HTTP API" and what to run instead;
//! - an option given last without its value (`pw -p`) exits 64 as doveadm's getopt,
//!   instead of taking the router's `--` for its value.

use crate::dropin::native;
use crate::harness::{versions, Dovecot, Out};

/// rdoveadm with `-D` (each request on stderr), with a schema cache of this instance.
fn rd_debug(d: &Dovecot, args: &[&str]) -> Out {
    let cache = format!("{}/rdoveadm-cache", d.var("SANDBOX_DIR"));
    d.rdoveadm()
        .env("XDG_CACHE_HOME", &cache)
        .args(["-D"])
        .args(args)
        .run()
}

/// The requests `-D` showed (`debug: > POST`), and the stderr lines that are not debug.
fn posts_and_errors(r: &Out) -> (usize, Vec<&str>) {
    let posts = r
        .stderr
        .lines()
        .filter(|l| l.contains("debug: > POST"))
        .count();
    let errors = r
        .stderr
        .lines()
        .filter(|l| !l.starts_with("rdoveadm: debug:") && !l.starts_with("rdoveadm: hint:"))
        .collect();
    (posts, errors)
}

#[test]
fn results_printed_on_the_servers_stdout_are_refused_before_sending() {
    for v in versions() {
        let d = Dovecot::start(v, &["--plugins", "acl,fts"]);
        // The loss itself: native doveadm prints the data, the API returns no row.
        for (line, api) in [
            (&["log", "find"][..], &["api", "logFind"][..]),
            (
                &["instance", "list", "-c"],
                &["api", "instanceList", "showConfig=true"],
            ),
        ] {
            let n = native(&d, line, None).ok();
            assert!(
                !n.stdout.trim().is_empty(),
                "{v} {line:?}: native printed nothing"
            );
            let cache = format!("{}/rdoveadm-cache", d.var("SANDBOX_DIR"));
            let raw = d
                .rdoveadm()
                .env("XDG_CACHE_HOME", &cache)
                .args(["-f", "json"])
                .args(api)
                .run()
                .ok();
            assert_eq!(raw.stdout.trim(), "[]", "{v} {api:?}");
        }
        let mut lines: Vec<(Vec<&str>, &str)> = vec![
            (vec!["log", "find"], "doveadm log find"),
            (vec!["log", "find", "/var/log"], "doveadm log find"),
            (vec!["instance", "list", "-c"], "doveadm instance list -c"),
            (
                vec![
                    "fts",
                    "lookup",
                    "-u",
                    "alice@example.org",
                    "mailbox",
                    "INBOX",
                    "text",
                    "x",
                ],
                "doveadm fts lookup",
            ),
            (
                vec!["fts", "expand", "-u", "alice@example.org", "text", "x"],
                "doveadm fts expand",
            ),
            // Options after the positionals, as doveadm permutes them.
            (
                vec!["fts", "lookup", "text", "x", "-u", "alice@example.org"],
                "doveadm fts lookup",
            ),
        ];
        if v == "2.3" {
            // doveadm's batch runs any mail command, a plugin's too.
            lines.push((
                vec![
                    "batch",
                    "-u",
                    "alice@example.org",
                    ":",
                    "mailbox",
                    "list",
                    ":",
                    "fts",
                    "lookup",
                    "text",
                    "x",
                ],
                "doveadm fts lookup",
            ));
        }
        for (line, instead) in &lines {
            let r = rd_debug(&d, line).code(64);
            let (posts, errors) = posts_and_errors(&r);
            assert_eq!(posts, 0, "{v} {line:?}: sent\n{}", r.stderr);
            assert_eq!(errors.len(), 1, "{v} {line:?}: {errors:?}");
            assert!(errors[0].starts_with("rdoveadm: error: "), "{}", errors[0]);
            assert!(errors[0].contains("HTTP API"), "{}", errors[0]);
            assert!(
                errors[0].contains(&format!("run `{instead}` on the server")),
                "{v} {line:?}: {}",
                errors[0]
            );
            assert!(r.stdout.is_empty(), "{v} {line:?}: {}", r.stdout);
        }
        // Printed with doveadm_print: served, the same rows as native doveadm.
        for line in [
            &["instance", "list"][..],
            &["mailbox", "path", "-u", "alice@example.org", "INBOX"],
            &["fts", "tokenize", "-u", "alice@example.org", "hello"],
        ] {
            let r = rd_debug(&d, line);
            let n = native(&d, line, None);
            assert_eq!(r.code, n.code, "{v} {line:?}: {}", r.stderr);
            assert_eq!(posts_and_errors(&r).0, 1, "{v} {line:?}");
            if line[0] == "mailbox" {
                assert_eq!(r.stdout, n.stdout, "{v} {line:?}");
            }
        }
    }
}

#[test]
fn an_option_without_its_value_exits_64_as_doveadm() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        for line in [
            &["pw", "-p"][..],
            &["pw", "-s"],
            &["pw", "-s", "--", "-p"],
            &["altmove", "-u"],
            &["mailbox", "create", "-u", "alice@example.org", "-g"],
            &[
                "mailbox",
                "update",
                "-u",
                "alice@example.org",
                "INBOX",
                "--min-next-uid",
            ],
            &["fetch", "-u", "alice@example.org", "uid", "all", "-S"],
            &["stats", "dump", "-f"],
            &["penalty", "-a"],
            &["who", "-a"],
            &["mailbox", "status", "all", "INBOX", "-u"],
        ] {
            let n = native(&d, line, None).code(64);
            let r = rd_debug(&d, line);
            assert_eq!(r.code, n.code, "{v} {line:?}: {}", r.stderr);
            let (posts, errors) = posts_and_errors(&r);
            assert_eq!(posts, 0, "{v} {line:?}: sent\n{}", r.stderr);
            assert_eq!(errors.len(), 1, "{v} {line:?}: {errors:?}");
        }
        // A value that starts with `-` is still a value, `--` too, as getopt reads it:
        // `-u --` asks for the user `--` (67), `pw -p -x` hashes `-x`.
        for line in [
            &["mailbox", "status", "-u", "--", "all", "INBOX"][..],
            &["altmove", "-u", "--", "all"],
            &["pw", "-s", "PLAIN", "-p", "-x"],
        ] {
            let n = native(&d, line, None);
            let r = rd_debug(&d, line);
            assert_eq!(r.code, n.code, "{v} {line:?}: {} / {}", r.stderr, n.stderr);
            if line[0] == "pw" {
                assert_eq!((r.code, &r.stdout), (0, &n.stdout), "{v}");
            }
        }
    }
}
