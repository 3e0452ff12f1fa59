//! What one fuzz input does, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/`,
//! which include this file) and `tests/props.rs` (which replays `fuzz/regressions/`
//! with it), so a reproducer means the same thing in both. Each function panics only
//! where rdoveadm does.

#![allow(dead_code)]

use rdoveadm::cli::Format;
use rdoveadm::client::wire;
use rdoveadm::output;
use rdoveadm::probe::{self, imap, line, pop3, tls, Service, Target};
use rdoveadm::settings::OutputSettings;
use serde_json::{Map, Value};

/// Both reply parsers on `data`: the tree's result (exit code on error) and the rows
/// the streaming parser handed over (or its exit code).
pub fn reply(data: &[u8]) -> (Result<Value, i32>, Result<Vec<Value>, i32>) {
    let tree = wire::parse_reply("who", data).map_err(|e| e.exit_code());
    let mut rows = Vec::new();
    let streamed = wire::stream_rows("who", data, &mut |r| {
        rows.push(Value::Object(r));
        Ok(())
    })
    .map(|()| rows)
    .map_err(|e| e.exit_code());
    (tree, streamed)
}

/// Whether the two parsers ended alike: the same rows (an object result is one
/// row), or errors with the same exit code.
pub fn agree(tree: &Result<Value, i32>, streamed: &Result<Vec<Value>, i32>) -> bool {
    match (tree, streamed) {
        (Ok(Value::Array(t)), Ok(s)) => t == s,
        (Ok(obj @ Value::Object(_)), Ok(s)) => std::slice::from_ref(obj) == &s[..],
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

/// The reply parser fed `data` in chunks (1-16 bytes, sizes taken from `sizes` in
/// turn), as a body arrives from a socket: the result as [`reply`]'s tree gives it.
pub fn reply_chunked(data: &[u8], sizes: &[u8]) -> Result<Value, i32> {
    let mut parser = wire::ReplyParser::new("who", usize::MAX);
    let mut rows = Vec::new();
    let mut rest = data;
    let mut sizes = sizes.iter().cycle();
    while !rest.is_empty() {
        let n = usize::from(sizes.next().copied().unwrap_or(0) % 16) + 1;
        let (chunk, tail) = rest.split_at(n.min(rest.len()));
        parser
            .feed(chunk, &mut |r| {
                rows.push(r);
                Ok(())
            })
            .map_err(|e| e.exit_code())?;
        rest = tail;
    }
    let shape = parser.finish().map_err(|e| e.exit_code())?;
    Ok(shape.collect(rows))
}

pub fn schema(data: &[u8]) {
    let _ = wire::parse_schema(data);
}

pub const FORMATS: [Format; 5] = [
    Format::Table,
    Format::Tab,
    Format::Flow,
    Format::Json,
    Format::Jsonl,
];

/// A render case from bytes: byte 0 picks format, header and color; byte 1 the
/// width (1-200); the rest is rows split by 0xFF, each row's fields split by 0xFE
/// as key, value, key, value... (lossy UTF-8; a value starting with 0xFD becomes a
/// number, 0xFC null).
pub struct RenderCase {
    pub settings: OutputSettings,
    pub columns: Vec<String>,
    pub rows: Vec<Map<String, Value>>,
}

pub fn render_case(data: &[u8]) -> Option<RenderCase> {
    let [mode, w, rest @ ..] = data else {
        return None;
    };
    let value = |b: &[u8]| match b.split_first() {
        Some((0xFD, rest)) => Value::from(rest.len() as u64 * 1_000_003),
        Some((0xFC, _)) => Value::Null,
        _ => Value::String(String::from_utf8_lossy(b).into_owned()),
    };
    let rows: Vec<Map<String, Value>> = rest
        .split(|&b| b == 0xFF)
        .map(|row| {
            let mut fields = row.split(|&b| b == 0xFE);
            let mut m = Map::new();
            while let Some(k) = fields.next() {
                let v = fields.next().unwrap_or(&[]);
                m.insert(String::from_utf8_lossy(k).into_owned(), value(v));
            }
            m
        })
        .collect();
    // Expected columns: one the rows may lack, then the first row's first keys.
    let mut columns = vec!["username".to_string()];
    columns.extend(rows.first()?.keys().take(2).cloned());
    Some(RenderCase {
        settings: OutputSettings {
            format: FORMATS[usize::from(*mode) % FORMATS.len()],
            header: mode & 0x08 != 0,
            width: Some(1 + u16::from(*w) % 200),
            color: mode & 0x10 != 0,
            typed: false,
            explicit: true,
            tty: true,
        },
        columns,
        rows,
    })
}

/// Renders the case; the output as text (renderers write UTF-8).
pub fn render(case: &RenderCase) -> String {
    let columns: Vec<&str> = case.columns.iter().map(String::as_str).collect();
    let mut buf = Vec::new();
    output::write_rows(
        output::sink(&case.settings, &columns, Box::new(&mut buf)),
        &case.rows,
    )
    .expect("writing to a Vec never fails");
    String::from_utf8(buf).expect("renderers write UTF-8")
}

/// The lines a probe reads from `data` (as `LineConn::read_line` splits them).
pub fn lines(data: &[u8]) -> Vec<String> {
    let mut buf = data.to_vec();
    let mut out = Vec::new();
    while let Ok(Some(l)) = line::take_line(&mut buf) {
        out.push(l);
    }
    out
}

fn report(service: Service, greeting: String, caps: Vec<String>) -> String {
    let mut r = probe::Report::new(&Target {
        host: "fuzz".into(),
        port: 1,
        service,
    });
    r.greeting = greeting;
    r.caps_before_tls = Some(caps);
    probe::guess_server(&r)
}

/// An IMAP server's side of a probe: greeting, the reply to `p1 CAPABILITY`, the
/// reply to `p2 STARTTLS`.
pub fn probe_imap(data: &[u8]) {
    let mut lines = lines(data).into_iter();
    let Some(first) = lines.next() else {
        return;
    };
    let g = imap::parse_greeting(&first);
    let _ = imap::greeting_text(&first);
    assert_eq!(imap::check_greeting(&first).is_ok(), g.ok);
    let mut caps = g.caps.unwrap_or_default();
    let mut reply = imap::CapabilityReply::new("p1");
    for l in lines.by_ref() {
        if let Some(done) = reply.feed(&l) {
            if let Ok(c) = done {
                assert!(c.len() <= imap::MAX_CAPS);
                caps = c;
            }
            break;
        }
    }
    for l in lines {
        let _ = imap::classify(&l, "p2");
        if imap::tagged_status(&l, "p2").is_some() {
            break;
        }
    }
    let _ = imap::has(&caps, "STARTTLS");
    let _ = imap::plaintext_login_offered(&caps);
    let _ = report(Service::Imap, first, caps);
}

/// A POP3 server's side of a probe: greeting, the reply to `CAPA`, the reply to `STLS`.
pub fn probe_pop3(data: &[u8]) {
    let mut lines = lines(data).into_iter();
    let Some(first) = lines.next() else {
        return;
    };
    let _ = pop3::greeting_text(&first);
    let _ = pop3::check_ok(first.clone());
    let mut caps = Vec::new();
    let mut reply = pop3::CapaReply::default();
    for l in lines.by_ref() {
        if let Some(done) = reply.feed(&l) {
            if let Ok(Some(c)) = done {
                assert!(c.len() <= pop3::MAX_CAPA_LINES);
                caps = c;
            }
            break;
        }
    }
    if let Some(l) = lines.next() {
        let _ = pop3::check_ok(l);
    }
    let _ = pop3::has(&caps, "STLS");
    let _ = pop3::implementation(&caps);
    let _ = pop3::plaintext_login_offered(&caps);
    let _ = report(Service::Pop3, first, caps);
}

/// A certificate as a hostile TLS server sends it (DER), and the date arithmetic on
/// what it yields; the first 8 bytes are also a Unix time for `iso_utc`.
pub fn probe_cert(data: &[u8]) {
    if let Some(head) = data.get(..8) {
        let t = i64::from_le_bytes(head.try_into().expect("8 bytes"));
        let _ = tls::iso_utc(t);
    }
    if let Ok(cert) = tls::CertInfo::parse(data) {
        let _ = cert.days_left(tls::now_unix());
        let _ = cert.days_left(i64::MIN);
        let _ = tls::iso_utc(cert.not_after_unix);
    }
}
