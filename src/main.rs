//! Thin entry point: run, then exit with its code.

fn main() {
    std::process::exit(rdoveadm::run());
}
