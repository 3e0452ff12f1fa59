//! A newcomer's first hour (issue 14), against real Dovecot 2.3 and 2.4: arguments
//! that make Dovecot's doveadm worker die are refused here with doveadm's own words
//! (exit 64, no mail touched), a worker that still dies is named, and each connection
//! mistake (wrong scheme, a socket path as URL, untrusted certificates) gets a hint.

use serde_json::Value;

use crate::harness::{versions, Dovecot, Rd};

const ALICE: &str = "alice@example.org";
const MSG: &str = "From: bob@example.org\nTo: alice@example.org\nSubject: keep me\n\nhello\n";

/// Messages in INBOX, from `mailbox status`.
fn inbox_count(d: &Dovecot) -> u64 {
    let out = d
        .rdoveadm()
        .args([
            "-f", "json", "mailbox", "status", "-u", ALICE, "messages", "INBOX",
        ])
        .run()
        .ok();
    let v: Value = out.json();
    v[0]["messages"].as_str().unwrap().parse().unwrap()
}

fn mailboxes(d: &Dovecot) -> Vec<String> {
    let out = d
        .rdoveadm()
        .args(["-f", "tab", "--no-header", "mailbox", "list", "-u", ALICE])
        .run()
        .ok();
    out.stdout.lines().map(str::to_string).collect()
}

#[test]
fn worker_death_cases_exit_64_with_doveadms_reason_and_touch_nothing() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        d.imap_login(ALICE, "alicepw").append("INBOX", MSG);
        d.imap_login(ALICE, "alicepw").append("INBOX", MSG);
        assert_eq!(inbox_count(&d), 2, "{v}");
        let before = mailboxes(&d);

        let besides = "To avoid accidents, each branch in search query must contain something else besides MAILBOX (e.g. just add \"all\" if you want everything)";
        let cases: Vec<(Vec<&str>, String)> = vec![
            (
                vec!["expunge", "--yes", "-u", ALICE, "mailbox", "INBOX"],
                format!("expunge: {besides}"),
            ),
            (
                vec!["move", "-u", ALICE, "Trash", "mailbox", "INBOX"],
                format!("move: {besides}"),
            ),
            (
                vec!["expunge", "--yes", "-u", ALICE, "seen"],
                "expunge: To avoid accidents, search query must contain MAILBOX in all search branches".into(),
            ),
            (
                vec!["api", "expunge", "user=alice@example.org", "query=mailbox,INBOX"],
                format!("expunge: {besides}"),
            ),
            (
                vec!["api", "mailboxMetadataGet", "mailbox=INBOX", "key=/private/comment"],
                "mailboxMetadataGet: USER environment is missing and -u option not used".into(),
            ),
            (
                vec!["api", "mailboxStatus", "field=messages", "mailboxMask=INBOX"],
                "mailboxStatus: USER environment is missing and -u option not used".into(),
            ),
            (
                vec!["mailbox", "create", "-u", ALICE, "Archive/2024"],
                "Invalid mailbox name: Name must not have '/' characters".into(),
            ),
            (
                vec!["mailbox", "create", "-u", ALICE, "~x"],
                "Invalid mailbox name: Begins with '~'".into(),
            ),
        ];
        for (args, want) in &cases {
            let out = d.rdoveadm().args(args).run().code(64);
            let line = out.one_error_line();
            assert!(line.contains(want.as_str()), "{v} {args:?}: {line}");
        }
        // Native doveadm says the same words for the same arguments.
        let native = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{} expunge -u {ALICE} mailbox INBOX",
                d.var("SANDBOX_DOVEADM")
            ))
            .output()
            .unwrap();
        assert_eq!(native.status.code(), Some(64), "{v}");
        assert!(
            String::from_utf8_lossy(&native.stderr).contains(besides),
            "{v}: {}",
            String::from_utf8_lossy(&native.stderr)
        );
        assert_eq!(inbox_count(&d), 2, "{v}: no mail touched");
        assert_eq!(mailboxes(&d), before, "{v}: no mailbox created");

        // A worker that still dies (a parenthesised query goes to the server unjudged)
        // is named, with native doveadm's exit code for a fatal error (75), and no mail touched.
        for (name, rd) in [
            ("tcp", d.rdoveadm()),
            (
                "socket",
                Rd::new()
                    .env("RDOVEADM_SOCKET", d.socket())
                    .env("RDOVEADM_PASSWORD", d.password()),
            ),
        ] {
            let out = rd
                .args([
                    "expunge", "--yes", "-u", ALICE, "(", "mailbox", "INBOX", ")",
                ])
                .run()
                .code(75);
            assert!(
                out.one_error_line().contains(
                    "`expunge`: the server's doveadm process ended without a reply; see `rdoveadm log errors`"
                ),
                "{v} {name}: {}",
                out.stderr
            );
        }
        assert_eq!(inbox_count(&d), 2, "{v}: no mail touched");
    }
}

