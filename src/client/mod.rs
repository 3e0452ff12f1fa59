//! The doveadm HTTP API client: one command per request, typed errors, never prints
//! (except `-D` debug traces on stderr, with credentials redacted).

pub mod features;
pub mod schema;
pub mod transport;
pub mod wire;

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::settings::Connection;
use transport::{Method, RawReply, Transport};

/// A connection to one doveadm HTTP API endpoint. Cheap to clone (shares the pool).
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    authorization: Option<String>,
    auth_source: String,
    timeout: Option<Duration>,
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
            debug,
        })
    }

    /// Where this client sends requests (URL or `unix:PATH`).
    pub fn target(&self) -> String {
        self.transport.target()
    }

    /// Runs one doveadm command and returns its result: an array of row objects,
    /// or the object that `user` returns.
    pub async fn call(&self, command: &str, params: &Map<String, Value>) -> Result<Value, Error> {
        wire::parse_reply(command, &self.post(command, params).await?)
    }

    /// Runs one row command, handing each row over as it is parsed (a large reply never
    /// exists as one tree of values).
    pub async fn call_rows(
        &self,
        command: &str,
        params: &Map<String, Value>,
        on_row: &mut dyn FnMut(Map<String, Value>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        wire::stream_rows(command, &self.post(command, params).await?, on_row)
    }

    /// Sends one command and returns the body of a 200 reply.
    async fn post(&self, command: &str, params: &Map<String, Value>) -> Result<Vec<u8>, Error> {
        let reply = self
            .send(Method::Post, Some(wire::request_body(command, params)))
            .await?;
        self.check_status(&reply)?;
        Ok(reply.body)
    }

    /// Fetches the list of commands the server advertises.
    pub async fn schema(&self) -> Result<Schema, Error> {
        wire::parse_schema(&self.schema_body().await?)
    }

    /// The raw body of `GET /doveadm/v1` (for caching).
    pub async fn schema_body(&self) -> Result<Vec<u8>, Error> {
        let reply = self.send(Method::Get, None).await?;
        self.check_status(&reply)?;
        Ok(reply.body)
    }

    async fn send(&self, method: Method, body: Option<Vec<u8>>) -> Result<RawReply, Error> {
        if self.debug {
            self.trace_request(method, body.as_deref());
        }
        let fut = self
            .transport
            .send(method, body, self.authorization.as_deref());
        let reply = match self.timeout {
            Some(t) => tokio::time::timeout(t, fut).await.map_err(|_| {
                Error::Unavailable(format!(
                    "`{}` did not answer within {} s (--timeout)",
                    self.transport.target(),
                    t.as_secs_f64()
                ))
            })??,
            None => fut.await?,
        };
        if self.debug {
            trace_reply(&reply);
        }
        Ok(reply)
    }

    fn check_status(&self, reply: &RawReply) -> Result<(), Error> {
        match reply.status {
            200 => Ok(()),
            401 | 403 => {
                let schemes: Vec<&str> = reply
                    .headers
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
                    .map(|(_, v)| v.split_whitespace().next().unwrap_or(""))
                    .collect();
                let accepts = if schemes.is_empty() {
                    String::new()
                } else {
                    format!("; the server accepts: {}", schemes.join(", "))
                };
                Err(Error::Auth {
                    status: reply.status,
                    hint: format!(" with {}{accepts}", self.auth_source),
                })
            }
            status => {
                let text = String::from_utf8_lossy(&reply.body);
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
                    _ => format!(
                        ": {}",
                        text.chars()
                            .take(200)
                            .collect::<String>()
                            .replace('\n', " ")
                    ),
                };
                Err(Error::Http { status, detail })
            }
        }
    }

    fn trace_request(&self, method: Method, body: Option<&[u8]>) {
        let m = if method == Method::Get { "GET" } else { "POST" };
        eprintln!("rdoveadm: debug: > {m} {}", self.transport.target());
        if let Some(a) = &self.authorization {
            let scheme = a.split_whitespace().next().unwrap_or("");
            eprintln!(
                "rdoveadm: debug: > Authorization: {scheme} <redacted> ({})",
                self.auth_source
            );
        }
        if let Some(b) = body {
            eprintln!("rdoveadm: debug: > {}", String::from_utf8_lossy(b));
        }
    }
}

fn trace_reply(reply: &RawReply) {
    eprintln!("rdoveadm: debug: < HTTP {}", reply.status);
    for (k, v) in &reply.headers {
        eprintln!("rdoveadm: debug: < {k}: {v}");
    }
    const MAX: usize = 64 * 1024;
    let shown = &reply.body[..reply.body.len().min(MAX)];
    eprintln!("rdoveadm: debug: < {}", String::from_utf8_lossy(shown));
    if reply.body.len() > MAX {
        eprintln!("rdoveadm: debug: < ... ({} bytes in all)", reply.body.len());
    }
}
