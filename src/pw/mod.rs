//! `doveadm pw`, run here: generating and verifying password hashes is a pure function
//! that never talks to a server (doveadm-pw.c of 2.3.19 and 2.4.1), so rdoveadm does it
//! itself with doveadm's options, output, prompts and exit codes. The schemes follow
//! the Dovecot version named by `RDOVEADM_DOVECOT_VERSION` (`2.3`, the default, or
//! `2.4`): they differ only in `-l`'s list, the `ARGON2` alias, `-r` for SCRAM and how
//! a bad `-r` is refused; the default scheme is `CRYPT` (bcrypt) in both.

mod kdf;
mod md;
pub mod scheme;
mod sys;

use std::ffi::c_int;
use std::io::Write;
use std::sync::atomic::{AtomicI32, Ordering};

use serde_json::{Map, Value};

use crate::error::{code, Error};
use scheme::Params;

/// The environment variable naming the Dovecot version whose `pw` to follow.
pub const VERSION_ENV: &str = "RDOVEADM_DOVECOT_VERSION";

const HELP: &str = "\
Generates a password hash (or, with -t, verifies one) here, as doveadm pw does on the
server: no server is contacted. -l lists the schemes, -p gives the password (else it is
read twice from the terminal, or from stdin when that is not a terminal), -s the scheme
(default CRYPT, i.e. bcrypt; NAME.b64 or NAME.hex for another encoding), -r the rounds,
-u the user (DIGEST-MD5), -t HASH verifies HASH, -V verifies the new hash.
The Dovecot version followed is RDOVEADM_DOVECOT_VERSION (2.3, the default, or 2.4):
it decides -l's list, the ARGON2 alias (2.4), whether SCRAM takes -r (2.4) and whether a
negative or unparsable -r is refused (2.4; 2.3 runs with the default cost for one it cannot
parse). Ctrl-C at a prompt ends rdoveadm with the echo restored (doveadm goes on and
hashes the empty password). Exit codes as doveadm: 75 for an
unknown scheme or a failed verification, 1 when the passwords typed differ three times.";

/// doveadm-pw.c's `DEFAULT_SCHEME` (2.3 and 2.4).
const DEFAULT_SCHEME: &str = "CRYPT";

/// Exit code of doveadm's `i_fatal()`.
const FATAL: i32 = code::TEMPFAIL;

/// doveadm's `i_fatal(msg)`: Dovecot's words, as rdoveadm's one-line error (a leading
/// capital lowered unless it starts a name such as `PLAIN-TRUNC`).
fn fatal(msg: &str) -> Error {
    let mut chars = msg.chars();
    let msg = match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if b.is_ascii_lowercase() => {
            format!(
                "{}{}",
                a.to_ascii_lowercase(),
                msg.get(1..).unwrap_or_default()
            )
        }
        _ => msg.to_string(),
    };
    eprintln!("rdoveadm: error: {}", crate::text::escape_message(&msg));
    Error::Silent(FATAL)
}

/// Whether `pw` follows Dovecot 2.4 (RDOVEADM_DOVECOT_VERSION); a bad value is a usage error.
pub fn v24() -> Result<bool, Error> {
    match std::env::var(VERSION_ENV) {
        Err(_) => Ok(false),
        Ok(v) if v.is_empty() || v == "2.3" || v.starts_with("2.3.") => Ok(false),
        Ok(v) if v == "2.4" || v.starts_with("2.4.") => Ok(true),
        Ok(v) => Err(Error::Usage(format!(
            "{VERSION_ENV}: `{}` is not `2.3` or `2.4`",
            crate::text::escape_message(&v)
        ))),
    }
}

fn text<'a>(params: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    params.get(key).and_then(Value::as_str)
}

