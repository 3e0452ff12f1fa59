//! `probe`: checks IMAP/POP3 ports from the outside, the way a mail client sees them
//! (reachability, greeting, capabilities, STARTTLS/implicit TLS, certificate,
//! plaintext-login exposure). Speaks IMAP and POP3, not the doveadm API, so it works
//! for any server. Pure of printing: returns one [`Report`] per port.

mod connect;
mod conversation;
pub mod imap;
pub mod line;
pub mod pop3;
pub mod report;
mod server_guess;
pub mod tls;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use connect::connect;
use conversation::{implicit_tls, plain_then_starttls};
pub use report::{exit_code, Kind, Problem, Report, State, COLUMNS};
pub use server_guess::guess_server;
use tls::TlsSetup;

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
