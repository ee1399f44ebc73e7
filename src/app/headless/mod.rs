//! The headless commands for scripts and CI: `scan` (per-user table) and
//! `events` (one JSON object per recognised line).
//!
//! This module holds what both read: the files to read and the one loop
//! that reads them through the engine; beside it, `count` (reading files
//! into an incident for `scan`, with the block reader where it can),
//! `scan_report` (the `scan --json` document built from an incident),
//! `pretty` (writing it as indented JSON),
//! `table` (the same as a table for a terminal) and `events` (the
//! NDJSON records, also those of `events --follow`).

mod count;
mod events;
mod pretty;
mod scan_json;
mod scan_report;
mod table;

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::read;
use crate::engine::incident::Applied;
use crate::engine::{CauseUpdate, Incident, LineRef};
use crate::parse::formats::Format;
use crate::parse::{self, ParseContext};
use crate::vocab::Family;

pub use count::{ScanMode, Scanned, count_prefix, scan, scan_with};
pub use events::events;
pub(crate) use events::{LineNames, write_event};
pub use pretty::write_pretty;
pub use scan_json::write_scan_json;
pub use scan_report::{
    GroupReport, ManagementReport, ManagementUserReport, ScanReport, ServerReport, SessionsReport,
    TotalsReport, TransitionReport, UserReport, WindowsReport, blind_scope, report,
    unrecognised_warnings,
};
pub use table::write_table;

/// A file to read headlessly, with its family.
#[derive(Clone, Debug)]
pub struct HeadlessFile {
    pub path: PathBuf,
    pub family: Family,
    /// The file's format when known; `None` reads line by line by family.
    pub format: Option<Format>,
    /// The user a client log is about when its lines do not say (`--user`).
    pub user: Option<String>,
}

impl HeadlessFile {
    /// Whether the parallel block reader can take this file: it parses
    /// lines by family, as the headend's syslog and the auth servers' one
    /// line formats read. A file detected as another format (a pasted debug
    /// trace, whose stray untimed `%ASA` lines the trace reader reads its
    /// own way) is read line by line, so both readers agree.
    fn bulk_readable(&self) -> bool {
        use crate::parse::formats::Format;
        self.user.is_none()
            && self.format.is_none_or(|f| {
                f.record_mode() == crate::parse::records::RecordMode::Lines
                    && f != Format::AsaDebugTrace
            })
            && self.family != Family::Client
    }
}

/// Per-file counts reported by `scan`.
#[derive(Clone, Debug, Serialize)]
pub struct FileSummary {
    pub path: String,
    pub family: Family,
    pub lines: u64,
    pub recognised: u64,
    /// Records not recognised (for line formats, lines): what the
    /// dashboard shows as `unparsed`.
    pub unrecognised: u64,
}

/// One record as [`read_all`] hands it on.
struct Seen<'a> {
    path: &'a Path,
    line_no: u64,
    raw: &'a str,
    event: Option<&'a parse::Event<'a>>,
    /// What the engine made of it (the line's cause, a new attempt).
    applied: Applied,
    /// The record's number in this read (the same in every read of the
    /// same files), as the engine's [`crate::engine::LineRef::index`].
    index: u64,
    /// Earlier records whose cause this one changed.
    updates: &'a [CauseUpdate],
}

/// Reads every file to its end, calling `each` for every line with its parse
/// result and what the engine made of it.
fn read_all(
    files: &[HeadlessFile],
    limit: u64,
    ctx: &ParseContext,
    incident: &mut Incident,
    mut each: impl FnMut(Seen<'_>) -> io::Result<()>,
) -> anyhow::Result<Vec<FileSummary>> {
    let mut summaries = Vec::new();
    let mut index = 0u64;
    // One source per file, numbered on from the source the caller set (a
    // caller reading one file of several sets its number first).
    let first = incident.source().0;
    for (i, file) in files.iter().enumerate() {
        let n = u16::try_from(i).unwrap_or(u16::MAX);
        incident.set_source(crate::vocab::SourceId(first.saturating_add(n)));
        let counts = read::read_file(file, limit, ctx, |record| {
            let mut applied = Applied::default();
            let mut updates = Vec::new();
            if let Some(ev) = record.event {
                let line = LineRef {
                    family: ev.family,
                    index,
                    ts: ev.ts,
                    cause: None,
                };
                applied = incident.apply_repeated(ev, line, record.repeats);
                updates = incident.take_cause_updates();
            }
            let seen = Seen {
                path: &file.path,
                line_no: record.completed_on,
                raw: record.text,
                event: record.event,
                applied,
                index,
                updates: &updates,
            };
            index += 1;
            each(seen)
        })?;
        if counts.dropped > 0 {
            eprintln!(
                "vpnwatch: {}: {} multi-line records incomplete or over the size cap; not counted",
                file.path.display(),
                counts.dropped
            );
        }
        summaries.push(FileSummary {
            path: file.path.display().to_string(),
            family: file.family,
            lines: counts.lines,
            recognised: counts.recognised,
            unrecognised: counts.unrecognised,
        });
    }
    Ok(summaries)
}
