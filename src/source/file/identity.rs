//! Which file is open, and whether it still holds what was read from it:
//! (device, inode) where the platform has them, the first bytes of the file
//! and the bytes just before the read offset. Also the positioned reads
//! every part of the follower uses.

use std::fs::{File, Metadata};
use std::io;
use std::path::Path;

/// Leading bytes compared to recognise the same file content.
pub(super) const HEAD_LEN: usize = 1024;
/// Bytes before the read offset compared to recognise a rewritten file.
const MARKER_LEN: usize = 32;

pub(in crate::source) type FileId = (u64, u64);

/// A start offset agreed for a file: its (device, inode), where the
/// platform has them, and the offset (see [`FileOptions::start_at`](super::FileOptions::start_at)).
pub type StartAt = (Option<(u64, u64)>, u64);

/// (device, inode) of a path, where the platform has them.
pub(in crate::source) fn path_id(path: &Path) -> Option<FileId> {
    std::fs::metadata(path).ok().and_then(|m| sys::file_id(&m))
}

/// (device, inode) of an open file, where the platform has them.
pub(in crate::source) fn open_file_id(file: &File) -> Option<FileId> {
    file.metadata().ok().and_then(|m| sys::file_id(&m))
}

/// The open file and what is known about its content.
pub(super) struct Tailed {
    pub(super) file: File,
    pub(super) file_id: Option<FileId>,
    /// Pipes and devices are read sequentially and have no size to check.
    pub(super) regular: bool,
    pub(super) offset: u64,
    pub(super) head: Vec<u8>,
    pub(super) marker: Vec<u8>,
    pub(super) leading_nuls: bool,
    pub(super) nuls_skipped: u64,
}

impl Tailed {
    pub(super) fn new(file: File, meta: &Metadata) -> Self {
        Tailed {
            file,
            file_id: sys::file_id(meta),
            regular: meta.is_file(),
            offset: 0,
            head: Vec::new(),
            marker: Vec::new(),
            leading_nuls: true,
            nuls_skipped: 0,
        }
    }

    /// Starts reading at `at` (the start of a line), recording the head and
    /// the marker before `at` as if everything before had been read.
    pub(super) fn skip_to(&mut self, at: u64) -> io::Result<()> {
        self.rewind();
        if at == 0 {
            return Ok(());
        }
        let head_len = at.min(HEAD_LEN as u64) as usize;
        let mut head = vec![0u8; head_len];
        read_exact_at(&self.file, &mut head, 0)?;
        let marker_len = at.min(MARKER_LEN as u64) as usize;
        let mut marker = vec![0u8; marker_len];
        read_exact_at(&self.file, &mut marker, at - marker_len as u64)?;
        crate::source::io_count::count_seek();
        // `at` follows a newline, so reading does not start in a NUL hole.
        self.leading_nuls = false;
        self.head = head;
        self.marker = marker;
        self.offset = at;
        Ok(())
    }

    pub(super) fn rewind(&mut self) {
        self.offset = 0;
        self.head.clear();
        self.marker.clear();
        self.leading_nuls = true;
        self.nuls_skipped = 0;
    }

    /// Notes `chunk`, just read at `offset`, for later identity checks.
    pub(super) fn record(&mut self, chunk: &[u8]) {
        if self.head.len() < HEAD_LEN && self.head.len() as u64 == self.offset {
            let take = (HEAD_LEN - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if chunk.len() >= MARKER_LEN {
            self.marker.clear();
            self.marker
                .extend_from_slice(&chunk[chunk.len() - MARKER_LEN..]);
        } else {
            self.marker.extend_from_slice(chunk);
            let excess = self.marker.len().saturating_sub(MARKER_LEN);
            self.marker.drain(..excess);
        }
        self.offset += chunk.len() as u64;
    }

    /// Whether the content already read is no longer what the file holds.
    pub(super) fn truncated(&self) -> io::Result<bool> {
        let size = self.file.metadata()?.len();
        if size < self.offset {
            return Ok(true);
        }
        let mut scratch = [0u8; HEAD_LEN];
        if !self.head.is_empty() && !same_bytes(&self.file, 0, &self.head, &mut scratch)? {
            return Ok(true);
        }
        // Beyond the head, the bytes just before the offset catch a file
        // that was truncated and rewritten with a different middle.
        if self.offset > self.head.len() as u64 && !self.marker.is_empty() {
            let at = self.offset - self.marker.len() as u64;
            if !same_bytes(&self.file, at, &self.marker, &mut scratch)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether `chunk`, just read at the offset, belongs to another content:
    /// the file was truncated and written again between
    /// [`truncated`](Self::truncated)'s check and the read, so the chunk is
    /// the new content's bytes from the old offset. Such a chunk is what the
    /// file holds there now; one read before the truncation, the old
    /// content's tail, is not (and is kept: the next check restarts after
    /// it). A file that cannot be read again is not judged here. The
    /// check costs what [`truncated`](Self::truncated)'s does (an `fstat`
    /// and up to two small reads), once per read that got bytes; the chunk
    /// is read again only when the file was truncated.
    pub(super) fn rewritten_under(&self, chunk: &[u8]) -> bool {
        if !self.truncated().unwrap_or(false) {
            return false;
        }
        let mut scratch = vec![0u8; chunk.len()];
        same_bytes(&self.file, self.offset, chunk, &mut scratch).unwrap_or(false)
    }

    /// Whether the open file still has a name (`None`: cannot tell).
    pub(super) fn linked(&self) -> Option<bool> {
        let meta = self.file.metadata().ok()?;
        sys::nlink(&meta).map(|n| n > 0)
    }
}

/// Fills `buf` from `file` at `at`; a file shorter than that is an error.
pub(in crate::source) fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        match sys::read_at(file, &mut buf[filled..], at + filled as u64) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Compares the file's bytes at `at` with `expected` (at most `scratch` long).
fn same_bytes(file: &File, at: u64, expected: &[u8], scratch: &mut [u8]) -> io::Result<bool> {
    let buf = &mut scratch[..expected.len()];
    let mut filled = 0;
    while filled < buf.len() {
        match sys::read_at(file, &mut buf[filled..], at + filled as u64) {
            // The file shrank since it was stat'ed.
            Ok(0) => return Ok(false),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(buf == expected)
}

#[cfg(unix)]
pub(super) mod sys {
    use std::fs::{File, Metadata};
    use std::io;
    use std::os::unix::fs::{FileExt, MetadataExt};

    use super::FileId;

    pub fn file_id(meta: &Metadata) -> Option<FileId> {
        Some((meta.dev(), meta.ino()))
    }

    pub fn nlink(meta: &Metadata) -> Option<u64> {
        Some(meta.nlink())
    }

    pub fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let n = file.read_at(buf, offset)?;
        crate::source::io_count::count_read(n);
        Ok(n)
    }
}

#[cfg(not(unix))]
pub(super) mod sys {
    use std::fs::{File, Metadata};
    use std::io::{self, Read, Seek, SeekFrom};

    use super::FileId;

    pub fn file_id(_: &Metadata) -> Option<FileId> {
        None
    }

    pub fn nlink(_: &Metadata) -> Option<u64> {
        None
    }

    pub fn read_at(mut file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        file.seek(SeekFrom::Start(offset))?;
        let n = file.read(buf)?;
        crate::source::io_count::count_read(n);
        Ok(n)
    }
}
