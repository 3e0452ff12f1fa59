//! The doveadm compatibility suite (`scripts/compat`, issue 11) on the everyday commands'
//! man-page lines: every run that matched native doveadm in `scripts/compat.d/baseline.txt`
//! (stdout bytes, exit code, end state) must keep matching. The whole suite (every line,
//! with one run per option and formatter) is `scripts/compat`, about 10 minutes;
//! `--update-baseline` raises the baseline after an improvement.

use crate::harness::{repo, versions};
use std::process::{Command, Stdio};

#[test]
fn everyday_doveadm_lines_keep_matching_doveadm() {
    let mut cmd = Command::new(repo().join("scripts/compat"));
    cmd.args(["--everyday", "--no-variants", "--check-baseline", "-q"])
        .args(["--rdoveadm", env!("CARGO_BIN_EXE_rdoveadm")])
        .stdin(Stdio::null());
    for v in versions() {
        cmd.args(["--version", v]);
    }
    let out = cmd.output().expect("cannot run scripts/compat");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The report is long; on failure show its counts and the baseline section.
    let counts: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("==") || l.contains(": ") && l.contains('%'))
        .collect();
    let baseline = stdout
        .find("baseline: ")
        .map(|i| &stdout[i..])
        .unwrap_or("(no baseline section)");
    assert!(
        out.status.success(),
        "scripts/compat --everyday --no-variants --check-baseline failed (exit {:?})\n{}\n{}\nstderr:\n{}",
        out.status.code(),
        counts.join("\n"),
        baseline,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        baseline.starts_with("baseline: 0 regression(s)"),
        "{baseline}"
    );
}

/// The suite's own comparisons (no Dovecot): the relaxed ones (session PIDs and order,
/// Dovecot index files in the work dir) still catch real differences, and the reset
/// between the two tools restores the work dir and the mail store, ACL files included.
#[test]
fn compat_suite_self_test_passes() {
    let out = Command::new(repo().join("scripts/compat"))
        .arg("--self-test")
        .stdin(Stdio::null())
        .output()
        .expect("cannot run scripts/compat --self-test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("compat self-test: ok"),
        "scripts/compat --self-test failed (exit {:?}):\n{stdout}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}
