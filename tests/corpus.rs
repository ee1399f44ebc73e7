//! Conformance against a public corpus of real ASA syslog lines: Elastic's
//! `cisco_asa` pipeline test files and the expected outcome and user name
//! Elastic extracts from each (`truth.tsv`; see the corpus README).
//!
//! The corpus is read in place from the directory in `VPNWATCH_CORPUS` (set
//! by `.ci/run`), else from `../shared/corpus/elastic-cisco-asa` beside the
//! checkout; without either the tests say so and skip, except under CI,
//! where they fail (`tests/common/need.rs`). No corpus line is copied into this
//! repository: rows are referred to by file and line number only.

use std::collections::HashMap;
use std::path::PathBuf;

use vpnwatch::parse::{ParseContext, asa};
use vpnwatch::vocab::Outcome;

mod common;

use common::need::corpus_dir;

fn ctx() -> ParseContext {
    ParseContext::for_year(2024)
}

/// The corpus's `.log` files, each as (name, lines).
fn corpus_logs(dir: &PathBuf) -> Vec<(String, Vec<String>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus directory readable")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("corpus file readable");
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, text.lines().map(str::to_string).collect())
        })
        .collect()
}

/// Lines vpnwatch rejects on purpose (no ASA/FTD tag, and not one of the
/// known tagless AAA messages), by file and 1-based line number, with why.
/// Empty lines are rejected everywhere and not listed.
const REJECTED: &[(&str, &[usize], &str)] = &[(
    "test-invalid-data.log",
    &[
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
    ],
    "the corpus's negative-test file: foreign tags, no tag, truncated headers",
)];

#[test]
fn every_corpus_line_parses_or_is_rejected_on_purpose() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let logs = corpus_logs(&dir);
    assert!(logs.len() >= 12, "expected the 12 corpus files in {dir:?}");
    let mut unexpected = Vec::new();
    let mut total = 0;
    for (name, lines) in &logs {
        let rejected: &[usize] = REJECTED
            .iter()
            .find(|(f, _, _)| f == name)
            .map_or(&[], |(_, l, _)| l);
        for (i, line) in lines.iter().enumerate() {
            total += 1;
            let parsed = asa::parse(line, &ctx()).is_some();
            let on_purpose = line.trim().is_empty() || rejected.contains(&(i + 1));
            if parsed == on_purpose {
                unexpected.push(format!(
                    "{name}:{} {}",
                    i + 1,
                    if parsed {
                        "parsed but listed as rejected"
                    } else {
                        "not recognised"
                    }
                ));
            }
        }
    }
    assert!(total >= 665, "read {total} lines");
    assert!(unexpected.is_empty(), "{unexpected:#?}");
}

/// Message-id prefixes of authentication and session messages: AAA and
/// management logins, IKEv1/IKEv2 remote access, WebVPN, SVC, DAP.
const AUTH_SESSION: &[&str] = &[
    "113", "605", "611", "713", "716", "722", "734", "750", "751",
];

// Why vpnwatch disagrees with Elastic on purpose.
const MGMT: &str =
    "management login (605xxx/611xxx/113021): counted apart from VPN logins, so Info";
const NOT_A_LOGIN: &str = "Elastic calls any completed step a success; vpnwatch counts logins and sessions coming up only (authorization, accounting, policy retrieval, IKE/SVC housekeeping are Info)";
const SITE_TO_SITE: &str =
    "LAN-to-LAN tunnel (the peer address is the 'user'/group): not a user login";
const SESSION_UP: &str =
    "a VPN session came up (113039, 751025): vpnwatch calls it a success, Elastic gives no outcome";
const SESSION_SETUP_FAILED: &str = "AnyConnect session setup failed after authentication (113029-113040): vpnwatch counts a failure, Elastic gives no outcome";
const SESSION_END: &str = "722023 closes an SVC connection: a session end, not a success";
const PIPELINE_ERROR: &str =
    "Elastic's expected output is a pipeline-error document with no fields";
const DOMAIN_KEPT: &str = "vpnwatch keeps the user name as logged (`user@domain`, `DOMAIN\\user`); Elastic strips the domain";
const DAP_EMAIL: &str =
    "DAP names the user as an e-mail address; Elastic files it as user.email, vpnwatch as the user";

