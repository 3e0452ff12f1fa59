//! The hostile-server suite (issue 10, "Must show" 2): the built binary against the
//! fake server of `fake`, one mode per fault, every fault ending in a clean result:
//! a documented exit code (never 101), no panic, one-line errors, no raw control byte
//! on stdout or stderr in text formats (tables checked on a real pty at 40, 80 and 200
//! columns, no line wider than the terminal), valid JSON, bounded memory (peak RSS
//! measured), no request sent to a redirect target, identical rows kept and 100,000
//! rows in under a second of client CPU.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use unicode_width::UnicodeWidthStr;

use crate::fake::{Fake, Mode, FAMILY_MAILBOX, OTHER_SERVER_USER, WARN_SUBJECT};
use crate::harness::{Out, Rd};

/// The exit codes rdoveadm documents (`EXIT_CODE_TABLE`).
const DOCUMENTED: &[i32] = &[0, 1, 64, 65, 66, 67, 68, 69, 70, 75, 76, 77, 78];
const FORMATS: &[&str] = &["table", "tab", "flow", "json", "jsonl"];
const WIDTHS: &[usize] = &[40, 80, 200];

/// Commands whose output shows what the server sent: the tree parser (`who`) and the
/// streaming one (`mailbox list`, `fetch`).
fn commands() -> Vec<Vec<&'static str>> {
    vec![
        vec!["who"],
        vec!["who", "-1"],
        vec!["mailbox", "list", "-u", "x@example.org"],
        vec![
            "fetch",
            "-u",
            "x@example.org",
            "uid hdr.subject",
            "mailbox",
            "INBOX",
            "all",
        ],
    ]
}

fn rd(f: &Fake) -> Rd {
    Rd::new()
        .env("RDOVEADM_PASSWORD", "fake-secret-pw")
        .args(["--url", &f.url])
}

/// Characters that must never reach a terminal raw: C0 controls (but `\n`, and `\t`
/// where `tab` allows it), DEL, C1 controls and the bidi controls.
fn raw_controls(s: &str, allow_tab: bool) -> Vec<String> {
    s.char_indices()
        .filter(|&(_, c)| {
            let u = c as u32;
            (u < 0x20 && c != '\n' && !(allow_tab && c == '\t'))
                || (0x7f..=0x9f).contains(&u)
                || (0x202a..=0x202e).contains(&u)
                || (0x2066..=0x2069).contains(&u)
        })
        .map(|(i, c)| format!("U+{:04X} at byte {i}", c as u32))
        .collect()
}

/// A short, safe view of output for failure messages.
fn show(s: &str) -> String {
    let cut: String = s.chars().take(3000).collect();
    format!("{cut:?}{}", if cut.len() < s.len() { " …" } else { "" })
}

/// No panic message, not exit 101, and an exit code rdoveadm documents.
fn assert_no_panic(code: i32, stderr: &str, ctx: &dyn Fn() -> String) {
    assert!(!stderr.contains("panicked"), "panic: {}", ctx());
    assert_ne!(code, 101, "panic exit: {}", ctx());
    assert!(DOCUMENTED.contains(&code), "undocumented exit: {}", ctx());
}

/// `c` with a blank environment (as `Rd`: no user config can leak in) and the password.
fn hermetic(c: &mut Command) -> &mut Command {
    let home = std::env::temp_dir().join("rdoveadm-it-home");
    let _ = std::fs::create_dir_all(&home);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("HOME", home)
        .env("RDOVEADM_PASSWORD", "fake-secret-pw")
        .stdin(Stdio::null())
}

