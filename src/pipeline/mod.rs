//! The reading path, from a source's lines to the incident state: source
//! → reader → parse → engine.
//!
//! [`Model`] owns what the sources feed: each source's [`RecordReader`]
//! and its [`SourceState`], the line store of each pane and the counting
//! held while a backlog is counted elsewhere; it parses each batch and
//! hands the events to the [`engine`](crate::engine), which only keeps
//! state from events.
//!
//! * [`lines`] — the bounded store of log lines each pane shows.
//! * [`recall`] — where lines a pane no longer keeps can be read again.
//! * [`user_lines`] — where a user's filed lines are, for `e`'s bundle.

pub mod lines;
pub mod recall;
pub mod user_lines;

use crate::engine::checklist::Checklist;
use crate::engine::incident::{self, Incident, IncidentLimits, LineRef};
use crate::engine::thousands;
use crate::parse::formats::Format;
use crate::parse::reader::RecordReader;
use crate::parse::{self, ParseContext};
use crate::runbook::Runbook;
use crate::vocab::{Event, Family};
use crate::vocab::{LineBatch, Notice, SourceId, SourceStats};

pub use lines::{LineKind, LineMeta, LineStore};

/// Lines kept per pane unless told otherwise.
pub const DEFAULT_RETAIN: usize = 200_000;

/// A headend source whose newest line is this much older (log time) than
/// the newest line of any source is shown as quiet (`--quiet-after`).
pub const DEFAULT_QUIET_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

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
    /// Records the parser recognised: a source that read lines but
    /// recognised none is not the log it was taken for.
    pub recognised: u64,
    /// The log time of its newest recognised line (for [`Model::quiet`]),
    /// debug-trace lines left out: a trace (`debug aaa`, a capture pasted
    /// into a file) stops when the capture does, and its silence says
    /// nothing of the headend.
    pub last_ts: Option<jiff::Timestamp>,
    /// Neither role nor format was forced: when the file is created or
    /// recreated (rotation, truncation), both are detected again from its
    /// first lines.
    pub auto_detect: bool,
    /// Detect role and format from the next lines that arrive (the file did
    /// not exist, or was empty, when the console started).
    pub detect: bool,
    /// The lines of the file before the first one shown (`--backlog`):
    /// counted, never shown nor filed under users. The pane numbers its
    /// lines from the first one shown.
    pub earlier: Option<Earlier>,
}

