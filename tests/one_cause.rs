//! One cause per attempt, on every output: `events` (batch and
//! `--follow`), the log panes, the `f` filter and the drill-down each show
//! the cause `scan --json` counts, on the sample logs and on a small joined
//! fixture whose auth-server verdict (account locked) arrives after the
//! headend's generic rejection.

mod common;

use std::collections::BTreeMap;

use assert_cmd::Command;
use serde_json::Value;
use vpnwatch::engine::{LineKind, Model, SourceState, UserKey};
use vpnwatch::parse::{Family, ParseContext};
use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};
use vpnwatch::source::{LineBatch, SourceId};
use vpnwatch::ui::{Theme, UiState};

const HEADEND: &str = "sample-logs/asa-headend.log";
const ISE: &str = "sample-logs/ise-auth.log";
const J_HEADEND: &str = "tests/fixtures/join/headend.log";
const J_ISE: &str = "tests/fixtures/join/ise.log";

fn vpnwatch() -> Command {
    Command::cargo_bin("vpnwatch").expect("binary is built")
}

/// Failed attempts by cause, all users together (`events` names a hidden
/// user as the headend logged it, `scan` by the name the server gave).
type Causes = BTreeMap<String, u64>;

/// `scan --json`'s causes.
fn scan_causes(files: &[&str]) -> Causes {
    let out = vpnwatch().arg("scan").arg("--json").args(files).output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut causes = Causes::new();
    for u in v["users"].as_array().unwrap() {
        for (c, n) in u["causes"].as_object().unwrap() {
            *causes.entry(c.clone()).or_default() += n.as_u64().unwrap();
        }
    }
    causes
}

/// The causes of the headend lines that started an attempt.
fn attempt_causes(records: &[Value]) -> Causes {
    let mut causes = Causes::new();
    for r in records {
        if r["attempt"] == true && r["family"] == "headend" {
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
    for files in [[HEADEND, ISE], [J_HEADEND, J_ISE]] {
        let records = events(&files);
        assert_eq!(attempt_causes(&records), scan_causes(&files), "{files:?}");
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

fn model_of(files: &[(&str, Family)]) -> Model {
    let runbook = runbook::parse(DEFAULT_RUNBOOK).unwrap();
    let sources = files
        .iter()
        .map(|(p, f)| SourceState::new((*p).into(), *f))
        .collect();
    let mut model = Model::new(sources, &runbook, 10_000, ParseContext { default_year: 2026 });
    for (id, (path, _)) in files.iter().enumerate() {
        let text = std::fs::read_to_string(path).unwrap();
        let mut batch = LineBatch::new(1);
        for line in text.lines() {
            batch.push(line.as_bytes());
        }
        model.ingest(SourceId(id as u16), &batch);
    }
    model
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
                LineKind::Event { outcome, cause } if outcome == vpnwatch::parse::Outcome::Failure => {
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
    let model = model_of(&[(J_HEADEND, Family::Headend), (J_ISE, Family::AuthServer)]);
    let locked = ("account_locked".to_string(), "account_locked".to_string());
    assert_eq!(pane_causes(&model, "ann"), [locked.clone(), locked]);
    let model = model_of(&[(HEADEND, Family::Headend), (ISE, Family::AuthServer)]);
    let lines = pane_causes(&model, "tbrennan");
    assert!(lines.len() >= 12);
    for (pane, drill) in lines {
        assert_eq!((pane.as_str(), drill.as_str()), ("token_required", "token_required"));
    }
}

#[test]
fn the_filtered_pane_and_the_drill_down_draw_the_final_cause() {
    let model = model_of(&[(J_HEADEND, Family::Headend), (J_ISE, Family::AuthServer)]);
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
