//! The scope verdict and the per-user analysis on the bundled sample
//! incident, whose ground truth is in `sample-logs/README.md`: a token
//! change breaks five contractors and one user locks himself out while ~90
//! users log in fine (isolated), and RADIUS server 10.20.0.13 is marked
//! FAILED from 08:52:19 to 08:56:27 (infrastructure while it lasts).

use jiff::Timestamp;

use vpnwatch::engine::scope::{self, Verdict};
use vpnwatch::engine::{Incident, UserKey, UserState};
use vpnwatch::parse::{ParseContext, parse_line};
use vpnwatch::vocab::Family;

const HEADEND: &str = include_str!("../sample-logs/asa-headend.log");
const CLIENT: &str = include_str!("../sample-logs/anyconnect-client.log");

fn ctx() -> ParseContext {
    ParseContext::for_year(2026)
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
    let mut inc = Incident::for_sources(
        [Family::Headend, Family::Client],
        vpnwatch::engine::IncidentLimits::default(),
    );
    feed(&mut inc, HEADEND, Family::Headend, None);
    feed(&mut inc, CLIENT, Family::Client, None);
    let s = scope::assess(&inc);
    assert_eq!(s.verdict, Verdict::Isolated, "{}", s.evidence);
    // Window 08:55-09:09: rnguyen, tbrennan, lfischer, spereira (token) and
    // mkowalski (locked) still failing; dokafor recovered at 09:05.
    assert!(
        s.evidence.starts_with(
            "5 users failed in the last 15 min, not recovered (4 token_required, 1 account_locked)"
        ),
        "{}",
        s.evidence
    );
    let state = |u: &str| inc.user(&named(u)).map(|s| inc.state_of(&named(u), s));
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
    let report = vpnwatch::app::headless::report(&inc, &[]);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["scope"]["verdict"], "isolated");
    // Failing now first, then most failures in the last 15 min: lfischer
    // (8 in the window) before tbrennan (6), both with 12 in all.
    assert_eq!(json["users"][0]["user"], "lfischer");
    let tb = &json["users"][1];
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

#[test]
fn during_the_radius_flap_the_suggested_step_is_the_headend_check() {
    use vpnwatch::engine::Checklist;
    use vpnwatch::engine::suggest::suggest;
    use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};
    use vpnwatch::vocab::Cause;
    let checklist = Checklist::new(&runbook::parse(DEFAULT_RUNBOOK).unwrap());
    let mut inc = Incident::default();
    feed(&mut inc, HEADEND, Family::Headend, at("08:53:00"));
    assert_eq!(inc.scope().verdict, Verdict::Infrastructure);
    // The users' own causes (tokens, a lockout) outnumber the timeouts, yet
    // the verdict decides: step 4, with the verdict's evidence.
    let s = suggest(&inc, &checklist).expect("a suggestion");
    assert_eq!(s.step, "4");
    assert_eq!(s.cause, Cause::AaaUnreachable);
    assert_eq!(
        s.evidence(),
        "aaa_unreachable: AAA server 10.20.0.13 (ISE-RADIUS) FAILED since 08:52:19"
    );
    // After the flap the users' causes are suggested again.
    let mut inc = Incident::default();
    feed(&mut inc, HEADEND, Family::Headend, at("08:58:00"));
    assert_eq!(inc.scope().verdict, Verdict::Isolated);
    let s = suggest(&inc, &checklist).expect("a suggestion");
    assert_eq!(s.step, "1");
    assert!(s.evidence().ends_with("token_required"), "{}", s.evidence());
}

#[test]
fn locked_and_unknown_users_and_successes_only_users_are_reported() {
    let mut inc = Incident::default();
    feed(&mut inc, HEADEND, Family::Headend, None);
    let state = |u: &str| inc.user(&named(u)).map(|s| inc.state_of(&named(u), s));
    assert_eq!(state("mkowalski"), Some(UserState::Locked));
    // Five rejections, the lockout notice that the fifth caused (not an
    // attempt), then three rejections of the locked account.
    let mk = inc.user(&named("mkowalski")).cloned().unwrap_or_default();
    assert_eq!(mk.failures, 8);
    assert_eq!(
        mk.causes.get(&vpnwatch::vocab::Cause::AccountLocked),
        Some(&4)
    );
    let report = vpnwatch::app::headless::report(&inc, &[]);
    let json = serde_json::to_value(&report).unwrap();
    let users = json["users"].as_array().cloned().unwrap_or_default();
    let find = |n: &str| users.iter().find(|u| u["user"] == n).cloned();
    assert_eq!(
        find("mkowalski").map(|u| u["state"].clone()),
        Some("locked".into())
    );
    // A user who only logged in is listed, as ok.
    let ok = users
        .iter()
        .find(|u| u["failures"] == 0)
        .expect("a successes-only user");
    assert_eq!(ok["state"], "ok");
    assert!(ok["successes"].as_u64() > Some(0));
    assert_eq!(
        users.len(),
        inc.users()
            .filter(|(_, s)| s.failures > 0 || s.successes > 0)
            .count(),
        "every user seen is listed"
    );
    assert_eq!(
        json["totals"]["users_with_failures"],
        users.iter().filter(|u| u["failures"] != 0).count()
    );
}

