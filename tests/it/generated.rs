//! The committed `completions/` and `man/` are what the clap definition generates:
//! regenerated into a temp dir and compared byte for byte, so a help text changed
//! without `cargo run --example gen-docs` fails here, naming the stale files.

use std::path::PathBuf;

use crate::harness::{repo, Rd};

#[test]
fn committed_completions_and_man_pages_are_fresh() {
    let tmp = tempfile::tempdir().unwrap();
    let written = rdoveadm::docs::write_to(tmp.path()).expect("generate into a temp dir");
    let mut stale: Vec<String> = Vec::new();
    for rel in &written {
        let fresh = std::fs::read(tmp.path().join(rel)).unwrap();
        match std::fs::read(repo().join(rel)) {
            Ok(committed) if committed == fresh => {}
            Ok(_) => stale.push(format!(
                "{} (differs from what the clap definition generates)",
                rel.display()
            )),
            Err(_) => stale.push(format!("{} (missing)", rel.display())),
        }
    }
    let files: Vec<(PathBuf, Vec<u8>)> = written.iter().map(|p| (p.clone(), Vec::new())).collect();
    for extra in rdoveadm::docs::stale_extras(&repo(), &files).unwrap() {
        stale.push(format!("{} (no longer generated)", extra.display()));
    }
    assert!(
        stale.is_empty(),
        "stale generated files:\n  {}\nregenerate with `{}` and commit the result",
        stale.join("\n  "),
        rdoveadm::docs::REGENERATE
    );
}

#[test]
fn completions_command_prints_the_committed_scripts() {
    for (shell, file) in [
        ("bash", "rdoveadm.bash"),
        ("zsh", "_rdoveadm"),
        ("fish", "rdoveadm.fish"),
    ] {
        let out = Rd::new().args(["completions", shell]).run().ok();
        let committed = std::fs::read_to_string(repo().join("completions").join(file)).unwrap();
        assert_eq!(
            out.stdout, committed,
            "`rdoveadm completions {shell}` differs from completions/{file}"
        );
    }
}