/// The checks every run must pass, whatever the fault.
fn assert_clean(what: &str, out: &Out, format: &str) {
    let ctx = || {
        format!(
            "{what} [{format}] exit {}\nstdout: {}\nstderr: {}",
            out.code,
            show(&out.stdout),
            show(&out.stderr)
        )
    };
    assert_no_panic(out.code, &out.stderr, &ctx);
    let raw = raw_controls(&out.stderr, false);
    assert!(raw.is_empty(), "raw controls {raw:?} on stderr: {}", ctx());
    for l in out.stderr.lines() {
        assert!(
            l.starts_with("rdoveadm: "),
            "stderr line not from rdoveadm (a message spread over lines?): {l:?}\n{}",
            ctx()
        );
    }
    if out.code != 0 {
        let errors = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("rdoveadm: error:"))
            .count();
        assert_eq!(errors, 1, "expected one error line: {}", ctx());
    }
    match format {
        "json" if out.code == 0 || !out.stdout.is_empty() => {
            if let Err(e) = serde_json::from_str::<serde_json::Value>(&out.stdout) {
                panic!("json output is not JSON ({e}): {}", ctx());
            }
        }
        "jsonl" => {
            for l in out.stdout.lines() {
                if let Err(e) = serde_json::from_str::<serde_json::Value>(l) {
                    panic!("jsonl line is not JSON ({e}): {l:?}\n{}", ctx());
                }
            }
        }
        "json" => {}
        _ => {
            let raw = raw_controls(&out.stdout, format == "tab");
            assert!(raw.is_empty(), "raw controls {raw:?} on stdout: {}", ctx());
        }
    }
}

/// Every command in every format against one mode; returns the outputs by (command, format).
fn all_formats(mode: Mode) -> Vec<(String, String, Out)> {
    let f = Fake::start(mode.clone());
    let mut outs = Vec::new();
    for cmd in commands() {
        for fmt in FORMATS {
            let out = rd(&f).args(["--format", fmt]).args(&cmd).run();
            let what = format!("{mode:?}: {}", cmd.join(" "));
            assert_clean(&what, &out, fmt);
            outs.push((cmd.join(" "), fmt.to_string(), out));
        }
    }
    outs
}

