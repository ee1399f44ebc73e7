//! The bounded store of log lines a pane shows.
//!
//! Lines are kept as raw bytes in an arena of 1 MiB chunks with an offset
//! table, so a million retained lines cost a few hundred allocations, not a
//! million. When more than `retain` lines are held the oldest are dropped;
//! a chunk is freed as soon as its last line is, so memory stays at the live
//! lines plus at most one chunk (a single growing buffer that is compacted
//! now and then would hold up to twice the live bytes, plus the slack of
//! doubling: 1 M retained lines would not fit in 200 MiB).
//!
//! Dropped lines can be read again from their file: the store keeps a
//! [`RecallIndex`] of where every line it ever held came from, and the
//! [`Recalled`] window of older lines last read back for the view (see
//! [`super::recall`]).

use std::collections::VecDeque;

use super::recall::{RecallIndex, Recalled};
use crate::vocab::{Cause, Event, Outcome, TimeFrom};
use crate::vocab::{LineBatch, SourceId};

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
    /// A failure line that follows the line opening its client attempt
    /// (see [`super::client_attempts`]): context, shown muted, not a `✖`.
    FollowOn { cause: Option<Cause> },
    /// A copy of a headend line another source already delivered (a relay
    /// and the headend's own file): counted once, shown muted with `=`.
    Duplicate { outcome: Outcome },
    /// Written by vpnwatch itself (rotation, truncation …), not from a log.
    Marker,
    /// A piece of a line longer than the cap, after its first piece.
    Continuation,
}

impl LineKind {
    /// How a line that parsed to `ev` is shown.
    pub fn of(ev: &Event) -> Self {
        LineKind::Event {
            outcome: ev.outcome,
            cause: ev.cause,
        }
    }

    /// How a line is shown once the engine applied it: with the cause the
    /// engine gave it, and muted ([`LineKind::FollowOn`]) when it follows
    /// the line opening its client attempt.
    pub fn shown(outcome: Outcome, cause: Option<Cause>, follow_on: bool) -> Self {
        if follow_on {
            LineKind::FollowOn { cause }
        } else {
            LineKind::Event { outcome, cause }
        }
    }
}

/// Where a line came from and what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineMeta {
    pub source: SourceId,
    /// Line number in its file; 0 for markers.
    pub line_no: u64,
    pub kind: LineKind,
    /// What the parser read where in the line, for the panes' compact form.
    pub compact: Compact,
}

/// Where the parser found a recognised line's parts, so a pane can show the
/// message first (`08:41:07 vpn-asa-01 113005 AAA user authentication …`)
/// without parsing again: the time of day of the event's time (UTC) and
/// where that time came from (the line, its JSON record, the read time:
/// [`TimeFrom::mark`]), and the byte ranges of the host and the message id
/// and the offset of the body in the raw line. Eight bytes: a time of day,
/// its source and a body offset fit 17, 2 and 13 bits, and a host and
/// message id sit in a line's first 255 bytes (farther ones are left out,
/// and the line shows raw; so does a body past its first 8 KiB).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Compact {
    /// Seconds since midnight plus one (0: no time) in the low 17 bits,
    /// where the time came from in the next 2, the body offset plus one
    /// (0: none) in the high 13.
    packed: u32,
    host: [u8; 2],
    msg_id: [u8; 2],
}

impl Compact {
    const TOD_BITS: u32 = 17;
    const TOD_MASK: u32 = (1 << Self::TOD_BITS) - 1;
    const FROM_BITS: u32 = 2;
    const BODY_SHIFT: u32 = Self::TOD_BITS + Self::FROM_BITS;
    const BODY_MAX: usize = (1 << (32 - Self::BODY_SHIFT)) - 2;

