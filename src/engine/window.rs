//! Counts per minute of log time over a short sliding window.
//!
//! The dashboard and the scope verdict ask "how many in the last 1, 5, 15
//! minutes?" after every batch. Keeping every timestamp would make that cost
//! grow with the incident; a small ring of per-minute buckets answers it in
//! constant time and memory, and adding an event is O(1) amortised (a jump
//! forward clears at most [`MINUTES`] buckets).
//!
//! Minutes are whole minutes of log time (`12:03:00`–`12:03:59`), and the
//! current minute is the window's last, so "the last 5 minutes" at `12:07:30`
//! means the buckets `12:03`–`12:07`: from `12:03:00` on, four and a half
//! minutes of history (between four and five, by how far the current minute
//! has gone). That is the usual resolution of such counters and is stated
//! wherever the numbers are shown. "Failing now" asks the same question of
//! a user's last failure through [`window_start`], so a user failing now
//! always has a failure in the 5-minute count.

use std::cell::Cell;

use jiff::Timestamp;

/// Buckets kept: enough for the longest window asked for (15 minutes).
pub const MINUTES: usize = 16;

/// The windows the dashboard and `scan --json` report, in minutes.
pub const WINDOWS: [u32; 3] = [1, 5, 15];

/// Per-minute counts of one kind of event, for the newest [`MINUTES`] minutes.
#[derive(Clone, Debug, Default)]
pub struct MinuteRing {
    buckets: [u32; MINUTES],
    /// Minute number (seconds since the epoch / 60) of the newest bucket;
    /// `None` until the first timed event.
    head: Option<i64>,
    /// The last answer of [`MinuteRing::last`] ([`KeptAnswer`]), kept
    /// until the ring changes: a window is asked for again at the same
    /// minute of log time (the users pane's sparkline and counts every
    /// frame, the scope verdict's incident-wide windows after every
    /// change), and most rings have not changed since.
    last_answer: Cell<KeptAnswer>,
}

/// A window's count with the question it answers, in one word (a ring is
/// kept for every user, up to `--max-users` of them): the count in the low
/// 32 bits, the window's length (at most [`MINUTES`]) in the next 5, the
/// minute it ends at as an offset from the ring's newest minute in the 26
/// above, and the top bit set when an answer is kept.
#[derive(Clone, Copy, Debug, Default)]
struct KeptAnswer(u64);

impl KeptAnswer {
    const KEPT: u64 = 1 << 63;
    /// Offsets are kept biased by this, in 26 bits.
    const BIAS: i64 = 1 << 25;

    /// The answer for a window of `minutes` ending at minute `now`, kept
    /// for a ring whose newest minute is `head` (`None` when `now` is too
    /// far from it to be written down: then nothing is kept).
    fn of(now: i64, head: i64, minutes: i64, count: u32) -> Option<KeptAnswer> {
        let offset = now.checked_sub(head)?.checked_add(Self::BIAS)?;
        let offset = u64::try_from(offset).ok().filter(|&o| o < 1 << 26)?;
        let minutes = u64::try_from(minutes).ok().filter(|&m| m < 1 << 5)?;
        Some(KeptAnswer(
            Self::KEPT | offset << 37 | minutes << 32 | u64::from(count),
        ))
    }

    /// The count, if this is the answer for that window of that ring.
    fn count(self, now: i64, head: i64, minutes: i64) -> Option<u32> {
        let asked = KeptAnswer::of(now, head, minutes, 0)?;
        (self.0 & !u64::from(u32::MAX) == asked.0).then_some(self.0 as u32)
    }
}

/// Equal counts: the answer kept is left out.
impl PartialEq for MinuteRing {
    fn eq(&self, other: &Self) -> bool {
        self.buckets == other.buckets && self.head == other.head
    }
}

impl Eq for MinuteRing {}

/// The first instant a window of `minutes` ending at `now` counts: the
/// start of `now`'s minute, `minutes - 1` minutes back (see the module
/// doc). Whatever asks "in the last N minutes?" of a single time asks it
/// through this, so that it agrees with the counts (`None` before the
/// earliest time there is).
pub fn window_start(now: Timestamp, minutes: u32) -> Option<Timestamp> {
    let first = first_minute(minute_of(now), minutes)?;
    Timestamp::from_second(first.checked_mul(60)?).ok()
}

/// The first minute (see [`minute_of`]) a window of `minutes` ending in
/// `minute` holds: [`window_start`]'s, for callers that work in minutes.
pub fn first_minute(minute: i64, minutes: u32) -> Option<i64> {
    minute.checked_sub(i64::from(minutes.max(1)) - 1)
}

/// The whole minute of log time `ts` falls in (minutes since the epoch):
/// every window here answers the same for any two times of one minute.
pub fn minute_of(ts: Timestamp) -> i64 {
    ts.as_second().div_euclid(60)
}

fn slot(minute: i64) -> usize {
    minute.rem_euclid(MINUTES as i64) as usize
}

