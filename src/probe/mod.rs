//! `probe`: checks IMAP/POP3 ports from the outside, the way a mail client sees them
//! (reachability, greeting, capabilities, STARTTLS/implicit TLS, certificate,
//! plaintext-login exposure). Speaks IMAP and POP3, not the doveadm API, so it works
//! for any server. Pure of printing: returns one [`Report`] per port.

pub mod imap;
pub mod line;
pub mod pop3;
pub mod report;
pub mod tls;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use line::{step, LineConn, StepError};
pub use report::{exit_code, Kind, Problem, Report, State, COLUMNS};
use tls::{TlsInfo, TlsSetup};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Imap,
    Imaps,
    Pop3,
    Pop3s,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Imap => "imap",
            Service::Imaps => "imaps",
            Service::Pop3 => "pop3",
            Service::Pop3s => "pop3s",
        }
    }
    fn implicit_tls(self) -> bool {
        matches!(self, Service::Imaps | Service::Pop3s)
    }
    fn is_imap(self) -> bool {
        matches!(self, Service::Imap | Service::Imaps)
    }
}

/// One port to check.
#[derive(Debug, Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub service: Service,
}

pub struct Options {
    /// Bound on each step: connect, greeting, each command, the TLS handshake.
    pub timeout: Duration,
    /// Name to send as SNI and to match the certificate against, instead of the host.
    pub servername: Option<String>,
    /// A certificate expiring within this many days is a problem.
    pub warn_days: i64,
    /// Local address to connect from. Dovecot treats a client whose IP equals the
    /// server's own as secure and then allows plaintext logins, so probing
    /// 127.0.0.1 from 127.0.0.1 hides the exposure; from 127.0.0.2 it shows.
    pub source: Option<IpAddr>,
    pub tls: TlsSetup,
}

/// Probes all targets concurrently; reports come back in the order of `targets`.
pub async fn probe_all(targets: Vec<Target>, opts: Arc<Options>) -> Vec<Report> {
    let mut set = tokio::task::JoinSet::new();
    for (i, t) in targets.iter().cloned().enumerate() {
        let opts = opts.clone();
        set.spawn(async move { (i, probe(t, &opts).await) });
    }
    let mut out: Vec<Option<Report>> = vec![None; targets.len()];
    while let Some(res) = set.join_next().await {
        if let Some(slot) = res.ok().and_then(|(i, r)| Some((out.get_mut(i)?, r))) {
            *slot.0 = Some(slot.1);
        }
    }
    // A task only fails by panicking; say so instead of dropping the port silently.
    out.into_iter()
        .zip(targets)
        .map(|(r, t)| {
            r.unwrap_or_else(|| {
                let mut r = Report::new(&t);
                r.problem(Kind::Unavailable, "internal error while probing");
                r
            })
        })
        .collect()
}

/// Probes one port.
pub async fn probe(t: Target, opts: &Options) -> Report {
    let mut r = Report::new(&t);
    let Some(tcp) = connect(&t, opts, &mut r).await else {
        return r;
    };
    r.state = State::Open;
    if t.service.implicit_tls() {
        implicit_tls(tcp, &t, opts, &mut r).await;
    } else {
        plain_then_starttls(tcp, &t, opts, &mut r).await;
    }
    r.server = guess_server(&r);
    r
}

/// TCP connect to each resolved address in turn, all within one timeout.
async fn connect(t: &Target, opts: &Options, r: &mut Report) -> Option<TcpStream> {
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

/// The name the certificate must match: `--servername`, else the host (an IP host
/// must then match an IP SAN).
fn server_name(t: &Target, opts: &Options) -> Result<ServerName<'static>, String> {
    let name = opts.servername.clone().unwrap_or_else(|| {
        t.host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string()
    });
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(ServerName::IpAddress(ip.into()));
    }
    ServerName::try_from(name.clone())
        .map_err(|_| format!("`{name}` is not a valid TLS server name"))
}

