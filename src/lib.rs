//! rdoveadm: a doveadm-style admin CLI for Dovecot over the doveadm HTTP API.
//! [`run`] parses the command line, resolves settings and dispatches; it returns the
//! process exit code.

// Input from servers, mailboxes and probed hosts must never panic rdoveadm: no
// unwrap/expect, and no index or slice that can be out of range (tests may).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod batch;
pub mod cli;
pub mod client;
pub mod commands;
pub mod complete;
pub mod config;
pub mod docs;
pub mod doveadm;
pub mod error;
pub mod fanout;
pub mod monitor;
pub mod output;
pub mod probe;
pub mod progress;
pub mod pw;
pub mod secret;
pub mod settings;
pub mod terminal;
pub mod text;
pub mod watch;

use std::io::IsTerminal;

use cli::{Cli, Command};
use commands::Ctx;
use error::{Error, Report};
use settings::{ProcessEnv, Settings, Terminal};

/// Version with the git commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("RDOVEADM_GIT_COMMIT"),
    ")"
);

/// Runs rdoveadm with the process arguments and returns the exit code.
pub fn run() -> i32 {
    // `COMPLETE=SHELL rdoveadm -- WORDS`: answer the shell and exit, before any parsing.
    complete::complete_from_env();
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // doveadm's syntax is routed first (see `doveadm::argv`); an argument that is not
    // UTF-8 is left for clap to refuse, never replaced.
    let args: Vec<std::ffi::OsString> = match raw
        .iter()
        .map(|a| a.to_str().map(String::from))
        .collect::<Option<Vec<String>>>()
    {
        Some(text) => {
            match doveadm::argv::route(&text, &cli_command(), default_user().as_deref()) {
                Ok(a) => a.into_iter().map(Into::into).collect(),
                Err(e) => {
                    eprintln!("rdoveadm: error: {}", text::message_line(&e.to_string()));
                    return e.exit_code();
                }
            }
        }
        None => raw,
    };
    let parsed = cli::command()
        .try_get_matches_from(args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let mut cli = match parsed {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    cli.merge_short_options();
    let stdout_tty = std::io::stdout().is_terminal();
    let term = Terminal {
        stdout_tty,
        width: if stdout_tty { terminal::width() } else { None },
    };
    let nagios = cli.global.format == Some(cli::Format::Nagios);
    let resolved = cli
        .global
        .format
        .map_or(Ok(()), |f| monitor::check_supported(f, &cli.command))
        .and_then(|()| Settings::resolve_for(&cli.command, &cli.global, &ProcessEnv, term));
    let result = resolved.and_then(|settings| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Unavailable(format!("cannot start the async runtime: {e}")))?;
        if let Command::Batch(a) = &cli.command {
            return rt.block_on(batch::run(&cli.global, term, a));
        }
        if let Command::Who(w) = &cli.command {
            if let Some(secs) = w.watch {
                return rt.block_on(watch::run(&settings, &cli.command, secs));
            }
        }
        if settings.targets.len() > 1 && fans_out(&cli.command) {
            rt.block_on(fanout::run(&settings, &cli.command))
        } else {
            rt.block_on(dispatch(&Ctx::new(settings), &cli.command))
        }
    });
    match result {
        Ok(()) if nagios => monitor::nagios::exit_code(monitor::service(&cli.command), None),
        Ok(()) => 0,
        Err(e) => {
            let msg = e.to_string();
            if !msg.is_empty() && !matches!(e, Error::BrokenPipe) {
                // One line, bounded, nothing a terminal acts on: the message may quote
                // a server's reply.
                eprintln!("{}", text::message_line(&Report(&e).to_string()));
            }
            if nagios {
                return monitor::nagios::exit_code(monitor::service(&cli.command), Some(&e));
            }
            e.exit_code()
        }
    }
}

/// `$USER`, the user a mail command runs for without `-u`, `-A` or `-F` (as in doveadm).
pub fn default_user() -> Option<String> {
    std::env::var("USER").ok().filter(|u| !u.is_empty())
}

/// The clap definition, built (global options propagated to every subcommand).
pub fn cli_command() -> clap::Command {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    cmd.build();
    cmd
}

