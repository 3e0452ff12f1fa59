//! doveadm commands the HTTP API serves beyond the everyday ones, run with rdoveadm and
//! with native doveadm against the same real Dovecot 2.3 and 2.4: `sync`/`backup`
//! (dsync run by the server), the acl and fts plugins' commands (sandboxes started
//! with `--plugins acl,fts`), and a plugin's command on a server without the plugin
//! (75, as doveadm's "Unknown command 'acl', but plugin acl exists").

use crate::harness::{versions, Dovecot, Out};

const MESSAGE: &str = "From: a@example.org\r\nSubject: served\r\n\r\nbody\r\n";

fn native(d: &Dovecot, args: &[&str]) -> Out {
    crate::dropin::native(d, args, None)
}

fn rd(d: &Dovecot, args: &[&str]) -> Out {
    // This instance's schema cache: the disk cache is keyed by URL, and the port may
    // have served another instance (with other plugins) minutes ago.
    let cache = format!("{}/rdoveadm-cache", d.var("SANDBOX_DIR"));
    d.rdoveadm().env("XDG_CACHE_HOME", &cache).args(args).run()
}

/// `line` with `{u}` replaced by `user`.
fn with(line: &[&str], user: &str) -> Vec<String> {
    line.iter().map(|w| w.replace("{u}", user)).collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The same exit code and stdout, both tools on the same user.
fn same(d: &Dovecot, line: &[&str]) -> Option<String> {
    let line = with(line, "alice@example.org");
    let (r, n) = (rd(d, &strs(&line)), native(d, &strs(&line)));
    (r.code != n.code || r.stdout != n.stdout).then(|| {
        format!(
            "{} {line:?}: rdoveadm exit {} {:?} (stderr {}), doveadm exit {} {:?} (stderr {})",
            d.version(),
            r.code,
            r.stdout,
            r.stderr.trim(),
            n.code,
            n.stdout,
            n.stderr.trim()
        )
    })
}

/// `line` with rdoveadm for alice and with native doveadm for carol: the same exit
/// code and stdout, then the same `probe` (native, user names taken out).
fn twin(d: &Dovecot, line: &[&str], probe: &[&str]) -> Option<String> {
    let (a, c) = ("alice@example.org", "carol@example.org");
    let r = rd(d, &strs(&with(line, a)));
    let n = native(d, &strs(&with(line, c)));
    let state = |u: &str| native(d, &strs(&with(probe, u))).stdout.replace(u, "USER");
    let (sa, sc) = (state(a), state(c));
    (r.code != n.code || r.stdout.replace(a, "USER") != n.stdout.replace(c, "USER") || sa != sc)
        .then(|| {
            format!(
                "{} {line:?}: rdoveadm exit {} (stderr {}), doveadm exit {} (stderr {}); state {sa:?} vs {sc:?}",
                d.version(),
                r.code,
                r.stderr.trim(),
                n.code,
                n.stderr.trim()
            )
        })
}

/// The files of a maildir tree under `dir` (host path), with their unique parts (times,
/// pids, uidvalidity) taken out: the shape of a backup.
fn tree(dir: &str) -> Vec<String> {
    fn walk(base: &std::path::Path, p: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(p) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            // Message files and dovecot-uidvalidity.XXXX: names with times and hosts.
            let shape = match rel.rsplit_once('/') {
                Some((dir, _)) if dir.ends_with("new") || dir.ends_with("cur") => {
                    format!("{dir}/MESSAGE")
                }
                _ if rel.starts_with("dovecot-uidvalidity.") => "dovecot-uidvalidity.X".into(),
                _ => rel,
            };
            out.push(shape);
            if path.is_dir() {
                walk(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        std::path::Path::new(dir),
        std::path::Path::new(dir),
        &mut out,
    );
    out.sort();
    out
}

#[test]
fn sync_and_backup_run_on_the_server_as_doveadm() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        for u in ["alice@example.org", "carol@example.org"] {
            crate::dropin::native(&d, &["save", "-u", u], Some(MESSAGE)).ok();
        }
        // The destination as the server sees it (2.4 runs in its chroot's /srv).
        let host = d.var("SANDBOX_DIR");
        let seen = match v {
            "2.4" => format!("/srv/{}", host.rsplit('/').next().unwrap()),
            _ => host.to_string(),
        };
        let dest = |name: &str| format!("maildir:{seen}/mail/{name}");
        let r = rd(&d, &["backup", "-u", "alice@example.org", &dest("bk-rd")]);
        let n = native(
            &d,
            &["backup", "-u", "carol@example.org", &dest("bk-native")],
        );
        assert_eq!((r.code, n.code), (0, 0), "{v}: {} / {}", r.stderr, n.stderr);
        let (tr, tn) = (
            tree(&format!("{host}/mail/bk-rd")),
            tree(&format!("{host}/mail/bk-native")),
        );
        assert!(
            tr.iter().filter(|f| f.ends_with("/MESSAGE")).count() == 1,
            "{v}: backup holds alice's message: {tr:?}"
        );
        assert_eq!(tr, tn, "{v}: rdoveadm's backup and doveadm's differ");
        // No mail_replica (68 on 2.3; 2.4 has no -d: 64), an unknown user (67), no
        // destination: the same exit codes as doveadm.
        let bad: Vec<String> = [
            &["sync", "-u", "{u}", "-d"][..],
            &[
                "backup",
                "-u",
                "nobody@example.org",
                "maildir:/nonexistent/x",
            ],
            &["sync", "-u", "{u}"],
        ]
        .iter()
        .filter_map(|line| twin(&d, line, &[]))
        .collect();
        assert!(bad.is_empty(), "{bad:#?}");
        if v == "2.3" {
            rd(&d, &["sync", "-u", "alice@example.org", "-d"]).code(68);
        }
        // `-s ''`: the state dsync ends with, printed as doveadm prints it (a titleless
        // flow row by default), each tool backing alice up to a new place.
        for (i, f) in [&[][..], &["-f", "tab"], &["-f", "json"]]
            .iter()
            .enumerate()
        {
            let line = |to: &str| {
                let mut l: Vec<String> = f.iter().map(|s| s.to_string()).collect();
                l.extend(["backup", "-s", "", "-u", "alice@example.org"].map(String::from));
                l.push(dest(&format!("{to}{i}")));
                l
            };
            let r = rd(&d, &strs(&line("st-rd")));
            let n = native(&d, &strs(&line("st-native")));
            assert_eq!(
                (r.code, &r.stdout),
                (0, &n.stdout),
                "{v} {f:?}: {}",
                r.stderr
            );
            assert!(r.stdout.len() > 20, "{v} {f:?}: no state: {:?}", r.stdout);
        }
    }
}

#[test]
fn acl_commands_print_and_exit_as_doveadm() {
    for v in versions() {
        let d = Dovecot::start(v, &["--plugins", "acl,fts"]);
        let get = ["acl", "get", "-u", "{u}", "INBOX"];
        let mut bad = Vec::new();
        // State: the same ACL after each tool's command, checked with doveadm.
        for line in [
            &[
                "acl",
                "set",
                "-u",
                "{u}",
                "INBOX",
                "user=bob@example.org",
                "lookup",
                "read",
            ][..],
            &[
                "acl",
                "add",
                "-u",
                "{u}",
                "INBOX",
                "user=bob@example.org",
                "write",
            ],
            &[
                "acl",
                "remove",
                "-u",
                "{u}",
                "INBOX",
                "user=bob@example.org",
                "read",
            ],
            &["acl", "set", "-u", "{u}", "INBOX", "group=staff", "lookup"],
            &["acl", "delete", "-u", "{u}", "INBOX", "group=staff"],
            &["acl", "recalc", "-u", "{u}"],
            &[
                "acl",
                "set",
                "-u",
                "{u}",
                "Nope",
                "user=bob@example.org",
                "lookup",
            ],
        ] {
            bad.extend(twin(&d, line, &get));
        }
        // Output, every formatter, also with no rows and on failure (doveadm prints
        // its titles in the command's init, before the user is looked up).
        for f in [
            &[][..],
            &["-f", "tab"],
            &["-f", "flow"],
            &["-f", "json"],
            &["-f", "pager"],
        ] {
            for cmd in [
                &["acl", "get", "-u", "{u}", "INBOX"][..],
                &["acl", "get", "-u", "{u}", "-m", "INBOX"],
                &["acl", "get", "-A", "INBOX"],
                &["acl", "get", "-u", "*@example.org", "INBOX"],
                &["acl", "get", "-u", "nobody@example.org", "INBOX"],
                &["acl", "get", "-u", "{u}", "Nope"],
                &["acl", "rights", "-u", "{u}", "INBOX"],
                &["acl", "rights", "-u", "nobody@example.org", "INBOX"],
                &["acl", "debug", "-u", "{u}", "INBOX"],
                &["acl", "debug", "-u", "{u}", "Nope"],
            ] {
                bad.extend(same(&d, &[f, cmd].concat()));
            }
        }
        // With no ACL left: `acl get -A` still prints doveadm's titles, Username first.
        bad.extend(twin(
            &d,
            &[
                "acl",
                "delete",
                "-u",
                "{u}",
                "INBOX",
                "user=bob@example.org",
            ],
            &get,
        ));
        bad.extend(same(&d, &["acl", "get", "-A", "INBOX"]));
        assert!(bad.is_empty(), "{bad:#?}");
        let r = rd(&d, &["acl", "get", "-A", "INBOX"]).ok();
        assert!(r.stdout.starts_with("Username "), "{v}: {:?}", r.stdout);
    }
}

#[test]
fn fts_commands_exit_as_doveadm() {
    for v in versions() {
        // fts without a backend (the sandbox's packages have none that works): its
        // commands are served and fail as doveadm's ("fts not enabled", 68 or 78).
        let d = Dovecot::start(v, &["--plugins", "acl,fts"]);
        let mut bad = Vec::new();
        for f in [&[][..], &["-f", "tab"], &["-f", "json"]] {
            for cmd in [
                &["fts", "rescan", "-u", "{u}"][..],
                &["fts", "rescan", "-A"],
                &["fts", "optimize", "-u", "{u}"],
                &["fts", "optimize", "-u", "nobody@example.org"],
                // (fts lookup/expand print with printf, lost over HTTP: lost_output.rs.)
                &["fts", "tokenize", "-u", "{u}", "hello world"],
                // Commands of other fts plugins (Dovecot Pro's fts check, flatcurve): the
                // fts plugin is loaded, they are not (64, doveadm's fts usage).
                &["fts", "check", "fast", "-u", "{u}"],
                &["fts", "flatcurve", "check", "-u", "{u}", "INBOX"],
                // No such command of a loaded plugin: doveadm's usage, 64.
                &["fts", "bogus", "-u", "{u}"],
                &["acl"],
            ] {
                bad.extend(same(&d, &[f, cmd].concat()));
            }
        }
        assert!(bad.is_empty(), "{bad:#?}");
        rd(&d, &["fts", "rescan", "-u", "alice@example.org"]).code(68);
    }
}

#[test]
fn a_plugin_command_without_its_plugin_exits_75_as_doveadm() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        for (line, plugin) in [
            (
                &["acl", "get", "-u", "alice@example.org", "INBOX"][..],
                "acl",
            ),
            (&["acl", "recalc", "-A"], "acl"),
            (&["fts", "rescan", "-u", "alice@example.org"], "fts"),
            (&["fts", "check", "fast", "-u", "alice@example.org"], "fts"),
            (
                &[
                    "fts",
                    "flatcurve",
                    "check",
                    "-u",
                    "alice@example.org",
                    "INBOX",
                ],
                "fts",
            ),
            // The plugin's word alone, or with no command of the table.
            (&["acl"], "acl"),
            (&["fts", "bogus", "-u", "alice@example.org"], "fts"),
        ] {
            native(&d, line).code(75);
            let r = rd(&d, line).code(75);
            assert!(
                r.one_error_line().contains(&format!(
                    "has not loaded plugin {plugin} (mail_plugins={plugin})"
                )),
                "{v} {line:?}: {}",
                r.stderr
            );
        }
        // Not a plugin's command (mail_crypt's are `mailbox cryptokey ...`): doveadm's
        // usage, 64, as before.
        let line = ["mailbox", "cryptokey", "list", "-u", "alice@example.org"];
        assert_eq!(rd(&d, &line).code, native(&d, &line).code, "{v}");
        rd(&d, &line).code(64);
    }
}

