//! Arguments of the mail commands: they work on users chosen with `-u`, `-A` or `-F`.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand};
use clap_complete::engine::ArgValueCompleter;

/// Which users a mail command works on: exactly one of `-u`, `-A`, `-F`.
#[derive(Debug, Args, Clone)]
#[command(group(ArgGroup::new("users").required(true).args(["user", "all_users", "user_file"])))]
pub struct UserArgs {
    /// The user; `*` and `?` wildcards make the server iterate the matching users (rows then carry `username`).
    /// (doveadm's fallback to $USER, a local user, cannot apply over HTTP: one of -u, -A, -F is needed.)
    #[arg(short = 'u', long = "user", value_name = "USER", add = ArgValueCompleter::new(crate::complete::users))]
    pub user: Option<String>,

    /// All users (the userdb must be able to list them).
    #[arg(short = 'A', long = "all-users")]
    pub all_users: bool,

    /// Users listed in this local file, one per line (read here: the server can't see it).
    #[arg(short = 'F', long = "user-file", value_name = "FILE")]
    pub user_file: Option<PathBuf>,

    /// With -A or -F: run this many requests at once. -A lists the users once and splits them
    /// into user-mask shards, each on its own connection; 1 sends one plain -A request. Default: 8.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallel: Option<u16>,
}

#[derive(Debug, Subcommand)]
pub enum MailboxCommand {
    /// List a user's mailboxes.
    #[command(
        after_help = "Examples:\n  rdoveadm mailbox list -u alice@example.org\n  rdoveadm mailbox list -s -u alice@example.org 'Arch*'"
    )]
    List(MailboxListArgs),
    /// Show mailbox status fields (messages, unseen, vsize, ...).
    #[command(
        after_help = "Examples:\n  rdoveadm mailbox status -u alice@example.org all INBOX\n  rdoveadm mailbox status -t -u alice@example.org 'messages vsize' '*'"
    )]
    Status(MailboxStatusArgs),
    /// Create mailboxes. Exit 65 when one exists.
    #[command(
        after_help = "Example:\n  rdoveadm mailbox create -s -u alice@example.org Archive Archive/2024"
    )]
    Create(MailboxCreateArgs),
    /// Delete mailboxes (asks first on a terminal).
    #[command(
        after_help = "Example:\n  rdoveadm mailbox delete --yes -r -u alice@example.org Archive"
    )]
    Delete(MailboxDeleteArgs),
    /// Rename a mailbox.
    #[command(
        after_help = "Example:\n  rdoveadm mailbox rename -u alice@example.org Archive Old-Archive"
    )]
    Rename(MailboxRenameArgs),
    /// Subscribe to mailboxes.
    #[command(after_help = "Example:\n  rdoveadm mailbox subscribe -u alice@example.org Archive")]
    Subscribe(MailboxNamesArgs),
    /// Unsubscribe from mailboxes.
    #[command(
        after_help = "Example:\n  rdoveadm mailbox unsubscribe -u alice@example.org Archive"
    )]
    Unsubscribe(MailboxNamesArgs),
}

#[derive(Debug, Args)]
pub struct MailboxListArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// Only subscribed mailboxes.
    #[arg(short = 's', long)]
    pub subscriptions: bool,

    /// Mailbox masks (`*` and `%` wildcards); all mailboxes when none are given.
    #[arg(value_name = "MASK", add = ArgValueCompleter::new(crate::complete::mailboxes))]
    pub masks: Vec<String>,
}

/// Fields `mailbox status` knows (Dovecot 2.3 and 2.4.0-2.4.1).
pub const STATUS_FIELDS: &[&str] = &[
    "all",
    "messages",
    "recent",
    "uidnext",
    "uidvalidity",
    "unseen",
    "highestmodseq",
    "vsize",
    "guid",
    "firstsaved",
];
/// Fields allowed with `--total-sum`.
pub const TOTAL_SUM_FIELDS: &[&str] = &["all", "messages", "recent", "unseen", "vsize"];

#[derive(Debug, Args)]
pub struct MailboxStatusArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// Sum the fields over all matching mailboxes (only all, messages, recent, unseen, vsize).
    #[arg(short = 't', long)]
    pub total_sum: bool,

    /// Status fields, space separated (one argument), e.g. `all` or `'messages unseen vsize'`.
    #[arg(value_name = "FIELDS", add = ArgValueCompleter::new(crate::complete::status_fields))]
    pub fields: String,

    /// Mailbox masks.
    #[arg(value_name = "MASK", required = true, add = ArgValueCompleter::new(crate::complete::mailboxes))]
    pub masks: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MailboxCreateArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// Also subscribe to the new mailboxes.
    #[arg(short = 's', long)]
    pub subscribe: bool,

    /// Mailbox names.
    #[arg(value_name = "NAME", required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MailboxDeleteArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// Delete child mailboxes too.
    #[arg(short = 'r', long)]
    pub recursive: bool,

    /// Also unsubscribe the deleted mailboxes.
    #[arg(short = 's', long)]
    pub unsubscribe: bool,

    /// Only delete mailboxes that are empty.
    #[arg(short = 'e', long)]
    pub require_empty: bool,

    /// Delete even if the mailbox has messages, without moving them first (doveadm -Z).
    #[arg(short = 'Z', long)]
    pub unsafe_delete: bool,

    /// Delete without asking, even on a terminal.
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Mailbox names.
    #[arg(value_name = "NAME", required = true, add = ArgValueCompleter::new(crate::complete::mailboxes))]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MailboxRenameArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// Move the subscription along.
    #[arg(short = 's', long)]
    pub subscriptions: bool,

    /// The current name.
    #[arg(value_name = "OLD", add = ArgValueCompleter::new(crate::complete::mailboxes))]
    pub old: String,

    /// The new name.
    #[arg(value_name = "NEW")]
    pub new: String,
}