impl MinuteRing {
    /// Counts `n` events at `ts`. Events older than the ring are dropped;
    /// events without a time cannot be placed and are ignored.
    pub fn add(&mut self, ts: Option<Timestamp>, n: u32) {
        let Some(ts) = ts else { return };
        *self.last_answer.get_mut() = KeptAnswer::default();
        let minute = minute_of(ts);
        match self.head {
            Some(head) if minute <= head => {
                // A line slightly out of order (two headends, a relay):
                // count it in its own minute while that is still kept.
                if head - minute < MINUTES as i64 {
                    let b = &mut self.buckets[slot(minute)];
                    *b = b.saturating_add(n);
                }
                return;
            }
            Some(head) => {
                // Clear the minutes skipped over, at most the whole ring.
                let gap = (minute - head).min(MINUTES as i64);
                for m in (minute - gap + 1)..=minute {
                    self.buckets[slot(m)] = 0;
                }
            }
            None => self.buckets = [0; MINUTES],
        }
        self.head = Some(minute);
        self.buckets[slot(minute)] = n;
    }

    /// Takes back `n` events counted at `ts` (an attempt that moved to
    /// another user), if that minute is still kept.
    pub fn remove(&mut self, ts: Option<Timestamp>, n: u32) {
        let (Some(ts), Some(head)) = (ts, self.head) else {
            return;
        };
        let minute = minute_of(ts);
        if minute <= head && head - minute < MINUTES as i64 {
            let b = &mut self.buckets[slot(minute)];
            *b = b.saturating_sub(n);
            *self.last_answer.get_mut() = KeptAnswer::default();
        }
    }

    /// The newest minute counted ([`minute_of`]), `None` before the first
    /// timed event: a window that starts after it counts nothing.
    pub fn newest_minute(&self) -> Option<i64> {
        self.head
    }

    /// Events in the one whole minute `minute` (minutes since the epoch,
    /// see [`minute_of`]): 0 for a minute the ring does not hold.
    pub fn at(&self, minute: i64) -> u32 {
        match self.head {
            Some(head) if minute <= head && minute > head - MINUTES as i64 => {
                self.buckets[slot(minute)]
            }
            _ => 0,
        }
    }

    /// Events in the `minutes` whole minutes up to and including the minute
    /// of `now` (at most [`MINUTES`]).
    pub fn last(&self, now: Option<Timestamp>, minutes: u32) -> u32 {
        let (Some(now), Some(head)) = (now, self.head) else {
            return 0;
        };
        let now = minute_of(now);
        let minutes = i64::from(minutes).min(MINUTES as i64);
        if let Some(count) = self.last_answer.get().count(now, head, minutes) {
            return count;
        }
        let count = self.count(now, head, minutes);
        if let Some(kept) = KeptAnswer::of(now, head, minutes, count) {
            self.last_answer.set(kept);
        }
        count
    }

    /// [`MinuteRing::last`] worked out, for the minute `now` and a ring
    /// whose newest minute is `head`.
    fn count(&self, now: i64, head: i64, minutes: i64) -> u32 {
        let from = now - minutes + 1;
        // Only minutes the ring still holds: (head - MINUTES, head].
        let lo = from.max(head - MINUTES as i64 + 1);
        let hi = now.min(head);
        if hi < lo {
            return 0;
        }
        // The `len` buckets from `lo`'s slot on, wrapping. Windows are
        // mostly 15 of the 16 minutes: the sum of the whole ring (a loop the
        // compiler vectorises) less the buckets left out is cheaper than a
        // bucket at a time (this runs for every user after every change).
        const _: () = assert!(MINUTES.is_power_of_two());
        let start = slot(lo);
        let len = (hi - lo + 1) as usize;
        let sum_from = |from: usize, n: usize| -> u64 {
            (0..n)
                .map(|k| u64::from(self.buckets[(from + k) & (MINUTES - 1)]))
                .sum()
        };
        let sum = if 2 * len >= MINUTES {
            let all: u64 = self.buckets.iter().map(|&n| u64::from(n)).sum();
            all - sum_from(start + len, MINUTES - len)
        } else {
            sum_from(start, len)
        };
        // Buckets saturate; so does their sum.
        sum.try_into().unwrap_or(u32::MAX)
    }

