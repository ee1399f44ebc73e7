//! Blind is a state, not an all-clear: a file of which no line was
//! recognised is named on stderr, `scan` fails when nothing was read, and
//! the scope verdict is `unknown` (never `none`) without a recognised
//! headend line, or while the headend log shows no VPN login.

mod common;

use common::{report_of, scan_json_read_by, vpnwatch};
use serde_json::Value;

fn not_a_log() -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1::/:\n").unwrap();
    f
}

#[test]
fn scan_of_a_file_that_is_no_log_warns_and_fails() {
    let f = not_a_log();
    let path = f.path().to_str().unwrap();
    let out = vpnwatch().args(["scan", path]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        format!("vpnwatch: {path}: recognised no log line (is it a VPN log?)")
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Scope: unknown"), "{stdout}");
    assert!(!stdout.contains("Scope: none"), "{stdout}");
}

#[test]
fn a_headend_log_read_as_a_client_log_is_no_all_clear() {
    let out = vpnwatch()
        .args(["scan", "--client", "sample-logs/asa-headend.log"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("Scope: none"), "{stdout}");
    assert!(stdout.contains("Scope: unknown"), "{stdout}");
}

#[test]
fn scan_json_names_files_read_blind_and_keeps_the_verdict_unknown() {
    let f = not_a_log();
    let path = f.path().to_str().unwrap();
    let out = vpnwatch()
        .args(["scan", "--json", path, "--auth", "sample-logs/ise-auth.log"])
        .output()
        .unwrap();
    // The auth-server log was read: not a total failure.
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scope"]["verdict"], "unknown");
    let files = v["files"].as_array().unwrap();
    assert_eq!(files[0]["recognised"], 0);
    assert_eq!(files[0]["lines"], 2);
    assert!(files[1]["recognised"].as_u64().unwrap() > 0);
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("recognised no log line")
    );
    // With the headend log the verdict is a real one again.
    let out = vpnwatch()
        .args(["scan", "--json", "sample-logs/asa-headend.log"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(v["scope"]["verdict"], "unknown");
    assert_eq!(v["warnings"].as_array().unwrap().len(), 0);
}

/// `events` fails as `scan` does when no file recognised a line: an empty
/// stream is no all-clear.
#[test]
fn events_of_files_that_are_no_logs_fails_like_scan() {
    let f = not_a_log();
    let path = f.path().to_str().unwrap();
    let empty = tempfile::NamedTempFile::new().unwrap();
    let empty_path = empty.path().to_str().unwrap();
    for args in [vec!["events", path], vec!["events", empty_path, path]] {
        let out = vpnwatch().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("recognised no log line"), "{stderr}");
        let scan = vpnwatch().arg("scan").args(&args[1..]).output().unwrap();
        assert_eq!(scan.status.code(), out.status.code(), "{args:?}");
    }
}

#[test]
fn events_names_each_file_that_recognised_nothing() {
    let f = not_a_log();
    let path = f.path().to_str().unwrap();
    let out = vpnwatch()
        .args(["events", path, "sample-logs/asa-headend.log"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        format!("vpnwatch: {path}: recognised no log line (is it a VPN log?)")
    );
}

/// `events --follow` on a file that does not exist yet: when it appears,
/// its format is detected from its first lines, as at start.
#[test]
fn follow_detects_a_late_file_from_its_first_lines() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vpnwatch"))
        .args(["events", "--follow", "--poll-interval", "0.05", "late.log"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.contains("waiting for late.log"), "{first}");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(serde_json::from_str(&l).unwrap()).is_err() {
                break;
            }
        }
    });
    let client: String = std::fs::read_to_string("sample-logs/anyconnect-client.log")
        .unwrap()
        .lines()
        .take(40)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.path().join("late.log"), client).unwrap();
    let record = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("a record from the late file");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(record["family"], "client", "{record}");
}

/// The postmortem says `unknown` too when no headend line was read.
#[test]
fn the_report_of_logs_without_a_headend_line_has_an_unknown_scope() {
    let rb = vpnwatch::runbook::parse(vpnwatch::runbook::DEFAULT_RUNBOOK).unwrap();
    let report = |logs: &[(std::path::PathBuf, vpnwatch::vocab::Family)]| {
        let files: Vec<vpnwatch::app::headless::HeadlessFile> = logs
            .iter()
            .map(|(path, family)| vpnwatch::app::headless::HeadlessFile {
                path: path.clone(),
                family: *family,
                format: None,
                user: None,
            })
            .collect();
        vpnwatch::app::report::from_files(
            "tests/fixtures/journal/sample-incident.jsonl".as_ref(),
            &rb,
            &files,
            &vpnwatch::parse::ParseContext::for_year(2026),
            vpnwatch::engine::IncidentLimits::default(),
            "2026-11-28T10:00:00Z".parse().unwrap(),
        )
        .unwrap()
        .0
    };
    use vpnwatch::vocab::Family;
    let md = report(&[("sample-logs/ise-auth.log".into(), Family::AuthServer)]);
    assert!(md.contains("**unknown**"), "{md}");
    assert!(!md.contains("**none**"), "{md}");
    let md = report(&[("sample-logs/asa-headend.log".into(), Family::Headend)]);
    assert!(!md.contains("**unknown**"), "{md}");
}

