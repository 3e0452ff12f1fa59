//! `mailbox`: list, status, create, delete, rename, subscribe, unsubscribe.

use serde_json::json;

use super::users::{confirm, Users};
use super::{params, require_non_blank, user_columns, Ctx};
use crate::cli::{
    MailboxCommand, MailboxCreateArgs, MailboxDeleteArgs, MailboxListArgs, MailboxNamesArgs,
    MailboxRenameArgs, MailboxStatusArgs, STATUS_FIELDS, TOTAL_SUM_FIELDS,
};
use crate::error::Error;

pub async fn run(ctx: &Ctx, cmd: &MailboxCommand) -> Result<(), Error> {
    match cmd {
        MailboxCommand::List(a) => list(ctx, a).await,
        MailboxCommand::Status(a) => status(ctx, a).await,
        MailboxCommand::Create(a) => create(ctx, a).await,
        MailboxCommand::Delete(a) => delete(ctx, a).await,
        MailboxCommand::Rename(a) => rename(ctx, a).await,
        MailboxCommand::Subscribe(a) => names(ctx, "mailboxSubscribe", a).await,
        MailboxCommand::Unsubscribe(a) => names(ctx, "mailboxUnsubscribe", a).await,
    }
}

async fn list(ctx: &Ctx, a: &MailboxListArgs) -> Result<(), Error> {
    let users = Users::from_args(&a.users)?;
    let p = params([
        ("mailboxMask", json!(a.masks)),
        ("subscriptions", json!(a.subscriptions)),
    ]);
    ctx.mail_emit(
        "mailboxList",
        &users,
        p,
        &user_columns(users.many(), &["mailbox"]),
    )
    .await
}

async fn status(ctx: &Ctx, a: &MailboxStatusArgs) -> Result<(), Error> {
    let users = Users::from_args(&a.users)?;
    let fields = status_fields(&a.fields, a.total_sum)?;
    require_non_blank("mailbox status: MASK", &a.masks)?;
    let p = params([
        ("field", json!(fields)),
        ("mailboxMask", json!(a.masks)),
        ("totalSum", json!(a.total_sum)),
    ]);
    // doveadm's headers: the mailbox (unless --total-sum), then the fields.
    let mut columns: Vec<&str> = if a.total_sum { vec![] } else { vec!["mailbox"] };
    columns.extend(fields.iter().map(String::as_str));
    ctx.mail_emit(
        "mailboxStatus",
        &users,
        p,
        &user_columns(users.many(), &columns),
    )
    .await
}

/// Validates status fields locally: an unknown one kills the server's worker
/// (`i_fatal_status(EX_USAGE)`, no reply at all).
pub fn status_fields(text: &str, total_sum: bool) -> Result<Vec<String>, Error> {
    let fields: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    if fields.is_empty() {
        return Err(Error::Usage("mailbox status: FIELDS is empty".into()));
    }
    let allowed = if total_sum {
        TOTAL_SUM_FIELDS
    } else {
        STATUS_FIELDS
    };
    for f in &fields {
        if !allowed.contains(&f.as_str()) {
            return Err(Error::Usage(format!(
                "mailbox status: unknown field `{f}`{}; valid: {}",
                if total_sum { " with --total-sum" } else { "" },
                allowed.join(", ")
            )));
        }
    }
    Ok(fields)
}

async fn create(ctx: &Ctx, a: &MailboxCreateArgs) -> Result<(), Error> {
    require_non_blank("mailbox create: NAME", &a.names)?;
    super::preflight::mailbox_names("mailbox create", &a.names)?;
    let users = Users::from_args(&a.users)?;
    let p = params([
        ("mailbox", json!(a.names)),
        ("subscriptions", json!(a.subscribe)),
    ]);
    let result = ctx.mail_rows("mailboxCreate", &users, p).await;
    let result = result.map_err(|e| super::preflight::refused_names(e, &a.names));
    ctx.done("mailboxCreate", result)
}

async fn delete(ctx: &Ctx, a: &MailboxDeleteArgs) -> Result<(), Error> {
    require_non_blank("mailbox delete: NAME", &a.names)?;
    let users = Users::from_args(&a.users)?;
    confirm(
        &format!(
            "delete mailbox{} {} of {}{}",
            if a.names.len() > 1 { "es" } else { "" },
            a.names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            users.describe(),
            if a.recursive {
                ", with all children"
            } else {
                ""
            }
        ),
        a.yes,
    )?;
    let p = params([
        ("mailbox", json!(a.names)),
        ("recursive", json!(a.recursive)),
        ("subscriptions", json!(a.unsubscribe)),
        ("requireEmpty", json!(a.require_empty)),
        ("unsafe", json!(a.unsafe_delete)),
    ]);
    let result = ctx.mail_rows("mailboxDelete", &users, p).await;
    ctx.done("mailboxDelete", result)
}

async fn rename(ctx: &Ctx, a: &MailboxRenameArgs) -> Result<(), Error> {
    require_non_blank("mailbox rename", &[a.old.clone(), a.new.clone()])?;
    let users = Users::from_args(&a.users)?;
    let p = params([
        ("mailbox", json!(a.old)),
        ("newName", json!(a.new)),
        ("subscriptions", json!(a.subscriptions)),
    ]);
    let result = ctx.mail_rows("mailboxRename", &users, p).await;
    let result =
        result.map_err(|e| super::preflight::refused_names(e, std::slice::from_ref(&a.new)));
    ctx.done("mailboxRename", result)
}

async fn names(ctx: &Ctx, command: &str, a: &MailboxNamesArgs) -> Result<(), Error> {
    require_non_blank("NAME", &a.names)?;
    let users = Users::from_args(&a.users)?;
    let result = ctx
        .mail_rows(command, &users, params([("mailbox", json!(a.names))]))
        .await;
    ctx.done(command, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_checked_locally() {
        assert_eq!(
            status_fields("messages  unseen", false).unwrap(),
            ["messages", "unseen"]
        );
        assert_eq!(status_fields("bogus", false).unwrap_err().exit_code(), 64);
        assert!(status_fields("guid", true).is_err());
        assert!(status_fields("vsize", true).is_ok());
        assert!(status_fields("  ", false).is_err());
    }
}