/// Commands that run once per server when several are selected.
fn fans_out(command: &Command) -> bool {
    match command {
        Command::Probe(_) | Command::Completions(_) | Command::Config(_) => false,
        // `pw` and `mailbox mutf7` compute here: once, not once per server.
        c => !c.runs_here(),
    }
}

/// The one dispatch: each arm is one call.
pub async fn dispatch(ctx: &Ctx, command: &Command) -> Result<(), Error> {
    let result = dispatch_one(ctx, command).await;
    monitor::nagios::failed_check(ctx, command, result)
}

async fn dispatch_one(ctx: &Ctx, command: &Command) -> Result<(), Error> {
    match command {
        Command::Who(a) => commands::who::run(ctx, a).await,
        Command::Kick(a) => commands::kick::run(ctx, a).await,
        Command::Mailbox(c) => commands::mailbox::run(ctx, c).await,
        Command::Quota(c) => commands::quota::run(ctx, c).await,
        Command::Fetch(a) => commands::messages::fetch(ctx, a).await,
        Command::Search(a) => commands::messages::search(ctx, a).await,
        Command::Expunge(a) => commands::messages::expunge(ctx, a).await,
        Command::Flags(c) => commands::messages::flags(ctx, c).await,
        Command::Move(a) => commands::messages::move_or_copy(ctx, "move", a).await,
        Command::Copy(a) => commands::messages::move_or_copy(ctx, "copy", a).await,
        Command::Index(a) => commands::storage::index(ctx, a).await,
        Command::ForceResync(a) => commands::storage::force_resync(ctx, a).await,
        Command::Purge(a) => commands::storage::purge(ctx, a).await,
        Command::User(a) => commands::user::run(ctx, a).await,
        Command::Reload => commands::server::reload(ctx).await,
        Command::Stop(a) => commands::server::stop(ctx, a).await,
        Command::Log(c) => commands::server::log(ctx, c).await,
        Command::Process(c) => commands::server::process(ctx, c).await,
        Command::Service(c) => commands::server::service(ctx, c).await,
        Command::Stats(c) => commands::server::stats(ctx, c).await,
        Command::Server(c) => commands::server::info(ctx, c).await,
        Command::Batch(_) => Err(Error::Usage("batch inside batch is not allowed".into())),
        Command::Config(c) => commands::config::run(ctx, c).await,
        Command::Completions(a) => commands::completions::run(a),
        Command::Commands => commands::api::commands(ctx).await,
        Command::Api(a) => commands::api::api(ctx, a).await,
        Command::Doveadm(a) => commands::doveadm::run(ctx, a).await,
        Command::Probe(a) => commands::probe::run(ctx, a).await,
    }
}

/// clap's help and version go to stdout with 0; usage errors become one line and 64
/// (doveadm's EX_USAGE), not clap's 2.
fn clap_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand if nagios_requested() => {
            eprintln!("rdoveadm: error: a command or subcommand is missing");
            nagios_usage("a command or subcommand is missing (see --help)")
        }
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                error::code::USAGE
            } else {
                0
            }
        }
        _ => {
            // The command line may hold pasted bytes: shown, never executed.
            let line = text::message_line(&cli::one_line_error(&e));
            eprintln!("rdoveadm: error: {line}");
            eprintln!("rdoveadm: hint: see `rdoveadm --help` or `rdoveadm <command> --help`");
            if nagios_requested() {
                return nagios_usage(&line);
            }
            error::code::USAGE
        }
    }
}

fn args() -> Vec<String> {
    std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// Whether the command line (or RDOVEADM_FORMAT) asks for `-f nagios`.
fn nagios_requested() -> bool {
    let env = std::env::var("RDOVEADM_FORMAT").ok();
    monitor::nagios::requested(&args(), env.as_deref())
}

/// A monitoring plugin's usage error: an UNKNOWN status line, exit 3.
fn nagios_usage(why: &str) -> i32 {
    let service = monitor::nagios::service_in(&args());
    monitor::nagios::unknown_line(service, &format!("usage: {why}"));
    monitor::nagios::State::Unknown as i32
}
