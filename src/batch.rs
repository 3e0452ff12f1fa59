//! `batch`: one rdoveadm command per line, run in order. Each line's rows are merged
//! into one output with a leading `line` column (json: one object per line with its
//! rows and exit code). The exit code is the highest of the lines'.
//!
//! Dovecot closes the HTTP connection after every request (`Connection: close`), so
//! there is no keep-alive to reuse; lines for the same server share nothing else either.

use std::io::{BufRead, Write};

use clap::Parser;
use serde_json::{json, Value};

use crate::cli::{BatchArgs, Cli, Command, Format, GlobalArgs};
use crate::commands::Ctx;
use crate::error::Error;
use crate::output::{self, Row};
use crate::settings::{ProcessEnv, Settings, Terminal};

pub async fn run(batch_global: &GlobalArgs, term: Terminal, args: &BatchArgs) -> Result<(), Error> {
    let lines = read_lines(args)?;
    let out_settings = Settings::resolve_output(batch_global, &ProcessEnv, term);
    let stdout = std::io::stdout();
    let json_array = out_settings.format == Format::Json;
    let mut sink = (!json_array).then(|| {
        output::sink(
            &out_settings,
            &["line"],
            Box::new(std::io::BufWriter::new(stdout.lock())),
        )
    });
    let mut json_out = std::io::BufWriter::new(std::io::stdout());
    let mut worst = 0;
    let mut first = true;
    if json_array {
        json_out.write_all(b"[").map_err(Error::from_write)?;
    }
    for (n, text) in lines {
        let (rows, code) = run_line(batch_global, term, n, &text).await;
        worst = worst.max(code);
        if json_array {
            let obj = json!({"line": n, "rows": rows, "exitCode": code});
            if !first {
                json_out.write_all(b",\n").map_err(Error::from_write)?;
            }
            first = false;
            output::write_json(&mut json_out, &obj).map_err(Error::from_write)?;
        } else if let Some(s) = sink.as_mut() {
            for r in rows {
                let row = output::with_first("line", Value::from(n), r);
                s.row(&row).map_err(Error::from_write)?;
            }
        }
    }
    if json_array {
        json_out
            .write_all(b"]\n")
            .and_then(|_| json_out.flush())
            .map_err(Error::from_write)?;
    }
    if let Some(s) = sink.as_mut() {
        s.finish().map_err(Error::from_write)?;
    }
    if worst == 0 {
        Ok(())
    } else {
        Err(Error::Silent(worst))
    }
}

/// Runs one line; returns its rows and exit code (errors are printed, naming the line).
async fn run_line(
    batch_global: &GlobalArgs,
    term: Terminal,
    n: usize,
    text: &str,
) -> (Vec<Row>, i32) {
    let fail = |e: Error| {
        eprintln!("{}", line_error(n, &e));
        (Vec::new(), e.exit_code())
    };
    let Some(words) = shlex::split(text) else {
        return fail(Error::Usage(format!(
            "cannot split `{}`: unbalanced quotes",
            crate::secret::redact_urls_in(text)
        )));
    };
    let argv: Vec<String> = std::iter::once("rdoveadm".to_string())
        .chain(words)
        .collect();
    // The line is read as a command line is: doveadm's syntax routed first.
    let argv = match crate::doveadm::argv::route(
        &argv,
        &crate::cli_command(),
        crate::default_user().as_deref(),
    ) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let mut cli = match Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => return fail(Error::Usage(crate::cli::one_line_error(&e))),
    };
    if matches!(cli.command, Command::Batch(_)) {
        return fail(Error::Usage("batch inside batch is not allowed".into()));
    }
    cli.merge_short_options();
    let global = cli.global.or(batch_global);
    let settings = match Settings::resolve(&global, &ProcessEnv, term) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if settings.targets.len() > 1 {
        return fail(Error::Usage(
            "several servers in one batch line: use one server per line".into(),
        ));
    }
    if crate::monitor::active(&settings.output) {
        return fail(Error::Usage(
            "-f nagios/openmetrics: not in a batch line".into(),
        ));
    }
    let ctx = Ctx::capturing(settings);
    let result = crate::dispatch(&ctx, &cli.command).await;
    let rows = ctx.take_captured().rows;
    match result {
        Ok(()) => (rows, 0),
        Err(Error::Silent(c)) => (rows, c),
        Err(e) => {
            eprintln!("{}", line_error(n, &e));
            (rows, e.exit_code())
        }
    }
}

/// A failing line's one stderr line (escaped and bounded: it may quote the server).
fn line_error(n: usize, e: &Error) -> String {
    crate::text::message_line(&format!("rdoveadm: error: line {n}: {e}"))
}

fn read_lines(args: &BatchArgs) -> Result<Vec<(usize, String)>, Error> {
    use std::io::Read;
    // Bounded like -F: a batch file of /dev/zero (one endless line) ends, not memory.
    const MAX_BATCH_BYTES: u64 = 64 << 20;
    let reader: Box<dyn BufRead> = match &args.file {
        Some(p) if p.as_os_str() != "-" => Box::new(std::io::BufReader::new(
            std::fs::File::open(p)
                .map_err(|e| {
                    Error::NoInput(format!(
                        "batch: cannot read `{}`: {e}",
                        crate::text::escape_message(&p.display().to_string())
                    ))
                })?
                .take(MAX_BATCH_BYTES + 1),
        )),
        _ => Box::new(std::io::BufReader::new(
            std::io::stdin().take(MAX_BATCH_BYTES + 1),
        )),
    };
    let mut total: u64 = 0;
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line =
            line.map_err(|e| Error::NoInput(format!("batch: cannot read line {}: {e}", i + 1)))?;
        total = total.saturating_add(line.len() as u64 + 1);
        if total > MAX_BATCH_BYTES {
            return Err(Error::Usage(format!(
                "batch: the input is larger than {} MiB",
                MAX_BATCH_BYTES >> 20
            )));
        }
        let t = line.trim();
        if !t.is_empty() && !t.starts_with('#') {
            out.push((i + 1, t.to_string()));
        }
    }
    Ok(out)
}
