//! The server's self-description (`GET /doveadm/v1`), cached per endpoint for a short
//! while so that a script's thousand `rdoveadm api` calls don't fetch it a thousand times.
//! The cache is a file under `$XDG_CACHE_HOME/rdoveadm/` (or `~/.cache/rdoveadm/`);
//! if it can't be written, nothing is cached and nothing is said.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::{wire, Client, Schema};
use crate::error::Error;

/// How long a cached schema is trusted.
pub const TTL: Duration = Duration::from_secs(300);

/// The schema of the client's endpoint, from the cache when fresh.
pub async fn cached(client: &Client) -> Result<Schema, Error> {
    let path = cache_path(&client.target());
    if let Some(p) = &path {
        if let Some(body) = fresh(p) {
            if let Ok(s) = wire::parse_schema(&body) {
                return Ok(s);
            }
        }
    }
    let body = client.schema_body().await?;
    let schema = wire::parse_schema(&body)?;
    if let Some(p) = &path {
        store(p, &body);
    }
    Ok(schema)
}

fn cache_path(target: &str) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    target.hash(&mut h);
    Some(
        base.join("rdoveadm")
            .join(format!("schema-{:016x}.json", h.finish())),
    )
}

fn fresh(path: &PathBuf) -> Option<Vec<u8>> {
    let age = SystemTime::now()
        .duration_since(std::fs::metadata(path).ok()?.modified().ok()?)
        .ok()?;
    (age < TTL).then(|| std::fs::read(path).ok()).flatten()
}

fn store(path: &PathBuf, body: &[u8]) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    // Write to a temp file and rename, so a concurrent reader never sees half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let ok = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(body));
    if ok.is_ok() {
        let _ = std::fs::rename(&tmp, path);
    } else {
        let _ = std::fs::remove_file(&tmp);
    }
}
