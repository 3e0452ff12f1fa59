//! Where secrets come from, treated as ssh treats its files: a file rdoveadm trusts
//! (config, password file, API-key file, CA bundle) must not be writable by group or
//! others, nor owned by another user; a file holding a secret must not be readable by
//! them either. `password_command` runs bounded in time and output. Secrets never
//! reach a message: [`redact_url`] hides a URL's userinfo, even in text that doesn't
//! parse as a URL.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::text;

/// The most a secret file or `password_command` may print: more is an error (a
/// password is a line; this stops `yes` or `/dev/zero` from filling memory).
pub const MAX_SECRET_BYTES: usize = 64 * 1024;

/// How long `password_command` may run when the command has no timeout (`--timeout 0`).
pub const PASSWORD_COMMAND_MAX: Duration = Duration::from_secs(30);

/// What a trusted file holds, for the checks and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// Nothing secret, but it decides what rdoveadm does or trusts (config, CA bundle).
    Settings,
    /// A password or API key (or a config with one inline, or a `password_command`).
    Secret,
}

/// Refuses a file that someone other than its reader could change (or, for a secret,
/// read), with the `chmod`/`chown` to run. As in ssh: the file's owner must be the
/// user or root; group and others must not write it; for a secret, nor read it. Only
/// regular files are checked (a pipe such as `--password-file /dev/stdin` stores
/// nothing), and only the file itself, not the directories above it.
pub fn check_file(path: &Path, holds: Holds, what: &str) -> Result<(), Error> {
    let md = std::fs::metadata(path).map_err(|e| unreadable(path, what, e))?;
    if !md.is_file() {
        return Ok(());
    }
    let mode = md.permissions().mode() & 0o7777;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if md.uid() != 0 && md.uid() != me {
        return Err(Error::Config(format!(
            "{what}: `{}` is owned by uid {}, not by you (uid {me}) or root, so its owner can change it; run `chown {me} {}`",
            shown(path),
            md.uid(),
            quoted(path)
        )));
    }
    if holds == Holds::Secret && mode & 0o044 != 0 {
        return Err(Error::Config(format!(
            "{what}: `{}` holds a secret and is readable by group or others (mode {mode:04o}); run `chmod 600 {}`",
            shown(path),
            quoted(path)
        )));
    }
    if mode & 0o022 != 0 {
        return Err(Error::Config(format!(
            "{what}: `{}` is writable by group or others (mode {mode:04o}), so they could change what rdoveadm does or trusts; run `chmod go-w {}`",
            shown(path),
            quoted(path)
        )));
    }
    Ok(())
}

/// A file that can't be read: exit 66, as for any input file (the config file's
/// caller makes it a configuration error).
fn unreadable(path: &Path, what: &str, e: std::io::Error) -> Error {
    Error::NoInput(format!("{what}: cannot read `{}`: {e}", shown(path)))
}

/// Reads a checked file whole, refusing more than `max` bytes.
pub fn read_file(path: &Path, holds: Holds, what: &str, max: usize) -> Result<Vec<u8>, Error> {
    check_file(path, holds, what)?;
    let file = std::fs::File::open(path).map_err(|e| unreadable(path, what, e))?;
    let mut buf = Vec::new();
    file.take(max as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| unreadable(path, what, e))?;
    if buf.len() > max {
        return Err(Error::Config(format!(
            "{what}: `{}` is larger than {max} bytes",
            shown(path)
        )));
    }
    Ok(buf)
}

/// Reads a secret from a file: the first line, without its line ending.
pub fn read_secret(path: &Path, what: &str) -> Result<String, Error> {
    let bytes = read_file(path, Holds::Secret, what, MAX_SECRET_BYTES)?;
    first_line(&bytes).ok_or_else(|| {
        Error::Config(format!(
            "{what}: `{}` is empty or not UTF-8 text",
            shown(path)
        ))
    })
}

/// The first line of a secret's text, if it is UTF-8 and not empty.
fn first_line(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let line = text.lines().next().unwrap_or("");
    (!line.is_empty()).then(|| line.to_string())
}

/// What each `password_command` already run gave, secret or failure, so that a batch, a
/// `who --watch` or a fan-out asks once: 500 servers sharing a hung command wait once.
static COMMAND_SECRETS: Mutex<BTreeMap<String, Result<String, String>>> =
    Mutex::new(BTreeMap::new());

