//! The fast `scan` against the generator's ground truth and against the
//! line-by-line reference reader, on a small generated log. Speed itself is
//! measured by `scripts/bench.sh` and `benches/`, never here.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use vpnwatch::app::bulk::{BulkOptions, DEFAULT_BLOCK_BYTES};
use vpnwatch::app::headless::{HeadlessFile, ScanMode, scan_with};
use vpnwatch::loggen::{GenConfig, GroundTruth, generate};
use vpnwatch::parse::ParseContext;
use vpnwatch::source::mapped::{FileBytes, MapDecision, MapPolicy, QUIET};
use vpnwatch::vocab::Family;

fn generated(dir: &Path, lines: u64) -> (std::path::PathBuf, GroundTruth) {
    let path = dir.join("asa.log");
    let cfg = GenConfig {
        lines,
        seed: 7,
        users: 2_000,
    };
    let truth = generate(&cfg, File::create(&path).expect("create log")).expect("generate");
    (path, truth)
}

fn report_json(path: &Path, mode: ScanMode) -> Value {
    let files = [HeadlessFile {
        path: path.to_path_buf(),
        family: Family::Headend,
        format: None,
        user: None,
    }];
    // A fixed year: yearless headers must not depend on today's date.
    let ctx = ParseContext::for_year(2026);
    let limits = vpnwatch::engine::IncidentLimits::default();
    let scanned = scan_with(&files, &ctx, limits, mode).expect("scan");
    serde_json::to_value(scanned.report()).expect("report serialises")
}

#[test]
fn scan_json_matches_the_generators_ground_truth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, truth) = generated(dir.path(), 20_000);
    assert!(truth.users.len() > 20, "the sample has failing users");
    assert!(truth.users.values().any(|u| u.hidden), "and hidden ones");

    let out = Command::cargo_bin("vpnwatch")
        .expect("binary")
        .args(["scan", "--json", "--headend"])
        .arg(&path)
        .output()
        .expect("run scan");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");

    let mut got = BTreeMap::new();
    // Users who only logged in are listed too; the ground truth is of
    // failures.
    for u in report["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["failures"] != 0)
    {
        let causes: BTreeMap<String, u32> =
            serde_json::from_value(u["causes"].clone()).expect("causes");
        got.insert(
            u["user"].as_str().expect("user").to_string(),
            (u["hidden"].as_bool(), u["failures"].as_u64(), causes),
        );
    }
    let want: BTreeMap<String, _> = truth
        .users
        .iter()
        .map(|(k, u)| {
            (
                k.clone(),
                (
                    Some(u.hidden),
                    Some(u64::from(u.failures)),
                    u.causes.clone(),
                ),
            )
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(report["totals"]["failures"], truth.failures);
    assert_eq!(report["totals"]["lines"], truth.lines);
    assert_eq!(report["totals"]["events"], truth.lines, "every line is ASA");
    for (name, n) in &truth.successes {
        let listed = report["users"]
            .as_array()
            .and_then(|users| users.iter().find(|u| u["user"] == name.as_str()));
        if let Some(u) = listed {
            assert_eq!(u["successes"], *n, "{name}");
        }
    }
}

#[test]
fn parallel_blocks_give_the_same_report_as_line_by_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, _) = generated(dir.path(), 20_000);
    // Add an overlong line, a CRLF line, invalid UTF-8 and no final newline,
    // so block edges fall on every kind of line.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    let long = format!(
        "Dec  6 23:59:59 asa-fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = longline : user IP = 100.99.0.1 {}\n",
        "x".repeat(150_000)
    );
    f.write_all(long.as_bytes()).expect("write");
    f.write_all(b"Dec  7 00:00:01 asa-fw1 : %ASA-6-716039: Group <G> User <crlf> IP <100.99.0.2> Authentication: rejected, Session Type: WebVPN.\r\n").expect("write");
    f.write_all(b"Dec  7 00:00:02 asa-fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = caf\xe9 : user IP = 100.99.0.3\n").expect("write");
    f.write_all(b"Dec  7 00:00:03 asa-fw2 : %ASA-6-716039: Group <G> User <tail> IP <100.99.0.4> Authentication: rejected, Session Type: WebVPN.").expect("write");
    // An archived log, left alone: the block reader maps it.
    f.set_modified(std::time::SystemTime::now() - 10 * QUIET)
        .expect("set mtime");
    drop(f);
    assert_eq!(
        FileBytes::open(&path, MapPolicy::Auto)
            .expect("open")
            .decision(),
        MapDecision::Map
    );

    let len = std::fs::metadata(&path).expect("metadata").len();
    assert!(
        len > DEFAULT_BLOCK_BYTES as u64,
        "{len} bytes: the default size must cut the file in two"
    );
    let reference = report_json(&path, ScanMode::Sequential);
    for map in [MapPolicy::Auto, MapPolicy::Never] {
        for (threads, block_bytes) in [
            // The whole file in one block, then the default size.
            (1, 8 << 20),
            (2, DEFAULT_BLOCK_BYTES),
            (1, 97),
            (2, 4096),
            (3, 1000),
            (2, 97),
        ] {
            let opts = BulkOptions {
                threads,
                block_bytes,
                map,
                ..BulkOptions::default()
            };
            assert_eq!(
                report_json(&path, ScanMode::Bulk(opts)),
                reference,
                "threads {threads}, blocks of {block_bytes} bytes, {map:?}"
            );
        }
    }
    assert_eq!(
        reference["totals"]["lines"],
        20_000 + 4 + 2,
        "150 kB line is 3 pieces"
    );
}