/// A run on a real pty of `cols` columns (stdout and stderr both on it), NO_COLOR set.
/// `onlcr` is off, so a `\r` in the output came from rdoveadm.
fn pty(f: &Fake, args: &[&str], cols: usize) -> Out {
    let quoted: Vec<String> = [env!("CARGO_BIN_EXE_rdoveadm"), "--url", &f.url]
        .iter()
        .chain(args)
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    let cmd = format!("stty cols {cols} rows 50 -onlcr; exec {}", quoted.join(" "));
    let o = hermetic(Command::new("script").args(["-qec", &cmd, "/dev/null"]))
        .env("SHELL", "/bin/sh")
        .env("NO_COLOR", "1")
        .output()
        .expect("run script(1)");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Table output on a pty at 40, 80 and 200 columns: clean, and no line wider than the
/// terminal.
fn tables_on_pty(mode: Mode, cmds: &[Vec<&str>]) {
    let f = Fake::start(mode.clone());
    for cmd in cmds {
        for &cols in WIDTHS {
            let out = pty(&f, cmd, cols);
            let what = format!("{mode:?}: {} on a {cols}-column pty", cmd.join(" "));
            let ctx = || format!("{what}: exit {}\n{}", out.code, show(&out.stdout));
            assert_no_panic(out.code, &out.stdout, &ctx);
            let raw = raw_controls(&out.stdout, false);
            assert!(raw.is_empty(), "raw controls {raw:?} on the pty: {}", ctx());
            for l in out.stdout.lines() {
                let w = l.width();
                assert!(w <= cols, "line of width {w} > {cols}: {l:?}\n{}", ctx());
            }
            if out.code == 0 {
                assert!(out.stdout.lines().count() >= 3, "no table drawn: {}", ctx());
            }
        }
    }
}

// ---------------------------------------------------------------- the fake itself

/// Reads one raw reply from the fake (what curl would see).
fn raw_get(url: &str, limit: usize) -> Vec<u8> {
    use std::io::Write;
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let body = br#"[["who",{},"t"]]"#;
    write!(
        s,
        "POST /doveadm/v1 HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    while out.len() < limit {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    out
}

#[test]
fn fake_server_serves_each_mode_and_counts_requests() {
    // The ruler the pty checks use: emoji + VS16 is two columns.
    assert_eq!("⚠️".width(), 2);
    assert_eq!("❤️❤️ Family".width(), 11);
    let f = Fake::start(Mode::Escapes);
    let r = String::from_utf8(raw_get(&f.url, usize::MAX)).unwrap();
    assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
    let body = &r[r.find("\r\n\r\n").unwrap() + 4..];
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v[0][0], "doveadmResponse");
    assert_eq!(v[0][1][0]["key\x1b[2J"], "v\x1b]0;pwned\x07");
    assert_eq!(f.requests(), 1);

    let f = Fake::start(Mode::EndlessRows);
    assert!(raw_get(&f.url, 4 << 20).len() >= 4 << 20, "keeps sending");
    let f = Fake::start(Mode::EndlessString);
    assert!(raw_get(&f.url, 1 << 20).ends_with(b"aaaa"));

    let f = Fake::start(Mode::Redirect);
    let r = String::from_utf8(raw_get(&f.url, usize::MAX)).unwrap();
    assert!(r.starts_with("HTTP/1.1 307 "), "{r}");
    let loc = format!("Location: {}/doveadm/v1\r\n", f.redirect_target_url());
    assert!(r.contains(&loc), "{r}");
    assert_eq!(f.redirect_target_connections(), 0);
    let _ = raw_get(f.redirect_target_url(), usize::MAX);
    assert_eq!(f.redirect_target_connections(), 1);

    let f = Fake::start(Mode::HttpError(400));
    let r = raw_get(&f.url, usize::MAX);
    assert!(r.starts_with(b"HTTP/1.1 400 ") && r.len() > 1 << 20);

    let f = Fake::start(Mode::ManyWho(100_000));
    let r = String::from_utf8(raw_get(&f.url, usize::MAX)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&r[r.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(v[0][1].as_array().unwrap().len(), 100_000);
}

// ---------------------------------------------------------------- terminal escapes

#[test]
fn escapes_in_rows_are_made_visible_in_keys_and_values() {
    let outs = all_formats(Mode::Escapes);
    for (cmd, fmt, out) in &outs {
        assert_eq!(out.code, 0, "{cmd} [{fmt}]: {}", show(&out.stderr));
    }
    let get = |cmd: &str, fmt: &str| {
        &outs
            .iter()
            .find(|(c, f, _)| c == cmd && f == fmt)
            .unwrap()
            .2
            .stdout
    };
    // The exact spellings: C0 and DEL as \xHH, C1 and bidi as \u{HHHH}, in keys too
    // (in `tab` and `flow`: a table may cut cells; it is checked for raw bytes above).
    for fmt in ["tab", "flow"] {
        let s = get("who -1", fmt);
        for want in [
            r"evil\x1b[2Juser@example.org",
            r"imap\x1b]0;pwned\x07",
            r"4242\x08\x08\x7f",
            r"192.0.2.1\x07",
            r"key\x1b[2J",
            r"v\x1b]0;pwned\x07",
            r"k\u{009b}31m\u{202e}",
        ] {
            assert!(s.contains(want), "who -1 [{fmt}] lacks {want}: {}", show(s));
        }
        let s = get(
            "fetch -u x@example.org uid hdr.subject mailbox INBOX all",
            fmt,
        );
        for want in [
            r"Hello\x1b]0;pwned\x07 \x1b[2J\u{009b}31mred",
            r"\u{202e}txt.exe",
        ] {
            assert!(s.contains(want), "fetch [{fmt}] lacks {want}: {}", show(s));
        }
        let s = get("mailbox list -u x@example.org", fmt);
        assert!(
            s.contains(r"\u{202e}gpj.exe\x1b]0;pwned\x07"),
            "mailbox list [{fmt}]: {}",
            show(s)
        );
    }
    // JSON stays exact.
    let v: serde_json::Value = serde_json::from_str(get("who -1", "json")).unwrap();
    let evil = v
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["uid"] == "1"))
        .unwrap_or_else(|| panic!("no row with uid 1: {v}"));
    assert_eq!(evil["username"], "evil\x1b[2Juser@example.org", "{v}");
    assert_eq!(evil["key\x1b[2J"], "v\x1b]0;pwned\x07", "{v}");
    assert_eq!(evil["k\u{9b}31m\u{202e}"], "\x07\x08\x7f", "{v}");
}

#[test]
fn escapes_in_rows_on_a_pty_table_at_40_80_200_columns() {
    tables_on_pty(Mode::Escapes, &commands());
}

#[test]
fn emoji_with_vs16_are_cut_without_panic_on_a_pty() {
    tables_on_pty(Mode::Emoji, &commands());
}

#[test]
fn emoji_rows_in_every_format() {
    for (cmd, fmt, out) in all_formats(Mode::Emoji) {
        assert_eq!(out.code, 0, "{cmd} [{fmt}]: {}", show(&out.stderr));
        if fmt != "table" && cmd.starts_with("fetch") {
            assert!(
                out.stdout.contains(WARN_SUBJECT),
                "{cmd} [{fmt}] cut a value"
            );
        }
        if fmt != "table" && cmd.starts_with("mailbox") {
            assert!(
                out.stdout.contains(FAMILY_MAILBOX),
                "{cmd} [{fmt}] cut a value"
            );
        }
    }
}

#[test]
fn error_type_with_escapes_is_one_visible_line() {
    for (cmd, fmt, out) in all_formats(Mode::ErrorType) {
        assert_ne!(out.code, 0, "{cmd} [{fmt}]");
        let line = out.one_error_line();
        assert!(
            line.contains(r"\x1b]0;pwned\x07\x1b[2Jevil\u{009b}31mtype\u{202e}\x08\x7f"),
            "{cmd} [{fmt}]: {line:?}"
        );
    }
}

#[test]
fn http_error_body_of_1_mb_with_escapes_is_one_short_line() {
    for (status, class) in [(400, 64), (403, 77), (502, 75), (503, 75)] {
        for (cmd, fmt, out) in all_formats(Mode::HttpError(status)) {
            assert_eq!(out.code, class, "HTTP {status}: {cmd} [{fmt}]");
            let line = out.one_error_line();
            assert!(line.contains(&format!("HTTP {status}")), "{line:?}");
            assert!(
                out.stderr.len() < 2048,
                "HTTP {status}: {cmd} [{fmt}]: stderr of {} bytes",
                out.stderr.len()
            );
            if status != 403 {
                assert!(
                    line.contains(r"\x1b]0;pwned\x07\x1b[2Jserver says\u{009b}31m\u{202e}\x08\x7f"),
                    "HTTP {status}: the body's start made visible: {line:?}"
                );
            }
        }
    }
}

#[test]
fn www_authenticate_with_escapes_is_one_visible_line() {
    for mode in [Mode::Unauthorized, Mode::UnauthorizedEsc] {
        for (cmd, fmt, out) in all_formats(mode.clone()) {
            let line = out.one_error_line();
            assert!(
                (75..=77).contains(&out.code),
                "{mode:?} {cmd} [{fmt}]: exit {}: {line}",
                out.code
            );
        }
    }
}

#[test]
fn debug_traces_of_hostile_replies_show_no_raw_escapes() {
    for mode in [
        Mode::Escapes,
        Mode::Emoji,
        Mode::ErrorType,
        Mode::HttpError(400),
        Mode::HttpError(503),
        Mode::Unauthorized,
        Mode::UnauthorizedEsc,
        Mode::Garbage,
        Mode::Truncated,
    ] {
        let f = Fake::start(mode.clone());
        for cmd in commands() {
            for fmt in ["tab", "json"] {
                let out = rd(&f).args(["-D", "--format", fmt]).args(&cmd).run();
                let what = format!("{mode:?}: -D {}", cmd.join(" "));
                assert_clean(&what, &out, fmt);
                assert!(
                    out.stderr.contains("rdoveadm: debug:"),
                    "{what}: no trace: {}",
                    show(&out.stderr)
                );
                assert!(
                    !out.stderr.contains("fake-secret-pw"),
                    "{what}: the password is in the trace"
                );
            }
        }
        // And on a pty, where stdout and stderr meet the terminal.
        let out = pty(&f, &["-D", "who"], 80);
        let raw = raw_controls(&out.stdout, false);
        assert!(
            raw.is_empty(),
            "{mode:?}: -D who on a pty: {raw:?}: {}",
            show(&out.stdout)
        );
        assert_ne!(out.code, 101, "{mode:?}: -D who on a pty panicked");
    }
}

// ---------------------------------------------------------------- malformed replies

#[test]
fn garbage_and_truncated_replies_are_76_in_both_parsers() {
    for mode in [Mode::Garbage, Mode::Truncated] {
        for (cmd, fmt, out) in all_formats(mode.clone()) {
            assert_eq!(
                out.code,
                76,
                "{mode:?}: {cmd} [{fmt}]: {}",
                show(&out.stderr)
            );
        }
    }
}

/// The tree parser (`who`) and the streaming parser (`mailbox list`) give one answer.
#[test]
fn the_two_parsers_agree_on_an_untagged_error_and_an_empty_response() {
    for mode in [
        Mode::UntaggedError,
        Mode::EmptyResponse,
        Mode::ObjectResult,
        Mode::Garbage,
        Mode::Truncated,
    ] {
        let f = Fake::start(mode.clone());
        for fmt in FORMATS {
            let who = rd(&f).args(["--format", fmt, "who"]).run();
            assert_clean(&format!("{mode:?}: who"), &who, fmt);
            let list = rd(&f)
                .args(["--format", fmt, "mailbox", "list", "-u", "x"])
                .run();
            assert_clean(&format!("{mode:?}: mailbox list"), &list, fmt);
            assert_eq!(
                who.code,
                list.code,
                "{mode:?} [{fmt}]: `who` exits {} ({}) but `mailbox list` exits {} ({})",
                who.code,
                who.stderr.trim(),
                list.code,
                list.stderr.trim()
            );
        }
    }
}

// ---------------------------------------------------------------- redirects

#[test]
fn a_redirect_is_an_error_naming_the_location_and_never_followed() {
    let f = Fake::start(Mode::Redirect);
    for cmd in commands() {
        for fmt in FORMATS {
            let out = rd(&f).args(["--format", fmt]).args(&cmd).run();
            let what = format!("307: {} [{fmt}]", cmd.join(" "));
            assert_clean(&what, &out, fmt);
            assert_ne!(out.code, 0, "{what}: {}", show(&out.stdout));
            assert!(
                !out.stdout.contains(OTHER_SERVER_USER) && !out.stdout.contains("OTHER-SERVER"),
                "{what}: shows the redirect target's rows: {}",
                show(&out.stdout)
            );
            let line = out.one_error_line();
            assert!(
                line.contains(f.redirect_target_url().trim_start_matches("http://")),
                "{what}: the error does not name the Location: {line}"
            );
        }
    }
    assert_eq!(
        f.redirect_target_connections(),
        0,
        "the redirect target got connections"
    );
    assert!(f.requests() >= commands().len() * FORMATS.len());
}

// ---------------------------------------------------------------- rows kept, fast

#[test]
fn three_identical_who_rows_are_all_kept() {
    let f = Fake::start(Mode::IdenticalWho);
    let out = rd(&f).args(["--format", "json", "who", "-1"]).run();
    assert_clean("who -1", &out, "json");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json().as_array().unwrap().len(), 3, "{}", out.stdout);
    let out = rd(&f)
        .args(["--format", "tab", "--no-header", "who", "-1"])
        .run();
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);
    // Grouped `who` too: the grouping is the server's; rows of one reply are never merged.
    let out = rd(&f).args(["--format", "json", "who"]).run();
    assert_clean("who", &out, "json");
    assert_eq!(
        out.json().as_array().map(Vec::len),
        Some(3),
        "{}",
        out.stdout
    );
    // Two user masks are two requests that both answer these rows: the overlap is
    // removed (3 rows, not 6), the alike rows of each reply stay (not 1).
    let before = f.requests();
    let out = rd(&f)
        .args(["--format", "json", "who", "-1", "alice*", "al*"])
        .run();
    assert_clean("who -1 alice* al*", &out, "json");
    assert_eq!(f.requests() - before, 2, "one request per user mask");
    assert_eq!(
        out.json().as_array().map(Vec::len),
        Some(3),
        "{}",
        out.stdout
    );
}

