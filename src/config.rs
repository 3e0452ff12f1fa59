//! The config file with named servers (profiles) and groups:
//! `$RDOVEADM_CONFIG`, else `$XDG_CONFIG_HOME/rdoveadm/config.toml`, else
//! `~/.config/rdoveadm/config.toml`.
//!
//! ```toml
//! default = "mx1"
//! [servers.mx1]
//! url = "https://mx1.example.org:8443"
//! password_file = "/etc/rdoveadm/mx1.pw"
//! cacert = "/etc/rdoveadm/ca.pem"
//! [servers.mx2]
//! socket = "/run/dovecot/http"
//! api_key_file = "/etc/rdoveadm/mx2.key"
//! [groups.eu]
//! servers = ["mx1", "mx2"]
//! [groups.fleet]                 # URL lines share the group's credentials and TLS
//! servers_file = "/etc/rdoveadm/fleet.txt"
//! password_file = "/etc/rdoveadm/fleet.pw"
//! ```
//!
//! The file is treated as ssh treats its own (see [`crate::secret::check_file`]): one
//! that group or others can write, or that another user owns, is refused with exit 78
//! (its `password_command` is code that would run as you); one that holds a secret
//! (`password`, `api_key`) or names a `password_command` must not be readable by group
//! or others either. [`parse`] is pure, for tests and fuzzing; [`load`] reads the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;
use crate::secret::{self, Holds};
use crate::settings::Env;
use crate::text;

/// The largest config file read (a real one is a few KiB).
pub const MAX_CONFIG_BYTES: usize = 1 << 20;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The profile used when no `-s` is given.
    pub default: Option<String>,
    #[serde(default)]
    pub servers: BTreeMap<String, Profile>,
    #[serde(default)]
    pub groups: BTreeMap<String, Group>,
    /// Where it was read from (not in the file).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub url: Option<String>,
    pub socket: Option<PathBuf>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<PathBuf>,
    pub password_command: Option<String>,
    pub api_key: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub cacert: Option<PathBuf>,
    pub timeout: Option<f64>,
    /// Like `--max-reply-size`: bytes, or a string with a K, M or G suffix.
    pub max_reply_size: Option<toml::Value>,
    pub insecure: Option<bool>,
}

/// A group: profile names, and/or a servers file (one URL or profile name per line).
/// The URL lines of its file share the group's credential and TLS settings (the same
/// keys as a profile's, without `url`/`socket`); a group that sets none of them shares
/// those of the `default` profile.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    #[serde(default)]
    pub servers: Vec<String>,
    pub servers_file: Option<PathBuf>,
    pub user: Option<String>,
    pub password_file: Option<PathBuf>,
    pub password_command: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub cacert: Option<PathBuf>,
    pub timeout: Option<f64>,
    pub max_reply_size: Option<toml::Value>,
    pub insecure: Option<bool>,
}

impl Group {
    /// The settings its servers file's URL lines share, as a profile without an endpoint;
    /// `None` when the group sets none of them.
    pub fn shared(&self) -> Option<Profile> {
        let p = Profile {
            user: self.user.clone(),
            password_file: self.password_file.clone(),
            password_command: self.password_command.clone(),
            api_key_file: self.api_key_file.clone(),
            cacert: self.cacert.clone(),
            timeout: self.timeout,
            max_reply_size: self.max_reply_size.clone(),
            insecure: self.insecure,
            ..Profile::default()
        };
        let any = p.user.is_some()
            || p.password_file.is_some()
            || p.password_command.is_some()
            || p.api_key_file.is_some()
            || p.cacert.is_some()
            || p.timeout.is_some()
            || p.max_reply_size.is_some()
            || p.insecure.is_some();
        any.then_some(p)
    }
}

impl Profile {
    /// Whether the profile holds a secret or the code that prints one.
    fn holds_a_secret(&self) -> bool {
        self.password.is_some() || self.api_key.is_some() || self.password_command.is_some()
    }
}

/// Never shows `password` or `api_key`, only whether they are set.
impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "***");
        f.debug_struct("Profile")
            .field("url", &self.url.as_deref().map(secret::redact_url))
            .field("socket", &self.socket)
            .field("user", &self.user)
            .field("password", &hidden(&self.password))
            .field("password_file", &self.password_file)
            .field("password_command", &self.password_command)
            .field("api_key", &hidden(&self.api_key))
            .field("api_key_file", &self.api_key_file)
            .field("cacert", &self.cacert)
            .field("timeout", &self.timeout)
            .field("max_reply_size", &self.max_reply_size)
            .field("insecure", &self.insecure)
            .finish()
    }
}

