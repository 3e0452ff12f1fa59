//! The man pages under `man/`: clap_mangen's pages with the global options in their own
//! section, and the main page's extra sections (exit status, environment, files,
//! examples, see also). Apart from the completion scripts because it is roff, not shell.

// Generation only writes into `Vec<u8>`, which cannot fail: `expect` states that.
#![allow(clippy::expect_used)]

use std::io;
use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::cli::{Cli, GLOBAL_HEADING};
use crate::error::{exit_code_label, EXIT_CODE_TABLE};

/// The command as the man pages show it: the package version without the git commit
/// (so the pages don't change with every commit) and no `help` subcommand.
fn man_command() -> clap::Command {
    let mut cmd = crate::cli::finish(
        Cli::command()
            .version(env!("CARGO_PKG_VERSION"))
            .disable_help_subcommand(true),
    );
    // Propagates the global options into every subcommand's page.
    cmd.build();
    cmd
}

/// `cmd` split as `--help` shows it: the command with only its own options, and a
/// command holding the global options it uses (`None` when it uses none).
fn split_globals(cmd: &clap::Command) -> (clap::Command, Option<clap::Command>) {
    let is_global =
        |a: &clap::Arg| a.get_help_heading() == Some(GLOBAL_HEADING) && !a.is_hide_set();
    let ids: Vec<String> = cmd
        .get_arguments()
        .filter(|a| is_global(a))
        .map(|a| a.get_id().to_string())
        .collect();
    if ids.is_empty() {
        return (cmd.clone(), None);
    }
    let globals = clap::Command::new("global-options")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args(
            cmd.get_arguments()
                .filter(|a| is_global(a))
                .map(|a| a.clone().global(false)),
        );
    let mut own = cmd.clone();
    for id in ids {
        own = own.mut_arg(id, |a| a.hide(true));
    }
    (own, Some(globals))
}

/// The "GLOBAL OPTIONS" section of a page, after its own OPTIONS (as in `--help`).
fn global_options_section(globals: &clap::Command) -> String {
    let mut buf = Vec::new();
    clap_mangen::Man::new(globals.clone())
        .render_options_section(&mut buf)
        .expect("writing to a Vec cannot fail");
    String::from_utf8_lossy(&buf).replacen(".SH OPTIONS", ".SH \"GLOBAL OPTIONS\"", 1)
}

/// A subcommand's page: clap_mangen's, with the global options in their own section.
fn sub_page(sub: &clap::Command) -> (String, Vec<u8>) {
    let (own, globals) = split_globals(sub);
    let man = clap_mangen::Man::new(own);
    let mut buf = Vec::new();
    man.render(&mut buf).expect("writing to a Vec cannot fail");
    let Some(globals) = globals else {
        return (man.get_filename(), buf);
    };
    let page = String::from_utf8_lossy(&buf).into_owned();
    let section = global_options_section(&globals);
    // Right after OPTIONS: before the next section, or at the end.
    let at = page
        .find(".SH OPTIONS")
        .and_then(|o| page.get(o + 1..)?.find("\n.SH ").map(|n| o + 1 + n + 1))
        .unwrap_or(page.len());
    let (head, tail) = page.split_at(at);
    (
        man.get_filename(),
        format!("{head}{section}{tail}").into_bytes(),
    )
}

/// `rdoveadm.1` and one page per subcommand (`rdoveadm-mailbox-list.1`, ...), like doveadm's.
pub(super) fn man_pages() -> Vec<(PathBuf, Vec<u8>)> {
    fn sub_pages(cmd: &clap::Command, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let (name, page) = sub_page(sub);
            out.push((Path::new("man").join(name), page));
            sub_pages(sub, out);
        }
    }
    let cmd = man_command();
    let mut out = vec![(PathBuf::from("man/rdoveadm.1"), main_page(&cmd))];
    sub_pages(&cmd, &mut out);
    out
}

/// The main page: clap_mangen's sections, then exit status, environment, files and the
/// examples of every subcommand (the main `--help` epilogue is replaced by these).
fn main_page(cmd: &clap::Command) -> Vec<u8> {
    let (own, globals) = split_globals(cmd);
    let man = clap_mangen::Man::new(own);
    let mut buf = Vec::new();
    let w: &mut dyn io::Write = &mut buf;
    (|| -> io::Result<()> {
        man.render_title(w)?;
        man.render_name_section(w)?;
        man.render_synopsis_section(w)?;
        man.render_description_section(w)?;
        man.render_options_section(w)?;
        if let Some(g) = &globals {
            w.write_all(global_options_section(g).as_bytes())?;
        }
        man.render_subcommands_section(w)?;
        w.write_all(extra_sections(cmd).as_bytes())?;
        man.render_version_section(w)
    })()
    .expect("writing to a Vec cannot fail");
    buf
}