/// Runs `password_command` with `sh -c` (stdin closed, stderr passed through) in its
/// own process group, and returns the first line it printed. The whole group is
/// killed after `timeout` (the command's `--timeout`; [`PASSWORD_COMMAND_MAX`] when
/// that is none) or once it prints more than [`MAX_SECRET_BYTES`]. Any failure is a
/// configuration error (78) whose message never holds what the command printed.
pub fn run_password_command(
    cmd: &str,
    what: &str,
    timeout: Option<Duration>,
) -> Result<String, Error> {
    let known = COMMAND_SECRETS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(cmd)
        .cloned();
    if let Some(outcome) = known {
        return outcome.map_err(Error::Config);
    }
    let limit = timeout.unwrap_or(PASSWORD_COMMAND_MAX);
    let outcome = run_bounded(cmd, what, limit).map_err(|e| e.to_string());
    COMMAND_SECRETS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(cmd.to_string(), outcome.clone());
    outcome.map_err(Error::Config)
}

fn run_bounded(cmd: &str, what: &str, limit: Duration) -> Result<String, Error> {
    let fail = |why: String| Error::Config(format!("{what}: {why}"));
    let mut child = Command::new("sh")
        .args(["-c", cmd])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()
        .map_err(|e| fail(format!("cannot run it: {e}")))?;
    let now = Instant::now();
    let deadline = now.checked_add(limit).unwrap_or(now + PASSWORD_COMMAND_MAX);
    let group = child.id();
    let kill = |child: &mut std::process::Child| {
        // SAFETY: killpg only sends a signal; `group` is the child's own new group.
        unsafe { libc::killpg(group as libc::pid_t, libc::SIGKILL) };
        let _ = child.wait();
    };
    let Some(mut stdout) = child.stdout.take() else {
        kill(&mut child);
        return Err(fail("cannot read its output".into()));
    };
    // Read on a thread, so that the wait below has a deadline.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let r = (&mut stdout)
            .take(MAX_SECRET_BYTES as u64 + 1)
            .read_to_end(&mut buf);
        let _ = tx.send(r.map(|_| buf));
    });
    let timed_out = || {
        fail(format!(
            "did not finish within {} s (the command's --timeout; killed)",
            limit.as_secs_f64()
        ))
    };
    let out = match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(Ok(buf)) => buf,
        Ok(Err(e)) => {
            kill(&mut child);
            return Err(fail(format!("cannot read its output: {e}")));
        }
        Err(_) => {
            kill(&mut child);
            return Err(timed_out());
        }
    };
    if out.len() > MAX_SECRET_BYTES {
        kill(&mut child);
        return Err(fail(format!(
            "printed more than {MAX_SECRET_BYTES} bytes (killed)"
        )));
    }
    // Its output is closed; wait for it to exit, still within the deadline.
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                kill(&mut child);
                return Err(timed_out());
            }
            Err(e) => {
                kill(&mut child);
                return Err(fail(format!("cannot wait for it: {e}")));
            }
        }
    };
    if !status.success() {
        return Err(fail(format!("failed ({status})")));
    }
    first_line(&out).ok_or_else(|| fail("printed no line of UTF-8 text".into()))
}

/// `text` (a URL, or what was meant to be one) with any userinfo replaced by `***`,
/// made safe for a message. Works on text that does not parse: everything between
/// the scheme's `://` (or the start) and the last `@` is hidden.
pub fn redact_url(text: &str) -> String {
    let prefix = match text.find("://") {
        Some(i)
            if i > 0
                && text[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            i + 3
        }
        _ => 0,
    };
    let (head, rest) = text.split_at(prefix);
    // Up to the last `@` anywhere, not just in the authority: a password holding `/`
    // (`http://u:PA/SS@h`) must not show. An `@` in a path hides a little too much.
    let redacted = match rest.rfind('@') {
        Some(at) => format!("{head}***{}", &rest[at..]),
        None => text.to_string(),
    };
    text::escape_message(&text::bounded(&redacted, 200)).into_owned()
}