/// The sandbox's config without the quota plugin (in mail_plugins and imap's
/// imap_quota, which needs it), reloaded.
fn without_quota(d: &Dovecot) {
    let conf = d.var("SANDBOX_CONF");
    let text = std::fs::read_to_string(conf).unwrap();
    let edited: String = text
        .lines()
        .filter(|l| !matches!(l.trim(), "quota = yes" | "imap_quota = yes"))
        .map(|l| {
            let l = l.replace("$mail_plugins imap_quota", "$mail_plugins");
            let l = l.replace("$mail_plugins quota", "$mail_plugins");
            format!("{l}\n")
        })
        .collect();
    assert_ne!(text, edited, "{}: no quota plugin to remove", d.version());
    std::fs::write(conf, edited).unwrap();
    d.reload();
}

#[test]
fn quota_without_its_plugin_exits_75_as_doveadm() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        without_quota(&d);
        let get = ["quota", "get", "-u", "alice@example.org"];
        // The reload replaces the server's doveadm processes: wait for a new one.
        let start = std::time::Instant::now();
        while rd(&d, &get).code == 0 && start.elapsed().as_secs() < 15 {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        for line in [
            &get[..],
            &["quota", "recalc", "-u", "alice@example.org"],
            &["-f", "tab", "quota", "get", "-A"],
            &["quota", "recalc", "-A"],
        ] {
            let n = native(&d, line);
            let r = rd(&d, line);
            assert_eq!((r.code, n.code), (75, 75), "{v} {line:?}: {}", r.stderr);
            assert!(
                r.one_error_line()
                    .contains("has not loaded plugin quota (mail_plugins=quota)"),
                "{v} {line:?}: {}",
                r.stderr
            );
        }
    }
}
