//! The scope verdict: is this outage the infrastructure, everyone, or a few
//! users? Recomputed from the incident on demand (each frame, each report),
//! with one line of evidence the bridge can read out.
//!
//! The order of the checks is the order a network engineer rules things out:
//!
//! 1. **`infrastructure`** — something every login depends on is broken: an
//!    AAA server is currently marked FAILED (113022 without a later 113023),
//!    or the headend keeps reporting AAA servers unreachable (113014, and
//!    409023: a whole server group unreachable) — at least
//!    [`INFRA_MIN_UNREACHABLE`] in the last [`UNREACHABLE_WINDOW_MINUTES`]
//!    minutes, which catches the gap before the ASA's own FAILED mark and
//!    groups that fall back without one — or capacity failures (licence,
//!    session limit, address pool) — at least [`INFRA_MIN_CAPACITY`] in the
//!    last [`SCOPE_WINDOW_MINUTES`] minutes. One capacity line is usually one
//!    user's simultaneous-login limit, not the headend running out.
//! 2. **`widespread`** — at least [`WIDESPREAD_MIN_USERS`] distinct users are
//!    failing (a failed attempt in the last [`SCOPE_WINDOW_MINUTES`] minutes
//!    and no success since) *and* successes have collapsed: successful
//!    logins in the same window are fewer than
//!    [`WIDESPREAD_LOGINS_PERCENT`] % of the number of failing users. With
//!    100 % that reads "fewer people get in than are locked out".
//! 3. **`attack`** — a password spray: an address from which many distinct
//!    user names failed within a few minutes, or a name that failed from
//!    many addresses (thresholds in [`super::spray`]), in the last
//!    [`SCOPE_WINDOW_MINUTES`] minutes. Those attempts are counted apart and
//!    are not "failing users" for the checks above and below, so a spray
//!    never reads as an outage, nor as a few users' own problem.
//! 4. **`isolated`** — some users are failing, but not as above: the problem
//!    follows the users (their credentials, token, profile), not the service.
//! 5. **`none`** — nobody is failing in the window.
//!
//! Windows are whole minutes up to the incident's now ([`Incident::now`]:
//! log time, or the wall clock once live; see [`super::window`]).

use jiff::Timestamp;
use serde::Serialize;

use super::incident::{Incident, ServerHealth};
use crate::vocab::Cause;

/// The window for failing users, logins and capacity failures, in minutes:
/// the one recent window, so the verdict counts the failures the users
/// pane and the suggested step count.
pub const SCOPE_WINDOW_MINUTES: u32 = super::incident::RECENT_MINUTES;
/// The window for AAA unreachable reports, in minutes: these come in bursts
/// (one per login attempt) while a server is down.
pub const UNREACHABLE_WINDOW_MINUTES: u32 = 5;
/// AAA unreachable reports (113014, 409023) in the unreachable window that
/// make the verdict `infrastructure`. Three matches the ASA's default
/// `max-failed-attempts`, after which it marks the server FAILED.
pub const INFRA_MIN_UNREACHABLE: u32 = 3;
/// Capacity failures in the scope window that make the verdict
/// `infrastructure`.
pub const INFRA_MIN_CAPACITY: u32 = 3;
/// Distinct failing users from which an outage can be `widespread`.
pub const WIDESPREAD_MIN_USERS: u32 = 10;
/// Successes have collapsed when logins in the window are below this
/// percentage of the failing-user count.
pub const WIDESPREAD_LOGINS_PERCENT: u32 = 100;

/// How far an outage reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Infrastructure,
    Widespread,
    Attack,
    Isolated,
    None,
    /// No headend line has been recognised: nothing can be said, and
    /// "none" would be a false all-clear.
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Infrastructure => "infrastructure",
            Verdict::Widespread => "widespread",
            Verdict::Attack => "attack",
            Verdict::Isolated => "isolated",
            Verdict::None => "none",
            Verdict::Unknown => "unknown",
        }
    }
}

/// The verdict and the one line of evidence behind it. The evidence quotes
/// log-derived text (server names, reasons): sanitise it before display.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scope {
    pub verdict: Verdict,
    pub evidence: String,
    /// For `infrastructure`: what is broken, as a cause the runbook's hints
    /// name (`aaa_unreachable` or `capacity`), so the suggested step follows
    /// the verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

