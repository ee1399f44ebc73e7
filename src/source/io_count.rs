//! Counters of the work the file sources and the headless reading path do
//! on disk: bytes read, reads, and seeks (a follower jumping to a position instead of reading up to it, as
//! `--backlog` does). They let a test bound an operation by its work (the
//! backlog of a huge file reads only its tail) rather than by wall-clock
//! time, which a fast disk or a sparse file would make meaningless.
//!
//! The counters are process-wide and relaxed: a measurement, never a
//! synchronisation. A test compares a [`snapshot`] before and after.

use std::sync::atomic::{AtomicU64, Ordering};

static BYTES_READ: AtomicU64 = AtomicU64::new(0);
static READS: AtomicU64 = AtomicU64::new(0);
static SEEKS: AtomicU64 = AtomicU64::new(0);

/// The counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoCounts {
    /// Bytes read from regular files at an offset, or handed from a file
    /// (mapped or read) to the one reading path that turns files into
    /// events (`app::read`).
    pub bytes_read: u64,
    /// Read calls on regular files (pieces, for the reading path).
    pub reads: u64,
    /// Jumps of a follower to a later position without reading up to it.
    pub seeks: u64,
}

impl IoCounts {
    /// What was counted between `earlier` and `self`.
    pub fn since(self, earlier: IoCounts) -> IoCounts {
        IoCounts {
            bytes_read: self.bytes_read - earlier.bytes_read,
            reads: self.reads - earlier.reads,
            seeks: self.seeks - earlier.seeks,
        }
    }
}

/// The counters now.
pub fn snapshot() -> IoCounts {
    IoCounts {
        bytes_read: BYTES_READ.load(Ordering::Relaxed),
        reads: READS.load(Ordering::Relaxed),
        seeks: SEEKS.load(Ordering::Relaxed),
    }
}

pub(crate) fn count_read(bytes: usize) {
    BYTES_READ.fetch_add(bytes as u64, Ordering::Relaxed);
    READS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn count_seek() {
    SEEKS.fetch_add(1, Ordering::Relaxed);
}
