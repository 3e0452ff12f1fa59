//! `user`: userdb lookups. The reply is an object keyed by user (or `{"userList":[...]}`
//! for a wildcard mask), not rows: it is rendered as one row per user.

use serde_json::{json, Map, Value};

use super::{params, require_non_blank, Ctx};
use crate::cli::UserLookupArgs;
use crate::error::Error;
use crate::output::Row;

pub async fn run(ctx: &Ctx, a: &UserLookupArgs) -> Result<(), Error> {
    require_non_blank("user: MASK", &a.masks)?;
    let p = params([("userMask", json!(a.masks)), ("field", json!(a.field))]);
    let reply = ctx.client().await?.call("user", &p).await?;
    let mut rows = object_rows(reply)?;
    rows.iter_mut().for_each(add_mail_path);
    let mut columns = vec!["username"];
    columns.extend(a.field.as_deref());
    ctx.emit_for("user", &columns, &rows)
}

/// Dovecot 2.3 returns `mail` (`maildir:/path[:params]`), 2.4 `mail_path` (`/path`).
/// Every row gets `mail_path`, so scripts read one field on both; `mail` stays where given.
pub fn add_mail_path(row: &mut Row) {
    if row.contains_key("mail_path") {
        return;
    }
    let Some(mail) = row.get("mail").and_then(Value::as_str) else {
        return;
    };
    let path = mail.split_once(':').map_or(mail, |(_, rest)| rest);
    let path = path.split(':').next().unwrap_or(path).to_string();
    row.insert("mail_path".into(), Value::String(path));
}

/// `{"userList":[u...]}` → rows `{username}`; `{u: {fields}}` → rows `{username, fields...}`;
/// an array of rows passes through.
pub fn object_rows(reply: Value) -> Result<Vec<Row>, Error> {
    match reply {
        Value::Array(_) => super::into_rows("user", reply),
        Value::Object(obj) => {
            let mut rows = Vec::new();
            for (key, val) in obj {
                match (key.as_str(), val) {
                    ("userList", Value::Array(users)) => {
                        for u in users {
                            let mut r = Map::new();
                            r.insert("username".into(), u);
                            rows.push(r);
                        }
                    }
                    (_, Value::Object(fields)) => {
                        let mut r = Map::new();
                        r.insert("username".into(), Value::String(key));
                        r.extend(fields);
                        rows.push(r);
                    }
                    (_, other) => {
                        let mut r = Map::new();
                        r.insert("username".into(), Value::String(key));
                        r.insert("value".into(), other);
                        rows.push(r);
                    }
                }
            }
            Ok(rows)
        }
        _ => Err(Error::Protocol(
            "`user` returned neither an object nor rows".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_objects_become_rows() {
        let rows = object_rows(json!({"a@x":{"uid":"1","home":"/h"},"b@x":{"uid":"2"}})).unwrap();
        assert_eq!(
            Value::Array(rows.into_iter().map(Value::Object).collect()),
            json!([{"username":"a@x","uid":"1","home":"/h"},{"username":"b@x","uid":"2"}])
        );
        let mut r = object_rows(json!({"a@x":{"mail":"maildir:/m/a:LAYOUT=fs"}}))
            .unwrap()
            .remove(0);
        add_mail_path(&mut r);
        assert_eq!(r["mail_path"], "/m/a");
        let rows = object_rows(json!({"userList":["a@x","b@x"]})).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["username"], "b@x");
    }
}
