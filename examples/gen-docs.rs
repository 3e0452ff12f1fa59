//! Writes the generated files: `completions/` (bash, zsh, fish) and `man/` (one page per
//! command), from the clap definition. Run `cargo run --example gen-docs` after changing
//! any help text; the `generated` integration test fails until you do.

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    match rdoveadm::docs::update_readme(root) {
        Ok(true) => println!("gen-docs: rewrote README.md's exit-code table"),
        Ok(false) => {}
        Err(e) => {
            eprintln!("gen-docs: error: README.md: {e}");
            std::process::exit(1);
        }
    }
    match rdoveadm::docs::write_to(root) {
        Ok(written) => println!(
            "gen-docs: wrote {} files under completions/ and man/",
            written.len()
        ),
        Err(e) => {
            eprintln!("gen-docs: error: {e}");
            std::process::exit(1);
        }
    }
}
