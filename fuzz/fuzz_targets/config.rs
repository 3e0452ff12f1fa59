//! The config file parser on arbitrary text: never panics. Built only with feature
//! `config` (`rdoveadm::config::parse`, the parse without I/O that `config::load` uses).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A config file is read with `read_to_string`: only UTF-8 gets this far.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = rdoveadm::config::parse(text, Path::new("fuzz.toml")) {
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "a config error is one line: {msg:?}");
    }
});
