//! Who the incident is about: the [`UserKey`] of a named user, a hidden
//! user (known by client IP) or a spray source; each one's [`UserStats`]
//! and state ([`UserState`], [`UserNow`]); and the slots that find a user
//! from an event without allocating (through the
//! [`NameIndex`](super::name_index::NameIndex)). The users pane's orders
//! are in [`order`](super::order), and the users past the cap on users
//! tracked one by one, counted under `(other N users)`, in
//! [`overflow`](super::overflow).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

use super::name_index::{hidden_key, named_key};
use super::overflow::{ManyNow, other_id};
use super::{FAILING_NOW_MINUTES, HIDDEN_USER, Incident, SUCCESS_WINDOW, within};
use crate::engine::hashing;
use crate::engine::window::{MinuteRing, window_start};
use crate::parse::{Cause, Event, Family, Role};

/// Line references kept per user for the drill-down view; older ones are
/// dropped first. A few hundred lines cover a long incident for one person.
pub const USER_LINES_CAP: usize = 400;

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
    /// Failed within the last [`FAILING_NOW_MINUTES`] of now, no success
    /// since.
    Failing,
    /// Had failures, none within the last [`FAILING_NOW_MINUTES`], and no
    /// success since: not
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
/// index in it (counted from the first line the pane ever kept), and its
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
    /// Every user seen after the cap on tracked users was reached (see
    /// [`IncidentLimits`](super::IncidentLimits)), counted together: how many distinct
    /// users that is, exactly.
    Other(u64),
}

impl std::fmt::Display for UserKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserKey::Named(n) => f.write_str(n),
            UserKey::Hidden(ip) => write!(f, "(hidden) {ip}"),
            UserKey::Spray(ip) => write!(f, "(spray) {ip}"),
            UserKey::Other(n) => write!(f, "(other {n} users)"),
        }
    }
}

impl UserKey {
    /// Sorts `items` (each with a key of its own: no two alike) into the
    /// order of their keys. Each key's first bytes are put beside its item
    /// first ([`order_prefix`](Self::order_prefix)), so most comparisons
    /// read no name: names differ in their first bytes, and reading one is
    /// a visit to memory of its own (the report's 4,000 names who only
    /// logged in: 3.0 M → 1.5 M instructions).
    pub fn sort_in_order<'k, T: Copy>(items: &mut [T], key: impl Fn(T) -> &'k UserKey) {
        let mut keyed: Vec<(u64, T)> = items
            .iter()
            .map(|&item| (key(item).order_prefix(), item))
            .collect();
        // Keys are unique: an unstable sort gives the one order.
        keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| key(a.1).cmp(key(b.1))));
        for (slot, (_, item)) in items.iter_mut().zip(keyed) {
            *slot = item;
        }
    }

    /// The key's kind and first bytes as a number whose order agrees with
    /// the keys' (`a.order_prefix() < b.order_prefix()` only when `a < b`).
    /// The kinds are numbered in their declared order, which is the
    /// derived order's.
    fn order_prefix(&self) -> u64 {
        let (kind, text): (u8, &[u8]) = match self {
            UserKey::Named(s) => (0, s.as_bytes()),
            UserKey::Hidden(s) => (1, s.as_bytes()),
            UserKey::Spray(s) => (2, s.as_bytes()),
            UserKey::Other(_) => (3, &[]),
        };
        // A shorter text's missing bytes are zeros: below any byte a
        // longer one has there, as the shorter text is below it.
        let mut bytes = [0u8; 8];
        bytes[0] = kind;
        for (to, &from) in bytes[1..].iter_mut().zip(text) {
            *to = from;
        }
        u64::from_be_bytes(bytes)
    }
}

/// Client addresses listed per user (a spray source or `(other N users)`
/// sees thousands).
pub const CLIENT_IPS_CAP: usize = 64;

/// Addresses a user's list holds before they are also kept in a hash set.
const IP_SET_FROM: usize = 8;

/// Reason texts, one shared copy of each: a spray of a million names gives
/// every user the same "Invalid password", which would otherwise be a
/// million copies. At most [`Texts::CAP`] texts are shared; past that a
/// text gets its own copy (still right, only larger).
#[derive(Clone, Debug, Default)]
pub(super) struct Texts(hashing::HashSet<Arc<str>>);

impl Texts {
    const CAP: usize = 4096;

    /// The shared copy of `text`.
    pub(super) fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        if self.0.len() < Self::CAP {
            self.0.insert(Arc::clone(&shared));
        }
        shared
    }
}

/// The longest user name kept, in bytes; a longer one is cut at a character
/// boundary and ends with [`NAME_CUT_MARKER`] (within the limit), so a
/// hostile log cannot make one name cost megabytes.
pub const MAX_NAME_BYTES: usize = 256;

/// What ends a name cut to [`MAX_NAME_BYTES`].
pub const NAME_CUT_MARKER: &str = "…";

