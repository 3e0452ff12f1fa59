//! Config-file profiles, precedence (flag > env > profile > default), the private-file
//! check, `config show`, and terminal conventions (colour, piping, --no-header).

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::harness::{versions, Dovecot, Rd};

fn write_config(dir: &std::path::Path, text: &str, mode: u32) -> String {
    let p = dir.join("config.toml");
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p.to_str().unwrap().to_string()
}

/// The mailboxes of alice, sorted, comma-separated (tells sandboxes apart).
pub fn mailboxes(rd: Rd) -> String {
    let out = rd
        .args([
            "-f",
            "tab",
            "--no-header",
            "mailbox",
            "list",
            "-u",
            "alice@example.org",
        ])
        .run()
        .ok();
    let mut v: Vec<&str> = out.stdout.lines().collect();
    v.sort();
    v.join(",")
}

#[test]
fn profiles_switch_and_precedence() {
    let v = versions();
    let one = Dovecot::start(v[0], &[]);
    let two = Dovecot::start(v[v.len() - 1], &[]);
    // Tell the servers apart by a mailbox only `two` has.
    two.rdoveadm()
        .args(["mailbox", "create", "-u", "alice@example.org", "OnlyTwo"])
        .run()
        .ok();
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        &format!(
            "default = \"one\"\n[servers.one]\nurl = \"{}\"\npassword = \"{}\"\n[servers.two]\nsocket = \"{}\"\napi_key_file = \"{}\"\ntimeout = 7\n",
            one.url(),
            one.password(),
            two.socket(),
            two.var("SANDBOX_API_KEY_FILE")
        ),
        0o600,
    );
    let rd = || Rd::new().env("RDOVEADM_CONFIG", &cfg);
    // The default profile, then -s / --server.
    assert_eq!(mailboxes(rd()), "INBOX");
    assert_eq!(mailboxes(rd().args(["-s", "two"])), "INBOX,OnlyTwo");
    assert_eq!(mailboxes(rd().args(["--server", "one"])), "INBOX");
    assert_eq!(
        mailboxes(rd().env("RDOVEADM_SERVER", "two")),
        "INBOX,OnlyTwo"
    );
    // The environment beats the default profile...
    let env_two = || {
        rd().env("RDOVEADM_SOCKET", two.socket())
            .env("RDOVEADM_PASSWORD", two.password())
    };
    assert_eq!(mailboxes(env_two()), "INBOX,OnlyTwo");
    // ...and a flag beats the environment: a profile named with -s, or --url.
    assert_eq!(mailboxes(env_two().args(["-s", "one"])), "INBOX");
    assert_eq!(
        mailboxes(
            rd().env("RDOVEADM_SERVER", "two")
                .args(["--url", one.url()])
                .env("RDOVEADM_PASSWORD", one.password())
        ),
        "INBOX"
    );
    // An unknown profile: 78 with the known names.
    let out = rd().args(["-s", "three", "who"]).run().code(78);
    assert!(
        out.one_error_line().contains("known: one, two"),
        "{}",
        out.stderr
    );

    // config show: where each setting comes from, never the secret.
    let out = rd()
        .args(["-f", "tab", "--server", "one,two", "config", "show"])
        .run()
        .ok();
    assert!(
        out.stdout.contains("profile `one` password"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("two\ttimeout\t7 s"), "{}", out.stdout);
    assert!(!out.stdout.contains(one.password()) && !out.stdout.contains(two.api_key()));
    assert!(!out.stderr.contains(one.password()));

    // A config holding a password that others can read: refused, 78, with the fix.
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = rd().args(["who"]).run().code(78);
    let line = out.one_error_line();
    assert!(
        line.contains("chmod 600") && line.contains("mode 0644"),
        "{line}"
    );
    assert!(!out.stderr.contains(one.password()));
    // ...but one with only file references may be world-readable.
    let cfg2 = write_config(
        &dir.path().join(""),
        &format!(
            "default = \"two\"\n[servers.two]\nsocket = \"{}\"\napi_key_file = \"{}\"\n",
            two.socket(),
            two.var("SANDBOX_API_KEY_FILE")
        ),
        0o644,
    );
    assert_eq!(
        mailboxes(Rd::new().env("RDOVEADM_CONFIG", &cfg2)),
        "INBOX,OnlyTwo"
    );
    // A syntax error names the file and line.
    let bad = write_config(dir.path(), "default = \"x\"\n[servers.x]\nurl = \n", 0o600);
    let out = Rd::new()
        .env("RDOVEADM_CONFIG", &bad)
        .args(["who"])
        .run()
        .code(78);
    assert!(out.one_error_line().contains("line 3"), "{}", out.stderr);
}

