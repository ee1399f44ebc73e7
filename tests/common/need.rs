//! What a test needs from its environment (a tool, a shared folder, a file
//! watcher). Missing locally, the test says so and skips; under CI (the `CI`
//! variable set, as `.ci/run` runs) a missing need fails the test, so CI can
//! never pass by skipping.

use std::path::PathBuf;
use std::process::Command;

/// True when running under CI.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// Reports `what` as missing: a panic under CI, a skip message otherwise.
/// The caller returns from the test after it.
pub fn missing(what: &str) {
    missing_under(in_ci(), what);
}

/// [`missing`] with the CI decision given, so it can be tested.
pub fn missing_under(ci: bool, what: &str) {
    if ci {
        panic!("{what} is missing; CI must run this test (`.ci/run` installs or provides it)");
    }
    eprintln!("skipped: {what} is missing (CI fails here instead)");
}

/// Whether `tool --version`-style `args` runs; if not, [`missing`].
pub fn tool(tool: &str, args: &[&str]) -> bool {
    let ok = Command::new(tool)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        missing(&format!("the tool `{tool}`"));
    }
    ok
}

/// A folder of shared material read in place: the one named by `var`, else
/// `../shared/<rel>` beside the checkout; if neither is a folder, [`missing`].
pub fn shared_dir(var: &str, rel: &str) -> Option<PathBuf> {
    let dir = std::env::var_os(var).map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../shared")
                .join(rel)
        },
        PathBuf::from,
    );
    if dir.is_dir() {
        return Some(dir);
    }
    missing(&format!("{} (set {var})", dir.display()));
    None
}

/// The public ASA corpus (`VPNWATCH_CORPUS`).
pub fn corpus_dir() -> Option<PathBuf> {
    shared_dir("VPNWATCH_CORPUS", "corpus/elastic-cisco-asa")
}

/// The incident write-up's seed documents (`VPNWATCH_SEEDS`).
pub fn seeds_dir() -> Option<PathBuf> {
    shared_dir("VPNWATCH_SEEDS", "seeds")
}
