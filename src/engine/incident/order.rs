//! The users pane's orders ([`UserSort`]): the users with failures as
//! [`Incident::users_sorted`] lists them ([`ByFailures`]), each order kept
//! from one change to the next and sorted again only for the users whose
//! sort key moved. Apart from [`super::users`], which says who the users
//! are and how they stand; this says in what order the pane shows them.

use jiff::Timestamp;

use super::Incident;
use super::user_table::Moment;
use super::users::{UserKey, UserNow, UserStats};

/// How the Users pane orders users with failures (`o` cycles through them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UserSort {
    /// For the bridge: failing now first, then most failures in the last
    /// [`RECENT_MINUTES`](super::RECENT_MINUTES) minutes, then most
    /// failures in all.
    #[default]
    Recent,
    /// Most failures in all.
    Total,
    /// By name.
    Name,
    /// Most recently seen first.
    LastSeen,
}

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
    pub(super) fn key(self, s: &UserStats, now: &UserNow) -> SortKey {
        self.rekey(self.statistics_key(s), now)
    }

    /// The part of [`key`](Self::key) the user's statistics give, with the
    /// part [`UserNow`] gives left at zero.
    fn statistics_key(self, s: &UserStats) -> SortKey {
        match self {
            UserSort::Recent | UserSort::Total => (0, 0, s.failures, s.last_failure),
            // Whether the user is listed at all is part of every key, so a
            // user who starts failing counts as moved.
            UserSort::Name => (0, 0, u32::from(s.failures > 0), None),
            UserSort::LastSeen => (0, 0, u32::from(s.failures > 0), s.last_seen),
        }
    }

    /// The key of a user whose statistics did not change since `kept` (a
    /// key of theirs, or [`statistics_key`](Self::statistics_key)) was
    /// worked out: the part [`UserNow`] gives is put in afresh.
    fn rekey(self, kept: SortKey, now: &UserNow) -> SortKey {
        match self {
            UserSort::Recent => (u8::from(now.failing), now.recent_failures, kept.2, kept.3),
            UserSort::Total | UserSort::Name | UserSort::LastSeen => kept,
        }
    }
}

/// (failing now, recent failures, failures, a time), compared descending.
pub(super) type SortKey = (u8, u32, u32, Option<Timestamp>);

/// Users with failures in one of the users pane's orders, and every user's
/// sort key when it was computed (to tell which users moved since).
#[derive(Clone, Debug, Default)]
pub(super) struct UsersOrder {
    order: Vec<usize>,
    keys: Vec<SortKey>,
    /// The user table's writes when the keys were worked out.
    moment: Moment,
    /// Buffers the next order is worked out in, empty between orders.
    scratch: OrderScratch,
}

/// [`Incident::order_users`]' working buffers, kept with the order so that
/// none is made afresh (see `Incident::by_failures_hint`).
#[derive(Clone, Debug, Default)]
struct OrderScratch {
    /// By slot: whether the user's key moved.
    moved: Vec<bool>,
    /// The users whose key moved, in their new order.
    changed: Vec<usize>,
    /// The order being merged.
    merged: Vec<usize>,
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
            .get_or_init(|| {
                self.filling();
                self.order_users(sort, self.by_failures_hint[slot].take())
            })
            .order;
        ByFailures {
            order,
            users: &self.users,
        }
    }

    /// [`Incident::users_sorted`]'s order, from the previous one, in its
    /// buffers.
    pub(super) fn order_users(&self, sort: UserSort, prev: UsersOrder) -> UsersOrder {
        let users = &self.users;
        let UsersOrder {
            order: prev_order,
            mut keys,
            moment: prev_moment,
            scratch:
                OrderScratch {
                    mut moved,
                    mut changed,
                    mut merged,
                },
        } = prev;
        // The first order of an incident (`scan`'s only one) compares the
        // names: placing every user would cost more than its few ties.
        let first = keys.is_empty();
        // Each user's key in place of the previous one, and whether it
        // moved. A user whose row was not written since keeps the
        // statistics part of their key: their row is not read again.
        let users_now = self.users_now();
        keys.truncate(users_now.len());
        for (i, now) in users_now.iter().enumerate() {
            let key = match keys.get(i) {
                Some(&old) if !users.written_since(i, prev_moment) => sort.rekey(old, now),
                _ => sort.key(&users[i].1, now),
            };
            match keys.get_mut(i) {
                Some(old) => {
                    moved.push(*old != key);
                    *old = key;
                }
                None => {
                    moved.push(true);
                    keys.push(key);
                }
            }
        }
        // Ties by name (the user's key): from one change to the next,
        // through the names' places in key order rather than the names.
        let ranks = (!first).then(|| users.key_ranks());
        let by_name = |ia: usize, ib: usize| match ranks {
            Some(r) => r.of(ia).cmp(&r.of(ib)),
            None => users[ia].0.cmp(&users[ib].0),
        };
        let cmp = |&ia: &usize, &ib: &usize| keys[ib].cmp(&keys[ia]).then(by_name(ia, ib));
        // Users whose key is as it was keep their order among themselves
        // (the name breaks ties, so the order is total).
        let mut kept = prev_order;
        kept.retain(|&i| moved.get(i) == Some(&false));
        changed.extend((0..users.len()).filter(|&i| moved[i] && users[i].1.failures > 0));
        changed.sort_by(cmp);
        merged.reserve(kept.len() + changed.len());
        let mut rest = kept.as_slice();
        let before = |k: &usize, c: &usize| cmp(k, c) == std::cmp::Ordering::Less;
        for &c in &changed {
            // Where `c` goes among the kept users after the last one placed:
            // a search that doubles its reach first, so that placing many
            // users (a new minute of an outage moves a seventh of them)
            // costs a few comparisons each, and placing one still a binary
            // search.
            let mut reach = 1;
            while reach < rest.len() && rest.get(reach - 1).is_some_and(|k| before(k, &c)) {
                reach *= 2;
            }
            let reach = reach.min(rest.len());
            let at = rest[..reach].partition_point(|k| before(k, &c));
            merged.extend_from_slice(&rest[..at]);
            merged.push(c);
            rest = &rest[at..];
        }
        merged.extend_from_slice(rest);
        // The old list becomes the next merge's buffer.
        kept.clear();
        moved.clear();
        changed.clear();
        UsersOrder {
            order: merged,
            keys,
            moment: users.moment(),
            scratch: OrderScratch {
                moved,
                changed,
                merged: kept,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::incident::fixtures::*;
    use crate::engine::incident::users::FailingCutoff;
    use crate::engine::incident::*;
    use crate::parse::Outcome;

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
                // Worked out afresh, not from the incident's per-change cache.
                let key = |s: &UserStats| {
                    sort.key(s, &UserNow::of(s, now, FailingCutoff::at(now), false))
                };
                fresh.sort_by(|(ka, a), (kb, b)| key(b).cmp(&key(a)).then(ka.cmp(kb)));
                let fresh: Vec<UserKey> = fresh.into_iter().map(|(k, _)| k.clone()).collect();
                assert_eq!(shown, fresh, "{sort:?} after step {step}");
            }
        }
        assert!(inc.users_by_failures().len() >= 20);
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
