//! Per-user failure statistics and AAA server health.
//!
//! Counts are of login *attempts*, not lines: one failed AnyConnect login
//! usually logs an AAA rejection (113005 / 113015) and, a moment later, a
//! WebVPN rejection (716039) for the same client. The second line belongs to
//! the first attempt. Likewise a successful login logs several success lines
//! (113004, 113008, 113039, 722051 …) that make one success.
//!
//! Hidden users (`*****`, the ASA's default `logging hide username`) are
//! counted per client IP, never as one user called `*****`.

use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::parse::{Cause, Event, Outcome, ServerState};

/// The name the headend logs in place of an invalid or unknown user name.
pub const HIDDEN_USER: &str = "*****";

/// A follow-up rejection within this time of an AAA rejection from the same
/// client is the same attempt.
pub const ATTEMPT_WINDOW: SignedDuration = SignedDuration::from_secs(5);

/// Success lines for one user within this time are one login.
pub const SUCCESS_WINDOW: SignedDuration = SignedDuration::from_secs(30);

/// A failure shortly after the AAA server challenged the user (113010: a
/// SecurID next-tokencode or new-PIN prompt) is a token problem, whatever
/// generic reason the rejection itself gives.
pub const CHALLENGE_WINDOW: SignedDuration = SignedDuration::from_secs(120);

/// A user counts as "failing now" when their last failure is this recent
/// (log time) and no success came after it.
pub const FAILING_NOW: SignedDuration = SignedDuration::from_secs(5 * 60);

/// Who a statistic is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UserKey {
    Named(String),
    /// A hidden user, known only by client IP.
    Hidden(String),
}

impl std::fmt::Display for UserKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserKey::Named(n) => f.write_str(n),
            UserKey::Hidden(ip) => write!(f, "(hidden) {ip}"),
        }
    }
}

/// What the log says about one user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserStats {
    /// Failed login attempts.
    pub failures: u32,
    /// Successful logins.
    pub successes: u32,
    /// Failed attempts by cause.
    pub causes: BTreeMap<Cause, u32>,
    pub last_cause: Option<Cause>,
    pub last_reason: Option<String>,
    pub last_client_ip: Option<String>,
    /// Every client IP seen for this user, in order of first appearance.
    pub client_ips: Vec<String>,
    pub first_failure: Option<Timestamp>,
    pub last_failure: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
}

impl UserStats {
    /// Failed recently (relative to `now`, log time) with no success since.
    pub fn failing_now(&self, now: Option<Timestamp>) -> bool {
        let Some(last_failure) = self.last_failure else {
            return self.failures > 0 && self.last_success.is_none();
        };
        if self.last_success.is_some_and(|s| s >= last_failure) {
            return false;
        }
        match now {
            Some(now) => now.duration_since(last_failure) <= FAILING_NOW,
            None => true,
        }
    }

    fn see_ip(&mut self, ip: Option<&str>) {
        if let Some(ip) = ip {
            if self.last_client_ip.as_deref() != Some(ip) {
                self.last_client_ip = Some(ip.to_string());
            }
            if !self.client_ips.iter().any(|known| known == ip) {
                self.client_ips.push(ip.to_string());
            }
        }
    }
}

/// Health of one AAA server as the headend last reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerHealth {
    /// Seen in a log line but never marked.
    Unknown,
    Active,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AaaServer {
    pub address: String,
    pub group: Option<String>,
    pub health: ServerHealth,
    /// When the current health was reported.
    pub since: Option<Timestamp>,
    /// "Server not accessible" reports (113014 and friends).
    pub unreachable: u32,
    /// FAILED / ACTIVE transitions, oldest first.
    pub transitions: Vec<(Option<Timestamp>, ServerHealth)>,
}

/// Incident-wide counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Recognised events applied.
    pub events: u64,
    /// Failed login attempts (all users, hidden included).
    pub failures: u64,
    /// Successful logins.
    pub successes: u64,
    pub session_ends: u64,
    /// Failure lines that name no user (certificate checks, server down …).
    pub unattributed_failures: u64,
}

/// What applying one event did, for callers that report per line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// The line started a new failed attempt.
    pub new_attempt: bool,
}

#[derive(Clone, Debug)]
struct OpenAttempt {
    ts: Option<Timestamp>,
    user: usize,
    hidden: bool,
}

