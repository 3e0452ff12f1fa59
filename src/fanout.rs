//! Fan-out: one command against several servers at once. Each server gets its own
//! connection and timeout; requests run concurrently (`--concurrency`). Rows are
//! merged with a leading `server` column, in server order and then each server's own
//! row order, and written as soon as the servers before them have answered.
//!
//! When some servers fail, the others' rows are still printed, each failure is one
//! stderr line naming the server, and the exit code is that of the first failing
//! server in server order. A server that is down is one line, also for a command of
//! many requests (`-F`, `-A`): the requests to it stop at the first failure that is
//! about the server ([`stops_asking`]).

use futures_util::stream::{self, StreamExt};
use serde_json::Value;

use crate::cli::Command;
use crate::commands::Ctx;
use crate::error::Error;
use crate::output;
use crate::settings::Settings;
use crate::text;

pub async fn run(settings: &Settings, command: &Command) -> Result<(), Error> {
    let total = settings.targets.len();
    let mut results = stream::iter(settings.targets.iter())
        .map(|t| {
            let ctx = Ctx::capturing(settings.for_target(t));
            async move {
                let r = crate::dispatch(&ctx, command).await;
                (t.name.clone(), ctx.take_captured(), r)
            }
        })
        .buffered(settings.concurrency);
    let stdout = std::io::stdout();
    let mut sink: Option<Box<dyn output::RowSink>> = None;
    let mut first_failure: Option<i32> = None;
    let mut done = 0usize;
    let progress = crate::progress::Progress::new("servers", total);
    let mut row_count = 0usize;
    while let Some((name, captured, result)) = results.next().await {
        done += 1;
        let s = sink.get_or_insert_with(|| {
            let mut cols: Vec<&str> = vec!["server"];
            cols.extend(
                captured
                    .columns
                    .iter()
                    .map(String::as_str)
                    .filter(|c| *c != "server"),
            );
            let w = std::io::BufWriter::new(stdout.lock());
            output::sink(&settings.output, &cols, Box::new(w))
        });
        for row in captured.rows {
            let row = output::with_first("server", Value::String(name.clone()), row);
            s.row(&row).map_err(Error::from_write)?;
            row_count += 1;
        }
        if let Err(e) = result {
            if !matches!(e, Error::Silent(_)) {
                progress.clear();
                eprintln!(
                    "rdoveadm: error: {}",
                    text::escape_message(&format!("server `{name}`: {e}"))
                );
            }
            first_failure.get_or_insert(e.exit_code());
        }
        progress.update(done, row_count);
    }
    progress.clear();
    if let Some(s) = sink.as_mut() {
        s.finish().map_err(Error::from_write)?;
    }
    match first_failure {
        Some(code) if code != 0 => Err(Error::Silent(code)),
        _ => Ok(()),
    }
}

/// Whether a failure is about the server or the way to it rather than the request:
/// it is down or refuses the connection (also a timeout), rejects the credentials,
/// is configured wrong here, or answers with an HTTP error. Asking it again fails alike.
pub fn unreachable(e: &Error) -> bool {
    match e {
        Error::Unavailable(_) | Error::Auth { .. } | Error::Config(_) => true,
        Error::Http { status, .. } => !matches!(status, 400 | 413),
        _ => false,
    }
}

/// Whether a failure of one request (one user of `-F`, one shard of `-A`) stops asking
/// that server for the rest: [`unreachable`], a reply that is not the doveadm API's,
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

#[cfg(test)]
mod tests {
    use super::*;

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