#[test]
fn a_hundred_thousand_who_rows_all_out_in_under_a_second_of_cpu() {
    let f = Fake::start(Mode::ManyWho(100_000));
    let m = measure(
        &f,
        &["--format", "tab", "--no-header", "who", "-1"],
        Duration::from_secs(30),
    );
    eprintln!(
        "100,000 `who -1` rows: {} lines, exit {}, client CPU {:.3} s (user+sys), wall {:.3} s, peak RSS {} MiB",
        m.lines,
        m.code,
        m.cpu.as_secs_f64(),
        m.wall.as_secs_f64(),
        m.peak_rss_kib / 1024
    );
    assert!(
        m.killed.is_none(),
        "{} (client CPU so far {:.1} s)",
        m.killed.as_deref().unwrap_or(""),
        m.cpu.as_secs_f64()
    );
    assert_eq!(m.code, 0, "{}", show(&m.stderr));
    assert_eq!(m.lines, 100_000);
    // The issue's bound is 1 s of an optimised build; an unoptimised one (plain
    // `cargo test`) spends ~1.2 s only parsing and writing these rows in `mailbox list`.
    let bound = if cfg!(debug_assertions) { 3.0 } else { 1.0 };
    assert!(
        m.cpu.as_secs_f64() < bound,
        "client CPU {:.3} s for 100,000 rows (bound {bound} s for this build)",
        m.cpu.as_secs_f64()
    );
}

