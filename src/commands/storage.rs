//! Storage maintenance: index, force-resync, purge.

use serde_json::json;

use super::users::Users;
use super::{params, Ctx};
use crate::cli::{ForceResyncArgs, IndexArgs, PurgeArgs};
use crate::error::Error;

// `mailboxMask` is a string in 2.3 and an array in 2.4; 2.4 takes a single string as a
// one-element array, so a string works on both.

pub async fn index(ctx: &Ctx, a: &IndexArgs) -> Result<(), Error> {
    let users = Users::from_args(&a.users)?;
    let p = params([("mailboxMask", json!(a.mask)), ("queue", json!(a.queue))]);
    let result = ctx.mail_rows("index", &users, p).await;
    ctx.done("index", result)
}

pub async fn force_resync(ctx: &Ctx, a: &ForceResyncArgs) -> Result<(), Error> {
    let users = Users::from_args(&a.users)?;
    let p = params([("mailboxMask", json!(a.mask)), ("fsck", json!(a.fsck))]);
    let result = ctx.mail_rows("forceResync", &users, p).await;
    ctx.done("forceResync", result)
}

pub async fn purge(ctx: &Ctx, a: &PurgeArgs) -> Result<(), Error> {
    let users = Users::from_args(&a.users)?;
    let result = ctx.mail_rows("purge", &users, Default::default()).await;
    ctx.done("purge", result)
}
