//! Credentials: the [`Auth`] a connection carries, and how flags, environment and a
//! profile pick it. Separate because it is where secrets are read and must never be shown.

use std::time::Duration;

use base64::Engine as _;

use super::{Env, ProfileRef, DEFAULT_AUTH_USER};
use crate::cli::GlobalArgs;
use crate::config::Profile;
use crate::error::Error;
use crate::secret::{self, read_secret};

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

pub(super) fn resolve_auth(g: &GlobalArgs, env: &dyn Env, prof: ProfileRef) -> Result<Auth, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::{env, MapEnv};
    use crate::settings::{parse_url, Endpoint, Settings, Terminal};

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
}
