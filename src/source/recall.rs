//! Reading lines again from their file: a pane keeps only its newest lines
//! (`--retain`), and scrolling back past them reads the older ones from the
//! file they came from, through the [`FileSpan`] their batch carried.
//!
//! * The file is found by identity, not only by name: after a rename
//!   rotation the path names a new file, so the directory is searched for
//!   the (device, inode) the lines were read from (`asa.log.1`,
//!   `asa.log-20261128`, …).
//! * The bytes are split by the same [`LineSplitter`] with the same line cap
//!   as when they were first read, so a cut long line comes back as the same
//!   pieces.
//! * What came back is checked against what was read first (the number of
//!   lines, and a hash of the first and last line the caller kept): a file
//!   rewritten in place, or truncated, gives an error, never other lines.

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};

use super::FileSpan;
use super::file::{open_file_id, path_id, read_exact_at};
use super::lines::LineSplitter;

/// Longest span read in one go; runs of lines are kept shorter than this
/// (see the engine's recall index), so a larger one means a corrupt index.
pub const MAX_SPAN_BYTES: u64 = 64 * 1024 * 1024;

/// Why lines could not be read again.
#[derive(Debug, thiserror::Error)]
pub enum RecallError {
    /// No file with the recorded identity is at the path or beside it.
    #[error("{}: the file is gone (rotated away or deleted)", .0.display())]
    Gone(PathBuf),
    /// The file is there but no longer holds the same lines.
    #[error("{}: the file was rewritten since it was read", .0.display())]
    Changed(PathBuf),
    #[error("{}: {}", .0.display(), .1)]
    Io(PathBuf, io::Error),
}

/// A line and whether it continues a cut line.
pub type Piece = (Vec<u8>, bool);

/// A hash of one line's bytes, kept by the caller for [`read_span`]'s check.
pub fn line_hash(line: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    line.hash(&mut h);
    h.finish()
}

/// What the caller knows of the lines at a span, to check them against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expect {
    pub lines: u64,
    pub first_hash: u64,
    pub last_hash: u64,
    /// The first line continues a cut line from before the span.
    pub first_continued: bool,
}

/// Reads the lines of `span` again (see the module docs).
pub fn read_span(
    span: &FileSpan,
    max_line: usize,
    expect: Expect,
) -> Result<Vec<Piece>, RecallError> {
    read_span_around(span, max_line, expect, 0, 0).map(|around| around.lines)
}

/// How far before and after a span [`read_span_around`] looks for the
/// lines around it: context lines longer than this are left out.
pub const MARGIN_BYTES: u64 = 64 * 1024;

/// The lines of a span read again, with lines of the file around them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Around {
    /// Up to the asked number of lines that end where the span starts,
    /// oldest first.
    pub before: Vec<Piece>,
    /// The span's own lines, checked as [`read_span`] checks them.
    pub lines: Vec<Piece>,
    /// Up to the asked number of lines that follow the span.
    pub after: Vec<Piece>,
}

/// [`read_span`], also reading up to `before` lines that precede the span
/// and `after` lines that follow it in the file, within [`MARGIN_BYTES`]
/// each way (an evidence bundle's context lines).
pub fn read_span_around(
    span: &FileSpan,
    max_line: usize,
    expect: Expect,
    before: usize,
    after: usize,
) -> Result<Around, RecallError> {
    let key = &span.file;
    let path = key.path.clone();
    let len = span.end.saturating_sub(span.start);
    if len > MAX_SPAN_BYTES {
        return Err(RecallError::Changed(path));
    }
    let file = find(&key.path, key.id).map_err(|e| RecallError::Io(path.clone(), e))?;
    let Some(file) = file else {
        return Err(RecallError::Gone(path));
    };
    let size = file
        .metadata()
        .map_err(|e| RecallError::Io(path.clone(), e))?
        .len();
    if size < span.end {
        return Err(RecallError::Changed(path));
    }
    let from = if before > 0 {
        span.start.saturating_sub(MARGIN_BYTES)
    } else {
        span.start
    };
    let to = if after > 0 {
        span.end.saturating_add(MARGIN_BYTES).min(size)
    } else {
        span.end
    };
    let mut buf = vec![0u8; usize::try_from(to - from).unwrap_or(0)];
    read_exact_at(&file, &mut buf, from).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => RecallError::Changed(path.clone()),
        _ => RecallError::Io(path.clone(), e),
    })?;
    let head = usize::try_from(span.start - from).unwrap_or(0);
    let body = usize::try_from(len).unwrap_or(0);
    let (margin_before, rest) = buf.split_at(head.min(buf.len()));
    let (own, margin_after) = rest.split_at(body.min(rest.len()));

    let mut lines = Vec::new();
    let mut splitter = LineSplitter::new(max_line);
    let mut first = expect.first_continued;
    let mut push = |line: &[u8], continued: bool| {
        lines.push((line.to_vec(), continued || std::mem::take(&mut first)));
    };
    splitter.feed_marked(own, &mut push);
    splitter.finish_marked(&mut push);
    let same = lines.len() as u64 == expect.lines
        && lines.first().map(|(l, _)| line_hash(l)) == Some(expect.first_hash)
        && lines.last().map(|(l, _)| line_hash(l)) == Some(expect.last_hash);
    if !same {
        return Err(RecallError::Changed(path));
    }

    // Before: the margin's first line is cut unless it starts the file.
    let whole = if from == 0 {
        margin_before
    } else {
        match margin_before.iter().position(|&b| b == b'\n') {
            Some(at) => &margin_before[at + 1..],
            None => &[],
        }
    };
    let mut earlier = Vec::new();
    LineSplitter::new(max_line).feed_marked(whole, |l, c| earlier.push((l.to_vec(), c)));
    let skip = earlier.len().saturating_sub(before);
    earlier.drain(..skip);

    // After: complete lines, and an unterminated last one at the file's end.
    let mut later = Vec::new();
    let mut splitter = LineSplitter::new(max_line);
    splitter.feed_marked(margin_after, |l, c| later.push((l.to_vec(), c)));
    if to == size {
        splitter.finish_marked(|l, c| later.push((l.to_vec(), c)));
    }
    later.truncate(after);
    Ok(Around {
        before: earlier,
        lines,
        after: later,
    })
}

/// The file with identity `id`: at `path`, or renamed within its directory.
fn find(path: &Path, id: Option<(u64, u64)>) -> io::Result<Option<File>> {
    let Some(id) = id else {
        // No identity on this platform: the path is all there is.
        return match File::open(path) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        };
    };
    if let Ok(f) = File::open(path)
        && open_file_id(&f) == Some(id)
    {
        return Ok(Some(f));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    for entry in entries.flatten() {
        let candidate = entry.path();
        if path_id(&candidate) == Some(id)
            && let Ok(f) = File::open(&candidate)
            && open_file_id(&f) == Some(id)
        {
            return Ok(Some(f));
        }
    }
    Ok(None)
}
