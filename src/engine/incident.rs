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
//!
//! Besides the counts, each user keeps per-minute failure buckets (for the
//! 1/5/15-minute windows and the sparkline), session up/down counts, and a
//! bounded list of references to their retained log lines (for the
//! drill-down view), joined across sources by user name, client IP and, for
//! client logs, the laptop that last named the user. Management logins
//! (605xxx, 611xxx, 113021) are counted apart in [`Management`].
//!
//! Auth-server lines (RADIUS / ISE / NPS) describe the same logins the
//! headend reports, so they never count as attempts or logins (that would
//! count every login twice); they are filed under the user for the
//! drill-down, and their failure reason is kept as [`UserStats::auth_reason`].
//! A server failure is joined with the headend attempt it explains (see
//! [`super::join`]): the attempt takes the server's more specific cause, and
//! a hidden headend user is resolved to the name the server logged.

use std::collections::{BTreeMap, HashMap, VecDeque};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::join::{self, Attempt, Joiner, Verdict};
use super::spray::{Seen, Spray, Tried};
use super::window::MinuteRing;
use crate::vocab::{Cause, Event, Family, Outcome, Role, ServerState};

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

/// Line references kept per user for the drill-down view; older ones are
/// dropped first. A few hundred lines cover a long incident for one person.
pub const USER_LINES_CAP: usize = 400;

/// Users a client IP is linked to, at most (a NAT address shared by a whole
/// office would otherwise tie every line to everyone).
const USERS_PER_IP_CAP: usize = 8;

/// The state of one user, as the users pane, the drill-down, `scan` and
/// `scan --json` show it. The account states come first: a locked-out user
/// retrying is locked, whatever the clock says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserState {
    /// The last failure was a lockout or a disabled account
    /// (`account_locked`, `account_disabled`), and no success since.
    Locked,
    /// The last failure was an unknown user name (`unknown_user`), and no
    /// success since.
    Unknown,
    /// Failed within [`FAILING_NOW`] of now, no success since.
    Failing,
    /// Had failures, none within [`FAILING_NOW`], and no success since: not
    /// failing now, but not in either (they may have given up).
    Failed,
    /// Had failures, and a success after the last one.
    Recovered,
    /// No failed attempt.
    Ok,
}

impl UserState {
    pub fn as_str(self) -> &'static str {
        match self {
            UserState::Locked => "locked",
            UserState::Unknown => "unknown",
            UserState::Failing => "failing",
            UserState::Failed => "failed",
            UserState::Recovered => "recovered",
            UserState::Ok => "ok",
        }
    }

    /// The glyph shown before the word (never colour alone).
    pub fn glyph(self) -> &'static str {
        match self {
            UserState::Locked => "⊘",
            UserState::Unknown => "?",
            UserState::Failing => "✖",
            UserState::Failed => "✗",
            UserState::Recovered => "✔",
            UserState::Ok => "·",
        }
    }

    /// Glyph and word, as the Users pane and `scan` show it: `⊘ locked`.
    pub fn label(self) -> String {
        format!("{} {}", self.glyph(), self.as_str())
    }
}

/// A reference to one retained log line: which pane's store, the line's
/// index in it (see [`LineStore::total`](super::LineStore::total)), and its
/// log time for merging the two sources in time order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineRef {
    pub family: Family,
    pub index: u64,
    pub ts: Option<Timestamp>,
    /// The cause the engine gave a failure line (a rejection after a token
    /// challenge is `token_required` whatever the line says); set when filed.
    pub cause: Option<Cause>,
}

/// Who a statistic is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UserKey {
    Named(String),
    /// A hidden user, known only by client IP.
    Hidden(String),
    /// The failed attempts of a password spray from one client IP, counted
    /// apart from the names tried (see [`super::spray`]).
    Spray(String),
}

impl std::fmt::Display for UserKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserKey::Named(n) => f.write_str(n),
            UserKey::Hidden(ip) => write!(f, "(hidden) {ip}"),
            UserKey::Spray(ip) => write!(f, "(spray) {ip}"),
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
    /// The auth server's reason for the user's last rejection (ISE
    /// `FailureReason`, NPS reason), often more precise than the headend's.
    pub auth_reason: Option<String>,
    pub last_client_ip: Option<String>,
    /// Every client IP seen for this user, in order of first appearance.
    pub client_ips: Vec<String>,
    pub first_failure: Option<Timestamp>,
    pub last_failure: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// VPN sessions that came up / went down (several lines of one session
    /// change count once).
    pub sessions_up: u32,
    pub sessions_down: u32,
    last_session_up: Option<Timestamp>,
    last_session_down: Option<Timestamp>,
    /// The join id of the user's latest counted attempt, for a follow-on
    /// notice (113006) that changes its cause.
    last_attempt: Option<usize>,
    /// When a lockout notice was counted as an attempt of its own (no
    /// rejection before it): a rejection logged just after it is that
    /// same attempt.
    lone_lockout: Option<Timestamp>,
    /// Failed attempts per minute of log time.
    pub recent: MinuteRing,
    /// This user's retained lines, oldest first, at most [`USER_LINES_CAP`].
    pub lines: VecDeque<LineRef>,
}

impl UserStats {
    /// The user's state relative to `now` (log time).
    pub fn state(&self, now: Option<Timestamp>) -> UserState {
        let unrecovered = self.failures > 0
            && self
                .last_success
                .is_none_or(|s| self.last_failure.is_some_and(|f| f > s));
        if unrecovered {
            match self.last_cause {
                Some(Cause::AccountLocked | Cause::AccountDisabled) => return UserState::Locked,
                Some(Cause::UnknownUser) => return UserState::Unknown,
                _ => {}
            }
        }
        if self.failing_now(now) {
            UserState::Failing
        } else if unrecovered {
            UserState::Failed
        } else if self.failures > 0 {
            UserState::Recovered
        } else {
            UserState::Ok
        }
    }

    /// Failed attempts in the last `minutes` whole minutes of log time.
    pub fn failures_in(&self, now: Option<Timestamp>, minutes: u32) -> u32 {
        self.recent.last(now, minutes)
    }

    fn push_line(&mut self, line: LineRef) {
        if self.lines.back() == Some(&line) {
            return;
        }
        if self.lines.len() >= USER_LINES_CAP {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    /// Failed recently (relative to `now`, log time) with no success since.
    pub fn failing_now(&self, now: Option<Timestamp>) -> bool {
        if self.failures == 0 {
            // Every attempt moved elsewhere (a hidden user named, a spray).
            return false;
        }
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

/// Debug-trace sessions remembered; a trace runs for one attempt, so a few
/// thousand open sessions means a hostile or runaway log: start over.
const TRACE_SESSIONS_CAP: usize = 4096;

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

/// An AAA server group: named by 113022/113023 marks (with a server) or by
/// 409023 (the whole group unreachable, no server named).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AaaGroup {
    pub name: String,
    /// 409023 reports: every server of the group was unreachable and the
    /// headend fell back to another method.
    pub unreachable: u32,
    pub last_unreachable: Option<Timestamp>,
}

/// Logins to the headend itself (ASDM, SSH, console: 605004/605005,
/// 611101/611102, 113021). Counted apart: an administrator mistyping a
/// password is not a VPN outage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Management {
    pub failures: u32,
    pub successes: u32,
    /// Per user name as logged: (failures, successes).
    pub users: BTreeMap<String, (u32, u32)>,
    pub last_failure: Option<Timestamp>,
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
    /// Hidden headend attempts that an auth-server line put a name to.
    pub hidden_resolved: u64,
    /// Failed attempts of password sprays, counted apart from `failures`
    /// (see [`super::spray`]).
    pub spray_attempts: u64,
}

/// What applying one event did, for callers that report per line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// The line started a new failed attempt.
    pub new_attempt: bool,
    /// The cause the engine gives the line now (a failure's attempt cause:
    /// `token_required` after a challenge, the attempt's cause on its
    /// follow-up line; an auth-server or client line's own cause). `None`
    /// for lines that are no failure: show the parser's cause. A later line
    /// may still change it: see [`Incident::take_cause_updates`].
    pub cause: Option<Cause>,
    /// A client failure line that follows the line opening its attempt
    /// (see [`super::client_attempts`]): context, not another failure.
    pub follow_on: bool,
}

/// A line applied earlier whose cause the engine has changed: a join with
/// an auth-server or client verdict, or a more specific follow-up line,
/// gave its attempt another cause. `index` is the one the caller gave in
/// the line's [`LineRef`]. Every output shows a line with the last cause
/// the engine gave it, so the engine is the one authority for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CauseUpdate {
    pub family: Family,
    pub index: u64,
    pub cause: Cause,
}

/// Cause updates kept for a caller that does not take them (a scan that
/// reads without lines makes none); the oldest are dropped beyond this.
const CAUSE_UPDATES_CAP: usize = 65_536;

#[derive(Clone, Debug)]
struct OpenAttempt {
    ts: Option<Timestamp>,
    user: usize,
    hidden: bool,
    /// The rejection line, handed to the named user if the attempt moves.
    line: Option<LineRef>,
    /// The attempt's id in the join with auth-server verdicts.
    attempt: usize,
}

/// Per-user statistics, AAA servers and totals for one incident.
#[derive(Clone, Debug, Default)]
pub struct Incident {
    users: Vec<(UserKey, UserStats)>,
    /// Slot of each user, by name and by hidden user's client IP: two maps
    /// keyed by `String` so that an event's `&str` finds its user without
    /// allocating (this runs for every event).
    named: HashMap<String, usize>,
    hidden: HashMap<String, usize>,
    sprays: HashMap<String, usize>,
    /// Password spray and many-address attack detection.
    spray: Spray<Cause>,
    /// Per spray slot, the named users tried from it.
    spray_names: HashMap<usize, std::collections::BTreeSet<usize>>,
    servers: Vec<AaaServer>,
    totals: Totals,
    first_failure: Option<Timestamp>,
    latest: Option<Timestamp>,
    /// "Now" as the caller's clock says (see [`clock_now`]); `None` reads
    /// "now" as the latest log time.
    clock: Option<Timestamp>,
    /// The last AAA rejection per client IP, for pairing its follow-up line.
    open_attempts: HashMap<String, OpenAttempt>,
    /// The last AAA challenge per user.
    challenges: HashMap<usize, Option<Timestamp>>,
    groups: Vec<AaaGroup>,
    management: Management,
    /// Incident-wide per-minute counts for the scope verdict.
    logins: MinuteRing,
    attempts: MinuteRing,
    capacity: MinuteRing,
    unreachable: MinuteRing,
    last_capacity_reason: Option<String>,
    /// Client IP → users seen with it, for joining lines that name no user.
    ip_users: HashMap<String, Vec<usize>>,
    /// Client log host (laptop) → the user it last named.
    host_users: HashMap<String, usize>,
    /// Headend attempts and auth-server verdicts waiting to meet.
    join: Joiner,
    /// Lines whose cause changed after they were applied, until taken.
    cause_updates: VecDeque<CauseUpdate>,
    /// A headend line has been recognised: until then the scope verdict is
    /// `unknown` (see [`Incident::scope`]).
    headend_seen: bool,
    /// Debug-trace session (host, session) → the user it is for (see
    /// `parse::debug_trace`); bounded by [`TRACE_SESSIONS_CAP`].
    trace_users: HashMap<(String, String), String>,
    /// A headend log is being read: client lines describe the same attempts
    /// and are evidence, not attempts (see [`Incident::set_headend_present`]).
    client_lines_are_evidence: bool,
    /// Which client failure lines open a client attempt.
    client_attempts: super::client_attempts::ClientAttempts,
    /// Whether auth-server verdicts ever meet headend attempts.
    join_watch: super::skew::JoinWatch,
    /// The orders of [`Incident::users_sorted`], one per [`UserSort`], each
    /// sorted at most once per change: the dashboard asks for it several
    /// times a frame (header, users pane), and re-sorting 10 000 users each
    /// time cost more than the whole 2 ms frame budget. Cleared by every
    /// event (`apply_inner`).
    by_failures: [std::sync::OnceLock<UsersOrder>; UserSort::ALL.len()],
    /// The last computed orders, kept across changes: the users whose sort
    /// key did not change keep their relative order, so only the few that
    /// changed are sorted and merged in (no comparison of 10 000 names).
    by_failures_hint: [UsersOrder; UserSort::ALL.len()],
    /// [`Incident::failing_now`] and [`Incident::scope`], likewise computed
    /// at most once per change (they also move with the log clock, so
    /// [`Incident::count_events`] clears them too).
    failing: std::sync::OnceLock<usize>,
    scope: std::sync::OnceLock<super::scope::Scope>,
    cause_tally: std::sync::OnceLock<super::suggest::CauseTally>,
}

