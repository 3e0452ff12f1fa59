//! Commands: one file per doveadm noun. Each glues the client (which returns rows or
//! typed errors) to the renderer (which writes them).

pub mod api;
pub mod completions;
pub mod config;
pub mod doveadm;
pub mod kick;
pub mod mailbox;
pub mod messages;
pub mod preflight;
pub mod probe;
pub mod quota;
pub mod server;
pub mod shards;
pub mod storage;
pub mod user;
pub mod users;
pub mod who;

use serde_json::{Map, Value};
use tokio::sync::OnceCell;

use crate::client::features::Features;
use crate::client::{schema, Client};
use crate::error::Error;
use crate::output::{self, Row, RowSink};
use crate::settings::Settings;

/// What every command gets: resolved settings and a client made on first use.
pub struct Ctx {
    pub settings: Settings,
    client: OnceCell<Client>,
    features: OnceCell<Features>,
    /// When set, rows are kept here instead of written (fan-out merges them).
    capture: Option<std::sync::Mutex<Captured>>,
}

/// Rows a command emitted, with the columns it expected.
#[derive(Default)]
pub struct Captured {
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    /// The doveadm command (API name) whose rows these are, when the command said.
    pub api: Option<String>,
    /// That server's version, for doveadm's titles.
    pub version: Option<output::doveadm::Version>,
    /// Whether the command opened a sink (it prints rows, maybe none).
    pub opened: bool,
}

impl Ctx {
    pub fn new(settings: Settings) -> Self {
        Ctx {
            settings,
            client: OnceCell::new(),
            features: OnceCell::new(),
            capture: None,
        }
    }

    /// A context whose rows are captured rather than written.
    pub fn capturing(settings: Settings) -> Self {
        Ctx {
            capture: Some(Default::default()),
            ..Ctx::new(settings)
        }
    }

    /// The captured rows (empty unless made with [`Ctx::capturing`]).
    pub fn take_captured(&self) -> Captured {
        self.capture
            .as_ref()
            .map(|c| std::mem::take(&mut *c.lock().unwrap_or_else(|e| e.into_inner())))
            .unwrap_or_default()
    }

    /// The client for the configured server (made once).
    pub async fn client(&self) -> Result<&Client, Error> {
        self.client
            .get_or_try_init(|| async {
                let conn = self.settings.require_connection()?;
                // Once per process: a fan-out to 1,000 servers is one warning, not 1,000.
                static WARNED: std::sync::Once = std::sync::Once::new();
                if conn.tls.insecure {
                    WARNED.call_once(|| {
                        eprintln!(
                            "rdoveadm: warning: --insecure: the server's certificate is not verified"
                        );
                    });
                }
                Client::new(conn, self.settings.debug)
            })
            .await
    }

    /// What the server advertises (cached per endpoint; fetched only when a command needs it).
    pub async fn features(&self) -> Result<&Features, Error> {
        self.features
            .get_or_try_init(|| async {
                Ok(Features::from_schema(
                    schema::cached(self.client().await?).await?,
                ))
            })
            .await
    }

    /// Runs one command and returns its rows.
    pub async fn rows(
        &self,
        command: &str,
        params: &Map<String, Value>,
    ) -> Result<Vec<Row>, Error> {
        if self.wants_version(command) {
            // Best effort: without it, 2.3's titles.
            let _ = self.features().await;
        }
        into_rows(command, self.client().await?.call(command, params).await?)
    }

