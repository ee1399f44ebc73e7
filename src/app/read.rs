//! The one way a log file becomes events: its lines, through the source's
//! [`RecordReader`] (detected or forced format, multi-line records, the
//! `--user` a client log is about, rsyslog repeats). `scan`, `events`,
//! `bundle`, `report` and the dashboard's `e` all read files through
//! [`read_file`]; the dashboard and `events --follow` feed the same reader
//! batch by batch (see `pipeline::Model::ingest` and `follow.rs`).

use std::io;
use std::ops::RangeInclusive;

use anyhow::Context;

use super::headless::HeadlessFile;
use crate::parse::ParseContext;
use crate::parse::reader::RecordReader;
use crate::source::lines::{DEFAULT_MAX_LINE, LineSplitter, lossy};
use crate::source::mapped::{FileBytes, MapPolicy};
use crate::vocab::Event;

/// One record, as [`read_file`] hands it on.
pub struct Record<'a> {
    /// The file's lines the record was read from (1-based). A record of one
    /// line is the line it completed on; a record joined from several lines
    /// ends on the line that completed it, or on the line before when the
    /// next record's first line completed it (DART, CSV).
    pub lines: RangeInclusive<u64>,
    /// The line the record was completed on (the last line at the end of
    /// the input): the line `events` and `events --follow` report.
    pub completed_on: u64,
    pub text: &'a str,
    /// `None` when the record is not recognised.
    pub event: Option<&'a Event<'a>>,
    /// Events the record stands for (rsyslog's "message repeated N times").
    pub repeats: u32,
}

/// What [`read_file`] read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadCounts {
    pub lines: u64,
    /// Records recognised.
    pub recognised: u64,
    /// Records not recognised: lines (or multi-line records) that are not
    /// the log the file was taken for. Shown wherever the file's lines are
    /// counted, as the dashboard's `unparsed`.
    pub unrecognised: u64,
    /// Multi-line records given up on (see [`RecordReader::dropped`]).
    pub dropped: u64,
}

/// Reads the lines that start in the first `limit` bytes of `file` and
/// calls `each` for every record, in order. An error from `each` stops the
/// read and is returned.
pub fn read_file(
    file: &HeadlessFile,
    limit: u64,
    ctx: &ParseContext,
    mut each: impl FnMut(&Record) -> io::Result<()>,
) -> anyhow::Result<ReadCounts> {
    let name = || file.path.display().to_string();
    let input = FileBytes::open(&file.path, MapPolicy::default()).with_context(name)?;
    let mut reader = RecordReader::new(file.family, file.format, file.user.clone(), ctx.clone())
        .for_source(&file.path.to_string_lossy());
    let mut counts = ReadCounts::default();
    let mut failed: Option<io::Error> = None;
    let mut on_record =
        |line_no: u64, line: Option<&str>, text: &str, event: Option<Event>, n: u32| {
            if event.is_some() {
                counts.recognised += 1;
            } else {
                counts.unrecognised += 1;
            }
            if failed.is_some() {
                return;
            }
            let record = Record {
                lines: span(line_no, line, text),
                completed_on: line_no,
                text,
                event: event.as_ref(),
                repeats: n,
            };
            if let Err(e) = each(&record) {
                failed = Some(e);
            }
        };
    let mut last_line = 0;
    let mut each_line = |bytes: &[u8]| {
        counts.lines += 1;
        last_line += 1;
        let line_no = last_line;
        let line = lossy(bytes);
        reader.feed(&line, |text, event, n| {
            on_record(line_no, Some(&line), text, event, n)
        });
    };
    // The same lines `for_each_line` would give, from a map when the file
    // can be mapped (see `FileBytes`).
    let mut splitter = LineSplitter::new(DEFAULT_MAX_LINE);
    input
        .for_each_piece(limit, |piece| {
            crate::source::io_count::count_read(piece.len());
            splitter.feed(piece, &mut each_line)
        })
        .with_context(name)?;
    splitter.finish(&mut each_line);
    reader.finish(|text, event, n| on_record(last_line, None, text, event, n));
    counts.dropped = reader.dropped();
    if let Some(e) = failed {
        return Err(anyhow::Error::from(e).context(name()));
    }
    Ok(counts)
}

/// The lines a record completed on line `line_no` (text `line`; `None` at
/// the end of the input, `line_no` then being the last line) came from.
pub(crate) fn span(line_no: u64, line: Option<&str>, text: &str) -> RangeInclusive<u64> {
    // Nearly every record is one line: found by one search, not a count
    // of every byte (this runs on every line `events` and `scan` read
    // line by line).
    let n = memchr::memchr_iter(b'\n', text.as_bytes()).count() as u64 + 1;
    if n == 1 {
        // One line (ISE segments are joined into one line: the completing
        // segment stands for the record).
        let at = line_no.max(1);
        return at..=at;
    }
    let last_of_text = text.rsplit('\n').next().unwrap_or("");
    let end = match line {
        Some(line) if line.trim_end() != last_of_text.trim_end() => line_no.saturating_sub(1),
        _ => line_no,
    };
    end.saturating_sub(n - 1).max(1)..=end.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_spans_the_lines_it_was_joined_from() {
        assert_eq!(span(5, Some("x"), "x"), 5..=5);
        // Completed by its own last line (XML `</Event>`).
        assert_eq!(span(7, Some("</Event>"), "<Event>\na\n</Event>"), 5..=7);
        // Completed by the next record's first line (DART's rule line).
        assert_eq!(span(7, Some("*****"), "a\nb"), 5..=6);
        // Completed by the end of the input (line 9 the last).
        assert_eq!(span(9, None, "a\nb\nc"), 7..=9);
        assert_eq!(span(9, None, "a"), 9..=9);
    }
}
