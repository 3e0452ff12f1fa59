//! The HTTP(S)-over-TCP transport (reqwest): sending one request, and turning reqwest's
//! failures into typed errors, TLS failures with a hint that fits their cause.
//! Separate from the UNIX-socket transport, which shares none of this.

use super::errors::{closed, root_cause};
use super::{header_pairs, Body, Method, RawReply};
use crate::error::Error;

pub(super) async fn send_http(
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
