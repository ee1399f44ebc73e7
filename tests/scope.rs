//! The scope verdict and the per-user analysis on the bundled sample
//! incident, whose ground truth is in `sample-logs/README.md`: a token
//! change breaks five contractors and one user locks himself out while ~90
//! users log in fine (isolated), and RADIUS server 10.20.0.13 is marked
//! FAILED from 08:52:19 to 08:56:27 (infrastructure while it lasts).

use jiff::Timestamp;

use vpnwatch::engine::scope::{self, Verdict};
use vpnwatch::engine::{Incident, UserKey, UserState};
use vpnwatch::parse::{Family, ParseContext, parse_line};

const HEADEND: &str = include_str!("../sample-logs/asa-headend.log");
const CLIENT: &str = include_str!("../sample-logs/anyconnect-client.log");

fn ctx() -> ParseContext {
    ParseContext { default_year: 2026 }
}

/// The incident after every line of `text` (of `family`) logged before `until`.
fn feed(inc: &mut Incident, text: &str, family: Family, until: Option<Timestamp>) {
    for line in text.lines() {
        let Some(ev) = parse_line(line, family, &ctx()) else {
            continue;
        };
        if let (Some(until), Some(ts)) = (until, ev.ts)
            && ts > until
        {
            break;
        }
        inc.apply(&ev);
    }
}

fn at(hms: &str) -> Option<Timestamp> {
    format!("2026-11-28T{hms}Z").parse().ok()
}

fn named(n: &str) -> UserKey {
    UserKey::Named(n.into())
}

#[test]
fn the_sample_incident_ends_isolated() {
    // Beside the headend log the client's lines are evidence, as every
    // output reads them.
    let mut inc = Incident::for_sources([Family::Headend, Family::Client]);
    feed(&mut inc, HEADEND, Family::Headend, None);
    feed(&mut inc, CLIENT, Family::Client, None);
    let s = scope::assess(&inc);
    assert_eq!(s.verdict, Verdict::Isolated, "{}", s.evidence);
    // Window 08:55-09:09: rnguyen, tbrennan, lfischer, spereira (token) and
    // mkowalski (locked) still failing; dokafor recovered at 09:05.
    assert!(
        s.evidence
            .starts_with("5 users failed in the last 15 min (4 token_required, 1 account_locked)"),
        "{}",
        s.evidence
    );
    let now = inc.latest();
    let state = |u: &str| inc.user(&named(u)).map(|s| s.state(now));
    assert_eq!(state("dokafor"), Some(UserState::Recovered));
    assert_eq!(state("rnguyen"), Some(UserState::Failing));
    assert_eq!(state("apatel"), Some(UserState::Recovered));
}

#[test]
fn the_radius_flap_is_infrastructure_while_it_lasts() {
    let mut inc = Incident::default();
    feed(&mut inc, HEADEND, Family::Headend, at("08:53:00"));
    let s = scope::assess(&inc);
    assert_eq!(s.verdict, Verdict::Infrastructure, "{}", s.evidence);
    assert_eq!(
        s.evidence,
        "AAA server 10.20.0.13 (ISE-RADIUS) FAILED since 08:52:19"
    );

    // Before the mark, the three 113014 timeouts (08:51:48, 08:52:05,
    // 08:52:12) already reach the unreachable threshold.
    let mut inc = Incident::default();
    feed(&mut inc, HEADEND, Family::Headend, at("08:52:15"));
    let s = scope::assess(&inc);
    assert_eq!(s.verdict, Verdict::Infrastructure, "{}", s.evidence);
    assert!(
        s.evidence.starts_with("3 AAA server unreachable"),
        "{}",
        s.evidence
    );

    // Once 10.20.0.13 is ACTIVE again and the timeouts are older than the
    // unreachable window, the failures left are the users' own.
    let mut inc = Incident::default();
    feed(&mut inc, HEADEND, Family::Headend, at("08:58:00"));
    let s = scope::assess(&inc);
    assert_eq!(s.verdict, Verdict::Isolated, "{}", s.evidence);
}

#[test]
fn per_user_analysis_matches_the_ground_truth() {
    let mut inc = Incident::default();
    feed(&mut inc, HEADEND, Family::Headend, None);
    let get = |u: &str| inc.user(&named(u)).cloned().unwrap_or_default();
    let tb = get("tbrennan");
    assert_eq!((tb.failures, tb.successes), (12, 0));
    assert_eq!(tb.client_ips, ["203.0.113.57"]);
    assert_eq!(tb.last_reason.as_deref(), Some("AAA failure"));
    let dok = get("dokafor");
    assert_eq!((dok.failures, dok.successes, dok.sessions_up), (6, 1, 1));
    // Lost Carrier reconnects: two sessions up, at least one down.
    let eh = get("ehayes");
    assert_eq!(eh.sessions_up, 2);
    assert!(eh.sessions_down >= 1);
    let servers = inc.servers();
    let s13 = servers.iter().find(|s| s.address == "10.20.0.13");
    assert_eq!(s13.map(|s| s.unreachable), Some(3));
    assert_eq!(s13.map(|s| s.transitions.len()), Some(2));
    assert_eq!(inc.management().failures, 0);
}

#[test]
fn scan_json_carries_the_analysis() {
    let mut inc = Incident::default();
    feed(&mut inc, HEADEND, Family::Headend, None);
    let report = vpnwatch::app::headless::report(&inc, Vec::new());
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["scope"]["verdict"], "isolated");
    let tb = &json["users"][0];
    assert_eq!(tb["user"], "tbrennan");
    assert_eq!(tb["state"], "failing");
    assert_eq!(tb["causes"]["token_required"], 12);
    // Attempts at 08:57:04 … 09:07:11 fall in the minutes 08:55–09:09;
    // 08:54:59 does not.
    assert_eq!(tb["windows"]["last_15m"], 6);
    assert_eq!(tb["sessions"]["up"], 0);
    assert_eq!(json["management"]["failures"], 0);
    let rad = json["aaa_groups"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["group"] == "ISE-RADIUS"));
    assert_eq!(
        rad.map(|g| g["servers"][0].clone()),
        Some("10.20.0.13".into())
    );
}
