//! What a pane no longer keeps, and where to find it again.
//!
//! A [`super::LineStore`] keeps the newest `--retain` lines; scrolling back
//! past them shows older lines read again from their file. This module holds
//! the two pure halves of that: the [`RecallIndex`], which maps every line
//! index a pane ever had to where its bytes are (a run of lines at a byte
//! range of a file, a marker's own text, or a stream that cannot be read
//! again), and the [`Recalled`] window of lines read back for the view. The
//! reading itself is I/O and happens outside the engine
//! (`source::recall`), on request of the console.
//!
//! Memory: one run per batch at most, and consecutive batches of one file
//! merge into runs of up to [`RUN_MAX_BYTES`], so a pane that read a 2 GB
//! file holds about 500 runs. The index keeps at most [`MAX_RUNS`] runs;
//! older ones are forgotten and counted.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

use super::lines::LineMeta;
use crate::source::recall::{Expect, line_hash};
use crate::vocab::{FileKey, FileSpan, LineBatch, SourceId};

/// A run of one file's lines is closed at this many bytes, so reading any
/// line again reads at most this much.
pub const RUN_MAX_BYTES: u64 = 4 * 1024 * 1024;

/// Runs kept per pane; past this the oldest are forgotten.
pub const MAX_RUNS: usize = 100_000;

/// Where a run of consecutive pane lines can be found again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// Lines of a file: bytes `span` hold exactly them.
    File {
        span: FileSpan,
        source: SourceId,
        first_line_no: u64,
        first_hash: u64,
        last_hash: u64,
        first_continued: bool,
    },
    /// A line vpnwatch wrote itself (rotation marker …), kept as text.
    Marker { source: SourceId, text: Arc<[u8]> },
    /// Lines from stdin, a command or a network receiver: not kept anywhere.
    Stream {
        source: SourceId,
        first_line_no: u64,
    },
}

/// Consecutive pane lines `first .. first + lines` with one [`RunKind`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub first: u64,
    pub lines: u64,
    pub kind: RunKind,
}

impl Run {
    pub fn range(&self) -> Range<u64> {
        self.first..self.first + self.lines
    }

    /// What to check the lines read back against (file runs only).
    pub fn expect(&self) -> Option<(&FileSpan, Expect)> {
        match &self.kind {
            RunKind::File {
                span,
                first_hash,
                last_hash,
                first_continued,
                ..
            } => Some((
                span,
                Expect {
                    lines: self.lines,
                    first_hash: *first_hash,
                    last_hash: *last_hash,
                    first_continued: *first_continued,
                },
            )),
            _ => None,
        }
    }
}

/// Every line index of a pane mapped to where its bytes are.
#[derive(Debug, Default)]
pub struct RecallIndex {
    runs: VecDeque<Run>,
    /// Lines whose runs were dropped to stay within [`MAX_RUNS`].
    forgotten: u64,
    /// Where stream lines (not readable again) are, merged; for
    /// [`RecallIndex::floor`].
    streams: VecDeque<Range<u64>>,
}

impl RecallIndex {
    /// Notes a batch whose lines took pane indices `first ..`.
    pub fn note_batch(&mut self, first: u64, batch: &LineBatch, source: SourceId) {
        let n = batch.len() as u64;
        if n == 0 {
            return;
        }
        let kind = match &batch.span {
            Some(span) => {
                let mut refs = batch.line_refs();
                let head = refs.next();
                let first_hash = head.map_or(0, |l| line_hash(l.bytes));
                let last_hash = refs.last().or(head).map_or(0, |l| line_hash(l.bytes));
                RunKind::File {
                    span: span.clone(),
                    source,
                    first_line_no: batch.first_line,
                    first_hash,
                    last_hash,
                    first_continued: head.is_some_and(|l| l.continued),
                }
            }
            None => RunKind::Stream {
                source,
                first_line_no: batch.first_line,
            },
        };
        self.push(Run {
            first,
            lines: n,
            kind,
        });
    }

    /// Notes a marker line at pane index `at`.
    pub fn note_marker(&mut self, at: u64, source: SourceId, text: &[u8]) {
        self.push(Run {
            first: at,
            lines: 1,
            kind: RunKind::Marker {
                source,
                text: text.into(),
            },
        });
    }

