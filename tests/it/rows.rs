//! Rows kept and servers that are down: identical `who -1` rows (several sessions of a
//! user in one imap process) are all shown, overlapping masks are merged as a multiset,
//! 100,000 rows go through quickly, and `-F` / fan-out stop asking a server that is
//! down (one error line, not one per user).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{versions, Dovecot, Rd};

/// A fake doveadm HTTP API: every request (whole body read) is answered by
/// `reply(body)` as `(status, body)`, one connection per request. Returns the URL.
fn fake(reply: fn(&str) -> (u16, String)) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(c) = conn else { continue };
            std::thread::spawn(move || serve(c, reply));
        }
    });
    url
}

fn serve(c: TcpStream, reply: fn(&str) -> (u16, String)) {
    let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
    let mut r = BufReader::new(c);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    if r.read_exact(&mut body).is_err() {
        return;
    }
    let (status, text) = reply(&String::from_utf8_lossy(&body));
    let mut c = r.into_inner();
    let _ = write!(
        c,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        text.len()
    );
    let _ = c.write_all(text.as_bytes());
}

fn response(rows: &[Value]) -> String {
    json!([["doveadmResponse", rows, "t"]]).to_string()
}

fn session(user: &str, pid: u32) -> Value {
    json!({"username": user, "service": "imap", "pid": pid.to_string(), "ip": "127.0.0.1"})
}

fn against(url: &str) -> Rd {
    Rd::new()
        .env("RDOVEADM_URL", url)
        .env("RDOVEADM_PASSWORD", "fake-secret-pw")
}

/// A port nothing listens on.
fn closed_port() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

/// `client_limit > 1` and one imap process: three logins of alice share its pid and
/// ip, so `who -1` has three identical rows. Both versions produce them (the
/// sandbox has no knob for this, so the test adds the setting and reloads).
#[test]
fn real_dovecot_identical_sessions_are_all_shown() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let restart = if v == "2.3" {
            "service_count = 0"
        } else {
            "restart_request_count = unlimited"
        };
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(d.var("SANDBOX_CONF"))
            .unwrap();
        writeln!(
            conf,
            "service imap {{\n  client_limit = 10\n  process_limit = 1\n  {restart}\n}}"
        )
        .unwrap();
        d.reload();
        let _s: Vec<_> = (0..3)
            .map(|_| d.imap_login("alice@example.org", "alicepw"))
            .collect();
        d.wait_for_connections(3);

        let out = d.rdoveadm().args(["-f", "json", "who", "-1"]).run().ok();
        let rows = out.json().as_array().unwrap().clone();
        assert_eq!(rows.len(), 3, "{v}: {}", out.stdout);
        assert!(
            rows.iter().all(|r| *r == rows[0]),
            "{v}: one process, so identical rows: {rows:?}"
        );
        let out = d
            .rdoveadm()
            .args(["-f", "tab", "--no-header", "who", "-1"])
            .run()
            .ok();
        assert_eq!(out.stdout.lines().count(), 3, "{v}: {}", out.stdout);
        // Two masks that both match alice: her three sessions, not one, not six.
        let out = d
            .rdoveadm()
            .args(["-f", "json", "who", "-1", "alice@example.org", "a*"])
            .run()
            .ok();
        assert_eq!(
            out.json().as_array().unwrap().len(),
            3,
            "{v}: {}",
            out.stdout
        );
        let out = d.rdoveadm().args(["-f", "json", "who"]).run().ok();
        assert_eq!(out.json()[0]["connections"], "3", "{v}: {}", out.stdout);
    }
}

/// `alice`: three identical rows; `a*`: the same three and anna's.
fn who_server(body: &str) -> (u16, String) {
    let alice = vec![session("alice", 7); 3];
    if body.contains("\"a*\"") {
        let mut rows = alice;
        rows.push(session("anna", 8));
        (200, response(&rows))
    } else {
        (200, response(&alice))
    }
}

