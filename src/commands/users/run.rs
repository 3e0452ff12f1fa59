//! Running the requests of a user selection against one server: concurrently, rows
//! handed over in a stable order, a failure of one user (or shard) reported and the
//! others still asked, a failure of the server stopping the run (see [`stops_asking`]).
//! Separate from `plan.rs`: how the asking goes, not what to ask.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

use futures_util::stream::{self, StreamExt};
use serde_json::{Map, Value};

use super::plan::{in_user_order, Unit};
use super::{stops_asking, Users};
use crate::commands::Ctx;
use crate::error::Error;
use crate::output::{self, Row};
use crate::progress::Progress;
use crate::text;

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
    pub(super) fn say(&self, level: &str, message: &str) {
        let server = match (&self.capture, self.settings.targets.first()) {
            (Some(_), Some(t)) => format!("server `{}`: ", t.name),
            _ => String::new(),
        };
        eprintln!(
            "rdoveadm: {level}: {}",
            text::message_line(&format!("{server}{message}"))
        );
    }
}
