//! The command line, as clap derive structs: plain data, no logic. Every `///` here
//! is help text and man-page text.

use std::path::PathBuf;

pub mod probe;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Connection: --url/RDOVEADM_URL or --socket/RDOVEADM_SOCKET. Credentials: RDOVEADM_API_KEY or \
--api-key-file (sent as `Authorization: X-Dovecot-API`), else RDOVEADM_PASSWORD or --password-file \
(HTTP Basic as user `doveadm`). A flag beats its environment variable; an API key beats a password.

Exit codes: 0 ok, 64 usage, 65 data error, 66 no input, 67 no such user, 68 not found, 70 server \
internal error, 75 temporary failure (connect, timeout, no reply), 76 malformed reply, 77 permission \
denied, 78 configuration error; other doveadm codes are passed through.";

/// A fast, script-friendly doveadm-style admin CLI for Dovecot, over the doveadm HTTP API.
#[derive(Debug, Parser)]
#[command(name = "rdoveadm", version = crate::VERSION, propagate_version = true, after_help = AFTER_HELP)]
pub struct Cli {
    /// Output format (short for --format; before the command name only, as in doveadm).
    #[arg(short = 'f', value_enum, value_name = "FORMAT", conflicts_with = "format")]
    pub format_short: Option<Format>,

    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options that every subcommand accepts, before or after its name.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// The doveadm HTTP API endpoint, e.g. `http://127.0.0.1:8080` or `https://mail.example.org:8443/doveadm/v1`;
    /// `/doveadm/v1` is appended when the URL has no path. Environment: RDOVEADM_URL.
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,

    /// Talk HTTP over this UNIX socket instead of TCP (Dovecot serves it with
    /// `service doveadm { unix_listener http { mode = 0600 } }`). Environment: RDOVEADM_SOCKET.
    #[arg(long, global = true, value_name = "PATH", conflicts_with = "url")]
    pub socket: Option<PathBuf>,

    /// User name for HTTP Basic authentication (Dovecot only accepts `doveadm`). Environment:
    /// RDOVEADM_USER. Not `--user`: that is the mail user (`-u`), as in doveadm.
    #[arg(long, global = true, value_name = "NAME")]
    pub auth_user: Option<String>,

    /// Read the doveadm_password from this file (first line). Environment instead: RDOVEADM_PASSWORD.
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,

    /// Read the doveadm_api_key from this file (first line). Environment instead: RDOVEADM_API_KEY.
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "password_file")]
    pub api_key_file: Option<PathBuf>,

    /// Trust the CA certificates in this PEM file for HTTPS, instead of the system roots.
    #[arg(long, global = true, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Do not verify the server's HTTPS certificate (prints a warning; for tests only).
    #[arg(long, global = true)]
    pub insecure: bool,

    /// Give up after this many seconds (connect and reply); 0 waits forever. Default: 30.
    #[arg(long, global = true, value_name = "SECONDS")]
    pub timeout: Option<f64>,

    /// Output format: `table` (default on a terminal), `tab` (default when piped), `flow` or `json`.
    /// Environment: RDOVEADM_FORMAT. `-f` works before the command name, as in doveadm
    /// (after it, `-f` is the command's own option, e.g. `user -f FIELD`).
    #[arg(long, global = true, value_enum, env = "RDOVEADM_FORMAT", value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Leave out the header line of `table` and `tab` output.
    #[arg(long, global = true)]
    pub no_header: bool,

    /// Print each request and reply on stderr (credentials redacted).
    #[arg(short = 'D', long, global = true)]
    pub debug: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people (comfy-table).
    Table,
    /// A header line, then one tab-separated line per row (like `doveadm -f tab`).
    Tab,
    /// One line per row of `key=value` pairs (like `doveadm -f flow`).
    Flow,
    /// One JSON array of row objects, with the server's field names and values.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show who is logged in (sessions tracked by anvil).
    #[command(after_help = "Examples:\n  rdoveadm who\n  rdoveadm who -1 'alice@*'\n  rdoveadm -f json who 192.0.2.0/24")]
    Who(WhoArgs),

    /// Disconnect the sessions that match the masks.
    #[command(after_help = "Examples:\n  rdoveadm kick bob@example.org\n  rdoveadm kick 'spam*' 192.0.2.7")]
    Kick(KickArgs),

    /// Mailbox commands: list.
    #[command(subcommand)]
    Mailbox(MailboxCommand),

    /// Quota commands: get.
    #[command(subcommand)]
    Quota(QuotaCommand),

    /// Check IMAP/POP3 servers from the outside: ports, STARTTLS and TLS, certificates,
    /// plaintext-login exposure (Dovecot, Courier, any IMAP/POP3 server).
    #[command(after_help = "\
