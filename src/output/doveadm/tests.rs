//! The formatters against bytes native doveadm printed (2.3.19 and 2.4.1 agree).

use serde_json::json;

use super::registry::lookup;
use super::*;

fn rows(v: serde_json::Value) -> Vec<Row> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_object().unwrap().clone())
        .collect()
}

fn out(kind: Kind, api: &str, version: Version, columns: &[&str], rs: &[Row]) -> String {
    let mut buf = Vec::new();
    let spec = lookup(api, version, columns).unwrap();
    let mut s = sink(kind, spec, true, true, Box::new(&mut buf));
    for r in rs {
        s.row(r).unwrap();
    }
    s.finish().unwrap();
    drop(s);
    String::from_utf8(buf).unwrap()
}

fn quota() -> Vec<Row> {
    rows(json!([
        {"root":"User quota","type":"STORAGE","value":"0","limit":"10240","percent":"0"},
        {"root":"User quota","type":"MESSAGE","value":"0","limit":"1000","percent":"0"}
    ]))
}

#[test]
fn quota_get_in_every_format() {
    let q = |k| out(k, "quotaGet", Version::V23, &[], &quota());
    assert_eq!(
        q(Kind::Table),
        "Quota name Type    Value Limit                         %\n\
         User quota STORAGE     0 10240                         0\n\
         User quota MESSAGE     0  1000                         0\n"
    );
    assert_eq!(
        q(Kind::Tab),
        "Quota name\tType\tValue\tLimit\t%\nUser quota\tSTORAGE\t0\t10240\t0\nUser quota\tMESSAGE\t0\t1000\t0\n"
    );
    assert_eq!(
        q(Kind::Flow),
        "Quota name=User quota Type=STORAGE Value=0 Limit=10240 %=0\n\
         Quota name=User quota Type=MESSAGE Value=0 Limit=1000 %=0\n"
    );
    assert_eq!(
        q(Kind::Pager),
        "Quota name: User quota\nType: STORAGE\nValue: 0\nLimit: 10240\n%: 0\n\x0c\n\
         Quota name: User quota\nType: MESSAGE\nValue: 0\nLimit: 1000\n%: 0\n"
    );
    assert_eq!(
        q(Kind::Json),
        r#"[{"root":"User quota","type":"STORAGE","value":"0","limit":"10240","percent":"0"},{"root":"User quota","type":"MESSAGE","value":"0","limit":"1000","percent":"0"}]"#
    );
}

#[test]
fn empty_results_print_what_doveadm_prints() {
    // `who` on 2.3 and 2.4: the table's titles, the spare width on the last column.
    assert_eq!(
        out(Kind::Table, "who", Version::V23, &[], &[]),
        format!("username # proto (pids) (ips){}\n", " ".repeat(25))
    );
    assert_eq!(
        out(Kind::Tab, "who", Version::V24, &["pid"], &[]),
        "username\tservice\tpid\tip\tdest_ip\n"
    );
    assert_eq!(out(Kind::Flow, "who", Version::V23, &[], &[]), "");
    assert_eq!(out(Kind::Json, "search", Version::V23, &[], &[]), "[]");
    assert_eq!(
        out(Kind::Tab, "search", Version::V23, &[], &[]),
        "mailbox-guid\tuid\n"
    );
}

#[test]
fn hidden_titles_and_raw_backslashes() {
    let r = rows(json!([{"mailbox":"INBOX","messages":"1","unseen":"0"}]));
    assert_eq!(
        out(
            Kind::Flow,
            "mailboxStatus",
            Version::V23,
            &["mailbox", "unseen", "messages"],
            &r
        ),
        "INBOX messages=1 unseen=0\n"
    );
    let f = rows(json!([{"uid":"1","flags":"\\Seen \\Recent","hdr.subject":"a\nb\tc\u{1b}"}]));
    let cols = ["uid", "flags", "hdr.subject"];
    assert_eq!(
        out(Kind::Flow, "fetch", Version::V23, &cols, &f),
        "uid=1 flags=\\Seen \\Recent hdr.subject=a\\nb\\tc\\x1b\n"
    );
    assert_eq!(
        out(Kind::Json, "fetch", Version::V23, &cols, &f),
        r#"[{"uid":"1","flags":"\\Seen \\Recent","hdr.subject":"a\nb\tc\u001b"}]"#
    );
}

