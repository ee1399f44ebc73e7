//! What the outputs read that is worked out from the counts rather than
//! counted as events come: the incident-wide windows
//! ([`Incident::recent`]), the users failing now, every user's state at
//! the clock, the users who failed lately and have not logged in since
//! ([`Unrecovered`]), the scope verdict, the cause tally and the
//! auth-server failures no headend attempt matched. Most are worked out
//! from every user, so each is kept until the next change, which
//! [`Incident::changed`] notes; the apply path calls only that, so the
//! reading side lives apart from it.

use super::{
    HEADEND_WITHOUT_LOGINS, Incident, Recent, UserKey, UserNow, UserState, UserStats, overflow,
    users_now,
};
use crate::parse::Cause;

/// Users who failed in the last [`RECENT_MINUTES`](super::RECENT_MINUTES)
/// and have not logged in since, by the cause of their last failure:
/// tracked users from their rows ([`UserNow::unrecovered_recent`]), users
/// past the cap one by one ([`ManyNow`](overflow::ManyNow)). What the scope
/// verdict and the suggested step count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unrecovered {
    pub users: u32,
    /// (users, their failed attempts in the window) by cause; a user past
    /// the cap counts the one attempt that is known.
    pub by_cause: [(u32, u32); Cause::ALL.len()],
}

impl Incident {
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

    /// Auth-server failures that matched no headend attempt though the
    /// headend's log has come past them: logins the headend log read does
    /// not show (another headend's, a log that is not all of it), counted
    /// nowhere else. Zero before a headend line about a login; see
    /// `Joiner::unmatched`.
    pub fn unmatched_auth_failures(&self) -> u64 {
        let key = (self.join.generation(), self.headend_logins_to);
        if let Some((generation, past, n)) = self.unmatched.get()
            && (generation, past) == key
        {
            return n;
        }
        let waiting = self
            .headend_logins_to
            .map_or(0, |past| self.join.unmatched(past));
        let n = self.unmatched_at_finish.unwrap_or(0) + waiting;
        self.unmatched.set(Some((key.0, key.1, n)));
        n
    }

    /// Users currently failing (see [`UserStats::failing_now`]); a spray
    /// source is not a user.
    pub fn failing_now(&self) -> usize {
        *self.failing.get_or_init(|| {
            self.filling();
            let one_by_one = self.users_now_kept().failing_one_by_one(self.other);
            one_by_one + self.many_now().failing as usize
        })
    }

    /// A user's state at the incident's clock: [`UserStats::state`], but
    /// for `(other N users)` that of the users it stands for (see
    /// [`overflow::ManyNow`]). Every output shows this one.
    pub fn state_of(&self, key: &UserKey, stats: &UserStats) -> UserState {
        match key {
            UserKey::Other(_) => UserNow::of_many(stats, self.now(), &self.many_now(), false).state,
            _ => stats.state(self.now()),
        }
    }

    /// How the users counted under `(other N users)` stand, each on its own
    /// times (see [`overflow::ManyNow`]), worked out at most once per change.
    pub fn many_now(&self) -> overflow::ManyNow {
        *self.many_now.get_or_init(|| {
            self.filling();
            self.many_at_finish
                .unwrap_or_else(|| self.compute_many_now(self.now()))
        })
    }

    /// Every user's [`UserNow`], by position in [`users`](Self::users),
    /// worked out at most once per change.
    pub fn users_now(&self) -> &[UserNow] {
        &self.users_now_kept().values
    }

    fn users_now_kept(&self) -> &users_now::UsersNow {
        self.users_now.get_or_init(|| {
            self.filling();
            self.compute_users_now(self.users_now_hint.take())
        })
    }

    /// The scope verdict for the incident as it stands ([`crate::engine::scope::assess`]).
    /// The scope verdict; `unknown` until a headend line was recognised:
    /// without the headend's view, no failures means "cannot see", never
    /// "none".
    pub fn scope(&self) -> &crate::engine::scope::Scope {
        self.scope.get_or_init(|| {
            self.filling();
            match self.headend_blind() {
                None => crate::engine::scope::assess(self),
                Some(why) => crate::engine::scope::Scope {
                    verdict: crate::engine::scope::Verdict::Unknown,
                    evidence: why.to_string(),
                    cause: None,
                },
            }
        })
    }

