//! The users past the cap on users tracked one by one (`--max-users`,
//! [`DEFAULT_MAX_USERS`]): counted together, exactly, in one
//! `(other N users)` row ([`UserKey::Other`]), each known by a 64-bit
//! identity rather than a row of its own. Each one's own times
//! ([`OverflowTimes`]) are kept while they can decide a window, so that
//! one of them logging in says nothing of another still failing, and
//! [`ManyNow`] says how they stand. Apart from [`super::users`], which is
//! about the users tracked one by one.

use jiff::Timestamp;

use super::users::{FailingCutoff, RECENT_MINUTES, UserKey};
use super::{HIDDEN_USER, Incident};
use crate::engine::hashing::identity;
use crate::engine::window::window_start;
use crate::parse::{Cause, Event};

/// The per-user times that decide whether a line is another line of the
/// same login, session or attempt, for one user counted under
/// `(other N users)`: the totals stay those of users tracked one by one.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct OverflowTimes {
    pub(super) last_success: Option<Timestamp>,
    pub(super) last_failure: Option<Timestamp>,
    /// The cause of the attempt at `last_failure`, as the headend line gave it.
    pub(super) last_cause: Option<Cause>,
    /// A name a spray tried: its failures are the spray's, no user's.
    pub(super) sprayed: bool,
    pub(super) last_session_up: Option<Timestamp>,
    pub(super) last_session_down: Option<Timestamp>,
    pub(super) lone_lockout: Option<Timestamp>,
    /// The user's last AAA challenge, at its time if the line had one (see
    /// [`Incident::effective_cause`]), until a login: one user's token
    /// prompt is no other's.
    pub(super) challenged: Option<Option<Timestamp>>,
}

impl OverflowTimes {
    /// The user's last failure, when this is a user (not a name a spray
    /// tried) who has not logged in since.
    fn unrecovered_failure(&self) -> Option<Timestamp> {
        let failed = self.last_failure.filter(|_| !self.sprayed)?;
        self.last_success
            .is_none_or(|s| s < failed)
            .then_some(failed)
    }

    fn newest(&self) -> Option<Timestamp> {
        [
            self.last_success,
            self.last_failure,
            self.last_session_up,
            self.last_session_down,
            self.lone_lockout,
            self.challenged.flatten(),
        ]
        .into_iter()
        .max()
        .flatten()
    }
}

/// How the users counted under `(other N users)` stand now, each on its
/// own times ([`OverflowTimes`]): the row stands for many users, and one of
/// them logging in says nothing of another still failing. Users whose
/// times were dropped to stay bounded are not counted, so the figures err
/// low, never high.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ManyNow {
    /// Failing now, as [`UserStats::failing_now`](super::UserStats::failing_now)
    /// decides for one user.
    pub failing: u32,
    /// Failed in the last [`RECENT_MINUTES`] with no success since (what
    /// [`UserNow::unrecovered_recent`](super::UserNow::unrecovered_recent)
    /// says of one user).
    pub recent: u32,
    /// `recent` by the cause of each one's last attempt.
    pub recent_by_cause: [u32; Cause::ALL.len()],
    /// No success since their last failure, however long ago.
    pub unrecovered: u32,
}

/// Overflow users' times kept before stale ones are dropped.
const OVERFLOW_PRUNE_ABOVE: usize = 4096;

/// Who an event names, as a 64-bit identity (a hidden user by address).
fn overflow_id(ev: &Event) -> u64 {
    overflow_key(ev.user, ev.client_ip)
}

/// [`overflow_id`] of a line naming `user` from `client_ip`. The top bit
/// is set, so that an identity is never a slot number (see
/// [`Incident::name_id`]).
fn overflow_key(user: Option<&str>, client_ip: Option<&str>) -> u64 {
    let id = match user {
        Some(HIDDEN_USER) => identity(&("h", client_ip)),
        user => identity(&("n", user)),
    };
    id | (1 << 63)
}

/// A user counted under `(other N users)`, as a 64-bit identity: a hidden
/// user by address, else by (capped) name.
pub(super) fn other_id(hidden: bool, name: &str) -> u64 {
    identity(&(hidden, name))
}

/// Users tracked one by one unless told otherwise (`--max-users`); further
/// users are counted together under [`UserKey::Other`].
pub const DEFAULT_MAX_USERS: usize = 100_000;

