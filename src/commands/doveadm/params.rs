//! The arguments of a doveadm command line read into the HTTP API's named
//! parameters, by the command's definition in the table: the split of the command
//! words, getopt's arity, doveadm's usage line, the default users and the local input
//! (`-F`, `save`). Separate from `run` as the pure part, the one the unit tests cover.

use std::io::Read;

use serde_json::{Map, Value};

use crate::doveadm::getopt::{self, Item, Opt};
use crate::doveadm::{self as table, Cmd, Kind, Version};
use crate::error::Error;

/// Bound on what is read from a local file or stdin for the server (`-F`, `save`).
const MAX_INPUT_BYTES: u64 = 64 << 20;

/// The command words and the arguments, split at the router's first `--`.
pub(super) fn split(all: &[String]) -> (Vec<String>, Vec<String>) {
    let mut it = all.iter();
    let words: Vec<String> = it
        .by_ref()
        .take_while(|w| !w.starts_with('-'))
        .cloned()
        .collect();
    // take_while ate the first argument that starts with `-` (an option or `--`): put it back.
    let first = all.get(words.len()).cloned();
    let args: Vec<String> = first.into_iter().chain(it.cloned()).collect();
    (words, args)
}

/// doveadm's usage line for `cmd`, from its parameters.
pub(super) fn usage(cmd: &Cmd) -> String {
    let mut parts = Vec::new();
    if cmd.mail() {
        parts.push("[-u USER|-A|-F FILE]".to_string());
    }
    for p in cmd.params().filter(|p| !p.hidden) {
        if cmd.mail()
            && [
                "all-users",
                "user",
                "user-file",
                "socket-path",
                "trans-flags",
                "no-userdb-lookup",
            ]
            .contains(&p.name)
        {
            continue;
        }
        let value = p.name.to_ascii_uppercase().replace('-', "_");
        parts.push(match (p.positional, p.short, p.kind) {
            (true, _, Kind::Array) => format!("{value}..."),
            (true, _, _) if p.key_value => format!("[{} {value}]", p.key),
            (true, _, _) => value,
            (false, Some(c), Kind::Bool) => format!("[-{c}]"),
            (false, Some(c), _) => format!("[-{c} {value}]"),
            (false, None, Kind::Bool) => format!("[--{}]", p.name),
            (false, None, _) => format!("[--{} {value}]", p.name),
        });
    }
    parts.join(" ")
}

/// Reads `cmd`'s arguments into the API's named parameters.
pub(super) fn build(cmd: &Cmd, args: &[String]) -> Result<Map<String, Value>, Error> {
    let spec = |o: Opt| cmd.arity(o);
    let mut out = Map::new();
    let mut positionals = Vec::new();
    let items = if cmd.no_options() {
        args.iter()
            .filter(|a| *a != "--")
            .cloned()
            .map(Item::Positional)
            .collect()
    } else {
        getopt::parse(args, &spec, cmd.ordered())
    };
    for item in items {
        let (param, value) = match item {
            Item::Short(c, v) => (cmd.short(c), v),
            Item::Long(n, v) => (cmd.long(&n), v),
            Item::Unknown(a) => {
                return Err(Error::Usage(format!(
                    "{}: unknown option `{}`; usage: {} {}",
                    cmd.name(),
                    crate::text::escape_message(&a),
                    cmd.name(),
                    usage(cmd)
                )))
            }
            Item::Positional(p) => {
                positionals.push(p);
                continue;
            }
        };
        let Some(param) = param else { continue };
        let value = match (param.kind, value) {
            (Kind::Bool, _) => None,
            (_, Some(v)) => Some(v),
            (_, None) => {
                return Err(Error::Usage(format!(
                    "{}: option `--{}` needs a value",
                    cmd.name(),
                    param.name
                )))
            }
        };
        set(cmd, &mut out, param, value)?;
    }
    // Positionals fill the positional parameters in order; an array takes the rest;
    // a key-value one (2.4 `move ... user NAME`) is taken when its key word comes.
    let mut slots = cmd.params().filter(|p| p.positional).peekable();
    let mut words = positionals.into_iter().peekable();
    while let Some(word) = words.next() {
        // A key-value slot (2.4 `move DEST [user NAME] QUERY`) is filled only when its
        // key word comes at its place; else it is skipped.
        if let Some(kv) = slots.peek().copied().filter(|p| p.key_value) {
            slots.next();
            if word == kv.key {
                if let Some(v) = words.next() {
                    set(cmd, &mut out, kv, Some(v))?;
                    continue;
                }
            }
        }
        let Some(slot) = slots.peek().copied() else {
            return Err(Error::Usage(format!(
                "{}: too many arguments at `{}`; usage: {} {}",
                cmd.name(),
                crate::text::escape_message(&word),
                cmd.name(),
                usage(cmd)
            )));
        };
        set(cmd, &mut out, slot, Some(word))?;
        if slot.kind != Kind::Array {
            slots.next();
        }
    }
    // An input stream that was not given is read from stdin (doveadm `save`).
    for p in cmd
        .params()
        .filter(|p| p.positional && p.kind == Kind::IStream)
    {
        let key = table::camel_case(p.name);
        if !out.contains_key(&key) {
            out.insert(key, Value::String(read_input("-")?));
        }
    }
    // What the command's init refuses without, before -F's file is read (doveadm
    // `mailbox update -F INBOX`: 64, the mailbox is missing).
    let (required, waiver) = cmd.required();
    if !waiver.is_some_and(|w| out.contains_key(w)) {
        if let Some(missing) = required.iter().find(|k| !out.contains_key(**k)) {
            return Err(Error::Usage(format!(
                "{}: `{missing}` is missing; usage: {} {}",
                cmd.name(),
                cmd.name(),
                usage(cmd)
            )));
        }
    }
    if cmd.mail() {
        users_fallback(cmd, &mut out, crate::default_user())?;
    }
    // `-S`: the server would run the command itself anyway (doveadm-api.md §1.5).
    out.remove("socketPath")
        .filter(|_| !cmd.mail())
        .map(|v| out.insert("socketPath".into(), v));
    Ok(out)
}

