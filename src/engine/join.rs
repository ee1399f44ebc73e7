//! Joining the headend's view of a failed login with the auth server's.
//!
//! The headend often says little ("AAA failure", or a hidden `*****` user);
//! the RADIUS / ISE / NPS / AD line for the same attempt says why. An
//! auth-server verdict and a headend attempt are the same login when they
//! are for the same client IP or the same user name and lie within
//! [`JOIN_WINDOW`] of each other. Sources are read independently (a headless
//! scan reads one file after the other), so the join works in either
//! arrival order: whichever side comes second finds the first. An attempt
//! takes one verdict of each kind, the auth server's and the client's
//! ([`VerdictKind`]), so the two never compete for it, and its cause is
//! settled from what each side said in one fixed order
//! ([`Attempt::settled`]), not in the order the lines arrived.
//!
//! This module only keeps the bookkeeping and decides matches; the incident
//! applies what a match means to the counts.

use std::collections::VecDeque;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::hashing::HashMap;
use crate::vocab::{Cause, Family};

/// How far apart (log time, either direction) a headend attempt and an
/// auth-server verdict may be and still be one login. Servers answer within
/// a RADIUS timeout; clocks of different devices drift by a few seconds.
pub const JOIN_WINDOW: SignedDuration = SignedDuration::from_secs(10);

/// Pending verdicts [`Joiner::unmatched`] looks at in each index, at
/// most: it is asked for every frame the dashboard draws after a change,
/// and a flood of auth-server lines must not make that slow.
const UNMATCHED_LOOKED_AT: usize = 32_768;

/// Attempts remembered for joining; older ones can no longer be joined.
const ATTEMPTS_CAP: usize = 65_536;

/// Entries remembered per client IP or user name. A join looks only a few
/// seconds around an event, but a headless read takes one file after the
/// other: a user's every verdict in the auth-server log (or every attempt in
/// the headend log) is remembered before the first line of the other file
/// is read, so the history must hold a long incident's worth of one user's
/// failures (one every 10 s for almost three hours), or the first of them
/// would join in one order of the files and not in the other.
const PER_KEY_CAP: usize = 1024;

/// Entries added to the indexes between prunings, at most: with
/// [`PER_KEY_CAP`] entries a key, the number of keys alone does not bound
/// them.
const ENTRIES_BETWEEN_PRUNES: usize = 4 * ATTEMPTS_CAP;

/// A failed attempt as the headend counted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub ts: Option<Timestamp>,
    /// Index of the user the attempt is counted for.
    pub user: usize,
    pub ip: Option<String>,
    /// The user's name, `None` while the headend hides it.
    pub name: Option<String>,
    /// The cause the attempt is counted and shown under. The incident sets
    /// it to [`Attempt::settled`] whenever a side says more (recounting the
    /// user's tally and re-showing the lines), so it lags only in between.
    pub cause: Cause,
    /// The retained lines of this attempt (its rejection and follow-up
    /// lines, by pane family and store index): when the attempt's cause
    /// changes, each of them is shown with the new one.
    pub lines: Vec<(crate::vocab::Family, u64)>,
    /// The reason the headend gave for the attempt (113005's `reason =
    /// …`): an attempt moved to another user (a hidden user named by a
    /// verdict or its WebVPN line) takes it along, so that user's last
    /// reason is what the headend said.
    pub reason: Option<Arc<str>>,
    /// What the headend's own lines said (the most specific of them).
    headend: Cause,
    /// What the joined auth-server verdict said, once one joined.
    server: Option<Cause>,
    /// What the joined client verdict said, once one joined.
    client: Option<Cause>,
}

impl Attempt {
    pub fn new(
        ts: Option<Timestamp>,
        user: usize,
        ip: Option<&str>,
        name: Option<String>,
        cause: Cause,
    ) -> Self {
        Attempt {
            ts,
            user,
            ip: ip.map(str::to_string),
            name,
            cause,
            lines: Vec::new(),
            reason: None,
            headend: cause,
            server: None,
            client: None,
        }
    }

    /// The attempt's cause from what each side said, taken in one fixed
    /// order whatever order the lines were read in: the headend's, then the
    /// client's verdict, then the auth server's, each replacing the cause
    /// so far when [`more_specific`] says so (the server, which knows why it
    /// refused, has the last word between two specific causes).
    pub fn settled(&self) -> Cause {
        [self.client, self.server]
            .into_iter()
            .flatten()
            .fold(self.headend, more_specific)
    }

