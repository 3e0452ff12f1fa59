//! Monitoring (issue 12) against real Dovecot: `-f nagios` reaching every state,
//! `-f openmetrics` read back by a real OpenMetrics parser (prometheus-client's, run
//! with Debian's python3), `quota get --over` on users with their own quota rules,
//! `--typed` JSON and probe's typed JSON, under fan-out too. Fails, never skips,
//! when Dovecot or the parser is missing.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{versions, Dovecot, Out, Rd};

/// A nagios result: state word, summary, perfdata by label, long text lines.
struct Nagios {
    service: String,
    state: String,
    summary: String,
    perf: BTreeMap<String, Vec<String>>,
    long: Vec<String>,
}

/// Parses `SERVICE STATE - summary|label=value;warn;crit;min;max ...` and the lines after.
fn nagios(out: &Out) -> Nagios {
    let mut lines = out.stdout.lines();
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("no status line; stderr:\n{}", out.stderr));
    let (head, perf) = first.split_once('|').unwrap_or((first, ""));
    let (service, rest) = head.split_once(' ').expect("SERVICE STATE");
    let (state, summary) = rest.split_once(" - ").expect("STATE - summary");
    assert!(
        ["OK", "WARNING", "CRITICAL", "UNKNOWN"].contains(&state),
        "{first}"
    );
    let perf = perf
        .split_whitespace()
        .map(|item| {
            let (label, v) = item.split_once('=').expect("label=value");
            (
                label.to_string(),
                v.split(';').map(String::from).collect::<Vec<_>>(),
            )
        })
        .collect();
    Nagios {
        service: service.into(),
        state: state.into(),
        summary: summary.into(),
        perf,
        long: lines.map(String::from).collect(),
    }
}

/// One sample as the parser saw it.
#[derive(Debug, Clone)]
struct Sample {
    family: String,
    kind: String,
    unit: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

const PARSE: &str = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        print(json.dumps({"family": f.name, "kind": f.type, "unit": f.unit,
                          "labels": s.labels, "value": s.value}))
"#;

/// Runs prometheus-client's OpenMetrics parser on `text`; panics when it refuses it.
fn openmetrics(text: &str) -> Vec<Sample> {
    // Debian's python3, where python3-prometheus-client is installed (scripts/test).
    let python = if std::path::Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let mut child = Command::new(python)
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 (install python3-prometheus-client: scripts/test does)");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "the OpenMetrics parser refused:\n{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            Sample {
                family: v["family"].as_str().unwrap().into(),
                kind: v["kind"].as_str().unwrap().into(),
                unit: v["unit"].as_str().unwrap().into(),
                labels: serde_json::from_value(v["labels"].clone()).unwrap(),
                value: v["value"].as_f64().unwrap(),
            }
        })
        .collect()
}

fn find<'a>(samples: &'a [Sample], family: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    samples
        .iter()
        .filter(|s| {
            s.family == family
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect()
}

fn one<'a>(samples: &'a [Sample], family: &str, labels: &[(&str, &str)]) -> &'a Sample {
    let f = find(samples, family, labels);
    assert_eq!(f.len(), 1, "{family} {labels:?} in {samples:#?}");
    f[0]
}

/// Probe arguments for this `--tls` sandbox, connecting from 127.0.0.2 as a remote
/// client would (Dovecot allows plaintext logins from its own IP).
fn probe_args(d: &Dovecot) -> Vec<String> {
    let mut a = vec!["127.0.0.1".to_string()];
    for s in ["imap", "imaps", "pop3", "pop3s"] {
        a.push(format!("--{s}"));
        a.push(d.var(&format!("SANDBOX_{}_PORT", s.to_uppercase())).into());
    }
    for x in ["--cacert", d.var("SANDBOX_CACERT"), "--source", "127.0.0.2"] {
        a.push(x.into());
    }
    a
}

fn probe(d: &Dovecot, format: &str, extra: &[&str]) -> Out {
    Rd::new()
        .args(["-f", format, "probe"])
        .args(probe_args(d))
        .args(extra)
        .run()
}

