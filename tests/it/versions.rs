//! Dovecot 2.3 and 2.4 give the same answers through rdoveadm: same columns, same exit
//! codes. Differences that are real are named here, once. The README's compatibility
//! table is generated from these runs (`RDOVEADM_UPDATE_COMPAT=1`) and checked against them.

use crate::harness::{repo, versions, Dovecot, Rd, Session};

struct Probe {
    label: &'static str,
    args: &'static [&'static str],
}

const PROBES: &[Probe] = &[
    Probe {
        label: "who",
        args: &["who"],
    },
    Probe {
        label: "who -1",
        args: &["who", "-1"],
    },
    Probe {
        label: "who (two user masks)",
        args: &["who", "alice@example.org", "bob@example.org"],
    },
    Probe {
        label: "quota get",
        args: &["quota", "get", "-u", "alice@example.org"],
    },
    Probe {
        label: "mailbox list",
        args: &["mailbox", "list", "-u", "alice@example.org"],
    },
    Probe {
        label: "mailbox status all",
        args: &[
            "mailbox",
            "status",
            "-u",
            "alice@example.org",
            "all",
            "INBOX",
        ],
    },
    Probe {
        label: "mailbox status (missing mailbox)",
        args: &[
            "mailbox",
            "status",
            "-u",
            "alice@example.org",
            "all",
            "Nope",
        ],
    },
    Probe {
        label: "fetch",
        args: &[
            "fetch",
            "-u",
            "alice@example.org",
            "uid flags",
            "mailbox",
            "INBOX",
            "all",
        ],
    },
    Probe {
        label: "user",
        args: &["user", "alice@example.org"],
    },
    Probe {
        label: "user (unknown)",
        args: &["user", "nobody@example.org"],
    },
    Probe {
        label: "process status",
        args: &["process", "status", "anvil"],
    },
    Probe {
        label: "kick (no session)",
        args: &["kick", "dave@other.test"],
    },
    Probe {
        label: "kick --force",
        args: &["kick", "--force", "carol@example.org"],
    },
    Probe {
        label: "kick --dest-host",
        args: &["kick", "--dest-host", "192.0.2.1", "carol@example.org"],
    },
    Probe {
        label: "who --passdb-field",
        args: &["who", "--passdb-field", "user"],
    },
    Probe {
        label: "kick",
        args: &["kick", "bob@example.org"],
    },
];

/// "exit N · columns" of one run: the header line of `-f tab`.
fn cell(rd: &Rd, args: &[&str]) -> String {
    let out = rd.clone().args(["-f", "tab"]).args(args).run();
    let header = out.stdout.lines().next().unwrap_or("").replace('\t', " ");
    if out.code == 0 {
        format!("0 · {header}")
    } else {
        format!("{}", out.code)
    }
}

fn sessions(d: &Dovecot) -> Vec<Session> {
    let s = vec![
        d.imap_login("alice@example.org", "alicepw"),
        d.pop3_login("bob@example.org", "bobpw"),
        d.imap_login("carol@example.org", "carolpw"),
    ];
    d.wait_for_connections(3);
    s
}

/// Runs every probe against one version: (label, cell).
fn run_probes(version: &str) -> (String, Vec<String>) {
    let d = Dovecot::start(version, &[]);
    let _s = sessions(&d);
    d.rdoveadm()
        .args(["mailbox", "create", "-u", "alice@example.org", "Archive"])
        .run()
        .ok();
    let release = d
        .var("SANDBOX_DOVECOT_VERSION")
        .split_whitespace()
        .next()
        .unwrap_or(version)
        .to_string();
    (
        release,
        PROBES.iter().map(|p| cell(&d.rdoveadm(), p.args)).collect(),
    )
}

#[test]
fn same_columns_and_exit_codes_on_both_versions() {
    let vs = versions();
    let results: Vec<(String, Vec<String>)> = vs.iter().map(|v| run_probes(v)).collect();
    for (i, p) in PROBES.iter().enumerate() {
        for (v, (_, cells)) in vs.iter().zip(&results) {
            let got = &cells[i];
            let want: String = match (p.label, *v) {
                // Real differences, named once (the titles are doveadm's own, of each version):
                // 2.4 says `service` where 2.3 says `proto`, and `who -1` adds `dest_ip`.
                ("who -1", "2.4") => "0 · username service pid ip dest_ip".into(),
                ("who -1", _) => "0 · username proto pid ip".into(),
                // `kick --force` exists on 2.3 only, `--dest-host`/`--passdb-field` on 2.4 only:
                // refused locally (64) where the server lacks them.
                ("kick --force", "2.4") | ("kick --dest-host", "2.3") | ("who --passdb-field", "2.3") => "64".into(),
                // 2.3's kick names the users (`result`), 2.4's counts the connections.
                ("kick --force", _) | ("kick", "2.3") => "0 · result".into(),
                ("kick", _) => "0 · count".into(),
                // 2.4 kicks nothing at that (unused) destination: as for no match, exit 0
                // with a count, as doveadm 2.4.
                ("kick --dest-host", _) => "0 · count".into(),
                ("who --passdb-field", _) => "0 · username # service (pids) (ips)".into(),
                ("who", "2.4") | ("who (two user masks)", "2.4") => {
                    "0 · username # service (pids) (ips)".into()
                }
                // Everything else is the same on both.
                ("who", _) | ("who (two user masks)", _) => "0 · username # proto (pids) (ips)".into(),
                // `user` prints its fields as rows (2.3 gives `mail`, 2.4 `mail_path`).
                ("user", _) => "0 · field value".into(),
                ("quota get", _) => "0 · Quota name Type Value Limit %".into(),
                ("mailbox list", _) => "0 · mailbox".into(),
                ("mailbox status all", _) => {
                    "0 · mailbox messages recent uidnext uidvalidity unseen highestmodseq vsize guid firstsaved".into()
                }
                // doveadm 2.4 kicks nobody with exit 0 ("0 connections kicked"); 2.3 with 68.
                ("kick (no session)", "2.4") => "0 · count".into(),
                ("mailbox status (missing mailbox)", _) | ("kick (no session)", _) => "68".into(),
                ("fetch", _) => "0 · uid flags".into(),
                ("user (unknown)", _) => "67".into(),
                ("process status", _) => {
                    "0 · name pid available_count total_count idle_start last_status_update last_kill_sent".into()
                }
                (other, _) => panic!("no expectation for {other}"),
            };
            assert_eq!(got, &want, "{} on Dovecot {v}", p.label);
        }
    }
    if vs.len() == 2 {
        check_readme_table(&results);
    }
}

