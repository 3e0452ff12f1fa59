//! The README's exit-code table, rewritten from the one table in `src/error.rs`. Apart
//! from `man/` and `completions/` because it edits a hand-written file between markers.

use std::fs;
use std::io;
use std::path::Path;

use crate::error::{exit_code_label, EXIT_CODE_TABLE};

/// The README's exit-code table sits between these lines; `examples/gen-docs` rewrites it
/// from [`EXIT_CODE_TABLE`] and a test fails when it is stale.
pub const README_EXIT_START: &str =
    "<!-- exit-codes: generated from src/error.rs by `cargo run --example gen-docs` -->";
pub const README_EXIT_END: &str = "<!-- /exit-codes -->";

/// The README's exit-code table (Markdown), from [`EXIT_CODE_TABLE`].
pub fn readme_exit_table() -> String {
    let mut s = String::from("| code | meaning |\n|---|---|\n");
    for (code, text) in EXIT_CODE_TABLE {
        s.push_str(&format!(
            "| {} | {} |\n",
            exit_code_label(*code),
            text.replace('|', "\\|")
        ));
    }
    s
}

/// `readme` with the text between the exit-code markers replaced by
/// [`readme_exit_table`]; `None` when the markers are missing.
pub fn readme_with_exit_table(readme: &str) -> Option<String> {
    let (head, rest) = readme.split_once(README_EXIT_START)?;
    let (_, tail) = rest.split_once(README_EXIT_END)?;
    Some(format!(
        "{head}{README_EXIT_START}\n{}{README_EXIT_END}{tail}",
        readme_exit_table()
    ))
}

/// Rewrites the exit-code table of `root/README.md`; true when it changed.
pub fn update_readme(root: &Path) -> io::Result<bool> {
    let path = root.join("README.md");
    let old = fs::read_to_string(&path)?;
    let new = readme_with_exit_table(&old).ok_or_else(|| {
        io::Error::other(format!(
            "README.md has no `{README_EXIT_START}` ... `{README_EXIT_END}` markers"
        ))
    })?;
    if new == old {
        return Ok(false);
    }
    fs::write(&path, new)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_exit_table_matches_the_one_source() {
        let readme =
            fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
        let want = readme_with_exit_table(&readme).expect("README.md has the exit-code markers");
        assert!(
            want == readme,
            "README.md's exit-code table is stale: run `cargo run --example gen-docs`"
        );
        for (code, _) in EXIT_CODE_TABLE {
            let row = format!("| {} |", exit_code_label(*code));
            assert!(readme.contains(&row), "{row}");
        }
    }
}
