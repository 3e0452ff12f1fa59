//! Live completion in real shells: a clean bash and zsh in tmux load the generated
//! scripts from `completions/`, Tab is pressed, and the screen is read back. Names come
//! from a sandbox Dovecot (`-u` users, mailboxes of the `-u` user).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{repo, versions, Dovecot};

const ALICE: &str = "alice@example.org";

/// A tmux server of its own (`tmux -L NAME`) running one shell; killed on drop.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `shell` with a blank environment plus `env`, in a 200x50 pane.
    pub fn start(name: &str, shell: &str, env: &[(&str, String)]) -> Tmux {
        Tmux::start_sized(name, shell, env, 200, 50)
    }

    /// Starts `shell` with a blank environment plus `env`, in a `cols`x`rows` pane.
    pub fn start_sized(
        name: &str,
        shell: &str,
        env: &[(&str, String)],
        cols: u16,
        rows: u16,
    ) -> Tmux {
        let socket = format!("rdoveadm-it-{name}-{}", std::process::id());
        let mut cmd = String::from("env -i TERM=screen");
        for (k, v) in env {
            cmd.push_str(&format!(" {k}='{}'", v.replace('\'', r"'\''")));
        }
        cmd.push(' ');
        cmd.push_str(shell);
        let ok = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                &cols.to_string(),
                "-y",
                &rows.to_string(),
                &cmd,
            ])
            .stdin(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("cannot run tmux (apt-get install -y tmux): {e}"));
        assert!(ok.success(), "tmux new-session failed");
        Tmux { socket }
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends keys (tmux key names like `Tab`, `Enter`, `C-c`) or literal text with `-l`.
    pub fn keys(&self, keys: &[&str]) {
        self.tmux(&[&["send-keys", "-t", "t"][..], keys].concat());
    }

    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J", "-t", "t"])
    }

    /// Polls the screen until `ok` holds; panics with the screen after 15 s.
    pub fn wait(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs a command line and waits until it printed `marker` on a line of its own.
    pub fn run(&self, line: &str, marker: &str) {
        self.type_text(&format!("{line}; echo {marker}"));
        self.keys(&["Enter"]);
        self.wait(&format!("`{line}`"), |s| {
            s.lines().any(|l| l.trim() == marker)
        });
    }

    /// Clears the line and the screen, so the next check sees only what follows. (Not C-c:
    /// bash can drop the next typed character while it handles the interrupt.)
    pub fn clear(&self, n: usize) {
        self.keys(&["C-e", "C-u"]);
        let marker = format!("CLEARED-{n}");
        self.run("clear", &marker);
        self.wait("a cleared screen", |s| {
            s.lines().filter(|l| !l.trim().is_empty()).count() <= 2
        });
    }

    /// Types `line`, presses Tab `tabs` times and waits until the screen satisfies `ok`.
    pub fn complete(
        &self,
        n: usize,
        line: &str,
        tabs: usize,
        what: &str,
        ok: impl Fn(&str) -> bool,
    ) -> String {
        self.clear(n);
        self.type_text(line);
        for _ in 0..tabs {
            self.keys(&["Tab"]);
            std::thread::sleep(Duration::from_millis(300));
        }
        self.wait(what, ok)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(Stdio::null())
            .status();
    }
}

/// The environment of the shells: the built binary first on PATH, the sandbox's URL
/// and password, and a HOME without any config.
pub fn shell_env(d: &Dovecot) -> Vec<(&'static str, String)> {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_rdoveadm"));
    let home = tempfile::tempdir().unwrap().keep();
    vec![
        (
            "PATH",
            format!(
                "{}:/usr/local/bin:/usr/bin:/bin",
                bin.parent().unwrap().display()
            ),
        ),
        ("HOME", home.display().to_string()),
        ("XDG_CONFIG_HOME", home.join("config").display().to_string()),
        ("PS1", "$ ".to_string()),
        ("RDOVEADM_URL", d.url().to_string()),
        ("RDOVEADM_PASSWORD", d.password().to_string()),
    ]
}

