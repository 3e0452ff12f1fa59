//! Monitoring output: `-f nagios` (a monitoring-plugin result), `-f openmetrics` (the
//! Prometheus text exposition) and `--typed` JSON. Commands turn their results into
//! check rows ([`nagios::check`]) or sample rows ([`openmetrics::sample`]); the sinks
//! here render them. Both are plain rows, so a fan-out adds its `server` field as for
//! any row: it becomes a perfdata prefix (nagios, the worst state wins) or a `server`
//! label (openmetrics).

pub mod nagios;
pub mod openmetrics;
pub mod probe;
pub mod quota;
pub mod typed;
pub mod who;

use crate::cli::{Command, Format, QuotaCommand};
use crate::error::Error;
use crate::settings::OutputSettings;

/// Whether the format is one of the monitoring formats.
pub fn active(output: &OutputSettings) -> bool {
    matches!(output.format, Format::Nagios | Format::Openmetrics)
}

/// The commands that speak the monitoring formats; the others are refused up front
/// (a usage error, which `-f nagios` reports as UNKNOWN).
pub fn check_supported(format: Format, command: &Command) -> Result<(), Error> {
    if !matches!(format, Format::Nagios | Format::Openmetrics) {
        return Ok(());
    }
    let ok = match command {
        Command::Probe(_) | Command::Quota(QuotaCommand::Get(_)) => true,
        Command::Who(w) => w.watch.is_none(),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        let name = if format == Format::Nagios {
            "nagios"
        } else {
            "openmetrics"
        };
        Err(Error::Usage(format!(
            "-f {name} works with `probe`, `quota get` and `who` (without --watch)"
        )))
    }
}

/// The service name a command's nagios result starts with.
pub fn service(command: &Command) -> &'static str {
    match command {
        Command::Probe(_) => "PROBE",
        Command::Quota(_) => "QUOTA",
        Command::Who(_) => "WHO",
        _ => "RDOVEADM",
    }
}