// ---------------------------------------------------------------- endless replies

/// An endless reply must end with one of `want` in bounded memory (peak RSS < 64 MiB).
fn endless(mode: Mode, args: &[&str], want: &[i32]) {
    let f = Fake::start(mode.clone());
    let m = measure(&f, args, Duration::from_secs(30));
    eprintln!(
        "{mode:?} {args:?}: exit {}, peak RSS {} MiB, CPU {:.2} s, wall {:.2} s, {} stdout lines; {}",
        m.code,
        m.peak_rss_kib / 1024,
        m.cpu.as_secs_f64(),
        m.wall.as_secs_f64(),
        m.lines,
        show(&m.stderr)
    );
    assert!(
        m.killed.is_none(),
        "{mode:?} {args:?}: {}",
        m.killed.as_deref().unwrap_or("")
    );
    assert!(
        want.contains(&m.code),
        "{mode:?} {args:?}: exit {} (want {want:?}): {}",
        m.code,
        show(&m.stderr)
    );
    assert!(
        m.peak_rss_kib < 64 * 1024,
        "{mode:?} {args:?}: peak RSS {} MiB",
        m.peak_rss_kib / 1024
    );
    // Piped `who` first reads the server's features (its doveadm titles differ between
    // 2.3 and 2.4; the schema is cached on disk after that): one more request.
    let want_requests = if args.contains(&"who") { 2 } else { 1 };
    assert_eq!(
        f.requests(),
        want_requests,
        "{mode:?} {args:?}: requests sent"
    );
    let out = Out {
        code: m.code,
        stdout: String::new(),
        stderr: m.stderr,
    };
    assert_clean(&format!("{mode:?} {args:?}"), &out, "tab");
    out.one_error_line();
}