#[derive(Debug, Args)]
pub struct MailboxNamesArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// Mailbox names.
    #[arg(value_name = "NAME", required = true, add = ArgValueCompleter::new(crate::complete::mailboxes))]
    pub names: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum QuotaCommand {
    /// Show quota usage and limits (STORAGE in KiB, MESSAGE in messages).
    #[command(
        after_help = "Examples:\n  rdoveadm quota get -u alice@example.org\n  rdoveadm quota get -A\n  rdoveadm quota get -A --over 90\n  rdoveadm -f nagios quota get -A -w 80 -c 95\n  rdoveadm -f openmetrics quota get -A"
    )]
    Get(QuotaGetArgs),
    /// Recalculate the quota usage from the mailboxes.
    #[command(after_help = "Example:\n  rdoveadm quota recalc -u alice@example.org")]
    Recalc(QuotaArgs),
}

#[derive(Debug, Args)]
pub struct QuotaArgs {
    #[command(flatten)]
    pub users: UserArgs,
}

#[derive(Debug, Args)]
pub struct QuotaGetArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// Only the quota roots and types at or above this percent of their limit, highest
    /// percent first (per server under fan-out). Unlimited ones (limit `-` or 0) never match,
    /// also not `--over 0`.
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub over: Option<u32>,

    /// With `-f nagios`: WARNING when any user is at or over this percent. Default: 80, or
    /// -c when that is less.
    #[arg(short = 'w', long = "warning", value_name = "PERCENT", value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub warning: Option<u32>,

    /// With `-f nagios`: CRITICAL when any user is at or over this percent. Default: 95, or
    /// -w when that is more.
    #[arg(short = 'c', long = "critical", value_name = "PERCENT", value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub critical: Option<u32>,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// Fields, space separated (one argument): e.g. `'uid flags hdr.subject date.received'`, `hdr`, `body`, `text`.
    #[arg(value_name = "FIELDS")]
    pub fields: String,

    /// Search query words, as doveadm: e.g. `mailbox INBOX unseen`, `uid 1:10`, `all`.
    #[arg(value_name = "QUERY", required = true, allow_hyphen_values = true)]
    pub query: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// Search query words, e.g. `mailbox INBOX seen`.
    #[arg(value_name = "QUERY", required = true, allow_hyphen_values = true)]
    pub query: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExpungeArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// Delete the mailbox too when it ends up empty.
    #[arg(short = 'd', long)]
    pub delete_empty_mailbox: bool,

    /// Show what would be expunged (runs the matching `search`) and change nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Expunge without asking, even on a terminal.
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Search query words, e.g. `mailbox Trash savedbefore 30d`.
    #[arg(value_name = "QUERY", required = true, allow_hyphen_values = true)]
    pub query: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum FlagsCommand {
    /// Add flags to the matching messages.
    #[command(
        after_help = "Example:\n  rdoveadm flags add -u alice@example.org '\\Seen \\Flagged' mailbox INBOX all"
    )]
    Add(FlagsArgs),
    /// Remove flags from the matching messages.
    #[command(
        after_help = "Example:\n  rdoveadm flags remove -u alice@example.org '\\Flagged' mailbox INBOX all"
    )]
    Remove(FlagsArgs),
    /// Replace the flags of the matching messages.
    #[command(
        after_help = "Example:\n  rdoveadm flags replace -u alice@example.org '\\Seen' mailbox INBOX uid 1"
    )]
    Replace(FlagsArgs),
}

#[derive(Debug, Args)]
pub struct FlagsArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// Flags, space separated (one argument), e.g. `'\Seen \Flagged $Label1'`.
    #[arg(value_name = "FLAGS")]
    pub flags: String,

    /// Search query words.
    #[arg(value_name = "QUERY", required = true, allow_hyphen_values = true)]
    pub query: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MoveArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// The destination mailbox.
    #[arg(value_name = "DEST", add = ArgValueCompleter::new(crate::complete::mailboxes))]
    pub destination: String,

    /// Search query words, e.g. `mailbox INBOX seen`.
    #[arg(value_name = "QUERY", required = true, allow_hyphen_values = true)]
    pub query: Vec<String>,
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// Queue the indexing in the indexer service instead of doing it now.
    #[arg(short = 'q', long)]
    pub queue: bool,

    /// Mailbox mask.
    #[arg(value_name = "MASK", add = ArgValueCompleter::new(crate::complete::mailboxes))]
    pub mask: String,
}

#[derive(Debug, Args)]
pub struct ForceResyncArgs {
    #[command(flatten)]
    pub users: UserArgs,

    /// Also check and fix the index files (fsck).
    #[arg(short = 'f', long)]
    pub fsck: bool,

    /// Mailbox mask.
    #[arg(value_name = "MASK", add = ArgValueCompleter::new(crate::complete::mailboxes))]
    pub mask: String,
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub users: UserArgs,
}