    /// The parts of a line whose text is `line` and whose event is `ev`
    /// (its fields borrowed from `line`); fields that are not within `line`
    /// are left out. No body, no compact form.
    pub fn of(line: &str, ev: &Event) -> Self {
        let base = line.as_ptr() as usize;
        let range_of = |field: &str| -> Option<std::ops::Range<usize>> {
            let start = (field.as_ptr() as usize).checked_sub(base)?;
            let end = start + field.len();
            (end <= line.len()).then_some(start..end)
        };
        let tod = ev
            .ts
            .map_or(0, |ts| ts.as_second().rem_euclid(86_400) as u32 + 1);
        let body = ev
            .body
            .and_then(range_of)
            .filter(|r| r.start <= Self::BODY_MAX)
            .map_or(0, |r| r.start as u32 + 1);
        let byte_range = |field: Option<&str>| match field.and_then(range_of) {
            Some(r) if r.end <= 255 && !r.is_empty() => [r.start as u8, r.end as u8],
            _ => [0, 0],
        };
        let from: u32 = match ev.ts_from {
            TimeFrom::Line | TimeFrom::Missing => 0,
            TimeFrom::Envelope => 1,
            TimeFrom::Read => 2,
        };
        Compact {
            packed: tod | (from << Self::TOD_BITS) | (body << Self::BODY_SHIFT),
            host: byte_range(ev.host),
            msg_id: byte_range(ev.msg_id),
        }
    }

    /// The event's time and where it came from, and no parts: for a line
    /// that is not the record the event was read from (a JSON envelope).
    pub fn time_only(ev: &Event) -> Self {
        let mut c = Compact::of("", ev);
        c.host = [0, 0];
        c.msg_id = [0, 0];
        c.packed &= (1 << Self::BODY_SHIFT) - 1;
        c
    }

    /// Seconds since midnight (UTC) of the event's time.
    pub fn time_of_day(&self) -> Option<u32> {
        (self.packed & Self::TOD_MASK).checked_sub(1)
    }

    /// Where the event's time came from (see [`TimeFrom::mark`]).
    pub fn time_from(&self) -> TimeFrom {
        match (self.packed >> Self::TOD_BITS) & ((1 << Self::FROM_BITS) - 1) {
            1 => TimeFrom::Envelope,
            2 => TimeFrom::Read,
            _ => TimeFrom::Line,
        }
    }

    /// Where the message body starts in the line; `None`: show it raw.
    pub fn body(&self) -> Option<usize> {
        ((self.packed >> Self::BODY_SHIFT) as usize).checked_sub(1)
    }

    pub fn host(&self) -> Option<std::ops::Range<usize>> {
        let [s, e] = self.host;
        (e > s).then_some(usize::from(s)..usize::from(e))
    }

    pub fn msg_id(&self) -> Option<std::ops::Range<usize>> {
        let [s, e] = self.msg_id;
        (e > s).then_some(usize::from(s)..usize::from(e))
    }
}

/// One retained line: 28 bytes, a fifth of the memory of a typical line's
/// text, so its fields are packed rather than a [`LineMeta`] with a `u64`
/// line number (40 bytes: 12 MiB more with 1 M lines retained). Its length
/// is not kept: lines are laid end to end in their chunk, so a line ends
/// where the next one in the same chunk starts, or at the chunk's end. The
/// [`Compact`] parts take 8 bytes.
#[derive(Clone, Copy, Debug)]
struct Slot {
    /// Sequence number of the chunk holding the line (counted from the first
    /// chunk ever made, so freeing chunks does not rewrite slots).
    chunk: u32,
    /// Offset of the line in its chunk.
    start: u32,
    /// The line number, split so the slot needs no 8-byte alignment
    /// (48 bits: numbers beyond 2^48 saturate).
    line_no_low: u32,
    line_no_high: u16,
    source: SourceId,
    kind: LineKind,
    compact: Compact,
}

impl Slot {
    fn meta(&self) -> LineMeta {
        LineMeta {
            source: self.source,
            line_no: (u64::from(self.line_no_high) << 32) | u64::from(self.line_no_low),
            kind: self.kind,
            compact: self.compact,
        }
    }
}

/// Bytes per arena chunk (a longer line gets a chunk of its own size).
const CHUNK: usize = 1 << 20;

