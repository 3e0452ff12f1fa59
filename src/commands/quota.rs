//! `quota`: get, recalc.

use super::users::Users;
use super::{user_columns, Ctx};
use crate::cli::QuotaCommand;
use crate::error::Error;

pub const COLUMNS: &[&str] = &["root", "type", "value", "limit", "percent"];

pub async fn run(ctx: &Ctx, cmd: &QuotaCommand) -> Result<(), Error> {
    match cmd {
        QuotaCommand::Get(a) => {
            let users = Users::from_args(&a.users)?;
            ctx.mail_emit(
                "quotaGet",
                &users,
                Default::default(),
                &user_columns(users.many(), COLUMNS),
            )
            .await
        }
        QuotaCommand::Recalc(a) => {
            let users = Users::from_args(&a.users)?;
            let result = ctx
                .mail_rows("quotaRecalc", &users, Default::default())
                .await;
            ctx.done("quotaRecalc", result)
        }
    }
}
