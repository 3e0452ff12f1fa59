//! Reachability: name resolution and the TCP connect, optionally from a chosen
//! source address, all within one timeout. Separate because it is the one part of a
//! probe that knows nothing of IMAP, POP3 or TLS; it only decides the port's state.

use std::net::IpAddr;
use std::time::Instant;

use tokio::net::TcpStream;

use super::line;
use super::{Kind, Options, Report, State, Target};

/// TCP connect to each resolved address in turn, all within one timeout.
pub(super) async fn connect(t: &Target, opts: &Options, r: &mut Report) -> Option<TcpStream> {
    let host = t.host.trim_start_matches('[').trim_end_matches(']');
    let deadline = tokio::time::Instant::now() + opts.timeout;
    let addrs: Vec<_> =
        match tokio::time::timeout_at(deadline, tokio::net::lookup_host((host, t.port))).await {
            Ok(Ok(a)) => a.collect(),
            Ok(Err(e)) => {
                r.state = State::Unreachable;
                r.problem(Kind::Unavailable, format!("cannot resolve `{host}`: {e}"));
                return None;
            }
            Err(_) => {
                r.state = State::Unreachable;
                r.problem(
                    Kind::Unavailable,
                    format!(
                        "cannot resolve `{host}` within {}",
                        line::secs(opts.timeout)
                    ),
                );
                return None;
            }
        };
    let mut last = None;
    for addr in addrs {
        let start = Instant::now();
        match tokio::time::timeout_at(deadline, connect_from(opts.source, addr)).await {
            Ok(Ok(s)) => {
                r.connect_ms = Some(start.elapsed().as_millis());
                r.connect_secs = Some(start.elapsed().as_secs_f64());
                return Some(s);
            }
            Ok(Err(e)) => {
                r.connect_ms = Some(start.elapsed().as_millis());
                r.connect_secs = Some(start.elapsed().as_secs_f64());
                last = Some(e);
            }
            Err(_) => {
                // No answer at all, not even a refusal: typically a firewall dropping SYNs.
                r.connect_ms = None;
                r.state = State::Filtered;
                r.problem(
                    Kind::Unavailable,
                    format!("no answer to connect within {}", line::secs(opts.timeout)),
                );
                return None;
            }
        }
    }
    match last {
        Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            r.state = State::Closed;
            r.problem(Kind::Unavailable, "connection refused");
        }
        Some(e) => {
            r.state = State::Unreachable;
            r.problem(Kind::Unavailable, format!("cannot connect: {e}"));
        }
        None => {
            r.state = State::Unreachable;
            r.problem(Kind::Unavailable, format!("`{host}` has no address"));
        }
    }
    None
}

async fn connect_from(
    source: Option<IpAddr>,
    addr: std::net::SocketAddr,
) -> std::io::Result<TcpStream> {
    let sock = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    if let Some(src) = source {
        if src.is_ipv4() != addr.is_ipv4() {
            return Err(std::io::Error::other(format!(
                "--source {src} and {addr} are different address families"
            )));
        }
        sock.bind(std::net::SocketAddr::new(src, 0))?;
    }
    sock.connect(addr).await
}