/// The users of a mail command given none of `-u`, `-A`, `-F`. Native doveadm then
/// takes `$USER` (doveadm.c sets `cctx->username = getenv("USER")`), and where that
/// user is served by a doveadm server, so is this one:
/// - 2.4 `--no-userdb-lookup`: the command runs for `$USER`. Over HTTP the server
///   ignores the flag (doveadm-mail.c tests `doveadm_server` first) and needs a user:
///   `$USER` is sent as the user.
/// - 2.3 `-S SOCKET`: the local doveadm hands the command for `$USER` to that doveadm
///   server, which looks the user up: `$USER` is sent as the user.
///
/// And one rule of 2.3 kept: `-S` with `-F FILE` always fails (75), because 2.3
/// forwards `-F` to the doveadm server with an empty file name, which it cannot open
/// (doveadm-mail.c, "value doesn't really matter").
fn users_fallback(
    cmd: &Cmd,
    out: &mut Map<String, Value>,
    default_user: Option<String>,
) -> Result<(), Error> {
    let v24 = cmd.version() == Version::V24;
    let socket = out.contains_key("socketPath");
    if !v24 && socket && out.contains_key("userFile") {
        return Err(Error::Unavailable(format!(
            "`{}`: Dovecot 2.3's doveadm cannot run -F FILE through -S SOCKET (it forwards -F to the doveadm server without the file); give -u USER or -A instead",
            cmd.name()
        )));
    }
    if ["user", "allUsers", "userFile"]
        .iter()
        .any(|k| out.contains_key(*k))
    {
        return Ok(());
    }
    let no_lookup = out.remove("noUserdbLookup").is_some();
    if v24 && no_lookup && matches!(cmd.name(), "copy" | "move") && out.contains_key("sourceUser") {
        // doveadm-mail-copymove.c: a source user needs the userdb lookup of -u.
        return Err(Error::Unavailable(format!(
            "`{}`: use -u USER to specify the destination user (as doveadm: `user SOURCE` needs a userdb lookup)",
            cmd.name()
        )));
    }
    match default_user {
        Some(user) if (v24 && no_lookup) || (!v24 && socket) => {
            out.insert("user".into(), Value::String(user));
            Ok(())
        }
        // As native doveadm fails: 2.4 exits 75 (no user option), or 64 for
        // --no-userdb-lookup without $USER; 2.3 exits 75 trying $USER, 64 without.
        user => Err(crate::doveadm::argv::missing_users(
            cmd.name(),
            (v24 && !no_lookup) || user.is_some(),
        )),
    }
}

