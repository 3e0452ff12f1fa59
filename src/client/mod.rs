//! The doveadm HTTP API client: one command per request, typed errors, never prints
//! (except `-D` debug traces on stderr, with credentials redacted and server text
//! escaped). Replies are read chunk by chunk and parsed as they arrive, bounded by
//! `--max-reply-size` and `--timeout`; a redirect is an error, never followed.

pub mod features;
pub mod schema;
pub mod transport;
pub mod wire;

use std::cell::Cell;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::error::Error;
use crate::settings::Connection;
use crate::text::{bounded, escape_message};
use transport::{Method, RawReply, Transport};

/// How much of a body `-D` shows.
const TRACE_BODY: usize = 4096;
/// How much of the body of an error status is read.
const ERROR_BODY: usize = 8192;
/// How many characters of that body an error message quotes.
const QUOTED: usize = 200;

/// A connection to one doveadm HTTP API endpoint. Cheap to clone (shares the pool).
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    authorization: Option<String>,
    auth_source: String,
    timeout: Option<Duration>,
    max_reply: u64,
    debug: bool,
}

pub use wire::Schema;

impl Client {
    pub fn new(conn: &Connection, debug: bool) -> Result<Self, Error> {
        Ok(Client {
            transport: Transport::new(&conn.endpoint, &conn.tls, conn.timeout)?,
            authorization: conn.auth.header_value(conn.timeout)?,
            auth_source: conn.auth.describe(),
            timeout: conn.timeout,
            max_reply: conn.max_reply,
            debug,
        })
    }

    /// Where this client sends requests (URL without userinfo, or `unix:PATH`).
    pub fn target(&self) -> String {
        self.transport.target()
    }

    /// Runs one doveadm command and returns its result: an array of row objects,
    /// or the object that `user` returns. The result is kept whole, so besides the
    /// reply, `--max-reply-size` also bounds the memory the parsed rows take.
    pub async fn call(&self, command: &str, params: &Map<String, Value>) -> Result<Value, Error> {
        let mut rows = Vec::new();
        let mut held: u64 = 0;
        let waited = Cell::new(Duration::ZERO);
        let mut keep = |r: Map<String, Value>| {
            held = held.saturating_add(wire::weight(&r));
            if held > self.max_reply {
                return Err(Error::TooLarge(format!(
                    "the result of `{command}` takes more than {} in memory (--max-reply-size)",
                    wire::size(self.max_reply)
                )));
            }
            rows.push(r);
            Ok(())
        };
        let shape = self
            .post(command, params, self.row_limit(), &mut keep, &waited)
            .await?;
        Ok(shape.collect(rows))
    }