/// `name` as kept: cut to [`MAX_NAME_BYTES`] with [`NAME_CUT_MARKER`].
pub fn capped_name(name: &str) -> std::borrow::Cow<'_, str> {
    if name.len() <= MAX_NAME_BYTES {
        return std::borrow::Cow::Borrowed(name);
    }
    let mut end = MAX_NAME_BYTES - NAME_CUT_MARKER.len();
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}{NAME_CUT_MARKER}", &name[..end]))
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
    /// The headend's reason text for the last failure, shared with every
    /// user given the same text (see [`Texts`]).
    pub last_reason: Option<Arc<str>>,
    /// The auth server's reason for the user's last rejection (ISE
    /// `FailureReason`, NPS reason), often more precise than the headend's.
    /// Boxed: few users have one, and every user's stats are kept (see
    /// `a_tracked_user_stays_small`).
    auth_reason: Option<Box<AuthReason>>,
    /// The client IPs seen for this user, in order of first appearance,
    /// the first [`CLIENT_IPS_CAP`] of them.
    pub client_ips: Vec<String>,
    /// The same addresses, to look one up without scanning the list; made
    /// only once the list holds [`IP_SET_FROM`] of them (most users use
    /// one or two, and an empty set still costs 48 bytes a user).
    #[allow(clippy::box_collection, reason = "8 bytes a user instead of 48")]
    client_ip_set: Option<Box<hashing::HashSet<String>>>,
    pub first_failure: Option<Timestamp>,
    pub last_failure: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// VPN sessions that came up / went down (several lines of one session
    /// change count once).
    pub sessions_up: u32,
    pub sessions_down: u32,
    pub(super) last_session_up: Option<Timestamp>,
    pub(super) last_session_down: Option<Timestamp>,
    /// The join id of the user's latest counted attempt, for a follow-on
    /// notice (113006) that changes its cause.
    pub(super) last_attempt: Option<usize>,
    /// When a lockout notice was counted as an attempt of its own (no
    /// rejection before it): a rejection logged just after it is that
    /// same attempt.
    pub(super) lone_lockout: Option<Timestamp>,
    /// Failed attempts per minute of log time.
    pub recent: MinuteRing,
    /// This user's retained lines, oldest first, at most [`USER_LINES_CAP`].
    pub lines: VecDeque<LineRef>,
    /// References dropped from [`UserStats::lines`] to stay within the cap
    /// (saturating): a bundle made from the references says what it lacks.
    pub lines_dropped: u32,
}

/// The auth server's reason for a rejection, with the rejection's time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct AuthReason {
    at: Option<Timestamp>,
    /// The directory's own answer decoded (a debug trace's AD `data`
    /// code), which wins over other reasons of the same second.
    decoded: bool,
    text: String,
}

/// A user's first and last failure, last cause and last reason at one
/// moment ([`UserStats::failure_marks`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct FailureMarks {
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    cause: Option<Cause>,
    reason: Option<Arc<str>>,
}

/// What one user's counts say at the incident's current log time: kept for
/// every user and brought up to date once per change
/// ([`super::Incident::users_now`], [`super::users_now`]) and read
/// by the users pane's order, the failing count, the scope verdict and the
/// suggested step's tally, which would otherwise each work it out again for
/// every one of 10 000 users after every event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserNow {
    /// [`UserStats::failing_now`].
    pub failing: bool,
    /// [`UserStats::state`].
    pub state: UserState,
    /// Failed attempts in the last [`RECENT_MINUTES`].
    pub recent_failures: u32,
    /// A spray slot, or a name under attack from many addresses: its
    /// failures say nothing about what hurts users.
    pub attack: bool,
    /// [`UserStats::last_cause`], for the cause tally: the tally then
    /// reads these values alone, not 10 000 users' rows.
    pub last_cause: Option<Cause>,
}

/// The earliest last failure that is failing now: the start of the
/// [`FAILING_NOW_MINUTES`] window ending at `now` (`None`: any, when there
/// is no log time yet or it reaches back past the earliest time there is). A comparison per user instead of a duration.
#[derive(Clone, Copy, Debug)]
pub(super) struct FailingCutoff(pub(super) Option<Timestamp>);

impl FailingCutoff {
    pub(super) fn at(now: Option<Timestamp>) -> FailingCutoff {
        FailingCutoff(now.and_then(|now| window_start(now, FAILING_NOW_MINUTES)))
    }
}

impl UserNow {
    pub(super) fn of(
        stats: &UserStats,
        now: Option<Timestamp>,
        cutoff: FailingCutoff,
        attack: bool,
    ) -> UserNow {
        let failing = stats.failing_since(cutoff);
        UserNow {
            failing,
            state: stats.state_given(failing),
            recent_failures: stats.failures_in(now, RECENT_MINUTES),
            attack,
            last_cause: stats.last_cause,
        }
    }

    /// The `(other N users)` row's: failing while any of its users is, and
    /// not recovered while any of them is not (see [`ManyNow`]).
    pub(super) fn of_many(
        stats: &UserStats,
        now: Option<Timestamp>,
        many: &ManyNow,
        attack: bool,
    ) -> UserNow {
        // Users whose times were dropped are not in `many`: without one
        // failing or unrecovered there, the row's own times decide, as
        // they did before (a row with no success is never "recovered").
        let state = if many.failing > 0 {
            UserState::Failing
        } else if many.unrecovered > 0 {
            UserState::Failed
        } else {
            stats.state_given(false)
        };
        UserNow {
            failing: many.failing > 0,
            state,
            recent_failures: stats.failures_in(now, RECENT_MINUTES),
            attack,
            last_cause: stats.last_cause,
        }
    }

