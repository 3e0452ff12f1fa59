//! Several servers at once (fan-out), parallel `-A`, streaming output and early close.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::harness::{versions, Dovecot, Rd};

/// A config file with one profile per sandbox (each has its own password) and a group.
fn config_for(servers: &[(&str, &Dovecot)]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for (name, d) in servers {
        text.push_str(&format!(
            "[servers.{name}]\nurl = \"{}\"\npassword_file = \"{}\"\n\n",
            d.url(),
            d.var("SANDBOX_PASSWORD_FILE")
        ));
    }
    text.push_str(&format!(
        "[groups.all3]\nservers = [{}]\n",
        servers
            .iter()
            .map(|(n, _)| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    // Whatever the umask: a config that others can write is refused (as ssh does).
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let p = path.to_str().unwrap().to_string();
    (dir, p)
}

fn rd(config: &str) -> Rd {
    Rd::new().env("RDOVEADM_CONFIG", config)
}

#[test]
fn merged_who_kick_and_a_server_down() {
    let v = versions();
    // Three instances; with both versions selected the fleet is mixed, as real fleets are.
    let a = Dovecot::start(v[0], &[]);
    let b = Dovecot::start(v[v.len() - 1], &[]);
    let c = Dovecot::start(v[0], &[]);
    let _sa = (
        a.imap_login("alice@example.org", "alicepw"),
        a.pop3_login("bob@example.org", "bobpw"),
    );
    let mut sb = b.imap_login("bob@example.org", "bobpw");
    let _sc = c.imap_login("carol@example.org", "carolpw");
    a.wait_for_connections(2);
    b.wait_for_connections(1);
    c.wait_for_connections(1);
    let (_dir, cfg) = config_for(&[("mx1", &a), ("mx2", &b), ("mx3", &c)]);

    // Merged who: a `server` field; with --ordered in server order then each server's
    // order; without, each server's rows as it answers (the same rows, a server's together).
    let triples = |out: &crate::harness::Out| -> Vec<(String, String, String)> {
        out.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["server"].as_str().unwrap().into(),
                    r["username"].as_str().unwrap().into(),
                    r["service"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let out = rd(&cfg)
        .args(["-f", "json", "--ordered", "-s", "all3", "who"])
        .run()
        .ok();
    let rows = triples(&out);
    let mut streamed = triples(
        &rd(&cfg)
            .args(["-f", "json", "-s", "all3", "who"])
            .run()
            .ok(),
    );
    let mx1_at = streamed.iter().position(|r| r.0 == "mx1").unwrap();
    assert_eq!(streamed[mx1_at + 1].0, "mx1", "{streamed:?}");
    streamed.sort();
    let want: Vec<(String, String, String)> = [
        ("mx1", "alice@example.org", "imap"),
        ("mx1", "bob@example.org", "pop3"),
        ("mx2", "bob@example.org", "imap"),
        ("mx3", "carol@example.org", "imap"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(rows, want);
    assert_eq!(streamed, want);
    // tab: `server` is the first column, then doveadm's titles (of mx1's and mx3's version).
    let out = rd(&cfg)
        .args(["-f", "tab", "--server", "mx1,mx3", "who"])
        .run()
        .ok();
    let proto = if v[0] == "2.3" { "proto" } else { "service" };
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        format!("server\tusername\t#\t{proto}\t(pids)\t(ips)")
    );
    assert_eq!(out.stdout.lines().count(), 4);

    // kick --dry-run across servers: shows every matching session, kicks nothing.
    let out = rd(&cfg)
        .args([
            "-f",
            "json",
            "--ordered",
            "--all-servers",
            "kick",
            "--dry-run",
            "bob*",
        ])
        .run()
        .ok();
    let j = out.json();
    let servers: Vec<&str> = j
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["server"].as_str().unwrap())
        .collect();
    assert_eq!(servers, ["mx1", "mx2"]);
    assert!(out.stderr.contains("nothing was kicked"));
    assert!(sb.alive());
    a.wait_for_connections(2);
    // kick across servers removes exactly bob's sessions on mx1 and mx2.
    let out = rd(&cfg)
        .args([
            "-f",
            "tab",
            "--no-header",
            "--ordered",
            "-s",
            "all3",
            "kick",
            "--yes",
            "bob@example.org",
        ])
        .run();
    // mx3 has no bob: exit 68 for it (first failing server), the others kicked.
    assert_eq!(out.code, 68, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "mx1\tbob@example.org\t1\nmx2\tbob@example.org\t1\n"
    );
    assert!(
        out.stderr
            .contains("rdoveadm: error: server `mx3`: kick: no session matched"),
        "{}",
        out.stderr
    );
    a.wait_for_connections(1);
    b.wait_for_connections(0);
    assert!(!sb.alive());

    // One server down mid-run: the others' rows still print, the failure is one line, exit 75.
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!("{} stop", b.var("SANDBOX_DOVEADM")))
        .status()
        .unwrap();
    assert!(st.success());
    std::thread::sleep(std::time::Duration::from_secs(2));
    let out = rd(&cfg)
        .args([
            "-f",
            "tab",
            "--no-header",
            "-s",
            "all3",
            "--timeout",
            "5",
            "who",
        ])
        .run()
        .code(75);
    let mut users: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split('\t').nth(1).unwrap())
        .collect();
    users.sort();
    assert_eq!(users, ["alice@example.org", "carol@example.org"]);
    let errs: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(errs.len(), 1, "{}", out.stderr);
    assert!(errs[0].contains("server `mx2`"), "{}", errs[0]);
}

/// Rows as a multiset of their JSON text.
fn multiset(v: &Value) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in v.as_array().unwrap() {
        *m.entry(r.to_string()).or_default() += 1;
    }
    m
}

#[test]
fn parallel_all_users_equals_plain_all_users() {
    for v in versions() {
        let d = Dovecot::start(v, &["--users", "1200"]);
        let plain = d
            .rdoveadm()
            .args(["-f", "json", "quota", "get", "-A", "--parallel", "1"])
            .run()
            .ok()
            .json();
        let sharded = d
            .rdoveadm()
            .args(["-f", "json", "quota", "get", "-A", "--parallel", "10"])
            .run()
            .ok()
            .json();
        assert_eq!(plain.as_array().unwrap().len(), 2 * (1200 + 6), "{v}");
        assert_eq!(
            multiset(&plain),
            multiset(&sharded),
            "{v}: sharded -A differs from plain -A"
        );
        // Users whose names are prefixes of others (ann@, anna@) are each there once.
        for u in ["ann@prefix.test", "anna@prefix.test"] {
            let n = sharded
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["username"] == u)
                .count();
            assert_eq!(n, 2, "{u}");
        }
        let plain = d
            .rdoveadm()
            .args(["-f", "json", "mailbox", "list", "-A", "--parallel", "1"])
            .run()
            .ok()
            .json();
        let sharded = d
            .rdoveadm()
            .args(["-f", "json", "mailbox", "list", "-A", "--parallel", "7"])
            .run()
            .ok()
            .json();
        assert_eq!(multiset(&plain), multiset(&sharded));
    }
}

/// A fake doveadm that can't list users (`user *` fails) but answers `-A` itself.
fn no_iterate_server() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in l.incoming().take(4) {
            let Ok(mut c) = conn else { continue };
            let mut buf = vec![0u8; 8192];
            let n = c.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            let body = if req.contains("\"user\"") && req.contains("userMask") {
                r#"[["error",{"type":"exitCode","exitCode":75},"t"]]"#.to_string()
            } else if req.contains("allUsers") {
                r#"[["doveadmResponse",[{"username":"a@x","mailbox":"INBOX"},{"username":"b@x","mailbox":"INBOX"}],"t"]]"#.to_string()
            } else {
                r#"[["error",{"type":"exitCode","exitCode":64},"t"]]"#.to_string()
            };
            let _ = write!(
                c,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn parallel_all_users_falls_back_when_the_userdb_cannot_list() {
    let url = no_iterate_server();
    let out = Rd::new()
        .env("RDOVEADM_URL", &url)
        .env("RDOVEADM_PASSWORD", "x")
        .args(["-f", "tab", "--no-header", "mailbox", "list", "-A"])
        .run()
        .ok();
    assert_eq!(out.stdout, "a@x\tINBOX\nb@x\tINBOX\n");
    assert!(
        out.stderr
            .contains("note: cannot list the users to split -A"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1);
}

#[test]
fn early_close_exits_zero_and_json_formats_parse() {
    let d = Dovecot::start(versions()[0], &["--users", "300"]);
    // `| head -c 100`: the reader goes away; rdoveadm exits 0, says nothing.
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} -f json quota get -A | head -c 100 >/dev/null; echo \"rc=${{PIPESTATUS:-$?}}\"",
            env!("CARGO_BIN_EXE_rdoveadm")
        ))
        .env("RDOVEADM_URL", d.url())
        .env("RDOVEADM_PASSWORD", d.password())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; {} -f json quota get -A | head -c 100 >/dev/null",
            env!("CARGO_BIN_EXE_rdoveadm")
        ))
        .env("RDOVEADM_URL", d.url())
        .env("RDOVEADM_PASSWORD", d.password())
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(0));
    // json is one valid array; jsonl one valid object per line; same rows.
    let j = d
        .rdoveadm()
        .args(["-f", "json", "quota", "get", "-A"])
        .run()
        .ok()
        .json();
    let out = d
        .rdoveadm()
        .args(["-f", "jsonl", "quota", "get", "-A"])
        .run()
        .ok();
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl line"))
        .collect();
    assert_eq!(lines.len(), 2 * 306);
    assert_eq!(multiset(&Value::Array(lines)), multiset(&j));
}

