//! A line-oriented connection (IMAP and POP3 are CRLF lines) over any stream, with
//! every step bounded by a timeout. No protocol knowledge here.

use std::future::Future;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Longest line we accept: a CAPABILITY line is a few hundred bytes; a server that
/// streams megabytes without a newline is broken or hostile.
pub const MAX_LINE: usize = 64 * 1024;

/// Why a step did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    /// Nothing (or not enough) arrived before the timeout.
    Timeout,
    /// The server closed the connection.
    Closed,
    /// A read or write failed, or a line was absurdly long.
    Io(String),
    /// The server answered, but not with success.
    Refused(String),
}

impl StepError {
    /// How a failed step reads in `problems`, e.g. "no greeting within 10s".
    pub fn describe(&self, what: &str, timeout: Duration) -> String {
        match self {
            StepError::Timeout => format!("no {what} within {}", secs(timeout)),
            StepError::Closed => format!("connection closed before {what}"),
            StepError::Io(e) => format!("{what}: {e}"),
            StepError::Refused(line) => format!("{what} refused: {line}"),
        }
    }
}

/// `10s`, `1.5s`.
pub fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{}s", s as u64)
    } else {
        format!("{s}s")
    }
}

/// Runs one protocol step under the timeout.
pub async fn step<T>(
    timeout: Duration,
    f: impl Future<Output = Result<T, StepError>>,
) -> Result<T, StepError> {
    tokio::time::timeout(timeout, f)
        .await
        .unwrap_or(Err(StepError::Timeout))
}

/// Takes the first complete line out of `buf`, without its LF or CRLF, invalid UTF-8
/// replaced (never an error). `Ok(None)`: no complete line yet, read more. A partial
/// line already longer than [`MAX_LINE`] is an error: the caller must not buffer more.
pub fn take_line(buf: &mut Vec<u8>) -> Result<Option<String>, StepError> {
    let Some(pos) = buf.iter().position(|&b| b == b'\n') else {
        if buf.len() > MAX_LINE {
            return Err(StepError::Io(format!("line longer than {MAX_LINE} bytes")));
        }
        return Ok(None);
    };
    let rest = buf.split_off(pos + 1);
    let mut line = std::mem::replace(buf, rest);
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

pub struct LineConn<S> {
    stream: S,
    buf: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> LineConn<S> {
    pub fn new(stream: S) -> Self {
        LineConn {
            stream,
            buf: Vec::new(),
        }
    }

    /// The next line without its CRLF (invalid UTF-8 replaced, never an error).
    pub async fn read_line(&mut self) -> Result<String, StepError> {
        loop {
            if let Some(line) = take_line(&mut self.buf)? {
                return Ok(line);
            }
            let mut chunk = [0u8; 4096];
            let n = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|e| StepError::Io(e.to_string()))?;
            if n == 0 {
                return Err(StepError::Closed);
            }
            self.buf
                .extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }

    /// Sends one command line (CRLF added).
    pub async fn send(&mut self, line: &str) -> Result<(), StepError> {
        let data = format!("{line}\r\n");
        self.stream
            .write_all(data.as_bytes())
            .await
            .map_err(|e| StepError::Io(e.to_string()))?;
        self.stream
            .flush()
            .await
            .map_err(|e| StepError::Io(e.to_string()))
    }

    /// The stream back (for the TLS handshake after STARTTLS), with whatever the
    /// server sent after the last line read: after a STARTTLS reply that must be
    /// nothing, or the server (or a man in the middle) is injecting plaintext.
    pub fn into_inner(self) -> (S, Vec<u8>) {
        (self.stream, self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_split_on_crlf_and_lf_and_keep_leftovers() {
        let (client, mut server) = tokio::io::duplex(1024);
        server.write_all(b"* OK hi\r\nsecond\nrest").await.unwrap();
        let mut c = LineConn::new(client);
        assert_eq!(c.read_line().await.unwrap(), "* OK hi");
        assert_eq!(c.read_line().await.unwrap(), "second");
        drop(server);
        assert_eq!(c.read_line().await, Err(StepError::Closed));
        assert_eq!(c.into_inner().1, b"rest");
    }

    #[test]
    fn take_line_waits_for_a_newline_and_bounds_the_wait() {
        let mut buf = b"a\xffb\r\r\nc".to_vec();
        assert_eq!(take_line(&mut buf), Ok(Some("a\u{fffd}b\r".to_string())));
        assert_eq!(take_line(&mut buf), Ok(None));
        assert_eq!(buf, b"c");
        let mut long = vec![b'x'; MAX_LINE + 1];
        assert!(matches!(take_line(&mut long), Err(StepError::Io(_))));
        long.push(b'\n');
        assert_eq!(take_line(&mut long).unwrap().unwrap().len(), MAX_LINE + 1);
    }

    #[tokio::test]
    async fn a_silent_peer_times_out() {
        let (client, _server) = tokio::io::duplex(1024);
        let mut c = LineConn::new(client);
        let r = step(Duration::from_millis(50), c.read_line()).await;
        assert_eq!(r, Err(StepError::Timeout));
        assert_eq!(
            StepError::Timeout.describe("greeting", Duration::from_secs(3)),
            "no greeting within 3s"
        );
    }
}