/// `-r`: 2.3 takes any int64 up to UINT_MAX (a negative one wraps, as C's assignment
/// does); 2.4 refuses a negative one with 64 (and aborts above UINT_MAX: here 75).
fn rounds(params: &Map<String, Value>, v24: bool) -> Result<u32, Error> {
    let Some(r) = params.get("rounds").and_then(Value::as_i64) else {
        return Ok(0);
    };
    if v24 && r < 0 {
        return Err(Error::Usage(format!(
            "pw: invalid parameter: cannot be negative: {r}"
        )));
    }
    if r > i64::from(u32::MAX) {
        return Err(fatal(&format!("Invalid number of rounds: {r}")));
    }
    Ok(r as u32)
}

/// `doveadm pw ARGS`: `usage` is the command table's usage line, `parse` reads the
/// arguments by the table (doveadm's options, in any order).
pub fn run(
    args: &[String],
    usage: &str,
    parse: impl FnOnce() -> Result<Map<String, Value>, Error>,
) -> Result<(), Error> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("usage: rdoveadm pw {usage}\n\n{HELP}");
        return Ok(());
    }
    let params = parse()?;
    let params = &params;
    let v24 = v24()?;
    let mut out = std::io::stdout().lock();
    if params.contains_key("list") {
        out.write_all(scheme::list(v24).as_bytes())
            .and_then(|_| out.flush())
            .map_err(Error::from_write)?;
        return Ok(());
    }
    let p = Params {
        user: text(params, "user").map(str::to_string),
        rounds: rounds(params, v24)?,
        v24,
    };
    let name = text(params, "scheme")
        .unwrap_or(DEFAULT_SCHEME)
        .to_ascii_uppercase();
    let test_hash = text(params, "testHash");
    let reverse = test_hash.is_some() || params.contains_key("reverseVerify");
    let mut plain = text(params, "plaintext").map(|s| s.as_bytes().to_vec());
    if test_hash.is_some() && plain.is_none() {
        plain = Some(askpass("Enter password to verify: ")?);
    }
    let mut lives = 3;
    let mut plain = loop {
        if let Some(p) = plain {
            break p;
        }
        let first = askpass("Enter new password: ")?;
        let check = askpass("Retype new password: ")?;
        if first == check {
            break first;
        }
        eprintln!("rdoveadm: error: passwords don't match");
        lives -= 1;
        if lives == 0 {
            return Err(Error::Silent(1));
        }
    };
    // A C string ends at its first NUL.
    if let Some(nul) = plain.iter().position(|&c| c == 0) {
        plain.truncate(nul);
    }
    let hash = match scheme::generate_encoded(&plain, &p, &name) {
        None => return Err(fatal(&format!("Unknown scheme: {name}"))),
        Some(Err(e)) => return Err(fatal(&e)),
        Some(Ok(h)) => h,
    };
    let line = if reverse {
        let (scheme, hash) = match test_hash {
            Some(t) => match scheme::split_scheme(t.as_bytes()) {
                Some((s, h)) => (s, h.to_vec()),
                None => return Err(fatal("Missing {scheme} prefix from hash")),
            },
            None => (name, hash),
        };
        let raw = scheme::decode(&hash, &scheme, v24)
            .map_err(|e| fatal(&format!("reverse decode check failed: {e}")))?;
        match scheme::verify(&plain, &p, &scheme, &raw) {
            Ok(true) => {}
            Ok(false) => {
                return Err(fatal(
                    "reverse password verification check failed: Password mismatch",
                ))
            }
            Err(e) => {
                return Err(fatal(&format!(
                    "reverse password verification check failed: {e}"
                )))
            }
        }
        [format!("{{{scheme}}}").as_bytes(), &hash, b" (verified)\n"].concat()
    } else {
        [format!("{{{name}}}").as_bytes(), &hash, b"\n"].concat()
    };
    out.write_all(&line)
        .and_then(|_| out.flush())
        .map_err(Error::from_write)
}

