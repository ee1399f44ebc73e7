//! Pure incident state, built from parsed events and operator actions.
//!
//! Nothing here does I/O or looks at a clock: time is the log's own time, and
//! every change comes in through a method call, so the whole state can be
//! driven and checked in unit tests without a terminal or files.
//!
//! * [`incident`] — per-user failure statistics and AAA server health.
//! * [`lines`] — the bounded store of log lines each pane shows.
//! * [`recall`] — where lines a pane no longer keeps can be read again.
//! * [`checklist`] — the runbook's steps and who moved them when.
//! * [`kpi`] — incident milestones and durations from the journal.
//! * [`suggest`] — the step that addresses the dominant failure cause.
//! * [`evidence`] — choosing and redacting a user's lines for a bundle.
//! * [`scope`] — the verdict: infrastructure, widespread, isolated or none.
//! * [`window`] — per-minute counts over the last minutes of log time.
//! * [`Model`] — everything the dashboard draws, fed one batch at a time.

pub mod checklist;
pub mod client_attempts;
pub mod evidence;
pub mod incident;
pub mod join;
pub mod kpi;
pub mod lines;
pub mod recall;
pub mod scope;
pub mod skew;
pub mod suggest;
pub mod window;

use crate::parse::formats::Format;
use crate::parse::reader::RecordReader;
use crate::parse::{Event, Family, ParseContext};
use crate::runbook::Runbook;
use crate::source::{LineBatch, Notice, SourceId, SourceStats};

pub use checklist::{Checklist, StepChange, StepState};
pub use incident::{
    AaaGroup, AaaServer, ByFailures, Incident, LineRef, Management, ServerHealth, UserKey,
    UserState, UserStats,
};
pub use lines::{LineKind, LineMeta, LineStore};
pub use scope::{Scope, Verdict};

/// Lines kept per pane unless told otherwise.
pub const DEFAULT_RETAIN: usize = 200_000;

/// One input the console reads, and how it is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceState {
    /// Shown to the operator (a path, `stdin`, …).
    pub name: String,
    pub family: Family,
    pub lines: u64,
    /// Lines the parser did not recognise (still shown, unstyled).
    pub unrecognised: u64,
    /// The last notice, shown in the pane title (waiting, rotated, …).
    pub status: Option<Notice>,
    /// Network sources: messages dropped (queue full), truncated (over the
    /// size cap) and malformed (not syslog), as last reported.
    pub stats: SourceStats,
    /// An unterminated last line, shown provisionally until it completes.
    pub pending: Option<Vec<u8>>,
    /// Why the source fell back to polling, if it did.
    pub polling: Option<String>,
    /// The log format, detected or forced; `None` parses line by line by
    /// family.
    pub format: Option<Format>,
    /// The user a client log is about when its lines do not say (`--user`
    /// for a bundle collected from one person).
    pub default_user: Option<String>,
    /// Multi-line records the assembler gave up on (over its size caps, or
    /// an ISE message whose segments never all arrived).
    pub records_dropped: u64,
}

impl SourceState {
    /// A source with nothing read yet.
    pub fn new(name: String, family: Family) -> Self {
        SourceState {
            name,
            family,
            lines: 0,
            unrecognised: 0,
            status: None,
            stats: SourceStats::default(),
            pending: None,
            polling: None,
            format: None,
            default_user: None,
            records_dropped: 0,
        }
    }

    /// A source of a known format (its family is the format's).
    pub fn with_format(name: String, format: Format) -> Self {
        SourceState {
            format: Some(format),
            ..SourceState::new(name, format.family())
        }
    }
}

