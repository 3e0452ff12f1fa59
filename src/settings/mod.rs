//! Resolves flags + environment into validated [`Settings`] before any command runs:
//! the endpoint is a URL or a socket path, credentials are loaded, the format chosen.
//!
//! Precedence for each setting: command-line flag, then environment variable, then default.
//! Credentials: an API key beats a password at the same level; a flag beats the environment.
//! Files are read here (config, secret files, CA bundle, each checked as ssh checks its
//! files: see [`crate::secret`]); a `password_command` runs later, only when a client
//! is made ([`Auth::header_value`]), so `config show` never runs it. Commands that
//! never talk to a server (`probe`, `completions`) resolve no server at all
//! ([`Settings::resolve_for`]), so a broken config can't stop them.

mod auth;
mod connection;
mod endpoint;
mod targets;

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{ColorWhen, Command, Format, GlobalArgs};
use crate::config::Profile;
use crate::error::Error;
pub use crate::secret::redact_url;
pub use auth::Auth;
pub use connection::parse_size;
pub use endpoint::{parse_endpoint, parse_url, socket_path};
use targets::resolve_targets;

pub const DEFAULT_TIMEOUT_SECS: f64 = 30.0;
/// `--max-reply-size` default: far above any real reply (50,000 `quota get` rows are
/// ~5 MB), small enough that an endless reply ends in seconds.
pub const DEFAULT_MAX_REPLY: u64 = 1 << 30;
pub const DEFAULT_AUTH_USER: &str = "doveadm";
/// The largest `--cacert` bundle read (the system bundle is about 200 KiB).
pub const MAX_CACERT_BYTES: usize = 16 << 20;

/// Where the API lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Url(reqwest::Url),
    Socket(PathBuf),
}

/// HTTPS trust settings.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    /// Shared: the servers of a servers file use one bundle, read once.
    pub cacert_pem: Option<std::sync::Arc<[u8]>>,
    pub insecure: bool,
}

/// Everything needed to reach one server.
#[derive(Debug, Clone)]
pub struct Connection {
    pub endpoint: Endpoint,
    pub auth: Auth,
    pub tls: Tls,
    pub timeout: Option<Duration>,
    /// The largest reply body read, in bytes (`--max-reply-size`).
    pub max_reply: u64,
}

/// How rows are written.
#[derive(Debug, Clone, Copy)]
pub struct OutputSettings {
    pub format: Format,
    pub header: bool,
    /// Terminal width for `table`, when stdout is a terminal.
    pub width: Option<u16>,
    /// Bold table headers.
    pub color: bool,
    /// `--typed`: numeric fields as numbers, `-` as null, in `json` and `jsonl`.
    pub typed: bool,
    /// The format was chosen (`-f`, `--format`, RDOVEADM_FORMAT), not defaulted.
    pub explicit: bool,
    /// Stdout is a terminal. When it is not, a doveadm command prints what native
    /// doveadm prints, in its own default format unless one was chosen.
    pub tty: bool,
}

/// One server to talk to, named for messages and the `server` column.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub connection: Connection,
    /// Where the endpoint came from: `--url`, `RDOVEADM_URL`, `profile mx1`, ...
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub targets: Vec<Target>,
    pub output: OutputSettings,
    pub debug: bool,
    /// With several servers: at most this many asked at once (`--concurrency`); `None`:
    /// all of them, within the open-file limit ([`crate::fanout`]).
    pub concurrency: Option<usize>,
    /// With several servers: rows in server order (`--ordered`) instead of as each answers.
    pub ordered: bool,
    /// The config file read, if any.
    pub config_path: Option<PathBuf>,
}

/// The process environment, injectable for tests.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// What the terminal looks like, for defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal {
    pub stdout_tty: bool,
    pub width: Option<u16>,
}

/// A profile, its name, and whether it was named on the command line (its values then
/// beat the environment): what the auth, connection and target files resolve from.
type ProfileRef<'a> = Option<(&'a str, &'a Profile, bool)>;

impl Settings {
    /// Resolves flags + environment + config file.
    ///
    /// Per setting: command-line flag, then environment, then the profile, then the default.
    /// A profile named on the command line (`-s`/`--server`, `--all-servers`) counts as a flag:
    /// its values beat the environment. Among credentials an API key beats a password.
    pub fn resolve(g: &GlobalArgs, env: &dyn Env, term: Terminal) -> Result<Settings, Error> {
        let (targets, config_path) = resolve_targets(g, env)?;
        Ok(Settings {
            targets,
            config_path,
            ..Settings::resolve_local(g, env, term)
        })
    }

