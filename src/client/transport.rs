//! Transports: HTTP(S) over TCP via reqwest + rustls, and HTTP over a UNIX socket
//! via hyper + hyperlocal. Both return the raw status and headers, and a body read
//! chunk by chunk; the envelope, the size limit and the timeout are the caller's
//! business. Redirects are never followed.

use std::path::PathBuf;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client as HyperClient;
use hyperlocal::{UnixClientExt, UnixConnector};

use crate::error::Error;
use crate::settings::{Endpoint, Tls};
use crate::text::{bounded, escape_message};

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

/// What a TLS configuration is built from.
#[derive(Clone, PartialEq)]
struct TlsKey {
    https: bool,
    cacert_pem: Option<std::sync::Arc<[u8]>>,
    insecure: bool,
}

/// The TLS configurations built so far in this process, one per [`TlsKey`].
static TLS_CONFIGS: std::sync::Mutex<Vec<(TlsKey, rustls::ClientConfig)>> =
    std::sync::Mutex::new(Vec::new());

/// The TLS configuration for `https` (or for plain HTTP: one that trusts nothing, never
/// used) with these settings, built on first use and then shared. Each server keeps its
/// own HTTP client and connections, but a fleet of 1,000 `https` servers loads and
/// parses the system trust store (~300 certificates, 3-6 ms each time here) or
/// `--cacert` once, not 1,000 times; for plain HTTP, sharing it saves reqwest building
/// a TLS configuration of its own per server (~5 µs and a session cache each).
fn tls_config(https: bool, tls: &Tls) -> Result<rustls::ClientConfig, Error> {
    let key = TlsKey {
        https,
        cacert_pem: if https { tls.cacert_pem.clone() } else { None },
        insecure: https && tls.insecure,
    };
    let mut built = TLS_CONFIGS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, c)) = built.iter().find(|(k, _)| *k == key) {
        return Ok(c.clone());
    }
    let config = build_tls_config(&key)?;
    built.push((key, config.clone()));
    Ok(config)
}

