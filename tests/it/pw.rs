//! `pw` runs in rdoveadm itself: its hashes must pass native `doveadm pw -t` and
//! native hashes `rdoveadm pw -t`, for every scheme, on 2.3 and on 2.4; `-l` and the
//! exit codes of the error cases are native's (RDOVEADM_DOVECOT_VERSION picks the version).

use crate::dropin::native;
use crate::harness::{versions, Dovecot, Out, Rd};

const PW: &str = "pässw0rd";
const USER: &str = "bob@example.org";

fn rd(version: &str, args: &[&str], stdin: Option<&str>) -> Out {
    let mut r = Rd::new()
        .env("RDOVEADM_DOVECOT_VERSION", version)
        .args(["pw"])
        .args(args);
    if let Some(s) = stdin {
        r = r.stdin(s);
    }
    r.run()
}

/// Native `doveadm pw ARGS` on `d`'s version.
fn nat(d: &Dovecot, args: &[&str], stdin: Option<&str>) -> Out {
    let all: Vec<&str> = ["pw"].iter().chain(args).copied().collect();
    native(d, &all, stdin)
}

/// The hash line each tool prints for `pw ARGS` (both must succeed).
fn both(d: &Dovecot, v: &str, args: &[&str]) -> (String, String) {
    (
        rd(v, args, None).ok().stdout,
        nat(d, args, None).ok().stdout,
    )
}

fn schemes(list: &str) -> Vec<String> {
    list.split_whitespace().map(str::to_string).collect()
}

#[test]
fn list_is_natives() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let n = nat(&d, &["-l"], None).ok();
        let r = rd(v, &["-l"], None).ok();
        assert_eq!(r.stdout, n.stdout, "{v}");
        assert!(!n.stdout.contains("NTLM"));
    }
}

#[test]
fn hashes_verify_both_ways() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let list = nat(&d, &["-l"], None).ok().stdout;
        let mut names = schemes(&list);
        names.extend(["SHA256.HEX", "PLAIN-MD5.B64", "sha512-crypt"].map(String::from));
        for s in &names {
            let gen = ["-s", s.as_str(), "-p", PW, "-u", USER];
            let (mine, theirs) = both(&d, v, &gen);
            assert!(
                mine.starts_with(&format!("{{{}}}", s.to_uppercase())),
                "{v} {s}: {mine}"
            );
            for (hash, who) in [
                (mine.trim_end(), "rdoveadm's"),
                (theirs.trim_end(), "native's"),
            ] {
                let t = ["-p", PW, "-u", USER, "-t", hash];
                let n = nat(&d, &t, None);
                let r = rd(v, &t, None);
                if s == "PLAIN-TRUNC" {
                    // Native's own PLAIN-TRUNC hash fails its verifier (no length prefix).
                    assert_eq!((n.code, r.code), (75, 75), "{v} {s} {who}");
                    continue;
                }
                assert_eq!(
                    n.code, 0,
                    "{v} {s}: native rejects {who} {hash}: {}",
                    n.stderr
                );
                assert_eq!(
                    r.code, 0,
                    "{v} {s}: rdoveadm rejects {who} {hash}: {}",
                    r.stderr
                );
                assert_eq!(r.stdout, n.stdout, "{v} {s} {who}");
                assert!(r.stdout.ends_with(" (verified)\n"));
                // A wrong password fails both, with doveadm's exit code.
                let bad = ["-p", "wrong", "-u", USER, "-t", hash];
                let n = nat(&d, &bad, None);
                let r = rd(v, &bad, None);
                assert_eq!((r.code, n.code), (75, 75), "{v} {s} {who}");
                assert!(!r.stderr.contains(PW) && !r.stderr.contains("wrong"));
            }
            // Unsalted schemes: the very bytes.
            if [
                "SHA",
                "SHA1",
                "SHA256",
                "SHA512",
                "PLAIN-MD5",
                "LDAP-MD5",
                "CRAM-MD5",
                "HMAC-MD5",
                "DIGEST-MD5",
                "PLAIN-MD4",
                "PLAIN",
                "CLEAR",
                "SHA256.HEX",
                "PLAIN-MD5.B64",
            ]
            .contains(&s.as_str())
            {
                assert_eq!(mine, theirs, "{v} {s}");
            }
            // -V verifies what it made.
            let vv = rd(v, &["-V", "-s", s, "-p", PW, "-u", USER], None);
            if s != "PLAIN-TRUNC" {
                assert!(vv.ok().stdout.ends_with(" (verified)\n"));
            }
        }
    }
}

