//! A hostile doveadm HTTP API server for tests: one [`Mode`] per fault a real Dovecot
//! can't produce on demand (terminal escapes in rows and error texts, endless or
//! malformed replies, redirects, huge row counts). Listens on 127.0.0.1, one thread
//! per connection, answers every request (GET or POST) the same way, and counts them.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

/// Terminal controls a hostile server sends: ESC CSI (clear screen), OSC (set the window
/// title, BEL-terminated), a C1 CSI, BEL, BS, DEL and a bidi override.
pub const CSI: &str = "\x1b[2J";
pub const OSC: &str = "\x1b]0;pwned\x07";
pub const C1: &str = "\u{9b}31m";
pub const BIDI: &str = "\u{202e}";
/// All of them in one string.
pub const ALL: &str = "\x1b[2J\x1b]0;pwned\x07\u{9b}31m\x07\x08\x7f\u{202e}";

/// Values that must be cut in a narrow table: emoji + VS16 (width 2 each, two chars).
pub const WARN_SUBJECT: &str =
    "⚠️⚠️ Your account will be closed today unless you verify your password at the link below";
pub const FAMILY_MAILBOX: &str = "❤️❤️ Family photos from the summer holidays at the sea, 2024";

#[derive(Clone, Debug)]
pub enum Mode {
    /// Rows with terminal controls in values and in keys (`who`, `mailbox list` and
    /// `fetch hdr.subject` shapes in one row), one long value with controls to be cut.
    Escapes,
    /// An error entry whose `type` carries terminal controls.
    ErrorType,
    /// This HTTP status with a 1 MB body that starts and ends with terminal controls.
    HttpError(u16),
    /// 401 with WWW-Authenticate headers carrying C1 and bidi controls (bytes an HTTP
    /// parser lets through as obs-text).
    Unauthorized,
    /// 401 with a raw ESC sequence in WWW-Authenticate (a strict HTTP parser refuses it).
    UnauthorizedEsc,
    /// 200, `[["doveadmResponse",[` then rows forever (until the client goes away).
    EndlessRows,
    /// 200, `[["doveadmResponse",[{"mailbox":"` then one string forever.
    EndlessString,
    /// 307 to `http://127.0.0.1:OTHER/doveadm/v1`, a second listener that counts
    /// connections and would answer with rows of its own.
    Redirect,
    /// Three identical `who -1` rows (one user, three sessions in one imap process).
    IdenticalWho,
    /// This many distinct `who -1` rows.
    ManyWho(usize),
    /// A reply that stops inside a row (Content-Length matches what is sent).
    Truncated,
    /// Not JSON, with terminal controls in it.
    Garbage,
    /// An error entry without a tag: `[["error",{"type":"exitCode","exitCode":67}]]`.
    UntaggedError,
    /// `[["doveadmResponse","",""]]`.
    EmptyResponse,
    /// An object where rows are expected: `[["doveadmResponse",{"mailbox":"x"},"t"]]`.
    ObjectResult,
    /// Rows with emoji + VS16 values that a 40-80 column table must cut.
    Emoji,
}

/// How long the fake waits for a request.
const REQUEST_WAIT: Duration = Duration::from_secs(5);

/// A running fake server; its threads end with the test process.
pub struct Fake {
    /// `http://127.0.0.1:PORT` (the client appends `/doveadm/v1`).
    pub url: String,
    requests: Arc<AtomicUsize>,
    redirect_target: Option<Counter>,
}

impl Fake {
    pub fn start(mode: Mode) -> Fake {
        let redirect_target = matches!(mode, Mode::Redirect).then(Counter::start);
        let location = redirect_target
            .as_ref()
            .map(|c| format!("{}/doveadm/v1", c.url));
        let l = TcpListener::bind("127.0.0.1:0").expect("bind fake server");
        let url = format!("http://{}", l.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let count = requests.clone();
        // Fixed replies are built once (100,000 rows are 8 MB).
        let fixed: Option<Arc<Vec<u8>>> = fixed_reply(&mode, location.as_deref()).map(Arc::new);
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(c) = conn else { continue };
                let (mode, fixed, count) = (mode.clone(), fixed.clone(), count.clone());
                std::thread::spawn(move || serve(c, &mode, fixed.as_deref(), &count));
            }
        });
        Fake {
            url,
            requests,
            redirect_target,
        }
    }

    /// How many requests the server has read.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// How many connections the redirect target got (Redirect mode only).
    pub fn redirect_target_connections(&self) -> usize {
        self.redirect_target
            .as_ref()
            .expect("only Mode::Redirect has a redirect target")
            .connections()
    }

    /// The redirect target's URL (Redirect mode only).
    pub fn redirect_target_url(&self) -> &str {
        &self
            .redirect_target
            .as_ref()
            .expect("only Mode::Redirect has a redirect target")
            .url
    }
}

