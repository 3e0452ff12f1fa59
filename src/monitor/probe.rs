//! `probe` as a monitoring plugin (`-f nagios`) and as metrics (`-f openmetrics`).
//!
//! Nagios states, per port, the worst port deciding: a closed, filtered or unreachable
//! port, a server that does not answer, a failed TLS handshake, an untrusted or
//! expired certificate, a certificate for another name, or STARTTLS/STLS not offered
//! are CRITICAL; a certificate expiring within `-c` days is CRITICAL, within `-w` days
//! WARNING; a password login offered before TLS is WARNING (an exposure to fix, not an
//! outage); else OK.

use super::nagios::{check, Perf, State};
use super::openmetrics::{gauge, sample, Family};
use crate::output::Row;
use crate::probe::{Kind, Report};

/// Thresholds in days.
#[derive(Debug, Clone, Copy)]
pub struct Days {
    pub warn: i64,
    pub crit: i64,
}

/// One port's state.
pub fn state(r: &Report, days: Days, now: i64) -> State {
    r.problems.iter().fold(State::Ok, |st, p| {
        let this = match p.kind {
            Kind::Unavailable | Kind::Trust => State::Critical,
            Kind::Expiring => {
                let left = r
                    .tls_info
                    .as_ref()
                    .and_then(|i| i.cert.as_ref())
                    .map_or(0, |c| c.days_left(now));
                if left < days.crit {
                    State::Critical
                } else {
                    State::Warning
                }
            }
            Kind::Plaintext => State::Warning,
        };
        st.worst(this)
    })
}

fn where_(r: &Report) -> String {
    format!("{} {}:{}", r.service.name(), r.host, r.port)
}

/// The nagios check row for a probe run.
pub fn nagios(reports: &[Report], days: Days, now: i64) -> Row {
    let states: Vec<State> = reports.iter().map(|r| state(r, days, now)).collect();
    let worst = states.iter().fold(State::Ok, |a, b| a.worst(*b));
    let several_hosts = reports
        .iter()
        .any(|r| reports.first().is_some_and(|f| f.host != r.host));
    let problems = |r: &Report| {
        r.problems
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let min_days = reports
        .iter()
        .filter_map(|r| r.tls_info.as_ref()?.cert.as_ref().map(|c| c.days_left(now)))
        .min();
    let summary = if worst == State::Ok {
        let mut s = format!("{} port(s) OK", reports.len());
        if let Some(d) = min_days {
            s.push_str(&format!(", certificates valid for {d} more days or longer"));
        }
        s
    } else {
        reports
            .iter()
            .zip(&states)
            .filter(|(_, st)| **st != State::Ok)
            .map(|(r, _)| format!("{}: {}", where_(r), problems(r)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut perf = Vec::new();
    let mut long = Vec::new();
    for (r, st) in reports.iter().zip(&states) {
        let p = if several_hosts {
            format!("{}_{}", r.host, r.service.name())
        } else {
            r.service.name().to_string()
        };
        if let Some(t) = r.connect_secs {
            perf.push(Perf::new(format!("{p}_connect_time"), format!("{t:.6}s")));
        }
        if let Some(t) = r.handshake_secs {
            perf.push(Perf::new(format!("{p}_handshake_time"), format!("{t:.6}s")));
        }
        if let Some(c) = r.tls_info.as_ref().and_then(|i| i.cert.as_ref()) {
            // No minimum: an expired certificate has negative days left.
            perf.push(Perf {
                min: String::new(),
                ..Perf::new(format!("{p}_days_left"), c.days_left(now).to_string())
                    .thresholds(days.warn, days.crit)
            });
        }
        let detail = if r.problems.is_empty() {
            let tls = r
                .tls_info
                .as_ref()
                .map(|i| format!(" ({}, {})", i.version, i.cipher))
                .unwrap_or_default();
            format!("ok{tls}")
        } else {
            problems(r)
        };
        long.push(format!("[{}] {}: {detail}", st.name(), where_(r)));
    }
    check("PROBE", worst, &summary, &perf, &long)
}

const UP: Family = gauge(
    "rdoveadm_probe_up",
    "",
    "1 when the port answered (connect, greeting, TLS handshake), else 0.",
);
const TLS: Family = gauge(
    "rdoveadm_probe_tls",
    "",
    "1 when TLS was established (implicit or STARTTLS/STLS), else 0.",
);
const VERIFIED: Family = gauge(
    "rdoveadm_probe_tls_verified",
    "",
    "1 when the certificate chain is trusted and valid for the name, else 0.",
);
const EXPIRY: Family = gauge(
    "rdoveadm_probe_cert_expiry_timestamp_seconds",
    "seconds",
    "The certificate's notAfter, as Unix time.",
);
const CONNECT: Family = gauge(
    "rdoveadm_probe_connect_seconds",
    "seconds",
    "Time to TCP connect.",
);
const HANDSHAKE: Family = gauge(
    "rdoveadm_probe_tls_handshake_seconds",
    "seconds",
    "Time of the TLS handshake.",
);
const PLAINTEXT: Family = gauge(
    "rdoveadm_probe_plaintext_login",
    "",
    "1 when a password login is offered before TLS, else 0.",
);
const PROBLEMS: Family = gauge(
    "rdoveadm_probe_problems",
    "",
    "Problems found on the port (see the other formats for the text).",
);

/// The OpenMetrics samples for a probe run, labelled by host, port and service.
pub fn openmetrics(reports: &[Report]) -> Vec<Row> {
    let mut out = Vec::new();
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    for r in reports {
        let port = r.port.to_string();
        let labels = [
            ("host", r.host.as_str()),
            ("port", port.as_str()),
            ("service", r.service.name()),
        ];
        let up = r.state == crate::probe::State::Open && r.worst() != Some(Kind::Unavailable);
        out.push(sample(&UP, &labels, flag(up)));
        if let Some(t) = r.tls {
            out.push(sample(&TLS, &labels, flag(t)));
        }
        if let Some(i) = &r.tls_info {
            out.push(sample(
                &VERIFIED,
                &labels,
                flag(i.chain.is_ok() && i.name.is_ok()),
            ));
            if let Some(c) = &i.cert {
                out.push(sample(&EXPIRY, &labels, c.not_after_unix as f64));
            }
        }
        if let Some(t) = r.connect_secs {
            out.push(sample(&CONNECT, &labels, t));
        }
        if let Some(t) = r.handshake_secs {
            out.push(sample(&HANDSHAKE, &labels, t));
        }
        if let Some(p) = r.plaintext_before_tls {
            out.push(sample(&PLAINTEXT, &labels, flag(p)));
        }
        out.push(sample(&PROBLEMS, &labels, r.problems.len() as f64));
    }
    out
}