/// Runs rdoveadm on a pseudo-terminal and returns what the terminal showed.
fn on_tty(env: &[(&str, &str)], args: &str) -> String {
    let mut e = String::new();
    for (k, v) in env {
        e.push_str(&format!("{k}={v} "));
    }
    let out = Command::new("script")
        .args([
            "-qec",
            &format!(
                "env -i PATH=/usr/bin:/bin COLUMNS=200 {e}{} {args}",
                env!("CARGO_BIN_EXE_rdoveadm")
            ),
            "/dev/null",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn colour_piping_and_no_header() {
    let d = Dovecot::start(versions()[0], &[]);
    let env = [
        ("RDOVEADM_URL", d.url()),
        ("RDOVEADM_PASSWORD", d.password()),
    ];
    // On a terminal: a table with a bold header...
    let screen = on_tty(&env, "quota get -u alice@example.org");
    assert!(
        screen.contains("\x1b[1m"),
        "no bold header on a terminal: {screen:?}"
    );
    assert!(screen.contains("STORAGE"));
    // ...unless NO_COLOR is set or --color never.
    let mut no_color = env.to_vec();
    no_color.push(("NO_COLOR", "1"));
    let screen = on_tty(&no_color, "quota get -u alice@example.org");
    assert!(!screen.contains("\x1b["), "{screen:?}");
    assert!(screen.contains("STORAGE"));
    let screen = on_tty(&env, "--color never quota get -u alice@example.org");
    assert!(!screen.contains("\x1b["), "{screen:?}");
    // Piped: doveadm's own output (its table for `quota get`), no colour.
    let out = d
        .rdoveadm()
        .args(["quota", "get", "-u", "alice@example.org"])
        .run()
        .ok();
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        "Quota name Type    Value Limit                         %"
    );
    assert!(!out.stdout.contains('\x1b'));
    // --color always forces it, also when piped.
    let out = d
        .rdoveadm()
        .args([
            "-f",
            "table",
            "--color",
            "always",
            "quota",
            "get",
            "-u",
            "alice@example.org",
        ])
        .run()
        .ok();
    assert!(out.stdout.contains("\x1b[1m"));
    // --no-header (doveadm's -h) for tab and table.
    let out = d
        .rdoveadm()
        .args(["--no-header", "quota", "get", "-u", "alice@example.org"])
        .run()
        .ok();
    assert_eq!(out.stdout.lines().count(), 2);
    assert!(
        out.stdout.starts_with("User quota STORAGE "),
        "{}",
        out.stdout
    );
    let out = d
        .rdoveadm()
        .args([
            "-f",
            "tab",
            "--no-header",
            "quota",
            "get",
            "-u",
            "alice@example.org",
        ])
        .run()
        .ok();
    assert!(
        out.stdout.starts_with("User quota\tSTORAGE\t"),
        "{}",
        out.stdout
    );
    let out = d
        .rdoveadm()
        .args([
            "-f",
            "table",
            "--no-header",
            "quota",
            "get",
            "-u",
            "alice@example.org",
        ])
        .run()
        .ok();
    assert!(!out.stdout.contains("Quota name"), "{}", out.stdout);
    // Data on stdout, messages on stderr: as doveadm, the titles even for a user
    // that does not exist (its table ends with them).
    let out = d
        .rdoveadm()
        .args(["quota", "get", "-u", "nobody@example.org"])
        .run()
        .code(67);
    assert!(
        out.stdout.starts_with("Quota name Type Value Limit ")
            && out.stdout.ends_with(" %\n")
            && out.stdout.lines().count() == 1,
        "{:?}",
        out.stdout
    );
    out.one_error_line();
}
