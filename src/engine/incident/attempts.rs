//! What counts as one failed login attempt: a rejection and its WebVPN
//! line within [`ATTEMPT_WINDOW`], a lockout notice folded into the attempt
//! it ends, a generic rejection after a token challenge, a hidden user's
//! attempt moved to the name a later line gives; and the spray hooks that
//! count a spraying address's attempts apart (see [`crate::engine::spray`]).

use std::sync::Arc;

use jiff::Timestamp;

/// Open attempts kept before expired ones are dropped.
const OPEN_PRUNE_ABOVE: usize = 4096;

use super::users::FailureMarks;
use super::{
    ATTEMPT_WINDOW, Applied, CHALLENGE_WINDOW, Incident, LineRef, UserKey, decrement, within,
};
use crate::engine::join::{self, Attempt, Side};
use crate::engine::spray::{Seen, Tried};
use crate::parse::{Cause, Event, Family, Role};

#[derive(Clone, Debug)]
pub(super) struct OpenAttempt {
    ts: Option<Timestamp>,
    user: usize,
    hidden: bool,
    /// The rejection line, handed to the named user if the attempt moves.
    line: Option<LineRef>,
    /// The attempt's id in the join with auth-server verdicts.
    attempt: usize,
    /// A hidden user's failure marks before the attempt was counted: what
    /// its taking back restores.
    before: Option<FailureMarks>,
}

impl Incident {
    /// Drops the open attempts whose follow-up line can no longer come
    /// (older than [`ATTEMPT_WINDOW`] before `ts`) once the map has doubled
    /// since the last time: O(1) per attempt amortised, and a million
    /// addresses leave no million entries behind.
    pub(super) fn expire_open_attempts(&mut self, ts: Option<Timestamp>) {
        if self.open_attempts.len() < self.open_prune_at.max(OPEN_PRUNE_ABOVE) {
            return;
        }
        if let Some(now) = ts {
            self.open_attempts
                .retain(|_, a| a.ts.is_none_or(|t| now.duration_since(t) <= ATTEMPT_WINDOW));
        }
        if self.open_attempts.len() >= OPEN_PRUNE_ABOVE {
            // Still full (lines without a time, or all in the window):
            // the oldest half goes.
            let mut times: Vec<Option<Timestamp>> =
                self.open_attempts.values().map(|a| a.ts).collect();
            times.sort_unstable();
            let cut = times[times.len() / 2];
            self.open_attempts.retain(|_, a| a.ts > cut);
        }
        self.open_prune_at = 2 * self.open_attempts.len();
    }

