//! Every user's [`UserNow`] at the incident's clock, kept from one change
//! to the next: [`UsersNow`].
//!
//! An event changes one or two users; the log clock, when it moves to
//! another minute, can change any of them (a failure leaves the
//! five-minute "failing now" window, a minute leaves the 15-minute one;
//! windows are whole minutes, see [`crate::engine::window`]). So after a
//! change the previous values are kept for every user whose row was not
//! written since (see [`super::user_table`]) and whose attack flag is as
//! it was, while the clock stays in its minute. When it has moved to
//! another, they are kept for users whose newest failure precedes the
//! 15-minute window at both minutes ([`quiet_before`]) and, when it moved
//! by a few minutes, for users none of whose failures left or entered a
//! window with it ([`same_after_step`]: in an outage's new minute, the
//! users who failed 15 minutes ago, or last failed five minutes ago). The
//! `(other N users)` row is always worked out again. Either way the
//! result is what a full recompute gives, which `users::tests::incremental`
//! holds it to.

use jiff::Timestamp;

use super::user_table::Moment;
use super::users::{FailingCutoff, RECENT_MINUTES, UserKey, UserNow, UserStats};
use super::{FAILING_NOW_MINUTES, Incident};
use crate::engine::window::{first_minute, minute_of};

/// [`Incident::users_now`] and what it was worked out from.
#[derive(Clone, Debug, Default)]
pub(super) struct UsersNow {
    /// By slot.
    pub(super) values: Vec<UserNow>,
    /// By slot: the row is a password spray's source, not a user.
    pub(super) spray: Vec<bool>,
    /// By slot: the attack flag the value was worked out with (a spray
    /// source, or a name under attack now).
    attack: Vec<bool>,
    /// By slot: the newest minute the user's failure counts and last
    /// failure hold (see [`quiet_before`]), [`NEVER_FAILED`] for none.
    newest_failure: Vec<i64>,
    /// The minute of the incident's clock then.
    minute: Option<i64>,
    /// The user table's writes then.
    moment: Moment,
    /// A buffer the next `attack` is worked out in (the one before's),
    /// empty between values.
    spare: Vec<bool>,
}

impl UsersNow {
    /// How many users are failing now, the spray sources and the
    /// `(other N users)` row (`other`) left out.
    pub(super) fn failing_one_by_one(&self, other: Option<usize>) -> usize {
        self.values
            .iter()
            .zip(&self.spray)
            .enumerate()
            .filter(|&(i, (now, &spray))| now.failing && !spray && other != Some(i))
            .count()
    }
}

impl Incident {
    /// [`Incident::users_now`] worked out from `prev`, the previous one,
    /// in its buffers (see `Incident::users_now_hint`).
    pub(super) fn compute_users_now(&self, prev: UsersNow) -> UsersNow {
        let UsersNow {
            mut values,
            mut spray,
            attack: prev_attack,
            newest_failure: mut newest,
            minute: prev_minute,
            moment: prev_moment,
            spare: mut attack,
        } = prev;
        let users = &self.users;
        let now = self.now();
        let cutoff = FailingCutoff::at(now);
        spray.resize(users.len(), false);
        for slot in users.slots_written_since(prev_moment) {
            if let Some(s) = spray.get_mut(slot) {
                *s = matches!(users[slot].0, UserKey::Spray(_));
            }
        }
        attack.clear();
        attack.extend_from_slice(&spray);
        self.mark_attacked(&mut attack);
        let many = self.other.map(|_| self.many_now());
        let minute = now.map(minute_of);
        // A kept value holds while the user's newest failure is before
        // this minute: any, while the clock stays in its minute (known or
        // not); none, when it became known or unknown.
        let quiet = quiet_before(prev_minute, minute);
        let kept_below = if prev_minute == minute {
            i64::MAX
        } else {
            quiet.unwrap_or(i64::MIN)
        };
        // A step of a few minutes: the users who failed in the windows
        // are worked out again only if a failure of theirs left or entered
        // one ([`same_after_step`]).
        let step = match (prev_minute, minute, quiet) {
            (Some(then), Some(now), Some(_)) if then != now && then.abs_diff(now) <= MAX_STEP => {
                Some((then.min(now), then.max(now)))
            }
            _ => None,
        };
        // Each slot's previous value is read before it is replaced.
        values.truncate(users.len());
        newest.truncate(users.len());
        for (slot, &attack) in attack.iter().enumerate() {
            // The (other N users) row stands for users whose times are not
            // in its row: always worked out again.
            let kept = slot < values.len()
                && !users.written_since(slot, prev_moment)
                && prev_attack.get(slot) == Some(&attack)
                && self.other != Some(slot)
                && (newest.get(slot).is_some_and(|&m| m < kept_below)
                    || step.is_some_and(|(a, b)| same_after_step(&users[slot].1, a, b)));
            if kept {
                continue;
            }
            let stats = &users[slot].1;
            let value = match many {
                Some(many) if self.other == Some(slot) => {
                    UserNow::of_many(stats, now, &many, attack)
                }
                _ => UserNow::of(stats, now, cutoff, attack),
            };
            let failed = stats
                .recent
                .newest_minute()
                .max(stats.last_failure.map(minute_of))
                .unwrap_or(NEVER_FAILED);
            match (values.get_mut(slot), newest.get_mut(slot)) {
                (Some(v), Some(n)) => (*v, *n) = (value, failed),
                _ => {
                    values.push(value);
                    newest.push(failed);
                }
            }
        }
        // The flags before become the next ones' buffer.
        let mut spare = prev_attack;
        spare.clear();
        UsersNow {
            values,
            spray,
            attack,
            newest_failure: newest,
            minute,
            moment: users.moment(),
            spare,
        }
    }
}

