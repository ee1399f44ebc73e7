//! Where bytes come from: followed files (`tail -F` semantics), globs of
//! files, stdin, a command's output and syslog receivers (UDP and TCP).
//!
//! A source turns bytes into complete lines and sends them, in batches and
//! with provenance, down a bounded channel as [`SourceMsg`]s. Sources know
//! nothing about Cisco or about what a line means.
//!
//! Flow control: file, stdin and command sources wait for room in the channel
//! (a file can be re-read, a pipe simply stops being read). Network sources
//! cannot make a sender wait, so they drop when the queue is full and count
//! every dropped message exactly ([`Notice::Stats`]).
//!
//! Modules: [`file`] follows one path (the follower, with the file's
//! identity, the `--backlog` start and the directory watch in submodules),
//! [`glob`] the files a pattern matches, [`stdin`], [`command`] and
//! [`syslog`] the other sources, [`lines`] splits bytes into lines and
//! batches, [`recall`] reads a batch's lines again from its file.

// Input and the environment must never panic the parsers or the sources:
// every failure is a value. Tests may unwrap.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod command;
pub mod file;
pub mod glob;
pub mod io_count;
pub mod lines;
pub mod recall;
pub mod stdin;
pub mod syslog;

use std::path::PathBuf;
use std::sync::Arc;

/// Identifies one source for the lifetime of the process (index into the
/// list of sources the console was started with).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u16);

/// A file lines were read from, named so that they can be read again when
/// a pane scrolls back past the lines it keeps. A truncated file gets a new
/// key: the bytes read before are gone from it.
#[derive(Debug, PartialEq, Eq)]
pub struct FileKey {
    pub path: PathBuf,
    /// (device, inode) of the open file, where the platform has them: after
    /// a rename rotation the lines are found under the file's new name.
    pub id: Option<(u64, u64)>,
}

/// Where a [`LineBatch`]'s lines are in their file: bytes `start..end` hold
/// exactly those lines, terminators and cut pieces included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSpan {
    pub file: Arc<FileKey>,
    pub start: u64,
    pub end: u64,
}

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
    /// Indices of lines that continue the line before them (pieces of a line
    /// longer than the cap, after the first piece). Usually empty.
    continued: Vec<u32>,
    /// Where lines came from when it is finer than the source (the file a
    /// glob matched, the sender of a syslog message): `(first index, origin)`
    /// runs, in order. Empty: the source itself.
    origins: Vec<(u32, Arc<str>)>,
    /// Set by file sources: where the lines can be read again.
    pub span: Option<FileSpan>,
}

/// One line of a [`LineBatch`] with everything known about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchLine<'a> {
    pub line_no: u64,
    pub bytes: &'a [u8],
    /// A piece of an over-long line after its first piece.
    pub continued: bool,
    /// The file or sender, when finer than the source.
    pub origin: Option<&'a str>,
}

impl LineBatch {
    pub fn new(first_line: u64) -> Self {
        LineBatch {
            first_line,
            data: Vec::new(),
            ends: Vec::new(),
            continued: Vec::new(),
            origins: Vec::new(),
            span: None,
        }
    }

    /// Appends one line; `continued` marks a piece of a cut long line that
    /// is not its first.
    pub fn push_piece(&mut self, line: &[u8], continued: bool) {
        if continued {
            self.continued
                .push(u32::try_from(self.ends.len()).unwrap_or(u32::MAX));
        }
        self.push(line);
    }

    /// Lines pushed from now on come from `origin`.
    pub fn set_origin(&mut self, origin: Arc<str>) {
        let at = u32::try_from(self.ends.len()).unwrap_or(u32::MAX);
        if self.origins.last().is_some_and(|(_, o)| *o == origin) {
            return;
        }
        if self.origins.last().is_some_and(|(i, _)| *i == at) {
            self.origins.pop();
        }
        self.origins.push((at, origin));
    }

    /// The lines with their numbers, continuation marks and origins.
    pub fn line_refs(&self) -> impl Iterator<Item = BatchLine<'_>> + '_ {
        let mut cont = self.continued.iter().peekable();
        let mut origins = self.origins.iter().peekable();
        let mut origin: Option<&str> = None;
        self.lines().enumerate().map(move |(i, (line_no, bytes))| {
            let i = i as u32;
            let continued = cont.next_if(|&&c| c == i).is_some();
            while let Some((_, o)) = origins.next_if(|(at, _)| *at <= i) {
                origin = Some(o);
            }
            BatchLine {
                line_no,
                bytes,
                continued,
                origin,
            }
        })
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
    /// Something worth showing that is not a problem (a command's stderr,
    /// "restarting in 4 s", the address a receiver listens on).
    Status(String),
    /// The bytes after the last complete line, unchanged for a while: shown
    /// as provisional until the line completes (any later line replaces it).
    /// Empty: nothing is pending any more.
    Pending(Vec<u8>),
    /// Start-up skipped this many bytes to show only the last lines of a
    /// large file (`--backlog`).
    Skipped(u64),
    /// The change watcher is unavailable (the reason, e.g. inotify limits
    /// reached); the source now only polls. Shown until the end.
    Polling(String),
    /// Running totals of a network source (not reset; the latest wins).
    Stats(SourceStats),
}

/// What a network source could not deliver as sent, counted exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// Messages received.
    pub received: u64,
    /// Messages dropped because the queue to the engine was full.
    pub dropped: u64,
    /// Messages cut to the size cap.
    pub truncated: u64,
    /// Messages or frames that were not valid syslog (kept as text when
    /// there was any text to keep).
    pub malformed: u64,
    /// Datagrams and connections from senders outside `--syslog-allow`.
    pub disallowed: u64,
    /// Datagrams the kernel dropped before they were read (receive buffer
    /// full; Linux's per-socket counter).
    pub kernel_dropped: u64,
}

/// What flows from sources to the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceMsg {
    Lines(SourceId, LineBatch),
    Notice(SourceId, Notice),
}
