//! `GET /doveadm/v1`'s command list parser on arbitrary bytes: never panics.
#![no_main]

#[path = "../../tests/fuzz_inputs/mod.rs"]
mod inputs;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| inputs::schema(data));