    pub(super) fn apply_failure(
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
        // `(other N users)` stands for many people: one's lockout notice or
        // client line is no follow-on of another's failure.
        let many = self.is_many(user);
        if many && let Some(applied) = self.fold_overflow(ev, cause, ts) {
            return applied;
        }
        if !many && let Some(applied) = self.fold_lockout(ev, user, ts, line) {
            return applied;
        }
        if ev.family == Family::Client
            && !many
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
            stats.seen_at(ts);
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
            // A verdict may have moved the attempt off the address already
            // (an auth-server line read before this one named the user):
            // then this line is a follow-up of the moved attempt, not a
            // second move (which took another attempt off the address).
            let still_there = self
                .join
                .attempt(open.attempt)
                .is_none_or(|a| a.user == open.user);
            if open.user != user && still_there {
                // The first line hid the name; this one names the user, so
                // the attempt moves to them.
                let moved_cause = self.retract_failure(open.user, open.ts, open.before);
                if matches!(self.users.get(open.user), Some((UserKey::Hidden(_), _))) {
                    self.note_named(open.user, user);
                }
                self.open_attempts.remove(ip);
                let moved_cause = moved_cause.unwrap_or(cause);
                let counted = self.spray_check(ev, user, moved_cause, ts);
                // The WebVPN line gives no reason: the AAA line's moves too.
                let first_reason = self
                    .join
                    .attempt(open.attempt)
                    .and_then(|a| a.reason.clone());
                let reason = ev.reason.or(first_reason.as_deref());
                self.record_failure(counted, moved_cause, ev, reason, ts);
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
                stats.seen_at(ts);
            }
            // One cause per attempt: a more specific follow-up line gives
            // the attempt (and its earlier lines) its cause, and a generic
            // one is shown with the attempt's.
            self.hear_attempt(open.attempt, Side::Headend, cause);
            let shown = self.join.attempt(open.attempt).map_or(cause, |a| a.cause);
            if let Some(l) = line {
                if let Some(a) = self.join.attempt_mut(open.attempt) {
                    a.lines.push((l.family, l.index));
                }
                // Filed above, under `user`, with the line's own cause.
                if l.cause != Some(shown) {
                    self.recause_filed(user, l.family, l.index, shown);
                }
                // A verdict may have named the attempt since its first line
                // (the headend hid the name): its follow-up lines are the
                // named user's too.
                let owner = self.join.attempt(open.attempt).map_or(user, |a| a.user);
                if owner != user
                    && let Some((_, stats)) = self.users.get_mut(owner)
                {
                    stats.file_once(LineRef {
                        cause: Some(shown),
                        ..l
                    });
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
        let before = hidden.then(|| self.users[user].1.failure_marks());
        self.record_failure(user, cause, ev, ev.reason, ts);
        let name = match &self.users[named_user].0 {
            UserKey::Named(n) => Some(n.clone()),
            // A name past the cap on tracked users is still the name the
            // auth server's verdict is joined by.
            UserKey::Other(_) => ev
                .user
                .filter(|u| *u != super::HIDDEN_USER)
                .map(|u| super::capped_name(u).into_owned()),
            UserKey::Hidden(_) | UserKey::Spray(_) => None,
        };
        if ev.family == Family::Headend {
            self.join_watch.attempt(ts);
        }
        let mut new = Attempt::new(ts, user, ev.client_ip, name, cause);
        new.reason = ev.reason.map(|r| self.texts.get(r));
        if let Some(l) = line {
            new.lines.push((l.family, l.index));
        }
        let (attempt, verdicts) = self.join.add_attempt(new);
        let stats = &mut self.users[user].1;
        stats.last_attempt = Some(attempt);
        stats.lone_lockout = (ev.role == Role::LockoutNotice).then_some(ts).flatten();
        if ev.role == Role::AaaRejection
            && let Some(ip) = ev.client_ip
        {
            self.expire_open_attempts(ts);
            self.open_attempts.insert(
                ip.to_string(),
                OpenAttempt {
                    ts,
                    // Its WebVPN line names the user tried, also in a spray.
                    user: named_user,
                    hidden,
                    line,
                    attempt,
                    before,
                },
            );
        }
        for verdict in &verdicts {
            self.apply_join(attempt, verdict);
        }
        Applied {
            new_attempt: true,
            cause: Some(self.join.attempt(attempt).map_or(cause, |a| a.cause)),
            ..Applied::default()
        }
    }

    /// [`Incident::fold_lockout`] and the client attempt window for a user
    /// counted under `(other N users)`, on that user's own times; else
    /// notes the new attempt's times and returns `None`.
    fn fold_overflow(
        &mut self,
        ev: &Event,
        cause: Cause,
        ts: Option<Timestamp>,
    ) -> Option<Applied> {
        let t = self.overflow_times(ev);
        let after_failure = t.last_failure.is_some()
            && within(t.last_failure, ts, ATTEMPT_WINDOW)
            && t.last_success.is_none_or(|s| t.last_failure > Some(s));
        let shown = match ev.role {
            Role::LockoutNotice if after_failure => Some(Cause::AccountLocked),
            Role::AaaRejection
                if t.lone_lockout.is_some() && within(t.lone_lockout, ts, ATTEMPT_WINDOW) =>
            {
                t.lone_lockout = None;
                Some(Cause::AccountLocked)
            }
            _ if ev.family == Family::Client
                && t.last_failure.is_some()
                && within(t.last_failure, ts, ATTEMPT_WINDOW) =>
            {
                Some(cause)
            }
            _ => None,
        };
        match shown {
            None => {
                // The latest by log time, as for a tracked user (see
                // `record_failure`): files are read one after another.
                if ts.is_none() || ts >= t.last_failure {
                    t.last_cause = Some(cause);
                }
                t.last_failure = t.last_failure.max(ts);
                t.lone_lockout = (ev.role == Role::LockoutNotice).then_some(ts).flatten();
            }
            // A follow-on line of the attempt: the most specific cause is
            // kept, as for a tracked user.
            Some(c) => {
                t.last_cause = Some(t.last_cause.map_or(c, |last| join::more_specific(last, c)));
            }
        }
        shown.map(|cause| Applied {
            new_attempt: false,
            cause: Some(cause),
            ..Applied::default()
        })
    }

    /// A lockout notice (113006) within [`ATTEMPT_WINDOW`] after a failure
    /// of the same user is part of that attempt: the attempt's cause becomes
    /// `account_locked` and nothing more is counted. Likewise a rejection
    /// logged just after a lockout notice that was counted alone (the two in
    /// the same second, notice first) is that attempt. `None`: not a
    /// follow-on line, count it as usual.
    pub(super) fn fold_lockout(
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
        stats.seen_at(ts);
        if ev.role == Role::AaaRejection {
            stats.lone_lockout = None;
            stats.see_ip(ev.client_ip);
            if let Some(reason) = ev.reason
                && stats.last_reason.as_deref() != Some(reason)
            {
                stats.last_reason = Some(self.texts.get(reason));
            }
            // Its WebVPN line (716039) is the same attempt too.
            if let (Some(ip), Some(attempt)) = (ev.client_ip, attempt) {
                self.expire_open_attempts(ts);
                self.open_attempts.insert(
                    ip.to_string(),
                    OpenAttempt {
                        ts,
                        user,
                        hidden: false,
                        line: None,
                        attempt,
                        before: None,
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
    pub(super) fn set_last_attempt_cause(
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
        self.hear_attempt(id, Side::Headend, cause);
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
    pub(super) fn spray_check(
        &mut self,
        ev: &Event,
        user: usize,
        cause: Cause,
        ts: Option<Timestamp>,
    ) -> usize {
        // Names past the cap on tracked users are still names tried.
        let (Family::Headend, Some(ip), UserKey::Named(_) | UserKey::Other(_)) =
            (ev.family, ev.client_ip, &self.users[user].0)
        else {
            return user;
        };
        let name = self.name_id(ev, user);
        let seen = self.spray.failed(
            ip,
            Tried {
                ts,
                user,
                name,
                cause,
            },
        );
        if !matches!(seen, Seen::Ordinary) {
            self.mark_sprayed(user, name);
        }
        let slot = match seen {
            Seen::Ordinary => return user,
            Seen::Spray => self.slot(UserKey::Spray(ip.to_string())),
            Seen::BecameSpray(earlier) => {
                let slot = self.slot(UserKey::Spray(ip.to_string()));
                for t in earlier {
                    self.mark_sprayed(t.user, t.name);
                    self.uncount_failure(t.user, t.cause, t.ts, None);
                    self.count_failure(slot, t.cause, None, t.ts);
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
        let active: Vec<&std::collections::BTreeSet<usize>> = self
            .spray_names
            .iter()
            .filter(|&(&slot, _)| self.users[slot].1.failures_in(now, minutes) > 0)
            .map(|(_, tried)| tried)
            .collect();
        let names = match active.as_slice() {
            // One source (the usual spray): its names, without copying the
            // thousands it may have tried after every change.
            [one] => one.len(),
            many => {
                let mut all: Vec<usize> = many.iter().flat_map(|t| t.iter().copied()).collect();
                all.sort_unstable();
                all.dedup();
                all.len()
            }
        };
        (active.len(), names)
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

    /// [`is_attack`](Self::is_attack) for every user, by position in
    /// [`users`](Self::users), worked out from nothing: what
    /// [`Incident::users_now`] keeps up to date change by change is held
    /// to it.
    #[cfg(test)]
    pub(super) fn attack_flags(&self) -> Vec<bool> {
        let mut flags: Vec<bool> = self
            .users
            .iter()
            .map(|(k, _)| matches!(k, UserKey::Spray(_)))
            .collect();
        self.mark_attacked(&mut flags);
        flags
    }

    /// Sets the flag, by slot, of every name under attack from many
    /// addresses now.
    pub(super) fn mark_attacked(&self, flags: &mut [bool]) {
        for (u, _) in self.spray.attacked_users(self.now()) {
            if let Some(f) = flags.get_mut(u) {
                *f = true;
            }
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
    pub(super) fn tally_attempt(&mut self, user: usize, ts: Option<Timestamp>, undo: bool) {
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
    /// problem. Past the cap the user is the one the line names, not the
    /// `(other N users)` slot shared with everyone else.
    pub(super) fn effective_cause(
        &self,
        ev: &Event,
        user: Option<usize>,
        ts: Option<Timestamp>,
    ) -> Cause {
        let cause = ev.cause.unwrap_or(Cause::Other);
        if matches!(cause, Cause::BadCredentials | Cause::Other)
            && let Some(user) = user
            && let Some(challenged) = self.challenged(ev, user)
            && within(challenged, ts, CHALLENGE_WINDOW)
        {
            return Cause::TokenRequired;
        }
        cause
    }

    /// When the user of `ev` (at slot `user`) was last challenged, since
    /// their last login.
    fn challenged(&self, ev: &Event, user: usize) -> Option<Option<Timestamp>> {
        if self.is_many(user) {
            return self.overflow_times_of(ev).and_then(|t| t.challenged);
        }
        self.challenges.get(&user).copied()
    }

    /// Counts one failed attempt of `user`, read from `ev`; `reason` is
    /// the headend's reason for it (`ev`'s own, or the first line's when
    /// `ev` is a follow-up line that moved the attempt).
    pub(super) fn record_failure(
        &mut self,
        user: usize,
        cause: Cause,
        ev: &Event,
        reason: Option<&str>,
        ts: Option<Timestamp>,
    ) {
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
        // Files are read one after another, so a user's lines do not come
        // in time order: the last failure is the latest by log time, not
        // the last read (a debug trace read after the headend log would
        // otherwise move it back, and the report say the failures stopped
        // earlier than they did).
        let latest = ts.is_none() || ts >= stats.last_failure;
        if latest {
            stats.last_cause = Some(cause);
            if let Some(reason) = reason
                && stats.last_reason.as_deref() != Some(reason)
            {
                stats.last_reason = Some(self.texts.get(reason));
            }
        }
        stats.see_ip(ev.client_ip);
        if let Some(t) = ts
            && stats.first_failure.is_none_or(|f| t < f)
        {
            stats.first_failure = Some(t);
        }
        stats.last_failure = stats.last_failure.max(ts);
        stats.seen_at(ts);
    }

    /// Counts one failed attempt for `user` without a line behind it (an
    /// attempt moved from a hidden user to the name the server gave, or
    /// into a spray source), with the headend's `reason` for it when one
    /// is known.
    pub(super) fn count_failure(
        &mut self,
        user: usize,
        cause: Cause,
        reason: Option<Arc<str>>,
        ts: Option<Timestamp>,
    ) {
        self.tally_attempt(user, ts, false);
        let stats = &mut self.users[user].1;
        stats.failures += 1;
        stats.recent.add(ts, 1);
        *stats.causes.entry(cause).or_default() += 1;
        if ts.is_some() && ts >= stats.last_failure {
            stats.last_cause = Some(cause);
            if reason.is_some() {
                stats.last_reason = reason;
            }
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
        stats.seen_at(ts);
    }

    /// Takes back one failed attempt of `user` with a known cause and time;
    /// `before`: the user's marks when it was counted, if kept (see
    /// [`Incident::marks_before`]).
    pub(super) fn uncount_failure(
        &mut self,
        user: usize,
        cause: Cause,
        ts: Option<Timestamp>,
        before: Option<FailureMarks>,
    ) {
        self.tally_attempt(user, ts, true);
        let stats = &mut self.users[user].1;
        stats.failures = stats.failures.saturating_sub(1);
        stats.recent.remove(ts, 1);
        decrement(&mut stats.causes, cause);
        stats.forget_failure_at(ts, before);
    }

    /// A hidden user's marks from before attempt `attempt` from `ip` was
    /// counted, while its WebVPN line may still come: what taking it back
    /// restores (the time, cause and reason of the address's own attempt).
    pub(super) fn marks_before(&self, ip: &str, attempt: usize) -> Option<FailureMarks> {
        self.open_attempts
            .get(ip)
            .filter(|open| open.attempt == attempt)
            .and_then(|open| open.before.clone())
    }

    /// Takes back the last failure of a user (a hidden user whose attempt
    /// turned out to be a named user's); returns its cause.
    pub(super) fn retract_failure(
        &mut self,
        user: usize,
        ts: Option<Timestamp>,
        before: Option<FailureMarks>,
    ) -> Option<Cause> {
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
        stats.forget_failure_at(ts, before);
        // The attempt is re-counted for the named user.
        self.tally_attempt(user, ts, true);
        Some(cause)
    }
}

#[cfg(test)]
mod tests {
    use super::OPEN_PRUNE_ABOVE;
    use crate::engine::incident::fixtures::*;
    use crate::engine::incident::*;
    use crate::parse::{Cause, Outcome};

    #[test]
    fn open_attempts_expire_with_the_attempt_window() {
        let mut inc = Incident::default();
        let ips: Vec<String> = (0..20_000)
            .map(|i| format!("10.{}.{}.1", i / 250, i % 250))
            .collect();
        for (i, ip) in ips.iter().enumerate() {
            inc.apply(&ev(i as i64, "113005", Outcome::Failure, "ann", ip));
        }
        assert!(
            inc.open_attempts.len() <= 2 * OPEN_PRUNE_ABOVE,
            "{}",
            inc.open_attempts.len()
        );
        // The newest still pairs with its WebVPN line.
        let last = ips.last().expect("an address");
        let a = inc.apply(&ev(19_999, "716039", Outcome::Failure, "ann", last));
        assert!(!a.new_attempt);
        assert_eq!(inc.totals().failures, 20_000);
    }

    /// Two spray sources that tried some of the same names: each name is
    /// counted once; one source's names are its own; a source quiet for
    /// longer than the window is left out.
    #[test]
    fn spray_sources_count_each_name_once() {
        use crate::engine::spray::SPRAY_MIN_NAMES;
        let mut inc = Incident::default();
        let n = SPRAY_MIN_NAMES;
        // 10.0.0.9 tries user0..user{n}, long before the others.
        for u in 0..=n {
            inc.apply(&ev(
                0,
                "113005",
                Outcome::Failure,
                &format!("user{u}"),
                "10.0.0.9",
            ));
        }
        let t = 3_600;
        for u in 0..n {
            inc.apply(&ev(
                t,
                "113005",
                Outcome::Failure,
                &format!("user{u}"),
                "10.0.0.1",
            ));
        }
        assert_eq!(inc.spray_sources(15), (1, n));
        // The second tries user5 … user{n + 4}: five names in common.
        for u in 5..n + 5 {
            inc.apply(&ev(
                t + 1,
                "113005",
                Outcome::Failure,
                &format!("user{u}"),
                "10.0.0.2",
            ));
        }
        assert_eq!(inc.spray_sources(15), (2, n + 5));
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
        let hank = row(&inc, &named("hank"));
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
        let ivy = row(&inc, &named("ivy"));
        assert_eq!(ivy.failures, 1);
        assert_eq!(ivy.last_cause, Some(Cause::AccountLocked));
        // A later lone notice, and another user's notice, count.
        assert!(inc.apply(&lockout(60, "ivy")).new_attempt);
        assert!(inc.apply(&lockout(60, "jo")).new_attempt);
        assert_eq!(inc.totals().failures, 3);
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

    /// A verdict that named the hidden attempt before its WebVPN line came
    /// (the auth-server line read first, or live) moved it already: the
    /// WebVPN line is its follow-up, and the address keeps its other
    /// attempt (it was taken as well, and the name counted twice).
    #[test]
    fn a_webvpn_line_after_the_verdict_moves_nothing_twice() {
        let mut inc = Incident::default();
        let ip = "192.0.2.9";
        inc.apply(&ev(0, "113005", Outcome::Failure, HIDDEN_USER, ip));
        inc.apply(&ev(100, "113005", Outcome::Failure, HIDDEN_USER, ip));
        let mut verdict = ev(100, "5400", Outcome::Failure, "jsmyth", ip);
        verdict.family = crate::parse::Family::AuthServer;
        verdict.role = crate::parse::Role::Plain;
        inc.apply(&verdict);
        inc.apply(&ev(101, "716039", Outcome::Failure, "jsmyth", ip));
        let failures = |k: UserKey| inc.user(&k).map_or(0, |s| s.failures);
        assert_eq!(failures(named("jsmyth")), 1);
        assert_eq!(failures(UserKey::Hidden(ip.into())), 1);
        assert_eq!(inc.totals().failures, 2);
    }

    /// An address's latest attempt goes to the name a later line gives; the
    /// address keeps its earlier attempt, and with it that attempt's time
    /// and cause, not the moved one's (it was shown "failing" with the
    /// moved attempt's cause).
    #[test]
    fn a_moved_attempt_takes_its_time_and_cause_off_the_hidden_user() {
        let mut inc = Incident::default();
        let ip = "192.0.2.50";
        let mut unknown = ev(0, "113005", Outcome::Failure, HIDDEN_USER, ip);
        unknown.cause = Some(Cause::UnknownUser);
        unknown.reason = Some("User was not found");
        inc.apply(&unknown);
        let mut wrong = ev(660, "113005", Outcome::Failure, HIDDEN_USER, ip);
        wrong.cause = Some(Cause::BadCredentials);
        wrong.reason = Some("Invalid password");
        inc.apply(&wrong);
        inc.apply(&ev(661, "716039", Outcome::Failure, "erin", ip));
        inc.apply(&ev(720, "113004", Outcome::Success, "erin", ip));

        let hidden = row(&inc, &UserKey::Hidden(ip.into()));
        assert_eq!(hidden.failures, 1);
        assert_eq!(hidden.last_cause, Some(Cause::UnknownUser));
        assert_eq!(hidden.last_failure, at(0));
        assert_eq!(hidden.first_failure, at(0));
        assert!(
            !hidden.failing_now(at(720)),
            "its one attempt is 12 minutes old"
        );
        let erin = row(&inc, &named("erin"));
        assert_eq!(
            (erin.failures, erin.last_cause),
            (1, Some(Cause::BadCredentials))
        );
        // The reason goes with its attempt (the WebVPN line gives none), and
        // the address keeps its own attempt's.
        assert_eq!(erin.last_reason.as_deref(), Some("Invalid password"));
        assert_eq!(hidden.last_reason.as_deref(), Some("User was not found"));
        assert_eq!(inc.failing_now(), 0);
    }

    /// Every attempt moved: nothing of them stays on the address.
    #[test]
    fn an_address_whose_only_attempt_moved_keeps_no_failure_time_or_cause() {
        let mut inc = Incident::default();
        inc.apply(&ev(0, "113005", Outcome::Failure, HIDDEN_USER, "192.0.2.9"));
        inc.apply(&ev(1, "716039", Outcome::Failure, "bob", "192.0.2.9"));
        let hidden = row(&inc, &UserKey::Hidden("192.0.2.9".into()));
        assert_eq!(hidden.failures, 0);
        assert_eq!(
            (hidden.last_cause, hidden.last_failure, hidden.first_failure),
            (None, None, None)
        );
        assert!(hidden.last_reason.is_none());
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
    fn challenge_turns_a_generic_rejection_into_token_required() {
        let mut inc = Incident::default();
        let mut challenge = ev(0, "113010", Outcome::Info, "dee", "192.0.2.4");
        challenge.client_ip = None;
        inc.apply(&challenge);
        inc.apply(&ev(3, "113005", Outcome::Failure, "dee", "192.0.2.4"));
        let stats = row(&inc, &named("dee"));
        assert_eq!(stats.failures, 1);
        assert_eq!(stats.last_cause, Some(Cause::TokenRequired));
        assert_eq!(
            inc.totals().failures,
            1,
            "the challenge itself is not an attempt"
        );
    }

    #[test]
    fn past_the_cap_one_users_challenge_is_not_anothers_token_problem() {
        let mut inc = Incident::with_limits(IncidentLimits { max_users: 1 });
        inc.apply(&ev(0, "113039", Outcome::Success, "tracked", "192.0.2.1"));
        // Both past the cap, so both in `(other N users)`: dee is asked
        // for a token, then eve mistypes her password, then dee's
        // rejection follows her challenge.
        let mut challenge = ev(10, "113010", Outcome::Info, "dee", "192.0.2.4");
        challenge.client_ip = None;
        inc.apply(&challenge);
        inc.apply(&ev(12, "113005", Outcome::Failure, "eve", "192.0.2.5"));
        inc.apply(&ev(13, "113005", Outcome::Failure, "dee", "192.0.2.4"));
        let others = other_row(&inc);
        assert_eq!(others.failures, 2);
        assert_eq!(others.causes.get(&Cause::BadCredentials), Some(&1), "eve's");
        assert_eq!(others.causes.get(&Cause::TokenRequired), Some(&1), "dee's");
        // A login ends dee's challenge: her next rejection is her password.
        inc.apply(&ev(20, "113004", Outcome::Success, "dee", "192.0.2.4"));
        inc.apply(&ev(25, "113005", Outcome::Failure, "dee", "192.0.2.4"));
        let others = other_row(&inc);
        assert_eq!(others.causes.get(&Cause::BadCredentials), Some(&2));
    }

    #[test]
    fn failure_windows_count_minutes_of_log_time() {
        let mut inc = Incident::default();
        // Minute-aligned base: at(0) is 1_800_000_000, which is minute-aligned.
        inc.apply(&ev(0, "113005", Outcome::Failure, "lee", "192.0.2.21"));
        inc.apply(&ev(240, "113005", Outcome::Failure, "lee", "192.0.2.21"));
        inc.apply(&ev(600, "113005", Outcome::Failure, "lee", "192.0.2.21"));
        let now = inc.latest();
        let lee = row(&inc, &named("lee"));
        assert_eq!(lee.failures_in(now, 1), 1);
        assert_eq!(lee.failures_in(now, 5), 1, "minutes 6..=10");
        assert_eq!(lee.failures_in(now, 15), 3);
        assert_eq!(lee.state(now), UserState::Failing);
        assert_eq!(inc.recent(15).attempts, 3);
        inc.apply(&ev(610, "113039", Outcome::Success, "lee", "192.0.2.21"));
        let lee = row(&inc, &named("lee"));
        assert_eq!(lee.state(inc.latest()), UserState::Recovered);
        assert_eq!(inc.recent(15).logins, 1);
    }
}
