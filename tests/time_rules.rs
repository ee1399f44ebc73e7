//! Time you can trust, through the binary: `--tz FILE=ZONE` makes an ASA
//! logging local time join an ISE log that writes its offset; without it
//! (or with the wrong zone, either way) nothing joins and vpnwatch says so;
//! a yearless log crossing New Year rolls over on every output. The logs
//! are written for these tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

mod common;

fn vpnwatch() -> Command {
    Command::cargo_bin("vpnwatch").expect("binary is built")
}

/// An ASA in Berlin logging local time without a zone, and the ISE that
/// answered it writing UTC with its offset: five rejections of ann, five
/// minutes apart, each a locked account on the ISE side.
fn joined_logs(dir: &Path) -> (PathBuf, PathBuf) {
    let asa = dir.join("asa-local.log");
    let ise = dir.join("ise-auth.log");
    let mut a = String::new();
    let mut i = String::new();
    for k in 0..5 {
        let min = 45 + 5 * k;
        let (h, m) = (8 + min / 60, min % 60);
        a.push_str(&format!(
            "<166>Nov 28 2026 {:02}:{m:02}:59 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.20.0.12 : user = ann : user IP = 203.0.113.57\n",
            h + 1
        ));
        i.push_str(&format!(
            "<181>Nov 28 {h:02}:{m:02}:59 ise-psn-01 CISE_Failed_Attempts 00000042{k:02} 1 0 2026-11-28 {h:02}:{m:02}:59.250 +00:00 00007722{k:02} 5400 NOTICE Failed-Attempt: Authentication failed, UserName=ann, User-Name=ann, Calling-Station-ID=203.0.113.57, FailureReason=24415 User authentication against Active Directory failed since user's account is locked out,\n"
        ));
    }
    std::fs::write(&asa, a).unwrap();
    std::fs::write(&ise, i).unwrap();
    (asa, ise)
}

fn scan(args: &[&str], files: &[&Path]) -> Value {
    let out = vpnwatch()
        .arg("scan")
        .arg("--json")
        .args(args)
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ann(report: &Value) -> &Value {
    report["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user"] == "ann")
        .expect("ann is in the report")
}

#[test]
fn a_per_file_zone_makes_a_local_time_asa_join_an_ise_log() {
    let dir = tempfile::tempdir().unwrap();
    let (asa, ise) = joined_logs(dir.path());
    let r = scan(&["--tz", "asa-local.log=Europe/Berlin"], &[&asa, &ise]);
    let ann = ann(&r);
    assert_eq!(ann["failures"], 5);
    // The ISE's reason reached every attempt.
    assert_eq!(ann["causes"]["account_locked"], 5, "{ann}");
    // The ASA's 10:05:59 Berlin is 09:05:59 UTC, as the ISE says.
    assert!(
        ann["last_seen"]
            .as_str()
            .is_some_and(|t| t.starts_with("2026-11-28T09:05:59")),
        "{ann}"
    );
    assert!(r.get("join_warning").is_none(), "{r}");
}

#[test]
fn without_the_zone_nothing_joins_and_vpnwatch_says_so_either_way() {
    let dir = tempfile::tempdir().unwrap();
    let (asa, ise) = joined_logs(dir.path());
    // The ASA read as UTC is an hour ahead of the ISE; read as New York it
    // is hours behind. Either way nothing joins.
    for args in [&[][..], &["--tz", "asa-local.log=America/New_York"][..]] {
        let r = scan(args, &[&asa, &ise]);
        assert_eq!(ann(&r)["causes"].get("account_locked"), None, "{args:?}");
        assert_eq!(
            r["join_warning"], "⚠ no headend attempt matched ise-auth.log — clock skew or zone?",
            "{args:?}"
        );
        let table = vpnwatch()
            .arg("scan")
            .args(args)
            .arg(&asa)
            .arg(&ise)
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&table.stdout)
                .contains("no headend attempt matched ise-auth.log"),
            "{args:?}"
        );
        let events = vpnwatch()
            .arg("events")
            .args(args)
            .arg(&asa)
            .arg(&ise)
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&events.stderr).contains("clock skew or zone?"),
            "{args:?}"
        );
    }
}

