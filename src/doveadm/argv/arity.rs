//! How an option is taken (a flag, a value, an optional value) by clap's definition
//! (rdoveadm's subcommands, and its global options after a doveadm command); doveadm's
//! own table answers through `Cmd::arity`. Separate because both the permutation for
//! rdoveadm's subcommands and the `doveadm` subcommand's argv ask these questions.

use clap::{ArgAction, Command};

use crate::doveadm::getopt::{Arity, Opt};

/// How clap's definition takes an option of `cmd` (built, so globals are included).
pub(super) fn clap_arity(cmd: &Command, opt: Opt) -> Option<Arity> {
    let arg = cmd.get_arguments().find(|a| match opt {
        Opt::Short(c) => {
            a.get_short() == Some(c)
                || a.get_short_and_visible_aliases()
                    .is_some_and(|s| s.contains(&c))
        }
        Opt::Long(l) => {
            a.get_long() == Some(l) || a.get_all_aliases().is_some_and(|v| v.contains(&l))
        }
    })?;
    Some(match arg.get_action() {
        ArgAction::Set | ArgAction::Append => {
            // `who -w [SECONDS]`: an optional value is taken only when attached or numeric.
            if arg.get_num_args().is_some_and(|n| n.min_values() == 0) {
                Arity::Optional
            } else {
                Arity::Value
            }
        }
        _ => Arity::Flag,
    })
}

/// rdoveadm's global long options (`--url`, `--format`...), usable after any command.
pub(super) fn global_arity(root: &Command, opt: Opt) -> Option<Arity> {
    match opt {
        Opt::Long(l) => root
            .get_arguments()
            .any(|a| a.is_global_set() && a.get_long() == Some(l))
            .then(|| clap_arity(root, opt))
            .flatten(),
        Opt::Short(_) => None,
    }
}
