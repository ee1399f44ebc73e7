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
//!
//! This module holds the [`Incident`] itself and the one path every event
//! takes into it ([`Incident::apply`]); the parts live beside it:
//! [`users`] (who, their statistics and state), [`order`] (the users
//! pane's orders), [`overflow`] (the users past the cap, counted together
//! under `(other N users)`), [`attempts`] (what counts as one failed
//! attempt, lockouts, sprays), [`servers`] (AAA servers, groups,
//! management logins), [`linking`] (filing lines under users and
//! joining auth-server and client verdicts with headend attempts) and
//! [`trace`] (the headend's debug trace: its sessions' users and verdicts);
//! [`clock`] keeps the log clock and "now", [`input`] what the incident is
//! told of its limits and sources, and [`derived`] what the outputs read
//! that is worked out from every user, once per change; [`user_table`]
//! holds the users' rows and notes which changed, and [`users_now`] keeps
//! every user's state at the clock from one change to the next.

mod attempts;
mod clock;
mod derived;
mod input;
mod linking;
mod name_index;
mod order;
mod overflow;
mod servers;
mod trace;
mod user_table;
mod users;
mod users_now;

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::hashing::{HashMap, HashSet};
use super::join::Joiner;
use super::spray::Spray;
use super::window::MinuteRing;
use crate::parse::{Cause, Event, Family, Outcome, Role};

use attempts::OpenAttempt;
pub use clock::{AHEAD_TOLERANCE, clock_now, logs_live};
use clock::{later, within};
pub use derived::Unrecovered;
pub use input::InputLeftovers;
use order::UsersOrder;
pub use order::{ByFailures, ByFailuresIter, UserSort};
pub use overflow::{DEFAULT_MAX_USERS, ManyNow};
pub use servers::{
    AaaGroup, AaaServer, GROUPS_CAP, MANAGEMENT_USERS_CAP, Management, OTHER_MANAGEMENT_USERS,
    SERVERS_CAP, ServerHealth, TRANSITIONS_CAP,
};
pub use users::{
    LineRef, MAX_NAME_BYTES, NAME_CUT_MARKER, RECENT_MINUTES, USER_LINES_CAP, UserKey, UserNow,
    UserState, UserStats, capped_name,
};

/// What the header says of [`Incident::unmatched_auth_failures`], when
/// there are any; [`unmatched_note`] is the same with its why, for the
/// outputs that have the room.
pub fn unmatched_short(n: u64) -> Option<String> {
    (n > 0).then(|| {
        format!(
            "{} unmatched",
            crate::plural::count(n, "auth-server failure", "auth-server failures")
        )
    })
}

/// What `scan`, `events` and the report say of
/// [`Incident::unmatched_auth_failures`], when there are any.
pub fn unmatched_note(n: u64) -> Option<String> {
    unmatched_short(n).map(|short| {
        format!(
            "{short}: no headend attempt matches them, and they are in no count \
             (another headend's log missing, or logins other than VPN?)"
        )
    })
}

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

/// A user counts as "failing now" when their last failure falls in the
/// last this many minutes (log time), counted as the windows count them
/// (this minute and the ones before: [`super::window::window_start`]), and no
/// success came after it. The same window as the `last 5 min` counts, so a
/// user failing now always has a failure there.
pub const FAILING_NOW_MINUTES: u32 = 5;

/// The bounds an [`Incident`] is built with: chosen by whoever builds it
/// (`--max-users` for the commands), never a process-wide setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IncidentLimits {
    /// Users tracked one by one (named and hidden); further users are
    /// counted together, exactly, under one `(other N users)` slot (a
    /// 64-bit hash per user is kept). At least 1.
    pub max_users: usize,
}

