//! Reading files into an incident for `scan` (and the dashboard's count of
//! what comes before its backlog): with the parallel block reader where
//! the file and its format allow, else line by line; both give the same
//! counts.

use std::path::Path;

use anyhow::Context;
use jiff::tz::TimeZone;

use super::scan_report::{ScanReport, report};
use super::{FileSummary, HeadlessFile, read_all};
use crate::app::bulk::{self, BulkOptions};
use crate::engine::incident::IncidentLimits;
use crate::engine::{Incident, InputLeftovers};
use crate::parse::ParseContext;
use crate::parse::clock;
use crate::source::lines::lossy;

/// What `scan` read: the incident its files built, and their summaries.
/// [`Scanned::report`] is a view of both. A command that exits once the
/// report is written may leave the incident's many small allocations to
/// the process's exit rather than free them one by one (a millisecond on a
/// large log, which it would wait for).
pub struct Scanned {
    pub incident: Incident,
    pub files: Vec<FileSummary>,
    /// What only served to join lines while the files were read (see
    /// [`Incident::finish_input`]): freed with the rest, or left to the
    /// exit with it.
    _leftovers: InputLeftovers,
}

impl Scanned {
    /// The per-user report of `scan`.
    pub fn report(&self) -> ScanReport<'_> {
        report(&self.incident, &self.files)
    }
}

/// `vpnwatch scan`: reads the files into an incident.
pub fn scan(
    files: &[HeadlessFile],
    ctx: &ParseContext,
    limits: IncidentLimits,
) -> anyhow::Result<Scanned> {
    // `VPNWATCH_SCAN_READER=lines`: the line-by-line reference reader, for
    // benchmarks to check that the fast reader's output is the same.
    let mode = match std::env::var("VPNWATCH_SCAN_READER") {
        Ok(v) if v == "lines" => ScanMode::Sequential,
        _ => ScanMode::Bulk(BulkOptions::default()),
    };
    scan_with(files, ctx, limits, mode)
}

/// How `scan` reads its files. Both give the same report.
#[derive(Clone, Copy, Debug)]
pub enum ScanMode {
    /// Line by line through the engine on this thread: the reference.
    Sequential,
    /// Blocks parsed in parallel, applied in order (see `app/bulk`).
    Bulk(BulkOptions),
}

/// Counts into `incident` the lines that start in the first `limit` bytes
/// of `file` (the part of a file before the dashboard's backlog), calling
/// `progress` with the bytes counted so far. Returns how many lines they
/// are.
pub fn count_prefix(
    file: &HeadlessFile,
    limit: u64,
    ctx: &ParseContext,
    incident: &mut Incident,
    progress: &mut dyn FnMut(u64),
) -> anyhow::Result<u64> {
    let mode = ScanMode::Bulk(BulkOptions::default());
    count_file(file, limit, ctx, mode, incident, progress).map(|summary| summary.lines)
}

/// Reads the lines that start in the first `limit` bytes of one file into
/// `incident`: with the block reader when `mode` and the format allow it and
/// the file is a regular one, else line by line.
fn count_file(
    file: &HeadlessFile,
    limit: u64,
    ctx: &ParseContext,
    mode: ScanMode,
    incident: &mut Incident,
    progress: &mut dyn FnMut(u64),
) -> anyhow::Result<FileSummary> {
    if let ScanMode::Bulk(opts) = mode
        && file.bulk_readable()
        && let Some(bulk_ctx) = bulk_context(&file.path, ctx)
    {
        let counted = bulk::scan_prefix(
            &file.path,
            limit,
            file.family,
            &bulk_ctx,
            incident,
            opts,
            progress,
        )
        .with_context(|| file.path.display().to_string())?;
        if let Some(c) = counted {
            return Ok(FileSummary {
                path: file.path.display().to_string(),
                family: file.family,
                lines: c.lines,
                recognised: c.recognised,
                // The block reader's formats are a record a line.
                unrecognised: c.lines.saturating_sub(c.recognised),
            });
        }
        // Not a regular file (a pipe has no blocks): line by line.
    }
    let mut summaries = read_all(std::slice::from_ref(file), limit, ctx, incident, |_| Ok(()))?;
    progress(limit);
    summaries
        .pop()
        .with_context(|| file.path.display().to_string())
}