    /// Failed in the recent window and has not recovered since: counted by
    /// the scope verdict and the suggested step's tally.
    pub fn unrecovered_recent(&self) -> bool {
        !self.attack && self.recent_failures > 0 && self.state != UserState::Recovered
    }
}

impl UserStats {
    /// The user's state relative to `now` (log time), from this row's own
    /// times. Outputs show [`Incident::state_of`], which is this but for
    /// `(other N users)`: kept to the engine so that no output can show the
    /// other.
    pub(super) fn state(&self, now: Option<Timestamp>) -> UserState {
        self.state_given(self.failing_now(now))
    }

    /// [`UserStats::state`] when whether the user is failing now is known.
    fn state_given(&self, failing_now: bool) -> UserState {
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
        if failing_now {
            UserState::Failing
        } else if unrecovered {
            UserState::Failed
        } else if self.failures > 0 {
            UserState::Recovered
        } else {
            UserState::Ok
        }
    }

    /// The user's failure times and last cause now: what taking back a
    /// failure counted after this restores (see
    /// [`UserStats::forget_failure_at`]).
    pub(super) fn failure_marks(&self) -> FailureMarks {
        FailureMarks {
            first: self.first_failure,
            last: self.last_failure,
            cause: self.last_cause,
            reason: self.last_reason.clone(),
        }
    }

    /// After the failure at `ts` was taken back (it was another user's, or
    /// a spray's): the first and last failure and the last cause are the
    /// remaining attempts' again, so a hidden address whose latest attempt
    /// went to its name does not stay "failing" with that attempt's cause.
    /// They come from `before` (the marks when the attempt was counted),
    /// else from the retained failure lines (each carries its cause), else
    /// the most common remaining cause is named at the time there was. The
    /// headend's reason comes back with `before`; without it, and for the
    /// auth server's reason (neither is kept per line), the reason is
    /// dropped rather than left naming the attempt that went.
    pub(super) fn forget_failure_at(
        &mut self,
        ts: Option<Timestamp>,
        before: Option<FailureMarks>,
    ) {
        if self.failures == 0 {
            self.last_cause = None;
            self.last_reason = None;
            self.auth_reason = None;
            self.last_failure = None;
            self.first_failure = None;
            return;
        }
        let Some(taken) = ts else { return };
        if ts != self.last_failure && ts != self.first_failure {
            return;
        }
        if let Some(before) = before.filter(|b| b.last.is_some_and(|t| t <= taken)) {
            if self.last_failure == ts {
                self.last_failure = before.last;
                self.last_cause = before.cause;
                self.last_reason = before.reason;
                self.auth_reason = None;
            }
            return;
        }
        let failure_lines = || {
            self.lines
                .iter()
                .filter_map(|l| Some((l.ts?, l.cause?)))
                .filter(move |&(t, _)| t != taken)
        };
        if self.last_failure == ts {
            match failure_lines()
                .filter(|&(t, _)| t < taken)
                .max_by_key(|&(t, _)| t)
            {
                Some((t, cause)) => {
                    self.last_failure = Some(t);
                    self.last_cause = Some(cause);
                }
                None => {
                    self.last_cause = self.causes.iter().max_by_key(|&(_, n)| *n).map(|(c, _)| *c);
                }
            }
            self.last_reason = None;
            self.auth_reason = None;
        }
        if self.first_failure == ts
            && let Some((t, _)) = failure_lines()
                .filter(|&(t, _)| t > taken)
                .min_by_key(|&(t, _)| t)
        {
            self.first_failure = Some(t);
        }
    }

    /// Failed attempts in the last `minutes` whole minutes of log time.
    pub fn failures_in(&self, now: Option<Timestamp>, minutes: u32) -> u32 {
        self.recent.last(now, minutes)
    }

    /// The auth server's reason for a rejection at `ts`: kept when it is
    /// the latest by log time, so that the reason shown is the same
    /// whatever order the sources are read in (files named in another
    /// order, a live feed). Of two at the same time, the directory's
    /// decoded answer (`decoded`), then the text that sorts last: a rule,
    /// not the order they came in.
    pub(super) fn hear_auth_reason(
        &mut self,
        ts: Option<Timestamp>,
        decoded: bool,
        reason: String,
    ) {
        let new = AuthReason {
            at: ts,
            decoded,
            text: reason,
        };
        let key = |r: &AuthReason| (r.at, r.decoded);
        if let Some(kept) = self.auth_reason.as_deref() {
            let newer = match (new.at, kept.at) {
                // A reason without a time does not displace one with.
                (None, Some(_)) => false,
                (Some(_), None) => true,
                _ => (key(&new), new.text.as_str()) > (key(kept), kept.text.as_str()),
            };
            if !newer {
                return;
            }
        }
        self.auth_reason = Some(Box::new(new));
    }

