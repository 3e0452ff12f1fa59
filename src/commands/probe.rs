//! `probe`: check IMAP/POP3 servers from the outside. Glue: resolve the options,
//! run [`crate::probe`], print one row per port, exit with the verdict.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Ctx;
use crate::cli::probe::{ProbeArgs, ProbeService};
use crate::cli::Format;
use crate::error::Error;
use crate::monitor;
use crate::probe::{self, tls::TlsSetup, Options, Report, Service, State, Target};

pub const DEFAULT_TIMEOUT_SECS: f64 = 10.0;
/// `--crit-days` when not given (lowered to `--warn-days` when that is less).
pub const DEFAULT_CRIT_DAYS: u32 = 7;

/// `--crit-days`: as given, else [`DEFAULT_CRIT_DAYS`] but never above `--warn-days`.
/// Only two given values can contradict each other.
pub fn crit_days(warn: u32, crit: Option<u32>) -> Result<u32, Error> {
    match crit {
        Some(c) if c > warn => Err(Error::Usage(format!(
            "probe: --crit-days {c} is more than --warn-days {warn}"
        ))),
        Some(c) => Ok(c),
        None => Ok(DEFAULT_CRIT_DAYS.min(warn)),
    }
}

pub async fn run(ctx: &Ctx, args: &ProbeArgs) -> Result<(), Error> {
    let opts = Arc::new(options(args)?);
    let targets = targets(args)?;
    let started = Instant::now();
    let reports = probe::probe_all(targets, opts).await;
    let now = probe::tls::now_unix();
    if ctx.settings.debug {
        for r in &reports {
            debug(r);
        }
    }
    match ctx.settings.output.format {
        Format::Nagios => {
            let days = monitor::probe::Days {
                warn: i64::from(args.warn_days),
                crit: i64::from(crit_days(args.warn_days, args.crit_days)?),
            };
            // The state is the exit code (decided in `crate::run`).
            return ctx.emit(&[], &[monitor::probe::nagios(&reports, days, now)]);
        }
        Format::Openmetrics => return ctx.emit(&[], &monitor::probe::openmetrics(&reports)),
        _ => {}
    }
    let rows: Vec<_> = reports.iter().map(|r| r.to_row(now)).collect();
    ctx.emit(probe::COLUMNS, &rows)?;
    if std::io::stderr().is_terminal() {
        eprintln!("{}", summary(&reports, started.elapsed()));
    }
    match probe::exit_code(&reports) {
        0 => Ok(()),
        c => Err(Error::Silent(c)),
    }
}

fn options(args: &ProbeArgs) -> Result<Options, Error> {
    crit_days(args.warn_days, args.crit_days)?;
    let secs = args.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS);
    // Unlike the API commands, 0 does not mean "forever": a probe must always end.
    if !secs.is_finite() || secs <= 0.0 {
        return Err(Error::Usage(format!(
            "probe: --timeout: `{secs}` must be more than 0 seconds"
        )));
    }
    let pem = match &args.cacert {
        Some(p) => Some(std::fs::read(p).map_err(|e| {
            Error::NoInput(format!("--cacert: cannot read `{}`: {e}", p.display()))
        })?),
        None => None,
    };
    let tls = TlsSetup::new(pem.as_deref()).map_err(|e| {
        Error::Config(format!(
            "--cacert: `{}`: {e}",
            args.cacert.as_deref().unwrap_or("".as_ref()).display()
        ))
    })?;
    Ok(Options {
        timeout: Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX),
        servername: args.servername.clone(),
        warn_days: i64::from(args.warn_days),
        source: args.source,
        tls,
    })
}