/// imap/pop3: greeting and capabilities in clear, then STARTTLS/STLS if offered,
/// then capabilities again over TLS.
async fn plain_then_starttls(tcp: TcpStream, t: &Target, opts: &Options, r: &mut Report) {
    let to = opts.timeout;
    let imap = t.service.is_imap();
    let mut c = LineConn::new(tcp);
    if !greeting(&mut c, imap, to, r).await {
        return;
    }
    let caps = match capabilities(&mut c, imap, "p1", to, r).await {
        Some(c) => c,
        None => return,
    };
    let (starttls_offered, plaintext) = if imap {
        (
            imap::has(&caps, "STARTTLS"),
            imap::plaintext_login_offered(&caps),
        )
    } else {
        (
            pop3::has(&caps, "STLS"),
            r.capa_unsupported || pop3::plaintext_login_offered(&caps),
        )
    };
    r.caps_before_tls = Some(caps);
    r.starttls = Some(starttls_offered);
    r.plaintext_before_tls = Some(plaintext);
    if plaintext {
        let how = if imap {
            "LOGIN or AUTH=PLAIN/LOGIN"
        } else {
            "USER/PASS or SASL PLAIN/LOGIN"
        };
        r.problem(
            Kind::Plaintext,
            format!("password login ({how}) offered before TLS"),
        );
    }
    if !starttls_offered {
        r.tls = Some(false);
        r.problem(
            Kind::Trust,
            if imap {
                "STARTTLS not offered"
            } else {
                "STLS not offered"
            },
        );
        end(&mut c, imap).await;
        return;
    }
    let cmd = if imap { "STARTTLS" } else { "STLS" };
    let res = if imap {
        step(to, imap::starttls(&mut c, "p2")).await
    } else {
        step(to, pop3::stls(&mut c)).await
    };
    if let Err(e) = res {
        r.tls = Some(false);
        let kind = if matches!(e, StepError::Refused(_)) {
            Kind::Trust
        } else {
            Kind::Unavailable
        };
        r.problem(kind, e.describe(&format!("reply to {cmd}"), to));
        return;
    }
    let (tcp, leftover) = c.into_inner();
    if !leftover.is_empty() {
        // Plaintext after the STARTTLS reply would be read as if it came over TLS
        // (the CVE-2011-0411 class of injection): refuse to continue.
        r.tls = Some(false);
        r.problem(
            Kind::Trust,
            format!("server sent data after its {cmd} reply, before TLS"),
        );
        return;
    }
    let Some(mut c) = tls_handshake(tcp, t, opts, r).await else {
        return;
    };
    if let Some(caps) = capabilities(&mut c, imap, "p3", to, r).await {
        r.caps_after_tls = Some(caps);
    }
    end(&mut c, imap).await;
}

/// imaps/pop3s: TLS first, then greeting and capabilities over TLS.
async fn implicit_tls(tcp: TcpStream, t: &Target, opts: &Options, r: &mut Report) {
    let to = opts.timeout;
    let imap = t.service.is_imap();
    let Some(mut c) = tls_handshake(tcp, t, opts, r).await else {
        return;
    };
    if !greeting(&mut c, imap, to, r).await {
        return;
    }
    if let Some(caps) = capabilities(&mut c, imap, "p1", to, r).await {
        r.caps_after_tls = Some(caps);
    }
    end(&mut c, imap).await;
}

async fn tls_handshake(
    tcp: TcpStream,
    t: &Target,
    opts: &Options,
    r: &mut Report,
) -> Option<LineConn<tokio_rustls::client::TlsStream<TcpStream>>> {
    let name = match server_name(t, opts) {
        Ok(n) => n,
        Err(e) => {
            r.tls = Some(false);
            r.problem(Kind::Trust, e);
            return None;
        }
    };
    let start = Instant::now();
    match tls::handshake(&opts.tls, tcp, name, opts.timeout).await {
        Ok((stream, info)) => {
            r.handshake_secs = Some(start.elapsed().as_secs_f64());
            r.tls = Some(true);
            tls_problems(&info, opts.warn_days, &name_for_messages(t, opts), r);
            r.tls_info = Some(info);
            Some(LineConn::new(stream))
        }
        Err(e) => {
            r.tls = Some(false);
            // A stalled handshake is a server not answering; a failed one is a TLS problem
            // (e.g. the port speaks plaintext, or only TLS versions rustls refuses).
            let kind = if e == StepError::Timeout {
                Kind::Unavailable
            } else {
                Kind::Trust
            };
            let what = match e {
                StepError::Timeout => format!(
                    "TLS handshake not finished within {}",
                    line::secs(opts.timeout)
                ),
                StepError::Io(e) | StepError::Refused(e) => format!("TLS handshake failed: {e}"),
                StepError::Closed => "TLS handshake failed: connection closed".to_string(),
            };
            r.problem(kind, what);
            None
        }
    }
}

fn name_for_messages(t: &Target, opts: &Options) -> String {
    opts.servername.clone().unwrap_or_else(|| t.host.clone())
}

/// Problems from the certificate: trust, name, expiry.
fn tls_problems(info: &TlsInfo, warn_days: i64, name: &str, r: &mut Report) {
    let now = tls::now_unix();
    if let Some(cert) = &info.cert {
        let days = cert.days_left(now);
        let date = tls::iso_utc(cert.not_after_unix);
        if cert.not_after_unix < now {
            r.problem(
                Kind::Trust,
                format!("certificate expired {} days ago ({date})", -days),
            );
        } else if days < warn_days {
            r.problem(
                Kind::Expiring,
                format!("certificate expires in {days} days ({date})"),
            );
        }
    }
    match &info.chain {
        Ok(()) => {}
        // Already said above, with the date.
        Err(tls::Reason::Expired) if info.cert.is_some() => {}
        Err(e) => r.problem(Kind::Trust, format!("certificate not trusted: {e}")),
    }
    if info.name.is_err() {
        let sans = info
            .cert
            .as_ref()
            .map(|c| c.sans.join(", "))
            .unwrap_or_default();
        r.problem(
            Kind::Trust,
            format!("certificate not valid for `{name}` (SAN: {sans})"),
        );
    }
}

