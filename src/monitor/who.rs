//! `who` as a monitoring plugin (always OK when anvil answers; session counts as
//! perfdata) and as metrics (sessions per user and service).

use std::collections::BTreeMap;

use super::nagios::{check, Perf, State};
use super::openmetrics::{gauge, sample, Family};
use crate::cli::Format;
use crate::commands::Ctx;
use crate::error::Error;
use crate::output::{text, Row};

const SESSIONS: Family = gauge(
    "dovecot_sessions",
    "",
    "Sessions tracked by anvil, per user and service.",
);

/// Sessions per (user, service): `connections` of grouped rows, one per row with
/// `-1` (separate connections).
pub fn sessions(rows: &[Row]) -> BTreeMap<(String, String), u64> {
    let mut by: BTreeMap<(String, String), u64> = BTreeMap::new();
    for r in rows {
        let f = |k: &str| r.get(k).map(|v| text(v).into_owned()).unwrap_or_default();
        let n = match r.get("connections") {
            Some(v) => text(v).trim().parse::<u64>().unwrap_or(0),
            None => 1,
        };
        *by.entry((f("username"), f("service"))).or_default() += n;
    }
    by
}

/// Writes `who`'s rows in the monitoring format in effect.
pub fn emit(ctx: &Ctx, rows: &[Row]) -> Result<(), Error> {
    let by = sessions(rows);
    if ctx.settings.output.format == Format::Openmetrics {
        let samples: Vec<Row> = by
            .iter()
            .map(|((u, s), n)| sample(&SESSIONS, &[("user", u), ("service", s)], *n as f64))
            .collect();
        return ctx.emit(&[], &samples);
    }
    ctx.emit(&[], &[nagios(&by)])
}

fn nagios(by: &BTreeMap<(String, String), u64>) -> Row {
    let total: u64 = by.values().sum();
    let users = {
        let mut u: Vec<&String> = by.keys().map(|(u, _)| u).collect();
        u.dedup();
        u.len()
    };
    let mut per_service: BTreeMap<&str, u64> = BTreeMap::new();
    for ((_, s), n) in by {
        *per_service.entry(s.as_str()).or_default() += n;
    }
    let mut perf = vec![
        Perf::new("sessions", total.to_string()),
        Perf::new("users", users.to_string()),
    ];
    let mut parts = Vec::new();
    for (s, n) in &per_service {
        perf.push(Perf::new(format!("{s}_sessions"), n.to_string()));
        parts.push(format!("{n} {s}"));
    }
    let summary = if parts.is_empty() {
        format!("{total} sessions of {users} users")
    } else {
        format!("{total} sessions of {users} users ({})", parts.join(", "))
    };
    check("WHO", State::Ok, &summary, &perf, &[])
}
