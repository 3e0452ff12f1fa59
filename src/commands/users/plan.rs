//! The requests a user selection becomes: one for `-u` (or a mask), one per user of
//! `-F`, and for `-A` user-mask shards cut from the userdb's user list (or one plain
//! `-A` request when it can't be listed), plus putting shard rows back in the userdb's
//! order. Separate from `run.rs`: what to ask, not how the asking goes.

use serde_json::{Map, Value};

use super::{unreachable, Users};
use crate::commands::{shards, Ctx};
use crate::error::Error;
use crate::output::{self, Row};

/// One request of a mail command, borrowing from the user selection (a `-F` list of a
/// million users costs no copy of the parameters per user until it is sent).
pub(super) enum Unit<'a> {
    /// `-u USER` or a user mask (the server adds `username` for a mask).
    One(&'a str),
    /// A user of `-F`: the server doesn't say whose rows they are, so `username` is added.
    Listed(&'a str),
    /// A user-mask shard of `-A`.
    Shard(String),
    /// `-A` as one request.
    All,
}

/// The requests of a user selection, how many run at once, and -A's user list.
pub(super) type Plan<'u> = (Vec<Unit<'u>>, usize, Option<Vec<String>>);

/// Rows of -A shards put in the order of `users` (the userdb's, as doveadm's -A
/// prints them), each user's rows in the order they came; a row whose user is not in
/// the list (it was added between the listing and the request) goes last.
pub(super) fn in_user_order(mut rows: Vec<Row>, users: &[String]) -> Vec<Row> {
    let rank: std::collections::HashMap<&str, usize> = users
        .iter()
        .enumerate()
        .rev()
        .map(|(i, u)| (u.as_str(), i))
        .collect();
    rows.sort_by_cached_key(|r| {
        r.get("username")
            .and_then(Value::as_str)
            .and_then(|u| rank.get(u).copied())
            .unwrap_or(usize::MAX)
    });
    rows
}

impl Unit<'_> {
    pub(super) fn params(&self, base: &Map<String, Value>) -> Map<String, Value> {
        let mut p = base.clone();
        match self {
            Unit::One(u) | Unit::Listed(u) => p.insert("user".into(), Value::from(*u)),
            Unit::Shard(m) => p.insert("user".into(), Value::from(m.as_str())),
            Unit::All => p.insert("allUsers".into(), Value::Bool(true)),
        };
        p
    }

    /// The user (or shard) this request is for, bare.
    pub(super) fn name(&self) -> String {
        match self {
            Unit::One(u) | Unit::Listed(u) => u.to_string(),
            Unit::Shard(m) => format!("shard {m}"),
            Unit::All => "all users".into(),
        }
    }

    pub(super) fn label(&self) -> String {
        match self {
            Unit::One(u) | Unit::Listed(u) => format!("user `{u}`"),
            Unit::Shard(m) => format!("shard `{m}`"),
            Unit::All => "all users".into(),
        }
    }

    /// A row of this request, with `username` first when the server doesn't add it.
    pub(super) fn label_row(&self, row: Row) -> Row {
        match self {
            Unit::Listed(user) => output::with_first("username", Value::from(*user), row),
            _ => row,
        }
    }
}

impl Ctx {
    /// The requests for a user selection, how many may run at once, and for `-A`
    /// split into shards the user list (in the userdb's order) the shards came from.
    pub(super) async fn plan<'u>(
        &self,
        command: &str,
        users: &'u Users,
    ) -> Result<Plan<'u>, Error> {
        match users {
            Users::One(u) => Ok((vec![Unit::One(u)], 1, None)),
            Users::List(list, parallel) => Ok((
                list.iter().map(|u| Unit::Listed(u)).collect(),
                *parallel,
                None,
            )),
            Users::All(parallel) => {
                if *parallel <= 1 {
                    return Ok((vec![Unit::All], 1, None));
                }
                match self.list_users().await {
                    Ok(list) if list.len() > 1 => {
                        let units = shards::shard_masks(&list, *parallel)
                            .into_iter()
                            .map(Unit::Shard)
                            .collect();
                        Ok((units, *parallel, Some(list)))
                    }
                    Ok(_) => Ok((vec![Unit::All], 1, None)),
                    // The server is down or refuses us: `-A` would fail alike.
                    Err(e) if unreachable(&e) => Err(e),
                    Err(e) => {
                        self.say(
                            "note",
                            &format!(
                                "cannot list the users to split -A ({}); running `{command}` as one -A request",
                                e.to_string().trim()
                            ),
                        );
                        Ok((vec![Unit::All], 1, None))
                    }
                }
            }
        }
    }

    /// Every user of the userdb (`user` with mask `*`), when it can iterate.
    pub async fn list_users(&self) -> Result<Vec<String>, Error> {
        let p = crate::commands::params([("userMask", serde_json::json!(["*"]))]);
        let reply = self.client().await?.call("user", &p).await?;
        match reply.get("userList").and_then(Value::as_array) {
            Some(list) => Ok(list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()),
            None => Err(Error::Protocol(
                "`user *` did not return a user list".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_rows_go_in_the_user_list_s_order() {
        let row = |u: &str, n: u32| {
            let mut r = Row::new();
            r.insert("username".into(), Value::from(u));
            r.insert("n".into(), Value::from(n));
            r
        };
        // Shards answer in name order; the userdb lists bob before alice.
        let got = in_user_order(
            vec![
                row("alice", 1),
                row("alice", 2),
                row("new", 5),
                row("bob", 3),
            ],
            &["bob".into(), "alice".into()],
        );
        let order: Vec<(String, u64)> = got
            .iter()
            .map(|r| {
                (
                    r["username"].as_str().unwrap().into(),
                    r["n"].as_u64().unwrap(),
                )
            })
            .collect();
        let want = [("bob", 3), ("alice", 1), ("alice", 2), ("new", 5)];
        assert_eq!(order, want.map(|(u, n)| (u.to_string(), n)));
    }
}
