//! `-f nagios`: the monitoring-plugins output convention. The first line is
//! `SERVICE STATE - summary|perfdata`, long text may follow (one line per item), and the
//! exit code is the state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
//!
//! A command emits check rows ([`check`]); [`NagiosSink`] writes them as one result
//! when it finishes. Under fan-out each server's row carries `server`: the summary
//! names the servers that are not OK, perfdata labels get the server as a prefix
//! (`mx1_users_over_warning=0;;;0`), long text lines start with the server, and the
//! worst state wins, in the order CRITICAL > WARNING > UNKNOWN > OK (as the
//! monitoring-plugins' `max_state_alt`).
//!
//! The exit code is decided in [`crate::run`] from what the sink wrote ([`exit_code`]):
//! a failure before any result (usage error, no server, settings) prints an UNKNOWN
//! line and exits 3.

use std::io::Write;
use std::sync::atomic::{AtomicI32, Ordering};

use serde_json::{json, Value};

use crate::error::Error;
use crate::output::{Row, RowSink};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }

    fn from_code(c: i64) -> State {
        match c {
            0 => State::Ok,
            1 => State::Warning,
            2 => State::Critical,
            _ => State::Unknown,
        }
    }

    /// Severity for "the worst wins": CRITICAL > WARNING > UNKNOWN > OK.
    fn rank(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Unknown => 1,
            State::Warning => 2,
            State::Critical => 3,
        }
    }

    pub fn worst(self, other: State) -> State {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// One perfdata item: `label=value[UOM];warn;crit;min;max` (empty parts may be left out).
#[derive(Debug, Clone, PartialEq)]
pub struct Perf {
    pub label: String,
    /// The value with its unit of measure, e.g. `0.012s`, `29`.
    pub value: String,
    pub warn: String,
    pub crit: String,
    pub min: String,
    pub max: String,
}

impl Perf {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Perf {
        Perf {
            label: label.into(),
            value: value.into(),
            warn: String::new(),
            crit: String::new(),
            min: "0".into(),
            max: String::new(),
        }
    }

    pub fn thresholds(mut self, warn: impl ToString, crit: impl ToString) -> Perf {
        self.warn = warn.to_string();
        self.crit = crit.to_string();
        self
    }

    /// `label=value;warn;crit;min;max`, trailing empty fields dropped.
    fn render(&self, prefix: Option<&str>) -> String {
        let label = match prefix {
            Some(p) => format!("{}_{}", label_safe(p), self.label),
            None => self.label.clone(),
        };
        let mut s = format!(
            "{}={};{};{};{};{}",
            label_safe(&label),
            self.value,
            self.warn,
            self.crit,
            self.min,
            self.max
        );
        while s.ends_with(';') {
            s.pop();
        }
        s
    }
}

/// A perfdata label without `=`, quotes, spaces or anything a grapher stumbles on.
fn label_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Text for the status line or long text: escaped like every line format (it may
/// quote a server), and without `|`, which starts perfdata.
pub fn text(s: &str) -> String {
    crate::text::escape_value(s).replace('|', "\\x7c")
}

/// A check row: the command's result as one nagios item.
pub fn check(service: &str, state: State, summary: &str, perf: &[Perf], long: &[String]) -> Row {
    let perf: Vec<Value> = perf
        .iter()
        .map(|p| json!([p.label, p.value, p.warn, p.crit, p.min, p.max]))
        .collect();
    let mut r = Row::new();
    r.insert("#service".into(), json!(service));
    r.insert("#state".into(), json!(state as i32));
    r.insert("#summary".into(), json!(summary));
    r.insert("#perf".into(), Value::Array(perf));
    r.insert("#long".into(), json!(long));
    r
}

/// The state a nagios result was written with; -1 before.
static WRITTEN: AtomicI32 = AtomicI32::new(-1);

/// The process exit code under `-f nagios`: the state written, made at least UNKNOWN
/// by an error after it; with no result written, an UNKNOWN line saying why, and 3.
pub fn exit_code(service: &str, error: Option<&Error>) -> i32 {
    let written = WRITTEN.load(Ordering::SeqCst);
    if written >= 0 {
        let state = State::from_code(i64::from(written));
        return match error {
            Some(Error::BrokenPipe) | None => state as i32,
            Some(_) => state.worst(State::Unknown) as i32,
        };
    }
    let why = match error {
        Some(e) if !e.to_string().is_empty() => e.to_string(),
        Some(e) => format!("failed with exit code {}", e.exit_code()),
        None => "no result".to_string(),
    };
    unknown_line(service, &why);
    State::Unknown as i32
}

/// Under `-f nagios`, a command that could not run its check (server down, refused
/// credentials, a failed request) is an UNKNOWN check row saying why, so that under
/// fan-out that server is one item of the result.
pub fn failed_check(
    ctx: &crate::commands::Ctx,
    command: &crate::cli::Command,
    result: Result<(), Error>,
) -> Result<(), Error> {
    if ctx.settings.output.format != crate::cli::Format::Nagios {
        return result;
    }
    match result {
        Err(e) if !matches!(e, Error::BrokenPipe) => {
            let why = match e.to_string() {
                m if m.is_empty() => format!("failed with exit code {}", e.exit_code()),
                m => crate::text::message_line(&m),
            };
            eprintln!("rdoveadm: error: {}", text(&why));
            let row = check(super::service(command), State::Unknown, &why, &[], &[]);
            ctx.emit(&[], &[row])
        }
        r => r,
    }
}

/// Prints `SERVICE UNKNOWN - why` on stdout.
pub fn unknown_line(service: &str, why: &str) {
    let line = format!(
        "{service} UNKNOWN - {}",
        text(&crate::text::message_line(why))
    );
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The service name for a usage error: that of the command named on the command line.
pub fn service_in(args: &[String]) -> &'static str {
    match args
        .iter()
        .skip(1)
        .find(|a| matches!(a.as_str(), "probe" | "quota" | "who"))
    {
        Some(a) if a == "probe" => "PROBE",
        Some(a) if a == "quota" => "QUOTA",
        Some(_) => "WHO",
        None => "RDOVEADM",
    }
}

/// Whether `-f nagios` / `--format nagios` is on the command line or RDOVEADM_FORMAT
/// says nagios: for usage errors clap reports before anything is parsed.
pub fn requested(args: &[String], env_format: Option<&str>) -> bool {
    let mut it = args.iter().skip(1).peekable();
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        let value = match a.as_str() {
            "-f" | "--format" => it.peek().map(|s| s.as_str()),
            _ => a
                .strip_prefix("--format=")
                .or_else(|| a.strip_prefix("-f").filter(|v| !v.is_empty())),
        };
        if value == Some("nagios") {
            return true;
        }
    }
    env_format == Some("nagios")
}

/// Collects check rows; writes the result when finished.
pub struct NagiosSink<'w> {
    w: Box<dyn Write + 'w>,
    rows: Vec<Row>,
}

