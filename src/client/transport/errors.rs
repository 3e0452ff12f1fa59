//! Error text shared by both transports: an error chain or its root cause on one line
//! (escaped, bounded, userinfo redacted), and a connection closed before any reply.
//! Separate so the HTTP and UNIX-socket transports word their failures alike.

use crate::error::Error;
use crate::text::{bounded, escape_message};

/// The request went out and the connection ended: [`Error::NoReply`] when it closed
/// before any reply began (a dying worker, or a TLS listener asked in plain HTTP);
/// anything else (a reply head hyper can't parse) stays a plain failure.
pub(super) fn closed(
    target: String,
    e: &(dyn std::error::Error + 'static),
    detail: String,
) -> Error {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(x) = cur {
        if x.downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.is_incomplete_message())
        {
            return Error::NoReply { target, detail };
        }
        cur = x.source();
    }
    Error::Unavailable(format!(
        "`{target}` closed the connection without a reply: {detail}"
    ))
}

/// `s` with any userinfo of a URL in it (`scheme://user:pass@host`) replaced by `***`,
/// for URLs a server sends (a redirect's Location) or a user gave.
pub fn redact_userinfo(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some((head, tail)) = rest.split_once("://") {
        out.push_str(head);
        out.push_str("://");
        let authority_end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(tail.len());
        let (authority, after) = tail.split_at_checked(authority_end).unwrap_or((tail, ""));
        match authority.rsplit_once('@') {
            Some((_, host)) => {
                out.push_str("***@");
                out.push_str(host);
            }
            None => out.push_str(authority),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// An error and its sources on one line, without repeats (escaped, bounded, no userinfo).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        src = s.source();
    }
    bounded(&escape_message(&redact_userinfo(&parts.join(": "))), 300).into_owned()
}

/// The innermost error's text: "Connection refused (os error 111)" rather than
/// reqwest's "error sending request for url (...): client error (Connect): ...".
/// Escaped, bounded, no userinfo.
pub fn root_cause(e: &dyn std::error::Error) -> String {
    let mut last = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        last = s.to_string();
        src = s.source();
    }
    bounded(&escape_message(&redact_userinfo(&last)), 300).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_redacted_wherever_a_url_appears() {
        assert_eq!(
            redact_userinfo("http://doveadm:PASS@127.0.0.1:8080/doveadm/v1"),
            "http://***@127.0.0.1:8080/doveadm/v1"
        );
        assert_eq!(
            redact_userinfo("see https://u@h/x?a=b@c and ftp://a:b@c"),
            "see https://***@h/x?a=b@c and ftp://***@c"
        );
        assert_eq!(redact_userinfo("http://h:1/p@q"), "http://h:1/p@q");
        assert_eq!(redact_userinfo("no url @ all"), "no url @ all");
        assert_eq!(redact_userinfo("http://a:b@c@d/"), "http://***@d/");
    }
}
