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
//! batches, [`recall`] reads a batch's lines again from its file,
//! [`mapped`] gives the whole-file readers a file's bytes (mapped or read).

// Input and the environment must never panic the parsers or the sources:
// every failure is a value. Tests may unwrap.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod command;
pub mod file;
pub mod glob;
pub mod io_count;
pub mod lines;
pub mod mapped;
pub mod recall;
pub mod stdin;
pub mod syslog;

// The batches and notices are shared vocabulary; named here too for the
// sources' own modules.
pub use crate::vocab::{BatchLine, FileKey, FileSpan, LineBatch, Notice, SourceId, SourceStats};

/// What flows from sources to the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceMsg {
    Lines(SourceId, LineBatch),
    Notice(SourceId, Notice),
}
