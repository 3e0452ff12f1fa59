//! Routes a command line written for doveadm onto rdoveadm's clap definition, before
//! clap sees it:
//! - doveadm's global options: `-v` is accepted (it only makes the local doveadm log
//!   more; over HTTP the server logs); `-o`, `-c` and `-i` choose local configuration
//!   or a local instance and cannot apply to a server reached over HTTP: refused.
//! - options after positional arguments are moved before them, as GNU getopt
//!   permutes them (`flags add '\Seen' mailbox INBOX -u user`), up to `--`;
//! - a doveadm command that has no rdoveadm subcommand (`altmove`, `fs put`,
//!   `mailbox update`...), or one given an option only doveadm's own syntax has
//!   (`mailbox create -g GUID`, `who -a PATH`), goes to the `doveadm` subcommand,
//!   which runs it through the HTTP API with doveadm's parameters.
//!
//! The routing is here; how each definition takes an option is in `arity`, the
//! `doveadm` subcommand's argv in `generic`, the users of a mail command in `users`.

mod arity;
mod generic;
mod users;

use clap::Command;

use super::getopt::{self, Arity, Item, Opt};
use crate::error::Error;
use arity::{clap_arity, global_arity};
use generic::generic;
pub use users::missing_users;
use users::names_users;

/// The subcommand that runs any doveadm command in doveadm's syntax.
pub const GENERIC: &str = "doveadm";

/// doveadm's global options that configure the local doveadm process; the message
/// says why each cannot apply over HTTP.
fn local_only(c: char) -> Option<&'static str> {
    Some(match c {
        'c' => "`-c` reads a local dovecot.conf; over HTTP the server uses its own configuration (choose the server with --url or -s)",
        'i' => "`-i` selects a local Dovecot instance; over HTTP choose the server with --url or -s instead",
        'o' => "`-o` overrides a setting of the local doveadm process; over HTTP the server uses its own configuration",
        _ => return None,
    })
}

/// `-F -` as `--user-file=-`: clap takes a lone `-` after a short option for a
/// positional when the command's positionals allow hyphen values (`search`'s query),
/// and then misses the option's value.
fn dash_values_long(node: &Command, args: Vec<String>) -> Vec<String> {
    let long_of = |c: char| {
        node.get_arguments()
            .find(|x| x.get_short() == Some(c) && x.get_action().takes_values())
            .and_then(|x| x.get_long())
    };
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.into_iter().peekable();
    while let Some(a) = it.next() {
        if a == "--" {
            out.push(a);
            out.extend(it);
            break;
        }
        let mut chars = a.chars();
        let (dash, c, rest) = (chars.next(), chars.next(), chars.as_str());
        let long = match (dash, c) {
            (Some('-'), Some(c)) if c != '-' => long_of(c),
            _ => None,
        };
        match long {
            // `-F-` (as permuted) or `-F -`.
            Some(long) if rest == "-" => out.push(format!("--{long}=-")),
            Some(long) if rest.is_empty() && it.peek().is_some_and(|v| v == "-") => {
                it.next();
                out.push(format!("--{long}=-"));
            }
            _ => out.push(a),
        }
    }
    out
}