#[derive(Debug)]
pub struct LineStore {
    chunks: VecDeque<Vec<u8>>,
    /// Sequence number of `chunks[0]`.
    first_chunk: u32,
    /// A freed chunk kept for reuse, so a steady stream does not allocate.
    spare: Option<Vec<u8>>,
    slots: VecDeque<Slot>,
    retain: usize,
    /// Lines ever pushed; the index of a line is stable for its lifetime.
    pushed: u64,
    recall: RecallIndex,
    recalled: Option<Recalled>,
    /// Lines ever pushed that are shown as failures now (`✖`), for the
    /// pane's one-row summary on a small screen.
    failure_lines: u64,
}

fn is_failure(kind: LineKind) -> bool {
    matches!(
        kind,
        LineKind::Event {
            outcome: Outcome::Failure,
            ..
        }
    )
}

impl LineStore {
    pub fn new(retain: usize) -> Self {
        LineStore {
            chunks: VecDeque::new(),
            first_chunk: 0,
            spare: None,
            slots: VecDeque::new(),
            retain: retain.max(1),
            pushed: 0,
            recall: RecallIndex::default(),
            recalled: None,
            failure_lines: 0,
        }
    }

    /// Notes where the lines of `batch`, just pushed from index `first` on,
    /// can be read again.
    pub fn note_batch(&mut self, first: u64, batch: &LineBatch, source: SourceId) {
        self.recall.note_batch(first, batch, source);
    }

    /// The oldest line a view can show: kept, or readable again (see
    /// [`RecallIndex::floor`]).
    pub fn oldest_viewable(&self) -> u64 {
        self.recall.floor(self.evicted())
    }

    /// Where every line this store held came from.
    pub fn recall_index(&self) -> &RecallIndex {
        &self.recall
    }

    /// Older lines read back for the view (replacing those read before).
    pub fn set_recalled(&mut self, recalled: Recalled) {
        self.recalled = Some(recalled);
    }

    pub fn recalled(&self) -> Option<&Recalled> {
        self.recalled.as_ref()
    }

    pub fn push(&mut self, line: &[u8], meta: LineMeta) {
        // A single line longer than 4 GiB cannot come from a source (they cap
        // line length), so saturating keeps this total without a panic path.
        let len = u32::try_from(line.len()).unwrap_or(u32::MAX);
        let line = &line[..len as usize];
        let fits = self
            .chunks
            .back()
            .is_some_and(|c| c.capacity() - c.len() >= line.len());
        if !fits {
            let mut chunk = match self.spare.take() {
                Some(c) if c.capacity() >= line.len() => c,
                _ => Vec::with_capacity(CHUNK.max(line.len())),
            };
            chunk.clear();
            self.chunks.push_back(chunk);
        }
        let chunk = (self.chunks.len() - 1) as u32;
        let chunk_seq = self.first_chunk.wrapping_add(chunk);
        let Some(back) = self.chunks.back_mut() else {
            return;
        };
        // Chunks are at most max(CHUNK, one line) long, so offsets fit u32.
        let start = back.len() as u32;
        back.extend_from_slice(line);
        let line_no = meta.line_no.min((1 << 48) - 1);
        self.slots.push_back(Slot {
            chunk: chunk_seq,
            start,
            line_no_low: line_no as u32,
            line_no_high: (line_no >> 32) as u16,
            source: meta.source,
            kind: meta.kind,
            compact: meta.compact,
        });
        if meta.kind == LineKind::Marker {
            // Markers are in no file: the index keeps their text.
            self.recall.note_marker(self.pushed, meta.source, line);
        }
        self.pushed += 1;
        self.failure_lines += u64::from(is_failure(meta.kind));
        if self.slots.len() > self.retain {
            self.slots.pop_front();
            self.free_dead_chunks();
        }
    }

