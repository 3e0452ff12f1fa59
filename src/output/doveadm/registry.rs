//! What each doveadm command prints, keyed by its HTTP API name: the headers of its
//! `doveadm_print_header*()` calls (key, title, flags) and the formatter its own
//! `doveadm_print_init()` picks, for Dovecot 2.3.19 and 2.4.1 (src/doveadm/*.c and
//! src/plugins/*/doveadm-*.c of each). A command that prints nothing has no entry.
//!
//! `columns` are the columns the command expects (its call site's list): they carry
//! what doveadm builds from the command's arguments (`fetch`'s and `mailbox status`'s
//! fields, `stats dump`'s), and `username` first when several users answer.

use crate::cli::{STATUS_FIELDS, TOTAL_SUM_FIELDS};

use super::{
    Header, Kind, Spec, Transform, Version, EXPAND, HIDE_TITLE, NUMBER, RIGHT_JUSTIFY, STICKY,
    STREAM,
};

/// `stats dump`'s fields when none are given (`DOVEADM_DUMP_DEFAULT_FIELDS`).
const STATS_DEFAULT_FIELDS: &[&str] = &[
    "count", "sum", "min", "max", "avg", "median", "stddev", "%95",
];

/// `mailbox status` headers come in the order doveadm adds them (the order of
/// [`STATUS_FIELDS`] after `all`), whatever order they were asked in; `all` is every
/// field, or with `--total-sum` (no `mailbox` column) the ones it sums.
/// A `mailbox status` field the columns did not name: `mailbox` untitled, as
/// [`status_headers`] has it.
fn status_extra(key: &str) -> Header {
    match key {
        "mailbox" => Header::new(key, key, HIDE_TITLE),
        _ => Header::simple(key),
    }
}

fn status_headers(rest: &[&str]) -> Vec<Header> {
    let total_sum = rest.first() != Some(&"mailbox");
    let all = rest.contains(&"all");
    let mut h = Vec::new();
    if !total_sum {
        h.push(Header::new("mailbox", "mailbox", HIDE_TITLE));
    }
    h.extend(
        STATUS_FIELDS
            .iter()
            .filter(|f| **f != "all")
            .filter(|f| rest.contains(f) || all && (!total_sum || TOTAL_SUM_FIELDS.contains(f)))
            .map(|f| Header::simple(f)),
    );
    h
}

/// `fetch` fields printed with `doveadm_print_stream()`.
const FETCH_STREAMED: &[&str] = &["hdr", "body", "text", "text.utf8"];

/// A `proxy list` field as doveadm titles it (cmd_proxy_list_header()); also for
/// fields a reply brings that the columns did not name.
pub fn proxy_header(key: &str) -> Header {
    if key == "username" || key.starts_with("user_") {
        return Header::new(key, key, EXPAND);
    }
    let title = match key {
        "service" => "proto",
        "src-ip" => "src ip",
        "dest-ip" => "dest ip",
        "dest-port" => "port",
        other => other,
    };
    Header::new(key, title, 0)
}

fn simple(keys: &[&str]) -> Vec<Header> {
    keys.iter().map(|k| Header::simple(k)).collect()
}

fn spec(headers: Vec<Header>, default: Kind) -> Option<Spec> {
    Some(Spec {
        headers,
        default,
        transform: Transform::None,
        extra: Header::simple,
        flush_each: false,
        user_first: false,
    })
}

/// The spec of doveadm command `api` (its API name) on `version`, or `None` for a
/// command doveadm has no titles for (it prints nothing, or it is rdoveadm's own).
pub fn lookup(api: &str, version: Version, columns: &[&str]) -> Option<Spec> {
    let many_users = columns.first() == Some(&"username");
    let mut s = base(api, version, columns)?;
    s.user_first = is_mail_command(api);
    // doveadm-mail.c: with -A or a wildcard -u, every row starts with the user.
    if many_users
        && is_mail_command(api)
        && s.headers.first().map(|h| h.key.as_str()) != Some("username")
    {
        s.headers
            .insert(0, Header::new("username", "Username", STICKY | HIDE_TITLE));
    }
    Some(s)
}

