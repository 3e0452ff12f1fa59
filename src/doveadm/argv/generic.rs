//! The argv of the `doveadm` subcommand for a command routed to doveadm's syntax
//! (`doveadm -- WORDS OPTIONS -- POSITIONALS`), and the usage error of an option
//! given without its value. Separate from the routing, which only decides that a
//! command line goes this way.

use clap::Command;

use super::arity::global_arity;
use super::GENERIC;
use crate::doveadm::getopt::{self, Arity, Item, Opt};
use crate::doveadm::{self, Cmd, Version};
use crate::error::Error;

/// The usage error of an option of `cmd` given last, without its value (`pw -p`),
/// as doveadm's getopt fails (exit 64). Found here, where the arguments are still as
/// typed: past this point a `--` separates them from the positionals, and the option
/// would take it for its value. `None` when some version's definition reads the
/// option as a flag (2.3's `kick -f`): the server's version decides, later.
fn missing_value(cmd: &Cmd, opt: Opt) -> Option<Error> {
    if cmd.arity(opt) != Some(Arity::Value) {
        return None;
    }
    let words: Vec<&str> = cmd.name().split(' ').collect();
    let flag_somewhere = [Version::V23, Version::V24]
        .into_iter()
        .filter_map(|v| doveadm::find(v, &words).filter(|(c, _)| c.name() == cmd.name()))
        .any(|(c, _)| c.arity(opt) == Some(Arity::Flag));
    let shown = match opt {
        Opt::Short(c) => format!("-{c}"),
        Opt::Long(l) => format!("--{l}"),
    };
    (!flag_somewhere).then(|| {
        Error::Usage(format!(
            "{}: option `{}` needs a value",
            cmd.name(),
            crate::text::escape_message(&shown)
        ))
    })
}

/// `out` followed by the argv of the `doveadm` subcommand for doveadm command `cmd`,
/// whose `n` words start `rest` after `skip` words: rdoveadm's global long options
/// first, then `doveadm -- WORDS OPTIONS -- POSITIONALS`.
pub(super) fn generic(
    mut out: Vec<String>,
    root: &Command,
    cmd: &Cmd,
    n: usize,
    rest: &[String],
    skip: usize,
) -> Result<Vec<String>, Error> {
    let args: Vec<String> = rest.get(skip + n..).unwrap_or_default().to_vec();
    let spec = |o: Opt| cmd.arity(o).or_else(|| global_arity(root, o));
    let mut globals = Vec::new();
    let mut own = Vec::new();
    let mut positionals = Vec::new();
    let items = if cmd.no_options() {
        args.iter().cloned().map(Item::Positional).collect()
    } else {
        getopt::parse(&args, &spec, cmd.ordered())
    };
    for item in items {
        let missing = match &item {
            Item::Short(c, None) => missing_value(cmd, Opt::Short(*c)),
            Item::Long(name, None) => missing_value(cmd, Opt::Long(name)),
            _ => None,
        };
        if let Some(e) = missing {
            return Err(e);
        }
        match item {
            Item::Long(name, value) if cmd.arity(Opt::Long(&name)).is_none() => {
                globals.push(match value {
                    Some(v) => format!("--{name}={v}"),
                    None => format!("--{name}"),
                });
            }
            Item::Short(c, value) => {
                own.push(format!("-{c}"));
                own.extend(value);
            }
            Item::Long(name, value) => {
                own.push(format!("--{name}"));
                own.extend(value);
            }
            Item::Unknown(a) => own.push(a),
            Item::Positional(p) => positionals.push(p),
        }
    }
    out.extend(globals);
    out.push(GENERIC.into());
    out.push("--".into());
    out.extend(rest.get(skip..skip + n).unwrap_or_default().iter().cloned());
    out.extend(own);
    out.push("--".into());
    out.extend(positionals);
    Ok(out)
}