    /// Why the headend's view of logins is missing, if it is: no headend
    /// line recognised, or none about a VPN login or an AAA server. Zero
    /// failures then mean "cannot see", never "none". Every output that
    /// says so takes its words from here.
    pub fn headend_blind(&self) -> Option<&'static str> {
        if !self.headend_seen {
            Some("no headend log line recognised")
        } else if !self.headend_logins_seen {
            Some(HEADEND_WITHOUT_LOGINS)
        } else {
            None
        }
    }

    /// Failures by cause for the suggested step ([`crate::engine::suggest::tally`]),
    /// computed at most once per change.
    pub fn cause_tally(&self) -> &crate::engine::suggest::CauseTally {
        self.cause_tally.get_or_init(|| {
            self.filling();
            crate::engine::suggest::tally(self)
        })
    }

    /// [`Unrecovered`] at the incident's clock, worked out at most once per
    /// change.
    pub fn unrecovered_recent(&self) -> Unrecovered {
        *self.unrecovered.get_or_init(|| {
            self.filling();
            self.compute_unrecovered_recent()
        })
    }

    pub(super) fn compute_unrecovered_recent(&self) -> Unrecovered {
        let mut out = Unrecovered::default();
        for (slot, user_now) in self.users_now().iter().enumerate() {
            if self.other == Some(slot) {
                // The row stands for many users: each on its own times.
                let many = self.many_now();
                out.users += many.recent;
                for (entry, n) in out.by_cause.iter_mut().zip(many.recent_by_cause) {
                    entry.0 += n;
                    entry.1 += n;
                }
            } else if user_now.unrecovered_recent() {
                out.users += 1;
                if let Some(c) = user_now.last_cause {
                    let entry = &mut out.by_cause[c.index()];
                    entry.0 += 1;
                    entry.1 += user_now.recent_failures;
                }
            }
        }
        out
    }

    /// Notes that a derived value is being worked out: the next change
    /// clears them (see `derived_filled`). Every cache's computation calls
    /// this first.
    pub(super) fn filling(&self) {
        self.derived_filled.set(true);
    }

    /// Forgets every derived value: the incident changed.
    pub(super) fn changed(&mut self) {
        if !self.derived_filled.replace(false) {
            // None was worked out since the last change: all are empty.
            return;
        }
        for (cache, hint) in self.by_failures.iter_mut().zip(&mut self.by_failures_hint) {
            if let Some(order) = cache.take() {
                *hint.get_mut() = order;
            }
        }
        self.failing.take();
        if let Some(kept) = self.users_now.take() {
            *self.users_now_hint.get_mut() = kept;
        }
        self.many_now.take();
        self.unrecovered.take();
        self.scope.take();
        self.cause_tally.take();
    }
}

#[cfg(test)]
mod tests {
    use super::super::{IncidentLimits, UserSort};
    use super::*;
    use crate::engine::incident::fixtures::*;
    use crate::parse::Outcome;

    /// Each derived value, asked for alone, is worked out again after the
    /// next change: its computation notes that a cache holds a value (see
    /// `Incident::filling`; most do it through `users_now`, which they
    /// read), or `changed` would have nothing to clear. The test holds the
    /// values to the change, whichever call makes the note.
    #[test]
    fn each_derived_value_asked_alone_follows_the_next_change() {
        type Derived = fn(&Incident) -> String;
        let values: [(&str, Derived); 10] = [
            ("failing_now", |i| format!("{:?}", i.failing_now())),
            ("many_now", |i| format!("{:?}", i.many_now())),
            ("users_now", |i| format!("{:?}", i.users_now())),
            ("scope", |i| format!("{:?}", i.scope())),
            ("cause_tally", |i| format!("{:?}", i.cause_tally())),
            ("unrecovered_recent", |i| {
                format!("{:?}", i.unrecovered_recent())
            }),
            ("users_sorted Recent", |i| sorted(i, UserSort::Recent)),
            ("users_sorted Total", |i| sorted(i, UserSort::Total)),
            ("users_sorted Name", |i| sorted(i, UserSort::Name)),
            ("users_sorted LastSeen", |i| sorted(i, UserSort::LastSeen)),
        ];
        // One user tracked: the second user is counted under `(other 1
        // users)`, which the cap's values (`many_now`) follow.
        let limits = IncidentLimits { max_users: 1 };
        let first = ev(0, "113005", Outcome::Failure, "ann", "192.0.2.1");
        let second = ev(60, "716039", Outcome::Failure, "bob", "192.0.2.2");
        for (name, value) in values {
            let mut one = Incident::with_limits(limits);
            one.apply(&first);
            let mut both = Incident::with_limits(limits);
            both.apply(&first);
            both.apply(&second);
            let (before, after) = (value(&one), value(&both));
            assert_ne!(before, after, "{name}: the second failure must change it");
            // Asked for alone, then a change.
            one.apply(&second);
            assert_eq!(value(&one), after, "{name}");
        }
    }

    fn sorted(inc: &Incident, sort: UserSort) -> String {
        let keys: Vec<String> = inc
            .users_sorted(sort)
            .iter()
            .map(|(k, s)| format!("{k} {}", s.failures))
            .collect();
        keys.join(", ")
    }
}
