//! `config show`: the resolved settings and where each came from; never a secret.

use serde_json::json;

use super::Ctx;
use crate::cli::ConfigCommand;
use crate::error::Error;
use crate::output::Row;
use crate::settings::Endpoint;

pub async fn run(ctx: &Ctx, cmd: &ConfigCommand) -> Result<(), Error> {
    let ConfigCommand::Show = cmd;
    let s = &ctx.settings;
    let mut rows: Vec<Row> = Vec::new();
    let mut add = |server: &str, name: &str, value: String| {
        let mut r = Row::new();
        r.insert("server".into(), json!(server));
        r.insert("setting".into(), json!(name));
        r.insert("value".into(), json!(value));
        rows.push(r);
    };
    add(
        "",
        "config_file",
        s.config_path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(none)".into()),
    );
    add(
        "",
        "format",
        format!("{:?}", s.output.format).to_lowercase(),
    );
    if s.targets.is_empty() {
        add("", "endpoint", "(none: use --url, --socket or -s)".into());
    }
    for t in &s.targets {
        let c = &t.connection;
        let endpoint = match &c.endpoint {
            // The sink escapes; userinfo is refused when the URL is parsed, and dropped
            // here once more so no path can show it.
            Endpoint::Url(u) => {
                let mut u = u.clone();
                let _ = u.set_password(None);
                let _ = u.set_username("");
                u.to_string()
            }
            Endpoint::Socket(p) => format!("unix:{}", p.display()),
        };
        add(
            &t.name,
            "endpoint",
            format!("{endpoint} (from {})", t.source),
        );
        add(&t.name, "credentials", c.auth.describe());
        add(
            &t.name,
            "timeout",
            c.timeout
                .map(|d| format!("{} s", d.as_secs_f64()))
                .unwrap_or_else(|| "none".into()),
        );
        add(&t.name, "max_reply_size", format!("{} bytes", c.max_reply));
        add(
            &t.name,
            "tls",
            if c.tls.insecure {
                "NOT verified (--insecure)".into()
            } else if c.tls.cacert_pem.is_some() {
                "verified with --cacert/profile cacert".into()
            } else {
                "verified with the system roots".into()
            },
        );
    }
    ctx.emit(&["server", "setting", "value"], &rows)
}
