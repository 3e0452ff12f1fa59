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
    let warn = a.warning.unwrap_or(DEFAULT_WARNING);
    // Only -w above the default critical: critical follows it.
    let crit = a.critical.unwrap_or(DEFAULT_CRITICAL.max(warn));
    if warn > crit {
        return Err(Error::Usage(format!(
            "quota get: -w {warn} is more than -c {crit}"
        )));
    }
    let users = Users::from_args(&a.users)?;
    let columns = user_columns(users.many(), COLUMNS);
    if a.over.is_none() && !monitor::active(&ctx.settings.output) {
        return ctx
            .mail_emit("quotaGet", &users, Default::default(), &columns)
            .await;
    }
    let mut rows = Vec::new();
    let result = ctx
        .mail_each("quotaGet", &users, Default::default(), |r| {
            rows.push(r);
            Ok(())
        })
        .await;
    // A single user's rows carry no `username`: the monitoring formats name it.
    let one = match &users {
        Users::One(u) if !users.many() => Some(u.as_str()),
        _ => None,
    };
    if let Some(p) = a.over {
        rows = over(rows, p);
    }
    match format {
        Format::Nagios => {
            result?;
            ctx.emit(&[], &[monitor::quota::nagios(&rows, one, warn, crit)])
        }
        Format::Openmetrics => {
            result?;
            ctx.emit(&[], &monitor::quota::openmetrics(&rows, one))
        }
        // `--over`: what did arrive is shown, and a failure still sets the exit code.
        _ => {
            ctx.emit_for("quotaGet", &columns, &rows)?;
            result
        }
    }
}

/// The rows at or above `percent`, highest percent first (then by user, root, type).
/// A row whose percent is not a number (unlimited) never matches.
pub fn over(rows: Vec<Row>, percent: u32) -> Vec<Row> {
    let mut kept: Vec<(u64, Row)> = rows
        .into_iter()
        .filter_map(|r| {
            let p = monitor::quota::percent(&r)?;
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
}