impl Incident {
    /// Whether as many users are tracked one by one as the cap allows.
    pub(super) fn at_cap(&self) -> bool {
        self.named.len() + self.hidden.len() >= self.max_users()
    }

    /// The cap on users tracked one by one (named and hidden; a spray
    /// source is bounded by the spray detector), from the incident's
    /// [`IncidentLimits`](super::IncidentLimits).
    pub fn max_users(&self) -> usize {
        self.limits.max_users.max(1)
    }

    /// Users counted under `(other N users)`: N, 0 while under the cap.
    pub fn other_users(&self) -> u64 {
        self.other_keys.len() as u64
    }

    /// The `(other N users)` slot, counting `key` among them.
    pub(super) fn other_slot(&mut self, id: u64) -> usize {
        self.other_keys.insert(id);
        let n = self.other_users();
        let i = match self.other {
            Some(i) => i,
            None => self.slot(UserKey::Other(n)),
        };
        self.users[i].0 = UserKey::Other(n);
        i
    }

    /// Who `ev` names, for telling names apart in the spray detector: the
    /// slot of a user tracked one by one, else (a name counted under
    /// `(other N users)`) the identity its times are kept under
    /// ([`overflow_id`], never a slot number).
    pub(super) fn name_id(&self, ev: &Event, user: usize) -> u64 {
        if !self.is_many(user) {
            return user as u64;
        }
        overflow_id(ev)
    }

    /// The attempts of `name` ([`Incident::name_id`]) at slot `user` went to
    /// a spray: past the cap, that name's times no longer make it a user
    /// failing (see [`ManyNow`]).
    pub(super) fn mark_sprayed(&mut self, user: usize, name: u64) {
        if !self.is_many(user) {
            return;
        }
        if let Some(t) = self.overflow_times.get_mut(&name) {
            t.sprayed = true;
        }
    }

    /// The times of the user `ev` names, past the cap, if kept; unlike
    /// [`Incident::overflow_times`], makes no entry.
    pub(super) fn overflow_times_of(&self, ev: &Event) -> Option<&OverflowTimes> {
        self.overflow_times.get(&overflow_id(ev))
    }

    /// The times of the user `ev` names, for a user counted under
    /// `(other N users)`: kept while they can still decide a window (the
    /// longest is [`super::CHALLENGE_WINDOW`]), dropped when the map has
    /// doubled since it was last pruned.
    pub(super) fn overflow_times(&mut self, ev: &Event) -> &mut OverflowTimes {
        let id = overflow_id(ev);
        if self.overflow_times.len() >= self.overflow_prune_at.max(OVERFLOW_PRUNE_ABOVE)
            && !self.overflow_times.contains_key(&id)
        {
            if let Some(now) = ev.ts {
                // A user still failing is kept while the verdict's window
                // can count them (see [`ManyNow`]).
                let recent_from = window_start(now, RECENT_MINUTES);
                self.overflow_times.retain(|_, t| {
                    let unrecovered_recent = t
                        .unrecovered_failure()
                        .is_some_and(|f| recent_from.is_none_or(|r| f >= r));
                    unrecovered_recent
                        || t.newest()
                            .is_none_or(|n| now.duration_since(n) <= super::CHALLENGE_WINDOW)
                });
            }
            if self.overflow_times.len() >= OVERFLOW_PRUNE_ABOVE {
                let mut times: Vec<Option<Timestamp>> = self
                    .overflow_times
                    .values()
                    .map(OverflowTimes::newest)
                    .collect();
                times.sort_unstable();
                let cut = times[times.len() / 2];
                self.overflow_times.retain(|_, t| t.newest() > cut);
            }
            self.overflow_prune_at = 2 * self.overflow_times.len();
        }
        self.overflow_times.entry(id).or_default()
    }

