//! The clap command as run (`--help`, the man pages, parsing): the derive definition of
//! mod.rs finished with the exit-code list, and with each command's unused global options
//! hidden. Separate from the derive structs because this is logic that walks the built
//! command, not plain data.

use super::{Cli, AFTER_HELP};

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