#[test]
fn user_fields_and_lists() {
    let one = rows(json!([{"username":"a@x","uid":"1","mail":"maildir:~","mail_path":"~"}]));
    assert_eq!(
        out(Kind::Tab, "user", Version::V23, &["username"], &one),
        "field\tvalue\nuid\t1\nmail\tmaildir:~\n"
    );
    let list = rows(json!([{"username":"a@x"},{"username":"b@x"}]));
    // doveadm: `[]` then the names (no JSON); rdoveadm: one valid array.
    assert_eq!(
        out(Kind::Json, "user", Version::V23, &["username"], &list),
        r#"[{"username":"a@x"},{"username":"b@x"}]"#
    );
    assert_eq!(
        out(Kind::Tab, "user", Version::V23, &["username"], &list),
        "\na@x\nb@x\n"
    );
    // `user -f uid` for two users: the values, a blank line between users.
    let two = rows(json!([{"username":"a@x","uid":"1"},{"username":"b@x","uid":"2"}]));
    assert_eq!(
        out(Kind::Flow, "user", Version::V23, &["username", "uid"], &two),
        "1\n\n2\n"
    );
}

#[test]
fn kick_counts_on_24_and_names_users_on_23() {
    let k =
        rows(json!([{"username":"a@x","connections":"2"},{"username":"b@x","connections":"1"}]));
    let k = |v| {
        let mut buf = Vec::new();
        let spec = lookup("kick", v, &[]).unwrap();
        let kind = spec.default;
        let mut s = sink(kind, spec, true, false, Box::new(&mut buf));
        for r in &k {
            s.row(r).unwrap();
        }
        s.finish().unwrap();
        drop(s);
        String::from_utf8(buf).unwrap()
    };
    assert_eq!(k(Version::V24), "3 connections kicked\n");
    assert_eq!(
        k(Version::V23),
        "a@x b@x kicked connections from the following users:\n\n"
    );
}

#[test]
fn kick_on_23_names_users_from_the_servers_own_rows() {
    // `kick -a PATH` runs as doveadm's own command: the rows carry `result`.
    let k = rows(json!([{"result":"a@x"},{"result":"b@x"}]));
    let spec = lookup("kick", Version::V23, &[]).unwrap();
    assert_eq!(
        out(spec.default, "kick", Version::V23, &[], &k),
        "a@x b@x kicked connections from the following users:\n\n"
    );
}

#[test]
fn a_wide_table_shrinks_as_doveadm_does() {
    // Lengths from doveadm_calc_header_length(): the last column that can make the
    // line fit gives up what is too much.
    let r = rows(
        json!([{"name":"x".repeat(70),"pid":"1","available_count":"1","total_count":"1",
        "idle_start":"0","last_status_update":"0","last_kill_sent":"0"}]),
    );
    let t = out(Kind::Table, "processStatus", Version::V23, &[], &r);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[1].starts_with(&"x".repeat(70)), "{t}");
}

#[test]
fn proxy_list_titles_its_reply_s_own_fields() {
    let r = rows(
        json!([{"username":"a@x","service":"imap","src-ip":"192.0.2.1","dest-ip":"10.0.0.1","dest-port":"143"}]),
    );
    assert_eq!(
        out(Kind::Tab, "proxyList", Version::V23, &[], &r),
        "username\tproto\tsrc ip\tdest ip\tport\na@x\timap\t192.0.2.1\t10.0.0.1\t143\n"
    );
}

