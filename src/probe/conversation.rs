//! The conversation with an open port, as a mail client has it: greeting,
//! capabilities, STARTTLS/STLS or implicit TLS, capabilities again, goodbye; each
//! answer and each problem recorded in the [`Report`]. Separate from the protocol
//! files (imap.rs, pop3.rs, tls.rs), which only speak; this decides what the answers
//! mean for the report.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use super::line::{self, step, LineConn, StepError};
use super::tls::{self, TlsInfo};
use super::{imap, pop3, Kind, Options, Report, Target};

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
pub(super) async fn plain_then_starttls(
    tcp: TcpStream,
    t: &Target,
    opts: &Options,
    r: &mut Report,
) {
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
pub(super) async fn implicit_tls(tcp: TcpStream, t: &Target, opts: &Options, r: &mut Report) {
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
