//! User selection for mail commands (`-u`, `-A`, `-F`) and running a command for it.
//!
//! `-u` (also with wildcards) is one request. `-A` is split into user-mask shards run
//! concurrently (Dovecot runs `-A` one user after another in one worker; each worker
//! serves one connection), falling back to one plain `-A` request when the userdb can't
//! list its users. `-F FILE` is done here, one request per user: the server can't read
//! the client's file, and Dovecot 2.3.19 ignores `userFile` over HTTP. Rows are written
//! as each request answers, in a stable order. A server that is down stops the run at
//! its first failure (one error line, not one per user: see [`stops_asking`]).

mod failures;
mod plan;
mod run;
mod user_file;

use std::io::IsTerminal;

use crate::cli::UserArgs;
use crate::error::Error;
use crate::text;

pub use failures::{stops_asking, unreachable};
pub use user_file::{read_user_file, MAX_USER_FILE_BYTES};

/// Requests in flight at once for `-A` shards and `-F` users.
pub const DEFAULT_PARALLEL: usize = 8;

#[derive(Debug, Clone)]
pub enum Users {
    One(String),
    /// All users, with the number of concurrent shards (1: one plain `-A` request).
    All(usize),
    /// Users from a file, with the number of concurrent requests.
    List(Vec<String>, usize),
}

impl Users {
    pub fn from_args(a: &UserArgs) -> Result<Users, Error> {
        let parallel = a.parallel.map(usize::from).unwrap_or(DEFAULT_PARALLEL);
        if let Some(f) = &a.user_file {
            return Ok(Users::List(read_user_file(f)?, parallel));
        }
        if a.all_users {
            return Ok(Users::All(parallel));
        }
        match &a.user {
            Some(u) if !u.trim().is_empty() => Ok(Users::One(u.clone())),
            Some(_) => Err(Error::Usage("-u: the user name is empty".into())),
            None => Err(Error::Usage("give one of -u USER, -A or -F FILE".into())),
        }
    }

    /// Whether rows carry a `username` column (the server adds it for -A and masks).
    pub fn many(&self) -> bool {
        match self {
            Users::One(u) => super::is_user_mask(u),
            Users::All(_) | Users::List(..) => true,
        }
    }

    /// A short description for prompts.
    pub fn describe(&self) -> String {
        match self {
            Users::One(u) => format!("user `{u}`"),
            Users::All(_) => "ALL users".to_string(),
            Users::List(l, _) => format!("{} users from the file", l.len()),
        }
    }
}

/// Asks before a destructive action when stdin is a terminal, unless `--yes`.
/// Scripts (stdin not a terminal) are not asked, so doveadm scripts keep working.
pub fn confirm(what: &str, yes: bool) -> Result<(), Error> {
    if yes || !std::io::stdin().is_terminal() {
        return Ok(());
    }
    eprint!("rdoveadm: {}\nProceed? [y/N] ", text::escape_message(what));
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|_| Error::Aborted)?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(Error::Aborted)
    }
}
