//! The probe's POP3 reply parsing on an arbitrary byte stream, as the async code
//! sees it (greeting, CAPA, STLS): never panics.
#![no_main]

#[path = "../../tests/fuzz_inputs/mod.rs"]
mod inputs;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| inputs::probe_pop3(data));
