//! User selection for mail commands (`-u`, `-A`, `-F`) and running a command for it.
//!
//! `-u` (also with wildcards) is one request. `-A` is split into user-mask shards run
//! concurrently (Dovecot runs `-A` one user after another in one worker; each worker
//! serves one connection), falling back to one plain `-A` request when the userdb can't
//! list its users. `-F FILE` is done here, one request per user: the server can't read
//! the client's file, and Dovecot 2.3.19 ignores `userFile` over HTTP. Rows are written
//! as each request answers, in a stable order. A server that is down stops the run at
//! its first failure (one error line, not one per user: see [`stops_asking`]).

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

use futures_util::stream::{self, StreamExt};
use serde_json::{Map, Value};

use super::{shards, Ctx};
use crate::cli::UserArgs;
use crate::error::Error;
use crate::output::{self, Row};
use crate::progress::Progress;
use crate::text;

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

/// The largest `-F` file read: ten million addresses fit; `-F /dev/zero` ends here.
pub const MAX_USER_FILE_BYTES: u64 = 256 << 20;

/// One user per line (`-`: standard input, as doveadm reads it); blank lines and `#`
/// comments are skipped.
pub fn read_user_file(path: &Path) -> Result<Vec<String>, Error> {
    use std::io::Read;
    let shown = crate::text::escape_message(&path.display().to_string()).into_owned();
    let mut buf = Vec::new();
    if path.as_os_str() == "-" {
        // Read once per process: under fan-out each server's dispatch resolves `-F`,
        // and only the first would find anything left on stdin.
        static STDIN: std::sync::OnceLock<Result<Vec<u8>, String>> = std::sync::OnceLock::new();
        let read = STDIN.get_or_init(|| {
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .take(MAX_USER_FILE_BYTES + 1)
                .read_to_end(&mut buf)
                .map(|_| buf)
                .map_err(|e| e.to_string())
        });
        match read {
            Ok(b) => buf.clone_from(b),
            Err(e) => return Err(Error::NoInput(format!("-F: cannot read `{shown}`: {e}"))),
        }
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_USER_FILE_BYTES + 1).read_to_end(&mut buf))
            .map_err(|e| Error::NoInput(format!("-F: cannot read `{shown}`: {e}")))?;
    }
    if buf.len() as u64 > MAX_USER_FILE_BYTES {
        return Err(Error::Usage(format!(
            "-F: `{shown}` is larger than {} MiB",
            MAX_USER_FILE_BYTES >> 20
        )));
    }
    let text = String::from_utf8(buf)
        .map_err(|_| Error::NoInput(format!("-F: `{shown}` is not UTF-8 text")))?;
    let users: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    if users.is_empty() {
        return Err(Error::Usage(format!(
            "-F: `{}` lists no users",
            path.display()
        )));
    }
    Ok(users)
}

/// One request of a mail command, borrowing from the user selection (a `-F` list of a
/// million users costs no copy of the parameters per user until it is sent).
enum Unit<'a> {
    /// `-u USER` or a user mask (the server adds `username` for a mask).
    One(&'a str),
    /// A user of `-F`: the server doesn't say whose rows they are, so `username` is added.
    Listed(&'a str),
    /// A user-mask shard of `-A`.
    Shard(String),
    /// `-A` as one request.
    All,
}

/// The requests of a user selection, how many run at once, and -A's user list.
type Plan<'u> = (Vec<Unit<'u>>, usize, Option<Vec<String>>);

/// Rows of -A shards put in the order of `users` (the userdb's, as doveadm's -A
/// prints them), each user's rows in the order they came; a row whose user is not in
/// the list (it was added between the listing and the request) goes last.
fn in_user_order(mut rows: Vec<Row>, users: &[String]) -> Vec<Row> {
    let rank: std::collections::HashMap<&str, usize> = users
        .iter()
        .enumerate()
        .rev()
        .map(|(i, u)| (u.as_str(), i))
        .collect();
    rows.sort_by_cached_key(|r| {
        r.get("username")
            .and_then(Value::as_str)
            .and_then(|u| rank.get(u).copied())
            .unwrap_or(usize::MAX)
    });
    rows
}

