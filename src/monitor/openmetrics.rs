//! `-f openmetrics`: the OpenMetrics text exposition that Prometheus and
//! node_exporter's textfile collector read. A command emits sample rows
//! ([`sample`]): the metric family, its type, unit and help in `#`-keys, the value,
//! and every other field a label. So a fan-out's `server` field is a `server`
//! label. [`OpenMetricsSink`] groups the samples by family (OpenMetrics wants each
//! family's samples together) and ends with `# EOF`.

use std::io::Write;

use serde_json::{json, Value};

use crate::output::{Row, RowSink};

/// A metric family: name (with its unit suffix), type, unit (`""` for none) and help.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    pub name: &'static str,
    pub kind: &'static str,
    pub unit: &'static str,
    pub help: &'static str,
}

pub const fn gauge(name: &'static str, unit: &'static str, help: &'static str) -> Family {
    Family {
        name,
        kind: "gauge",
        unit,
        help,
    }
}

/// A sample row: `labels` in order, then the value.
pub fn sample(f: &Family, labels: &[(&str, &str)], value: f64) -> Row {
    let mut r = Row::new();
    r.insert("#family".into(), json!(f.name));
    r.insert("#type".into(), json!(f.kind));
    r.insert("#unit".into(), json!(f.unit));
    r.insert("#help".into(), json!(f.help));
    for (k, v) in labels {
        r.insert((*k).to_string(), json!(v));
    }
    r.insert("#value".into(), json!(value));
    r
}

/// Collects samples; writes the exposition when finished.
pub struct OpenMetricsSink<'w> {
    w: Box<dyn Write + 'w>,
    rows: Vec<Row>,
}

impl<'w> OpenMetricsSink<'w> {
    pub fn new(w: Box<dyn Write + 'w>) -> Self {
        OpenMetricsSink {
            w,
            rows: Vec::new(),
        }
    }
}

impl RowSink for OpenMetricsSink<'_> {
    fn row(&mut self, row: &Row) -> std::io::Result<()> {
        self.rows.push(row.clone());
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.w.write_all(render(&self.rows).as_bytes())?;
        self.w.flush()
    }
}

/// The exposition of these sample rows.
pub fn render(rows: &[Row]) -> String {
    // Families in first-seen order, each with its samples.
    let mut order: Vec<&str> = Vec::new();
    let mut by: std::collections::HashMap<&str, Vec<&Row>> = std::collections::HashMap::new();
    for r in rows {
        let Some(name) = r.get("#family").and_then(Value::as_str) else {
            continue;
        };
        by.entry(name)
            .or_insert_with(|| {
                order.push(name);
                Vec::new()
            })
            .push(r);
    }
    let mut out = String::new();
    for name in order {
        let Some(samples) = by.get(name) else {
            continue;
        };
        let first = samples.first().copied();
        let meta = |k: &str| {
            first
                .and_then(|r| r.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
        };
        out.push_str(&format!("# TYPE {name} {}\n", meta("#type")));
        if !meta("#unit").is_empty() {
            out.push_str(&format!("# UNIT {name} {}\n", meta("#unit")));
        }
        out.push_str(&format!("# HELP {name} {}\n", escape(meta("#help"))));
        for r in samples {
            let labels: Vec<String> = r
                .iter()
                .filter(|(k, _)| !k.starts_with('#'))
                .map(|(k, v)| format!("{}=\"{}\"", label_name(k), escape(&crate::output::text(v))))
                .collect();
            let value = r.get("#value").and_then(Value::as_f64).unwrap_or(f64::NAN);
            if labels.is_empty() {
                out.push_str(&format!("{name} {}\n", number(value)));
            } else {
                out.push_str(&format!(
                    "{name}{{{}}} {}\n",
                    labels.join(","),
                    number(value)
                ));
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

/// A number as OpenMetrics writes it: integers without a fraction.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// A label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
fn label_name(k: &str) -> String {
    let mut s: String = k
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

/// A label value or help text: `\`, `"` and newline escaped as OpenMetrics says; other
/// characters a terminal would act on are shown as `\xHH` text (as in `tab`), never raw.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if crate::text::is_unsafe(c) => {
                out.push_str(&crate::text::escape_value(&c.to_string()).replace('\\', "\\\\"))
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: Family = gauge("x_seconds", "seconds", "A \"time\".");

    #[test]
    fn families_are_grouped_and_the_text_ends_with_eof() {
        let rows = [
            sample(&F, &[("host", "a")], 0.5),
            sample(&gauge("y", "", "Y."), &[], 3.0),
            crate::output::with_first(
                "server",
                json!("mx1"),
                sample(&F, &[("host", "b\"\n\u{1b}")], 2.0),
            ),
        ];
        assert_eq!(
            render(&rows),
            "# TYPE x_seconds gauge\n# UNIT x_seconds seconds\n# HELP x_seconds A \\\"time\\\".\n\
             x_seconds{host=\"a\"} 0.5\nx_seconds{server=\"mx1\",host=\"b\\\"\\n\\\\x1b\"} 2\n\
             # TYPE y gauge\n# HELP y Y.\ny 3\n# EOF\n"
        );
        assert_eq!(render(&[]), "# EOF\n");
    }
}
