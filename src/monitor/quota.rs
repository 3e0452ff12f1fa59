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

/// A row's percent, when it is a number. Dovecot 2.3 and 2.4 send `0` for an
/// unlimited root or type (with limit `-`): see [`limited_percent`].
pub fn percent(r: &Row) -> Option<u64> {
    r.get("percent")
        .and_then(|v| text(v).trim().parse::<u64>().ok())
}

/// A row's percent when it has a limit (a number above 0); `None` when unlimited.
pub fn limited_percent(r: &Row) -> Option<u64> {
    let limit = text(r.get("limit")?).trim().parse::<u64>().ok()?;
    (limit > 0).then(|| percent(r)).flatten()
}

/// A user that could not be checked, and why (the error message).
pub type Failed = (String, String);

/// `-f nagios` thresholds, in percent.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub warn: u32,
    pub crit: u32,
}

/// How many users the rows are about.
pub fn user_count(rows: &[Row], one: Option<&str>) -> usize {
    rows.iter()
        .map(|r| user(r, one))
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// The longest user name a nagios summary or long text shows whole.
const MAX_NAME_CHARS: usize = 128;
/// The longest error message of a failed user in the long text.
const MAX_WHY_CHARS: usize = 300;

/// A user name for the nagios text: bounded (rendering escapes the whole text).
fn shown(u: &str) -> String {
    crate::text::bounded(u, MAX_NAME_CHARS).into_owned()
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

/// The nagios check row; `one` names the user of a single-user reply, `checked` is
/// the number of users checked (before `--over`), `failed` the users that could not
/// be checked: they make the state at least UNKNOWN (CRITICAL and WARNING still win).
pub fn nagios(
    rows: &[Row],
    one: Option<&str>,
    t: Thresholds,
    checked: usize,
    failed: &[Failed],
) -> Row {
    let Thresholds { warn, crit } = t;
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
    let mut state = if n_crit > 0 {
        State::Critical
    } else if n_warn > 0 {
        State::Warning
    } else {
        State::Ok
    };
    if !failed.is_empty() {
        state = state.worst(State::Unknown);
    }
    let highest = users.values().map(|(p, _)| *p).max().unwrap_or(0);
    let mut summary = if n_warn == 0 {
        format!(
            "{} user(s), none at or over {warn}%; highest {highest}%",
            users.len()
        )
    } else {
        let names: Vec<String> = over
            .iter()
            .take(5)
            .map(|(u, (p, _))| format!("{} {p}%", shown(u)))
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
    if !failed.is_empty() {
        let names: Vec<String> = failed.iter().take(5).map(|(u, _)| shown(u)).collect();
        let more = if failed.len() > 5 {
            format!(", {} more", failed.len() - 5)
        } else {
            String::new()
        };
        summary.push_str(&format!(
            "; {} user(s) not checked: {}{more}",
            failed.len(),
            names.join(", ")
        ));
    }
    let mut long: Vec<String> = over
        .iter()
        .map(|(u, (p, what))| {
            let st = if *p >= u64::from(crit) {
                State::Critical
            } else {
                State::Warning
            };
            format!("[{}] {}: {what}", st.name(), shown(u))
        })
        .collect();
    long.extend(failed.iter().map(|(u, why)| {
        let why = crate::text::bounded(why, MAX_WHY_CHARS);
        format!(
            "[{}] {}: not checked: {why}",
            State::Unknown.name(),
            shown(u)
        )
    }));
    let n = checked;
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
    // A user listed twice in `-F` is asked twice: one series each all the same.
    let mut seen = std::collections::BTreeSet::new();
    for r in rows {
        let u = user(r, one);
        let root = field(r, "root");
        let kind = field(r, "type");
        if !seen.insert((u.clone(), root.clone(), kind.clone())) {
            continue;
        }
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

    const T: Thresholds = Thresholds { warn: 80, crit: 95 };

    #[test]
    fn failed_users_make_it_unknown_unless_worse_and_are_named() {
        let rows = [row("bob", "MESSAGE", "9", "10", "90")];
        let failed = [(
            "nosuch\u{1b}".to_string(),
            "quotaGet: no such user (67, EX_NOUSER)".to_string(),
        )];
        let (state, out) = super::super::nagios::render(&[nagios(&rows, None, T, 1, &failed)]);
        assert_eq!(state, State::Warning, "{out}");
        let (state, out) = super::super::nagios::render(&[nagios(
            &rows,
            None,
            Thresholds { warn: 95, crit: 99 },
            1,
            &failed,
        )]);
        assert_eq!(state, State::Unknown, "{out}");
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("QUOTA UNKNOWN - 1 user(s), none at or over 95%; highest 90%; 1 user(s) not checked: nosuch\\x1b|users=1;;;0 "), "{out}");
        assert_eq!(
            lines[1], "[UNKNOWN] nosuch\\x1b: not checked: quotaGet: no such user (67, EX_NOUSER)",
            "{out}"
        );
        let long_name = "u".repeat(1000);
        let failed = [(long_name, "x".to_string())];
        let (_, out) = super::super::nagios::render(&[nagios(&rows, None, T, 1, &failed)]);
        assert!(out.lines().all(|l| l.len() < 400), "{out}");
    }

    #[test]
    fn a_user_listed_twice_is_one_series() {
        let rows = [
            row("a", "MESSAGE", "3", "10", "30"),
            row("a", "MESSAGE", "3", "10", "30"),
        ];
        assert_eq!(openmetrics(&rows, None).len(), 2);
    }

    #[test]
    fn a_hostile_user_name_stays_on_its_line_and_out_of_perfdata() {
        let rows = [
            row("evil\n|x=1\u{1b}[2J", "MESSAGE", "10", "10", "100"),
            row("ok@example.org", "STORAGE", "1", "-", "-"),
        ];
        let (state, out) = super::super::nagios::render(&[nagios(&rows, None, T, 2, &[])]);
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
