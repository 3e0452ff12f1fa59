//! A hostile or broken HTTP server, faked: redirects (never followed), endless and
//! oversized replies (bounded memory, exit 75/76), server text in errors and `-D`
//! traces (escaped, bounded, one line), over TCP and the UNIX socket.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixListener;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::Rd;

const SECRET: &str = "fake-secret-pw";

/// Reads a request head (and its body, if small) so the client sees an orderly reply.
fn read_request<S: Read>(s: &mut S) -> String {
    let mut buf = Vec::new();
    let mut b = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&b[..n]),
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// A server whose every connection is answered by `answer(request_head, stream)`.
/// A `GET` (the command list) gets a small schema with `who`. Returns the URL.
fn serve(answer: fn(&str, &mut TcpStream)) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut c) = conn else { continue };
            std::thread::spawn(move || {
                let _ = c.set_read_timeout(Some(Duration::from_millis(500)));
                let head = read_request(&mut c);
                if head.starts_with("GET") {
                    let body =
                        br#"[{"command":"who","parameters":[{"name":"mask","type":"array"}]}]"#;
                    let _ = write!(
                        c,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = c.write_all(body);
                    return;
                }
                answer(&head, &mut c);
            });
        }
    });
    url
}

/// Writes one HTTP reply: `head` is the status and any extra header lines.
fn respond(c: &mut TcpStream, head: &str, body: &str) {
    let _ = write!(
        c,
        "HTTP/1.1 {head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A listener that only counts the connections it gets.
fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let n = Arc::new(AtomicUsize::new(0));
    let seen = n.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(c);
        }
    });
    (port, n)
}