#[test]
fn connection_mistakes_get_a_hint() {
    for v in versions() {
        connection_mistakes_on(v);
    }
}

fn connection_mistakes_on(v: &str) {
    let plain = Dovecot::start(v, &[]);
    let tls = Dovecot::start(v, &["--tls"]);
    let port = |d: &Dovecot| d.var("SANDBOX_HTTP_PORT").to_string();
    let pw = |d: &Dovecot| Rd::new().env("RDOVEADM_PASSWORD", d.password());

    // https:// to the plain listener.
    let url = format!("https://127.0.0.1:{}", port(&plain));
    let out = pw(&plain).args(["--url", &url, "who"]).run().code(78);
    let line = out.one_error_line();
    assert!(line.contains("does not speak TLS"), "{line}");
    assert!(
        line.contains(&format!(
            "use `http://127.0.0.1:{}/doveadm/v1`",
            port(&plain)
        )),
        "{line}"
    );

    // http:// to the TLS listener: Dovecot closes without a word; we find it speaks TLS.
    let url = format!("http://127.0.0.1:{}", port(&tls));
    for cmd in [
        &["who"][..],
        &["mailbox", "list", "-u", ALICE],
        &["commands"],
    ] {
        let out = pw(&tls).args(["--url", &url]).args(cmd).run().code(78);
        let line = out.one_error_line();
        assert!(
            line.contains(&format!(
                "it is a TLS listener; use `https://127.0.0.1:{}/doveadm/v1`",
                port(&tls)
            )),
            "{cmd:?}: {line}"
        );
    }

    // A socket path given to --url: use --socket. unix:PATH and unix:///PATH work.
    let out = pw(&plain)
        .args(["--url", plain.socket(), "who"])
        .run()
        .code(78);
    let line = out.one_error_line();
    assert!(
        line.contains(&format!("use --socket {}", plain.socket())),
        "{line}"
    );
    // And a URL given to --socket: use --url.
    let url = format!("http://127.0.0.1:{}", port(&plain));
    let out = pw(&plain).args(["--socket", &url, "who"]).run().code(78);
    let line = out.one_error_line();
    assert!(line.contains(&format!("use --url {url}")), "{line}");
    for spelled in [
        format!("unix:{}", plain.socket()),
        format!("unix://{}", plain.socket()),
    ] {
        pw(&plain).args(["--url", &spelled, "who"]).run().ok();
        pw(&plain).args(["--socket", &spelled, "who"]).run().ok();
        pw(&plain)
            .env("RDOVEADM_SOCKET", &spelled)
            .args(["who"])
            .run()
            .ok();
    }
}

