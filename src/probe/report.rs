//! A probe's result for one port, its output row, and the exit-code decision.

use serde_json::Value;

use super::tls::{self, TlsInfo};
use super::{Service, Target};
use crate::error::code;
use crate::output::Row;

/// Output columns, in order.
pub const COLUMNS: &[&str] = &[
    "host",
    "port",
    "service",
    "state",
    "connect_ms",
    "handshake_ms",
    "server",
    "starttls",
    "tls",
    "tls_version",
    "cipher",
    "cert_subject",
    "cert_issuer",
    "cert_not_after",
    "days_left",
    "verified",
    "name_ok",
    "plaintext_before_tls",
    "problems",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not connected yet (only before the probe ran).
    Unknown,
    /// TCP connect succeeded.
    Open,
    /// Connect refused (RST): nothing listens.
    Closed,
    /// No answer to connect before the timeout: a firewall may drop it.
    Filtered,
    /// Name does not resolve, or the network says unreachable.
    Unreachable,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Unknown => "unknown",
            State::Open => "open",
            State::Closed => "closed",
            State::Filtered => "filtered",
            State::Unreachable => "unreachable",
        }
    }
}

/// What kind of problem, most severe first: decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Closed, filtered, unreachable, or not answering (greeting, command, handshake).
    Unavailable,
    /// TLS trust: chain, name, expired, no TLS, STARTTLS not offered or failing.
    Trust,
    /// The certificate is valid but expires within `--warn-days` (exit code as `Trust`;
    /// `-f nagios` tells WARNING from CRITICAL by `--crit-days`).
    Expiring,
    /// A password login is offered before TLS.
    Plaintext,
}

impl Kind {
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Unavailable => code::UNAVAILABLE,
            Kind::Trust | Kind::Expiring => code::NOPERM,
            Kind::Plaintext => code::DATAERR,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: Kind,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub host: String,
    pub port: u16,
    pub service: Service,
    pub state: State,
    pub connect_ms: Option<u128>,
    /// TCP connect time, for perfdata and metrics.
    pub connect_secs: Option<f64>,
    /// TLS handshake time (implicit TLS, or after STARTTLS/STLS).
    pub handshake_secs: Option<f64>,
    /// Product guess (`Dovecot`, `Courier`, `unknown: <greeting>`); empty without a greeting.
    pub server: String,
    /// The first line the server sent.
    pub greeting: String,
    pub greeting_caps: Option<Vec<String>>,
    /// `None` on implicit-TLS ports and when we never got that far.
    pub starttls: Option<bool>,
    pub tls: Option<bool>,
    pub tls_info: Option<TlsInfo>,
    pub caps_before_tls: Option<Vec<String>>,
    pub caps_after_tls: Option<Vec<String>>,
    /// POP3 server without CAPA.
    pub capa_unsupported: bool,
    pub plaintext_before_tls: Option<bool>,
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn new(t: &Target) -> Report {
        Report {
            host: t.host.clone(),
            port: t.port,
            service: t.service,
            state: State::Unknown,
            connect_ms: None,
            connect_secs: None,
            handshake_secs: None,
            server: String::new(),
            greeting: String::new(),
            greeting_caps: None,
            starttls: None,
            tls: None,
            tls_info: None,
            caps_before_tls: None,
            caps_after_tls: None,
            capa_unsupported: false,
            plaintext_before_tls: None,
            problems: Vec::new(),
        }
    }

    pub fn problem(&mut self, kind: Kind, text: impl Into<String>) {
        self.problems.push(Problem {
            kind,
            text: text.into(),
        });
    }

    /// The most severe problem kind, if any.
    pub fn worst(&self) -> Option<Kind> {
        self.problems.iter().map(|p| p.kind).min()
    }