/// One line of the random mixes below: relevant messages (an extractor
/// reads them), plain firewall traffic, tagless AAA text, headerless and
/// odd-tag lines, and damaged ones.
fn mixed_line(kind: u8, user: u8, sec: u8, host: bool) -> Vec<u8> {
    let host = if host { "asa-fw1" } else { "asa-fw2" };
    // Times go back and forth: the latest time is a maximum, not the last.
    let head = format!("Dec  5 08:{:02}:{:02} {host} : ", sec % 60, (sec / 3) % 60);
    let user = format!("u{user}");
    let body = match kind % 12 {
        0 => format!("%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = {user} : user IP = 100.64.0.{sec}"),
        1 => format!("%ASA-6-716039: Group <G> User <{user}> IP <100.64.0.{sec}> Authentication: rejected, Session Type: WebVPN."),
        2 => format!("%ASA-6-113039: Group <G> User <{user}> IP <100.64.0.{sec}> AnyConnect parent session started."),
        3 => format!("%ASA-6-113004: AAA user authentication Successful : server = 10.1.1.10 : user = {user}"),
        4..=6 => "%ASA-6-302013: Built outbound TCP connection 1 for outside:203.0.113.15/443 (203.0.113.15/443) to inside:10.1.1.1/5000 (10.1.1.1/5000)".to_string(),
        7 => "%FTD-4-106023: Deny tcp src outside:198.18.0.1/1 dst inside:10.1.1.1/445 by access-group \"in\" [0x0, 0x0]".to_string(),
        8 => format!("%FTD-auth-6-113015: %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.1.1.10 : user = {user} : user IP = 100.64.0.9"),
        9 => format!("AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = {user} : user IP = 100.64.0.8"),
        10 => "%ASA-6-302014 Teardown TCP connection 2 (no colon after the id)".to_string(),
        _ => "a line that is no ASA message at all % with a percent".to_string(),
    };
    // (Headerless lines take the time they are read, which differs between
    // two reads: they are not in these mixes.)
    let mut line = format!("{head}{body}").into_bytes();
    match kind / 12 {
        1 => line.extend_from_slice(b"\r"),
        2 => line.extend_from_slice(b" caf\xe9"),
        _ => {}
    }
    line.push(b'\n');
    line
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(24))]

    /// The fast reader (prefilter, blocks, map or reads) gives the report
    /// the line-by-line reader gives, whatever the mix of relevant and
    /// irrelevant lines and wherever the blocks cut it.
    #[test]
    fn any_mix_and_any_block_edges_give_the_line_by_line_report(
        lines in proptest::collection::vec((0u8..36, 0u8..6, 0u8..180, proptest::bool::ANY), 1..400),
        block_bytes in 40usize..6000,
        threads in 1usize..4,
        mapped in proptest::bool::ANY,
        unterminated in proptest::bool::ANY,
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("mix.log");
        let mut bytes: Vec<u8> = lines
            .iter()
            .flat_map(|&(k, u, s, h)| mixed_line(k, u, s, h))
            .collect();
        if unterminated {
            bytes.pop();
        }
        std::fs::write(&path, &bytes).expect("write");
        let f = File::options().write(true).open(&path).expect("open");
        f.set_modified(std::time::SystemTime::now() - 10 * QUIET).expect("mtime");
        drop(f);
        let reference = report_json(&path, ScanMode::Sequential);
        let opts = BulkOptions {
            threads,
            block_bytes,
            map: if mapped { MapPolicy::Auto } else { MapPolicy::Never },
            ..BulkOptions::default()
        };
        proptest::prop_assert_eq!(report_json(&path, ScanMode::Bulk(opts)), reference);
    }
}

