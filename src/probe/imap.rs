//! IMAP, as much as a probe needs (RFC 9051/3501): greeting, CAPABILITY, STARTTLS,
//! LOGOUT. Never LOGIN or AUTHENTICATE: a probe sends no credentials.

use tokio::io::{AsyncRead, AsyncWrite};

use super::line::{LineConn, StepError};

/// The server's first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// `* OK` or `* PREAUTH` (a `* BYE` greeting means "go away").
    pub ok: bool,
    /// The whole line, for product guessing and debug output.
    pub line: String,
    /// Capabilities in a `[CAPABILITY ...]` response code, if the greeting has one.
    pub caps: Option<Vec<String>>,
}

pub fn parse_greeting(line: &str) -> Greeting {
    let mut words = line.splitn(3, ' ');
    let star = words.next().unwrap_or("");
    let status = words.next().unwrap_or("").to_ascii_uppercase();
    let rest = words.next().unwrap_or("");
    let ok = star == "*" && (status == "OK" || status == "PREAUTH");
    let caps = rest
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .and_then(|(code, _)| {
            let mut w = code.split_ascii_whitespace();
            w.next().filter(|c| c.eq_ignore_ascii_case("CAPABILITY"))?;
            Some(w.map(str::to_string).collect())
        });
    Greeting {
        ok,
        line: line.to_string(),
        caps,
    }
}

/// The text after the status and response code: `Dovecot ready.` in
/// `* OK [CAPABILITY ...] Dovecot ready.`
pub fn greeting_text(line: &str) -> &str {
    let rest = line.splitn(3, ' ').nth(2).unwrap_or("");
    match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((_, text)) => text.trim(),
        None => rest.trim(),
    }
}

/// The words of an untagged `* CAPABILITY ...` line.
pub fn parse_capability_line(line: &str) -> Option<Vec<String>> {
    let rest = line.strip_prefix("* ")?;
    let (word, caps) = rest.split_once(' ').unwrap_or((rest, ""));
    word.eq_ignore_ascii_case("CAPABILITY")
        .then(|| caps.split_ascii_whitespace().map(str::to_string).collect())
}

pub fn has(caps: &[String], cap: &str) -> bool {
    caps.iter().any(|c| c.eq_ignore_ascii_case(cap))
}

/// Whether a password can be sent before TLS: `LOGIN` works unless the server
/// says `LOGINDISABLED` (RFC 3501 6.2.3), and `AUTH=PLAIN`/`AUTH=LOGIN` send the
/// password base64-encoded, i.e. in clear. Dovecot hides both with
/// `disable_plaintext_auth = yes` (2.3) / `auth_allow_cleartext = no` (2.4) or `ssl = required`.
pub fn plaintext_login_offered(caps: &[String]) -> bool {
    !has(caps, "LOGINDISABLED") || has(caps, "AUTH=PLAIN") || has(caps, "AUTH=LOGIN")
}

/// Most capabilities one reply may list (Dovecot sends about 30): a server that
/// streams CAPABILITY lines until the timeout must not grow our memory.
pub const MAX_CAPS: usize = 1024;

/// One line of the reply to a command sent with `tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyLine<'a> {
    /// Untagged data (`* ...`) or a continuation: the reply goes on.
    Untagged(&'a str),
    /// The tagged status line that ends the reply: `Ok` for `TAG OK ...`, else the
    /// line as a refusal (`NO`, `BAD` or anything else).
    Tagged(Result<(), StepError>),
}

/// Which part of a command's reply `line` is.
pub fn classify<'a>(line: &'a str, tag: &str) -> ReplyLine<'a> {
    let Some(rest) = line.strip_prefix(tag).and_then(|r| r.strip_prefix(' ')) else {
        return ReplyLine::Untagged(line);
    };
    let status = rest.split(' ').next().unwrap_or("");
    ReplyLine::Tagged(if status.eq_ignore_ascii_case("OK") {
        Ok(())
    } else {
        Err(StepError::Refused(line.to_string()))
    })
}

/// The reply to `TAG CAPABILITY`, fed one line at a time: untagged CAPABILITY
/// lines are merged (some servers send several), the tagged line ends it.
#[derive(Debug, Clone)]
pub struct CapabilityReply {
    tag: String,
    caps: Vec<String>,
}

impl CapabilityReply {
    pub fn new(tag: &str) -> Self {
        CapabilityReply {
            tag: tag.to_string(),
            caps: Vec::new(),
        }
    }

    /// `None` while the reply goes on; the capabilities (or why not) at its end.
    pub fn feed(&mut self, line: &str) -> Option<Result<Vec<String>, StepError>> {
        match classify(line, &self.tag) {
            ReplyLine::Tagged(status) => Some(status.map(|()| std::mem::take(&mut self.caps))),
            ReplyLine::Untagged(line) => {
                let more = parse_capability_line(line)?;
                if self.caps.len() + more.len() > MAX_CAPS {
                    return Some(Err(StepError::Io(format!(
                        "more than {MAX_CAPS} capabilities"
                    ))));
                }
                self.caps.extend(more);
                None
            }
        }
    }
}

/// The reply to a command whose untagged data does not matter (STARTTLS, LOGOUT):
/// `None` until the tagged line.
pub fn tagged_status(line: &str, tag: &str) -> Option<Result<(), StepError>> {
    match classify(line, tag) {
        ReplyLine::Tagged(status) => Some(status),
        ReplyLine::Untagged(_) => None,
    }
}

/// A greeting line as a step's outcome: `* BYE` (or anything not OK/PREAUTH) is a refusal.
pub fn check_greeting(line: &str) -> Result<Greeting, StepError> {
    let g = parse_greeting(line);
    if g.ok {
        Ok(g)
    } else {
        Err(StepError::Refused(g.line))
    }
}