    /// The output row. Typed: `port`, `connect_ms`, `handshake_ms` and `days_left` are
    /// numbers, `starttls`, `tls`, `verified`, `name_ok` and `plaintext_before_tls`
    /// booleans, and what does not apply (or was never reached) is null; text formats
    /// show null as an empty field.
    pub fn to_row(&self, now_unix: i64) -> Row {
        let b = |v: Option<bool>| v.map_or(Value::Null, Value::Bool);
        let s = |v: Option<String>| v.map_or(Value::Null, Value::String);
        let info = self.tls_info.as_ref();
        let cert = info.and_then(|i| i.cert.as_ref());
        let subject = cert.map(|c| {
            if c.sans.is_empty() {
                c.subject.clone()
            } else {
                format!("{}; SAN: {}", c.subject, c.sans.join(", "))
            }
        });
        let ms = |secs: Option<f64>| {
            secs.map_or(Value::Null, |t| Value::from((t * 1000.0).round() as u64))
        };
        let fields: [(&str, Value); 19] = [
            ("host", Value::String(self.host.clone())),
            ("port", Value::from(self.port)),
            ("service", Value::String(self.service.name().into())),
            ("state", Value::String(self.state.name().into())),
            (
                "connect_ms",
                self.connect_ms.map_or(Value::Null, |m| {
                    Value::from(u64::try_from(m).unwrap_or(u64::MAX))
                }),
            ),
            ("handshake_ms", ms(self.handshake_secs)),
            (
                "server",
                s(Some(self.server.clone()).filter(|v| !v.is_empty())),
            ),
            ("starttls", b(self.starttls)),
            ("tls", b(self.tls)),
            ("tls_version", s(info.map(|i| i.version.clone()))),
            ("cipher", s(info.map(|i| i.cipher.clone()))),
            ("cert_subject", s(subject)),
            ("cert_issuer", s(cert.map(|c| c.issuer.clone()))),
            (
                "cert_not_after",
                s(cert.map(|c| tls::iso_utc(c.not_after_unix))),
            ),
            (
                "days_left",
                cert.map_or(Value::Null, |c| Value::from(c.days_left(now_unix))),
            ),
            ("verified", b(info.map(|i| i.chain.is_ok()))),
            ("name_ok", b(info.map(|i| i.name.is_ok()))),
            ("plaintext_before_tls", b(self.plaintext_before_tls)),
            (
                "problems",
                Value::String(
                    self.problems
                        .iter()
                        .map(|p| p.text.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            ),
        ];
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }
}

/// The exit code for a whole run: 0 when no port has a problem, else the code of the
/// most severe kind seen on any port (69 unavailable, then 77 TLS trust, then 65
/// plaintext login).
pub fn exit_code(reports: &[Report]) -> i32 {
    reports
        .iter()
        .filter_map(Report::worst)
        .min()
        .map(Kind::exit_code)
        .unwrap_or(code::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(kinds: &[Kind]) -> Report {
        let mut r = Report::new(&Target {
            host: "h".into(),
            port: 143,
            service: Service::Imap,
        });
        for k in kinds {
            r.problem(*k, "x");
        }
        r
    }

    #[test]
    fn exit_code_takes_the_most_severe_kind() {
        assert_eq!(exit_code(&[]), 0);
        assert_eq!(exit_code(&[with(&[]), with(&[])]), 0);
        assert_eq!(exit_code(&[with(&[Kind::Plaintext])]), 65);
        assert_eq!(
            exit_code(&[with(&[Kind::Plaintext]), with(&[Kind::Trust])]),
            77
        );
        assert_eq!(
            exit_code(&[
                with(&[Kind::Trust, Kind::Plaintext]),
                with(&[Kind::Unavailable])
            ]),
            69
        );
    }

    #[test]
    fn row_has_every_column_typed() {
        let mut r = with(&[Kind::Trust, Kind::Plaintext]);
        r.state = State::Open;
        r.connect_ms = Some(3);
        r.handshake_secs = Some(0.0124);
        r.starttls = Some(false);
        let row = r.to_row(0);
        let keys: Vec<&str> = row.keys().map(String::as_str).collect();
        assert_eq!(keys, COLUMNS);
        assert_eq!(row["port"], 143);
        assert_eq!(row["connect_ms"], 3);
        assert_eq!(row["handshake_ms"], 12);
        assert_eq!(row["starttls"], false);
        assert_eq!(row["tls"], Value::Null);
        assert_eq!(row["days_left"], Value::Null);
        assert_eq!(row["server"], Value::Null);
        assert_eq!(row["problems"], "x; x");
    }

    /// A probed host's greeting and certificate names are its own words: every text
    /// format shows them escaped, json keeps them exact.
    #[test]
    fn hostile_greeting_and_certificate_names_are_shown_not_executed() {
        use crate::cli::Format;
        use crate::output::{sink, write_rows};
        use crate::settings::OutputSettings;
        let mut r = with(&[]);
        r.state = State::Open;
        r.server = "unknown: \u{1b}]0;pwned\u{7}\u{9b}2J".into();
        r.tls_info = Some(TlsInfo {
            version: "TLSv1.3".into(),
            cipher: "x".into(),
            cert: Some(tls::CertInfo {
                subject: "CN=mail\u{1b}[2J\u{202e}gro.elpmaxe".into(),
                issuer: "CN=\u{7}evil\u{85}CA".into(),
                sans: vec!["DNS:\u{1b}[31mred".into()],
                not_after_unix: 0,
            }),
            chain: Ok(()),
            name: Ok(()),
        });
        let rows = [r.to_row(0)];
        for format in [
            Format::Table,
            Format::Tab,
            Format::Flow,
            Format::Json,
            Format::Jsonl,
        ] {
            let mut buf = Vec::new();
            let settings = OutputSettings {
                format,
                header: true,
                width: Some(80),
                color: false,
                typed: false,
                explicit: true,
                tty: false,
            };
            write_rows(sink(&settings, COLUMNS, Box::new(&mut buf)), &rows).unwrap();
            let out = String::from_utf8(buf).unwrap();
            let raw = out
                .chars()
                .any(|c| crate::text::is_unsafe(c) && c != '\n' && c != '\t');
            assert!(!raw, "{format:?}: {out:?}");
            if matches!(format, Format::Tab | Format::Flow) {
                assert!(
                    out.contains("unknown: \\x1b]0;pwned\\x07\\u{009b}2J"),
                    "{out}"
                );
                assert!(
                    out.contains("CN=mail\\x1b[2J\\u{202e}gro.elpmaxe; SAN: DNS:\\x1b[31mred"),
                    "{out}"
                );
                assert!(out.contains("CN=\\x07evil\\u{0085}CA"), "{out}");
            }
            if format == Format::Json {
                let v: Value = serde_json::from_str(&out).unwrap();
                assert_eq!(v[0]["cert_issuer"], "CN=\u{7}evil\u{85}CA");
            }
        }
    }
}