#[test]
fn certificate_failures_exit_77_with_a_hint_for_the_cause() {
    let ok = Dovecot::start("2.3", &["--tls"]);
    let expired = Dovecot::start("2.3", &["--tls", "--cert", "expired"]);
    let wrong = Dovecot::start("2.3", &["--tls", "--cert", "wrong-name"]);
    let run = |d: &Dovecot, ca: bool| {
        let mut rd = d.rdoveadm_no_ca();
        if ca {
            rd = rd.args(["--cacert", d.var("SANDBOX_CACERT")]);
        }
        rd.args(["who"]).run()
    };
    // Unknown issuer: the only case where --cacert is the fix.
    let out = run(&ok, false).code(77);
    let line = out.one_error_line();
    assert!(
        line.contains("unknown issuer") && line.contains("--cacert"),
        "{line}"
    );
    run(&ok, true).ok();
    // Expired, with the right CA: no --cacert advice.
    let out = run(&expired, true).code(77);
    let line = out.one_error_line();
    assert!(
        line.contains("has expired") && !line.contains("--cacert"),
        "{line}"
    );
    // Wrong name, with the right CA.
    let out = run(&wrong, true).code(77);
    let line = out.one_error_line();
    assert!(
        line.contains("is for another name") && !line.contains("--cacert"),
        "{line}"
    );
    // probe says 77 for the same certificates.
    let imaps = expired.var("SANDBOX_IMAPS_PORT");
    Rd::new()
        .args(["probe", "127.0.0.1", "--only", "imaps", "--imaps", imaps])
        .args(["--cacert", expired.var("SANDBOX_CACERT")])
        .run()
        .code(77);
}

/// The sections of a `--help` text: heading line -> the lines under it.
fn help_section<'a>(help: &'a str, heading: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .collect()
}

#[test]
fn help_shows_own_options_then_the_global_ones_it_uses() {
    let help = |args: &[&str]| Rd::new().args(args).args(["--help"]).run().ok().stdout;
    // probe: its own --cacert/--timeout, no API credential or server option at all.
    let probe = help(&["probe"]);
    let own = help_section(&probe, "Options:").join("\n");
    let global = help_section(&probe, "Global options:").join("\n");
    assert!(
        probe.find("Options:") < probe.find("Global options:"),
        "{probe}"
    );
    assert!(own.contains("--cacert") && own.contains("--timeout") && own.contains("--only"));
    assert!(
        global.contains("--format") && global.contains("--debug"),
        "{global}"
    );
    for flag in [
        "--password-file",
        "--api-key-file",
        "--auth-user",
        "--url",
        "--socket",
        "--server",
        "--insecure",
    ] {
        assert!(
            !probe.split_whitespace().any(|w| w == flag),
            "probe --help lists {flag}:\n{probe}"
        );
    }
    // A mail command: -u among its own options, the connection under "Global options".
    let status = help(&["mailbox", "status"]);
    let own = help_section(&status, "Options:").join("\n");
    let global = help_section(&status, "Global options:").join("\n");
    assert!(own.contains("--user") && !own.contains("--url"), "{own}");
    for flag in [
        "--url",
        "--socket",
        "--password-file",
        "--api-key-file",
        "--format",
    ] {
        assert!(
            global.contains(flag),
            "{flag} not under Global options:\n{status}"
        );
    }
    // A command that prints no rows lists no output option; one that does, does.
    let create = help(&["mailbox", "create"]);
    let global = help_section(&create, "Global options:").join("\n");
    assert!(
        global.contains("--url") && !global.contains("--format"),
        "{create}"
    );
    assert!(!global.contains("--no-header"), "{create}");
    // The hidden globals are still accepted (a shared alias keeps working).
    Rd::new()
        .args(["probe", "--password-file", "/nonexistent", "--help"])
        .run()
        .ok();
    // The main help's exit-code list comes from the one table and has every code.
    let main = help(&[]);
    for code in [
        "0", "1", "64", "65", "66", "67", "68", "69", "70", "75", "76", "77", "78", "other",
    ] {
        assert!(
            main.lines()
                .any(|l| l.trim_start().starts_with(&format!("{code} "))),
            "exit code {code} missing from --help:\n{main}"
        );
    }
}

