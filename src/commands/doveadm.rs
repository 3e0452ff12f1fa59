//! `doveadm`: any doveadm command in doveadm's own syntax, run through the HTTP API.
//! The arguments are read by the command's definition in the server version's table
//! (src/doveadm/table.rs), turned into the API's named parameters, and the rows are
//! written as the command's own (`emit_for`). `mailbox mutf7` runs here. `sync` and
//! `backup` are served (the server's doveadm runs dsync with the given destination).
//! What the API cannot serve is refused before sending, by one table (`REFUSED`):
//! `dsync-server` (dsync's pipe end), and the commands that print their result with
//! printf() on the server's own stdout (`log find`, `fts lookup`...). A plugin's
//! command the server has not loaded exits 75, as doveadm's "Unknown command, but
//! plugin exists".

use std::io::{Read, Write};

use serde_json::{Map, Value};

use super::Ctx;
use crate::cli::DoveadmArgs;
use crate::doveadm::getopt::{self, Arity, Item, Opt};
use crate::doveadm::{self as table, mutf7, Cmd, Kind, Version};
use crate::error::{code, Error};

/// Bound on what is read from a local file or stdin for the server (`-F`, `save`).
const MAX_INPUT_BYTES: u64 = 64 << 20;

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
fn refused(cmd: &Cmd, params: &Map<String, Value>) -> Option<Error> {
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

pub async fn run(ctx: &Ctx, a: &DoveadmArgs) -> Result<(), Error> {
    let (words, args) = split(&a.args);
    let words_ref: Vec<&str> = words.iter().map(String::as_str).collect();
    let typed = words_ref.join(" ");
    let Some((any, _)) = table::find_any(&words_ref) else {
        if let Some(plugin) = words_ref.first().and_then(|w| table::plugin_named(w)) {
            // `acl` alone, `acl bogus`: doveadm's 75 without the plugin, else its usage.
            let features = ctx.features().await?;
            let version = version_of(features);
            plugin_loaded(features, version, plugin, &typed)?;
            let names: Vec<&str> = version
                .commands()
                .filter(|c| c.plugin() == Some(plugin) && features.has_command(&c.api_name()))
                .map(|c| c.name())
                .collect();
            return Err(Error::Usage(format!(
                "`{}` is not a command of plugin {plugin}; its commands: {}",
                crate::text::escape_message(&typed),
                names.join(", ")
            )));
        }
        return Err(Error::Usage(format!(
            "`{}` is not a doveadm command (see `rdoveadm --help`)",
            crate::text::escape_message(&typed)
        )));
    };
    if any.name() == "pw" {
        return crate::pw::run(&args, &usage(&any), || build(&any, &args));
    }
    // `-h` is help unless the command has a `-h` of its own (2.4 `kick -h HOST`).
    let help_h = any.short('h').is_none();
    if args.iter().any(|a| a == "--help" || (help_h && a == "-h")) {
        println!("usage: rdoveadm {} {}", any.name(), usage(&any));
        return Ok(());
    }
    if any.name() == "mailbox mutf7" {
        return mutf7_here(&any, &args);
    }
    let features = ctx.features().await?;
    let version = version_of(features);
    if let Some(plugin) = any.plugin() {
        plugin_loaded(features, version, plugin, any.name())?;
    }
    let Some((cmd, _)) = table::find(version, &words_ref).filter(|(c, _)| c.name() == any.name())
    else {
        return Err(Error::Usage(format!(
            "`{}` is not a command of Dovecot {} (the server's version)",
            any.name(),
            version.label()
        )));
    };
    let api = cmd.api_name();
    if !features.has_command(&api) {
        return Err(Error::Usage(format!(
            "the server does not offer `{}` over its HTTP API (it needs a local doveadm on the server, or a plugin the server has not loaded)",
            cmd.name()
        )));
    }
    let mut params = build(&cmd, &args)?;
    if let Some(e) = refused(&cmd, &params) {
        return Err(e);
    }
    if cmd.name() == "proxy kick"
        && !["mask", "host", "destHost"]
            .iter()
            .any(|k| params.contains_key(*k))
    {
        // doveadm prints its usage (64); over HTTP the worker dies without a reply.
        return Err(Error::Usage(format!("usage: proxy kick {}", usage(&cmd))));
    }
    if api == "authCacheFlush" && !params.contains_key("user") {
        // Without users doveadm flushes all; over HTTP a missing `user` kills the
        // server's worker ("Missing user parameter", 2.3.19 and 2.4.1), an empty one works.
        params.insert("user".into(), Value::Array(Vec::new()));
    }
    if api == "user" && params.remove("userdbOnly").is_some() {
        // `user -u` (userdb only) kills the server's worker over HTTP (2.3.19, 2.4.1:
        // signal 11); the plain lookup returns the same userdb fields.
    }
    // -F: the users are read here and asked one by one, as rdoveadm's own mail
    // commands do (over HTTP 2.3 runs a `userFile` command for nobody).
    if let Some(Value::String(path)) = params.remove("userFile") {
        let list = super::users::read_user_file(std::path::Path::new(&path))?;
        // doveadm runs the users one after another, in the file's order. Where each
        // run reads mail other than its user's own (`move DEST user SOURCE`, `import
        // LOCATION`), the order decides what each gets: keep it.
        let shared = ["sourceUser", "sourceLocation"]
            .iter()
            .any(|k| params.contains_key(*k));
        let parallel = if shared {
            1
        } else {
            super::users::DEFAULT_PARALLEL
        };
        let users = super::users::Users::List(list, parallel);
        let rows = ctx.mail_rows(&api, &users, params).await?;
        return ctx.emit_for(&api, &["username"], &rows);
    }
    // Several users (-A, a mask): doveadm's sticky `username` column, also with no rows.
    let columns: &[&str] = if params.contains_key("allUsers")
        || params
            .get("user")
            .and_then(Value::as_str)
            .is_some_and(|u| u.contains(['*', '?']))
    {
        &["username"]
    } else {
        &[]
    };
    let reply = match ctx.client().await?.call(&api, &params).await {
        Ok(reply) => reply,
        Err(e) => {
            // A mail command's titles are printed in its init, before the users are
            // looked up: doveadm prints them also when the command then fails (no
            // such user or mailbox: `acl get` prints `ID Global Rights`).
            // 2.3 `kick -a PATH` with nothing to kick prints `no users kicked` (68).
            let failed = Err(e);
            let nothing_kicked =
                api == "kick" && matches!(failed, Err(Error::Server { code: 68, .. }));
            if (cmd.mail() || nothing_kicked) && ctx.prints_on_failure(&failed) {
                let _ = ctx.emit_for(&api, columns, &[]);
            }
            return failed;
        }
    };
    let mut rows = super::user::object_rows(reply)?;
    if let (true, Some(Value::String(fields))) = (api == "statsDump", params.get("fields")) {
        let columns = super::server::stats_columns([fields.as_str()]);
        return ctx.emit_for(&api, &columns, &rows);
    }
    if api == "user" {
        // As the `user` subcommand prints them.
        rows.iter_mut().for_each(super::user::add_mail_path);
        return ctx.emit_for(&api, &["username"], &rows);
    }
    ctx.emit_for(&api, columns, &rows)
}

/// The command table that applies to the server.
fn version_of(features: &crate::client::features::Features) -> Version {
    if features.generation() == "2.4" {
        Version::V24
    } else {
        Version::V23
    }
}

/// Exit 75 when the server has loaded none of `plugin`'s commands, as doveadm:
/// "Unknown command 'acl', but plugin acl exists. Try to set mail_plugins=acl".
fn plugin_loaded(
    features: &crate::client::features::Features,
    version: Version,
    plugin: &str,
    typed: &str,
) -> Result<(), Error> {
    let loaded = version
        .commands()
        .any(|c| c.plugin() == Some(plugin) && features.has_command(&c.api_name()));
    if loaded {
        return Ok(());
    }
    Err(table::plugin_not_loaded(typed, plugin))
}

/// The command words and the arguments, split at the router's first `--`.
fn split(all: &[String]) -> (Vec<String>, Vec<String>) {
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

/// How `cmd` takes each option.
fn arity(cmd: &Cmd, o: Opt) -> Option<Arity> {
    let p = match o {
        Opt::Short(c) => cmd.short(c),
        Opt::Long(l) => cmd.long(l),
    }?;
    Some(if p.kind == Kind::Bool {
        Arity::Flag
    } else {
        Arity::Value
    })
}

/// doveadm's usage line for `cmd`, from its parameters.
fn usage(cmd: &Cmd) -> String {
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
fn build(cmd: &Cmd, args: &[String]) -> Result<Map<String, Value>, Error> {
    let spec = |o: Opt| arity(cmd, o);
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

/// `mailbox mutf7 [-7|-8] NAME...`, converted here: one line per name, as doveadm
/// prints it (whatever the output format); exit 65 when a name is invalid.
fn mutf7_here(cmd: &Cmd, args: &[String]) -> Result<(), Error> {
    let params = build(cmd, args)?;
    let names: Vec<&str> = params
        .get("name")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if names.is_empty() {
        return Err(Error::Usage(format!("usage: mailbox mutf7 {}", usage(cmd))));
    }
    // doveadm: -8 (from UTF-8) wins, else -7 makes it to UTF-8, else from UTF-8.
    let from_utf8 = params.contains_key("fromUtf8") || !params.contains_key("toUtf8");
    let mut stdout = std::io::stdout().lock();
    let mut worst = code::OK;
    for name in names {
        let (line, bad) = match if from_utf8 {
            mutf7::to_mutf7(name)
        } else {
            mutf7::from_mutf7(name)
        } {
            Ok(l) => (l, false),
            Err(l) => (l, true),
        };
        if bad {
            worst = code::DATAERR;
            let what = if from_utf8 { "UTF-8" } else { "mUTF-7" };
            eprintln!(
                "rdoveadm: error: mailbox name not valid {what}: {}",
                crate::text::escape_message(name)
            );
        }
        stdout
            .write_all(&line)
            .and_then(|_| stdout.write_all(b"\n"))
            .map_err(Error::from_write)?;
    }
    stdout.flush().map_err(Error::from_write)?;
    if worst == code::OK {
        Ok(())
    } else {
        Err(Error::Silent(worst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    fn cmd(v: Version, name: &str) -> Cmd {
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

    #[test]
    fn split_takes_the_words_before_the_first_dash() {
        assert_eq!(
            split(&v(&["fs", "put", "-h", "x", "--", "a"])),
            (v(&["fs", "put"]), v(&["-h", "x", "--", "a"]))
        );
        assert_eq!(split(&v(&["log", "test"])), (v(&["log", "test"]), v(&[])));
    }
}
