//! What the names given to `-s` stand for: a profile, or a group's profiles and the
//! lines of its servers file, expanded in order without repeats into [`Member`]s.

use super::Config;
use crate::error::Error;
use crate::text;

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
pub(super) struct Members {
    pub(super) list: Vec<Member>,
    seen: std::collections::HashSet<(bool, String)>,
}

impl Members {
    /// Adds a server not yet listed (a profile by name, a URL by its text).
    pub(super) fn push(&mut self, m: Member) {
        let key = match &m {
            Member::Profile(n) => (false, n.clone()),
            Member::Url { url, .. } => (true, url.clone()),
        };
        if self.seen.insert(key) {
            self.list.push(m);
        }
    }
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
}