    /// A sink for rows: stdout in the chosen format, or the capture of a fan-out.
    pub fn open(&self, columns: &[&str]) -> Box<dyn RowSink + '_> {
        if let Some(capture) = &self.capture {
            let mut c = capture.lock().unwrap_or_else(|e| e.into_inner());
            c.opened = true;
            if c.columns.is_empty() {
                c.columns = columns.iter().map(|s| s.to_string()).collect();
            }
            drop(c);
            return Box::new(CaptureSink(capture));
        }
        let w = std::io::BufWriter::new(std::io::stdout().lock());
        output::sink(&self.settings.output, columns, Box::new(w))
    }

    /// Writes rows in the chosen format.
    pub fn emit(&self, columns: &[&str], rows: &[Row]) -> Result<(), Error> {
        output::write_rows(self.open(columns), rows).map_err(Error::from_write)
    }

    /// A sink for the rows of doveadm command `api` (its API name, e.g. `mailboxList`):
    /// like [`Ctx::open`], and piped (or with `-f tab|flow|pager|json`) what native
    /// doveadm prints for it, with the titles of the server's version
    /// ([`output::sink_for`]). A fan-out's capture keeps `api` for its merged sink.
    pub fn open_for(&self, api: &str, columns: &[&str]) -> Box<dyn RowSink + '_> {
        if let Some(capture) = &self.capture {
            let mut c = capture.lock().unwrap_or_else(|e| e.into_inner());
            if c.api.is_none() {
                c.api = Some(api.to_string());
                c.version = Some(self.version());
            }
            drop(c);
            return crate::monitor::typed::wrap(&self.settings.output, api, self.open(columns));
        }
        let w = std::io::BufWriter::new(std::io::stdout().lock());
        let sink = output::sink_for(
            &self.settings.output,
            api,
            self.version(),
            columns,
            Box::new(w),
        );
        crate::monitor::typed::wrap(&self.settings.output, api, sink)
    }

    /// The server's Dovecot version for doveadm's titles: known once the features were
    /// read (a command whose titles differ between versions reads them first, see
    /// [`Ctx::rows`]; the schema is cached on disk), else 2.3's.
    fn version(&self) -> output::doveadm::Version {
        self.features
            .get()
            .map_or(output::doveadm::Version::V23, |f| {
                output::doveadm::Version::from_generation(f.generation())
            })
    }

    /// Whether printing `api` needs the server's version first ([`output::needs_version`]).
    fn wants_version(&self, api: &str) -> bool {
        output::needs_version(&self.settings.output, api)
    }

    /// The end of doveadm command `api` that prints no rows (`mailbox create`,
    /// `expunge`...), given how it went: as doveadm, `-f tab` still ends its empty
    /// title line and `-f json` prints `[]`, also when the command failed (but not
    /// when the server could not be asked at all); nothing otherwise.
    pub fn done<T>(&self, api: &str, result: Result<T, Error>) -> Result<(), Error> {
        let o = &self.settings.output;
        let ends =
            o.explicit && matches!(o.format, crate::cli::Format::Tab | crate::cli::Format::Json);
        if ends && self.prints_on_failure(&result) {
            let printed = self.emit_for(api, &[], &[]);
            result?;
            return printed;
        }
        result.map(|_| ())
    }

    /// Whether a doveadm command's output still ends after `result` in doveadm's
    /// formats: after a success, and after the command itself failed on the server
    /// (no such user or mailbox, bad data...: doveadm ends its formatter then too); not
    /// when the server could not be asked or answered out of turn (down, credentials,
    /// HTTP errors, garbage: also when several users' requests stopped at it).
    pub fn prints_on_failure<T>(&self, result: &Result<T, Error>) -> bool {
        output::is_doveadm(&self.settings.output)
            && match result {
                Ok(_) => true,
                Err(Error::Server { .. } | Error::NotFound(_)) => true,
                // Several requests: the first failure's code (one of a command's own).
                Err(Error::Silent(code)) => matches!(code, 65..=68 | 73),
                Err(_) => false,
            }
    }

    /// Writes the rows of doveadm command `api` in the chosen format (see [`Ctx::open_for`]).
    pub fn emit_for(&self, api: &str, columns: &[&str], rows: &[Row]) -> Result<(), Error> {
        output::write_rows(self.open_for(api, columns), rows).map_err(Error::from_write)
    }
}

/// Keeps rows for a fan-out to merge.
struct CaptureSink<'a>(&'a std::sync::Mutex<Captured>);

impl RowSink for CaptureSink<'_> {
    fn row(&mut self, row: &Row) -> std::io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .rows
            .push(row.clone());
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A command's result as rows. An object result is one row, as the streaming path
/// ([`crate::client::Client::call_rows`]) hands it over, so both paths agree.
pub fn into_rows(command: &str, result: Value) -> Result<Vec<Row>, Error> {
    let items = match result {
        Value::Array(items) => items,
        Value::Object(row) => return Ok(vec![row]),
        _ => {
            return Err(Error::Protocol(format!(
                "`{command}` returned neither rows nor an object"
            )))
        }
    };
    items
        .into_iter()
        .map(|v| match v {
            Value::Object(m) => Ok(m),
            _ => Err(Error::Protocol(format!(
                "`{command}` returned a row that is not an object"
            ))),
        })
        .collect()
}

/// Builds a parameter object from pairs, leaving out empty arrays and `false`.
pub fn params<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs
        .into_iter()
        .filter(|(_, v)| {
            !matches!(v, Value::Bool(false) | Value::Null)
                && !matches!(v, Value::Array(a) if a.is_empty())
        })
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Whether a user name is a mask that the server iterates (and then adds `username`).
pub fn is_user_mask(user: &str) -> bool {
    user.contains(['*', '?'])
}

/// Column hints for a mail command: `username` first when several users answer.
pub fn user_columns<'a>(many_users: bool, columns: &[&'a str]) -> Vec<&'a str> {
    let mut out = Vec::with_capacity(columns.len() + 1);
    if many_users {
        out.push("username");
    }
    out.extend_from_slice(columns);
    out
}

/// Rejects blank arguments locally: an empty mask reaches the server as "match all"
/// or kills its worker.
pub fn require_non_blank(what: &str, values: &[String]) -> Result<(), Error> {
    if values.iter().any(|v| v.trim().is_empty()) {
        return Err(Error::Usage(format!(
            "{what}: an empty value is not allowed"
        )));
    }
    Ok(())
}
