//! `commands` (what the server advertises) and `api` (call any advertised command,
//! parameters checked and converted against the advertised schema).

use serde_json::{Map, Value};

use super::Ctx;
use crate::cli::ApiArgs;
use crate::client::schema;
use crate::error::Error;
use crate::output::Row;

pub async fn commands(ctx: &Ctx) -> Result<(), Error> {
    let schema = ctx.client().await?.schema().await?;
    let rows: Vec<Row> = schema
        .iter()
        .map(|(name, params)| {
            let mut r = Map::new();
            r.insert("command".into(), Value::String(name.clone()));
            let p: Vec<String> = params.iter().map(|(n, t)| format!("{n}:{t}")).collect();
            r.insert("parameters".into(), Value::String(p.join(" ")));
            r
        })
        .collect();
    ctx.emit(&["command", "parameters"], &rows)
}

pub async fn api(ctx: &Ctx, a: &ApiArgs) -> Result<(), Error> {
    let client = ctx.client().await?;
    let schema = schema::cached(client).await?;
    let command = camel_case(&a.command);
    let params = match schema.iter().find(|(n, _)| *n == command) {
        Some((_, p)) => p,
        None => {
            let near: Vec<&str> = schema
                .iter()
                .map(|(n, _)| n.as_str())
                .filter(|n| {
                    n.eq_ignore_ascii_case(&command)
                        || n.to_ascii_lowercase()
                            .contains(&command.to_ascii_lowercase())
                })
                .take(8)
                .collect();
            let hint = if near.is_empty() {
                String::new()
            } else {
                // Names the server advertised: made visible before they reach stderr.
                format!(
                    "; did you mean: {}",
                    crate::text::escape_message(&near.join(", "))
                )
            };
            return Err(Error::Usage(format!(
                "the server does not advertise `{command}` (see `rdoveadm commands`){hint}"
            )));
        }
    };
    let body = build_params(&command, params, &a.params)?;
    super::preflight::api(&command, params, &body)?;
    let reply = client.call(&command, &body).await?;
    let rows = super::user::object_rows(reply)?;
    ctx.emit_for(&command, &[], &rows)
}

pub use crate::doveadm::camel_case;

/// Converts `NAME=VALUE` / `NAME:=JSON` arguments by the advertised types.
pub fn build_params(
    command: &str,
    schema: &[(String, String)],
    args: &[String],
) -> Result<Map<String, Value>, Error> {
    let valid = || {
        schema
            .iter()
            .map(|(n, t)| format!("{n} ({t})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out: Map<String, Value> = Map::new();
    let mut repeated_array: std::collections::HashSet<String> = Default::default();
    for arg in args {
        let Some((raw_name, value)) = arg.split_once('=') else {
            return Err(Error::Usage(format!(
                "api: `{arg}` is not NAME=VALUE or NAME:=JSON"
            )));
        };
        let (raw_name, is_json) = match raw_name.strip_suffix(':') {
            Some(n) => (n, true),
            None => (raw_name, false),
        };
        let name = camel_case(raw_name);
        let Some((_, ty)) = schema.iter().find(|(n, _)| *n == name) else {
            return Err(Error::Usage(format!(
                "api: `{command}` has no parameter `{raw_name}`; valid parameters: {}",
                valid()
            )));
        };
        let bad = |why: String| {
            Error::Usage(format!(
                "api: parameter `{name}` of `{command}` is {ty}: {why}"
            ))
        };
        let v: Value = if is_json {
            let v: Value = serde_json::from_str(value)
                .map_err(|e| bad(format!("`{value}` is not JSON ({e})")))?;
            let fits = match ty.as_str() {
                "boolean" => v.is_boolean(),
                "integer" => v.is_i64() || v.is_u64(),
                "array" => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
                "string" => v.is_string(),
                _ => true,
            };
            if !fits {
                return Err(bad(format!(
                    "`{value}` is not a JSON {ty}{}",
                    if ty == "array" { " of strings" } else { "" }
                )));
            }
            v
        } else {
            match ty.as_str() {
                "boolean" => match value.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" | "on" => Value::Bool(true),
                    "false" | "no" | "0" | "off" => Value::Bool(false),
                    _ => return Err(bad(format!("`{value}` is not true or false"))),
                },
                "integer" => Value::from(
                    value
                        .parse::<i64>()
                        .map_err(|_| bad(format!("`{value}` is not a whole number")))?,
                ),
                "array" => {
                    // Repeated NAME= appends; a single value may be a comma list.
                    if let Some(Value::Array(items)) = out.get_mut(&name) {
                        if repeated_array.insert(name.clone()) {
                            // The first value was split on commas; keep it as given.
                        }
                        items.push(Value::String(value.to_string()));
                        continue;
                    }
                    Value::Array(
                        value
                            .split(',')
                            .map(|s| Value::String(s.to_string()))
                            .collect(),
                    )
                }
                _ => {
                    if out.contains_key(&name) {
                        return Err(bad("given twice".into()));
                    }
                    Value::String(value.to_string())
                }
            }
        };
        out.insert(name, v);
    }
    // false booleans are left out by the wire layer (a present boolean counts as set).
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Vec<(String, String)> {
        [
            ("user", "string"),
            ("allUsers", "boolean"),
            ("transFlags", "integer"),
            ("mailboxMask", "array"),
            ("field", "array"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }

    fn build(args: &[&str]) -> Result<Value, Error> {
        build_params(
            "x",
            &schema(),
            &args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
        .map(Value::Object)
    }

    #[test]
    fn doveadm_spellings() {
        assert_eq!(camel_case("quota get"), "quotaGet");
        assert_eq!(camel_case("quota-get"), "quotaGet");
        assert_eq!(camel_case("quotaGet"), "quotaGet");
        assert_eq!(camel_case("mailbox metadata set"), "mailboxMetadataSet");
    }

    #[test]
    fn each_type_converts() {
        assert_eq!(
            build(&[
                "user=a",
                "all-users=true",
                "transFlags=3",
                "field=messages,unseen",
                "mailboxMask=INBOX",
                "mailboxMask=Sent"
            ])
            .unwrap(),
            json!({"user":"a","allUsers":true,"transFlags":3,"field":["messages","unseen"],"mailboxMask":["INBOX","Sent"]})
        );
        assert_eq!(
            build(&["mailboxMask:=[\"a,b\"]"]).unwrap(),
            json!({"mailboxMask":["a,b"]})
        );
    }

    #[test]
    fn wrong_name_or_type_is_usage_with_the_valid_list() {
        let e = build(&["bogus=1"]).unwrap_err();
        assert_eq!(e.exit_code(), 64);
        assert!(
            e.to_string()
                .contains("valid parameters: user (string), allUsers (boolean)"),
            "{e}"
        );
        assert!(build(&["transFlags=abc"])
            .unwrap_err()
            .to_string()
            .contains("is integer"));
        assert!(build(&["allUsers=maybe"]).is_err());
        assert!(build(&["user:=5"]).is_err());
        assert!(build(&["noequals"]).is_err());
    }
}