/// The part of a file before the lines a pane shows of it (`--backlog`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Earlier {
    /// (device, inode) of the file, where known: a file that replaces it
    /// (rotation) is numbered from its own first line.
    pub file_id: Option<(u64, u64)>,
    /// How many lines they are; `None` while or when they could not be
    /// counted.
    pub lines: Option<u64>,
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
            recognised: 0,
            last_ts: None,
            auto_detect: false,
            detect: false,
            earlier: None,
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
    /// See [`DEFAULT_QUIET_AFTER`].
    pub quiet_after: jiff::SignedDuration,
    /// Which zone times are shown in and how zone-less stamps are read
    /// (`--tz`), for the header and help.
    pub time_note: String,
    /// The time a line with no time anywhere is given (see
    /// [`RecordReader::with_read_clock`]): the wall clock, fixed in tests.
    pub read_clock: fn() -> jiff::Timestamp,
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
            incident: Incident::for_sources(
                sources.iter().map(|s| s.family),
                IncidentLimits::default(),
            ),
            headend: LineStore::new(retain),
            client: LineStore::new(retain),
            auth: LineStore::new(retain),
            checklist: Checklist::new(runbook),
            readers: Vec::new(),
            sources,
            held: None,
            counted_before: Vec::new(),
            quiet_after: DEFAULT_QUIET_AFTER,
            time_note: ctx.time_rules.short(),
            read_clock: jiff::Timestamp::now,
            ctx,
        }
    }

    /// This model, its incident built within `limits` (`--max-users`);
    /// before any line is given to it.
    pub fn with_incident_limits(mut self, limits: IncidentLimits) -> Self {
        self.incident = Incident::for_sources(self.sources.iter().map(|s| s.family), limits);
        self
    }

    /// How this model's sources are parsed (year, `--tz`, `--json-field`),
    /// for reading their files elsewhere alike.
    pub fn ctx(&self) -> &ParseContext {
        &self.ctx
    }

    /// An empty incident of this model's sources, within its limits, for
    /// counting elsewhere what comes before everything this model was
    /// given.
    pub fn new_incident(&self) -> Incident {
        Incident::for_sources(
            self.sources.iter().map(|s| s.family),
            self.incident.limits(),
        )
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

    /// Notes how many lines of source `id`'s file (identity `file_id`)
    /// come before its first line shown; `None`: they could not be counted.
    pub fn set_earlier(&mut self, id: SourceId, file_id: Option<(u64, u64)>, lines: Option<u64>) {
        if let Some(src) = self.sources.get_mut(usize::from(id.0)) {
            src.earlier = Some(Earlier { file_id, lines });
        }
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
        self.detect_late(i, batch);
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
                compact: lines::Compact::default(),
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

    /// A file that appeared (or was recreated) after start is detected like
    /// one that existed: its role and format from its first lines, unless
    /// they were forced. Nothing recognised keeps what the source had.
    fn detect_late(&mut self, i: usize, batch: &LineBatch) {
        let Some(src) = self.sources.get_mut(i) else {
            return;
        };
        if !src.detect || batch.is_empty() {
            return;
        }
        src.detect = false;
        let texts: Vec<String> = batch
            .line_refs()
            .take(200)
            .map(|l| String::from_utf8_lossy(l.bytes).into_owned())
            .collect();
        let lines: Vec<&str> = texts.iter().map(String::as_str).collect();
        let Some(format) = crate::parse::formats::detect_format(&lines) else {
            return;
        };
        if src.format == Some(format) {
            return;
        }
        src.format = Some(format);
        src.family = format.family();
        // The parser is made anew for the detected format.
        if let Some(slot) = self.readers.get_mut(i) {
            *slot = None;
        }
        let headend = self.has_family(Family::Headend);
        self.incident.set_headend_present(headend);
        let headends = self
            .sources
            .iter()
            .filter(|s| s.family == Family::Headend)
            .count();
        self.incident.set_headend_sources(headends);
    }

    /// Parses a batch shown from pane index `first` on and applies its
    /// events, styling their lines.
    fn count(&mut self, id: SourceId, first: u64, batch: &LineBatch) {
        let i = id.0 as usize;
        let Some((family, incident, store, reader)) = self.reading_parts(i) else {
            return;
        };
        let mut unrecognised = 0u64;
        let mut seen = Seen::default();
        for (index, line) in (first..).zip(batch.line_refs()) {
            if line.continued {
                continue;
            }
            let text = crate::source::lines::lossy(line.bytes);
            reader.feed(&text, |record, event, repeats| match event {
                Some(ev) => {
                    seen.note(&ev);
                    let compact = compact_of(line.bytes, record, &ev);
                    apply_event(incident, store, family, index, &ev, repeats, compact)
                }
                None => unrecognised += 1,
            });
        }
        let dropped = reader.dropped();
        self.note_seen(i, seen);
        self.note_parsed(i, unrecognised, dropped);
        self.restyle();
    }

    /// Shows every line whose cause the engine changed with its new cause
    /// (a join or a follow-up line gave its attempt another one).
    fn restyle(&mut self) {
        for u in self.incident.take_cause_updates() {
            let store = self.store_mut(u.family);
            if let Some(i) = u.index.checked_sub(store.evicted())
                && let Some((_, meta)) = usize::try_from(i).ok().and_then(|i| store.get(i))
            {
                let kind = match meta.kind {
                    LineKind::Event { outcome, .. } => LineKind::Event {
                        outcome,
                        cause: Some(u.cause),
                    },
                    LineKind::FollowOn { .. } => LineKind::FollowOn {
                        cause: Some(u.cause),
                    },
                    _ => continue,
                };
                store.set_kind(u.index, kind);
            }
        }
    }

    /// The cause every output shows for the line retained at `index` in
    /// the `family` pane: the engine's final cause for its attempt (see
    /// [`incident::CauseUpdate`]), or the parser's for lines that are no
    /// attempt. `None` for a line not retained or without a cause.
    pub fn line_cause(&self, family: Family, index: u64) -> Option<parse::Cause> {
        let store = self.store(family);
        let i = usize::try_from(index.checked_sub(store.evicted())?).ok()?;
        match store.get(i)?.1.kind {
            LineKind::Event { cause, .. } | LineKind::FollowOn { cause } => cause,
            _ => None,
        }
    }

    fn note_seen(&mut self, i: usize, seen: Seen) {
        if let Some(src) = self.sources.get_mut(i) {
            src.recognised += seen.recognised;
            if seen.last_ts > src.last_ts {
                src.last_ts = seen.last_ts;
            }
        }
    }

    /// Why the console cannot see yet: no headend source has produced a
    /// recognised line (none given, none opened, or none of its lines read
    /// as a headend log), or none of the recognised lines is about a VPN
    /// login or an AAA server (see [`Incident::headend_blind`]). `None`
    /// once one is. Zero counts mean "could not see" until then, so the
    /// header says `BLIND` and the scope is `UNKNOWN`, never `NONE`.
    pub fn blind(&self) -> Option<String> {
        let headends: Vec<&SourceState> = self
            .sources
            .iter()
            .filter(|s| s.family == Family::Headend)
            .collect();
        if headends.iter().any(|s| s.recognised > 0) {
            return self.incident.headend_blind().map(str::to_string);
        }
        if headends.is_empty() {
            return Some("no headend log given".to_string());
        }
        let each: Vec<String> = headends
            .iter()
            .map(|s| match (s.lines, &s.status) {
                // Bytes with no line end (a binary file, one long line)
                // are not "empty".
                (0, _) if s.pending.is_some() => format!(
                    "{}: no line end in its {} bytes yet",
                    s.name,
                    thousands(s.pending.as_ref().map_or(0, |tail| tail.len() as u64))
                ),
                (0, Some(Notice::Waiting(_)) | None) => format!("{} waiting", s.name),
                (0, _) => format!("{}: no line yet", s.name),
                (n, _) => format!(
                    "{}: 0 of {} {} recognised",
                    s.name,
                    thousands(n),
                    crate::plural::noun(n, "line", "lines")
                ),
            })
            .collect();
        Some(format!("no headend log read yet: {}", each.join(", ")))
    }

    /// Whether source `i`, a headend log, has been silent for longer than
    /// [`Model::quiet_after`] while other sources moved on: its newest
    /// line's log time against the newest of any. `None` when not quiet,
    /// else how long it has been silent.
    pub fn quiet(&self, i: usize) -> Option<jiff::SignedDuration> {
        let src = self.sources.get(i)?;
        if src.family != Family::Headend {
            return None;
        }
        let silent = self.incident.latest()?.duration_since(src.last_ts?);
        (silent > self.quiet_after).then_some(silent)
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
        self.incident
            .set_source(SourceId(u16::try_from(i).unwrap_or(u16::MAX)));
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
            RecordReader::new(
                src.family,
                src.format,
                src.default_user.clone(),
                self.ctx.clone(),
            )
            .for_source(&src.name)
            .with_read_clock(self.read_clock),
        )
    }

    /// Completes whatever record source `i` was assembling (its input ended
    /// or changed file); the record is styled on the last line read.
    fn flush_records(&mut self, i: usize) {
        let Some((family, incident, store, reader)) = self.reading_parts(i) else {
            return;
        };
        let mut unrecognised = 0u64;
        let mut seen = Seen::default();
        let index = store.total().saturating_sub(1);
        reader.finish(|_, event, repeats| match event {
            Some(ev) => {
                seen.note(&ev);
                // A record assembled from several lines: no one line holds
                // its parts, so it shows raw.
                let compact = lines::Compact::default();
                apply_event(incident, store, family, index, &ev, repeats, compact)
            }
            None => unrecognised += 1,
        });
        let dropped = reader.dropped();
        self.note_seen(i, seen);
        self.note_parsed(i, unrecognised, dropped);
        self.restyle();
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
        if src.auto_detect && matches!(notice, Notice::Rotated(_) | Notice::Truncated(_)) {
            // A new file under the same name may hold another log.
            src.detect = true;
        }
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
                compact: lines::Compact::default(),
            };
            self.store_mut(family).push(text.as_bytes(), meta);
        }
    }

    /// Moves the incident's clock to the wall clock's reading of "now"
    /// ([`incident::clock_now`]: log time while the backlog is counted or
    /// the logs are a replay, wall time once live). Called before each frame.
    pub fn set_wall_clock(&mut self, wall: jiff::Timestamp) {
        let now = incident::clock_now(self.incident.latest(), wall, self.held.is_some());
        self.incident.set_clock(now);
    }

    /// Whether any open source is of this family (decides which panes show).
    pub fn has_family(&self, family: Family) -> bool {
        self.sources.iter().any(|s| s.family == family)
    }
}