    /// [`ManyNow`] at `now`, the incident's clock.
    pub(super) fn compute_many_now(&self, now: Option<Timestamp>) -> ManyNow {
        let failing_from = FailingCutoff::at(now).0;
        let recent_from = now.and_then(|n| window_start(n, RECENT_MINUTES));
        let mut many = ManyNow::default();
        if self.other.is_none() {
            return many;
        }
        // Lines that name nobody share one identity: not a user.
        let nameless = [
            overflow_key(None, None),
            overflow_key(Some(HIDDEN_USER), None),
        ];
        for (id, t) in &self.overflow_times {
            if nameless.contains(id) {
                continue;
            }
            let Some(failed) = t.unrecovered_failure() else {
                continue;
            };
            many.unrecovered += 1;
            if failing_from.is_none_or(|f| failed >= f) {
                many.failing += 1;
            }
            if recent_from.is_none_or(|r| failed >= r) {
                many.recent += 1;
                if let Some(c) = t.last_cause {
                    many.recent_by_cause[c.index()] += 1;
                }
            }
        }
        many
    }

    /// Whether slot `user` stands for many users (`(other N users)`): the
    /// windows that join one user's lines into one attempt or login do
    /// not apply to it.
    pub(super) fn is_many(&self, user: usize) -> bool {
        matches!(self.users.get(user), Some((UserKey::Other(_), _)))
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::incident::fixtures::*;
    use crate::engine::incident::*;
    use crate::parse::{Cause, Outcome};

    /// Failures and successes of `names`, each from address `ip(i)`.
    fn logins(inc: &mut Incident, names: &[String], ip: impl Fn(usize) -> String) {
        for (i, n) in names.iter().enumerate() {
            let addr = ip(i);
            inc.apply(&ev(i as i64, "113005", Outcome::Failure, n, &addr));
            inc.apply(&ev(i as i64, "716039", Outcome::Failure, n, &addr));
            inc.apply(&lockout(i as i64, n));
            // Two success lines of one login, then a session's two ends.
            inc.apply(&ev(i as i64 + 1, "113004", Outcome::Success, n, &addr));
            inc.apply(&ev(i as i64 + 2, "113039", Outcome::Success, n, &addr));
            inc.apply(&ev(i as i64 + 3, "722023", Outcome::SessionEnd, n, &addr));
            inc.apply(&ev(i as i64 + 3, "113019", Outcome::SessionEnd, n, &addr));
        }
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("user{i:03}")).collect()
    }

    #[test]
    fn past_the_cap_users_are_counted_exactly_under_other() {
        let names = names(10);
        let ip = |i: usize| format!("198.51.100.{i}");
        let mut all = Incident::default();
        logins(&mut all, &names, ip);
        let mut capped = Incident::with_limits(IncidentLimits { max_users: 3 });
        logins(&mut capped, &names, ip);
        // The totals are those of the uncapped incident, to the attempt.
        assert_eq!(capped.totals(), all.totals());
        assert_eq!(capped.totals().failures, 10);
        assert_eq!(capped.totals().successes, 10);
        assert_eq!(capped.other_users(), 7);
        let keys: Vec<String> = capped.users().map(|(k, _)| k.to_string()).collect();
        assert_eq!(keys, ["user000", "user001", "user002", "(other 7 users)"]);
        let other = capped
            .user(&UserKey::Other(7))
            .map(|s| (s.failures, s.successes));
        assert_eq!(other, Some((7, 7)));
        let downs = |i: &Incident| i.users().map(|(_, s)| s.sessions_down).sum::<u32>();
        assert_eq!(downs(&capped), downs(&all));
        // A user seen again is counted once among the others.
        capped.apply(&ev(
            20,
            "113005",
            Outcome::Failure,
            "user009",
            "198.51.100.9",
        ));
        assert_eq!(capped.other_users(), 7);
        assert_eq!(capped.totals().failures, 11);
    }

    #[test]
    fn under_the_cap_one_users_login_does_not_clear_anothers_failure() {
        let mut inc = Incident::with_limits(IncidentLimits { max_users: 1 });
        inc.apply(&ev(0, "113039", Outcome::Success, "tracked", "192.0.2.1"));
        // Past the cap: amy fails and stays failing; bob fails, then logs
        // in, after amy's failure. The row's own last times say
        // "recovered"; amy has not.
        inc.apply(&ev(10, "113005", Outcome::Failure, "amy", "192.0.2.10"));
        inc.apply(&ev(20, "113005", Outcome::Failure, "bob", "192.0.2.20"));
        inc.apply(&ev(30, "113039", Outcome::Success, "bob", "192.0.2.20"));
        let other = UserKey::Other(2);
        let check = |inc: &Incident| {
            let stats = inc.user(&other).expect("the other row");
            assert_eq!(inc.state_of(&other, stats), UserState::Failing);
            assert_eq!(inc.failing_now(), 1, "amy");
            let many = inc.many_now();
            assert_eq!((many.failing, many.recent, many.unrecovered), (1, 1, 1));
            assert_eq!(inc.scope().verdict, crate::engine::scope::Verdict::Isolated);
            assert!(
                inc.scope().evidence.starts_with("1 user failed"),
                "{}",
                inc.scope().evidence
            );
        };
        check(&inc);
        // The times the figures come from go when the input is complete;
        // the figures stay.
        let _ = inc.finish_input();
        check(&inc);
    }