/// Incident-wide counts over the recent windows, for the scope verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recent {
    pub logins: u32,
    pub attempts: u32,
    pub capacity: u32,
    pub unreachable: u32,
}

/// How the Users pane orders users with failures (`o` cycles through them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UserSort {
    /// For the bridge: failing now first, then most failures in the last
    /// [`RECENT_SORT_MINUTES`] minutes, then most failures in all.
    #[default]
    Recent,
    /// Most failures in all.
    Total,
    /// By name.
    Name,
    /// Most recently seen first.
    LastSeen,
}

/// The window of [`UserSort::Recent`]'s second key, in minutes.
pub const RECENT_SORT_MINUTES: u32 = 15;

impl UserSort {
    pub const ALL: [UserSort; 4] = [
        UserSort::Recent,
        UserSort::Total,
        UserSort::Name,
        UserSort::LastSeen,
    ];

    /// The next order (`o`).
    pub fn next(self) -> Self {
        let i = Self::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// As the Users pane title names it.
    pub fn label(self) -> &'static str {
        match self {
            UserSort::Recent => "recent",
            UserSort::Total => "total",
            UserSort::Name => "name",
            UserSort::LastSeen => "last seen",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }

    /// The user's sort key under this order: larger keys come first, equal
    /// keys by name.
    fn key(self, s: &UserStats, now: Option<Timestamp>) -> SortKey {
        match self {
            UserSort::Recent => (
                u8::from(s.failing_now(now)),
                s.failures_in(now, RECENT_SORT_MINUTES),
                s.failures,
                s.last_failure,
            ),
            UserSort::Total => (0, 0, s.failures, s.last_failure),
            // Whether the user is listed at all is part of every key, so a
            // user who starts failing counts as moved.
            UserSort::Name => (0, 0, u32::from(s.failures > 0), None),
            UserSort::LastSeen => (0, 0, u32::from(s.failures > 0), s.last_seen),
        }
    }
}

/// (failing now, recent failures, failures, a time), compared descending.
type SortKey = (u8, u32, u32, Option<Timestamp>);

/// Users with failures in one of the users pane's orders, and every user's
/// sort key when it was computed (to tell which users moved since).
#[derive(Clone, Debug, Default)]
struct UsersOrder {
    order: Vec<usize>,
    keys: Vec<SortKey>,
}

/// A view of the users with failures in the users pane's order
/// ([`Incident::users_by_failures`]): a borrowed index, so asking for the
/// count or one row does not copy 10 000 references.
#[derive(Clone, Copy, Debug)]
pub struct ByFailures<'a> {
    order: &'a [usize],
    users: &'a [(UserKey, UserStats)],
}

impl<'a> ByFailures<'a> {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The `i`-th user in this order.
    pub fn get(&self, i: usize) -> Option<(&'a UserKey, &'a UserStats)> {
        let (k, s) = self.users.get(*self.order.get(i)?)?;
        Some((k, s))
    }

    pub fn iter(&self) -> ByFailuresIter<'a> {
        ByFailuresIter {
            order: self.order.iter(),
            users: self.users,
        }
    }
}

impl<'a> IntoIterator for ByFailures<'a> {
    type Item = (&'a UserKey, &'a UserStats);
    type IntoIter = ByFailuresIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over [`ByFailures`].
#[derive(Clone, Debug)]
pub struct ByFailuresIter<'a> {
    order: std::slice::Iter<'a, usize>,
    users: &'a [(UserKey, UserStats)],
}

impl<'a> Iterator for ByFailuresIter<'a> {
    type Item = (&'a UserKey, &'a UserStats);

    fn next(&mut self) -> Option<Self::Item> {
        // Indices come from `users` itself, so they are in range.
        self.order
            .by_ref()
            .find_map(|&i| self.users.get(i).map(|(k, s)| (k, s)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.order.len()))
    }
}

impl Incident {
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Log time of the first failed attempt: when the incident was detected.
    pub fn first_failure(&self) -> Option<Timestamp> {
        self.first_failure
    }

    /// The latest log time seen.
    pub fn latest(&self) -> Option<Timestamp> {
        self.latest
    }

    /// "Now" for everything measured against the clock: failing now, the
    /// 1/5/15-minute windows, user states, the scope verdict and the users'
    /// order. The clock the caller set ([`Incident::set_clock`]), never
    /// before the latest log line; else the latest log time (headless
    /// commands, which read logs of the past).
    pub fn now(&self) -> Option<Timestamp> {
        match (self.clock, self.latest) {
            (Some(c), Some(l)) => Some(c.max(l)),
            (c, l) => c.or(l),
        }
    }

    /// Sets the clock [`Incident::now`] reads, from [`clock_now`]. The
    /// derived values are recomputed only when it moves by a whole second.
    pub fn set_clock(&mut self, now: Option<Timestamp>) {
        let second = |t: Option<Timestamp>| t.map(|t| t.as_second());
        if second(now) != second(self.clock) {
            self.clock = now;
            self.changed();
        }
    }

    pub fn servers(&self) -> &[AaaServer] {
        &self.servers
    }

    /// Every AAA server group seen, in order of first appearance.
    pub fn groups(&self) -> &[AaaGroup] {
        &self.groups
    }

    pub fn management(&self) -> &Management {
        &self.management
    }

    /// Incident-wide counts in the last `minutes` minutes of log time:
    /// successful logins, failed attempts, capacity failure lines and AAA
    /// unreachable reports (113014, 409023).
    pub fn recent(&self, minutes: u32) -> Recent {
        let now = self.now();
        Recent {
            logins: self.logins.last(now, minutes),
            attempts: self.attempts.last(now, minutes),
            capacity: self.capacity.last(now, minutes),
            unreachable: self.unreachable.last(now, minutes),
        }
    }

    /// The reason text of the last capacity failure, for the evidence line.
    pub fn last_capacity_reason(&self) -> Option<&str> {
        self.last_capacity_reason.as_deref()
    }

    pub fn user(&self, key: &UserKey) -> Option<&UserStats> {
        self.find(key).map(|i| &self.users[i].1)
    }

    pub fn users(&self) -> impl Iterator<Item = (&UserKey, &UserStats)> {
        self.users.iter().map(|(k, s)| (k, s))
    }

