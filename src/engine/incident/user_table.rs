//! The incident's users, one row each, and a note of which rows changed
//! since any moment: [`UserTable`].
//!
//! After every event the dashboard needs every user's state at the log
//! clock, the failing count and the users pane's orders. Worked out from
//! every row each time, that is a pass over 10 000 rows of several hundred
//! bytes per change: the frame is then bound by memory, not by work. The
//! table stamps each row when it is handed out for writing, so those
//! derived values are kept from one change to the next and only the rows
//! stamped since are worked out again (see [`super::Incident::users_now`]).
//!
//! The only ways to change a row are [`UserTable::get_mut`], indexing for
//! writing and [`UserTable::push`], and each stamps the row (whether or
//! not anything is then written: a stamp too many only costs a user
//! worked out again): the table derefs to a slice for reading only, so no
//! write can go unnoted. That holds while nothing those derived values
//! read sits behind interior mutability in a row (`MinuteRing`'s kept
//! answer is a cache of what the ring gives), and while the table has no
//! `DerefMut`, `iter_mut` or other way to a `&mut` row that does not
//! stamp it.

use std::ops::{Deref, Index, IndexMut};
use std::sync::OnceLock;

use super::users::{UserKey, UserStats};

/// One user's key and statistics.
pub(crate) type UserRow = (UserKey, UserStats);

/// The users' rows, in slot order, and when each was last written.
#[derive(Clone, Debug, Default)]
pub(super) struct UserTable {
    rows: Vec<UserRow>,
    /// Per slot, the value of `writes` when the row was last handed out
    /// for writing.
    written: Vec<u64>,
    /// Writes so far: a moment to compare stamps against.
    writes: u64,
    /// [`UserTable::key_ranks`], worked out at most once per user added.
    ranks: OnceLock<KeyRanks>,
    /// The last [`UserTable::key_ranks`] worked out: users added since are
    /// placed among them.
    ranks_kept: KeyRanks,
}

/// Every row's place in the order of the rows' keys: comparing two places
/// is comparing the two keys (names, addresses), without reading them.
#[derive(Clone, Debug, Default)]
pub(super) struct KeyRanks {
    /// Slots in key order.
    by_key: Vec<u32>,
    /// By slot: the place in `by_key`.
    rank: Vec<u32>,
}

impl KeyRanks {
    /// The place of the row at `slot` in key order.
    pub(super) fn of(&self, slot: usize) -> u32 {
        self.rank.get(slot).copied().unwrap_or(u32::MAX)
    }
}

/// A moment in the table's writes ([`UserTable::moment`]): rows written
/// after it are [`UserTable::written_since`] it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Moment(u64);

impl UserTable {
    /// Now, in the table's writes.
    pub(super) fn moment(&self) -> Moment {
        Moment(self.writes)
    }

    /// Whether the row at `slot` was written after `moment` (a slot added
    /// since was).
    pub(super) fn written_since(&self, slot: usize, moment: Moment) -> bool {
        self.written.get(slot).is_none_or(|&w| w > moment.0)
    }

