//! Integration tests: one binary, modules per area. Tests run the built `rdoveadm`
//! with a blank environment against real Dovecot instances (see `harness`).

mod harness;

mod batch;
mod client_faults;
mod compat;
mod completion;
mod core;
mod doveadm_output;
mod doveadm_served;
mod dropin;
mod exit_codes;
mod fleet;
mod fleet_scale;
mod generated;
mod hostile_text;
mod lost_output;
mod mail;
mod monitoring;
mod newcomer;
mod passthrough;
mod probe;
mod profiles;
mod pw;
mod rows;
mod trust;
mod versions;

// The hostile-server suite and its fake server (issue 10).
mod fake;
mod hostile;