    /// [`Settings::resolve`], or for a command that never talks to a doveadm server
    /// (`probe`, `completions`, `pw`, `mailbox mutf7`) [`Settings::resolve_local`]: no
    /// config file is read.
    pub fn resolve_for(
        command: &Command,
        g: &GlobalArgs,
        env: &dyn Env,
        term: Terminal,
    ) -> Result<Settings, Error> {
        match command {
            Command::Probe(_) | Command::Completions(_) => {
                Ok(Settings::resolve_local(g, env, term))
            }
            c if c.runs_here() => Ok(Settings::resolve_local(g, env, term)),
            _ => Settings::resolve(g, env, term),
        }
    }

    /// Everything but the servers: output, debug, concurrency.
    pub fn resolve_local(g: &GlobalArgs, env: &dyn Env, term: Terminal) -> Settings {
        Settings {
            targets: Vec::new(),
            output: Settings::resolve_output(g, env, term),
            debug: g.debug,
            concurrency: g.concurrency.map(|n| n as usize),
            ordered: g.ordered,
            config_path: None,
        }
    }

    /// Only the output part (for `batch`, whose lines resolve their own servers).
    pub fn resolve_output(g: &GlobalArgs, env: &dyn Env, term: Terminal) -> OutputSettings {
        let format = g.format.unwrap_or(if term.stdout_tty {
            Format::Table
        } else {
            Format::Tab
        });
        let color = match g.color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => term.stdout_tty && env.var("NO_COLOR").is_none(),
        };
        OutputSettings {
            format,
            header: !g.no_header,
            width: if term.stdout_tty { term.width } else { None },
            color,
            typed: g.typed,
            explicit: g.format.is_some(),
            tty: term.stdout_tty,
        }
    }

    /// The connection of the one target, or a configuration error saying how to give one.
    pub fn require_connection(&self) -> Result<&Connection, Error> {
        self.targets.first().map(|t| &t.connection).ok_or_else(|| {
            Error::Config(
                "no server given: use --url URL, --socket PATH or -s PROFILE (or RDOVEADM_URL / RDOVEADM_SOCKET / a config file)"
                    .into(),
            )
        })
    }

    /// The same settings for one of the targets (fan-out runs a command once per target).
    /// Only this target is cloned (not the others: a fleet of n servers would cost n²).
    pub fn for_target(&self, t: &Target) -> Settings {
        Settings {
            targets: vec![t.clone()],
            output: self.output,
            debug: self.debug,
            concurrency: self.concurrency,
            ordered: self.ordered,
            config_path: self.config_path.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli;
    use std::collections::HashMap;

    pub(super) struct MapEnv(pub(super) HashMap<&'static str, &'static str>);
    impl Env for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|s| s.to_string())
        }
    }
    pub(super) fn env(pairs: &[(&'static str, &'static str)]) -> MapEnv {
        MapEnv(pairs.iter().cloned().collect())
    }

    #[test]
    fn format_defaults_by_terminal() {
        let s = Settings::resolve(
            &GlobalArgs::default(),
            &env(&[]),
            Terminal {
                stdout_tty: true,
                width: Some(80),
            },
        )
        .unwrap();
        assert_eq!(s.output.format, Format::Table);
        let s = Settings::resolve(
            &GlobalArgs::default(),
            &env(&[]),
            Terminal {
                stdout_tty: false,
                width: Some(80),
            },
        )
        .unwrap();
        assert_eq!(s.output.format, Format::Tab);
        // Piped and not chosen: a doveadm command prints in its own doveadm format.
        assert!(!s.output.explicit && !s.output.tty);
        assert!(s.targets.is_empty());
        let g = GlobalArgs {
            format: Some(Format::Pager),
            ..GlobalArgs::default()
        };
        let s = Settings::resolve(&g, &env(&[]), Terminal::default()).unwrap();
        assert_eq!(s.output.format, Format::Pager);
        assert!(s.output.explicit);
    }

    #[test]
    fn probe_and_completions_read_no_config() {
        let e = env(&[("RDOVEADM_CONFIG", "/nonexistent/rdoveadm.toml")]);
        let g = GlobalArgs::default();
        let probe = cli::Command::Probe(cli::probe::ProbeArgs {
            hosts: vec!["h".into()],
            imap: 143,
            imaps: 993,
            pop3: 110,
            pop3s: 995,
            only: vec![],
            cacert: None,
            servername: None,
            timeout: None,
            source: None,
            warn_days: 14,
            crit_days: None,
        });
        assert!(Settings::resolve_for(&probe, &g, &e, Terminal::default()).is_ok());
        assert_eq!(
            Settings::resolve_for(&cli::Command::Reload, &g, &e, Terminal::default())
                .unwrap_err()
                .exit_code(),
            78
        );
    }
}
