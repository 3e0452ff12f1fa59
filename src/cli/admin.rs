//! Arguments of the server-wide commands: who, kick, user, stop, log, process,
//! service, stats, api.

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct WhoArgs {
    /// One line per connection (username, service, pid, ip) instead of one per user and service.
    #[arg(short = '1', long)]
    pub separate_connections: bool,

    /// Redraw every SECONDS (default 2; from 0.1 to one year) until interrupted.
    #[arg(short = 'w', long, value_name = "SECONDS", num_args = 0..=1, default_missing_value = "2", value_parser = super::parse_watch_seconds)]
    pub watch: Option<f64>,

    /// Match the masks against this passdb field (alternative user name) instead of the
    /// user name (Dovecot 2.4 API only).
    #[arg(long, value_name = "FIELD")]
    pub passdb_field: Option<String>,

    /// User masks (`*` and `?` wildcards) and/or IP addresses or networks (`192.0.2.0/24`).
    /// Several user masks are looked up one by one and merged (Dovecot before 2.4.2 takes one).
    #[arg(value_name = "MASK")]
    pub masks: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KickArgs {
    /// Force-kick (Dovecot 2.3 API only; over HTTP 2.3 always force-kicks anyway). On a 2.4
    /// server `-f FIELD MASK...` is doveadm 2.4's: FIELD is the passdb field (--passdb-field).
    #[arg(short = 'f', long)]
    pub force: bool,

    /// Match the masks against this passdb field instead of the user name (Dovecot 2.4 API only).
    #[arg(long, value_name = "FIELD")]
    pub passdb_field: Option<String>,

    /// Only kick sessions proxied to this destination host (Dovecot 2.4 API only).
    #[arg(long, value_name = "IP")]
    pub dest_host: Option<String>,

    /// Show the sessions that would be kicked and kick nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Kick without asking, even on a terminal when a mask has a wildcard.
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// User masks (`*` and `?` wildcards) and/or IP addresses or networks. At least one is required.
    #[arg(value_name = "MASK", required = true)]
    pub masks: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UserLookupArgs {
    /// Show only this userdb field (e.g. `home`, `uid`, `mail`).
    #[arg(short = 'f', long, value_name = "FIELD")]
    pub field: Option<String>,

    /// User masks (`*` and `?` wildcards list the matching users).
    #[arg(value_name = "MASK", required = true)]
    pub masks: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Stop without asking, even on a terminal.
    #[arg(short = 'y', long)]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Show recent errors from the log service's memory (type, timestamp, prefix, text).
    #[command(
        after_help = "Examples:\n  rdoveadm log errors\n  rdoveadm log errors --since 1764000000"
    )]
    Errors(LogErrorsArgs),
    /// Make Dovecot reopen its log files (after rotation).
    Reopen,
}

#[derive(Debug, Args)]
pub struct LogErrorsArgs {
    /// Only errors logged after this Unix time.
    #[arg(short = 's', long, value_name = "UNIX_TIME")]
    pub since: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum ProcessCommand {
    /// Show the running processes of each service.
    #[command(
        after_help = "Examples:\n  rdoveadm process status\n  rdoveadm process status imap pop3"
    )]
    Status(ServicesArgs),
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Show each service's process counts and limits.
    #[command(after_help = "Example:\n  rdoveadm service status imap")]
    Status(ServicesArgs),
}

#[derive(Debug, Args)]
pub struct ServicesArgs {
    /// Service names; all services when none are given.
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Dump the statistics of the configured metrics.
    #[command(after_help = "Example:\n  rdoveadm stats dump --reset 'count sum'")]
    Dump(StatsDumpArgs),
}

#[derive(Debug, Args)]
pub struct StatsDumpArgs {
    /// Reset the statistics after dumping them.
    #[arg(short = 'r', long)]
    pub reset: bool,

    /// Fields to show (space separated), e.g. `count sum min max avg median stddev %95`.
    #[arg(value_name = "FIELDS")]
    pub fields: Option<String>,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The file of command lines; `-` or nothing reads stdin.
    #[arg(value_name = "FILE")]
    pub file: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct DoveadmArgs {
    /// The doveadm command and its arguments, as for doveadm (e.g. `altmove -u USER QUERY`).
    #[arg(
        value_name = "COMMAND",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The command, as the server names it (`quotaGet`, `quota-get` or `"quota get"`).
    #[arg(value_name = "COMMAND")]
    pub command: String,

    /// Parameters: NAME=VALUE (converted by the advertised type) or NAME:=JSON.
    #[arg(value_name = "PARAM")]
    pub params: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Show the detected API generation (2.3 or 2.4), the number of commands and which
    /// optional features the server advertises: why an option may be refused.
    #[command(after_help = "Example:\n  rdoveadm server info")]
    Info,
}
