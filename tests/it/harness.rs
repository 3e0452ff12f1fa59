//! The real-Dovecot harness: a guard that starts a sandbox instance with
//! `scripts/dovecot-sandbox` and stops it on drop; helpers to run the built binary
//! with a blank environment; real IMAP and POP3 logins so `who`/`kick` see sessions.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Dovecot versions to test against: `RDOVEADM_TEST_DOVECOT=2.3|2.4|all` (default all).
pub fn versions() -> Vec<&'static str> {
    match std::env::var("RDOVEADM_TEST_DOVECOT").as_deref() {
        Ok("2.3") => vec!["2.3"],
        Ok("2.4") => vec!["2.4"],
        Ok("all") | Ok("") | Err(_) => vec!["2.3", "2.4"],
        Ok(other) => panic!("RDOVEADM_TEST_DOVECOT={other}: expected 2.3, 2.4 or all"),
    }
}

/// A running sandbox Dovecot; stopped when dropped.
pub struct Dovecot {
    pub vars: HashMap<String, String>,
}

impl Dovecot {
    /// Starts an instance; panics (failing the test, never skipping) if it can't.
    pub fn start(version: &str, extra: &[&str]) -> Dovecot {
        let out = Command::new(repo().join("scripts/dovecot-sandbox"))
            .arg("start")
            .args(["--version", version])
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .expect("cannot run scripts/dovecot-sandbox");
        assert!(
            out.status.success(),
            "dovecot-sandbox start --version {version} {extra:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Dovecot {
            vars: parse_vars(&String::from_utf8_lossy(&out.stdout)),
        }
    }

    pub fn var(&self, k: &str) -> &str {
        self.vars
            .get(k)
            .unwrap_or_else(|| panic!("sandbox did not print {k}"))
    }
    pub fn version(&self) -> &str {
        self.var("SANDBOX_VERSION")
    }
    pub fn url(&self) -> &str {
        self.var("RDOVEADM_URL")
    }
    pub fn socket(&self) -> &str {
        self.var("RDOVEADM_SOCKET")
    }
    pub fn password(&self) -> &str {
        self.var("RDOVEADM_PASSWORD")
    }
    pub fn api_key(&self) -> &str {
        self.var("RDOVEADM_API_KEY")
    }
    pub fn imap_port(&self) -> u16 {
        self.var("SANDBOX_IMAP_PORT").parse().unwrap()
    }
    pub fn pop3_port(&self) -> u16 {
        self.var("SANDBOX_POP3_PORT").parse().unwrap()
    }

    /// `rdoveadm` against this instance over TCP with the password.
    pub fn rdoveadm(&self) -> Rd {
        let rd = self
            .rd()
            .env("RDOVEADM_URL", self.url())
            .env("RDOVEADM_PASSWORD", self.password());
        match self.vars.get("SANDBOX_CACERT") {
            Some(ca) => rd.args(["--cacert", ca]),
            None => rd,
        }
    }

    /// `rdoveadm` with a schema cache of this instance only: the cache is keyed by
    /// endpoint, and a port or socket path may have served the other Dovecot version
    /// minutes ago in the same run (its schema then says the wrong generation).
    fn rd(&self) -> Rd {
        let cache = format!("{}/rdoveadm-cache", self.var("SANDBOX_DIR"));
        Rd::new().env("XDG_CACHE_HOME", &cache)
    }

    /// `rdoveadm` over TCP with the password and no --cacert.
    pub fn rdoveadm_no_ca(&self) -> Rd {
        self.rd()
            .env("RDOVEADM_URL", self.url())
            .env("RDOVEADM_PASSWORD", self.password())
    }

    /// The ways to reach this instance, each named: TCP or socket, password or API key.
    pub fn transports(&self) -> Vec<(&'static str, Rd)> {
        let tcp = if self.url().starts_with("https") {
            "https"
        } else {
            "tcp"
        };
        let mut v = vec![
            (
                tcp,
                self.rd()
                    .env("RDOVEADM_URL", self.url())
                    .env("RDOVEADM_PASSWORD", self.password()),
            ),
            (
                "socket",
                self.rd()
                    .env("RDOVEADM_SOCKET", self.socket())
                    .env("RDOVEADM_PASSWORD", self.password()),
            ),
            (
                "tcp-api-key",
                self.rd()
                    .env("RDOVEADM_URL", self.url())
                    .env("RDOVEADM_API_KEY", self.api_key()),
            ),
            (
                "socket-api-key",
                self.rd()
                    .env("RDOVEADM_SOCKET", self.socket())
                    .env("RDOVEADM_API_KEY", self.api_key()),
            ),
        ];
        if let Some(ca) = self.vars.get("SANDBOX_CACERT") {
            for (_, rd) in v.iter_mut() {
                *rd = rd.clone().args(["--cacert", ca]);
            }
        }
        v
    }