/// Sets one parameter by its type.
fn set(
    cmd: &Cmd,
    out: &mut Map<String, Value>,
    p: &table::Param,
    value: Option<String>,
) -> Result<(), Error> {
    // The HTTP API matches parameters by name (2.4's key is only the CLI word).
    let key = table::camel_case(p.name);
    let v = match (p.kind, value) {
        (Kind::Bool, _) => Value::Bool(true),
        (_, None) => return Ok(()),
        (Kind::Int, Some(v)) => {
            let Some(n) = table::str_to_int64(&v) else {
                // 2.3's doveadm_fill_param() leaves an int it cannot parse unset, for
                // every command (`pw -r abc` runs with the default cost); 2.4 refuses it
                // (64). `pw` follows RDOVEADM_DOVECOT_VERSION, the rest the server's.
                let v24 = if cmd.name() == "pw" {
                    crate::pw::v24()?
                } else {
                    cmd.version() == Version::V24
                };
                if !v24 {
                    return Ok(());
                }
                return Err(Error::Usage(format!(
                    "{}: `{}` of `--{}` is not a whole number",
                    cmd.name(),
                    crate::text::escape_message(&v),
                    p.name
                )));
            };
            Value::from(n)
        }
        (Kind::Array, Some(v)) => {
            if let Some(Value::Array(items)) = out.get_mut(&key) {
                items.push(Value::String(v));
                return Ok(());
            }
            Value::Array(vec![Value::String(v)])
        }
        // -F's file is read by the caller, as a list of users.
        (Kind::IStream, Some(v)) if p.name == "user-file" => Value::String(v),
        // The data itself goes over HTTP: a local file (`save FILE`) or stdin.
        (Kind::IStream, Some(v)) => Value::String(read_input(&v)?),
        (Kind::Str | Kind::Ip, Some(v)) => Value::String(v),
    };
    out.insert(key, v);
    Ok(())
}

/// The content of a local file, or of stdin for `-`; bounded, and UTF-8 (the API
/// carries JSON strings).
fn read_input(path: &str) -> Result<String, Error> {
    let mut buf = Vec::new();
    let shown = crate::text::escape_message(path);
    let read = if path == "-" {
        std::io::stdin()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut buf))
    };
    read.map_err(|e| Error::NoInput(format!("cannot read `{shown}`: {e}")))?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(Error::Usage(format!(
            "`{shown}` is larger than {} MiB",
            MAX_INPUT_BYTES >> 20
        )));
    }
    String::from_utf8(buf).map_err(|_| {
        Error::Usage(format!(
            "`{shown}` is not UTF-8 text: the HTTP API carries it in a JSON string, which would change its bytes"
        ))
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    pub(in crate::commands::doveadm) fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    pub(in crate::commands::doveadm) fn cmd(v: Version, name: &str) -> Cmd {
        let words: Vec<&str> = name.split(' ').collect();
        table::find(v, &words).unwrap().0
    }

    #[test]
    fn arguments_become_named_parameters() {
        let c = cmd(Version::V23, "mailbox update");
        let p = build(
            &c,
            &v(&["INBOX", "--min-next-uid", "100", "-u", "bob", "-g", "x"]),
        )
        .unwrap();
        assert_eq!(
            Value::Object(p),
            json!({"minNextUid":"100","user":"bob","mailboxGuid":"x","mailbox":"INBOX"})
        );
        let c = cmd(Version::V24, "index");
        let p = build(&c, &v(&["-A", "-n", "5", "INBOX", "Sent"])).unwrap();
        assert_eq!(
            Value::Object(p),
            json!({"allUsers":true,"maxRecent":5,"mailboxMask":["INBOX","Sent"]})
        );
        let c = cmd(Version::V23, "batch");
        let p = build(&c, &v(&["-u", "bob", ":", "mailbox", "list", "-s"])).unwrap();
        assert_eq!(
            Value::Object(p),
            json!({"user":"bob","separator":":","args":["mailbox","list","-s"]})
        );
        let c = cmd(Version::V24, "move");
        let p = build(
            &c,
            &v(&["-u", "a", "Dest", "user", "b", "mailbox", "INBOX"]),
        )
        .unwrap();
        assert_eq!(
            Value::Object(p),
            json!({"user":"a","destinationMailbox":"Dest","sourceUser":"b","query":["mailbox","INBOX"]})
        );
        let p = build(&c, &v(&["-u", "a", "Dest", "mailbox", "user"])).unwrap();
        assert_eq!(p["query"], json!(["mailbox", "user"]));
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        let c = cmd(Version::V23, "altmove");
        // 64 or 75 by $USER, as doveadm (argv::tests checks which).
        assert!(build(&c, &v(&["all"]))
            .unwrap_err()
            .to_string()
            .contains("needs -u USER, -A or -F FILE"));
        assert_eq!(
            build(&c, &v(&["-Z", "-u", "a", "all"]))
                .unwrap_err()
                .exit_code(),
            64
        );
        let c = cmd(Version::V24, "index");
        assert!(build(&c, &v(&["-u", "a", "-n", "x", "INBOX"]))
            .unwrap_err()
            .to_string()
            .contains("not a whole number"));
        let c = cmd(Version::V23, "penalty");
        assert!(build(&c, &v(&["a", "b"]))
            .unwrap_err()
            .to_string()
            .contains("too many"));
    }

    #[test]
    fn split_takes_the_words_before_the_first_dash() {
        assert_eq!(
            split(&v(&["fs", "put", "-h", "x", "--", "a"])),
            (v(&["fs", "put"]), v(&["-h", "x", "--", "a"]))
        );
        assert_eq!(split(&v(&["log", "test"])), (v(&["log", "test"]), v(&[])));
    }
}