#[test]
fn identical_rows_of_one_reply_are_kept_and_overlaps_merged() {
    let url = fake(who_server);
    let out = against(&url)
        .args(["-f", "tab", "--no-header", "who", "-1", "alice"])
        .run()
        .ok();
    assert_eq!(out.stdout, "alice\timap\t7\t127.0.0.1\n".repeat(3));
    let out = against(&url)
        .args(["-f", "json", "who", "-1", "alice"])
        .run()
        .ok();
    assert_eq!(out.json(), json!(vec![session("alice", 7); 3]));
    // Two masks, one overlapping the other: each row as often as the one reply
    // that had it most often (3 + 1), not the sum (7).
    let out = against(&url)
        .args(["-f", "jsonl", "who", "-1", "alice", "a*"])
        .run()
        .ok();
    let users: Vec<String> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["username"].to_string())
        .collect();
    assert_eq!(
        users,
        ["\"alice\""; 3]
            .iter()
            .chain(&["\"anna\""])
            .cloned()
            .collect::<Vec<_>>()
    );
}

fn quota_server(body: &str) -> (u16, String) {
    if body.contains("\"nobody@x\"") {
        return (
            200,
            json!([["error", {"type": "exitCode", "exitCode": 67}, "t"]]).to_string(),
        );
    }
    let row = json!({"root": "User quota", "type": "STORAGE", "value": "1", "limit": "-", "percent": "0"});
    (200, response(&[row]))
}

fn users_file(dir: &tempfile::TempDir, users: &[String]) -> String {
    let path = dir.path().join("users.txt");
    std::fs::write(&path, users.join("\n")).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn user_file_stops_at_a_server_that_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let many: Vec<String> = (0..100_000).map(|i| format!("user{i:06}@x")).collect();
    let file = users_file(&dir, &many);
    let started = Instant::now();
    let out = against(&closed_port())
        .args(["quota", "get", "-F", &file])
        .run()
        .code(75);
    let took = started.elapsed();
    let line = out.one_error_line();
    assert!(line.contains("cannot connect"), "{line}");
    assert!(line.contains("of 100000 users not asked"), "{line}");
    assert!(out.stdout.is_empty());
    assert!(took < Duration::from_secs(20), "{took:?}");
    eprintln!("-F with 100,000 users, server down: {took:?}");

    // Wrong credentials are about the server too: one line, 77.
    let url = fake(|_| (401, String::new()));
    let out = against(&url)
        .args(["quota", "get", "-F", &file])
        .run()
        .code(77);
    assert!(out.one_error_line().contains("not asked"), "{}", out.stderr);

    // A user the server doesn't know is about that user: the others are still asked.
    let few = users_file(&dir, &["a@x", "nobody@x", "b@x"].map(String::from));
    let out = against(&fake(quota_server))
        .args(["-f", "tab", "--no-header", "quota", "get", "-F", &few])
        .run()
        .code(67);
    let users: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(users, ["a@x", "b@x"]);
    assert!(
        out.one_error_line().contains("user `nobody@x`"),
        "{}",
        out.stderr
    );
}

#[test]
fn fan_out_a_server_that_is_down_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let users: Vec<String> = (0..500).map(|i| format!("u{i}@x")).collect();
    let file = users_file(&dir, &users);
    let (up, down) = (fake(quota_server), closed_port());
    let out = Rd::new()
        .env("RDOVEADM_PASSWORD", "fake-secret-pw")
        .args(["--url", &up, "--url", &down, "-f", "tab", "--no-header"])
        .args(["quota", "get", "-F", &file])
        .run()
        .code(75);
    assert_eq!(out.stdout.lines().count(), 500, "{}", out.stderr);
    let line = out.one_error_line();
    let down_name = down.trim_start_matches("http://");
    assert!(line.contains(&format!("server `{down_name}`")), "{line}");
    assert!(line.contains("users not asked"), "{line}");
    // Without -F: the down server's failure is one line naming it.
    let out = Rd::new()
        .env("RDOVEADM_PASSWORD", "fake-secret-pw")
        .args(["--url", &down, "--url", &up, "-f", "tab", "--no-header"])
        .args(["quota", "get", "-u", "a@x"])
        .run()
        .code(75);
    assert_eq!(out.stdout.lines().count(), 1);
    assert!(out
        .one_error_line()
        .contains(&format!("server `{down_name}`")));
}