/// Rewrites `args` (with the program name first) for clap; see the module comment.
/// `default_user` is `$USER`, only for [`missing_users`]'s exit code.
pub fn route(
    args: &[String],
    root: &Command,
    default_user: Option<&str>,
) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = args.iter().take(1).cloned().collect();
    let rest = args.get(1..).unwrap_or_default();
    // Global options, before the command name.
    let mut i = 0;
    while let Some(arg) = rest.get(i) {
        if arg == "--" || arg == "-" || !arg.starts_with('-') {
            break;
        }
        i += 1;
        if arg.starts_with("--") {
            out.push(arg.clone());
            let name = arg.trim_start_matches('-');
            if !name.contains('=') && clap_arity(root, Opt::Long(name)) == Some(Arity::Value) {
                out.extend(rest.get(i).cloned());
                i += 1;
            }
            continue;
        }
        for (at, c) in arg.char_indices().skip(1) {
            if c == 'v' && clap_arity(root, Opt::Short('v')).is_none() {
                continue; // doveadm -v: verbose logging of the local process.
            }
            if let Some(why) = local_only(c) {
                return Err(Error::Usage(why.into()));
            }
            out.push(format!("-{c}"));
            if clap_arity(root, Opt::Short(c)) == Some(Arity::Value) {
                let attached = arg.get(at + c.len_utf8()..).unwrap_or("");
                if attached.is_empty() {
                    out.extend(rest.get(i).cloned());
                    i += 1;
                } else {
                    out.push(attached.to_string());
                }
                break;
            }
        }
    }
    let rest = rest.get(i..).unwrap_or_default();
    let words: Vec<&str> = rest.iter().map(String::as_str).collect();

    // The deepest clap subcommand the words name.
    let mut node = root;
    let mut depth = 0;
    let mut forced = false;
    while let Some(w) = words.get(depth) {
        if node.get_subcommands().next().is_none() {
            break;
        }
        match node.find_subcommand(w) {
            Some(sub) => {
                node = sub;
                depth += 1;
            }
            None => break,
        }
    }
    if depth == 1 && node.get_name() == GENERIC {
        forced = true; // `rdoveadm doveadm altmove ...`
    }
    let doveadm_words = if forced {
        words.get(1..).unwrap_or_default()
    } else {
        &words[..]
    };
    let doveadm = super::find_any(doveadm_words);
    let leaf = depth > 0 && node.get_subcommands().next().is_none();

    // `batch FILE` / `batch -` is rdoveadm's file runner; with a separator and a
    // command, or a user option, it is doveadm's batch.
    if leaf && depth == 1 && node.get_name() == "batch" {
        if let Some((cmd, 1)) = doveadm {
            let args: Vec<String> = rest.get(1..).unwrap_or_default().to_vec();
            let spec = |o: Opt| cmd.arity(o);
            let items = getopt::parse(&args, &spec, true);
            let positionals = items
                .iter()
                .filter(|i| matches!(i, Item::Positional(_)))
                .count();
            if positionals >= 2
                || items
                    .iter()
                    .any(|i| matches!(i, Item::Short(..) | Item::Long(..)))
            {
                return generic(out, root, &cmd, 1, rest, 0);
            }
        }
    }
    if leaf && !forced {
        let args: Vec<String> = rest.get(depth..).unwrap_or_default().to_vec();
        // An option that is a flag to rdoveadm but takes a value in doveadm's definition
        // (2.4's `kick -f FIELD`, 2.3's `-f` force) keeps its next word beside it, so
        // that `kick MASK -f FIELD` permutes to `kick -f FIELD MASK` as doveadm 2.4's
        // getopt does; the command then reads that word by the server's version.
        let own = doveadm.filter(|(_, n)| *n == depth).map(|(cmd, _)| cmd);
        let spec = |o: Opt| match clap_arity(node, o) {
            Some(Arity::Flag)
                if own
                    .as_ref()
                    .is_some_and(|cmd| cmd.arity(o) == Some(Arity::Value)) =>
            {
                Some(Arity::Value)
            }
            other => other,
        };
        let items = getopt::parse(&args, &spec, false);
        let unknown_to_clap = items.iter().any(|it| matches!(it, Item::Unknown(_)));
        // An option only doveadm's syntax has (`mailbox create -g`): doveadm's path,
        // when doveadm's definition knows every option given.
        let doveadm_knows_all = doveadm
            .filter(|(_, n)| *n == depth)
            .is_some_and(|(cmd, _)| {
                let spec = |o: Opt| cmd.arity(o).or_else(|| global_arity(root, o));
                !getopt::parse(&args, &spec, cmd.ordered())
                    .iter()
                    .any(|it| matches!(it, Item::Unknown(_)))
            });
        // A mail command with `-S` or `--no-userdb-lookup`: doveadm's path, which knows
        // the server's version and so native doveadm's rules for them (its fallback to
        // `$USER`, 2.3's `-S` with `-F`).
        let fallback = doveadm.is_some_and(|(cmd, n)| n == depth && cmd.mail())
            && items.iter().any(|i| {
                matches!(i, Item::Short('S', _))
                    || matches!(i, Item::Long(n, _) if n == "socket-path" || n == "no-userdb-lookup")
                    || matches!(i, Item::Unknown(a) if a == "--no-userdb-lookup")
            });
        // doveadm's `-h VALUE` (2.4 `kick -h HOST`, `indexer add -h`) is not clap's help.
        let doveadm_h = doveadm
            .filter(|(cmd, n)| *n == depth && cmd.arity(Opt::Short('h')) == Some(Arity::Value))
            .is_some_and(|(cmd, _)| {
                let spec = |o: Opt| cmd.arity(o).or_else(|| global_arity(root, o));
                getopt::parse(&args, &spec, cmd.ordered())
                    .iter()
                    .any(|it| matches!(it, Item::Short('h', Some(_))))
            });
        if !((unknown_to_clap || fallback || doveadm_h) && doveadm_knows_all) {
            out.extend(rest.iter().take(depth).cloned());
            let mail = doveadm.is_some_and(|(cmd, n)| n == depth && cmd.mail());
            let help = items.iter().any(|i| {
                matches!(i, Item::Short('h', _)) || matches!(i, Item::Long(n, _) if n == "help")
            });
            if mail && !help && !names_users(&items) && spec(Opt::Short('u')).is_some() {
                let name = rest.get(..depth).unwrap_or_default().join(" ");
                return Err(missing_users(&name, default_user.is_some()));
            }
            out.extend(dash_values_long(node, getopt::permute(&args, &spec, false)));
            return Ok(out);
        }
    }
    let skip = usize::from(forced);
    match doveadm {
        Some((cmd, n)) if forced || n >= depth => generic(out, root, &cmd, n, rest, skip),
        // A plugin's word with no command of the table (`acl`, `fts bogus`): the
        // `doveadm` subcommand answers as doveadm (75 when the server lacks the plugin).
        None if depth == 0 && words.first().and_then(|w| super::plugin_named(w)).is_some() => {
            out.push(GENERIC.into());
            out.push("--".into());
            out.extend(rest.iter().cloned());
            Ok(out)
        }
        _ => {
            out.extend(rest.iter().cloned());
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(args: &[&str]) -> Result<Vec<String>, Error> {
        let args: Vec<String> = std::iter::once("rdoveadm")
            .chain(args.iter().copied())
            .map(String::from)
            .collect();
        route(&args, &crate::cli_command(), None).map(|mut v| {
            v.remove(0);
            v
        })
    }

    fn ok(args: &[&str]) -> String {
        r(args).unwrap().join(" ")
    }

    #[test]
    fn options_after_positionals_go_first_for_rdoveadm_subcommands() {
        assert_eq!(
            ok(&["flags", "add", "\\Seen", "mailbox", "INBOX", "-u", "bob"]),
            "flags add -u bob -- \\Seen mailbox INBOX"
        );
        assert_eq!(ok(&["-f", "tab", "who", "-1"]), "-f tab who -1");
        assert_eq!(ok(&["-ftab", "who", "--watch=-1"]), "-f tab who --watch=-1");
        assert_eq!(ok(&["who", "-w", "5", "bob"]), "who -w 5 -- bob");
        // 2.4's `kick -f FIELD`: the field stays beside -f (first of the words).
        assert_eq!(ok(&["kick", "bob", "-f", "user"]), "kick -f user -- bob");
        assert_eq!(
            ok(&["mailbox", "list", "-u", "a", "--url", "u"]),
            "mailbox list -u a --url=u"
        );
    }

    #[test]
    fn a_plugin_word_without_a_command_goes_to_the_doveadm_subcommand() {
        // doveadm answers these by the plugin (75 when not loaded): so does `doveadm`.
        assert_eq!(ok(&["acl"]), "doveadm -- acl");
        assert_eq!(
            ok(&["fts", "bogus", "-u", "a"]),
            "doveadm -- fts bogus -u a"
        );
        assert_eq!(
            ok(&["acl", "get", "-u", "a", "INBOX"]),
            "doveadm -- acl get -u a -- INBOX"
        );
        assert!(ok(&["bogus"]).starts_with("bogus"));
    }

    #[test]
    fn doveadm_commands_and_options_go_to_the_doveadm_subcommand() {
        assert_eq!(
            ok(&["altmove", "all", "-u", "a", "--url", "http://x"]),
            "--url=http://x doveadm -- altmove -u a -- all"
        );
        assert_eq!(
            ok(&[
                "mailbox",
                "update",
                "INBOX",
                "--min-next-uid",
                "9",
                "-u",
                "a"
            ]),
            "doveadm -- mailbox update --min-next-uid 9 -u a -- INBOX"
        );
        // An option only doveadm has moves a subcommand to doveadm's path.
        assert_eq!(
            ok(&["mailbox", "create", "-g", "G", "-u", "a", "X"]),
            "doveadm -- mailbox create -g G -u a -- X"
        );
        assert_eq!(
            ok(&["mailbox", "create", "-u", "a", "X"]),
            "mailbox create -u a -- X"
        );
        assert_eq!(ok(&["doveadm", "who", "-1"]), "doveadm -- who -1 --");
        // -S and --no-userdb-lookup: doveadm's path, which knows their $USER rules.
        assert_eq!(
            ok(&["expunge", "-S", "/s", "mailbox", "INBOX", "all"]),
            "doveadm -- expunge -S /s -- mailbox INBOX all"
        );
        assert_eq!(
            ok(&["fetch", "--no-userdb-lookup", "uid", "all"]),
            "doveadm -- fetch --no-userdb-lookup -- uid all"
        );
        assert_eq!(ok(&["mailbox", "bogus"]), "mailbox bogus");
        assert_eq!(ok(&["quata", "get"]), "quata get");
    }

    #[test]
    fn batch_file_and_doveadm_batch_are_told_apart() {
        assert_eq!(ok(&["batch", "-"]), "batch -- -");
        assert_eq!(ok(&["batch", "f.txt"]), "batch -- f.txt");
        assert_eq!(ok(&["batch"]), "batch");
        assert_eq!(
            ok(&["batch", "-u", "a", ":", "expunge", "-d", "all"]),
            "doveadm -- batch -u a -- : expunge -d all"
        );
        assert_eq!(ok(&["batch", ":", "purge"]), "doveadm -- batch -- : purge");
    }

    #[test]
    fn a_mail_command_without_users_is_refused_as_doveadm_would_fail() {
        let r = |args: &[&str], user: Option<&str>| {
            let args: Vec<String> = std::iter::once("rdoveadm")
                .chain(args.iter().copied())
                .map(String::from)
                .collect();
            route(&args, &crate::cli_command(), user)
        };
        assert_eq!(
            r(&["search", "all"], Some("vmail"))
                .unwrap_err()
                .exit_code(),
            75
        );
        assert_eq!(r(&["search", "all"], None).unwrap_err().exit_code(), 64);
        assert!(r(&["search", "-A", "all"], Some("vmail")).is_ok());
        assert!(r(&["search", "--help"], Some("vmail")).is_ok());
        // Not mail commands: `user -u` is userdb-only there, `who` has no user.
        assert!(r(&["user", "bob"], Some("vmail")).is_ok());
        assert!(r(&["who"], Some("vmail")).is_ok());
    }

    #[test]
    fn an_option_without_its_value_is_a_usage_error_before_the_separator() {
        // The `--` put before the positionals must not become the missing value.
        for line in [
            &["pw", "-p"][..],
            &["pw", "-s", "--", "-p"],
            &["altmove", "-u"],
            &["mailbox", "update", "INBOX", "-u", "a", "--min-next-uid"],
            &["fetch", "-u", "a", "uid", "all", "-S"],
            &["batch", "-u"],
        ] {
            let e = r(line).unwrap_err();
            assert_eq!(e.exit_code(), 64, "{line:?}");
            assert!(e.to_string().contains("needs a value"), "{e}");
        }
        // A value that starts with `-` is a value, as getopt reads it: `--` too.
        assert_eq!(
            ok(&["altmove", "-u", "--", "all"]),
            "doveadm -- altmove -u -- -- all"
        );
        assert_eq!(ok(&["pw", "-p", "-x"]), "doveadm -- pw -p -x --");
        // 2.3's `kick -f` is a flag: the server's version reads it.
        assert_eq!(
            ok(&["doveadm", "kick", "bob", "-f"]),
            "doveadm -- kick -f -- bob"
        );
    }

    #[test]
    fn local_doveadm_options_are_refused_and_v_accepted() {
        assert_eq!(ok(&["-v", "who"]), "who");
        assert_eq!(ok(&["-Dv", "who"]), "-D who");
        for opt in ["-c", "-i", "-o"] {
            let e = r(&[opt, "x", "who"]).unwrap_err();
            assert_eq!(e.exit_code(), 64);
            assert!(e.to_string().contains(opt), "{e}");
        }
    }
}