    fn push(&mut self, run: Run) {
        if matches!(run.kind, RunKind::Stream { .. }) {
            match self.streams.back_mut() {
                Some(last) if last.end == run.first => last.end = run.first + run.lines,
                _ => self.streams.push_back(run.range()),
            }
            if self.streams.len() > MAX_RUNS {
                self.streams.pop_front();
            }
        }
        if let Some(last) = self.runs.back_mut()
            && merge(last, &run)
        {
            return;
        }
        self.runs.push_back(run);
        while self.runs.len() > MAX_RUNS {
            if let Some(old) = self.runs.pop_front() {
                self.forgotten = old.first + old.lines;
            }
        }
    }

    /// Pane indices below this are no longer indexed at all.
    pub fn forgotten(&self) -> u64 {
        self.forgotten
    }

    /// The oldest line a view can scroll back to when the lines below
    /// `evicted` are no longer kept: past the last stream line among those
    /// (stdin, a command, syslog cannot be read again, and a screen of
    /// "not kept" rows helps nobody), and never past what is indexed.
    pub fn floor(&self, evicted: u64) -> u64 {
        let below = self.streams.partition_point(|r| r.start < evicted);
        let stream_end = match below.checked_sub(1).and_then(|i| self.streams.get(i)) {
            Some(r) => r.end.min(evicted),
            None => 0,
        };
        stream_end.max(self.forgotten)
    }

    /// Runs held (for memory accounting and tests).
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// The newest run of file lines of `source`, if any is indexed.
    pub fn newest_file_run(&self, source: SourceId) -> Option<&Run> {
        self.runs
            .iter()
            .rev()
            .find(|r| matches!(&r.kind, RunKind::File { source: s, .. } if *s == source))
    }

    /// The number of the last line of `file` indexed: how far the pane read
    /// it (numbered as the pane numbers it).
    pub fn last_line_of(&self, file: &FileKey) -> Option<u64> {
        self.runs.iter().rev().find_map(|r| match &r.kind {
            RunKind::File {
                span,
                first_line_no,
                ..
            } if *span.file == *file => Some(first_line_no + r.lines.saturating_sub(1)),
            _ => None,
        })
    }

    /// The runs that hold any of the lines `range`, in order.
    pub fn runs_for(&self, range: Range<u64>) -> Vec<Run> {
        // Runs are in index order and do not overlap: find the first run
        // ending after `range.start`.
        let from = self
            .runs
            .partition_point(|r| r.first + r.lines <= range.start);
        self.runs
            .range(from..)
            .take_while(|r| r.first < range.end)
            .cloned()
            .collect()
    }
}

/// Extends `last` by `next` when both are one continuous stretch.
fn merge(last: &mut Run, next: &Run) -> bool {
    if last.first + last.lines != next.first {
        return false;
    }
    match (&mut last.kind, &next.kind) {
        (
            RunKind::File {
                span,
                source,
                first_line_no,
                last_hash,
                ..
            },
            RunKind::File {
                span: next_span,
                source: next_source,
                first_line_no: next_no,
                last_hash: next_last,
                ..
            },
        ) if Arc::ptr_eq(&span.file, &next_span.file)
            && source == next_source
            && span.end == next_span.start
            && *first_line_no + last.lines == *next_no
            && next_span.end - span.start <= RUN_MAX_BYTES =>
        {
            span.end = next_span.end;
            *last_hash = *next_last;
            last.lines += next.lines;
            true
        }
        (
            RunKind::Stream {
                source,
                first_line_no,
            },
            RunKind::Stream {
                source: next_source,
                first_line_no: next_no,
            },
        ) if source == next_source && *first_line_no + last.lines == *next_no => {
            last.lines += next.lines;
            true
        }
        _ => false,
    }
}

/// A line shown from outside the retained ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecalledLine {
    Line(Vec<u8>, LineMeta),
    /// Why it cannot be shown (file gone, stdin, …), shared by its run.
    Missing(Arc<str>),
}

/// Lines `first ..` read back for a pane's view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recalled {
    pub first: u64,
    pub lines: Vec<RecalledLine>,
}

impl Recalled {
    pub fn range(&self) -> Range<u64> {
        self.first..self.first + self.lines.len() as u64
    }

