//! doveadm's own command lines (man-page SYNOPSIS/EXAMPLE forms) run unchanged with
//! rdoveadm against real Dovecot 2.3 and 2.4: the same exit code as native doveadm
//! and the same end state, checked with native doveadm on the same instance.

use std::process::{Command, Stdio};

use crate::harness::{versions, Dovecot, Out};

const MESSAGE: &str =
    "From: a@example.org\r\nMessage-ID: <dup@example.org>\r\nSubject: drop-in\r\n\r\nbody\r\n";

/// Native doveadm of the instance's version (`SANDBOX_DOVEADM`), with `args`.
pub(crate) fn native(d: &Dovecot, args: &[&str], stdin: Option<&str>) -> Out {
    native_as(d, None, args, stdin)
}

/// [`native`] with `$USER` set to `user` (doveadm's mail user when no -u is given),
/// or unset.
fn native_as(d: &Dovecot, user: Option<&str>, args: &[&str], stdin: Option<&str>) -> Out {
    use std::io::Write;
    let mut words = d.var("SANDBOX_DOVEADM").split_whitespace();
    let mut c = Command::new(words.next().unwrap());
    // Like rdoveadm's runs: no $USER unless asked (doveadm takes it as the mail user).
    c.env_remove("USER");
    if let Some(u) = user {
        c.env("USER", u);
    }
    c.args(words)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("run native doveadm");
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    let o = child.wait_with_output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn rd(d: &Dovecot, args: &[&str], stdin: Option<&str>) -> Out {
    // A schema cache of this instance only: the disk cache is keyed by URL, and a
    // port may have served the other Dovecot version minutes ago.
    let cache = format!("{}/rdoveadm-cache", d.var("SANDBOX_DIR"));
    let r = d.rdoveadm().env("XDG_CACHE_HOME", &cache).args(args);
    match stdin {
        Some(s) => r.stdin(s).run(),
        None => r.run(),
    }
}

/// Runs `line` (with `{u}` for the user) with rdoveadm for `alice` and with native
/// doveadm for `carol`; the exit codes must match, then so must `probe` (a native
/// command line, `{u}` likewise) on both users, with the user names taken out.
fn twin(d: &Dovecot, line: &[&str], stdin: Option<&str>, probe: &[&str]) {
    twin_env(d, false, line, stdin, probe)
}

/// [`twin`], and with `user_env` each tool runs with `$USER` set to its user.
fn twin_env(d: &Dovecot, user_env: bool, line: &[&str], stdin: Option<&str>, probe: &[&str]) {
    let with = |u: &str, words: &[&str]| -> Vec<String> {
        words.iter().map(|w| w.replace("{u}", u)).collect()
    };
    let (a, c) = ("alice@example.org", "carol@example.org");
    let ra = with(a, line);
    let nc = with(c, line);
    let ra: Vec<&str> = ra.iter().map(String::as_str).collect();
    let r = if user_env {
        let cache = format!("{}/rdoveadm-cache", d.var("SANDBOX_DIR"));
        let r = d
            .rdoveadm()
            .env("XDG_CACHE_HOME", &cache)
            .env("USER", a)
            .args(&ra);
        match stdin {
            Some(s) => r.stdin(s).run(),
            None => r.run(),
        }
    } else {
        rd(d, &ra, stdin)
    };
    let n = native_as(
        d,
        user_env.then_some(c),
        &nc.iter().map(String::as_str).collect::<Vec<_>>(),
        stdin,
    );
    assert_eq!(
        r.code,
        n.code,
        "{} {line:?}: rdoveadm exit {} (stderr {}), doveadm exit {} (stderr {})",
        d.version(),
        r.code,
        r.stderr,
        n.code,
        n.stderr
    );
    if probe.is_empty() {
        return;
    }
    let state = |u: &str| {
        let p = with(u, probe);
        native(d, &p.iter().map(String::as_str).collect::<Vec<_>>(), None)
            .stdout
            .replace(u, "USER")
            .replace(&u[..u.find('@').unwrap()], "NAME")
    };
    let mut sa = state(a);
    let mut sc = state(c);
    // GUIDs, UID validities and save times differ between two users' mailboxes.
    for s in [&mut sa, &mut sc] {
        *s = s
            .split_whitespace()
            .map(|w| {
                if w.len() == 32 && w.chars().all(|c| c.is_ascii_hexdigit()) {
                    "GUID"
                } else {
                    w
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    }
    assert_eq!(
        sa,
        sc,
        "{} {line:?}: end state differs (probe {probe:?})",
        d.version()
    );
}

#[test]
fn refused_mail_commands_now_run_like_doveadm() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let status = ["mailbox", "status", "-u", "{u}", "messages uidnext", "*"];
        twin(
            &d,
            &["mailbox", "create", "-u", "{u}", "Archive", "Entwürfe"],
            None,
            &["mailbox", "list", "-u", "{u}"],
        );
        // save: the message on stdin.
        twin(
            &d,
            &["save", "-u", "{u}", "-m", "Archive"],
            Some(MESSAGE),
            &status,
        );
        twin(&d, &["save", "-u", "{u}"], Some(MESSAGE), &status);
        twin(&d, &["save", "-u", "{u}"], Some(MESSAGE), &status);
        // Options after the positionals (GNU getopt permutation).
        twin(
            &d,
            &[
                "flags", "add", "\\Seen", "mailbox", "INBOX", "uid", "1", "-u", "{u}",
            ],
            None,
            &["fetch", "-u", "{u}", "uid flags", "mailbox", "INBOX", "all"],
        );
        twin(
            &d,
            &["deduplicate", "-m", "mailbox", "INBOX", "all", "-u", "{u}"],
            None,
            &status,
        );
        twin(
            &d,
            &[
                "mailbox",
                "update",
                "--min-next-uid",
                "100",
                "Archive",
                "-u",
                "{u}",
            ],
            None,
            &status,
        );
        twin(&d, &["altmove", "-u", "{u}", "all"], None, &status);
        twin(
            &d,
            &["mailbox", "cache", "purge", "-u", "{u}", "INBOX"],
            None,
            &[],
        );
        twin(
            &d,
            &[
                "mailbox", "cache", "decision", "-u", "{u}", "--all", "INBOX",
            ],
            None,
            &[],
        );
        twin(
            &d,
            &[
                "mailbox", "cache", "remove", "-u", "{u}", "mailbox", "INBOX", "uid", "1",
            ],
            None,
            &[],
        );
        twin(
            &d,
            &["rebuild", "attachments", "-u", "{u}", "all"],
            None,
            &[],
        );
        twin(
            &d,
            &[
                "mailbox",
                "create",
                "-u",
                "{u}",
                "-g",
                "0123456789abcdef0123456789abcdef",
                "Guided",
            ],
            None,
            &["mailbox", "status", "-u", "{u}", "guid", "Guided"],
        );
        twin(&d, &["index", "-n", "5", "-u", "{u}", "INBOX"], None, &[]);
        twin(
            &d,
            &[
                "move",
                "-u",
                "{u}",
                "Archive",
                "user",
                "bob@example.org",
                "mailbox",
                "INBOX",
                "all",
            ],
            None,
            &status,
        );
        // sieve (Pigeonhole; the 2.3 sandbox has no sieve plugin: refused alike there).
        let list = ["sieve", "list", "-u", "{u}"];
        let script = "require \"fileinto\";\nfileinto \"Archive\";\n";
        twin(
            &d,
            &["sieve", "put", "-a", "-u", "{u}", "s1"],
            Some(script),
            &list,
        );
        if v == "2.4" {
            // doveadm prints the script with its pager: `sieve script:`, then the text.
            for f in [&[][..], &["-f", "pager"], &["-f", "json"]] {
                let (a, c) = ("alice@example.org", "carol@example.org");
                let r = rd(&d, &[f, &["sieve", "get", "-u", a, "s1"]].concat(), None);
                let n = native(&d, &[f, &["sieve", "get", "-u", c, "s1"]].concat(), None);
                assert_eq!(
                    (r.code, &r.stdout),
                    (n.code, &n.stdout),
                    "{f:?} {}",
                    r.stderr
                );
            }
        }
        twin(
            &d,
            &["sieve", "rename", "-u", "{u}", "s1", "s2"],
            None,
            &list,
        );
        twin(&d, &["sieve", "get", "s2", "-u", "{u}"], None, &[]);
        twin(&d, &["sieve", "deactivate", "-u", "{u}"], None, &list);
        twin(&d, &["sieve", "delete", "-u", "{u}", "s2"], None, &list);
        // -F: the users file is read here; each user gets the message. The files are
        // in the instance's directory, which native 2.4 sees inside its chroot.
        let host = d.var("SANDBOX_DIR").to_string();
        let inside = match host.find("/srv/") {
            Some(i) if v == "2.4" => host[i..].to_string(),
            _ => host.clone(),
        };
        std::fs::write(
            format!("{host}/users-rd"),
            "alice@example.org\nbob@example.org\n",
        )
        .unwrap();
        std::fs::write(format!("{host}/users-native"), "carol@example.org\n").unwrap();
        let m = "From: a@example.org\r\nSubject: via-F\r\n\r\nbody\r\n";
        let r = rd(
            &d,
            &["save", "-F", &format!("{host}/users-rd"), "-m", "INBOX"],
            Some(m),
        );
        let users = format!("{inside}/users-native");
        let n = native(&d, &["save", "-F", &users, "-m", "INBOX"], Some(m));
        assert_eq!(r.code, n.code, "{v}: {} / {}", r.stderr, n.stderr);
        for u in ["alice@example.org", "bob@example.org"] {
            let found = native(
                &d,
                &["search", "-u", u, "mailbox", "INBOX", "subject", "via-F"],
                None,
            );
            assert_eq!(found.ok().stdout.lines().count(), 1, "{v} {u}");
        }
        // An attached option value, after the query.
        twin(
            &d,
            &["search", "mailbox", "INBOX", "all", "-u{u}"],
            None,
            &[],
        );
        // No -u but $USER: doveadm runs for that local user without a userdb lookup
        // and fails (75); rdoveadm refuses with the same code and changes nothing.
        let cache = format!("{}/rdoveadm-cache", d.var("SANDBOX_DIR"));
        for line in [&["mailbox", "create", "FromEnv"][..], &["altmove", "all"]] {
            let r = d
                .rdoveadm()
                .env("XDG_CACHE_HOME", &cache)
                .env("USER", "alice@example.org")
                .args(line)
                .run();
            let mut words = d.var("SANDBOX_DOVEADM").split_whitespace();
            let n = Command::new(words.next().unwrap())
                .args(words)
                .args(line)
                .env("USER", "carol@example.org")
                .output()
                .unwrap();
            assert_eq!(Some(r.code), n.status.code(), "{v} {line:?}: {}", r.stderr);
            assert_eq!(r.code, 75, "{}", r.stderr);
        }
        for u in ["alice@example.org", "carol@example.org"] {
            let status = native(
                &d,
                &["mailbox", "status", "-u", u, "messages", "FromEnv"],
                None,
            );
            assert_eq!(status.code, 68, "{u}: {}", status.stdout);
        }
        // A missing user (and no $USER) is a usage error in both.
        twin(&d, &["altmove", "all"], None, &[]);
        // The mUTF-7 name is listed as doveadm lists it.
        let r = rd(
            &d,
            &["mailbox", "list", "-7", "-u", "alice@example.org"],
            None,
        )
        .ok();
        assert!(
            r.stdout.lines().any(|l| l == "Entw&APw-rfe"),
            "{}",
            r.stdout
        );
        let r = rd(
            &d,
            &["mailbox", "list", "-u", "alice@example.org", "-8"],
            None,
        )
        .ok();
        assert!(r.stdout.lines().any(|l| l == "Entwürfe"), "{}", r.stdout);
    }
}

#[test]
fn refused_server_commands_now_run_like_doveadm() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        for line in [
            &["log", "test"][..],
            &["penalty"],
            &["proxy", "list"],
            &["stats", "dump", "-f", "count"],
            &["user", "-x", "service=imap", "alice@example.org"],
            &["user", "-u", "alice@example.org"],
            &["-v", "who"],
            &["proxy", "kick"],
        ] {
            let r = rd(&d, line, None);
            let n = native(&d, line, None);
            assert_eq!(r.code, n.code, "{v} {line:?}: {} / {}", r.stderr, n.stderr);
        }
        // kick -f: force on 2.3, the passdb field on 2.4 (`-f user MASK`); nothing to
        // kick here, so both exit as native doveadm does for no match.
        let kick: &[&str] = if v == "2.4" {
            &["kick", "-f", "user", "nobody@example.org"]
        } else {
            &["kick", "-f", "nobody@example.org"]
        };
        let (r, n) = (rd(&d, kick, None), native(&d, kick, None));
        assert_eq!(r.code, n.code, "{v} {kick:?}: {} / {}", r.stderr, n.stderr);
        if v == "2.4" {
            // `user` was read as the field, not as a mask: "0 connections kicked".
            assert_eq!(r.stdout, n.stdout, "{v} {kick:?}");
        }
        // auth cache flush: served by 2.3's API; 2.4.1's worker aborts on it.
        let flush = ["auth", "cache", "flush"];
        if v == "2.3" {
            let r = rd(&d, &flush, None);
            assert_eq!(r.code, native(&d, &flush, None).code, "{}", r.stderr);
        } else {
            let r = rd(&d, &flush, None).code(64);
            assert!(r.one_error_line().contains("HTTP API"), "{}", r.stderr);
        }
        // stats add / remove change the server's metrics.
        let metric = [
            "stats",
            "add",
            "--fields",
            "bytes_in",
            "dropin",
            "event=imap_command_finished",
        ];
        rd(&d, &metric, None).ok();
        let dump = native(&d, &["stats", "dump"], None).ok();
        assert!(dump.stdout.contains("dropin"), "{}", dump.stdout);
        rd(&d, &["stats", "remove", "dropin"], None).ok();
        let dump = native(&d, &["stats", "dump"], None).ok();
        assert!(!dump.stdout.contains("dropin"), "{}", dump.stdout);
        // fs: the paths are the server's (2.3's posix driver; 2.4 wants an fs filter
        // the sandbox lacks, and fails alike).
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().to_str().unwrap();
        std::fs::write(dir.path().join("src"), "hello\n").unwrap();
        let prefix = format!("prefix={base}/");
        let fs: &[&str] = if v == "2.3" {
            &["posix", &prefix]
        } else {
            &["fs_posix"]
        };
        for tool in ["rd", "native"] {
            let run = |words: &[&str]| {
                let line = [&["fs"][..], &words[..1], fs, &words[1..]].concat();
                if tool == "rd" {
                    rd(&d, &line, None)
                } else {
                    native(&d, &line, None)
                }
            };
            let put_dst = format!("put-{tool}");
            let copy_dst = format!("copy-{tool}");
            let src = format!("{base}/src");
            let codes: Vec<i32> = [
                &["put", &src, &put_dst][..],
                &["stat", &put_dst],
                &["get", &put_dst],
                &["copy", &put_dst, &copy_dst],
                &["iter", "/"],
                &["iter-dirs", "/"],
                &["delete", &copy_dst],
                &["stat", "nonexistent"],
            ]
            .iter()
            .map(|w| run(w).code)
            .collect();
            let want = if v == "2.3" {
                vec![0, 0, 0, 0, 0, 0, 0, 68]
            } else {
                vec![75; 8]
            };
            assert_eq!(codes, want, "{v} {tool}");
            if v == "2.3" {
                let put = std::fs::read_to_string(dir.path().join(&put_dst)).unwrap();
                assert_eq!(put, "hello\n");
                assert!(!dir.path().join(&copy_dst).exists());
            }
        }
        // who -a: the anvil socket path on the server (inside the 2.4 chroot).
        let dir = d.var("SANDBOX_DIR");
        let anvil = match dir.find("/srv/") {
            Some(i) if v == "2.4" => format!("{}/run/anvil", &dir[i..]),
            _ => format!("{dir}/run/anvil"),
        };
        let r = rd(&d, &["who", "-a", &anvil], None);
        assert_eq!(
            r.code,
            native(&d, &["who", "-a", &anvil], None).code,
            "{}",
            r.stderr
        );
    }
}

