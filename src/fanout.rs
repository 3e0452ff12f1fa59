//! Fan-out: one command against several servers at once. Each server gets its own
//! connection and timeout, and by default every selected server is asked at once,
//! within the open-file limit ([`concurrency`]; `--concurrency N` caps it).
//!
//! Rows get a leading `server` field. In `tab`, `flow`, `json` and `jsonl` each
//! server's rows are written (and flushed) as soon as that server has answered, so a
//! slow or hung server holds back nobody; `table` (which needs every row for its
//! widths) and `--ordered` write them in server order instead. A server holds only its
//! own rows, until they are written. In `tab` the header is fixed when the first server
//! with rows answers: `server`, the command's columns, then any other field of that
//! server's rows (a field that only later servers send is left out).
//!
//! When some servers fail, the others' rows are still written, each failed server is
//! one stderr line naming it, and the exit code is that of the first failed server in
//! the order the servers were named, whatever order they answered in and in every
//! format. A server that is down is one line, also for a command of many requests
//! (`-F`, `-A`): the requests to it stop at the first failure that is about the server
//! ([`crate::commands::users::stops_asking`]).

use futures_util::stream::{self, Stream, StreamExt};
use futures_util::FutureExt;
use serde_json::Value;

use crate::cli::{Command, Format};
use crate::commands::{users, Captured, Ctx};
use crate::error::Error;
use crate::output::{self, RowSink};
use crate::settings::{OutputSettings, Settings};
use crate::text;

/// File descriptors kept free for everything but the servers' connections (stdio, the
/// runtime, a config or password file, a `password_command`'s pipes).
pub const RESERVED_FDS: u64 = 64;

pub async fn run(settings: &Settings, command: &Command) -> Result<(), Error> {
    let total = settings.targets.len();
    let at_once = concurrency(settings, command, raise_fd_limit());
    let ordered = settings.ordered || settings.output.format == Format::Table;
    let asks = stream::iter(settings.targets.iter().enumerate()).map(|(index, t)| {
        // Made when the server is asked, not before: memory follows what is in flight.
        let ctx = Ctx::capturing(settings.for_target(t));
        async move {
            let result = crate::dispatch(&ctx, command).await;
            (index, ctx.take_captured(), result)
        }
    });
    let mut answers: std::pin::Pin<Box<dyn Stream<Item = _>>> = if ordered {
        Box::pin(asks.buffered(at_once))
    } else {
        Box::pin(asks.buffer_unordered(at_once))
    };
    let mut out = Merged::new(&settings.output, !ordered);
    // (index in server order, exit code) of the first failed server in that order.
    let mut first_failure: Option<(usize, i32)> = None;
    let mut done = 0usize;
    let mut answered = false;
    let progress = crate::progress::Progress::new("servers", total);
    let mut next = answers.next().await;
    while let Some((index, captured, result)) = next {
        done += 1;
        let name = settings.targets.get(index).map_or("?", |t| t.name.as_str());
        progress.clear();
        answered |= result.is_ok() && captured.opened;
        out.add(name, captured)?;
        if let Err(e) = result {
            if !matches!(e, Error::Silent(_)) {
                eprintln!(
                    "rdoveadm: error: {}",
                    text::message_line(&format!("server `{name}`: {e}"))
                );
            }
            if first_failure.map_or(true, |(i, _)| index < i) {
                first_failure = Some((index, e.exit_code()));
            }
        }
        // Answers that are already in are written together, then flushed once: rows are
        // out as soon as their server answered, with one write per batch, not per server.
        next = match answers.next().now_or_never() {
            Some(answer) => answer,
            None => {
                out.flush()?;
                // Drawn after the rows: output written under it would share its line.
                progress.update(done, out.rows);
                answers.next().await
            }
        };
    }
    progress.clear();
    out.finish(answered)?;
    match first_failure {
        Some((_, code)) if code != 0 => Err(Error::Silent(code)),
        _ => Ok(()),
    }
}

/// How many servers are asked at once: all of them, at most the open-file bound
/// `(fd_limit - RESERVED_FDS) / connections per server` (at least 1), and at most
/// `--concurrency`.
pub fn concurrency(settings: &Settings, command: &Command, fd_limit: u64) -> usize {
    at_once(
        settings.targets.len(),
        settings.concurrency,
        connections_per_server(command),
        fd_limit,
    )
}

/// [`concurrency`] for `servers` servers, a `--concurrency` cap, and the connections
/// one server may have open.
fn at_once(servers: usize, cap: Option<usize>, per_server: u64, fd_limit: u64) -> usize {
    let bound = (fd_limit.saturating_sub(RESERVED_FDS) / per_server.max(1)).max(1);
    let bound = usize::try_from(bound).unwrap_or(usize::MAX);
    let all = servers.min(bound);
    cap.map_or(all, |n| n.min(all)).max(1)
}