fn is_mail_command(api: &str) -> bool {
    !matches!(
        api,
        "who"
            | "kick"
            | "user"
            | "logErrors"
            | "processStatus"
            | "serviceStatus"
            | "statsDump"
            | "oldstatsDump"
            | "penalty"
            | "proxyList"
            | "proxyKick"
            | "instanceList"
            | "dictGet"
            | "dictIter"
            | "fsGet"
            | "fsStat"
            | "fsMetadata"
            | "fsIter"
            | "fsIterDirs"
            | "indexerList"
            | "sisFind"
    ) && !api.starts_with("director")
        && !api.starts_with("replicator")
}

fn base(api: &str, v: Version, columns: &[&str]) -> Option<Spec> {
    let service = match v {
        Version::V23 => "proto",
        Version::V24 => "service",
    };
    let rest: Vec<&str> = columns
        .iter()
        .copied()
        .skip_while(|c| *c == "username")
        .collect();
    match api {
        // doveadm-who.c
        "who" if columns.contains(&"pid") => {
            let mut h = vec![
                Header::new("username", "username", EXPAND),
                Header::new("service", service, 0),
                Header::simple("pid"),
                Header::simple("ip"),
            ];
            if v == Version::V24 {
                h.push(Header::simple("dest_ip"));
            }
            spec(h, Kind::Table)
        }
        // who_print_user() flushes after each user: `table` takes its widths from
        // the first row alone.
        "who" => Some(Spec {
            flush_each: true,
            user_first: false,
            ..spec(
                vec![
                    Header::simple("username"),
                    Header::new("connections", "#", RIGHT_JUSTIFY),
                    Header::new("service", service, 0),
                    Header::new("pids", "(pids)", 0),
                    Header::new("ips", "(ips)", 0),
                ],
                Kind::Table,
            )?
        }),
        // doveadm-kick.c: rdoveadm's rows are one per kicked user (`username`,
        // `connections`); 2.3 printed the users, 2.4 the number of connections.
        "kick" | "proxyKick" if v == Version::V24 || api == "proxyKick" => Some(Spec {
            headers: vec![Header::simple("count")],
            default: Kind::Formatted("%{count} connections kicked\n"),
            transform: if api == "kick" {
                Transform::Count
            } else {
                Transform::None
            },
            extra: Header::simple,
            flush_each: false,
            user_first: false,
        }),
        "kick" => Some(Spec {
            headers: vec![Header::simple("result")],
            default: Kind::Formatted("%{result} "),
            transform: Transform::Kicked,
            extra: Header::simple,
            flush_each: false,
            user_first: false,
        }),
        // doveadm-log.c
        "logErrors" => spec(
            simple(&["timestamp", "prefix", "type", "text"]),
            Kind::Formatted(match v {
                Version::V23 => "%{timestamp} %{type}: %{prefix}: %{text}\n",
                Version::V24 => "%{timestamp} %{type}: %{prefix}%{text}\n",
            }),
        ),
        // doveadm-master.c
        "processStatus" => spec(
            simple(&[
                "name",
                "pid",
                "available_count",
                "total_count",
                "idle_start",
                "last_status_update",
                "last_kill_sent",
            ]),
            Kind::Table,
        ),
        "serviceStatus" => spec(
            simple(&[
                "name",
                "process_count",
                "process_avail",
                "process_limit",
                "client_limit",
                "throttle_secs",
                "exit_failure_last",
                "exit_failures_in_sec",
                "last_drop_warning",
                "listen_pending",
                "listening",
                "doveadm_stop",
                "process_total",
            ]),
            Kind::Pager,
        ),
        // doveadm-stats.c
        "statsDump" => {
            let fields: Vec<&str> = if rest.len() > 2 {
                rest.get(2..).unwrap_or_default().to_vec()
            } else {
                STATS_DEFAULT_FIELDS.to_vec()
            };
            let mut h = simple(&["metric_name", "field"]);
            h.extend(fields.iter().map(|f| Header::new(f, f, NUMBER)));
            spec(h, Kind::Tab)
        }
        // doveadm-oldstats.c (2.3): the reply's own fields.
        "oldstatsDump" => spec(simple(&rest), Kind::Tab),
        // doveadm-auth.c: `user` prints field/value lines per user.
        // `user -f FIELD`: the values alone, printed with printf().
        "user" if columns.len() > 1 => Some(Spec {
            headers: simple(columns),
            default: Kind::Tab,
            transform: Transform::Values,
            extra: Header::simple,
            flush_each: false,
            user_first: false,
        }),
        "user" => Some(Spec {
            headers: simple(&["field", "value"]),
            default: Kind::Tab,
            transform: Transform::Fields,
            extra: Header::simple,
            flush_each: false,
            user_first: false,
        }),
        // plugins/quota/doveadm-quota.c
        "quotaGet" => spec(
            vec![
                Header::new("root", "Quota name", 0),
                Header::new("type", "Type", 0),
                Header::new("value", "Value", RIGHT_JUSTIFY),
                Header::new("limit", "Limit", RIGHT_JUSTIFY),
                Header::new("percent", "%", RIGHT_JUSTIFY),
            ],
            Kind::Table,
        ),
        // doveadm-mail-mailbox.c
        "mailboxList" => spec(
            vec![Header::new("mailbox", "mailbox", HIDE_TITLE)],
            Kind::Flow,
        ),
        "mailboxPath" => spec(vec![Header::new("path", "path", HIDE_TITLE)], Kind::Flow),
        // doveadm-mail-mailbox-status.c
        // Run as doveadm's own command (`-S PATH`...), the fields come from the reply.
        "mailboxStatus" => Some(Spec {
            extra: status_extra,
            ..spec(status_headers(&rest), Kind::Flow)?
        }),
        // doveadm-mail-search.c
        "search" => spec(
            vec![
                Header::new("mailbox-guid", "mailbox-guid", HIDE_TITLE),
                Header::new("uid", "uid", HIDE_TITLE),
            ],
            Kind::Flow,
        ),
        // doveadm-mail-fetch.c: one header per field, lower-cased, in the order given.
        "fetch" => spec(
            rest.iter()
                .map(|f| {
                    let flags = if FETCH_STREAMED.contains(f) {
                        STREAM
                    } else {
                        0
                    };
                    Header::new(f, f, flags)
                })
                .collect(),
            Kind::Pager,
        ),
        // doveadm-mail-mailbox-metadata.c
        "mailboxMetadataGet" => spec(vec![Header::new("value", "value", HIDE_TITLE)], Kind::Flow),
        "mailboxMetadataList" => spec(vec![Header::new("key", "key", HIDE_TITLE)], Kind::Flow),
        // doveadm-mail-mailbox-cache.c
        "mailboxCacheDecision" => spec(
            vec![
                Header::new("mailbox", "mailbox", STICKY),
                Header::simple("field"),
                Header::simple("decision"),
                Header::simple("last-used"),
            ],
            Kind::Table,
        ),
        "mailboxCacheRemove" => spec(simple(&["mailbox", "uid", "result"]), Kind::Table),
        // doveadm-mail-rebuild.c
        "rebuildAttachments" => spec(simple(&["uid", "attachment"]), Kind::Table),
        // doveadm-dict.c, doveadm-mail-dict.c
        "dictGet" | "mailDictGet" => spec(vec![Header::new("value", "", HIDE_TITLE)], Kind::Table),
        "dictIter" | "mailDictIter" => {
            let keys_only = !rest.is_empty() && !rest.contains(&"value");
            let mut h = simple(&["key"]);
            if !keys_only {
                h.push(Header::simple("value"));
            }
            spec(h, Kind::Tab)
        }
        // doveadm-fs.c, doveadm-mail-fs.c
        "fsGet" | "mailFsGet" => spec(
            vec![Header::new("content", "content", HIDE_TITLE | STREAM)],
            Kind::Pager,
        ),
        "fsStat" | "mailFsStat" => spec(
            vec![Header::simple("path"), Header::new("size", "size", NUMBER)],
            Kind::Formatted("%{path} size=%{size}"),
        ),
        "fsMetadata" | "mailFsMetadata" => spec(
            simple(&["key", "value"]),
            Kind::Formatted("%{key}=%{value}\n"),
        ),
        "fsIter" | "fsIterDirs" | "mailFsIter" | "mailFsIterDirs" => {
            spec(simple(&["path"]), Kind::Formatted("%{path}\n"))
        }
        // doveadm-instance.c
        "instanceList" => spec(
            vec![
                Header::new("path", "path", EXPAND),
                Header::simple("name"),
                Header::simple("last used"),
                Header::simple("running"),
            ],
            Kind::Table,
        ),
        // doveadm-penalty.c
        "penalty" => spec(
            simple(&["IP", "penalty", "last_penalty", "last_update"]),
            Kind::Table,
        ),
        // doveadm-dsync.c
        "sync" | "backup" => spec(vec![Header::new("state", "state", HIDE_TITLE)], Kind::Flow),
        // doveadm-sis.c
        "sisFind" => spec(vec![Header::new("path", "path", HIDE_TITLE)], Kind::Flow),
        // doveadm-indexer.c (2.4)
        "indexerList" => spec(
            simple(&[
                "username",
                "mailbox",
                "session_id",
                "max_recent",
                "type",
                "status",
            ]),
            Kind::Table,
        ),
        // doveadm-replicator.c (2.3)
        "replicatorStatus" if rest.first() == Some(&"field") => spec(
            vec![
                Header::new("field", "field", HIDE_TITLE),
                Header::new("value", "value", HIDE_TITLE),
            ],
            Kind::Table,
        ),
        "replicatorStatus" => spec(
            vec![
                Header::new("username", "username", EXPAND),
                Header::simple("priority"),
                Header::simple("fast sync"),
                Header::simple("full sync"),
                Header::simple("success sync"),
                Header::simple("failed"),
            ],
            Kind::Table,
        ),
        "replicatorDsyncStatus" => spec(
            vec![
                Header::new("username", "username", EXPAND),
                Header::simple("type"),
                Header::simple("status"),
            ],
            Kind::Table,
        ),
        "replicatorReplicate" => spec(
            vec![Header::new("result", "result", HIDE_TITLE)],
            Kind::Flow,
        ),
        // doveadm-director.c (2.3)
        "directorStatus" if rest.first() == Some(&"status") => spec(
            simple(&["status", "expires", "hashed", "initial-config"]),
            Kind::Formatted(
                "Current: %{status} (expires %{expires})\nHashed: %{hashed}\nInitial config: %{initial-config}\n",
            ),
        ),
        "directorStatus" => spec(
            vec![
                Header::simple("mail server ip"),
                Header::simple("tag"),
                Header::simple("vhosts"),
                Header::simple("state"),
                Header::new("state-changed", "state changed", 0),
                Header::simple("users"),
            ],
            Kind::Table,
        ),
        "directorMap" => spec(
            vec![
                Header::new("user", "user", EXPAND),
                Header::simple("hash"),
                Header::simple("mail server ip"),
                Header::simple("expire time"),
            ],
            Kind::Table,
        ),
        "directorRingStatus" => spec(
            simple(&[
                "director ip",
                "port",
                "type",
                "last failed",
                "status",
                "ping ms",
                "input",
                "output",
                "buffered",
                "buffered peak",
                "last read",
                "last write",
            ]),
            Kind::Table,
        ),
        "directorDump" => spec(
            simple(&["command", "socket-path", "host", "vhost_count"]),
            Kind::Formatted("doveadm director %{command} %{host} %{vhost_count}\n"),
        ),
        // doveadm-auth-server.c
        "authCacheFlush" => spec(
            simple(&["entries"]),
            Kind::Formatted("%{entries} cache entries flushed\n"),
        ),
        // 2.4's doveadm-who.c: `proxy list` is `who` (the same cmd_who()).
        "proxyList" if v == Version::V24 => base("who", v, columns),
        // doveadm-proxy.c: the reply's own fields, some renamed, user names expanded.
        "proxyList" => Some(Spec {
            headers: rest.iter().map(|k| proxy_header(k)).collect(),
            default: Kind::Table,
            transform: Transform::None,
            extra: proxy_header,
            flush_each: false,
            user_first: false,
        }),
        // plugins/mail-crypt/doveadm-mail-crypt.c
        "mailboxCryptokeyGenerate" => spec(
            vec![
                Header::new("success", "  ", 0),
                Header::new("box", "Folder", 0),
                Header::new("pubid", "Public ID", 0),
            ],
            Kind::Table,
        ),
        "mailboxCryptokeyList" => spec(
            vec![
                Header::new("box", "Folder", 0),
                Header::new("active", "Active", 0),
                Header::new("pubid", "Public ID", 0),
            ],
            Kind::Table,
        ),
        "mailboxCryptokeyExport" => spec(
            vec![
                Header::new("box", "Folder", 0),
                Header::new("name", "Public ID", 0),
                Header::new("error", "Error", 0),
                Header::new("key", "Key", 0),
            ],
            Kind::Pager,
        ),
        "mailboxCryptokeyPassword" => spec(simple(&["result"]), Kind::Pager),
        // plugins/fts-flatcurve (2.4)
        "ftsFlatcurveCheck" | "ftsFlatcurveStats" | "ftsFlatcurveRemove" | "ftsFlatcurveRotate" => {
            let mut h = vec![
                Header::new("mailbox", "mailbox", HIDE_TITLE),
                Header::simple("guid"),
            ];
            h.extend(simple(match api {
                "ftsFlatcurveCheck" => &["errors", "shards"][..],
                "ftsFlatcurveStats" => &["last_uid", "messages", "shards", "version"],
                _ => &[],
            }));
            spec(h, Kind::Flow)
        }
        // plugins/acl/doveadm-acl.c
        "aclGet" => spec(
            vec![
                Header::new("id", "ID", 0),
                Header::new("global", "Global", 0),
                Header::new("rights", "Rights", 0),
            ],
            Kind::Table,
        ),
        "aclRights" => spec(vec![Header::new("rights", "Rights", 0)], Kind::Table),
        // plugins/fts/doveadm-fts.c
        // Pigeonhole's doveadm-sieve-cmd-get.c / -list.c
        "sieveGet" => spec(
            vec![Header::new("sieve script", "sieve script", STREAM)],
            Kind::Pager,
        ),
        "sieveList" => spec(
            vec![
                Header::new("script", "script", HIDE_TITLE),
                Header::new("active", "active", HIDE_TITLE),
            ],
            Kind::Flow,
        ),
        "ftsTokenize" => spec(vec![Header::new("token", "token", HIDE_TITLE)], Kind::Flow),
        // doveadm prints nothing for these with any formatter (`quick_init`: no
        // doveadm_print_deinit(), so not even `tab`'s empty title line).
        "reload" | "stop" | "config" => None,
        // Every other command prints no rows (`mailbox create`, `expunge`...), but its
        // formatter still ends: `-f tab` prints an empty title line, `-f json` `[]`.
        // Rows from a command without an entry get their keys as titles.
        _ => spec(Vec::new(), Kind::Flow),
    }
}