#[test]
fn man_pages_have_a_global_options_section() {
    let files = rdoveadm::docs::files();
    let page = |name: &str| {
        let (_, text) = files
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .unwrap_or_else(|| panic!("no {name}"));
        String::from_utf8_lossy(text).into_owned()
    };
    let section = |text: &str, sh: &str| -> String {
        let start = text.find(sh).unwrap_or_else(|| panic!("no {sh}:\n{text}"));
        let rest = &text[start + sh.len()..];
        rest[..rest.find("\n.SH ").unwrap_or(rest.len())].to_string()
    };
    let probe = page("rdoveadm-probe.1");
    assert!(probe.find(".SH OPTIONS") < probe.find(".SH \"GLOBAL OPTIONS\""));
    let own = section(&probe, ".SH OPTIONS");
    let global = section(&probe, ".SH \"GLOBAL OPTIONS\"");
    assert!(own.contains("cacert") && !own.contains("format"), "{own}");
    assert!(
        global.contains("format") && !global.contains("password"),
        "{global}"
    );
    assert!(
        !probe.contains("password\\-file") && !probe.contains("api\\-key"),
        "{probe}"
    );
    let status = page("rdoveadm-mailbox-status.1");
    let own = section(&status, ".SH OPTIONS");
    let global = section(&status, ".SH \"GLOBAL OPTIONS\"");
    assert!(
        own.contains("user") && !own.contains("password\\-file"),
        "{own}"
    );
    assert!(
        global.contains("password\\-file") && global.contains("socket"),
        "{global}"
    );
    // The main page: EXIT STATUS from the same table as --help.
    let main = page("rdoveadm.1");
    let exit = section(&main, ".SH \"EXIT STATUS\"");
    for (code, _) in rdoveadm::error::EXIT_CODE_TABLE {
        let tag = rdoveadm::error::exit_code_label(*code);
        assert!(
            exit.contains(&format!("\\fB{tag}\\fR")),
            "{tag} missing:\n{exit}"
        );
    }
    assert!(main.contains(".SH \"GLOBAL OPTIONS\""));
}

#[test]
fn user_file_dash_reads_stdin_on_every_command() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        // The literal pipeline of the issue: users `a` and `b` are read from stdin, each
        // asked for (and unknown here: one line each, 67), not "cannot read '-'" (66).
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("printf 'a\\nb\\n' | \"$RD\" quota get -F -")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap())
            .env("HOME", std::env::temp_dir())
            .env("RD", env!("CARGO_BIN_EXE_rdoveadm"))
            .env("RDOVEADM_URL", d.url())
            .env("RDOVEADM_PASSWORD", d.password())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(67), "{v}: {stderr}");
        assert!(
            stderr.contains("user `a`") && stderr.contains("user `b`"),
            "{v}: {stderr}"
        );
        assert!(!stderr.contains("cannot read"), "{v}: {stderr}");
        // Real users from stdin, on every command that takes -F.
        let two = "alice@example.org\nbob@example.org\n";
        let out = d
            .rdoveadm()
            .args(["-f", "tab", "--no-header", "quota", "get", "-F", "-"])
            .stdin(two)
            .run()
            .ok();
        let users: std::collections::BTreeSet<&str> = out
            .stdout
            .lines()
            .filter_map(|l| l.split('\t').next())
            .collect();
        assert_eq!(
            users.into_iter().collect::<Vec<_>>(),
            ["alice@example.org", "bob@example.org"],
            "{v}"
        );
        for args in [
            vec!["mailbox", "list", "-F", "-"],
            vec!["mailbox", "status", "-F", "-", "messages", "INBOX"],
            vec!["mailbox", "create", "-F", "-", "FromStdin"],
            vec!["mailbox", "subscribe", "-F", "-", "FromStdin"],
            vec!["mailbox", "unsubscribe", "-F", "-", "FromStdin"],
            vec!["mailbox", "rename", "-F", "-", "FromStdin", "FromStdin2"],
            vec!["mailbox", "delete", "--yes", "-F", "-", "FromStdin2"],
            vec!["quota", "recalc", "-F", "-"],
            vec!["fetch", "-F", "-", "uid", "mailbox", "INBOX", "all"],
            vec!["search", "-F", "-", "mailbox", "INBOX", "all"],
            vec!["expunge", "--yes", "-F", "-", "mailbox", "INBOX", "deleted"],
            vec![
                "flags", "add", "-F", "-", "\\Seen", "mailbox", "INBOX", "all",
            ],
            vec![
                "flags", "remove", "-F", "-", "\\Seen", "mailbox", "INBOX", "all",
            ],
            vec![
                "flags", "replace", "-F", "-", "\\Seen", "mailbox", "INBOX", "all",
            ],
            vec!["move", "-F", "-", "INBOX", "mailbox", "INBOX", "deleted"],
            vec!["copy", "-F", "-", "INBOX", "mailbox", "INBOX", "deleted"],
            vec!["index", "-F", "-", "INBOX"],
            vec!["force-resync", "-F", "-", "INBOX"],
        ] {
            let out = d.rdoveadm().args(&args).stdin(two).run();
            assert_eq!(out.code, 0, "{v} {args:?}: {}", out.stderr);
        }
    }
}

