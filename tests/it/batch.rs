//! `batch`: one command per line, results in order with their line numbers, worst exit code.

use crate::harness::{versions, Dovecot};

const LINES: &str = "\
# a comment, then a blank line

quota get -u alice@example.org
quota get -u nobody@example.org
mailbox list -u 'alice@example.org'
frobnicate
";

#[test]
fn batch_runs_lines_in_order_with_their_numbers() {
    let d = Dovecot::start(versions()[0], &[]);
    let out = d
        .rdoveadm()
        .args(["-f", "tab", "batch", "-"])
        .stdin(LINES)
        .run()
        .code(67);
    assert_eq!(
        out.stdout,
        "line\troot\ttype\tvalue\tlimit\tpercent\tmailbox\n\
         3\tUser quota\tSTORAGE\t0\t10240\t0\t\n\
         3\tUser quota\tMESSAGE\t0\t1000\t0\t\n\
         5\t\t\t\t\t\tINBOX\n"
    );
    let errs: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(errs.len(), 2, "{}", out.stderr);
    assert!(
        errs[0].starts_with("rdoveadm: error: line 4: ") && errs[0].contains("no such user"),
        "{}",
        errs[0]
    );
    assert!(
        errs[1].starts_with("rdoveadm: error: line 6: "),
        "{}",
        errs[1]
    );

    // json: one object per line with its rows and exit code; still one valid array.
    let out = d
        .rdoveadm()
        .args(["-f", "json", "batch"])
        .stdin(LINES)
        .run()
        .code(67);
    let v = out.json();
    let summary: Vec<(u64, usize, i64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["line"].as_u64().unwrap(),
                o["rows"].as_array().unwrap().len(),
                o["exitCode"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary, [(3, 2, 0), (4, 0, 67), (5, 1, 0), (6, 0, 64)]);

    // A file, all good: exit 0.
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), "who\nmailbox list -u alice@example.org\n").unwrap();
    let out = d
        .rdoveadm()
        .args(["-f", "jsonl", "batch", f.path().to_str().unwrap()])
        .run()
        .ok();
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, [serde_json::json!({"line": 2, "mailbox": "INBOX"})]);
}

/// A line is read as a command line is: doveadm's syntax (options after the
/// arguments, commands rdoveadm has no subcommand for) works in a batch file too,
/// and `batch` with a separator is doveadm's own batch, not the file runner.
#[test]
fn batch_lines_take_doveadm_syntax_and_doveadm_batch_is_told_apart() {
    let d = Dovecot::start(versions()[0], &[]);
    let lines = "mailbox create Dropin -u alice@example.org\n\
                 mailbox update --min-next-uid 50 Dropin -u alice@example.org\n\
                 mailbox status uidnext Dropin -u alice@example.org\n";
    let out = d
        .rdoveadm()
        .args(["-f", "jsonl", "batch", "-"])
        .stdin(lines)
        .run()
        .ok();
    assert_eq!(
        out.stdout,
        "{\"line\":3,\"mailbox\":\"Dropin\",\"uidnext\":\"50\"}\n"
    );
    // Two or more arguments: doveadm's `batch SEP CMD [SEP CMD]` (2.3's API; 2.4 has
    // none). The schema cache is this instance's: it is keyed by URL, and ports are reused.
    let cache = format!("{}/rdoveadm-cache", d.var("SANDBOX_DIR"));
    let out = d
        .rdoveadm()
        .env("XDG_CACHE_HOME", &cache)
        .args([
            "batch",
            "-u",
            "alice@example.org",
            ":",
            "mailbox",
            "create",
            "B1",
        ])
        .run();
    if d.version() == "2.3" {
        out.ok();
        let list = d
            .rdoveadm()
            .args(["mailbox", "list", "-u", "alice@example.org", "B1"])
            .run()
            .ok();
        assert!(
            list.stdout.lines().any(|l| l.ends_with("B1")),
            "{}",
            list.stdout
        );
    } else {
        assert!(out.code(64).one_error_line().contains("Dovecot 2.4"));
    }
}
