//! The command line, as clap derive structs: plain data, no logic. Every `///` here
//! is help text and man-page text.

use std::path::PathBuf;

pub mod admin;
pub mod mail;
pub mod probe;

pub use admin::*;
pub use mail::*;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;

const AFTER_HELP: &str = "\
Connection: --url/RDOVEADM_URL or --socket/RDOVEADM_SOCKET. Credentials: RDOVEADM_API_KEY or \
--api-key-file (sent as `Authorization: X-Dovecot-API`), else RDOVEADM_PASSWORD or --password-file \
(HTTP Basic as user `doveadm`). A flag beats its environment variable; an API key beats a password.

Several servers (-s NAME,NAME, a group, --all-servers, --url repeated, --servers-file): all are \
asked at once (see --concurrency). Rows get a leading `server` field. In tab, flow, json and jsonl \
each server's rows are written as soon as it answers; table and --ordered keep server order. Each \
failed server is one stderr line; the exit code is that of the first failed server in the order \
the servers were named (0 when all answered), in every format.";

/// A fast, script-friendly doveadm-style admin CLI for Dovecot, over the doveadm HTTP API.
#[derive(Debug, Parser)]
#[command(name = "rdoveadm", version = crate::VERSION, propagate_version = true, after_help = AFTER_HELP)]
pub struct Cli {
    /// Output format (short for --format; before the command name only, as in doveadm).
    #[arg(
        short = 'f',
        value_enum,
        value_name = "FORMAT",
        conflicts_with = "format"
    )]
    pub format_short: Option<Format>,

    /// Server profile or group from the config file (short for --server; before the command name only).
    #[arg(short = 's', value_name = "NAME", value_delimiter = ',', add = ArgValueCompleter::new(crate::complete::profiles))]
    pub server_short: Vec<String>,

    #[command(flatten, next_help_heading = GLOBAL_HEADING)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The help heading of the options every command accepts (gh's and kubectl's layout:
/// a command's own options first, then these).
pub const GLOBAL_HEADING: &str = "Global options";

/// The global options that choose and reach a doveadm API server.
const SERVER_OPTIONS: &[&str] = &[
    "url",
    "server",
    "all_servers",
    "servers_file",
    "concurrency",
    "ordered",
    "socket",
    "auth_user",
    "password_file",
    "api_key_file",
    "cacert",
    "insecure",
    "timeout",
    "max_reply_size",
];
/// The global options that shape rows on stdout.
const OUTPUT_OPTIONS: &[&str] = &["format", "color", "no_header"];

/// Commands that print no rows (only errors): the output options don't apply to them.
/// A command that starts printing rows must leave this list.
const SILENT_COMMANDS: &[&str] = &[
    "reload",
    "stop",
    "log reopen",
    "mailbox create",
    "mailbox delete",
    "mailbox rename",
    "mailbox subscribe",
    "mailbox unsubscribe",
    "quota recalc",
    "flags add",
    "flags remove",
    "flags replace",
    "move",
    "copy",
    "index",
    "force-resync",
    "purge",
];

/// The global options a command (`mailbox create`: its path under rdoveadm) has no use
/// for: its help and man page leave them out (they are still accepted, so a shared
/// alias or batch line keeps working).
fn unused_globals(path: &str) -> Vec<&'static str> {
    match path {
        // probe speaks IMAP/POP3 with its own --cacert and --timeout, never the API.
        "probe" => SERVER_OPTIONS.to_vec(),
        "completions" => [SERVER_OPTIONS, OUTPUT_OPTIONS, &["debug"]].concat(),
        p if SILENT_COMMANDS.contains(&p) => OUTPUT_OPTIONS.to_vec(),
        _ => Vec::new(),
    }
}

/// The clap command as run, shown in `--help` and written into the man pages: the
/// derive definition, the exit-code list from the one table (`error::EXIT_CODE_TABLE`)
/// at the end of the main help, and each command's unused global options hidden.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    finish(Cli::command())
}

/// [`command`] from a derive command the caller adjusted first (the man pages set a
/// version without the git commit): adds the exit codes and hides unused globals.
pub fn finish(cmd: clap::Command) -> clap::Command {
    let cmd = cmd.after_help(format!(
        "{AFTER_HELP}\n\n{}",
        crate::error::exit_codes_help().trim_end()
    ));
    let globals: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    hide_unused(cmd, "", &globals)
}

