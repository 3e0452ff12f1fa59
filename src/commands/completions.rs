//! `completions SHELL`: the completion script, the same as the one committed under
//! `completions/` (see [`crate::docs::completion_script`]): it registers live
//! completion, so Tab asks `rdoveadm` itself for commands, user and mailbox names.

use std::io::Write;

use crate::cli::CompletionsArgs;
use crate::error::Error;

pub fn run(a: &CompletionsArgs) -> Result<(), Error> {
    let script = crate::docs::completion_script(a.shell);
    std::io::stdout()
        .lock()
        .write_all(script.as_bytes())
        .map_err(Error::from_write)
}