/// A server currently marked FAILED.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedServer {
    pub address: String,
    pub group: Option<String>,
    pub since: Option<Timestamp>,
}

/// What the verdict is decided from; gathered by [`assess`], and built by
/// hand in tests to probe each threshold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeInputs {
    pub failed_servers: Vec<FailedServer>,
    /// AAA unreachable reports in the last [`UNREACHABLE_WINDOW_MINUTES`].
    pub unreachable: u32,
    /// Capacity failures in the last [`SCOPE_WINDOW_MINUTES`].
    pub capacity: u32,
    pub capacity_reason: Option<String>,
    /// Users with a failed attempt in the window and no success since.
    pub failing_users: u32,
    /// Successful logins in the window.
    pub logins: u32,
    /// The failing users' last causes, most common first.
    pub causes: Vec<(Cause, u32)>,
    /// Spray sources active in the window, and the user names tried from
    /// them (see [`super::spray`]).
    pub spray_sources: usize,
    pub spray_names: usize,
    /// Names under attack from many addresses: (name, addresses).
    pub attacked: Vec<(String, usize)>,
    /// Auth-server failures no headend attempt matched, in all (see
    /// [`Incident::unmatched_auth_failures`]): a `none` or `isolated`
    /// verdict is made without them, and says so.
    pub unmatched: u64,
}

/// Gathers the inputs from the incident, at its clock ([`Incident::now`]).
pub fn inputs(incident: &Incident) -> ScopeInputs {
    let failed_servers = incident
        .servers()
        .iter()
        .filter(|s| s.health == ServerHealth::Failed)
        .map(|s| FailedServer {
            address: s.address.clone(),
            group: s.group.clone(),
            since: s.since,
        })
        .collect();
    let unrecovered = incident.unrecovered_recent();
    let per_cause = unrecovered.by_cause.map(|(users, _)| users);
    let mut causes: Vec<(Cause, u32)> = Cause::ALL
        .into_iter()
        .zip(per_cause)
        .filter(|&(_, n)| n > 0)
        .collect();
    causes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let window = incident.recent(SCOPE_WINDOW_MINUTES);
    let (spray_sources, spray_names) = incident.spray_sources(SCOPE_WINDOW_MINUTES);
    ScopeInputs {
        spray_sources,
        spray_names,
        attacked: incident.attacked_names(),
        failed_servers,
        unreachable: incident.recent(UNREACHABLE_WINDOW_MINUTES).unreachable,
        capacity: window.capacity,
        capacity_reason: incident.last_capacity_reason().map(str::to_string),
        failing_users: unrecovered.users,
        logins: window.logins,
        causes,
        unmatched: incident.unmatched_auth_failures(),
    }
}

/// The verdict for the incident as it stands at its latest log time.
pub fn assess(incident: &Incident) -> Scope {
    decide(&inputs(incident))
}

fn clock(ts: Timestamp) -> String {
    ts.strftime("%H:%M:%S").to_string()
}

