//! The TLS handshake of a probe and what it learns: version, cipher, certificate
//! fields, chain trust and name match.
//!
//! rustls normally aborts the handshake on a bad certificate, and then there is
//! nothing to report. The `Recorder` verifier instead runs the same checks as
//! rustls' WebPkiServerVerifier, chain and name separately, stores the results and
//! accepts, so an expired, self-signed or wrong-name certificate is still described.
//! Handshake signatures are still checked, so the server must own the key.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::line::{step, StepError};

/// Trust anchors and crypto, made once per run.
#[derive(Debug)]
pub struct TlsSetup {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl TlsSetup {
    /// `--cacert` PEM replaces the system roots; else the system's (rustls-native-certs).
    pub fn new(cacert_pem: Option<&[u8]>) -> Result<TlsSetup, String> {
        let mut roots = RootCertStore::empty();
        match cacert_pem {
            Some(pem) => {
                let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut &pem[..])
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("not PEM certificates: {e}"))?;
                if certs.is_empty() {
                    return Err("no PEM certificate in the file".into());
                }
                for c in certs {
                    roots
                        .add(c)
                        .map_err(|e| format!("unusable CA certificate: {e}"))?;
                }
            }
            None => {
                // Unreadable system certificates just leave fewer roots: every chain
                // then reports "unknown issuer", which is the truth for this host.
                for c in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(c);
                }
            }
        }
        Ok(TlsSetup {
            roots: Arc::new(roots),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        })
    }
}

/// What the handshake showed.
#[derive(Debug, Clone)]
pub struct TlsInfo {
    pub version: String,
    pub cipher: String,
    pub cert: Option<CertInfo>,
    /// Chain up to a trusted root, valid now: `Err(reason)` otherwise.
    pub chain: Result<(), Reason>,
    /// Certificate valid for the name we asked for.
    pub name: Result<(), Reason>,
}

impl Default for Reason {
    fn default() -> Self {
        Reason::Other("not checked".into())
    }
}

/// Why a check failed, coarse enough to word problems well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Expired,
    NotYetValid,
    UnknownIssuer,
    NameMismatch,
    Other(String),
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Expired => f.write_str("expired"),
            Reason::NotYetValid => f.write_str("not valid yet"),
            Reason::UnknownIssuer => f.write_str("unknown issuer"),
            Reason::NameMismatch => f.write_str("name mismatch"),
            Reason::Other(s) => f.write_str(s),
        }
    }
}

fn reason(e: rustls::Error) -> Reason {
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => Reason::Expired,
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                Reason::NotYetValid
            }
            CertificateError::UnknownIssuer => Reason::UnknownIssuer,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                Reason::NameMismatch
            }
            other => Reason::Other(format!("{other:?}")),
        },
        other => Reason::Other(other.to_string()),
    }
}

/// The server certificate's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// `DNS:mail.example.org`, `IP:192.0.2.7`.
    pub sans: Vec<String>,
    pub not_after_unix: i64,
}

impl CertInfo {
    pub fn parse(der: &[u8]) -> Result<CertInfo, String> {
        use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|e| format!("cannot parse the certificate: {e}"))?;
        let mut sans = Vec::new();
        if let Ok(Some(ext)) = cert.subject_alternative_name() {
            for n in &ext.value.general_names {
                match n {
                    GeneralName::DNSName(d) => sans.push(format!("DNS:{d}")),
                    GeneralName::IPAddress(b) => {
                        sans.push(if let Ok(v4) = <[u8; 4]>::try_from(*b) {
                            format!("IP:{}", std::net::Ipv4Addr::from(v4))
                        } else if let Ok(v6) = <[u8; 16]>::try_from(*b) {
                            format!("IP:{}", std::net::Ipv6Addr::from(v6))
                        } else {
                            "IP:?".into()
                        })
                    }
                    other => sans.push(other.to_string()),
                }
            }
        }
        Ok(CertInfo {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            sans,
            not_after_unix: cert.validity().not_after.timestamp(),
        })
    }

    /// Whole days until not-after, rounded down; negative once expired
    /// (the same day count as `openssl x509 -enddate` minus today).
    pub fn days_left(&self, now_unix: i64) -> i64 {
        self.not_after_unix
            .saturating_sub(now_unix)
            .div_euclid(86_400)
    }
}

pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `2026-05-01T12:00:00Z` for a Unix time (UTC; proleptic Gregorian).
pub fn iso_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Runs the handshake (bounded by `timeout`) and returns the stream and what was seen.
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    setup: &TlsSetup,
    stream: S,
    name: ServerName<'static>,
    timeout: Duration,
) -> Result<(TlsStream<S>, TlsInfo), StepError> {
    let recorder = Arc::new(Recorder {
        roots: setup.roots.clone(),
        provider: setup.provider.clone(),
        outcome: Mutex::default(),
    });
    let config = ClientConfig::builder_with_provider(setup.provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| StepError::Io(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(config));
    let tls = step(timeout, async {
        connector
            .connect(name, stream)
            .await
            .map_err(|e| StepError::Io(e.to_string()))
    })
    .await?;
    let (_, conn) = tls.get_ref();
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        Some(v) => format!("{v:?}"),
        None => String::new(),
    };
    let cipher = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_default();
    let cert = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .and_then(|c| CertInfo::parse(c).ok());
    let (chain, name) = recorder
        .outcome
        .lock()
        .ok()
        .and_then(|o| o.clone())
        .unwrap_or((Err(Reason::default()), Err(Reason::default())));
    Ok((
        tls,
        TlsInfo {
            version,
            cipher,
            cert,
            chain,
            name,
        },
    ))
}

/// A verifier that records instead of refusing (see the module comment).
#[derive(Debug)]
struct Recorder {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
    outcome: Mutex<Option<Outcome>>,
}

/// (chain check, name check)
type Outcome = (Result<(), Reason>, Result<(), Reason>);

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let outcome = match ParsedCertificate::try_from(end_entity) {
            Ok(cert) => {
                let chain = if self.roots.is_empty() {
                    Err(Reason::Other(
                        "no trusted root certificates on this system".into(),
                    ))
                } else {
                    verify_server_cert_signed_by_trust_anchor(
                        &cert,
                        &self.roots,
                        intermediates,
                        now,
                        self.provider.signature_verification_algorithms.all,
                    )
                    .map_err(reason)
                };
                (
                    chain,
                    verify_server_name(&cert, server_name).map_err(reason),
                )
            }
            Err(e) => (Err(reason(e.clone())), Err(reason(e))),
        };
        if let Ok(mut o) = self.outcome.lock() {
            *o = Some(outcome);
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso_utc(1_777_636_800), "2026-05-01T12:00:00Z");
    }

    #[test]
    fn days_left_rounds_down_and_goes_negative() {
        let c = CertInfo {
            subject: String::new(),
            issuer: String::new(),
            sans: vec![],
            not_after_unix: 10 * 86_400,
        };
        assert_eq!(c.days_left(0), 10);
        assert_eq!(c.days_left(1), 9);
        assert_eq!(c.days_left(10 * 86_400 + 1), -1);
    }

    #[test]
    fn cacert_must_hold_a_certificate() {
        assert!(TlsSetup::new(Some(b"not pem")).is_err());
    }
}