#[test]
fn errors_exit_as_native() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let cases: &[(&[&str], Option<&str>)] = &[
            (&["-s", "nope", "-p", "x"], None),
            (&["-s", "sha.b32", "-p", "x"], None),
            (&["-p", "x", "-t", "nobrace"], None),
            (&["-p", "x", "-t", "{NOPE}x"], None),
            (&["-p", "x", "-t", "{SHA}!!"], None),
            (&["-s", "digest-md5", "-p", "x"], None),
            (&["-s", "plain", "-p", "x", "-r", "-1"], None),
            (&["-s", "plain", "-p", "x", "-r", "4294967296"], None),
            // No -p: two lines from stdin (not a terminal: no prompt).
            (&["-s", "plain"], Some("secret\nsecret\n")),
            (&["-s", "plain"], Some("a\nb\na\nc\nd\ne\n")),
            (&["-s", "plain"], Some("a\nb\nc\nc\n")),
            (&["-s", "plain"], Some("")),
            (&["-t", "{PLAIN}secret"], Some("secret\n")),
        ];
        for (args, stdin) in cases {
            if v == "2.4" && args.contains(&"4294967296") {
                continue; // native 2.4 aborts (134) on it; rdoveadm exits 75
            }
            let n = nat(&d, args, *stdin);
            let r = rd(v, args, *stdin);
            assert_eq!(
                r.code, n.code,
                "{v} {args:?}: native {} / rdoveadm {}",
                n.stderr, r.stderr
            );
            if n.code == 0 && !args.contains(&"-t") {
                // PLAIN: the same bytes.
                assert_eq!(r.stdout, n.stdout, "{v} {args:?}");
            }
            assert!(!r.stderr.contains("secret"), "{}", r.stderr);
            assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        }
    }
}

#[test]
fn rounds_as_native() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let scram = if v == "2.4" { "}5000," } else { "}4096," };
        let cases = [
            ("SHA512-CRYPT", "1000", "$6$rounds=1000$"),
            ("SHA256-CRYPT", "999", "$5$rounds=1000$"),
            ("SHA256-CRYPT", "5000", "}$5$"),
            ("PBKDF2", "10", "$10$"),
            ("BLF-CRYPT", "2", "$2y$04$"),
            ("CRYPT", "6", "$2y$06$"),
            ("SCRAM-SHA-256", "5000", scram),
            ("SCRAM-SHA-1", "10", "}4096,"),
        ];
        for (s, r, marker) in cases {
            let gen = ["-s", s, "-r", r, "-p", PW];
            let (mine, theirs) = both(&d, v, &gen);
            assert!(theirs.contains(marker), "{v} {s} -r {r}: native {theirs}");
            assert!(mine.contains(marker), "{v} {s} -r {r}: {mine}");
            assert!(!mine.contains("rounds=5000"), "{mine}");
            nat(&d, &["-p", PW, "-t", mine.trim_end()], None).ok();
            rd(v, &["-p", PW, "-t", theirs.trim_end()], None).ok();
        }
    }
}

#[test]
fn an_unparsable_rounds_is_left_out_on_2_3_and_refused_on_2_4_as_native() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        // 2.3's doveadm_fill_param() leaves what str_to_int64() refuses unset (the
        // default cost, exit 0); 2.4 refuses it (64). `-0` and `07` are numbers.
        for r in ["abc", "", "5x", " 5", "5 ", "+5", "0x10", "-0", "07"] {
            let args = ["-s", "SHA512-CRYPT", "-r", r, "-p", PW];
            let (mine, theirs) = (rd(v, &args, None), nat(&d, &args, None));
            assert_eq!(
                (mine.code, mine.stdout.contains("$rounds=")),
                (theirs.code, theirs.stdout.contains("$rounds=")),
                "{v} -r {r:?}: {} / native {}{}",
                mine.stderr,
                theirs.stdout,
                theirs.stderr
            );
        }
    }
}

