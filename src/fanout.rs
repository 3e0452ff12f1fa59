//! Fan-out: one command against several servers at once. Each server gets its own
//! connection and timeout; requests run concurrently (`--concurrency`). Rows are
//! merged with a leading `server` column, in server order and then each server's own
//! row order, and written as soon as the servers before them have answered.
//!
//! When some servers fail, the others' rows are still printed, each failure is one
//! stderr line naming the server, and the exit code is that of the first failing
//! server in server order. A server that is down is one line, also for a command of
//! many requests (`-F`, `-A`): the requests to it stop at the first failure that is
//! about the server ([`crate::commands::users::stops_asking`]).

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