/// Reads the greeting; false (with a problem recorded) when there is none.
async fn greeting<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    c: &mut LineConn<S>,
    imap: bool,
    to: Duration,
    r: &mut Report,
) -> bool {
    let res = if imap {
        step(to, imap::greeting(c)).await.map(|g| {
            r.greeting_caps = g.caps;
            g.line
        })
    } else {
        step(to, pop3::greeting(c)).await
    };
    match res {
        Ok(line) => {
            r.greeting = line;
            true
        }
        Err(e) => {
            if let StepError::Refused(line) = &e {
                r.greeting = line.clone();
            }
            r.problem(Kind::Unavailable, e.describe("greeting", to));
            false
        }
    }
}

/// CAPABILITY / CAPA, sent explicitly: the greeting's list may be partial.
async fn capabilities<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    c: &mut LineConn<S>,
    imap: bool,
    tag: &str,
    to: Duration,
    r: &mut Report,
) -> Option<Vec<String>> {
    let cmd = if imap { "CAPABILITY" } else { "CAPA" };
    let res = if imap {
        step(to, imap::capability(c, tag)).await.map(Some)
    } else {
        step(to, pop3::capa(c)).await
    };
    match res {
        Ok(Some(caps)) => Some(caps),
        Ok(None) => {
            // An RFC 1939-only server: no CAPA, so no STLS either, and USER/PASS is
            // all it has for logins.
            r.capa_unsupported = true;
            Some(Vec::new())
        }
        Err(e) => {
            r.problem(
                Kind::Unavailable,
                e.describe(&format!("reply to {cmd}"), to),
            );
            None
        }
    }
}

async fn end<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    c: &mut LineConn<S>,
    imap: bool,
) {
    // Short: the report is complete, a slow goodbye must not delay it.
    let bye = Duration::from_secs(1);
    if imap {
        let _ = tokio::time::timeout(bye, imap::logout(c, "p9")).await;
    } else {
        let _ = tokio::time::timeout(bye, pop3::quit(c)).await;
    }
}

/// The server product, from the greeting and capabilities. Greetings can be changed
/// (Dovecot's `login_greeting`), so this is a guess.
pub fn guess_server(r: &Report) -> String {
    if r.greeting.is_empty() {
        return String::new();
    }
    let all_caps = [&r.caps_before_tls, &r.caps_after_tls]
        .into_iter()
        .flatten()
        .flatten();
    let mut haystack = r.greeting.to_ascii_lowercase();
    for c in all_caps {
        haystack.push(' ');
        haystack.push_str(&c.to_ascii_lowercase());
    }
    server_from_text(&haystack)
        .map(str::to_string)
        .unwrap_or_else(|| {
            let text = if r.greeting.starts_with('*') {
                imap::greeting_text(&r.greeting)
            } else {
                pop3::greeting_text(&r.greeting)
            };
            let short: String = text.chars().take(60).collect();
            format!("unknown: {short}")
        })
}

/// Known products by a word their greeting or capabilities show by default.
/// Courier's POP3 greeting is only "+OK Hello there."; its CAPA says
/// `IMPLEMENTATION Courier Mail Server`.
fn server_from_text(lower: &str) -> Option<&'static str> {
    const KNOWN: &[(&str, &str)] = &[
        ("dovecot", "Dovecot"),
        ("courier", "Courier"),
        ("cyrus", "Cyrus"),
        ("microsoft exchange", "Exchange"),
        ("zimbra", "Zimbra"),
        ("gimap", "Gmail"),
        ("uw imap", "UW IMAP"),
    ];
    KNOWN
        .iter()
        .find(|(k, _)| lower.contains(k))
        .map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(greeting: &str, caps: &[&str]) -> Report {
        let mut r = Report::new(&Target {
            host: "h".into(),
            port: 1,
            service: Service::Pop3,
        });
        r.greeting = greeting.into();
        r.caps_before_tls = Some(caps.iter().map(|s| s.to_string()).collect());
        r
    }

    #[test]
    fn server_guesses() {
        assert_eq!(
            guess_server(&report(
                "* OK [CAPABILITY IMAP4rev1] Dovecot (Debian) ready.",
                &[]
            )),
            "Dovecot"
        );
        assert_eq!(guess_server(&report("+OK Dovecot ready.", &[])), "Dovecot");
        assert_eq!(
            guess_server(&report("* OK [CAPABILITY IMAP4rev1] Courier-IMAP ready. Copyright 1998-2019 Double Precision, Inc.", &[])),
            "Courier"
        );
        assert_eq!(
            guess_server(&report(
                "+OK Hello there.",
                &["STLS", "IMPLEMENTATION Courier Mail Server"]
            )),
            "Courier"
        );
        assert_eq!(
            guess_server(&report("+OK Hello there.", &["STLS"])),
            "unknown: Hello there."
        );
        assert_eq!(
            guess_server(&report("* OK [CAPABILITY IMAP4rev1] Mail ready", &[])),
            "unknown: Mail ready"
        );
        assert_eq!(guess_server(&report("", &[])), "");
    }
}
