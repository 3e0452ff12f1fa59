//! A clap usage error as the one line rdoveadm prints (`rdoveadm: error: ...`), with clap's
//! suggestions kept and URLs redacted. Separate: it reads clap's errors, not the definition.

/// clap's error message as one line: it runs until its "Usage:" paragraph.
pub fn one_line_error(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let message = text.split("\n\n").next().unwrap_or("bad usage");
    let words: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut line = words.join(" ").trim_start_matches("error: ").to_string();
    // clap's "a similar subcommand exists" tip is in a later paragraph: keep it.
    let tips = suggestions(e);
    if !tips.is_empty() {
        let tips: Vec<String> = tips.iter().map(|t| format!("`{t}`")).collect();
        line.push_str(&format!("; did you mean {}?", tips.join(" or ")));
    }
    crate::secret::redact_urls_in(&line)
}

/// What clap suggests for a mistyped command, option or value.
fn suggestions(e: &clap::Error) -> Vec<String> {
    use clap::error::{ContextKind, ContextValue};
    let mut out = Vec::new();
    for kind in [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedArg,
        ContextKind::SuggestedValue,
    ] {
        match e.get(kind) {
            Some(ContextValue::String(s)) => out.push(s.clone()),
            Some(ContextValue::Strings(v)) => out.extend(v.iter().cloned()),
            _ => {}
        }
    }
    out
}