#[test]
fn mailbox_mutf7_prints_what_doveadm_prints() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        for line in [
            &[
                "mailbox",
                "mutf7",
                "Entwürfe",
                "a&b",
                "~peter/mail/台北/日本語",
                "😀",
            ][..],
            &["mailbox", "mutf7", "-8", "Entwürfe"],
            &["mailbox", "mutf7", "-7", "Entw&APw-rfe", "a&-b", "&2D3eAA-"],
            &["mailbox", "mutf7", "-7", "ok", "bad&", "x&AGE-", "&2D0-"],
        ] {
            let r = rd(&d, line, None);
            let n = native(&d, line, None);
            assert_eq!(
                (r.code, &r.stdout),
                (n.code, &n.stdout),
                "{v} {line:?}: {}",
                r.stderr
            );
        }
    }
}

#[test]
fn doveadm_batch_and_refusals() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        // doveadm's batch: a separator and commands (Dovecot 2.3 only, as natively).
        twin(
            &d,
            &[
                "batch", "-u", "{u}", ":", "mailbox", "create", "B1", ":", "mailbox", "create",
                "B2",
            ],
            None,
            &["mailbox", "list", "-u", "{u}"],
        );
        // dsync-server is dsync's pipe end: one line that says so, exit 64 (sync and
        // backup are served: doveadm_served.rs).
        let r = rd(&d, &["dsync-server", "-u", "alice@example.org"], None).code(64);
        assert!(r.one_error_line().contains("HTTP API"), "{}", r.stderr);
        // 2.4's `instance list -c` printf()s on the server's stdout: the reply is empty.
        if v == "2.4" {
            let r = rd(&d, &["instance", "list", "-c"], None).code(64);
            assert!(r.one_error_line().contains("stdout"), "{}", r.stderr);
            // `stats dump -f`: doveadm titles the fields asked for, also with no rows.
            let line = ["stats", "dump", "-f", "uid flags hdr.subject"];
            let (r, n) = (rd(&d, &line, None), native(&d, &line, None));
            assert_eq!((r.code, &r.stdout), (n.code, &n.stdout), "{}", r.stderr);
            assert!(n
                .stdout
                .starts_with("metric_name\tfield\tuid\tflags\thdr.subject\n"));
        }
        // doveadm's -c, -i, -o configure a local doveadm: one line, exit 64.
        for opt in [
            &["-c", "/etc/dovecot/dovecot.conf"][..],
            &["-i", "other"],
            &["-o", "mail_fsync=never"],
        ] {
            let r = rd(&d, &[opt, &["who"]].concat(), None).code(64);
            assert!(r.one_error_line().contains(opt[0]), "{}", r.stderr);
        }
    }
}