impl<'w> NagiosSink<'w> {
    pub fn new(w: Box<dyn Write + 'w>) -> Self {
        NagiosSink {
            w,
            rows: Vec::new(),
        }
    }
}

impl RowSink for NagiosSink<'_> {
    fn row(&mut self, row: &Row) -> std::io::Result<()> {
        self.rows.push(row.clone());
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        let (state, text) = render(&self.rows);
        WRITTEN.store(state as i32, Ordering::SeqCst);
        self.w.write_all(text.as_bytes())?;
        self.w.flush()
    }
}

struct Item<'a> {
    server: Option<String>,
    service: &'a str,
    state: State,
    summary: String,
    perf: Vec<Perf>,
    long: Vec<String>,
}

fn item(row: &Row) -> Item<'_> {
    let s = |k: &str| row.get(k).and_then(Value::as_str).unwrap_or("");
    let perf = row
        .get("#perf")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    let f: Vec<String> = p
                        .as_array()?
                        .iter()
                        .map(|v| v.as_str().unwrap_or("").to_string())
                        .collect();
                    match f.as_slice() {
                        [label, value, warn, crit, min, max] => Some(Perf {
                            label: label.clone(),
                            value: value.clone(),
                            warn: warn.clone(),
                            crit: crit.clone(),
                            min: min.clone(),
                            max: max.clone(),
                        }),
                        _ => None,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let long = row
        .get("#long")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|v| text(v.as_str().unwrap_or(""))).collect())
        .unwrap_or_default();
    Item {
        server: row
            .get("server")
            .map(|v| crate::output::text(v).into_owned()),
        service: s("#service"),
        state: State::from_code(row.get("#state").and_then(Value::as_i64).unwrap_or(3)),
        summary: text(s("#summary")),
        perf,
        long,
    }
}

