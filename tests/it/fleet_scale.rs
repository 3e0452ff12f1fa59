//! Fan-out at scale, against stand-in servers written here (127.0.0.1 only): rows
//! streamed as each server answers (a slow first server holds back nobody), hundreds
//! of servers with some unreachable (one error line each, the documented exit code in
//! every format), and `--servers-file` (a file, stdin, a config group's file).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::fake::read_request;
use crate::harness::{versions, Dovecot, Rd};

/// How a stand-in answers every request.
#[derive(Clone)]
struct Answer {
    delay: Duration,
    /// The `who` rows, or a doveadm error with this exit code.
    reply: Result<Value, i32>,
    /// When set, a request without exactly this `Authorization` header gets 401.
    authorization: Option<String>,
}

impl Answer {
    fn rows(delay_ms: u64) -> Answer {
        Answer {
            delay: Duration::from_millis(delay_ms),
            reply: Ok(json!([
                {"username": "alice@example.org", "connections": "1", "service": "imap", "pids": "(1)", "ips": "(192.0.2.1)"},
                {"username": "bob@example.org", "connections": "1", "service": "pop3", "pids": "(2)", "ips": "(192.0.2.2)"},
            ])),
            authorization: None,
        }
    }
}

/// A stand-in doveadm HTTP API server; its threads end with the test process.
/// Returns `http://127.0.0.1:PORT`.
fn standin(answer: Answer) -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind stand-in");
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(c) = conn else { continue };
            let a = answer.clone();
            std::thread::spawn(move || serve(c, &a));
        }
    });
    url
}

fn serve(mut c: TcpStream, a: &Answer) {
    let Some(head) = read_request(&mut c, Duration::from_secs(10)) else {
        return;
    };
    std::thread::sleep(a.delay);
    let authorized = a.authorization.as_ref().map_or(true, |want| {
        head.lines()
            .any(|l| l.eq_ignore_ascii_case(&format!("authorization: {want}")))
    });
    let (status, body) = match (&a.reply, authorized) {
        (_, false) => ("401 Unauthorized", String::new()),
        (Ok(rows), true) => (
            "200 OK",
            json!([["doveadmResponse", rows, "rdoveadm"]]).to_string(),
        ),
        (Err(code), true) => (
            "200 OK",
            json!([["error", {"type": "exitCode", "exitCode": code}, "rdoveadm"]]).to_string(),
        ),
    };
    let _ = write!(
        c,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A URL nothing answers: a TCP socket bound to 127.0.0.1 but not listening, kept open
/// (so no other test can take the port), refuses every connection at once.
fn unreachable() -> (String, Refuser) {
    // SAFETY: plain socket calls on a descriptor this function owns; checked results.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(
            libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len),
            0
        );
        let mut len2 = len;
        assert_eq!(
            libc::getsockname(fd, &mut addr as *mut _ as *mut libc::sockaddr, &mut len2),
            0
        );
        let port = u16::from_be(addr.sin_port);
        (format!("http://127.0.0.1:{port}"), Refuser(fd))
    }
}

/// Closes the bound socket of [`unreachable`] on drop.
struct Refuser(i32);

impl Drop for Refuser {
    fn drop(&mut self) {
        // SAFETY: the descriptor is ours and closed once.
        unsafe { libc::close(self.0) };
    }
}

/// A servers file (mode 0644) with these lines.
fn servers_file(lines: &[String]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleet.txt");
    let mut text = String::from("# the fleet\n\n");
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let p = path.to_str().unwrap().to_string();
    (dir, p)
}

/// `HOST:PORT`, the `server` value of a URL's rows.
fn name(url: &str) -> String {
    url.trim_start_matches("http://").to_string()
}

/// Runs rdoveadm with stdout piped and returns each stdout line with the time it was read.
fn timed_lines(args: &[&str]) -> (Vec<(Duration, String)>, i32) {
    let home = std::env::temp_dir().join("rdoveadm-it-home");
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rdoveadm"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("RDOVEADM_PASSWORD", "x")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        lines.push((start.elapsed(), line.unwrap()));
    }
    let status = child.wait().unwrap();
    (lines, status.code().unwrap_or(-1))
}

