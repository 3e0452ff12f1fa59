//! Splits a user list into user masks for parallel `-A`. Dovecot masks know only `*`
//! and `?` (no character classes), so shards are prefix masks `p*` cut from a trie of
//! the user names, plus exact names where a user name is itself a prefix of others
//! (`ann@x` beside `anna@x`): no prefix is a prefix of another, so every user is
//! matched by exactly one mask. Matching is case-insensitive on the server, so the
//! trie is built on lower-cased names.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// What one more request costs, in users' worth of work. Measured on Dovecot 2.3 with a
/// passwd-file userdb and `quota get`: 64 masks took 2.7 s where 10 took 1.6 s for the
/// same 5,000 users, about 40 ms (70 users) per request.
const REQUEST_COST: usize = 70;

/// Masks that together match each user exactly once, for `n` concurrent requests.
/// Groups larger than their share (`users / n`) are split while that shortens the
/// expected run time (the busiest of `n` lanes, counting `REQUEST_COST` per request),
/// so there are few, balanced requests.
/// Case is folded as Dovecot folds it for user masks (`wildcard_match_icase`: ASCII
/// only), so a mask made from `Élodie` still matches her.
pub fn shard_masks(users: &[String], n: usize) -> Vec<String> {
    let mut names: Vec<String> = users.iter().map(|u| u.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Vec::new();
    }
    // A name holding `*` or `?` can't be cut out exactly: its prefix mask would be a
    // wildcard matching other shards' users too. One mask for all then.
    if names.iter().any(|u| u.contains(['*', '?'])) {
        return vec!["*".to_string()];
    }
    let n = n.max(1);
    let share = names.len().div_ceil(n);
    let mut nodes: Vec<Node> = vec![Node {
        prefix: String::new(),
        exact: false,
        count: names.len(),
    }];
    loop {
        let splittable = |nd: &Node| !nd.exact && nd.count > 1 && nd.count > share;
        if !nodes.iter().any(splittable) || nodes.len() >= n.saturating_mul(16) {
            break;
        }
        let mut next: Vec<Node> = Vec::with_capacity(nodes.len() * 2);
        for nd in &nodes {
            if splittable(nd) {
                next.extend(split_chain(&names, &nd.prefix));
            } else {
                next.push(nd.clone());
            }
        }
        if makespan(&next, n) >= makespan(&nodes, n) {
            break;
        }
        nodes = next;
    }
    nodes
        .into_iter()
        .map(|nd| {
            if nd.exact {
                nd.prefix
            } else {
                format!("{}*", nd.prefix)
            }
        })
        .collect()
}

/// The busiest lane when requests go to the least busy of `n` lanes, largest first.
fn makespan(nodes: &[Node], n: usize) -> usize {
    let mut sizes: Vec<usize> = nodes
        .iter()
        .map(|nd| nd.count.saturating_add(REQUEST_COST))
        .collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    // Lanes that have work, least busy on top; idle lanes are counted, not stored
    // (`--parallel` may be 65,535).
    let mut busy: BinaryHeap<Reverse<usize>> = BinaryHeap::new();
    for s in sizes {
        if busy.len() < n {
            busy.push(Reverse(s));
        } else if let Some(mut least) = busy.peek_mut() {
            least.0 = least.0.saturating_add(s);
        }
    }
    busy.into_iter().map(|Reverse(l)| l).max().unwrap_or(0)
}

/// Splits a prefix at the longest prefix all its names share (`u` → `u00` when every
/// name goes on with `00`), so that a split yields more than one group when it can.
/// Jumping there at once keeps a hostile user list (two names sharing a megabyte-long
/// prefix) from costing a split per character.
fn split_chain(names: &[String], prefix: &str) -> Vec<Node> {
    let under = under(names, prefix);
    let common = match (under.first(), under.last()) {
        (Some(first), Some(last)) if under.len() > 1 => common_prefix(first, last),
        _ => prefix,
    };
    split(names, common)
}

/// The names (sorted) that start with `prefix`.
fn under<'a>(names: &'a [String], prefix: &str) -> &'a [String] {
    let start = names.partition_point(|n| n.as_str() < prefix);
    let rest = names.get(start..).unwrap_or_default();
    let len = rest.partition_point(|n| n.starts_with(prefix));
    rest.get(..len).unwrap_or_default()
}

/// The longest common prefix of two names, cut at a character boundary.
fn common_prefix<'a>(a: &'a str, b: &str) -> &'a str {
    let len = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i);
    a.get(..len).unwrap_or_default()
}

#[derive(Debug, Clone)]
struct Node {
    prefix: String,
    exact: bool,
    count: usize,
}

