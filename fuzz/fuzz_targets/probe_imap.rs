//! The probe's IMAP reply parsing on an arbitrary byte stream, as the async code
//! sees it (greeting, CAPABILITY, STARTTLS): never panics.
#![no_main]

#[path = "../../tests/fuzz_inputs/mod.rs"]
mod inputs;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| inputs::probe_imap(data));
