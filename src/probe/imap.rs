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

pub async fn greeting<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut LineConn<S>,
) -> Result<Greeting, StepError> {
    let g = parse_greeting(&c.read_line().await?);
    if g.ok {
        Ok(g)
    } else {
        Err(StepError::Refused(g.line))
    }
}

/// Sends `TAG CAPABILITY` and collects the untagged answer (some servers send it in
/// several lines; all are merged).
pub async fn capability<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut LineConn<S>,
    tag: &str,
) -> Result<Vec<String>, StepError> {
    c.send(&format!("{tag} CAPABILITY")).await?;
    let mut caps = Vec::new();
    let tagged = command_reply(c, tag, |line| {
        if let Some(more) = parse_capability_line(line) {
            caps.extend(more);
        }
    })
    .await?;
    tagged_ok(&tagged)?;
    Ok(caps)
}

/// Sends `TAG STARTTLS`; on `OK` the caller starts the TLS handshake.
pub async fn starttls<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut LineConn<S>,
    tag: &str,
) -> Result<(), StepError> {
    c.send(&format!("{tag} STARTTLS")).await?;
    let tagged = command_reply(c, tag, |_| {}).await?;
    tagged_ok(&tagged)
}

/// Says goodbye politely; errors do not matter any more.
pub async fn logout<S: AsyncRead + AsyncWrite + Unpin>(c: &mut LineConn<S>, tag: &str) {
    if c.send(&format!("{tag} LOGOUT")).await.is_ok() {
        let _ = command_reply(c, tag, |_| {}).await;
    }
}

/// Reads lines until the tagged reply, handing untagged ones to `untagged`.
async fn command_reply<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut LineConn<S>,
    tag: &str,
    mut untagged: impl FnMut(&str),
) -> Result<String, StepError> {
    let prefix = format!("{tag} ");
    loop {
        let line = c.read_line().await?;
        if line.starts_with(&prefix) {
            return Ok(line);
        }
        untagged(&line);
    }
}

fn tagged_ok(line: &str) -> Result<(), StepError> {
    match line.split(' ').nth(1) {
        Some(s) if s.eq_ignore_ascii_case("OK") => Ok(()),
        _ => Err(StepError::Refused(line.to_string())),
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
