//! `quota get` as a monitoring plugin and as metrics.
//!
//! Nagios: WARNING when any user has a quota root or type at or over `-w` percent,
//! CRITICAL at or over `-c`; perfdata counts the users over each
//! (`users_over_warning`, `users_over_critical`) and gives the highest percent.
//! OpenMetrics: value and limit per user, root and type; STORAGE (KiB in Dovecot) in
//! bytes, MESSAGE in messages; an unlimited root or type has no limit sample.

use std::collections::BTreeMap;

use super::nagios::{check, Perf, State};
use super::openmetrics::{gauge, sample, Family};
use crate::output::{text, Row};

/// A row's percent, when it is a number (Dovecot sends `-` or nothing when unlimited).
pub fn percent(r: &Row) -> Option<u64> {
    r.get("percent")
        .and_then(|v| text(v).trim().parse::<u64>().ok())
}

fn field(r: &Row, k: &str) -> String {
    r.get(k).map(|v| text(v).into_owned()).unwrap_or_default()
}

fn user(r: &Row, one: Option<&str>) -> String {
    match r.get("username") {
        Some(v) => text(v).into_owned(),
        None => one.unwrap_or("").to_string(),
    }
}

/// The nagios check row; `one` names the user of a single-user reply.
pub fn nagios(rows: &[Row], one: Option<&str>, warn: u32, crit: u32) -> Row {
    // Each user's highest percent and where it is.
    let mut users: BTreeMap<String, (u64, String)> = BTreeMap::new();
    for r in rows {
        let u = user(r, one);
        let p = percent(r);
        let what = format!(
            "{} {} {}% ({} of {})",
            field(r, "root"),
            field(r, "type"),
            p.map_or("-".into(), |p| p.to_string()),
            field(r, "value"),
            field(r, "limit")
        );
        let e = users.entry(u).or_insert((0, what.clone()));
        if p.unwrap_or(0) > e.0 {
            *e = (p.unwrap_or(0), what);
        }
    }
    let mut over: Vec<(&String, &(u64, String))> = users
        .iter()
        .filter(|(_, (p, _))| *p >= u64::from(warn))
        .collect();
    over.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(b.0)));
    let n_crit = over
        .iter()
        .filter(|(_, (p, _))| *p >= u64::from(crit))
        .count();
    let n_warn = over.len();
    let state = if n_crit > 0 {
        State::Critical
    } else if n_warn > 0 {
        State::Warning
    } else {
        State::Ok
    };
    let highest = users.values().map(|(p, _)| *p).max().unwrap_or(0);
    let summary = if n_warn == 0 {
        format!(
            "{} user(s), none at or over {warn}%; highest {highest}%",
            users.len()
        )
    } else {
        let names: Vec<String> = over
            .iter()
            .take(5)
            .map(|(u, (p, _))| format!("{u} {p}%"))
            .collect();
        let more = if n_warn > 5 {
            format!(", {} more", n_warn - 5)
        } else {
            String::new()
        };
        format!(
            "{n_crit} user(s) at or over {crit}%, {n_warn} at or over {warn}%: {}{more}",
            names.join(", ")
        )
    };
    let long: Vec<String> = over
        .iter()
        .map(|(u, (p, what))| {
            let st = if *p >= u64::from(crit) {
                State::Critical
            } else {
                State::Warning
            };
            format!("[{}] {u}: {what}", st.name())
        })
        .collect();
    let n = users.len();
    let perf = [
        Perf::new("users", n.to_string()),
        Perf {
            max: n.to_string(),
            ..Perf::new("users_over_warning", n_warn.to_string())
        },
        Perf {
            max: n.to_string(),
            ..Perf::new("users_over_critical", n_crit.to_string())
        },
        Perf {
            max: "100".into(),
            ..Perf::new("highest_percent", format!("{highest}%")).thresholds(warn, crit)
        },
    ];
    check("QUOTA", state, &summary, &perf, &long)
}