/// A headend rejection of `user` from `ip`, `secs` after 09:00:00.
fn rejection(secs: u32, user: &str, ip: &str, reason: &str) -> String {
    format!(
        "Nov 28 2026 09:{:02}:{:02} fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = {reason} : server = 10.0.0.1 : user = {user} : user IP = {ip}",
        secs / 60,
        secs % 60
    )
}

fn apply_lines(inc: &mut Incident, lines: &[String]) {
    for line in lines {
        let ev = parse_line(line, Family::Headend, &ctx()).expect("a recognised line");
        inc.apply(&ev);
    }
}

/// `names` user names failing from one address, one every 10 s.
fn spray(names: usize) -> Vec<String> {
    (0..names)
        .map(|i| {
            rejection(
                i as u32 * 10,
                &format!("guess{i:03}"),
                "198.51.100.66",
                "Invalid password",
            )
        })
        .collect()
}

#[test]
fn a_password_spray_is_an_attack_on_both_sides_of_the_threshold() {
    use vpnwatch::engine::spray::SPRAY_MIN_NAMES;
    // One name short: an office NAT address with users mistyping.
    let mut inc = Incident::default();
    apply_lines(&mut inc, &spray(SPRAY_MIN_NAMES - 1));
    let s = scope::assess(&inc);
    assert_eq!(s.verdict, Verdict::Isolated, "{}", s.evidence);
    assert_eq!(inc.totals().failures, SPRAY_MIN_NAMES as u64 - 1);

    // At the threshold: an attack, counted apart under (spray) <ip>.
    let mut inc = Incident::default();
    apply_lines(&mut inc, &spray(SPRAY_MIN_NAMES + 5));
    let s = scope::assess(&inc);
    assert_eq!(s.verdict, Verdict::Attack, "{}", s.evidence);
    assert_eq!(
        s.evidence,
        "password spray: 15 user names from 1 address in the last 15 min"
    );
    assert_eq!(inc.totals().failures, 0);
    assert_eq!(inc.totals().spray_attempts, 15);
    let listed: Vec<String> = inc
        .users_by_failures()
        .iter()
        .map(|(k, _)| k.to_string())
        .collect();
    assert_eq!(listed, ["(spray) 198.51.100.66"]);
    assert_eq!(inc.failing_now(), 0, "a spray source is not a user failing");
    let report = vpnwatch::app::headless::report(&inc, &[]);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["scope"]["verdict"], "attack");
    assert_eq!(json["users"][0]["spray"], true);
    assert_eq!(json["users"][0]["failures"], 15);
    assert_eq!(json["totals"]["spray_attempts"], 15);
}

#[test]
fn a_spray_neither_hides_an_outage_nor_swamps_the_cause_tally() {
    use vpnwatch::engine::Checklist;
    use vpnwatch::engine::suggest::suggest;
    use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};
    let checklist = Checklist::new(&runbook::parse(DEFAULT_RUNBOOK).unwrap());
    // Three real users locked out, and a 40-name spray of wrong passwords.
    let mut lines = spray(40);
    for (i, u) in ["ann", "bob", "cy"].iter().enumerate() {
        lines.push(rejection(
            400 + i as u32,
            u,
            &format!("203.0.113.{i}"),
            "Account has been locked out",
        ));
    }
    let mut inc = Incident::default();
    apply_lines(&mut inc, &lines);
    let s = scope::assess(&inc);
    assert_eq!(s.verdict, Verdict::Attack, "{}", s.evidence);
    assert!(
        s.evidence
            .ends_with("besides, 3 users failed, not recovered (3 account_locked)"),
        "{}",
        s.evidence
    );
    let step = suggest(&inc, &checklist).map(|s| s.step);
    assert_eq!(
        step.as_deref(),
        Some("2"),
        "the lockouts, not the spray's 40 bad passwords"
    );

    // Twelve real users failing with nobody getting in is still an outage.
    let mut lines = spray(40);
    for i in 0..12u32 {
        lines.push(rejection(
            400 + i,
            &format!("real{i}"),
            &format!("203.0.113.{i}"),
            "Invalid password",
        ));
    }
    let mut inc = Incident::default();
    apply_lines(&mut inc, &lines);
    assert_eq!(scope::assess(&inc).verdict, Verdict::Widespread);
}

#[test]
fn many_addresses_on_one_name_is_an_attack_on_both_sides_of_the_threshold() {
    use vpnwatch::engine::spray::SPRAY_MIN_ADDRESSES;
    let lines = |n: usize| -> Vec<String> {
        (0..n)
            .map(|i| {
                rejection(
                    i as u32 * 5,
                    "admin",
                    &format!("192.0.2.{i}"),
                    "Invalid password",
                )
            })
            .collect()
    };
    let mut inc = Incident::default();
    apply_lines(&mut inc, &lines(SPRAY_MIN_ADDRESSES - 1));
    assert_eq!(scope::assess(&inc).verdict, Verdict::Isolated);
    let mut inc = Incident::default();
    apply_lines(&mut inc, &lines(SPRAY_MIN_ADDRESSES));
    let s = scope::assess(&inc);
    assert_eq!(s.verdict, Verdict::Attack, "{}", s.evidence);
    assert_eq!(s.evidence, "10 addresses on user admin in 5 min");
}
