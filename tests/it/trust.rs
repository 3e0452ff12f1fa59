//! Settings rdoveadm must not trust blindly: `password_command` bounded in time and
//! output and run only when a command needs the secret; config and secret files
//! refused as ssh refuses them (with the `chmod` to run); URL userinfo and secret
//! values never echoed; durations that would panic refused as usage (64) or
//! configuration (78) errors.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{versions, Dovecot, Out, Rd};

/// A secret that must never appear in any output.
const SECRET: &str = "Hunter2xS3cr3t";

fn write(dir: &Path, name: &str, text: &str, mode: u32) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p.to_str().unwrap().to_string()
}

/// A config with one profile `a` (the default) at `url`, plus `body`.
fn profile(dir: &Path, name: &str, url: &str, body: &str, mode: u32) -> String {
    let text = format!("default = \"a\"\n[servers.a]\nurl = \"{url}\"\n{body}");
    write(dir, name, &text, mode)
}

fn with_config(cfg: &str) -> Rd {
    Rd::new().env("RDOVEADM_CONFIG", cfg)
}

/// Asserts a clean failure: the exit code, one error line, no panic, no secret.
fn refused(out: Out, code: i32) -> String {
    let out = out.code(code);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(SECRET), "secret echoed:\n{text}");
    }
    out.stderr.clone()
}