    /// Runs one row command, handing each row over as soon as it is read off the
    /// connection: memory holds one row at a time, never the reply. One row may take
    /// at most a sixteenth of `--max-reply-size` (64M by default). Time spent in
    /// `on_row` (a slow reader of our output) does not count against `--timeout`.
    pub async fn call_rows(
        &self,
        command: &str,
        params: &Map<String, Value>,
        on_row: &mut dyn FnMut(Map<String, Value>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let waited = Cell::new(Duration::ZERO);
        let mut timed = |row| {
            let t = std::time::Instant::now();
            let r = on_row(row);
            waited.set(waited.get().saturating_add(t.elapsed()));
            r
        };
        self.post(command, params, self.row_limit(), &mut timed, &waited)
            .await
            .map(|_| ())
    }

    /// The largest row (or `user` object) read: a sixteenth of the reply limit, but at least
    /// 1M (or the whole limit, if that is smaller).
    fn row_limit(&self) -> usize {
        let limit = (self.max_reply / 16).max(self.max_reply.min(1 << 20));
        usize::try_from(limit).unwrap_or(usize::MAX)
    }

    /// Sends one command and feeds the body of a 200 reply to the parser as it arrives.
    async fn post(
        &self,
        command: &str,
        params: &Map<String, Value>,
        max_value: usize,
        on_row: &mut dyn FnMut(Map<String, Value>) -> Result<(), Error>,
        waited: &Cell<Duration>,
    ) -> Result<wire::Shape, Error> {
        let mut parser = wire::ReplyParser::new(command, max_value);
        let body = wire::request_body(command, params);
        let sent = self
            .exchange(command, Method::Post, Some(body), waited, &mut |chunk| {
                parser.feed(chunk, on_row)
            })
            .await;
        match sent {
            Err(e @ Error::NoReply { .. }) => Err(self.no_reply(Some(command), e).await),
            other => other.and_then(|()| parser.finish()),
        }
    }

    /// What a connection closed without a reply to `command` means: a TLS listener
    /// asked in plain HTTP (a bad `--url`), `stop` taking the server down, or else
    /// Dovecot's doveadm worker dying on the command (retrying won't help).
    async fn no_reply(&self, command: Option<&str>, e: Error) -> Error {
        if self.transport.speaks_tls().await {
            let target = self.transport.target();
            let tls = target.replacen("http://", "https://", 1);
            return Error::Config(format!(
                "`{target}` closed the connection without a reply: it is a TLS listener; use `{tls}`"
            ));
        }
        match command {
            None | Some("stop") => e,
            Some(c) => Error::WorkerDied(c.to_string()),
        }
    }

    /// Fetches the list of commands the server advertises.
    pub async fn schema(&self) -> Result<Schema, Error> {
        wire::parse_schema(&self.schema_body().await?)
    }

    /// The raw body of `GET /doveadm/v1` (for caching), at most `--max-reply-size`.
    pub async fn schema_body(&self) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        let waited = Cell::new(Duration::ZERO);
        let got = self
            .exchange("GET /doveadm/v1", Method::Get, None, &waited, &mut |c| {
                body.extend_from_slice(c);
                Ok(())
            })
            .await;
        match got {
            // Not a TLS listener: the plain "closed without a reply" (75) stands.
            Err(e @ Error::NoReply { .. }) => Err(self.no_reply(None, e).await),
            other => other.map(|()| body),
        }
    }

    /// One request: sends it, checks the status, and hands the body of a 200 reply to
    /// `on_chunk` chunk by chunk. `--timeout` bounds it all, from connecting to the last
    /// byte, except the time `waited` says was spent writing our output.
    async fn exchange(
        &self,
        what: &str,
        method: Method,
        body: Option<Vec<u8>>,
        waited: &Cell<Duration>,
        on_chunk: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if self.debug {
            self.trace_request(method, body.as_deref());
        }
        let start = Instant::now();
        // A deadline past what an Instant can hold is no deadline (no overflow panic).
        let deadline = || {
            self.timeout
                .and_then(|t| start.checked_add(t)?.checked_add(waited.get()))
        };
        let send = self
            .transport
            .send(method, body, self.authorization.as_deref());
        let mut reply = match deadline() {
            Some(d) => tokio::time::timeout_at(d, send)
                .await
                .map_err(|_| self.timed_out("did not answer"))??,
            None => send.await?,
        };
        if self.debug {
            trace_head(&reply);
        }
        if reply.status != 200 {
            let mut text = Vec::new();
            let _ = self
                .read_body(&mut reply, &deadline, &mut |c| {
                    let room = ERROR_BODY.saturating_sub(text.len());
                    text.extend_from_slice(c.get(..room).unwrap_or(c));
                    if text.len() >= ERROR_BODY {
                        // Enough to say what went wrong: stop reading.
                        return Err(Error::Silent(0));
                    }
                    Ok(())
                })
                .await;
            if self.debug {
                trace_body('<', &text, text.len() as u64);
            }
            return Err(self.status_error(&reply, &text));
        }
        let declared = header(&reply, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.max_reply) {
            return Err(self.too_large(what));
        }
        let mut shown = Vec::new();
        let mut total: u64 = 0;
        let result = self
            .read_body(&mut reply, &deadline, &mut |c| {
                total = total.saturating_add(c.len() as u64);
                if total > self.max_reply {
                    return Err(self.too_large(what));
                }
                if self.debug {
                    let room = TRACE_BODY.saturating_sub(shown.len());
                    shown.extend_from_slice(c.get(..room).unwrap_or(c));
                }
                on_chunk(c)
            })
            .await;
        if self.debug {
            trace_body('<', &shown, total);
        }
        result
    }

