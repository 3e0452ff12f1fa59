//! `kick`: disconnect matching sessions and report who was kicked.
//!
//! Dovecot 2.3 answers `[{"result":user}...]` and exit 68 when nothing matched; 2.4
//! answers `[{"count":"N"}]`, and 0 matches is a success. rdoveadm reports one shape
//! on both: one row per kicked user with the number of connections it had; when
//! nothing matched it exits as doveadm of the server's version does (2.3: 68, 2.4: 0).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{params, require_non_blank, who, Ctx};
use crate::cli::KickArgs;
use crate::error::Error;
use crate::output::Row;

pub const COLUMNS: &[&str] = &["username", "connections"];

pub async fn run(ctx: &Ctx, args: &KickArgs) -> Result<(), Error> {
    // doveadm 2.4's `kick -f FIELD MASK...`: there `-f` takes the passdb field (2.3's
    // `-f` is force). On a 2.4 server the first argument after it is that field.
    let reread;
    let args = match args.masks.split_first() {
        Some((field, masks)) if args.force && args.passdb_field.is_none() && !masks.is_empty() => {
            let f = ctx.features().await?;
            if !f.has_param("kick", "force") && f.has_param("kick", "passdbField") {
                reread = KickArgs {
                    force: false,
                    passdb_field: Some(field.clone()),
                    dest_host: args.dest_host.clone(),
                    dry_run: args.dry_run,
                    yes: args.yes,
                    masks: masks.to_vec(),
                };
                &reread
            } else {
                args
            }
        }
        _ => args,
    };
    require_non_blank("kick: MASK", &args.masks)?;
    if args.masks.is_empty() {
        return Err(Error::Usage(
            "kick: give at least one user mask or IP".into(),
        ));
    }
    // Options one API generation lacks: a clear local error rather than a server 400.
    if args.force {
        ctx.features()
            .await?
            .require_param("kick", "force", "kick --force")?;
    }
    if args.passdb_field.is_some() {
        ctx.features()
            .await?
            .require_param("kick", "passdbField", "kick --passdb-field")?;
    }
    if args.dest_host.is_some() {
        ctx.features()
            .await?
            .require_param("kick", "destHost", "kick --dest-host")?;
    }
    // What is about to be kicked, per user (the server's reply does not say on 2.4).
    let before = who::sessions(ctx, &args.masks, true, args.passdb_field.as_deref()).await?;
    if args.dry_run {
        eprintln!(
            "rdoveadm: dry run: {} session(s) would be kicked; nothing was kicked",
            before.len()
        );
        return ctx.emit(who::SEPARATE, &before);
    }
    if args.masks.iter().any(|m| super::is_user_mask(m)) {
        let users: std::collections::BTreeSet<&str> = before
            .iter()
            .filter_map(|r| r.get("username").and_then(Value::as_str))
            .collect();
        super::users::confirm(
            &format!(
                "kick {} session(s) of {} user(s) matching `{}`",
                before.len(),
                users.len(),
                args.masks.join(" ")
            ),
            args.yes,
        )?;
    }
    // One call per user mask, as for `who` (one user mask per call before Dovecot 2.4.2).
    let mut result = Vec::new();
    for masks in who::split_masks(&args.masks) {
        let p = params([
            ("mask", json!(masks)),
            ("force", json!(args.force)),
            ("passdbField", json!(args.passdb_field)),
            ("destHost", json!(args.dest_host)),
        ]);
        match ctx.rows("kick", &p).await {
            // 2.3: nothing matched this mask.
            Err(Error::Server { code: 68, .. }) => {}
            other => result.extend(other?),
        }
    }
    let rows = kicked_rows(&before, &result);
    // 2.4 answers a count, and doveadm 2.4 exits 0 for "0 connections kicked".
    let counted = result.iter().any(|r| r.contains_key("count"));
    if rows.is_empty() && !counted {
        // doveadm 2.3's output for it ("no users kicked"), and its exit 68.
        ctx.emit_for("kick", COLUMNS, &rows)?;
        return Err(Error::NotFound(format!(
            "kick: no session matched `{}`",
            args.masks.join(" ")
        )));
    }
    ctx.emit_for("kick", COLUMNS, &rows)
}

/// One row per kicked user: from the server's user list (2.3) or, when it only gives a
/// count (2.4), from the sessions seen just before.
pub fn kicked_rows(before: &[Row], result: &[Row]) -> Vec<Row> {
    let mut per_user: BTreeMap<String, u64> = BTreeMap::new();
    for s in before {
        if let Some(u) = s.get("username").and_then(Value::as_str) {
            *per_user.entry(u.to_string()).or_default() += 1;
        }
    }
    let named: Vec<&str> = result
        .iter()
        .filter_map(|r| r.get("result").and_then(Value::as_str))
        .collect();
    let count: Option<u64> = result
        .iter()
        .filter_map(|r| {
            r.get("count")
                .and_then(Value::as_str)
                .and_then(|c| c.parse().ok())
        })
        .reduce(u64::saturating_add); // server numbers: never overflow
    let users: Vec<(String, u64)> = if !named.is_empty() {
        named
            .iter()
            .map(|u| (u.to_string(), per_user.get(*u).copied().unwrap_or(0)))
            .collect()
    } else if count.unwrap_or(0) > 0 {
        per_user.into_iter().collect()
    } else {
        Vec::new()
    };
    let mut seen = std::collections::BTreeSet::new();
    users
        .into_iter()
        .filter(|(u, _)| seen.insert(u.clone()))
        .map(|(u, n)| {
            let mut r = Row::new();
            r.insert("username".into(), Value::String(u));
            r.insert("connections".into(), Value::String(n.to_string()));
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: Value) -> Row {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn dovecot_23_names_users_24_counts() {
        let before = vec![
            row(json!({"username":"bob","service":"imap"})),
            row(json!({"username":"bob","service":"pop3"})),
        ];
        let r23 = kicked_rows(&before, &[row(json!({"result":"bob"}))]);
        let r24 = kicked_rows(&before, &[row(json!({"count":"2"}))]);
        assert_eq!(r23, r24);
        assert_eq!(r23, vec![row(json!({"username":"bob","connections":"2"}))]);
    }

    #[test]
    fn nothing_kicked_is_no_rows() {
        assert!(kicked_rows(&[], &[row(json!({"count":"0"}))]).is_empty());
        assert!(kicked_rows(&[], &[]).is_empty());
    }
}