/// Runs rdoveadm under GNU time and returns its output, wall time and peak RSS (KiB).
/// Not `wait4`'s ru_maxrss: for a child started with vfork/posix_spawn the kernel may
/// report the parent's (the whole test process's) peak instead.
fn measured(args: &[&str], env: &[(&str, &str)]) -> (Out, Duration, i64) {
    let report = tempfile::NamedTempFile::new().unwrap();
    let started = Instant::now();
    let mut child = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(report.path())
        .arg(env!("CARGO_BIN_EXE_rdoveadm"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir().join("rdoveadm-it-home"))
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("GNU time at /usr/bin/time (scripts/test installs it)");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = child.wait().unwrap();
    let elapsed = started.elapsed();
    let rss_kib = std::fs::read_to_string(report.path())
        .unwrap()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("GNU time's %M");
    let out = Out {
        code: status.code().unwrap_or(-1),
        stdout: o.join().unwrap(),
        stderr: e.join().unwrap(),
    };
    (out, elapsed, rss_kib)
}

/// A 0600 config with one profile `p` whose password comes from `command`.
fn command_config(dir: &Path, url: &str, command: &str, extra: &str) -> String {
    write(
        dir,
        "cmd.toml",
        &format!(
            "default = \"p\"\n[servers.p]\nurl = \"{url}\"\npassword_command = '''{command}'''\n{extra}"
        ),
        0o600,
    )
}

#[test]
fn password_command_is_bounded_in_time_and_output() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there: the command runs before any connection is tried.
    let url = "http://127.0.0.1:9";
    // `sleep 1000` ends at --timeout, killed with its whole process group.
    let cfg = command_config(dir.path(), url, "sleep 1000", "");
    let (out, took, _) = measured(&["--timeout", "2", "who"], &[("RDOVEADM_CONFIG", &cfg)]);
    let err = refused(out, 78);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(err.contains("did not finish within 2 s"), "{err}");
    // The same from the profile's own timeout.
    let cfg = command_config(dir.path(), url, "sleep 1000", "timeout = 1\n");
    let (out, took, _) = measured(&["who"], &[("RDOVEADM_CONFIG", &cfg)]);
    refused(out, 78);
    assert!(took < Duration::from_secs(4), "took {took:?}");
    // A grandchild holding the pipe open is killed too, not waited for.
    let cfg = command_config(dir.path(), url, "(sleep 1000 &); echo pw; sleep 1000", "");
    let (out, took, _) = measured(&["--timeout", "1", "who"], &[("RDOVEADM_CONFIG", &cfg)]);
    refused(out, 78);
    assert!(took < Duration::from_secs(4), "took {took:?}");

    // `yes` ends quickly at the output cap, memory bounded; the output is never shown.
    let cfg = command_config(dir.path(), url, &format!("yes {SECRET}"), "");
    let (out, took, rss_kib) = measured(&["--timeout", "30", "who"], &[("RDOVEADM_CONFIG", &cfg)]);
    let err = refused(out, 78);
    assert!(err.contains("more than 65536 bytes"), "{err}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(rss_kib < 100 * 1024, "peak RSS {rss_kib} KiB");
    eprintln!("yes: ended in {took:?}, peak RSS {rss_kib} KiB");

    // A failing command: its exit status, never its output.
    let cfg = command_config(dir.path(), url, &format!("echo {SECRET}; exit 3"), "");
    let err = refused(with_config(&cfg).args(["who"]).run(), 78);
    assert!(
        err.contains("password_command: failed (exit status: 3)"),
        "{err}"
    );
    let cfg = command_config(dir.path(), url, "true", "");
    let err = refused(with_config(&cfg).args(["who"]).run(), 78);
    assert!(err.contains("printed no line"), "{err}");
}

#[test]
fn password_command_runs_only_when_a_command_needs_the_secret() {
    let d = Dovecot::start(versions()[0], &[]);
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let cfg = command_config(
        dir.path(),
        d.url(),
        &format!(
            "echo run >> {}; printf '%s\\n' '{}'",
            marker.display(),
            d.password()
        ),
        "",
    );
    let rd = || {
        let rd = with_config(&cfg);
        match d.vars.get("SANDBOX_CACERT") {
            Some(ca) => rd.args(["--cacert", ca]),
            None => rd,
        }
    };
    // Not for config show, probe, completions or --help.
    let out = rd().args(["-f", "tab", "config", "show"]).run().ok();
    assert!(
        out.stdout
            .contains("password_command (run when a command needs it)"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(d.password()));
    rd().args(["completions", "bash"]).run().ok();
    rd().args(["who", "--help"]).run().ok();
    rd().args([
        "probe",
        "--only",
        "imap",
        "--imap",
        &d.imap_port().to_string(),
    ])
    .args(["127.0.0.1"])
    .run();
    assert!(!marker.exists(), "password_command ran without need");
    // A command that talks to the server runs it, once.
    assert_eq!(crate::profiles::mailboxes(rd()), "INBOX");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "run\n");
    // A batch asks once for all its lines.
    std::fs::remove_file(&marker).unwrap();
    rd().args(["batch", "-"])
        .stdin("who\nmailbox list -u alice@example.org\nquota get -u alice@example.org\n")
        .run()
        .ok();
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "run\n");
}

#[test]
fn a_broken_config_does_not_stop_probe_or_completions() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "bad.toml", "[servers.x\n", 0o666);
    let rd = || with_config(&cfg);
    refused(rd().args(["who"]).run(), 78);
    let out = rd().args(["completions", "bash"]).run().ok();
    assert!(out.stdout.contains("rdoveadm"));
    // Nothing listens on port 9: the probe's own verdict (69), not the config's 78.
    let out = rd()
        .args([
            "probe",
            "--only",
            "imap",
            "--imap",
            "9",
            "--timeout",
            "2",
            "127.0.0.1",
        ])
        .run();
    assert_eq!(out.code, 69, "{}", out.stderr);
}