    /// The auth server's reason for the user's latest rejection (ISE
    /// `FailureReason`, NPS reason, the directory's answer in a debug
    /// trace), often more precise than the headend's.
    pub fn auth_reason(&self) -> Option<&str> {
        self.auth_reason.as_deref().map(|r| r.text.as_str())
    }

    /// Files `line` unless it is filed already (a line of an attempt
    /// that moved here from a hidden user).
    pub(super) fn file_once(&mut self, line: LineRef) {
        let filed = self
            .lines
            .iter()
            .any(|l| l.family == line.family && l.index == line.index);
        if !filed {
            self.push_line(line);
        }
    }

    pub(super) fn push_line(&mut self, line: LineRef) {
        if self.lines.back() == Some(&line) {
            return;
        }
        if self.lines.len() >= USER_LINES_CAP {
            self.lines.pop_front();
            self.lines_dropped = self.lines_dropped.saturating_add(1);
        }
        self.lines.push_back(line);
    }

    /// Failed recently (relative to `now`, log time) with no success since.
    pub fn failing_now(&self, now: Option<Timestamp>) -> bool {
        self.failing_since(FailingCutoff::at(now))
    }

    /// [`UserStats::failing_now`] with the cutoff worked out once for every
    /// user.
    fn failing_since(&self, cutoff: FailingCutoff) -> bool {
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
        match cutoff.0 {
            Some(earliest) => last_failure >= earliest,
            None => true,
        }
    }

    /// Notes that the user was seen at `ts`: `last_seen` is the latest
    /// time of any of the user's lines, whatever order the sources are read
    /// in (a file named after another, a slower source), so `scan`, the
    /// bundle and the users pane's "last seen" order agree.
    pub(super) fn seen_at(&mut self, ts: Option<Timestamp>) {
        if ts > self.last_seen {
            self.last_seen = ts;
        }
    }

    pub(super) fn see_ip(&mut self, ip: Option<&str>) {
        let Some(ip) = ip else { return };
        if self.client_ips.len() >= CLIENT_IPS_CAP {
            return;
        }
        let known = match &self.client_ip_set {
            Some(set) => set.contains(ip),
            // At most IP_SET_FROM short strings: cheaper than one hash.
            None => self.client_ips.iter().any(|known| known == ip),
        };
        if known {
            return;
        }
        if self.client_ips.is_empty() {
            // Most users have one address: no room for four.
            self.client_ips.reserve_exact(1);
        }
        self.client_ips.push(ip.to_string());
        if let Some(set) = &mut self.client_ip_set {
            set.insert(ip.to_string());
        } else if self.client_ips.len() >= IP_SET_FROM {
            self.client_ip_set = Some(Box::new(self.client_ips.iter().cloned().collect()));
        }
    }
}

/// "Recent" failures, in minutes of log time: the window of
/// [`UserSort::Recent`](super::UserSort::Recent)'s second key, of the
/// scope verdict's failing users and of the suggested step's tally. One
/// window, so the users pane, the verdict and the suggestion count the
/// same failures.
pub const RECENT_MINUTES: u32 = 15;

impl Incident {
    pub fn user(&self, key: &UserKey) -> Option<&UserStats> {
        self.find(key).map(|i| &self.users[i].1)
    }

    pub fn users(&self) -> impl Iterator<Item = (&UserKey, &UserStats)> {
        self.users.iter().map(|(k, s)| (k, s))
    }

    pub(super) fn apply_success(&mut self, ev: &Event, user: usize, ts: Option<Timestamp>) {
        // `(other N users)`: each user's own times decide (see
        // [`OverflowTimes`]).
        let own = self.is_many(user).then(|| *self.overflow_times(ev));
        let stats = &mut self.users[user].1;
        stats.see_ip(ev.client_ip);
        let (last_success, last_session_up) = match &own {
            Some(t) => (t.last_success, t.last_session_up),
            None => (stats.last_success, stats.last_session_up),
        };
        let same_login = last_success.is_some() && within(last_success, ts, SUCCESS_WINDOW);
        if !same_login {
            stats.successes += 1;
            self.totals.successes += 1;
            self.logins.add(ts, 1);
        }
        if ev.role == Role::SessionUp {
            let same_session =
                last_session_up.is_some() && within(last_session_up, ts, SUCCESS_WINDOW);
            if !same_session {
                stats.sessions_up += 1;
            }
            stats.last_session_up = ts.or(stats.last_session_up);
        }
        stats.last_success = ts.or(stats.last_success);
        stats.seen_at(ts);
        if own.is_none() && !self.challenges.is_empty() {
            // A removal hashes its key even from an empty map, and most
            // logs have no challenge at all.
            self.challenges.remove(&user);
        }
        if let Some(mut t) = own {
            if ev.role == Role::SessionUp {
                t.last_session_up = ts.or(t.last_session_up);
            }
            t.last_success = ts.or(t.last_success);
            t.challenged = None;
            *self.overflow_times(ev) = t;
        }
    }