/// Environment variables, as the man page lists them.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("RDOVEADM_URL", "The doveadm HTTP API endpoint, as --url (e.g. http://127.0.0.1:8080)."),
    ("RDOVEADM_SOCKET", "Talk HTTP over this UNIX socket, as --socket."),
    ("RDOVEADM_USER", "User name for HTTP Basic authentication, as --auth-user (default: doveadm)."),
    ("RDOVEADM_PASSWORD", "The doveadm_password (HTTP Basic). --password-file beats it."),
    ("RDOVEADM_API_KEY", "The doveadm_api_key (sent as Authorization: X-Dovecot-API); beats a password. --api-key-file beats it."),
    ("RDOVEADM_FORMAT", "Output format, as --format: table, tab, flow, json, jsonl, nagios or openmetrics."),
    ("RDOVEADM_TIMEOUT", "Seconds to wait for connect and reply, as --timeout; 0 waits forever (default: 30)."),
    ("RDOVEADM_SERVER", "Server profile or group from the config file, as --server; a comma list asks several."),
    ("RDOVEADM_CONFIG", "The config file to read instead of the default path (it must then exist)."),
    ("NO_COLOR", "When set, tables are not coloured (unless --color always)."),
    ("COMPLETE", "Set by the completion scripts (COMPLETE=bash|zsh|fish): rdoveadm then prints completions instead of running."),
];

fn extra_sections(cmd: &clap::Command) -> String {
    let mut s = String::new();
    s.push_str(".SH \"EXIT STATUS\"\n");
    for (code, text) in EXIT_CODE_TABLE {
        s.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            exit_code_label(*code),
            roff_text(&text.replace('`', ""))
        ));
    }
    s.push_str(".SH ENVIRONMENT\nA command-line flag beats its environment variable.\n");
    for (name, text) in ENVIRONMENT {
        s.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff_text(name),
            roff_text(text)
        ));
    }
    s.push_str(".SH FILES\n");
    s.push_str(&format!(
        ".TP\n\\fB{}\\fR\n{}\n",
        roff_text("$XDG_CONFIG_HOME/rdoveadm/config.toml"),
        roff_text(
            "Server profiles and groups (used by --server, -s and --all-servers). Without XDG_CONFIG_HOME: \
             ~/.config/rdoveadm/config.toml; RDOVEADM_CONFIG names another file. A file holding a password \
             or API key must not be readable by group or others."
        )
    ));
    s.push_str(".SH EXAMPLES\n");
    examples(cmd, &mut Vec::new(), &mut s);
    s.push_str(".SH \"SEE ALSO\"\n");
    let subs: Vec<String> = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| {
            format!(
                "\\fB{}\\fR(1)",
                roff_text(c.get_display_name().unwrap_or(c.get_name()))
            )
        })
        .chain(["\\fBdoveadm\\fR(1)".to_string()])
        .collect();
    s.push_str(&subs.join(", "));
    s.push('\n');
    s
}

/// One subsection per command that has examples in its `after_help`.
fn examples(cmd: &clap::Command, path: &mut Vec<String>, s: &mut String) {
    for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
        path.push(sub.get_name().to_string());
        let help = sub
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        let lines: Vec<&str> = help
            .lines()
            .filter_map(|l| l.strip_prefix("  "))
            .filter(|l| l.starts_with("rdoveadm"))
            .collect();
        if !lines.is_empty() {
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            s.push_str(&format!(
                ".SS \"{}\"\n{}\n.PP\n.RS 4\n.nf\n",
                roff_text(&path.join(" ")),
                roff_text(&about)
            ));
            for l in lines {
                s.push_str(&roff_text(l));
                s.push('\n');
            }
            s.push_str(".fi\n.RE\n");
        }
        examples(sub, path, s);
        path.pop();
    }
}

/// Escapes text for a roff text line.
fn roff_text(t: &str) -> String {
    let t = t.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with(['.', '\'']) {
        format!("\\&{t}")
    } else {
        t
    }
}
