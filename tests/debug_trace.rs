//! The headend's debug trace as a log format: `%ASA-7-711001:` lines
//! (`logging debug-trace`) and pasted console output, tied to the user and
//! attempt and setting the attempt's cause from the directory's answer.
//!
//! The test lines are written in our own words after the shape of Cisco's
//! published examples of this output:
//! - "ASA Use of LDAP Attribute Maps Configuration Example" (Cisco document
//!   91831, `debug ldap 255`: `[N] Session Start`, `Binding as user`,
//!   `Performing Simple authentication for USER to HOST`, `Simple
//!   authentication for USER returned code (49) Invalid credentials`);
//! - "Configure AD (LDAP) Authentication and User Identity on FTD for
//!   AnyConnect Clients" (Cisco document 216955, the same `debug ldap 255`
//!   lines on FTD);
//! - the Cisco ASA command reference's `debug radius` and `debug aaa
//!   authentication` pages and the AnyConnect + RSA SecurID (Access-Challenge)
//!   troubleshooting notes (`got user`, `Radius: Code = 11`, the Reply-Message
//!   hex dump with its text column, `rad_procpkt: CHALLENGE`);
//! - Microsoft's list of the `AcceptSecurityContext error, data NNN` codes
//!   an Active Directory bind returns (52e, 525, 530, 531, 532, 533, 701,
//!   773, 775).

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::cargo_bin;
use vpnwatch::engine::incident::{Incident, LineRef, UserKey};
use vpnwatch::parse::formats::{self, Format};
use vpnwatch::parse::{ParseContext, asa, debug_trace};
use vpnwatch::vocab::{Cause, Family, Outcome};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/debug-trace")
        .join(name)
}