    /// Users with at least one failure in the users pane's default order
    /// ([`UserSort::Recent`]).
    pub fn users_by_failures(&self) -> ByFailures<'_> {
        self.users_sorted(UserSort::Recent)
    }

    /// Users with at least one failure in the order `sort`; equal keys by
    /// name.
    pub fn users_sorted(&self, sort: UserSort) -> ByFailures<'_> {
        let slot = sort.slot();
        let order = &self.by_failures[slot]
            .get_or_init(|| self.order_users(sort, &self.by_failures_hint[slot]))
            .order;
        ByFailures {
            order,
            users: &self.users,
        }
    }

    /// [`Incident::users_sorted`]'s order, from the previous one.
    fn order_users(&self, sort: UserSort, prev: &UsersOrder) -> UsersOrder {
        let users = &self.users;
        let now = self.now();
        let keys: Vec<SortKey> = users.iter().map(|(_, s)| sort.key(s, now)).collect();
        let cmp =
            |&ia: &usize, &ib: &usize| keys[ib].cmp(&keys[ia]).then(users[ia].0.cmp(&users[ib].0));
        // Users whose key is as it was keep their order among themselves
        // (the name breaks ties, so the order is total).
        let moved: Vec<bool> = keys
            .iter()
            .enumerate()
            .map(|(i, key)| prev.keys.get(i) != Some(key))
            .collect();
        let kept: Vec<usize> = prev
            .order
            .iter()
            .copied()
            .filter(|&i| moved.get(i) == Some(&false))
            .collect();
        let mut changed: Vec<usize> = (0..users.len())
            .filter(|&i| moved[i] && users[i].1.failures > 0)
            .collect();
        changed.sort_by(cmp);
        let mut order = Vec::with_capacity(kept.len() + changed.len());
        let mut rest = kept.as_slice();
        for c in changed {
            let at = rest.partition_point(|k| cmp(k, &c) == std::cmp::Ordering::Less);
            order.extend_from_slice(&rest[..at]);
            order.push(c);
            rest = &rest[at..];
        }
        order.extend_from_slice(rest);
        UsersOrder { order, keys }
    }

    /// Users currently failing (see [`UserStats::failing_now`]); a spray
    /// source is not a user.
    pub fn failing_now(&self) -> usize {
        *self.failing.get_or_init(|| {
            self.users
                .iter()
                .filter(|(k, s)| !matches!(k, UserKey::Spray(_)) && s.failing_now(self.now()))
                .count()
        })
    }

    /// The scope verdict for the incident as it stands ([`super::scope::assess`]).
    /// The scope verdict; `unknown` until a headend line was recognised:
    /// without the headend's view, no failures means "cannot see", never
    /// "none".
    pub fn scope(&self) -> &super::scope::Scope {
        self.scope.get_or_init(|| {
            if self.headend_seen {
                super::scope::assess(self)
            } else {
                super::scope::Scope {
                    verdict: super::scope::Verdict::Unknown,
                    evidence: "no headend log line recognised".to_string(),
                    cause: None,
                }
            }
        })
    }

    /// A headend line was recognised that was counted without being
    /// applied (see [`Incident::count_events`]).
    pub fn note_headend_seen(&mut self) {
        if !self.headend_seen {
            self.headend_seen = true;
            self.changed();
        }
    }

    /// Failures by cause for the suggested step ([`super::suggest::tally`]),
    /// computed at most once per change.
    pub fn cause_tally(&self) -> &super::suggest::CauseTally {
        self.cause_tally.get_or_init(|| super::suggest::tally(self))
    }

    /// Forgets every derived value: the incident changed.
    fn changed(&mut self) {
        for (cache, hint) in self.by_failures.iter_mut().zip(&mut self.by_failures_hint) {
            if let Some(order) = cache.take() {
                *hint = order;
            }
        }
        self.failing.take();
        self.scope.take();
        self.cause_tally.take();
    }

    /// Applies one parsed event.
    pub fn apply(&mut self, ev: &Event) -> Applied {
        self.apply_inner(ev, None)
    }

    /// Applies one parsed event whose line is retained at `line`, and files
    /// the reference under every user the line is about (see the module
    /// docs for the join).
    pub fn apply_line(&mut self, ev: &Event, line: LineRef) -> Applied {
        self.apply_inner(ev, Some(line))
    }

    /// Applies a line's event `repeats` times (a syslog "last message
    /// repeated N times" stands for that many lines), as one [`Applied`]:
    /// a new attempt or a follow-on if any application was, with the cause
    /// the last one gave.
    pub fn apply_repeated(&mut self, ev: &Event, line: LineRef, repeats: u32) -> Applied {
        let mut merged = Applied::default();
        for _ in 0..repeats {
            let a = self.apply_inner(ev, Some(line));
            merged.new_attempt |= a.new_attempt;
            merged.follow_on |= a.follow_on;
            merged.cause = a.cause;
        }
        merged
    }

    /// Whether applying `ev` (without a retained line) would do nothing but
    /// count it and advance the log clock: no user, server or server group,
    /// not a failure, session end or management login. Most headend traffic
    /// (302013, 106023 …) is like this, so the bulk reader (`app/bulk.rs`)
    /// does not ship such events to the engine; it reports them with
    /// [`Incident::count_events`]. Keep this in step with `apply_inner`: a
    /// test compares the bulk scan with applying every event.
    pub fn only_counts(ev: &Event) -> bool {
        ev.user.is_none()
            && ev.trace_session.is_none()
            && ev.server.is_none()
            && ev.server_group.is_none()
            && matches!(ev.outcome, Outcome::Info | Outcome::Success)
            && !ev.role.is_management()
    }

    /// The effect of applying `n` events for which [`Incident::only_counts`]
    /// holds, the latest of whose times is `latest`.
    pub fn count_events(&mut self, n: u64, latest: Option<Timestamp>) {
        self.totals.events += n;
        if let Some(t) = latest
            && self.latest.is_none_or(|l| t > l)
        {
            self.latest = Some(t);
            self.changed();
        }
    }

    /// The lines whose cause changed since the last call, oldest first.
    /// A caller that shows lines (a pane, `events`) restyles each.
    pub fn take_cause_updates(&mut self) -> Vec<CauseUpdate> {
        self.cause_updates.drain(..).collect()
    }

    /// Gives attempt `id` a new cause: recounted for its user, and every
    /// line of the attempt shown with it (a [`CauseUpdate`] each, and the
    /// user's line references for the drill-down).
    fn set_attempt_cause(&mut self, id: usize, cause: Cause) {
        let Some(a) = self.join.attempt_mut(id) else {
            return;
        };
        let old = a.cause;
        if old == cause {
            return;
        }
        a.cause = cause;
        let (user, ts, lines) = (a.user, a.ts, a.lines.clone());
        if let Some((_, stats)) = self.users.get_mut(user) {
            decrement(&mut stats.causes, old);
            *stats.causes.entry(cause).or_default() += 1;
            if ts.is_some() && ts >= stats.last_failure {
                stats.last_cause = Some(cause);
            }
        }
        for (family, index) in lines {
            self.recause_line(user, family, index, cause);
        }
    }

    /// Shows one line of `user`'s with `cause` from now on.
    fn recause_line(&mut self, user: usize, family: Family, index: u64, cause: Cause) {
        self.recause_filed(user, family, index, cause);
        if self.cause_updates.len() >= CAUSE_UPDATES_CAP {
            self.cause_updates.pop_front();
        }
        self.cause_updates.push_back(CauseUpdate {
            family,
            index,
            cause,
        });
    }

    /// Gives the reference to a line filed under `user` another cause
    /// (the caller shows the line itself; see [`CauseUpdate`]).
    fn recause_filed(&mut self, user: usize, family: Family, index: u64, cause: Cause) {
        if let Some((_, stats)) = self.users.get_mut(user) {
            for r in stats.lines.iter_mut().rev() {
                if r.family == family && r.index == index {
                    r.cause = Some(cause);
                }
            }
        }
    }

    fn apply_inner(&mut self, ev: &Event, line: Option<LineRef>) -> Applied {
        let follow_on = self.client_attempts.follow_on(ev, ev.ts.or(self.latest));
        let mut applied = self.apply_event(ev, line, follow_on);
        applied.follow_on = follow_on;
        applied
    }

    fn apply_event(&mut self, ev: &Event, line: Option<LineRef>, follow_on: bool) -> Applied {
        self.changed();
        self.headend_seen |= ev.family == Family::Headend;
        self.totals.events += 1;
        let ts = ev.ts.or(self.latest);
        if let Some(t) = ev.ts
            && self.latest.is_none_or(|l| t > l)
        {
            self.latest = Some(t);
        }
        if ev.family == Family::AuthServer
            || (ev.family == Family::Client && self.client_lines_are_evidence)
        {
            let (counted, cause) = self.apply_auth_server(ev, ts, line);
            return Applied {
                new_attempt: counted,
                cause,
                ..Applied::default()
            };
        }
        if let Some(session) = ev.trace_session {
            let cause = self.apply_trace(ev, session, ts, line);
            return Applied {
                cause,
                ..Applied::default()
            };
        }
        self.apply_server(ev, ts);
        self.count_recent(ev, ts);

        if ev.role.is_management() {
            self.apply_management(ev, ts);
            return Applied::default();
        }

        let mut user = self.user_index(ev);
        if ev.family == Family::Client
            && let Some(host) = ev.host
        {
            // A user's own bundle: its lines rarely name the user; they
            // belong to the user that laptop last named, as beside a
            // headend log (`apply_auth_server`).
            match user {
                Some(u) => self.remember_host(host, u),
                None => user = self.host_users.get(host).copied(),
            }
        }
        if let Some(user) = user
            && let Some(ip) = ev.client_ip
        {
            self.link_ip(user, ip);
        }
        let failure_cause =
            (ev.outcome == Outcome::Failure).then(|| self.effective_cause(ev, user, ts));
        let line = line.map(|line| LineRef {
            cause: failure_cause,
            ..line
        });
        if let Some(line) = line {
            self.file_line(ev, user, line);
        }
        let given = Applied {
            new_attempt: false,
            cause: failure_cause,
            ..Applied::default()
        };

        if ev.role == Role::AaaChallenge {
            // An AAA challenge is a prompt, not a failure; remember it so the
            // rejection that follows is read as a token problem.
            if let Some(user) = user {
                self.challenges.insert(user, ts);
            }
            return given;
        }
        if ev.role == Role::GroupFallback {
            // The server group is unreachable and the headend falls back
            // (usually to LOCAL); the fallback's own 113012/113015 decides
            // the attempt. Counted for the group and the scope, not the user.
            if let Some(user) = user {
                let stats = &mut self.users[user].1;
                stats.last_seen = ts.or(stats.last_seen);
            }
            return given;
        }

        match ev.outcome {
            // A follow-on line of a client attempt nobody is named for: the
            // line that opened the attempt counted it.
            Outcome::Failure if follow_on && user.is_none() => Applied::default(),
            Outcome::Failure => self.apply_failure(ev, user, ts, line),
            Outcome::Success => {
                if let Some(user) = user {
                    self.apply_success(ev, user, ts);
                }
                Applied::default()
            }
            Outcome::SessionEnd => {
                self.totals.session_ends += 1;
                if let Some(user) = user {
                    let stats = &mut self.users[user].1;
                    stats.last_seen = ts.or(stats.last_seen);
                    if !within(stats.last_session_down, ts, SUCCESS_WINDOW)
                        || stats.last_session_down.is_none()
                    {
                        stats.sessions_down += 1;
                    }
                    stats.last_session_down = ts.or(stats.last_session_down);
                }
                Applied::default()
            }
            Outcome::Info => {
                if let Some(user) = user {
                    let stats = &mut self.users[user].1;
                    stats.see_ip(ev.client_ip);
                }
                Applied::default()
            }
        }
    }

    /// Auth-server failures and headend attempts have both been seen for 10
    /// minutes of log time and not one joined: a clock skew or a zone-less
    /// headend log read in the wrong zone (see [`super::skew`]).
    pub fn join_skew_suspected(&self) -> bool {
        self.join_watch.suspect(self.latest)
    }

    /// Tells the incident whether a headend log is among its sources. With
    /// one, a client's failure lines are evidence about attempts the headend
    /// counts (joined like an auth server's, so a client certificate or
    /// network error still names the cause). Without one (a user's own
    /// bundle), they are the only record of the attempts and are counted:
    /// the two or three lines one failed attempt leaves within
    /// [`ATTEMPT_WINDOW`] count once.
    pub fn set_headend_present(&mut self, present: bool) {
        self.client_lines_are_evidence = present;
    }

    /// An incident read from sources of these families.
    pub fn for_sources(families: impl IntoIterator<Item = Family>) -> Self {
        let mut incident = Incident::default();
        incident.set_headend_present(families.into_iter().any(|f| f == Family::Headend));
        incident
    }

    /// An auth-server line (or, beside a headend log, a client line):
    /// evidence about a login the headend also reports, so filed and
    /// remembered but not counted.
    /// Returns whether the line counted as an attempt (a client failure
    /// only the laptop saw).
    fn apply_auth_server(
        &mut self,
        ev: &Event,
        ts: Option<Timestamp>,
        line: Option<LineRef>,
    ) -> (bool, Option<Cause>) {
        let named = self.user_index(ev);
        if let (Family::Client, Some(user), Some(host)) = (ev.family, named, ev.host) {
            self.remember_host(host, user);
        }
        // A laptop's lines rarely name the user; they belong to the user
        // that laptop last named (`PasswordEntry username is …`).
        let user = named.or_else(|| match (ev.family, ev.host) {
            (Family::Client, Some(host)) => self.host_users.get(host).copied(),
            _ => None,
        });
        if let Some(user) = user {
            if let Some(ip) = ev.client_ip {
                self.link_ip(user, ip);
            }
            let stats = &mut self.users[user].1;
            stats.last_seen = ts.or(stats.last_seen);
            if ev.outcome == Outcome::Failure
                && ev.family == Family::AuthServer
                && let Some(reason) = ev.reason
            {
                stats.auth_reason = Some(reason.to_string());
            }
        }
        if ev.outcome == Outcome::Failure {
            let name = match user.map(|u| &self.users[u].0) {
                Some(UserKey::Named(n)) => Some(n.clone()),
                _ => None,
            };
            let cause = ev.cause.unwrap_or(Cause::Other);
            let verdict = Verdict {
                ts,
                user: name,
                ip: ev.client_ip.map(str::to_string),
                cause,
                // Kept while the verdict waits for its attempt: the line is
                // shown by then and takes the attempt's cause when it joins.
                line: line.map(|l| (l.family, l.index)),
            };
            if ev.family == Family::AuthServer {
                self.join_watch.verdict(ts);
            }
            let joined = self.join.add_verdict(verdict.clone());
            if let Some(id) = joined {
                // Joined as it is applied: the line is shown with the
                // attempt's cause from the start, no update needed.
                self.apply_join(
                    id,
                    &Verdict {
                        line: None,
                        ..verdict
                    },
                );
                let shown = self.join.attempt(id).map_or(cause, |a| a.cause);
                if let Some(l) = line
                    && let Some(a) = self.join.attempt_mut(id)
                {
                    a.lines.push((l.family, l.index));
                }
                if let Some(mut line) = line {
                    line.cause = Some(shown);
                    self.file_line(ev, user, line);
                }
                return (false, Some(shown));
            } else if ev.family == Family::Client
                && matches!(cause, Cause::Certificate | Cause::ClientNetwork)
                && user.is_some()
            {
                // A certificate or network failure on the laptop ends the
                // attempt before the headend authenticates anyone: the client
                // log is its only record, so it counts.
                return (self.count_client_attempt(ev, user, ts, line), ev.cause);
            }
        }
        if let Some(mut line) = line {
            line.cause = ev.cause;
            self.file_line(ev, user, line);
        }
        (false, ev.cause)
    }

    /// A headend debug-trace line: what the directory answered. It is
    /// evidence about an attempt the headend counts itself (113005 …), so
    /// it is joined and filed like an auth-server verdict, under the user
    /// its session is for when the line does not name one.
    fn apply_trace(
        &mut self,
        ev: &Event,
        session: &str,
        ts: Option<Timestamp>,
        line: Option<LineRef>,
    ) -> Option<Cause> {
        let key = (ev.host.unwrap_or("").to_string(), session.to_string());
        let name = match ev.user {
            Some(u) => {
                if self.trace_users.len() >= TRACE_SESSIONS_CAP {
                    self.trace_users.clear();
                }
                self.trace_users.insert(key, u.to_string());
                None
            }
            None => self.trace_users.get(&key).cloned(),
        };
        let mut named = ev.clone();
        if let Some(n) = name.as_deref() {
            named.user = Some(n);
        }
        // The directory's answer, relayed by the headend: a verdict like an
        // auth server's (its reason becomes the user's auth-server reason).
        named.family = Family::AuthServer;
        let (_, cause) = self.apply_auth_server(&named, ts, line);
        // AD's code in words, for the drill-down's auth-server reason.
        if ev.outcome == Outcome::Failure
            && let Some(code) = ev.reason.and_then(crate::parse::debug_trace::ad_data_code)
            && let Some(&u) = named.user.and_then(|n| self.named.get(n))
            && let Some((_, stats)) = self.users.get_mut(u)
        {
            stats.auth_reason = Some(format!(
                "Active Directory: data {code}, {}",
                crate::parse::debug_trace::ad_data_meaning(code)
            ));
        }
        cause
    }

    /// Counts a client-only failed attempt for `user` and files its line.
    fn count_client_attempt(
        &mut self,
        ev: &Event,
        user: Option<usize>,
        ts: Option<Timestamp>,
        line: Option<LineRef>,
    ) -> bool {
        if let Some(mut line) = line {
            line.cause = ev.cause;
            self.file_line(ev, user, line);
        }
        self.apply_failure(ev, user, ts, None).new_attempt
    }

    /// Incident-wide per-minute counts that do not depend on the user.
    fn count_recent(&mut self, ev: &Event, ts: Option<Timestamp>) {
        if ev.outcome != Outcome::Failure {
            return;
        }
        match ev.cause {
            Some(Cause::Capacity) => {
                self.capacity.add(ts, 1);
                if let Some(reason) = ev.reason {
                    self.last_capacity_reason = Some(reason.to_string());
                }
            }
            Some(Cause::AaaUnreachable) if ev.server_state.is_none() => {
                self.unreachable.add(ts, 1);
            }
            _ => {}
        }
    }

    fn apply_management(&mut self, ev: &Event, ts: Option<Timestamp>) {
        let Role::ManagementLogin { denied: failed } = ev.role else {
            return;
        };
        let m = &mut self.management;
        let entry = m
            .users
            .entry(ev.user.unwrap_or("").to_string())
            .or_default();
        if failed {
            m.failures += 1;
            entry.0 += 1;
            m.last_failure = ts.or(m.last_failure);
        } else {
            m.successes += 1;
            entry.1 += 1;
        }
    }

    /// The user a laptop last named (allocating only for a new laptop).
    fn remember_host(&mut self, host: &str, user: usize) {
        match self.host_users.get_mut(host) {
            Some(last) => *last = user,
            None => {
                self.host_users.insert(host.to_string(), user);
            }
        }
    }

    fn link_ip(&mut self, user: usize, ip: &str) {
        let users = match self.ip_users.get_mut(ip) {
            Some(users) => users,
            None => self.ip_users.entry(ip.to_string()).or_default(),
        };
        if !users.contains(&user) && users.len() < USERS_PER_IP_CAP {
            users.push(user);
        }
    }

    /// Files a line reference under the users the line is about: the user it
    /// names; else every user seen with its client IP; else, on a client log,
    /// the user that laptop last named.
    fn file_line(&mut self, ev: &Event, user: Option<usize>, line: LineRef) {
        if let Some(user) = user {
            if ev.family == Family::Client
                && let Some(host) = ev.host
            {
                self.remember_host(host, user);
            }
            if let Some(stats) = self.users.get_mut(user) {
                stats.1.push_line(line);
            }
            return;
        }
        let linked: Vec<usize> = match (ev.family, ev.client_ip, ev.host) {
            (_, Some(ip), _) => self.ip_users.get(ip).cloned().unwrap_or_default(),
            (Family::Client, _, Some(host)) => {
                self.host_users.get(host).copied().into_iter().collect()
            }
            _ => Vec::new(),
        };
        for u in linked {
            if let Some(stats) = self.users.get_mut(u) {
                stats.1.push_line(line);
            }
        }
    }

    fn see_group(&mut self, name: &str, unreachable: bool, ts: Option<Timestamp>) {
        let group = match self.groups.iter().position(|g| g.name == name) {
            Some(i) => &mut self.groups[i],
            None => {
                self.groups.push(AaaGroup {
                    name: name.to_string(),
                    unreachable: 0,
                    last_unreachable: None,
                });
                let last = self.groups.len() - 1;
                &mut self.groups[last]
            }
        };
        if unreachable {
            group.unreachable += 1;
            group.last_unreachable = ts.or(group.last_unreachable);
        }
    }

    fn apply_server(&mut self, ev: &Event, ts: Option<Timestamp>) {
        let address = ev.server;
        let unreachable = ev.cause == Some(Cause::AaaUnreachable) && ev.server_state.is_none();
        if let Some(group) = ev.server_group {
            self.see_group(group, unreachable && address.is_none(), ts);
        }
        let Some(address) = address else { return };
        // 0.0.0.0 is what the ASA logs when no server was involved
        // (authorization against the local policy).
        if address.is_empty() || address == "0.0.0.0" {
            return;
        }
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

    fn apply_failure(
        &mut self,
        ev: &Event,
        user: Option<usize>,
        ts: Option<Timestamp>,
        line: Option<LineRef>,
    ) -> Applied {
        let Some(user) = user else {
            self.totals.unattributed_failures += 1;
            return Applied {
                new_attempt: false,
                cause: Some(self.effective_cause(ev, None, ts)),
                ..Applied::default()
            };
        };
        let hidden = matches!(self.users[user].0, UserKey::Hidden(_));
        let cause = self.effective_cause(ev, Some(user), ts);
        if let Some(applied) = self.fold_lockout(ev, user, ts, line) {
            return applied;
        }
        if ev.family == Family::Client
            && self.users[user].1.last_failure.is_some()
            && within(self.users[user].1.last_failure, ts, ATTEMPT_WINDOW)
        {
            // "Login failed", the return code and "Connection attempt has
            // failed" of one attempt: counted once, the most specific cause kept.
            let stats = &mut self.users[user].1;
            let mut shown = cause;
            if let Some(last) = stats.last_cause {
                let better = join::more_specific(last, cause);
                if better != last {
                    decrement(&mut stats.causes, last);
                    *stats.causes.entry(better).or_default() += 1;
                    stats.last_cause = Some(better);
                }
                shown = better;
            }
            stats.last_seen = ts.or(stats.last_seen);
            return Applied {
                new_attempt: false,
                cause: Some(shown),
                ..Applied::default()
            };
        }

        // A WebVPN rejection right after an AAA rejection from the same
        // client is the second line of the same attempt.
        if ev.role == Role::WebvpnRejection
            && let Some(ip) = ev.client_ip
            && let Some(open) = self.open_attempts.get(ip).cloned()
            && within(open.ts, ts, ATTEMPT_WINDOW)
            && (open.user == user || open.hidden)
        {
            if open.user != user {
                // The first line hid the name; this one names the user, so
                // the attempt moves to them.
                let moved_cause = self.retract_failure(open.user, open.ts);
                self.open_attempts.remove(ip);
                let moved_cause = moved_cause.unwrap_or(cause);
                let counted = self.spray_check(ev, user, moved_cause, ts);
                self.record_failure(counted, moved_cause, ev, ts);
                if let UserKey::Named(name) = &self.users[user].0 {
                    let name = name.clone();
                    self.join.rename(open.attempt, user, &name);
                }
                if let Some(first) = open.line {
                    self.users[user].1.push_line(first);
                }
            } else {
                self.open_attempts.remove(ip);
                let stats = &mut self.users[user].1;
                stats.see_ip(ev.client_ip);
                stats.last_seen = ts.or(stats.last_seen);
            }
            // One cause per attempt: a more specific follow-up line gives
            // the attempt (and its earlier lines) its cause, and a generic
            // one is shown with the attempt's.
            let before = self.join.attempt(open.attempt).map(|a| a.cause);
            if let Some(before) = before {
                self.set_attempt_cause(open.attempt, join::more_specific(before, cause));
            }
            let shown = self.join.attempt(open.attempt).map_or(cause, |a| a.cause);
            if let Some(l) = line {
                if let Some(a) = self.join.attempt_mut(open.attempt) {
                    a.lines.push((l.family, l.index));
                }
                if l.cause != Some(shown) {
                    // Filed above with the line's own cause.
                    let owner = self.join.attempt(open.attempt).map_or(user, |a| a.user);
                    self.recause_filed(owner, l.family, l.index, shown);
                }
            }
            return Applied {
                new_attempt: false,
                cause: Some(shown),
                ..Applied::default()
            };
        }

        // The user the attempt is about; it is counted under a spray
        // source instead when its address is one.
        let named_user = user;
        let user = self.spray_check(ev, user, cause, ts);
        self.record_failure(user, cause, ev, ts);
        let name = match &self.users[named_user].0 {
            UserKey::Named(n) => Some(n.clone()),
            UserKey::Hidden(_) | UserKey::Spray(_) => None,
        };
        if ev.family == Family::Headend {
            self.join_watch.attempt(ts);
        }
        let mut new = Attempt::new(ts, user, ev.client_ip, name.as_deref(), cause);
        if let Some(l) = line {
            new.lines.push((l.family, l.index));
        }
        let (attempt, verdict) = self.join.add_attempt(new);
        let stats = &mut self.users[user].1;
        stats.last_attempt = Some(attempt);
        stats.lone_lockout = (ev.role == Role::LockoutNotice).then_some(ts).flatten();
        if ev.role == Role::AaaRejection
            && let Some(ip) = ev.client_ip
        {
            self.open_attempts.insert(
                ip.to_string(),
                OpenAttempt {
                    ts,
                    // Its WebVPN line names the user tried, also in a spray.
                    user: named_user,
                    hidden,
                    line,
                    attempt,
                },
            );
        }
        if let Some(verdict) = verdict {
            self.apply_join(attempt, &verdict);
        }
        Applied {
            new_attempt: true,
            cause: Some(self.join.attempt(attempt).map_or(cause, |a| a.cause)),
            follow_on: false,
        }
    }

    /// A lockout notice (113006) within [`ATTEMPT_WINDOW`] after a failure
    /// of the same user is part of that attempt: the attempt's cause becomes
    /// `account_locked` and nothing more is counted. Likewise a rejection
    /// logged just after a lockout notice that was counted alone (the two in
    /// the same second, notice first) is that attempt. `None`: not a
    /// follow-on line, count it as usual.
    fn fold_lockout(
        &mut self,
        ev: &Event,
        user: usize,
        ts: Option<Timestamp>,
        line: Option<LineRef>,
    ) -> Option<Applied> {
        let stats = &self.users[user].1;
        let after_failure = stats.last_failure.is_some()
            && within(stats.last_failure, ts, ATTEMPT_WINDOW)
            && stats
                .last_success
                .is_none_or(|s| stats.last_failure > Some(s));
        let joins = match ev.role {
            Role::LockoutNotice => after_failure,
            Role::AaaRejection => {
                stats.lone_lockout.is_some() && within(stats.lone_lockout, ts, ATTEMPT_WINDOW)
            }
            _ => false,
        };
        if !joins {
            return None;
        }
        let attempt = stats.last_attempt;
        let cause = if ev.role == Role::LockoutNotice {
            Cause::AccountLocked
        } else {
            self.effective_cause(ev, Some(user), ts)
        };
        let shown = self.set_last_attempt_cause(user, cause, line);
        let stats = &mut self.users[user].1;
        stats.last_seen = ts.or(stats.last_seen);
        if ev.role == Role::AaaRejection {
            stats.lone_lockout = None;
            stats.see_ip(ev.client_ip);
            if let Some(reason) = ev.reason {
                stats.last_reason = Some(reason.to_string());
            }
            // Its WebVPN line (716039) is the same attempt too.
            if let (Some(ip), Some(attempt)) = (ev.client_ip, attempt) {
                self.open_attempts.insert(
                    ip.to_string(),
                    OpenAttempt {
                        ts,
                        user,
                        hidden: false,
                        line: None,
                        attempt,
                    },
                );
            }
        }
        Some(Applied {
            new_attempt: false,
            cause: Some(shown),
            ..Applied::default()
        })
    }

    /// A follow-on line of the user's latest attempt said `cause` about it:
    /// the attempt keeps the more specific cause, in the user's tally, in
    /// the join and on every line of the attempt, this one (`line`, filed
    /// already) included. Returns the attempt's cause now.
    fn set_last_attempt_cause(
        &mut self,
        user: usize,
        cause: Cause,
        line: Option<LineRef>,
    ) -> Cause {
        let stats = &mut self.users[user].1;
        let Some(id) = stats
            .last_attempt
            .filter(|&id| self.join.attempt(id).is_some())
        else {
            // No joinable attempt behind it (a laptop-only attempt): the
            // user's tally alone changes.
            let better = stats
                .last_cause
                .map_or(cause, |last| join::more_specific(last, cause));
            if let Some(last) = stats.last_cause
                && last != better
            {
                decrement(&mut stats.causes, last);
                *stats.causes.entry(better).or_default() += 1;
            }
            stats.last_cause = Some(better);
            if let Some(l) = line {
                self.recause_filed(user, l.family, l.index, better);
            }
            return better;
        };
        let before = self.join.attempt(id).map_or(cause, |a| a.cause);
        self.set_attempt_cause(id, join::more_specific(before, cause));
        let shown = self.join.attempt(id).map_or(cause, |a| a.cause);
        if let Some(l) = line {
            if let Some(a) = self.join.attempt_mut(id) {
                a.lines.push((l.family, l.index));
            }
            let owner = self.join.attempt(id).map_or(user, |a| a.user);
            self.recause_filed(owner, l.family, l.index, shown);
        }
        shown
    }

    /// Feeds a new failed attempt of `user` to the spray detector; returns
    /// the slot to count it for: the user, or the `(spray) <ip>` slot when
    /// the attempt's address is a spray source (moving the attempts that
    /// made it one there too).
    fn spray_check(
        &mut self,
        ev: &Event,
        user: usize,
        cause: Cause,
        ts: Option<Timestamp>,
    ) -> usize {
        let (Family::Headend, Some(ip), UserKey::Named(_)) =
            (ev.family, ev.client_ip, &self.users[user].0)
        else {
            return user;
        };
        let seen = self.spray.failed(ip, Tried { ts, user, cause });
        let slot = match seen {
            Seen::Ordinary => return user,
            Seen::Spray => self.slot(UserKey::Spray(ip.to_string())),
            Seen::BecameSpray(earlier) => {
                let slot = self.slot(UserKey::Spray(ip.to_string()));
                for t in earlier {
                    self.uncount_failure(t.user, t.cause, t.ts);
                    self.count_failure(slot, t.cause, t.ts);
                    self.spray_names.entry(slot).or_default().insert(t.user);
                }
                slot
            }
        };
        self.spray_names.entry(slot).or_default().insert(user);
        self.users[slot].1.see_ip(Some(ip));
        slot
    }

    /// Spray sources with a failed attempt in the last `minutes` (of
    /// [`Incident::now`]), and the distinct user names tried from them.
    pub fn spray_sources(&self, minutes: u32) -> (usize, usize) {
        let now = self.now();
        let mut names = std::collections::BTreeSet::new();
        let mut sources = 0;
        for (&slot, tried) in &self.spray_names {
            if self.users[slot].1.failures_in(now, minutes) > 0 {
                sources += 1;
                names.extend(tried.iter().copied());
            }
        }
        (sources, names.len())
    }

    /// Whether a user is left out of the verdict and the cause tally: a
    /// spray source's slot, or a name under attack from many addresses.
    pub fn is_attack(&self, key: &UserKey) -> bool {
        match key {
            UserKey::Spray(_) => true,
            _ => self
                .find(key)
                .is_some_and(|i| self.spray.attacked(i, self.now())),
        }
    }

    /// Names under attack from many addresses: (name, addresses in the
    /// spray window).
    pub fn attacked_names(&self) -> Vec<(String, usize)> {
        self.spray
            .attacked_users(self.now())
            .into_iter()
            .filter_map(|(u, n)| Some((self.users.get(u)?.0.to_string(), n)))
            .collect()
    }

    /// Adds (or with `undo` takes back) one failed attempt of slot `user` to
    /// the incident-wide counts: spray attempts are counted apart.
    fn tally_attempt(&mut self, user: usize, ts: Option<Timestamp>, undo: bool) {
        let spray = matches!(self.users[user].0, UserKey::Spray(_));
        let total = if spray {
            &mut self.totals.spray_attempts
        } else {
            &mut self.totals.failures
        };
        if undo {
            *total = total.saturating_sub(1);
            if !spray {
                self.attempts.remove(ts, 1);
            }
        } else {
            *total += 1;
            if !spray {
                self.attempts.add(ts, 1);
            }
        }
    }

    /// The cause of a failure line: the parser's, except that a generic
    /// rejection soon after an AAA challenge to the same user is a token
    /// problem.
    fn effective_cause(&self, ev: &Event, user: Option<usize>, ts: Option<Timestamp>) -> Cause {
        let cause = ev.cause.unwrap_or(Cause::Other);
        if matches!(cause, Cause::BadCredentials | Cause::Other)
            && let Some(user) = user
            && let Some(challenged) = self.challenges.get(&user)
            && within(*challenged, ts, CHALLENGE_WINDOW)
        {
            return Cause::TokenRequired;
        }
        cause
    }

    fn record_failure(&mut self, user: usize, cause: Cause, ev: &Event, ts: Option<Timestamp>) {
        self.tally_attempt(user, ts, false);
        if let Some(t) = ts
            && self.first_failure.is_none_or(|f| t < f)
        {
            self.first_failure = Some(t);
        }
        let stats = &mut self.users[user].1;
        stats.failures += 1;
        stats.recent.add(ts, 1);
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

    /// Applies what the auth server said about attempt `id`: a hidden user
    /// gets the name the server logged, and the attempt takes the more
    /// specific cause.
    fn apply_join(&mut self, id: usize, verdict: &Verdict) {
        self.join_watch.joined();
        let Some(attempt) = self.join.attempt(id).cloned() else {
            return;
        };
        let mut user = attempt.user;
        if matches!(self.users.get(user), Some((UserKey::Hidden(_), _)))
            && let Some(name) = &verdict.user
        {
            let named = self.slot(UserKey::Named(name.clone()));
            self.uncount_failure(user, attempt.cause, attempt.ts);
            self.count_failure(named, attempt.cause, attempt.ts);
            if let Some(ip) = &attempt.ip {
                self.users[named].1.see_ip(Some(ip));
                self.link_ip(named, ip);
            }
            // The hidden user's lines are the named user's now.
            let lines: Vec<LineRef> = self.users[user].1.lines.iter().copied().collect();
            for line in lines {
                self.users[named].1.push_line(line);
            }
            self.join.rename(id, named, name);
            self.totals.hidden_resolved += 1;
            user = named;
        }
        debug_assert!(self.join.attempt(id).is_none_or(|a| a.user == user));
        self.set_attempt_cause(id, join::more_specific(attempt.cause, verdict.cause));
        // A verdict that waited for its attempt: its line was shown with its
        // own cause and now shows the attempt's.
        if let Some((family, index)) = verdict.line {
            let shown = self.join.attempt(id).map_or(verdict.cause, |a| a.cause);
            if let Some(a) = self.join.attempt_mut(id) {
                a.lines.push((family, index));
            }
            if shown != verdict.cause {
                self.recause_line(user, family, index, shown);
            }
        }
    }

    /// Counts one failed attempt for `user` without a line behind it (an
    /// attempt moved from a hidden user to the name the server gave).
    fn count_failure(&mut self, user: usize, cause: Cause, ts: Option<Timestamp>) {
        self.tally_attempt(user, ts, false);
        let stats = &mut self.users[user].1;
        stats.failures += 1;
        stats.recent.add(ts, 1);
        *stats.causes.entry(cause).or_default() += 1;
        if ts.is_some() && ts >= stats.last_failure {
            stats.last_cause = Some(cause);
        }
        if stats
            .first_failure
            .is_none_or(|f| ts.is_some_and(|t| t < f))
        {
            stats.first_failure = ts.or(stats.first_failure);
        }
        if ts > stats.last_failure {
            stats.last_failure = ts;
        }
        if ts > stats.last_seen {
            stats.last_seen = ts;
        }
    }

    /// Takes back one failed attempt of `user` with a known cause and time.
    fn uncount_failure(&mut self, user: usize, cause: Cause, ts: Option<Timestamp>) {
        self.tally_attempt(user, ts, true);
        let stats = &mut self.users[user].1;
        stats.failures = stats.failures.saturating_sub(1);
        stats.recent.remove(ts, 1);
        decrement(&mut stats.causes, cause);
    }

    /// Takes back the last failure of a user (a hidden user whose attempt
    /// turned out to be a named user's); returns its cause.
    fn retract_failure(&mut self, user: usize, ts: Option<Timestamp>) -> Option<Cause> {
        let stats = &mut self.users[user].1;
        let cause = stats.last_cause?;
        stats.failures = stats.failures.saturating_sub(1);
        stats.recent.remove(ts, 1);
        if let Some(n) = stats.causes.get_mut(&cause) {
            *n -= 1;
            if *n == 0 {
                stats.causes.remove(&cause);
            }
        }
        // The attempt is re-counted for the named user.
        self.tally_attempt(user, ts, true);
        Some(cause)
    }

    fn apply_success(&mut self, ev: &Event, user: usize, ts: Option<Timestamp>) {
        let stats = &mut self.users[user].1;
        stats.see_ip(ev.client_ip);
        let same_login =
            stats.last_success.is_some() && within(stats.last_success, ts, SUCCESS_WINDOW);
        if !same_login {
            stats.successes += 1;
            self.totals.successes += 1;
            self.logins.add(ts, 1);
        }
        if ev.role == Role::SessionUp {
            let same_session = stats.last_session_up.is_some()
                && within(stats.last_session_up, ts, SUCCESS_WINDOW);
            if !same_session {
                stats.sessions_up += 1;
            }
            stats.last_session_up = ts.or(stats.last_session_up);
        }
        stats.last_success = ts.or(stats.last_success);
        stats.last_seen = ts.or(stats.last_seen);
        self.challenges.remove(&user);
    }

    /// The statistics slot for the event's user, created on first sight.
    /// `None` when the event names no user (and no client for a hidden one).
    fn user_index(&mut self, ev: &Event) -> Option<usize> {
        match ev.user {
            Some(HIDDEN_USER) => {
                let ip = ev.client_ip?;
                match self.hidden.get(ip) {
                    Some(&i) => Some(i),
                    None => Some(self.slot(UserKey::Hidden(ip.to_string()))),
                }
            }
            Some(name) if !name.is_empty() => match self.named.get(name) {
                Some(&i) => Some(i),
                None => Some(self.slot(UserKey::Named(name.to_string()))),
            },
            _ => None,
        }
    }

    /// The slot of a user seen before.
    fn find(&self, key: &UserKey) -> Option<usize> {
        match key {
            UserKey::Named(name) => self.named.get(name),
            UserKey::Hidden(ip) => self.hidden.get(ip),
            UserKey::Spray(ip) => self.sprays.get(ip),
        }
        .copied()
    }

    /// The statistics slot for a user, created on first sight.
    fn slot(&mut self, key: UserKey) -> usize {
        if let Some(i) = self.find(&key) {
            return i;
        }
        let i = self.users.len();
        match &key {
            UserKey::Named(name) => self.named.insert(name.clone(), i),
            UserKey::Hidden(ip) => self.hidden.insert(ip.clone(), i),
            UserKey::Spray(ip) => self.sprays.insert(ip.clone(), i),
        };
        self.users.push((key, UserStats::default()));
        i
    }
}

/// The one definition of "now" for the console (incident age, KPI age,
/// failing now, the windows): the latest log time while the backlog is
/// being counted or when the logs are not live (a replay, old files: their
/// latest line is more than [`super::kpi::RECONCILE`] behind the wall clock,
/// or ahead of it); the wall clock once the logs are live.
pub fn clock_now(
    latest_log: Option<Timestamp>,
    wall: Timestamp,
    counting_backlog: bool,
) -> Option<Timestamp> {
    let latest = latest_log?;
    let behind = wall.duration_since(latest);
    let live = behind >= SignedDuration::ZERO && behind < super::kpi::RECONCILE;
    Some(if live && !counting_backlog {
        wall
    } else {
        latest
    })
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
    use crate::vocab::Family;

    fn at(secs: i64) -> Option<Timestamp> {
        Some(Timestamp::from_second(1_800_000_000 + secs).unwrap())
    }

    fn ev<'a>(secs: i64, id: &'a str, outcome: Outcome, user: &'a str, ip: &'a str) -> Event<'a> {
        let mut e = Event::new(Family::Headend, outcome);
        e.ts = at(secs);
        e.msg_id = Some(id);
        // As the parser says it.
        e.role = crate::parse::asa::role(id);
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

    fn lockout(secs: i64, user: &str) -> Event<'_> {
        let mut e = Event::new(Family::Headend, Outcome::Failure);
        e.ts = at(secs);
        e.msg_id = Some("113006");
        e.role = crate::parse::asa::role("113006");
        e.user = Some(user);
        e.cause = Some(Cause::AccountLocked);
        e
    }

    #[test]
    fn a_lockout_notice_joins_the_attempt_that_caused_it() {
        let mut inc = Incident::default();
        for i in 0..7 {
            inc.apply(&ev(i * 20, "113005", Outcome::Failure, "hank", "192.0.2.1"));
            inc.apply(&ev(i * 20, "716039", Outcome::Failure, "hank", "192.0.2.1"));
        }
        // Three notices: each within the window of a rejection.
        assert!(!inc.apply(&lockout(120, "hank")).new_attempt);
        assert!(!inc.apply(&lockout(121, "hank")).new_attempt);
        assert!(!inc.apply(&lockout(125, "hank")).new_attempt);
        let hank = inc.user(&named("hank")).cloned().unwrap_or_default();
        assert_eq!(hank.failures, 7, "7 rejections, not 10");
        assert_eq!(hank.causes.get(&Cause::AccountLocked), Some(&1));
        assert_eq!(hank.causes.get(&Cause::BadCredentials), Some(&6));
        assert_eq!(hank.last_cause, Some(Cause::AccountLocked));
        assert_eq!(hank.state(inc.latest()), UserState::Locked);
        assert_eq!(inc.totals().failures, 7);
        // Just past the window the notice is about no attempt: it counts.
        assert!(inc.apply(&lockout(126, "hank")).new_attempt);
        assert_eq!(inc.user(&named("hank")).map(|s| s.failures), Some(8));
    }

    #[test]
    fn a_lone_lockout_notice_counts_and_its_rejection_joins_it() {
        let mut inc = Incident::default();
        assert!(inc.apply(&lockout(0, "ivy")).new_attempt);
        assert_eq!(inc.user(&named("ivy")).map(|s| s.failures), Some(1));
        // The rejection logged in the same second, after the notice.
        let mut rej = ev(0, "113005", Outcome::Failure, "ivy", "192.0.2.2");
        rej.cause = Some(Cause::BadCredentials);
        assert!(!inc.apply(&rej).new_attempt);
        assert!(
            !inc.apply(&ev(1, "716039", Outcome::Failure, "ivy", "192.0.2.2"))
                .new_attempt
        );
        let ivy = inc.user(&named("ivy")).cloned().unwrap_or_default();
        assert_eq!(ivy.failures, 1);
        assert_eq!(ivy.last_cause, Some(Cause::AccountLocked));
        // A later lone notice, and another user's notice, count.
        assert!(inc.apply(&lockout(60, "ivy")).new_attempt);
        assert!(inc.apply(&lockout(60, "jo")).new_attempt);
        assert_eq!(inc.totals().failures, 3);
    }

    #[test]
    fn states_name_locked_and_unknown_accounts_until_a_success() {
        let mut inc = Incident::default();
        let mut locked = ev(0, "113005", Outcome::Failure, "kat", "192.0.2.3");
        locked.cause = Some(Cause::AccountDisabled);
        inc.apply(&locked);
        let mut unknown = ev(0, "113005", Outcome::Failure, "lou", "192.0.2.4");
        unknown.cause = Some(Cause::UnknownUser);
        inc.apply(&unknown);
        inc.apply(&ev(0, "113005", Outcome::Failure, "max", "192.0.2.5"));
        inc.apply(&ev(0, "113039", Outcome::Success, "ned", "192.0.2.6"));
        let state = |inc: &Incident, n: &str| inc.user(&named(n)).map(|s| s.state(inc.latest()));
        assert_eq!(state(&inc, "kat"), Some(UserState::Locked));
        assert_eq!(state(&inc, "lou"), Some(UserState::Unknown));
        assert_eq!(state(&inc, "max"), Some(UserState::Failing));
        assert_eq!(state(&inc, "ned"), Some(UserState::Ok));
        // An hour later: still locked and unknown; max no longer failing
        // now, but not in either.
        inc.apply(&ev(3600, "113039", Outcome::Success, "ned", "192.0.2.6"));
        assert_eq!(state(&inc, "kat"), Some(UserState::Locked));
        assert_eq!(state(&inc, "lou"), Some(UserState::Unknown));
        assert_eq!(state(&inc, "max"), Some(UserState::Failed));
        inc.apply(&ev(3601, "113039", Outcome::Success, "kat", "192.0.2.3"));
        assert_eq!(state(&inc, "kat"), Some(UserState::Recovered));
        assert_eq!(UserState::Locked.label(), "⊘ locked");
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

    /// The users order re-sorted from the previous one after each change
    /// equals a full sort from scratch, including when a hidden user's
    /// failure moves to a named one and when users succeed.
    #[test]
    fn users_order_after_each_change_equals_a_fresh_sort() {
        let mut inc = Incident::default();
        let mut names: Vec<String> = (0..24).map(|i| format!("user{i:02}")).collect();
        names.push(HIDDEN_USER.to_string());
        let ips: Vec<String> = (1..=12).map(|i| format!("192.0.2.{i}")).collect();
        let mut seed = 7u32;
        for step in 0..2000i64 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let user = names[seed as usize % names.len()].as_str();
            // Few users per address: no password spray (see `spray`).
            let ip = ips[(seed >> 8) as usize % ips.len()].as_str();
            let (id, outcome) = match (seed >> 4) % 4 {
                0 => ("113004", Outcome::Success),
                1 => ("716039", Outcome::Failure),
                _ => ("113005", Outcome::Failure),
            };
            // Several events in one second: ties on the last failure.
            // Seconds apart, so the 5- and 15-minute windows move too.
            inc.apply(&ev(step * 7, id, outcome, user, ip));
            // Not every order every step: a cache left stale for a while
            // must still catch up.
            for sort in UserSort::ALL
                .into_iter()
                .filter(|s| step % 3 != s.slot() as i64 % 3)
            {
                let shown: Vec<UserKey> = inc
                    .users_sorted(sort)
                    .iter()
                    .map(|(k, _)| k.clone())
                    .collect();
                let now = inc.latest();
                let mut fresh: Vec<(&UserKey, &UserStats)> =
                    inc.users().filter(|(_, s)| s.failures > 0).collect();
                fresh.sort_by(|(ka, a), (kb, b)| {
                    sort.key(b, now).cmp(&sort.key(a, now)).then(ka.cmp(kb))
                });
                let fresh: Vec<UserKey> = fresh.into_iter().map(|(k, _)| k.clone()).collect();
                assert_eq!(shown, fresh, "{sort:?} after step {step}");
            }
        }
        assert!(inc.users_by_failures().len() >= 20);
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

    fn at_ref(family: Family, index: u64, secs: i64) -> LineRef {
        LineRef {
            family,
            index,
            ts: at(secs),
            cause: None,
        }
    }

    #[test]
    fn sessions_up_and_down_count_once_per_session() {
        let mut inc = Incident::default();
        for (t, id) in [(0, "113039"), (1, "716001"), (1, "722022"), (2, "722022")] {
            inc.apply(&ev(t, id, Outcome::Success, "kim", "192.0.2.20"));
        }
        for (t, id) in [(600, "722023"), (600, "716002"), (601, "113019")] {
            inc.apply(&ev(t, id, Outcome::SessionEnd, "kim", "192.0.2.20"));
        }
        inc.apply(&ev(900, "113039", Outcome::Success, "kim", "192.0.2.20"));
        let kim = inc.user(&named("kim")).cloned().unwrap_or_default();
        assert_eq!((kim.sessions_up, kim.sessions_down), (2, 1));
        assert_eq!(
            inc.user(&named("kim")).map(|s| s.state(inc.latest())),
            Some(UserState::Ok)
        );
    }

    #[test]
    fn failure_windows_count_minutes_of_log_time() {
        let mut inc = Incident::default();
        // Minute-aligned base: at(0) is 1_800_000_000, which is minute-aligned.
        inc.apply(&ev(0, "113005", Outcome::Failure, "lee", "192.0.2.21"));
        inc.apply(&ev(240, "113005", Outcome::Failure, "lee", "192.0.2.21"));
        inc.apply(&ev(600, "113005", Outcome::Failure, "lee", "192.0.2.21"));
        let now = inc.latest();
        let lee = inc.user(&named("lee")).cloned().unwrap_or_default();
        assert_eq!(lee.failures_in(now, 1), 1);
        assert_eq!(lee.failures_in(now, 5), 1, "minutes 6..=10");
        assert_eq!(lee.failures_in(now, 15), 3);
        assert_eq!(lee.state(now), UserState::Failing);
        assert_eq!(inc.recent(15).attempts, 3);
        inc.apply(&ev(610, "113039", Outcome::Success, "lee", "192.0.2.21"));
        let lee = inc.user(&named("lee")).cloned().unwrap_or_default();
        assert_eq!(lee.state(inc.latest()), UserState::Recovered);
        assert_eq!(inc.recent(15).logins, 1);
    }

    #[test]
    fn management_logins_are_counted_apart() {
        let mut inc = Incident::default();
        let mut denied = ev(0, "605004", Outcome::Info, "admin", "192.0.2.30");
        denied.reason = Some("Login denied");
        inc.apply(&denied);
        inc.apply(&ev(5, "611102", Outcome::Info, "admin", "192.0.2.30"));
        inc.apply(&ev(9, "611101", Outcome::Info, "admin", "192.0.2.30"));
        inc.apply(&ev(9, "605005", Outcome::Info, "admin", "192.0.2.30"));
        inc.apply(&ev(20, "611103", Outcome::Info, "admin", "192.0.2.30"));
        let m = inc.management();
        assert_eq!((m.failures, m.successes), (2, 2));
        assert_eq!(m.users.get("admin"), Some(&(2, 2)));
        assert_eq!(m.last_failure, at(5));
        assert_eq!(inc.totals().failures, 0);
        assert_eq!(inc.totals().successes, 0);
        assert!(inc.user(&named("admin")).is_none(), "not a VPN user");
    }

    #[test]
    fn group_unreachable_is_kept_per_group_and_is_not_an_attempt() {
        let mut inc = Incident::default();
        let mut fallback = ev(0, "409023", Outcome::Failure, "max", "192.0.2.31");
        fallback.client_ip = None;
        fallback.server_group = Some("CORP-RAD");
        fallback.cause = Some(Cause::AaaUnreachable);
        inc.apply(&fallback);
        inc.apply(&fallback);
        assert_eq!(inc.groups().len(), 1);
        assert_eq!(inc.groups()[0].name, "CORP-RAD");
        assert_eq!(inc.groups()[0].unreachable, 2);
        assert!(inc.servers().is_empty(), "409023 names no server");
        assert_eq!(inc.recent(5).unreachable, 2);
        assert_eq!(inc.totals().failures, 0);
        assert_eq!(inc.user(&named("max")).map(|s| s.failures), Some(0));
    }

    #[test]
    fn capacity_failures_are_counted_incident_wide() {
        let mut inc = Incident::default();
        let mut pool = Event::new(Family::Headend, Outcome::Failure);
        pool.ts = at(0);
        pool.msg_id = Some("737012");
        pool.cause = Some(Cause::Capacity);
        pool.reason = Some("Address pool exhausted");
        inc.apply(&pool);
        assert_eq!(inc.recent(15).capacity, 1);
        assert_eq!(inc.last_capacity_reason(), Some("Address pool exhausted"));
        assert_eq!(inc.totals().unattributed_failures, 1);
    }

    #[test]
    fn lines_are_filed_by_user_client_ip_and_laptop() {
        let mut inc = Incident::default();
        let h = Family::Headend;
        inc.apply_line(
            &ev(0, "113005", Outcome::Failure, "ned", "192.0.2.40"),
            at_ref(h, 0, 0),
        );
        // A headend line naming only the client IP (an SSL handshake).
        let mut tls = Event::new(h, Outcome::Info);
        tls.ts = at(1);
        tls.msg_id = Some("725001");
        tls.client_ip = Some("192.0.2.40");
        inc.apply_line(&tls, at_ref(h, 1, 1));
        // The laptop names the user once, then logs lines without a name.
        let mut named_line = Event::new(Family::Client, Outcome::Info);
        named_line.ts = at(2);
        named_line.host = Some("lap-ned");
        named_line.user = Some("ned");
        inc.apply_line(&named_line, at_ref(Family::Client, 0, 2));
        let mut anon = Event::new(Family::Client, Outcome::Failure);
        anon.ts = at(3);
        anon.host = Some("lap-ned");
        anon.cause = Some(Cause::BadCredentials);
        inc.apply_line(&anon, at_ref(Family::Client, 1, 3));
        let mut other = anon.clone();
        other.host = Some("lap-other");
        inc.apply_line(&other, at_ref(Family::Client, 2, 3));
        let lines: Vec<(Family, u64)> = inc
            .user(&named("ned"))
            .map(|s| s.lines.iter().map(|r| (r.family, r.index)).collect())
            .unwrap_or_default();
        assert_eq!(
            lines,
            [(h, 0), (h, 1), (Family::Client, 0), (Family::Client, 1)]
        );
        assert_eq!(
            inc.user(&named("ned")).map(|s| s.failures),
            Some(1),
            "filing a line does not count it"
        );
    }

    #[test]
    fn a_moved_attempt_takes_its_first_line_along() {
        let mut inc = Incident::default();
        let h = Family::Headend;
        inc.apply_line(
            &ev(0, "113005", Outcome::Failure, HIDDEN_USER, "192.0.2.50"),
            at_ref(h, 7, 0),
        );
        inc.apply_line(
            &ev(1, "716039", Outcome::Failure, "ola", "192.0.2.50"),
            at_ref(h, 8, 1),
        );
        let ola = inc.user(&named("ola")).cloned().unwrap_or_default();
        let idx: Vec<u64> = ola.lines.iter().map(|r| r.index).collect();
        assert_eq!(idx, [8, 7]);
        assert_eq!(ola.failures_in(inc.latest(), 1), 1);
        let hidden = UserKey::Hidden("192.0.2.50".into());
        assert_eq!(
            inc.user(&hidden).map(|s| s.failures_in(inc.latest(), 15)),
            Some(0),
            "the hidden user's window gives the attempt back"
        );
        assert_eq!(inc.recent(1).attempts, 1);
    }

    #[test]
    fn line_references_per_user_are_capped() {
        let mut inc = Incident::default();
        for i in 0..(USER_LINES_CAP as u64 + 10) {
            inc.apply_line(
                &ev(i as i64, "113008", Outcome::Info, "pam", "192.0.2.60"),
                at_ref(Family::Headend, i, i as i64),
            );
        }
        let pam = inc.user(&named("pam")).cloned().unwrap_or_default();
        assert_eq!(pam.lines.len(), USER_LINES_CAP);
        assert_eq!(
            pam.lines.front().map(|r| r.index),
            Some(10),
            "oldest dropped"
        );
    }

    #[test]
    fn auth_server_lines_are_evidence_not_attempts() {
        let mut inc = Incident::default();
        inc.apply(&ev(0, "113005", Outcome::Failure, "quin", "192.0.2.70"));
        let mut ise = ev(0, "5400", Outcome::Failure, "quin", "192.0.2.70");
        ise.family = Family::AuthServer;
        ise.reason = Some("24408 wrong password");
        ise.server = Some("ise-psn-01");
        inc.apply_line(&ise, at_ref(Family::AuthServer, 0, 0));
        let mut ok = ev(60, "5200", Outcome::Success, "quin", "192.0.2.70");
        ok.family = Family::AuthServer;
        inc.apply(&ok);
        let quin = inc.user(&named("quin")).cloned().unwrap_or_default();
        assert_eq!((quin.failures, quin.successes), (1, 0));
        assert_eq!(quin.auth_reason.as_deref(), Some("24408 wrong password"));
        assert_eq!(quin.lines.len(), 1);
        assert_eq!(inc.totals().failures, 1);
        assert!(
            inc.servers().is_empty(),
            "an ISE node is not a headend AAA server"
        );
    }

    #[test]
    fn the_default_order_puts_users_failing_now_first() {
        let mut inc = Incident::default();
        // "old" failed often long ago and recovered; "mid" failed 10 min
        // ago (not failing now, but recent); "now" failed once just now.
        for i in 0..9 {
            inc.apply(&ev(i, "113005", Outcome::Failure, "old", "192.0.2.1"));
        }
        inc.apply(&ev(10, "113039", Outcome::Success, "old", "192.0.2.1"));
        inc.apply(&ev(1800, "113005", Outcome::Failure, "mid", "192.0.2.2"));
        inc.apply(&ev(1801, "113005", Outcome::Failure, "mid", "192.0.2.2"));
        inc.apply(&ev(2400, "113005", Outcome::Failure, "now", "192.0.2.3"));
        let names = |sort| -> Vec<String> {
            inc.users_sorted(sort)
                .iter()
                .map(|(k, _)| k.to_string())
                .collect()
        };
        assert_eq!(names(UserSort::Recent), ["now", "mid", "old"]);
        assert_eq!(names(UserSort::Total), ["old", "mid", "now"]);
        assert_eq!(names(UserSort::Name), ["mid", "now", "old"]);
        assert_eq!(names(UserSort::LastSeen), ["now", "mid", "old"]);
        assert_eq!(UserSort::Recent.next(), UserSort::Total);
        assert_eq!(UserSort::LastSeen.next(), UserSort::Recent);
    }

    #[test]
    fn one_clock_log_time_in_replay_wall_time_once_live() {
        let t = |secs| at(secs).unwrap_or(Timestamp::UNIX_EPOCH);
        // Live: the wall clock, unless the backlog is being counted.
        assert_eq!(clock_now(at(0), t(30), false), at(30));
        assert_eq!(clock_now(at(0), t(30), true), at(0));
        // A replay (logs over an hour old) or a headend clock ahead: log time.
        assert_eq!(clock_now(at(0), t(7200), false), at(0));
        assert_eq!(clock_now(at(100), t(0), false), at(100));
        assert_eq!(clock_now(None, t(0), false), None);

        // Live logs that went quiet: "failing now" ages with the wall clock.
        let mut inc = Incident::default();
        inc.apply(&ev(0, "113005", Outcome::Failure, "ann", "192.0.2.1"));
        inc.set_clock(clock_now(inc.latest(), t(60), false));
        assert_eq!(inc.failing_now(), 1);
        assert_eq!(inc.recent(5).attempts, 1);
        inc.set_clock(clock_now(inc.latest(), t(FAILING_NOW.as_secs() + 1), false));
        assert_eq!(inc.failing_now(), 0, "five minutes of wall time passed");
        assert_eq!(inc.recent(5).attempts, 0);
        let ann = inc.user(&named("ann")).cloned().unwrap_or_default();
        assert_eq!(ann.state(inc.now()), UserState::Failed);
        // The clock never reads before the latest line.
        inc.set_clock(at(-50));
        assert_eq!(inc.now(), at(0));
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

/// Lowers a per-cause count, dropping causes that reach zero.
fn decrement(causes: &mut BTreeMap<Cause, u32>, cause: Cause) {
    if let Some(n) = causes.get_mut(&cause) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            causes.remove(&cause);
        }
    }
}