/// A plain line with no header (a collector stripped it) takes the time it
/// is read in the line-by-line reader; the fast reader's count of it must
/// move the latest time the same way, not leave it at the older header time.
#[test]
fn a_headerless_plain_line_takes_the_read_time_in_both_readers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("stripped.log");
    std::fs::write(
        &path,
        "Nov 28 08:00:00 asa-fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = ann : user IP = 100.64.0.1\n\
         %ASA-6-302013: Built outbound TCP connection 1 for outside:203.0.113.15/443 (203.0.113.15/443) to inside:10.1.1.1/5000 (10.1.1.1/5000)\n",
    )
    .expect("write");
    let before = jiff::Timestamp::now();
    for mode in [ScanMode::Sequential, ScanMode::Bulk(BulkOptions::default())] {
        let report = report_json(&path, mode);
        let latest: jiff::Timestamp = report["totals"]["latest"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("{mode:?}: no latest in {report}"));
        assert!(latest >= before, "{mode:?}: {latest}");
    }
}

/// The clock rule (README, "One clock"): plain traffic moves the latest
/// time only while it is the last line read, so the fast reader never
/// reads the times of the traffic before a line vpnwatch acts on; both
/// readers follow it.
#[test]
fn traffic_moves_the_latest_time_only_while_it_is_the_last_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let traffic = |time: &str| {
        format!(
            "Nov 28 {time} asa-fw1 : %ASA-6-302013: Built outbound TCP connection 1 for outside:203.0.113.15/443 (203.0.113.15/443) to inside:10.1.1.1/5000 (10.1.1.1/5000)\n"
        )
    };
    let rejected = |time: &str| {
        format!(
            "Nov 28 {time} asa-fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = ann : user IP = 100.64.0.1\n"
        )
    };
    let cases = [
        // The skewed 09:00 line is inside a run: not the clock.
        (
            [
                rejected("08:00:00"),
                traffic("09:00:00"),
                traffic("08:30:00"),
            ]
            .concat(),
            "2026-11-28T08:30:00Z",
        ),
        // It ends a run, but a failure follows and takes its place.
        (
            [
                traffic("09:00:00"),
                rejected("08:00:00"),
                traffic("08:30:00"),
            ]
            .concat(),
            "2026-11-28T08:30:00Z",
        ),
        (
            [traffic("09:00:00"), rejected("08:00:00")].concat(),
            "2026-11-28T08:00:00Z",
        ),
        // The last line read: the clock.
        (
            [
                rejected("08:00:00"),
                traffic("08:30:00"),
                traffic("09:00:00"),
            ]
            .concat(),
            "2026-11-28T09:00:00Z",
        ),
    ];
    for (i, (log, want)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("run{i}.log"));
        std::fs::write(&path, log).expect("write");
        for mode in [
            ScanMode::Sequential,
            ScanMode::Bulk(BulkOptions {
                threads: 1,
                ..BulkOptions::default()
            }),
        ] {
            let report = report_json(&path, mode);
            assert_eq!(report["totals"]["latest"], *want, "case {i}, {mode:?}");
        }
    }
}
