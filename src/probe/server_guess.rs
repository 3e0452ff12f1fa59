//! Which server product answered, guessed from its greeting and capabilities.
//! Separate because it is pure text matching over a finished [`Report`], run after
//! the conversation, with no I/O.

use super::{imap, pop3, Report};

/// The server product, from the greeting and capabilities. Greetings can be changed
/// (Dovecot's `login_greeting`), so this is a guess.
pub fn guess_server(r: &Report) -> String {
    if r.greeting.is_empty() {
        return String::new();
    }
    let all_caps = [&r.caps_before_tls, &r.caps_after_tls]
        .into_iter()
        .flatten()
        .flatten();
    let mut haystack = r.greeting.to_ascii_lowercase();
    for c in all_caps {
        haystack.push(' ');
        haystack.push_str(&c.to_ascii_lowercase());
    }
    server_from_text(&haystack)
        .map(str::to_string)
        .unwrap_or_else(|| {
            let text = if r.greeting.starts_with('*') {
                imap::greeting_text(&r.greeting)
            } else {
                pop3::greeting_text(&r.greeting)
            };
            let short: String = text.chars().take(60).collect();
            format!("unknown: {short}")
        })
}

/// Known products by a word their greeting or capabilities show by default.
/// Courier's POP3 greeting is only "+OK Hello there."; its CAPA says
/// `IMPLEMENTATION Courier Mail Server`.
fn server_from_text(lower: &str) -> Option<&'static str> {
    const KNOWN: &[(&str, &str)] = &[
        ("dovecot", "Dovecot"),
        ("courier", "Courier"),
        ("cyrus", "Cyrus"),
        ("microsoft exchange", "Exchange"),
        ("zimbra", "Zimbra"),
        ("gimap", "Gmail"),
        ("uw imap", "UW IMAP"),
    ];
    KNOWN
        .iter()
        .find(|(k, _)| lower.contains(k))
        .map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{Service, Target};

    fn report(greeting: &str, caps: &[&str]) -> Report {
        let mut r = Report::new(&Target {
            host: "h".into(),
            port: 1,
            service: Service::Pop3,
        });
        r.greeting = greeting.into();
        r.caps_before_tls = Some(caps.iter().map(|s| s.to_string()).collect());
        r
    }

    #[test]
    fn server_guesses() {
        assert_eq!(
            guess_server(&report(
                "* OK [CAPABILITY IMAP4rev1] Dovecot (Debian) ready.",
                &[]
            )),
            "Dovecot"
        );
        assert_eq!(guess_server(&report("+OK Dovecot ready.", &[])), "Dovecot");
        assert_eq!(
            guess_server(&report("* OK [CAPABILITY IMAP4rev1] Courier-IMAP ready. Copyright 1998-2019 Double Precision, Inc.", &[])),
            "Courier"
        );
        assert_eq!(
            guess_server(&report(
                "+OK Hello there.",
                &["STLS", "IMPLEMENTATION Courier Mail Server"]
            )),
            "Courier"
        );
        assert_eq!(
            guess_server(&report("+OK Hello there.", &["STLS"])),
            "unknown: Hello there."
        );
        assert_eq!(
            guess_server(&report("* OK [CAPABILITY IMAP4rev1] Mail ready", &[])),
            "unknown: Mail ready"
        );
        assert_eq!(guess_server(&report("", &[])), "");
    }
}
