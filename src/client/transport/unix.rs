//! The HTTP-over-UNIX-socket transport (hyper + hyperlocal): sending one request to
//! the socket's API path, and mapping its failures to typed errors.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client as HyperClient;
use hyperlocal::UnixConnector;

use super::errors::{closed, root_cause};
use super::{header_pairs, Body, Method, RawReply, API_PATH};
use crate::error::Error;

pub(super) async fn send_unix(
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