/// Per-user statistics, AAA servers and totals for one incident.
#[derive(Clone, Debug, Default)]
pub struct Incident {
    users: Vec<(UserKey, UserStats)>,
    index: HashMap<UserKey, usize>,
    servers: Vec<AaaServer>,
    totals: Totals,
    first_failure: Option<Timestamp>,
    latest: Option<Timestamp>,
    /// The last AAA rejection per client IP, for pairing its follow-up line.
    open_attempts: HashMap<String, OpenAttempt>,
    /// The last AAA challenge per user.
    challenges: HashMap<usize, Option<Timestamp>>,
}

impl Incident {
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Log time of the first failed attempt: when the incident was detected.
    pub fn first_failure(&self) -> Option<Timestamp> {
        self.first_failure
    }

    /// The latest log time seen; "now" for everything measured in log time.
    pub fn latest(&self) -> Option<Timestamp> {
        self.latest
    }

    pub fn servers(&self) -> &[AaaServer] {
        &self.servers
    }

    pub fn user(&self, key: &UserKey) -> Option<&UserStats> {
        self.index.get(key).map(|&i| &self.users[i].1)
    }

    pub fn users(&self) -> impl Iterator<Item = (&UserKey, &UserStats)> {
        self.users.iter().map(|(k, s)| (k, s))
    }

    /// Users with at least one failure, most failures first (then most
    /// recent failure, then name), the order the users pane shows.
    pub fn users_by_failures(&self) -> Vec<(&UserKey, &UserStats)> {
        let mut list: Vec<_> = self.users().filter(|(_, s)| s.failures > 0).collect();
        list.sort_by(|(ka, a), (kb, b)| {
            b.failures
                .cmp(&a.failures)
                .then(b.last_failure.cmp(&a.last_failure))
                .then(ka.cmp(kb))
        });
        list
    }

    /// Users currently failing (see [`UserStats::failing_now`]).
    pub fn failing_now(&self) -> usize {
        self.users
            .iter()
            .filter(|(_, s)| s.failing_now(self.latest))
            .count()
    }

    /// Applies one parsed event.
    pub fn apply(&mut self, ev: &Event) -> Applied {
        self.totals.events += 1;
        let ts = ev.ts.or(self.latest);
        if let Some(t) = ev.ts
            && self.latest.is_none_or(|l| t > l)
        {
            self.latest = Some(t);
        }
        self.apply_server(ev, ts);

        if ev.msg_id == Some("113010") {
            // An AAA challenge is a prompt, not a failure; remember it so the
            // rejection that follows is read as a token problem.
            if let Some(user) = self.user_index(ev) {
                self.challenges.insert(user, ts);
            }
            return Applied::default();
        }

        match ev.outcome {
            Outcome::Failure => self.apply_failure(ev, ts),
            Outcome::Success => {
                self.apply_success(ev, ts);
                Applied::default()
            }
            Outcome::SessionEnd => {
                self.totals.session_ends += 1;
                if let Some(user) = self.user_index(ev) {
                    let stats = &mut self.users[user].1;
                    stats.last_seen = ts.or(stats.last_seen);
                }
                Applied::default()
            }
            Outcome::Info => {
                if let Some(user) = self.user_index(ev) {
                    let stats = &mut self.users[user].1;
                    stats.see_ip(ev.client_ip);
                }
                Applied::default()
            }
        }
    }

    fn apply_server(&mut self, ev: &Event, ts: Option<Timestamp>) {
        let Some(address) = ev.server else { return };
        // 0.0.0.0 is what the ASA logs when no server was involved
        // (authorization against the local policy).
        if address.is_empty() || address == "0.0.0.0" {
            return;
        }
        let unreachable = ev.cause == Some(Cause::AaaUnreachable) && ev.server_state.is_none();
        let server = match self.servers.iter().position(|s| s.address == address) {
            Some(i) => &mut self.servers[i],
            None => {
                self.servers.push(AaaServer {
                    address: address.to_string(),
                    group: None,
                    health: ServerHealth::Unknown,
                    since: None,
                    unreachable: 0,
                    transitions: Vec::new(),
                });
                let last = self.servers.len() - 1;
                &mut self.servers[last]
            }
        };
        if let Some(group) = ev.server_group {
            server.group = Some(group.to_string());
        }
        if unreachable {
            server.unreachable += 1;
        }
        if let Some(state) = ev.server_state {
            let health = match state {
                ServerState::Failed => ServerHealth::Failed,
                ServerState::Active => ServerHealth::Active,
            };
            if server.health != health {
                server.transitions.push((ts, health));
            }
            server.health = health;
            server.since = ts;
        }
    }