#[test]
fn a_bad_zone_is_a_usage_error() {
    let out = vpnwatch()
        .args(["scan", "--tz", "Mars/Olympus", "x.log"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown time zone"));
}

#[test]
fn a_yearless_log_crossing_new_year_rolls_over_on_every_output() {
    // Yearless stamps, newest year not after now + 1 day: read in any
    // month, this December is last year's and January follows it.
    let dir = tempfile::tempdir().unwrap();
    let asa = dir.path().join("asa.log");
    let lines = [
        "Dec 31 23:59:50 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.20.0.12 : user = bob : user IP = 203.0.113.9",
        "Jan  1 00:00:20 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.20.0.12 : user = bob : user IP = 203.0.113.9",
    ];
    std::fs::write(&asa, lines.join("\n") + "\n").unwrap();
    let out = vpnwatch().arg("events").arg(&asa).output().unwrap();
    let ts: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["ts"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ts.len(), 2);
    let year = |s: &str| s[..4].parse::<i32>().unwrap();
    assert_eq!(year(&ts[1]), year(&ts[0]) + 1, "{ts:?}");
    assert!(ts[0].ends_with("-12-31T23:59:50Z") && ts[1].ends_with("-01-01T00:00:20Z"));
    // scan agrees: bob's last failure is the January one, 30 s after.
    let r = scan(&[], &[&asa]);
    let bob = r["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user"] == "bob")
        .unwrap();
    assert_eq!(bob["last_seen"], ts[1].as_str(), "{bob}");
    assert_eq!(bob["failures"], 2);
}

#[test]
fn the_dashboard_header_says_utc_and_warns_when_nothing_joins() {
    use vpnwatch::parse::ParseContext;
    use vpnwatch::pipeline::{Model, SourceState};
    use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};
    use vpnwatch::ui::{Theme, UiState};
    use vpnwatch::vocab::Family;
    use vpnwatch::vocab::{LineBatch, SourceId};
    let dir = tempfile::tempdir().unwrap();
    let (asa, ise) = joined_logs(dir.path());
    let runbook = runbook::parse(DEFAULT_RUNBOOK).unwrap();
    let mut m = Model::new(
        vec![
            SourceState::new("asa-local.log".into(), Family::Headend),
            SourceState::new("ise-auth.log".into(), Family::AuthServer),
        ],
        &runbook,
        1000,
        ParseContext::for_year(2026),
    );
    for (i, path) in [&asa, &ise].into_iter().enumerate() {
        let mut batch = LineBatch::new(1);
        for line in std::fs::read_to_string(path).unwrap().lines() {
            batch.push(line.as_bytes());
        }
        m.ingest(SourceId(i as u16), &batch);
    }
    let theme = Theme::load("default").unwrap();
    let s = common::screen_text(&common::render(&m, &UiState::default(), &theme, 200, 30));
    let header: Vec<&str> = s.lines().take(3).collect();
    assert!(header[0].contains(" UTC "), "{s}");
    // Beside the sources, on the line after the verdict.
    assert!(
        header[2].contains("⚠ no headend attempt matched ise-auth.log — clock skew or zone?"),
        "{s}"
    );
}

/// The time a reader in `ctx` gives one zone-less ASA line read from
/// `source`.
fn time_read(ctx: &vpnwatch::parse::ParseContext, source: &str) -> Option<jiff::Timestamp> {
    use vpnwatch::parse::reader::RecordReader;
    use vpnwatch::vocab::Family;
    let line = "<166>Nov 28 2026 09:45:27 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.20.0.12 : user = ann : user IP = 203.0.113.57";
    let mut reader = RecordReader::new(Family::Headend, None, None, ctx.clone()).for_source(source);
    let mut ts = None;
    reader.feed(line, |_, ev, _| ts = ev.and_then(|e| e.ts));
    ts
}

#[test]
fn readers_with_different_zone_rules_read_the_same_line_apart_in_one_process() {
    use vpnwatch::parse::ParseContext;
    use vpnwatch::parse::clock::TimeRules;
    let rules = |values: &[&str]| {
        TimeRules::parse(&values.iter().map(|v| v.to_string()).collect::<Vec<_>>()).unwrap()
    };
    let utc = ParseContext::for_year(2026);
    let berlin = ParseContext::for_year(2026).with_time_rules(rules(&["Europe/Berlin"]));
    let per_file = ParseContext::for_year(2026).with_time_rules(rules(&["asa.log=-05:00"]));
    let at = |s: &str| s.parse::<jiff::Timestamp>().ok();
    // The rules travel with each context, so neither reader changes the
    // other's reading, whichever is built first.
    assert_eq!(time_read(&berlin, "asa.log"), at("2026-11-28T08:45:27Z"));
    assert_eq!(time_read(&utc, "asa.log"), at("2026-11-28T09:45:27Z"));
    assert_eq!(
        time_read(&per_file, "/var/log/asa.log"),
        at("2026-11-28T14:45:27Z")
    );
    // A FILE=ZONE rule is that file's alone.
    assert_eq!(
        time_read(&per_file, "other.log"),
        at("2026-11-28T09:45:27Z")
    );
    assert_eq!(time_read(&berlin, "asa.log"), at("2026-11-28T08:45:27Z"));
}
