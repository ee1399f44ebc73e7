//! What the outputs read that is worked out from the counts rather than
//! counted as events come: the incident-wide windows
//! ([`Incident::recent`]), the users failing now, every user's state at
//! the clock, the scope verdict, the cause tally and the auth-server
//! failures no headend attempt matched. Most are worked out from every
//! user, so each is kept until the next change, which
//! [`Incident::changed`] notes; the apply path calls only that, so the
//! reading side lives apart from it.

use super::{
    HEADEND_WITHOUT_LOGINS, Incident, Recent, UserKey, UserNow, UserState, UserStats, users,
    users_now,
};

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
            let one_by_one = self.users_now_kept().failing_one_by_one(self.other);
            one_by_one + self.many_now().failing as usize
        })
    }

    /// A user's state at the incident's clock: [`UserStats::state`], but
    /// for `(other N users)` that of the users it stands for (see
    /// [`users::ManyNow`]). Every output shows this one.
    pub fn state_of(&self, key: &UserKey, stats: &UserStats) -> UserState {
        match key {
            UserKey::Other(_) => UserNow::of_many(stats, self.now(), &self.many_now(), false).state,
            _ => stats.state(self.now()),
        }
    }

    /// How the users counted under `(other N users)` stand, each on its own
    /// times (see [`users::ManyNow`]), worked out at most once per change.
    pub fn many_now(&self) -> users::ManyNow {
        *self.many_now.get_or_init(|| {
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
        self.users_now
            .get_or_init(|| self.compute_users_now(&self.users_now_hint))
    }

    /// The scope verdict for the incident as it stands ([`crate::engine::scope::assess`]).
    /// The scope verdict; `unknown` until a headend line was recognised:
    /// without the headend's view, no failures means "cannot see", never
    /// "none".
    pub fn scope(&self) -> &crate::engine::scope::Scope {
        self.scope.get_or_init(|| match self.headend_blind() {
            None => crate::engine::scope::assess(self),
            Some(why) => crate::engine::scope::Scope {
                verdict: crate::engine::scope::Verdict::Unknown,
                evidence: why.to_string(),
                cause: None,
            },
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
        self.cause_tally
            .get_or_init(|| crate::engine::suggest::tally(self))
    }

    /// Forgets every derived value: the incident changed.
    pub(super) fn changed(&mut self) {
        for (cache, hint) in self.by_failures.iter_mut().zip(&mut self.by_failures_hint) {
            if let Some(order) = cache.take() {
                *hint = order;
            }
        }
        self.failing.take();
        if let Some(kept) = self.users_now.take() {
            self.users_now_hint = kept;
        }
        self.many_now.take();
        self.unrecovered.take();
        self.scope.take();
        self.cause_tally.take();
    }
}