/// Listeners that accept connections and never answer; alive while the value lives.
struct Silent {
    urls: Vec<String>,
}

impl Silent {
    fn start(n: usize) -> Silent {
        let mut urls = Vec::new();
        for _ in 0..n {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            urls.push(format!("http://{}", l.local_addr().unwrap()));
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for c in l.incoming().flatten() {
                    held.push(c);
                }
            });
        }
        Silent { urls }
    }
}

#[test]
fn ctrl_c_clears_the_progress_line_and_stops_a_shell_loop() {
    let d = Dovecot::start("2.3", &[]);
    let silent = Silent::start(2);
    let t = crate::completion::Tmux::start_sized(
        "ctrlc",
        "bash --norc --noprofile",
        &crate::completion::shell_env(&d),
        80,
        24,
    );
    // One server answers at once, two never: the progress line stays up at 1/3. One
    // Ctrl-C must end the whole loop, as it does for any program killed by SIGINT
    // (a child that only exits 130 lets bash go on with the next round).
    t.clear(1);
    t.type_text(&format!(
        "for i in 1 2; do rdoveadm -f tab --url {} --url {} --url {} who; echo \"rc$i=$?\"; done; echo \"last=$?\"",
        d.url(),
        silent.urls[0],
        silent.urls[1]
    ));
    t.keys(&["Enter"]);
    t.wait("the progress line", |s| s.contains("1/3 servers"));
    t.keys(&["C-c"]);
    // Bash drops the rest of the line; `$?` on the next one is still 130.
    t.type_text("echo \"after=$?\"");
    t.keys(&["Enter"]);
    let s = t.wait("the loop to stop", |s| {
        s.lines()
            .any(|l| l.starts_with("after=") || l.starts_with("rc1="))
    });
    assert!(
        !s.lines()
            .any(|l| l.starts_with("rc1=") || l.starts_with("last=")),
        "the loop went on after Ctrl-C:\n{s}"
    );
    assert!(s.lines().any(|l| l == "after=130"), "{s}");
    assert!(
        !s.contains("servers ·"),
        "the progress line was left on screen:\n{s}"
    );
}

/// A run on a real pty of `cols` columns (stdout and stderr both on it), NO_COLOR set.
fn on_pty(rd_env: &[(&str, &str)], args: &[&str], cols: usize) -> String {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_rdoveadm"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    let cmd = format!("stty cols {cols} rows 50; exec {}", quoted.join(" "));
    let mut c = std::process::Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", std::env::temp_dir())
        .env("SHELL", "/bin/sh")
        .env("NO_COLOR", "1");
    for (k, v) in rd_env {
        c.env(k, v);
    }
    let o = c.output().expect("run script(1)");
    String::from_utf8_lossy(&o.stdout).replace("\r\n", "\n")
}