/// Native doveadm's rules for the users of a mail command given no -u/-A/-F, its
/// commands' required arguments, and `kick` with nothing to kick: the same exit code
/// and end state with rdoveadm.
#[test]
fn user_fallbacks_and_required_arguments_exit_like_doveadm() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let fetch = ["fetch", "-u", "{u}", "uid flags", "mailbox", "INBOX", "all"];
        let list = ["mailbox", "list", "-u", "{u}"];
        twin(&d, &["save", "-u", "{u}"], Some(MESSAGE), &fetch);
        if v == "2.4" {
            // --no-userdb-lookup: the command runs for $USER.
            let line = [
                "flags",
                "add",
                "--no-userdb-lookup",
                "\\Seen",
                "mailbox",
                "INBOX",
                "all",
            ];
            twin_env(&d, true, &line, None, &fetch);
            let line = ["mailbox", "create", "--no-userdb-lookup", "NoLookup"];
            twin(&d, &line, None, &list); // without $USER: 64, nothing created
            twin_env(&d, true, &line, None, &list);
            // ... but a source user needs -u (doveadm-mail-copymove.c): 75, nothing moved.
            let line = [
                "move",
                "--no-userdb-lookup",
                "NoLookup",
                "user",
                "bob@example.org",
                "mailbox",
                "INBOX",
                "all",
            ];
            twin_env(&d, true, &line, None, &fetch);
            // Required arguments: import's destination and query, cache decision's
            // fields (64 from doveadm's init, not the server worker's death).
            twin(
                &d,
                &["mailbox", "cache", "decision", "-u", "{u}", "INBOX"],
                None,
                &[],
            );
        } else {
            // -S: the command runs for $USER on that doveadm server.
            let sock = format!("{}/run/doveadm-server", d.var("SANDBOX_DIR"));
            let line = [
                "flags",
                "add",
                "-S",
                &sock,
                "\\Flagged",
                "mailbox",
                "INBOX",
                "all",
            ];
            twin_env(&d, true, &line, None, &fetch);
            // -S with -F: 2.3 forwards -F without its file; it always fails.
            let dir = d.var("SANDBOX_DIR");
            for u in ["alice@example.org", "carol@example.org"] {
                std::fs::write(format!("{dir}/users-{u}"), format!("{u}\n")).unwrap();
            }
            let users = format!("{dir}/users-{{u}}");
            let line = [
                "expunge", "-S", &sock, "-F", &users, "mailbox", "INBOX", "all",
            ];
            twin_env(&d, true, &line, None, &fetch);
        }
        twin(
            &d,
            &["import", "-u", "{u}", "maildir:/nonexistent"],
            None,
            &list,
        );
        // `-F INBOX`: INBOX is the users file, and the mailbox is missing.
        twin(&d, &["mailbox", "update", "-F", "INBOX"], None, &[]);
        // Nothing to kick: 68 on 2.3, 0 on 2.4 ("0 connections kicked"); on 2.4 `-f`
        // keeps its word after permutation (the passdb field, not a second mask).
        // (2.3's doveadm refuses two user masks, where rdoveadm takes several.)
        let mut lines = vec![&["kick", "nobody@example.org"][..]];
        if v == "2.4" {
            lines.push(&["kick", "nobody@example.org", "-f", "user"]);
        }
        for line in lines {
            let (r, n) = (rd(&d, line, None), native(&d, line, None));
            assert_eq!(r.code, n.code, "{v} {line:?}: {} / {}", r.stderr, n.stderr);
        }
    }
}

