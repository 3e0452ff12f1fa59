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
//! ```
//!
//! A file that holds a secret (`password`, `api_key`) or names a secret file must not
//! be readable by group or others, as ssh insists for its keys: exit 78 otherwise.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;
use crate::settings::Env;

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

#[derive(Debug, Default, Clone, Deserialize)]
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

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub servers: Vec<String>,
}

impl Profile {
    fn names_a_secret(&self) -> bool {
        self.password.is_some() || self.api_key.is_some()
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
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(Config::default())
        }
        Err(e) => {
            return Err(Error::Config(format!(
                "config file `{}`: {e}",
                path.display()
            )))
        }
    };
    let mut cfg: Config = toml::from_str(&text).map_err(|e| {
        let msg = e.message().replace('\n', " ");
        let at = e
            .span()
            .map(|s| format!(" (line {})", text[..s.start].lines().count().max(1)))
            .unwrap_or_default();
        Error::Config(format!("config file `{}`{at}: {msg}", path.display()))
    })?;
    check_private(&path, &cfg)?;
    cfg.path = Some(path);
    Ok(cfg)
}

/// Refuses a config that holds secrets but is readable by group or others.
fn check_private(path: &Path, cfg: &Config) -> Result<(), Error> {
    if !cfg.servers.values().any(Profile::names_a_secret) {
        return Ok(());
    }
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions().mode())
        .unwrap_or(0);
    if mode & 0o077 != 0 {
        return Err(Error::Config(format!(
            "config file `{}` holds a password or API key and is readable by others (mode {:04o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o7777,
            path.display()
        )));
    }
    Ok(())
}

impl Config {
    /// Expands names (profiles or groups) into profile names, in order, without repeats.
    pub fn expand(&self, names: &[String]) -> Result<Vec<String>, Error> {
        let mut out: Vec<String> = Vec::new();
        for name in names {
            let list: Vec<String> = if self.servers.contains_key(name) {
                vec![name.clone()]
            } else if let Some(g) = self.groups.get(name) {
                for s in &g.servers {
                    if !self.servers.contains_key(s) {
                        return Err(Error::Config(format!("group `{name}` names `{s}`, which is not a [servers.{s}] in the config file")));
                    }
                }
                g.servers.clone()
            } else {
                return Err(Error::Config(format!(
                    "no server or group `{name}` in {}; known: {}",
                    self.describe_path(),
                    self.names().join(", ")
                )));
            };
            for n in list {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        Ok(out)
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
            Some(p) => format!("`{}`", p.display()),
            None => "the config file (none found)".into(),
        }
    }
}

/// Profile and group names from the config file, for shell completion; empty on any error.
pub fn profile_names() -> Vec<String> {
    load(&crate::settings::ProcessEnv)
        .map(|c| c.names())
        .unwrap_or_default()
}

/// Runs `password_command` with `sh -c` and returns its first output line.
pub fn run_password_command(cmd: &str, profile: &str) -> Result<String, Error> {
    let out = std::process::Command::new("sh")
        .args(["-c", cmd])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| {
            Error::Config(format!(
                "server `{profile}`: cannot run password_command: {e}"
            ))
        })?;
    if !out.status.success() {
        return Err(Error::Config(format!(
            "server `{profile}`: password_command failed ({})",
            out.status
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let secret = text.lines().next().unwrap_or("").to_string();
    if secret.is_empty() {
        return Err(Error::Config(format!(
            "server `{profile}`: password_command printed nothing"
        )));
    }
    Ok(secret)
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
        assert_eq!(cfg.expand(&["a".into(), "all".into()]).unwrap(), ["a", "b"]);
        assert_eq!(cfg.expand(&["nope".into()]).unwrap_err().exit_code(), 78);
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(toml::from_str::<Config>("[servers.a]\nurl='x'\npasword='typo'\n").is_err());
    }
}
