//! `probe` against real IMAP/POP3 servers: Dovecot (`scripts/dovecot-sandbox`) and
//! Courier (`scripts/courier-sandbox`), plus a closed port and a silent listener.
//! Tests that need a server fail, never skip, when it can't be started.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Dovecot versions to test against: `RDOVEADM_TEST_DOVECOT=2.3|2.4|all` (default all).
fn versions() -> Vec<&'static str> {
    match std::env::var("RDOVEADM_TEST_DOVECOT").as_deref() {
        Ok("2.3") => vec!["2.3"],
        Ok("2.4") => vec!["2.4"],
        Ok("all") | Ok("") | Err(_) => vec!["2.3", "2.4"],
        Ok(other) => panic!("RDOVEADM_TEST_DOVECOT={other}: expected 2.3, 2.4 or all"),
    }
}

/// A running sandbox (Dovecot or Courier), stopped on drop.
struct Sandbox {
    script: &'static str,
    vars: HashMap<String, String>,
}

impl Sandbox {
    fn start(script: &'static str, args: &[&str]) -> Sandbox {
        let out = Command::new(repo().join("scripts").join(script))
            .arg("start")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run scripts/{script}: {e}"));
        assert!(
            out.status.success(),
            "{script} start {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let vars = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once('=')?;
                Some((k.to_string(), v.trim_matches('\'').to_string()))
            })
            .collect();
        Sandbox { script, vars }
    }

    /// A `--tls` Dovecot. Probe it with [`Sandbox::dovecot_args`]: Dovecot counts a
    /// client with its own IP as secure (plaintext logins allowed), so the probe
    /// connects from 127.0.0.2 to look like a remote client.
    fn dovecot(version: &str, args: &[&str]) -> Sandbox {
        let mut all = vec!["--version", version, "--tls"];
        all.extend_from_slice(args);
        Sandbox::start("dovecot-sandbox", &all)
    }

    fn var(&self, k: &str) -> &str {
        self.vars
            .get(k)
            .unwrap_or_else(|| panic!("{} did not print {k}", self.script))
    }

    fn dovecot_args(&self) -> Vec<String> {
        let mut a = self.port_args();
        a.extend(strs(&["--source", "127.0.0.2"]));
        a
    }

    /// `--imap P --imaps P --pop3 P --pop3s P` for this sandbox.
    fn port_args(&self) -> Vec<String> {
        ["imap", "imaps", "pop3", "pop3s"]
            .iter()
            .flat_map(|s| {
                [
                    format!("--{s}"),
                    self.var(&format!("SANDBOX_{}_PORT", s.to_uppercase()))
                        .to_string(),
                ]
            })
            .collect()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(dir) = self.vars.get("SANDBOX_DIR") {
            let _ = Command::new(repo().join("scripts").join(self.script))
                .args(["stop", dir])
                .output();
        }
    }
}

/// Runs the built binary with a blank environment (PATH only).
fn rdoveadm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rdoveadm"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .output()
        .expect("cannot run rdoveadm")
}