/// What reqwest builds for `use_rustls_tls` with our settings: TLS 1.2 and 1.3 on ring,
/// the system roots (rustls-native-certs) or, with `--cacert`, only that bundle's, no
/// certificate check at all with `--insecure`, HTTP/1.1 by ALPN.
fn build_tls_config(key: &TlsKey) -> Result<rustls::ClientConfig, Error> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| Error::Config(format!("cannot set up TLS: {e}")))?;
    let mut config = if key.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(std::sync::Arc::new(AnyCertificate(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(trust_anchors(key)?)
            .with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The roots to trust: none for plain HTTP, the `--cacert` bundle's when given (a private
/// CA replaces the system roots, as with curl --cacert), else the system's.
fn trust_anchors(key: &TlsKey) -> Result<rustls::RootCertStore, Error> {
    let mut roots = rustls::RootCertStore::empty();
    if !key.https {
        return Ok(roots);
    }
    if let Some(pem) = &key.cacert_pem {
        for cert in rustls_pemfile::certs(&mut &pem[..]) {
            let cert = cert.map_err(|e| {
                Error::Config(format!("--cacert: not a PEM certificate bundle ({e})"))
            })?;
            roots.add(cert).map_err(|e| {
                Error::Config(format!("--cacert: not a usable CA certificate ({e})"))
            })?;
        }
        return Ok(roots);
    }
    // Native stores often hold a few ancient or malformed certificates: skip those,
    // but a store where none is usable is an error (as reqwest has it).
    let loaded = rustls_native_certs::load_native_certs();
    let (added, skipped) = roots.add_parsable_certificates(loaded.certs);
    if added == 0 && skipped > 0 {
        return Err(Error::Config(
            "cannot set up the HTTP client: no usable certificate in the system trust store".into(),
        ));
    }
    Ok(roots)
}

/// `--insecure`: any certificate is accepted (its handshake signatures are still checked,
/// so the server must hold the key of the certificate it shows).
#[derive(Debug)]
struct AnyCertificate(rustls::crypto::WebPkiSupportedAlgorithms);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_schemes()
    }
}

async fn send_http(
    client: &reqwest::Client,
    url: &reqwest::Url,
    target: &str,
    method: Method,
    body: Option<Vec<u8>>,
    authorization: Option<&str>,
) -> Result<RawReply, Error> {
    let mut req = match method {
        Method::Get => client.get(url.clone()),
        Method::Post => client
            .post(url.clone())
            .header("Content-Type", "application/json"),
    };
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let resp = req.send().await.map_err(|e| request_error(target, &e))?;
    Ok(RawReply {
        status: resp.status().as_u16(),
        headers: header_pairs(resp.headers()),
        body: Body::Http(resp),
    })
}

async fn send_unix(
    client: &HyperClient<UnixConnector, Full<Bytes>>,
    path: &std::path::Path,
    method: Method,
    body: Option<Vec<u8>>,
    authorization: Option<&str>,
) -> Result<RawReply, Error> {
    let uri: hyper::Uri = hyperlocal::Uri::new(path, API_PATH).into();
    let mut req = hyper::Request::builder()
        .method(match method {
            Method::Get => hyper::Method::GET,
            Method::Post => hyper::Method::POST,
        })
        .uri(uri)
        .header("Host", "localhost")
        .header(
            "User-Agent",
            concat!("rdoveadm/", env!("CARGO_PKG_VERSION")),
        );
    if method == Method::Post {
        req = req.header("Content-Type", "application/json");
    }
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    let req = req
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| Error::Config(format!("cannot build the request: {e}")))?;
    let resp = client.request(req).await.map_err(|e| {
        let detail = root_cause(&e);
        if e.is_connect() {
            Error::Unavailable(format!(
                "cannot connect to unix socket `{}`: {detail}",
                path.display()
            ))
        } else {
            closed(format!("unix:{}", path.display()), &e, detail)
        }
    })?;
    Ok(RawReply {
        status: resp.status().as_u16(),
        headers: header_pairs(resp.headers()),
        body: Body::Unix(resp.into_body()),
    })
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

fn request_error(url: &str, e: &reqwest::Error) -> Error {
    let detail = root_cause(e);
    if e.is_timeout() {
        return Error::Unavailable(format!("`{url}` did not answer in time: {detail}"));
    }
    if let Some(tls) = rustls_error(e) {
        return tls_error(url, tls, &detail);
    }
    if e.is_connect() {
        Error::Unavailable(format!("cannot connect to `{url}`: {detail}"))
    } else {
        closed(url.to_string(), e, detail)
    }
}

/// The request went out and the connection ended: [`Error::NoReply`] when it closed
/// before any reply began (a dying worker, or a TLS listener asked in plain HTTP);
/// anything else (a reply head hyper can't parse) stays a plain failure.
fn closed(target: String, e: &(dyn std::error::Error + 'static), detail: String) -> Error {
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

/// The rustls error somewhere in `e`'s sources. An `io::Error` hides the error it
/// wraps from `source()` (it returns that error's source), so look inside it too.
fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(x) = cur {
        if let Some(t) = x.downcast_ref::<rustls::Error>() {
            return Some(t);
        }
        // An io::Error may wrap another io::Error around the rustls one.
        if let Some(inner) = x
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            let inner: &(dyn std::error::Error + 'static) = inner;
            if let Some(t) = rustls_error(inner) {
                return Some(t);
            }
        }
        cur = x.source();
    }
    None
}

/// A TLS failure with a hint that fits its cause: an untrusted, expired or wrong-name
/// certificate exits 77 (as in `probe`); TLS to a port that speaks plain HTTP is a bad
/// `--url` (78).
fn tls_error(url: &str, e: &rustls::Error, detail: &str) -> Error {
    use rustls::CertificateError as C;
    let plain = url.replacen("https://", "http://", 1);
    match e {
        rustls::Error::InvalidCertificate(c) => {
            let why = match c {
                C::UnknownIssuer => "is signed by an unknown issuer; give its CA with --cacert FILE (a PEM bundle)".to_string(),
                C::Expired | C::ExpiredContext { .. } => {
                    "has expired; renew it on the server (or check this host's clock)".to_string()
                }
                C::NotValidYet | C::NotValidYetContext { .. } => {
                    "is not valid yet; check the clocks of this host and the server".to_string()
                }
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    "is for another name; use a name it was issued for in --url (`rdoveadm probe` shows its names)".to_string()
                }
                _ => "was refused; `rdoveadm probe` shows what is wrong with it".to_string(),
            };
            Error::Certificate(format!(
                "cannot connect to `{url}`: the server's certificate {why} ({detail})"
            ))
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            Error::Config(format!(
                "`{url}` does not speak TLS ({detail}); for a plain HTTP listener use `{plain}`"
            ))
        }
        _ => Error::Unavailable(format!("cannot connect to `{url}`: TLS failed: {detail}")),
    }
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