impl Unit<'_> {
    fn params(&self, base: &Map<String, Value>) -> Map<String, Value> {
        let mut p = base.clone();
        match self {
            Unit::One(u) | Unit::Listed(u) => p.insert("user".into(), Value::from(*u)),
            Unit::Shard(m) => p.insert("user".into(), Value::from(m.as_str())),
            Unit::All => p.insert("allUsers".into(), Value::Bool(true)),
        };
        p
    }

    /// The user (or shard) this request is for, bare.
    fn name(&self) -> String {
        match self {
            Unit::One(u) | Unit::Listed(u) => u.to_string(),
            Unit::Shard(m) => format!("shard {m}"),
            Unit::All => "all users".into(),
        }
    }

    fn label(&self) -> String {
        match self {
            Unit::One(u) | Unit::Listed(u) => format!("user `{u}`"),
            Unit::Shard(m) => format!("shard `{m}`"),
            Unit::All => "all users".into(),
        }
    }

    /// A row of this request, with `username` first when the server doesn't add it.
    fn label_row(&self, row: Row) -> Row {
        match self {
            Unit::Listed(user) => output::with_first("username", Value::from(*user), row),
            _ => row,
        }
    }
}

impl Ctx {
    /// Runs a mail command for the selected users and writes its rows as they arrive.
    pub async fn mail_emit(
        &self,
        command: &str,
        users: &Users,
        params: Map<String, Value>,
        columns: &[&str],
    ) -> Result<(), Error> {
        let mut sink = self.open_for(command, columns);
        let mut wrote = false;
        let result = self
            .mail_each(command, users, params, |row| {
                wrote = true;
                sink.row(&row).map_err(Error::from_write)
            })
            .await;
        // Rows that did arrive are written even when some requests failed; a failure
        // with no rows at all ends the output as doveadm does (titles, `[]`), unless
        // the server could not be asked at all (then stdout stays empty).
        if result.is_ok() || wrote || self.prints_on_failure(&result) {
            sink.finish().map_err(Error::from_write)?;
        }
        result
    }

    /// Runs a mail command for the selected users and returns all rows.
    pub async fn mail_rows(
        &self,
        command: &str,
        users: &Users,
        params: Map<String, Value>,
    ) -> Result<Vec<Row>, Error> {
        let mut all = Vec::new();
        self.mail_each(command, users, params, |row| {
            all.push(row);
            Ok(())
        })
        .await?;
        Ok(all)
    }

    /// Runs the requests of a mail command concurrently; hands over each one's rows in order.
    /// With several requests, a failure of one user (or shard) is one stderr line and
    /// the others still run; the exit code is the first failure's. A failure that is
    /// about the server (it is down, refuses the credentials, answers garbage: see
    /// [`stops_asking`]) stops asking it: requests already in flight finish,
    /// no new one is sent, and that failure is one line saying how many were not
    /// asked, and the exit code.
    pub async fn mail_each(
        &self,
        command: &str,
        users: &Users,
        params: Map<String, Value>,
        on_row: impl FnMut(Row) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.mail_each_noting(command, users, params, on_row, |_, _| {})
            .await
    }

