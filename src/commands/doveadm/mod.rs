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
//!
//! The files: `refused.rs` (what the API cannot serve), `params.rs` (the arguments
//! read into the API's named parameters), `mailbox_mutf7.rs` (the one command run here).

mod mailbox_mutf7;
mod params;
mod refused;

use serde_json::Value;

use super::Ctx;
use crate::cli::DoveadmArgs;
use crate::doveadm::{self as table, Version};
use crate::error::Error;
use mailbox_mutf7::mutf7_here;
use params::{build, split, usage};
use refused::refused;

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
