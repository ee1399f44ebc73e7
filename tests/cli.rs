//! The headless commands, run through the binary on the bundled sample logs.
//! Expected numbers come from `sample-logs/README.md` (the generator's own
//! ground truth), not from running vpnwatch.

use assert_cmd::Command;
use serde_json::Value;

const HEADEND: &str = "sample-logs/asa-headend.log";
const CLIENT: &str = "sample-logs/anyconnect-client.log";

fn vpnwatch() -> Command {
    Command::cargo_bin("vpnwatch").expect("binary is built")
}

fn scan_json() -> Value {
    let out = vpnwatch()
        .args(["scan", "--json", HEADEND, CLIENT])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("scan --json prints one JSON document")
}

fn user<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user"] == name)
        .unwrap_or_else(|| panic!("{name} is in the report"))
}

#[test]
fn scan_counts_failed_attempts_per_user() {
    let report = scan_json();
    let expected = [
        ("tbrennan", 12, 0),
        ("lfischer", 12, 0),
        ("rnguyen", 11, 0),
        // The Attempts column: his 113006 lockout notice is part of the
        // fifth rejection, not an attempt of its own.
        ("mkowalski", 8, 0),
        ("dokafor", 6, 1),
        ("spereira", 6, 0),
        ("apatel", 1, 1),
        ("ewright", 1, 1),
        ("gtanaka", 1, 1),
        ("cmorales", 1, 1),
        // Her certificate errors happen on the laptop only (TLS fails
        // before the headend authenticates anyone).
        ("hsato", 2, 1),
    ];
    for (name, failures, successes) in expected {
        let u = user(&report, name);
        assert_eq!(u["failures"], failures, "{name} failures");
        assert_eq!(u["successes"], successes, "{name} successes");
        assert_eq!(u["hidden"], false);
    }
    let hidden = user(&report, "192.0.2.147");
    assert_eq!(hidden["hidden"], true);
    assert_eq!(hidden["failures"], 4);
    let users = report["users"].as_array().unwrap();
    assert_eq!(
        users.iter().filter(|u| u["failures"] != 0).count(),
        expected.len() + 1
    );
    // Users who only logged in are listed too, as ok.
    let abell = user(&report, "abell");
    assert_eq!(
        (abell["failures"].clone(), abell["successes"].clone()),
        (0.into(), 1.into())
    );
    assert_eq!(abell["state"], "ok");
    assert_eq!(
        report["totals"]["failures"],
        12 + 12 + 11 + 8 + 6 + 6 + 1 + 1 + 1 + 1 + 4 + 2
    );
}

#[test]
fn scan_classifies_causes() {
    let report = scan_json();
    assert_eq!(user(&report, "rnguyen")["last_cause"], "token_required");
    assert_eq!(user(&report, "rnguyen")["causes"]["token_required"], 11);
    assert_eq!(user(&report, "mkowalski")["last_cause"], "account_locked");
    // Four wrong passwords; the fifth locked the account (113006).
    assert_eq!(user(&report, "mkowalski")["causes"]["bad_credentials"], 4);
    assert_eq!(user(&report, "mkowalski")["causes"]["account_locked"], 4);
    assert_eq!(user(&report, "mkowalski")["state"], "locked");
    assert_eq!(user(&report, "192.0.2.147")["state"], "unknown");
    assert_eq!(user(&report, "192.0.2.147")["last_cause"], "unknown_user");
    assert_eq!(user(&report, "ewright")["last_cause"], "aaa_unreachable");
    assert_eq!(user(&report, "dokafor")["state"], "recovered");
    assert_eq!(user(&report, "tbrennan")["state"], "failing");
}

