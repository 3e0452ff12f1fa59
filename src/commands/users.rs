//! User selection for mail commands (`-u`, `-A`, `-F`) and running a command for it.
//!
//! `-u` (also with wildcards) and `-A` are done by the server in one request. `-F FILE`
//! is done here, one request per user, a few at a time: the server can't read the
//! client's file, and Dovecot 2.3.19 ignores `userFile` over HTTP.

use std::io::IsTerminal;
use std::path::Path;

use futures_util::stream::{self, StreamExt};
use serde_json::{Map, Value};

use super::Ctx;
use crate::cli::UserArgs;
use crate::error::{Error, Report};
use crate::output::Row;

/// Requests in flight at once for `-F`.
pub const FILE_CONCURRENCY: usize = 8;

#[derive(Debug, Clone)]
pub enum Users {
    One(String),
    All,
    List(Vec<String>),
}

impl Users {
    pub fn from_args(a: &UserArgs) -> Result<Users, Error> {
        if let Some(f) = &a.user_file {
            return Ok(Users::List(read_user_file(f)?));
        }
        if a.all_users {
            return Ok(Users::All);
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
            Users::All | Users::List(_) => true,
        }
    }

    /// A short description for prompts.
    pub fn describe(&self) -> String {
        match self {
            Users::One(u) => format!("user `{u}`"),
            Users::All => "ALL users".to_string(),
            Users::List(l) => format!("{} users from the file", l.len()),
        }
    }
}

/// One user per line; blank lines and `#` comments are skipped.
pub fn read_user_file(path: &Path) -> Result<Vec<String>, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::NoInput(format!("-F: cannot read `{}`: {e}", path.display())))?;
    let users: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    if users.is_empty() {
        return Err(Error::Usage(format!("-F: `{}` lists no users", path.display())));
    }
    Ok(users)
}

impl Ctx {
    /// Runs a mail command for the selected users and returns all rows.
    pub async fn mail_rows(&self, command: &str, users: &Users, params: Map<String, Value>) -> Result<Vec<Row>, Error> {
        match users {
            Users::One(u) => self.rows(command, &with_user(params, Some(u), false)).await,
            Users::All => self.rows(command, &with_user(params, None, true)).await,
            Users::List(list) => {
                let client = self.client().await?;
                let results: Vec<(String, Result<Vec<Row>, Error>)> = stream::iter(list.iter())
                    .map(|u| {
                        let p = with_user(params.clone(), Some(u), false);
                        async move {
                            let r = client.call(command, &p).await.and_then(|v| super::into_rows(command, v));
                            (u.clone(), r)
                        }
                    })
                    .buffered(FILE_CONCURRENCY)
                    .collect()
                    .await;
                let mut rows = Vec::new();
                let mut first_error: Option<Error> = None;
                for (user, r) in results {
                    match r {
                        Ok(rs) => rows.extend(rs.into_iter().map(|r| prepend_username(&user, r))),
                        Err(e) => {
                            eprintln!("{} (user `{user}`)", Report(&e));
                            first_error.get_or_insert(e);
                        }
                    }
                }
                if let Some(e) = first_error {
                    // Rows of the users that worked are still shown; the exit code is the first failure's.
                    self.emit_after_failure(command, &rows)?;
                    return Err(Error::Silent(e.exit_code()));
                }
                Ok(rows)
            }
        }
    }

    fn emit_after_failure(&self, _command: &str, rows: &[Row]) -> Result<(), Error> {
        if rows.is_empty() {
            return Ok(());
        }
        let cols: Vec<&str> = Vec::new();
        self.emit(&cols, rows)
    }
}

fn with_user(mut p: Map<String, Value>, user: Option<&str>, all: bool) -> Map<String, Value> {
    if let Some(u) = user {
        p.insert("user".into(), Value::String(u.to_string()));
    }
    if all {
        p.insert("allUsers".into(), Value::Bool(true));
    }
    p
}

/// A row with `username` first, as the server does for `-A` and masks.
pub fn prepend_username(user: &str, row: Row) -> Row {
    let mut r = Map::with_capacity(row.len() + 1);
    r.insert("username".into(), Value::String(user.to_string()));
    for (k, v) in row {
        if k != "username" {
            r.insert(k, v);
        }
    }
    r
}

/// Asks before a destructive action when stdin is a terminal, unless `--yes`.
/// Scripts (stdin not a terminal) are not asked, so doveadm scripts keep working.
pub fn confirm(what: &str, yes: bool) -> Result<(), Error> {
    if yes || !std::io::stdin().is_terminal() {
        return Ok(());
    }
    eprint!("rdoveadm: {what}\nProceed? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).map_err(|_| Error::Aborted)?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(Error::Aborted)
    }
}
