//! Issue 11, must-show 5: piped, rdoveadm prints what native doveadm of the same
//! version prints, byte for byte. The everyday commands run with native doveadm
//! (`-c` the sandbox's config; 2.4 inside the chroot) and with rdoveadm against the
//! same instance, in the default format, `tab` and `flow` (and `json`, `pager`,
//! `table` where the output does not change between two runs). State-changing
//! commands run on fresh state for each tool: two users with the same mail store.

use crate::harness::{versions, Dovecot, Out};

/// Native doveadm against `d` (`SANDBOX_DOVEADM`: `doveadm -c CONF`, or chroot + that).
fn native(d: &Dovecot, args: &[&str], stdin: Option<&str>) -> Out {
    crate::dropin::native(d, args, stdin)
}

fn rd(d: &Dovecot, args: &[&str]) -> Out {
    d.rdoveadm().args(args).run()
}

/// `[format flags] + command`
fn with(format: &[&'static str], cmd: &[&str]) -> Vec<String> {
    format
        .iter()
        .chain(cmd.iter())
        .map(|s| s.to_string())
        .collect()
}

const FORMATS: &[&[&str]] = &[&[], &["-f", "tab"], &["-f", "flow"]];
const MORE_FORMATS: &[&[&str]] = &[&["-f", "json"], &["-f", "pager"], &["-f", "table"]];

/// Runs `cmd` in `formats` with both tools; returns the mismatches.
fn compare(d: &Dovecot, formats: &[&[&'static str]], cmd: &[&str]) -> Vec<String> {
    let mut bad = Vec::new();
    for f in formats {
        let args = with(f, cmd);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let n = native(d, &args, None);
        let r = rd(d, &args);
        if n.stdout != r.stdout || n.code != r.code {
            bad.push(format!(
                "{} `{}`:\nnative (exit {}):\n{:?}\nrdoveadm (exit {}):\n{:?}\nrdoveadm stderr: {}",
                d.version(),
                args.join(" "),
                n.code,
                n.stdout,
                r.code,
                r.stdout,
                r.stderr
            ));
        }
    }
    bad
}

const MESSAGE: &str = "From: a@example.org\r\nSubject: hi \\Seen\r\n\r\nbody\r\n";

#[test]
fn read_only_commands_print_what_doveadm_prints() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        native(&d, &["save", "-u", "alice@example.org"], Some(MESSAGE)).ok();
        native(
            &d,
            &[
                "flags",
                "add",
                "-u",
                "alice@example.org",
                "\\Seen",
                "mailbox",
                "INBOX",
                "all",
            ],
            None,
        )
        .ok();
        // An error for `log errors` to show (the unknown user's lookup; not a reload,
        // whose new log process forgets what was logged on 2.3).
        d.rdoveadm()
            .args(["quota", "get", "-u", "nobody@example.org"])
            .run()
            .code(67);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while native(&d, &["-f", "tab", "log", "errors"], None)
            .stdout
            .lines()
            .count()
            < 2
        {
            assert!(std::time::Instant::now() < deadline, "{v}: nothing logged");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let _session = d.imap_login("alice@example.org", "alicepw");
        d.wait_for_connections(1);
        let mut bad = Vec::new();
        let all: Vec<&[&str]> = FORMATS.iter().chain(MORE_FORMATS).copied().collect();
        for cmd in [
            &["who"][..],
            &["who", "-1"],
            &["quota", "get", "-u", "alice@example.org"],
            &["mailbox", "list", "-u", "alice@example.org"],
            &[
                "mailbox",
                "status",
                "-u",
                "alice@example.org",
                "messages unseen vsize",
                "*",
            ],
            &[
                "fetch",
                "-u",
                "alice@example.org",
                "uid flags hdr.subject",
                "all",
            ],
            &["search", "-u", "alice@example.org", "all"],
            &["user", "alice@example.org"],
            &["log", "errors"],
            &["stats", "dump"],
            // Failures: doveadm still ends its output (titles, `[]`), with its exit code.
            &[
                "mailbox",
                "status",
                "-u",
                "alice@example.org",
                "messages",
                "Nope",
            ],
            &["quota", "get", "-u", "nobody@example.org"],
            &["fetch", "-u", "nobody@example.org", "uid", "all"],
            &["mailbox", "create", "-u", "alice@example.org", "INBOX"],
        ] {
            bad.extend(compare(&d, &all, cmd));
        }
        assert!(bad.is_empty(), "{}", bad.join("\n\n"));
    }
}

/// `process status` changes between two runs (each doveadm is a new client of the
/// log and config processes, a process is idle or not, and the rows come in hash
/// order): the same header, and the same rows once every number is masked, for the
/// services both list (the long-running ones at least). rdoveadm's request is served
/// by a doveadm process, which then has a row of its own.
#[test]
fn process_status_has_doveadm_s_titles_and_rows() {
    /// (header, rows by service name), numbers masked and cells single-spaced (the
    /// table's widths follow the numbers).
    fn masked(s: &str, header: bool) -> (String, std::collections::BTreeMap<String, String>) {
        let mask = |l: &str| {
            let mut out = String::new();
            for c in l.chars() {
                if c.is_ascii_digit() {
                    if !out.ends_with('N') {
                        out.push('N');
                    }
                } else {
                    out.push(c);
                }
            }
            out.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        let mut lines = s.lines();
        let header = if header {
            mask(lines.next().unwrap_or(""))
        } else {
            String::new()
        };
        let rows = lines
            .map(mask)
            .map(|l| {
                let name = l
                    .trim_start_matches("name=")
                    .split([' ', '\t'])
                    .next()
                    .unwrap_or("")
                    .to_string();
                (name, l)
            })
            .collect();
        (header, rows)
    }
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        for f in FORMATS.iter().chain(&[&["-f", "json"][..]]) {
            let args = with(f, &["process", "status"]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let n = native(&d, &args, None).ok();
            let r = rd(&d, &args).ok();
            if *f == ["-f", "json"] {
                assert!(!r.stdout.ends_with('\n'), "{v}: {:?}", r.stdout);
                let keys = |s: &str| {
                    let v: serde_json::Value = serde_json::from_str(s).unwrap();
                    v.as_array()
                        .unwrap()
                        .iter()
                        .map(|r| {
                            let k: Vec<&str> =
                                r.as_object().unwrap().keys().map(String::as_str).collect();
                            (r["name"].as_str().unwrap().to_string(), k.join(","))
                        })
                        .collect::<std::collections::BTreeMap<_, _>>()
                };
                let (nk, rk) = (keys(&n.stdout), keys(&r.stdout));
                for name in ["anvil", "config", "log"] {
                    assert_eq!(nk.get(name), rk.get(name), "{v} {args:?} {name}");
                }
                continue;
            }
            // flow has no header line.
            let titles = *f != ["-f", "flow"];
            let ((nh, nr), (rh, rr)) = (masked(&n.stdout, titles), masked(&r.stdout, titles));
            assert_eq!(nh, rh, "{v} {args:?}");
            for name in ["anvil", "config", "log"] {
                assert!(
                    nr.contains_key(name),
                    "{v} {args:?}: no {name}:\n{}",
                    n.stdout
                );
                assert_eq!(nr.get(name), rr.get(name), "{v} {args:?} {name}");
            }
            for (name, line) in &rr {
                if let Some(want) = nr.get(name) {
                    assert_eq!(want, line, "{v} {args:?} {name}");
                }
            }
        }
    }
}

/// State-changing commands: each tool on its own user, both users in the same state.
#[test]
fn state_changing_commands_print_what_doveadm_prints() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let mut bad = Vec::new();
        for (i, f) in FORMATS.iter().enumerate() {
            // Fresh users per format: alice-like for native, bob-like for rdoveadm.
            let (nu, ru) = match i {
                0 => ("alice@example.org", "bob@example.org"),
                1 => ("carol@example.org", "dave@other.test"),
                _ => ("ann@prefix.test", "anna@prefix.test"),
            };
            for u in [nu, ru] {
                native(&d, &["save", "-u", u], Some(MESSAGE)).ok();
                native(&d, &["save", "-u", u], Some(MESSAGE)).ok();
                native(&d, &["mailbox", "create", "-u", u, "Old"], None).ok();
            }
            for cmd in [
                &["mailbox", "create", "-u", "USER", "New"][..],
                &["mailbox", "delete", "-u", "USER", "Old"],
                &["expunge", "-u", "USER", "mailbox", "INBOX", "uid", "1"],
                &["quota", "recalc", "-u", "USER"],
            ] {
                let run = |user: &str, tool: &str| {
                    let args = with(f, cmd);
                    // Piped stdin: rdoveadm asks no question (as doveadm).
                    let args: Vec<&str> = args
                        .iter()
                        .map(|a| if a == "USER" { user } else { a.as_str() })
                        .collect();
                    if tool == "native" {
                        native(&d, &args, None)
                    } else {
                        rd(&d, &args)
                    }
                };
                let n = run(nu, "native");
                let r = run(ru, "rd");
                if n.stdout != r.stdout || n.code != r.code {
                    bad.push(format!(
                        "{v} {f:?} {cmd:?}: native {} {:?} / rdoveadm {} {:?} {}",
                        n.code, n.stdout, r.code, r.stdout, r.stderr
                    ));
                }
            }
            // The same end state: what both users have left.
            let state = |u: &str| {
                native(
                    &d,
                    &["-f", "tab", "mailbox", "status", "-u", u, "messages", "*"],
                    None,
                )
                .stdout
            };
            assert_eq!(state(nu), state(ru), "{v} {f:?}");
            // reload: nothing printed by either.
            let args = with(f, &["reload"]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let n = native(&d, &args, None);
            let r = rd(&d, &args);
            assert_eq!((n.code, &n.stdout), (r.code, &r.stdout), "{v} reload");
            // kick: a session of the user for each tool.
            let kick = |tool: &str| {
                let _s = d.imap_login("alice@example.org", "alicepw");
                d.wait_for_connections(1);
                let args = with(f, &["kick", "alice@example.org"]);
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let out = if tool == "native" {
                    native(&d, &args, None)
                } else {
                    rd(&d, &args)
                };
                d.wait_for_connections(0);
                (out.code, out.stdout)
            };
            let (n, r) = (kick("native"), kick("rd"));
            if n != r {
                bad.push(format!("{v} {f:?} kick: native {n:?} / rdoveadm {r:?}"));
            }
            // Nothing to kick: doveadm's lines and exit code too (2.3: 68, 2.4: 0).
            let args = with(f, &["kick", "nobody@example.org"]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let n = native(&d, &args, None);
            let r = rd(&d, &args).code(n.code);
            if n.stdout != r.stdout {
                bad.push(format!(
                    "{v} {f:?} kick nobody: native {:?} / rdoveadm {:?}",
                    n.stdout, r.stdout
                ));
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }
}

/// `-A`: rdoveadm splits it into user-mask shards that answer in name order; in
/// doveadm's formats the rows come in the userdb's order, as doveadm's `-A` prints
/// them (the sandbox's passwd-file lists bob before ann, so name order differs). A
/// mail command run as doveadm's own (`rebuild attachments`) starts its rows with
/// the user, untitled, as doveadm does.
#[test]
fn all_users_print_in_the_userdb_s_order_as_doveadm() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        for u in ["alice@example.org", "bob@example.org"] {
            native(&d, &["save", "-u", u], Some(MESSAGE)).ok();
        }
        let mut bad = Vec::new();
        for cmd in [
            &["quota", "get", "-A"][..],
            &["mailbox", "list", "-A"],
            &["mailbox", "status", "-A", "messages unseen", "INBOX"],
            &["search", "-A", "mailbox", "INBOX", "all"],
            &["rebuild", "attachments", "-A", "mailbox", "INBOX", "all"],
            &[
                "mailbox", "cache", "remove", "-A", "mailbox", "INBOX", "all",
            ],
        ] {
            bad.extend(compare(&d, FORMATS, cmd));
        }
        assert!(bad.is_empty(), "{}", bad.join("\n\n"));
    }
}