/// The config file path: `$RDOVEADM_CONFIG`, XDG, or `~/.config`. The bool says
/// whether it was named explicitly (then it must exist).
pub fn path(env: &dyn Env) -> Option<(PathBuf, bool)> {
    if let Some(p) = env.var("RDOVEADM_CONFIG") {
        return Some((PathBuf::from(p), true));
    }
    let base = env
        .var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env.var("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some((base.join("rdoveadm").join("config.toml"), false))
}

/// Loads the config file; an absent default file is an empty config.
pub fn load(env: &dyn Env) -> Result<Config, Error> {
    let Some((path, explicit)) = path(env) else {
        return Ok(Config::default());
    };
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(Config::default())
        }
        _ => {}
    }
    let what = "config file";
    let bytes =
        secret::read_file(&path, Holds::Settings, what, MAX_CONFIG_BYTES).map_err(|e| match e {
            Error::NoInput(m) => Error::Config(m),
            e => e,
        })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::Config(format!(
            "config file `{}` is not UTF-8 text",
            text::escape_message(&path.display().to_string())
        ))
    })?;
    let mut cfg = parse(&text, &path)?;
    if cfg.servers.values().any(Profile::holds_a_secret)
        || cfg.groups.values().any(|g| g.password_command.is_some())
    {
        secret::check_file(&path, Holds::Secret, what)?;
    }
    cfg.path = Some(path);
    Ok(cfg)
}

/// Parses config text; `path` only names the file in messages. Pure (no I/O), and
/// never panics, whatever the text. An error names the line, column and key, never
/// the value: `password = 12345` must not put the password in a terminal or a log.
pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
    toml::from_str(text).map_err(|e| {
        Error::Config(format!(
            "config file `{}`{}: {}",
            text::escape_message(&path.display().to_string()),
            location(text, e.span()),
            describe_toml_error(e.message())
        ))
    })
}

/// ` (line L, column C, key `K`)` for a position in the text, as far as known.
fn location(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let Some(start) = span.map(|s| s.start.min(text.len())) else {
        return String::new();
    };
    let Some(before) = text.get(..start) else {
        return String::new();
    };
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    // The key: `key = ...` on the same line before the position, under its `[table]`.
    let key = before[line_start..]
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty());
    let table = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| {
            l.trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
        });
    let key = match (table, key) {
        (Some(t), Some(k)) => format!(", key `{t}.{k}`"),
        (None, Some(k)) => format!(", key `{k}`"),
        _ => String::new(),
    };
    text::escape_message(&text::bounded(
        &format!(" (line {line}, column {column}{key})"),
        200,
    ))
    .into_owned()
}

/// toml's message without any value it quotes: serde's "invalid type: integer
/// `12345`, expected a string" keeps only what was expected.
fn describe_toml_error(message: &str) -> String {
    let first = message.lines().next().unwrap_or("").trim();
    let expected = || {
        first
            .split_once(", expected ")
            .map(|(_, x)| format!(": expected {x}"))
            .unwrap_or_default()
    };
    let text = if first.starts_with("invalid type") {
        format!("wrong type{}", expected())
    } else if first.starts_with("invalid value") || first.starts_with("invalid length") {
        format!("bad value{}", expected())
    } else if first.starts_with("unknown variant") {
        format!("unknown value{}", expected())
    } else {
        // Syntax errors name what the parser expected; the others (unknown field,
        // missing field, duplicate key) name keys, never values.
        message.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    text::escape_message(&text::bounded(&text, 300)).into_owned()
}

/// One server that a name, a group or a servers file stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// A `[servers.NAME]` profile.
    Profile(String),
    /// A URL line of a servers file. `group`: the group whose file it is (its settings
    /// are shared), `None` for `--servers-file`.
    Url {
        url: String,
        source: String,
        group: Option<String>,
    },
}

/// The largest servers file read (a line per server: a million servers fit).
pub const MAX_SERVERS_FILE_BYTES: usize = 64 << 20;

/// The lines of a servers file (`-`: standard input) with their line numbers; blank
/// lines and `#` comments are skipped. The file is checked like the config file (it
/// decides where the credentials go): refused when group or others can write it.
pub fn read_servers_file(path: &Path, what: &str) -> Result<Vec<(usize, String)>, Error> {
    let shown = || text::escape_message(&path.display().to_string()).into_owned();
    let bytes = if path.as_os_str() == "-" {
        use std::io::Read;
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_SERVERS_FILE_BYTES as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::NoInput(format!("{what}: cannot read standard input: {e}")))?;
        if buf.len() > MAX_SERVERS_FILE_BYTES {
            return Err(Error::Usage(format!(
                "{what}: standard input is larger than {MAX_SERVERS_FILE_BYTES} bytes"
            )));
        }
        buf
    } else {
        secret::read_file(path, Holds::Settings, what, MAX_SERVERS_FILE_BYTES)?
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::Usage(format!("{what}: `{}` is not UTF-8 text", shown())))?;
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(i, l)| (i, l.to_string()))
        .collect())
}