    /// Frees the chunks before the one holding the oldest retained line.
    fn free_dead_chunks(&mut self) {
        let keep_from = match self.slots.front() {
            Some(first) => first.chunk,
            None => self.first_chunk.wrapping_add(self.chunks.len() as u32),
        };
        while self.first_chunk != keep_from {
            let Some(chunk) = self.chunks.pop_front() else {
                break;
            };
            self.first_chunk = self.first_chunk.wrapping_add(1);
            if chunk.capacity() == CHUNK {
                self.spare = Some(chunk);
            }
        }
    }

    /// Bytes of line text held, free chunk space included.
    pub fn held_bytes(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum()
    }

    /// Restyles the line pushed as the `index`-th ever (a multi-line record
    /// is known only once its last line arrived). Evicted lines are left be.
    pub fn set_kind(&mut self, index: u64, kind: LineKind) {
        let Some(i) = index.checked_sub(self.evicted()) else {
            return;
        };
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| self.slots.get_mut(i)) {
            self.failure_lines = (self.failure_lines + u64::from(is_failure(kind)))
                .saturating_sub(u64::from(is_failure(slot.kind)));
            slot.kind = kind;
        }
    }

    /// Lines ever pushed that are shown as failures (`✖`): retained or not.
    pub fn failure_lines(&self) -> u64 {
        self.failure_lines
    }

    /// Records where the parser found the parts of the line pushed as the
    /// `index`-th ever (see [`Compact`]). Evicted lines are left be.
    pub fn set_compact(&mut self, index: u64, compact: Compact) {
        let Some(i) = index.checked_sub(self.evicted()) else {
            return;
        };
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| self.slots.get_mut(i)) {
            slot.compact = compact;
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
        let chunk = self
            .chunks
            .get(slot.chunk.wrapping_sub(self.first_chunk) as usize)?;
        let from = slot.start as usize;
        let end = match self.slots.get(i + 1) {
            Some(next) if next.chunk == slot.chunk => next.start as usize,
            _ => chunk.len(),
        };
        let bytes = chunk.get(from..end)?;
        Some((bytes, slot.meta()))
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
            compact: Compact::default(),
        }
    }

    #[test]
    fn a_slot_is_28_bytes_and_keeps_48_bit_line_numbers() {
        assert!(std::mem::size_of::<Slot>() <= 28);
        let mut store = LineStore::new(3);
        for n in [0, u64::from(u32::MAX) + 7, (1 << 48) - 1, u64::MAX] {
            store.push(b"x", meta(n));
        }
        let numbers: Vec<u64> = store.range(0..3).map(|(_, m)| m.line_no).collect();
        assert_eq!(
            numbers,
            [u64::from(u32::MAX) + 7, (1 << 48) - 1, (1 << 48) - 1]
        );
    }

    #[test]
    fn compact_parts_are_where_the_parser_found_them() {
        let ctx = crate::parse::ParseContext::for_year(2026);
        let line = "<166>Nov 28 2026 08:43:11 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : user = ann";
        let ev = crate::parse::asa::parse(line, &ctx).unwrap();
        let c = Compact::of(line, &ev);
        assert_eq!(c.time_of_day(), Some(8 * 3600 + 43 * 60 + 11));
        assert_eq!(c.host().map(|r| &line[r]), Some("vpn-asa-01"));
        assert_eq!(c.msg_id().map(|r| &line[r]), Some("113005"));
        assert_eq!(
            c.body().map(|at| &line[at..]),
            Some("AAA user authentication Rejected : user = ann")
        );
        // Midnight is a time, not "no time".
        let midnight = line.replace("08:43:11", "00:00:00");
        let ev = crate::parse::asa::parse(&midnight, &ctx).unwrap();
        assert_eq!(Compact::of(&midnight, &ev).time_of_day(), Some(0));
        // A host past the first 255 bytes is left out; the body stays.
        let far = format!("{} {line}", "x".repeat(300));
        let ev = crate::parse::asa::parse(&far, &ctx).unwrap();
        let c = Compact::of(&far, &ev);
        assert_eq!(c.host(), None);
        assert!(c.body().is_some());
        // A copy of the line that is not the line (lossy text): raw, after
        // the event's time.
        let bytes = [line.as_bytes(), b" \xff"].concat();
        let text = String::from_utf8_lossy(&bytes);
        let ev = crate::parse::asa::parse(&text, &ctx).unwrap();
        let c = super::super::compact_of(&bytes, &text, &ev);
        assert_eq!((c.body(), c.host(), c.msg_id()), (None, None, None));
        assert_eq!(c.time_of_day(), Some(8 * 3600 + 43 * 60 + 11));
        // No body: no compact form.
        assert_eq!(Compact::default().body(), None);
        // Where the time came from is kept beside it.
        let ev = crate::parse::asa::parse(line, &ctx).unwrap();
        assert_eq!(Compact::of(line, &ev).time_from(), TimeFrom::Line);
        for from in [TimeFrom::Envelope, TimeFrom::Read] {
            let ev = Event {
                ts_from: from,
                ..ev.clone()
            };
            let c = Compact::of(line, &ev);
            assert_eq!(c.time_from(), from);
            assert_eq!(c.time_of_day(), Some(8 * 3600 + 43 * 60 + 11));
            assert_eq!(
                c.body().map(|at| &line[at..]),
                Some("AAA user authentication Rejected : user = ann")
            );
        }
    }

    #[test]
    fn failure_lines_follow_restyling() {
        let mut store = LineStore::new(2);
        let fail = LineKind::Event {
            outcome: Outcome::Failure,
            cause: None,
        };
        store.push(b"a", meta(1));
        store.push(b"b", meta(2));
        store.set_kind(0, fail);
        store.set_kind(1, fail);
        assert_eq!(store.failure_lines(), 2);
        store.set_kind(1, LineKind::FollowOn { cause: None });
        assert_eq!(store.failure_lines(), 1);
        // Evicted lines still count: they were shown as failures.
        store.push(b"c", meta(3));
        store.push(b"d", meta(4));
        assert_eq!(store.failure_lines(), 1);
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
            store.held_bytes() <= 2 * CHUNK,
            "arena grew to {}",
            store.held_bytes()
        );
        assert_eq!(store.get(99).map(|(_, m)| m.line_no), Some(99_999));
        assert!(store.get(100).is_none());
    }

    #[test]
    fn memory_is_the_live_lines_plus_at_most_one_chunk() {
        let line = [b'x'; 150];
        let mut store = LineStore::new(30_000);
        for n in 0..300_000u64 {
            store.push(&line, meta(n));
            if n % 7_919 == 0 {
                let live = store.len() * line.len();
                assert!(store.held_bytes() <= live + 2 * CHUNK, "at line {n}");
            }
        }
        assert_eq!(store.len(), 30_000);
        assert_eq!(
            store.get(0).map(|(b, m)| (b.len(), m.line_no)),
            Some((150, 270_000))
        );
        // A line longer than a chunk gets a chunk of its own.
        let long = vec![b'y'; CHUNK + 10];
        store.push(&long, meta(1));
        assert_eq!(store.get(29_999).map(|(b, _)| b.len()), Some(CHUNK + 10));
    }

    #[test]
    fn lengths_hold_across_chunks_empty_lines_and_eviction() {
        // Lengths are where the next line starts: vary them so lines end at
        // chunk ends, lines are empty, and a line fills a chunk of its own.
        let mut store = LineStore::new(500);
        let mut want = std::collections::VecDeque::new();
        for n in 0..3_000u64 {
            let len = match n % 7 {
                0 => 0,
                1 => 1,
                2 => 70_000,
                3 => 333,
                4 if n % 500 == 4 => CHUNK + 5,
                _ => (n as usize * 37) % 4_000,
            };
            let line = vec![b'a' + (n % 26) as u8; len];
            store.push(&line, meta(n));
            want.push_back(line);
            if want.len() > 500 {
                want.pop_front();
            }
        }
        for (i, line) in want.iter().enumerate() {
            assert_eq!(store.get(i).map(|(b, _)| b), Some(&line[..]), "line {i}");
        }
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
