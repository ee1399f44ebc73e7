//! Runbook loading: the bundled runbook, and the incident write-up's own
//! document read in place from the shared folder when it is there.

use std::path::PathBuf;

use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};

#[test]
fn the_bundled_runbook_has_the_four_resolution_steps() {
    let rb = runbook::parse(DEFAULT_RUNBOOK).unwrap();
    let titles: Vec<&str> = rb
        .steps
        .iter()
        .map(|s| s.text.split(" — ").next().unwrap_or(""))
        .collect();
    assert_eq!(
        titles,
        [
            "Verify credentials and token policy",
            "Check account status",
            "Gather logs for IT review",
            "IT-side headend checks"
        ]
    );
    assert!(rb.steps.iter().all(|s| s.substeps.len() >= 3));
    let commands: Vec<&String> = rb
        .steps
        .iter()
        .flat_map(|s| &s.substeps)
        .flat_map(|s| &s.commands)
        .collect();
    assert!(
        commands
            .iter()
            .any(|c| c.as_str() == "debug aaa authentication"),
        "{commands:?}"
    );
}

/// The seed write-up lives outside the repository (it is not ours to copy);
/// `.ci/run` sets VPNWATCH_SEEDS and fails if it is missing in CI.
fn seeds_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("VPNWATCH_SEEDS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/seeds"));
    dir.is_dir().then_some(dir)
}

#[test]
fn the_seed_document_loads_as_is() {
    let Some(dir) = seeds_dir() else {
        eprintln!("seed documents not present; skipped (CI requires them)");
        return;
    };
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if !text.contains("Resolution Steps") {
            continue;
        }
        let rb = runbook::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(rb.steps.len(), 4, "{}", path.display());
        let subs: Vec<usize> = rb.steps.iter().map(|s| s.substeps.len()).collect();
        assert_eq!(subs, [2, 1, 2, 3], "{}", path.display());
        assert_eq!(rb.steps[0].text, "Verify Credentials and Token Policy");
        assert!(
            rb.steps[3].substeps[0]
                .commands
                .iter()
                .any(|c| c == "debug aaa authentication")
        );
        checked += 1;
    }
    assert!(
        checked > 0,
        "no seed document with resolution steps in {}",
        dir.display()
    );
}