    /// Reads the body to its end (or until `on_chunk` fails), each read bounded by the
    /// deadline.
    async fn read_body(
        &self,
        reply: &mut RawReply,
        deadline: &dyn Fn() -> Option<Instant>,
        on_chunk: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        loop {
            let next = reply.body.chunk();
            let chunk = match deadline() {
                Some(d) => tokio::time::timeout_at(d, next)
                    .await
                    .map_err(|_| self.timed_out("did not finish its reply"))??,
                None => next.await?,
            };
            match chunk {
                None => return Ok(()),
                Some(c) => on_chunk(&c)?,
            }
        }
    }

    fn timed_out(&self, what: &str) -> Error {
        Error::Unavailable(format!(
            "`{}` {what} within {} s (--timeout)",
            self.transport.target(),
            self.timeout.unwrap_or_default().as_secs_f64()
        ))
    }

    fn too_large(&self, what: &str) -> Error {
        Error::TooLarge(format!(
            "the reply to `{what}` is larger than {} (--max-reply-size)",
            wire::size(self.max_reply)
        ))
    }

    /// The error for a reply that is not 200. Every server text in it is escaped and cut.
    fn status_error(&self, reply: &RawReply, body: &[u8]) -> Error {
        let status = reply.status;
        match status {
            300..=399 => {
                let to = match header(reply, "location") {
                    Some(loc) => format!(
                        "to `{}`",
                        bounded(&escape_message(&transport::redact_userinfo(loc)), 300)
                    ),
                    None => "without a Location".to_string(),
                };
                Error::Config(format!(
                    "`{}` redirects {to} (HTTP {status}); rdoveadm never follows a redirect: set --url to the address that answers",
                    self.transport.target()
                ))
            }
            401 | 403 => {
                let schemes: Vec<String> = reply
                    .headers
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
                    .map(|(_, v)| {
                        let scheme = v.split_whitespace().next().unwrap_or("");
                        bounded(&escape_message(scheme), 40).into_owned()
                    })
                    .take(8)
                    .collect();
                let accepts = if schemes.is_empty() {
                    String::new()
                } else {
                    format!("; the server accepts: {}", schemes.join(", "))
                };
                Error::Auth {
                    status,
                    hint: format!(" with {}{accepts}", self.auth_source),
                }
            }
            _ => {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                let detail = match status {
                    404 => format!(
                        ": nothing at `{}` (the API path is {})",
                        self.transport.target(),
                        transport::API_PATH
                    ),
                    500 => {
                        ": is doveadm_password or doveadm_api_key set on the server?".to_string()
                    }
                    _ if text.is_empty() => String::new(),
                    _ => format!(": {}", bounded(&escape_message(text), QUOTED)),
                };
                Error::Http { status, detail }
            }
        }
    }

    fn trace_request(&self, method: Method, body: Option<&[u8]>) {
        let m = if method == Method::Get { "GET" } else { "POST" };
        debug_line(&format!("> {m} {}", self.transport.target()));
        if let Some(a) = &self.authorization {
            let scheme = a.split_whitespace().next().unwrap_or("");
            debug_line(&format!(
                "> Authorization: {scheme} <redacted> ({})",
                self.auth_source
            ));
        }
        if let Some(b) = body {
            trace_body('>', b.get(..TRACE_BODY).unwrap_or(b), b.len() as u64);
        }
    }
}

/// The first value of header `name`.
fn header<'a>(reply: &'a RawReply, name: &str) -> Option<&'a str> {
    reply
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// One `-D` line on stderr: escaped, so a server's bytes can't drive the terminal,
/// and bounded.
fn debug_line(s: &str) {
    eprintln!(
        "rdoveadm: debug: {}",
        bounded(&escape_message(s), TRACE_BODY)
    );
}

fn trace_head(reply: &RawReply) {
    debug_line(&format!("< HTTP {}", reply.status));
    for (k, v) in &reply.headers {
        let v = transport::redact_userinfo(v);
        debug_line(&format!("< {}: {}", bounded(k, 100), bounded(&v, 300)));
    }
}

/// The start of a body (`shown`) on one line and, when that was not all of it, its
/// size. `dir` is `>` for what we send, `<` for what we receive.
fn trace_body(dir: char, shown: &[u8], total: u64) {
    debug_line(&format!("{dir} {}", String::from_utf8_lossy(shown)));
    if total > shown.len() as u64 {
        debug_line(&format!("{dir} ... ({total} bytes in all)"));
    }
}