/// The rows of a vertical table: blocks of `key: value` lines, a value wrapped onto
/// indented lines joined back.
fn vertical_rows(screen: &str) -> Vec<Vec<(String, String)>> {
    let mut rows: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for l in screen.lines() {
        if l.is_empty() {
            rows.push(Vec::new());
        } else if let Some(more) = l.strip_prefix("  ") {
            let row = rows.last_mut().unwrap();
            row.last_mut()
                .expect("continuation without a key")
                .1
                .push_str(more);
        } else if let Some((k, v)) = l.split_once(':') {
            rows.last_mut()
                .unwrap()
                .push((k.to_string(), v.trim_start().to_string()));
        }
    }
    rows.retain(|r| !r.is_empty());
    rows
}

/// Every line fits `cols`, and each row's fields are the JSON rows' values, whole.
/// `varies`: fields that differ between two runs (timings): only checked to be there.
fn assert_whole(screen: &str, json: &Value, cols: usize, what: &str, varies: &[&str]) {
    for l in screen.lines() {
        assert!(
            l.chars().count() <= cols,
            "{what}: line wider than {cols}: {l:?}\n{screen}"
        );
    }
    assert!(!screen.contains('…'), "{what}: a value was cut:\n{screen}");
    let rows = vertical_rows(screen);
    let want = json.as_array().unwrap();
    assert_eq!(rows.len(), want.len(), "{what}:\n{screen}");
    for (got, want) in rows.iter().zip(want) {
        for (k, v) in want.as_object().unwrap() {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            let shown = got
                .iter()
                .find(|(gk, _)| gk == k)
                .map(|(_, gv)| gv.as_str());
            if varies.contains(&k.as_str()) {
                assert!(
                    shown.is_some_and(|s| !s.is_empty()),
                    "{what}: `{k}`:\n{screen}"
                );
                continue;
            }
            assert_eq!(shown.unwrap_or(""), v, "{what}: `{k}`:\n{screen}");
        }
    }
}

#[test]
fn tables_at_80_columns_fit_and_show_every_value_whole() {
    let d = Dovecot::start("2.3", &["--tls"]);
    d.imap_login(ALICE, "alicepw").append("INBOX", MSG);
    let ca = d.var("SANDBOX_CACERT");
    let env = [
        ("RDOVEADM_URL", d.url()),
        ("RDOVEADM_PASSWORD", d.password()),
    ];
    let status = ["mailbox", "status", "-u", ALICE, "all", "INBOX"];
    let screen = on_pty(&env, &[&["--cacert", ca][..], &status].concat(), 80);
    let json = d
        .rdoveadm()
        .args(["-f", "json"])
        .args(status)
        .run()
        .ok()
        .json();
    assert!(json[0]["uidvalidity"].as_str().unwrap().len() >= 9);
    assert_whole(&screen, &json, 80, "mailbox status all", &[]);

    let (imap, imaps) = (d.var("SANDBOX_IMAP_PORT"), d.var("SANDBOX_IMAPS_PORT"));
    let probe = [
        "probe",
        "127.0.0.1",
        "--only",
        "imap,imaps",
        "--imap",
        imap,
        "--imaps",
        imaps,
        "--cacert",
        ca,
    ];
    let screen = on_pty(&[], &probe, 80);
    // The summary line goes to stderr, which is on the pty too.
    let screen: String = screen
        .lines()
        .filter(|l| !l.starts_with("probe: "))
        .map(|l| format!("{l}\n"))
        .collect();
    let json = Rd::new().args(["-f", "json"]).args(probe).run().json();
    assert!(
        json[1]["cert_subject"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1"),
        "{json}"
    );
    assert_whole(&screen, &json, 80, "probe", &["connect_ms", "handshake_ms"]);
}
