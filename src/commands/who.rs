//! `who`: sessions tracked by anvil.
//!
//! Dovecot before 2.4.2 takes at most one user mask per call (2.4.1 answers 64 to two),
//! so several user masks are asked one by one, each with the IP masks, and merged:
//! a session two masks both match is shown once, but identical rows within one reply
//! are kept, as they are distinct sessions (see [`merge_overlapping`]).

use std::collections::hash_map::{DefaultHasher, RandomState};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::net::IpAddr;

use serde_json::{json, Map, Value};

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
    let mut rows = unsorted_sessions(
        ctx,
        &args.masks,
        args.separate_connections,
        args.passdb_field.as_deref(),
    )
    .await?;
    // doveadm prints anvil's order (its hash order, which the server's doveadm walks
    // the same way), and its `table` takes the widths from the first row (it flushes
    // after each user): keep the server's order there, sort for our own formats and
    // for a fleet's merged rows (not doveadm's output: they carry a `server` column).
    if !crate::output::is_doveadm(&ctx.settings.output) || ctx.capture.is_some() {
        sort_sessions(&mut rows);
    }
    if crate::monitor::active(&ctx.settings.output) {
        return crate::monitor::who::emit(ctx, &rows);
    }
    ctx.emit_for(
        "who",
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
    let mut rows = unsorted_sessions(ctx, masks, separate, passdb_field).await?;
    sort_sessions(&mut rows);
    Ok(rows)
}

/// The sessions matching `masks` in the server's order (several masks: in the order
/// first seen, see [`merge_overlapping`]).
pub async fn unsorted_sessions(
    ctx: &Ctx,
    masks: &[String],
    separate: bool,
    passdb_field: Option<&str>,
) -> Result<Vec<Row>, Error> {
    require_non_blank("who: MASK", masks)?;
    let mut replies = Vec::new();
    for call_masks in split_masks(masks) {
        let p = params([
            ("separateConnections", json!(separate)),
            ("passdbField", json!(passdb_field)),
            ("mask", json!(call_masks)),
        ]);
        replies.push(ctx.rows("who", &p).await?);
    }
    Ok(merge_overlapping(replies))
}

/// The rows of several requests whose answers may overlap (one `who` call per user
/// mask: `alice` and `a*` both match alice's sessions), as a multiset union: a row is
/// kept as many times as the request that returned it most often. Identical rows
/// within one reply are never merged: with `client_limit > 1` one imap process serves
/// several sessions of a user from one IP, and `who -1` then has one identical row
/// per session (seen on 2.3.19 and 2.4.1). Linear: rows are hashed (keys in sorted
/// order, as rows keep the server's key order) and compared only within a bucket.
pub fn merge_overlapping(replies: Vec<Vec<Row>>) -> Vec<Row> {
    if replies.len() <= 1 {
        return replies.into_iter().flatten().collect();
    }
    /// A distinct row: where it first is in `out`, how often it is kept, and how
    /// often the current reply (`reply`) has had it so far.
    struct Seen {
        at: usize,
        kept: usize,
        in_reply: usize,
        reply: usize,
    }
    // Keys drawn per run: a server can't craft rows that all land in one bucket.
    let keys = RandomState::new();
    let mut index: HashMap<u64, Vec<Seen>> = HashMap::new();
    let mut out: Vec<Row> = Vec::new();
    for (i, reply) in replies.into_iter().enumerate() {
        for row in reply {
            let bucket = index.entry(row_hash(&keys, &row)).or_default();
            // Map equality ignores key order.
            let p = match bucket.iter().position(|s| out.get(s.at) == Some(&row)) {
                Some(p) => p,
                None => {
                    bucket.push(Seen {
                        at: out.len(),
                        kept: 0,
                        in_reply: 0,
                        reply: i,
                    });
                    bucket.len() - 1
                }
            };
            let Some(seen) = bucket.get_mut(p) else {
                continue;
            };
            if seen.reply != i {
                seen.reply = i;
                seen.in_reply = 0;
            }
            seen.in_reply += 1;
            if seen.in_reply > seen.kept {
                seen.kept = seen.in_reply;
                out.push(row);
            }
        }
    }
    out
}

