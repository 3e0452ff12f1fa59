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

use std::collections::hash_map::{Entry, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;

use crate::cli::{self, ColorWhen, Command, Format, GlobalArgs};
use crate::config::{self, Member, Profile};
use crate::error::Error;
pub use crate::secret::redact_url;
use crate::secret::{self, read_secret, Holds};

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

/// Credentials, with where they came from (for messages; never the secret itself).
#[derive(Clone)]
pub enum Auth {
    None,
    Basic {
        user: String,
        password: String,
        source: String,
    },
    ApiKey {
        key: String,
        source: String,
    },
    /// HTTP Basic with the password a profile's `password_command` prints: run only
    /// when a client is made, bounded by the connection's timeout.
    BasicCommand {
        user: String,
        command: String,
        source: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Auth {
    /// The `Authorization` header value. Runs the `password_command` (once per process),
    /// bounded by `timeout` (the connection's; [`secret::PASSWORD_COMMAND_MAX`] when none).
    pub fn header_value(&self, timeout: Option<Duration>) -> Result<Option<String>, Error> {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let basic =
            |user: &str, password: &str| format!("Basic {}", b64(&format!("{user}:{password}")));
        Ok(match self {
            Auth::None => None,
            Auth::Basic { user, password, .. } => Some(basic(user, password)),
            Auth::ApiKey { key, .. } => Some(format!("X-Dovecot-API {}", b64(key))),
            Auth::BasicCommand {
                user,
                command,
                source,
            } => Some(basic(
                user,
                &secret::run_password_command(command, source, timeout)?,
            )),
        })
    }

    /// What is used, in words, without the secret.
    pub fn describe(&self) -> String {
        match self {
            Auth::None => "no credentials (set RDOVEADM_API_KEY or RDOVEADM_PASSWORD, or --api-key-file/--password-file)".into(),
            Auth::Basic { user, source, .. } => format!("HTTP Basic as `{user}`, password from {source}"),
            Auth::ApiKey { source, .. } => format!("the API key from {source}"),
            Auth::BasicCommand { user, source, .. } => format!(
                "HTTP Basic as `{user}`, password from {source} (run when a command needs it)"
            ),
        }
    }
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

fn resolve_targets(g: &GlobalArgs, env: &dyn Env) -> Result<(Vec<Target>, Option<PathBuf>), Error> {
    let named: Vec<String> = g
        .server
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    // 1. Profiles or groups named on the command line, and a servers file.
    if !named.is_empty() || g.all_servers || g.servers_file.is_some() {
        let cfg = config::load(env)?;
        let mut members = if g.all_servers {
            let all: Vec<Member> = cfg.servers.keys().cloned().map(Member::Profile).collect();
            if all.is_empty() {
                return Err(Error::Config(format!(
                    "--all-servers: no [servers.NAME] in {}",
                    cfg.describe_path()
                )));
            }
            all
        } else {
            cfg.expand(&named)?
        };
        if let Some(f) = &g.servers_file {
            members.extend(cfg.servers_file(f, "--servers-file", None)?);
        }
        let mut targets = member_targets(g, env, &cfg, &members, true)?;
        for u in &g.url {
            targets.push(flag_target(
                g,
                env,
                parse_endpoint(u, "--url")?,
                "--url".into(),
            )?);
        }
        return Ok((targets, cfg.path));
    }
    // 2. Endpoints given as flags.
    if !g.url.is_empty() {
        let mut targets = Vec::new();
        for u in &g.url {
            targets.push(flag_target(
                g,
                env,
                parse_endpoint(u, "--url")?,
                "--url".into(),
            )?);
        }
        return Ok((targets, None));
    }
    if let Some(p) = &g.socket {
        let text = p.to_string_lossy();
        if text.starts_with("http://") || text.starts_with("https://") {
            return Err(Error::Config(format!(
                "--socket: `{}` is a URL, not a socket path; use --url {}",
                redact_url(&text),
                redact_url(&text)
            )));
        }
        return Ok((
            vec![flag_target(
                g,
                env,
                Endpoint::Socket(socket_path(p)),
                "--socket".into(),
            )?],
            None,
        ));
    }
    // 3. Endpoint from the environment.
    match (env.var("RDOVEADM_URL"), env.var("RDOVEADM_SOCKET")) {
        (Some(_), Some(_)) => return Err(Error::Config(
            "both RDOVEADM_URL and RDOVEADM_SOCKET are set: unset one, or pick with --url/--socket"
                .into(),
        )),
        (Some(u), None) => {
            return Ok((
                vec![flag_target(
                    g,
                    env,
                    parse_endpoint(&u, "RDOVEADM_URL")?,
                    "RDOVEADM_URL".into(),
                )?],
                None,
            ))
        }
        (None, Some(p)) => {
            return Ok((
                vec![flag_target(
                    g,
                    env,
                    Endpoint::Socket(socket_path(std::path::Path::new(&p))),
                    "RDOVEADM_SOCKET".into(),
                )?],
                None,
            ))
        }
        (None, None) => {}
    }
    // 4. A profile from RDOVEADM_SERVER or the config file's default.
    let cfg = config::load(env)?;
    let chosen = match env.var("RDOVEADM_SERVER") {
        Some(s) => Some((s, "RDOVEADM_SERVER")),
        None => cfg.default.clone().map(|d| (d, "default")),
    };
    let Some((name, _why)) = chosen else {
        return Ok((Vec::new(), cfg.path));
    };
    let members = cfg.expand(&[name])?;
    let targets = member_targets(g, env, &cfg, &members, false)?;
    Ok((targets, cfg.path))
}

/// The targets of profiles and servers-file URLs. `named`: chosen on the command line.
/// The URL lines of one servers file share one connection (credentials and CA bundle
/// read once) that differs only in its endpoint.
fn member_targets(
    g: &GlobalArgs,
    env: &dyn Env,
    cfg: &config::Config,
    members: &[Member],
    named: bool,
) -> Result<Vec<Target>, Error> {
    let mut shared: HashMap<Option<&str>, Connection> = HashMap::new();
    let mut targets = Vec::with_capacity(members.len());
    for m in members {
        match m {
            Member::Profile(n) => {
                targets.push(profile_target(g, env, n, profile(cfg, n)?, named)?);
            }
            Member::Url { url, source, group } => {
                let endpoint = parse_endpoint(url, source)?;
                let connection = match shared.entry(group.as_deref()) {
                    Entry::Occupied(e) => Connection {
                        endpoint,
                        ..e.get().clone()
                    },
                    Entry::Vacant(e) => e
                        .insert(shared_connection(
                            g,
                            env,
                            cfg,
                            group.as_deref(),
                            named,
                            endpoint,
                        )?)
                        .clone(),
                };
                targets.push(Target {
                    name: endpoint_name(&connection.endpoint),
                    connection,
                    source: source.clone(),
                });
            }
        }
    }
    Ok(targets)
}

/// The connection a servers file's URL lines share: flags first, then the settings of
/// the group that names the file (they count as flags when the group was named on the
/// command line); a group that sets none, and `--servers-file`, share the `default`
/// profile's (after the environment); with no default profile, flags and environment
/// only, as for `--url`.
fn shared_connection(
    g: &GlobalArgs,
    env: &dyn Env,
    cfg: &config::Config,
    group: Option<&str>,
    named: bool,
    endpoint: Endpoint,
) -> Result<Connection, Error> {
    let from_group =
        group.and_then(|n| Some((format!("[groups.{n}]"), cfg.groups.get(n)?.shared()?)));
    let (label, p, named) = match from_group {
        Some((label, p)) => (label, p, named),
        None => match cfg
            .default
            .as_ref()
            .and_then(|d| Some((d, cfg.servers.get(d)?)))
        {
            Some((d, p)) => (
                d.clone(),
                Profile {
                    url: None,
                    socket: None,
                    ..p.clone()
                },
                false,
            ),
            None => {
                let auth = resolve_auth(g, env, None)?;
                return finish_connection(g, env, endpoint, auth, None);
            }
        },
    };
    let prof = Some((label.as_str(), &p, named));
    let auth = resolve_auth(g, env, prof)?;
    finish_connection(g, env, endpoint, auth, prof)
}

/// A target's name when it has no profile name: `HOST:PORT`, or the socket path.
fn endpoint_name(endpoint: &Endpoint) -> String {
    match endpoint {
        Endpoint::Url(u) => format!(
            "{}:{}",
            u.host_str().unwrap_or(""),
            u.port_or_known_default().unwrap_or(0)
        ),
        Endpoint::Socket(p) => p.display().to_string(),
    }
}

/// The profile `name` (one [`config::Config::expand`] returned).
fn profile<'a>(cfg: &'a config::Config, name: &str) -> Result<&'a Profile, Error> {
    cfg.servers
        .get(name)
        .ok_or_else(|| Error::Config(format!("no [servers.{name}] in {}", cfg.describe_path())))
}

/// A target whose endpoint came from a flag or the environment: credentials from flags, then env.
fn flag_target(
    g: &GlobalArgs,
    env: &dyn Env,
    endpoint: Endpoint,
    source: String,
) -> Result<Target, Error> {
    let name = endpoint_name(&endpoint);
    let auth = resolve_auth(g, env, None)?;
    let connection = finish_connection(g, env, endpoint, auth, None)?;
    Ok(Target {
        name,
        connection,
        source,
    })
}

/// A target from a profile. `named`: chosen on the command line, so its values beat the environment.
fn profile_target(
    g: &GlobalArgs,
    env: &dyn Env,
    name: &str,
    p: &Profile,
    named: bool,
) -> Result<Target, Error> {
    let endpoint = match (&p.url, &p.socket) {
        (Some(_), Some(_)) => {
            return Err(Error::Config(format!(
                "server `{name}`: give `url` or `socket`, not both"
            )))
        }
        (Some(u), None) => parse_endpoint(u, &format!("server `{name}` url"))?,
        (None, Some(s)) => Endpoint::Socket(s.clone()),
        (None, None) => {
            return Err(Error::Config(format!(
                "server `{name}`: has neither `url` nor `socket`"
            )))
        }
    };
    let auth = resolve_auth(g, env, Some((name, p, named)))?;
    let connection = finish_connection(g, env, endpoint, auth, Some((name, p, named)))?;
    Ok(Target {
        name: name.to_string(),
        connection,
        source: format!("profile `{name}`"),
    })
}

type ProfileRef<'a> = Option<(&'a str, &'a Profile, bool)>;

fn finish_connection(
    g: &GlobalArgs,
    env: &dyn Env,
    endpoint: Endpoint,
    auth: Auth,
    prof: ProfileRef,
) -> Result<Connection, Error> {
    let env_timeout = || -> Result<Option<f64>, Error> {
        env.var("RDOVEADM_TIMEOUT")
            .map(|v| {
                cli::parse_seconds(&v).map_err(|e| {
                    Error::Config(format!(
                        "RDOVEADM_TIMEOUT: `{}`: {e}",
                        crate::text::escape_message(&crate::text::bounded(&v, 40))
                    ))
                })
            })
            .transpose()
    };
    let prof_timeout = || -> Result<Option<f64>, Error> {
        prof.and_then(|(name, p, _)| p.timeout.map(|t| (name, t)))
            .map(|(name, t)| {
                cli::check_seconds(t)
                    .map_err(|e| Error::Config(format!("server `{name}` timeout: `{t}`: {e}")))
            })
            .transpose()
    };
    let named = prof.is_some_and(|(_, _, n)| n);
    let timeout_secs = match g.timeout {
        // Checked by clap; again here for a GlobalArgs built in code.
        Some(t) => {
            cli::check_seconds(t).map_err(|e| Error::Usage(format!("--timeout: `{t}`: {e}")))?
        }
        None if named => prof_timeout()?
            .or(env_timeout()?)
            .unwrap_or(DEFAULT_TIMEOUT_SECS),
        None => env_timeout()?
            .or(prof_timeout()?)
            .unwrap_or(DEFAULT_TIMEOUT_SECS),
    };
    // In range (checked above), so the conversion can't fail; never a panic if it did.
    let timeout = match timeout_secs {
        0.0 => None,
        s => Some(
            Duration::try_from_secs_f64(s)
                .map_err(|e| Error::Config(format!("timeout: `{s}` seconds: {e}")))?,
        ),
    };
    let insecure = g.insecure || prof.and_then(|(_, p, _)| p.insecure).unwrap_or(false);
    let mut tls = Tls {
        insecure,
        cacert_pem: None,
    };
    let cacert = g
        .cacert
        .clone()
        .or_else(|| prof.and_then(|(_, p, _)| p.cacert.clone()));
    if let Some(path) = cacert {
        // Not a secret, but whoever can write it decides which server rdoveadm trusts
        // with the password: checked like the config file.
        tls.cacert_pem =
            Some(secret::read_file(&path, Holds::Settings, "--cacert", MAX_CACERT_BYTES)?.into());
    }
    let max_reply = match (&g.max_reply_size, env.var("RDOVEADM_MAX_REPLY_SIZE")) {
        (Some(v), _) => parse_size(v).map_err(|e| Error::Usage(format!("--max-reply-size: {e}")))?,
        (None, Some(v)) => {
            parse_size(&v).map_err(|e| Error::Config(format!("RDOVEADM_MAX_REPLY_SIZE: {e}")))?
        }
        (None, None) => match prof.and_then(|(name, p, _)| Some((name, p.max_reply_size.as_ref()?))) {
            Some((_, toml::Value::Integer(n))) if *n > 0 => n.unsigned_abs(),
            Some((name, toml::Value::String(v))) => parse_size(v)
                .map_err(|e| Error::Config(format!("server `{name}` max_reply_size: {e}")))?,
            Some((name, _)) => {
                return Err(Error::Config(format!(
                    "server `{name}` max_reply_size: expected a positive number of bytes or a size like \"512M\""
                )))
            }
            None => DEFAULT_MAX_REPLY,
        },
    };
    Ok(Connection {
        endpoint,
        auth,
        tls,
        timeout,
        max_reply,
    })
}

/// A size in bytes: `1048576`, `512K`, `64M`, `1G` (1024-based, case-insensitive);
/// the error says why, quoting the text (made safe), for the caller to prefix.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1u64 << 10),
        Some((i, 'm' | 'M')) => (&t[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            format!(
                "`{}` is not a size (bytes, or a number with K, M or G, e.g. 512M)",
                crate::text::escape_message(&crate::text::bounded(t, 40))
            )
        })
}

fn resolve_auth(g: &GlobalArgs, env: &dyn Env, prof: ProfileRef) -> Result<Auth, Error> {
    let user = g
        .auth_user
        .clone()
        .or_else(|| prof.and_then(|(_, p, n)| if n { p.user.clone() } else { None }))
        .or_else(|| env.var("RDOVEADM_USER"))
        .or_else(|| prof.and_then(|(_, p, _)| p.user.clone()))
        .unwrap_or_else(|| DEFAULT_AUTH_USER.into());
    // 1. Flags.
    if let Some(f) = &g.api_key_file {
        return Ok(Auth::ApiKey {
            key: read_secret(f, "--api-key-file")?,
            source: format!("--api-key-file `{}`", secret::shown(f)),
        });
    }
    if let Some(f) = &g.password_file {
        return Ok(Auth::Basic {
            user,
            password: read_secret(f, "--password-file")?,
            source: format!("--password-file `{}`", secret::shown(f)),
        });
    }
    let from_env = || -> Option<Auth> {
        if let Some(key) = env.var("RDOVEADM_API_KEY") {
            return Some(Auth::ApiKey {
                key,
                source: "RDOVEADM_API_KEY".into(),
            });
        }
        env.var("RDOVEADM_PASSWORD").map(|password| Auth::Basic {
            user: user.clone(),
            password,
            source: "RDOVEADM_PASSWORD".into(),
        })
    };
    // 2./3. Environment and profile, in the order that applies.
    let named = prof.is_some_and(|(_, _, n)| n);
    if !named {
        if let Some(a) = from_env() {
            return Ok(a);
        }
    }
    if let Some((name, p, _)) = prof {
        if let Some(a) = profile_auth(name, p, &user)? {
            return Ok(a);
        }
    }
    Ok(from_env().unwrap_or(Auth::None))
}

fn profile_auth(name: &str, p: &Profile, user: &str) -> Result<Option<Auth>, Error> {
    let src = |what: &str| format!("profile `{name}` {what}");
    if let Some(k) = &p.api_key {
        return Ok(Some(Auth::ApiKey {
            key: k.clone(),
            source: src("api_key"),
        }));
    }
    if let Some(f) = &p.api_key_file {
        return Ok(Some(Auth::ApiKey {
            key: read_secret(f, &src("api_key_file"))?,
            source: src(&format!("api_key_file `{}`", secret::shown(f))),
        }));
    }
    if let Some(pw) = &p.password {
        return Ok(Some(Auth::Basic {
            user: user.into(),
            password: pw.clone(),
            source: src("password"),
        }));
    }
    if let Some(f) = &p.password_file {
        return Ok(Some(Auth::Basic {
            user: user.into(),
            password: read_secret(f, &src("password_file"))?,
            source: src(&format!("password_file `{}`", secret::shown(f))),
        }));
    }
    if let Some(cmd) = &p.password_command {
        return Ok(Some(Auth::BasicCommand {
            user: user.into(),
            command: cmd.clone(),
            source: src("password_command"),
        }));
    }
    Ok(None)
}

/// A socket address as given: `unix:PATH` and `unix:///PATH` (curl's and systemd's
/// spellings) are the path itself.
pub fn socket_path(p: &std::path::Path) -> PathBuf {
    let text = p.to_string_lossy();
    match text
        .strip_prefix("unix://")
        .or_else(|| text.strip_prefix("unix:"))
    {
        Some(rest) if rest.starts_with('/') || !text.starts_with("unix://") => PathBuf::from(rest),
        _ => p.to_path_buf(),
    }
}

/// An endpoint given where a URL is expected (`--url`, `RDOVEADM_URL`): an http(s) URL,
/// or a socket written `unix:PATH` / `unix:///PATH`. A bare path is refused with a hint
/// to use `--socket`.
pub fn parse_endpoint(text: &str, what: &str) -> Result<Endpoint, Error> {
    if text.starts_with("unix:") {
        return Ok(Endpoint::Socket(socket_path(std::path::Path::new(text))));
    }
    if text.starts_with('/') || text.starts_with("./") {
        return Err(Error::Config(format!(
            "{what}: `{}` is a file path, not a URL; for a UNIX socket use --socket {} (or unix:{})",
            crate::text::escape_message(text),
            crate::text::escape_message(text),
            crate::text::escape_message(text)
        )));
    }
    parse_url(text, what).map(Endpoint::Url)
}

/// Parses an endpoint URL; appends the API path when the URL has none. Messages show
/// the text with any userinfo as `***` ([`redact_url`]): credentials in a URL are
/// refused, and never echoed.
pub fn parse_url(text: &str, what: &str) -> Result<reqwest::Url, Error> {
    let shown = || redact_url(text);
    let mut url = reqwest::Url::parse(text).map_err(|e| {
        Error::Config(format!(
            "{what}: `{}` is not a URL ({e}); use e.g. http://127.0.0.1:8080",
            shown()
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "{what}: `{}` must start with http:// or https://",
            shown()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "{what}: `{}`: credentials in the URL are not accepted; use RDOVEADM_PASSWORD or --password-file",
            shown()
        )));
    }
    if url.host_str().is_none() {
        return Err(Error::Config(format!("{what}: `{}` has no host", shown())));
    }
    let path = url.path().trim_end_matches('/').to_string();
    if !path.ends_with("/doveadm/v1") {
        url.set_path(&format!("{path}/doveadm/v1"));
    } else {
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct MapEnv(HashMap<&'static str, &'static str>);
    impl Env for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|s| s.to_string())
        }
    }
    fn env(pairs: &[(&'static str, &'static str)]) -> MapEnv {
        MapEnv(pairs.iter().cloned().collect())
    }

    #[test]
    fn url_gets_the_api_path() {
        assert_eq!(
            parse_url("http://127.0.0.1:8080", "x").unwrap().as_str(),
            "http://127.0.0.1:8080/doveadm/v1"
        );
        assert_eq!(
            parse_url("http://h:1/doveadm/v1/", "x").unwrap().as_str(),
            "http://h:1/doveadm/v1"
        );
        assert_eq!(
            parse_url("https://h/proxy", "x").unwrap().as_str(),
            "https://h/proxy/doveadm/v1"
        );
        assert!(parse_url("127.0.0.1:8080", "x").is_err());
        assert!(parse_url("ftp://h", "x").is_err());
        assert!(parse_url("http://doveadm:secret@h", "x")
            .unwrap_err()
            .to_string()
            .contains("not accepted"));
    }

    #[test]
    fn flag_beats_env_and_api_key_beats_password() {
        let g = GlobalArgs {
            url: vec!["http://a:1".into()],
            ..Default::default()
        };
        let e = env(&[
            ("RDOVEADM_URL", "http://b:2"),
            ("RDOVEADM_PASSWORD", "pw"),
            ("RDOVEADM_API_KEY", "k"),
        ]);
        let s = Settings::resolve(&g, &e, Terminal::default()).unwrap();
        let c = s.targets[0].connection.clone();
        assert_eq!(
            c.endpoint,
            Endpoint::Url(parse_url("http://a:1", "").unwrap())
        );
        assert!(matches!(c.auth, Auth::ApiKey { .. }));
        assert_eq!(
            c.auth.header_value(None).unwrap().unwrap(),
            "X-Dovecot-API aw=="
        );
    }

    #[test]
    fn basic_auth_header_and_description_hide_the_secret() {
        let e = env(&[
            ("RDOVEADM_SOCKET", "/run/x/http"),
            ("RDOVEADM_PASSWORD", "s3cret"),
        ]);
        let s = Settings::resolve(&GlobalArgs::default(), &e, Terminal::default()).unwrap();
        let c = s.targets[0].connection.clone();
        assert_eq!(
            c.auth.header_value(None).unwrap().unwrap(),
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("doveadm:s3cret")
            )
        );
        assert!(!c.auth.describe().contains("s3cret"));
        assert!(!format!("{c:?}").contains("s3cret"));
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

    fn resolve_err(g: &GlobalArgs, pairs: &[(&'static str, &'static str)]) -> Error {
        Settings::resolve(g, &env(pairs), Terminal::default()).unwrap_err()
    }

    #[test]
    fn huge_or_odd_durations_are_errors_not_panics() {
        let sock = ("RDOVEADM_SOCKET", "/x");
        for bad in ["2e19", "1e300", "inf", "-inf", "nan", "-1", "x", "31536001"] {
            let e = resolve_err(&GlobalArgs::default(), &[sock, ("RDOVEADM_TIMEOUT", bad)]);
            assert_eq!(e.exit_code(), 78, "{bad}: {e}");
            assert!(e.to_string().starts_with("RDOVEADM_TIMEOUT: `"), "{e}");
            assert!(cli::parse_seconds(bad).is_err(), "{bad}");
        }
        for bad in [2e19, f64::INFINITY, f64::NAN, -1.0] {
            let g = GlobalArgs {
                timeout: Some(bad),
                ..Default::default()
            };
            assert_eq!(resolve_err(&g, &[sock]).exit_code(), 64);
        }
        assert_eq!(cli::parse_seconds("31536000"), Ok(31536000.0));
        assert_eq!(cli::parse_seconds("0"), Ok(0.0));
        assert!(cli::parse_watch_seconds("0.05").is_err());
        let s = Settings::resolve(
            &GlobalArgs::default(),
            &env(&[sock, ("RDOVEADM_TIMEOUT", "0")]),
            Terminal::default(),
        )
        .unwrap();
        assert_eq!(s.targets[0].connection.timeout, None);
    }

    #[test]
    fn max_reply_size_from_each_source() {
        let sock = ("RDOVEADM_SOCKET", "/x");
        let g = |v: &str| GlobalArgs {
            max_reply_size: Some(v.into()),
            ..Default::default()
        };
        let max = |g: &GlobalArgs, pairs: &[(&'static str, &'static str)]| {
            Settings::resolve(g, &env(pairs), Terminal::default())
                .unwrap()
                .targets[0]
                .connection
                .max_reply
        };
        assert_eq!(max(&GlobalArgs::default(), &[sock]), DEFAULT_MAX_REPLY);
        assert_eq!(max(&g("512k"), &[sock]), 512 << 10);
        assert_eq!(
            max(
                &GlobalArgs::default(),
                &[sock, ("RDOVEADM_MAX_REPLY_SIZE", "2M")]
            ),
            2 << 20
        );
        for bad in ["0", "-1", "1T", "99999999999G", "", "M", "1.5M"] {
            assert_eq!(resolve_err(&g(bad), &[sock]).exit_code(), 64, "{bad}");
            let e = resolve_err(
                &GlobalArgs::default(),
                &[sock, ("RDOVEADM_MAX_REPLY_SIZE", bad)],
            );
            assert_eq!(e.exit_code(), 78, "{bad}");
        }
        assert_eq!(parse_size(" 1G "), Ok(1 << 30));
        assert!(parse_size("\u{1b}[2J").unwrap_err().contains("\\x1b"));
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

    #[test]
    fn password_command_runs_only_for_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("ran");
        let cfg = dir.path().join("c.toml");
        std::fs::write(
            &cfg,
            format!(
                "default = 'a'\n[servers.a]\nsocket = '/x'\npassword_command = 'touch {} && echo pw-{}'\n",
                marker.display(),
                std::process::id()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
        let path = cfg.to_str().unwrap().to_string();
        let e = MapEnv([("RDOVEADM_CONFIG", &*Box::leak(path.into_boxed_str()))].into());
        let s = Settings::resolve(&GlobalArgs::default(), &e, Terminal::default()).unwrap();
        let auth = &s.targets[0].connection.auth;
        assert!(!marker.exists());
        assert!(auth.describe().contains("password_command"));
        let h = auth.header_value(None).unwrap().unwrap();
        assert!(marker.exists());
        let want = format!("doveadm:pw-{}", std::process::id());
        assert_eq!(
            h,
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(want)
            )
        );
    }

    #[test]
    fn unix_addresses_are_sockets_and_a_path_as_url_suggests_socket() {
        let sock = |t: &str| match parse_endpoint(t, "--url").unwrap() {
            Endpoint::Socket(p) => p,
            Endpoint::Url(u) => panic!("{t}: a URL {u}"),
        };
        assert_eq!(
            sock("unix:/run/dovecot/http"),
            PathBuf::from("/run/dovecot/http")
        );
        assert_eq!(
            sock("unix:///run/dovecot/http"),
            PathBuf::from("/run/dovecot/http")
        );
        assert_eq!(sock("unix:rel/http"), PathBuf::from("rel/http"));
        assert_eq!(
            socket_path(std::path::Path::new("unix:///run/x")),
            PathBuf::from("/run/x")
        );
        assert_eq!(
            socket_path(std::path::Path::new("/run/x")),
            PathBuf::from("/run/x")
        );
        let e = parse_endpoint("/run/dovecot/http", "--url").unwrap_err();
        assert_eq!(e.exit_code(), 78);
        assert!(
            e.to_string().contains("use --socket /run/dovecot/http"),
            "{e}"
        );
        assert!(matches!(
            parse_endpoint("http://127.0.0.1:8080", "--url").unwrap(),
            Endpoint::Url(_)
        ));
    }

    #[test]
    fn url_errors_never_show_userinfo() {
        for url in [
            "http://doveadm:S3CR3T@host:99999",
            "ftp://doveadm:S3CR3T@host",
            "http://doveadm:S3CR3T@[::1",
            "http://doveadm:S3CR3T@host:8080",
            "doveadm:S3CR3T@host:8080",
            "http://doveadm:S3CR3T@",
        ] {
            let e = parse_url(url, "--url").unwrap_err().to_string();
            assert!(!e.contains("S3CR3T"), "{url}: {e}");
            assert!(e.contains("***"), "{url}: {e}");
        }
    }

    #[test]
    fn both_endpoints_in_env_is_a_config_error() {
        let e = env(&[("RDOVEADM_URL", "http://a:1"), ("RDOVEADM_SOCKET", "/x")]);
        assert_eq!(
            Settings::resolve(&GlobalArgs::default(), &e, Terminal::default())
                .unwrap_err()
                .exit_code(),
            78
        );
    }
}