pub async fn greeting<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut LineConn<S>,
) -> Result<Greeting, StepError> {
    check_greeting(&c.read_line().await?)
}

/// Sends `TAG CAPABILITY` and collects the answer.
pub async fn capability<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut LineConn<S>,
    tag: &str,
) -> Result<Vec<String>, StepError> {
    c.send(&format!("{tag} CAPABILITY")).await?;
    let mut reply = CapabilityReply::new(tag);
    loop {
        if let Some(done) = reply.feed(&c.read_line().await?) {
            return done;
        }
    }
}

/// Sends `TAG STARTTLS`; on `OK` the caller starts the TLS handshake.
pub async fn starttls<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut LineConn<S>,
    tag: &str,
) -> Result<(), StepError> {
    c.send(&format!("{tag} STARTTLS")).await?;
    tagged_reply(c, tag).await
}

/// Says goodbye politely; errors do not matter any more.
pub async fn logout<S: AsyncRead + AsyncWrite + Unpin>(c: &mut LineConn<S>, tag: &str) {
    if c.send(&format!("{tag} LOGOUT")).await.is_ok() {
        let _ = tagged_reply(c, tag).await;
    }
}

/// Reads lines until the tagged one, skipping untagged data.
async fn tagged_reply<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut LineConn<S>,
    tag: &str,
) -> Result<(), StepError> {
    loop {
        if let Some(status) = tagged_status(&c.read_line().await?, tag) {
            return status;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn greeting_with_capability_code() {
        let g = parse_greeting(
            "* OK [CAPABILITY IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED] Dovecot (Debian) ready.",
        );
        assert!(g.ok);
        assert_eq!(
            g.caps,
            Some(caps("IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED"))
        );
        assert_eq!(greeting_text(&g.line), "Dovecot (Debian) ready.");
        let g = parse_greeting("* OK IMAP4rev1 Service Ready");
        assert!(g.ok && g.caps.is_none());
        assert_eq!(greeting_text(&g.line), "IMAP4rev1 Service Ready");
        assert!(!parse_greeting("* BYE too many connections").ok);
        assert!(!parse_greeting("+OK Dovecot ready.").ok);
    }

    #[test]
    fn capability_lines() {
        assert_eq!(
            parse_capability_line("* CAPABILITY IMAP4rev1 STARTTLS"),
            Some(caps("IMAP4rev1 STARTTLS"))
        );
        assert_eq!(
            parse_capability_line("* capability IMAP4rev1"),
            Some(caps("IMAP4rev1"))
        );
        assert_eq!(parse_capability_line("* OK still here"), None);
    }

    #[test]
    fn plaintext_decision() {
        // Dovecot with ssl = required / disable_plaintext_auth = yes, before STARTTLS.
        assert!(!plaintext_login_offered(&caps(
            "IMAP4rev1 STARTTLS LOGINDISABLED"
        )));
        // Dovecot with plaintext allowed.
        assert!(plaintext_login_offered(&caps(
            "IMAP4rev1 STARTTLS AUTH=PLAIN"
        )));
        // Courier's default: no AUTH= before TLS, but LOGIN is not disabled.
        assert!(plaintext_login_offered(&caps("IMAP4rev1 STARTTLS")));
        // A broken mix still counts: AUTH=PLAIN sends the password in clear.
        assert!(plaintext_login_offered(&caps(
            "IMAP4rev1 LOGINDISABLED auth=plain"
        )));
        assert!(!plaintext_login_offered(&caps(
            "IMAP4rev1 LOGINDISABLED AUTH=SCRAM-SHA-256"
        )));
    }

    #[test]
    fn tagged_lines_end_a_reply() {
        assert_eq!(classify("t1 OK done", "t1"), ReplyLine::Tagged(Ok(())));
        assert_eq!(classify("t1 ok", "t1"), ReplyLine::Tagged(Ok(())));
        assert_eq!(
            classify("t1 BAD what", "t1"),
            ReplyLine::Tagged(Err(StepError::Refused("t1 BAD what".into())))
        );
        assert_eq!(classify("t10 OK", "t1"), ReplyLine::Untagged("t10 OK"));
        assert_eq!(classify("* OK t1", "t1"), ReplyLine::Untagged("* OK t1"));
        assert_eq!(tagged_status("t1", "t1"), None);
        assert!(check_greeting("* BYE busy").is_err());
    }

    #[test]
    fn an_endless_capability_list_is_cut() {
        let mut r = CapabilityReply::new("t");
        let line = format!("* CAPABILITY {}", "X ".repeat(MAX_CAPS / 2));
        assert_eq!(r.feed(&line), None);
        assert_eq!(r.feed(&line), None);
        assert!(matches!(
            r.feed("* CAPABILITY Y"),
            Some(Err(StepError::Io(_)))
        ));
    }

    #[tokio::test]
    async fn capability_and_starttls_exchange() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (client, mut server) = tokio::io::duplex(4096);
        server
            .write_all(b"* CAPABILITY IMAP4rev1\r\n* CAPABILITY STARTTLS\r\nt1 OK done\r\nt2 NO not now\r\n")
            .await
            .unwrap();
        let mut c = LineConn::new(client);
        assert_eq!(
            capability(&mut c, "t1").await.unwrap(),
            caps("IMAP4rev1 STARTTLS")
        );
        assert_eq!(
            starttls(&mut c, "t2").await,
            Err(StepError::Refused("t2 NO not now".into()))
        );
        let mut sent = vec![0; 64];
        let n = server.read(&mut sent).await.unwrap();
        assert_eq!(&sent[..n], b"t1 CAPABILITY\r\nt2 STARTTLS\r\n");
    }
}
