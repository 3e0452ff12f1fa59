//! Splits a user list into user masks for parallel `-A`. Dovecot masks know only `*`
//! and `?` (no character classes), so shards are prefix masks `p*` cut from a trie of
//! the user names, plus exact names where a user name is itself a prefix of others
//! (`ann@x` beside `anna@x`): no prefix is a prefix of another, so every user is
//! matched by exactly one mask. Matching is case-insensitive on the server, so the
//! trie is built on lower-cased names.

use std::collections::BTreeMap;

/// Masks that together match each user exactly once, for `n` concurrent requests: the
/// largest group is split until there are at least `n` masks and none holds more than
/// its share (`users / n`), or there are `16 n` masks (each mask is one request).
pub fn shard_masks(users: &[String], n: usize) -> Vec<String> {
    let mut names: Vec<String> = users.iter().map(|u| u.to_lowercase()).collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Vec::new();
    }
    // Nodes: (prefix, exact) where exact = the mask is the prefix itself (one user).
    let mut nodes: Vec<Node> = vec![Node { prefix: String::new(), exact: false, count: names.len() }];
    let share = names.len().div_ceil(n.max(1));
    loop {
        let largest = nodes.iter().filter(|nd| !nd.exact).map(|nd| nd.count).max().unwrap_or(0);
        if (nodes.len() >= n && largest <= share) || nodes.len() >= 16 * n {
            break;
        }
        // Split the largest splittable node.
        let Some(i) = nodes
            .iter()
            .enumerate()
            .filter(|(_, nd)| !nd.exact && nd.count > 1)
            .max_by_key(|(_, nd)| nd.count)
            .map(|(i, _)| i)
        else {
            break;
        };
        let node = nodes.remove(i);
        let children = split(&names, &node.prefix);
        nodes.splice(i..i, children);
    }
    nodes
        .into_iter()
        .map(|nd| if nd.exact { escape_exact(&nd.prefix) } else { format!("{}*", nd.prefix) })
        .collect()
}

#[derive(Debug)]
struct Node {
    prefix: String,
    exact: bool,
    count: usize,
}

/// Children of a prefix: the user equal to it (exact), then one `prefix+c*` per next char.
fn split(names: &[String], prefix: &str) -> Vec<Node> {
    let start = names.partition_point(|n| n.as_str() < prefix);
    let mut exact = false;
    let mut next: BTreeMap<char, usize> = BTreeMap::new();
    for name in names[start..].iter().take_while(|n| n.starts_with(prefix)) {
        match name[prefix.len()..].chars().next() {
            None => exact = true,
            Some(c) => *next.entry(c).or_default() += 1,
        }
    }
    let mut out = Vec::new();
    if exact {
        out.push(Node { prefix: prefix.to_string(), exact: true, count: 1 });
    }
    for (c, count) in next {
        let p = format!("{prefix}{c}");
        // A single user under this prefix: its whole name is an exact mask.
        out.push(Node { prefix: p, exact: false, count });
    }
    out
}

/// An exact user name as a mask. `*` and `?` in a name would be wildcards; `?` matches
/// the character itself too, so it stays exact enough: replace both by `?`.
fn escape_exact(name: &str) -> String {
    name.replace(['*', '?'], "?")
}

/// Whether a user matches a Dovecot-style mask (`*`, `?`), case-insensitively.
pub fn mask_matches(mask: &str, user: &str) -> bool {
    fn m(p: &[char], s: &[char]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some('*'), _) => m(&p[1..], s) || (!s.is_empty() && m(p, &s[1..])),
            (Some('?'), Some(_)) => m(&p[1..], &s[1..]),
            (Some(a), Some(b)) => a == b && m(&p[1..], &s[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = mask.to_lowercase().chars().collect();
    let s: Vec<char> = user.to_lowercase().chars().collect();
    m(&p, &s)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let users: Vec<String> = ["ann@x", "anna@x", "annabel@x", "bob@y", "b@y", "carol@z", "Ann@y"]
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
        users.extend(["alice@example.org", "bob@example.org", "carol@example.org", "dave@other.test"].map(String::from));
        for n in [2, 4, 8, 10] {
            let masks = check(&users, n);
            // One split can add up to one mask per next character past the 16n soft cap.
            assert!(masks.len() >= n && masks.len() <= 16 * n + 40, "{n}: {masks:?}");
            let biggest = masks.iter().map(|m| users.iter().filter(|u| mask_matches(m, u)).count()).max().unwrap();
            // No request carries much more than its share of the users.
            assert!(biggest <= users.len().div_ceil(n), "{n}: largest shard {biggest} of {}: {masks:?}", users.len());
        }
    }

    #[test]
    fn one_shard_is_everything_and_no_users_no_masks() {
        assert_eq!(shard_masks(&["a@x".into(), "b@x".into()], 1), ["*"]);
        assert!(shard_masks(&[], 4).is_empty());
    }
}
