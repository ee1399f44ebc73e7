//! One failed client attempt is one failure on every output: the Client
//! pane paints one `✖` and shows the attempt's follow-on lines muted, the
//! drill-down agrees, `events` marks the follow-on lines, and `scan` counts
//! one attempt per attempt. Lines written for these tests.

mod common;

use std::io::Write;

use common::{render, screen_text};
use vpnwatch::app::headless::{self, HeadlessFile};
use vpnwatch::engine::UserKey;
use vpnwatch::parse::ParseContext;
use vpnwatch::pipeline::{LineKind, Model, SourceState};
use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};
use vpnwatch::ui::{Theme, UiState};
use vpnwatch::vocab::{Family, Outcome};
use vpnwatch::vocab::{LineBatch, SourceId};

/// Two failed attempts by one user (the second a certificate problem)
/// and a success, as a Linux AnyConnect 4.x client logs them.
const LOG: &[&str] = &[
    "Nov 28 08:45:26 lap-ann acvpnui[5120]: Function: getUserName File: CTransportCurlStatic.cpp Line: 2011 PasswordEntry username is ann",
    "Nov 28 08:45:29 lap-ann acvpnui[5120]: Message type error sent to the user: Login failed.",
    "Nov 28 08:45:29 lap-ann acvpnui[5120]: Function: processIfcData File: ConnectMgr.cpp Line: 1831 Invoked Function: ConnectMgr::processResponseString Return Code: -29556727 (0xFE3D0009) Description: CONNECTMGR_ERROR_UNEXPECTED",
    "Nov 28 08:45:29 lap-ann acvpnui[5120]: Message type warning sent to the user: Connection attempt has failed.",
    "Nov 28 08:46:10 lap-ann acvpnui[5120]: Function: enumerateCert File: Certificates/FileCertStore.cpp Line: 214 Invoked Function: enumerateCert Return Code: -31391730 (0xFE21000E) Description: CERTSTORE_ERROR_CERT_NOT_FOUND Could not acquire any X509 certificate in the client certificate directory.",
    "Nov 28 08:46:10 lap-ann acvpnui[5120]: Function: VerifyServerCertificate File: Certificates/CertHelper.cpp Line: 174 Invoked Function: CCertStore::VerifyServerCertificate Return Code: -31326191 (0xFE220011) Description: CERTIFICATE_ERROR_VERIFY_CHAIN_POLICY_FAILED",
    "Nov 28 08:46:10 lap-ann acvpnui[5120]: Function: sendRequest File: ConnectIfc.cpp Line: 3057 Invoked Function: CTransport::SendRequest Return Code: -29949919 (0xFE370021) Description: CTRANSPORT_ERROR_PEER_CERT_REJECTED",
    "Nov 28 08:46:10 lap-ann acvpnui[5120]: Message type warning sent to the user: Connection attempt has failed.",
    "Nov 28 08:46:11 lap-ann acvpnui[5120]: Message type error sent to the user: AnyConnect cannot confirm it is connected to your secure gateway.  The local network may not be trustworthy.  Please try another network.",
    "Nov 28 08:47:30 lap-ann vpnagentd[1204]: The VPN connection has been established and can now pass data.",
];

fn model() -> Model {
    let runbook = runbook::parse(DEFAULT_RUNBOOK).unwrap();
    let mut m = Model::new(
        vec![SourceState::new("client.log".into(), Family::Client)],
        &runbook,
        1000,
        ParseContext::for_year(2026),
    );
    let mut batch = LineBatch::new(1);
    for line in LOG {
        batch.push(line.as_bytes());
    }
    m.ingest(SourceId(0), &batch);
    m
}

#[test]
fn the_client_pane_paints_one_failure_per_attempt() {
    let m = model();
    let store = m.store(Family::Client);
    let kinds: Vec<LineKind> = (0..store.len())
        .filter_map(|i| store.get(i).map(|(_, meta)| meta.kind))
        .collect();
    let failures = kinds
        .iter()
        .filter(|k| {
            matches!(
                k,
                LineKind::Event {
                    outcome: Outcome::Failure,
                    ..
                }
            )
        })
        .count();
    let follow_on = kinds
        .iter()
        .filter(|k| matches!(k, LineKind::FollowOn { .. }))
        .count();
    assert_eq!(failures, 2, "one per attempt: {kinds:?}");
    // Connection attempt has failed (1st); peer cert rejected, connection
    // attempt has failed, cannot confirm (2nd).
    assert_eq!(follow_on, 4, "{kinds:?}");
    let theme = Theme::load("default").unwrap();
    let s = screen_text(&render(&m, &UiState::default(), &theme, 200, 40));
    let client_rows: Vec<&str> = s.lines().filter(|l| l.contains("lap-ann")).collect();
    let crosses: usize = client_rows.iter().map(|l| l.matches('✖').count()).sum();
    assert_eq!(crosses, 2, "{s}");
    assert!(
        !client_rows
            .iter()
            .any(|l| l.contains("✖ other") || l.contains("CERT_NOT_FOUND") && l.contains('✖')),
        "{s}"
    );
    // The engine counts the same two attempts.
    let ann = m
        .incident
        .user(&UserKey::Named("ann".into()))
        .map(|s| s.failures);
    assert_eq!(ann, Some(2));
}

#[test]
fn scan_and_events_agree_with_the_pane() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.log");
    let mut f = std::fs::File::create(&path).unwrap();
    for line in LOG {
        writeln!(f, "{line}").unwrap();
    }
    drop(f);
    let files = [HeadlessFile {
        path,
        family: Family::Client,
        format: None,
        user: None,
    }];
    let ctx = ParseContext::for_year(2026);
    let limits = vpnwatch::engine::IncidentLimits::default();
    let scanned = headless::scan(&files, &ctx, limits).unwrap();
    let report = scanned.report();
    assert_eq!(report.totals.failures, 2);
    assert_eq!(report.totals.unattributed_failures, 0);
    let ann = report.users.iter().find(|u| u.user == "ann").unwrap();
    assert_eq!((ann.failures, ann.successes), (2, 1));

    let mut out = Vec::new();
    headless::events(&files, &ctx, limits, &mut out).unwrap();
    let records: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let attempts = records.iter().filter(|r| r["attempt"] == true).count();
    let follow_on = records.iter().filter(|r| r["follow_on"] == true).count();
    assert_eq!(attempts, 2);
    assert_eq!(follow_on, 4);
    // Context lines are not failures at all.
    for r in &records {
        let raw = r["raw"].as_str().unwrap();
        if raw.contains("CERT_NOT_FOUND") || raw.contains("CONNECTMGR_ERROR_UNEXPECTED") {
            assert_eq!(r["outcome"], "info", "{raw}");
        }
    }
}
