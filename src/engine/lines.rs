//! The bounded store of log lines a pane shows.
//!
//! Lines are kept as raw bytes in one arena with an offset table, so a
//! million retained lines cost two allocations, not a million. When more than
//! `retain` lines are held the oldest are dropped (they can be re-read from
//! their file); the arena is compacted once the dropped prefix is larger than
//! what is still live, which keeps pushes amortised O(1).

use std::collections::VecDeque;

use crate::parse::{Cause, Outcome};
use crate::source::SourceId;

/// How a stored line is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// Not recognised by any parser: shown as is, unstyled.
    Plain,
    /// A recognised event.
    Event {
        outcome: Outcome,
        cause: Option<Cause>,
    },
    /// Written by vpnwatch itself (rotation, truncation …), not from a log.
    Marker,
    /// A piece of a line longer than the cap, after its first piece.
    Continuation,
}

/// Where a line came from and what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineMeta {
    pub source: SourceId,
    /// Line number in its file; 0 for markers.
    pub line_no: u64,
    pub kind: LineKind,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    /// Offset of the line in the arena, counted from the first byte ever
    /// stored, so compaction does not have to rewrite slots.
    start: u64,
    len: u32,
    meta: LineMeta,
}

#[derive(Debug)]
pub struct LineStore {
    arena: Vec<u8>,
    /// Logical offset of `arena[0]`.
    arena_base: u64,
    slots: VecDeque<Slot>,
    retain: usize,
    /// Lines ever pushed; the index of a line is stable for its lifetime.
    pushed: u64,
}

impl LineStore {
    pub fn new(retain: usize) -> Self {
        LineStore {
            arena: Vec::new(),
            arena_base: 0,
            slots: VecDeque::new(),
            retain: retain.max(1),
            pushed: 0,
        }
    }

    pub fn push(&mut self, line: &[u8], meta: LineMeta) {
        let start = self.arena_base + self.arena.len() as u64;
        // A single line longer than 4 GiB cannot come from a source (they cap
        // line length), so saturating keeps this total without a panic path.
        let len = u32::try_from(line.len()).unwrap_or(u32::MAX);
        self.arena.extend_from_slice(&line[..len as usize]);
        self.slots.push_back(Slot { start, len, meta });
        self.pushed += 1;
        if self.slots.len() > self.retain {
            self.slots.pop_front();
            self.compact_if_worthwhile();
        }
    }

    fn compact_if_worthwhile(&mut self) {
        let Some(first) = self.slots.front() else {
            self.arena.clear();
            return;
        };
        let dead = (first.start - self.arena_base) as usize;
        if dead > self.arena.len() / 2 {
            self.arena.drain(..dead);
            self.arena_base = first.start;
        }
    }

    /// Restyles the line pushed as the `index`-th ever (a multi-line record
    /// is known only once its last line arrived). Evicted lines are left be.
    pub fn set_kind(&mut self, index: u64, kind: LineKind) {
        let Some(i) = index.checked_sub(self.evicted()) else {
            return;
        };
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| self.slots.get_mut(i)) {
            slot.meta.kind = kind;
        }
    }

    /// Lines currently retained.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Lines ever pushed, retained or not.
    pub fn total(&self) -> u64 {
        self.pushed
    }

    /// Lines pushed and since dropped to stay within the retention bound.
    pub fn evicted(&self) -> u64 {
        self.pushed - self.slots.len() as u64
    }

    /// The `i`-th retained line, oldest first.
    pub fn get(&self, i: usize) -> Option<(&[u8], LineMeta)> {
        let slot = self.slots.get(i)?;
        let from = (slot.start - self.arena_base) as usize;
        let bytes = self.arena.get(from..from + slot.len as usize)?;
        Some((bytes, slot.meta))
    }

    /// Retained lines in `range`, oldest first.
    pub fn range(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = (&[u8], LineMeta)> {
        range.filter_map(move |i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(n: u64) -> LineMeta {
        LineMeta {
            source: SourceId(0),
            line_no: n,
            kind: LineKind::Plain,
        }
    }

    #[test]
    fn keeps_the_newest_lines_within_the_bound() {
        let mut store = LineStore::new(3);
        for n in 1..=10u64 {
            store.push(format!("line {n}").as_bytes(), meta(n));
        }
        assert_eq!(store.len(), 3);
        assert_eq!(store.total(), 10);
        assert_eq!(store.evicted(), 7);
        let kept: Vec<_> = store
            .range(0..3)
            .map(|(b, m)| (String::from_utf8_lossy(b).into_owned(), m.line_no))
            .collect();
        assert_eq!(
            kept,
            [
                ("line 8".into(), 8),
                ("line 9".into(), 9),
                ("line 10".into(), 10)
            ]
        );
    }

    #[test]
    fn arena_stays_bounded_under_a_long_stream() {
        let mut store = LineStore::new(100);
        for n in 0..100_000u64 {
            store.push(b"0123456789012345678901234567890123456789", meta(n));
        }
        assert!(
            store.arena.len() <= 2 * 100 * 40 + 40,
            "arena grew to {}",
            store.arena.len()
        );
        assert_eq!(store.get(99).map(|(_, m)| m.line_no), Some(99_999));
        assert!(store.get(100).is_none());
    }

    #[test]
    fn empty_and_binary_lines_round_trip() {
        let mut store = LineStore::new(10);
        store.push(b"", meta(1));
        store.push(&[0xff, 0x00, b'a'], meta(2));
        assert_eq!(store.get(0).map(|(b, _)| b.to_vec()), Some(vec![]));
        assert_eq!(
            store.get(1).map(|(b, _)| b.to_vec()),
            Some(vec![0xff, 0x00, b'a'])
        );
    }
}
