//! Stand-in doveadm HTTP API servers for benchmark (c) (`scripts/bench c`): one process,
//! many ports on 127.0.0.1. Each answers every request after a fixed delay, a timer that
//! uses no CPU (the time a server on another machine across a network would take), with
//! two `who` rows. HTTP/1.1 with keep-alive; the request body is read (Content-Length)
//! and ignored.
//!
//! ```text
//! cargo build --release --example standin
//! target/release/examples/standin --count 1000 --delay 0.05   # one port a line, then "ready"
//! ```
//!
//! It runs until stdin closes or it gets SIGTERM/SIGINT.
//!
//! `standin --client FILE` is the reference client of the benchmark instead: it asks
//! every `http://HOST:PORT` line of FILE at once for `who`, with raw HTTP/1.1 on the same
//! runtime and no HTTP library, reads each reply to its end and prints the byte count.
//! What it takes on 1,000 stand-ins against one is what this machine allows any client. One thread (a current-thread
//! tokio runtime), as `scripts/bench.d/standin.py` (the same stand-in in Python, kept
//! for machines without a Rust toolchain) is one interpreter: with 1,000 servers the
//! Python one costs ~60 µs of CPU per request on this machine's 2 shared cores, this one
//! a fraction of that, so that the benchmark measures the client and not the stand-in.

use std::io::Write;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The reply to every request: `who` with two rows, as Dovecot 2.3 frames it.
const BODY: &str = concat!(
    r#"[["doveadmResponse",[{"username":"alice@example.org","connections":"1","service":"imap","pids":"(4242)","ips":"(192.0.2.1)"},"#,
    r#"{"username":"bob@example.org","connections":"1","service":"imap","pids":"(4243)","ips":"(192.0.2.2)"}],"rdoveadm"]]"#
);

/// A request head larger than this is not a doveadm request: the connection is dropped.
const MAX_HEAD: usize = 64 * 1024;

fn usage() -> ! {
    eprintln!("usage: standin [--count N] [--delay SECONDS]   (defaults: 1 server, 0.05 s)");
    eprintln!("       standin --client FILE");
    std::process::exit(2);
}

fn main() {
    let (mut count, mut delay, mut client) = (1usize, 0.05f64, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--count" => count = v.parse().unwrap_or_else(|_| usage()),
            "--delay" => delay = v.parse().unwrap_or_else(|_| usage()),
            "--client" => client = Some(v),
            _ => usage(),
        }
    }
    if !(0.0..=3600.0).contains(&delay) {
        usage();
    }
    let delay = Duration::from_secs_f64(delay);
    // One descriptor per listener and one per connection: raise the soft limit to the hard one.
    let hard = rdoveadm::fanout::raise_fd_limit();
    if 2 * count as u64 + 64 > hard {
        eprintln!(
            "standin: {count} servers need {} open files; the limit is {hard}",
            2 * count + 64
        );
        std::process::exit(1);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("cannot start the runtime: {e}")));
    match client {
        Some(file) => rt.block_on(ask_all(&file)),
        None => rt.block_on(serve(count, delay)),
    }
}

/// The reference client: one `who` POST to every server of `file` at once.
async fn ask_all(file: &str) {
    let text =
        std::fs::read_to_string(file).unwrap_or_else(|e| fail(&format!("cannot read {file}: {e}")));
    let mut asks = tokio::task::JoinSet::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some(addr) = line.strip_prefix("http://") else {
            fail(&format!("{file}: `{line}` is not http://HOST:PORT"));
        };
        let addr = addr.trim_end_matches('/').to_string();
        asks.spawn(async move {
            let body = r#"[["who",{},"t"]]"#;
            let request = format!(
                "POST /doveadm/v1 HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
                 Authorization: Basic ZG92ZWFkbTpzdGFuZGlu\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let mut conn = TcpStream::connect(&addr).await?;
            conn.set_nodelay(true)?;
            conn.write_all(request.as_bytes()).await?;
            // The reply is a head and Content-Length bytes of body, read to the end.
            let mut buf = Vec::with_capacity(1024);
            let mut chunk = [0u8; 4096];
            loop {
                if let Some(end) = find(&buf, b"\r\n\r\n") {
                    let total = end + 4 + content_length(buf.get(..end).unwrap_or_default());
                    if buf.len() >= total {
                        return Ok::<usize, std::io::Error>(total);
                    }
                }
                match conn.read(&mut chunk).await? {
                    0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                    n => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                }
            }
        });
    }
    let mut bytes = 0;
    while let Some(done) = asks.join_next().await {
        match done {
            Ok(Ok(n)) => bytes += n,
            Ok(Err(e)) => fail(&format!("a request failed: {e}")),
            Err(e) => fail(&format!("a request failed: {e}")),
        }
    }
    println!("{bytes}");
}

fn fail(msg: &str) -> ! {
    eprintln!("standin: {msg}");
    std::process::exit(1);
}

async fn serve(count: usize, delay: Duration) {
    let reply: &'static [u8] = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes()
    .leak();
    let mut out = std::io::stdout().lock();
    for _ in 0..count {
        let listener = TcpSocket::new_v4()
            .and_then(|s| {
                s.bind(([127, 0, 0, 1], 0).into())?;
                s.listen(1024)
            })
            .unwrap_or_else(|e| fail(&format!("cannot listen on 127.0.0.1: {e}")));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| fail(&format!("no local address: {e}")))
            .port();
        let _ = writeln!(out, "{port}");
        tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((conn, _)) => {
                        tokio::spawn(answer(conn, delay, reply));
                    }
                    // Out of descriptors, or the like: wait a moment and go on.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        });
    }
    let _ = writeln!(out, "ready");
    let _ = out.flush();
    drop(out);
    // Stop when the parent closes our stdin (it went away); SIGTERM/SIGINT end us anyway.
    let _ =
        tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
            .await;
}

/// Serves one connection: every request is answered `delay` after it has been read whole.
async fn answer(mut conn: TcpStream, delay: Duration, reply: &'static [u8]) {
    let _ = conn.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    loop {
        // Read one request: the head, then Content-Length bytes of body.
        let total = loop {
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                let total = end + 4 + content_length(buf.get(..end).unwrap_or_default());
                if buf.len() >= total {
                    break total;
                }
            } else if buf.len() > MAX_HEAD {
                return;
            }
            let mut chunk = [0u8; 4096];
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            }
        };
        buf.drain(..total);
        tokio::time::sleep(delay).await;
        if conn.write_all(reply).await.is_err() {
            return;
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The Content-Length of a request head (0 when there is none).
fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}