    /// Notes that a line of `kind` (a headend follow-up line, or a further
    /// line of the verdict already joined) said `cause` about the attempt:
    /// each side keeps the most specific of what it said. The caller
    /// applies [`Attempt::settled`].
    pub fn hear(&mut self, kind: Side, cause: Cause) {
        let said = match kind {
            Side::Headend => {
                self.headend = more_specific(self.headend, cause);
                return;
            }
            Side::Verdict(VerdictKind::Server) => &mut self.server,
            Side::Verdict(VerdictKind::Client) => &mut self.client,
        };
        *said = Some(said.map_or(cause, |c| more_specific(c, cause)));
    }

    /// Whether a verdict of `kind` has joined the attempt.
    pub fn joined(&self, kind: VerdictKind) -> bool {
        match kind {
            VerdictKind::Server => self.server.is_some(),
            VerdictKind::Client => self.client.is_some(),
        }
    }
}

/// Which side's verdict: an attempt takes at most one of each, so a
/// client's "Login failed" and the auth server's reason for the same login
/// both join it, whichever is read first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerdictKind {
    /// An auth server's line, or the headend's debug trace relaying the
    /// directory's answer.
    Server,
    /// A client (laptop) log's failure line beside a headend log.
    Client,
}

impl VerdictKind {
    /// The kind of verdict a line of `family` gives.
    pub fn of(family: Family) -> Self {
        if family == Family::Client {
            VerdictKind::Client
        } else {
            VerdictKind::Server
        }
    }
}

/// Who said something about an attempt (see [`Attempt::hear`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The headend's own lines: the rejection and its follow-ups.
    Headend,
    Verdict(VerdictKind),
}

/// What the auth server said about a login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub kind: VerdictKind,
    pub ts: Option<Timestamp>,
    pub user: Option<String>,
    pub ip: Option<String>,
    pub cause: Cause,
    /// The verdict's own lines (family, index), shown with the cause of the
    /// attempt it joins: one cause per attempt on every line of it. One
    /// line, or several when a debug trace states its answer on more than
    /// one (see [`Joiner::amend`]).
    pub lines: Vec<(Family, u64)>,
    /// For a debug-trace verdict, when its trace session began: it is
    /// about a login at or after then, never an earlier attempt.
    pub since: Option<Timestamp>,
    /// From a debug trace (a `test aaa-server` from the headend's console
    /// is traced too, and is no VPN login).
    pub traced: bool,
}

/// Whether an attempt at `attempt` can be the login of a verdict whose
/// trace session began at `since`.
fn after_start(attempt: Option<Timestamp>, since: Option<Timestamp>) -> bool {
    since.is_none_or(|s| attempt.is_some_and(|t| t >= s))
}

/// What [`Joiner::amend`] found to amend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Amended {
    /// A verdict still waiting for its attempt: it now has the more
    /// specific `cause`, which the new line is shown with; `recause` holds
    /// the verdict's earlier lines when the cause they were shown with
    /// changed.
    Pending {
        cause: Cause,
        recause: Vec<(Family, u64)>,
    },
    /// An attempt already joined: its verdict now has the more specific
    /// cause, and the caller applies [`Attempt::settled`].
    Attempt(usize),
}

/// The cause a joined attempt is counted under. `other` says least, then
/// `bad_credentials` (what an "AAA failure" or a client's "Login failed" is
/// read as), then `unknown_user`; every other cause is specific. The auth
/// server knows why it refused, so its cause replaces a less specific
/// headend one, and a specific server cause replaces a specific headend
/// one; a generic verdict never replaces anything more specific (a client's
/// "Login failed" does not undo the headend's lockout).
pub fn more_specific(headend: Cause, server: Cause) -> Cause {
    let rank = |c: Cause| match c {
        Cause::Other => 0,
        Cause::BadCredentials => 1,
        Cause::UnknownUser => 2,
        _ => 3,
    };
    let (h, s) = (rank(headend), rank(server));
    if s > h || (s == 3 && h == 3) {
        server
    } else {
        headend
    }
}

#[derive(Debug, Default, Clone)]
pub struct Joiner {
    attempts: VecDeque<Attempt>,
    /// Id of `attempts[0]`; ids are stable for an attempt's lifetime.
    first_id: usize,
    /// Attempts (time and id) by client IP and by user name, each list in
    /// time order (see [`Timed`]).
    attempts_by_ip: HashMap<String, VecDeque<(Timestamp, usize)>>,
    attempts_by_name: HashMap<String, VecDeque<(Timestamp, usize)>>,
    /// Verdicts that have not met their attempt yet, in time order.
    pending_by_ip: HashMap<String, VecDeque<Verdict>>,
    pending_by_name: HashMap<String, VecDeque<Verdict>>,
    /// Changes to what [`Joiner::unmatched`] depends on: attempts and
    /// pending verdicts added, taken or dropped.
    generation: u64,
    /// Index sizes at which keys are next pruned (twice what was left at
    /// the last pruning, so pruning is O(1) per attempt amortised).
    prune_at: usize,
    /// Entries added to the indexes since the last pruning.
    added: usize,
}

