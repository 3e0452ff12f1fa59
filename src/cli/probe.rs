//! `probe` arguments: clap derive only.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Hosts to check (names or IP addresses); all are checked at the same time.
    #[arg(value_name = "HOST", required = true)]
    pub hosts: Vec<String>,

    /// Port for IMAP with STARTTLS.
    #[arg(long, value_name = "PORT", default_value_t = 143)]
    pub imap: u16,

    /// Port for IMAP over implicit TLS.
    #[arg(long, value_name = "PORT", default_value_t = 993)]
    pub imaps: u16,

    /// Port for POP3 with STLS.
    #[arg(long, value_name = "PORT", default_value_t = 110)]
    pub pop3: u16,

    /// Port for POP3 over implicit TLS.
    #[arg(long, value_name = "PORT", default_value_t = 995)]
    pub pop3s: u16,

    /// Check only these services (comma-separated), e.g. `--only imap,imaps`. Default: all four.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "SERVICES")]
    pub only: Vec<ProbeService>,

    /// Trust the CA certificates in this PEM file instead of the system roots when
    /// verifying the servers' certificates.
    // Same id and type as the global `--cacert`, so clap keeps one option (this one) here.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Name to send in SNI and to match the certificate against, instead of HOST
    /// (useful when probing an IP address or a single backend of a cluster).
    #[arg(long, value_name = "NAME")]
    pub servername: Option<String>,

    /// Give up on a step (connect, greeting, each command, TLS handshake) after this many
    /// seconds. Default: 10; at most one year.
    // Same id, type and parser as the global `--timeout` (see `cacert`).
    #[arg(long, value_name = "SECONDS", value_parser = super::parse_seconds)]
    pub timeout: Option<f64>,

    /// Connect from this local address. Dovecot counts a client with the server's own IP
    /// as secure and allows plaintext logins to it, so on the server itself probe
    /// e.g. 127.0.0.1 with `--source 127.0.0.2` to see what remote clients see.
    #[arg(long, value_name = "ADDR")]
    pub source: Option<std::net::IpAddr>,

    /// Report a certificate that expires within this many days as a problem (WARNING
    /// in `-f nagios`).
    #[arg(short = 'w', long, value_name = "DAYS", default_value_t = 14)]
    pub warn_days: u32,

    /// In `-f nagios`: CRITICAL when a certificate expires within this many days (at most
    /// --warn-days). Default: 7, or --warn-days when that is less. Elsewhere such a
    /// certificate is a problem like one within --warn-days.
    #[arg(short = 'c', long, value_name = "DAYS")]
    pub crit_days: Option<u32>,
}

/// A service `probe` can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProbeService {
    /// IMAP, then STARTTLS.
    Imap,
    /// IMAP over implicit TLS.
    Imaps,
    /// POP3, then STLS.
    Pop3,
    /// POP3 over implicit TLS.
    Pop3s,
}
