//! doveadm's own command line: the command table generated from Dovecot's source
//! ([`table`]), GNU-getopt-style option permutation ([`getopt`]), the routing of a
//! process argv in doveadm syntax onto rdoveadm's subcommands ([`argv`]) and modified
//! UTF-7 ([`mutf7`]). Pure: no I/O.

pub mod argv;
pub mod getopt;
pub mod mutf7;
pub mod table;

/// A parameter's type (`CMD_PARAM_*` in Dovecot's doveadm-cmd.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int,
    Ip,
    Str,
    Array,
    /// Sent over HTTP as a string holding the data itself (e.g. `save`'s message).
    IStream,
}

/// One `DOVEADM_CMD_PARAM(short, name, type, flags)`.
#[derive(Debug)]
pub struct Param {
    pub short: Option<char>,
    /// The long option name (`mailbox-guid`); its camelCase form is the HTTP key.
    pub name: &'static str,
    /// The HTTP key and the word of a key-value positional (2.4's `DOVEADM_CMD_PARAMKV`).
    pub key: &'static str,
    pub kind: Kind,
    pub positional: bool,
    /// A positional given as `KEY VALUE` (2.4 `move`/`copy`: `user NAME`).
    pub key_value: bool,
    /// `CMD_PARAM_FLAG_DO_NOT_EXPOSE`: not offered over HTTP.
    pub hidden: bool,
}

/// One `struct doveadm_cmd_ver2`.
#[derive(Debug)]
pub struct Cmd {
    /// The command words, space separated (`mailbox cache purge`).
    pub name: &'static str,
    /// A mail command: it needs `-u`, `-A` or `-F`.
    pub mail: bool,
    pub hidden: bool,
    /// `CMD_FLAG_NO_UNORDERED_OPTIONS`: options only before the first positional.
    pub ordered: bool,
    /// `CMD_FLAG_NO_OPTIONS`: every argument is positional.
    pub no_options: bool,
    pub params: &'static [Param],
}

/// The Dovecot version whose command table applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V23,
    V24,
}

impl Version {
    pub fn commands(self) -> &'static [Cmd] {
        match self {
            Version::V23 => table::V23,
            Version::V24 => table::V24,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Version::V23 => "2.3",
            Version::V24 => "2.4",
        }
    }
}

impl Cmd {
    /// The name the HTTP API knows it by (`mailbox cache purge` → `mailboxCachePurge`).
    pub fn api_name(&self) -> String {
        camel_case(self.name)
    }

    /// The option with this short letter.
    pub fn short(&self, c: char) -> Option<&'static Param> {
        self.params
            .iter()
            .find(|p| !p.positional && p.short == Some(c))
    }

    /// The option with this long name (`--mailbox-guid`).
    pub fn long(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| !p.positional && p.name == name)
    }
}

/// `quota get`, `quota-get`, `all-users` → `quotaGet`, `allUsers` (doveadm's
/// `i_strccdascmp` matching; the HTTP API's canonical spelling).
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.trim().chars() {
        if c == ' ' || c == '-' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The command that `words` start with (the longest name), and how many words it took.
pub fn find<'a>(cmds: &'a [Cmd], words: &[&str]) -> Option<(&'a Cmd, usize)> {
    cmds.iter()
        .filter_map(|c| {
            let n: Vec<&str> = c.name.split(' ').collect();
            (words.len() >= n.len() && words.iter().zip(&n).all(|(w, n)| w == n))
                .then_some((c, n.len()))
        })
        .max_by_key(|(_, n)| *n)
}

/// [`find`] in either version's table (2.4's definition first), for routing before
/// the server's version is known.
pub fn find_any(words: &[&str]) -> Option<(&'static Cmd, usize)> {
    let a = find(Version::V24.commands(), words);
    let b = find(Version::V23.commands(), words);
    match (a, b) {
        (Some(x), Some(y)) if y.1 > x.1 => Some(y),
        (Some(x), _) => Some(x),
        (None, y) => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_the_documented_commands_of_both_versions() {
        for v in [Version::V23, Version::V24] {
            for name in [
                "altmove",
                "deduplicate",
                "fs put",
                "import",
                "log test",
                "mailbox update",
                "mailbox cache purge",
                "mailbox mutf7",
                "penalty",
                "proxy kick",
                "rebuild attachments",
                "save",
                "stats add",
                "stats remove",
                "quota get",
                "who",
            ] {
                let words: Vec<&str> = name.split(' ').collect();
                let (c, n) = find(v.commands(), &words).unwrap_or_else(|| panic!("{name}"));
                assert_eq!((c.name, n), (name, words.len()), "{v:?}");
            }
        }
        assert!(find(Version::V23.commands(), &["batch"]).is_some());
        let (c, n) = find_any(&["mailbox", "cache", "purge", "INBOX"]).unwrap();
        assert_eq!((c.api_name().as_str(), n), ("mailboxCachePurge", 3));
        let create = find_any(&["mailbox", "create"]).unwrap().0;
        assert_eq!(create.short('g').unwrap().name, "guid");
        assert_eq!(create.short('u').unwrap().name, "user");
        assert!(create.mail);
    }
}