#[test]
fn local_commands_ignore_server_settings_they_never_use() {
    // Conflicting and invalid server settings: native doveadm never looks at a server
    // for these, and neither does rdoveadm.
    let env = [
        ("RDOVEADM_URL", "http://127.0.0.1:1/doveadm/v1"),
        ("RDOVEADM_SOCKET", "/nonexistent/socket"),
        ("RDOVEADM_CONFIG", "/nonexistent/config.toml"),
    ];
    let run = |args: &[&str]| {
        let mut r = Rd::new().args(args);
        for (k, v) in env {
            r = r.env(k, v);
        }
        r.run()
    };
    let out = run(&["pw", "-p", "x", "-s", "PLAIN"]).ok();
    assert_eq!(out.stdout, "{PLAIN}x\n");
    let out = run(&["--url", "not a url", "pw", "-s", "PLAIN", "-p", "x"]).ok();
    assert_eq!(out.stdout, "{PLAIN}x\n");
    let out = run(&["mailbox", "mutf7", "a&b", "Entwürfe"]).ok();
    assert_eq!(out.stdout, "a&-b\nEntw&APw-rfe\n");
    // A command that needs the server still says what is wrong.
    let out = run(&["who"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
}

#[test]
fn doveadm_help_says_pw_and_mutf7_run_here() {
    let out = Rd::new().args(["doveadm", "--help"]).run().ok();
    let help = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("`pw` and `mailbox mutf7` are computed here"),
        "{help}"
    );
    let refused = help
        .split(". ")
        .find(|s| s.contains("are refused (exit 64)"))
        .unwrap_or_else(|| panic!("no refusal sentence: {help}"));
    assert!(!refused.contains("`pw`"), "{refused}");
    for c in [
        "`exec`",
        "`auth test`",
        "`dump`",
        "`dsync-server`",
        "`log find`",
    ] {
        assert!(help.contains(c), "{c}: {help}");
    }
}

/// The echo flag of the tmux pane's terminal, read by `stty` in its shell.
fn echo_flag(t: &crate::completion::Tmux, n: usize) -> String {
    t.clear(n);
    t.type_text("stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?echo'");
    t.keys(&["Enter"]);
    let s = t.wait("stty", |s| s.lines().any(|l| l == "echo" || l == "-echo"));
    s.lines()
        .find(|l| *l == "echo" || *l == "-echo")
        .unwrap()
        .to_string()
}

/// The pid of the command the pane's shell runs in the foreground.
fn foreground_pid(t: &crate::completion::Tmux) -> String {
    let shell = t.tmux(&["display", "-p", "-t", "t", "#{pane_pid}"]);
    let out = std::process::Command::new("ps")
        .args(["-o", "pid=", "--ppid", shell.trim()])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!pid.is_empty() && !pid.contains('\n'), "{pid:?}");
    pid
}

#[test]
fn an_interrupted_prompt_restores_the_echo_and_ends_rdoveadm() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let bin = std::path::Path::new(env!("CARGO_BIN_EXE_rdoveadm"));
        let env = [
            (
                "PATH",
                format!("{}:/usr/bin:/bin", bin.parent().unwrap().display()),
            ),
            ("PS1", "$ ".to_string()),
            ("RDOVEADM_DOVECOT_VERSION", v.to_string()),
        ];
        let t = crate::completion::Tmux::start_sized(
            &format!("pw-{}", v.replace('.', "")),
            "bash --norc --noprofile",
            &env,
            200,
            30,
        );
        // Native doveadm, for the record of the difference: Ctrl-C ends the line as
        // Enter does (EINTR), so both prompts give the empty password, hashed, exit 0.
        t.clear(0);
        t.type_text(&format!(
            "{} pw -s SHA; echo \"rc=$?\"",
            d.var("SANDBOX_DOVEADM")
        ));
        t.keys(&["Enter"]);
        t.wait("native's first prompt", |s| {
            s.contains("Enter new password:")
        });
        t.keys(&["C-c"]);
        t.wait("native's second prompt", |s| {
            s.contains("Retype new password:")
        });
        t.keys(&["C-c"]);
        let s = t.wait("native's exit code", |s| {
            s.lines().any(|l| l.starts_with("rc="))
        });
        assert!(
            s.lines().any(|l| l.starts_with("{SHA}")) && s.contains("rc=0"),
            "{v}: {s}"
        );
        // rdoveadm: Ctrl-C, SIGTERM or SIGHUP at a prompt end it by that signal, no
        // hash printed, the terminal's echo back on.
        for (n, (how, rc)) in [("C-c", "rc=130"), ("TERM", "rc=143"), ("HUP", "rc=129")]
            .into_iter()
            .enumerate()
        {
            let at = 10 * (n + 1);
            t.clear(at);
            // Not `; echo`: bash drops the rest of a list whose command died of SIGINT.
            t.type_text("rdoveadm pw -s SHA");
            t.keys(&["Enter"]);
            t.wait("the first prompt", |s| s.contains("Enter new password:"));
            if how == "C-c" {
                t.keys(&["C-c"]);
            } else {
                let pid = foreground_pid(&t);
                std::process::Command::new("kill")
                    .args([&format!("-{how}"), &pid])
                    .status()
                    .unwrap();
            }
            t.wait("the shell's prompt", |s| {
                s.lines().rev().map(str::trim).find(|l| !l.is_empty()) == Some("$")
            });
            t.type_text("echo \"rc=$?\"");
            t.keys(&["Enter"]);
            let s = t.wait("the exit code", |s| s.lines().any(|l| l.starts_with("rc=")));
            assert!(s.lines().any(|l| l == rc), "{v} {how}: {s}");
            assert!(!s.contains("{SHA}"), "{v} {how}: {s}");
            assert!(!s.contains("Retype"), "{v} {how}: {s}");
            assert_eq!(echo_flag(&t, at + 1), "echo", "{v} after {how}");
        }
    }
}