/// A headend log whose logging leaves the logins out (traffic only, or a
/// level below informational that drops 113005) is read, but zero failures
/// there are no all-clear: `scan` (both readers), its JSON and the
/// postmortem all say the logins are not known.
#[test]
fn a_headend_log_with_traffic_only_leaves_the_logins_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let traffic: String = (0..50)
        .map(|n| {
            format!(
                "Nov 28 2026 10:00:{:02} fw1 : %ASA-6-302013: Built inbound TCP connection {n} for outside:198.51.100.{n}/443\n",
                n % 60
            )
        })
        .collect();
    let log = dir.path().join("asa.log");
    std::fs::write(&log, &traffic).unwrap();
    let path = log.to_str().unwrap();
    for reader in ["blocks", "lines"] {
        let v = scan_json_read_by(reader, &[path]);
        assert_eq!(v["scope"]["verdict"], "unknown", "{reader}: {v}");
        let evidence = v["scope"]["evidence"].as_str().unwrap();
        assert!(
            evidence.starts_with("no VPN login or AAA line in the headend log"),
            "{reader}: {evidence}"
        );
        assert_eq!(v["files"][0]["recognised"], 50, "{reader}");
    }
    let table = vpnwatch().args(["scan", path]).output().unwrap();
    let stdout = String::from_utf8_lossy(&table.stdout);
    assert!(stdout.contains("Scope: unknown — no VPN login"), "{stdout}");

    let md = vpnwatch()
        .args([
            "report",
            "--journal",
            "tests/fixtures/journal/sample-incident.jsonl",
            path,
        ])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("**unknown**"), "{md}");
    assert!(
        md.contains("- The headend's logins are not known: no VPN login or AAA line"),
        "{md}"
    );
    assert!(!md.contains("No failed logins."), "{md}");
    assert!(
        !md.contains("\nNone.\n"),
        "no bare 'None.' under Causes: {md}"
    );
    assert!(
        md.contains("None in the lines read; the headend's logins are not known"),
        "{md}"
    );

    // One login line in the same log: now zero failures mean none.
    let with_login = format!(
        "{traffic}Nov 28 2026 10:01:00 fw1 : %ASA-6-113004: AAA user authentication Successful : server =  10.1.1.10 : user = bob\n"
    );
    std::fs::write(&log, with_login).unwrap();
    let out = vpnwatch().args(["scan", "--json", path]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scope"]["verdict"], "none", "{v}");
}

/// Lines that are not the log a file was taken for are in no count; every
/// output that counts the file's lines says how many, as the dashboard's
/// `unparsed` does: the table, `scan --json` (both readers) and the report.
#[test]
fn lines_that_are_not_the_log_are_said_wherever_lines_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = std::fs::read_to_string("sample-logs/asa-headend.log").unwrap();
    for i in 0..20 {
        text.push_str(&format!("a note pasted into the log, number {i}\n"));
    }
    let log = dir.path().join("mixed.log");
    std::fs::write(&log, &text).unwrap();
    let path = log.to_str().unwrap();
    let lines = text.lines().count() as u64;

    let table = vpnwatch().args(["scan", path]).output().unwrap();
    let stdout = String::from_utf8_lossy(&table.stdout);
    assert!(
        stdout.contains(&format!("{lines} lines read (20 unparsed)")),
        "{stdout}"
    );
    for reader in ["lines", "blocks"] {
        let v = scan_json_read_by(reader, &[path]);
        let file = &v["files"][0];
        assert_eq!(file["lines"], lines, "{reader}");
        assert_eq!(file["unrecognised"], 20, "{reader}: {file}");
        assert_eq!(file["recognised"], lines - 20, "{reader}: {file}");
    }

    let md = report_of(dir.path(), &[path]);
    assert!(
        md.contains(&format!(
            "`mixed.log` (headend, {lines} lines, 20 unparsed)"
        )),
        "{md}"
    );
}