const STORAGE_USED: Family = gauge(
    "dovecot_quota_storage_used_bytes",
    "bytes",
    "Storage counted against the quota root.",
);
const STORAGE_LIMIT: Family = gauge(
    "dovecot_quota_storage_limit_bytes",
    "bytes",
    "Storage limit of the quota root (no sample when unlimited).",
);
const MESSAGES_USED: Family = gauge(
    "dovecot_quota_messages_used",
    "",
    "Messages counted against the quota root.",
);
const MESSAGES_LIMIT: Family = gauge(
    "dovecot_quota_messages_limit",
    "",
    "Message limit of the quota root (no sample when unlimited).",
);
const OTHER_USED: Family = gauge(
    "dovecot_quota_used",
    "",
    "Usage of other quota types, in Dovecot's unit.",
);
const OTHER_LIMIT: Family = gauge(
    "dovecot_quota_limit",
    "",
    "Limit of other quota types, in Dovecot's unit (no sample when unlimited).",
);

/// The OpenMetrics samples; `one` names the user of a single-user reply.
pub fn openmetrics(rows: &[Row], one: Option<&str>) -> Vec<Row> {
    let num = |r: &Row, k: &str| -> Option<f64> {
        let t = field(r, k);
        let n = t.trim().parse::<u64>().ok()? as f64;
        Some(n)
    };
    let mut out = Vec::new();
    for r in rows {
        let u = user(r, one);
        let root = field(r, "root");
        let kind = field(r, "type");
        let (used, limit, scale, typed) = match kind.as_str() {
            "STORAGE" => (&STORAGE_USED, &STORAGE_LIMIT, 1024.0, false),
            "MESSAGE" => (&MESSAGES_USED, &MESSAGES_LIMIT, 1.0, false),
            _ => (&OTHER_USED, &OTHER_LIMIT, 1.0, true),
        };
        let mut labels = vec![("user", u.as_str()), ("root", root.as_str())];
        if typed {
            labels.push(("type", kind.as_str()));
        }
        if let Some(v) = num(r, "value") {
            out.push(sample(used, &labels, v * scale));
        }
        // Dovecot 2.3 and 2.4 send `-` for an unlimited root: no sample.
        if let Some(l) = num(r, "limit").filter(|l| *l > 0.0) {
            out.push(sample(limit, &labels, l * scale));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(user: &str, kind: &str, value: &str, limit: &str, percent: &str) -> Row {
        json!({"username": user, "root": "User quota", "type": kind, "value": value,
            "limit": limit, "percent": percent})
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn a_hostile_user_name_stays_on_its_line_and_out_of_perfdata() {
        let rows = [
            row("evil\n|x=1\u{1b}[2J", "MESSAGE", "10", "10", "100"),
            row("ok@example.org", "STORAGE", "1", "-", "-"),
        ];
        let (state, out) = super::super::nagios::render(&[nagios(&rows, None, 80, 95)]);
        assert_eq!(state, State::Critical);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert_eq!(lines[0].matches('|').count(), 1, "{out}");
        assert!(lines[0].contains("evil\\n\\x7cx=1\\x1b[2J 100%"), "{out}");
        assert!(!out.chars().any(|c| crate::text::is_unsafe(c) && c != '\n'));
    }

    #[test]
    fn storage_in_bytes_and_no_limit_sample_when_unlimited() {
        let rows = [
            row("a", "STORAGE", "2", "-", "0"),
            row("a", "MESSAGE", "3", "10", "30"),
        ];
        let s = openmetrics(&rows, None);
        let got: Vec<(String, f64)> = s
            .iter()
            .map(|r| {
                (
                    r["#family"].as_str().unwrap().to_string(),
                    r["#value"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("dovecot_quota_storage_used_bytes".to_string(), 2048.0),
                ("dovecot_quota_messages_used".to_string(), 3.0),
                ("dovecot_quota_messages_limit".to_string(), 10.0),
            ]
        );
    }
}