/// A hash of a row that equal rows share whatever their key order.
fn row_hash(keys: &RandomState, row: &Row) -> u64 {
    fn object(m: &Map<String, Value>, h: &mut DefaultHasher) {
        let mut entries: Vec<(&String, &Value)> = m.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        entries.len().hash(h);
        for (k, v) in entries {
            k.hash(h);
            value(v, h);
        }
    }
    fn value(v: &Value, h: &mut DefaultHasher) {
        match v {
            Value::Null => 0u8.hash(h),
            Value::Bool(b) => (1u8, b).hash(h),
            // Equal numbers have equal f64 values.
            Value::Number(n) => (2u8, n.as_f64().map(f64::to_bits)).hash(h),
            Value::String(s) => (3u8, s).hash(h),
            Value::Array(a) => {
                (4u8, a.len()).hash(h);
                a.iter().for_each(|v| value(v, h));
            }
            Value::Object(m) => {
                5u8.hash(h);
                object(m, h);
            }
        }
    }
    let mut h = keys.build_hasher();
    object(row, &mut h);
    h.finish()
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

/// Sorts by user, then service, then pid(s) numerically, then ip (stable: equal
/// rows keep their order). Each row's key is made once.
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
    rows.sort_by_cached_key(|r| (s(r, "username"), s(r, "service"), pid(r), s(r, "ip")));
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

    fn row(user: &str, pid: u32) -> Row {
        let v =
            json!({"username": user, "service": "imap", "pid": pid.to_string(), "ip": "127.0.0.1"});
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn identical_rows_of_one_reply_are_distinct_sessions() {
        let three = vec![row("alice", 7), row("alice", 7), row("alice", 7)];
        assert_eq!(merge_overlapping(vec![three.clone()]).len(), 3);
        // Also when other requests answered: alice's three sessions are not merged.
        let merged = merge_overlapping(vec![three, vec![row("bob", 8)]]);
        assert_eq!(merged.len(), 4);
    }

    #[test]
    fn overlap_across_requests_is_a_multiset_union() {
        // `who -1 alice 'a*'`: both masks match alice's two identical sessions and
        // her third one: two identical rows plus one, not four plus two.
        let alice = vec![row("alice", 7), row("alice", 7), row("alice", 9)];
        let mut a_star = alice.clone();
        a_star.push(row("anna", 5));
        let merged = merge_overlapping(vec![alice, a_star]);
        let count = |u: &str, p: u32| merged.iter().filter(|r| **r == row(u, p)).count();
        assert_eq!(
            (count("alice", 7), count("alice", 9), count("anna", 5)),
            (2, 1, 1)
        );
        // Max multiplicity per request, not the sum: 1 and 3 make 3.
        let merged = merge_overlapping(vec![
            vec![row("a", 1)],
            vec![row("a", 1), row("a", 1), row("a", 1)],
        ]);
        assert_eq!(merged.len(), 3);
        // Key order does not make rows different.
        let mut reordered = Map::new();
        for k in ["ip", "pid", "service", "username"] {
            reordered.insert(k.into(), row("a", 1)[k].clone());
        }
        assert_eq!(
            merge_overlapping(vec![vec![row("a", 1)], vec![reordered]]).len(),
            1
        );
    }

    #[test]
    fn many_rows_merge_and_sort_in_linear_time() {
        // 100,000 distinct rows and 100,000 identical ones, asked by two overlapping
        // masks: took minutes with the old pairwise `contains`.
        let mut reply: Vec<Row> = (0..100_000).map(|i| row(&format!("u{i}"), i)).collect();
        reply.extend((0..100_000).map(|_| row("same", 1)));
        let start = std::time::Instant::now();
        let mut merged = merge_overlapping(vec![reply.clone(), reply]);
        sort_sessions(&mut merged);
        let took = start.elapsed();
        assert_eq!(merged.len(), 200_000);
        eprintln!("merge + sort of 2 x 200,000 rows: {took:?}");
        // A generous bound (debug build, shared machine): quadratic would be hours.
        assert!(took < std::time::Duration::from_secs(20), "{took:?}");
    }
}