/// `cmd`'s subcommands (at `path`), each with a hidden local copy of the global options
/// it doesn't use: clap then doesn't propagate the global one there (as with probe's
/// own --cacert), and the option is still accepted.
fn hide_unused(cmd: clap::Command, path: &str, globals: &[clap::Arg]) -> clap::Command {
    cmd.mut_subcommands(|mut sub| {
        let here = format!(
            "{path}{}{}",
            if path.is_empty() { "" } else { " " },
            sub.get_name()
        );
        let unused = unused_globals(&here);
        for a in globals {
            let id = a.get_id().as_str();
            if unused.contains(&id) && !sub.get_arguments().any(|x| x.get_id() == id) {
                sub = sub.arg(a.clone().global(false).hide(true));
            }
        }
        hide_unused(sub, &here, globals)
    })
}

/// Options that every subcommand accepts, before or after its name.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Show where each setting comes from (flag, environment, profile, default); secrets are never shown.
    #[command(after_help = "Examples:\n  rdoveadm config show\n  rdoveadm -s mx2 config show")]
    Show,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

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

impl Cli {
    /// Folds the options that only have a short form before the command name (`-f`,
    /// `-s`) into the global ones.
    pub fn merge_short_options(&mut self) {
        if self.format_short.is_some() {
            self.global.format = self.format_short;
        }
        self.global
            .server
            .extend(std::mem::take(&mut self.server_short));
    }
}

/// The longest duration accepted (`--timeout`, `who --watch`): one year, in seconds.
/// Far above any real use; it keeps every duration finite and representable.
pub const MAX_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

/// A number of seconds from 0 to [`MAX_SECONDS`] (clap value parser; also used for
/// the environment). The error is the reason; the caller names the value.
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| "not a number of seconds".to_string())?;
    check_seconds(secs)
}

/// `secs` when it is a number from 0 to [`MAX_SECONDS`]; the error is the reason
/// (NaN, infinity, negative and huge values would panic in `Duration`).
pub fn check_seconds(secs: f64) -> Result<f64, String> {
    if secs.is_finite() && (0.0..=MAX_SECONDS).contains(&secs) {
        Ok(secs)
    } else {
        Err(format!(
            "must be a number of seconds from 0 to {MAX_SECONDS} (one year)"
        ))
    }
}

/// `who --watch`: seconds from 0.1 to [`MAX_SECONDS`].
pub fn parse_watch_seconds(text: &str) -> Result<f64, String> {
    let secs = parse_seconds(text)?;
    if secs < 0.1 {
        return Err("must be at least 0.1 seconds".into());
    }
    Ok(secs)
}

/// clap's error message as one line: it runs until its "Usage:" paragraph.
pub fn one_line_error(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let message = text.split("\n\n").next().unwrap_or("bad usage");
    let words: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut line = words.join(" ").trim_start_matches("error: ").to_string();
    // clap's "a similar subcommand exists" tip is in a later paragraph: keep it.
    let tips = suggestions(e);
    if !tips.is_empty() {
        let tips: Vec<String> = tips.iter().map(|t| format!("`{t}`")).collect();
        line.push_str(&format!("; did you mean {}?", tips.join(" or ")));
    }
    crate::secret::redact_urls_in(&line)
}