    /// [`Ctx::mail_each`], also handing `on_fail` each failed user (or shard) of a run
    /// of several requests, with the error message as written on stderr (a monitoring
    /// format names them in its result). A failure of a single request is only the
    /// returned error.
    pub async fn mail_each_noting(
        &self,
        command: &str,
        users: &Users,
        params: Map<String, Value>,
        mut on_row: impl FnMut(Row) -> Result<(), Error>,
        mut on_fail: impl FnMut(&str, &str),
    ) -> Result<(), Error> {
        let (units, parallel, order) = self.plan(command, users).await?;
        // doveadm runs -A in the userdb's order; shards answer in name order. In
        // doveadm's formats the rows are held and put in the order of the user list
        // (the userdb's iteration, as `-A` walks it); rdoveadm's own formats stream.
        let order = order.filter(|_| output::is_doveadm(&self.settings.output));
        let mut held: Vec<Row> = Vec::new();
        if let [unit] = units.as_slice() {
            // One request: rows go out as they are parsed.
            let mut each = |row: Row| on_row(unit.label_row(row));
            return self
                .client()
                .await?
                .call_rows(command, &unit.params(&params), &mut each)
                .await;
        }
        let progress = Progress::new("requests", units.len());
        let stop = AtomicBool::new(false);
        let sent = AtomicUsize::new(0);
        let (params, stop_ref, sent_ref) = (&params, &stop, &sent);
        let mut results = stream::iter(units.iter().take_while(|_| !stop_ref.load(Relaxed)))
            .map(|u| async move {
                if stop_ref.load(Relaxed) {
                    return (u, None);
                }
                sent_ref.fetch_add(1, Relaxed);
                (u, Some(self.rows(command, &u.params(params)).await))
            })
            .buffered(parallel);
        let (mut done, mut count) = (0usize, 0usize);
        let mut first_error: Option<i32> = None;
        let mut fault: Option<(&Unit, Error)> = None;
        while let Some((unit, r)) = results.next().await {
            done += 1;
            match r {
                None => {}
                Some(Ok(rows)) => {
                    count += rows.len();
                    progress.clear();
                    for r in rows {
                        let r = unit.label_row(r);
                        if order.is_some() {
                            held.push(r);
                        } else {
                            on_row(r)?;
                        }
                    }
                }
                // Requests in flight when the server failed fail alike: the first
                // such failure speaks for them.
                Some(Err(e)) if stops_asking(&e) => {
                    stop.store(true, Relaxed);
                    fault.get_or_insert((unit, e));
                }
                Some(Err(e)) => {
                    progress.clear();
                    self.say("error", &format!("{}: {e}", unit.label()));
                    on_fail(&unit.name(), &e.to_string());
                    first_error.get_or_insert(e.exit_code());
                }
            }
            progress.update(done, count);
        }
        progress.clear();
        if let Some(order) = &order {
            for row in in_user_order(std::mem::take(&mut held), order) {
                on_row(row)?;
            }
        }
        if let Some((unit, e)) = fault {
            let not_asked = units.len().saturating_sub(sent.load(Relaxed));
            let noun = match users {
                Users::List(..) => "users",
                _ => "shards",
            };
            let rest = if not_asked == 0 {
                String::new()
            } else {
                format!("; stopped: {not_asked} of {} {noun} not asked", units.len())
            };
            self.say("error", &format!("{}: {e}{rest}", unit.label()));
            on_fail(&unit.name(), &format!("{e}{rest}"));
            return Err(Error::Silent(e.exit_code()));
        }
        match first_error {
            Some(code) => Err(Error::Silent(code)),
            None => Ok(()),
        }
    }

    /// One `rdoveadm: LEVEL:` line on stderr, naming the server in a fan-out (where
    /// the line would otherwise not say which server it is about), made safe to show.
    fn say(&self, level: &str, message: &str) {
        let server = match (&self.capture, self.settings.targets.first()) {
            (Some(_), Some(t)) => format!("server `{}`: ", t.name),
            _ => String::new(),
        };
        eprintln!(
            "rdoveadm: {level}: {}",
            text::message_line(&format!("{server}{message}"))
        );
    }

    /// The requests for a user selection, how many may run at once, and for `-A`
    /// split into shards the user list (in the userdb's order) the shards came from.
    async fn plan<'u>(&self, command: &str, users: &'u Users) -> Result<Plan<'u>, Error> {
        match users {
            Users::One(u) => Ok((vec![Unit::One(u)], 1, None)),
            Users::List(list, parallel) => Ok((
                list.iter().map(|u| Unit::Listed(u)).collect(),
                *parallel,
                None,
            )),
            Users::All(parallel) => {
                if *parallel <= 1 {
                    return Ok((vec![Unit::All], 1, None));
                }
                match self.list_users().await {
                    Ok(list) if list.len() > 1 => {
                        let units = shards::shard_masks(&list, *parallel)
                            .into_iter()
                            .map(Unit::Shard)
                            .collect();
                        Ok((units, *parallel, Some(list)))
                    }
                    Ok(_) => Ok((vec![Unit::All], 1, None)),
                    // The server is down or refuses us: `-A` would fail alike.
                    Err(e) if unreachable(&e) => Err(e),
                    Err(e) => {
                        self.say(
                            "note",
                            &format!(
                                "cannot list the users to split -A ({}); running `{command}` as one -A request",
                                e.to_string().trim()
                            ),
                        );
                        Ok((vec![Unit::All], 1, None))
                    }
                }
            }
        }
    }

    /// Every user of the userdb (`user` with mask `*`), when it can iterate.
    pub async fn list_users(&self) -> Result<Vec<String>, Error> {
        let p = super::params([("userMask", serde_json::json!(["*"]))]);
        let reply = self.client().await?.call("user", &p).await?;
        match reply.get("userList").and_then(Value::as_array) {
            Some(list) => Ok(list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()),
            None => Err(Error::Protocol(
                "`user *` did not return a user list".into(),
            )),
        }
    }
}