    #[test]
    fn past_the_cap_users_whose_times_were_dropped_are_not_called_recovered() {
        let mut inc = Incident::with_limits(IncidentLimits { max_users: 1 });
        inc.apply(&ev(0, "113039", Outcome::Success, "tracked", "192.0.2.1"));
        // More users past the cap than their times are kept for, failing
        // at the start; half an hour on, a spray's names make room by
        // dropping the old users' times, and are no users themselves.
        // Nobody past the cap ever logged in.
        let ip = |i: usize| format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
        for i in 0..5000 {
            inc.apply(&ev(1, "113005", Outcome::Failure, &format!("u{i}"), &ip(i)));
        }
        for i in 0..5000 {
            let (name, from) = (format!("guess{i}"), format!("203.0.113.{}", i / 500));
            inc.apply(&ev(1800, "113005", Outcome::Failure, &name, &from));
        }
        let other = inc
            .users()
            .map(|(k, _)| k.clone())
            .find(|k| matches!(k, UserKey::Other(_)))
            .expect("the other row");
        let stats = inc.user(&other).expect("the other row");
        assert_eq!(stats.successes, 0);
        let many = inc.many_now();
        assert_eq!(
            (many.failing, many.unrecovered),
            (0, 0),
            "dropped or sprayed"
        );
        // Not "recovered": nobody logged in.
        assert_eq!(inc.state_of(&other, stats), UserState::Failed);
    }

    #[test]
    fn past_the_cap_a_users_last_cause_is_the_latest_by_log_time() {
        let mut inc = Incident::with_limits(IncidentLimits { max_users: 1 });
        inc.apply(&ev(0, "113039", Outcome::Success, "tracked", "192.0.2.1"));
        // kim is past the cap: her later failure is read first, then an
        // earlier one from a file read after it.
        inc.apply(&rejected(600, "kim", "192.0.2.7", Cause::TokenRequired));
        inc.apply(&rejected(60, "kim", "192.0.2.8", Cause::BadCredentials));
        let many = inc.many_now();
        assert_eq!(many.recent, 1);
        assert_eq!(many.recent_by_cause[Cause::TokenRequired.index()], 1);
        assert_eq!(many.recent_by_cause[Cause::BadCredentials.index()], 0);
    }

    #[test]
    fn a_spray_past_the_cap_is_still_collapsed_under_its_address() {
        // Twenty addresses each try twenty names: more names than the cap.
        let names: Vec<String> = (0..400).map(|i| format!("guess{i}")).collect();
        let ip = |i: usize| format!("203.0.113.{}", i / 20);
        let run = |cap: Option<usize>| {
            let mut inc = match cap {
                Some(max_users) => Incident::with_limits(IncidentLimits { max_users }),
                None => Incident::default(),
            };
            for (i, n) in names.iter().enumerate() {
                inc.apply(&ev(i as i64 / 20, "113005", Outcome::Failure, n, &ip(i)));
            }
            inc
        };
        let (all, capped) = (run(None), run(Some(50)));
        assert_eq!(capped.totals(), all.totals());
        assert_eq!(capped.totals().spray_attempts, 400);
        let sprays = |inc: &Incident| {
            inc.users()
                .filter(|(k, s)| matches!(k, UserKey::Spray(_)) && s.failures > 0)
                .count()
        };
        assert_eq!(sprays(&capped), 20);
        assert_eq!(sprays(&all), 20);
        assert_eq!(capped.other_users(), 350);
        // The spray's names are no users failing.
        assert_eq!(capped.failing_now(), 0);
    }
}
