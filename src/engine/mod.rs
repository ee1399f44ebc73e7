//! Pure incident state, built from parsed events and operator actions.
//!
//! Nothing here does I/O or looks at a clock: time is the log's own time, and
//! every change comes in through a method call, so the whole state can be
//! driven and checked in unit tests without a terminal or files.
//!
//! * [`incident`] — per-user failure statistics and AAA server health.
//! * [`lines`] — the bounded store of log lines each pane shows.
//! * [`checklist`] — the runbook's steps and who moved them when.
//! * [`Model`] — everything the dashboard draws, fed one batch at a time.

pub mod checklist;
pub mod incident;
pub mod lines;

use crate::parse::{self, Family, ParseContext};
use crate::runbook::Runbook;
use crate::source::{LineBatch, Notice, SourceId};

pub use checklist::{Checklist, StepChange, StepState};
pub use incident::{AaaServer, Incident, ServerHealth, UserKey, UserStats};
pub use lines::{LineKind, LineMeta, LineStore};

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
    ctx: ParseContext,
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
            sources,
            ctx,
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
    pub fn ingest(&mut self, id: SourceId, batch: &LineBatch) {
        let Some(family) = self.sources.get(id.0 as usize).map(|s| s.family) else {
            return;
        };
        let ctx = self.ctx;
        let mut unrecognised = 0u64;
        for (line_no, bytes) in batch.lines() {
            let text = String::from_utf8_lossy(bytes);
            let event = parse::parse_line(&text, family, &ctx);
            let mut meta = LineMeta {
                source: id,
                line_no,
                kind: LineKind::Plain,
            };
            match &event {
                Some(ev) => {
                    self.incident.apply(ev);
                    meta.kind = LineKind::Event {
                        outcome: ev.outcome,
                        cause: ev.cause,
                    };
                }
                None => unrecognised += 1,
            }
            self.store_mut(family).push(bytes, meta);
        }
        if let Some(src) = self.sources.get_mut(id.0 as usize) {
            src.lines += batch.len() as u64;
            src.unrecognised += unrecognised;
        }
    }

    /// Records a source notice; rotation and truncation also leave a marker
    /// line in the pane so the operator sees where the file changed.
    pub fn notice(&mut self, id: SourceId, notice: Notice) {
        let Some(src) = self.sources.get_mut(id.0 as usize) else {
            return;
        };
        let family = src.family;
        let marker = match &notice {
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
        src.status = Some(notice);
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
