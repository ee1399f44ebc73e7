//! Every output tells the same story: for each user with failed attempts,
//! `scan --json`, `events`, the postmortem (`report`) and the evidence
//! bundle (`bundle`) give the same number of failed attempts, the same
//! causes and the same state, on the sample incident and on a fixture where
//! the auth server's verdict changes the headend's cause.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

mod common;
use common::{
    bundle_files, default_screen, model_of, report_of, scan_json, scan_json_read_by, source,
    vpnwatch,
};

const JOURNAL: &str = "tests/fixtures/journal/sample-incident.jsonl";

const SAMPLE: &[&str] = &[
    "sample-logs/asa-headend.log",
    "sample-logs/anyconnect-client.log",
    "sample-logs/ise-auth.log",
    "sample-logs/asa-debug-trace.log",
];

const JOINED: &[&str] = &[
    "tests/fixtures/join/headend.log",
    "tests/fixtures/join/ise.log",
];

/// Failed attempts, causes (`cause count, …` sorted) and state word.
type Story = (u64, String, String);

/// A user's `causes` object (in `scan --json` and the bundle's `user.json`).
fn causes_of(user: &Value) -> BTreeMap<String, u64> {
    user["causes"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(c, n)| (c.clone(), n.as_u64().unwrap()))
        .collect()
}

