//! Integration tests: one binary, modules per area. Tests run the built `rdoveadm`
//! with a blank environment against real Dovecot instances (see `harness`).

mod harness;

mod batch;
mod core;
mod exit_codes;
mod fleet;
mod mail;
mod passthrough;
mod profiles;
mod versions;
mod probe;