    fn apply_failure(&mut self, ev: &Event, ts: Option<Timestamp>) -> Applied {
        let Some(user) = self.user_index(ev) else {
            self.totals.unattributed_failures += 1;
            return Applied::default();
        };
        let hidden = matches!(self.users[user].0, UserKey::Hidden(_));
        let mut cause = ev.cause.unwrap_or(Cause::Other);
        if matches!(cause, Cause::BadCredentials | Cause::Other)
            && let Some(challenged) = self.challenges.get(&user)
            && within(*challenged, ts, CHALLENGE_WINDOW)
        {
            cause = Cause::TokenRequired;
        }

        // A WebVPN rejection right after an AAA rejection from the same
        // client is the second line of the same attempt.
        if ev.msg_id == Some("716039")
            && let Some(ip) = ev.client_ip
            && let Some(open) = self.open_attempts.get(ip).cloned()
            && within(open.ts, ts, ATTEMPT_WINDOW)
            && (open.user == user || open.hidden)
        {
            if open.user != user {
                // The first line hid the name; this one names the user, so
                // the attempt moves to them.
                let moved_cause = self.retract_failure(open.user);
                self.open_attempts.remove(ip);
                self.record_failure(user, moved_cause.unwrap_or(cause), ev, ts);
            } else {
                self.open_attempts.remove(ip);
                let stats = &mut self.users[user].1;
                stats.see_ip(ev.client_ip);
                stats.last_seen = ts.or(stats.last_seen);
            }
            return Applied { new_attempt: false };
        }

        self.record_failure(user, cause, ev, ts);
        if matches!(ev.msg_id, Some("113005" | "113015"))
            && let Some(ip) = ev.client_ip
        {
            self.open_attempts
                .insert(ip.to_string(), OpenAttempt { ts, user, hidden });
        }
        Applied { new_attempt: true }
    }

    fn record_failure(&mut self, user: usize, cause: Cause, ev: &Event, ts: Option<Timestamp>) {
        self.totals.failures += 1;
        if let Some(t) = ts
            && self.first_failure.is_none_or(|f| t < f)
        {
            self.first_failure = Some(t);
        }
        let stats = &mut self.users[user].1;
        stats.failures += 1;
        *stats.causes.entry(cause).or_default() += 1;
        stats.last_cause = Some(cause);
        if let Some(reason) = ev.reason {
            stats.last_reason = Some(reason.to_string());
        }
        stats.see_ip(ev.client_ip);
        if stats.first_failure.is_none() {
            stats.first_failure = ts;
        }
        stats.last_failure = ts.or(stats.last_failure);
        stats.last_seen = ts.or(stats.last_seen);
    }

    /// Takes back the last failure of a user (a hidden user whose attempt
    /// turned out to be a named user's); returns its cause.
    fn retract_failure(&mut self, user: usize) -> Option<Cause> {
        let stats = &mut self.users[user].1;
        let cause = stats.last_cause?;
        stats.failures = stats.failures.saturating_sub(1);
        if let Some(n) = stats.causes.get_mut(&cause) {
            *n -= 1;
            if *n == 0 {
                stats.causes.remove(&cause);
            }
        }
        self.totals.failures = self.totals.failures.saturating_sub(1);
        Some(cause)
    }

    fn apply_success(&mut self, ev: &Event, ts: Option<Timestamp>) {
        let Some(user) = self.user_index(ev) else {
            return;
        };
        let stats = &mut self.users[user].1;
        stats.see_ip(ev.client_ip);
        let same_login =
            stats.last_success.is_some() && within(stats.last_success, ts, SUCCESS_WINDOW);
        if !same_login {
            stats.successes += 1;
            self.totals.successes += 1;
        }
        stats.last_success = ts.or(stats.last_success);
        stats.last_seen = ts.or(stats.last_seen);
        self.challenges.remove(&user);
    }