    pub fn get(&self, index: u64) -> Option<&RecalledLine> {
        let i = usize::try_from(index.checked_sub(self.first)?).ok()?;
        self.lines.get(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_batch(file: &Arc<FileKey>, first_line: u64, start: u64, lines: &[&str]) -> LineBatch {
        let mut b = LineBatch::new(first_line);
        let mut end = start;
        for l in lines {
            b.push(l.as_bytes());
            end += l.len() as u64 + 1;
        }
        b.span = Some(FileSpan {
            file: file.clone(),
            start,
            end,
        });
        b
    }

    fn key(name: &str) -> Arc<FileKey> {
        Arc::new(FileKey {
            path: name.into(),
            id: Some((1, 2)),
        })
    }

    #[test]
    fn consecutive_batches_of_one_file_merge_into_one_run() {
        let f = key("a.log");
        let mut idx = RecallIndex::default();
        idx.note_batch(0, &file_batch(&f, 1, 0, &["one", "two"]), SourceId(0));
        idx.note_batch(2, &file_batch(&f, 3, 8, &["three"]), SourceId(0));
        assert_eq!(idx.runs(), 1);
        let runs = idx.runs_for(0..3);
        let (span, expect) = runs[0].expect().unwrap();
        assert_eq!((span.start, span.end), (0, 14));
        assert_eq!(expect.lines, 3);
        assert_eq!(expect.first_hash, line_hash(b"one"));
        assert_eq!(expect.last_hash, line_hash(b"three"));
    }

    #[test]
    fn a_gap_another_file_or_a_marker_starts_a_new_run() {
        let (a, b) = (key("a.log"), key("b.log"));
        let mut idx = RecallIndex::default();
        idx.note_batch(0, &file_batch(&a, 1, 0, &["x"]), SourceId(0));
        // Bytes skipped: not contiguous.
        idx.note_batch(1, &file_batch(&a, 2, 10, &["y"]), SourceId(0));
        idx.note_batch(2, &file_batch(&b, 1, 0, &["z"]), SourceId(1));
        idx.note_marker(3, SourceId(1), b"-- rotated --");
        idx.note_batch(4, &file_batch(&b, 2, 2, &["w"]), SourceId(1));
        assert_eq!(idx.runs(), 5);
        let runs = idx.runs_for(2..4);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].first, 2);
        assert!(
            matches!(&runs[1].kind, RunKind::Marker { text, .. } if &text[..] == b"-- rotated --")
        );
        assert!(idx.runs_for(5..9).is_empty());
    }

    #[test]
    fn runs_close_at_the_byte_cap() {
        let f = key("a.log");
        let mut idx = RecallIndex::default();
        let line = "x".repeat(1023);
        let lines: Vec<&str> = vec![line.as_str(); 1024];
        // 1 MiB per batch: four fit in a run, the fifth starts another.
        for i in 0..5u64 {
            idx.note_batch(
                i * 1024,
                &file_batch(&f, i * 1024 + 1, i << 20, &lines),
                SourceId(0),
            );
        }
        assert_eq!(idx.runs(), 2);
        assert_eq!(idx.runs_for(4096..4097)[0].first, 4096);
    }

    #[test]
    fn stream_lines_are_indexed_as_not_kept() {
        let mut idx = RecallIndex::default();
        let mut b = LineBatch::new(1);
        b.push(b"from stdin");
        idx.note_batch(0, &b, SourceId(2));
        let mut b = LineBatch::new(2);
        b.push(b"more");
        idx.note_batch(1, &b, SourceId(2));
        assert_eq!(idx.runs(), 1);
        assert!(matches!(idx.runs_for(1..2)[0].kind, RunKind::Stream { .. }));
        // Nothing below a dropped stream line is worth scrolling to.
        assert_eq!(idx.floor(1), 1);
        assert_eq!(idx.floor(5), 2);
        // File lines after the stream can be read back down to it.
        let f = key("a.log");
        idx.note_batch(2, &file_batch(&f, 1, 0, &["x", "y"]), SourceId(0));
        assert_eq!(idx.floor(4), 2);
    }

    #[test]
    fn the_index_is_bounded() {
        let mut idx = RecallIndex::default();
        for i in 0..(MAX_RUNS as u64 + 10) {
            // Alternating sources never merge.
            idx.note_marker(i, SourceId((i % 2) as u16), b"m");
        }
        assert_eq!(idx.runs(), MAX_RUNS);
        assert_eq!(idx.forgotten(), 10);
        assert!(idx.runs_for(0..10).is_empty());
    }
}