impl Config {
    /// Expands names (profiles or groups) into servers, in order, without repeats. A
    /// group's `servers_file` is read here (after its `servers`).
    pub fn expand(&self, names: &[String]) -> Result<Vec<Member>, Error> {
        let shown = |n: &str| text::escape_message(&text::bounded(n, 100)).into_owned();
        let mut out = Members::default();
        for name in names {
            if self.servers.contains_key(name) {
                out.push(Member::Profile(name.clone()));
            } else if let Some(g) = self.groups.get(name) {
                if let Some(s) = g.servers.iter().find(|s| !self.servers.contains_key(*s)) {
                    return Err(Error::Config(format!(
                        "group `{}` names `{}`, which is not a [servers.NAME] in the config file",
                        shown(name),
                        shown(s)
                    )));
                }
                for s in &g.servers {
                    out.push(Member::Profile(s.clone()));
                }
                if let Some(f) = &g.servers_file {
                    let what = format!("group `{}` servers_file", shown(name));
                    for m in self.servers_file(f, &what, Some(name))? {
                        out.push(m);
                    }
                }
                if g.servers.is_empty() && g.servers_file.is_none() {
                    return Err(Error::Config(format!(
                        "group `{}` has neither `servers` nor `servers_file`",
                        shown(name)
                    )));
                }
            } else {
                return Err(Error::Config(format!(
                    "no server or group `{}` in {}; known: {}",
                    crate::secret::redact_url(name),
                    self.describe_path(),
                    shown(&self.names().join(", "))
                )));
            }
        }
        Ok(out.list)
    }

    /// The servers of a servers file: a line with `://` is a URL, any other a profile
    /// name. `group`: the group that names the file (`None` for `--servers-file`).
    pub fn servers_file(
        &self,
        path: &Path,
        what: &str,
        group: Option<&str>,
    ) -> Result<Vec<Member>, Error> {
        let shown_path = text::escape_message(&path.display().to_string()).into_owned();
        let lines = read_servers_file(path, what)?;
        if lines.is_empty() {
            return Err(Error::Usage(format!(
                "{what}: `{shown_path}` lists no servers"
            )));
        }
        let mut out = Members::default();
        for (n, line) in lines {
            if line.contains("://") {
                out.push(Member::Url {
                    url: line,
                    source: format!("{what} `{shown_path}` line {n}"),
                    group: group.map(str::to_string),
                });
            } else if self.servers.contains_key(&line) {
                out.push(Member::Profile(line));
            } else {
                return Err(Error::Config(format!(
                    "{what}: `{shown_path}` line {n}: `{}` is neither a URL (http://HOST:PORT) nor a [servers.NAME] in {}",
                    crate::secret::redact_url(&text::bounded(&line, 100)),
                    self.describe_path()
                )));
            }
        }
        Ok(out.list)
    }

    /// Profile and group names (for messages and completion).
    pub fn names(&self) -> Vec<String> {
        self.servers
            .keys()
            .chain(self.groups.keys())
            .cloned()
            .collect()
    }

    pub fn describe_path(&self) -> String {
        match &self.path {
            Some(p) => format!("`{}`", text::escape_message(&p.display().to_string())),
            None => "the config file (none found)".into(),
        }
    }
}

/// Servers in order, each once.
#[derive(Default)]
struct Members {
    list: Vec<Member>,
    seen: std::collections::HashSet<(bool, String)>,
}

impl Members {
    /// Adds a server not yet listed (a profile by name, a URL by its text).
    fn push(&mut self, m: Member) {
        let key = match &m {
            Member::Profile(n) => (false, n.clone()),
            Member::Url { url, .. } => (true, url.clone()),
        };
        if self.seen.insert(key) {
            self.list.push(m);
        }
    }
}