/// `t_askpass` (lib/askpass.c): on a terminal, the prompt on stderr and the line read
/// from /dev/tty without echo; otherwise a line from stdin, no prompt. Read a byte at
/// a time up to `\n` or `\r`, so the next prompt's line is left on stdin. The echo is
/// restored whatever ends the read (see [`Interrupts`]).
fn askpass(prompt: &str) -> Result<Vec<u8>, Error> {
    // SAFETY: isatty on fd 0 has no preconditions.
    let tty = unsafe { libc::isatty(0) } == 1;
    let mut line = Vec::new();
    if !tty {
        read_line(0, &mut line);
        return Ok(line);
    }
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let file = std::fs::File::open("/dev/tty")
        .map_err(|e| fatal(&format!("open(/dev/tty) failed: {e}")))?;
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    // SAFETY: `old` is plain data filled by tcgetattr on an open fd.
    let mut old: libc::termios = unsafe { std::mem::zeroed() };
    let restore = unsafe { libc::tcgetattr(fd, &mut old) } == 0;
    let interrupts = Interrupts::catch();
    if restore {
        let mut quiet = old;
        quiet.c_lflag &= !(libc::ECHO | libc::ECHONL);
        // SAFETY: `quiet` is a valid termios for this fd.
        unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &quiet) };
    }
    read_line(fd, &mut line);
    if restore {
        // SAFETY: `old` came from tcgetattr on this fd.
        unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &old) };
    }
    eprintln!();
    drop(interrupts);
    Ok(line)
}

/// The signal that interrupted the read (0: none). A lock-free atomic: storing to it
/// is all the handler does, which is async-signal-safe.
static CAUGHT: AtomicI32 = AtomicI32::new(0);

extern "C" fn caught(sig: c_int) {
    CAUGHT.store(sig, Ordering::SeqCst);
}

/// SIGINT, SIGTERM and SIGHUP while a password is read without echo: caught, so that
/// the read ends and the echo is restored, then delivered again to the handler before
/// (by default: the process ends by that signal, the shell's 130 for Ctrl-C). doveadm
/// differs on purpose here: its SIGINT/SIGTERM handlers (lib-master's `sig_die`,
/// without SA_RESTART) end the line as Enter does and it goes on, so Ctrl-C at both
/// prompts prints the hash of the empty password, exit 0: a hash an admin may paste
/// into a passwd file. A signal the caller ignores (`nohup`, `&`) stays ignored.
struct Interrupts {
    old: Vec<(c_int, libc::sigaction)>,
}

impl Interrupts {
    const SIGNALS: [c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    fn catch() -> Interrupts {
        CAUGHT.store(0, Ordering::SeqCst);
        let mut old = Vec::new();
        for sig in Interrupts::SIGNALS {
            // SAFETY: plain data; sigaction only reads `act` and fills `prev`.
            unsafe {
                let mut prev: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, std::ptr::null(), &mut prev) != 0
                    || prev.sa_sigaction == libc::SIG_IGN
                {
                    continue;
                }
                let mut act: libc::sigaction = std::mem::zeroed();
                act.sa_sigaction = caught as extern "C" fn(c_int) as libc::sighandler_t;
                // No SA_RESTART: the read returns EINTR.
                act.sa_flags = 0;
                libc::sigemptyset(&mut act.sa_mask);
                if libc::sigaction(sig, &act, std::ptr::null_mut()) == 0 {
                    old.push((sig, prev));
                }
            }
        }
        Interrupts { old }
    }
}

impl Drop for Interrupts {
    /// Puts the previous handlers back; a signal caught is then delivered to them.
    fn drop(&mut self) {
        for (sig, prev) in &self.old {
            // SAFETY: `prev` came from sigaction for this signal.
            unsafe { libc::sigaction(*sig, prev, std::ptr::null_mut()) };
        }
        let sig = CAUGHT.swap(0, Ordering::SeqCst);
        if sig != 0 {
            // SAFETY: raise has no preconditions.
            unsafe { libc::raise(sig) };
        }
    }
}

fn read_line(fd: i32, line: &mut Vec<u8>) {
    let mut ch = 0u8;
    // A signal caught before the first read ends the line as one during it does.
    while CAUGHT.load(Ordering::SeqCst) == 0 {
        // SAFETY: reads at most one byte into `ch`.
        let n = unsafe { libc::read(fd, (&mut ch as *mut u8).cast(), 1) };
        if n <= 0 || ch == b'\n' || ch == b'\r' {
            break;
        }
        line.push(ch);
    }
}
