//! `who`: sessions tracked by anvil.

use serde_json::{json, Value};

use super::{params, require_non_blank, Ctx};
use crate::cli::WhoArgs;
use crate::error::Error;
use crate::output::Row;

pub const GROUPED: &[&str] = &["username", "connections", "service", "pids", "ips"];
pub const SEPARATE: &[&str] = &["username", "service", "pid", "ip"];

pub async fn run(ctx: &Ctx, args: &WhoArgs) -> Result<(), Error> {
    let rows = sessions(ctx, &args.masks, args.separate_connections).await?;
    ctx.emit(if args.separate_connections { SEPARATE } else { GROUPED }, &rows)
}

/// The sessions matching `masks`, sorted so output is stable (anvil's order is a hash order).
pub async fn sessions(ctx: &Ctx, masks: &[String], separate: bool) -> Result<Vec<Row>, Error> {
    require_non_blank("who: MASK", masks)?;
    let p = params([
        ("separateConnections", json!(separate)),
        ("mask", json!(masks)),
    ]);
    let mut rows = ctx.rows("who", &p).await?;
    sort_sessions(&mut rows);
    Ok(rows)
}

/// Sorts by user, then service, then pid(s) numerically, then ip.
pub fn sort_sessions(rows: &mut [Row]) {
    let s = |r: &Row, k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let pid = |r: &Row| {
        let p = s(r, "pid");
        let p = if p.is_empty() { s(r, "pids") } else { p };
        p.trim_matches(['(', ')']).split_whitespace().next().and_then(|x| x.parse::<u64>().ok()).unwrap_or(0)
    };
    rows.sort_by(|a, b| {
        (s(a, "username"), s(a, "service"), pid(a), s(a, "ip"))
            .cmp(&(s(b, "username"), s(b, "service"), pid(b), s(b, "ip")))
    });
}
