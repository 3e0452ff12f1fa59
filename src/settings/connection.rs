//! The per-connection settings besides endpoint and credentials: timeout, TLS trust
//! and the largest reply, each from flag, environment or profile. Separate from the
//! target resolution, which decides where to connect, not how.

use std::time::Duration;

use super::{
    Auth, Connection, Endpoint, Env, ProfileRef, Tls, DEFAULT_MAX_REPLY, DEFAULT_TIMEOUT_SECS,
    MAX_CACERT_BYTES,
};
use crate::cli::{self, GlobalArgs};
use crate::error::Error;
use crate::secret::{self, Holds};

pub(super) fn finish_connection(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::env;
    use crate::settings::{Settings, Terminal};

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
}
