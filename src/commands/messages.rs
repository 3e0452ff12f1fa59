//! Message commands: fetch, search, expunge, flags, move, copy.

use serde_json::json;

use super::users::{confirm, Users};
use super::{params, user_columns, Ctx};
use crate::cli::{ExpungeArgs, FetchArgs, FlagsArgs, FlagsCommand, MoveArgs, SearchArgs};
use crate::error::Error;

/// What `expunge --dry-run` shows of each message that would go.
const DRY_RUN_FIELDS: &[&str] = &["mailbox", "uid", "date.saved", "hdr.subject"];

fn words(what: &str, text: &str) -> Result<Vec<String>, Error> {
    let w: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    if w.is_empty() {
        return Err(Error::Usage(format!("{what} is empty")));
    }
    Ok(w)
}

pub async fn fetch(ctx: &Ctx, a: &FetchArgs) -> Result<(), Error> {
    let users = Users::from_args(&a.users)?;
    let fields = words("fetch: FIELDS", &a.fields)?;
    let p = params([("field", json!(fields)), ("query", json!(a.query))]);
    // The server's keys are the field names, lower-cased.
    let cols: Vec<String> = fields.iter().map(|f| f.to_ascii_lowercase()).collect();
    let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
    ctx.mail_emit("fetch", &users, p, &user_columns(users.many(), &cols))
        .await
}

pub async fn search(ctx: &Ctx, a: &SearchArgs) -> Result<(), Error> {
    let users = Users::from_args(&a.users)?;
    ctx.mail_emit(
        "search",
        &users,
        params([("query", json!(a.query))]),
        &user_columns(users.many(), &["mailbox-guid", "uid"]),
    )
    .await
}

pub async fn expunge(ctx: &Ctx, a: &ExpungeArgs) -> Result<(), Error> {
    super::preflight::query("expunge", &a.query)?;
    let users = Users::from_args(&a.users)?;
    let query = a.query.join(" ");
    if a.dry_run || (!a.yes && std::io::IsTerminal::is_terminal(&std::io::stdin())) {
        // Show what matches first: with --dry-run that is all; on a terminal it feeds the question.
        let p = params([("field", json!(DRY_RUN_FIELDS)), ("query", json!(a.query))]);
        let rows = ctx.mail_rows("fetch", &users, p).await?;
        if a.dry_run {
            eprintln!(
                "{}",
                crate::text::message_line(&format!(
                    "rdoveadm: dry run: {} message(s) of {} match `{query}`; nothing was expunged",
                    rows.len(),
                    users.describe()
                ))
            );
            return ctx.emit(&user_columns(users.many(), DRY_RUN_FIELDS), &rows);
        }
        confirm(
            &format!(
                "expunge {} message(s) of {} matching `{query}`",
                rows.len(),
                users.describe()
            ),
            a.yes,
        )?;
    }
    let p = params([
        ("query", json!(a.query)),
        ("deleteEmptyMailbox", json!(a.delete_empty_mailbox)),
    ]);
    let result = ctx.mail_rows("expunge", &users, p).await;
    ctx.done("expunge", result)
}

pub async fn flags(ctx: &Ctx, cmd: &FlagsCommand) -> Result<(), Error> {
    let (command, a): (&str, &FlagsArgs) = match cmd {
        FlagsCommand::Add(a) => ("flagsAdd", a),
        FlagsCommand::Remove(a) => ("flagsRemove", a),
        FlagsCommand::Replace(a) => ("flagsReplace", a),
    };
    let users = Users::from_args(&a.users)?;
    let flags = words("flags: FLAGS", &a.flags)?;
    let p = params([("flag", json!(flags)), ("query", json!(a.query))]);
    let result = ctx.mail_rows(command, &users, p).await;
    ctx.done(command, result)
}

pub async fn move_or_copy(ctx: &Ctx, command: &str, a: &MoveArgs) -> Result<(), Error> {
    super::preflight::query(command, &a.query)?;
    let users = Users::from_args(&a.users)?;
    if a.destination.trim().is_empty() {
        return Err(Error::Usage(format!("{command}: DEST is empty")));
    }
    // `DEST user NAME QUERY`: the source user. Dovecot 2.3 reads it from the query;
    // 2.4 takes it as parameter `sourceUser` (its worker dies on `user` in the query).
    let mut query: &[String] = &a.query;
    let mut source_user = None;
    if let [word, name, rest @ ..] = query {
        let f = ctx.features().await?;
        // 2.3 advertises `sourceUser` too, beside `sourceType`: it joins all of them
        // back into one query, so there the query stays as typed.
        if word == "user"
            && f.has_param(command, "sourceUser")
            && !f.has_param(command, "sourceType")
        {
            source_user = Some(name.clone());
            query = rest;
        }
    }
    // doveadm runs -A's and -F's users one after another; with a source user every
    // run moves that user's mail, so the order decides who gets it. Concurrent shards
    // would all copy the source before any of them expunged it.
    let shared_source = a.query.first().is_some_and(|w| w == "user");
    let users = match users {
        Users::List(list, _) if shared_source => Users::List(list, 1),
        Users::All(_) if shared_source => Users::All(1),
        other => other,
    };
    let p = params([
        ("destinationMailbox", json!(a.destination)),
        ("sourceUser", json!(source_user)),
        ("query", json!(query)),
    ]);
    let result = ctx.mail_rows(command, &users, p).await;
    ctx.done(command, result)
}
