//! Which of the times the incident holds are not their lines' own.
//!
//! A line whose header a collector removed takes its JSON record's time,
//! else the time it was read (see [`TimeFrom`]). The engine keeps such
//! times as it keeps any other (a user's first and last failure, the
//! incident's first failure); this index remembers which times came that
//! way, so every output that prints one can mark it ([`TimeFrom::mark`])
//! and nobody on the bridge takes a read time for the event's time.
//!
//! Keyed by the exact time (to the nanosecond): a time printed is the time
//! of the event it came from. Bounded: at most [`TIME_MARKS_CAP`] times,
//! the oldest forgotten first; once one was forgotten,
//! [`TimeMarks::incomplete`] says so and the outputs say a mark may be
//! missing.

use std::collections::{BTreeMap, VecDeque};

use jiff::Timestamp;

use super::hashing::HashMap;
use super::incident::UserStats;
use crate::vocab::TimeFrom;

/// Times remembered (about 40 bytes each).
pub const TIME_MARKS_CAP: usize = 1 << 16;

#[derive(Clone, Debug, Default)]
pub struct TimeMarks {
    from: HashMap<Timestamp, TimeFrom>,
    order: VecDeque<Timestamp>,
    forgotten: bool,
}

impl TimeMarks {
    /// Notes that `ts` came from `from`; own times are not kept.
    pub fn note(&mut self, ts: Timestamp, from: TimeFrom) {
        if from.mark().is_empty() || self.from.contains_key(&ts) {
            return;
        }
        if self.order.len() >= TIME_MARKS_CAP
            && let Some(old) = self.order.pop_front()
        {
            self.from.remove(&old);
            self.forgotten = true;
        }
        self.from.insert(ts, from);
        self.order.push_back(ts);
    }

    /// Where `ts` came from: [`TimeFrom::Line`] unless noted.
    pub fn get(&self, ts: Timestamp) -> TimeFrom {
        self.from.get(&ts).copied().unwrap_or_default()
    }

    /// Which of a user's times are not their lines' own, by field
    /// (`first_failure`, `last_failure`, `last_success`, `last_seen`): the
    /// `times_from` of `scan --json` and a bundle's `user.json`.
    pub fn of_user(&self, stats: &UserStats) -> BTreeMap<&'static str, TimeFrom> {
        [
            ("first_failure", stats.first_failure),
            ("last_failure", stats.last_failure),
            ("last_success", stats.last_success),
            ("last_seen", stats.last_seen),
        ]
        .into_iter()
        .filter_map(|(field, ts)| Some((field, self.get(ts?))))
        .filter(|(_, from)| !from.mark().is_empty())
        .collect()
    }

    /// Whether any time is marked.
    pub fn any(&self) -> bool {
        !self.from.is_empty() || self.forgotten
    }

    /// Some marked time was forgotten to stay bounded: an unmarked time
    /// may be one that is not its line's own.
    pub fn incomplete(&self) -> bool {
        self.forgotten
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap_or_default()
    }

    #[test]
    fn marks_the_times_that_are_not_their_lines_own() {
        let mut m = TimeMarks::default();
        m.note(at(1), TimeFrom::Envelope);
        m.note(at(2), TimeFrom::Read);
        m.note(at(3), TimeFrom::Line);
        assert_eq!(
            [1, 2, 3, 4].map(|s| m.get(at(s)).mark()),
            ["~", "?", "", ""]
        );
        assert!(m.any() && !m.incomplete());
    }

    #[test]
    fn bounded_and_says_so_when_it_forgot() {
        let mut m = TimeMarks::default();
        for s in 0..TIME_MARKS_CAP as i64 + 1 {
            m.note(at(s), TimeFrom::Read);
        }
        assert_eq!(m.from.len(), TIME_MARKS_CAP);
        assert_eq!(m.get(at(0)), TimeFrom::Line);
        assert_eq!(m.get(at(1)), TimeFrom::Read);
        assert!(m.incomplete());
    }
}