/// Replaces the sandbox's server certificate with one from its CA valid for `days`,
/// and reloads Dovecot; returns the new notAfter as Unix time.
fn reissue_certificate(d: &Dovecot, days: u32) -> i64 {
    let tls = std::path::Path::new(d.var("SANDBOX_DIR")).join("tls");
    let run = |args: &[&str]| {
        let o = Command::new("openssl")
            .args(args)
            .current_dir(&tls)
            .output()
            .expect("openssl");
        assert!(
            o.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    run(&[
        "req",
        "-new",
        "-key",
        "server.key",
        "-subj",
        "/CN=localhost",
        "-out",
        "d.csr",
    ]);
    let days = days.to_string();
    run(&[
        "x509",
        "-req",
        "-in",
        "d.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        &days,
        "-sha256",
        "-extfile",
        "ext.cnf",
        "-out",
        "server.pem",
    ]);
    let end = run(&["x509", "-in", "server.pem", "-noout", "-enddate"]);
    let end = end.trim().trim_start_matches("notAfter=");
    let date = Command::new("date")
        .args(["-u", "-d", end, "+%s"])
        .output()
        .unwrap();
    d.reload();
    String::from_utf8_lossy(&date.stdout)
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn nagios_probe_reaches_every_state_and_typed_probe_json() {
    for v in versions() {
        // No plaintext login before TLS: a clean server.
        let d = Dovecot::start(v, &["--tls", "--plaintext", "required-tls"]);

        // OK on a clean server, with perfdata for every port.
        let out = probe(&d, "nagios", &[]).code(0);
        let n = nagios(&out);
        assert_eq!(
            (n.service.as_str(), n.state.as_str()),
            ("PROBE", "OK"),
            "{v}: {}",
            out.stdout
        );
        assert!(n.summary.starts_with("4 port(s) OK"), "{}", n.summary);
        for s in ["imap", "imaps", "pop3", "pop3s"] {
            let days = &n.perf[&format!("{s}_days_left")];
            let left: i64 = days[0].parse().unwrap();
            assert!((364..=365).contains(&left), "{v} {s}: {days:?}");
            assert_eq!(days[1..], ["14", "7"], "{v} {s}");
            for t in ["connect_time", "handshake_time"] {
                let p = &n.perf[&format!("{s}_{t}")];
                let secs: f64 = p[0].strip_suffix('s').expect("UOM s").parse().unwrap();
                assert!((0.0..10.0).contains(&secs), "{v} {s} {t}: {p:?}");
            }
        }
        assert_eq!(n.long.len(), 4, "{}", out.stdout);
        assert!(
            n.long.iter().all(|l| l.starts_with("[OK] ")),
            "{:?}",
            n.long
        );

        // A certificate expiring in 20 days: 19 whole days left (20 when the clock
        // steps back a little after signing, as on some VMs).
        let twenty = |d: &[String]| {
            let n: i64 = d[0].parse().unwrap();
            assert!((19..=20).contains(&n), "{d:?}");
            d[1..].to_vec()
        };
        let not_after = reissue_certificate(&d, 20);
        let deadline = Instant::now() + Duration::from_secs(10);
        let left = loop {
            let j = probe(&d, "json", &["--only", "imaps", "-w", "1", "-c", "0"]).json();
            let left = j[0]["days_left"].as_i64().unwrap();
            if left < 30 || Instant::now() > deadline {
                break left;
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        assert!(
            (19..=20).contains(&left),
            "{v}: days_left {left} after the reload"
        );

        // WARNING through -w, CRITICAL through -c.
        let out = probe(&d, "nagios", &["-w", "30", "-c", "7"]).code(1);
        let n = nagios(&out);
        assert_eq!(n.state, "WARNING", "{v}: {}", out.stdout);
        assert!(
            n.summary.contains("certificate expires in"),
            "{}",
            n.summary
        );
        // No min: days_left goes below 0 once a certificate has expired.
        assert_eq!(twenty(&n.perf["imaps_days_left"]), ["30", "7"]);
        // -w below the default -c 7 alone: -c follows it (was a usage error, 64).
        let out = probe(&d, "nagios", &["-w", "25"]).code(1);
        assert_eq!(twenty(&nagios(&out).perf["imaps_days_left"]), ["25", "7"]);
        let out = probe(&d, "nagios", &["--warn-days", "5"]).code(0);
        assert_eq!(twenty(&nagios(&out).perf["imaps_days_left"]), ["5", "5"]);
        probe(&d, "nagios", &["-w", "5", "-c", "6"]).code(3);
        let out = probe(&d, "nagios", &["--warn-days", "30", "--crit-days", "25"]).code(2);
        let n = nagios(&out);
        assert_eq!(n.state, "CRITICAL", "{v}: {}", out.stdout);
        assert_eq!(twenty(&n.perf["pop3s_days_left"]), ["30", "25"]);
        assert!(
            n.long.iter().all(|l| l.starts_with("[CRITICAL] ")),
            "{:?}",
            n.long
        );
        probe(&d, "nagios", &["-w", "10", "-c", "5"]).code(0);

        // CRITICAL for a closed port.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port().to_string()
        };
        let out = Rd::new()
            .args([
                "-f",
                "nagios",
                "probe",
                "127.0.0.1",
                "--only",
                "imaps",
                "--imaps",
                &closed,
            ])
            .run()
            .code(2);
        let n = nagios(&out);
        assert_eq!(n.state, "CRITICAL");
        assert_eq!(
            n.summary,
            format!("imaps 127.0.0.1:{closed}: connection refused")
        );
        assert!(n.perf.contains_key("imaps_connect_time"), "{}", out.stdout);
        assert!(!n.perf.contains_key("imaps_days_left"), "{}", out.stdout);

        // Typed probe JSON, field by field: an open STARTTLS port, an implicit-TLS
        // port and a closed one.
        let mut a = vec!["--only", "imap,imaps"];
        a.extend(["-w", "1", "-c", "0"]);
        let j = probe(&d, "json", &a).code(0).json();
        let imap = &j[0];
        let imaps = &j[1];
        assert_eq!(imap["host"], "127.0.0.1");
        assert_eq!(imap["port"], json!(d.imap_port()));
        assert_eq!(imap["service"], "imap");
        assert_eq!(imap["state"], "open");
        assert!(
            imap["connect_ms"].is_u64() && imap["handshake_ms"].is_u64(),
            "{imap}"
        );
        assert_eq!(imap["server"], "Dovecot");
        assert_eq!(imap["starttls"], true);
        assert_eq!(
            imaps["starttls"],
            Value::Null,
            "not applicable on implicit TLS"
        );
        for r in [imap, imaps] {
            assert_eq!(r["tls"], true);
            assert!(
                r["tls_version"].as_str().unwrap().starts_with("TLSv1."),
                "{r}"
            );
            assert!(r["cipher"].is_string());
            assert!(r["cert_subject"]
                .as_str()
                .unwrap()
                .starts_with("CN=localhost"));
            assert!(r["cert_issuer"]
                .as_str()
                .unwrap()
                .starts_with("CN=rdoveadm sandbox CA"));
            assert!(r["cert_not_after"].is_string());
            assert!((19..=20).contains(&r["days_left"].as_i64().unwrap()), "{r}");
            assert_eq!(r["verified"], true);
            assert_eq!(r["name_ok"], true);
            assert_eq!(r["problems"], "");
        }
        assert_eq!(imap["plaintext_before_tls"], false);
        assert_eq!(imaps["plaintext_before_tls"], Value::Null);
        let j = Rd::new()
            .args([
                "-f",
                "jsonl",
                "probe",
                "127.0.0.1",
                "--only",
                "imaps",
                "--imaps",
                &closed,
            ])
            .run()
            .code(69);
        let c: Value = serde_json::from_str(j.stdout.trim()).unwrap();
        assert_eq!(c["port"], json!(closed.parse::<u16>().unwrap()));
        assert_eq!(c["state"], "closed");
        for k in [
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
        ] {
            assert_eq!(c[k], Value::Null, "{k}: {c}");
        }
        assert_eq!(c["problems"], "connection refused");

        // OpenMetrics of probe, read by the real parser.
        let out = probe(&d, "openmetrics", &[]).code(0);
        let m = openmetrics(&out.stdout);
        for s in ["imap", "imaps", "pop3", "pop3s"] {
            let port = d
                .var(&format!("SANDBOX_{}_PORT", s.to_uppercase()))
                .to_string();
            let l = [
                ("host", "127.0.0.1"),
                ("port", port.as_str()),
                ("service", s),
            ];
            assert_eq!(one(&m, "rdoveadm_probe_up", &l).value, 1.0);
            assert_eq!(one(&m, "rdoveadm_probe_tls", &l).value, 1.0);
            assert_eq!(one(&m, "rdoveadm_probe_tls_verified", &l).value, 1.0);
            let e = one(&m, "rdoveadm_probe_cert_expiry_timestamp_seconds", &l);
            assert_eq!((e.kind.as_str(), e.unit.as_str()), ("gauge", "seconds"));
            assert_eq!(e.value as i64, not_after, "{v} {s}");
            assert!(one(&m, "rdoveadm_probe_tls_handshake_seconds", &l).value > 0.0);
            assert!(one(&m, "rdoveadm_probe_connect_seconds", &l).value >= 0.0);
            assert_eq!(one(&m, "rdoveadm_probe_problems", &l).value, 0.0);
        }
        for s in ["imap", "pop3"] {
            let f = find(&m, "rdoveadm_probe_plaintext_login", &[("service", s)]);
            assert_eq!(f.len(), 1);
            assert_eq!(f[0].value, 0.0);
        }
    }

    // UNKNOWN: usage errors, clap's and ours, and a command without the format.
    for args in [
        &["-f", "nagios", "probe", "--bogus"][..],
        &["-f", "nagios", "probe", "127.0.0.1", "-w", "5", "-c", "10"],
        &["--format=nagios", "probe"],
        &["-f", "nagios", "mailbox", "list", "-u", "alice"],
        &["-f", "nagios", "quota"],
    ] {
        let out = Rd::new().args(args).run().code(3);
        let n = nagios(&out);
        assert_eq!(n.state, "UNKNOWN", "{args:?}: {}", out.stdout);
        assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
        assert!(
            out.stderr.starts_with("rdoveadm: error: "),
            "{}",
            out.stderr
        );
    }
    let out = Rd::new()
        .env("RDOVEADM_FORMAT", "nagios")
        .args(["quota", "get", "-A", "--url", "http://127.0.0.1:1"])
        .run()
        .code(3);
    let n = nagios(&out);
    assert_eq!((n.service.as_str(), n.state.as_str()), ("QUOTA", "UNKNOWN"));
    assert!(n.summary.contains("127.0.0.1:1"), "{}", n.summary);
}

/// Gives alice and bob, and carol, a limit of 10 messages of their own (passwd-file
/// userdb extra fields), then fills: alice 10 (100%), bob 9 (90%), carol 8 (80%),
/// dave 3 of the default 1000.
fn quota_users(d: &Dovecot) {
    let users = d.var("SANDBOX_USERS_FILE");
    let text = std::fs::read_to_string(users).unwrap();
    // 2.3: a quota_rule; 2.4 has no quota_rule: the limit is the setting
    // quota_message_count, which a userdb field overrides once the instance's config
    // sets the limits outside the `quota "User quota"` filter.
    let field = if d.version() == "2.3" {
        "userdb_quota_rule=*:messages=10"
    } else {
        let conf = d.var("SANDBOX_CONF");
        let c = std::fs::read_to_string(conf).unwrap();
        let c = c
            .replace("  storage_size = 10M\n", "")
            .replace("  message_count = 1000\n", "");
        std::fs::write(
            conf,
            format!("{c}quota_storage_size = 10M\nquota_message_count = 1000\n"),
        )
        .unwrap();
        d.reload();
        "userdb_quota_message_count=10"
    };
    let text: String = text
        .lines()
        .map(|l| {
            if ["alice@", "bob@", "carol@"]
                .iter()
                .any(|u| l.starts_with(u))
            {
                format!("{l}{field}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(users, text).unwrap();
    for (user, pw, n) in [
        ("alice@example.org", "alicepw", 10),
        ("bob@example.org", "bobpw", 9),
        ("carol@example.org", "carolpw", 8),
        ("dave@other.test", "davepw", 3),
    ] {
        let mut s = d.imap_login(user, pw);
        for i in 0..n {
            s.append(
                "INBOX",
                &format!("From: x@example.org\nSubject: {i}\n\nbody {i}\n"),
            );
        }
    }
}

/// `rd ARGS`, which must succeed, with stdout parsed as JSON.
fn json_of(rd: &Rd, args: &[&str]) -> Value {
    rd.clone().args(args).run().ok().json()
}

fn usernames(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["username"].as_str().unwrap().to_string(),
                r["percent"].to_string(),
            )
        })
        .collect()
}

#[test]
fn quota_over_nagios_openmetrics_typed_and_who_with_real_logins() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        quota_users(&d);
        let rd = d.rdoveadm();

        // --over 90: exactly the users at or over 90%, highest first.
        let j = json_of(&rd, &["-f", "json", "quota", "get", "-A", "--over", "90"]);
        let got = usernames(&j);
        let want = [
            ("alice@example.org", "\"100\""),
            ("bob@example.org", "\"90\""),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(got, want, "{v}: {j}");
        for r in j.as_array().unwrap() {
            assert_eq!(r["type"], "MESSAGE");
            assert_eq!(r["limit"], "10");
        }
        let j = json_of(
            &rd,
            &[
                "-f",
                "json",
                "quota",
                "get",
                "-A",
                "--over",
                "80",
                "--parallel",
                "1",
            ],
        );
        assert_eq!(usernames(&j).len(), 3, "{v}: {j}");
        let file =
            std::env::temp_dir().join(format!("rdoveadm-it-over-{}-{v}", std::process::id()));
        std::fs::write(
            &file,
            "carol@example.org\nalice@example.org\ndave@other.test\n",
        )
        .unwrap();
        let j = json_of(
            &rd,
            &[
                "-f",
                "json",
                "quota",
                "get",
                "-F",
                file.to_str().unwrap(),
                "--over",
                "90",
            ],
        );
        assert_eq!(usernames(&j), want[..1], "{v}: {j}");
        let _ = std::fs::remove_file(&file);
        let t = rd
            .clone()
            .args([
                "-f",
                "tab",
                "quota",
                "get",
                "-u",
                "bob@example.org",
                "--over",
                "90",
            ])
            .run()
            .ok();
        assert_eq!(
            t.stdout, "Quota name\tType\tValue\tLimit\t%\nUser quota\tMESSAGE\t9\t10\t90\n",
            "{v}"
        );

        // --typed, field by field.
        let j = json_of(
            &rd,
            &[
                "--typed",
                "-f",
                "json",
                "quota",
                "get",
                "-u",
                "dave@other.test",
            ],
        );
        assert_eq!(
            j,
            json!([
                {"root": "User quota", "type": "STORAGE", "value": j[0]["value"], "limit": 10240, "percent": 0},
                {"root": "User quota", "type": "MESSAGE", "value": 3, "limit": 1000, "percent": 0}
            ]),
            "{v}"
        );
        assert!(j[0]["value"].as_u64().unwrap() > 0, "{j}");
        let j = rd
            .clone()
            .args([
                "--typed", "-f", "jsonl", "quota", "get", "-A", "--over", "100",
            ])
            .run()
            .ok();
        let r: Value = serde_json::from_str(j.stdout.trim()).unwrap();
        assert_eq!(
            r,
            json!({"username": "alice@example.org", "root": "User quota", "type": "MESSAGE", "value": 10, "limit": 10, "percent": 100})
        );
        if v == "2.3" {
            // alice's own rule has no storage limit: Dovecot 2.3 says `-`, typed null.
            let j = json_of(
                &rd,
                &[
                    "--typed",
                    "-f",
                    "json",
                    "quota",
                    "get",
                    "-u",
                    "alice@example.org",
                ],
            );
            assert_eq!(j[0]["type"], "STORAGE");
            assert_eq!(j[0]["limit"], Value::Null, "{j}");
            let plain = json_of(
                &rd,
                &["-f", "json", "quota", "get", "-u", "alice@example.org"],
            );
            assert_eq!(plain[0]["limit"], "-", "without --typed: Dovecot's text");
        }

        let status = ["mailbox", "status", "-u", "alice@example.org"];
        let fields = "messages unseen vsize uidvalidity guid";
        let j = json_of(
            &rd,
            &[&["--typed", "-f", "json"][..], &status, &[fields, "INBOX"]].concat(),
        );
        assert_eq!(
            (&j[0]["messages"], &j[0]["unseen"]),
            (&json!(10), &json!(10)),
            "{j}"
        );
        assert!(
            j[0]["vsize"].is_u64() && j[0]["uidvalidity"].is_u64(),
            "{j}"
        );
        assert!(
            j[0]["guid"].is_string() && j[0]["mailbox"] == "INBOX",
            "{j}"
        );

        // Nagios: CRITICAL at or over -c, WARNING at or over -w, counts as perfdata.
        let out = rd
            .clone()
            .args(["-f", "nagios", "quota", "get", "-A"])
            .run()
            .code(2);
        let n = nagios(&out);
        assert_eq!(
            (n.service.as_str(), n.state.as_str()),
            ("QUOTA", "CRITICAL"),
            "{v}"
        );
        assert_eq!(n.perf["users"], ["6", "", "", "0"]);
        assert_eq!(n.perf["users_over_warning"], ["3", "", "", "0", "6"]);
        assert_eq!(n.perf["users_over_critical"], ["1", "", "", "0", "6"]);
        assert_eq!(n.perf["highest_percent"], ["100%", "80", "95", "0", "100"]);
        assert_eq!(
            n.long[0],
            "[CRITICAL] alice@example.org: User quota MESSAGE 100% (10 of 10)"
        );
        assert_eq!(n.long.len(), 3, "{}", out.stdout);
        let out = rd
            .clone()
            .args([
                "-f", "nagios", "quota", "get", "-A", "-w", "85", "-c", "101",
            ])
            .run()
            .code(1);
        let n = nagios(&out);
        assert_eq!(n.state, "WARNING");
        assert_eq!(n.perf["users_over_warning"][0], "2");
        assert_eq!(n.perf["users_over_critical"][0], "0");
        let out = rd
            .clone()
            .args(["-f", "nagios", "quota", "get", "-u", "dave@other.test"])
            .run()
            .code(0);
        assert!(
            out.stdout
                .starts_with("QUOTA OK - 1 user(s), none at or over 80%; highest 0%|"),
            "{}",
            out.stdout
        );
        rd.clone()
            .args(["quota", "get", "-A", "-w", "80"])
            .run()
            .code(64);

        // OpenMetrics of quota get -A.
        let out = rd
            .clone()
            .args(["-f", "openmetrics", "quota", "get", "-A"])
            .run()
            .ok();
        let m = openmetrics(&out.stdout);
        let alice = [("user", "alice@example.org"), ("root", "User quota")];
        assert_eq!(one(&m, "dovecot_quota_messages_used", &alice).value, 10.0);
        assert_eq!(one(&m, "dovecot_quota_messages_limit", &alice).value, 10.0);
        let dave = [("user", "dave@other.test"), ("root", "User quota")];
        let s = one(&m, "dovecot_quota_storage_limit_bytes", &dave);
        assert_eq!(
            (s.value, s.unit.as_str()),
            (10.0 * 1024.0 * 1024.0, "bytes")
        );
        let used = one(&m, "dovecot_quota_storage_used_bytes", &dave).value;
        assert!(used > 0.0 && used % 1024.0 == 0.0, "KiB in bytes: {used}");
        assert_eq!(find(&m, "dovecot_quota_messages_used", &[]).len(), 6);
        if v == "2.3" {
            assert!(
                find(&m, "dovecot_quota_storage_limit_bytes", &alice).is_empty(),
                "unlimited: no sample"
            );
        }

        // Fan-out: a `server` label, and nagios names the servers, worst state winning.
        let other = d.url().replace("127.0.0.1", "localhost");
        let fan = Rd::new().env("RDOVEADM_PASSWORD", d.password()).args([
            "--url",
            d.url(),
            "--url",
            &other,
            "--url",
            "http://127.0.0.1:1",
        ]);
        let out = fan
            .clone()
            .args(["-f", "openmetrics", "quota", "get", "-A"])
            .run()
            .code(75);
        let m = openmetrics(&out.stdout);
        // A URL's server name is its host and port.
        let name = |u: &str| {
            let rest = u.split("://").nth(1).unwrap();
            rest.split('/').next().unwrap().to_string()
        };
        let (s1, s2) = (name(d.url()), name(&other));
        for server in [s1.as_str(), s2.as_str()] {
            let l = [("server", server), ("user", "bob@example.org")];
            assert_eq!(
                one(&m, "dovecot_quota_messages_used", &l).value,
                9.0,
                "{server}"
            );
        }
        let out = fan
            .args(["-f", "nagios", "quota", "get", "-A"])
            .run()
            .code(2);
        let n = nagios(&out);
        assert_eq!(n.state, "CRITICAL", "{}", out.stdout);
        assert!(
            n.summary
                .starts_with("3 servers: 0 OK, 0 WARNING, 2 CRITICAL, 1 UNKNOWN; "),
            "{}",
            n.summary
        );
        let label = |u: &str| {
            u.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        };
        for server in [&s1, &s2] {
            let p = &n.perf[&format!("{}_users_over_critical", label(server))];
            assert_eq!(p[0], "1", "{}", out.stdout);
        }
        assert!(
            n.summary.contains("127.0.0.1:1: cannot connect"),
            "{}",
            n.summary
        );
        let line = format!(
            "{s1}: CRITICAL - 1 user(s) at or over 95%, 3 at or over 80%: \
             alice@example.org 100%, bob@example.org 90%, carol@example.org 80%"
        );
        assert!(n.long.contains(&line), "{:?}", n.long);

        // who with real IMAP and POP3 logins.
        let _a1 = d.imap_login("alice@example.org", "alicepw");
        let _a2 = d.imap_login("alice@example.org", "alicepw");
        let _b = d.imap_login("bob@example.org", "bobpw");
        let _c = d.pop3_login("carol@example.org", "carolpw");
        d.wait_for_connections(4);
        let out = rd.clone().args(["-f", "openmetrics", "who"]).run().ok();
        let m = openmetrics(&out.stdout);
        assert_eq!(m.len(), 3, "{}", out.stdout);
        for (u, s, n) in [
            ("alice@example.org", "imap", 2.0),
            ("bob@example.org", "imap", 1.0),
            ("carol@example.org", "pop3", 1.0),
        ] {
            assert_eq!(
                one(&m, "dovecot_sessions", &[("user", u), ("service", s)]).value,
                n
            );
        }
        let out = rd
            .clone()
            .args(["-f", "openmetrics", "who", "-1"])
            .run()
            .ok();
        assert_eq!(
            openmetrics(&out.stdout)
                .iter()
                .map(|s| s.value)
                .sum::<f64>(),
            4.0
        );
        let out = rd.clone().args(["-f", "nagios", "who"]).run().code(0);
        let n = nagios(&out);
        assert_eq!((n.service.as_str(), n.state.as_str()), ("WHO", "OK"));
        assert_eq!(n.summary, "4 sessions of 3 users (3 imap, 1 pop3)");
        assert_eq!(n.perf["sessions"][0], "4");
        assert_eq!(n.perf["users"][0], "3");
        assert_eq!(n.perf["imap_sessions"][0], "3");
        assert_eq!(n.perf["pop3_sessions"][0], "1");
        let j = json_of(&rd, &["--typed", "-f", "json", "who"]);
        let alice = j
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["username"] == "alice@example.org")
            .unwrap();
        assert_eq!(alice["connections"], 2, "{alice}");
        assert!(
            alice["service"].is_string() && alice["pids"].is_string(),
            "{alice}"
        );
        let j = json_of(&rd, &["--typed", "-f", "json", "who", "-1"]);
        assert!(
            j.as_array()
                .unwrap()
                .iter()
                .all(|r| r["pid"].is_u64() && r["ip"].is_string()),
            "{j}"
        );
    }
}

/// The reviewer's defects, each in the form an admin meets it: `-c` alone, a failing
/// user among good ones in nagios and openmetrics, `-F -` and an empty result under
/// fan-out, `--over 0` and unlimited roots, `users=` under `--over`.
#[test]
fn quota_partial_failures_thresholds_and_fan_out_of_stdin() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        quota_users(&d);
        let rd = d.rdoveadm();

        // -c below the default -w 80, alone: -w follows it (was a usage error).
        let out = rd
            .clone()
            .args(["-f", "nagios", "quota", "get", "-A", "-c", "50"])
            .run()
            .code(2);
        let n = nagios(&out);
        assert_eq!(n.perf["highest_percent"], ["100%", "50", "50", "0", "100"]);
        assert_eq!(n.perf["users_over_warning"][0], "3", "{}", out.stdout);

        // users= counts the users checked, also with --over leaving some out.
        let out = rd
            .clone()
            .args(["-f", "nagios", "quota", "get", "-A", "--over", "90"])
            .run()
            .code(2);
        assert_eq!(nagios(&out).perf["users"][0], "6", "{}", out.stdout);

        // A user that fails among users that work: their rows still count.
        let stdin = "bob@example.org\nnosuch\n";
        let out = rd
            .clone()
            .stdin(stdin)
            .args(["-f", "nagios", "quota", "get", "-F", "-"])
            .run()
            .code(1);
        let n = nagios(&out);
        assert_eq!(n.state, "WARNING", "{v}: {}", out.stdout);
        assert!(
            n.summary
                .starts_with("0 user(s) at or over 95%, 1 at or over 80%: bob@example.org 90%"),
            "{}",
            n.summary
        );
        assert!(
            n.summary.ends_with("; 1 user(s) not checked: nosuch"),
            "{}",
            n.summary
        );
        assert_eq!(n.perf["users"][0], "1");
        let unknown = n
            .long
            .iter()
            .find(|l| l.starts_with("[UNKNOWN] nosuch: not checked: "))
            .unwrap_or_else(|| panic!("{:?}", n.long));
        assert!(unknown.contains("no such user"), "{unknown}");
        assert!(!out.stderr.contains("exit code"), "{}", out.stderr);
        let out = rd
            .clone()
            .stdin(stdin)
            .args([
                "-f", "nagios", "quota", "get", "-F", "-", "-w", "95", "-c", "99",
            ])
            .run()
            .code(3);
        assert_eq!(nagios(&out).state, "UNKNOWN", "{}", out.stdout);
        // CRITICAL still wins over UNKNOWN.
        let out = rd
            .clone()
            .stdin("alice@example.org\nnosuch\n")
            .args(["-f", "nagios", "quota", "get", "-F", "-"])
            .run()
            .code(2);
        assert_eq!(nagios(&out).state, "CRITICAL", "{}", out.stdout);

        // OpenMetrics: the samples it has, the failure on stderr and in the exit code;
        // a user listed twice is one series.
        let out = rd
            .clone()
            .stdin("bob@example.org\nnosuch\nbob@example.org\n")
            .args(["-f", "openmetrics", "quota", "get", "-F", "-"])
            .run()
            .code(67);
        let m = openmetrics(&out.stdout);
        let bob = [("user", "bob@example.org"), ("root", "User quota")];
        assert_eq!(one(&m, "dovecot_quota_messages_used", &bob).value, 9.0);
        assert_eq!(find(&m, "dovecot_quota_messages_used", &[]).len(), 1);
        assert!(out.stderr.contains("`nosuch`"), "{}", out.stderr);

        // --over 0: an unlimited root (limit `-`, percent 0) never matches.
        let j = json_of(&rd, &["-f", "json", "quota", "get", "-A", "--over", "0"]);
        for r in j.as_array().unwrap() {
            let limit: u64 = r["limit"].as_str().unwrap().parse().unwrap_or(0);
            assert!(limit > 0, "{v}: {r}");
        }
        if v == "2.3" {
            // alice's own rule has no storage limit.
            let alice: Vec<&Value> = j
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["username"] == "alice@example.org")
                .collect();
            assert_eq!(alice.len(), 1, "{j}");
            assert_eq!(alice[0]["type"], "MESSAGE");
        }

        // --typed is per command: a metadata value or a setting stays text.
        let api = |args: &[&str]| rd.clone().args(["--typed", "-f", "json", "api"]).args(args);
        for value in ["007", "-", "42"] {
            api(&[
                "mailbox metadata set",
                "user=alice@example.org",
                "mailbox=INBOX",
                "key=/private/comment",
                &format!("value={value}"),
            ])
            .run()
            .ok();
            let out = api(&[
                "mailboxMetadataGet",
                "user=alice@example.org",
                "mailbox=INBOX",
                "key=/private/comment",
            ])
            .run()
            .ok();
            assert_eq!(out.json()[0]["value"], value, "{v}: {}", out.stdout);
        }
        let j = json_of(&rd, &["--typed", "-f", "json", "server", "info"]);
        let commands = j
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "commands")
            .unwrap_or_else(|| panic!("{j}"));
        assert!(commands["value"].is_string(), "{commands}");
        let out = api(&["quotaGet", "user=dave@other.test"]).run().ok();
        assert_eq!(out.json()[1]["value"], 3, "{v}: {}", out.stdout);

        // Fan-out: `-F -` reaches every server; an empty result is still whole.
        let other = d.url().replace("127.0.0.1", "localhost");
        let fan = Rd::new().env("RDOVEADM_PASSWORD", d.password()).args([
            "--url",
            d.url(),
            "--url",
            &other,
        ]);
        let out = fan
            .clone()
            .stdin("bob@example.org\ncarol@example.org\n")
            .args(["-f", "json", "quota", "get", "-F", "-"])
            .run()
            .ok();
        let j = out.json();
        let mut seen: Vec<(String, String)> = j
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["type"] == "MESSAGE")
            .map(|r| {
                (
                    r["server"].as_str().unwrap().to_string(),
                    r["username"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        seen.sort();
        assert_eq!(seen.len(), 4, "{v}: {j}");
        let out = fan
            .clone()
            .args([
                "-f",
                "openmetrics",
                "quota",
                "get",
                "-u",
                "dave@other.test",
                "--over",
                "100",
            ])
            .run()
            .ok();
        assert_eq!(out.stdout, "# EOF\n");
        let out = fan
            .clone()
            .args([
                "-f",
                "json",
                "quota",
                "get",
                "-u",
                "dave@other.test",
                "--over",
                "100",
            ])
            .run()
            .ok();
        assert_eq!(out.json(), json!([]), "{}", out.stdout);
        // A command that prints no rows prints nothing, also under fan-out.
        let out = fan.clone().args(["-f", "json", "reload"]).run().ok();
        assert_eq!(out.stdout, "");
        // Typed under fan-out too.
        let j = fan
            .clone()
            .args([
                "--typed",
                "-f",
                "json",
                "quota",
                "get",
                "-u",
                "dave@other.test",
            ])
            .run()
            .ok()
            .json();
        let messages: Vec<&Value> = j
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["type"] == "MESSAGE")
            .map(|r| &r["value"])
            .collect();
        assert_eq!(messages, [&json!(3), &json!(3)], "{v}: {j}");
    }
}