/// The evidence of a spray or a many-address attack, if there is one.
fn attack_evidence(i: &ScopeInputs) -> Option<String> {
    let mut parts = Vec::new();
    if i.spray_sources > 0 {
        let addresses = if i.spray_sources == 1 {
            "address"
        } else {
            "addresses"
        };
        parts.push(format!(
            "password spray: {} user names from {} {addresses} in the last {SCOPE_WINDOW_MINUTES} min",
            i.spray_names, i.spray_sources
        ));
    }
    if let Some((name, n)) = i.attacked.first() {
        let mut text = format!(
            "{n} addresses on user {name} in {} min",
            super::spray::SPRAY_WINDOW.as_mins()
        );
        if i.attacked.len() > 1 {
            text.push_str(&format!(" (+{} more names)", i.attacked.len() - 1));
        }
        parts.push(text);
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Applies the thresholds in the module docs.
pub fn decide(i: &ScopeInputs) -> Scope {
    let scope = |verdict, mut evidence: String| {
        // A calm verdict made without failures the headend log does not
        // show says so: they may be the outage.
        if matches!(verdict, Verdict::None | Verdict::Isolated)
            && let Some(unmatched) = super::incident::unmatched_short(i.unmatched)
        {
            evidence.push_str(&format!("; {unmatched} in all"));
        }
        Scope {
            verdict,
            evidence,
            cause: None,
        }
    };
    let infrastructure = |cause, evidence| Scope {
        verdict: Verdict::Infrastructure,
        evidence,
        cause: Some(cause),
    };
    if let Some(first) = i.failed_servers.first() {
        let mut text = format!("AAA server {}", first.address);
        if let Some(g) = &first.group {
            text.push_str(&format!(" ({g})"));
        }
        text.push_str(" FAILED");
        if let Some(t) = first.since {
            text.push_str(&format!(" since {}", clock(t)));
        }
        if i.failed_servers.len() > 1 {
            text.push_str(&format!(" (+{} more)", i.failed_servers.len() - 1));
        }
        return infrastructure(Cause::AaaUnreachable, text);
    }
    if i.unreachable >= INFRA_MIN_UNREACHABLE {
        return infrastructure(
            Cause::AaaUnreachable,
            format!(
                "{} AAA server unreachable reports in the last {UNREACHABLE_WINDOW_MINUTES} min",
                i.unreachable
            ),
        );
    }
    if i.capacity >= INFRA_MIN_CAPACITY {
        let mut text = format!(
            "{} capacity failures in the last {SCOPE_WINDOW_MINUTES} min",
            i.capacity
        );
        if let Some(r) = &i.capacity_reason {
            text.push_str(&format!(": {r}"));
        }
        return infrastructure(Cause::Capacity, text);
    }
    let attack = attack_evidence(i);
    if i.failing_users == 0 {
        if let Some(evidence) = attack {
            return scope(Verdict::Attack, evidence);
        }
        return scope(
            Verdict::None,
            format!("no unrecovered failures in the last {SCOPE_WINDOW_MINUTES} min"),
        );
    }
    let causes = cause_breakdown(&i.causes);
    let users = crate::plural::noun(i.failing_users, "user", "users");
    let collapsed = u64::from(i.logins) * 100
        < u64::from(WIDESPREAD_LOGINS_PERCENT) * u64::from(i.failing_users);
    if i.failing_users >= WIDESPREAD_MIN_USERS && collapsed {
        return scope(
            Verdict::Widespread,
            format!(
                "{} {users} failed in the last {SCOPE_WINDOW_MINUTES} min, not recovered ({causes}), only {} succeeded",
                i.failing_users,
                crate::plural::count(i.logins, "login", "logins")
            ),
        );
    }
    if let Some(evidence) = attack {
        return scope(
            Verdict::Attack,
            format!(
                "{evidence}; besides, {} {users} failed, not recovered ({causes})",
                i.failing_users
            ),
        );
    }
    scope(
        Verdict::Isolated,
        format!(
            "{} {users} failed in the last {SCOPE_WINDOW_MINUTES} min, not recovered ({causes}) while {} succeeded",
            i.failing_users,
            crate::plural::count(i.logins, "login", "logins")
        ),
    )
}

/// The two most common causes of the failing users, and how many users the
/// rest account for: the evidence never leaves failing users out unsaid.
fn cause_breakdown(causes: &[(Cause, u32)]) -> String {
    const SHOWN: usize = 2;
    let mut parts: Vec<String> = causes
        .iter()
        .take(SHOWN)
        .map(|(c, n)| format!("{n} {c}"))
        .collect();
    let rest: u32 = causes.iter().skip(SHOWN).map(|(_, n)| n).sum();
    if rest > 0 {
        let kinds = causes.len() - SHOWN;
        let with = crate::plural::noun(kinds, "another cause", "other causes");
        parts.push(format!("{rest} more with {with}"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failing(users: u32, logins: u32) -> ScopeInputs {
        ScopeInputs {
            failing_users: users,
            logins,
            causes: vec![(Cause::BadCredentials, users)],
            ..ScopeInputs::default()
        }
    }

    #[test]
    fn nobody_failing_is_none() {
        let s = decide(&failing(0, 40));
        assert_eq!(s.verdict, Verdict::None);
        assert!(
            s.evidence.starts_with("no unrecovered failures"),
            "{}",
            s.evidence
        );
    }

    #[test]
    fn a_failed_server_is_infrastructure_whatever_else_happens() {
        let mut i = failing(2, 100);
        i.failed_servers.push(FailedServer {
            address: "10.0.0.5".into(),
            group: Some("RAD".into()),
            since: Timestamp::from_second(1_800_000_000).ok(),
        });
        let s = decide(&i);
        assert_eq!(s.verdict, Verdict::Infrastructure);
        assert!(
            s.evidence
                .starts_with("AAA server 10.0.0.5 (RAD) FAILED since "),
            "{}",
            s.evidence
        );
    }

    #[test]
    fn unreachable_reports_at_the_threshold_are_infrastructure() {
        for (n, want) in [
            (INFRA_MIN_UNREACHABLE - 1, Verdict::Isolated),
            (INFRA_MIN_UNREACHABLE, Verdict::Infrastructure),
            (INFRA_MIN_UNREACHABLE + 1, Verdict::Infrastructure),
        ] {
            let mut i = failing(1, 50);
            i.unreachable = n;
            assert_eq!(decide(&i).verdict, want, "{n} unreachable reports");
        }
    }

    #[test]
    fn capacity_failures_at_the_threshold_are_infrastructure() {
        for (n, want) in [
            (INFRA_MIN_CAPACITY - 1, Verdict::Isolated),
            (INFRA_MIN_CAPACITY, Verdict::Infrastructure),
            (INFRA_MIN_CAPACITY + 1, Verdict::Infrastructure),
        ] {
            let mut i = failing(1, 50);
            i.capacity = n;
            i.capacity_reason = Some("No address available".into());
            let s = decide(&i);
            assert_eq!(s.verdict, want, "{n} capacity failures");
            if want == Verdict::Infrastructure {
                assert!(s.evidence.ends_with(": No address available"));
            }
        }
    }

    #[test]
    fn widespread_needs_enough_failing_users() {
        for (users, want) in [
            (WIDESPREAD_MIN_USERS - 1, Verdict::Isolated),
            (WIDESPREAD_MIN_USERS, Verdict::Widespread),
            (WIDESPREAD_MIN_USERS + 1, Verdict::Widespread),
        ] {
            assert_eq!(decide(&failing(users, 0)).verdict, want, "{users} users");
        }
    }

    #[test]
    fn widespread_needs_successes_to_have_collapsed() {
        // With 20 failing users the threshold is 20 logins (100 %).
        let users = 20;
        let edge = users * WIDESPREAD_LOGINS_PERCENT / 100;
        for (logins, want) in [
            (edge - 1, Verdict::Widespread),
            (edge, Verdict::Isolated),
            (edge + 1, Verdict::Isolated),
        ] {
            let s = decide(&failing(users, logins));
            assert_eq!(s.verdict, want, "{logins} logins");
        }
        let s = decide(&failing(users, 3));
        assert_eq!(
            s.evidence,
            "20 users failed in the last 15 min, not recovered (20 bad_credentials), only 3 logins succeeded"
        );
    }

    #[test]
    fn isolated_evidence_names_the_top_causes() {
        let mut i = failing(5, 40);
        i.causes = vec![
            (Cause::TokenRequired, 4),
            (Cause::AccountLocked, 1),
            (Cause::Other, 1),
        ];
        let s = decide(&i);
        assert_eq!(s.verdict, Verdict::Isolated);
        assert_eq!(
            s.evidence,
            "5 users failed in the last 15 min, not recovered (4 token_required, 1 account_locked, 1 more with another cause) while 40 logins succeeded"
        );
    }

    /// A calm verdict made without auth-server failures no headend
    /// attempt matched says so in its evidence; an alarming one needs no
    /// such doubt.
    #[test]
    fn a_calm_verdict_says_what_it_was_made_without() {
        let with = |mut i: ScopeInputs| {
            i.unmatched = 40;
            decide(&i)
        };
        for (inputs, calm) in [
            (failing(0, 40), true),
            (failing(2, 40), true),
            (failing(WIDESPREAD_MIN_USERS, 0), false),
        ] {
            let s = with(inputs);
            assert_eq!(
                s.evidence
                    .ends_with("; 40 auth-server failures unmatched in all"),
                calm,
                "{:?}: {}",
                s.verdict,
                s.evidence
            );
        }
        assert!(!decide(&failing(2, 40)).evidence.contains("unmatched"));
    }
}