/// Profile and group names from the config file, for shell completion; empty on any error.
pub fn profile_names() -> Vec<String> {
    load(&crate::settings::ProcessEnv)
        .map(|c| c.names())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_expand_in_order_without_repeats() {
        let cfg: Config = toml::from_str(
            "[servers.a]\nurl='http://a'\n[servers.b]\nurl='http://b'\n[groups.all]\nservers=['b','a']\n",
        )
        .unwrap();
        assert_eq!(
            cfg.expand(&["a".into(), "all".into()]).unwrap(),
            [Member::Profile("a".into()), Member::Profile("b".into())]
        );
        assert_eq!(cfg.expand(&["nope".into()]).unwrap_err().exit_code(), 78);
    }

    #[test]
    fn servers_files_list_urls_and_profiles_once_each() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("fleet.txt");
        std::fs::write(
            &list,
            "# fleet\n\nhttp://h1:8080\n  a  \nhttp://h2\nhttp://h1:8080\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&list, std::fs::Permissions::from_mode(0o644)).unwrap();
        let cfg: Config = toml::from_str(&format!(
            "[servers.a]\nurl='http://a'\n[groups.fleet]\nservers=['a']\nservers_file='{}'\ntimeout=5\n[groups.empty]\n",
            list.display()
        ))
        .unwrap();
        let m = cfg.expand(&["fleet".into()]).unwrap();
        let urls: Vec<&str> = m
            .iter()
            .map(|m| match m {
                Member::Profile(p) => p.as_str(),
                Member::Url { url, group, .. } => {
                    assert_eq!(group.as_deref(), Some("fleet"));
                    url.as_str()
                }
            })
            .collect();
        assert_eq!(urls, ["a", "http://h1:8080", "http://h2"]);
        assert_eq!(cfg.groups["fleet"].shared().unwrap().timeout, Some(5.0));
        assert!(cfg.groups["empty"].shared().is_none());
        assert_eq!(cfg.expand(&["empty".into()]).unwrap_err().exit_code(), 78);
        std::fs::write(&list, "nosuch\n").unwrap();
        let e = cfg.expand(&["fleet".into()]).unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
        std::fs::write(&list, "# nothing\n").unwrap();
        assert_eq!(
            cfg.servers_file(&list, "--servers-file", None)
                .unwrap_err()
                .exit_code(),
            64
        );
        std::fs::set_permissions(&list, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(
            cfg.servers_file(&list, "--servers-file", None)
                .unwrap_err()
                .exit_code(),
            78
        );
    }

    fn parse_error(text: &str) -> String {
        let e = parse(text, Path::new("/c.toml")).unwrap_err();
        assert_eq!(e.exit_code(), 78);
        e.to_string()
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = parse_error("[servers.a]\nurl='x'\npasword='S3CRET'\n");
        assert!(e.contains("unknown field `pasword`"), "{e}");
        assert!(e.contains("line 3"), "{e}");
        assert!(!e.contains("S3CRET"), "{e}");
    }

    #[test]
    fn errors_name_the_key_never_the_value() {
        for (text, key) in [
            ("[servers.a]\npassword = 12345\n", "servers.a.password"),
            ("[servers.a]\napi_key = [12345]\n", "servers.a.api_key"),
            ("[servers.a]\npassword = 12345.5\n", "servers.a.password"),
            (
                "[servers.a]\npassword = { x = 12345 }\n",
                "servers.a.password",
            ),
            ("[servers.a]\ntimeout = \"12345\"\n", "servers.a.timeout"),
            ("default = 12345\n", "default"),
            ("[servers.a] # c\npassword = 12345\n", "servers.a.password"),
        ] {
            let e = parse_error(text);
            assert!(!e.contains("12345"), "{text:?}: {e}");
            assert!(e.contains(&format!("key `{key}`")), "{text:?}: {e}");
            assert!(e.contains("line ") && e.contains("column "), "{e}");
            assert!(e.starts_with("config file `/c.toml` (line"), "{e}");
        }
        let e = parse_error("[servers.a]\npassword = \"12345\n");
        assert!(!e.contains("12345"), "{e}");
        let e = parse_error("[servers.a]\npassword = \"x\"\npassword = \"12345\"\n");
        assert!(e.contains("duplicate key"), "{e}");
        assert!(!e.contains("12345"), "{e}");
    }

    #[test]
    fn parse_survives_odd_text() {
        for text in [
            "",
            "\u{0}",
            "[",
            "a = \"\u{e9}",
            "\u{e9}\u{e9} = 1",
            "[[servers]]",
            "x",
        ] {
            let _ = parse(text, Path::new("p"));
        }
        assert!(parse("", Path::new("p")).unwrap().servers.is_empty());
        // Random texts from config-ish pieces (a quick stand-in for the fuzz target).
        let pieces = [
            "[",
            "]",
            "servers",
            ".",
            "a",
            "=",
            " ",
            "\n",
            "\"",
            "'",
            "password",
            "12345",
            "url",
            "timeout",
            "1e300",
            "nan",
            "{",
            "}",
            ",",
            "\u{e9}",
            "\u{1f600}",
            "#",
            "\\",
            "[[",
            "max_reply_size",
            "-",
            "inf",
            "\r",
            "\u{0}",
            "groups",
            "servers = [",
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(x % 24) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                text.push_str(pieces[(x % pieces.len() as u64) as usize]);
            }
            if let Err(e) = parse(&text, Path::new("p")) {
                assert!(!e.to_string().contains("12345"), "{text:?}: {e}");
            }
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let c = parse(
            "[servers.a]\nurl = 'http://u:PW1@h'\npassword = 'PW2'\napi_key = 'PW3'\n",
            Path::new("p"),
        )
        .unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("PW"), "{d}");
    }
}