Speaks IMAP and POP3 (not the doveadm API) and never sends credentials. One row per port; \
`problems` lists what is wrong, `; `-separated.

Examples:
  rdoveadm probe mail.example.org
  rdoveadm probe mx1.example.org mx2.example.org --only imaps,pop3s --warn-days 30
  rdoveadm probe 192.0.2.7 --servername mail.example.org --cacert /etc/ssl/private-ca.pem
  rdoveadm -f json probe mail.example.org --imap 10143 --imaps 10993

Exit codes (the most severe over all ports wins):
  0   every port open, TLS with a trusted, unexpired (not within --warn-days), name-matching
      certificate, and no password login before TLS
  69  a port is closed, filtered, unreachable or not answering (greeting, command, handshake)
  77  TLS trust problem: chain not verified, name mismatch, expired or expiring soon,
      no TLS, STARTTLS/STLS not offered or failing
  65  only plaintext exposure: a password login (IMAP LOGIN or AUTH=PLAIN/LOGIN, POP3 USER or
      SASL PLAIN/LOGIN) is offered before TLS
  64  bad arguments; 66 --cacert unreadable; 78 --cacert holds no usable certificate")]
    Probe(probe::ProbeArgs),
}

#[derive(Debug, Args)]
pub struct WhoArgs {
    /// One line per connection (username, service, pid, ip) instead of one per user and service.
    #[arg(short = '1', long)]
    pub separate_connections: bool,

    /// User masks (`*` and `?` wildcards) and/or IP addresses or networks (`192.0.2.0/24`).
    #[arg(value_name = "MASK")]
    pub masks: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KickArgs {
    /// Force-kick (Dovecot 2.3; over HTTP 2.3 always force-kicks, so this only documents intent).
    #[arg(short = 'f', long)]
    pub force: bool,

    /// User masks (`*` and `?` wildcards) and/or IP addresses or networks. At least one is required.
    #[arg(value_name = "MASK", required = true)]
    pub masks: Vec<String>,
}

/// Which users a mail command works on.
#[derive(Debug, Args, Clone)]
pub struct UserArgs {
    /// The user (wildcards `*` and `?` iterate the matching users on the server).
    #[arg(short = 'u', long = "user", value_name = "USER")]
    pub user: String,
}

#[derive(Debug, Subcommand)]
pub enum MailboxCommand {
    /// List a user's mailboxes.
    #[command(after_help = "Examples:\n  rdoveadm mailbox list -u alice@example.org\n  rdoveadm mailbox list -u alice@example.org 'Arch*'")]
    List(MailboxListArgs),
}

#[derive(Debug, Args)]
pub struct MailboxListArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// Mailbox masks (`*` and `%` wildcards); all mailboxes when none are given.
    #[arg(value_name = "MASK")]
    pub masks: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum QuotaCommand {
    /// Show a user's quota usage and limits.
    #[command(after_help = "Example:\n  rdoveadm quota get -u alice@example.org")]
    Get(QuotaArgs),
}

#[derive(Debug, Args)]
pub struct QuotaArgs {
    #[command(flatten)]
    pub users: UserArgs,
}
