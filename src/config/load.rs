//! Finding and reading the config file: its path from the environment, the ssh-like
//! permission checks, and the names for completion. Apart from [`parse`], which is pure
//! (no I/O), so that tests and the fuzz target need no file.

use std::path::PathBuf;

use super::{parse, Config, Profile};
use crate::error::Error;
use crate::secret::{self, Holds};
use crate::settings::Env;
use crate::text;

/// The largest config file read (a real one is a few KiB).
pub const MAX_CONFIG_BYTES: usize = 1 << 20;

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

/// Profile and group names from the config file, for shell completion; empty on any error.
pub fn profile_names() -> Vec<String> {
    load(&crate::settings::ProcessEnv)
        .map(|c| c.names())
        .unwrap_or_default()
}