fn sandbox_with_archive(version: &str) -> Dovecot {
    let d = Dovecot::start(version, &[]);
    d.rdoveadm()
        .args(["mailbox", "create", "-u", ALICE, "Archive"])
        .run()
        .ok();
    d
}

/// The three checks, the same in both shells; `list_tabs` is how many Tabs list the choices.
fn check_completions(t: &Tmux, shell: &str, list_tabs: usize) {
    let s = t.complete(1, "rdoveadm qu", 1, "`qu` to complete to `quota`", |s| {
        s.contains("rdoveadm quota ")
    });
    eprintln!("--- {shell}: rdoveadm qu<TAB>\n{}", s.trim_end());
    let s = t.complete(
        2,
        "rdoveadm quota get -u al",
        1,
        "`-u al` to complete to alice",
        |s| s.contains(&format!("rdoveadm quota get -u {ALICE}")),
    );
    eprintln!(
        "--- {shell}: rdoveadm quota get -u al<TAB>\n{}",
        s.trim_end()
    );
    let line = format!("rdoveadm mailbox status -u {ALICE} all ");
    let s = t.complete(
        3,
        &line,
        list_tabs,
        "alice's mailboxes to be offered",
        |s| {
            let words: Vec<&str> = s.split_whitespace().collect();
            words.contains(&"INBOX")
                && words
                    .iter()
                    .any(|w| *w == "Archive" || w.starts_with("Archive"))
        },
    );
    eprintln!("--- {shell}: {line}<TAB>\n{}", s.trim_end());
}

#[test]
fn bash_completes_commands_users_and_mailboxes() {
    for v in versions() {
        let d = sandbox_with_archive(v);
        let t = Tmux::start("bash", "bash --norc --noprofile", &shell_env(&d));
        let script = repo().join("completions/rdoveadm.bash");
        t.run(&format!("source '{}'", script.display()), "SOURCED");
        // bash lists the choices on the second Tab.
        check_completions(&t, "bash", 2);
    }
}

#[test]
fn zsh_completes_commands_users_and_mailboxes() {
    for v in versions() {
        let d = sandbox_with_archive(v);
        let t = Tmux::start("zsh", "zsh -f", &shell_env(&d));
        // From $fpath, as installed: compinit autoloads `_rdoveadm` on the first Tab.
        let dir = repo().join("completions");
        t.run(
            &format!(
                "fpath=('{}' $fpath); autoload -U compinit; compinit -u -D",
                dir.display()
            ),
            "COMPINIT",
        );
        check_completions(&t, "zsh", 1);
    }
}

/// A sandbox whose alice has mailboxes with a space and shell metacharacters in the name.
fn sandbox_with_odd_names(version: &str) -> Dovecot {
    let d = Dovecot::start(version, &[]);
    d.rdoveadm()
        .args(["mailbox", "create", "-u", ALICE, "Work Stuff", "Q1 (draft)"])
        .run()
        .ok();
    d
}

#[test]
fn bash_quotes_names_with_spaces_and_completes_status_fields() {
    for v in versions() {
        let d = sandbox_with_odd_names(v);
        let t = Tmux::start("bashq", "bash --norc --noprofile", &shell_env(&d));
        // The script `rdoveadm completions bash` prints (what gen-docs commits).
        let script = tempfile::NamedTempFile::new().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_rdoveadm"))
            .args(["completions", "bash"])
            .output()
            .unwrap();
        std::fs::write(script.path(), &out.stdout).unwrap();
        t.run(&format!("source '{}'", script.path().display()), "SOURCED");
        let line = format!("rdoveadm -f tab mailbox status -u {ALICE} messages Wo");
        let s = t.complete(1, &line, 1, "`Work Stuff` quoted", |s| {
            s.contains(&format!("-u {ALICE} messages Work\\ Stuff"))
        });
        eprintln!("--- bash ({v}): {line}<TAB>\n{}", s.trim_end());
        // Run what completion wrote: one argument, the real mailbox.
        t.type_text("; echo DONE-1");
        t.keys(&["Enter"]);
        let s = t.wait("the status of `Work Stuff`", |s| {
            s.lines().any(|l| l.trim() == "DONE-1")
        });
        assert!(
            s.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["Work", "Stuff", "0"]),
            "{v}:\n{s}"
        );
        let line = format!("rdoveadm mailbox status -u {ALICE} messages Q1");
        t.complete(2, &line, 1, "`Q1 (draft)` quoted", |s| {
            s.contains("messages Q1\\ \\(draft\\)")
        });
        // Field names of `mailbox status`.
        let line = format!("rdoveadm mailbox status -u {ALICE} uidv");
        t.complete(3, &line, 1, "`uidvalidity`", |s| {
            s.contains(&format!("-u {ALICE} uidvalidity"))
        });
    }
}

