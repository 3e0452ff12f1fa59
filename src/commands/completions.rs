//! `completions SHELL`: the completion script, generated from the clap definition.
//! The same scripts are committed under `completions/`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Error;

pub fn run(a: &CompletionsArgs) -> Result<(), Error> {
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut Cli::command(), "rdoveadm", &mut out);
    use std::io::Write;
    std::io::stdout().lock().write_all(&out).map_err(Error::from_write)
}
