//! The global options every command accepts (`GlobalArgs`), and the value enums they
//! choose from (`Format`, `ColorWhen`). Separate from mod.rs's command tree: they are
//! shared by every command, and `crate::settings` and the renderers read them.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use clap_complete::engine::ArgValueCompleter;

use super::seconds::parse_seconds;

#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// The doveadm HTTP API endpoint, e.g. `http://127.0.0.1:8080` or `https://mail.example.org:8443/doveadm/v1`;
    /// `/doveadm/v1` is appended when the URL has no path. Repeat it to ask several servers at once.
    /// `unix:PATH` or `unix:///PATH` is a UNIX socket (as --socket). Environment: RDOVEADM_URL.
    #[arg(long, global = true, value_name = "URL")]
    pub url: Vec<String>,

    /// Use this server profile or group from the config file; repeat it or give a comma list to ask
    /// several servers at once (`-s` before the command name). Environment: RDOVEADM_SERVER.
    #[arg(long = "server", global = true, value_name = "NAME", value_delimiter = ',', add = ArgValueCompleter::new(crate::complete::profiles))]
    pub server: Vec<String>,

    /// Ask every server profile of the config file at once.
    #[arg(long, global = true)]
    pub all_servers: bool,

    /// Read more servers from this file, one URL or server profile name per line; blank
    /// lines and `#` comments are skipped, `-` reads standard input. URL lines share the
    /// credentials and TLS settings of the flags and environment, else of the config's `default`
    /// profile. Refused (exit 78) when group or others can write it, like the config file.
    #[arg(long, global = true, value_name = "FILE")]
    pub servers_file: Option<PathBuf>,

    /// With several servers: at most this many are asked at the same time. Default: every
    /// selected server at once, bounded by the open-file limit: at most (RLIMIT_NOFILE - 64) /
    /// connections per server (1, or --parallel with -A/-F). rdoveadm raises its soft
    /// open-file limit to the hard limit first. A larger N is lowered to that bound.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub concurrency: Option<u32>,

    /// With several servers: write rows in server order (as named), each server's once the
    /// servers before it have answered. Without it, `tab`, `flow`, `json` and `jsonl` write
    /// each server's rows as soon as that server answers; `table` always keeps server order.
    #[arg(long, global = true)]
    pub ordered: bool,

    /// Talk HTTP over this UNIX socket instead of TCP (Dovecot serves it with
    /// `service doveadm { unix_listener http { mode = 0600 } }`); `unix:PATH` is accepted too.
    /// Environment: RDOVEADM_SOCKET.
    #[arg(long, global = true, value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// User name for HTTP Basic authentication (Dovecot only accepts `doveadm`). Environment:
    /// RDOVEADM_USER. Not `--user`: that is the mail user (`-u`), as in doveadm.
    #[arg(long, global = true, value_name = "NAME")]
    pub auth_user: Option<String>,

    /// Read the doveadm_password from this file (first line). Environment instead: RDOVEADM_PASSWORD.
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,

    /// Read the doveadm_api_key from this file (first line). Environment instead: RDOVEADM_API_KEY.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        conflicts_with = "password_file"
    )]
    pub api_key_file: Option<PathBuf>,

    /// Trust the CA certificates in this PEM file for HTTPS, instead of the system roots.
    #[arg(long, global = true, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Do not verify the server's HTTPS certificate (prints a warning; for tests only).
    #[arg(long, global = true)]
    pub insecure: bool,

    /// Give up after this many seconds (connect and reply); 0 waits forever. Default: 30.
    /// At most one year (31536000). A profile's `password_command` gets the same time
    /// (30 s when this is 0). Environment: RDOVEADM_TIMEOUT; config: `timeout`.
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Option<f64>,

    /// Refuse a server reply larger than this (exit 76): bytes, or with a K, M or G suffix
    /// (1024-based). It bounds what an endless or hostile reply can make rdoveadm read, and
    /// the memory of commands that need every row before printing (`who`, `table`); others
    /// write rows as they arrive. One value may take at most a sixteenth of it. Environment:
    /// RDOVEADM_MAX_REPLY_SIZE; config: `max_reply_size`. Default: 1G.
    #[arg(long, global = true, value_name = "SIZE")]
    pub max_reply_size: Option<String>,

    /// Output format: `table` (default on a terminal), `tab`, `flow`, `pager`, `json` or `jsonl`; piped, a doveadm
    /// command defaults to doveadm's own format for it. `nagios` or `openmetrics` for `probe`, `quota get`
    /// and `who` (monitoring).
    /// Environment: RDOVEADM_FORMAT. `-f` works before the command name, as in doveadm
    /// (after it, `-f` is the command's own option, e.g. `user -f FIELD`).
    #[arg(
        long,
        global = true,
        value_enum,
        env = "RDOVEADM_FORMAT",
        value_name = "FORMAT"
    )]
    pub format: Option<Format>,

    /// Colour in tables: `auto` (only on a terminal, and not when NO_COLOR is set), `always` or `never`.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value = "auto"
    )]
    pub color: ColorWhen,

    /// Leave out the header line of `table` and `tab` output.
    #[arg(long, global = true)]
    pub no_header: bool,

    /// Print each request and reply on stderr (credentials redacted).
    #[arg(short = 'D', long, global = true)]
    pub debug: bool,

    /// In `json` and `jsonl`: the numeric fields of `who`, `quota get`, `mailbox status`,
    /// `fetch` and `search` rows (also through `api`) as JSON numbers when they hold an
    /// integer, and Dovecot's `-` (unlimited) in them as null; other fields and commands
    /// stay text (the fields are listed in the README, "Monitoring").
    #[arg(long, global = true)]
    pub typed: bool,
}

