//! doveadm's own command line: the command table generated from Dovecot's source
//! ([`table`]), GNU-getopt-style option permutation ([`getopt`]), the routing of a
//! process argv in doveadm syntax onto rdoveadm's subcommands ([`argv`]) and modified
//! UTF-7 ([`mutf7`]). Pure: no I/O.

pub mod argv;
pub mod getopt;
pub mod mutf7;
pub mod table;

use crate::error::Error;

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
    /// The word of a key-value positional (2.4's `DOVEADM_CMD_PARAMKV`); else the name.
    pub key: &'static str,
    pub kind: Kind,
    pub positional: bool,
    /// A positional given as `KEY VALUE` (2.4 `move`/`copy`: `user NAME`).
    pub key_value: bool,
    /// `CMD_PARAM_FLAG_DO_NOT_EXPOSE`: not offered over HTTP.
    pub hidden: bool,
}

// Flags of the generated table (src/doveadm/table.rs).
const POS: u8 = 1;
const KV: u8 = 2;
const HIDDEN: u8 = 4;
const MAIL: u8 = 8;
const ORDERED: u8 = 16;
const NO_OPTIONS: u8 = 32;
/// A parameter's key is its name.
const SAME: &str = "";

/// A parameter of the generated table.
const fn p(short: char, name: &'static str, key: &'static str, kind: Kind, flags: u8) -> Param {
    Param {
        short: if short == '\0' { None } else { Some(short) },
        name,
        key: if key.is_empty() { name } else { key },
        kind,
        positional: flags & POS != 0,
        key_value: flags & KV != 0,
        hidden: flags & HIDDEN != 0,
    }
}

/// One `struct doveadm_cmd_ver2`, as generated: its own parameters, without the
/// `DOVEADM_CMD_MAIL_COMMON` ones of a mail command (they differ by version).
#[derive(Debug)]
pub struct Def {
    name: &'static str,
    flags: u8,
    params: &'static [Param],
}

const fn cmd(name: &'static str, flags: u8, params: &'static [Param]) -> Def {
    Def {
        name,
        flags,
        params,
    }
}

/// A command of one Dovecot version.
#[derive(Debug, Clone, Copy)]
pub struct Cmd {
    def: &'static Def,
    version: Version,
}

/// The Dovecot version whose command table applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V23,
    V24,
}

impl Version {
    pub fn commands(self) -> impl Iterator<Item = Cmd> {
        let defs = match self {
            Version::V23 => table::V23,
            Version::V24 => table::V24,
        };
        defs.iter().map(move |def| Cmd { def, version: self })
    }

    pub fn label(self) -> &'static str {
        match self {
            Version::V23 => "2.3",
            Version::V24 => "2.4",
        }
    }
}

