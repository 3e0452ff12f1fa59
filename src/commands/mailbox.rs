//! `mailbox`: list.

use serde_json::json;

use super::{is_user_mask, params, user_columns, Ctx};
use crate::cli::{MailboxCommand, MailboxListArgs};
use crate::error::Error;

pub async fn run(ctx: &Ctx, cmd: &MailboxCommand) -> Result<(), Error> {
    match cmd {
        MailboxCommand::List(a) => list(ctx, a).await,
    }
}

async fn list(ctx: &Ctx, a: &MailboxListArgs) -> Result<(), Error> {
    let p = params([("user", json!(a.users.user)), ("mailboxMask", json!(a.masks))]);
    let rows = ctx.rows("mailboxList", &p).await?;
    ctx.emit(&user_columns(is_user_mask(&a.users.user), &["mailbox"]), &rows)
}