/// Rows where vpnwatch disagrees with Elastic on purpose: (file, line,
/// field, why). `field` is `outcome` or `user`. Every other auth/session
/// row must agree, and every row listed here must still disagree.
const DISAGREE: &[(&str, usize, &str, &str)] = &[
    ("test-additional-messages.log", 65, "outcome", MGMT),
    ("test-additional-messages.log", 66, "outcome", MGMT),
    ("test-additional-messages.log", 67, "outcome", MGMT),
    ("test-additional-messages.log", 68, "outcome", MGMT),
    ("test-additional-messages.log", 108, "outcome", MGMT),
    ("test-additional-messages.log", 178, "outcome", MGMT),
    ("test-additional-messages.log", 69, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 81, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 83, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 85, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 87, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 89, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 96, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 105, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 114, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 132, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 142, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 143, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 144, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 145, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 167, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 168, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 177, "outcome", NOT_A_LOGIN),
    ("test-additional-messages.log", 70, "user", SITE_TO_SITE),
    ("test-additional-messages.log", 94, "outcome", SITE_TO_SITE),
    ("test-additional-messages.log", 95, "outcome", SITE_TO_SITE),
    ("test-additional-messages.log", 187, "outcome", SESSION_UP),
    ("test-anyconnect-messages.log", 11, "outcome", SESSION_UP),
    ("test-anyconnect-messages.log", 13, "outcome", SESSION_UP),
    ("test-non-canonical.log", 17, "outcome", SESSION_UP),
    ("test-non-canonical.log", 18, "outcome", SESSION_UP),
    ("test-751025-vpn-session.log", 1, "outcome", SESSION_UP),
    ("test-751025-vpn-session.log", 2, "outcome", SESSION_UP),
    ("test-751025-vpn-session.log", 3, "outcome", SESSION_UP),
    ("test-751025-vpn-session.log", 4, "outcome", SESSION_UP),
    ("test-751025-vpn-session.log", 5, "outcome", SESSION_UP),
    (
        "test-anyconnect-messages.log",
        1,
        "outcome",
        SESSION_SETUP_FAILED,
    ),
    (
        "test-anyconnect-messages.log",
        2,
        "outcome",
        SESSION_SETUP_FAILED,
    ),
    (
        "test-anyconnect-messages.log",
        5,
        "outcome",
        SESSION_SETUP_FAILED,
    ),
    (
        "test-anyconnect-messages.log",
        7,
        "outcome",
        SESSION_SETUP_FAILED,
    ),
    (
        "test-anyconnect-messages.log",
        8,
        "outcome",
        SESSION_SETUP_FAILED,
    ),
    (
        "test-anyconnect-messages.log",
        9,
        "outcome",
        SESSION_SETUP_FAILED,
    ),
    (
        "test-anyconnect-messages.log",
        10,
        "outcome",
        SESSION_SETUP_FAILED,
    ),
    (
        "test-anyconnect-messages.log",
        12,
        "outcome",
        SESSION_SETUP_FAILED,
    ),
    ("test-asa-missing-groups.log", 10, "outcome", SESSION_END),
    ("test-asa-missing-groups.log", 11, "outcome", PIPELINE_ERROR),
    ("test-asa-missing-groups.log", 11, "user", PIPELINE_ERROR),
    ("test-asa-missing-groups.log", 12, "user", PIPELINE_ERROR),
    ("test-asa-missing-groups.log", 9, "user", DOMAIN_KEPT),
    ("test-asa-missing-groups.log", 10, "user", DOMAIN_KEPT),
    ("test-asa-missing-groups.log", 17, "user", DOMAIN_KEPT),
    ("test-asa-missing-groups.log", 18, "user", DOMAIN_KEPT),
    ("test-non-canonical.log", 17, "user", DOMAIN_KEPT),
    ("test-non-canonical.log", 18, "user", DOMAIN_KEPT),
    ("test-751025-vpn-session.log", 1, "user", DOMAIN_KEPT),
    ("test-751025-vpn-session.log", 2, "user", DOMAIN_KEPT),
    ("test-751025-vpn-session.log", 4, "user", DOMAIN_KEPT),
    ("test-751025-vpn-session.log", 5, "user", DOMAIN_KEPT),
    ("test-dap-records.log", 1, "user", DAP_EMAIL),
];

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Failure => "failure",
        Outcome::Success => "success",
        // Elastic leaves disconnects and informational messages without
        // an outcome.
        Outcome::SessionEnd | Outcome::Info => "",
    }
}

#[test]
fn auth_and_session_rows_agree_with_the_truth() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let logs: HashMap<String, Vec<String>> = corpus_logs(&dir).into_iter().collect();
    let truth = std::fs::read_to_string(dir.join("truth.tsv")).expect("truth.tsv readable");
    let mut checked = 0;
    let mut disagreements = Vec::new();
    let mut used = vec![false; DISAGREE.len()];
    for row in truth.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let [file, line_no, msg_id, outcome, _action, user, ..] = cols[..] else {
            panic!("malformed truth row {row:?}");
        };
        if !AUTH_SESSION.iter().any(|p| msg_id.starts_with(p)) {
            continue;
        }
        let n: usize = line_no.parse().expect("line number");
        let line = logs
            .get(file)
            .and_then(|l| l.get(n - 1))
            .unwrap_or_else(|| panic!("{file}:{n} missing"));
        let ev = asa::parse(line, &ctx());
        let got_outcome = ev
            .as_ref()
            .map_or("(unparsed)", |e| outcome_word(e.outcome));
        let got_user = ev.as_ref().and_then(|e| e.user).unwrap_or("");
        checked += 1;
        for (field, want, got) in [("outcome", outcome, got_outcome), ("user", user, got_user)] {
            if want == got {
                continue;
            }
            match DISAGREE
                .iter()
                .position(|(f, l, fld, _)| *f == file && *l == n && *fld == field)
            {
                Some(k) => used[k] = true,
                None => disagreements.push(format!(
                    "{file}:{n} {msg_id} {field}: truth {want:?}, vpnwatch {got:?}"
                )),
            }
        }
    }
    assert!(checked >= 100, "only {checked} auth/session rows checked");
    assert!(
        disagreements.is_empty(),
        "{} unexplained disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    let stale: Vec<_> = DISAGREE
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(d, _)| format!("{}:{} {}", d.0, d.1, d.2))
        .collect();
    assert!(
        stale.is_empty(),
        "listed disagreements that no longer occur: {stale:#?}"
    );
}