/// Everything the dashboard shows: incident statistics, one line store per
/// log family, the checklist and the state of each source.
#[derive(Debug)]
pub struct Model {
    pub incident: Incident,
    pub headend: LineStore,
    pub client: LineStore,
    pub auth: LineStore,
    pub checklist: Checklist,
    pub sources: Vec<SourceState>,
    /// Per source, its parser (created on the source's first lines).
    readers: Vec<Option<RecordReader>>,
    ctx: ParseContext,
    /// While the part of a file before its backlog is counted elsewhere,
    /// lines are shown at once but counted only after it (see
    /// [`Model::hold_counting`]).
    held: Option<Held>,
    /// Sources whose bytes before the backlog are counted elsewhere (their
    /// backlog marker says so, whenever it arrives).
    counted_before: Vec<SourceId>,
    /// Which zone times are shown in and how zone-less stamps are read
    /// (`--tz`), for the header and help.
    pub time_note: String,
}

/// Counting put off until the lines before them have been counted.
#[derive(Debug, Default)]
struct Held {
    deferred: std::collections::VecDeque<Deferred>,
    deferred_bytes: usize,
    done: u64,
    total: u64,
}

#[derive(Debug)]
enum Deferred {
    /// A batch shown from pane index `.1` on.
    Batch(SourceId, u64, LineBatch),
    /// The source's records end here (rotation, end of input).
    Flush(SourceId),
}

impl Model {
    pub fn new(
        sources: Vec<SourceState>,
        runbook: &Runbook,
        retain: usize,
        ctx: ParseContext,
    ) -> Self {
        Model {
            incident: Incident::for_sources(sources.iter().map(|s| s.family)),
            headend: LineStore::new(retain),
            client: LineStore::new(retain),
            auth: LineStore::new(retain),
            checklist: Checklist::new(runbook),
            readers: Vec::new(),
            sources,
            ctx,
            held: None,
            counted_before: Vec::new(),
            time_note: crate::parse::clock::rules().short(),
        }
    }

    /// An empty incident of this model's sources, for counting elsewhere
    /// what comes before everything this model was given.
    pub fn new_incident(&self) -> Incident {
        Incident::for_sources(self.sources.iter().map(|s| s.family))
    }

    /// The earlier bytes (`total` in all) of `sources` are being counted
    /// elsewhere into an incident that [`Model::release`] will bring: until
    /// then lines are shown as they arrive and their counting is put off,
    /// so every event is still counted in file order.
    pub fn hold_counting(&mut self, sources: Vec<SourceId>, total: u64) {
        self.counted_before = sources;
        self.held = Some(Held {
            total,
            ..Held::default()
        });
    }

    /// (bytes counted, bytes to count) of the earlier bytes, while held.
    pub fn backlog_progress(&self) -> Option<(u64, u64)> {
        self.held.as_ref().map(|h| (h.done, h.total))
    }

    pub fn set_backlog_done(&mut self, done: u64) {
        if let Some(h) = &mut self.held {
            h.done = done;
        }
    }

    /// Bytes of lines waiting to be counted; the console stops taking lines
    /// from its sources above a cap (files wait; nothing is lost).
    pub fn deferred_bytes(&self) -> usize {
        self.held.as_ref().map_or(0, |h| h.deferred_bytes)
    }

    /// Ends [`Model::hold_counting`]: `counted` (the earlier bytes' incident;
    /// `None` if counting them failed) takes the place of the incident, and
    /// the lines put off are counted on top, in order.
    pub fn release(&mut self, counted: Option<Incident>) {
        let Some(held) = self.held.take() else {
            return;
        };
        if let Some(incident) = counted {
            self.incident = incident;
        }
        for item in held.deferred {
            match item {
                Deferred::Batch(id, first, batch) => self.count(id, first, &batch),
                Deferred::Flush(id) => self.flush_records(id.0 as usize),
            }
        }
    }

    /// The store that shows lines of this family.
    pub fn store(&self, family: Family) -> &LineStore {
        match family {
            Family::Headend => &self.headend,
            Family::Client => &self.client,
            Family::AuthServer => &self.auth,
        }
    }

    /// Older lines read back for a pane's view (see [`recall`]).
    pub fn set_recalled(&mut self, family: Family, recalled: recall::Recalled) {
        self.store_mut(family).set_recalled(recalled);
    }

