//! `probe`: check IMAP/POP3 servers from the outside (placeholder until it lands).

use super::Ctx;
use crate::cli::probe::ProbeArgs;
use crate::error::Error;

pub async fn run(_ctx: &Ctx, _args: &ProbeArgs) -> Result<(), Error> {
    Err(Error::Usage("probe: not built yet".into()))
}