/// What a batch's recognised records were, for its source.
#[derive(Default)]
struct Seen {
    recognised: u64,
    last_ts: Option<jiff::Timestamp>,
}

impl Seen {
    fn note(&mut self, ev: &Event) {
        self.recognised += 1;
        if ev.trace_session.is_none() && ev.ts > self.last_ts {
            self.last_ts = ev.ts;
        }
    }
}

/// Where the parts of `ev`, parsed from `record`, sit in the line of
/// `bytes` (see [`lines::Compact`]): only when the record is that line's own
/// bytes (a record of one line, valid UTF-8), so offsets in the record are
/// offsets in the line; else only the event's time and where it came from
/// (a JSON record around the line: the pane shows the time, then the line
/// raw).
pub fn compact_of(bytes: &[u8], record: &str, ev: &Event) -> lines::Compact {
    let same = std::ptr::eq(bytes.as_ptr(), record.as_ptr()) && bytes.len() == record.len();
    if same || bytes == record.as_bytes() {
        lines::Compact::of(record, ev)
    } else {
        lines::Compact::time_only(ev)
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
    compact: lines::Compact,
) {
    // The index the line has in its store, so the user's drill-down can find
    // it without re-parsing.
    let line = LineRef {
        family,
        index,
        ts: ev.ts,
        cause: None,
    };
    let applied = incident.apply_repeated(ev, line, repeats);
    // The engine's cause, not the parser's: one cause per attempt.
    let kind = if applied.duplicate {
        LineKind::Duplicate {
            outcome: ev.outcome,
        }
    } else {
        LineKind::shown(ev.outcome, applied.cause.or(ev.cause), applied.follow_on)
    };
    store.set_kind(index, kind);
    store.set_compact(index, compact);
}
