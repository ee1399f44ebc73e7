//! `events` reads each file once, however many causes a later line changes:
//! counted in bytes read, not timed. (A test binary of its own: the
//! counters are process-wide, and another test reading files at the same
//! time would be counted too.)

use std::path::PathBuf;

use vpnwatch::app::headless::{HeadlessFile, events};
use vpnwatch::engine::IncidentLimits;
use vpnwatch::parse::ParseContext;
use vpnwatch::source::io_count;
use vpnwatch::vocab::Family;

fn file(path: &str, family: Family) -> HeadlessFile {
    HeadlessFile {
        path: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path),
        family,
        format: None,
        user: None,
    }
}

#[test]
fn events_reads_each_file_once_and_still_prints_the_final_causes() {
    // The auth server's verdicts, in the second file, change the causes of
    // headend lines printed from the first.
    let files = [
        file("tests/fixtures/join/headend.log", Family::Headend),
        file("tests/fixtures/join/ise.log", Family::AuthServer),
    ];
    let size: u64 = files
        .iter()
        .map(|f| std::fs::metadata(&f.path).unwrap().len())
        .sum();
    let before = io_count::snapshot();
    let mut out = Vec::new();
    events(
        &files,
        &ParseContext::for_year(2026),
        IncidentLimits::default(),
        &mut out,
    )
    .unwrap();
    let read = io_count::snapshot().since(before);
    assert_eq!(read.bytes_read, size, "every byte once");

    // A headend failure carries the cause the server's verdict gave its
    // attempt, though the verdict was read after it: some differ from what
    // the headend's file alone gives.
    let alone = headend_failure_causes(&files[..1]);
    let joined = causes_of(&out);
    assert_eq!(alone.len(), joined.len());
    let changed = alone.iter().zip(&joined).filter(|(a, b)| a != b).count();
    assert!(changed > 0, "{alone:?} {joined:?}");
}

/// The causes of the headend's failure lines in `events` output, in order;
/// no `{"update": …}` record among them.
fn causes_of(out: &[u8]) -> Vec<serde_json::Value> {
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(records.iter().all(|r| r.get("update").is_none()));
    records
        .iter()
        .filter(|r| r["family"] == "headend" && r["outcome"] == "failure")
        .map(|r| r["cause"].clone())
        .collect()
}

fn headend_failure_causes(files: &[HeadlessFile]) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    events(
        files,
        &ParseContext::for_year(2026),
        IncidentLimits::default(),
        &mut out,
    )
    .unwrap();
    causes_of(&out)
}