    /// The statistics slot for the event's user, created on first sight.
    /// `None` when the event names no user (and no client for a hidden one).
    pub(super) fn user_index(&mut self, ev: &Event) -> Option<usize> {
        match ev.user {
            Some(HIDDEN_USER) => {
                let ip = capped_name(ev.client_ip?);
                match self.hidden.get(ip.as_ref(), &self.users, hidden_key) {
                    Some(i) => Some(i),
                    // Past the cap: counted among the others without
                    // copying the address (a spray's every line comes here).
                    None if self.at_cap() => Some(self.other_slot(other_id(true, &ip))),
                    None => Some(self.slot(UserKey::Hidden(ip.into_owned()))),
                }
            }
            Some(name) if !name.is_empty() => {
                let name = capped_name(name);
                match self.named.get(name.as_ref(), &self.users, named_key) {
                    Some(i) => Some(i),
                    None if self.at_cap() => Some(self.other_slot(other_id(false, &name))),
                    None => Some(self.slot(UserKey::Named(name.into_owned()))),
                }
            }
            _ => None,
        }
    }

    /// The slot of a user seen before.
    pub(super) fn find(&self, key: &UserKey) -> Option<usize> {
        match key {
            UserKey::Named(name) => self.named.get(name, &self.users, named_key),
            UserKey::Hidden(ip) => self.hidden.get(ip, &self.users, hidden_key),
            UserKey::Spray(ip) => self.sprays.get(ip).copied(),
            UserKey::Other(_) => self.other,
        }
    }

