//! The rustls client configuration of the TCP transport: the trust store (system roots
//! or `--cacert`), `--insecure`'s accept-any verifier, and the per-process cache that
//! builds each configuration once. Separate because it is TLS setup, not request I/O.

use crate::error::Error;
use crate::settings::Tls;

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
pub(super) fn tls_config(https: bool, tls: &Tls) -> Result<rustls::ClientConfig, Error> {
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