/// What clap suggests for a mistyped command, option or value.
fn suggestions(e: &clap::Error) -> Vec<String> {
    use clap::error::{ContextKind, ContextValue};
    let mut out = Vec::new();
    for kind in [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedArg,
        ContextKind::SuggestedValue,
    ] {
        match e.get(kind) {
            Some(ContextValue::String(s)) => out.push(s.clone()),
            Some(ContextValue::Strings(v)) => out.extend(v.iter().cloned()),
            _ => {}
        }
    }
    out
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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show who is logged in (sessions tracked by anvil).
    #[command(
        after_help = "Examples:\n  rdoveadm who\n  rdoveadm who -1 'alice@*'\n  rdoveadm -f json who 192.0.2.0/24"
    )]
    Who(WhoArgs),

    /// Disconnect the sessions that match the masks; prints who was kicked. When nothing matched: exit 68 on Dovecot 2.3, 0 on 2.4 (as that version's doveadm).
    #[command(
        after_help = "Examples:\n  rdoveadm kick bob@example.org\n  rdoveadm kick --yes 'spam*' 192.0.2.7"
    )]
    Kick(KickArgs),

    /// Mailbox commands: list, status, create, delete, rename, subscribe, unsubscribe.
    #[command(subcommand)]
    Mailbox(MailboxCommand),

    /// Quota commands: get, recalc.
    #[command(subcommand)]
    Quota(QuotaCommand),

    /// Fetch message fields (e.g. `uid flags hdr.subject`) of the messages matching a search query.
    #[command(
        after_help = "Examples:\n  rdoveadm fetch -u alice@example.org 'uid flags hdr.subject' mailbox INBOX all\n  rdoveadm -f json fetch -u alice@example.org 'hdr body' mailbox INBOX uid 1"
    )]
    Fetch(FetchArgs),

    /// List the mailbox GUID and UID of the messages matching a search query.
    #[command(after_help = "Example:\n  rdoveadm search -u alice@example.org mailbox INBOX seen")]
    Search(SearchArgs),

    /// Delete the messages matching a search query (asks first on a terminal; --dry-run shows them).
    #[command(
        after_help = "Examples:\n  rdoveadm expunge --dry-run -u alice@example.org mailbox Trash savedbefore 30d\n  rdoveadm expunge --yes -u alice@example.org mailbox Trash savedbefore 30d"
    )]
    Expunge(ExpungeArgs),

    /// Add, remove or replace message flags.
    #[command(subcommand)]
    Flags(FlagsCommand),

    /// Move the messages matching a search query to another mailbox.
    #[command(
        after_help = "Example:\n  rdoveadm move -u alice@example.org Archive mailbox INBOX before 2024-01-01"
    )]
    Move(MoveArgs),

    /// Copy the messages matching a search query to another mailbox.
    #[command(
        after_help = "Example:\n  rdoveadm copy -u alice@example.org Archive mailbox INBOX flagged"
    )]
    Copy(MoveArgs),

    /// Index the mailboxes matching a mask (e.g. for full-text search).
    #[command(after_help = "Example:\n  rdoveadm index -u alice@example.org INBOX")]
    Index(IndexArgs),

    /// Repair broken mailboxes matching a mask.
    #[command(after_help = "Example:\n  rdoveadm force-resync -u alice@example.org '*'")]
    ForceResync(ForceResyncArgs),

    /// Remove expunged messages from mdbox storage for good.
    #[command(after_help = "Example:\n  rdoveadm purge -A")]
    Purge(PurgeArgs),

    /// Look up users in the userdb (one row per user and field).
    #[command(
        after_help = "Examples:\n  rdoveadm user alice@example.org\n  rdoveadm user -f home 'alice@*'\n  rdoveadm user '*'"
    )]
    User(UserLookupArgs),

    /// Reload the Dovecot configuration.
    Reload,

    /// Stop Dovecot (asks first on a terminal).
    #[command(after_help = "Example:\n  rdoveadm stop --yes")]
    Stop(StopArgs),

    /// Server log commands: errors, reopen.
    #[command(subcommand)]
    Log(LogCommand),

    /// Process commands: status.
    #[command(subcommand)]
    Process(ProcessCommand),

    /// Service commands: status.
    #[command(subcommand)]
    Service(ServiceCommand),

    /// Statistics commands: dump.
    #[command(subcommand)]
    Stats(StatsCommand),

    /// Show the resolved settings (server, credentials source, format), secrets redacted.
    #[command(subcommand)]
    Config(ConfigCommand),

    /// Print a shell completion script (bash, zsh, fish) to stdout.
    #[command(
        after_help = "Examples:\n  rdoveadm completions bash > /etc/bash_completion.d/rdoveadm\n  rdoveadm completions zsh > ~/.zfunc/_rdoveadm"
    )]
    Completions(CompletionsArgs),

    /// What rdoveadm detected about the server: API generation, command count, optional features.
    #[command(subcommand)]
    Server(ServerCommand),

    /// Run one rdoveadm command per line of FILE (or stdin), in order; exit code is the highest.
    ///
    /// With a separator and commands (`batch [-u USER|-A|-F FILE] SEP CMD [SEP CMD...]`) it is
    /// doveadm's own batch, run on the server.
    #[command(after_help = BATCH_HELP)]
    Batch(BatchArgs),

    /// Run any doveadm command with doveadm's own syntax, through the HTTP API.
    #[command(after_help = DOVEADM_HELP)]
    Doveadm(DoveadmArgs),

    /// List the commands the server advertises, with their parameters and types.
    #[command(after_help = "Examples:\n  rdoveadm commands\n  rdoveadm -f json commands")]
    Commands,

    /// Call any command the server advertises, with parameters checked against its schema.
    #[command(after_help = API_HELP)]
    Api(ApiArgs),

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
  rdoveadm -f nagios probe mail.example.org -w 30 -c 7
  rdoveadm -f openmetrics probe mail.example.org

With -f nagios the exit code is the state (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN); with
-f openmetrics it is 0 once the metrics are written. Otherwise:

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

impl Command {
    /// A doveadm command computed here, which never contacts a server (`pw`,
    /// `mailbox mutf7`): its settings leave the servers out, so a server setting it
    /// never uses cannot fail it (as native doveadm never looks at one for these).
    pub fn runs_here(&self) -> bool {
        let Command::Doveadm(a) = self else {
            return false;
        };
        let words: Vec<&str> = a.args.iter().take(2).map(String::as_str).collect();
        matches!(words.as_slice(), ["pw", ..] | ["mailbox", "mutf7"])
    }

