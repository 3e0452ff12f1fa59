//! Embeds the git commit in `--version`. Watches the real HEAD, also in a worktree
//! (where `.git` is a file), so cargo doesn't rebuild on every call.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let o = Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=RDOVEADM_GIT_COMMIT={commit}");
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        let head = std::path::Path::new(&dir).join("HEAD");
        if head.exists() {
            println!("cargo:rerun-if-changed={}", head.display());
        }
        if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
            let refp = std::path::Path::new(&dir).join(&r);
            if refp.exists() {
                println!("cargo:rerun-if-changed={}", refp.display());
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
