//! The postmortem from the sample incident and a fixture journal, pinned
//! by a snapshot; and the `report` command around it.

use std::path::PathBuf;

use vpnwatch::app::headless::HeadlessFile;
use vpnwatch::app::report;
use vpnwatch::parse::ParseContext;
use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};
use vpnwatch::vocab::Family;

const JOURNAL: &str = "tests/fixtures/journal/sample-incident.jsonl";

fn file(path: &str, family: Family) -> HeadlessFile {
    HeadlessFile {
        path: PathBuf::from(path),
        family,
        format: None,
        user: None,
    }
}

fn logs() -> Vec<HeadlessFile> {
    vec![
        file("sample-logs/asa-headend.log", Family::Headend),
        file("sample-logs/anyconnect-client.log", Family::Client),
    ]
}

#[test]
fn report_of_the_sample_incident() {
    let rb = runbook::parse(DEFAULT_RUNBOOK).unwrap();
    let (md, warnings) = report::from_files(
        JOURNAL.as_ref(),
        &rb,
        &logs(),
        &ParseContext::for_year(2026),
        vpnwatch::engine::IncidentLimits::default(),
        "2026-11-28T10:00:00Z".parse().unwrap(),
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    // The KPIs, computed from the fixture: first failure 08:43:11, first
    // action 08:47:30 (step 1 doing), mitigated 09:05, resolved 09:12.
    assert!(md.contains("| Time to first action | 00:04:19"), "{md}");
    assert!(md.contains("| Time to mitigate | 00:21:49"), "{md}");
    assert!(md.contains("| Time to resolve | 00:28:49"), "{md}");
    // A pipe in a note cannot break the table.
    assert!(md.contains(r"by the ASA \| ISE team paged"), "{md}");
    insta::assert_snapshot!(md);
}

#[test]
fn the_report_command_writes_markdown_and_never_creates_a_journal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pm.md");
    assert_cmd::Command::cargo_bin("vpnwatch")
        .expect("binary is built")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["report", "--journal", JOURNAL, "-o"])
        .arg(&out)
        .assert()
        .success();
    let md = std::fs::read_to_string(&out).unwrap();
    assert!(md.starts_with("# Postmortem: "), "{md}");
    assert!(md.contains("## Timeline (UTC)"), "{md}");
    // No logs named: the logins are not known, never "none".
    assert!(md.contains("- Logins not known: no logs were read"), "{md}");
    assert!(!md.contains("No failed logins"), "{md}");
    assert!(!md.contains("0 failed login attempts"), "{md}");
    assert_eq!(
        md.matches("Not known: no logs were read.").count(),
        2,
        "{md}"
    );

    let missing = dir.path().join("nope.jsonl");
    assert_cmd::Command::cargo_bin("vpnwatch")
        .expect("binary is built")
        .args(["report", "--journal"])
        .arg(&missing)
        .assert()
        .code(1);
    assert!(!missing.exists());

    // A log named as the journal by mistake: refused, no postmortem.
    let not_a_journal = assert_cmd::Command::cargo_bin("vpnwatch")
        .expect("binary is built")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["report", "--journal", "sample-logs/asa-headend.log", "-o"])
        .arg(&out)
        .arg("sample-logs/asa-headend.log")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let before = std::fs::read_to_string(&out).unwrap();
    assert_eq!(not_a_journal.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&not_a_journal.stderr);
    assert!(
        stderr.contains("sample-logs/asa-headend.log: not a vpnwatch journal (line 1: "),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line, not one per log line: {stderr}"
    );
    assert_eq!(before, md, "the earlier postmortem is left as it was");
}
