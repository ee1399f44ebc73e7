//! One cause per attempt, on every output: `events` (batch and
//! `--follow`), the log panes, the `f` filter and the drill-down each show
//! the cause `scan --json` counts, on the sample logs and on a small joined
//! fixture whose auth-server verdict (account locked) arrives after the
//! headend's generic rejection.

mod common;

use std::collections::BTreeMap;

use common::vpnwatch;
use serde_json::Value;
use vpnwatch::engine::UserKey;
use vpnwatch::pipeline::{LineKind, Model};
use vpnwatch::ui::{Theme, UiState};
use vpnwatch::vocab::Family;

const HEADEND: &str = "sample-logs/asa-headend.log";
const ISE: &str = "sample-logs/ise-auth.log";
const CLIENT: &str = "sample-logs/anyconnect-client.log";
const J_HEADEND: &str = "tests/fixtures/join/headend.log";
const J_ISE: &str = "tests/fixtures/join/ise.log";
/// A headend debug trace: jdoe's two attempts, each with its own trace.
const TRACE: &str = "tests/fixtures/debug-trace/aaa-webvpn.log";

/// Failed attempts by cause, all users together (`events` names a hidden
/// user as the headend logged it, `scan` by the name the server gave).
type Causes = BTreeMap<String, u64>;

/// `scan --json`'s causes.
fn scan_causes(files: &[&str]) -> Causes {
    let v = common::scan_json(files);
    let mut causes = Causes::new();
    for u in v["users"].as_array().unwrap() {
        for (c, n) in u["causes"].as_object().unwrap() {
            *causes.entry(c.clone()).or_default() += n.as_u64().unwrap();
        }
    }
    causes
}

/// The causes of the lines that started an attempt.
fn attempt_causes(records: &[Value]) -> Causes {
    let mut causes = Causes::new();
    for r in records {
        if r["attempt"] == true {
            let cause = r["cause"].as_str().unwrap().to_string();
            *causes.entry(cause).or_default() += 1;
        }
    }
    causes
}