fn targets(args: &ProbeArgs) -> Result<Vec<Target>, Error> {
    super::require_non_blank("probe: HOST", &args.hosts)?;
    let all = [
        (ProbeService::Imap, Service::Imap, args.imap),
        (ProbeService::Imaps, Service::Imaps, args.imaps),
        (ProbeService::Pop3, Service::Pop3, args.pop3),
        (ProbeService::Pop3s, Service::Pop3s, args.pop3s),
    ];
    let mut out = Vec::new();
    for host in &args.hosts {
        for (wanted, service, port) in all {
            if args.only.is_empty() || args.only.contains(&wanted) {
                out.push(Target {
                    host: host.clone(),
                    port,
                    service,
                });
            }
        }
    }
    Ok(out)
}

/// `-D`: what the rows leave out (greeting, capabilities, SANs) on stderr.
fn debug(r: &Report) {
    for l in debug_lines(r) {
        eprintln!("{l}");
    }
}

/// The `-D` lines for one port. The greeting, capabilities and SANs are the probed
/// host's words: escaped and bounded, one line each.
fn debug_lines(r: &Report) -> Vec<String> {
    let caps = |c: &Option<Vec<String>>| {
        c.as_ref()
            .map(|c| c.join(" "))
            .unwrap_or_else(|| "-".into())
    };
    let at = format!("{}:{} {}", r.host, r.port, r.service.name());
    let mut lines = vec![
        format!("rdoveadm: debug: {at}: greeting: {}", r.greeting),
        format!(
            "rdoveadm: debug: {at}: capabilities before TLS: {}",
            caps(&r.caps_before_tls)
        ),
        format!(
            "rdoveadm: debug: {at}: capabilities over TLS: {}",
            caps(&r.caps_after_tls)
        ),
    ];
    if let Some(cert) = r.tls_info.as_ref().and_then(|i| i.cert.as_ref()) {
        lines.push(format!(
            "rdoveadm: debug: {at}: certificate SAN: {}",
            cert.sans.join(", ")
        ));
    }
    lines.iter().map(|l| crate::text::message_line(l)).collect()
}

/// One line for people watching: how many ports are fine.
fn summary(reports: &[Report], took: Duration) -> String {
    let hosts = {
        let mut h: Vec<&str> = reports.iter().map(|r| r.host.as_str()).collect();
        h.dedup();
        h.len()
    };
    let ok = reports.iter().filter(|r| r.problems.is_empty()).count();
    let down = reports.iter().filter(|r| r.state != State::Open).count();
    let with_problems = reports.len().saturating_sub(ok).saturating_sub(down);
    format!(
        "probe: {} port(s) on {hosts} host(s) in {:.1}s: {ok} ok, {with_problems} with problems, {down} not reachable",
        reports.len(),
        took.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crit_days_defaults_to_seven_or_warn_days_and_only_two_given_values_conflict() {
        assert_eq!(crit_days(14, None).unwrap(), 7);
        assert_eq!(crit_days(3, None).unwrap(), 3);
        assert_eq!(crit_days(0, None).unwrap(), 0);
        assert_eq!(crit_days(3, Some(2)).unwrap(), 2);
        assert!(matches!(crit_days(3, Some(5)), Err(Error::Usage(_))));
    }

    #[test]
    fn a_hostile_greeting_is_one_visible_line_in_debug() {
        let mut r = Report::new(&Target {
            host: "h".into(),
            port: 143,
            service: Service::Imap,
        });
        r.greeting = format!("* OK \u{1b}]0;pwned\u{7}\u{9b}2J\r\n{}", "x".repeat(70_000));
        r.caps_before_tls = Some(vec!["IMAP4rev1".into(), "\u{202e}X".into()]);
        let lines = debug_lines(&r);
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with(
            "rdoveadm: debug: h:143 imap: greeting: * OK \\x1b]0;pwned\\x07\\u{009b}2J\\r\\nxxx"
        ));
        assert!(lines[0].chars().count() < 2100, "{}", lines[0].len());
        assert!(lines[1].ends_with("IMAP4rev1 \\u{202e}X"));
        for l in lines {
            assert!(!l.chars().any(crate::text::is_unsafe), "{l:?}");
        }
    }
}