/// Children of a prefix: the user equal to it (exact), then one `prefix+c*` per next char.
fn split(names: &[String], prefix: &str) -> Vec<Node> {
    let mut exact = false;
    let mut next: BTreeMap<char, usize> = BTreeMap::new();
    for name in under(names, prefix) {
        match name
            .get(prefix.len()..)
            .and_then(|rest| rest.chars().next())
        {
            None => exact = true,
            Some(c) => *next.entry(c).or_default() += 1,
        }
    }
    let mut out = Vec::new();
    if exact {
        out.push(Node {
            prefix: prefix.to_string(),
            exact: true,
            count: 1,
        });
    }
    for (c, count) in next {
        let p = format!("{prefix}{c}");
        // A single user under this prefix: its whole name is an exact mask.
        out.push(Node {
            prefix: p,
            exact: false,
            count,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a user matches a Dovecot-style mask (`*`, `?`), case-insensitively
    /// (backtracking: for the short names of tests only).
    fn mask_matches(mask: &str, user: &str) -> bool {
        fn m(p: &[char], s: &[char]) -> bool {
            match (p.first(), s.first()) {
                (None, None) => true,
                (Some('*'), _) => m(&p[1..], s) || (!s.is_empty() && m(p, &s[1..])),
                (Some('?'), Some(_)) => m(&p[1..], &s[1..]),
                (Some(a), Some(b)) => a == b && m(&p[1..], &s[1..]),
                _ => false,
            }
        }
        let p: Vec<char> = mask.to_ascii_lowercase().chars().collect();
        let s: Vec<char> = user.to_ascii_lowercase().chars().collect();
        m(&p, &s)
    }

    fn check(users: &[String], n: usize) -> Vec<String> {
        let masks = shard_masks(users, n);
        for u in users {
            let hits = masks.iter().filter(|m| mask_matches(m, u)).count();
            assert_eq!(hits, 1, "{u} matched by {hits} of {masks:?}");
        }
        masks
    }

    #[test]
    fn every_user_exactly_once_with_prefix_names() {
        let users: Vec<String> = [
            "ann@x",
            "anna@x",
            "annabel@x",
            "bob@y",
            "b@y",
            "carol@z",
            "Ann@y",
            "Élodie@x",
            "élodie@y",
            "KELVIN\u{212a}@x",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for n in 1..12 {
            check(&users, n);
        }
    }

    #[test]
    fn thousands_of_numbered_users_split_evenly() {
        let mut users: Vec<String> = (1..=5000).map(|i| format!("u{i:05}@bulk.test")).collect();
        users.extend(
            [
                "alice@example.org",
                "bob@example.org",
                "carol@example.org",
                "dave@other.test",
            ]
            .map(String::from),
        );
        for (n, most) in [(2, 1000), (4, 1000), (8, 1000), (16, 100)] {
            let masks = check(&users, n);
            assert!(masks.len() <= 16 * n + 40, "{n}: {masks:?}");
            let biggest = masks
                .iter()
                .map(|m| users.iter().filter(|u| mask_matches(m, u)).count())
                .max()
                .unwrap();
            assert!(biggest <= most, "{n}: largest shard {biggest}: {masks:?}");
        }
        // 8 lanes: the six 1,000-user groups run side by side; splitting them further
        // would only add requests.
        assert_eq!(shard_masks(&users, 8).len(), 10);
    }

    #[test]
    fn one_shard_is_everything_and_no_users_no_masks() {
        assert_eq!(shard_masks(&["a@x".into(), "b@x".into()], 1), ["*"]);
        assert!(shard_masks(&[], 4).is_empty());
    }

    #[test]
    fn hostile_user_lists_stay_cheap() {
        // Names sharing a megabyte-long prefix: one split, not one per character.
        let long = "a".repeat(1 << 20);
        let users: Vec<String> = ["x", "y", "z"]
            .iter()
            .map(|t| format!("{long}{t}"))
            .collect();
        let start = std::time::Instant::now();
        let masks = shard_masks(&users, 3);
        assert_eq!(masks.len(), 3);
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
        // The largest --parallel, multi-byte names, a name that is a prefix of another.
        let users: Vec<String> = ["é", "éa", "éb", "ü", "üb"].map(String::from).to_vec();
        check(&users, usize::from(u16::MAX));
        // A name with a wildcard character: one mask, every user matched once.
        let users: Vec<String> = ["a", "ab", "ü*?", "ü"].map(String::from).to_vec();
        assert_eq!(check(&users, 4), ["*"]);
        assert_eq!(common_prefix("aéb", "aéc"), "aé");
        assert_eq!(common_prefix("ab", "a"), "a");
    }
}