/// Lists 2,000 users for `-A`, then fails every mail request with a 503 whose body
/// tries to recolour the terminal.
fn lists_then_fails(body: &str) -> (u16, String) {
    if body.contains("userMask") {
        let users: Vec<String> = (0..2000u32)
            .map(|i| format!("{}{i}@x", char::from(b'a' + (i % 26) as u8)))
            .collect();
        return (
            200,
            json!([["doveadmResponse", {"userList": users}, "t"]]).to_string(),
        );
    }
    (503, "\x1b[31mdown for maintenance\x1b[0m".to_string())
}

#[test]
fn all_users_shards_stop_at_a_failing_server() {
    let out = against(&fake(lists_then_fails))
        .args(["quota", "get", "-A", "--parallel", "2"])
        .run()
        .code(75);
    let line = out.one_error_line();
    assert!(line.contains("HTTP 503"), "{line}");
    assert!(line.contains("shards not asked"), "{line}");
    assert!(
        !out.stderr.contains('\x1b'),
        "raw ESC on stderr: {:?}",
        out.stderr
    );
    // Fan-out: the failing server is one escaped line, the other answers.
    let out = Rd::new()
        .env("RDOVEADM_PASSWORD", "fake-secret-pw")
        .args([
            "--url",
            &fake(quota_server),
            "--url",
            &fake(lists_then_fails),
        ])
        .args(["-f", "tab", "--no-header", "quota", "get", "-u", "a@x"])
        .run()
        .code(75);
    assert_eq!(out.stdout.lines().count(), 1);
    let line = out.one_error_line();
    assert!(line.contains("HTTP 503"), "{line}");
    assert!(
        !out.stderr.contains('\x1b'),
        "raw ESC on stderr: {:?}",
        out.stderr
    );
}

/// 100,000 `who -1` rows, in threes that are alike (three sessions per process).
fn many_sessions(_: &str) -> (u16, String) {
    let rows: Vec<Value> = (0..100_000u32)
        .map(|i| session(&format!("u{:05}", i / 3), i / 3))
        .collect();
    (200, response(&rows))
}

/// Client CPU time (user + system seconds) of one run, from `/usr/bin/time`.
fn cpu_seconds(url: &str, args: &[&str]) -> (f64, usize) {
    let dir = tempfile::tempdir().unwrap();
    let times = dir.path().join("times");
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%U %S", "-o"])
        .arg(&times)
        .arg(env!("CARGO_BIN_EXE_rdoveadm"))
        .args(args)
        .env_clear()
        .env("RDOVEADM_URL", url)
        .env("RDOVEADM_PASSWORD", "x")
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = std::fs::read_to_string(&times).unwrap();
    let cpu: f64 = t
        .split_whitespace()
        .filter_map(|x| x.parse::<f64>().ok())
        .sum();
    (cpu, out.stdout.iter().filter(|b| **b == b'\n').count())
}

#[test]
fn hundred_thousand_rows_all_out_quickly() {
    let url = fake(many_sessions);
    for (what, args) in [
        ("tab", vec!["-f", "tab", "--no-header", "who", "-1"]),
        ("jsonl", vec!["-f", "jsonl", "who", "-1"]),
        // Two masks: the merge of overlapping replies (each has all 100,000 rows).
        (
            "tab, 2 masks",
            vec!["-f", "tab", "--no-header", "who", "-1", "u*", "a*"],
        ),
    ] {
        let (cpu, lines) = cpu_seconds(&url, &args);
        assert_eq!(lines, 100_000, "{what}");
        eprintln!("who -1, 100,000 rows, {what}: {cpu:.2} s client CPU");
        // Generous: a debug build on a shared machine (the old merge took minutes).
        assert!(cpu < 30.0, "{what}: {cpu} s");
    }
}