impl Cmd {
    /// The command words, space separated (`mailbox cache purge`).
    pub fn name(&self) -> &'static str {
        self.def.name
    }

    /// A mail command: it needs `-u`, `-A` or `-F`.
    pub fn mail(&self) -> bool {
        self.def.flags & MAIL != 0
    }

    /// `CMD_FLAG_NO_UNORDERED_OPTIONS`: options only before the first positional.
    pub fn ordered(&self) -> bool {
        self.def.flags & ORDERED != 0
    }

    /// `CMD_FLAG_NO_OPTIONS`: every argument is positional.
    pub fn no_options(&self) -> bool {
        self.def.flags & NO_OPTIONS != 0
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// The parameters the command's init refuses to run without, in API names (each
    /// entry: one of these must be given), and the option that waives them. Dovecot
    /// checks these in each command's init (`doveadm_mail_help_name()`, or
    /// `i_fatal_status(EX_USAGE, ...)`): the CLI exits 64, while a doveadm server's
    /// worker dies on it (75 over HTTP). Not in the generated table: it is code, not
    /// the parameter definitions; written out from doveadm-mail-*.c of both tags.
    pub fn required(&self) -> (&'static [&'static str], Option<&'static str>) {
        match (self.def.name, self.version) {
            // doveadm-mail-import.c: source, destination parent and query (2.3:
            // `str_array_length(args) < 3`).
            ("import", _) => (&["sourceLocation", "destParentMailbox", "query"], None),
            // doveadm-mail-mailbox.c: cmd_mailbox_update_init.
            ("mailbox update", _) => (&["mailbox"], None),
            // doveadm-mail-mailbox-cache.c: "Missing fields parameter" unless --all
            // (2.3's is a plain i_fatal: 75, as the server's).
            ("mailbox cache decision", Version::V24) => (&["fieldstr", "mailbox"], Some("all")),
            // doveadm-dsync.c cmd_dsync_init: a destination, or 2.3's -d (mail_replica).
            ("sync" | "backup", Version::V23) => (&["destination"], Some("defaultDestination")),
            ("sync" | "backup", Version::V24) => (&["destination"], None),
            _ => (&[], None),
        }
    }

    /// Every parameter: a mail command's common ones (`-A`, `-S`, `-u`...) first.
    pub fn params(&self) -> impl Iterator<Item = &'static Param> {
        let common: &'static [Param] = match (self.mail(), self.version) {
            (false, _) => &[],
            (true, Version::V23) => table::V23_MAIL_COMMON,
            (true, Version::V24) => table::V24_MAIL_COMMON,
        };
        common.iter().chain(self.def.params)
    }

    /// The doveadm plugin the command belongs to: its first word names a plugin module
    /// (doveadm looks for `lib*_doveadm_WORD_plugin.so` when a command is unknown).
    pub fn plugin(&self) -> Option<&'static str> {
        plugin_named(self.name().split(' ').next()?)
    }

    /// The name the HTTP API knows it by (`mailbox cache purge` → `mailboxCachePurge`).
    pub fn api_name(&self) -> String {
        camel_case(self.name())
    }

    /// The option with this short letter.
    pub fn short(&self, c: char) -> Option<&'static Param> {
        self.params().find(|p| !p.positional && p.short == Some(c))
    }

    /// The option with this long name (`--mailbox-guid`).
    pub fn long(&self, name: &str) -> Option<&'static Param> {
        self.params().find(|p| !p.positional && p.name == name)
    }

    /// How doveadm's definition of this command takes an option: a boolean is a flag,
    /// anything else takes a value; `None` when the command has no such option.
    pub fn arity(&self, opt: getopt::Opt) -> Option<getopt::Arity> {
        let p = match opt {
            getopt::Opt::Short(c) => self.short(c),
            getopt::Opt::Long(l) => self.long(l),
        }?;
        Some(if p.kind == Kind::Bool {
            getopt::Arity::Flag
        } else {
            getopt::Arity::Value
        })
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

/// Dovecot's `str_to_int64()` (lib/strnum.c, 2.3 and 2.4): an optional `-`, then
/// digits only (no `+`, no spaces), within int64. `None` when it refuses `s`.
pub fn str_to_int64(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The doveadm plugin module named `word` (`acl`, `fts`...), if there is one.
pub fn plugin_named(word: &str) -> Option<&'static str> {
    table::PLUGINS.iter().copied().find(|p| *p == word)
}

/// The plugin command the HTTP API knows as `api` (`quotaGet`), in either version's
/// table: its doveadm name (`quota get`) and its plugin (`quota`).
pub fn plugin_command(api: &str) -> Option<(&'static str, &'static str)> {
    [Version::V24, Version::V23]
        .into_iter()
        .flat_map(Version::commands)
        .find(|c| c.api_name() == api)
        .and_then(|c| Some((c.name(), c.plugin()?)))
}

/// doveadm's "Unknown command 'quota', but plugin quota exists. Try to set
/// mail_plugins=quota" (exit 75): `typed` is the command as the user gave it.
pub fn plugin_not_loaded(typed: &str, plugin: &str) -> Error {
    Error::Unavailable(format!(
        "`{}`: the server has not loaded plugin {plugin} (mail_plugins={plugin})",
        crate::text::escape_message(typed)
    ))
}

/// The command of `version` that `words` start with (the longest name), and how
/// many words it took.
pub fn find(version: Version, words: &[&str]) -> Option<(Cmd, usize)> {
    version
        .commands()
        .filter_map(|c| {
            let n: Vec<&str> = c.name().split(' ').collect();
            (words.len() >= n.len() && words.iter().zip(&n).all(|(w, n)| w == n))
                .then_some((c, n.len()))
        })
        .max_by_key(|(_, n)| *n)
}

/// [`find`] in either version's table (2.4's definition first), for routing before
/// the server's version is known.
pub fn find_any(words: &[&str]) -> Option<(Cmd, usize)> {
    let a = find(Version::V24, words);
    let b = find(Version::V23, words);
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
                let (c, n) = find(v, &words).unwrap_or_else(|| panic!("{name}"));
                assert_eq!((c.name(), n), (name, words.len()), "{v:?}");
            }
        }
        assert!(find(Version::V23, &["batch"]).is_some());
        assert!(find(Version::V24, &["batch"]).is_none());
        let (c, n) = find_any(&["mailbox", "cache", "purge", "INBOX"]).unwrap();
        assert_eq!((c.api_name().as_str(), n), ("mailboxCachePurge", 3));
        let create = find_any(&["mailbox", "create"]).unwrap().0;
        assert_eq!(create.short('g').unwrap().name, "guid");
        assert_eq!(create.short('u').unwrap().name, "user");
        assert!(create.mail());
        let v24 = find(Version::V24, &["altmove"]).unwrap().0;
        assert!(v24.long("no-userdb-lookup").is_some());
        let v23 = find(Version::V23, &["altmove"]).unwrap().0;
        assert!(v23.long("no-userdb-lookup").is_none());
        let sync = find(Version::V23, &["sync"]).unwrap().0;
        assert!(sync.ordered() && sync.short('R').is_some());
        // Parameters from macros (DOVEADM_CMD_WHO_FIELDS in 2.4).
        let who = find(Version::V24, &["who"]).unwrap().0;
        assert_eq!(who.short('f').unwrap().name, "passdb-field");
        assert!(find(Version::V23, &["who"]).unwrap().0.short('f').is_none());
        // Plugins' commands: by the first word, as doveadm names the plugin.
        for (v, name, plugin) in [
            (Version::V23, "acl get", Some("acl")),
            (Version::V24, "fts check fast", Some("fts")),
            (Version::V24, "fts flatcurve check", Some("fts")),
            (Version::V23, "quota recalc", Some("quota")),
            (Version::V24, "mailbox cryptokey list", None),
            (Version::V24, "sieve list", None),
        ] {
            let words: Vec<&str> = name.split(' ').collect();
            let (c, n) = find(v, &words).unwrap_or_else(|| panic!("{name}"));
            assert_eq!((c.name(), n, c.plugin()), (name, words.len(), plugin));
        }
        assert!(find(Version::V23, &["fts", "check", "fast"]).is_none());
    }

    #[test]
    fn int64_is_parsed_as_dovecot_does() {
        for (s, want) in [
            ("5", Some(5)),
            ("07", Some(7)),
            ("-0", Some(0)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775807", Some(i64::MAX)),
            ("9223372036854775808", None),
            ("", None),
            ("-", None),
            ("abc", None),
            ("5x", None),
            (" 5", None),
            ("5 ", None),
            ("+5", None),
            ("0x10", None),
        ] {
            assert_eq!(str_to_int64(s), want, "{s:?}");
        }
    }
}
