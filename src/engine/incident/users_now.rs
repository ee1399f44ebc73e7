//! Every user's [`UserNow`] at the incident's clock, kept from one change
//! to the next: [`UsersNow`].
//!
//! An event changes one or two users; the log clock, when it moves to
//! another minute, can change any of them (a failure leaves the
//! five-minute "failing now" window, a minute leaves the 15-minute one;
//! windows are whole minutes, see [`crate::engine::window`]). So after a
//! change the previous values are kept for every user whose row was not
//! written since (see [`super::user_table`]) and whose attack flag is as
//! it was, while the clock stays in its minute; when it has moved to
//! another, every user is worked out again. Either way the result is what
//! a full recompute gives, which `users::tests::incremental` holds it to.

use super::Incident;
use super::user_table::Moment;
use super::users::{FailingCutoff, UserKey, UserNow};
use crate::engine::window::minute_of;

/// [`Incident::users_now`] and what it was worked out from.
#[derive(Clone, Debug, Default)]
pub(super) struct UsersNow {
    /// By slot.
    pub(super) values: Vec<UserNow>,
    /// By slot: the row is a password spray's source, not a user.
    pub(super) spray: Vec<bool>,
    /// By slot: the flag the value was worked out with (see
    /// [`Incident::attack_flags`]).
    attack: Vec<bool>,
    /// The minute of the incident's clock then.
    minute: Option<i64>,
    /// The user table's writes then.
    moment: Moment,
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
    /// [`Incident::users_now`] worked out from `prev`, the previous one.
    pub(super) fn compute_users_now(&self, prev: &UsersNow) -> UsersNow {
        let users = &self.users;
        let now = self.now();
        let cutoff = FailingCutoff::at(now);
        let mut spray = prev.spray.clone();
        spray.resize(users.len(), false);
        for slot in users.slots_written_since(prev.moment) {
            if let Some(s) = spray.get_mut(slot) {
                *s = matches!(users[slot].0, UserKey::Spray(_));
            }
        }
        let mut attack = spray.clone();
        for (u, _) in self.spray.attacked_users(now) {
            if let Some(f) = attack.get_mut(u) {
                *f = true;
            }
        }
        let many = self.other.map(|_| self.many_now());
        let work_out = |slot: usize, attack: bool| {
            let stats = &users[slot].1;
            match many {
                Some(many) if self.other == Some(slot) => {
                    UserNow::of_many(stats, now, &many, attack)
                }
                _ => UserNow::of(stats, now, cutoff, attack),
            }
        };
        let minute = now.map(minute_of);
        let values = if prev.minute == minute {
            let mut values = prev.values.clone();
            values.truncate(users.len());
            for (slot, &attack) in attack.iter().enumerate() {
                // The (other N users) row stands for users whose times are
                // not in its row: always worked out again.
                let stale = users.written_since(slot, prev.moment)
                    || prev.attack.get(slot) != Some(&attack)
                    || self.other == Some(slot);
                if !stale {
                    continue;
                }
                let value = work_out(slot, attack);
                match values.get_mut(slot) {
                    Some(v) => *v = value,
                    None => values.push(value),
                }
            }
            values
        } else {
            attack
                .iter()
                .enumerate()
                .map(|(slot, &attack)| work_out(slot, attack))
                .collect()
        };
        UsersNow {
            values,
            spray,
            attack,
            minute,
            moment: users.moment(),
        }
    }
}