#[test]
fn watch_redraws_until_interrupted_and_progress_only_on_a_terminal() {
    let v = versions();
    let a = Dovecot::start(v[0], &[]);
    let b = Dovecot::start(v[v.len() - 1], &[]);
    let _s = a.imap_login("alice@example.org", "alicepw");
    a.wait_for_connections(1);
    let (_dir, cfg) = config_for(&[("mx1", &a), ("mx2", &b)]);
    // Interrupted after ~2.5 s with SIGINT (Ctrl-C): exit 0, at least two redraws of the merged rows.
    let out = Command::new("timeout")
        .args([
            "--preserve-status",
            "-s",
            "INT",
            "2.5",
            env!("CARGO_BIN_EXE_rdoveadm"),
            "-f",
            "tab",
            "-s",
            "mx1,mx2",
            "who",
            "--watch",
            "1",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("RDOVEADM_CONFIG", &cfg)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.matches("\x1b[H\x1b[2J").count() >= 2, "{text:?}");
    assert!(
        text.matches("mx1\talice@example.org\t1\timap").count() >= 2,
        "{text:?}"
    );
    // Progress goes to stderr only when stderr is a terminal: none here...
    let out = rd(&cfg).args(["-s", "mx1,mx2", "who"]).run().ok();
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    // ...and on a terminal a bar with servers done / total (cleared at the end).
    let shown = Command::new("script")
        .args([
            "-qec",
            &format!(
                "env -i PATH=/usr/bin:/bin RDOVEADM_CONFIG={cfg} {} -f tab -s mx1,mx2 who",
                env!("CARGO_BIN_EXE_rdoveadm")
            ),
            "/dev/null",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&shown.stdout);
    assert!(screen.contains("/2 servers"), "{screen:?}");
}
