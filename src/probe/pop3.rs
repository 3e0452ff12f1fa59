//! POP3, as much as a probe needs (RFC 1939, CAPA and STLS from RFC 2449/2595):
//! greeting, CAPA, STLS, QUIT. Never USER, PASS or AUTH: a probe sends no credentials.

use tokio::io::{AsyncRead, AsyncWrite};

use super::line::{LineConn, StepError};

/// A greeting or command reply line as a step's outcome: `+OK ...` or the line as a
/// refusal (`-ERR ...` or anything else).
pub fn check_ok(line: String) -> Result<String, StepError> {
    if is_ok(&line) {
        Ok(line)
    } else {
        Err(StepError::Refused(line))
    }
}

/// `+OK Dovecot ready.` -> `Dovecot ready.`
pub fn greeting_text(line: &str) -> &str {
    line.strip_prefix("+OK").unwrap_or(line).trim()
}

pub fn is_ok(line: &str) -> bool {
    line == "+OK" || line.starts_with("+OK ")
}

/// Most lines one CAPA reply may hold (Dovecot sends about 10): a server that
/// streams lines until the timeout must not grow our memory.
pub const MAX_CAPA_LINES: usize = 1024;

/// The reply to `CAPA`, fed one line at a time.
#[derive(Debug, Clone, Default)]
pub struct CapaReply {
    /// `None` until the status line was seen.
    lines: Option<Vec<String>>,
}

impl CapaReply {
    /// `None` while the reply goes on. At its end: `Some(lines)` of the capability
    /// list, or `None` when the server does not know CAPA (`-ERR`; an RFC 1939-only
    /// server).
    pub fn feed(&mut self, line: &str) -> Option<Result<Option<Vec<String>>, StepError>> {
        let Some(lines) = &mut self.lines else {
            if !is_ok(line) {
                return Some(Ok(None));
            }
            self.lines = Some(Vec::new());
            return None;
        };
        if line == "." {
            return Some(Ok(Some(std::mem::take(lines))));
        }
        if lines.len() >= MAX_CAPA_LINES {
            return Some(Err(StepError::Io(format!(
                "more than {MAX_CAPA_LINES} CAPA lines"
            ))));
        }
        // Byte-stuffing (RFC 1939 3): a leading dot is doubled.
        lines.push(line.strip_prefix('.').unwrap_or(line).to_string());
        None
    }
}

/// `+OK Dovecot ready.`; a `-ERR` greeting is a refusal.
pub async fn greeting<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut LineConn<S>,
) -> Result<String, StepError> {
    check_ok(c.read_line().await?)
}

/// Sends `CAPA` and collects the answer (see [`CapaReply::feed`]).
pub async fn capa<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut LineConn<S>,
) -> Result<Option<Vec<String>>, StepError> {
    c.send("CAPA").await?;
    let mut reply = CapaReply::default();
    loop {
        if let Some(done) = reply.feed(&c.read_line().await?) {
            return done;
        }
    }
}

/// Sends `STLS`; on `+OK` the caller starts the TLS handshake.
pub async fn stls<S: AsyncRead + AsyncWrite + Unpin>(c: &mut LineConn<S>) -> Result<(), StepError> {
    c.send("STLS").await?;
    check_ok(c.read_line().await?).map(|_| ())
}

pub async fn quit<S: AsyncRead + AsyncWrite + Unpin>(c: &mut LineConn<S>) {
    if c.send("QUIT").await.is_ok() {
        let _ = c.read_line().await;
    }
}

/// The first word of each capability line, upper-cased (`SASL PLAIN LOGIN` -> `SASL`).
fn tag(line: &str) -> String {
    line.split_ascii_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

pub fn has(caps: &[String], cap: &str) -> bool {
    caps.iter().any(|l| tag(l) == cap)
}

/// The `IMPLEMENTATION` line's text (Courier: `Courier Mail Server`).
pub fn implementation(caps: &[String]) -> Option<&str> {
    caps.iter().find_map(|l| {
        let l = l.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let (word, text) = l
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((l, ""));
        word.eq_ignore_ascii_case("IMPLEMENTATION")
            .then(|| text.trim())
    })
}

/// Whether a password can be sent before TLS: `USER` (then PASS in clear) or SASL
/// PLAIN/LOGIN. Dovecot leaves both out of CAPA before STLS when plaintext auth is
/// disabled. Courier 5 lists `USER` even with `POP3_TLS_REQUIRED=1` (and then
/// refuses it), so there this reports a login that is in fact refused: CAPA is all
/// a probe that never sends USER can go by.
pub fn plaintext_login_offered(caps: &[String]) -> bool {
    caps.iter().any(|l| {
        let mut w = l.split_ascii_whitespace().map(str::to_ascii_uppercase);
        match w.next().as_deref() {
            Some("USER") => true,
            Some("SASL") => w.any(|m| m == "PLAIN" || m == "LOGIN"),
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &[&str]) -> Vec<String> {
        s.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn plaintext_decision() {
        // Dovecot, plaintext allowed, before STLS.
        assert!(plaintext_login_offered(&lines(&[
            "CAPA",
            "TOP",
            "UIDL",
            "RESP-CODES",
            "PIPELINING",
            "AUTH-RESP-CODE",
            "STLS",
            "USER",
            "SASL PLAIN"
        ])));
        // Dovecot, disable_plaintext_auth = yes, before STLS.
        assert!(!plaintext_login_offered(&lines(&[
            "CAPA", "TOP", "UIDL", "STLS", "SASL"
        ])));
        assert!(plaintext_login_offered(&lines(&["SASL CRAM-MD5 login"])));
        assert!(!plaintext_login_offered(&lines(&[
            "SASL SCRAM-SHA-256",
            "UTF8 USER"
        ])));
    }

    #[test]
    fn capability_lookup() {
        let caps = lines(&[
            "STLS",
            "TOP",
            "USER",
            "UTF8 USER",
            "IMPLEMENTATION Courier Mail Server",
        ]);
        assert!(has(&caps, "STLS"));
        assert!(!has(&caps, "SASL"));
        assert_eq!(implementation(&caps), Some("Courier Mail Server"));
        // Not cut at a fixed offset: leading blanks and a bare word.
        assert_eq!(
            implementation(&lines(&[" implementation\tX 1"])),
            Some("X 1")
        );
        assert_eq!(implementation(&lines(&["IMPLEMENTATION"])), Some(""));
        assert_eq!(
            greeting_text("+OK Dovecot (Debian) ready."),
            "Dovecot (Debian) ready."
        );
    }

    #[tokio::test]
    async fn capa_list_and_unsupported() {
        use tokio::io::AsyncWriteExt;
        let (client, mut server) = tokio::io::duplex(4096);
        server
            .write_all(b"+OK list follows\r\nSTLS\r\n..odd\r\n.\r\n-ERR unknown command\r\n")
            .await
            .unwrap();
        let mut c = LineConn::new(client);
        assert_eq!(capa(&mut c).await.unwrap(), Some(lines(&["STLS", ".odd"])));
        assert_eq!(capa(&mut c).await.unwrap(), None);
    }

    #[test]
    fn an_endless_capa_list_is_cut() {
        let mut r = CapaReply::default();
        assert_eq!(r.feed("+OK"), None);
        for _ in 0..MAX_CAPA_LINES {
            assert_eq!(r.feed("X"), None);
        }
        assert!(matches!(r.feed("X"), Some(Err(StepError::Io(_)))));
        assert!(check_ok("-ERR no".into()).is_err());
        assert!(check_ok("+OKAY".into()).is_err());
    }
}
