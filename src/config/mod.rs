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
//!
//! This file holds the model serde fills in. Beside it: `parse` (text to model, pure),
//! `load` (finding and reading the file), `expand` (names to servers) and `servers_file`
//! (reading a servers file and its lines).

mod expand;
mod load;
mod parse;
mod servers_file;

pub use expand::Member;
pub use load::{load, path, profile_names, MAX_CONFIG_BYTES};
pub use parse::parse;
pub use servers_file::{read_servers_file, MAX_SERVERS_FILE_BYTES};

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::secret;

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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

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
