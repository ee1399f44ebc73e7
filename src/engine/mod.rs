//! Pure incident state, built from parsed events and operator actions.
//!
//! Nothing here does I/O or looks at a clock: time is the log's own time, and
//! every change comes in through a method call, so the whole state can be
//! driven and checked in unit tests without a terminal or files.
//!
//! * [`incident`] — per-user failure statistics and AAA server health.
//! * [`lines`] — the bounded store of log lines each pane shows.
//! * [`checklist`] — the runbook's steps and who moved them when.
//! * [`kpi`] — incident milestones and durations from the journal.
//! * [`suggest`] — the step that addresses the dominant failure cause.
//! * [`evidence`] — choosing and redacting a user's lines for a bundle.
//! * [`scope`] — the verdict: infrastructure, widespread, isolated or none.
//! * [`window`] — per-minute counts over the last minutes of log time.
//! * [`Model`] — everything the dashboard draws, fed one batch at a time.

pub mod checklist;
pub mod evidence;
pub mod incident;
pub mod join;
pub mod kpi;
pub mod lines;
pub mod scope;
pub mod suggest;
pub mod window;

use crate::parse::formats::{self, Format};
use crate::parse::records::{RecordAssembler, RecordMode};
use crate::parse::{self, Family, ParseContext, client};
use crate::runbook::Runbook;
use crate::source::{LineBatch, Notice, SourceId, SourceStats};

pub use checklist::{Checklist, StepChange, StepState};
pub use incident::{
    AaaGroup, AaaServer, Incident, LineRef, Management, ServerHealth, UserKey, UserState, UserStats,
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
    /// Per source, the assembler for formats whose records span lines.
    assemblers: Vec<Option<RecordAssembler>>,
    ctx: ParseContext,
    /// Shared by all sources; it only caches work, so sharing costs hits,
    /// never correctness.
    parser: parse::StreamParser,
}

impl Model {
    pub fn new(
        sources: Vec<SourceState>,
        runbook: &Runbook,
        retain: usize,
        ctx: ParseContext,
    ) -> Self {
        Model {
            incident: Incident::default(),
            headend: LineStore::new(retain),
            client: LineStore::new(retain),
            auth: LineStore::new(retain),
            checklist: Checklist::new(runbook),
            assemblers: sources
                .iter()
                .map(|s| {
                    s.format
                        .map(Format::record_mode)
                        .filter(|m| *m != RecordMode::Lines)
                        .map(RecordAssembler::new)
                })
                .collect(),
            sources,
            ctx,
            parser: parse::StreamParser::default(),
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
    /// several lines (Windows event XML, CSV exports, DART, segmented ISE
    /// messages) go through the source's assembler; when a record completes,
    /// its event is applied and the record's last line is styled.
    pub fn ingest(&mut self, id: SourceId, batch: &LineBatch) {
        let i = id.0 as usize;
        let Some(family) = self.sources.get(i).map(|s| s.family) else {
            return;
        };
        let mut unrecognised = 0u64;
        let mut records: Vec<String> = Vec::new();
        for line in batch.line_refs() {
            let (line_no, bytes) = (line.line_no, line.bytes);
            let index = self.store(family).total();
            let kind = if line.continued {
                // The middle of a cut line: parsing it would only invent
                // events, and the pane marks it as a continuation.
                LineKind::Continuation
            } else {
                LineKind::Plain
            };
            let meta = LineMeta {
                source: id,
                line_no,
                kind,
            };
            self.store_mut(family).push(bytes, meta);
            if line.continued {
                continue;
            }
            let text = String::from_utf8_lossy(bytes);
            match self.assemblers.get_mut(i).and_then(Option::as_mut) {
                Some(assembler) => assembler.feed(&text, |rec| records.push(rec.to_string())),
                None => {
                    if !self.apply_record(id, &text, index) {
                        unrecognised += 1;
                    }
                    continue;
                }
            }
            for record in records.drain(..) {
                if !self.apply_record(id, &record, index) {
                    unrecognised += 1;
                }
            }
        }
        self.note_dropped(i);
        if let Some(src) = self.sources.get_mut(i) {
            src.lines += batch.len() as u64;
            src.unrecognised += unrecognised;
            // Whatever was pending is part of (or came before) these lines.
            src.pending = None;
        }
    }

    /// Parses one record of source `id` whose last line is retained at
    /// `index` in its store, and applies it. False when not recognised.
    fn apply_record(&mut self, id: SourceId, record: &str, index: u64) -> bool {
        let Some(src) = self.sources.get(id.0 as usize) else {
            return false;
        };
        let (family, format) = (src.family, src.format);
        let default_user = src.default_user.clone();
        let ctx = self.ctx;
        let event = match format {
            Some(format) if format != Format::AsaSyslog => {
                formats::parse_record(format, record, &ctx)
            }
            _ => self.parser.parse(record, family, &ctx),
        };
        let Some(mut ev) = event else {
            return false;
        };
        if ev.user.is_none() && family == Family::Client {
            ev.user = default_user.as_deref();
        }
        // rsyslog folds identical lines into "message repeated N times";
        // they were N events.
        let repeats = match family {
            Family::Client => client::repeated(record).map_or(1, |(n, _)| n.max(1)),
            _ => 1,
        };
        // The index the line has in its store, so the user's drill-down can
        // find it without re-parsing.
        let line = LineRef {
            family,
            index,
            ts: ev.ts.or(self.incident.latest()),
            cause: None,
        };
        for _ in 0..repeats {
            self.incident.apply_line(&ev, line);
        }
        self.store_mut(family).set_kind(
            index,
            LineKind::Event {
                outcome: ev.outcome,
                cause: ev.cause,
            },
        );
        true
    }

    /// Completes whatever record source `i` was assembling (its input ended
    /// or changed file).
    fn flush_records(&mut self, i: usize) {
        let Some(assembler) = self.assemblers.get_mut(i).and_then(Option::as_mut) else {
            return;
        };
        let mut records = Vec::new();
        assembler.finish_all(|rec| records.push(rec.to_string()));
        let family = self.sources.get(i).map_or(Family::Headend, |s| s.family);
        let index = self.store(family).total().saturating_sub(1);
        let mut unrecognised = 0;
        for record in records {
            if !self.apply_record(SourceId(i as u16), &record, index) {
                unrecognised += 1;
            }
        }
        self.note_dropped(i);
        if let Some(src) = self.sources.get_mut(i) {
            src.unrecognised += unrecognised;
        }
    }

    /// Copies the assembler's count of abandoned records to the source.
    fn note_dropped(&mut self, i: usize) {
        if let (Some(Some(assembler)), Some(src)) =
            (self.assemblers.get(i), self.sources.get_mut(i))
        {
            src.records_dropped = assembler.dropped().records;
        }
    }

    /// Records a source notice; rotation and truncation also leave a marker
    /// line in the pane so the operator sees where the file changed.
    pub fn notice(&mut self, id: SourceId, notice: Notice) {
        if matches!(
            notice,
            Notice::Finished | Notice::Rotated(_) | Notice::Truncated(_) | Notice::Removed(_)
        ) {
            // A record never spans two files, nor the end of the input.
            self.flush_records(id.0 as usize);
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