fn causes_text(causes: &BTreeMap<String, u64>) -> String {
    causes
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `scan --json`: every user with failed attempts.
fn scan(files: &[&str]) -> BTreeMap<String, Story> {
    let report = scan_json(files);
    report["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["failures"].as_u64() > Some(0))
        .map(|u| {
            let causes = causes_of(u);
            (
                u["user"].as_str().unwrap().to_string(),
                (
                    u["failures"].as_u64().unwrap(),
                    causes_text(&causes),
                    u["state"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

/// What names no user in `events`: a laptop's line (the engine gives it the
/// user that laptop last named) or a hidden `*****` the auth server named;
/// `events` prints the user as logged.
const UNNAMED: &str = "(unnamed)";

/// `events`: the lines that counted as a new attempt, by the user the line
/// names (else [`UNNAMED`]) and cause.
fn events(files: &[&str]) -> BTreeMap<String, BTreeMap<String, u64>> {
    let out = vpnwatch().arg("events").args(files).output().unwrap();
    let mut per_user: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        if record["attempt"] == true {
            let user = record["user"]
                .as_str()
                .filter(|u| *u != "*****")
                .unwrap_or(UNNAMED);
            let cause = record["cause"].as_str().unwrap_or("none");
            *per_user
                .entry(user.to_string())
                .or_default()
                .entry(cause.to_string())
                .or_default() += 1;
        }
    }
    per_user
}

/// The postmortem's users table (the top users), and how many more it
/// says there are.
fn report(files: &[&str]) -> (BTreeMap<String, Story>, usize) {
    let out = vpnwatch()
        .args(["report", "--journal", JOURNAL])
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8_lossy(&out.stdout).into_owned();
    let more = md
        .lines()
        .find_map(|l| l.strip_prefix("and ")?.strip_suffix(" more.")?.parse().ok())
        .unwrap_or(0);
    let rows = md
        .lines()
        .skip_while(|l| !l.starts_with("| User | State |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|row| {
            let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
            let mut causes: BTreeMap<String, u64> = BTreeMap::new();
            for part in cells[4].split(", ").filter(|p| !p.is_empty()) {
                let (cause, n) = part.rsplit_once(' ').unwrap();
                causes.insert(cause.to_string(), n.parse().unwrap());
            }
            // "⊘ locked" → "locked".
            let state = cells[1].rsplit(' ').next().unwrap().to_string();
            (
                cells[0].to_string(),
                (cells[2].parse().unwrap(), causes_text(&causes), state),
            )
        })
        .collect();
    (rows, more)
}

/// `user.json` of the user's evidence bundle.
fn bundle(user: &str, files: &[&str]) -> Story {
    let (_, text) = bundle_files(user, files)
        .into_iter()
        .find(|(path, _)| path.ends_with("user.json"))
        .unwrap_or_else(|| panic!("no user.json in the bundle of {user}"));
    let json: Value = serde_json::from_str(&text).unwrap();
    let causes = causes_of(&json);
    (
        json["failures"].as_u64().unwrap(),
        causes_text(&causes),
        json["state"].as_str().unwrap().to_string(),
    )
}

fn check(files: &[&str], bundled: &[&str]) {
    let scan = scan(files);
    assert!(!scan.is_empty(), "the logs have failed attempts");

    let events = events(files);
    let mut unnamed = events.get(UNNAMED).cloned().unwrap_or_default();
    for (user, (failures, causes, _)) in &scan {
        match events.get(user) {
            Some(by_cause) => assert_eq!(
                (by_cause.values().sum::<u64>(), causes_text(by_cause)),
                (*failures, causes.clone()),
                "events vs scan for {user}"
            ),
            // Its lines name no user: its attempts are among the unnamed
            // ones, with the same causes.
            None => {
                for part in causes.split(", ") {
                    let (cause, n) = part.rsplit_once(' ').unwrap();
                    let n: u64 = n.parse().unwrap();
                    let left = unnamed.entry(cause.to_string()).or_default();
                    assert!(*left >= n, "events vs scan for {user}: {cause} {n}");
                    *left -= n;
                }
            }
        }
    }
    assert!(
        unnamed.values().all(|&n| n == 0),
        "events counts attempts scan does not: {unnamed:?}"
    );

    let (rows, more) = report(files);
    assert_eq!(rows.len() + more, scan.len(), "report vs scan: users");
    for (user, story) in &rows {
        assert_eq!(Some(story), scan.get(user), "report vs scan for {user}");
    }

    for user in bundled {
        assert_eq!(
            Some(&bundle(user, files)),
            scan.get(*user),
            "bundle vs scan for {user}"
        );
    }
}

#[test]
fn every_output_agrees_on_the_sample_incident() {
    // A token problem the ISE log names, a lockout the debug trace names,
    // a name only the ISE log knows.
    check(SAMPLE, &["tbrennan", "mkowalski", "jsmyth"]);
}

#[test]
fn every_output_agrees_when_the_auth_server_changes_the_cause() {
    let scan = scan(JOINED);
    let users: Vec<&str> = scan.keys().map(String::as_str).collect();
    check(JOINED, &users);
}

/// Each user's times in `scan --json`, by user.
fn scan_times(files: &[&str]) -> BTreeMap<String, Vec<Value>> {
    let report = scan_json(files);
    report["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let times = ["first_failure", "last_failure", "last_success", "last_seen"]
                .iter()
                .map(|k| u[*k].clone())
                .collect();
            (u["user"].as_str().unwrap().to_string(), times)
        })
        .collect()
}

/// A user's last line may be in any file: "last seen" is the latest of
/// them, not the last one read, so naming the files in another order (the
/// auth server's log, whose times come before the headend's last lines,
/// named last) gives the same times.
#[test]
fn a_users_times_do_not_depend_on_the_order_the_files_are_named() {
    let mut reversed = SAMPLE.to_vec();
    reversed.reverse();
    let named = scan_times(SAMPLE);
    let other = scan_times(&reversed);
    assert!(named.len() >= 5, "{named:?}");
    assert_eq!(named, other);
    // rnguyen's last line is the headend's 716039 at 09:07:15, after the
    // auth server's verdict at 09:07:13.
    assert_eq!(named["rnguyen"][3], "2026-11-28T09:07:15Z");
}

const HEADEND_FILE: &str = "tests/fixtures/dedup/asa-file.log";

/// What a syslog relay forwarded of [`HEADEND_FILE`]: each line with
/// rsyslog's RFC 3339 header, one of the two identical `gus` lines (the
/// file has two real attempts in one second), and one line the file does
/// not have (`ivo`).
fn relayed(dir: &Path) -> String {
    let file = std::fs::read_to_string(HEADEND_FILE).unwrap();
    let mut out = String::new();
    let mut gus = 0;
    for line in file.lines() {
        if line.contains("user = gus") {
            gus += 1;
            if gus > 1 {
                continue;
            }
        }
        // `<166>Dec 02 2026 14:00:00 host …` → `<166>2026-12-02T14:00:00+00:00 host …`
        let (pri, rest) = line.split_at(5);
        let (stamp, rest) = rest.split_at(20);
        let day = &stamp[4..6];
        let time = &stamp[12..20];
        assert_eq!(&stamp[..3], "Dec", "{line}");
        out.push_str(&format!("{pri}2026-12-{day}T{time}+00:00{rest}\n"));
    }
    out.push_str("<166>2026-12-02T14:06:50+00:00 vpn-asa-02 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.30.0.5 : user = ivo : user IP = 203.0.113.24\n");
    let path = dir.join("relay.log");
    std::fs::write(&path, out).unwrap();
    path.display().to_string()
}

/// One failure that arrives through two headend sources (the relay and the
/// file the headend also writes) counts once in every output; identical
/// lines within one source still count each; the copies are marked in
/// `events` and their number is said.
#[test]
fn a_line_from_two_headend_sources_counts_once_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relayed(dir.path());
    let both = [HEADEND_FILE, relay.as_str()];
    let alone = scan(&[HEADEND_FILE]);
    let mut want = alone.clone();
    want.insert(
        "ivo".into(),
        (1, "bad_credentials 1".into(), "failing".into()),
    );
    assert_eq!(alone["gus"].0, 2, "two real attempts in one second");
    assert_eq!(scan(&both), want, "file then relay");
    assert_eq!(scan(&[&relay, HEADEND_FILE]), want, "relay then file");
    // events, report and bundle tell the same story as scan.
    check(&both, &["fola", "gus", "ivo"]);

    // The copies: fola 113005 ×2 and 716039, one gus 113005, hana's 113004
    // and 113039 (the 302013 traffic line is only counted, not compared).
    let out = vpnwatch()
        .args(["scan", "--json"])
        .args(both)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["totals"]["duplicates"], 6, "{}", report["totals"]);
    assert_eq!(report["totals"]["failures"], 5);
    let table = vpnwatch().arg("scan").args(both).output().unwrap();
    assert!(
        String::from_utf8_lossy(&table.stdout).contains("6 lines delivered twice, counted once"),
        "{}",
        String::from_utf8_lossy(&table.stdout)
    );
    let events = vpnwatch().arg("events").args(both).output().unwrap();
    let marked: Vec<(String, u64)> = String::from_utf8_lossy(&events.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["duplicate"] == true)
        .inspect(|r| assert_eq!(r["attempt"], false, "{r}"))
        .map(|r| {
            (
                r["source"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let relay_lines: Vec<(String, u64)> = [1, 2, 3, 5, 6, 7]
        .iter()
        .map(|n| (relay.clone(), *n))
        .collect();
    assert_eq!(marked, relay_lines);
    let md = vpnwatch()
        .args(["report", "--journal", JOURNAL])
        .args(both)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&md.stdout).contains("- 6 lines delivered twice, counted once"),
        "{}",
        String::from_utf8_lossy(&md.stdout)
    );
}

#[test]
fn every_output_agrees_when_aaa_and_webvpn_traces_amend_the_cause() {
    // Two attempts of one user seconds apart, each with its own trace
    // (52e then 775), an AAA trace confirming a rejection, an accepted
    // login (tests/debug_trace.rs).
    let files = &["tests/fixtures/debug-trace/aaa-webvpn.log"];
    let scan = scan(files);
    assert_eq!(
        scan.get("jdoe").map(|s| s.1.as_str()),
        Some("account_locked 1, bad_credentials 1")
    );
    check(files, &["jdoe", "asmith", "cwu"]);
}

/// With the log of only one of two headends, the auth server's failures
/// for logins on the other match no headend attempt and are in no count:
/// every output says how many, in the same words, whichever order the
/// files are read in and by either reader; with both headends' log, none.
#[test]
fn auth_server_failures_the_headend_log_does_not_show_are_said_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let one: String = std::fs::read_to_string("sample-logs/asa-headend.log")
        .unwrap()
        .lines()
        .filter(|l| l.contains("vpn-asa-02"))
        .map(|l| format!("{l}\n"))
        .collect();
    let asa02 = dir.path().join("asa02.log");
    std::fs::write(&asa02, one).unwrap();
    let asa02 = asa02.to_str().unwrap();
    let ise = "sample-logs/ise-auth.log";
    let note = "40 auth-server failures unmatched: no headend attempt matches them, and they are in no count (another headend's log missing, or logins other than VPN?)";

    for files in [[asa02, ise], [ise, asa02]] {
        for reader in ["lines", "blocks"] {
            let v = scan_json_read_by(reader, &files);
            assert_eq!(
                v["totals"]["unmatched_auth_failures"], 40,
                "{files:?} {reader}"
            );
        }
        let table = vpnwatch().arg("scan").args(files).output().unwrap();
        let table = String::from_utf8_lossy(&table.stdout);
        assert!(table.contains(&format!("⚠ {note}")), "{table}");
    }
    let report = report_of(dir.path(), &[asa02, ise]);
    assert!(report.contains(&format!("- {note}")), "{report}");
    // As the dashboard reads them: ISE's log detected as such, so its
    // messages split over several lines are put together.
    let text = |p: &str| std::fs::read_to_string(p).unwrap();
    let (headend, auth) = (text(asa02), text(ise));
    let model = model_of(&[
        (
            source("asa02.log", vpnwatch::vocab::Family::Headend),
            headend.as_str(),
        ),
        (
            vpnwatch::pipeline::SourceState::with_format(
                "ise-auth.log".into(),
                vpnwatch::parse::formats::Format::Ise,
            ),
            auth.as_str(),
        ),
    ]);
    // The calm verdict says what it was made without.
    let v = scan_json(&[asa02, ise]);
    let evidence = v["scope"]["evidence"].as_str().unwrap_or_default();
    assert_eq!(v["scope"]["verdict"], "isolated");
    assert!(
        evidence.ends_with("; 40 auth-server failures unmatched in all"),
        "{evidence}"
    );
    // The header has room for the count, not the why.
    let short = "⚠ 40 auth-server failures unmatched";
    for width in [80, 120, 200] {
        let screen = default_screen(&model, width, 40);
        assert!(screen.contains(short), "{width}: {screen}");
    }

    // Both headends' lines: every auth-server failure meets its attempt.
    let all = scan_json(&["sample-logs/asa-headend.log", ise]);
    assert_eq!(all["totals"]["unmatched_auth_failures"], 0);
}