    /// The statistics slot for a user, created on first sight.
    pub(super) fn slot(&mut self, key: UserKey) -> usize {
        if let Some(i) = self.find(&key) {
            return i;
        }
        if self.at_cap() {
            match &key {
                UserKey::Named(name) => return self.other_slot(other_id(false, name)),
                UserKey::Hidden(ip) => return self.other_slot(other_id(true, ip)),
                _ => {}
            }
        }
        let i = self.users.len();
        let spray = match &key {
            UserKey::Spray(ip) => Some(ip.clone()),
            _ => None,
        };
        self.users.push((key, UserStats::default()));
        let (users, key) = (&self.users, &self.users[i].0);
        match key {
            UserKey::Named(name) => self.named.insert(name, i, users, named_key),
            UserKey::Hidden(ip) => self.hidden.insert(ip, i, users, hidden_key),
            UserKey::Spray(_) => {
                if let Some(ip) = spray {
                    self.sprays.insert(ip, i);
                }
            }
            UserKey::Other(_) => self.other = Some(i),
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::incident::fixtures::*;
    use crate::engine::incident::*;
    use crate::parse::{Cause, Family, Outcome};

    proptest::proptest! {
        /// Sorting by the keys' first bytes, then the keys, is sorting by
        /// the keys: for every kind, names that are prefixes of others,
        /// zero bytes (the padding's value), text past the first bytes and
        /// beyond ASCII.
        #[test]
        fn keys_sorted_in_order_are_sorted_as_keys_sort(
            keys in proptest::collection::btree_set(
                (0u8..4, proptest::collection::vec(
                    proptest::sample::select(vec!['a', 'b', '\0', '\u{7f}', 'é', '日']),
                    0..10,
                )),
                0..40,
            )
        ) {
            let keys: Vec<UserKey> = keys
                .into_iter()
                .map(|(kind, text)| {
                    let text: String = text.into_iter().collect();
                    match kind {
                        0 => UserKey::Named(text),
                        1 => UserKey::Hidden(text),
                        2 => UserKey::Spray(text),
                        _ => UserKey::Other(text.len() as u64),
                    }
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            // A shuffled copy, sorted both ways.
            let mut shuffled: Vec<&UserKey> = keys.iter().rev().collect();
            shuffled.rotate_left(keys.len() / 3);
            let mut in_order = shuffled.clone();
            UserKey::sort_in_order(&mut in_order, |k| k);
            shuffled.sort();
            proptest::prop_assert_eq!(in_order, shuffled);
        }
    }

    #[test]
    fn a_users_last_failure_is_the_latest_by_log_time_not_the_last_read() {
        // A headless read takes one file after the other: the headend's
        // later failure first, then a trace's earlier one.
        let mut inc = Incident::default();
        let later = rejected(600, "kim", "192.0.2.7", Cause::TokenRequired);
        inc.apply(&later);
        let earlier = rejected(60, "kim", "192.0.2.8", Cause::BadCredentials);
        inc.apply(&earlier);
        let kim = inc.user(&named("kim")).expect("kim");
        assert_eq!(kim.failures, 2);
        assert_eq!(kim.last_failure, later.ts);
        assert_eq!(kim.first_failure, earlier.ts);
        assert_eq!(kim.last_cause, Some(Cause::TokenRequired));
    }

    #[test]
    fn long_names_are_cut_with_a_marker() {
        let long = "é".repeat(400);
        let mut inc = Incident::default();
        inc.apply(&ev(0, "113005", Outcome::Failure, &long, "192.0.2.1"));
        let (key, _) = inc.users().next().expect("one user");
        let UserKey::Named(kept) = key else {
            panic!("a named user: {key:?}");
        };
        assert!(kept.len() <= MAX_NAME_BYTES, "{}", kept.len());
        assert!(kept.ends_with(NAME_CUT_MARKER));
        assert!(long.starts_with(kept.trim_end_matches(NAME_CUT_MARKER)));
        assert_eq!(capped_name("ann"), "ann");
    }

    #[test]
    fn client_addresses_per_user_are_bounded() {
        let mut inc = Incident::default();
        let ips: Vec<String> = (0..CLIENT_IPS_CAP + 20)
            .map(|i| format!("198.51.100.{i}"))
            .collect();
        for (i, ip) in ips.iter().enumerate() {
            inc.apply(&ev(i as i64 * 60, "113004", Outcome::Success, "ann", ip));
            inc.apply(&ev(
                i as i64 * 60,
                "113004",
                Outcome::Success,
                "ann",
                &ips[0],
            ));
        }
        let ann = inc.user(&named("ann")).expect("ann");
        assert_eq!(ann.client_ips.len(), CLIENT_IPS_CAP);
        assert_eq!(ann.client_ips.first(), ips.first());
    }

    #[test]
    fn states_name_locked_and_unknown_accounts_until_a_success() {
        let mut inc = Incident::default();
        inc.apply(&rejected(0, "kat", "192.0.2.3", Cause::AccountDisabled));
        inc.apply(&rejected(0, "lou", "192.0.2.4", Cause::UnknownUser));
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

    mod incremental {
        use super::*;
        use crate::engine::incident::order::SortKey;
        use proptest::prelude::*;

        /// One step: an event (`kind` < 3: a failure of two kinds or a
        /// success, `secs` after the previous event) or a clock move
        /// (`kind` 3: to `secs` around the latest event, back or forward,
        /// or no clock when `user` is 0).
        type Step = (u8, usize, usize, i64);

        fn step() -> impl Strategy<Value = Step> {
            (0u8..4, 0usize..10, 0usize..4, 0i64..500)
        }

        /// A step's login line: `kind` 0 an AAA rejection, 1 a WebVPN
        /// rejection, else an AAA success (113004).
        fn login_step<'a>(kind: u8, t: i64, user: &'a str, ip: &'a str) -> Event<'a> {
            let (id, outcome) = match kind {
                0 => ("113005", Outcome::Failure),
                1 => ("716039", Outcome::Failure),
                _ => ("113004", Outcome::Success),
            };
            ev(t, id, outcome, user, ip)
        }

        /// A copy of `inc` that keeps nothing from earlier changes: every
        /// derived value is worked out from the rows alone.
        fn with_nothing_kept(inc: &Incident) -> Incident {
            let mut copy = inc.clone();
            copy.changed();
            copy.users_now_hint = Default::default();
            copy.by_failures_hint = Default::default();
            copy
        }

        /// Everything the per-change caches derive, worked out from
        /// nothing at the incident's clock, and as a copy that kept
        /// nothing gives it (which takes in what reads the kept values:
        /// the cause tally and the scope verdict).
        fn check_against_a_full_recompute(inc: &Incident) -> Result<(), TestCaseError> {
            let copy = with_nothing_kept(inc);
            prop_assert_eq!(inc.users_now(), copy.users_now());
            prop_assert_eq!(inc.failing_now(), copy.failing_now());
            prop_assert_eq!(inc.unrecovered_recent(), copy.unrecovered_recent());
            prop_assert_eq!(inc.cause_tally(), copy.cause_tally());
            prop_assert_eq!(inc.scope(), copy.scope());
            for sort in UserSort::ALL {
                let kept: Vec<&UserKey> = inc.users_sorted(sort).iter().map(|(k, _)| k).collect();
                let afresh: Vec<&UserKey> =
                    copy.users_sorted(sort).iter().map(|(k, _)| k).collect();
                prop_assert_eq!(kept, afresh, "{:?}", sort);
            }
            let now = inc.now();
            let cutoff = FailingCutoff::at(now);
            let many = inc.compute_many_now(now);
            let fresh: Vec<UserNow> = inc
                .users()
                .zip(inc.attack_flags())
                .map(|((k, s), attack)| match k {
                    UserKey::Other(_) => UserNow::of_many(s, now, &many, attack),
                    _ => UserNow::of(s, now, cutoff, attack),
                })
                .collect();
            prop_assert_eq!(inc.users_now(), fresh.as_slice());
            let failing = inc
                .users()
                .zip(&fresh)
                .filter(|((k, _), n)| {
                    !matches!(k, UserKey::Spray(_) | UserKey::Other(_)) && n.failing
                })
                .count();
            prop_assert_eq!(inc.failing_now(), failing + many.failing as usize);
            prop_assert_eq!(inc.unrecovered_recent(), inc.compute_unrecovered_recent());
            for sort in UserSort::ALL {
                let shown: Vec<&UserKey> = inc.users_sorted(sort).iter().map(|(k, _)| k).collect();
                let mut full: Vec<(&UserKey, SortKey)> = inc
                    .users()
                    .zip(&fresh)
                    .filter(|((_, s), _)| s.failures > 0)
                    .map(|((k, s), n)| (k, sort.key(s, n)))
                    .collect();
                full.sort_by(|(ka, a), (kb, b)| b.cmp(a).then(ka.cmp(kb)));
                let full: Vec<&UserKey> = full.into_iter().map(|(k, _)| k).collect();
                prop_assert_eq!(shown, full, "{:?}", sort);
            }
            Ok(())
        }

        proptest! {
            /// The orders kept from one change to the next, the failing
            /// count and every user's state and recent failures equal a
            /// full recompute after random events and clock moves: the
            /// five-minute "failing now" and the 15-minute window roll
            /// with the clock, forward and back.
            #[test]
            fn incremental_orders_equal_a_full_sort_as_events_and_clock_move(
                steps in prop::collection::vec(step(), 1..60),
            ) {
                let names: Vec<String> = (0..9)
                    .map(|i| format!("user{i}"))
                    .chain([HIDDEN_USER.to_string()])
                    .collect();
                let ips: Vec<String> = (1..=4).map(|i| format!("192.0.2.{i}")).collect();
                let mut inc = Incident::default();
                let mut t = 0i64;
                for (i, (kind, user, ip, secs)) in steps.into_iter().enumerate() {
                    if kind == 3 {
                        let clock = (user > 0).then(|| at(t + secs - 250)).flatten();
                        inc.set_clock(clock);
                    } else {
                        t += secs;
                        inc.apply(&login_step(kind, t, &names[user], &ips[ip]));
                    }
                    // Not after every step: a cache left for several
                    // changes must catch up too.
                    if i % 2 == 0 || kind == 3 {
                        check_against_a_full_recompute(&inc)?;
                    }
                }
                check_against_a_full_recompute(&inc)?;
            }

            /// The same with password sprays (one address failing on many
            /// names), names under attack from many addresses, users past
            /// a small cap counted under `(other N users)`, lockouts and
            /// unknown users, untimed events, events out of order (some
            /// older than the 16-minute ring), counted lines moving the
            /// clock either way, and clock jumps of up to half an hour
            /// back or forward. A user's attack flag moves without their
            /// row being written, and the `(other N users)` row stands for
            /// users whose times are not in it. Between checks a random
            /// few of the derived values are asked for, so the kept orders
            /// and the kept per-user values date from different changes.
            #[test]
            fn incremental_values_hold_with_attacks_and_the_cap(
                max_users in 2usize..12,
                steps in prop::collection::vec(
                    (0u8..10, 0usize..14, 0usize..24, 0i64..200, any::<u8>()),
                    1..80,
                ),
            ) {
                let names: Vec<String> = (0..14).map(|i| format!("user{i}")).collect();
                let ips: Vec<String> = (1..=24).map(|i| format!("192.0.2.{i}")).collect();
                let mut inc = Incident::with_limits(crate::engine::IncidentLimits { max_users });
                let mut t = 0i64;
                for (kind, user, ip, secs, ask) in steps {
                    match kind {
                        // A name failing from SPRAY_MIN_ADDRESSES addresses.
                        4 => {
                            t += secs;
                            for k in 0..crate::engine::spray::SPRAY_MIN_ADDRESSES {
                                let ip = &ips[(ip + k) % ips.len()];
                                inc.apply(&ev(t, "113005", Outcome::Failure, &names[user], ip));
                            }
                        }
                        // An address failing on SPRAY_MIN_NAMES names.
                        5 => {
                            t += secs;
                            for k in 0..crate::engine::spray::SPRAY_MIN_NAMES {
                                let name = &names[(user + k) % names.len()];
                                inc.apply(&ev(t, "113005", Outcome::Failure, name, &ips[ip]));
                            }
                        }
                        // The clock up to half an hour back or forward.
                        3 => inc.set_clock(at(t + secs * 18 - 1800)),
                        // A lockout or an unknown user.
                        6 => {
                            t += secs;
                            let cause = if user % 2 == 0 {
                                Cause::AccountLocked
                            } else {
                                Cause::UnknownUser
                            };
                            inc.apply(&rejected(t, &names[user], &ips[ip], cause));
                        }
                        // A failure with no time.
                        7 => {
                            let mut e = ev(t, "113005", Outcome::Failure, &names[user], &ips[ip]);
                            e.ts = None;
                            inc.apply(&e);
                        }
                        // A failure logged late: up to 40 minutes before
                        // the latest, past the ring's 16.
                        8 => {
                            let late = t - secs * 12;
                            inc.apply(&ev(late, "113005", Outcome::Failure, &names[user], &ips[ip]));
                        }
                        // Lines that only count, the last at a time either
                        // side of the latest event's (or with none).
                        9 => {
                            let last = (user > 0).then(|| at(t + secs * 9 - 900)).flatten();
                            inc.count_events(1 + ip as u64, last);
                        }
                        _ => {
                            t += secs;
                            inc.apply(&login_step(kind, t, &names[user], &ips[ip]));
                        }
                    }
                    if ask & 1 != 0 {
                        inc.users_now();
                    }
                    if ask & 2 != 0 {
                        inc.users_sorted(UserSort::Recent);
                    }
                    if ask & 4 != 0 {
                        inc.users_sorted(UserSort::LastSeen);
                    }
                    if ask & 8 != 0 {
                        inc.scope();
                    }
                    if ask & 0x30 == 0 {
                        check_against_a_full_recompute(&inc)?;
                    }
                }
                check_against_a_full_recompute(&inc)?;
            }
        }
    }

    #[test]
    fn failing_now_is_the_five_minute_window_the_counts_use() {
        // 08:02:50: the last failure, in the minute before the window that
        // ends at 08:07:30 starts (08:03:00).
        let failed_at: Timestamp = "2026-12-05T08:02:50Z".parse().unwrap();
        let mut stats = UserStats {
            failures: 1,
            last_failure: Some(failed_at),
            ..UserStats::default()
        };
        stats.recent.add(Some(failed_at), 1);
        let at = |s: &str| Some(s.parse::<Timestamp>().unwrap());
        for (now, failing) in [
            ("2026-12-05T08:02:50Z", true),
            ("2026-12-05T08:06:59.999Z", true),
            ("2026-12-05T08:07:00Z", false),
            ("2026-12-05T08:07:30Z", false),
        ] {
            let now = at(now);
            assert_eq!(stats.failing_now(now), failing, "{now:?}");
            // Failing now exactly when the last 5 minutes count a failure.
            assert_eq!(stats.failures_in(now, FAILING_NOW_MINUTES) > 0, failing);
            let state = if failing {
                UserState::Failing
            } else {
                UserState::Failed
            };
            assert_eq!(stats.state(now), state);
        }
        assert!(stats.failing_now(None), "no log time yet: failing");
        assert!(
            stats.failing_now(Some(Timestamp::MIN)),
            "a window that starts before the earliest time"
        );
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
    fn failing_now_clears_after_success_and_after_five_minutes() {
        let mut inc = Incident::default();
        inc.apply(&ev(0, "113005", Outcome::Failure, "eve", "192.0.2.5"));
        assert_eq!(inc.failing_now(), 1);
        // `ev`'s times start on a whole minute: the window ending in the
        // fifth minute after it (this minute and the four before) still
        // holds eve's failure, the sixth does not.
        inc.apply(&ev(299, "113039", Outcome::Success, "zed", "192.0.2.6"));
        assert_eq!(inc.failing_now(), 1, "four minutes and 59 s is still now");
        inc.apply(&ev(300, "113039", Outcome::Success, "zed", "192.0.2.6"));
        assert_eq!(inc.failing_now(), 0, "five minutes on, eve aged out");
        inc.apply(&ev(301, "113039", Outcome::Success, "zed", "192.0.2.6"));
        inc.apply(&ev(302, "113039", Outcome::Success, "zed", "192.0.2.6"));
        inc.apply(&ev(400, "113005", Outcome::Failure, "fay", "192.0.2.7"));
        assert_eq!(inc.failing_now(), 1, "eve aged out, fay is failing");
        inc.apply(&ev(401, "113039", Outcome::Success, "fay", "192.0.2.7"));
        assert_eq!(inc.failing_now(), 0);
        let fay = row(&inc, &named("fay"));
        assert_eq!((fay.failures, fay.successes), (1, 1));
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
        let kim = row(&inc, &named("kim"));
        assert_eq!((kim.sessions_up, kim.sessions_down), (2, 1));
        assert_eq!(
            inc.user(&named("kim")).map(|s| s.state(inc.latest())),
            Some(UserState::Ok)
        );
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
        let pam = row(&inc, &named("pam"));
        assert_eq!(pam.lines.len(), USER_LINES_CAP);
        assert_eq!(
            pam.lines.front().map(|r| r.index),
            Some(10),
            "oldest dropped"
        );
        // Counted, for whatever is made of the references.
        assert_eq!(pam.lines_dropped, 10);
    }

    /// The auth server's reason kept does not depend on the order the
    /// reasons come in: the latest by time; at the same time the decoded
    /// directory answer, then the text that sorts last; one without a time
    /// never displaces one with.
    #[test]
    fn the_auth_reason_kept_does_not_depend_on_arrival_order() {
        let at = |s: &str| Some(s.parse::<Timestamp>().unwrap());
        let reasons = [
            (
                at("2026-11-28T09:01:40Z"),
                false,
                "Simple authentication returned code (49)",
            ),
            (
                at("2026-11-28T09:01:40Z"),
                true,
                "Active Directory: data 775, account locked out",
            ),
            (
                at("2026-11-28T08:56:48Z"),
                false,
                "24415 account is locked out",
            ),
            (None, false, "Z without a time"),
        ];
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]] {
            let mut stats = UserStats::default();
            for i in order {
                let (ts, decoded, text) = reasons[i];
                stats.hear_auth_reason(ts, decoded, text.to_string());
            }
            assert_eq!(
                stats.auth_reason(),
                Some("Active Directory: data 775, account locked out"),
                "{order:?}"
            );
        }
        let mut plain = UserStats::default();
        plain.hear_auth_reason(at("2026-11-28T09:00:00Z"), false, "b".into());
        plain.hear_auth_reason(at("2026-11-28T09:00:00Z"), false, "a".into());
        assert_eq!(plain.auth_reason(), Some("b"));
    }
}