#[test]
fn scan_reports_the_aaa_server_flap() {
    let report = scan_json();
    let servers = report["aaa_servers"].as_array().unwrap();
    let flapped = servers
        .iter()
        .find(|s| s["address"] == "10.20.0.13")
        .expect("10.20.0.13 is listed");
    assert_eq!(flapped["state"], "active");
    let transitions: Vec<&str> = flapped["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(transitions, ["failed", "active"]);
    assert_eq!(flapped["transitions"][0]["ts"], "2026-11-28T08:52:19Z");
    assert_eq!(flapped["unreachable"], 3);
}

#[test]
fn scan_table_lists_users_and_totals() {
    let out = vpnwatch().args(["scan", HEADEND]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    for column in ["USER", "FAILED", "OK", "LAST CAUSE", "STATE", "LAST SEEN"] {
        assert!(header.contains(column), "{header}");
    }
    let first = lines.next().unwrap();
    assert!(
        first.starts_with("lfischer") || first.starts_with("tbrennan"),
        "{first}"
    );
    assert!(text.contains("(hidden) 192.0.2.147"), "{text}");
    assert!(text.contains("failed attempts by 11 users"), "{text}");
    assert!(
        text.contains(
            "AAA server 10.20.0.13 (ISE-RADIUS): ACTIVE, 2 transitions, 3 unreachable reports"
        ),
        "{text}"
    );
}

#[test]
fn events_prints_one_object_per_recognised_line() {
    let out = vpnwatch().args(["events", HEADEND]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let file_lines = std::fs::read_to_string(HEADEND).unwrap().lines().count();
    assert_eq!(
        events.len(),
        file_lines,
        "every line of the headend sample is a recognised ASA line"
    );
    for key in [
        "source",
        "line",
        "ts",
        "host",
        "msg_id",
        "outcome",
        "cause",
        "user",
        "client_ip",
        "group",
        "server",
        "raw",
        "attempt",
    ] {
        assert!(events[0].get(key).is_some(), "field {key} present");
    }
    let rejection = events
        .iter()
        .find(|e| e["msg_id"] == "113005" && e["user"] == "rnguyen")
        .expect("a 113005 for rnguyen");
    assert_eq!(rejection["outcome"], "failure");
    assert_eq!(rejection["client_ip"], "203.0.113.41");
    assert_eq!(rejection["server"], "10.20.0.12");
    assert_eq!(rejection["host"], "vpn-asa-01");
    assert_eq!(rejection["attempt"], true);
    assert!(
        rejection["ts"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-28T08:")
    );
    let line_no = rejection["line"].as_u64().unwrap() as usize;
    let raw_line = std::fs::read_to_string(HEADEND)
        .unwrap()
        .lines()
        .nth(line_no - 1)
        .unwrap()
        .to_string();
    assert_eq!(rejection["raw"], raw_line.as_str());
    let attempts = events.iter().filter(|e| e["attempt"] == true).count();
    let headend_only = vpnwatch()
        .args(["scan", "--json", HEADEND])
        .output()
        .unwrap();
    let headend_only: Value = serde_json::from_slice(&headend_only.stdout).unwrap();
    let failures: u64 = headend_only["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["failures"].as_u64().unwrap())
        .sum();
    assert_eq!(
        attempts as u64, failures,
        "attempt flags add up to the scan's failures"
    );
}

#[test]
fn events_detect_client_logs() {
    let out = vpnwatch().args(["events", CLIENT]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["family"], "client");
    assert!(text.lines().any(|l| l.contains("\"user\":\"rnguyen\"")));
}

#[test]
fn a_missing_file_is_a_one_line_error_naming_it() {
    let out = vpnwatch()
        .args(["scan", "no/such/file.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no/such/file.log"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    // Nothing named and nothing on stdin (a piped stdin is read instead).
    assert_eq!(
        std::process::Command::new(env!("CARGO_BIN_EXE_vpnwatch"))
            .args(["scan"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        vpnwatch()
            .args(["--no-such-flag"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(vpnwatch().output().unwrap().status.code(), Some(2));
    assert_eq!(
        vpnwatch()
            .args(["demo", "--speed", "-1"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn forced_roles_override_detection() {
    let out = vpnwatch()
        .args(["events", "--client", HEADEND])
        .output()
        .unwrap();
    assert!(out.stdout.is_empty(), "ASA lines are not client lines");
    // Nothing recognised: the command fails, as `scan` does.
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("recognised no log line"));
}

const AUTH: &str = "sample-logs/ise-auth.log";

#[test]
fn the_auth_server_log_names_hidden_users_and_refines_causes() {
    let out = vpnwatch()
        .args(["scan", "--json", HEADEND, CLIENT, AUTH])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    // ISE logged the name the headend hid: the four ***** attempts are jsmyth's.
    let jsmyth = user(&report, "jsmyth");
    assert_eq!(jsmyth["failures"], 4);
    assert_eq!(jsmyth["hidden"], false);
    assert_eq!(jsmyth["client_ips"][0], "192.0.2.147");
    assert_eq!(jsmyth["state"], "unknown");
    assert!(
        report["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["hidden"] == false)
    );
    assert_eq!(report["totals"]["hidden_resolved"], 4);
    // Server lines explain attempts; they are not attempts themselves.
    assert_eq!(report["totals"]["failures"], 65);
    assert_eq!(user(&report, "mkowalski")["causes"]["account_locked"], 4);
    // The lockout reason arrives in two ISE segments; it is read whole.
    let reason = user(&report, "mkowalski")["auth_reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("24415") && reason.ends_with("locked out"),
        "{reason}"
    );
    let files: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["family"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["headend", "client", "auth_server"]);
}

#[test]
fn formats_lists_every_format_with_an_example() {
    let out = vpnwatch().arg("formats").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "asa",
        "anyconnect-syslog",
        "anyconnect-windows-xml",
        "cisco-ise",
        "freeradius",
        "nps",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} missing:\n{text}"
        );
    }
    assert!(text.contains("e.g. "));
}

#[test]
fn an_unknown_format_is_a_usage_error() {
    let out = vpnwatch()
        .args(["scan", "--format", "nope", HEADEND])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("vpnwatch formats"));
}

/// A fixture written in a fresh temporary directory; returns its path.
fn fixture(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vpnwatch-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn events_keep_the_outcome_of_management_logins() {
    let log = fixture(
        "mgmt.log",
        "Nov 28 2026 09:00:00 fw1 : %ASA-6-605004: Login denied from 198.51.100.50/50123 to mgmt:192.0.2.1/ssh for user \"admin\"\n\
         Nov 28 2026 09:00:01 fw1 : %ASA-6-611102: User authentication failed: IP address: 198.51.100.50, Uname: root\n\
         Nov 28 2026 09:00:02 fw1 : %ASA-6-611101: User authentication succeeded: IP address: 198.51.100.51, Uname: ops\n\
         Nov 28 2026 09:00:03 fw1 : %ASA-6-605005: Login permitted from 198.51.100.51/50124 to mgmt:192.0.2.1/https for user \"ops\"\n\
         Nov 28 2026 09:00:04 fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.0.0.1 : user = ann : user IP = 203.0.113.5\n",
    );
    let out = vpnwatch().arg("events").arg(&log).output().unwrap();
    assert!(out.status.success());
    let events: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            (
                e["msg_id"].as_str().unwrap_or("").to_string(),
                e["outcome"].as_str().unwrap_or("").to_string(),
                e["kind"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let want = [
        ("605004", "failure", "management"),
        ("611102", "failure", "management"),
        ("611101", "success", "management"),
        ("605005", "success", "management"),
        ("113005", "failure", "vpn"),
    ]
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()));
    assert_eq!(got, want);
    // Still counted apart from VPN users.
    let out = vpnwatch()
        .args(["scan", "--json"])
        .arg(&log)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["management"]["failures"], 2);
    assert_eq!(report["totals"]["failures"], 1);
    assert!(
        report["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["user"] != "admin")
    );
}
