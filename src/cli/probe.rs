//! `probe` arguments (owned by the probe work; placeholder until it lands).

use clap::Args;

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Hosts to check.
    #[arg(value_name = "HOST", required = true)]
    pub hosts: Vec<String>,
}