    /// The statistics slot for the event's user, created on first sight.
    /// `None` when the event names no user (and no client for a hidden one).
    fn user_index(&mut self, ev: &Event) -> Option<usize> {
        let key = match ev.user {
            Some(HIDDEN_USER) => UserKey::Hidden(ev.client_ip?.to_string()),
            Some(name) if !name.is_empty() => UserKey::Named(name.to_string()),
            _ => return None,
        };
        if let Some(&i) = self.index.get(&key) {
            return Some(i);
        }
        self.users.push((key.clone(), UserStats::default()));
        let i = self.users.len() - 1;
        self.index.insert(key, i);
        Some(i)
    }
}

/// Whether `later` is no more than `window` after `earlier`. Lines without
/// a time are taken to be close together: they arrived together.
fn within(earlier: Option<Timestamp>, later: Option<Timestamp>, window: SignedDuration) -> bool {
    match (earlier, later) {
        (Some(a), Some(b)) => {
            let d = b.duration_since(a);
            d >= SignedDuration::ZERO && d <= window
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Family;

    fn at(secs: i64) -> Option<Timestamp> {
        Some(Timestamp::from_second(1_800_000_000 + secs).unwrap())
    }

    fn ev<'a>(secs: i64, id: &'a str, outcome: Outcome, user: &'a str, ip: &'a str) -> Event<'a> {
        let mut e = Event::new(Family::Headend, outcome);
        e.ts = at(secs);
        e.msg_id = Some(id);
        e.user = Some(user);
        e.client_ip = Some(ip);
        if outcome == Outcome::Failure {
            e.cause = Some(Cause::BadCredentials);
        }
        e
    }

    fn named(n: &str) -> UserKey {
        UserKey::Named(n.into())
    }

    #[test]
    fn rejection_and_its_webvpn_line_are_one_attempt() {
        let mut inc = Incident::default();
        assert!(
            inc.apply(&ev(0, "113005", Outcome::Failure, "ann", "192.0.2.1"))
                .new_attempt
        );
        assert!(
            !inc.apply(&ev(1, "716039", Outcome::Failure, "ann", "192.0.2.1"))
                .new_attempt
        );
        assert_eq!(inc.user(&named("ann")).map(|s| s.failures), Some(1));
        assert_eq!(inc.totals().failures, 1);
    }

    #[test]
    fn webvpn_line_after_the_window_is_a_new_attempt() {
        let mut inc = Incident::default();
        inc.apply(&ev(0, "113005", Outcome::Failure, "ann", "192.0.2.1"));
        assert!(
            inc.apply(&ev(6, "716039", Outcome::Failure, "ann", "192.0.2.1"))
                .new_attempt
        );
        assert_eq!(inc.user(&named("ann")).map(|s| s.failures), Some(2));
    }

    #[test]
    fn webvpn_line_at_the_window_edge_is_the_same_attempt() {
        let mut inc = Incident::default();
        inc.apply(&ev(0, "113005", Outcome::Failure, "ann", "192.0.2.1"));
        assert!(
            !inc.apply(&ev(5, "716039", Outcome::Failure, "ann", "192.0.2.1"))
                .new_attempt
        );
    }

    #[test]
    fn hidden_rejection_named_by_webvpn_line_moves_to_the_user() {
        let mut inc = Incident::default();
        inc.apply(&ev(0, "113005", Outcome::Failure, HIDDEN_USER, "192.0.2.9"));
        inc.apply(&ev(1, "716039", Outcome::Failure, "bob", "192.0.2.9"));
        assert_eq!(inc.user(&named("bob")).map(|s| s.failures), Some(1));
        let hidden = UserKey::Hidden("192.0.2.9".into());
        assert_eq!(inc.user(&hidden).map(|s| s.failures), Some(0));
        assert_eq!(inc.totals().failures, 1);
        assert_eq!(inc.users_by_failures().len(), 1);
    }

    #[test]
    fn hidden_users_are_counted_per_client_ip() {
        let mut inc = Incident::default();
        inc.apply(&ev(0, "113005", Outcome::Failure, HIDDEN_USER, "192.0.2.9"));
        inc.apply(&ev(
            60,
            "113005",
            Outcome::Failure,
            HIDDEN_USER,
            "192.0.2.10",
        ));
        inc.apply(&ev(
            120,
            "113005",
            Outcome::Failure,
            HIDDEN_USER,
            "192.0.2.9",
        ));
        let h9 = UserKey::Hidden("192.0.2.9".into());
        assert_eq!(inc.user(&h9).map(|s| s.failures), Some(2));
        assert_eq!(h9.to_string(), "(hidden) 192.0.2.9");
        assert_eq!(inc.users_by_failures().len(), 2);
    }

    #[test]
    fn success_lines_of_one_login_count_once() {
        let mut inc = Incident::default();
        for (t, id) in [(0, "113004"), (0, "113008"), (1, "113039"), (2, "722051")] {
            inc.apply(&ev(t, id, Outcome::Success, "cy", "192.0.2.3"));
        }
        inc.apply(&ev(600, "113039", Outcome::Success, "cy", "192.0.2.3"));
        assert_eq!(inc.user(&named("cy")).map(|s| s.successes), Some(2));
        assert_eq!(inc.totals().successes, 2);
    }

    #[test]
    fn challenge_turns_a_generic_rejection_into_token_required() {
        let mut inc = Incident::default();
        let mut challenge = ev(0, "113010", Outcome::Info, "dee", "192.0.2.4");
        challenge.client_ip = None;
        inc.apply(&challenge);
        inc.apply(&ev(3, "113005", Outcome::Failure, "dee", "192.0.2.4"));
        let stats = inc.user(&named("dee")).cloned().unwrap_or_default();
        assert_eq!(stats.failures, 1);
        assert_eq!(stats.last_cause, Some(Cause::TokenRequired));
        assert_eq!(
            inc.totals().failures,
            1,
            "the challenge itself is not an attempt"
        );
    }

    #[test]
    fn failing_now_clears_after_success_and_after_five_minutes() {
        let mut inc = Incident::default();
        inc.apply(&ev(0, "113005", Outcome::Failure, "eve", "192.0.2.5"));
        assert_eq!(inc.failing_now(), 1);
        inc.apply(&ev(300, "113039", Outcome::Success, "zed", "192.0.2.6"));
        assert_eq!(inc.failing_now(), 1, "exactly five minutes is still now");
        inc.apply(&ev(301, "113039", Outcome::Success, "zed", "192.0.2.6"));
        inc.apply(&ev(302, "113039", Outcome::Success, "zed", "192.0.2.6"));
        inc.apply(&ev(400, "113005", Outcome::Failure, "fay", "192.0.2.7"));
        assert_eq!(inc.failing_now(), 1, "eve aged out, fay is failing");
        inc.apply(&ev(401, "113039", Outcome::Success, "fay", "192.0.2.7"));
        assert_eq!(inc.failing_now(), 0);
        let fay = inc.user(&named("fay")).cloned().unwrap_or_default();
        assert_eq!((fay.failures, fay.successes), (1, 1));
    }

    #[test]
    fn server_marks_are_tracked_with_transitions() {
        let mut inc = Incident::default();
        let mut down = Event::new(Family::Headend, Outcome::Failure);
        down.ts = at(0);
        down.server = Some("10.0.0.5");
        down.server_group = Some("RAD");
        down.server_state = Some(ServerState::Failed);
        down.cause = Some(Cause::AaaUnreachable);
        inc.apply(&down);
        let mut unreachable = ev(10, "113014", Outcome::Failure, "gus", "192.0.2.8");
        unreachable.server = Some("10.0.0.5");
        unreachable.cause = Some(Cause::AaaUnreachable);
        inc.apply(&unreachable);
        let mut up = down.clone();
        up.ts = at(240);
        up.server_state = Some(ServerState::Active);
        up.outcome = Outcome::Info;
        up.cause = None;
        inc.apply(&up);
        let s = &inc.servers()[0];
        assert_eq!(s.health, ServerHealth::Active);
        assert_eq!(s.group.as_deref(), Some("RAD"));
        assert_eq!(s.unreachable, 1);
        assert_eq!(s.transitions.len(), 2);
        assert_eq!(inc.totals().unattributed_failures, 1);
        assert_eq!(
            inc.user(&named("gus")).and_then(|u| u.last_cause),
            Some(Cause::AaaUnreachable)
        );
    }

    #[test]
    fn ordering_puts_most_failures_first() {
        let mut inc = Incident::default();
        inc.apply(&ev(0, "113005", Outcome::Failure, "a", "192.0.2.1"));
        inc.apply(&ev(10, "113005", Outcome::Failure, "b", "192.0.2.2"));
        inc.apply(&ev(20, "113005", Outcome::Failure, "b", "192.0.2.2"));
        let order: Vec<String> = inc
            .users_by_failures()
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
        assert_eq!(order, ["b", "a"]);
        assert_eq!(inc.first_failure(), at(0));
    }
}
