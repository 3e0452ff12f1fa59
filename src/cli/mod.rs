//! The command line, as clap derive structs: plain data, no logic. Every `///` here
//! is help text and man-page text.
//!
//! The global options (global.rs), the duration parsers (seconds.rs), the finishing of the
//! built command (help.rs) and the usage-error line (usage_error.rs) live beside this file.

pub mod admin;
mod global;
mod help;
pub mod mail;
pub mod probe;
mod seconds;
mod usage_error;

pub use admin::*;
pub use global::{ColorWhen, Format, GlobalArgs};
pub use help::{command, finish};
pub use mail::*;
pub use seconds::{check_seconds, parse_seconds, parse_watch_seconds, MAX_SECONDS};
pub use usage_error::one_line_error;

use clap::{Args, Parser, Subcommand};
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

/// `rdoveadm config`'s subcommands.
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
