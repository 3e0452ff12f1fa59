//! Checks, before anything is sent, for the arguments Dovecot's doveadm worker dies on
//! instead of answering (it calls `i_fatal_status(EX_USAGE, ...)`: over HTTP the
//! connection just closes). Each refusal is doveadm's own message and exit 64, as the
//! native `doveadm` prints it. Conservative: a check only refuses what doveadm surely
//! refuses; anything it can't judge goes to the server. Each command calls one
//! function here with one line.

use serde_json::{Map, Value};

use crate::error::Error;

/// The words of doveadm's search query syntax that name a mailbox (one argument each).
const MAILBOX_KEYS: &[&str] = &["mailbox", "mailbox-guid"];

/// `expunge` and `move` (doveadm's `expunge_search_args_check`, 2.3.19 and 2.4.1): each
/// branch of the query must have a mailbox, and something else besides it. Other
/// commands pass. Queries with `OR` or parentheses go to the server unjudged.
pub fn query(command: &str, query: &[String]) -> Result<(), Error> {
    if !matches!(command, "expunge" | "move") {
        return Ok(());
    }
    // Each argument is one token of doveadm's query parser (a mailbox name may hold
    // spaces); one that holds a space or parenthesis is left to the server.
    let words: Vec<&str> = query.iter().map(String::as_str).collect();
    let is = |w: &str, keys: &[&str]| keys.iter().any(|k| w.eq_ignore_ascii_case(k));
    // Words that are not a mailbox name (the word after `mailbox`).
    let mut syntax = words
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            i.checked_sub(1)
                .and_then(|p| words.get(p))
                .map_or(true, |prev| !is(prev, MAILBOX_KEYS))
        })
        .map(|(_, w)| *w);
    if syntax.any(|w| {
        is(w, &["or"]) || w.starts_with('(') || w.ends_with(')') || w.contains(char::is_whitespace)
    }) {
        return Ok(());
    }
    if !words.iter().any(|w| is(w, MAILBOX_KEYS)) {
        return Err(Error::Usage(format!(
            "{command}: To avoid accidents, search query must contain MAILBOX in all search branches"
        )));
    }
    // Only `mailbox X` pairs: nothing else to select messages by.
    let mut rest = words.as_slice();
    while let [key, _name, tail @ ..] = rest {
        if !is(key, MAILBOX_KEYS) {
            return Ok(());
        }
        rest = tail;
    }
    if rest.is_empty() {
        return Err(Error::Usage(format!(
            "{command}: To avoid accidents, each branch in search query must contain something else besides MAILBOX (e.g. just add \"all\" if you want everything)"
        )));
    }
    Ok(())
}

/// `api COMMAND ...`: a mail command (one the server advertises with `user` and
/// `allUsers`) without a user makes the worker die (doveadm-mail.c: "USER environment
/// is missing and -u option not used"); `expunge` and `move` get [`query`]'s check.
pub fn api(
    command: &str,
    advertised: &[(String, String)],
    body: &Map<String, Value>,
) -> Result<(), Error> {
    let takes = |p: &str| advertised.iter().any(|(n, _)| n == p);
    let given = |p: &str| match body.get(p) {
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Bool(b)) => *b,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Null) | None => false,
        Some(_) => true,
    };
    if takes("user")
        && takes("allUsers")
        && !["user", "allUsers", "userFile"].iter().any(|p| given(p))
    {
        return Err(Error::Usage(format!(
            "{command}: USER environment is missing and -u option not used (doveadm); give user=NAME, allUsers=true or userFile=FILE"
        )));
    }
    if let Some(Value::Array(q)) = body.get("query") {
        let words: Vec<String> = q
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        query(command, &words)?;
    }
    Ok(())
}

/// Mailbox names Dovecot refuses whatever its separator: one starting with `~`
/// (lib-storage mailbox-list.c, unless mail_full_filesystem_access is set).
pub fn mailbox_names(command: &str, names: &[String]) -> Result<(), Error> {
    match names.iter().find(|n| n.starts_with('~')) {
        Some(n) => Err(Error::Usage(format!(
            "{command}: Can't create mailbox {}: Invalid mailbox name: Begins with '~'",
            crate::text::escape_message(n)
        ))),
        None => Ok(()),
    }
}

/// Dovecot answers a name with `/` under a separator that is not `/` (Maildir++ and
/// its `.`) with a bare exit 64; doveadm's log says why. Say it here.
pub fn refused_names(e: Error, names: &[String]) -> Error {
    let slashed = names.iter().find(|n| n.contains('/'));
    match (&e, slashed) {
        (Error::Server { command, code: 64 }, Some(n)) => Error::Usage(format!(
            "{command}: Dovecot refused mailbox name `{}` (exit 64); doveadm: \"Invalid mailbox name: Name must not have '/' characters\": this server's hierarchy separator is not `/`; write the levels with its separator (Maildir++: `{}`)",
            crate::text::escape_message(n),
            crate::text::escape_message(&n.replace('/', "."))
        )),
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn only_a_mailbox_is_refused_for_expunge_and_move() {
        let e = query("expunge", &q("mailbox INBOX")).unwrap_err();
        assert!(e.to_string().contains("besides MAILBOX"), "{e}");
        assert_eq!(e.exit_code(), 64);
        assert!(query("move", &q("MAILBOX a mailbox-guid b")).is_err());
        assert!(query("expunge", &q("all"))
            .unwrap_err()
            .to_string()
            .contains("must contain MAILBOX"));
        for ok in [
            "mailbox INBOX all",
            "mailbox INBOX seen",
            "mailbox a or seen deleted",
            "(mailbox a)",
        ] {
            assert!(query("expunge", &q(ok)).is_ok(), "{ok}");
        }
        assert!(query("search", &q("mailbox INBOX")).is_ok());
        // A mailbox name is one argument, spaces and all.
        let spaced = vec!["mailbox".to_string(), "Q1 (draft)".to_string()];
        assert!(query("expunge", &spaced).is_err());
        let one_word = vec!["mailbox INBOX".to_string()];
        assert!(query("expunge", &one_word).is_ok(), "left to the server");
        assert!(query("copy", &q("mailbox INBOX")).is_ok());
    }

    #[test]
    fn api_mail_commands_need_a_user() {
        let adv = vec![
            ("allUsers".to_string(), "boolean".to_string()),
            ("user".to_string(), "string".to_string()),
            ("mailbox".to_string(), "string".to_string()),
        ];
        let mut body = Map::new();
        body.insert("mailbox".into(), Value::String("INBOX".into()));
        let e = api("mailboxMetadataGet", &adv, &body).unwrap_err();
        assert!(e.to_string().contains("-u option not used"), "{e}");
        body.insert("user".into(), Value::String("a".into()));
        assert!(api("mailboxMetadataGet", &adv, &body).is_ok());
        // `who` has no user: nothing to check.
        assert!(api("who", &[], &Map::new()).is_ok());
    }
}
