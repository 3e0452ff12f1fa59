//! A one-line progress display on stderr for fan-out and sharded jobs: done / total
//! and rows so far. Shown only when stderr is a terminal; silent otherwise.

use std::io::{IsTerminal, Write};

pub struct Progress {
    what: &'static str,
    total: usize,
    enabled: bool,
}

impl Progress {
    pub fn new(what: &'static str, total: usize) -> Progress {
        Progress {
            what,
            total,
            enabled: std::io::stderr().is_terminal() && total > 1,
        }
    }

    pub fn update(&self, done: usize, rows: usize) {
        if !self.enabled {
            return;
        }
        const WIDTH: usize = 24;
        let filled = (done * WIDTH)
            .checked_div(self.total)
            .unwrap_or(WIDTH)
            .min(WIDTH);
        let bar: String = "#".repeat(filled) + &"-".repeat(WIDTH - filled);
        let mut e = std::io::stderr().lock();
        let _ = write!(
            e,
            "\r\x1b[2K[{bar}] {done}/{} {} · {rows} rows",
            self.total, self.what
        );
        let _ = e.flush();
    }

    pub fn clear(&self) {
        if self.enabled {
            let mut e = std::io::stderr().lock();
            let _ = write!(e, "\r\x1b[2K");
            let _ = e.flush();
        }
    }
}