#[cfg(test)]
mod join_tests {
    use super::*;

    fn at(secs: i64) -> Option<Timestamp> {
        Timestamp::from_second(1_800_000_000 + secs).ok()
    }

    fn headend<'a>(secs: i64, id: &'a str, user: &'a str, ip: &'a str, cause: Cause) -> Event<'a> {
        let mut e = Event::new(Family::Headend, Outcome::Failure);
        e.ts = at(secs);
        e.msg_id = Some(id);
        // As the parser says it.
        e.role = crate::parse::asa::role(id);
        e.user = Some(user);
        e.client_ip = Some(ip);
        e.cause = Some(cause);
        e
    }

    fn server<'a>(secs: i64, user: &'a str, ip: &'a str, cause: Cause) -> Event<'a> {
        let mut e = Event::new(Family::AuthServer, Outcome::Failure);
        e.ts = at(secs);
        e.msg_id = Some("5400");
        e.user = Some(user);
        e.client_ip = Some(ip);
        e.cause = Some(cause);
        e
    }

    fn named(n: &str) -> UserKey {
        UserKey::Named(n.into())
    }

    #[test]
    fn the_scope_is_unknown_until_a_headend_line_is_recognised() {
        use super::super::scope::Verdict;
        let mut inc = Incident::default();
        assert_eq!(inc.scope().verdict, Verdict::Unknown);
        inc.apply(&server(5, "ann", "192.0.2.1", Cause::AccountLocked));
        assert_eq!(
            inc.scope().verdict,
            Verdict::Unknown,
            "an auth server is not the headend"
        );
        inc.apply(&Event::new(Family::Headend, Outcome::Info));
        assert_eq!(inc.scope().verdict, Verdict::None);
        // Counted without being applied (the bulk reader), then noted.
        let mut inc = Incident::default();
        inc.count_events(3, at(1));
        assert_eq!(inc.scope().verdict, Verdict::Unknown);
        inc.note_headend_seen();
        assert_eq!(inc.scope().verdict, Verdict::None);
    }

    #[test]
    fn every_line_of_an_attempt_gets_its_final_cause() {
        let line = |index| LineRef {
            family: Family::Headend,
            index,
            ts: None,
            cause: None,
        };
        let mut inc = Incident::default();
        let first = inc.apply_line(
            &headend(10, "113005", "ann", "192.0.2.1", Cause::Other),
            line(0),
        );
        assert_eq!((first.new_attempt, first.cause), (true, Some(Cause::Other)));
        // The follow-up is more specific: the attempt (and its first line)
        // take its cause.
        let follow = inc.apply_line(
            &headend(11, "716039", "ann", "192.0.2.1", Cause::BadCredentials),
            line(1),
        );
        assert_eq!(
            (follow.new_attempt, follow.cause),
            (false, Some(Cause::BadCredentials))
        );
        let updates = inc.take_cause_updates();
        assert_eq!(
            updates
                .iter()
                .map(|u| (u.index, u.cause))
                .collect::<Vec<_>>(),
            [(0, Cause::BadCredentials)]
        );
        // The server explains it: both lines change, counts follow.
        let verdict = LineRef {
            family: Family::AuthServer,
            ..line(0)
        };
        let applied = inc.apply_line(
            &server(12, "ann", "192.0.2.1", Cause::AccountLocked),
            verdict,
        );
        assert_eq!(applied.cause, Some(Cause::AccountLocked));
        let updates = inc.take_cause_updates();
        assert_eq!(
            updates
                .iter()
                .map(|u| (u.family, u.index, u.cause))
                .collect::<Vec<_>>(),
            [
                (Family::Headend, 0, Cause::AccountLocked),
                (Family::Headend, 1, Cause::AccountLocked)
            ]
        );
        assert!(inc.take_cause_updates().is_empty(), "taken once");
        let ann = inc.user(&named("ann")).cloned().unwrap_or_default();
        assert_eq!(ann.causes.get(&Cause::AccountLocked), Some(&1));
        assert_eq!(ann.causes.len(), 1);
        // The drill-down's references carry it too.
        let headend_causes: Vec<_> = ann
            .lines
            .iter()
            .filter(|r| r.family == Family::Headend)
            .map(|r| r.cause)
            .collect();
        assert_eq!(headend_causes, [Some(Cause::AccountLocked); 2]);
    }

    #[test]
    fn a_joined_verdict_line_shows_its_attempts_cause_in_either_order() {
        // The server says only "bad credentials", but the headend saw a token
        // challenge first: the attempt is a token problem, and the server's
        // line, one line of that attempt, says so too.
        let at = |family, index| LineRef {
            family,
            index,
            ts: None,
            cause: None,
        };
        for server_first in [false, true] {
            let mut inc = Incident::default();
            let challenge = headend(5, "113010", "ann", "192.0.2.1", Cause::Other);
            inc.apply(&Event {
                outcome: Outcome::Info,
                cause: None,
                role: Role::AaaChallenge,
                ..challenge
            });
            let h = headend(10, "113005", "ann", "192.0.2.1", Cause::BadCredentials);
            let s = server(10, "ann", "192.0.2.1", Cause::BadCredentials);
            let (server_cause, updates) = if server_first {
                let shown = inc.apply_line(&s, at(Family::AuthServer, 0)).cause;
                inc.apply_line(&h, at(Family::Headend, 0));
                (shown, inc.take_cause_updates())
            } else {
                inc.apply_line(&h, at(Family::Headend, 0));
                let shown = inc.apply_line(&s, at(Family::AuthServer, 0)).cause;
                (shown, inc.take_cause_updates())
            };
            let ann = inc.user(&named("ann")).cloned().unwrap_or_default();
            assert_eq!(ann.last_cause, Some(Cause::TokenRequired));
            if server_first {
                // Shown before its attempt existed: updated when it joined.
                assert_eq!(server_cause, Some(Cause::BadCredentials));
                assert!(
                    updates.iter().any(|u| u.family == Family::AuthServer
                        && u.index == 0
                        && u.cause == Cause::TokenRequired),
                    "{updates:?}"
                );
            } else {
                // Joined as it was applied: shown with the attempt's cause.
                assert_eq!(server_cause, Some(Cause::TokenRequired));
            }
        }
    }

    #[test]
    fn the_server_reason_replaces_a_generic_headend_cause_in_either_order() {
        for server_first in [false, true] {
            let mut inc = Incident::default();
            let h = headend(10, "113005", "ann", "192.0.2.1", Cause::BadCredentials);
            let s = server(10, "ann", "192.0.2.1", Cause::AccountLocked);
            if server_first {
                inc.apply(&s);
                inc.apply(&h);
            } else {
                inc.apply(&h);
                inc.apply(&s);
            }
            let ann = inc.user(&named("ann")).cloned().unwrap_or_default();
            assert_eq!(
                ann.failures, 1,
                "server lines are not attempts (server first: {server_first})"
            );
            assert_eq!(
                ann.last_cause,
                Some(Cause::AccountLocked),
                "server first: {server_first}"
            );
            assert_eq!(ann.causes.get(&Cause::AccountLocked), Some(&1));
            assert_eq!(ann.causes.get(&Cause::BadCredentials), None);
            assert_eq!(inc.totals().failures, 1);
        }
    }

    #[test]
    fn a_server_line_outside_the_window_explains_nothing() {
        let mut inc = Incident::default();
        inc.apply(&headend(
            0,
            "113005",
            "bo",
            "192.0.2.2",
            Cause::BadCredentials,
        ));
        inc.apply(&server(11, "bo", "192.0.2.2", Cause::AccountLocked));
        let bo = inc.user(&named("bo")).cloned().unwrap_or_default();
        assert_eq!(bo.last_cause, Some(Cause::BadCredentials));
    }

    #[test]
    fn a_hidden_user_is_resolved_by_the_server_name() {
        let mut inc = Incident::default();
        inc.apply(&headend(
            0,
            "113005",
            HIDDEN_USER,
            "192.0.2.9",
            Cause::UnknownUser,
        ));
        inc.apply(&headend(
            1,
            "716039",
            HIDDEN_USER,
            "192.0.2.9",
            Cause::BadCredentials,
        ));
        inc.apply(&server(0, "jsmyth", "192.0.2.9", Cause::UnknownUser));
        let j = inc.user(&named("jsmyth")).cloned().unwrap_or_default();
        assert_eq!(j.failures, 1);
        assert_eq!(j.last_cause, Some(Cause::UnknownUser));
        assert_eq!(j.client_ips, ["192.0.2.9"]);
        let hidden = inc
            .user(&UserKey::Hidden("192.0.2.9".into()))
            .cloned()
            .unwrap_or_default();
        assert_eq!(hidden.failures, 0);
        assert_eq!(inc.totals().hidden_resolved, 1);
        assert_eq!(inc.totals().failures, 1);
        let listed: Vec<String> = inc
            .users_by_failures()
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
        assert_eq!(listed, ["jsmyth"]);
    }

    #[test]
    fn a_server_verdict_joins_only_one_attempt() {
        let mut inc = Incident::default();
        inc.apply(&server(5, "cy", "192.0.2.3", Cause::PasswordExpired));
        inc.apply(&headend(
            5,
            "113005",
            "cy",
            "192.0.2.3",
            Cause::BadCredentials,
        ));
        inc.apply(&headend(
            8,
            "113005",
            "cy",
            "192.0.2.3",
            Cause::BadCredentials,
        ));
        let cy = inc.user(&named("cy")).cloned().unwrap_or_default();
        assert_eq!(cy.failures, 2);
        assert_eq!(cy.causes.get(&Cause::PasswordExpired), Some(&1));
        assert_eq!(cy.causes.get(&Cause::BadCredentials), Some(&1));
    }
}

