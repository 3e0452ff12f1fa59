//! Generated files, from the clap definition: the shell completion scripts under
//! `completions/` and the man pages under `man/`. `cargo run --example gen-docs` writes
//! them; the `generated` integration test fails when the committed copies are stale.
//! Nothing here touches the network. This file gathers the files and writes them; the
//! completion scripts, the man pages and the README's exit-code table each have their own.

mod completion;
mod man;
mod readme;

use std::io;
use std::path::{Path, PathBuf};

pub use completion::{completion_script, COMMITTED_SHELLS};
pub use readme::{
    readme_exit_table, readme_with_exit_table, update_readme, README_EXIT_END, README_EXIT_START,
};

/// The command that rewrites the generated files.
pub const REGENERATE: &str = "cargo run --example gen-docs";

/// Every generated file: its path relative to the repository and its contents.
pub fn files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = COMMITTED_SHELLS
        .iter()
        .map(|(shell, name)| {
            (
                Path::new("completions").join(name),
                completion_script(*shell).into_bytes(),
            )
        })
        .collect();
    out.extend(man::man_pages());
    out
}

/// Writes every generated file under `root` and removes generated-looking files
/// (`man/*.1`, the completion scripts) that are no longer generated.
pub fn write_to(root: &Path) -> io::Result<Vec<PathBuf>> {
    let files = files();
    for dir in ["completions", "man"] {
        std::fs::create_dir_all(root.join(dir))?;
    }
    for stale in stale_extras(root, &files)? {
        std::fs::remove_file(root.join(stale))?;
    }
    let mut written = Vec::new();
    for (rel, data) in files {
        std::fs::write(root.join(&rel), data)?;
        written.push(rel);
    }
    Ok(written)
}

/// Files in `root/man` and `root/completions` that [`files`] does not produce.
pub fn stale_extras(root: &Path, files: &[(PathBuf, Vec<u8>)]) -> io::Result<Vec<PathBuf>> {
    let mut extra = Vec::new();
    for dir in ["completions", "man"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries {
            let rel = Path::new(dir).join(e?.file_name());
            if !files.iter().any(|(p, _)| *p == rel) {
                extra.push(rel);
            }
        }
    }
    extra.sort();
    Ok(extra)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap_complete::Shell;

    #[test]
    fn every_subcommand_has_a_page_and_scripts_call_rdoveadm() {
        let files = files();
        let has = |p: &str| files.iter().any(|(f, _)| f == Path::new(p));
        for p in [
            "man/rdoveadm.1",
            "man/rdoveadm-who.1",
            "man/rdoveadm-mailbox-list.1",
            "completions/_rdoveadm",
        ] {
            assert!(has(p), "{p} is not generated");
        }
        assert!(!has("man/rdoveadm-help.1"));
        let zsh = completion_script(Shell::Zsh);
        assert!(zsh.starts_with("#compdef rdoveadm\n"));
        assert!(
            completion_script(Shell::Bash).contains("COMPLETE=\"bash\"")
                || completion_script(Shell::Bash).contains("COMPLETE=bash")
        );
        let main = String::from_utf8(files[3].1.clone()).unwrap();
        assert!(
            main.contains("RDOVEADM_API_KEY")
                && main.contains("EXIT STATUS")
                && main.contains("mailbox list")
        );
    }
}
