//! The reply parsers on arbitrary bytes: `parse_reply` (one tree) and `stream_rows`
//! (row by row) never panic and, with feature `agree`, end alike: the same rows, or
//! errors with the same exit code.
#![no_main]

#[path = "../../tests/fuzz_inputs/mod.rs"]
mod inputs;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (tree, streamed) = inputs::reply(data);
    if cfg!(feature = "agree") {
        assert!(
            inputs::agree(&tree, &streamed),
            "parse_reply: {tree:?}, stream_rows: {streamed:?}"
        );
    }
});