/// A listener that counts connections and answers each with a `who` row of
/// "another server": a client that follows a redirect here is caught twice.
pub struct Counter {
    pub url: String,
    connections: Arc<AtomicUsize>,
}

/// The user the redirect target's rows name.
pub const OTHER_SERVER_USER: &str = "other-server-user@example.org";

impl Counter {
    pub fn start() -> Counter {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind counter");
        let url = format!("http://{}", l.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(mut c) = conn else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || {
                    let _ = read_request(&mut c, REQUEST_WAIT);
                    let body = envelope(json!([{
                        "username": OTHER_SERVER_USER, "service": "imap",
                        "pid": "1", "ip": "192.0.2.99", "connections": "1", "pids": "(1)",
                        "ips": "(192.0.2.99)", "mailbox": "OTHER-SERVER"
                    }]));
                    let _ = c.write_all(&http(200, &[], &body));
                });
            }
        });
        Counter { url, connections }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn serve(mut c: TcpStream, mode: &Mode, fixed: Option<&Vec<u8>>, count: &AtomicUsize) {
    if read_request(&mut c, REQUEST_WAIT).is_none() {
        return;
    }
    count.fetch_add(1, Ordering::SeqCst);
    if let Some(reply) = fixed {
        let _ = c.write_all(reply);
        return;
    }
    let _ = c.set_write_timeout(Some(Duration::from_secs(60)));
    match mode {
        Mode::EndlessRows => endless(
            &mut c,
            b"[[\"doveadmResponse\",[",
            b"{\"username\":\"u@example.org\",\"service\":\"imap\",\"pid\":\"1\",\"ip\":\"127.0.0.1\",\"mailbox\":\"INBOX\"},",
        ),
        Mode::EndlessString => endless(
            &mut c,
            b"[[\"doveadmResponse\",[{\"mailbox\":\"",
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ),
        _ => unreachable!("{mode:?} has a fixed reply"),
    }
}

/// A 200 without a length (ended by closing) whose body is `head` then `unit` forever,
/// until the client closes the connection.
fn endless(c: &mut TcpStream, head: &[u8], unit: &[u8]) {
    let start = b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n";
    if c.write_all(start).and_then(|_| c.write_all(head)).is_err() {
        return;
    }
    let chunk: Vec<u8> = unit.repeat((64 * 1024) / unit.len() + 1);
    while c.write_all(&chunk).is_ok() {}
}

/// Reads one request (head, then a body of Content-Length bytes) and returns its head;
/// None on EOF or when nothing comes within `timeout`. Also the stand-ins' reader.
pub fn read_request(c: &mut TcpStream, timeout: Duration) -> Option<String> {
    let _ = c.set_read_timeout(Some(timeout));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        match c.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let len: usize = head
        .to_ascii_lowercase()
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        match c.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    Some(head)
}

/// A complete HTTP/1.1 reply with a Content-Length.
pub fn http(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        _ => "Hostile",
    };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        out.push_str("Content-Type: application/json; charset=utf-8\r\n");
    }
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// `[["doveadmResponse", result, "rdoveadm"]]`.
fn envelope(result: Value) -> Vec<u8> {
    serde_json::to_vec(&json!([["doveadmResponse", result, "rdoveadm"]])).unwrap()
}

/// The rows of `Mode::Escapes`: every control in values, and in keys.
pub fn escape_rows() -> Value {
    json!([
        {
            "username": format!("evil{CSI}user@example.org"),
            "connections": format!("1{C1}"),
            "service": format!("imap{OSC}"),
            "pid": "4242\x08\x08\x7f",
            "pids": format!("(4242){BIDI}"),
            "ip": format!("192.0.2.1\x07"),
            "ips": format!("(192.0.2.1){CSI}"),
            "mailbox": format!("{BIDI}gpj.exe{OSC}"),
            "uid": "1",
            "hdr.subject": format!("Hello{OSC} {CSI}{C1}red\x07\x08\x7f {BIDI}txt.exe"),
            format!("key{CSI}"): format!("v{OSC}"),
            format!("k{C1}{BIDI}"): "\x07\x08\x7f",
            "long": format!("{}{ALL} and {} more {ALL} then ⚠️⚠️ and ❤️❤️ end", "x".repeat(30), "y".repeat(150)),
        },
        {
            "username": "alice@example.org",
            "connections": "1",
            "service": "pop3",
            "pid": "1",
            "pids": "(1)",
            "ip": "192.0.2.2",
            "ips": "(192.0.2.2)",
            "mailbox": "INBOX",
            "uid": "2",
            "hdr.subject": ALL,
        }
    ])
}