    /// The slots written after `moment`, in slot order.
    pub(super) fn slots_written_since(&self, moment: Moment) -> impl Iterator<Item = usize> + '_ {
        self.written
            .iter()
            .enumerate()
            .filter(move |&(_, &w)| w > moment.0)
            .map(|(i, _)| i)
    }

    fn stamp(&mut self, slot: usize) {
        self.writes += 1;
        if let Some(w) = self.written.get_mut(slot) {
            *w = self.writes;
        }
    }

    pub(super) fn push(&mut self, row: UserRow) {
        self.rows.push(row);
        self.writes += 1;
        self.written.push(self.writes);
        if let Some(ranks) = self.ranks.take() {
            self.ranks_kept = ranks;
        }
    }

    /// Every row's place in key order ([`KeyRanks`]). A row's key never
    /// moves among the others once pushed: the only key ever rewritten is
    /// the `(other N users)` row's count, and there is one such row, so
    /// only rows added change the places.
    pub(super) fn key_ranks(&self) -> &KeyRanks {
        self.ranks.get_or_init(|| {
            let kept = &self.ranks_kept;
            let key = |slot: u32| &self.rows[slot as usize].0;
            let mut by_key = kept.by_key.clone();
            let added = kept.by_key.len()..self.rows.len();
            if added.len() > by_key.len() / 8 {
                // Many added (the first time, or a burst): one sort.
                by_key.extend(added.filter_map(|s| u32::try_from(s).ok()));
                UserKey::sort_in_order(&mut by_key, key);
            } else {
                for slot in added.filter_map(|s| u32::try_from(s).ok()) {
                    let at = by_key.partition_point(|&s| key(s) < key(slot));
                    by_key.insert(at, slot);
                }
            }
            let mut rank = vec![0; self.rows.len()];
            for (place, &slot) in (0u32..).zip(&by_key) {
                if let Some(r) = rank.get_mut(slot as usize) {
                    *r = place;
                }
            }
            KeyRanks { by_key, rank }
        })
    }

    pub(super) fn get_mut(&mut self, slot: usize) -> Option<&mut UserRow> {
        self.stamp(slot);
        self.rows.get_mut(slot)
    }
}

impl Deref for UserTable {
    type Target = [UserRow];

    fn deref(&self) -> &[UserRow] {
        &self.rows
    }
}

impl Index<usize> for UserTable {
    type Output = UserRow;

    fn index(&self, slot: usize) -> &UserRow {
        &self.rows[slot]
    }
}

impl IndexMut<usize> for UserTable {
    fn index_mut(&mut self, slot: usize) -> &mut UserRow {
        self.stamp(slot);
        &mut self.rows[slot]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(n: &str) -> UserRow {
        (UserKey::Named(n.into()), UserStats::default())
    }

    /// Every way to write a row stamps it, reading does not, and a moment
    /// taken before tells the written rows from the others.
    /// Places in key order, as users are added one at a time and in
    /// bursts, match the order of the keys themselves.
    #[test]
    fn key_ranks_follow_the_keys_as_users_are_added() {
        let mut t = UserTable::default();
        let mut seed = 11u32;
        for round in 0..40 {
            // One user in most rounds, a burst in some.
            let n = if round % 7 == 0 { 30 } else { 1 };
            for _ in 0..n {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let name = format!("u{}", seed % 100_000);
                if t.iter().all(|(k, _)| *k != UserKey::Named(name.clone())) {
                    t.push(named(&name));
                }
            }
            let ranks = t.key_ranks();
            let mut slots: Vec<usize> = (0..t.len()).collect();
            slots.sort_by(|&a, &b| t[a].0.cmp(&t[b].0));
            for (place, &slot) in slots.iter().enumerate() {
                assert_eq!(ranks.of(slot), place as u32, "round {round}");
            }
        }
        assert!(t.len() > 100);
    }

    #[test]
    fn writes_are_stamped_and_reads_are_not() {
        let mut t = UserTable::default();
        t.push(named("ann"));
        t.push(named("bob"));
        t.push(named("cy"));
        let m = t.moment();
        assert!(!t.written_since(0, m) && !t.written_since(2, m));
        assert_eq!(t[1].1.failures, 0);
        assert_eq!(t.iter().count(), 3);
        assert_eq!(t.slots_written_since(m).count(), 0);
        t[2].1.failures += 1;
        if let Some((_, s)) = t.get_mut(0) {
            s.successes += 1;
        }
        assert_eq!(t.slots_written_since(m).collect::<Vec<_>>(), [0, 2]);
        // A slot added since counts as written; one past the end too.
        t.push(named("dee"));
        assert!(t.written_since(3, m) && t.written_since(9, m));
        assert!(!t.written_since(1, m));
        let later = t.moment();
        assert_eq!(t.slots_written_since(later).count(), 0);
        // Out of range: nothing handed out, nothing stamped.
        assert!(t.get_mut(7).is_none());
        assert_eq!(t.slots_written_since(later).count(), 0);
    }
}