impl Default for IncidentLimits {
    fn default() -> Self {
        IncidentLimits {
            max_users: DEFAULT_MAX_USERS,
        }
    }
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
    /// Headend lines that another source had already delivered (a relay
    /// and the file of the same headend), counted once: not applied again
    /// (see [`super::dedup`]).
    pub duplicates: u64,
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
    /// A copy of a headend line another source already delivered: not
    /// counted again (see [`super::dedup`]).
    pub duplicate: bool,
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

/// Names kept per hidden address in [`Incident::attempts_named`] (a NAT
/// address shared by a thousand people must not grow memory).
const NAMED_FROM_CAP: usize = 16;

/// The scope evidence while the headend log shows no login (see
/// [`Incident::headend_blind`]).
pub const HEADEND_WITHOUT_LOGINS: &str = "no VPN login or AAA line in the headend log: none in \
     the lines read, or its logging leaves them out (a level below informational, a logging list)";

/// The named users (slots) one hidden address's failed attempts moved
/// to, with how many each: at most [`NAMED_FROM_CAP`] names, the attempts
/// that went to names past those counted in `others`.
#[derive(Clone, Debug, Default)]
struct NamedFrom {
    names: Vec<(usize, u32)>,
    others: u32,
}

/// Per-user statistics, AAA servers and totals for one incident.
#[derive(Clone, Debug, Default)]
pub struct Incident {
    users: user_table::UserTable,
    /// Slot of each user, by name and by hidden user's client IP, so that
    /// an event's `&str` finds its user without allocating (this runs for
    /// every event); the names themselves live in `users` only.
    named: name_index::NameIndex,
    hidden: name_index::NameIndex,
    sprays: HashMap<String, usize>,
    /// Password spray and many-address attack detection.
    spray: Spray<Cause>,
    /// Per spray slot, the named users tried from it.
    spray_names: HashMap<usize, std::collections::BTreeSet<usize>>,
    servers: Vec<AaaServer>,
    totals: Totals,
    first_failure: Option<Timestamp>,
    /// The latest time of the events that are more than counted (see
    /// [`Incident::latest`]).
    latest: Option<Timestamp>,
    /// Per source, the time of the event read last from it, when that was
    /// one that only counts (see [`Incident::only_counts`]): it moves the
    /// clock while it is the source's newest line, and goes when the
    /// source's next event that is more than counted takes its place. Per
    /// source, so that the clock does not depend on how the lines of two
    /// sources interleave. A handful of entries (one per source at most).
    last_counted: Vec<(crate::vocab::SourceId, Timestamp)>,
    /// "Now" as the caller's clock says (see [`clock_now`]); `None` reads
    /// "now" as the latest log time.
    clock: Option<Timestamp>,
    /// The last AAA rejection per client IP, for pairing its follow-up line.
    open_attempts: HashMap<String, OpenAttempt>,
    /// The last AAA challenge per tracked user (past the cap, per user in
    /// [`overflow::OverflowTimes`]).
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
    /// Keyed inline (an address fits in a `CompactString`) and with its
    /// few users inline too: looked up for nearly every event, where a
    /// `String` key and a `Vec` cost two reads elsewhere in memory.
    ip_users: HashMap<compact_str::CompactString, smallvec::SmallVec<[usize; 2]>>,
    /// Client log host (laptop) → the user it last named.
    host_users: HashMap<String, usize>,
    /// Headend attempts and auth-server verdicts waiting to meet.
    join: Joiner,
    /// Lines whose cause changed after they were applied, until taken.
    cause_updates: VecDeque<CauseUpdate>,
    /// Debug-trace session (host, session) → the user it is for and since
    /// when (see [`trace`]); bounded by [`trace::TRACE_SESSIONS_CAP`].
    trace_users: HashMap<(String, String), trace::TraceUser>,
    /// Hidden user (slot) → where its failed attempts went when an
    /// auth-server line named them (see [`Incident::attempts_named`]).
    named_from_hidden: HashMap<usize, NamedFrom>,
    /// A headend line has been recognised: until then the scope verdict is
    /// `unknown` (see [`Incident::scope`]).
    headend_seen: bool,
    /// A headend line about a VPN login or an AAA server was applied (see
    /// [`Incident::about_logins`]): until then, a headend log that shows
    /// only traffic, session ends, management logins or debug traces leaves
    /// the scope `unknown`, because its logging may leave the logins out.
    headend_logins_seen: bool,
    /// The latest time of a headend line about a login or an AAA server
    /// (see [`Incident::about_logins`]): how far the headend's own log has
    /// come, for [`Incident::unmatched_auth_failures`].
    headend_logins_to: Option<Timestamp>,
    /// [`Incident::unmatched_auth_failures`] with what it was worked out
    /// from (the joiner's generation and the headend's time): asked for
    /// every frame, worked out again only when either moved.
    unmatched: std::cell::Cell<Option<(u64, Option<Timestamp>, u64)>>,
    /// [`Incident::unmatched_auth_failures`] when the input was complete (see
    /// [`Incident::finish_input`], which drops the verdicts waiting).
    unmatched_at_finish: Option<u64>,
    /// [`Incident::many_now`] when the input was complete: the times it
    /// is made from go at [`Incident::finish_input`].
    many_at_finish: Option<overflow::ManyNow>,
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
    /// change ([`Incident::changed`]).
    by_failures: [std::sync::OnceLock<UsersOrder>; UserSort::ALL.len()],
    /// The last computed orders, kept across changes: the users whose sort
    /// key did not change keep their relative order, so only the few that
    /// changed are sorted and merged in (no comparison of 10 000 names).
    /// Taken by the next order, which is worked out in its buffers: a
    /// frame then makes no buffer of one entry per user afresh, which, at
    /// 128 KiB or more (the sort keys of a few thousand users), would be a new
    /// mapping whose pages are all touched for the first time (the
    /// dashboard fixes glibc's mmap threshold there, see
    /// `app::return_large_frees_to_the_system`).
    by_failures_hint: [RefCell<UsersOrder>; UserSort::ALL.len()],
    /// [`Incident::failing_now`] and [`Incident::scope`], likewise computed
    /// at most once per change (they also move with the log clock, so
    /// [`Incident::count_events`] clears them too).
    failing: std::sync::OnceLock<usize>,
    /// [`Incident::users_now`], likewise.
    users_now: std::sync::OnceLock<users_now::UsersNow>,
    /// The last [`Incident::users_now`] worked out, kept across changes:
    /// only the users written since, those whose attack flag moved, the
    /// `(other N users)` row and, when the clock is in another minute,
    /// those who failed in the last 15 minutes (after a step of a few
    /// minutes, only those of them with a failure a window gained or
    /// lost) are worked out again (see [`users_now`]). Taken by the next
    /// one, which is worked out in its buffers, as `by_failures_hint`.
    users_now_hint: RefCell<users_now::UsersNow>,
    many_now: std::sync::OnceLock<overflow::ManyNow>,
    /// [`Incident::unrecovered_recent`]: the scope verdict and the cause
    /// tally both count it, each a pass over every user.
    unrecovered: std::sync::OnceLock<derived::Unrecovered>,
    scope: std::sync::OnceLock<super::scope::Scope>,
    cause_tally: std::sync::OnceLock<super::suggest::CauseTally>,
    /// Whether a cache above may hold a value: set as each is worked out
    /// (see [`Incident::filling`]), so that [`Incident::changed`], which
    /// every event calls, has nothing to clear while nothing was asked for
    /// (a whole-file scan asks for nothing until the end).
    derived_filled: std::cell::Cell<bool>,
    /// The caps this incident was built with (see [`Incident::max_users`]).
    limits: IncidentLimits,
    /// The `(other N users)` slot, once the cap was reached.
    other: Option<usize>,
    /// A hash of each user counted under `other`, for an exact N.
    other_keys: HashSet<u64>,
    /// Slot of each AAA server by address.
    server_index: HashMap<String, usize>,
    /// Headend lines already delivered by another source.
    dedup: super::dedup::Dedup,
    /// Times that are not their lines' own (a JSON record's, the read time).
    time_marks: super::timemarks::TimeMarks,
    /// The source the events applied next come from (see
    /// [`Incident::set_source`]).
    source: crate::vocab::SourceId,
    /// `open_attempts`' size at which expired ones are next dropped.
    open_prune_at: usize,
    /// Per user counted under `(other N users)`, the times its windows
    /// need, while they can matter.
    overflow_times: HashMap<u64, overflow::OverflowTimes>,
    overflow_prune_at: usize,
    /// Shared reason texts (see [`users::Texts`]).
    texts: users::Texts,
}

/// Incident-wide counts over the recent windows, for the scope verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recent {
    pub logins: u32,
    pub attempts: u32,
    pub capacity: u32,
    pub unreachable: u32,
}

