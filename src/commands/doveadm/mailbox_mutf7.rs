//! `mailbox mutf7`, the one doveadm command `run` converts here rather than sending it
//! over the HTTP API; a command of its own, apart from the argument reading.

use std::io::Write;

use serde_json::Value;

use super::params::{build, usage};
use crate::doveadm::{mutf7, Cmd};
use crate::error::{code, Error};

/// `mailbox mutf7 [-7|-8] NAME...`, converted here: one line per name, as doveadm
/// prints it (whatever the output format); exit 65 when a name is invalid.
pub(super) fn mutf7_here(cmd: &Cmd, args: &[String]) -> Result<(), Error> {
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
