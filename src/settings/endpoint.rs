//! Text given for an endpoint (`--url`, `--socket`, `RDOVEADM_URL`, a profile's `url`)
//! made into an [`Endpoint`]: pure parsing, no I/O, so its checks are tested alone.

use std::path::PathBuf;

use super::Endpoint;
use crate::error::Error;
use crate::secret::redact_url;

/// A socket address as given: `unix:PATH` and `unix:///PATH` (curl's and systemd's
/// spellings) are the path itself.
pub fn socket_path(p: &std::path::Path) -> PathBuf {
    let text = p.to_string_lossy();
    match text
        .strip_prefix("unix://")
        .or_else(|| text.strip_prefix("unix:"))
    {
        Some(rest) if rest.starts_with('/') || !text.starts_with("unix://") => PathBuf::from(rest),
        _ => p.to_path_buf(),
    }
}

/// An endpoint given where a URL is expected (`--url`, `RDOVEADM_URL`): an http(s) URL,
/// or a socket written `unix:PATH` / `unix:///PATH`. A bare path is refused with a hint
/// to use `--socket`.
pub fn parse_endpoint(text: &str, what: &str) -> Result<Endpoint, Error> {
    if text.starts_with("unix:") {
        return Ok(Endpoint::Socket(socket_path(std::path::Path::new(text))));
    }
    if text.starts_with('/') || text.starts_with("./") {
        return Err(Error::Config(format!(
            "{what}: `{}` is a file path, not a URL; for a UNIX socket use --socket {} (or unix:{})",
            crate::text::escape_message(text),
            crate::text::escape_message(text),
            crate::text::escape_message(text)
        )));
    }
    parse_url(text, what).map(Endpoint::Url)
}

/// Parses an endpoint URL; appends the API path when the URL has none. Messages show
/// the text with any userinfo as `***` ([`redact_url`]): credentials in a URL are
/// refused, and never echoed.
pub fn parse_url(text: &str, what: &str) -> Result<reqwest::Url, Error> {
    let shown = || redact_url(text);
    let mut url = reqwest::Url::parse(text).map_err(|e| {
        Error::Config(format!(
            "{what}: `{}` is not a URL ({e}); use e.g. http://127.0.0.1:8080",
            shown()
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "{what}: `{}` must start with http:// or https://",
            shown()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "{what}: `{}`: credentials in the URL are not accepted; use RDOVEADM_PASSWORD or --password-file",
            shown()
        )));
    }
    if url.host_str().is_none() {
        return Err(Error::Config(format!("{what}: `{}` has no host", shown())));
    }
    let path = url.path().trim_end_matches('/').to_string();
    if !path.ends_with("/doveadm/v1") {
        url.set_path(&format!("{path}/doveadm/v1"));
    } else {
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_gets_the_api_path() {
        assert_eq!(
            parse_url("http://127.0.0.1:8080", "x").unwrap().as_str(),
            "http://127.0.0.1:8080/doveadm/v1"
        );
        assert_eq!(
            parse_url("http://h:1/doveadm/v1/", "x").unwrap().as_str(),
            "http://h:1/doveadm/v1"
        );
        assert_eq!(
            parse_url("https://h/proxy", "x").unwrap().as_str(),
            "https://h/proxy/doveadm/v1"
        );
        assert!(parse_url("127.0.0.1:8080", "x").is_err());
        assert!(parse_url("ftp://h", "x").is_err());
        assert!(parse_url("http://doveadm:secret@h", "x")
            .unwrap_err()
            .to_string()
            .contains("not accepted"));
    }

    #[test]
    fn unix_addresses_are_sockets_and_a_path_as_url_suggests_socket() {
        let sock = |t: &str| match parse_endpoint(t, "--url").unwrap() {
            Endpoint::Socket(p) => p,
            Endpoint::Url(u) => panic!("{t}: a URL {u}"),
        };
        assert_eq!(
            sock("unix:/run/dovecot/http"),
            PathBuf::from("/run/dovecot/http")
        );
        assert_eq!(
            sock("unix:///run/dovecot/http"),
            PathBuf::from("/run/dovecot/http")
        );
        assert_eq!(sock("unix:rel/http"), PathBuf::from("rel/http"));
        assert_eq!(
            socket_path(std::path::Path::new("unix:///run/x")),
            PathBuf::from("/run/x")
        );
        assert_eq!(
            socket_path(std::path::Path::new("/run/x")),
            PathBuf::from("/run/x")
        );
        let e = parse_endpoint("/run/dovecot/http", "--url").unwrap_err();
        assert_eq!(e.exit_code(), 78);
        assert!(
            e.to_string().contains("use --socket /run/dovecot/http"),
            "{e}"
        );
        assert!(matches!(
            parse_endpoint("http://127.0.0.1:8080", "--url").unwrap(),
            Endpoint::Url(_)
        ));
    }

    #[test]
    fn url_errors_never_show_userinfo() {
        for url in [
            "http://doveadm:S3CR3T@host:99999",
            "ftp://doveadm:S3CR3T@host",
            "http://doveadm:S3CR3T@[::1",
            "http://doveadm:S3CR3T@host:8080",
            "doveadm:S3CR3T@host:8080",
            "http://doveadm:S3CR3T@",
        ] {
            let e = parse_url(url, "--url").unwrap_err().to_string();
            assert!(!e.contains("S3CR3T"), "{url}: {e}");
            assert!(e.contains("***"), "{url}: {e}");
        }
    }
}