    fn store_mut(&mut self, family: Family) -> &mut LineStore {
        match family {
            Family::Headend => &mut self.headend,
            Family::Client => &mut self.client,
            Family::AuthServer => &mut self.auth,
        }
    }

    /// Parses and applies a batch of lines from one source.
    ///
    /// Every line goes to its pane as it arrives. Formats whose records span
    /// several lines are assembled by the source's [`RecordReader`]; when a
    /// record completes, its event is applied and the record's last line is
    /// styled.
    pub fn ingest(&mut self, id: SourceId, batch: &LineBatch) {
        let Some(first) = self.show(id, batch) else {
            return;
        };
        if let Some(held) = &mut self.held {
            held.deferred_bytes += batch.byte_len();
            held.deferred
                .push_back(Deferred::Batch(id, first, batch.clone()));
            return;
        }
        self.count(id, first, batch);
    }

    /// Puts a batch's lines in their pane; returns the index of the first.
    fn show(&mut self, id: SourceId, batch: &LineBatch) -> Option<u64> {
        let i = id.0 as usize;
        let (_, _, store, _) = self.reading_parts(i)?;
        let first = store.total();
        store.note_batch(first, batch, id);
        for line in batch.line_refs() {
            let kind = if line.continued {
                // The middle of a cut line: parsing it would only invent
                // events, and the pane marks it as a continuation.
                LineKind::Continuation
            } else {
                LineKind::Plain
            };
            let meta = LineMeta {
                source: id,
                line_no: line.line_no,
                kind,
            };
            store.push(line.bytes, meta);
        }
        if let Some(src) = self.sources.get_mut(i) {
            src.lines += batch.len() as u64;
            // Whatever was pending is part of (or came before) these lines.
            src.pending = None;
        }
        Some(first)
    }

    /// Parses a batch shown from pane index `first` on and applies its
    /// events, styling their lines.
    fn count(&mut self, id: SourceId, first: u64, batch: &LineBatch) {
        let i = id.0 as usize;
        let Some((family, incident, store, reader)) = self.reading_parts(i) else {
            return;
        };
        let mut unrecognised = 0u64;
        for (index, line) in (first..).zip(batch.line_refs()) {
            if line.continued {
                continue;
            }
            let text = String::from_utf8_lossy(line.bytes);
            reader.feed(&text, |_, event, repeats| match event {
                Some(ev) => apply_event(incident, store, family, index, &ev, repeats),
                None => unrecognised += 1,
            });
        }
        let dropped = reader.dropped();
        self.note_parsed(i, unrecognised, dropped);
    }

    /// Source `i`'s parser counts, after a batch or a flush.
    fn note_parsed(&mut self, i: usize, unrecognised: u64, records_dropped: u64) {
        if let Some(src) = self.sources.get_mut(i) {
            src.unrecognised += unrecognised;
            src.records_dropped = records_dropped;
        }
    }

    /// What reading source `i` touches, borrowed apart: its family, the
    /// incident, the store of its pane and its parser.
    fn reading_parts(
        &mut self,
        i: usize,
    ) -> Option<(Family, &mut Incident, &mut LineStore, &mut RecordReader)> {
        let family = self.reader(i)?.family();
        let Model {
            incident,
            headend,
            client,
            auth,
            readers,
            ..
        } = self;
        let store = match family {
            Family::Headend => headend,
            Family::Client => client,
            Family::AuthServer => auth,
        };
        let reader = readers.get_mut(i)?.as_mut()?;
        Some((family, incident, store, reader))
    }

    /// The parser of source `i`, created on first use (see
    /// [`Model::new_reader`]).
    fn reader(&mut self, i: usize) -> Option<&mut RecordReader> {
        let fresh = self.new_reader(i)?;
        if self.readers.len() <= i {
            self.readers.resize_with(i + 1, || None);
        }
        let slot = &mut self.readers[i];
        Some(slot.get_or_insert(fresh))
    }

