//! Server-wide commands: reload, stop, log errors|reopen, process status, service
//! status, stats dump.

use serde_json::json;

use super::users::confirm;
use super::{params, Ctx};
use crate::cli::{
    LogCommand, ProcessCommand, ServerCommand, ServiceCommand, StatsCommand, StopArgs,
};
use crate::client::features::KNOWN;
use crate::error::Error;
use crate::output::Row;

pub async fn reload(ctx: &Ctx) -> Result<(), Error> {
    ctx.rows("reload", &Default::default()).await.map(|_| ())
}

pub async fn stop(ctx: &Ctx, a: &StopArgs) -> Result<(), Error> {
    let target = ctx.client().await?.target();
    confirm(&format!("stop Dovecot at {target}"), a.yes)?;
    match ctx.rows("stop", &Default::default()).await {
        // The master takes its doveadm worker down with it: often no reply arrives.
        Err(Error::NoReply { .. }) => {
            eprintln!(
                "{}",
                crate::text::message_line(&format!(
                    "rdoveadm: Dovecot at {target} is stopping (it closed the connection)"
                ))
            );
            Ok(())
        }
        other => other.map(|_| ()),
    }
}

pub async fn log(ctx: &Ctx, cmd: &LogCommand) -> Result<(), Error> {
    match cmd {
        LogCommand::Errors(a) => {
            let rows = ctx
                .rows("logErrors", &params([("since", json!(a.since))]))
                .await?;
            ctx.emit_for("logErrors", &["timestamp", "type", "prefix", "text"], &rows)
        }
        LogCommand::Reopen => {
            let result = ctx.rows("logReopen", &Default::default()).await;
            ctx.done("logReopen", result)
        }
    }
}

pub async fn process(ctx: &Ctx, cmd: &ProcessCommand) -> Result<(), Error> {
    let ProcessCommand::Status(a) = cmd;
    let rows = ctx
        .rows("processStatus", &params([("service", json!(a.services))]))
        .await?;
    ctx.emit_for(
        "processStatus",
        &[
            "name",
            "pid",
            "available_count",
            "total_count",
            "idle_start",
            "last_status_update",
            "last_kill_sent",
        ],
        &rows,
    )
}

pub async fn service(ctx: &Ctx, cmd: &ServiceCommand) -> Result<(), Error> {
    let ServiceCommand::Status(a) = cmd;
    let rows = ctx
        .rows("serviceStatus", &params([("service", json!(a.services))]))
        .await?;
    ctx.emit_for("serviceStatus", &["name"], &rows)
}

pub async fn stats(ctx: &Ctx, cmd: &StatsCommand) -> Result<(), Error> {
    let StatsCommand::Dump(a) = cmd;
    let rows = ctx
        .rows(
            "statsDump",
            &params([("reset", json!(a.reset)), ("fields", json!(a.fields))]),
        )
        .await?;
    let columns = stats_columns(a.fields.iter().map(String::as_str));
    ctx.emit_for("statsDump", &columns, &rows)
}

/// `stats dump`'s titles: `metric_name`, `field`, then the `-f` fields asked for, as
/// doveadm-stats.c splits them (on spaces and commas), also when no metric has a row.
pub fn stats_columns<'a>(fields: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut columns = vec!["metric_name", "field"];
    columns.extend(fields.into_iter().flat_map(stats_fields));
    columns
}

/// `stats dump -f`'s fields as doveadm-stats.c splits them: on spaces and commas.
fn stats_fields(raw: &str) -> impl Iterator<Item = &str> {
    raw.split([' ', ',']).filter(|f| !f.is_empty())
}

pub async fn info(ctx: &Ctx, cmd: &ServerCommand) -> Result<(), Error> {
    let ServerCommand::Info = cmd;
    let target = ctx.client().await?.target();
    let f = ctx.features().await?;
    let mut rows: Vec<Row> = Vec::new();
    let mut add = |name: &str, value: String| {
        let mut r = Row::new();
        r.insert("name".into(), json!(name));
        r.insert("value".into(), json!(value));
        rows.push(r);
    };
    add("endpoint", target);
    add("api_generation", f.generation().to_string());
    add("commands", f.command_count().to_string());
    for (name, command, param) in KNOWN {
        let present = if param.is_empty() {
            f.has_command(command)
        } else {
            f.has_param(command, param)
        };
        add(name, if present { "yes" } else { "no" }.to_string());
    }
    ctx.emit(&["name", "value"], &rows)
}

#[cfg(test)]
mod tests {
    #[test]
    fn stats_fields_split_on_spaces_and_commas() {
        let f: Vec<&str> = super::stats_fields("count,sum  min, max").collect();
        assert_eq!(f, ["count", "sum", "min", "max"]);
    }
}
