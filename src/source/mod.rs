//! Where bytes come from: followed files (`tail -F` semantics) and stdin.
//!
//! A source turns bytes into complete lines and sends them, in batches and
//! with provenance, down a bounded channel as [`SourceMsg`]s. Sources know
//! nothing about Cisco or about what a line means.

pub mod file;
pub mod lines;
pub mod stdin;

use std::path::PathBuf;

/// Identifies one source for the lifetime of the process (index into the
/// list of sources the console was started with).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u16);

/// A run of complete lines from one source, stored in one buffer.
///
/// Lines are kept as bytes: they may be invalid UTF-8. The trailing `\n`
/// (and a `\r` before it) is not part of a line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineBatch {
    /// Line number (1-based, within the current file) of the first line.
    pub first_line: u64,
    data: Vec<u8>,
    ends: Vec<u32>,
}

impl LineBatch {
    pub fn new(first_line: u64) -> Self {
        LineBatch {
            first_line,
            data: Vec::new(),
            ends: Vec::new(),
        }
    }

    /// Appends one line (without its terminator).
    pub fn push(&mut self, line: &[u8]) {
        self.data.extend_from_slice(line);
        // Batches are flushed long before 4 GiB; saturate rather than wrap.
        self.ends
            .push(u32::try_from(self.data.len()).unwrap_or(u32::MAX));
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Bytes held, a measure for flushing batches.
    pub fn byte_len(&self) -> usize {
        self.data.len()
    }

    /// The lines with their line numbers.
    pub fn lines(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        let mut start = 0usize;
        self.ends.iter().enumerate().map(move |(i, &end)| {
            let end = end as usize;
            let line = &self.data[start..end];
            start = end;
            (self.first_line + i as u64, line)
        })
    }
}

/// Something a source reports besides lines, shown in its pane or header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The path does not exist (yet); the source waits for it.
    Waiting(PathBuf),
    /// The file was opened (first time or after rotation).
    Opened(PathBuf),
    /// The file was renamed away and a new one took its place; the old one
    /// was read to its end first.
    Rotated(PathBuf),
    /// The file shrank below the read offset; reading restarts at 0.
    Truncated(PathBuf),
    /// The file was deleted.
    Removed(PathBuf),
    /// The source reached the end of its input and will produce no more lines
    /// (stdin closed, or a non-follow read finished).
    Finished,
    /// A recoverable problem (permission denied, watcher failure, …).
    Error(String),
}

/// What flows from sources to the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceMsg {
    Lines(SourceId, LineBatch),
    Notice(SourceId, Notice),
}