const BEGIN: &str = "<!-- compat:begin (generated by tests/it/versions.rs; RDOVEADM_UPDATE_COMPAT=1 to rewrite) -->";
const END: &str = "<!-- compat:end -->";

fn check_readme_table(results: &[(String, Vec<String>)]) {
    let mut t = format!(
        "| rdoveadm | Dovecot {} | Dovecot {} |\n|---|---|---|\n",
        results[0].0, results[1].0
    );
    for (i, p) in PROBES.iter().enumerate() {
        let c = |r: &(String, Vec<String>)| {
            let cell = &r.1[i];
            match cell.split_once(" · ") {
                Some((_, cols)) => format!("✓ `{cols}`"),
                None => format!("exit {cell}"),
            }
        };
        t.push_str(&format!(
            "| `{}` | {} | {} |\n",
            p.label,
            c(&results[0]),
            c(&results[1])
        ));
    }
    let path = repo().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let (Some(b), Some(e)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("README.md has no compatibility table markers");
    };
    let current = &readme[b + BEGIN.len()..e];
    let wanted = format!("\n{t}");
    if current != wanted {
        if std::env::var("RDOVEADM_UPDATE_COMPAT").is_ok() {
            let new = format!("{}{BEGIN}{wanted}{}", &readme[..b], &readme[e..]);
            std::fs::write(&path, new).unwrap();
        } else {
            panic!("README.md compatibility table is stale; run with RDOVEADM_UPDATE_COMPAT=1. Wanted:\n{t}");
        }
    }
}

#[test]
fn server_info_detects_the_api_generation() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let out = d
            .rdoveadm()
            .args(["-f", "json", "server", "info"])
            .run()
            .ok();
        let rows = out.json();
        let get = |k: &str| {
            rows.as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == k)
                .unwrap()["value"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(get("api_generation"), v);
        assert!(get("commands").parse::<u32>().unwrap() > 90);
        assert_eq!(get("kick --force"), if v == "2.3" { "yes" } else { "no" });
        assert_eq!(get("indexer"), if v == "2.4" { "yes" } else { "no" });
        assert_eq!(get("quota (plugin)"), "yes");
        // The refusal names the generation.
        let (args, gen): (&[&str], &str) = if v == "2.4" {
            (&["kick", "-f", "x"], "2.4")
        } else {
            (&["kick", "--dest-host", "192.0.2.1", "x"], "2.3")
        };
        let out = d.rdoveadm().args(args).run().code(64);
        assert!(
            out.one_error_line().contains(&format!("Dovecot {gen} API")),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn who_with_two_user_masks_on_both_versions() {
    for v in versions() {
        let d = Dovecot::start(v, &[]);
        let _s = sessions(&d);
        let out = d
            .rdoveadm()
            .args([
                "-f",
                "json",
                "who",
                "-1",
                "alice@example.org",
                "carol@example.org",
                "127.0.0.1",
            ])
            .run()
            .ok();
        let users: Vec<String> = out
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["username"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(users, ["alice@example.org", "carol@example.org"], "{v}");
        // Overlapping masks: no duplicates.
        let out = d
            .rdoveadm()
            .args(["-f", "json", "who", "alice@example.org", "a*"])
            .run()
            .ok();
        assert_eq!(
            out.json().as_array().unwrap().len(),
            1,
            "{v}: {}",
            out.stdout
        );
        // Kick with two masks kicks both users.
        let out = d
            .rdoveadm()
            .args([
                "-f",
                "tab",
                "--no-header",
                "kick",
                "alice@example.org",
                "carol@example.org",
            ])
            .run()
            .ok();
        // As doveadm prints it: 2.3 names the users (and says so), 2.4 counts.
        let want = if v == "2.3" {
            "alice@example.org\ncarol@example.org\nkicked connections from the following users:\n\n"
        } else {
            "2\n"
        };
        assert_eq!(out.stdout, want, "{v}");
        d.wait_for_connections(1);
    }
}