#[test]
fn endless_rows_end_at_the_timeout_in_bounded_memory() {
    endless(
        Mode::EndlessRows,
        &["--timeout", "5", "mailbox", "list", "-u", "x"],
        &[75, 76],
    );
}

#[test]
fn endless_rows_end_at_the_size_limit_with_76() {
    endless(
        Mode::EndlessRows,
        &["--max-reply-size", "10M", "mailbox", "list", "-u", "x"],
        &[76],
    );
    // `who` sorts, so it keeps its rows: memory follows the limit (a 10M reply is
    // ~100,000 rows), hence the smaller limit for the same 64 MiB bound.
    endless(Mode::EndlessRows, &["--max-reply-size", "1M", "who"], &[76]);
    endless(
        Mode::EndlessRows,
        &["--max-reply-size", "1M", "who", "-1"],
        &[76],
    );
}

#[test]
fn an_endless_string_ends_at_the_size_limit_with_76() {
    for cmd in [&["mailbox", "list", "-u", "x"][..], &["who"]] {
        let mut args = vec!["--max-reply-size", "10M"];
        args.extend_from_slice(cmd);
        endless(Mode::EndlessString, &args, &[76]);
    }
}

// ---------------------------------------------------------------- -F, server down

#[test]
fn user_file_against_a_down_server_stops_with_one_error_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users");
    let users: String = (0..20_000)
        .map(|i| format!("user{i}@example.org\n"))
        .collect();
    std::fs::write(&file, users).unwrap();
    let t = Instant::now();
    let out = Rd::new()
        .env("RDOVEADM_PASSWORD", "fake-secret-pw")
        .args([
            "--url",
            &format!("http://127.0.0.1:{port}"),
            "--format",
            "tab",
        ])
        .args(["mailbox", "list", "-F", file.to_str().unwrap()])
        .run();
    eprintln!(
        "-F 20,000 users, server down: exit {}, {:.2} s, {} stderr lines",
        out.code,
        t.elapsed().as_secs_f64(),
        out.stderr.lines().count()
    );
    assert_clean("-F, server down", &out, "tab");
    assert_eq!(out.code, 75, "{}", show(&out.stderr));
    out.one_error_line();
}