/// `move -A DEST user SOURCE`: every user's run takes SOURCE's mail, so doveadm's
/// one-after-another order decides who gets it. rdoveadm sends one `-A` request (the
/// server walks its users in turn) instead of concurrent shards, which all copied the
/// source before any expunged it: the messages end up in one Archive, once.
#[test]
fn move_for_all_users_from_one_source_moves_each_message_once() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let src = "bob@example.org";
        for _ in 0..3 {
            native(&d, &["save", "-u", src], Some(MESSAGE)).code(0);
        }
        native(&d, &["mailbox", "create", "-A", "Archive"], None).code(0);
        let line = [
            "-D", "move", "-A", "Archive", "user", src, "mailbox", "INBOX", "all",
        ];
        let r = rd(&d, &line, None).code(0);
        let requests = r
            .stderr
            .lines()
            .filter(|l| l.contains("debug: > [[\"move\""))
            .collect::<Vec<_>>();
        assert_eq!(requests.len(), 1, "{v}: {requests:?}");
        assert!(
            requests[0].contains("\"allUsers\":true"),
            "{v}: {requests:?}"
        );
        let users = std::fs::read_to_string(d.var("SANDBOX_USERS_FILE")).unwrap();
        let mut archived = 0;
        for u in users.lines().filter_map(|l| l.split(':').next()) {
            let line = [
                "-f", "tab", "mailbox", "status", "-u", u, "messages", "Archive",
            ];
            let s = native(&d, &line, None).code(0);
            // `mailbox\tmessages` then `Archive\tN`.
            let n = s.stdout.lines().last().and_then(|l| l.split('\t').nth(1));
            let n = n.unwrap_or_default();
            archived += n
                .parse::<u32>()
                .unwrap_or_else(|_| panic!("{v} {u}: {:?}", s.stdout));
        }
        assert_eq!(archived, 3, "{v}: bob's 3 messages, archived once");
    }
}

/// `kick -a PATH` runs as doveadm's own command: with nothing to kick it prints what
/// doveadm prints (2.3: `no users kicked`, 68; 2.4: `0 connections kicked`, 0).
/// `stats dump -f` splits its fields on spaces and commas, as doveadm-stats.c.
#[test]
fn kick_by_anvil_socket_and_stats_fields_print_as_doveadm() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        // The socket as the server sees it (2.4 runs in a chroot under /srv).
        let host = d.var("SANDBOX_DIR").to_string();
        let dir = match host.find("/srv/") {
            Some(i) if v == "2.4" => host[i..].to_string(),
            _ => host.clone(),
        };
        let anvil = format!("{dir}/run/anvil");
        for f in [&[][..], &["-f", "tab"], &["-f", "flow"]] {
            for line in [
                [f, &["kick", "-a", &anvil, "nouser@example.org"]].concat(),
                [f, &["stats", "dump", "-f", "count,sum"]].concat(),
            ] {
                let (r, n) = (rd(&d, &line, None), native(&d, &line, None));
                assert_eq!(
                    (r.code, &r.stdout),
                    (n.code, &n.stdout),
                    "{v} {line:?}: {}",
                    r.stderr
                );
            }
        }
    }
}