    /// Per-minute counts for the `minutes` minutes ending at the minute of
    /// `now`, oldest first (for sparklines).
    pub fn series(&self, now: Option<Timestamp>, minutes: usize) -> Vec<u32> {
        let minutes = minutes.min(MINUTES);
        let Some(now) = now else {
            return vec![0; minutes];
        };
        let now = minute_of(now);
        (0..minutes as i64)
            .rev()
            .map(|back| self.at(now - back))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A time `min` minutes and `sec` seconds after a whole minute
    /// (1_800_000_000 s is one: 30_000_000 minutes).
    fn t(min: i64, sec: i64) -> Option<Timestamp> {
        Timestamp::from_second(1_800_000_000 + min * 60 + sec).ok()
    }

    #[test]
    fn counts_fall_out_of_the_window_as_log_time_moves() {
        let mut r = MinuteRing::default();
        r.add(t(0, 10), 1);
        r.add(t(0, 50), 1);
        r.add(t(3, 0), 1);
        assert_eq!(r.last(t(3, 30), 1), 1);
        assert_eq!(r.last(t(3, 30), 4), 3, "minutes 0..=3");
        assert_eq!(r.last(t(3, 30), 3), 1, "minutes 1..=3 exclude minute 0");
        assert_eq!(r.last(t(14, 59), 15), 3);
        assert_eq!(r.last(t(15, 0), 15), 1, "minute 0 has left the window");
        assert_eq!(r.series(t(3, 0), 4), [2, 0, 0, 1]);
    }

    #[test]
    fn one_minutes_count_is_the_one_minute_window() {
        let mut r = MinuteRing::default();
        for (m, n) in [(0, 1), (3, 2), (17, 4), (18, 1), (30, 3), (29, 5)] {
            r.add(t(m, 20), n);
            for probe in -2..40 {
                let minute = t(probe, 0).map_or(0, minute_of);
                assert_eq!(r.at(minute), r.last(t(probe, 59), 1), "minute {probe}");
            }
        }
        assert_eq!(r.at(t(30, 0).map_or(0, minute_of)), 3);
        assert_eq!(r.at(t(17, 0).map_or(0, minute_of)), 4);
        assert_eq!(r.at(t(3, 0).map_or(0, minute_of)), 0, "older than the ring");
    }

    #[test]
    fn a_long_gap_clears_the_whole_ring() {
        let mut r = MinuteRing::default();
        for m in 0..16 {
            r.add(t(m, 0), 2);
        }
        r.add(t(100, 0), 1);
        assert_eq!(r.last(t(100, 0), 15), 1);
        assert_eq!(r.series(t(100, 0), 3), [0, 0, 1]);
    }

    #[test]
    fn late_lines_count_in_their_own_minute_while_it_is_kept() {
        let mut r = MinuteRing::default();
        r.add(t(20, 0), 1);
        r.add(t(18, 0), 1);
        r.add(t(2, 0), 1); // older than the ring: dropped
        assert_eq!(r.last(t(20, 0), 1), 1);
        assert_eq!(r.last(t(20, 0), 5), 2);
        assert_eq!(r.last(t(20, 0), 15), 2);
    }

    #[test]
    fn untimed_events_and_empty_rings_count_nothing() {
        let mut r = MinuteRing::default();
        assert_eq!(r.last(t(0, 0), 15), 0);
        r.add(None, 5);
        assert_eq!(r.last(t(0, 0), 15), 0);
        r.add(t(0, 0), 1);
        assert_eq!(r.last(None, 15), 0);
    }

    mod kept_answer {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// The answer kept by `last` is always the one worked out
            /// afresh, whatever was added or taken back in between and
            /// whichever windows were asked for at whichever minutes.
            #[test]
            fn a_kept_answer_is_the_fresh_one(
                // Few minutes and windows, so that questions repeat (a kept
                // answer is used) and a jump now and then past the ring.
                steps in prop::collection::vec(
                    (0u8..3, prop_oneof![8 => 0i64..6, 1 => 0i64..40], 0i64..60, 0u32..4),
                    1..80,
                ),
            ) {
                let mut r = MinuteRing::default();
                for (op, min, sec, n) in steps {
                    match op {
                        0 => r.add(t(min, sec), n),
                        1 => r.remove(t(min, sec), n),
                        _ => {
                            let n = [1, 5, 15, 40][n as usize];
                            let asked = r.last(t(min, sec), n);
                            let fresh = match (t(min, sec), r.head) {
                                (Some(now), Some(head)) => {
                                    r.count(minute_of(now), head, i64::from(n).min(MINUTES as i64))
                                }
                                _ => 0,
                            };
                            prop_assert_eq!(asked, fresh);
                        }
                    }
                }
            }
        }
    }

    /// Every window ending at every minute around a ring that has wrapped
    /// several times: the count is the events of the window's minutes that
    /// the ring still holds, as a list of every event would count them.
    #[test]
    fn windows_count_what_a_list_of_events_would_across_the_wrap() {
        let mut r = MinuteRing::default();
        let mut kept: Vec<i64> = Vec::new();
        // Minute m gets m % 3 + 1 events, minutes 0..=40 (the ring wraps).
        for m in 0..=40 {
            r.add(t(m, 5), (m % 3 + 1) as u32);
            kept.push(m);
        }
        let head = 40;
        for now in 20..=60 {
            for minutes in [1, 5, 15, 16, 40] {
                let from = now - i64::from(minutes).min(MINUTES as i64) + 1;
                let expected: u32 = kept
                    .iter()
                    .filter(|&&m| m >= from && m <= now && head - m < MINUTES as i64)
                    .map(|m| (m % 3 + 1) as u32)
                    .sum();
                assert_eq!(
                    r.last(t(now, 30), minutes),
                    expected,
                    "now {now}, {minutes} min"
                );
            }
        }
    }
}