#[test]
fn fish_loads_the_completion_scripts_install_installed() {
    let d = sandbox_with_odd_names(versions()[0]);
    // A PREFIX fish does not search, as /usr/local is on Debian: install must put the
    // file where fish does look. Everything goes into a tempdir: the prefix, and the
    // fish completions directory (the user's own, under XDG_CONFIG_HOME, which the
    // fish started below reads); no system directory is touched.
    let system = [
        "/usr/local/bin/rdoveadm",
        "/usr/local/share/bash-completion",
        "/usr/local/share/zsh",
        "/usr/local/share/fish",
        "/usr/local/share/man/man1/rdoveadm.1",
        "/etc/fish/completions/rdoveadm.fish",
    ];
    let before: Vec<bool> = system.iter().map(|p| Path::new(p).exists()).collect();
    let mut env = shell_env(&d);
    env.retain(|(k, _)| *k != "PS1");
    let config = env
        .iter()
        .find(|(k, _)| *k == "XDG_CONFIG_HOME")
        .map(|(_, v)| PathBuf::from(v))
        .unwrap();
    let fish_dir = config.join("fish/completions");
    let prefix = tempfile::tempdir().unwrap();
    let out = Command::new(repo().join("scripts/install"))
        .env("RDOVEADM_BIN", env!("CARGO_BIN_EXE_rdoveadm"))
        .env("PREFIX", prefix.path())
        .env("FISH_COMPLETIONS_DIR", &fish_dir)
        .env_remove("DESTDIR")
        .output()
        .expect("run scripts/install");
    let after: Vec<bool> = system.iter().map(|p| Path::new(p).exists()).collect();
    assert_eq!(before, after, "install touched a system dir: {system:?}");
    assert!(prefix.path().join("bin/rdoveadm").is_file());
    assert!(prefix.path().join("share/man/man1/rdoveadm.1").is_file());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fish_line = said
        .lines()
        .find(|l| l.trim_start().starts_with("fish:"))
        .unwrap_or_else(|| panic!("install did not say where the fish file went:\n{said}"));
    let fish_file = fish_line.trim_start().trim_start_matches("fish:").trim();
    assert_eq!(
        Path::new(fish_file),
        fish_dir.join("rdoveadm.fish"),
        "{said}"
    );
    assert!(Path::new(fish_file).is_file(), "{said}");
    for shell in ["bash:", "zsh:"] {
        assert!(
            said.lines().any(|l| l.trim_start().starts_with(shell)),
            "{said}"
        );
    }
    assert!(said.contains("new fish"), "no word on loading it:\n{said}");
    // A fresh fish (no config of ours) finds it: Tab completes a subcommand and a mailbox.
    let t = Tmux::start("fish", "fish", &env);
    t.run("function fish_prompt; echo '$ '; end", "PROMPT");
    let s = t.complete(
        1,
        "rdoveadm mailb",
        1,
        "`mailb` to complete to `mailbox`",
        |s| s.contains("rdoveadm mailbox "),
    );
    eprintln!("--- fish: rdoveadm mailb<TAB>\n{}", s.trim_end());
    let line = format!("rdoveadm mailbox status -u {ALICE} messages Wo");
    let s = t.complete(2, &line, 1, "`Work Stuff` quoted by fish", |s| {
        s.contains("messages Work\\ Stuff") || s.contains("messages 'Work Stuff'")
    });
    eprintln!("--- fish: {line}<TAB>\n{}", s.trim_end());
}