    /// A parser for source `i` as this model reads it (its family, format
    /// and default user): also for lines read again from its file.
    pub fn new_reader(&self, i: usize) -> Option<RecordReader> {
        let src = self.sources.get(i)?;
        Some(
            RecordReader::new(src.family, src.format, src.default_user.clone(), self.ctx)
                .for_source(&src.name),
        )
    }

    /// Completes whatever record source `i` was assembling (its input ended
    /// or changed file); the record is styled on the last line read.
    fn flush_records(&mut self, i: usize) {
        let Some((family, incident, store, reader)) = self.reading_parts(i) else {
            return;
        };
        let mut unrecognised = 0u64;
        let index = store.total().saturating_sub(1);
        reader.finish(|_, event, repeats| match event {
            Some(ev) => apply_event(incident, store, family, index, &ev, repeats),
            None => unrecognised += 1,
        });
        let dropped = reader.dropped();
        self.note_parsed(i, unrecognised, dropped);
    }

    /// Records a source notice; rotation and truncation also leave a marker
    /// line in the pane so the operator sees where the file changed.
    pub fn notice(&mut self, id: SourceId, notice: Notice) {
        if matches!(
            notice,
            Notice::Finished | Notice::Rotated(_) | Notice::Truncated(_) | Notice::Removed(_)
        ) {
            // A record never spans two files, nor the end of the input.
            match &mut self.held {
                Some(held) => held.deferred.push_back(Deferred::Flush(id)),
                None => self.flush_records(id.0 as usize),
            }
        }
        let Some(src) = self.sources.get_mut(id.0 as usize) else {
            return;
        };
        let family = src.family;
        // Notices that update a counter or the provisional line, not the
        // source's status.
        match notice {
            Notice::Pending(bytes) => {
                src.pending = (!bytes.is_empty()).then_some(bytes);
                return;
            }
            Notice::Stats(stats) => {
                src.stats = stats;
                return;
            }
            Notice::Polling(reason) => {
                src.polling = Some(reason);
                return;
            }
            _ => {}
        }
        let marker = match &notice {
            Notice::Skipped(bytes) if self.counted_before.contains(&id) => Some(format!(
                "── {bytes} earlier bytes counted, not shown (--backlog; --from-start shows them) ──"
            )),
            Notice::Skipped(bytes) => Some(format!(
                "── {bytes} earlier bytes not read (--backlog; --from-start reads them) ──"
            )),
            Notice::Rotated(p) => Some(format!(
                "── {} rotated; following the new file ──",
                p.display()
            )),
            Notice::Truncated(p) => Some(format!(
                "── {} truncated; reading from the start ──",
                p.display()
            )),
            Notice::Removed(p) => Some(format!("── {} removed ──", p.display())),
            _ => None,
        };
        if !matches!(notice, Notice::Skipped(_)) {
            src.status = Some(notice);
        }
        if let Some(text) = marker {
            let meta = LineMeta {
                source: id,
                line_no: 0,
                kind: LineKind::Marker,
            };
            self.store_mut(family).push(text.as_bytes(), meta);
        }
    }

    /// Whether any open source is of this family (decides which panes show).
    pub fn has_family(&self, family: Family) -> bool {
        self.sources.iter().any(|s| s.family == family)
    }
}

/// Applies one recognised record, retained at `index` in `store`, `repeats`
/// times, and styles its line.
fn apply_event(
    incident: &mut Incident,
    store: &mut LineStore,
    family: Family,
    index: u64,
    ev: &Event,
    repeats: u32,
) {
    // The index the line has in its store, so the user's drill-down can find
    // it without re-parsing.
    let line = LineRef {
        family,
        index,
        ts: ev.ts.or(incident.latest()),
        cause: None,
    };
    let mut follow_on = false;
    for _ in 0..repeats {
        follow_on |= incident.apply_line(ev, line).follow_on;
    }
    store.set_kind(index, LineKind::of_applied(ev, follow_on));
}