/// Keys an index holds before it is first pruned: attempts that have left
/// the kept [`ATTEMPTS_CAP`] are dropped from the attempt indexes, and the
/// older half of the pending verdicts (by time) goes. A spray of a million
/// names would otherwise keep a million keys.
const INDEX_KEYS: usize = 2 * ATTEMPTS_CAP;

/// Drops the older half (by their newest verdict's time) of `map`'s keys.
fn prune_pending(map: &mut HashMap<String, VecDeque<Verdict>>) {
    let newest = |list: &VecDeque<Verdict>| list.back().and_then(|v| v.ts);
    let mut times: Vec<Option<Timestamp>> = map.values().map(newest).collect();
    times.sort_unstable();
    let cut = times[times.len() / 2];
    map.retain(|_, list| !list.is_empty() && newest(list) > cut);
}

/// Whether `verdict` is counted by [`Joiner::unmatched`] when it meets no
/// attempt: an auth server's line. Not a client's (a failed client attempt
/// leaves several lines; those the headend never sees, a certificate or
/// the network, are counted as attempts already), nor a debug trace's
/// (`test aaa-server` from the headend's console is traced too, and is no
/// VPN login).
fn counts_if_unmatched(verdict: &Verdict) -> bool {
    verdict.kind == VerdictKind::Server && !verdict.traced
}

/// Whether the index by client IP counts `verdict` (it has an address),
/// else the index by name: each pending verdict is counted once.
fn counted_by_ip(verdict: &Verdict) -> bool {
    verdict.ip.is_some()
}