    /// Opens a logged-in IMAP session.
    pub fn imap_login(&self, user: &str, password: &str) -> Session {
        self.login_with_retry(user, || Session::try_imap(self.imap_port(), user, password))
    }

    /// Opens a logged-in POP3 session.
    pub fn pop3_login(&self, user: &str, password: &str) -> Session {
        self.login_with_retry(user, || Session::try_pop3(self.pop3_port(), user, password))
    }

    /// A login, tried again when it raced a reload: a connection a login process took
    /// before the master switched to the new configuration is closed unanswered or
    /// refused `[UNAVAILABLE]` (seen by hand on 2.4: connect, `doveadm reload`, LOGIN;
    /// in CI a test's first login after a reload failed so). A wrong password fails
    /// at once.
    fn login_with_retry(
        &self,
        user: &str,
        login: impl Fn() -> Result<Session, LoginError>,
    ) -> Session {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match login() {
                Ok(s) => return s,
                Err(LoginError::Transient(lines)) if attempts < 4 => {
                    let note = format!("login of {user} did not go through ({lines:?}); again");
                    eprintln!("{note}\n{}", self.log_problems());
                    note_retry(&note);
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => panic!("login of {user} failed: {e:?}\n{}", self.log_problems()),
            }
        }
    }

    /// The sandbox log's last lines other than `Info:` ones, for failure messages.
    pub fn log_problems(&self) -> String {
        let log = std::fs::read_to_string(self.var("SANDBOX_LOG")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().filter(|l| !l.contains(": Info: ")).collect();
        let tail = &lines[lines.len().saturating_sub(15)..];
        format!("dovecot.log, last non-Info lines:\n{}", tail.join("\n"))
    }

    /// Native `doveadm reload`, returning once the master has switched to the new
    /// configuration: the signal is handled after `doveadm reload` returns, and the
    /// master logs "SIGHUP received" as it starts the switch. (A login process from
    /// before may still take a connection and drop it: logins here try again.)
    pub fn reload(&self) {
        let count = || {
            std::fs::read_to_string(self.var("SANDBOX_LOG"))
                .unwrap_or_default()
                .matches("SIGHUP received - reloading configuration")
                .count()
        };
        let before = count();
        let st = Command::new("sh")
            .arg("-c")
            .arg(format!("{} reload", self.var("SANDBOX_DOVEADM")))
            .status()
            .unwrap();
        assert!(st.success(), "doveadm reload failed");
        let deadline = Instant::now() + Duration::from_secs(20);
        while count() == before {
            assert!(
                Instant::now() < deadline,
                "reload not seen in the log\n{}",
                self.log_problems()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `who` over the API lists `n` connections in all.
    pub fn wait_for_connections(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = self
                .rdoveadm()
                .args(["-f", "tab", "--no-header", "who", "-1"])
                .run();
            let got = out.stdout.lines().count();
            if got == n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {n} connections, `who -1` shows {got}:\n{}",
                out.stdout
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        if let Some(dir) = self.vars.get("SANDBOX_DIR") {
            let _ = Command::new(repo().join("scripts/dovecot-sandbox"))
                .args(["stop", dir])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Where retried logins are counted: `scripts/test` prints how many there were at the
/// end of a run (a passing test's stderr is never shown, so a retry would go unseen).
const LOGIN_RETRIES: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/login-retries.log");

fn note_retry(note: &str) {
    use std::io::Write as _;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(LOGIN_RETRIES)
    {
        let _ = writeln!(f, "{note}");
    }
}

/// Parses `KEY='value'` lines (single quotes, `'\''` escapes).
pub fn parse_vars(text: &str) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .unwrap_or(v);
        m.insert(k.to_string(), v.replace("'\\''", "'"));
    }
    m
}

/// A logged-in IMAP or POP3 connection, kept open while the value lives.
pub struct Session {
    pub reader: BufReader<TcpStream>,
    pub imap: bool,
}

/// Why a login did not work.
#[derive(Debug)]
pub enum LoginError {
    /// The server closed the connection (or went silent) before answering the login,
    /// or answered `[UNAVAILABLE]`: what a login that raced a reload gets (its login
    /// process and the auth process it spoke to were replaced under it).
    Transient(Vec<String>),
    /// The server answered the login with a refusal.
    Refused(String),
}

impl Session {
    pub fn try_imap(port: u16, user: &str, password: &str) -> Result<Session, LoginError> {
        let mut me = Session::connect(port, true);
        let mut seen = vec![me.line()]; // greeting
        me.send(&format!("a1 LOGIN \"{user}\" \"{password}\""));
        loop {
            let l = me.line();
            if l.is_empty() || l.starts_with("a1 NO [UNAVAILABLE]") {
                seen.push(l);
                return Err(LoginError::Transient(seen));
            }
            if l.starts_with("a1 OK") {
                return Ok(me.logged_in());
            }
            if l.starts_with("a1 ") {
                return Err(LoginError::Refused(l));
            }
            seen.push(l);
        }
    }

    pub fn try_pop3(port: u16, user: &str, password: &str) -> Result<Session, LoginError> {
        let mut me = Session::connect(port, false);
        let mut seen = vec![me.line()];
        for line in [format!("USER {user}"), format!("PASS {password}")] {
            me.send(&line);
            let l = me.line();
            if l.is_empty() || l.starts_with("-ERR [SYS/TEMP]") {
                seen.push(l);
                return Err(LoginError::Transient(seen));
            }
            if !l.starts_with("+OK") {
                return Err(LoginError::Refused(l));
            }
            seen.push(l);
        }
        Ok(me.logged_in())
    }

    /// Back to 10 s per read once logged in (`alive()` after a kick waits on it).
    fn logged_in(self) -> Session {
        let s = self.reader.get_ref();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        self
    }

    fn connect(port: u16, imap: bool) -> Session {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the sandbox");
        // Long enough for a first login on a loaded 2-core CI machine (auth and
        // the mail process start then).
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Session {
            reader: BufReader::new(s),
            imap,
        }
    }

    /// Sends a line; false when the server has closed the connection.
    pub fn send(&mut self, line: &str) -> bool {
        let s = self.reader.get_mut();
        s.write_all(format!("{line}\r\n").as_bytes()).is_ok()
    }

    /// One line, or "" at EOF / error.
    pub fn line(&mut self) -> String {
        let mut l = String::new();
        match self.reader.read_line(&mut l) {
            Ok(_) => l,
            Err(_) => String::new(),
        }
    }

    /// Reads lines until one starts with `prefix` (or EOF); returns it.
    pub fn until(&mut self, prefix: &str) -> String {
        loop {
            let l = self.line();
            if l.is_empty() || l.starts_with(prefix) {
                return l;
            }
        }
    }

    /// Appends a message to a mailbox (IMAP only) and returns the tagged reply.
    pub fn append(&mut self, mailbox: &str, message: &str) -> String {
        let msg = message.replace("\r\n", "\n").replace('\n', "\r\n");
        self.send(&format!("ap APPEND \"{mailbox}\" {{{}}}", msg.len()));
        let cont = self.line();
        assert!(cont.starts_with('+'), "APPEND continuation: {cont}");
        self.send(&msg);
        let r = self.until("ap ");
        assert!(r.starts_with("ap OK"), "APPEND failed: {r}");
        r
    }

    /// Whether the server still answers a NOOP (false after a kick).
    pub fn alive(&mut self) -> bool {
        if self.imap {
            self.send("n1 NOOP") && self.until("n1 ").starts_with("n1 OK")
        } else {
            self.send("NOOP") && self.line().starts_with("+OK")
        }
    }
}

/// A run of the built binary with a blank environment (no user config can leak in).
#[derive(Clone)]
pub struct Rd {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts the exit code, showing the output when it differs.
    pub fn code(self, want: i32) -> Out {
        assert_eq!(
            self.code, want,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    pub fn ok(self) -> Out {
        self.code(0)
    }
    /// Parses stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
    /// The single stderr line of an error, checked to be one `rdoveadm: error:` line.
    pub fn one_error_line(&self) -> &str {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.starts_with("rdoveadm: hint:"))
            .collect();
        assert_eq!(
            lines.len(),
            1,
            "expected one error line, got:\n{}",
            self.stderr
        );
        assert!(lines[0].starts_with("rdoveadm: error: "), "{}", lines[0]);
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        lines[0]
    }
}

impl Rd {
    pub fn new() -> Rd {
        Rd {
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
        }
    }
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, args: I) -> Rd {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }
    pub fn env(mut self, k: &str, v: &str) -> Rd {
        self.env.push((k.to_string(), v.to_string()));
        self
    }
    pub fn stdin(mut self, s: &str) -> Rd {
        self.stdin = Some(s.to_string());
        self
    }
    pub fn run(&self) -> Out {
        let home = std::env::temp_dir().join("rdoveadm-it-home");
        let _ = std::fs::create_dir_all(&home);
        let mut c = Command::new(env!("CARGO_BIN_EXE_rdoveadm"));
        c.args(&self.args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        let mut child = c.spawn().expect("run rdoveadm");
        if let Some(s) = &self.stdin {
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        let o = child.wait_with_output().unwrap();
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Rows of `-f json` output as (username, service) pairs, sorted.
pub fn user_service_pairs(v: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .as_array()
        .expect("array")
        .iter()
        .map(|r| {
            (
                r["username"].as_str().unwrap().to_string(),
                r["service"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}
