//! Resolves flags + environment into validated [`Settings`] before any command runs:
//! the endpoint is a URL or a socket path, credentials are loaded, the format chosen.
//!
//! Precedence for each setting: command-line flag, then environment variable, then default.
//! Credentials: an API key beats a password at the same level; a flag beats the environment.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;

use crate::cli::{Format, GlobalArgs};
use crate::error::Error;

pub const DEFAULT_TIMEOUT_SECS: f64 = 30.0;
pub const DEFAULT_AUTH_USER: &str = "doveadm";

/// Where the API lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Url(reqwest::Url),
    Socket(PathBuf),
}

/// HTTPS trust settings.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    pub cacert_pem: Option<Vec<u8>>,
    pub insecure: bool,
}

/// Credentials, with where they came from (for messages; never the secret itself).
#[derive(Clone)]
pub enum Auth {
    None,
    Basic { user: String, password: String, source: String },
    ApiKey { key: String, source: String },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Auth {
    /// The `Authorization` header value.
    pub fn header_value(&self) -> Option<String> {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        match self {
            Auth::None => None,
            Auth::Basic { user, password, .. } => Some(format!("Basic {}", b64(&format!("{user}:{password}")))),
            Auth::ApiKey { key, .. } => Some(format!("X-Dovecot-API {}", b64(key))),
        }
    }

    /// What is used, in words, without the secret.
    pub fn describe(&self) -> String {
        match self {
            Auth::None => "no credentials (set RDOVEADM_API_KEY or RDOVEADM_PASSWORD, or --api-key-file/--password-file)".into(),
            Auth::Basic { user, source, .. } => format!("HTTP Basic as `{user}`, password from {source}"),
            Auth::ApiKey { source, .. } => format!("the API key from {source}"),
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
}

/// How rows are written.
#[derive(Debug, Clone, Copy)]
pub struct OutputSettings {
    pub format: Format,
    pub header: bool,
    /// Terminal width for `table`, when stdout is a terminal.
    pub width: Option<u16>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub connection: Option<Connection>,
    pub output: OutputSettings,
    pub debug: bool,
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

impl Settings {
    /// Resolves the global flags. `stdout_tty` picks the default format.
    pub fn resolve(g: &GlobalArgs, env: &dyn Env, stdout_tty: bool, width: Option<u16>) -> Result<Settings, Error> {
        let format = g.format.unwrap_or(if stdout_tty { Format::Table } else { Format::Tab });
        let output = OutputSettings { format, header: !g.no_header, width: if stdout_tty { width } else { None } };
        let connection = resolve_connection(g, env)?;
        Ok(Settings { connection, output, debug: g.debug })
    }

    /// The connection, or a configuration error saying how to give one.
    pub fn require_connection(&self) -> Result<&Connection, Error> {
        self.connection.as_ref().ok_or_else(|| {
            Error::Config("no server given: use --url URL or --socket PATH (or RDOVEADM_URL / RDOVEADM_SOCKET)".into())
        })
    }
}

fn resolve_connection(g: &GlobalArgs, env: &dyn Env) -> Result<Option<Connection>, Error> {
    let endpoint = match (&g.url, &g.socket) {
        (Some(u), _) => Some(Endpoint::Url(parse_url(u, "--url")?)),
        (None, Some(p)) => Some(Endpoint::Socket(p.clone())),
        (None, None) => match (env.var("RDOVEADM_URL"), env.var("RDOVEADM_SOCKET")) {
            (Some(_), Some(_)) => {
                return Err(Error::Config(
                    "both RDOVEADM_URL and RDOVEADM_SOCKET are set: unset one, or pick with --url/--socket".into(),
                ))
            }
            (Some(u), None) => Some(Endpoint::Url(parse_url(&u, "RDOVEADM_URL")?)),
            (None, Some(p)) => Some(Endpoint::Socket(PathBuf::from(p))),
            (None, None) => None,
        },
    };
    let Some(endpoint) = endpoint else { return Ok(None) };
    let auth = resolve_auth(g, env)?;
    let timeout_secs = match g.timeout {
        Some(t) => t,
        None => match env.var("RDOVEADM_TIMEOUT") {
            Some(v) => v.parse().map_err(|_| Error::Config(format!("RDOVEADM_TIMEOUT: `{v}` is not a number of seconds")))?,
            None => DEFAULT_TIMEOUT_SECS,
        },
    };
    if !timeout_secs.is_finite() || timeout_secs < 0.0 {
        return Err(Error::Usage(format!("--timeout: `{timeout_secs}` must be 0 or more seconds")));
    }
    let timeout = (timeout_secs > 0.0).then(|| Duration::from_secs_f64(timeout_secs));
    let mut tls = Tls { insecure: g.insecure, cacert_pem: None };
    if let Some(path) = &g.cacert {
        tls.cacert_pem = Some(std::fs::read(path).map_err(|e| {
            Error::Config(format!("--cacert: cannot read `{}`: {e}", path.display()))
        })?);
    }
    Ok(Some(Connection { endpoint, auth, tls, timeout }))
}

fn resolve_auth(g: &GlobalArgs, env: &dyn Env) -> Result<Auth, Error> {
    let user = g.auth_user.clone().or_else(|| env.var("RDOVEADM_USER")).unwrap_or_else(|| DEFAULT_AUTH_USER.into());
    if let Some(f) = &g.api_key_file {
        return Ok(Auth::ApiKey { key: read_secret(f, "--api-key-file")?, source: format!("--api-key-file `{}`", f.display()) });
    }
    if let Some(f) = &g.password_file {
        return Ok(Auth::Basic { user, password: read_secret(f, "--password-file")?, source: format!("--password-file `{}`", f.display()) });
    }
    if let Some(key) = env.var("RDOVEADM_API_KEY") {
        return Ok(Auth::ApiKey { key, source: "RDOVEADM_API_KEY".into() });
    }
    if let Some(password) = env.var("RDOVEADM_PASSWORD") {
        return Ok(Auth::Basic { user, password, source: "RDOVEADM_PASSWORD".into() });
    }
    Ok(Auth::None)
}

/// Reads a secret from a file: the first line, without its line ending.
pub fn read_secret(path: &Path, what: &str) -> Result<String, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("{what}: cannot read `{}`: {e}", path.display())))?;
    let secret = text.lines().next().unwrap_or("").to_string();
    if secret.is_empty() {
        return Err(Error::Config(format!("{what}: `{}` is empty", path.display())));
    }
    Ok(secret)
}

/// Parses an endpoint URL; appends the API path when the URL has none.
pub fn parse_url(text: &str, what: &str) -> Result<reqwest::Url, Error> {
    let mut url = reqwest::Url::parse(text).map_err(|e| {
        Error::Config(format!("{what}: `{text}` is not a URL ({e}); use e.g. http://127.0.0.1:8080"))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Config(format!("{what}: `{text}` must start with http:// or https://")));
    }
    if url.host_str().is_none() {
        return Err(Error::Config(format!("{what}: `{text}` has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "{what}: credentials in the URL are not accepted; use RDOVEADM_PASSWORD or --password-file"
        )));
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
        assert_eq!(parse_url("http://127.0.0.1:8080", "x").unwrap().as_str(), "http://127.0.0.1:8080/doveadm/v1");
        assert_eq!(parse_url("http://h:1/doveadm/v1/", "x").unwrap().as_str(), "http://h:1/doveadm/v1");
        assert_eq!(parse_url("https://h/proxy", "x").unwrap().as_str(), "https://h/proxy/doveadm/v1");
        assert!(parse_url("127.0.0.1:8080", "x").is_err());
        assert!(parse_url("ftp://h", "x").is_err());
        assert!(parse_url("http://doveadm:secret@h", "x").unwrap_err().to_string().contains("not accepted"));
    }

    #[test]
    fn flag_beats_env_and_api_key_beats_password() {
        let g = GlobalArgs { url: Some("http://a:1".into()), ..Default::default() };
        let e = env(&[("RDOVEADM_URL", "http://b:2"), ("RDOVEADM_PASSWORD", "pw"), ("RDOVEADM_API_KEY", "k")]);
        let s = Settings::resolve(&g, &e, false, None).unwrap();
        let c = s.connection.unwrap();
        assert_eq!(c.endpoint, Endpoint::Url(parse_url("http://a:1", "").unwrap()));
        assert!(matches!(c.auth, Auth::ApiKey { .. }));
        assert_eq!(c.auth.header_value().unwrap(), "X-Dovecot-API aw==");
    }

    #[test]
    fn basic_auth_header_and_description_hide_the_secret() {
        let e = env(&[("RDOVEADM_SOCKET", "/run/x/http"), ("RDOVEADM_PASSWORD", "s3cret")]);
        let s = Settings::resolve(&GlobalArgs::default(), &e, false, None).unwrap();
        let c = s.connection.unwrap();
        assert_eq!(c.auth.header_value().unwrap(), format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("doveadm:s3cret")));
        assert!(!c.auth.describe().contains("s3cret"));
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn format_defaults_by_terminal() {
        let s = Settings::resolve(&GlobalArgs::default(), &env(&[]), true, Some(80)).unwrap();
        assert_eq!(s.output.format, Format::Table);
        let s = Settings::resolve(&GlobalArgs::default(), &env(&[]), false, Some(80)).unwrap();
        assert_eq!(s.output.format, Format::Tab);
        assert!(s.connection.is_none());
    }

    #[test]
    fn both_endpoints_in_env_is_a_config_error() {
        let e = env(&[("RDOVEADM_URL", "http://a:1"), ("RDOVEADM_SOCKET", "/x")]);
        assert_eq!(Settings::resolve(&GlobalArgs::default(), &e, false, None).unwrap_err().exit_code(), 78);
    }
}
