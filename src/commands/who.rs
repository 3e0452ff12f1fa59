//! `who`: sessions tracked by anvil.
//!
//! Dovecot before 2.4.2 takes at most one user mask per call (2.4.1 answers 64 to two),
//! so several user masks are asked one by one, each with the IP masks, and merged
//! without duplicates.

use std::net::IpAddr;

use serde_json::{json, Value};

use super::{params, require_non_blank, Ctx};
use crate::cli::WhoArgs;
use crate::error::Error;
use crate::output::Row;

pub const GROUPED: &[&str] = &["username", "connections", "service", "pids", "ips"];
pub const SEPARATE: &[&str] = &["username", "service", "pid", "ip"];

pub async fn run(ctx: &Ctx, args: &WhoArgs) -> Result<(), Error> {
    if args.passdb_field.is_some() {
        ctx.features()
            .await?
            .require_param("who", "passdbField", "who --passdb-field")?;
    }
    let rows = sessions(
        ctx,
        &args.masks,
        args.separate_connections,
        args.passdb_field.as_deref(),
    )
    .await?;
    ctx.emit(
        if args.separate_connections {
            SEPARATE
        } else {
            GROUPED
        },
        &rows,
    )
}

/// The sessions matching `masks`, sorted so output is stable (anvil's order is a hash order).
pub async fn sessions(
    ctx: &Ctx,
    masks: &[String],
    separate: bool,
    passdb_field: Option<&str>,
) -> Result<Vec<Row>, Error> {
    require_non_blank("who: MASK", masks)?;
    let mut rows = Vec::new();
    for call_masks in split_masks(masks) {
        let p = params([
            ("separateConnections", json!(separate)),
            ("passdbField", json!(passdb_field)),
            ("mask", json!(call_masks)),
        ]);
        for r in ctx.rows("who", &p).await? {
            if !rows.contains(&r) {
                rows.push(r);
            }
        }
    }
    sort_sessions(&mut rows);
    Ok(rows)
}

/// Whether a mask is an IP address or network rather than a user mask.
pub fn is_ip_mask(mask: &str) -> bool {
    let addr = mask.split_once('/').map_or(mask, |(a, _)| a);
    addr.parse::<IpAddr>().is_ok()
}

/// One call per user mask, each with all IP masks; one call when there is at most one user mask.
pub fn split_masks(masks: &[String]) -> Vec<Vec<String>> {
    let (ips, users): (Vec<&String>, Vec<&String>) = masks.iter().partition(|m| is_ip_mask(m));
    if users.len() <= 1 {
        return vec![masks.to_vec()];
    }
    users
        .into_iter()
        .map(|u| {
            std::iter::once(u)
                .chain(ips.iter().copied())
                .cloned()
                .collect()
        })
        .collect()
}

/// Sorts by user, then service, then pid(s) numerically, then ip.
pub fn sort_sessions(rows: &mut [Row]) {
    let s = |r: &Row, k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let pid = |r: &Row| {
        let p = s(r, "pid");
        let p = if p.is_empty() { s(r, "pids") } else { p };
        p.trim_matches(['(', ')'])
            .split_whitespace()
            .next()
            .and_then(|x| x.parse::<u64>().ok())
            .unwrap_or(0)
    };
    rows.sort_by(|a, b| {
        (s(a, "username"), s(a, "service"), pid(a), s(a, "ip")).cmp(&(
            s(b, "username"),
            s(b, "service"),
            pid(b),
            s(b, "ip"),
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn masks_split_per_user_mask_keeping_ip_masks() {
        assert_eq!(
            split_masks(&v(&["a*", "10.0.0.0/8"])),
            vec![v(&["a*", "10.0.0.0/8"])]
        );
        assert_eq!(split_masks(&v(&[])), vec![v(&[])]);
        assert_eq!(
            split_masks(&v(&["alice@x", "127.0.0.1", "carol@x"])),
            vec![v(&["alice@x", "127.0.0.1"]), v(&["carol@x", "127.0.0.1"])]
        );
        assert!(is_ip_mask("::1") && is_ip_mask("2001:db8::/32") && !is_ip_mask("a@b"));
    }
}