#[cfg(test)]
mod client_tests {
    use super::*;

    fn client_failure(secs: i64, user: &str, cause: Cause) -> Event<'_> {
        let mut e = Event::new(Family::Client, Outcome::Failure);
        e.ts = Timestamp::from_second(1_800_000_000 + secs).ok();
        e.user = Some(user);
        e.cause = Some(cause);
        e
    }

    #[test]
    fn without_a_headend_the_lines_of_one_client_attempt_count_once() {
        let mut inc = Incident::for_sources([Family::Client]);
        inc.apply(&client_failure(0, "hs", Cause::Certificate));
        inc.apply(&client_failure(1, "hs", Cause::Other));
        inc.apply(&client_failure(90, "hs", Cause::Certificate));
        let hs = inc
            .user(&UserKey::Named("hs".into()))
            .cloned()
            .unwrap_or_default();
        assert_eq!(hs.failures, 2);
        assert_eq!(hs.causes.get(&Cause::Certificate), Some(&2));
    }

    #[test]
    fn beside_a_headend_client_lines_are_evidence_not_attempts() {
        let mut inc = Incident::for_sources([Family::Headend, Family::Client]);
        inc.apply(&client_failure(0, "hs", Cause::BadCredentials));
        assert_eq!(inc.totals().failures, 0);
        assert!(inc.users_by_failures().is_empty());
    }

    #[test]
    fn a_certificate_failure_only_the_laptop_saw_counts_for_the_user_it_named() {
        let mut inc = Incident::for_sources([Family::Headend, Family::Client]);
        let mut named = Event::new(Family::Client, Outcome::Info);
        named.ts = Timestamp::from_second(1_800_000_000).ok();
        named.user = Some("hs");
        named.host = Some("lap-hs");
        inc.apply(&named);
        for (secs, cause) in [
            (1, Cause::Certificate),
            (1, Cause::Certificate),
            (2, Cause::Other),
        ] {
            let mut e = client_failure(secs, "", cause);
            e.user = None;
            e.host = Some("lap-hs");
            inc.apply(&e);
        }
        let hs = inc
            .user(&UserKey::Named("hs".into()))
            .cloned()
            .unwrap_or_default();
        assert_eq!(hs.failures, 1, "one attempt, however many lines");
        assert_eq!(hs.last_cause, Some(Cause::Certificate));
    }
}