#[test]
fn files_others_can_write_or_read_are_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = "http://127.0.0.1:9";
    let expect = |out: Out, path: &str, fix: &str| {
        let err = refused(out, 78);
        let want = format!("run `{fix} {path}`");
        assert!(err.contains(&want), "want {want:?} in:\n{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    };
    // A config that group or others can write: its password_command is code anyone
    // could change. Refused even when it holds no secret.
    for mode in [0o664, 0o646, 0o666, 0o620] {
        let cfg = write(
            d,
            "w.toml",
            &format!("[servers.a]\nurl = \"{url}\"\n"),
            mode,
        );
        expect(
            with_config(&cfg).args(["config", "show"]).run(),
            &cfg,
            "chmod go-w",
        );
    }
    // A config holding a secret, or naming a password_command, that others can read.
    for (body, mode) in [
        (format!("password = \"{SECRET}\""), 0o644),
        (format!("api_key = \"{SECRET}\""), 0o640),
        (format!("password_command = \"echo {SECRET}\""), 0o604),
    ] {
        let cfg = profile(d, "r.toml", url, &format!("{body}\n"), mode);
        expect(with_config(&cfg).args(["who"]).run(), &cfg, "chmod 600");
    }
    // One that only names secret files may be read by others (it holds no secret).
    let key = write(d, "key", SECRET, 0o600);
    let cfg = profile(
        d,
        "ok.toml",
        url,
        &format!("api_key_file = \"{key}\"\n"),
        0o644,
    );
    with_config(&cfg).args(["config", "show"]).run().ok();

    // Secret files: readable by group or others → chmod 600; only writable → chmod go-w.
    for (flag, key) in [
        ("--password-file", "password_file"),
        ("--api-key-file", "api_key_file"),
    ] {
        for (mode, fix) in [
            (0o644, "chmod 600"),
            (0o640, "chmod 600"),
            (0o604, "chmod 600"),
            (0o620, "chmod go-w"),
            (0o602, "chmod go-w"),
        ] {
            let f = write(d, "secret file", &format!("{SECRET}\n"), mode);
            let quoted = format!("'{f}'");
            expect(
                Rd::new()
                    .args(["--url", url, flag, &f, "config", "show"])
                    .run(),
                &quoted,
                fix,
            );
            let cfg = profile(d, "p.toml", url, &format!("{key} = \"{f}\"\n"), 0o600);
            expect(with_config(&cfg).args(["who"]).run(), &quoted, fix);
        }
    }
    // The CA bundle is not a secret (0644 is fine) but decides whom the password is
    // sent to: writable by others is refused.
    let ca = write(d, "ca.pem", "not a certificate\n", 0o644);
    Rd::new()
        .args(["--url", url, "--cacert", &ca, "config", "show"])
        .run()
        .ok();
    let ca = write(d, "ca.pem", "not a certificate\n", 0o664);
    expect(
        Rd::new()
            .args(["--url", url, "--cacert", &ca, "config", "show"])
            .run(),
        &ca,
        "chmod go-w",
    );
    // Owned by another user (not root): its owner could change it.
    if unsafe { libc::geteuid() } == 0 {
        let f = write(d, "theirs", &format!("{SECRET}\n"), 0o600);
        std::os::unix::fs::chown(&f, Some(54321), None).unwrap();
        let err = refused(
            Rd::new()
                .args(["--url", url, "--password-file", &f, "who"])
                .run(),
            78,
        );
        assert!(
            err.contains("owned by uid 54321") && err.contains("run `chown 0 "),
            "{err}"
        );
    }
    // Missing input files: 66, as the exit-code table says; a missing config file: 78.
    for flag in ["--password-file", "--api-key-file", "--cacert"] {
        let err = refused(
            Rd::new()
                .args(["--url", url, flag, "/nonexistent/x", "config", "show"])
                .run(),
            66,
        );
        assert!(err.contains("cannot read `/nonexistent/x`"), "{err}");
    }
    refused(with_config("/nonexistent/c.toml").args(["who"]).run(), 78);
    // A pipe is not a stored file: `--password-file /dev/stdin` still works.
    Rd::new()
        .args([
            "--url",
            url,
            "--password-file",
            "/dev/stdin",
            "config",
            "show",
        ])
        .stdin("pw\n")
        .run()
        .ok();
}

#[test]
fn userinfo_is_redacted_on_every_path() {
    let dir = tempfile::tempdir().unwrap();
    let bad_urls = [
        format!("http://doveadm:{SECRET}@127.0.0.1:99999"),
        format!("ftp://doveadm:{SECRET}@127.0.0.1"),
        format!("http://doveadm:{SECRET}@[::1"),
        format!("http://doveadm:{SECRET}@127.0.0.1:8080"),
        format!("doveadm:{SECRET}@127.0.0.1:8080"),
        format!("http://doveadm:{SECRET}@"),
    ];
    let check = |out: Out| {
        let err = refused(out, 78);
        assert!(err.contains("***"), "{err}");
    };
    for u in &bad_urls {
        check(Rd::new().args(["--url", u, "who"]).run());
        check(Rd::new().env("RDOVEADM_URL", u).args(["who"]).run());
        check(
            Rd::new()
                .env("RDOVEADM_URL", u)
                .args(["config", "show"])
                .run(),
        );
        let cfg = profile(dir.path(), "u.toml", u, "", 0o600);
        check(with_config(&cfg).args(["who"]).run());
        check(with_config(&cfg).args(["-s", "a", "config", "show"]).run());
        // A batch line resolves its own settings.
        let out = Rd::new()
            .args(["batch", "-"])
            .stdin(&format!("--url {u} who\n"))
            .run();
        assert_ne!(out.code, 0);
        assert!(
            !out.stderr.contains(SECRET) && !out.stdout.contains(SECRET),
            "{}",
            out.stderr
        );
    }
    // clap quoting the URL as a misplaced argument.
    let out = Rd::new()
        .args(["reload", &format!("http://doveadm:{SECRET}@h")])
        .run();
    let err = refused(out, 64);
    assert!(err.contains("http://***@h"), "{err}");
}

#[test]
fn secret_values_are_never_echoed_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    for body in [
        "password = 12345678901".to_string(),
        "api_key = [\"Hunter2xS3cr3t\"]".to_string(),
        format!("password = {{ x = \"{SECRET}\" }}"),
        format!("password = \"{SECRET}\"\npassword = \"{SECRET}\""),
        format!("password = \"{SECRET}"),
        format!("passwrd = \"{SECRET}\""),
    ] {
        let cfg = profile(
            dir.path(),
            "s.toml",
            "http://127.0.0.1:9",
            &format!("{body}\n"),
            0o600,
        );
        let out = with_config(&cfg).args(["config", "show"]).run();
        let err = refused(out, 78);
        assert!(!err.contains("12345678901"), "{err}");
        assert!(err.contains("(line "), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // A valid config: config show names the source, never the value.
    let cfg = profile(
        dir.path(),
        "ok.toml",
        "http://127.0.0.1:9",
        &format!("password = \"{SECRET}\"\n"),
        0o600,
    );
    for f in ["tab", "json", "flow", "table"] {
        let out = with_config(&cfg)
            .args(["-D", "-f", f, "config", "show"])
            .run()
            .ok();
        assert!(!out.stdout.contains(SECRET) && !out.stderr.contains(SECRET));
    }
}

#[test]
fn huge_or_odd_durations_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let url = "http://127.0.0.1:9";
    for bad in [
        "2e19", "1e300", "inf", "nan", "-1", "NaN", "31536001", "1e-400x",
    ] {
        // Flags: usage errors.
        refused(
            Rd::new()
                .args(["--url", url, "--timeout", bad, "who"])
                .run(),
            64,
        );
        refused(
            Rd::new()
                .args(["probe", "--timeout", bad, "127.0.0.1"])
                .run(),
            64,
        );
        refused(
            Rd::new()
                .args(["--timeout", bad, "probe", "127.0.0.1"])
                .run(),
            64,
        );
        // `=`: `--watch -1` is `--watch` and `who -1`, a real watch.
        let watch = format!("--watch={bad}");
        refused(Rd::new().args(["--url", url, "who", &watch]).run(), 64);
        let timeout = format!("--timeout={bad}");
        refused(Rd::new().args(["--url", url, &timeout, "who"]).run(), 64);
        // The environment: configuration errors.
        let err = refused(
            Rd::new()
                .env("RDOVEADM_TIMEOUT", bad)
                .args(["--url", url, "who"])
                .run(),
            78,
        );
        assert!(err.contains("RDOVEADM_TIMEOUT"), "{err}");
        // A batch line: its own usage error, the batch goes on.
        let out = Rd::new()
            .args(["--url", url, "batch", "-"])
            .stdin(&format!("--timeout {bad} who\n"))
            .run();
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        assert_ne!(out.code, 0);
    }
    refused(
        Rd::new()
            .args(["--url", url, "who", "--watch", "0.01"])
            .run(),
        64,
    );
    // A profile: configuration errors (TOML has inf and nan too).
    for bad in ["1e300", "inf", "-inf", "nan", "-1", "2e19"] {
        let cfg = profile(
            dir.path(),
            "t.toml",
            url,
            &format!("timeout = {bad}\n"),
            0o600,
        );
        let err = refused(with_config(&cfg).args(["who"]).run(), 78);
        assert!(err.contains("server `a` timeout"), "{err}");
        refused(with_config(&cfg).args(["config", "show"]).run(), 78);
    }
    // The largest accepted, and 0 (no timeout), resolve.
    let out = Rd::new()
        .args([
            "--url",
            url,
            "--timeout",
            "31536000",
            "-f",
            "tab",
            "config",
            "show",
        ])
        .run()
        .ok();
    assert!(out.stdout.contains("timeout\t31536000 s"), "{}", out.stdout);
    let out = Rd::new()
        .env("RDOVEADM_TIMEOUT", "0")
        .args(["--url", url, "-f", "tab", "config", "show"])
        .run()
        .ok();
    assert!(out.stdout.contains("timeout\tnone"), "{}", out.stdout);
}

#[test]
fn max_reply_size_from_each_source() {
    let dir = tempfile::tempdir().unwrap();
    let url = "http://127.0.0.1:9";
    let shown = |rd: Rd| {
        let out = rd.args(["-f", "tab", "config", "show"]).run().ok();
        out.stdout
            .lines()
            .find(|l| l.contains("\tmax_reply_size\t"))
            .unwrap_or_default()
            .rsplit('\t')
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(shown(Rd::new().args(["--url", url])), "1073741824 bytes");
    assert_eq!(
        shown(Rd::new().args(["--url", url, "--max-reply-size", "512K"])),
        "524288 bytes"
    );
    assert_eq!(
        shown(
            Rd::new()
                .env("RDOVEADM_MAX_REPLY_SIZE", "2m")
                .args(["--url", url])
        ),
        "2097152 bytes"
    );
    let cfg = profile(
        dir.path(),
        "m.toml",
        url,
        "max_reply_size = \"64M\"\n",
        0o600,
    );
    assert_eq!(shown(with_config(&cfg)), "67108864 bytes");
    for bad in ["0", "-1", "1T", "99999999999G", "M", "1.5M", "x\u{1b}[2J"] {
        let err = refused(
            Rd::new()
                .args(["--url", url, "--max-reply-size", bad, "who"])
                .run(),
            64,
        );
        assert!(!err.contains('\u{1b}'), "{err:?}");
        refused(
            Rd::new()
                .env("RDOVEADM_MAX_REPLY_SIZE", bad)
                .args(["--url", url, "who"])
                .run(),
            78,
        );
    }
    for bad in ["0", "-5", "\"1T\"", "1.5", "true"] {
        let cfg = profile(
            dir.path(),
            "m.toml",
            url,
            &format!("max_reply_size = {bad}\n"),
            0o600,
        );
        let err = refused(with_config(&cfg).args(["who"]).run(), 78);
        assert!(err.contains("server `a` max_reply_size"), "{err}");
    }
}
