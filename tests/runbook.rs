//! Runbook loading: the bundled runbook, and the incident write-up's own
//! document read in place from the shared folder when it is there.

use std::path::PathBuf;

use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};

mod common;

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
/// `.ci/run` sets VPNWATCH_SEEDS, and a test needing it fails in CI without it.
fn seeds_dir() -> Option<PathBuf> {
    common::need::seeds_dir()
}

#[test]
fn the_seed_document_loads_as_is() {
    let Some(dir) = seeds_dir() else {
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

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/runbooks")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_bundled_runbook_maps_causes_to_steps_from_its_front_matter() {
    use vpnwatch::vocab::Cause;
    let rb = runbook::parse(DEFAULT_RUNBOOK).unwrap();
    let causes = |i: usize| rb.steps[i].causes.clone();
    assert!(causes(0).contains(&Cause::TokenRequired));
    assert!(causes(0).contains(&Cause::BadCredentials));
    assert!(causes(1).contains(&Cause::AccountLocked));
    assert!(causes(3).contains(&Cause::AaaUnreachable));
    assert!(causes(3).contains(&Cause::Capacity));
}

#[test]
fn the_seed_document_has_no_hints_and_needs_none() {
    let Some(dir) = seeds_dir() else { return };
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        if text.contains("Resolution Steps") {
            let rb = runbook::parse(&text).unwrap();
            assert!(rb.steps.iter().all(|s| s.causes.is_empty()));
            assert_eq!(
                rb.title,
                "Cisco AnyConnect \"Authentication Failed\" Error Troubleshooting"
            );
        }
    }
}

#[test]
fn a_task_list_runbook_with_a_comment_hint() {
    use vpnwatch::vocab::Cause;
    let rb = runbook::parse(&fixture("tasklist.md")).unwrap();
    let ids: Vec<&str> = rb.items().iter().map(|(_, s)| s.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "2.1", "2.2", "3"]);
    assert_eq!(rb.steps[0].commands, ["show crypto ca certificates"]);
    assert_eq!(rb.steps[0].causes, [Cause::Certificate]);
    assert_eq!(rb.steps[1].text, "Ask one affected user to reconnect");
    assert_eq!(rb.steps[1].substeps[1].line, 8);
}

#[test]
fn nested_steps_fold_deeper_bullets_and_keep_commands() {
    use vpnwatch::vocab::Cause;
    let rb = runbook::parse(&fixture("nested.md")).unwrap();
    assert_eq!(rb.title, "Nested steps");
    assert_eq!(rb.steps.len(), 3);
    let sub = &rb.steps[0].substeps[0];
    assert_eq!(
        sub.text,
        "sub one with show vpn-sessiondb anyconnect deeper detail folded into sub one"
    );
    assert_eq!(sub.commands, ["show vpn-sessiondb anyconnect"]);
    assert_eq!(rb.steps[1].substeps[0].causes, [Cause::AccountLocked]);
    assert_eq!(rb.steps[2].commands, ["ping 10.20.0.11", "show aaa-server"]);
    assert_eq!(rb.steps[2].line, 17);
}

#[test]
fn hints_come_from_front_matter_and_comments_together() {
    use vpnwatch::vocab::Cause;
    let rb = runbook::parse(&fixture("hints.md")).unwrap();
    assert_eq!(
        rb.steps[0].causes,
        [Cause::BadCredentials, Cause::TokenRequired]
    );
    assert_eq!(
        rb.steps[1].causes,
        [Cause::AccountLocked, Cause::AccountDisabled]
    );
    assert_eq!(rb.steps[2].causes, [Cause::AaaUnreachable, Cause::Capacity]);
    assert_eq!(
        rb.steps[1].text, "Check the account",
        "the comment is no text"
    );
}

#[test]
fn malformed_runbooks_name_the_line() {
    let cases = [
        (
            "bad-cause.md",
            "line 6: unknown cause id \"acount_locked\" for step 2",
        ),
        (
            "bad-front-matter-cause.md",
            "line 5: unknown cause id \"locked_out\" for step 2",
        ),
        (
            "bad-front-matter-step.md",
            "line 4: front matter `causes` names step 7",
        ),
        (
            "bad-yaml.md",
            "line 4: front matter: while parsing a flow sequence, expected ',' or ']'",
        ),
        (
            "empty-steps-section.md",
            "line 5: the \"Steps\" heading is followed by no list of steps",
        ),
    ];
    for (name, expected) in cases {
        let err = runbook::parse(&fixture(name)).unwrap_err().to_string();
        assert!(err.starts_with(expected), "{name}: {err}");
    }
}

#[test]
fn runbook_check_prints_the_steps_or_fails_naming_the_line() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runbooks");
    let ok = assert_cmd::Command::cargo_bin("vpnwatch")
        .unwrap()
        .args(["runbook", "check"])
        .arg(dir.join("hints.md"))
        .assert()
        .success();
    let out = String::from_utf8_lossy(&ok.get_output().stdout).into_owned();
    assert!(out.contains("steps: 3"), "{out}");
    assert!(
        out.contains("causes: bad_credentials, token_required"),
        "{out}"
    );

    let bad = assert_cmd::Command::cargo_bin("vpnwatch")
        .unwrap()
        .args(["runbook", "check"])
        .arg(dir.join("bad-cause.md"))
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&bad.get_output().stderr).into_owned();
    assert!(
        err.contains("bad-cause.md: line 6: unknown cause id"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}