impl Incident {
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Log time of the first failed attempt: when the incident was detected.
    pub fn first_failure(&self) -> Option<Timestamp> {
        self.first_failure
    }

    /// Where the failed attempts of hidden user `key` went when an
    /// auth-server line named them: each named user and how many, most
    /// first, and how many went to names past the ones kept. Empty for any
    /// other user. The hidden user's own counts no longer hold them, so a
    /// bundle of the address says where they are.
    pub fn attempts_named(&self, key: &UserKey) -> (Vec<(&UserKey, u32)>, u32) {
        let Some(moved) = self.find(key).and_then(|i| self.named_from_hidden.get(&i)) else {
            return (Vec::new(), 0);
        };
        let mut named: Vec<(&UserKey, u32)> = moved
            .names
            .iter()
            .filter_map(|&(slot, n)| self.users.get(slot).map(|(k, _)| (k, n)))
            .collect();
        named.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        (named, moved.others)
    }

    /// Notes that one failed attempt of hidden user `hidden` moved to
    /// `named` (see [`Incident::attempts_named`]).
    fn note_named(&mut self, hidden: usize, named: usize) {
        let moved = self.named_from_hidden.entry(hidden).or_default();
        if let Some((_, n)) = moved.names.iter_mut().find(|(slot, _)| *slot == named) {
            *n += 1;
        } else if moved.names.len() < NAMED_FROM_CAP {
            moved.names.push((named, 1));
        } else {
            moved.others += 1;
        }
    }