impl GlobalArgs {
    /// These options, with unset ones taken from `base` (a batch line over the batch's own).
    pub fn or(self, base: &GlobalArgs) -> GlobalArgs {
        let b = base.clone();
        GlobalArgs {
            url: if self.url.is_empty() { b.url } else { self.url },
            server: if self.server.is_empty() {
                b.server
            } else {
                self.server
            },
            all_servers: self.all_servers || b.all_servers,
            servers_file: self.servers_file.or(b.servers_file),
            concurrency: self.concurrency.or(b.concurrency),
            ordered: self.ordered || b.ordered,
            socket: self.socket.or(b.socket),
            auth_user: self.auth_user.or(b.auth_user),
            password_file: self.password_file.or(b.password_file),
            api_key_file: self.api_key_file.or(b.api_key_file),
            cacert: self.cacert.or(b.cacert),
            insecure: self.insecure || b.insecure,
            timeout: self.timeout.or(b.timeout),
            max_reply_size: self.max_reply_size.or(b.max_reply_size),
            format: b.format.or(self.format),
            color: b.color,
            no_header: b.no_header,
            debug: self.debug || b.debug,
            typed: self.typed || b.typed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorWhen {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people (rdoveadm's own renderer; vertical when it can't fit).
    Table,
    /// A header line, then one tab-separated line per row (like `doveadm -f tab`).
    Tab,
    /// One line per row of `key=value` pairs (like `doveadm -f flow`).
    Flow,
    /// One JSON array of row objects, with the server's field names and values.
    Json,
    /// One `title: value` line per field, rows separated by a form feed (like `doveadm -f pager`).
    Pager,
    /// One JSON object per line (JSON Lines), for streaming into other tools.
    Jsonl,
    /// A monitoring-plugin result (Nagios, Icinga): `SERVICE STATE - summary|perfdata`, exit
    /// 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. For `probe`, `quota get` and `who`.
    Nagios,
    /// OpenMetrics text (Prometheus, node_exporter's textfile collector), ending `# EOF`.
    /// For `probe`, `quota get` and `who`.
    Openmetrics,
}
