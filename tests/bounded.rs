//! Bounded state through the binary: past `--max-users` the further users
//! share one `(other N users)` row and every total stays exact.

use assert_cmd::Command;
use serde_json::Value;

const HEADEND: &str = "sample-logs/asa-headend.log";

fn scan_json(extra: &[&str]) -> Value {
    scan_json_of(extra, &[HEADEND])
}

/// `scan --json` with `extra` options over `logs`; the command must succeed.
fn scan_json_of(extra: &[&str], logs: &[&str]) -> Value {
    let out = Command::cargo_bin("vpnwatch")
        .expect("binary is built")
        .args(["scan", "--json"])
        .args(extra)
        .args(logs)
        .output()
        .expect("vpnwatch runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

#[test]
fn past_max_users_the_totals_stay_exact_and_the_rest_share_a_row() {
    let all = scan_json(&[]);
    let capped = scan_json(&["--max-users", "3"]);
    for key in [
        "failures",
        "successes",
        "session_ends",
        "spray_attempts",
        "events",
    ] {
        assert_eq!(capped["totals"][key], all["totals"][key], "{key}");
    }
    let users = |v: &Value| v["users"].as_array().expect("users").len();
    assert!(users(&all) > 10, "the sample has many users");
    let others: Vec<String> = capped["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["user"].as_str())
        .filter(|u| u.starts_with("(other "))
        .map(str::to_string)
        .collect();
    // Every user of the uncapped scan is one of the 3 tracked or among N.
    let all_seen = all["users"].as_array().expect("users").len();
    assert_eq!(others.len(), 1, "{others:?}");
    let n: usize = others[0]
        .trim_start_matches("(other ")
        .trim_end_matches(" users)")
        .parse()
        .expect("a count");
    assert!(n + 3 >= all_seen, "{n} others, {all_seen} users in all");
    let failures: u64 = capped["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["failures"].as_u64())
        .sum();
    assert_eq!(Some(failures), all["totals"]["failures"].as_u64());
}

#[test]
fn max_users_is_accepted_by_every_headless_command() {
    for cmd in ["scan", "events"] {
        let out = Command::cargo_bin("vpnwatch")
            .expect("binary is built")
            .args([cmd, "--max-users", "5", HEADEND])
            .output()
            .expect("vpnwatch runs");
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Past the cap, one user's login must not clear another's failure: the
/// `(other N users)` row stands for many people, and a spray that fills
/// the tracked slots must not turn an outage into an all-clear.
#[test]
fn past_max_users_failing_users_still_count_and_the_verdict_holds() {
    let logs = [
        HEADEND,
        "sample-logs/anyconnect-client.log",
        "sample-logs/ise-auth.log",
        "sample-logs/asa-debug-trace.log",
    ];
    let scan = |extra: &[&str]| scan_json_of(extra, &logs);
    let all = scan(&[]);
    let capped = scan(&["--max-users", "2"]);
    assert_eq!(all["scope"]["verdict"], "isolated");
    assert_eq!(capped["scope"]["verdict"], all["scope"]["verdict"]);
    assert_eq!(
        capped["totals"]["users_failing"],
        all["totals"]["users_failing"]
    );
    // "N users failed …": the same N. A line naming nobody (a certificate
    // failure tied to its user by address) is nobody's failure.
    let failed = |v: &Value| {
        v["scope"]["evidence"]
            .as_str()
            .and_then(|e| e.split(' ').next())
            .map(str::to_string)
    };
    assert_eq!(failed(&capped), failed(&all));
    let other = capped["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["user"].as_str().is_some_and(|n| n.starts_with("(other ")))
        .expect("the other row");
    assert_eq!(other["state"], "failing");
}

/// A user past the cap is not said to be missing from the logs.
#[test]
fn bundle_past_max_users_says_the_user_may_be_among_the_others() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = Command::cargo_bin("vpnwatch")
        .expect("binary is built")
        .args(["bundle", "--max-users", "2", "--user", "tbrennan", "-o"])
        .arg(dir.path().join("b.tar.gz"))
        .arg(HEADEND)
        .output()
        .expect("vpnwatch runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"tbrennan\" is not among the 2 users tracked one by one")
            && err.contains("raise --max-users"),
        "{err}"
    );
    assert!(!err.contains("does not appear"), "{err}");
}
