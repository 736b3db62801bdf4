//! Embeds the commit the binary is built from, for `--version`. A build outside a git checkout
//! (a source archive, a container build without `.git`) takes it from `CHRONOS_LINT_COMMIT`.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=CHRONOS_LINT_COMMIT");
    // HEAD moves on commit and checkout; the ref it names moves on commit.
    for path in ["HEAD", "refs/heads", "packed-refs"] {
        if let Some(git_path) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={git_path}");
        }
    }
    let commit = std::env::var("CHRONOS_LINT_COMMIT")
        .ok()
        .filter(|commit| !commit.is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=CHRONOS_LINT_COMMIT={commit}");
}

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}
