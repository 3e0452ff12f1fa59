//! A mail command's users (`-u`, `-A`, `-F`): whether the options name them, and the
//! refusal when they do not, as native doveadm would fail. Separate because the
//! `doveadm` subcommand's parameters refuse the same way (`missing_users`).

use crate::doveadm::getopt::Item;
use crate::error::Error;

/// Whether the options choose the users of a mail command (`-u`, `-A`, `-F`, 2.4's
/// `--no-userdb-lookup`).
pub(super) fn names_users(items: &[Item]) -> bool {
    items.iter().any(|i| match i {
        Item::Short(c, _) => matches!(c, 'u' | 'A' | 'F'),
        Item::Long(n, _) => matches!(
            n.as_str(),
            "user" | "all-users" | "user-file" | "no-userdb-lookup"
        ),
        _ => false,
    })
}

/// The refusal of a mail command given no `-u`, `-A` or `-F`. doveadm then runs it
/// for `$USER` as a local system user, without a userdb lookup: nothing a server
/// reached over HTTP can do. The exit code is native doveadm's: 75 when `$USER` is
/// set (2.3 fails to take that user's privileges, 2.4 refuses with i_fatal), 64 when
/// it is not (2.3's EX_USAGE).
pub fn missing_users(command: &str, user_env_set: bool) -> Error {
    let why = format!(
        "`{command}` needs -u USER, -A or -F FILE: doveadm's fallback to $USER (a local user, without a userdb lookup) cannot apply over HTTP"
    );
    if user_env_set {
        Error::Unavailable(why)
    } else {
        Error::Usage(why)
    }
}