#[test]
fn a_slow_first_server_holds_back_nobody() {
    let slow = standin(Answer::rows(2000));
    let fast: Vec<String> = (0..7).map(|_| standin(Answer::rows(0))).collect();
    let mut all = vec![slow.clone()];
    all.extend(fast.iter().cloned());
    let (_d, file) = servers_file(&all);

    let (lines, code) = timed_lines(&["-f", "jsonl", "--servers-file", &file, "who"]);
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 16, "{lines:?}");
    let server = |l: &str| {
        serde_json::from_str::<Value>(l).unwrap()["server"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (others, slow_rows): (Vec<_>, Vec<_>) =
        lines.iter().partition(|(_, l)| server(l) != name(&slow));
    assert_eq!(others.len(), 14);
    for (t, l) in &others {
        assert!(*t < Duration::from_millis(500), "{t:?}: {l}");
        assert!(l.starts_with("{\"server\":"), "{l}");
    }
    // The slow server's rows follow when it answers, after everyone else's.
    assert_eq!(slow_rows.len(), 2);
    for (t, _) in &slow_rows {
        assert!(*t >= Duration::from_millis(1900), "{t:?}");
    }
    assert!(lines[14..].iter().all(|(_, l)| server(l) == name(&slow)));

    // tab streams too, with the header first and the command's titles (doveadm's; the
    // stand-ins name no version: 2.3's).
    let (lines, code) = timed_lines(&["-f", "tab", "--servers-file", &file, "who"]);
    assert_eq!(code, 0);
    assert_eq!(lines[0].1, "server\tusername\t#\tproto\t(pids)\t(ips)");
    assert!(lines[14].0 < Duration::from_millis(500), "{lines:?}");
    assert_eq!(lines.len(), 17);

    // --ordered (and table) keep server order: the slow server's rows come first.
    let (lines, code) = timed_lines(&["-f", "jsonl", "--ordered", "--servers-file", &file, "who"]);
    assert_eq!(code, 0);
    let order: Vec<String> = lines.iter().map(|(_, l)| server(l)).collect();
    let want: Vec<String> = all.iter().flat_map(|u| [name(u), name(u)]).collect();
    assert_eq!(order, want);
    assert!(lines[0].0 >= Duration::from_millis(1900));
}

#[test]
fn hundreds_of_servers_with_sixteen_down() {
    let mut urls = Vec::new();
    let mut down = Vec::new();
    let mut refusers = Vec::new();
    for i in 0..256 {
        if i % 16 == 5 {
            let (u, r) = unreachable();
            down.push(name(&u));
            refusers.push(r);
            urls.push(u);
        } else {
            urls.push(standin(Answer::rows(20)));
        }
    }
    assert_eq!(down.len(), 16);
    let (_d, file) = servers_file(&urls);
    for format in ["tab", "flow", "json", "jsonl", "table"] {
        let out = Rd::new()
            .env("RDOVEADM_PASSWORD", "x")
            .args(["-f", format, "--servers-file", &file, "who"])
            .run()
            .code(75);
        let rows = match format {
            "tab" => out.stdout.lines().count() - 1,
            "flow" | "jsonl" => out.stdout.lines().count(),
            "json" => out.json().as_array().unwrap().len(),
            _ => out
                .stdout
                .lines()
                .filter(|l| l.contains("@example.org"))
                .count(),
        };
        assert_eq!(rows, 480, "{format}");
        // One error line per failed server, each naming it.
        let errors: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(errors.len(), 16, "{format}: {}", out.stderr);
        for d in &down {
            let n = errors
                .iter()
                .filter(|l| l.starts_with(&format!("rdoveadm: error: server `{d}`: ")))
                .count();
            assert_eq!(n, 1, "{format}: {d}: {}", out.stderr);
        }
    }
}

#[test]
fn exit_code_is_the_first_failed_server_in_the_order_named_in_every_format() {
    // Named second but failing last (68 after 300 ms); named third failing first (75).
    let ok = standin(Answer::rows(0));
    let late = standin(Answer {
        reply: Err(68),
        ..Answer::rows(300)
    });
    let (down, _r) = unreachable();
    let (_d, file) = servers_file(&[ok.clone(), late, down]);
    for format in ["tab", "flow", "json", "jsonl", "table"] {
        let out = Rd::new()
            .env("RDOVEADM_PASSWORD", "x")
            .args(["-f", format, "--servers-file", &file, "who"])
            .run()
            .code(68);
        assert_eq!(out.stderr.lines().count(), 2, "{format}: {}", out.stderr);
        assert!(out.stdout.contains(&name(&ok)), "{format}");
    }
}

#[test]
fn servers_file_from_a_file_stdin_and_a_config_group() {
    let a = standin(Answer::rows(0));
    let b = standin(Answer::rows(0));
    let servers = |out: &crate::harness::Out| -> Vec<String> {
        out.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["server"].as_str().unwrap().to_string())
            .collect()
    };
    let want = vec![name(&a), name(&a), name(&b), name(&b)];

    // A file of URLs (a repeated line is asked once).
    let (_d, file) = servers_file(&[a.clone(), b.clone(), a.clone()]);
    let out = Rd::new()
        .env("RDOVEADM_PASSWORD", "x")
        .args(["-f", "json", "--ordered", "--servers-file", &file, "who"])
        .run()
        .ok();
    assert_eq!(servers(&out), want);

    // `-`: the same from stdin.
    let out = Rd::new()
        .env("RDOVEADM_PASSWORD", "x")
        .args(["-f", "json", "--ordered", "--servers-file", "-", "who"])
        .stdin(&format!("# fleet\n{a}\n\n  {b}  \n"))
        .run()
        .ok();
    assert_eq!(servers(&out), want);

    // A file others can write decides where the password goes: refused like the config.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = Rd::new()
        .env("RDOVEADM_PASSWORD", "x")
        .args(["--servers-file", &file, "who"])
        .run()
        .code(78);
    assert!(
        out.one_error_line().contains("chmod go-w"),
        "{}",
        out.stderr
    );

    // A config group naming a servers file: its URL lines share the group's password
    // (the stand-ins refuse any other), a profile name line uses its profile.
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("fleet.pw");
    std::fs::write(&pw, "grouppw\n").unwrap();
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    let basic = |p: &str| {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("doveadm:{p}"))
        )
    };
    let g1 = standin(Answer {
        authorization: Some(basic("grouppw")),
        ..Answer::rows(0)
    });
    let g2 = standin(Answer {
        authorization: Some(basic("grouppw")),
        ..Answer::rows(0)
    });
    let own = standin(Answer {
        authorization: Some(basic("ownpw")),
        ..Answer::rows(0)
    });
    let list = dir.path().join("fleet.txt");
    std::fs::write(&list, format!("{g1}\nmx9\n{g2}\n")).unwrap();
    std::fs::set_permissions(&list, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[servers.mx9]\nurl = \"{own}\"\npassword = \"ownpw\"\n\n[groups.fleet]\nservers_file = \"{}\"\npassword_file = \"{}\"\n",
            list.display(),
            pw.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = Rd::new()
        .env("RDOVEADM_CONFIG", cfg.to_str().unwrap())
        .args(["-f", "json", "--ordered", "-s", "fleet", "who"])
        .run()
        .ok();
    assert_eq!(
        servers(&out),
        [
            name(&g1),
            name(&g1),
            "mx9".into(),
            "mx9".into(),
            name(&g2),
            name(&g2)
        ]
    );
    // A line that is neither a URL nor a profile is a configuration error.
    std::fs::write(&list, "nosuch\n").unwrap();
    let out = Rd::new()
        .env("RDOVEADM_CONFIG", cfg.to_str().unwrap())
        .args(["-s", "fleet", "who"])
        .run()
        .code(78);
    assert!(out.one_error_line().contains("line 1"), "{}", out.stderr);
}

