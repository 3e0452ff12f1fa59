//! `quota`: get (also `--over PERCENT`, `-f nagios` with `-w`/`-c`, `-f openmetrics`),
//! recalc.

use super::users::Users;
use super::{user_columns, Ctx};
use crate::cli::{Format, QuotaCommand, QuotaGetArgs};
use crate::error::Error;
use crate::monitor;
use crate::output::Row;

pub const COLUMNS: &[&str] = &["root", "type", "value", "limit", "percent"];

/// `-f nagios` thresholds when `-w`/`-c` are not given, in percent.
pub const DEFAULT_WARNING: u32 = 80;
pub const DEFAULT_CRITICAL: u32 = 95;

pub async fn run(ctx: &Ctx, cmd: &QuotaCommand) -> Result<(), Error> {
    match cmd {
        QuotaCommand::Get(a) => get(ctx, a).await,
        QuotaCommand::Recalc(a) => {
            let users = Users::from_args(&a.users)?;
            let result = ctx
                .mail_rows("quotaRecalc", &users, Default::default())
                .await;
            ctx.done("quotaRecalc", result)
        }
    }
}

async fn get(ctx: &Ctx, a: &QuotaGetArgs) -> Result<(), Error> {
    let format = ctx.settings.output.format;
    if format != Format::Nagios && (a.warning.is_some() || a.critical.is_some()) {
        return Err(Error::Usage(
            "quota get: -w/--warning and -c/--critical go with -f nagios".into(),
        ));
    }
    let (warn, crit) = thresholds(a.warning, a.critical)?;
    let users = Users::from_args(&a.users)?;
    let columns = user_columns(users.many(), COLUMNS);
    if a.over.is_none() && !monitor::active(&ctx.settings.output) {
        return ctx
            .mail_emit("quotaGet", &users, Default::default(), &columns)
            .await;
    }
    let mut rows = Vec::new();
    let mut failed: Vec<monitor::quota::Failed> = Vec::new();
    let result = ctx
        .mail_each_noting(
            "quotaGet",
            &users,
            Default::default(),
            |r| {
                rows.push(r);
                Ok(())
            },
            |user, why| failed.push((user.to_string(), why.to_string())),
        )
        .await;
    // A single user's rows carry no `username`: the monitoring formats name it.
    let one = match &users {
        Users::One(u) if !users.many() => Some(u.as_str()),
        _ => None,
    };
    // Nagios counts the users checked, before `--over` leaves some out.
    let checked = monitor::quota::user_count(&rows, one);
    if let Some(p) = a.over {
        rows = over(rows, p);
    }
    match format {
        Format::Nagios => {
            // Nothing checked and no user to blame (the server is down, -A failed):
            // the whole check failed. Otherwise the users that failed make it at
            // least UNKNOWN, named in the result.
            if failed.is_empty() {
                result?;
            }
            let thresholds = monitor::quota::Thresholds { warn, crit };
            ctx.emit(
                &[],
                &[monitor::quota::nagios(
                    &rows, one, thresholds, checked, &failed,
                )],
            )
        }
        // The samples that did arrive are written; the failed users were named on
        // stderr and set the exit code, as in the other formats.
        Format::Openmetrics => {
            if rows.is_empty() && result.is_err() {
                return result;
            }
            ctx.emit(&[], &monitor::quota::openmetrics(&rows, one))?;
            result
        }
        // `--over`: what did arrive is shown, and a failure still sets the exit code.
        _ => {
            ctx.emit_for("quotaGet", &columns, &rows)?;
            result
        }
    }
}

/// `-w`/`-c` percent: a missing one follows the given one (only -w above the default
/// critical raises critical, only -c below the default warning lowers warning), so
/// only two given values can contradict each other.
pub fn thresholds(warning: Option<u32>, critical: Option<u32>) -> Result<(u32, u32), Error> {
    let (warn, crit) = match (warning, critical) {
        (Some(w), Some(c)) => (w, c),
        (Some(w), None) => (w, DEFAULT_CRITICAL.max(w)),
        (None, Some(c)) => (DEFAULT_WARNING.min(c), c),
        (None, None) => (DEFAULT_WARNING, DEFAULT_CRITICAL),
    };
    if warn > crit {
        return Err(Error::Usage(format!(
            "quota get: -w {warn} is more than -c {crit}"
        )));
    }
    Ok((warn, crit))
}

/// The rows at or above `percent`, highest percent first (then by user, root, type).
/// An unlimited row (limit `-` or 0, percent `0`) never matches, also not `--over 0`.
pub fn over(rows: Vec<Row>, percent: u32) -> Vec<Row> {
    let mut kept: Vec<(u64, Row)> = rows
        .into_iter()
        .filter_map(|r| {
            let p = monitor::quota::limited_percent(&r)?;
            (p >= u64::from(percent)).then_some((p, r))
        })
        .collect();
    let key = |r: &Row, k: &str| {
        crate::output::text(r.get(k).unwrap_or(&serde_json::Value::Null)).into_owned()
    };
    kept.sort_by(|(pa, a), (pb, b)| {
        pb.cmp(pa)
            .then_with(|| key(a, "username").cmp(&key(b, "username")))
            .then_with(|| key(a, "root").cmp(&key(b, "root")))
            .then_with(|| key(a, "type").cmp(&key(b, "type")))
    });
    kept.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_missing_threshold_follows_the_given_one() {
        assert_eq!(thresholds(None, None).unwrap(), (80, 95));
        assert_eq!(thresholds(None, Some(50)).unwrap(), (50, 50));
        assert_eq!(thresholds(None, Some(90)).unwrap(), (80, 90));
        assert_eq!(thresholds(Some(97), None).unwrap(), (97, 97));
        assert_eq!(thresholds(Some(60), None).unwrap(), (60, 95));
        assert!(matches!(
            thresholds(Some(60), Some(50)),
            Err(Error::Usage(_))
        ));
    }

    #[test]
    fn over_keeps_rows_at_or_above_highest_first() {
        let r = |u: &str, t: &str, p: &str| {
            json!({"username":u,"root":"User quota","type":t,"value":"1","limit":"1","percent":p})
                .as_object()
                .unwrap()
                .clone()
        };
        let rows = vec![
            r("a", "STORAGE", "90"),
            r("b", "STORAGE", "89"),
            r("c", "MESSAGE", "100"),
            r("d", "STORAGE", "-"),
            r("e", "STORAGE", "0"),
            r("a", "MESSAGE", "95"),
        ];
        let got: Vec<(String, String)> = over(rows, 90)
            .iter()
            .map(|r| {
                (
                    r["username"].as_str().unwrap().into(),
                    r["percent"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [("c", "100"), ("a", "95"), ("a", "90")].map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }

    #[test]
    fn over_zero_leaves_out_unlimited_roots() {
        // What Dovecot 2.3 and 2.4 send for an unlimited root: limit `-`, percent 0.
        let r = |u: &str, limit: &str| {
            json!({"username":u,"root":"User quota","type":"STORAGE","value":"5","limit":limit,"percent":"0"})
                .as_object()
                .unwrap()
                .clone()
        };
        let got: Vec<Row> = over(vec![r("a", "-"), r("b", "0"), r("c", "100")], 0);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["username"], "c");
    }
}