/// `rdoveadm -f json probe 127.0.0.1 ARGS...`: the rows by service, and the exit code.
fn probe(args: &[String]) -> (HashMap<String, HashMap<String, String>>, i32, Output) {
    let mut all = vec!["-f", "json", "probe", "127.0.0.1"];
    all.extend(args.iter().map(String::as_str));
    let out = rdoveadm(&all);
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let rows = rows
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| {
            let m: HashMap<String, String> = r
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| {
                    // Typed JSON (numbers, booleans, null) read back as the text formats show it.
                    let t = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (k.clone(), t)
                })
                .collect();
            (m["service"].clone(), m)
        })
        .collect();
    (rows, out.status.code().unwrap_or(-1), out)
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The notAfter `openssl` reads from the served certificate, as a Unix time.
fn openssl_not_after(port: &str) -> i64 {
    let script = format!(
        "openssl s_client -connect 127.0.0.1:{port} </dev/null 2>/dev/null | openssl x509 -noout -enddate \
         | cut -d= -f2 | xargs -I{{}} date -u -d {{}} +%s"
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("openssl -enddate as a Unix time")
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn dovecot_tls_required_with_cacert_is_clean() {
    for v in versions() {
        let sb = Sandbox::dovecot(v, &["--plaintext", "required-tls"]);
        let mut args = sb.dovecot_args();
        args.extend(strs(&["--cacert", sb.var("SANDBOX_CACERT")]));
        let before = now_unix();
        let (rows, code, out) = probe(&args);
        let after = now_unix();
        assert_eq!(rows.len(), 4, "{v}: {rows:?}");
        for (service, r) in &rows {
            assert_eq!(r["state"], "open", "{v} {service}");
            assert_eq!(r["server"], "Dovecot", "{v} {service}");
            assert_eq!(r["tls"], "true", "{v} {service}: {r:?}");
            assert!(r["tls_version"].starts_with("TLSv1."), "{v} {service}");
            assert!(!r["cipher"].is_empty(), "{v} {service}");
            assert!(
                r["cert_subject"].contains("IP:127.0.0.1"),
                "{v} {service}: {}",
                r["cert_subject"]
            );
            assert_eq!(r["verified"], "true", "{v} {service}");
            assert_eq!(r["name_ok"], "true", "{v} {service}");
            assert_eq!(r["problems"], "", "{v} {service}");
            assert!(r["connect_ms"].parse::<u64>().is_ok());
        }
        for s in ["imap", "pop3"] {
            assert_eq!(rows[s]["starttls"], "true", "{v} {s}");
            assert_eq!(rows[s]["plaintext_before_tls"], "false", "{v} {s}");
        }
        for s in ["imaps", "pop3s"] {
            assert_eq!(rows[s]["starttls"], "", "{v} {s}: implicit TLS");
            assert_eq!(rows[s]["plaintext_before_tls"], "", "{v} {s}");
        }
        // Whole days left, rounded down, as of when the probe ran.
        let end = openssl_not_after(sb.var("SANDBOX_IMAPS_PORT"));
        let days: i64 = rows["imaps"]["days_left"].parse().unwrap();
        assert!(
            ((end - after).div_euclid(86_400)..=(end - before).div_euclid(86_400)).contains(&days),
            "{v}: days_left {days}, openssl notAfter {end}, probe ran {before}..{after}"
        );
        assert!(
            (360..=365).contains(&days),
            "{v}: the sandbox certificate is valid for 365 days: {days}"
        );
        assert_eq!(code, 0, "{v}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(
            out.stderr.is_empty(),
            "{v}: not a terminal, so no summary: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn dovecot_without_cacert_is_not_verified() {
    let sb = Sandbox::dovecot("2.3", &["--plaintext", "required-tls"]);
    let (rows, code, _) = probe(&sb.dovecot_args());
    for (service, r) in &rows {
        assert_eq!(r["verified"], "false", "{service}");
        assert_eq!(r["name_ok"], "true", "{service}");
        assert!(
            r["problems"].contains("certificate not trusted: unknown issuer"),
            "{service}: {}",
            r["problems"]
        );
    }
    assert_eq!(code, 77);
}

#[test]
fn dovecot_plaintext_allowed_is_exposure() {
    let sb = Sandbox::dovecot("2.3", &["--plaintext", "allowed"]);
    let mut args = sb.dovecot_args();
    args.extend(strs(&["--cacert", sb.var("SANDBOX_CACERT")]));
    let (rows, code, _) = probe(&args);
    for s in ["imap", "pop3"] {
        assert_eq!(rows[s]["plaintext_before_tls"], "true", "{s}");
        assert!(
            rows[s]["problems"].contains("offered before TLS"),
            "{s}: {}",
            rows[s]["problems"]
        );
        assert_eq!(rows[s]["verified"], "true", "{s}");
    }
    assert_eq!(rows["imaps"]["problems"], "");
    assert_eq!(code, 65, "plaintext exposure only");
}

#[test]
fn dovecot_expired_certificate_is_a_problem() {
    let sb = Sandbox::dovecot("2.3", &["--cert", "expired", "--plaintext", "required-tls"]);
    let mut args = sb.dovecot_args();
    args.extend(strs(&[
        "--cacert",
        sb.var("SANDBOX_CACERT"),
        "--only",
        "imap,imaps",
    ]));
    let (rows, code, _) = probe(&args);
    for s in ["imap", "imaps"] {
        let r = &rows[s];
        assert_eq!(
            r["tls"], "true",
            "{s}: the handshake still completes, so the certificate is reported"
        );
        assert_eq!(r["verified"], "false", "{s}");
        assert!(r["days_left"].starts_with('-'), "{s}: {}", r["days_left"]);
        assert!(
            r["problems"].contains("certificate expired"),
            "{s}: {}",
            r["problems"]
        );
    }
    assert_eq!(code, 77);
}

#[test]
fn dovecot_wrong_name_certificate_is_a_problem() {
    let sb = Sandbox::dovecot(
        "2.3",
        &["--cert", "wrong-name", "--plaintext", "required-tls"],
    );
    let mut args = sb.dovecot_args();
    args.extend(strs(&[
        "--cacert",
        sb.var("SANDBOX_CACERT"),
        "--only",
        "pop3,pop3s",
    ]));
    let (rows, code, _) = probe(&args);
    for s in ["pop3", "pop3s"] {
        let r = &rows[s];
        assert_eq!(r["verified"], "true", "{s}: the chain is fine");
        assert_eq!(r["name_ok"], "false", "{s}");
        assert!(
            r["problems"].contains("certificate not valid for `127.0.0.1`"),
            "{s}: {}",
            r["problems"]
        );
    }
    assert_eq!(code, 77);
    // The same certificate is right for the name it was made for.
    args.extend(strs(&["--servername", "wrong.example"]));
    let (rows, code, _) = probe(&args);
    assert_eq!(rows["pop3s"]["name_ok"], "true");
    assert_eq!(code, 0);
}

#[test]
fn closed_port_is_closed() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (rows, code, _) = probe(&strs(&["--only", "imap", "--imap", &port.to_string()]));
    assert_eq!(rows["imap"]["state"], "closed");
    assert_eq!(rows["imap"]["problems"], "connection refused");
    assert_eq!(code, 69);
}

#[test]
fn silent_server_does_not_hang() {
    // Accepts connections and never writes a byte (nor reads the TLS ClientHello).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let start = Instant::now();
    let args = strs(&[
        "--timeout",
        "2",
        "--only",
        "imap,imaps,pop3",
        "--imap",
        &port,
        "--imaps",
        &port,
        "--pop3",
        &port,
    ]);
    let (rows, code, _) = probe(&args);
    let took = start.elapsed();
    // Ports are probed concurrently and each step is bounded by --timeout.
    assert!(took < Duration::from_secs(2 + 3), "took {took:?}");
    assert!(
        took >= Duration::from_secs(2),
        "took {took:?}: the timeout was not waited for"
    );
    for s in ["imap", "pop3"] {
        assert_eq!(rows[s]["state"], "open", "{s}");
        assert_eq!(rows[s]["problems"], "no greeting within 2s", "{s}");
    }
    assert_eq!(rows["imaps"]["state"], "open");
    assert_eq!(
        rows["imaps"]["problems"],
        "TLS handshake not finished within 2s"
    );
    assert_eq!(code, 69);
}

#[test]
fn courier_is_recognised_with_its_capabilities_and_tls() {
    let sb = Sandbox::start("courier-sandbox", &[]);
    let mut args = sb.port_args();
    args.extend(strs(&["--cacert", sb.var("SANDBOX_CACERT"), "-D"]));
    let (rows, code, out) = probe(&args);
    assert_eq!(rows.len(), 4);
    for (s, r) in &rows {
        assert_eq!(r["state"], "open", "{s}");
        assert_eq!(
            r["server"], "Courier",
            "{s}: greeting (IMAP) or CAPA IMPLEMENTATION (POP3)"
        );
        assert_eq!(r["tls"], "true", "{s}: {r:?}");
        assert_eq!(r["verified"], "true", "{s}");
        assert_eq!(r["name_ok"], "true", "{s}");
    }
    for s in ["imap", "pop3"] {
        assert_eq!(rows[s]["starttls"], "true", "{s}");
        // Courier's default (IMAP_TLS_REQUIRED=0, POP3_TLS_REQUIRED=0): LOGIN/USER before TLS.
        assert_eq!(rows[s]["plaintext_before_tls"], "true", "{s}");
    }
    assert_eq!(code, 65);
    // -D shows the capability lists the rows summarise: Courier adds AUTH=PLAIN only over TLS.
    let err = String::from_utf8_lossy(&out.stderr);
    let line = |needle: &str| {
        err.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in:\n{err}"))
            .to_string()
    };
    let imap_before = line(" imap: capabilities before TLS:");
    assert!(
        imap_before.contains(" STARTTLS")
            && !imap_before.contains("AUTH=PLAIN")
            && !imap_before.contains("LOGINDISABLED")
    );
    assert!(line(" imap: capabilities over TLS:").contains("AUTH=PLAIN"));
    assert!(line(" pop3: capabilities before TLS:").contains("STLS"));
    assert!(line(" pop3s: capabilities over TLS:").contains("IMPLEMENTATION Courier Mail Server"));
}

#[test]
fn courier_tls_required_hides_imap_login() {
    let sb = Sandbox::start("courier-sandbox", &["--plaintext", "required-tls"]);
    let mut args = sb.port_args();
    args.extend(strs(&[
        "--cacert",
        sb.var("SANDBOX_CACERT"),
        "--only",
        "imap",
    ]));
    let (rows, code, _) = probe(&args);
    assert_eq!(
        rows["imap"]["plaintext_before_tls"], "false",
        "LOGINDISABLED before STARTTLS"
    );
    assert_eq!(rows["imap"]["tls"], "true");
    assert_eq!(rows["imap"]["problems"], "");
    assert_eq!(code, 0);
    // (Courier's pop3d still lists USER in CAPA with POP3_TLS_REQUIRED=1; a probe that
    // never sends USER can't tell, so pop3 is not asserted here.)
}