/// Connections one server may have open at once: `--parallel` (default 8) for a mail
/// command with `-A` or `-F`, else 1 (its requests run one after another).
fn connections_per_server(command: &Command) -> u64 {
    match command.user_args() {
        Some(u) if u.all_users || u.user_file.is_some() => u
            .parallel
            .map_or(users::DEFAULT_PARALLEL as u64, u64::from)
            .max(1),
        _ => 1,
    }
}

/// Raises the soft open-file limit (RLIMIT_NOFILE) to the hard limit, so that a fleet
/// of servers can be asked at once; returns the soft limit in effect.
pub fn raise_fd_limit() -> u64 {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } != 0 {
        return 1024;
    }
    if r.rlim_cur < r.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: r.rlim_max,
            rlim_max: r.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct it is given. It may refuse (e.g. an
        // unlimited hard limit above the kernel's nr_open): the soft limit stays.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return r.rlim_max;
        }
    }
    r.rlim_cur
}

/// The merged output: one sink, opened when the first server with rows (or with the
/// command's columns: it answered, with no rows) is written. `streaming`: flushed
/// whenever no other answer is waiting, so each server's rows are out at once.
struct Merged<'a> {
    settings: &'a OutputSettings,
    sink: Option<Box<dyn RowSink + 'a>>,
    streaming: bool,
    rows: usize,
}

impl<'a> Merged<'a> {
    fn new(settings: &'a OutputSettings, streaming: bool) -> Self {
        Merged {
            settings,
            sink: None,
            streaming,
            rows: 0,
        }
    }

    /// Writes one server's rows, each with `server` first.
    fn add(&mut self, server: &str, captured: Captured) -> Result<(), Error> {
        // A server that failed before writing anything has no columns and no rows:
        // it must not fix the header.
        if self.sink.is_none() && captured.columns.is_empty() && captured.rows.is_empty() {
            return Ok(());
        }
        let settings = self.settings;
        let s = self.sink.get_or_insert_with(|| {
            let cols: Vec<&str> = captured.columns.iter().map(String::as_str).collect();
            let w = std::io::BufWriter::new(std::io::stdout().lock());
            match &captured.api {
                // A doveadm command: its titles (of the first server's version) and format.
                Some(api) => output::sink_for_servers(
                    settings,
                    api,
                    captured.version.unwrap_or(output::doveadm::Version::V23),
                    &cols,
                    Box::new(w),
                ),
                None => {
                    let mut all = vec!["server"];
                    all.extend(cols.into_iter().filter(|c| *c != "server"));
                    output::sink(settings, &all, Box::new(w))
                }
            }
        });
        for row in captured.rows {
            let row = output::with_first("server", Value::String(server.to_string()), row);
            s.row(&row).map_err(Error::from_write)?;
            self.rows += 1;
        }
        Ok(())
    }

    /// When streaming, writes out what was given so far.
    fn flush(&mut self) -> Result<(), Error> {
        match self.sink.as_mut() {
            Some(s) if self.streaming => s.flush().map_err(Error::from_write),
            _ => Ok(()),
        }
    }

    /// Ends the output. When no server gave columns or rows but one answered with an
    /// empty result, the sink is opened now, so the output is whole (`# EOF`, `[]`) as
    /// with one server.
    fn finish(&mut self, answered: bool) -> Result<(), Error> {
        if self.sink.is_none() && answered {
            let w = std::io::BufWriter::new(std::io::stdout().lock());
            self.sink = Some(output::sink(self.settings, &["server"], Box::new(w)));
        }
        match self.sink.as_mut() {
            Some(s) => s.finish().map_err(Error::from_write),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_server_at_once_within_the_open_file_limit() {
        // All at once when the limit allows; --concurrency caps.
        assert_eq!(at_once(1000, None, 1, 20_000), 1000);
        assert_eq!(at_once(1000, Some(50), 1, 20_000), 50);
        assert_eq!(at_once(3, Some(50), 1, 20_000), 3);
        // (limit - 64) / connections per server: 1024 -> 960 servers, or 120 with -A x 8.
        assert_eq!(at_once(5000, None, 1, 1024), 960);
        assert_eq!(at_once(5000, None, 8, 1024), 120);
        assert_eq!(at_once(5000, Some(2000), 1, 1024), 960);
        // Never 0, whatever the limit.
        assert_eq!(at_once(10, None, 8, 10), 1);
        assert_eq!(at_once(10, None, 0, u64::MAX), 10);
        assert!(raise_fd_limit() >= 1);
    }
}