/// The rows of `Mode::Emoji`.
pub fn emoji_rows() -> Value {
    json!([
        {
            "username": "alice@example.org", "connections": "1", "service": "imap",
            "pid": "1", "pids": "(1)", "ip": "192.0.2.1", "ips": "(192.0.2.1)",
            "uid": "1", "hdr.subject": WARN_SUBJECT, "mailbox": FAMILY_MAILBOX,
        },
        {
            "username": "❤️❤️❤️❤️❤️❤️❤️❤️❤️❤️❤️❤️❤️❤️❤️❤️❤️❤️❤️❤️@example.org", "connections": "2",
            "service": "imap", "pid": "2", "pids": "(2)", "ip": "192.0.2.2", "ips": "(192.0.2.2)",
            "uid": "2", "hdr.subject": format!("{WARN_SUBJECT} {WARN_SUBJECT}"),
            "mailbox": format!("{FAMILY_MAILBOX}/{FAMILY_MAILBOX}"),
        }
    ])
}

/// One `who -1` row.
pub fn who_row(user: &str, pid: u64, ip: &str) -> Value {
    json!({"username": user, "service": "imap", "pid": pid.to_string(), "ip": ip})
}

fn fixed_reply(mode: &Mode, location: Option<&str>) -> Option<Vec<u8>> {
    let ok = |v: Value| http(200, &[], &envelope(v));
    Some(match mode {
        Mode::Escapes => ok(escape_rows()),
        Mode::Emoji => ok(emoji_rows()),
        Mode::ErrorType => http(
            200,
            &[],
            &serde_json::to_vec(&json!([[
                "error",
                {"type": format!("{OSC}{CSI}evil{C1}type{BIDI}\x08\x7f"), "exitCode": 0},
                "rdoveadm"
            ]]))
            .unwrap(),
        ),
        Mode::HttpError(status) => {
            let mut body = format!("{OSC}{CSI}server says{C1}{BIDI}\x08\x7f\n").into_bytes();
            body.extend(std::iter::repeat(b'A').take(1 << 20));
            body.extend_from_slice(format!("\n{OSC}{CSI}end").as_bytes());
            http(*status, &[("Content-Type", "text/plain")], &body)
        }
        Mode::Unauthorized => http(
            401,
            &[
                (
                    "WWW-Authenticate",
                    &format!("{C1}2J{BIDI}Basic realm=\"{C1}\""),
                ),
                (
                    "WWW-Authenticate",
                    &format!("X-Dovecot-API{BIDI} realm=\"{BIDI}\""),
                ),
                ("X-Evil", &format!("{C1}{BIDI}")),
            ],
            b"",
        ),
        Mode::UnauthorizedEsc => http(
            401,
            &[("WWW-Authenticate", &format!("{CSI}Basic realm=\"{OSC}\""))],
            b"",
        ),
        Mode::EndlessRows | Mode::EndlessString => return None,
        Mode::Redirect => http(
            307,
            &[("Location", location.expect("redirect target"))],
            b"",
        ),
        Mode::IdenticalWho => ok(json!([
            who_row("alice@example.org", 4242, "192.0.2.1"),
            who_row("alice@example.org", 4242, "192.0.2.1"),
            who_row("alice@example.org", 4242, "192.0.2.1"),
        ])),
        Mode::ManyWho(n) => {
            let rows: Vec<Value> = (0..*n as u64)
                .map(|i| {
                    who_row(
                        &format!("user{i}@example.org"),
                        1000 + i,
                        &format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
                    )
                })
                .collect();
            ok(Value::Array(rows))
        }
        Mode::Truncated => http(
            200,
            &[],
            b"[[\"doveadmResponse\",[{\"username\":\"alice@example.org\",\"service\":\"im",
        ),
        Mode::Garbage => http(
            200,
            &[("Content-Type", "text/html")],
            format!("<html>{OSC}{CSI}{C1}{BIDI}garbage</html>").as_bytes(),
        ),
        Mode::UntaggedError => http(
            200,
            &[],
            br#"[["error",{"type":"exitCode","exitCode":67}]]"#,
        ),
        Mode::EmptyResponse => http(200, &[], br#"[["doveadmResponse","",""]]"#),
        Mode::ObjectResult => http(200, &[], br#"[["doveadmResponse",{"mailbox":"x"},"t"]]"#),
    })
}