/// The context the block reader (which parses blocks apart, with no
/// clock per source) can read `path` with so that it gets the times the
/// line-by-line reader would: `None` when it cannot, and the file is read
/// line by line. Decided from the file's first and last stamps: a zone-less
/// file with a `--tz` zone, or a yearless file whose stamps fall in two
/// years (it crosses New Year), needs the line-by-line reader's clock; a
/// yearless file within one year is read with that year.
fn bulk_context(path: &Path, ctx: &ParseContext) -> Option<ParseContext> {
    use crate::source::mapped::read_at_most;
    const EDGE_BYTES: u64 = 64 * 1024;
    let f = std::fs::File::open(path).ok()?;
    let meta = f.metadata().ok()?;
    // A pipe (`cat x | vpnwatch scan -`) has no blocks, and reading its head
    // here would take those lines from the line-by-line reader.
    if !meta.is_file() {
        return None;
    }
    let len = meta.len();
    // Positioned reads of the whole edge, a call each (`read_to_end` into
    // an empty buffer reads 32 bytes first, then twice as many each time).
    let mut head = Vec::new();
    read_at_most(&f, &mut head, 0, EDGE_BYTES as usize).ok()?;
    let mut tail = Vec::new();
    if len > EDGE_BYTES {
        read_at_most(&f, &mut tail, len - EDGE_BYTES, EDGE_BYTES as usize).ok()?;
    }
    // Line by line from the edge inwards, each line as text only when it is
    // looked at: the first stamp is usually in the first line, and the tail
    // starts mid-line (often mid-character), so the whole edge as text
    // cost more than the search. The lines are those of `str::lines`.
    let facts = |bytes: &[u8], last: bool| {
        let stamp = |line: &[u8]| {
            let line = match line.strip_suffix(b"\n") {
                Some(l) => l.strip_suffix(b"\r").unwrap_or(l),
                None => line,
            };
            clock::stamp_facts(&lossy(line), ctx.default_year)
        };
        let mut lines = bytes.split_inclusive(|&b| b == b'\n');
        if last {
            lines.rev().find_map(stamp)
        } else {
            lines.find_map(stamp)
        }
    };
    let Some(first) = facts(&head, false) else {
        return Some(ctx.clone());
    };
    let last = facts(if tail.is_empty() { &head } else { &tail }, true).unwrap_or(first);
    let name = path.to_string_lossy();
    if first.zoneless && ctx.time_rules.zone_for(&name).is_some() {
        return None;
    }
    if !first.yearless {
        return Some(ctx.clone());
    }
    let mut c = clock::Clock::for_source(ctx, &name);
    let y1 = c
        .fix(first.ts, true, first.zoneless)
        .to_zoned(TimeZone::UTC)
        .year();
    let y2 = c
        .fix(last.ts, true, last.zoneless)
        .to_zoned(TimeZone::UTC)
        .year();
    (y1 == y2).then(|| ParseContext {
        default_year: y1,
        ..ctx.clone()
    })
}

/// [`scan`] with a chosen reader.
pub fn scan_with(
    files: &[HeadlessFile],
    ctx: &ParseContext,
    limits: IncidentLimits,
    mode: ScanMode,
) -> anyhow::Result<Scanned> {
    let (incident, summaries, leftovers) = read_files(files, ctx, limits, mode)?;
    Ok(Scanned {
        incident,
        files: summaries,
        _leftovers: leftovers,
    })
}

/// Reads `files` in turn into a new incident, with their summaries and
/// what only served to read them (see [`Incident::finish_input`]).
fn read_files(
    files: &[HeadlessFile],
    ctx: &ParseContext,
    limits: IncidentLimits,
    mode: ScanMode,
) -> anyhow::Result<(Incident, Vec<FileSummary>, InputLeftovers)> {
    let mut incident = Incident::for_sources(files.iter().map(|f| f.family), limits);
    let summaries = files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            incident.set_source(crate::vocab::SourceId(u16::try_from(i).unwrap_or(u16::MAX)));
            count_file(file, u64::MAX, ctx, mode, &mut incident, &mut |_| {})
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let leftovers = incident.finish_input();
    Ok((incident, summaries, leftovers))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default year `bulk_context` reads a file of these bytes with,
    /// `None` when it sends the file to the line-by-line reader.
    fn year_for(bytes: &[u8]) -> Option<i16> {
        let mut f = tempfile::NamedTempFile::new().expect("a temporary file");
        std::io::Write::write_all(&mut f, bytes).expect("write the file");
        bulk_context(f.path(), &ParseContext::for_year(2024)).map(|c| c.default_year)
    }

    /// A file longer than both edges, so that the tail starts mid-line:
    /// `first` and `last` are its first and last stamped lines, with
    /// unstamped, CRLF-ended and broken (not UTF-8) lines around them.
    fn file(first: &str, last: &str) -> Vec<u8> {
        let mut bytes = b"no stamp here\r\n".to_vec();
        bytes.extend(first.as_bytes());
        bytes.extend(b"\r\n");
        bytes.extend(std::iter::repeat_n(b'a', 150_000));
        bytes.extend(b"\n\xe2\x82 broken\r\n");
        bytes.extend(last.as_bytes());
        bytes.extend(b"\r\n\xe2\x82 broken too\n\n");
        bytes
    }

    #[test]
    fn the_edge_stamps_decide_the_reader() {
        let line = |stamp: &str| format!("{stamp} asa-fw1 : %ASA-6-302013: Built");
        assert_eq!(
            year_for(&file(&line("Dec 30 23:59:58"), &line("Dec 31 23:59:59"))),
            Some(2024)
        );
        // Crossing New Year: the year is not one, the clock must roll.
        assert_eq!(
            year_for(&file(&line("Dec 31 23:59:58"), &line("Jan  1 00:00:01"))),
            None
        );
    }
}