/// The result for these check rows: the worst state and the text to print.
pub fn render(rows: &[Row]) -> (State, String) {
    let items: Vec<Item> = rows.iter().map(item).collect();
    let service = items.first().map_or("RDOVEADM", |i| i.service);
    let state = items.iter().fold(State::Ok, |s, i| s.worst(i.state));
    let state = if items.is_empty() {
        State::Unknown
    } else {
        state
    };
    let summary = match items.as_slice() {
        [] => "no result".to_string(),
        [one] if one.server.is_none() => one.summary.clone(),
        many => {
            let count = |st: State| many.iter().filter(|i| i.state == st).count();
            let mut s = format!(
                "{} servers: {} OK, {} WARNING, {} CRITICAL, {} UNKNOWN",
                many.len(),
                count(State::Ok),
                count(State::Warning),
                count(State::Critical),
                count(State::Unknown)
            );
            for i in many.iter().filter(|i| i.state != State::Ok) {
                s.push_str(&format!(
                    "; {}: {}",
                    text(i.server.as_deref().unwrap_or("?")),
                    i.summary
                ));
            }
            s
        }
    };
    let perf: Vec<String> = items
        .iter()
        .flat_map(|i| i.perf.iter().map(|p| p.render(i.server.as_deref())))
        .collect();
    let mut out = format!("{service} {} - {summary}", state.name());
    if !perf.is_empty() {
        out.push('|');
        out.push_str(&perf.join(" "));
    }
    out.push('\n');
    for i in &items {
        match &i.server {
            Some(server) => {
                let server = text(server);
                out.push_str(&format!("{server}: {} - {}\n", i.state.name(), i.summary));
                for l in &i.long {
                    out.push_str(&format!("{server}: {l}\n"));
                }
            }
            None => {
                for l in &i.long {
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
    }
    (state, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_check_is_status_line_perfdata_and_long_text() {
        let r = check(
            "PROBE",
            State::Warning,
            "imaps: certificate expires in 20 days",
            &[Perf::new("imaps_days_left", "20").thresholds(30, 7)],
            &["[WARNING] imaps 127.0.0.1:993: x|y".into()],
        );
        let (state, out) = render(&[r]);
        assert_eq!(state, State::Warning);
        assert_eq!(
            out,
            "PROBE WARNING - imaps: certificate expires in 20 days|imaps_days_left=20;30;7;0\n[WARNING] imaps 127.0.0.1:993: x\\x7cy\n"
        );
    }

    #[test]
    fn under_fan_out_the_worst_state_wins_and_labels_get_the_server() {
        let with = |server: &str, st: State| {
            crate::output::with_first(
                "server",
                json!(server),
                check("QUOTA", st, "s", &[Perf::new("users", "1")], &[]),
            )
        };
        let (state, out) = render(&[
            with("mx1", State::Ok),
            with("http://h:1/x", State::Unknown),
            with("mx3", State::Warning),
        ]);
        assert_eq!(state, State::Warning);
        let first = out.lines().next().unwrap();
        assert_eq!(
            first,
            "QUOTA WARNING - 3 servers: 1 OK, 1 WARNING, 0 CRITICAL, 1 UNKNOWN; http://h:1/x: s; mx3: s|mx1_users=1;;;0 http___h_1_x_users=1;;;0 mx3_users=1;;;0"
        );
        assert_eq!(State::Critical.worst(State::Unknown), State::Critical);
        assert_eq!(State::Ok.worst(State::Unknown), State::Unknown);
    }

    #[test]
    fn nagios_on_the_command_line() {
        let a = |s: &str| -> Vec<String> { s.split(' ').map(String::from).collect() };
        assert!(requested(&a("rdoveadm -f nagios probe"), None));
        assert!(requested(&a("rdoveadm --format=nagios x"), None));
        assert!(requested(&a("rdoveadm -fnagios x"), None));
        assert!(requested(&a("rdoveadm x"), Some("nagios")));
        assert!(!requested(&a("rdoveadm -f json x"), None));
        assert!(!requested(&a("rdoveadm x -- -f nagios"), None));
        assert_eq!(
            service_in(&a("rdoveadm -f nagios quota get --bogus")),
            "QUOTA"
        );
        assert_eq!(service_in(&a("rdoveadm -f nagios --bogus")), "RDOVEADM");
    }
}
