//! `quota`: get.

use serde_json::json;

use super::{is_user_mask, params, user_columns, Ctx};
use crate::cli::QuotaCommand;
use crate::error::Error;

pub const COLUMNS: &[&str] = &["root", "type", "value", "limit", "percent"];

pub async fn run(ctx: &Ctx, cmd: &QuotaCommand) -> Result<(), Error> {
    match cmd {
        QuotaCommand::Get(a) => {
            let rows = ctx.rows("quotaGet", &params([("user", json!(a.users.user))])).await?;
            ctx.emit(&user_columns(is_user_mask(&a.users.user), COLUMNS), &rows)
        }
    }
}