fn events(files: &[&str]) -> Vec<Value> {
    let out = vpnwatch().arg("events").args(files).output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn events_print_each_attempt_with_the_cause_scan_counts() {
    for files in [
        &[HEADEND, ISE][..],
        &[HEADEND, CLIENT, ISE],
        &[CLIENT],
        &[J_HEADEND, J_ISE],
        &[TRACE],
    ] {
        let records = events(files);
        assert_eq!(attempt_causes(&records), scan_causes(files), "{files:?}");
    }
    // The follow-up line of an attempt carries the attempt's cause too.
    let records = events(&[J_HEADEND, J_ISE]);
    let ann: Vec<_> = records
        .iter()
        .filter(|r| r["user"] == "ann" && r["family"] == "headend")
        .map(|r| r["cause"].as_str().unwrap())
        .collect();
    assert_eq!(ann, ["account_locked", "account_locked"]);
    let records = events(&[HEADEND, ISE]);
    let tbrennan = records
        .iter()
        .filter(|r| r["user"] == "tbrennan" && r["outcome"] == "failure")
        .map(|r| r["cause"].as_str().unwrap());
    assert!(tbrennan.clone().count() >= 12);
    assert!(tbrennan.into_iter().all(|c| c == "token_required"));
}

/// The causes the Headend pane shows on each user's failure lines (the
/// lines the drill-down and the `f` filter show), by the engine's
/// [`Model::line_cause`] and by the drill-down's line references.
fn pane_causes(model: &Model, user: &str) -> Vec<(String, String)> {
    let stats = model.incident.user(&UserKey::Named(user.into())).unwrap();
    stats
        .lines
        .iter()
        .filter(|r| r.family == Family::Headend)
        .filter_map(|r| {
            let i = r.index - model.headend.evicted();
            let (_, meta) = model.headend.get(i as usize)?;
            match meta.kind {
                LineKind::Event {
                    outcome: vpnwatch::vocab::Outcome::Failure,
                    cause,
                } => {
                    assert_eq!(model.line_cause(Family::Headend, r.index), cause);
                    Some((cause?.id().to_string(), r.cause?.id().to_string()))
                }
                _ => None,
            }
        })
        .collect()
}

#[test]
fn panes_and_drill_down_show_the_final_cause() {
    let model =
        common::model_of_files(&[(J_HEADEND, Family::Headend), (J_ISE, Family::AuthServer)]);
    let locked = ("account_locked".to_string(), "account_locked".to_string());
    assert_eq!(pane_causes(&model, "ann"), [locked.clone(), locked]);
    let model = common::model_of_files(&[(HEADEND, Family::Headend), (ISE, Family::AuthServer)]);
    let lines = pane_causes(&model, "tbrennan");
    assert!(lines.len() >= 12);
    for (pane, drill) in lines {
        assert_eq!(
            (pane.as_str(), drill.as_str()),
            ("token_required", "token_required")
        );
    }
}

#[test]
fn trace_verdict_lines_show_their_own_attempt_s_cause() {
    let model = common::model_of_files(&[(TRACE, Family::Headend)]);
    let cause = |c: &str| (c.to_string(), c.to_string());
    // The first attempt's verdict lines (AD 52e, the AAA transaction's two
    // REJECT lines), its 113005 and the WebVPN failure after it; then the
    // second attempt's (AD 775, two REJECT lines, its 113005).
    let mut want = vec![cause("bad_credentials"); 5];
    want.extend(vec![cause("account_locked"); 4]);
    assert_eq!(pane_causes(&model, "jdoe"), want);
}

#[test]
fn the_filtered_pane_and_the_drill_down_draw_the_final_cause() {
    let model =
        common::model_of_files(&[(J_HEADEND, Family::Headend), (J_ISE, Family::AuthServer)]);
    let theme = Theme::load("default").unwrap();
    let ann = UserKey::Named("ann".into());
    for ui in [
        UiState {
            filter: Some(ann.clone()),
            ..UiState::default()
        },
        UiState {
            detail: Some(ann.clone()),
            ..UiState::default()
        },
    ] {
        let text = common::screen_text(&common::render(&model, &ui, &theme, 160, 40));
        // ann's log lines (the filter hides bob's).
        let lines: Vec<_> = text
            .lines()
            .filter(|l| l.contains("vpn-asa-01") || l.contains("ise-psn-01"))
            .collect();
        assert!(lines.len() >= 2, "{text}");
        for l in lines {
            assert!(l.contains("account_locked"), "{l}");
        }
    }
}

/// `events --follow`: a verdict that arrives after the attempt was printed
/// is followed by an `{"update": …}` record per line of the attempt, and
/// the records with their updates applied count what `scan` counts.
#[test]
fn follow_prints_an_update_when_a_later_verdict_changes_the_cause() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(J_HEADEND, dir.path().join("h.log")).unwrap();
    std::fs::write(dir.path().join("ise.log"), "").unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vpnwatch"))
        .args(["events", "--follow", "--poll-interval", "0.05"])
        .args(["--headend", "h.log", "--auth", "ise.log"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(serde_json::from_str(&l).unwrap()).is_err() {
                break;
            }
        }
    });
    let next = || rx.recv_timeout(Duration::from_secs(10)).expect("a record");
    let mut records: Vec<Value> = (0..4).map(|_| next()).collect();
    assert_eq!(records[0]["cause"], "bad_credentials", "before the verdict");
    let mut ise = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("ise.log"))
        .unwrap();
    ise.write_all(&std::fs::read(J_ISE).unwrap()).unwrap();
    drop(ise);
    records.push(next());
    assert_eq!(records[4]["family"], "auth_server");
    let updates = [next(), next()];
    let _ = child.kill();
    let _ = child.wait();
    for (u, line) in updates.iter().zip([1, 2]) {
        assert_eq!(u["update"]["source"], "h.log");
        assert_eq!(u["update"]["line"], line);
        assert_eq!(u["update"]["cause"], "account_locked");
    }
    for u in &updates {
        for r in records.iter_mut() {
            if r["source"] == u["update"]["source"] && r["line"] == u["update"]["line"] {
                r["cause"] = u["update"]["cause"].clone();
            }
        }
    }
    assert_eq!(attempt_causes(&records), scan_causes(&[J_HEADEND, J_ISE]));
}