    /// The user selection of a mail command (`-u`, `-A`, `-F`), if it has one.
    pub fn user_args(&self) -> Option<&UserArgs> {
        Some(match self {
            Command::Mailbox(c) => match c {
                MailboxCommand::List(a) => &a.users,
                MailboxCommand::Status(a) => &a.users,
                MailboxCommand::Create(a) => &a.users,
                MailboxCommand::Delete(a) => &a.users,
                MailboxCommand::Rename(a) => &a.users,
                MailboxCommand::Subscribe(a) | MailboxCommand::Unsubscribe(a) => &a.users,
            },
            Command::Quota(QuotaCommand::Get(a)) => &a.users,
            Command::Quota(QuotaCommand::Recalc(a)) => &a.users,
            Command::Fetch(a) => &a.users,
            Command::Search(a) => &a.users,
            Command::Expunge(a) => &a.users,
            Command::Flags(
                FlagsCommand::Add(a) | FlagsCommand::Remove(a) | FlagsCommand::Replace(a),
            ) => &a.users,
            Command::Move(a) | Command::Copy(a) => &a.users,
            Command::Index(a) => &a.users,
            Command::ForceResync(a) => &a.users,
            Command::Purge(a) => &a.users,
            _ => return None,
        })
    }
}

const BATCH_HELP: &str = "\
`batch FILE` or `batch -` (one argument, no options): each line is an rdoveadm command line \
without `rdoveadm` (shell-style quoting; blank lines and \
`#` comments are skipped). Options given to `batch` apply to every line; a line's own options \
win. Output: rows with a leading `line` column (table, tab, flow, jsonl), or in json one array \
of {\"line\": N, \"rows\": [...], \"exitCode\": N}. A failing line is one stderr line naming it.

With two or more arguments or a user option it is doveadm's own batch: `batch [-u USER|-A|-F \
FILE] SEP CMD [SEP CMD...]` runs the commands for the user on the server (Dovecot 2.3's API).

Examples:
  printf 'who\\nquota get -u alice@example.org\\n' | rdoveadm batch -
  rdoveadm batch -u alice@example.org : mailbox create Archive : mailbox list";

const DOVEADM_HELP: &str = "\
Commands and options are doveadm's, as Dovecot 2.3.19 and 2.4.1 define them (the server's version \
decides), options also after the arguments (GNU getopt). A doveadm command that has no rdoveadm \
subcommand, or a subcommand given an option only doveadm has, is run this way without the word \
`doveadm`: `rdoveadm altmove -u alice@example.org mailbox INBOX` is `rdoveadm doveadm altmove ...`. \
Rows print as the command's own do. A mail command needs -u, -A or -F: doveadm's fallback to \
$USER (a local user) cannot apply over HTTP (exit 75 when $USER is set, as doveadm fails, else 64). \
`-F FILE` and `save`'s message are read here (stdin when no \
file is given) and sent to the server; other paths (`import`, `fs put`) are the server's. \
`pw` and `mailbox mutf7` are computed here (no server is contacted). `sync` and `backup` run \
on the server (its paths). The commands that need a local doveadm (`exec`, `auth test`, \
`auth lookup`, `auth login`, `dump`, `dsync-server`...) are refused (exit 64), and so are \
those whose result doveadm prints with printf() on the server's own stdout, which the HTTP API \
does not return (`log find`, `instance list -c`, `fts lookup`, `fts expand`): run them with \
doveadm on the server. A plugin's command the server has not loaded exits 75, as doveadm. \
`user -u` (userdb only) runs the plain lookup: the API's worker crashes on it (2.3.19, 2.4.1). \
doveadm's global `-v` is accepted and does nothing; `-c`, `-i` and `-o` configure a local doveadm \
and are refused (exit 64).

Examples:
  rdoveadm altmove -u alice@example.org savedbefore 30d
  rdoveadm mailbox update --min-next-uid 100 INBOX -u alice@example.org
  rdoveadm save -u alice@example.org -m INBOX < message.eml
  rdoveadm batch -u alice@example.org : mailbox create Archive : mailbox list
  rdoveadm mailbox mutf7 -7 'Entw&APw-rfe'";

const API_HELP: &str = "\
Parameters: NAME=VALUE is converted by the type the server advertises: boolean (`true`/`false`; \
false is left out), integer, array (repeat NAME=, or give a comma list) or string. NAME:=JSON gives \
the JSON value as is. Command names may be spelled camelCase, with dashes or with spaces.

Examples:
  rdoveadm api quotaGet user=alice@example.org
  rdoveadm api 'mailbox status' user=alice@example.org field=messages,unseen mailboxMask=INBOX
  rdoveadm api mailbox-metadata-set user=alice@example.org mailbox=INBOX key=/private/comment value=hi";

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
