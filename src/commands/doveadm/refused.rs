//! What the HTTP API advertises but cannot serve, as one table (`REFUSED`) and the
//! check that refuses a command line by it before anything is sent. Separate from
//! `run` because it is data from Dovecot's source, kept and tested on its own.

use serde_json::{Map, Value};

use crate::doveadm::{self as table, Cmd, Version};
use crate::error::Error;

/// Why a command line cannot be served over the HTTP API.
enum Why {
    /// The command prints this (its result) with printf() rather than doveadm_print():
    /// run by the API's worker, it goes to the server's own stdout, and the reply is
    /// empty (exit 0) where native doveadm prints it.
    Stdout(&'static str),
    /// Any other reason, as one sentence that says "HTTP API".
    Other(&'static str),
}
use Why::{Other, Stdout};

/// A command line the HTTP API advertises but cannot serve: `what` as the user
/// would type it to doveadm on the server.
struct Refusal {
    what: &'static str,
    name: &'static str,
    /// Only on this version's server (`None`: both).
    version: Option<Version>,
    /// Only with this parameter given (the option that makes it print with stdio).
    param: Option<&'static str>,
    why: Why,
}

impl Refusal {
    /// The one line of the refusal, with what to run instead.
    fn line(&self) -> String {
        let what = self.what;
        match self.why {
            Stdout(data) => format!(
                "`{what}` prints {data} on the server's own stdout, which the HTTP API does not return; run `doveadm {what}` on the server"
            ),
            Other(why) => format!("`{what}` {why}"),
        }
    }
}

/// Every refusal, from Dovecot's source for 2.3.19.1 and 2.4.1 (the `printf` in
/// src/doveadm and src/plugins). Printing with stdio that is only informational
/// (`index`'s progress under -v) does not refuse a command that changes state.
const REFUSED: &[Refusal] = &[
    Refusal {
        what: "dsync-server",
        name: "dsync-server",
        version: None,
        param: None,
        why: Other("is dsync's remote end, spoken over a pipe, not over the HTTP API; run it with doveadm on the server"),
    },
    Refusal {
        what: "auth cache flush",
        name: "auth cache flush",
        // 2.4.1's HTTP worker aborts on it (signal 6), with or without users.
        version: Some(Version::V24),
        param: None,
        why: Other("aborts Dovecot 2.4's HTTP API worker; run `doveadm auth cache flush` on the server"),
    },
    Refusal {
        what: "instance list -c",
        name: "instance list",
        version: None,
        param: Some("showConfig"),
        // doveadm-instance.c
        why: Stdout("the config paths"),
    },
    Refusal {
        what: "log find",
        name: "log find",
        version: None,
        param: None,
        // doveadm-log.c cmd_log_find: every line.
        why: Stdout("the log file paths"),
    },
    Refusal {
        what: "fts lookup",
        name: "fts lookup",
        version: None,
        param: None,
        // plugins/fts/doveadm-fts.c cmd_search_box: `MAILBOX: UIDS`.
        why: Stdout("the UIDs found"),
    },
    Refusal {
        what: "fts expand",
        name: "fts expand",
        version: None,
        param: None,
        // plugins/fts/doveadm-fts.c cmd_fts_expand_run: the expanded query.
        why: Stdout("the expanded query"),
    },
];

/// The refusal of `cmd` with `params`, as one line (exit 64), before anything is
/// sent. doveadm's `batch` (2.3) is refused for a refused command in it.
pub(super) fn refused(cmd: &Cmd, params: &Map<String, Value>) -> Option<Error> {
    let hit = |name: &str, params: &Map<String, Value>| {
        REFUSED.iter().find(|r| {
            r.name == name
                && r.version.map_or(true, |v| v == cmd.version())
                && r.param.map_or(true, |p| params.contains_key(p))
        })
    };
    if let Some(r) = hit(cmd.name(), params) {
        return Some(Error::Usage(r.line()));
    }
    if cmd.name() != "batch" {
        return None;
    }
    // `batch -u USER SEP CMD... SEP CMD...`: the first separator is its own parameter.
    let sep = params.get("separator").and_then(Value::as_str)?;
    let args: Vec<&str> = params
        .get("args")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    args.split(|w| *w == sep).find_map(|words| {
        let (sub, _) = table::find(cmd.version(), words)?;
        hit(sub.name(), &Map::new()).map(|r| Error::Usage(format!("`batch`: {}", r.line())))
    })
}

#[cfg(test)]
mod tests {
    use super::super::params::build;
    use super::super::params::tests::{cmd, v};
    use super::*;

    #[test]
    fn what_the_http_api_cannot_return_is_refused_by_one_table() {
        let line = |v, name: &str, args: &[&str]| {
            let c = cmd(v, name);
            refused(&c, &build(&c, &super::tests::v(args)).unwrap()).map(|e| e.to_string())
        };
        for v in [Version::V23, Version::V24] {
            for (name, args) in [
                ("log find", &[][..]),
                ("log find", &["/var/log"]),
                ("instance list", &["-c"]),
                ("fts lookup", &["-u", "a", "text", "x"]),
                ("fts expand", &["-u", "a", "text", "x"]),
                ("dsync-server", &["-u", "a"]),
            ] {
                let e = line(v, name, args).unwrap_or_else(|| panic!("{v:?} {name}"));
                assert!(e.contains("HTTP API"), "{e}");
            }
            let e = line(v, "log find", &[]).unwrap();
            assert!(e.contains("run `doveadm log find` on the server"), "{e}");
            // Without the option that prints with stdio, or printing with doveadm_print.
            assert!(line(v, "instance list", &[]).is_none());
            assert!(line(v, "fts tokenize", &["-u", "a", "x"]).is_none());
            assert!(line(v, "index", &["-u", "a", "INBOX"]).is_none());
        }
        // By version: 2.4.1's worker aborts on `auth cache flush`.
        assert!(line(Version::V23, "auth cache flush", &[]).is_none());
        assert!(line(Version::V24, "auth cache flush", &[]).is_some());
        // doveadm's batch (2.3), by the commands in it.
        let batch = |args: &[&str]| line(Version::V23, "batch", args);
        let e = batch(&[
            "-u", "a", ":", "mailbox", "list", ":", "fts", "lookup", "text", "x",
        ]);
        assert!(e.unwrap().starts_with("`batch`: `fts lookup` prints"));
        assert!(batch(&["-u", "a", ":", "mailbox", "list", ":", "expunge", "all"]).is_none());
    }
}