#[test]
fn every_other_command_ends_its_formatter_as_doveadm_does() {
    // `mailbox create` and the like print no rows: tab's empty title line, json's [].
    assert_eq!(
        out(Kind::Tab, "mailboxCreate", Version::V24, &[], &[]),
        "\n"
    );
    assert_eq!(out(Kind::Json, "expunge", Version::V23, &[], &[]), "[]");
    assert_eq!(out(Kind::Flow, "expunge", Version::V23, &[], &[]), "");
    // reload (doveadm's quick_init) has no formatter at all.
    assert!(lookup("reload", Version::V23, &[]).is_none());
}

#[test]
fn who_s_table_takes_its_widths_from_the_first_user() {
    // who_print_user() flushes after each user: later, wider rows overflow.
    let r = rows(json!([
        {"username":"bob@x","connections":"1","service":"imap","pids":"(7)","ips":"(192.0.2.1)"},
        {"username":"alice@example.org","connections":"2","service":"imap","pids":"(8 9)","ips":"(192.0.2.1)"}
    ]));
    let t = out(Kind::Table, "who", Version::V23, &[], &r);
    let lines: Vec<&str> = t.lines().collect();
    assert!(lines[0].starts_with("username # proto (pids) (ips)"), "{t}");
    assert!(
        lines[1].starts_with("bob@x    1 imap  (7)    (192.0.2.1)"),
        "{t}"
    );
    assert!(
        lines[2].starts_with("alice@example.org 2 imap  (8 9)  (192.0.2.1)"),
        "{t}"
    );
}

#[test]
fn a_mail_command_s_rows_of_many_users_start_with_the_user() {
    // `rebuild attachments -A` run as doveadm's own command: the caller named no
    // columns, the rows carry `username` (as native 2.3.19 and 2.4.1 print it).
    let r = rows(json!([
        {"uid":"1","attachment":"no","username":"alice@example.org"},
        {"uid":"2","attachment":"no","username":"alice@example.org"}
    ]));
    assert_eq!(
        out(Kind::Tab, "rebuildAttachments", Version::V23, &[], &r),
        "Username\tuid\tattachment\nalice@example.org\t1\tno\nalice@example.org\t2\tno\n"
    );
    assert_eq!(
        out(Kind::Flow, "rebuildAttachments", Version::V24, &[], &r),
        "alice@example.org uid=1 attachment=no\nalice@example.org uid=2 attachment=no\n"
    );
    let s = rows(json!([{"mailbox-guid":"g","uid":"1","username":"a@x"}]));
    assert_eq!(
        out(Kind::Flow, "search", Version::V24, &[], &s),
        "a@x g 1\n"
    );
    // Not for a command that is not a mail command.
    let p = rows(json!([{"username":"a@x","service":"imap","src-ip":"192.0.2.1"}]));
    assert!(out(Kind::Tab, "proxyList", Version::V23, &[], &p).starts_with("username\t"));
}

#[test]
fn mailbox_status_run_as_doveadm_s_command_leaves_the_mailbox_untitled() {
    let r = rows(json!([{"mailbox":"INBOX","messages":"4","unseen":"2"}]));
    assert_eq!(
        out(Kind::Flow, "mailboxStatus", Version::V23, &[], &r),
        "INBOX messages=4 unseen=2\n"
    );
}

#[test]
fn kick_24_counts_the_server_s_own_count_row() {
    // `kick -a PATH` runs as doveadm's command: the reply is 2.4's `count` row.
    let r = rows(json!([{"count":"5"}]));
    assert_eq!(out(Kind::Flow, "kick", Version::V24, &[], &r), "count=5\n");
}

#[test]
fn proxy_list_24_is_who() {
    // 2.4.1's doveadm-who.c: `proxy list` is cmd_who(), titles included.
    let r = rows(json!([
        {"username":"a@x","connections":"2","service":"imap","pids":"(7 8)","ips":"(127.0.0.1)"}
    ]));
    assert_eq!(
        out(Kind::Tab, "proxyList", Version::V24, &[], &r),
        "username\t#\tservice\t(pids)\t(ips)\na@x\t2\timap\t(7 8)\t(127.0.0.1)\n"
    );
}