fn close(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<SignedDuration> {
    match (a, b) {
        (Some(a), Some(b)) => {
            let d = a.duration_since(b).abs();
            (d <= JOIN_WINDOW).then_some(d)
        }
        // Lines without a time cannot be placed; they are never joined.
        _ => None,
    }
}

/// An entry of an index list, placed by its log time. A list is kept in
/// time order (arrival order among equal times), so a join looks only at
/// the entries within [`JOIN_WINDOW`] of a time, however long the list.
trait Timed {
    fn at(&self) -> Option<Timestamp>;
}

impl Timed for (Timestamp, usize) {
    fn at(&self) -> Option<Timestamp> {
        Some(self.0)
    }
}

impl Timed for Verdict {
    fn at(&self) -> Option<Timestamp> {
        self.ts
    }
}

/// Adds `value` to `key`'s list in time order (the earliest goes past
/// [`PER_KEY_CAP`]), counting it in `added`. An entry without a time is
/// not remembered: it can never be joined.
fn remember<T: Timed>(
    map: &mut HashMap<String, VecDeque<T>>,
    key: &str,
    value: T,
    added: &mut usize,
) {
    let Some(at) = value.at() else { return };
    *added += 1;
    let list = match map.get_mut(key) {
        Some(list) => list,
        None => map.entry(key.to_string()).or_default(),
    };
    if list.len() >= PER_KEY_CAP {
        list.pop_front();
    }
    // Lines mostly come in time order: usually at the back.
    let place = list.partition_point(|e| e.at() <= Some(at));
    list.insert(place, value);
}

/// The entries of `list` within [`JOIN_WINDOW`] of `ts`, in time order;
/// none without a time.
fn near<T: Timed>(list: Option<&VecDeque<T>>, ts: Option<Timestamp>) -> impl Iterator<Item = &T> {
    let range = match (list, ts) {
        (Some(list), Some(ts)) => {
            let from = ts.checked_sub(JOIN_WINDOW).ok();
            let to = ts.checked_add(JOIN_WINDOW).ok();
            let lo = from.map_or(0, |f| list.partition_point(|e| e.at() < Some(f)));
            let hi = to.map_or(list.len(), |t| list.partition_point(|e| e.at() <= Some(t)));
            Some(list.range(lo..hi.max(lo)))
        }
        _ => None,
    };
    range.into_iter().flatten()
}

/// Removes `verdict` from `list`, looking only among entries of its time.
fn forget(list: &mut VecDeque<Verdict>, verdict: &Verdict) {
    let mut i = list.partition_point(|v| v.ts < verdict.ts);
    let mut end = list.partition_point(|v| v.ts <= verdict.ts);
    while i < end {
        if list[i] == *verdict {
            list.remove(i);
            end -= 1;
        } else {
            i += 1;
        }
    }
}

impl Joiner {
    pub fn attempt(&self, id: usize) -> Option<&Attempt> {
        self.attempts.get(id.checked_sub(self.first_id)?)
    }

    pub fn attempt_mut(&mut self, id: usize) -> Option<&mut Attempt> {
        self.attempts.get_mut(id.checked_sub(self.first_id)?)
    }

    /// Records a new attempt. Returns its id and the pending verdicts that
    /// match it (now consumed), at most one of each [`VerdictKind`]. Their
    /// causes are noted in the attempt; the caller applies
    /// [`Attempt::settled`].
    pub fn add_attempt(&mut self, mut attempt: Attempt) -> (usize, Vec<Verdict>) {
        self.generation += 1;
        let verdicts = self.take_pending(&attempt);
        for v in &verdicts {
            attempt.hear(Side::Verdict(v.kind), v.cause);
        }
        let id = self.first_id + self.attempts.len();
        // Without a time the attempt is never joined, nor indexed.
        if let Some(ts) = attempt.ts {
            if let Some(ip) = &attempt.ip {
                remember(&mut self.attempts_by_ip, ip, (ts, id), &mut self.added);
            }
            if let Some(name) = &attempt.name {
                remember(&mut self.attempts_by_name, name, (ts, id), &mut self.added);
            }
        }
        self.prune();
        self.attempts.push_back(attempt);
        if self.attempts.len() > ATTEMPTS_CAP {
            self.attempts.pop_front();
            self.first_id += 1;
        }
        (id, verdicts)
    }

    /// Tells the joiner that attempt `id` now belongs to a named user (its
    /// WebVPN line named the user the AAA line hid).
    pub fn rename(&mut self, id: usize, user: usize, name: &str) {
        let Some(a) = self.attempt_mut(id) else {
            return;
        };
        a.user = user;
        a.name = Some(name.to_string());
        if let Some(ts) = a.ts {
            remember(&mut self.attempts_by_name, name, (ts, id), &mut self.added);
        }
    }

    /// Records a verdict. Returns the id of the attempt it belongs to (one
    /// no verdict of its kind has joined yet; its cause is noted in the
    /// attempt and the caller applies [`Attempt::settled`]), or keeps it
    /// pending for a later attempt.
    pub fn add_verdict(&mut self, verdict: Verdict) -> Option<usize> {
        let mut best: Option<(SignedDuration, usize)> = None;
        let by_ip = verdict
            .ip
            .as_ref()
            .and_then(|ip| self.attempts_by_ip.get(ip));
        let by_name = verdict
            .user
            .as_ref()
            .and_then(|n| self.attempts_by_name.get(n));
        let candidates = near(by_ip, verdict.ts).chain(near(by_name, verdict.ts));
        for &(_, id) in candidates {
            let Some(a) = self.attempt(id) else { continue };
            if a.joined(verdict.kind) || !after_start(a.ts, verdict.since) {
                continue;
            }
            if let Some(d) = close(a.ts, verdict.ts)
                && best.is_none_or(|(bd, _)| d < bd)
            {
                best = Some((d, id));
            }
        }
        if let Some((_, id)) = best {
            if let Some(a) = self.attempt_mut(id) {
                a.hear(Side::Verdict(verdict.kind), verdict.cause);
            }
            return Some(id);
        }
        self.prune();
        self.generation += 1;
        if let Some(ip) = verdict.ip.clone() {
            remember(
                &mut self.pending_by_ip,
                &ip,
                verdict.clone(),
                &mut self.added,
            );
        }
        if let Some(name) = verdict.user.clone() {
            remember(&mut self.pending_by_name, &name, verdict, &mut self.added);
        }
        None
    }

    /// A further verdict on a login another verdict is already about: a
    /// debug trace states the directory's answer, then the AAA
    /// transaction's, then the WebVPN request's, each on its own line, and
    /// all are one login. Amends the pending verdict for `name` (else the
    /// attempt for `name` already joined) that lies within [`JOIN_WINDOW`]
    /// of `verdict` and not before `since` (when the trace session of the
    /// new line began: an older verdict or attempt is another login's). The
    /// amended verdict keeps the more specific cause ([`more_specific`]).
    /// `None` when there is nothing to amend: the verdict is a new one.
    pub fn amend(
        &mut self,
        name: &str,
        since: Option<Timestamp>,
        verdict: &Verdict,
    ) -> Option<Amended> {
        self.generation += 1;
        let in_run = |ts: Option<Timestamp>| after_start(ts, since);
        let pending = near(self.pending_by_name.get(name), verdict.ts)
            .filter(|v| v.kind == verdict.kind && in_run(v.ts))
            .filter_map(|v| close(v.ts, verdict.ts).map(|d| (d, v.clone())))
            .min_by_key(|(d, _)| *d)
            .map(|(_, v)| v);
        if let Some(old) = pending {
            let mut new = old.clone();
            new.cause = more_specific(old.cause, verdict.cause);
            let recause = if new.cause == old.cause {
                Vec::new()
            } else {
                old.lines.clone()
            };
            new.lines.extend(verdict.lines.iter().copied());
            // A verdict is remembered under its own address and name.
            let keys = [
                (&mut self.pending_by_ip, old.ip.as_deref()),
                (&mut self.pending_by_name, old.user.as_deref()),
            ];
            for (map, key) in keys {
                if let Some(list) = key.and_then(|k| map.get_mut(k)) {
                    for v in list.iter_mut().filter(|v| **v == old) {
                        *v = new.clone();
                    }
                }
            }
            return Some(Amended::Pending {
                cause: new.cause,
                recause,
            });
        }
        let id = near(self.attempts_by_name.get(name), verdict.ts)
            .filter_map(|&(_, id)| self.attempt(id).map(|a| (id, a)))
            .filter(|(_, a)| a.joined(verdict.kind) && in_run(a.ts))
            .filter_map(|(id, a)| close(a.ts, verdict.ts).map(|d| (d, id)))
            .min_by_key(|(d, _)| *d)
            .map(|(_, id)| id)?;
        if let Some(a) = self.attempt_mut(id) {
            a.hear(Side::Verdict(verdict.kind), verdict.cause);
        }
        Some(Amended::Attempt(id))
    }

    /// The closest pending verdict of each kind for an attempt, removed
    /// from both indexes.
    fn take_pending(&mut self, attempt: &Attempt) -> Vec<Verdict> {
        // By kind: [server, client].
        let mut best: [Option<(SignedDuration, Verdict)>; 2] = [None, None];
        let by_ip = attempt
            .ip
            .as_ref()
            .and_then(|ip| self.pending_by_ip.get(ip));
        let by_name = attempt
            .name
            .as_ref()
            .and_then(|n| self.pending_by_name.get(n));
        for v in near(by_ip, attempt.ts).chain(near(by_name, attempt.ts)) {
            if !after_start(attempt.ts, v.since) {
                continue;
            }
            let slot = &mut best[usize::from(v.kind == VerdictKind::Client)];
            if let Some(d) = close(v.ts, attempt.ts)
                && slot.as_ref().is_none_or(|(bd, _)| d < *bd)
            {
                *slot = Some((d, v.clone()));
            }
        }
        let verdicts: Vec<Verdict> = best.into_iter().flatten().map(|(_, v)| v).collect();
        for verdict in &verdicts {
            // A verdict is remembered under its own address and name only.
            let keys = [
                (&mut self.pending_by_ip, verdict.ip.as_deref()),
                (&mut self.pending_by_name, verdict.user.as_deref()),
            ];
            for (map, key) in keys {
                if let Some(list) = key.and_then(|k| map.get_mut(k)) {
                    forget(list, verdict);
                }
            }
        }
        verdicts
    }

    /// Keeps the indexes bounded (see [`INDEX_KEYS`]).
    fn prune(&mut self) {
        let at = self.prune_at.max(INDEX_KEYS);
        if self.index_keys() <= at && self.added <= ENTRIES_BETWEEN_PRUNES {
            return;
        }
        self.added = 0;
        self.generation += 1;
        let first = self.first_id;
        // All at once, so that the next pruning comes when the largest
        // index has doubled again, not when each one has.
        for map in [&mut self.attempts_by_ip, &mut self.attempts_by_name] {
            map.retain(|_, ids| {
                ids.retain(|&(_, id)| id >= first);
                !ids.is_empty()
            });
        }
        for map in [&mut self.pending_by_ip, &mut self.pending_by_name] {
            if !map.is_empty() {
                prune_pending(map);
            }
        }
        self.prune_at = (2 * self.index_keys()).max(INDEX_KEYS);
    }

    /// Auth servers' failure verdicts that met no headend attempt: those
    /// still waiting from before `past` (a time the headend's own log has
    /// moved [`JOIN_WINDOW`] beyond, so their attempt would have come by
    /// then) with no attempt near them at all. A verdict with an attempt
    /// near it (one that another verdict of the login joined first) is
    /// about a login the headend shows. Decided from what is held when
    /// asked, so the same whatever order the sources were read in, while
    /// the indexes are within their bounds. Each is counted once, though
    /// it waits under both its address and its name. Verdicts dropped to
    /// stay bounded (pruning, a per-key list that overflowed) are not
    /// counted, nor are those past the first [`UNMATCHED_LOOKED_AT`]: the
    /// count is then low, never high. Only auth servers' lines count (see
    /// [`counts_if_unmatched`]).
    pub fn unmatched(&self, past: Timestamp) -> u64 {
        let Ok(before) = past.checked_sub(JOIN_WINDOW) else {
            return 0;
        };
        let near_attempt = |v: &Verdict| {
            let by_ip = v.ip.as_ref().and_then(|ip| self.attempts_by_ip.get(ip));
            let by_name = v.user.as_ref().and_then(|n| self.attempts_by_name.get(n));
            near(by_ip, v.ts)
                .chain(near(by_name, v.ts))
                .next()
                .is_some()
        };
        let waiting = |map: &HashMap<String, VecDeque<Verdict>>, by_ip: bool| -> u64 {
            map.values()
                .flat_map(|list| list.iter())
                .take(UNMATCHED_LOOKED_AT)
                .filter(|v| counts_if_unmatched(v) && counted_by_ip(v) == by_ip)
                .filter(|v| v.ts.is_some_and(|t| t < before))
                .filter(|v| !near_attempt(v))
                .count() as u64
        };
        waiting(&self.pending_by_ip, true) + waiting(&self.pending_by_name, false)
    }

    /// Changes to what [`Joiner::unmatched`] depends on since the joiner
    /// was made: a caller that keeps its answer asks again only when this
    /// moved.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Keys in the largest index.
    fn index_keys(&self) -> usize {
        [
            self.attempts_by_ip.len(),
            self.attempts_by_name.len(),
            self.pending_by_ip.len(),
            self.pending_by_name.len(),
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Option<Timestamp> {
        Timestamp::from_second(1_800_000_000 + s).ok()
    }

    fn verdict(s: i64, user: Option<&str>, ip: Option<&str>, cause: Cause) -> Verdict {
        Verdict {
            kind: VerdictKind::Server,
            ts: t(s),
            user: user.map(str::to_string),
            ip: ip.map(str::to_string),
            cause,
            lines: Vec::new(),
            since: None,
            traced: false,
        }
    }

    #[test]
    fn a_verdict_after_its_attempt_joins_it() {
        let mut j = Joiner::default();
        let (id, pending) = j.add_attempt(Attempt::new(
            t(0),
            1,
            Some("192.0.2.1"),
            Some("ann".into()),
            Cause::BadCredentials,
        ));
        assert_eq!(pending, []);
        assert_eq!(
            j.add_verdict(verdict(2, Some("ann"), None, Cause::AccountLocked)),
            Some(id)
        );
        assert_eq!(
            j.add_verdict(verdict(3, Some("ann"), None, Cause::AccountLocked)),
            None,
            "an attempt joins once"
        );
    }

    #[test]
    fn an_attempt_takes_one_verdict_of_each_kind_in_any_order() {
        let client = |s| Verdict {
            kind: VerdictKind::Client,
            ..verdict(s, Some("ann"), None, Cause::BadCredentials)
        };
        let server = |s| verdict(s, Some("ann"), None, Cause::AccountLocked);
        let attempt = || Attempt::new(t(0), 1, None, Some("ann".into()), Cause::TokenRequired);
        // Attempt first, then the two verdicts in either order.
        for client_first in [true, false] {
            let mut j = Joiner::default();
            let (id, _) = j.add_attempt(attempt());
            let (first, second) = if client_first {
                (client(1), server(1))
            } else {
                (server(1), client(1))
            };
            assert_eq!(j.add_verdict(first), Some(id));
            assert_eq!(j.add_verdict(second), Some(id), "the other kind joins too");
            assert_eq!(j.add_verdict(client(2)), None, "one of each kind");
            assert_eq!(
                j.attempt(id).map(Attempt::settled),
                Some(Cause::AccountLocked)
            );
        }
        // Both verdicts waiting: the attempt takes both.
        let mut j = Joiner::default();
        assert_eq!(j.add_verdict(client(1)), None);
        assert_eq!(j.add_verdict(server(1)), None);
        let (id, joined) = j.add_attempt(attempt());
        let kinds: Vec<_> = joined.iter().map(|v| v.kind).collect();
        assert_eq!(kinds, [VerdictKind::Server, VerdictKind::Client]);
        assert_eq!(
            j.attempt(id).map(Attempt::settled),
            Some(Cause::AccountLocked)
        );
    }

    #[test]
    fn the_settled_cause_takes_each_side_in_one_order() {
        // A specific client cause and a specific server cause: the server's
        // stays, whichever was heard first.
        for server_first in [true, false] {
            let mut a = Attempt::new(t(0), 1, None, None, Cause::BadCredentials);
            let said = [
                (Side::Verdict(VerdictKind::Server), Cause::PasswordExpired),
                (Side::Verdict(VerdictKind::Client), Cause::Certificate),
            ];
            for i in 0..2 {
                let (side, cause) = said[if server_first { i } else { 1 - i }];
                a.hear(side, cause);
            }
            assert_eq!(a.settled(), Cause::PasswordExpired);
        }
        // The headend's follow-up line counts whenever it comes.
        let mut a = Attempt::new(t(0), 1, None, None, Cause::BadCredentials);
        a.hear(Side::Verdict(VerdictKind::Client), Cause::BadCredentials);
        a.hear(Side::Headend, Cause::AccountLocked);
        assert_eq!(a.settled(), Cause::AccountLocked);
    }

    #[test]
    fn a_further_trace_verdict_amends_the_one_of_its_login() {
        let mut j = Joiner::default();
        let mut first = verdict(0, Some("ann"), None, Cause::AccountLocked);
        first.lines = vec![(Family::Headend, 1)];
        assert_eq!(j.add_verdict(first), None);
        // A generic verdict of the same trace keeps the specific cause.
        let mut aaa = verdict(1, Some("ann"), None, Cause::BadCredentials);
        aaa.lines = vec![(Family::Headend, 2)];
        assert_eq!(
            j.amend("ann", t(0), &aaa),
            Some(Amended::Pending {
                cause: Cause::AccountLocked,
                recause: Vec::new()
            })
        );
        // The attempt takes the one verdict, with both lines.
        let (id, joined) = j.add_attempt(Attempt::new(
            t(2),
            1,
            None,
            Some("ann".into()),
            Cause::Other,
        ));
        assert_eq!(joined.len(), 1);
        let joined = &joined[0];
        assert_eq!(joined.cause, Cause::AccountLocked);
        assert_eq!(joined.lines.len(), 2);
        // A late line of the same trace amends the joined attempt; a trace
        // session that began after the attempt is another login's.
        let late = verdict(3, Some("ann"), None, Cause::BadCredentials);
        assert_eq!(j.amend("ann", t(0), &late), Some(Amended::Attempt(id)));
        assert_eq!(j.amend("ann", t(3), &late), None);
        assert_eq!(j.amend("bob", t(0), &late), None);
    }

    #[test]
    fn a_verdict_before_its_attempt_waits_for_it() {
        let mut j = Joiner::default();
        assert_eq!(
            j.add_verdict(verdict(
                0,
                Some("bo"),
                Some("192.0.2.2"),
                Cause::UnknownUser
            )),
            None
        );
        let (_, pending) = j.add_attempt(Attempt::new(
            t(1),
            4,
            Some("192.0.2.2"),
            None,
            Cause::UnknownUser,
        ));
        let users: Vec<_> = pending.into_iter().map(|v| v.user).collect();
        assert_eq!(users, [Some("bo".to_string())]);
        let (_, again) = j.add_attempt(Attempt::new(
            t(2),
            4,
            Some("192.0.2.2"),
            None,
            Cause::UnknownUser,
        ));
        assert_eq!(again, [], "the verdict was consumed");
    }

    #[test]
    fn the_window_is_ten_seconds_either_way() {
        let mut j = Joiner::default();
        let (id, _) = j.add_attempt(Attempt::new(
            t(100),
            1,
            Some("192.0.2.3"),
            None,
            Cause::Other,
        ));
        assert_eq!(
            j.add_verdict(verdict(89, None, Some("192.0.2.3"), Cause::Other)),
            None,
            "11 s before"
        );
        assert_eq!(
            j.add_verdict(verdict(110, None, Some("192.0.2.3"), Cause::Other)),
            Some(id),
            "10 s after"
        );
    }

    #[test]
    fn the_closest_attempt_wins() {
        let mut j = Joiner::default();
        let (_, _) = j.add_attempt(Attempt::new(t(0), 1, Some("192.0.2.4"), None, Cause::Other));
        let (second, _) =
            j.add_attempt(Attempt::new(t(8), 1, Some("192.0.2.4"), None, Cause::Other));
        assert_eq!(
            j.add_verdict(verdict(7, None, Some("192.0.2.4"), Cause::Other)),
            Some(second)
        );
    }

    #[test]
    fn a_users_whole_file_of_verdicts_waits_for_its_attempts() {
        // The auth-server log read first: all of ann's verdicts wait, then
        // each attempt takes the one of its own time, the first included.
        let mut j = Joiner::default();
        let n = 600;
        for i in 0..n {
            let cause = if i == 0 {
                Cause::AccountLocked
            } else {
                Cause::BadCredentials
            };
            assert_eq!(
                j.add_verdict(verdict(30 * i + 1, Some("ann"), None, cause)),
                None
            );
        }
        for i in 0..n {
            let (_, joined) = j.add_attempt(Attempt::new(
                t(30 * i),
                1,
                None,
                Some("ann".into()),
                Cause::Other,
            ));
            let times: Vec<_> = joined.iter().map(|v| v.ts).collect();
            assert_eq!(times, [t(30 * i + 1)], "attempt {i}");
            if i == 0 {
                assert_eq!(joined[0].cause, Cause::AccountLocked);
            }
        }
        assert!(j.pending_by_name.values().all(VecDeque::is_empty));
    }

    #[test]
    fn lines_without_time_never_join() {
        let mut j = Joiner::default();
        j.add_attempt(Attempt::new(None, 1, Some("192.0.2.5"), None, Cause::Other));
        assert_eq!(
            j.add_verdict(Verdict {
                kind: VerdictKind::Server,
                ts: None,
                user: None,
                ip: Some("192.0.2.5".into()),
                cause: Cause::Other,
                lines: Vec::new(),
                since: None,
                traced: false,
            }),
            None
        );
    }

    #[test]
    fn the_indexes_stay_bounded_under_a_million_names() {
        let mut j = Joiner::default();
        let n = 2 * INDEX_KEYS + 100;
        for i in 0..n {
            let name = format!("n{i}");
            let ip = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            let ts = Timestamp::from_second(1_800_000_000 + i as i64).ok();
            j.add_attempt(Attempt::new(
                ts,
                i,
                Some(&ip),
                Some(name.clone()),
                Cause::Other,
            ));
            // A verdict for a user the headend never saw stays pending.
            j.add_verdict(Verdict {
                kind: VerdictKind::Server,
                ts,
                user: Some(format!("x{i}")),
                ip: None,
                cause: Cause::Other,
                lines: Vec::new(),
                since: None,
                traced: false,
            });
        }
        assert!(j.index_keys() <= INDEX_KEYS + 1, "{}", j.index_keys());
        // The newest still join.
        let last = Timestamp::from_second(1_800_000_000 + n as i64 - 1).ok();
        let hit = j.add_verdict(Verdict {
            kind: VerdictKind::Server,
            ts: last,
            user: Some(format!("n{}", n - 1)),
            ip: None,
            cause: Cause::Other,
            lines: Vec::new(),
            since: None,
            traced: false,
        });
        assert_eq!(hit, Some(n - 1));
    }

    #[test]
    fn specificity() {
        use Cause::*;
        let cases = [
            (BadCredentials, AccountLocked, AccountLocked),
            (Other, PasswordExpired, PasswordExpired),
            (Other, BadCredentials, BadCredentials),
            (AccountLocked, Other, AccountLocked),
            (AccountLocked, BadCredentials, AccountLocked),
            (TokenRequired, BadCredentials, TokenRequired),
            (UnknownUser, BadCredentials, UnknownUser),
            (UnknownUser, AccountDisabled, AccountDisabled),
            (BadCredentials, UnknownUser, UnknownUser),
            (TokenRequired, AccountLocked, AccountLocked),
            (BadCredentials, BadCredentials, BadCredentials),
        ];
        for (headend, server, expected) in cases {
            assert_eq!(
                more_specific(headend, server),
                expected,
                "{headend} + {server}"
            );
        }
    }

    /// An auth server's failure that met no attempt counts once the
    /// headend's log has come past it, once whether it waits under its
    /// address, its name or both; not one with an attempt near it (a
    /// second verdict on a login the headend shows), a client's, or a
    /// debug trace's.
    #[test]
    fn unmatched_counts_auth_server_failures_no_attempt_came_for() {
        let mut j = Joiner::default();
        let (id, _) = j.add_attempt(Attempt::new(
            t(100),
            0,
            Some("192.0.2.1"),
            Some("ann".into()),
            Cause::BadCredentials,
        ));
        assert_eq!(
            j.add_verdict(verdict(101, Some("ann"), None, Cause::BadCredentials)),
            Some(id)
        );
        // The attempt is joined: a second verdict on it waits, but is about
        // a login the headend shows.
        assert_eq!(
            j.add_verdict(verdict(102, Some("ann"), None, Cause::AccountLocked)),
            None
        );
        // No attempt near these.
        j.add_verdict(verdict(
            200,
            Some("bob"),
            Some("192.0.2.2"),
            Cause::BadCredentials,
        ));
        j.add_verdict(verdict(210, None, Some("192.0.2.3"), Cause::BadCredentials));
        j.add_verdict(verdict(220, Some("cy"), None, Cause::BadCredentials));
        j.add_verdict(Verdict {
            kind: VerdictKind::Client,
            ..verdict(230, Some("dee"), None, Cause::BadCredentials)
        });
        // A debug trace's answer, its session's start not seen.
        j.add_verdict(Verdict {
            traced: true,
            ..verdict(240, Some("eve"), None, Cause::AccountLocked)
        });
        let past = |s| t(s).unwrap();
        // Not before the headend has come JOIN_WINDOW past each.
        assert_eq!(j.unmatched(past(205)), 0);
        assert_eq!(j.unmatched(past(211)), 1);
        assert_eq!(j.unmatched(past(300)), 3, "bob, 192.0.2.3 and cy");
        // A later attempt takes a waiting verdict: no longer unmatched.
        j.add_attempt(Attempt::new(
            t(221),
            1,
            None,
            Some("cy".into()),
            Cause::Other,
        ));
        assert_eq!(j.unmatched(past(300)), 2);
    }
}
