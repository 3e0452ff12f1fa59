//! Which servers a command talks to: profiles and groups named with `-s`, `--all-servers`,
//! a servers file, `--url`/`--socket`, the environment, or the config file's default,
//! each made into a [`Target`]. Separate from the credentials and connection settings
//! each target then gets.

use std::collections::hash_map::{Entry, HashMap};
use std::path::PathBuf;

use super::auth::resolve_auth;
use super::connection::finish_connection;
use super::endpoint::{parse_endpoint, socket_path};
use super::{Connection, Endpoint, Env, Target};
use crate::cli::GlobalArgs;
use crate::config::{self, Member, Profile};
use crate::error::Error;
use crate::secret::redact_url;

pub(super) fn resolve_targets(
    g: &GlobalArgs,
    env: &dyn Env,
) -> Result<(Vec<Target>, Option<PathBuf>), Error> {
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
        targets.extend(url_targets(g, env)?);
        return Ok((targets, cfg.path));
    }
    // 2. Endpoints given as flags.
    if !g.url.is_empty() {
        return Ok((url_targets(g, env)?, None));
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
/// One target per `--url`, in the order given.
fn url_targets(g: &GlobalArgs, env: &dyn Env) -> Result<Vec<Target>, Error> {
    g.url
        .iter()
        .map(|u| flag_target(g, env, parse_endpoint(u, "--url")?, "--url".into()))
        .collect()
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::env;
    use crate::settings::{Settings, Terminal};

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
