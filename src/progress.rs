//! A one-line progress display on stderr for fan-out and sharded jobs: done / total
//! and rows so far. Shown only when stderr is a terminal; silent otherwise. Ctrl-C
//! while it is shown clears the line and ends the process by SIGINT (the shell reports
//! 130, 128 + SIGINT, and stops a loop it runs in).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// How many progress displays are on screen (0 or 1 in practice).
static SHOWN: AtomicUsize = AtomicUsize::new(0);
/// Whether the Ctrl-C watcher runs (installed once, for the rest of the process).
static WATCHING: AtomicBool = AtomicBool::new(false);

/// The exit code after Ctrl-C.
pub const INTERRUPTED: i32 = 130;

/// Watches for Ctrl-C on the current tokio runtime: the line is cleared if a progress
/// display is up, and the process dies of SIGINT (exit status 130 in a shell). Without a runtime, SIGINT keeps its
/// default (the process dies; nothing to clear then).
fn watch_interrupt() {
    if WATCHING.swap(true, Ordering::SeqCst) {
        return;
    }
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        WATCHING.store(false, Ordering::SeqCst);
        return;
    };
    rt.spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            if SHOWN.load(Ordering::SeqCst) > 0 {
                clear_line();
            }
            die_of_sigint();
        }
    });
}

/// Ends the process by SIGINT itself, not by `exit(130)`: a shell running a loop
/// stops it only when the child died of the signal (bash, zsh: "wait and cooperative
/// exit"); `$?` still shows 130.
fn die_of_sigint() -> ! {
    // SAFETY: restoring the default disposition and raising a signal have no memory
    // effects; the process ends at `raise`.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::raise(libc::SIGINT);
    }
    // Only if SIGINT was blocked.
    std::process::exit(INTERRUPTED);
}

fn clear_line() {
    let mut e = std::io::stderr().lock();
    let _ = write!(e, "\r\x1b[2K");
    let _ = e.flush();
}

pub struct Progress {
    what: &'static str,
    total: usize,
    enabled: bool,
}

impl Progress {
    pub fn new(what: &'static str, total: usize) -> Progress {
        let enabled = std::io::stderr().is_terminal() && total > 1;
        if enabled {
            SHOWN.fetch_add(1, Ordering::SeqCst);
            watch_interrupt();
        }
        Progress {
            what,
            total,
            enabled,
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
            clear_line();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.enabled {
            SHOWN.fetch_sub(1, Ordering::SeqCst);
        }
    }
}