/// Free text (e.g. clap's message quoting an argument) with the userinfo of every
/// `scheme://user:pass@host` in it replaced by `***`.
pub fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`'))
            .unwrap_or(tail.len());
        let (token, after) = tail.split_at(end);
        match token.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&token[at..]);
            }
            None => out.push_str(token),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// A path for a message: control characters made visible.
pub fn shown(path: &Path) -> String {
    text::escape_message(&path.display().to_string()).into_owned()
}

/// A path for a shell command in a hint: quoted when it needs to be.
fn quoted(path: &Path) -> String {
    let p = path.display().to_string();
    let q = shlex::try_quote(&p).map(|q| q.into_owned()).unwrap_or(p);
    text::escape_message(&q).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_hidden_even_in_text_that_does_not_parse() {
        for (url, want) in [
            ("http://doveadm:PASS@host:8080", "http://***@host:8080"),
            ("http://doveadm:PASS@host:99999", "http://***@host:99999"),
            ("ftp://u:PASS@h/x", "ftp://***@h/x"),
            ("http://u:PASS@[::1", "http://***@[::1"),
            ("doveadm:PASS@host:8080", "***@host:8080"),
            ("http://u:PA@SS@h", "http://***@h"),
            ("http://u:PA/SS@h", "http://***@h"),
            ("x:PASS@h/y://z", "***@h/y://z"),
            ("http://h:8080/x", "http://h:8080/x"),
            ("http://h\x1b[2J", "http://h\\x1b[2J"),
        ] {
            assert_eq!(redact_url(url), want, "{url}");
        }
    }

    #[test]
    fn urls_in_free_text_lose_their_userinfo() {
        assert_eq!(
            redact_urls_in("unexpected argument 'http://u:PW@h:1/x' found, also https://a@b c://d"),
            "unexpected argument 'http://***@h:1/x' found, also https://***@b c://d"
        );
        assert_eq!(redact_urls_in("no url"), "no url");
    }

    #[test]
    fn trust_checks_name_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw file");
        std::fs::write(&p, "s3cret\nmore\n").unwrap();
        let set = |mode| std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode));
        set(0o600).unwrap();
        assert_eq!(read_secret(&p, "x").unwrap(), "s3cret");
        set(0o640).unwrap();
        let e = read_secret(&p, "x").unwrap_err();
        assert_eq!(e.exit_code(), 78);
        assert!(e.to_string().contains("run `chmod 600 '"), "{e}");
        assert!(!e.to_string().contains("s3cret"));
        set(0o620).unwrap();
        assert!(read_secret(&p, "x")
            .unwrap_err()
            .to_string()
            .contains("chmod go-w"));
        // Not a secret: readable is fine, writable is not.
        set(0o644).unwrap();
        assert!(check_file(&p, Holds::Settings, "x").is_ok());
        set(0o646).unwrap();
        assert!(check_file(&p, Holds::Settings, "x")
            .unwrap_err()
            .to_string()
            .contains("mode 0646"));
    }

    #[test]
    fn secret_files_are_read_with_a_cap() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        std::fs::write(&p, vec![b'a'; MAX_SECRET_BYTES + 1]).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(read_secret(&p, "x")
            .unwrap_err()
            .to_string()
            .contains("larger than"));
        std::fs::write(&p, "").unwrap();
        assert!(read_secret(&p, "x").is_err());
    }

    #[test]
    fn password_command_is_bounded() {
        let t = Instant::now();
        let e = run_bounded("sleep 100", "p", Duration::from_millis(300)).unwrap_err();
        assert!(e.to_string().contains("did not finish"), "{e}");
        assert!(t.elapsed() < Duration::from_secs(5));
        // A child that keeps the pipe open is killed too (the whole group).
        let e = run_bounded("sleep 100 & echo pw", "p", Duration::from_millis(300)).unwrap_err();
        assert!(e.to_string().contains("did not finish"), "{e}");
        let e = run_bounded("yes SECRET", "p", Duration::from_secs(10)).unwrap_err();
        assert!(e.to_string().contains("more than"), "{e}");
        assert!(!e.to_string().contains("SECRET"));
        let e = run_bounded("echo SECRET; exit 3", "p", Duration::from_secs(10)).unwrap_err();
        assert!(e.to_string().contains("exit status: 3"), "{e}");
        assert!(!e.to_string().contains("SECRET"));
        assert_eq!(
            run_bounded("printf 'pw\\nx'", "p", Duration::from_secs(10)).unwrap(),
            "pw"
        );
    }
}