fn run(args: &[&str]) -> String {
    let out = Command::new(cargo_bin("vpnwatch"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const HEAD: &str = "<167>Dec 04 2026 13:20:01 vpn-asa-01 : %ASA-7-711001: ";

#[test]
fn every_ad_data_code_sets_its_cause() {
    let ctx = ParseContext::default();
    for (code, cause) in [
        ("52e", Cause::BadCredentials),
        ("525", Cause::UnknownUser),
        ("530", Cause::AuthorizationDenied),
        ("531", Cause::AuthorizationDenied),
        ("532", Cause::PasswordExpired),
        ("773", Cause::PasswordExpired),
        ("533", Cause::AccountDisabled),
        ("701", Cause::AccountDisabled),
        ("775", Cause::AccountLocked),
    ] {
        let body = format!(
            "[7] 80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data {code}, v4563"
        );
        let syslog = format!("{HEAD}{body}");
        for ev in [
            asa::parse(&syslog, &ctx).unwrap(),
            debug_trace::parse_console(&body, &ctx).unwrap(),
        ] {
            assert_eq!(ev.outcome, Outcome::Failure, "{code}");
            assert_eq!(ev.cause, Some(cause), "{code}");
            assert_eq!(ev.trace_session, Some("7"));
        }
    }
}

#[test]
fn trace_lines_name_session_and_user() {
    let ctx = ParseContext::default();
    let line = format!(
        "{HEAD}[-2147483611] Simple authentication for jdoe returned code (49) Invalid credentials"
    );
    let ev = asa::parse(&line, &ctx).unwrap();
    assert_eq!(ev.trace_session, Some("-2147483611"));
    assert_eq!(ev.user, Some("jdoe"));
    assert_eq!(ev.outcome, Outcome::Info);
    // The service account's bind names no VPN user.
    let line =
        format!("{HEAD}[41] Performing Simple authentication for svc-asa-bind to 192.0.2.20");
    let ev = asa::parse(&line, &ctx).unwrap();
    assert_eq!((ev.trace_session, ev.user), (Some("41"), None));
    let ev = debug_trace::parse_console("got user 'mlopez'", &ctx).unwrap();
    assert_eq!(
        (ev.trace_session, ev.user),
        (Some(debug_trace::RADIUS_SESSION), Some("mlopez"))
    );
    let ev = debug_trace::parse_console(
        "45 6e 74 65 72 20 50 41 53 53 43 4f 44 45          |  Enter PASSCODE",
        &ctx,
    )
    .unwrap();
    assert_eq!(ev.cause, Some(Cause::TokenRequired));
    for info in [
        "AAA API: In aaa_open",
        "AAA FSM: In AAA_BindServer",
        "webvpn_rx_data_tunnel_connect",
        "rad_procpkt: CHALLENGE",
    ] {
        let ev = debug_trace::parse_console(info, &ctx).unwrap_or_else(|| panic!("{info}"));
        assert_eq!(ev.outcome, Outcome::Info, "{info}");
    }
}

#[test]
fn console_trace_is_detected_and_listed() {
    let text = std::fs::read_to_string(fixture("console-radius-challenge.txt")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(formats::detect_format(&lines), Some(Format::AsaDebugTrace));
    // 711001 lines inside an ASA log leave it an ASA log.
    let text = std::fs::read_to_string(fixture("ldap-locked.log")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(formats::detect_format(&lines), Some(Format::AsaSyslog));
    assert!(run(&["formats"]).contains("asa-debug-trace"));
}

#[test]
fn ad_775_in_the_trace_makes_the_attempt_account_locked() {
    let path = fixture("ldap-locked.log");
    let out = run(&["scan", "--json", path.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let users = v["users"].as_array().unwrap();
    assert_eq!(users.len(), 1, "only jdoe, not the service account: {out}");
    let jdoe = &users[0];
    assert_eq!(jdoe["user"], "jdoe");
    assert_eq!(
        jdoe["failures"], 1,
        "the trace is evidence, not another attempt"
    );
    assert_eq!(jdoe["last_cause"], "account_locked");
    assert!(
        jdoe["auth_reason"].as_str().unwrap().contains("data 775"),
        "{jdoe}"
    );
}

#[test]
fn radius_challenge_in_a_pasted_trace_makes_the_attempt_token_required() {
    let tmp = tempfile::tempdir().unwrap();
    let asa = tmp.path().join("asa.log");
    std::fs::write(
        &asa,
        "<166>Dec 04 2026 13:25:09 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : \
         reason = AAA failure : server = 192.0.2.21 : user = mlopez : user IP = 203.0.113.9\n",
    )
    .unwrap();
    let trace = fixture("console-radius-challenge.txt");
    let out = run(&[
        "scan",
        "--json",
        asa.to_str().unwrap(),
        trace.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mlopez = &v["users"][0];
    assert_eq!(mlopez["user"], "mlopez", "{out}");
    assert_eq!(mlopez["last_cause"], "token_required", "{out}");
}

#[test]
fn drill_down_timeline_holds_the_trace_lines() {
    let ctx = ParseContext::default();
    let text = std::fs::read_to_string(fixture("ldap-locked.log")).unwrap();
    let mut incident = Incident::for_sources([Family::Headend]);
    let mut parsed = 0;
    for (i, line) in text.lines().enumerate() {
        let ev = asa::parse(line, &ctx).unwrap();
        parsed += 1;
        let r = LineRef {
            family: Family::Headend,
            index: i as u64,
            ts: ev.ts,
            cause: None,
        };
        incident.apply_line(&ev, r);
    }
    let jdoe = incident.user(&UserKey::Named("jdoe".into())).unwrap();
    let filed: Vec<u64> = jdoe.lines.iter().map(|l| l.index).collect();
    // From the user's own bind (line 9 on) to the 113005: the trace lines
    // after the session named jdoe, then the rejection.
    assert_eq!(filed, [9, 10, 11, 12, 13], "of {parsed} lines");
    let ad = jdoe.lines.iter().find(|l| l.index == 10).unwrap();
    assert_eq!(ad.cause, Some(Cause::AccountLocked));
    assert!(
        incident
            .user(&UserKey::Named("svc-asa-bind".into()))
            .is_none()
    );
}

#[test]
fn sample_trace_names_the_demo_lockout() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scan = |files: &[&str]| -> serde_json::Value {
        let paths: Vec<String> = files
            .iter()
            .map(|f| root.join(f).display().to_string())
            .collect();
        let mut args = vec!["scan", "--json"];
        args.extend(paths.iter().map(String::as_str));
        serde_json::from_str(&run(&args)).unwrap()
    };
    let user = |v: &serde_json::Value, name: &str| {
        v["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["user"] == name)
            .cloned()
            .unwrap()
    };
    let without = scan(&["sample-logs/asa-headend.log"]);
    let with = scan(&[
        "sample-logs/asa-headend.log",
        "sample-logs/asa-debug-trace.log",
    ]);
    let (before, after) = (user(&without, "mkowalski"), user(&with, "mkowalski"));
    assert_eq!(
        after["auth_reason"],
        "Active Directory: data 775, account locked out"
    );
    assert_eq!(after["last_cause"], "account_locked");
    // Evidence only: the trace adds no attempt and no user.
    assert_eq!(after["failures"], before["failures"]);
    assert_eq!(
        with["users"].as_array().unwrap().len(),
        without["users"].as_array().unwrap().len()
    );
}
