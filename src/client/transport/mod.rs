//! Transports: HTTP(S) over TCP via reqwest + rustls, and HTTP over a UNIX socket
//! via hyper + hyperlocal. Both return the raw status and headers, and a body read
//! chunk by chunk; the envelope, the size limit and the timeout are the caller's
//! business. Redirects are never followed.
//!
//! This file holds the shared types and [`Transport`] itself; `tcp` and `unix` send a
//! request each their own way, `tls` builds the TCP transport's TLS configuration, and
//! `errors` words the failures both share.

mod errors;
mod tcp;
mod tls;
mod unix;

use std::path::PathBuf;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client as HyperClient;
use hyperlocal::{UnixClientExt, UnixConnector};

use crate::error::Error;
use crate::settings::{Endpoint, Tls};
pub use errors::{chain, redact_userinfo, root_cause};
use tcp::send_http;
use tls::tls_config;
use unix::send_unix;

/// The API path; Dovecot matches it exactly (a trailing slash is a 404).
pub const API_PATH: &str = "/doveadm/v1";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// A reply as it comes off the wire: the head, and a body still to read.
pub struct RawReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

/// A reply body, read one chunk at a time so that nothing forces it whole into memory.
pub enum Body {
    Http(reqwest::Response),
    Unix(hyper::body::Incoming),
}

impl Body {
    /// The next chunk, or `None` at the end of the body.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        let truncated = |e: &dyn std::error::Error| {
            Error::Protocol(format!("the reply is truncated: {}", chain(e)))
        };
        match self {
            Body::Http(r) => r.chunk().await.map_err(|e| truncated(&e)),
            Body::Unix(b) => loop {
                match b.frame().await {
                    None => return Ok(None),
                    Some(Err(e)) => return Err(truncated(&e)),
                    Some(Ok(f)) => {
                        if let Ok(d) = f.into_data() {
                            return Ok(Some(d));
                        }
                    }
                }
            },
        }
    }
}

#[derive(Clone)]
pub enum Transport {
    Http {
        client: reqwest::Client,
        url: reqwest::Url,
    },
    Unix {
        client: HyperClient<UnixConnector, Full<Bytes>>,
        path: PathBuf,
    },
}

impl Transport {
    pub fn new(endpoint: &Endpoint, tls: &Tls, timeout: Option<Duration>) -> Result<Self, Error> {
        match endpoint {
            Endpoint::Url(url) => {
                let https = url.scheme() == "https";
                let mut b = reqwest::Client::builder()
                    // The TLS settings, trust store included, are built once per process
                    // and shared by every server that uses them (see `tls_config`).
                    .use_preconfigured_tls(tls_config(https, tls)?)
                    .http1_only()
                    .no_proxy()
                    // A 3xx is an error naming the Location (see `Client::check_status`):
                    // following it would re-send the credentials to wherever it points,
                    // over plain HTTP too, and show another server's rows as ours.
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("rdoveadm/", env!("CARGO_PKG_VERSION")));
                if let Some(t) = timeout {
                    b = b.connect_timeout(t);
                }
                let client = b
                    .build()
                    .map_err(|e| Error::Config(format!("cannot set up the HTTP client: {e}")))?;
                Ok(Transport::Http {
                    client,
                    url: url.clone(),
                })
            }
            Endpoint::Socket(path) => Ok(Transport::Unix {
                client: HyperClient::unix(),
                path: path.clone(),
            }),
        }
    }

    /// Where requests go, for messages: never with a user name or password in it.
    pub fn target(&self) -> String {
        match self {
            Transport::Http { url, .. } => {
                let mut u = url.clone();
                if !u.username().is_empty() || u.password().is_some() {
                    // Both only fail on URLs that can't carry userinfo at all.
                    let _ = u.set_username("***");
                    let _ = u.set_password(None);
                }
                u.to_string()
            }
            Transport::Unix { path, .. } => format!("unix:{}", path.display()),
        }
    }

    /// Whether an `http://` endpoint is really a TLS listener: a TLS handshake on it
    /// completes (any certificate). Dovecot's TLS listener closes a plain-HTTP request
    /// without a word, which looks like a dead worker; this tells the two apart.
    pub async fn speaks_tls(&self) -> bool {
        let Transport::Http { url, .. } = self else {
            return false;
        };
        if url.scheme() != "http" {
            return false;
        }
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return false;
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let Ok(name) = rustls::pki_types::ServerName::try_from(host.clone()) else {
            return false;
        };
        let Ok(setup) = crate::probe::tls::TlsSetup::new(None) else {
            return false;
        };
        let wait = Duration::from_secs(3);
        let Ok(Ok(tcp)) =
            tokio::time::timeout(wait, tokio::net::TcpStream::connect((host.as_str(), port))).await
        else {
            return false;
        };
        crate::probe::tls::handshake(&setup, tcp, name, wait)
            .await
            .is_ok()
    }

    pub async fn send(
        &self,
        method: Method,
        body: Option<Vec<u8>>,
        authorization: Option<&str>,
    ) -> Result<RawReply, Error> {
        match self {
            Transport::Http { client, url } => {
                send_http(client, url, &self.target(), method, body, authorization).await
            }
            Transport::Unix { client, path } => {
                send_unix(client, path, method, body, authorization).await
            }
        }
    }
}

fn header_pairs(h: &hyper::HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_never_shows_a_password() {
        let url = reqwest::Url::parse("http://doveadm:PASS@127.0.0.1:8080/doveadm/v1").unwrap();
        let t = Transport::new(&Endpoint::Url(url), &Tls::default(), None).unwrap();
        assert_eq!(t.target(), "http://***@127.0.0.1:8080/doveadm/v1");
        let url = reqwest::Url::parse("http://127.0.0.1:8080/doveadm/v1").unwrap();
        let t = Transport::new(&Endpoint::Url(url), &Tls::default(), None).unwrap();
        assert_eq!(t.target(), "http://127.0.0.1:8080/doveadm/v1");
    }
}
