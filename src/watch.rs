//! `who --watch`: redraw the (possibly merged) `who` output until interrupted.

use crate::cli::Command;
use crate::commands::Ctx;
use crate::error::{Error, Report};
use crate::settings::Settings;
use crate::{dispatch, fanout};

/// `who --watch`: clear the screen and redraw every `secs` seconds until Ctrl-C.
pub async fn run(settings: &Settings, command: &Command, secs: f64) -> Result<(), Error> {
    if !secs.is_finite() || secs < 0.1 {
        return Err(Error::Usage(format!(
            "--watch: `{secs}` must be at least 0.1 seconds"
        )));
    }
    // Listen for Ctrl-C from the start, so an interrupt during a refresh also ends cleanly.
    let mut interrupt =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
            .map_err(|e| Error::Unavailable(format!("--watch: cannot listen for Ctrl-C: {e}")))?;
    loop {
        {
            use std::io::Write;
            let mut o = std::io::stdout().lock();
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            write!(o, "\x1b[H\x1b[2J")
                .and_then(|_| {
                    writeln!(
                        o,
                        "Every {secs} s: rdoveadm who (Unix time {now}); Ctrl-C to stop"
                    )
                })
                .map_err(Error::from_write)?;
        }
        let once = async {
            if settings.targets.len() > 1 {
                fanout::run(settings, command).await
            } else {
                dispatch(&Ctx::new(settings.clone()), command).await
            }
        };
        let result = tokio::select! {
            r = once => r,
            _ = interrupt.recv() => return Ok(()),
        };
        if let Err(e) = result {
            if matches!(e, Error::BrokenPipe) {
                return Err(e);
            }
            if !matches!(e, Error::Silent(_)) {
                eprintln!("{}", crate::text::message_line(&Report(&e).to_string()));
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::try_from_secs_f64(secs).unwrap_or(std::time::Duration::MAX)) => {}
            _ = interrupt.recv() => return Ok(()),
        }
    }
}
