//! Exit codes end to end. Real Dovecot for what it can produce (67, 68, 77, 75 down);
//! a small fake server only for faults it can't (hung, garbage, truncated, 500).
//! stderr is always one `rdoveadm: error:` line, never a secret, never a panic.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::harness::{versions, Dovecot, Rd};

/// Serves each connection with `reply` (raw HTTP bytes) after reading the request;
/// `None` never answers. Returns the URL.
fn fake_server(reply: Option<&'static [u8]>) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in l.incoming().take(8) {
            let Ok(mut c) = conn else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = c.set_read_timeout(Some(Duration::from_millis(300)));
                let _ = c.read(&mut buf);
                match reply {
                    Some(r) => {
                        let _ = c.write_all(r);
                    }
                    None => std::thread::sleep(Duration::from_secs(20)),
                }
            });
        }
    });
    url
}

fn against(url: &str) -> Rd {
    Rd::new()
        .env("RDOVEADM_URL", url)
        .env("RDOVEADM_PASSWORD", "fake-secret-pw")
}

#[test]
fn unknown_user_is_67_and_no_match_is_68() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let out = d
            .rdoveadm()
            .args(["quota", "get", "-u", "nobody@example.org"])
            .run()
            .code(67);
        assert!(
            out.one_error_line().contains("no such user"),
            "{}",
            out.stderr
        );
        // As doveadm of the server's version: 2.4 exits 0 ("0 connections kicked").
        let out = d
            .rdoveadm()
            .args(["kick", "nobody@example.org"])
            .run()
            .code(if v == "2.4" { 0 } else { 68 });
        if v != "2.4" {
            assert!(
                out.one_error_line().contains("no session matched"),
                "{}",
                out.stderr
            );
        }
        let out = d
            .rdoveadm()
            .args(["mailbox", "list", "-u", "nobody@example.org"])
            .run()
            .code(67);
        out.one_error_line();
    }
}

#[test]
fn wrong_password_is_77_and_never_printed() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        for (var, secret) in [
            ("RDOVEADM_PASSWORD", "wrong-secret-123"),
            ("RDOVEADM_API_KEY", "wrong-key-456"),
        ] {
            let out = Rd::new()
                .env("RDOVEADM_URL", d.url())
                .env(var, secret)
                .args(["-D", "who"])
                .run()
                .code(77);
            let err: Vec<&str> = out
                .stderr
                .lines()
                .filter(|l| l.starts_with("rdoveadm: error:"))
                .collect();
            assert_eq!(err.len(), 1, "{}", out.stderr);
            assert!(
                err[0].contains("authentication failed (HTTP 401)"),
                "{}",
                err[0]
            );
            assert!(
                err[0].contains(var),
                "names the credential used: {}",
                err[0]
            );
            assert!(
                err[0].contains("X-Dovecot-API") && err[0].contains("Basic"),
                "lists what the server accepts"
            );
            assert!(
                !out.stderr.contains(secret),
                "secret leaked in debug output:\n{}",
                out.stderr
            );
            assert!(!out.stdout.contains(secret));
        }
        // No credentials at all.
        let out = Rd::new()
            .env("RDOVEADM_URL", d.url())
            .args(["who"])
            .run()
            .code(77);
        assert!(out.one_error_line().contains("no credentials"));
    }
}

#[test]
fn server_down_is_75() {
    // A port nothing listens on (bound then released).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = against(&format!("http://127.0.0.1:{port}"))
        .args(["who"])
        .run()
        .code(75);
    assert!(
        out.one_error_line().contains("cannot connect"),
        "{}",
        out.stderr
    );
    let out = Rd::new()
        .env("RDOVEADM_SOCKET", "/nonexistent/http")
        .env("RDOVEADM_PASSWORD", "x")
        .args(["who"])
        .run()
        .code(75);
    assert!(out.one_error_line().contains("/nonexistent/http"));
}

#[test]
fn hung_server_times_out_with_75() {
    let url = fake_server(None);
    let t = Instant::now();
    let out = against(&url).args(["--timeout", "1", "who"]).run().code(75);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    assert!(
        out.one_error_line().contains("did not answer within 1 s"),
        "{}",
        out.stderr
    );
}

#[test]
fn garbage_and_truncated_replies_are_76() {
    let garbage: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\n<html>hi</ht";
    let truncated_json: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\nConnection: close\r\n\r\n[[\"doveadmResponse\",[{\"user";
    let cut_body: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 4000\r\nConnection: close\r\n\r\n[[\"doveadmResponse\",[";
    for (what, reply) in [
        ("garbage", garbage),
        ("truncated JSON", truncated_json),
        ("short body", cut_body),
    ] {
        let out = against(&fake_server(Some(reply)))
            .args(["who"])
            .run()
            .code(76);
        let line = out.one_error_line();
        assert!(line.contains("malformed reply"), "{what}: {line}");
    }
}

#[test]
fn http_500_and_closed_without_reply() {
    let out = against(&fake_server(Some(
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )))
    .args(["who"])
    .run()
    .code(75);
    assert!(out.one_error_line().contains("HTTP 500"));
    // Closed without a word after the request: Dovecot's worker died on the command.
    // Said plainly, naming the command, with native doveadm's exit code for a fatal
    // error (75: Dovecot's FATAL_DEFAULT), as scripts written for doveadm expect.
    let out = against(&fake_server(Some(b"")))
        .args(["who"])
        .run()
        .code(75);
    assert!(
        out.one_error_line()
            .contains("`who`: the server's doveadm process ended without a reply"),
        "{}",
        out.stderr
    );
}

#[test]
fn bad_usage_is_64() {
    let rd = against("http://127.0.0.1:9");
    for args in [
        vec!["kick"],
        vec!["kick", ""],
        vec!["who", "--bogus"],
        vec!["mailbox", "list"],
        vec!["frobnicate"],
    ] {
        let out = rd.clone().args(&args).run().code(64);
        out.one_error_line();
    }
    let out = rd.clone().args(["kick", " "]).run().code(64);
    assert!(out.one_error_line().contains("empty"));
}

#[test]
fn typos_get_clap_suggestion_in_the_one_line_error() {
    let rd = against("http://127.0.0.1:9");
    for (args, want) in [
        (vec!["quata"], "did you mean `quota`?"),
        (vec!["mailbox", "stauts"], "did you mean `status`?"),
        (vec!["--fromat", "json", "who"], "did you mean `--format`?"),
    ] {
        let out = rd.clone().args(&args).run().code(64);
        let line = out.one_error_line();
        assert!(line.contains(want), "{args:?}: {line}");
    }
}

#[test]
fn bad_config_is_78() {
    for url in ["127.0.0.1:8080", "ftp://x", "http://doveadm:pw@127.0.0.1:1"] {
        let out = Rd::new()
            .env("RDOVEADM_URL", url)
            .args(["who"])
            .run()
            .code(78);
        assert!(!out.one_error_line().contains(":pw@"));
    }
    let out = Rd::new().args(["who"]).run().code(78);
    assert!(out.one_error_line().contains("--url"));
}
