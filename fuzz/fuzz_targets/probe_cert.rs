//! The probe's certificate reading on arbitrary DER (what a hostile TLS server
//! sends) and the date arithmetic on it: never panics.
#![no_main]

#[path = "../../tests/fuzz_inputs/mod.rs"]
mod inputs;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| inputs::probe_cert(data));
