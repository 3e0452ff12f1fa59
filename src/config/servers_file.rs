//! Servers files (a URL or a profile name per line; `-` is standard input), named by a
//! group's `servers_file` or by `--servers-file`: read as carefully as the config file,
//! their lines turned into [`Member`]s. Apart from `expand`, which only calls in here.

use std::path::Path;

use super::expand::{Member, Members};
use super::Config;
use crate::error::Error;
use crate::secret::{self, Holds};
use crate::text;

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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