    /// Whether a headend event tells of a VPN login or an AAA server (what
    /// lets zero failures mean "none"): a login's outcome, a session coming
    /// up, or a server's state; never a management login or a debug trace.
    fn about_logins(ev: &Event) -> bool {
        // A login's outcome (113004/113005/716039 …, sent at informational)
        // or a session coming up; an AAA server's state (113022 …). Not a
        // session's end, which a headend at `logging trap warnings` still
        // sends (113019 is severity 4) while it drops every login line.
        ev.family == Family::Headend
            && !ev.role.is_management()
            && ev.trace_session.is_none()
            && (matches!(ev.outcome, Outcome::Success | Outcome::Failure)
                || ev.role == Role::SessionUp
                || ev.server_state.is_some())
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
            merged.duplicate |= a.duplicate;
            merged.cause = a.cause;
        }
        merged
    }

    /// Whether applying `ev` (without a retained line) does nothing but
    /// count it and advance the log clock: no user, server or server group,
    /// not a failure, session end or management login, and no laptop whose
    /// last named user the event would belong to. Most headend traffic
    /// (302013, 106023 …) is like this, so the bulk reader (`app/bulk`)
    /// does not ship such events to the engine; it reports them with
    /// [`Incident::count_events`]. Applying an event takes the same gate
    /// (`apply_event` returns right after counting when this holds), so the
    /// two cannot drift apart.
    pub fn only_counts(ev: &Event) -> bool {
        ev.user.is_none()
            && ev.server.is_none()
            && ev.server_group.is_none()
            && matches!(ev.outcome, Outcome::Info | Outcome::Success)
            && !ev.role.is_management()
            && !(ev.family == Family::Client && ev.host.is_some())
            && ev.trace_session.is_none()
    }

    /// The lines whose cause changed since the last call, oldest first.
    /// A caller that shows lines (a pane, `events`) restyles each.
    pub fn take_cause_updates(&mut self) -> Vec<CauseUpdate> {
        self.cause_updates.drain(..).collect()
    }

    fn apply_inner(&mut self, ev: &Event, line: Option<LineRef>) -> Applied {
        let counted = Self::only_counts(ev);
        if !counted {
            self.settle_clock();
        }
        // A line with no time of its own is dated as its event is: by the
        // clock once settled (a caller reading the clock before would get
        // the traffic run's time the event no longer sees).
        let line = line.map(|l| LineRef {
            ts: l.ts.or(ev.ts).or(self.latest()),
            ..l
        });
        if !counted && self.dedup.is_copy(self.source, ev) {
            // Still a recognised event (as `scan` counts lines); only
            // what it would count again is left out.
            self.totals.events += 1;
            self.totals.duplicates += 1;
            return Applied {
                duplicate: true,
                ..Applied::default()
            };
        }
        let follow_on = self.client_attempts.follow_on(ev, ev.ts.or(self.latest()));
        let mut applied = self.apply_event(ev, line, follow_on);
        applied.follow_on = follow_on;
        applied
    }

    fn apply_event(&mut self, ev: &Event, line: Option<LineRef>, follow_on: bool) -> Applied {
        self.changed();
        self.headend_seen |= ev.family == Family::Headend;
        if Self::about_logins(ev) {
            self.headend_logins_seen = true;
            self.headend_logins_to = later(self.headend_logins_to, ev.ts);
        }
        self.totals.events += 1;
        let ts = ev.ts.or(self.latest());
        if Self::only_counts(ev) {
            self.count_time(ev.ts);
        } else {
            self.latest = later(self.latest, ev.ts);
        }
        if let Some(t) = ev.ts {
            self.time_marks.note(t, ev.ts_from);
        }
        let evidence = ev.family == Family::AuthServer
            || (ev.family == Family::Client && self.client_lines_are_evidence);
        if line.is_none() && Self::only_counts(ev) {
            // Counted above and nothing more: what `count_events` does for
            // the events the bulk reader never ships.
            return Applied {
                cause: if evidence { ev.cause } else { None },
                ..Applied::default()
            };
        }
        if evidence {
            let (counted, cause) = self.apply_auth_server(ev, ts, line, None);
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
            match user {
                Some(user) if self.is_many(user) => self.overflow_times(ev).challenged = Some(ts),
                Some(user) => {
                    self.challenges.insert(user, ts);
                }
                None => {}
            }
            return given;
        }
        if ev.role == Role::GroupFallback {
            // The server group is unreachable and the headend falls back
            // (usually to LOCAL); the fallback's own 113012/113015 decides
            // the attempt. Counted for the group and the scope, not the user.
            if let Some(user) = user {
                let stats = &mut self.users[user].1;
                stats.seen_at(ts);
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
                    let own = self.is_many(user).then(|| self.overflow_times(ev));
                    let last_down = match own {
                        Some(t) => {
                            let next = ts.or(t.last_session_down);
                            std::mem::replace(&mut t.last_session_down, next)
                        }
                        None => self.users[user].1.last_session_down,
                    };
                    let stats = &mut self.users[user].1;
                    stats.seen_at(ts);
                    if !within(last_down, ts, SUCCESS_WINDOW) || last_down.is_none() {
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

/// Events and keys the tests of every part build incidents from.
#[cfg(test)]
mod fixtures {
    use super::*;
    pub fn at(secs: i64) -> Option<Timestamp> {
        Some(Timestamp::from_second(1_800_000_000 + secs).unwrap())
    }

    pub fn ev<'a>(
        secs: i64,
        id: &'a str,
        outcome: Outcome,
        user: &'a str,
        ip: &'a str,
    ) -> Event<'a> {
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

    /// A headend AAA rejection (113005) of `user` with `cause`.
    pub fn rejected<'a>(secs: i64, user: &'a str, ip: &'a str, cause: Cause) -> Event<'a> {
        let mut e = ev(secs, "113005", Outcome::Failure, user, ip);
        e.cause = Some(cause);
        e
    }

    pub fn named(n: &str) -> UserKey {
        UserKey::Named(n.into())
    }

    /// `key`'s row (an empty one when there is none).
    pub fn row(inc: &Incident, key: &UserKey) -> UserStats {
        inc.user(key).cloned().unwrap_or_default()
    }

    /// The `(other N users)` row.
    pub fn other_row(inc: &Incident) -> UserStats {
        inc.users()
            .find(|(k, _)| matches!(k, UserKey::Other(_)))
            .map(|(_, s)| s.clone())
            .expect("the other row")
    }

    pub fn lockout(secs: i64, user: &str) -> Event<'_> {
        let mut e = Event::new(Family::Headend, Outcome::Failure);
        e.ts = at(secs);
        e.msg_id = Some("113006");
        e.role = crate::parse::asa::role("113006");
        e.user = Some(user);
        e.cause = Some(Cause::AccountLocked);
        e
    }

    pub fn at_ref(family: Family, index: u64, secs: i64) -> LineRef {
        LineRef {
            family,
            index,
            ts: at(secs),
            cause: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::incident::fixtures::*;

    /// Bulk readers skip every headend line whose id the catalogue says the
    /// engine takes nothing from but its time (`asa::engine_takes`),
    /// counting it instead of applying it: that holds only if every such
    /// line parses to an event the engine only counts, whatever its body.
    #[test]
    fn every_line_bulk_readers_skip_is_one_the_engine_only_counts() {
        let bodies = [
            "Group <G> User <u> IP <192.0.2.1> AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.1 : user = u : user IP = 192.0.2.1, Username = u, Uname: u Reason: x",
            "Device completed SSL handshake with client outside:192.0.2.1/40344 to 192.0.2.10/443 for TLSv1.2 session. Reason: certificate expired, user = u, Server = 10.1.1.1",
            "DAP: User u, Addr 192.0.2.1, Connection AnyConnect: server group RADIUS-GRP failed, Peer[192.0.2.1] Session=0x0001",
            "AAA retrieved default group policy (P) for user = u, transaction status ACCEPT : user = u",
            "TunnelGroup T GroupPolicy P User <u> IP <192.0.2.1> Username = u, Group = G, Session Type: AnyConnect, Reason: x",
        ];
        let ctx = crate::parse::ParseContext::for_year(2026);
        let mut skipped = 0;
        for id in 100_000..=999_999u32 {
            if crate::parse::asa::engine_takes(id) {
                continue;
            }
            for body in bodies {
                let line = format!("Dec  5 08:14:02 asa-fw1 : %ASA-6-{id}: {body}");
                let Some(ev) = crate::parse::asa::parse(&line, &ctx) else {
                    panic!("not parsed: {line}");
                };
                assert!(Incident::only_counts(&ev), "{line}: {ev:?}");
                skipped += 1;
            }
        }
        assert!(skipped > 2_000_000, "{skipped} lines checked");
    }

    /// What one tracked user costs in the users list itself (a million-name
    /// spray keeps `--max-users` of them): no empty hash set, no second
    /// copy of the last address.
    #[test]
    fn a_tracked_user_stays_small() {
        let entry = std::mem::size_of::<(UserKey, UserStats)>();
        assert!(entry <= 456, "{entry} bytes per user");
    }

    #[test]
    fn a_laptop_line_naming_nobody_is_not_only_counted() {
        // The laptop named the user before; its later success line names
        // nobody but belongs to that user, so the bulk reader must ship it.
        let mut naming = Event::new(Family::Client, Outcome::Info);
        naming.ts = at(0);
        naming.host = Some("lap-7");
        naming.user = Some("ann");
        let mut up = Event::new(Family::Client, Outcome::Success);
        up.ts = at(1);
        up.host = Some("lap-7");
        assert!(!Incident::only_counts(&up));
        let mut inc = Incident::for_sources([Family::Client], IncidentLimits::default());
        inc.apply(&naming);
        inc.apply(&up);
        assert_eq!(inc.user(&named("ann")).map(|u| u.successes), Some(1));
    }

    #[test]
    fn an_event_that_only_counts_changes_nothing_else() {
        // Applying such an event and counting it leave the same incident.
        let mut plain = Event::new(Family::Headend, Outcome::Info);
        plain.ts = at(5);
        plain.client_ip = Some("192.0.2.9");
        plain.msg_id = Some("302013");
        assert!(Incident::only_counts(&plain));
        let mut applied = Incident::default();
        let mut counted = Incident::default();
        for inc in [&mut applied, &mut counted] {
            inc.apply(&ev(0, "113005", Outcome::Failure, "ann", "192.0.2.9"));
        }
        applied.apply(&plain);
        counted.count_events(1, plain.ts);
        assert_eq!(applied.totals(), counted.totals());
        assert_eq!(applied.latest(), counted.latest());
        let users = |i: &Incident| format!("{:?}", i.users().collect::<Vec<_>>());
        assert_eq!(users(&applied), users(&counted));
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
}