/// The one `rdoveadm: error:` line among `-D` trace lines.
fn error_line(stderr: &str) -> &str {
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("rdoveadm: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    errors[0]
}

fn against(url: &str) -> Rd {
    Rd::new()
        .env("RDOVEADM_URL", url)
        .env("RDOVEADM_PASSWORD", SECRET)
}

/// Port of the redirect target, shared with the fake server's fn pointer.
static OTHER_PORT: AtomicUsize = AtomicUsize::new(0);

fn redirect(_: &str, c: &mut TcpStream) {
    let port = OTHER_PORT.load(Ordering::SeqCst);
    let _ = write!(
        c,
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://doveadm:stolen-pw@127.0.0.1:{port}/doveadm/v1?\u{202e}gpj.exe\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn a_redirect_is_78_names_the_location_and_is_never_followed() {
    let (port, hits) = counting_listener();
    OTHER_PORT.store(port as usize, Ordering::SeqCst);
    let url = serve(redirect);
    for args in [vec!["-D", "mailbox", "list", "-u", "jane"], vec!["who"]] {
        let out = against(&url).args(&args).run().code(78);
        let line = error_line(&out.stderr);
        assert!(
            line.contains("redirects to `http://***@127.0.0.1:"),
            "{line}"
        );
        assert!(line.contains(&format!(":{port}/doveadm/v1")), "{line}");
        assert!(line.contains("HTTP 307"), "{line}");
        assert!(!out.stderr.contains("stolen-pw"), "{}", out.stderr);
        assert!(!out.stderr.contains(SECRET), "{}", out.stderr);
        assert!(line.contains("?\\u{202e}gpj.exe`"), "{line}");
        assert!(!out.stderr.contains('\u{202e}'), "{}", out.stderr);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the redirect target was contacted"
    );
}

#[test]
fn a_redirect_over_the_unix_socket_is_78_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("http");
    let l = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            let _ = c.set_read_timeout(Some(Duration::from_millis(500)));
            read_request(&mut c);
            let _ = c.write_all(b"HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    let out = Rd::new()
        .env("RDOVEADM_SOCKET", path.to_str().unwrap())
        .env("RDOVEADM_PASSWORD", SECRET)
        .args(LIST)
        .run()
        .code(78);
    let line = out.one_error_line();
    assert!(
        line.contains("redirects to `https://elsewhere.example/`"),
        "{line}"
    );
    assert!(line.contains("unix:"), "{line}");
}

const ROWS_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[[\"doveadmResponse\",[";

/// `[["doveadmResponse",[{"a":"b"},{"a":"b"},...` until the client goes away.
fn endless_rows(_: &str, c: &mut TcpStream) {
    let chunk = br#"{"mailbox":"b"},"#.repeat(4096);
    let _ = c.write_all(ROWS_HEAD);
    while c.write_all(&chunk).is_ok() {}
}

/// `[["doveadmResponse",[{"mailbox":"bbbb...` until the client goes away.
fn endless_string(_: &str, c: &mut TcpStream) {
    let chunk = vec![b'b'; 65536];
    let _ = c.write_all(ROWS_HEAD);
    let _ = c.write_all(br#"{"mailbox":""#);
    while c.write_all(&chunk).is_ok() {}
}

fn stderr_of(child: &mut std::process::Child) -> String {
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut err).unwrap();
    }
    err
}

/// The row command the memory tests run (one request, rows streamed).
const LIST: &[&str] = &["mailbox", "list", "-u", "jane"];

/// Starts `rdoveadm ARGS` against `url`, stderr piped.
fn spawn(url: &str, args: &[&str], stdout: Stdio) -> std::process::Child {
    let home = std::env::temp_dir().join("rdoveadm-it-home");
    Command::new(env!("CARGO_BIN_EXE_rdoveadm"))
        .args(args)
        .env_clear()
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("RDOVEADM_URL", url)
        .env("RDOVEADM_PASSWORD", SECRET)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs `rdoveadm OPTS mailbox list -u jane` (or `who` after `who`) with stdout to /dev/null, polling its peak RSS (VmHWM). Returns the
/// exit code, stderr, peak RSS in KiB and the wall time.
fn run_measured(url: &str, opts: &[&str]) -> (i32, String, u64, Duration) {
    let args = match opts.split_last() {
        Some((&"who", opts)) => [opts, &["who"]].concat(),
        _ => [opts, LIST].concat(),
    };
    let args = args.as_slice();
    let mut child = spawn(url, args, Stdio::null());
    let t = Instant::now();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let code = loop {
        if let Ok(s) = std::fs::read_to_string(&status) {
            if let Some(kb) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        if let Some(st) = child.try_wait().unwrap() {
            break st.code().unwrap_or(-1);
        }
        assert!(t.elapsed() < Duration::from_secs(60), "still running");
        std::thread::sleep(Duration::from_millis(10));
    };
    let err = stderr_of(&mut child);
    eprintln!(
        "{args:?}: exit {code} after {:.2} s, peak RSS {} KiB; {}",
        t.elapsed().as_secs_f64(),
        peak,
        err.trim()
    );
    (code, err, peak, t.elapsed())
}

#[test]
fn an_endless_reply_ends_at_the_timeout_with_bounded_memory() {
    let url = serve(endless_rows);
    let (code, err, peak_kib, took) = run_measured(&url, &["--timeout", "3"]);
    assert_eq!(code, 75, "{err}");
    assert!(err.contains("did not finish its reply within 3 s"), "{err}");
    assert!(peak_kib < 32 * 1024, "peak RSS {peak_kib} KiB");
    assert!(took < Duration::from_secs(15), "{took:?}");
}

/// Runs with `opts`, expecting exit 76 with `want` in the message and a peak RSS below
/// `max_mib`.
fn ends_with_76(url: &str, opts: &[&str], want: &str, max_mib: u64) {
    let (code, err, peak_kib, _) = run_measured(url, opts);
    assert_eq!(code, 76, "{err}");
    assert!(err.contains(want), "{err}");
    assert!(err.contains("--max-reply-size"), "{err}");
    assert!(peak_kib < max_mib * 1024, "peak RSS {peak_kib} KiB");
}

#[test]
fn an_endless_reply_ends_at_the_size_limit_with_76() {
    let url = serve(endless_rows);
    ends_with_76(
        &url,
        &["--timeout", "0", "--max-reply-size", "5M"],
        "larger than 5M",
        32,
    );
}

#[test]
fn an_endless_string_ends_at_the_row_limit_with_76() {
    let url = serve(endless_string);
    // The default limit: one row may take 64M.
    ends_with_76(&url, &["--timeout", "60"], "larger than 64M", 160);
    ends_with_76(&url, &["--max-reply-size", "16M"], "larger than 1M", 32);
    // `who` keeps the whole result: one row is bounded the same way.
    ends_with_76(&url, &["--timeout", "60", "who"], "larger than 64M", 160);
}

#[test]
fn a_result_kept_whole_is_bounded_by_the_size_limit_too() {
    let url = serve(endless_rows);
    ends_with_76(
        &url,
        &["--timeout", "0", "--max-reply-size", "50M", "who"],
        "takes more than 50M in memory",
        100,
    );
}

#[test]
fn a_declared_length_past_the_limit_is_refused_before_reading() {
    fn huge(_: &str, c: &mut TcpStream) {
        let _ = c.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n[[",
        );
        std::thread::sleep(Duration::from_secs(5));
    }
    let t = Instant::now();
    let out = against(&serve(huge))
        .args(["--max-reply-size", "1M"])
        .args(LIST)
        .run()
        .code(76);
    assert!(
        out.one_error_line().contains("larger than 1M"),
        "{}",
        out.stderr
    );
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

#[test]
fn a_body_that_stalls_times_out_with_75() {
    fn stall(_: &str, c: &mut TcpStream) {
        let _ = c.write_all(ROWS_HEAD);
        let _ = c.write_all(br#"{"mailbox":"INBOX"},"#);
        std::thread::sleep(Duration::from_secs(10));
    }
    let url = serve(stall);
    for args in [vec!["mailbox", "list", "-u", "jane"], vec!["who"]] {
        let t = Instant::now();
        let out = against(&url)
            .args(["--timeout", "1"])
            .args(&args)
            .run()
            .code(75);
        assert!(
            out.one_error_line()
                .contains("did not finish its reply within 1 s"),
            "{}",
            out.stderr
        );
        assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    }
}

#[test]
fn a_closed_pipe_ends_an_endless_reply_with_0() {
    let url = serve(endless_rows);
    let args = [&["--timeout", "20", "-f", "tab"], LIST].concat();
    let mut child = spawn(&url, &args, Stdio::piped());
    let t = Instant::now();
    let mut first = [0u8; 100];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let st = child.wait().unwrap();
    let err = stderr_of(&mut child);
    assert_eq!(st.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn server_text_in_errors_is_escaped_bounded_and_one_line() {
    fn bad_request(_: &str, c: &mut TcpStream) {
        let body = format!(
            "\x1b]0;pwned\x07\x1b[2J\u{202e}line1\nline2 {}",
            "x".repeat(20000)
        );
        respond(c, "400 Bad Request", &body);
    }
    fn unauthorized(_: &str, c: &mut TcpStream) {
        // Raw C0 controls in a header are refused by hyper; C1 and bidi (UTF-8) pass.
        let evil = "WWW-Authenticate: \u{9b}31mEvil\u{202e}\u{9b}0m realm=x";
        let basic = "WWW-Authenticate: Basic Realm=\"doveadm\"";
        respond(c, &format!("401 Unauthorized\r\n{evil}\r\n{basic}"), "");
    }
    fn bad_type(_: &str, c: &mut TcpStream) {
        let body = format!(
            "[[\"error\",{{\"type\":\"\\u001b]8;;http://x\\u0007{}\",\"exitCode\":0}},\"t\"]]",
            "y".repeat(5000)
        );
        respond(c, "200 OK\r\nX-Trace: \u{9b}2J\u{2066}", &body);
    }
    for (answer, code, want) in [
        (bad_request as fn(&str, &mut TcpStream), 64, "HTTP 400"),
        (unauthorized, 77, "Evil"),
        (bad_type, 76, "unknown error type"),
    ] {
        let out = against(&serve(answer))
            .args(["-D"])
            .args(LIST)
            .run()
            .code(code);
        let line = error_line(&out.stderr);
        assert!(line.contains(want), "{line}");
        assert!(line.chars().count() < 700, "{} chars", line.chars().count());
        for l in out.stderr.lines() {
            assert!(
                !l.chars()
                    .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
                "raw control character in {l:?}"
            );
            assert!(
                l.chars().count() < 5000,
                "-D line of {} chars",
                l.chars().count()
            );
        }
        assert!(!out.stderr.contains(SECRET));
    }
}

#[test]
fn a_slow_reader_of_our_output_is_not_a_server_timeout() {
    /// 50,000 rows (about 1 MB, far more than a pipe holds), then the end.
    fn finite(_: &str, c: &mut TcpStream) {
        let rows = vec![r#"{"mailbox":"INBOX"}"#; 50_000].join(",");
        let _ = c.write_all(ROWS_HEAD);
        let _ = c.write_all(rows.as_bytes());
        let _ = c.write_all(br#"],"t"]]"#);
    }
    let url = serve(finite);
    let args = [&["--timeout", "1", "-f", "tab"], LIST].concat();
    let mut child = spawn(&url, &args, Stdio::piped());
    // Nobody reads for twice the timeout: rdoveadm waits on the pipe, not the server.
    std::thread::sleep(Duration::from_secs(2));
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let st = child.wait().unwrap();
    let err = stderr_of(&mut child);
    assert_eq!(st.code(), Some(0), "{err}");
    assert_eq!(out.lines().filter(|l| *l == "INBOX").count(), 50_000);
}
