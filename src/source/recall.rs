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
    let mut buf = vec![0u8; len as usize];
    read_exact_at(&file, &mut buf, span.start).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => RecallError::Changed(path.clone()),
        _ => RecallError::Io(path.clone(), e),
    })?;
    let mut lines = Vec::new();
    let mut splitter = LineSplitter::new(max_line);
    let mut first = expect.first_continued;
    let mut push = |line: &[u8], continued: bool| {
        lines.push((line.to_vec(), continued || std::mem::take(&mut first)));
    };
    splitter.feed_marked(&buf, &mut push);
    splitter.finish_marked(&mut push);
    let same = lines.len() as u64 == expect.lines
        && lines.first().map(|(l, _)| line_hash(l)) == Some(expect.first_hash)
        && lines.last().map(|(l, _)| line_hash(l)) == Some(expect.last_hash);
    if !same {
        return Err(RecallError::Changed(path));
    }
    Ok(lines)
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