/// Whether a failure is about the server or the way to it rather than the request:
/// it is down or refuses the connection (also a timeout), rejects the credentials,
/// is configured wrong here, or answers with an HTTP error. Asking it again fails alike.
pub fn unreachable(e: &Error) -> bool {
    match e {
        Error::Unavailable(_) | Error::Auth { .. } | Error::Config(_) => true,
        Error::Certificate(_) | Error::NoReply { .. } => true,
        Error::Http { status, .. } => !matches!(status, 400 | 413),
        _ => false,
    }
}

/// Whether a failure of one request (one user of `-F`, one shard of `-A`) stops asking
/// that server for the rest: [`unreachable()`], a reply that is not the doveadm API's,
/// or a command or parameter the server rejects (the same for every user). A user
/// the server doesn't know (67), a mailbox not found (68) and the like are about that
/// user: the others are still asked.
pub fn stops_asking(e: &Error) -> bool {
    unreachable(e)
        || matches!(
            e,
            Error::Protocol(_)
                | Error::Http { status: 400, .. }
                | Error::NotAllowed(_)
                | Error::UnknownMethod(_)
                | Error::InvalidRequest(_)
                | Error::Usage(_)
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_rows_go_in_the_user_list_s_order() {
        let row = |u: &str, n: u32| {
            let mut r = Row::new();
            r.insert("username".into(), Value::from(u));
            r.insert("n".into(), Value::from(n));
            r
        };
        // Shards answer in name order; the userdb lists bob before alice.
        let got = in_user_order(
            vec![
                row("alice", 1),
                row("alice", 2),
                row("new", 5),
                row("bob", 3),
            ],
            &["bob".into(), "alice".into()],
        );
        let order: Vec<(String, u64)> = got
            .iter()
            .map(|r| {
                (
                    r["username"].as_str().unwrap().into(),
                    r["n"].as_u64().unwrap(),
                )
            })
            .collect();
        let want = [("bob", 3), ("alice", 1), ("alice", 2), ("new", 5)];
        assert_eq!(order, want.map(|(u, n)| (u.to_string(), n)));
    }

    #[test]
    fn server_failures_stop_user_failures_do_not() {
        let http = |status| Error::Http {
            status,
            detail: String::new(),
        };
        let auth = Error::Auth {
            status: 401,
            hint: String::new(),
        };
        for e in [
            Error::Unavailable("refused".into()),
            auth,
            Error::Config("bad".into()),
            Error::Protocol("garbage".into()),
            http(500),
            http(503),
            http(404),
            http(400),
            Error::NotAllowed("x".into()),
            Error::UnknownMethod("x".into()),
        ] {
            assert!(stops_asking(&e), "{e:?}");
        }
        for e in [
            Error::Server {
                command: "quotaGet".into(),
                code: 67,
            },
            Error::Server {
                command: "quotaGet".into(),
                code: 75,
            },
            Error::NotFound("x".into()),
            Error::Internal("x".into()),
            http(413),
        ] {
            assert!(!stops_asking(&e), "{e:?}");
        }
        // Listing users for -A: a server that is down fails; one that can't list or
        // doesn't allow `user` falls back to one -A request.
        assert!(unreachable(&Error::Unavailable("x".into())));
        assert!(!unreachable(&Error::NotAllowed("user".into())));
        assert!(!unreachable(&Error::Protocol("no user list".into())));
    }
}
