//! The reply parser on arbitrary bytes: never panics; `parse_reply` (one tree),
//! `stream_rows` (row by row) and the parser fed in small chunks (as a socket hands
//! it over) end alike: the same rows, or errors with the same exit code; and a reply
//! it accepts is JSON.
#![no_main]

#[path = "../../tests/fuzz_inputs/mod.rs"]
mod inputs;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (tree, streamed) = inputs::reply(data);
    let chunked = inputs::reply_chunked(data, data);
    if cfg!(feature = "agree") {
        assert!(
            inputs::agree(&tree, &streamed),
            "parse_reply: {tree:?}, stream_rows: {streamed:?}"
        );
        assert_eq!(tree, chunked, "whole and chunked differ");
    }
    if cfg!(feature = "json") && tree.is_ok() {
        let json = serde_json::from_slice::<serde_json::Value>(data);
        assert!(json.is_ok(), "accepted, but not JSON: {json:?}");
    }
});