#[test]
fn an_https_fleet_is_checked_server_by_server_with_one_trust_setting() {
    // One Dovecot over TLS, named two ways (its certificate is for 127.0.0.1 and
    // localhost): two servers that share one TLS configuration per trust setting.
    let d = Dovecot::start(versions()[0], &["--tls"]);
    let url = d.url().trim_end_matches("/doveadm/v1");
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let other = url.replace("127.0.0.1", "localhost");
    let (_f, file) = servers_file(&[url.to_string(), other.clone()]);
    let fleet = |extra: &[&str]| {
        Rd::new()
            .env("RDOVEADM_PASSWORD", d.password())
            .args(extra)
            .args(["-f", "tab", "--servers-file", &file, "who"])
            .run()
    };

    // With the private CA: both answer (a server that fails is an error line).
    let out = fleet(&["--cacert", d.var("SANDBOX_CACERT")]).ok();
    assert_eq!(out.stderr, "");
    assert!(out.stdout.starts_with("server\t"), "{}", out.stdout);

    // Without it the system roots do not know the CA: each server fails, on its own
    // line, with the exit code of an untrusted certificate.
    let out = fleet(&[]).code(77);
    let errors: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(errors.len(), 2, "{}", out.stderr);
    for u in [url, other.as_str()] {
        let n = u.trim_start_matches("https://");
        assert!(
            errors.iter().any(|l| {
                l.starts_with(&format!("rdoveadm: error: server `{n}`: "))
                    && (l.contains("certificate") || l.contains("UnknownIssuer"))
            }),
            "{n}: {}",
            out.stderr
        );
    }

    // --insecure: no certificate check, both answer (warnings, no error).
    let out = fleet(&["--insecure"]).ok();
    assert!(out.stdout.starts_with("server\t"), "{}", out.stdout);
    assert!(
        out.stderr
            .lines()
            .all(|l| l.contains("warning: --insecure")),
        "{}",
        out.stderr
    );
}