#[test]
fn endless_input_files_end_with_a_usage_error() {
    // -F /dev/zero and a batch of one endless line: refused at their caps, not read
    // until memory runs out. (Nothing listens on port 1: nothing is asked.)
    for args in [
        vec!["quota", "get", "-F", "/dev/zero"],
        vec!["batch", "/dev/zero"],
    ] {
        let out = Rd::new()
            .args(["--url", "http://127.0.0.1:1"])
            .args(&args)
            .run();
        assert_eq!(out.code, 64, "{args:?}: {}", show(&out.stderr));
        assert!(out.one_error_line().contains("larger than"), "{args:?}");
    }
}

#[test]
fn user_file_from_stdin_as_doveadm_reads_it() {
    let server = Fake::start(Mode::IdenticalWho);
    let out = Rd::new()
        .args([
            "--url",
            &server.url,
            "--format",
            "tab",
            "mailbox",
            "list",
            "-F",
            "-",
        ])
        .stdin("alice@example.org\nbob@example.org\n")
        .run();
    assert_eq!(out.code, 0, "{}", show(&out.stderr));
    assert_eq!(server.requests(), 2, "one request per user read from stdin");
}

// ---------------------------------------------------------------- measuring a child

struct Measured {
    code: i32,
    peak_rss_kib: u64,
    cpu: Duration,
    wall: Duration,
    lines: usize,
    stderr: String,
    /// Why the child was killed (too slow, or memory past the safety cap).
    killed: Option<String>,
}

/// Runs the binary against `f`, polling its peak RSS (VmHWM) until it exits. Its
/// user+sys CPU time is read from /proc once it is a zombie (exited, not yet reaped),
/// so it counts all of it. Kills it past `limit` or past 512 MiB of RSS (a safety cap
/// for the shared machine: today an endless reply grows ~1 GB/s).
fn measure(f: &Fake, args: &[&str], limit: Duration) -> Measured {
    let mut child = hermetic(
        Command::new(env!("CARGO_BIN_EXE_rdoveadm"))
            .args(["--url", &f.url])
            .args(args),
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("run rdoveadm");
    let pid = child.id();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    // Count stdout lines without keeping them (an endless reply may stream gigabytes).
    let lines = std::thread::spawn(move || {
        let mut n = 0;
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(k) = stdout.read(&mut buf) {
            if k == 0 {
                break;
            }
            n += buf[..k].iter().filter(|&&b| b == b'\n').count();
        }
        n
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(k) = stderr.read(&mut buf) {
            if k == 0 {
                break;
            }
            if s.len() < 1 << 20 {
                s.extend_from_slice(&buf[..k]);
            }
        }
        String::from_utf8_lossy(&s).into_owned()
    });
    let t = Instant::now();
    let mut peak = 0u64;
    let mut killed = None;
    let ticks = loop {
        // /proc/PID/stat after the `(comm)`: state is field 3, utime 14, stime 15.
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("child's stat");
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
            .split_whitespace()
            .collect();
        if fields[0] == "Z" {
            break fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        }
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let kib = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        peak = peak.max(kib("VmHWM:"));
        if killed.is_none() {
            if kib("VmRSS:") > 512 * 1024 {
                killed = Some(format!(
                    "killed: RSS past 512 MiB after {:?} (unbounded memory)",
                    t.elapsed()
                ));
            } else if t.elapsed() > limit {
                killed = Some(format!("killed: still running after {limit:?}"));
            }
            if killed.is_some() {
                let _ = child.kill();
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let status = child.wait().unwrap();
    let wall = t.elapsed();
    Measured {
        code: status.code().unwrap_or_else(|| {
            -std::os::unix::process::ExitStatusExt::signal(&status).unwrap_or(0)
        }),
        peak_rss_kib: peak,
        cpu: Duration::from_millis(ticks * 1000 / clock_ticks()),
        wall,
        lines: lines.join().unwrap(),
        stderr: err.join().unwrap(),
        killed,
    }
}

/// Clock ticks per second of /proc/PID/stat times (`getconf CLK_TCK`, 100 on Linux).
fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}