/// The most minutes the clock may move for [`same_after_step`] to be
/// asked: a log's clock steps one minute at a time, and each minute of a
/// step costs two look-ups a user. A bound on the cost only: the rule
/// holds for any step.
const MAX_STEP: u64 = 3;

/// Whether the [`UserNow`] of a user whose row did not change reads the
/// same with the clock in minute `a` as in minute `b` (`a < b`, both with
/// a window start that is a time, see [`quiet_before`]): no failure of
/// theirs falls in a minute that one 15-minute window holds and the other
/// does not (their recent failures would differ), and their last failure
/// is not between the two five-minute windows' starts (whether they are
/// failing now, and so their state, would differ: "failing now" has a
/// start and no end). Their other values do not depend on the clock.
fn same_after_step(stats: &UserStats, a: i64, b: i64) -> bool {
    let starts = |minutes| first_minute(a, minutes).zip(first_minute(b, minutes));
    let (Some(recent), Some(failing)) = (starts(RECENT_MINUTES), starts(FAILING_NOW_MINUTES))
    else {
        return false;
    };
    // Held at `a` only, then at `b` only. An unchanged row has no failure
    // after the clock it was worked out at (the clock is never before a
    // failure applied), so when the clock moved forward the second part
    // finds nothing; it is looked at all the same, so that the rule does
    // not rest on that.
    let mut one_window_only = (recent.0..recent.1).chain(a + 1..=b);
    one_window_only.all(|m| stats.recent.at(m) == 0)
        && stats
            .last_failure
            .map(minute_of)
            .is_none_or(|f| !(failing.0..failing.1).contains(&f))
}

/// [`UsersNow::newest_failure`] of a user with no timed failure: before
/// any minute a clock can be in.
const NEVER_FAILED: i64 = i64::MIN;

/// The minute before which a user's newest failure must fall for their
/// [`UserNow`] to read the same with the clock in minute `then` as in
/// minute `now`: it is then outside the 15-minute window (and so the
/// five-minute one) at both, so they count no recent failure and are not
/// failing at either. `None` when either clock is unknown (without a
/// clock any unrecovered failure is "failing now").
fn quiet_before(then: Option<i64>, now: Option<i64>) -> Option<i64> {
    const _: () = assert!(RECENT_MINUTES >= FAILING_NOW_MINUTES);
    let earlier = then?.min(now?);
    // The first minute of the window ending at `earlier`; windows that
    // end later start later.
    let start = first_minute(earlier, RECENT_MINUTES)?;
    // A time there is, so `FailingCutoff` at either clock is a time, not
    // "any failure".
    Timestamp::from_second(start.checked_mul(60)?).ok()?;
    Some(start)
}
