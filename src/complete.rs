//! Live shell completion with clap_complete's engine: the shell runs
//! `COMPLETE=SHELL rdoveadm -- WORDS...` and [`complete_from_env`] answers before any parsing.
//! User names and mailbox names come from the server (one request, a 2 s deadline),
//! profile names from the config file. Completion never prints an error: on any
//! failure it offers nothing.

use std::ffi::OsStr;
use std::time::Duration;

use clap::FromArgMatches;
use clap_complete::engine::CompletionCandidate;
use serde_json::{json, Map, Value};

use crate::cli::GlobalArgs;
use crate::client::Client;
use crate::settings::{ProcessEnv, Settings, Terminal};

/// How long a completion may wait for settings and the server, in all.
const DEADLINE: Duration = Duration::from_secs(2);

/// Answers a completion request and exits when `COMPLETE` is set (`COMPLETE=bash rdoveadm`
/// prints the registration script); returns at once otherwise.
pub fn complete_from_env() {
    clap_complete::CompleteEnv::with_factory(crate::cli::command).complete();
}

/// `--server`/`-s`: profile and group names from the config file.
pub fn profiles(current: &OsStr) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    crate::config::profile_names()
        .into_iter()
        .filter(|n| n.starts_with(prefix.as_ref()) && typeable(n))
        .map(CompletionCandidate::new)
        .collect()
}

/// `-u/--user`: user names the userdb lists for the mask `PREFIX*`.
pub fn users(current: &OsStr) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy().into_owned();
    let Some(line) = partial_line() else {
        return Vec::new();
    };
    let mask = format!("{prefix}*");
    let names = ask(
        line.global,
        "user",
        [("userMask", json!([mask]))],
        |reply| {
            crate::commands::user::object_rows(reply)
                .map(|rows| {
                    rows.iter()
                        .filter_map(|r| r.get("username")?.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        },
    );
    names
        .into_iter()
        .filter(|n| n.starts_with(&prefix) && typeable(n))
        .map(CompletionCandidate::new)
        .collect()
}

/// `mailbox status FIELDS`: the status field names (one argument, space separated: the
/// last word is completed, the ones before it kept).
pub fn status_fields(current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let (done, last) = match current.rfind(' ') {
        Some(at) => current.split_at(at + 1),
        None => ("", current.as_ref()),
    };
    crate::cli::STATUS_FIELDS
        .iter()
        .filter(|f| f.starts_with(last) && !done.split_whitespace().any(|d| d == **f))
        .map(|f| CompletionCandidate::new(format!("{done}{f}")))
        .collect()
}

/// Mailbox arguments: the mailboxes of the `-u` user already on the command line that
/// match `PREFIX*` (nothing without one `-u` user, or with a wildcard in it).
pub fn mailboxes(current: &OsStr) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy().into_owned();
    let Some(line) = partial_line() else {
        return Vec::new();
    };
    let Some(user) = line.user.filter(|u| !crate::commands::is_user_mask(u)) else {
        return Vec::new();
    };
    let mask = format!("{prefix}*");
    let names = ask(
        line.global,
        "mailboxList",
        [("user", json!(user)), ("mailboxMask", json!([mask]))],
        |reply| {
            reply
                .as_array()
                .map(|rows| {
                    rows.iter()
                        .filter_map(|r| r.get("mailbox")?.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        },
    );
    names
        .into_iter()
        .filter(|n| typeable(n))
        .map(CompletionCandidate::new)
        .collect()
}

/// Whether a name from the server (or config) may be offered to the shell: the shell
/// writes candidates raw and splits them on `\v` or newlines, so a name with a control
/// character could forge candidates or reach the terminal. Such names are left out.
fn typeable(name: &str) -> bool {
    !name.chars().any(crate::text::is_unsafe)
}

/// What the words before the one being completed say.
struct PartialLine {
    global: GlobalArgs,
    /// The `-u/--user` of the (innermost) subcommand, if given.
    user: Option<String>,
}

/// Parses the words the shell passed after `--`, up to the word being completed, leniently.
fn partial_line() -> Option<PartialLine> {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let start = args.iter().position(|a| a == "--")? + 1;
    let mut words = args.get(start..)?.to_vec();
    // bash and zsh say which word is being completed; fish passes the words up to it.
    let index = std::env::var("_CLAP_COMPLETE_INDEX")
        .ok()
        .and_then(|i| i.parse().ok());
    words.truncate(index.unwrap_or(words.len().saturating_sub(1)));
    let m = crate::cli::command()
        .ignore_errors(true)
        .try_get_matches_from(&words)
        .ok()?;
    let mut global = GlobalArgs::from_arg_matches(&m).ok()?;
    if let Ok(Some(short)) = m.try_get_many::<String>("server_short") {
        global.server.extend(short.cloned());
    }
    let mut user = None;
    let mut sub = &m;
    while let Some((_, s)) = sub.subcommand() {
        if let Ok(Some(u)) = s.try_get_one::<String>("user") {
            user = Some(u.clone());
        }
        sub = s;
    }
    Some(PartialLine { global, user })
}

/// Resolves the settings as a normal run does, sends one command to the first server and
/// turns the reply into names; empty on any error or after [`DEADLINE`].
fn ask<const N: usize>(
    global: GlobalArgs,
    command: &'static str,
    params: [(&str, Value); N],
    names: fn(Value) -> Vec<String>,
) -> Vec<String> {
    let params: Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let (tx, rx) = std::sync::mpsc::channel();
    // A thread, so that a slow password_command is bounded by the deadline too.
    std::thread::spawn(move || {
        let result = (|| {
            let settings = Settings::resolve(&global, &ProcessEnv, Terminal::default()).ok()?;
            let mut conn = settings.targets.first()?.connection.clone();
            // A little under the deadline, so that a password_command is killed (its
            // timeout is this one) before the answer is given up on and rdoveadm exits.
            let budget = DEADLINE.saturating_sub(Duration::from_millis(300));
            conn.timeout = Some(conn.timeout.map_or(budget, |t| t.min(budget)));
            let client = Client::new(&conn, false).ok()?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                tokio::time::timeout(DEADLINE, client.call(command, &params))
                    .await
                    .ok()?
                    .ok()
            })
        })();
        let _ = tx.send(result.map(names).unwrap_or_default());
    });
    rx.recv_timeout(DEADLINE).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::typeable;

    #[test]
    fn names_with_controls_are_not_offered() {
        assert!(typeable("Work Stuff"));
        assert!(typeable("❤️❤️ Family"));
        assert!(!typeable("INBOX\u{b}; rm -rf ~"));
        assert!(!typeable("a\nb"));
        assert!(!typeable("x\x1b]0;pwned\x07"));
        assert!(!typeable("abc\u{202e}fdp"));
    }
}
