//! A whole file's bytes for the readers that go through a file once
//! (`scan`, `events`, `bundle`, `report`, the dashboard's count of the
//! bytes before its backlog): memory-mapped when that is safe, read with
//! positioned reads otherwise.
//!
//! A map saves the kernel's copy of every byte (most of `scan`'s system
//! time), but a mapped file that shrinks kills the process with SIGBUS when
//! a page past its new end is touched, and a map of a file on a network
//! file system can fault on the server's whims. So a file is mapped only
//! when all of these hold ([`MapPolicy::decide`]):
//!
//! * it is a regular, non-empty file (a pipe or device is read);
//! * it sits on a local file system (not NFS, SMB/CIFS, FUSE, 9p, Ceph,
//!   AFS: Linux only, by `fstatfs`; elsewhere nothing is mapped);
//! * it is quiet: not modified in the last [`QUIET`] (a log being written
//!   is read; an archived or rotated log is mapped).
//!
//! A change while the file is read is detected by its size and modification
//! time: before every piece taken from the map, the file is `fstat`ed again,
//! and when either differs from what it was when mapped, this and every
//! later piece are read with `pread` instead, as if it had never been
//! mapped (the bytes then are the file's current ones, as any reader's
//! would be). What is left is a file untouched for [`QUIET`] that changes
//! between that check and the use of the piece's bytes: a shrink kills the
//! process (SIGBUS), and bytes rewritten in place are read as they are then
//! (text checked as UTF-8 could then hold bytes that are not, against what
//! Rust's `str` promises). The window is one piece's parse, or, for `scan`'s
//! block reader, which keeps the events of mapped lines with their text in
//! the map, until the block is applied: as many blocks' time as results
//! wait for their turn (up to four per worker, see `app::bulk`), some
//! milliseconds, on a file nobody had written for two seconds.
//!
//! `VPNWATCH_MMAP=0` turns mapping off (to compare the two in benchmarks).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

/// How long a file must have been left alone to be mapped.
pub const QUIET: Duration = Duration::from_secs(2);

/// Whether files may be mapped at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapPolicy {
    /// Map files that pass the checks above.
    Auto,
    /// Always read (pipes need it anyway; tests and benchmarks compare).
    Never,
}

/// Why a file is, or is not, mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapDecision {
    Map,
    /// Not a regular file, or an empty one.
    NotRegular,
    /// On a network or user-space file system (or not on Linux).
    NotLocal,
    /// Modified within [`QUIET`]: being written.
    Busy,
    /// Mapping is turned off.
    Off,
}

impl Default for MapPolicy {
    /// `Auto` unless `VPNWATCH_MMAP=0`.
    fn default() -> Self {
        match std::env::var("VPNWATCH_MMAP") {
            Ok(v) if v.trim() == "0" => MapPolicy::Never,
            _ => MapPolicy::Auto,
        }
    }
}

impl MapPolicy {
    /// Whether to map a file with metadata `meta`, on a local file system
    /// or not, at `now`.
    pub fn decide(self, meta: &std::fs::Metadata, local: bool, now: SystemTime) -> MapDecision {
        if self == MapPolicy::Never {
            return MapDecision::Off;
        }
        if !meta.is_file() || meta.len() == 0 {
            return MapDecision::NotRegular;
        }
        if !local {
            return MapDecision::NotLocal;
        }
        // A modification time in the future (a skewed clock) is not quiet.
        let quiet = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age >= QUIET);
        if quiet {
            MapDecision::Map
        } else {
            MapDecision::Busy
        }
    }
}

/// The size and modification time a map was made at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }
}

/// An open file's bytes: see the module doc.
#[derive(Debug)]
pub struct FileBytes {
    file: File,
    map: Option<(memmap2::Mmap, Stamp)>,
    decision: MapDecision,
    /// Set once a change was seen: every piece is read from then on.
    changed: AtomicBool,
    is_file: bool,
    len: u64,
}

impl FileBytes {
    /// Opens `path` and maps it when `policy` and the checks allow.
    pub fn open(path: &Path, policy: MapPolicy) -> io::Result<FileBytes> {
        FileBytes::from_file(File::open(path)?, policy)
    }

    pub fn from_file(file: File, policy: MapPolicy) -> io::Result<FileBytes> {
        let meta = file.metadata()?;
        let decision = policy.decide(&meta, on_local_fs(&file), SystemTime::now());
        let map = match decision {
            // SAFETY: the file is a quiet regular file on a local file
            // system, and every piece is checked against its size and
            // modification time before it is taken (module doc); what is
            // left is a change to the file after that check, while the
            // piece's bytes are in use, which the module doc bounds. A map
            // that cannot be made falls back to reads.
            MapDecision::Map => unsafe { memmap2::Mmap::map(&file) }
                .ok()
                .map(|m| (m, Stamp::of(&meta))),
            _ => None,
        };
        if let Some((m, _)) = &map {
            // One pass front to back: let the kernel read ahead.
            let _ = m.advise(memmap2::Advice::Sequential);
        }
        Ok(FileBytes {
            file,
            map,
            decision,
            changed: AtomicBool::new(false),
            is_file: meta.is_file(),
            len: meta.len(),
        })
    }

    /// Whether the file is a regular one (else it has no length to cut).
    pub fn is_file(&self) -> bool {
        self.is_file
    }

    /// The file's length when opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// What was decided when the file was opened.
    pub fn decision(&self) -> MapDecision {
        self.decision
    }

    /// Whether pieces still come from the map (false once a change was
    /// seen, or when the file was never mapped).
    pub fn mapped(&self) -> bool {
        self.map.is_some() && !self.changed.load(Ordering::Relaxed)
    }

    /// The map, when pieces may still be taken from it: the file's size
    /// and modification time are checked first.
    fn live_map(&self) -> Option<&[u8]> {
        let (map, stamp) = self.map.as_ref()?;
        if self.changed.load(Ordering::Relaxed) {
            return None;
        }
        let same = self
            .file
            .metadata()
            .is_ok_and(|meta| Stamp::of(&meta) == *stamp);
        if !same {
            self.changed.store(true, Ordering::Relaxed);
            return None;
        }
        Some(map)
    }

    /// Up to `want` bytes at offset `at` (fewer at the end of the file):
    /// borrowed from the map, or read into `buf`. For regular files only
    /// (see [`is_file`](Self::is_file)).
    pub fn get<'a>(&'a self, buf: &'a mut Vec<u8>, at: u64, want: usize) -> io::Result<&'a [u8]> {
        if let Some(piece) = self.mapped_piece(at, want) {
            return Ok(piece);
        }
        read_at_most(&self.file, buf, at, want)?;
        Ok(buf)
    }

    /// [`get`](Self::get)'s bytes when they come from the map (for as long
    /// as the map lives); `None` when they must be read.
    pub fn mapped_piece(&self, at: u64, want: usize) -> Option<&[u8]> {
        let map = self.live_map()?;
        let start = usize::try_from(at).unwrap_or(usize::MAX).min(map.len());
        let end = start.saturating_add(want).min(map.len());
        Some(map.get(start..end).unwrap_or(&[]))
    }

    /// Up to `want` bytes at offset `at`, always read into `buf`, never
    /// taken from the map: for the few bytes a reader needs outside the
    /// range it maps and releases (see [`done_with`](Self::done_with)).
    /// Touching a mapped page maps the whole large folio of the page cache
    /// it lies in (up to 2 MiB) into the process, where nothing would
    /// release it.
    pub fn read<'a>(&self, buf: &'a mut Vec<u8>, at: u64, want: usize) -> io::Result<&'a [u8]> {
        read_at_most(&self.file, buf, at, want)?;
        Ok(buf)
    }

    /// Says that the bytes `at..at + len` were used: a mapped range's pages
    /// leave this process (the page cache keeps them), so mapping a 2 GB
    /// file does not make the process's resident size 2 GB. Reading them
    /// again is still correct: they fault back in from the file.
    pub fn done_with(&self, at: u64, len: usize) {
        if let Some((map, range)) = self.map_range(at, len) {
            // SAFETY: the map is read-only (never written), so no page holds
            // data of our own that dropping it could lose; a later access
            // reads the page from the file again.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, range.0, range.1)
            };
        }
    }

    /// The map and `at..at + len` clipped to it, as offset and length.
    fn map_range(&self, at: u64, len: usize) -> Option<(&memmap2::Mmap, (usize, usize))> {
        let (map, _) = self.map.as_ref()?;
        let start = usize::try_from(at).ok()?.min(map.len());
        let end = start.saturating_add(len).min(map.len());
        (end > start).then_some((map, (start, end - start)))
    }

    /// Calls `f` with the bytes of `0..limit` in order, in pieces (from the
    /// map, else read), until `limit` or the end of the file.
    pub fn for_each_piece(&self, limit: u64, mut f: impl FnMut(&[u8])) -> io::Result<()> {
        // Map pieces are large (no copy); read pieces fit the CPU cache.
        const MAP_PIECE: usize = 8 * 1024 * 1024;
        const READ_PIECE: usize = 256 * 1024;
        let mut buf = Vec::new();
        if !self.is_file {
            // A pipe or device cannot be read at an offset: read it in turn.
            return read_in_turn(&self.file, limit, &mut f);
        }
        let mut at = 0u64;
        let mut release = Release::default();
        while at < limit {
            let size = if self.mapped() { MAP_PIECE } else { READ_PIECE };
            let want = usize::try_from(limit - at).map_or(size, |left| left.min(size));
            let piece = self.get(&mut buf, at, want)?;
            if piece.is_empty() {
                break;
            }
            f(piece);
            at += piece.len() as u64;
            release.used_through(self, at, limit);
        }
        // The end of the file came before `limit`.
        release.used_through(self, at, at);
        Ok(())
    }
}

/// Bytes of a mapped file released at a time (see [`Release`]).
pub const RELEASE_BYTES: u64 = 16 * 1024 * 1024;

/// A mapped file's pages leaving the process in file order once used,
/// [`RELEASE_BYTES`] at a time (see [`FileBytes::done_with`]), so that
/// memory stays bounded whatever the file's size: for every reader that
/// goes through a file front to back ([`FileBytes::for_each_piece`], and
/// the block reader as it applies its blocks). A trade: released piece by
/// piece, every release of a process with more than one thread interrupted
/// the other cores to flush their TLBs (on a virtual machine, an exit to
/// the hypervisor each). For the 300 MB bench file that is 18 releases
/// instead of 143 2 MiB blocks, about 4 % of a two-core scan's CPU time
/// saved, for a peak RSS of 36–45 MiB instead of 19 (BENCHMARKS.md,
/// §16.24).
#[derive(Debug, Default)]
pub struct Release {
    /// Where the pages not released yet start.
    from: u64,
}

impl Release {
    /// The bytes up to `upto` are used, and `end` is where the reader
    /// stops: the batch is released when it is full or the end is reached.
    pub fn used_through(&mut self, file: &FileBytes, upto: u64, end: u64) {
        if upto.saturating_sub(self.from) >= RELEASE_BYTES || upto >= end {
            let bytes = usize::try_from(upto.saturating_sub(self.from)).unwrap_or(usize::MAX);
            file.done_with(self.from, bytes);
            self.from = upto;
        }
    }
}

/// Reads `file` from where it is to its end or `limit` bytes, in pieces.
fn read_in_turn(mut file: &File, limit: u64, f: &mut impl FnMut(&[u8])) -> io::Result<()> {
    use std::io::Read;
    let mut buf = vec![0u8; 256 * 1024];
    let mut left = limit;
    while left > 0 {
        let want = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        let n = match file.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        f(&buf[..n]);
        left -= n as u64;
    }
    Ok(())
}

/// Reads into `buf` from `at` until it holds `want` bytes or the file ends.
pub(crate) fn read_at_most(file: &File, buf: &mut Vec<u8>, at: u64, want: usize) -> io::Result<()> {
    buf.resize(want, 0);
    let mut got = 0;
    while got < want {
        match file.read_at(&mut buf[got..], at + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    buf.truncate(got);
    Ok(())
}

/// Whether `file` is on a local file system (`fstatfs`'s magic number).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn on_local_fs(file: &File) -> bool {
    use std::os::fd::AsRawFd;
    // From linux/magic.h and the file systems' sources.
    const REMOTE: [i64; 12] = [
        0x6969,      // NFS
        0x517B,      // SMB
        0xFF53_4D42, // CIFS
        0xFE53_4D42, // SMB2
        0x6573_5546, // FUSE (sshfs, rclone, …)
        0x0102_1997, // 9p
        0x00C3_6400, // Ceph
        0x5346_414F, // AFS
        0x6B41_4653, // kAFS
        0x7375_7245, // Coda
        0x564C,      // NCP
        0x0BD0_0BD0, // Lustre
    ];
    let mut st = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: `fstatfs` writes a `statfs` into the buffer it is given and
    // reads nothing else; the fd is open for the call's duration.
    let rc = unsafe { libc::fstatfs(file.as_raw_fd(), st.as_mut_ptr()) };
    if rc != 0 {
        return false;
    }
    // SAFETY: `fstatfs` returned 0, so it filled the struct.
    let st = unsafe { st.assume_init() };
    #[allow(clippy::unnecessary_cast)]
    let magic = st.f_type as i64;
    !REMOTE.contains(&magic)
}

/// Elsewhere nothing is known about the file system: read, never map.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn on_local_fs(_: &File) -> bool {
    false
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use super::*;

    /// Resident bytes of this process's map of `path` (its `smaps` entries).
    #[cfg(target_os = "linux")]
    pub(crate) fn mapped_resident_kib(path: &Path) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let name = path.to_str().unwrap();
        let mut ours = false;
        let mut kib = 0;
        for line in smaps.lines() {
            if line.contains('-') && line.split_whitespace().count() >= 5 {
                ours = line.ends_with(name);
            } else if ours && let Some(rss) = line.strip_prefix("Rss:") {
                kib += rss.trim().trim_end_matches(" kB").parse::<u64>().unwrap();
            }
        }
        kib
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_whole_file_read_leaves_at_most_one_batch_of_its_pages_in_the_process() {
        let dir = tempfile::tempdir().unwrap();
        // Two and a half batches, not a whole number of pieces.
        let len = 5 * RELEASE_BYTES / 2 + 12_345;
        let content: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let path = quiet_file(dir.path(), "archived.log", &content);
        let bytes = FileBytes::open(&path, MapPolicy::Auto).unwrap();
        // A temporary directory is on a local file system: the file is
        // mapped, or this test would prove nothing.
        assert_eq!(bytes.decision(), MapDecision::Map);
        let (mut read, mut peak) = (Vec::new(), 0u64);
        bytes
            .for_each_piece(u64::MAX, |piece| {
                // Reading the bytes faults the piece's pages in.
                read.extend_from_slice(piece);
                peak = peak.max(mapped_resident_kib(&path));
            })
            .unwrap();
        assert!(read == content);
        assert!(peak > 0, "the pieces came from the map");
        // One batch and the piece being read (8 MiB).
        let bound = (RELEASE_BYTES + 8 * 1024 * 1024) / 1024;
        assert!(peak <= bound, "{peak} KiB resident, more than {bound}");
        assert_eq!(mapped_resident_kib(&path), 0, "none once read");
    }

    fn quiet_file(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        let mut f = File::create(&path).unwrap();
        f.write_all(bytes).unwrap();
        f.set_modified(SystemTime::now() - 10 * QUIET).unwrap();
        path
    }

    fn all(bytes: &FileBytes, limit: u64) -> Vec<u8> {
        let mut out = Vec::new();
        bytes
            .for_each_piece(limit, |p| out.extend_from_slice(p))
            .unwrap();
        out
    }

    #[test]
    fn a_quiet_local_file_is_mapped_and_reads_the_same_as_when_read() {
        let dir = tempfile::tempdir().unwrap();
        let content: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let path = quiet_file(dir.path(), "a.log", &content);
        let mapped = FileBytes::open(&path, MapPolicy::Auto).unwrap();
        assert_eq!(mapped.decision(), MapDecision::Map);
        assert!(mapped.mapped());
        let read = FileBytes::open(&path, MapPolicy::Never).unwrap();
        assert_eq!(read.decision(), MapDecision::Off);
        assert!(!read.mapped());
        assert_eq!(all(&mapped, u64::MAX), content);
        assert_eq!(all(&read, u64::MAX), content);
        assert_eq!(all(&mapped, 1001), content[..1001]);
        let mut buf = Vec::new();
        assert_eq!(
            mapped.get(&mut buf, 399_990, 100).unwrap(),
            &content[399_990..]
        );
        assert!(mapped.get(&mut buf, 500_000, 100).unwrap().is_empty());
    }

    #[test]
    fn files_being_written_pipes_and_empty_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.log");
        std::fs::write(&path, b"just written\n").unwrap();
        let live = FileBytes::open(&path, MapPolicy::Auto).unwrap();
        assert_eq!(live.decision(), MapDecision::Busy);
        assert_eq!(all(&live, u64::MAX), b"just written\n");

        let empty = quiet_file(dir.path(), "empty.log", b"");
        let empty = FileBytes::open(&empty, MapPolicy::Auto).unwrap();
        assert_eq!(empty.decision(), MapDecision::NotRegular);

        let (reader, mut writer) = std::io::pipe().unwrap();
        writer.write_all(b"through a pipe\n").unwrap();
        drop(writer);
        let pipe = FileBytes::from_file(
            File::from(std::os::fd::OwnedFd::from(reader)),
            MapPolicy::Auto,
        )
        .unwrap();
        assert_eq!(pipe.decision(), MapDecision::NotRegular);
        assert!(!pipe.is_file());
        assert_eq!(all(&pipe, u64::MAX), b"through a pipe\n");

        let meta = std::fs::metadata(dir.path().join("live.log")).unwrap();
        let later = SystemTime::now() + 10 * QUIET;
        assert_eq!(
            MapPolicy::Auto.decide(&meta, false, later),
            MapDecision::NotLocal
        );
        assert_eq!(MapPolicy::Auto.decide(&meta, true, later), MapDecision::Map);
    }

    #[test]
    fn a_change_while_mapped_switches_to_reads_of_the_current_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = quiet_file(dir.path(), "rotating.log", &[b'a'; 8192]);
        let bytes = FileBytes::open(&path, MapPolicy::Auto).unwrap();
        let mut buf = Vec::new();
        assert_eq!(bytes.get(&mut buf, 0, 4).unwrap(), b"aaaa");
        assert!(bytes.mapped());
        // Rewritten shorter in place (copytruncate, then new lines).
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(0).unwrap();
        f.write_all(b"bbbb").unwrap();
        drop(f);
        assert_eq!(bytes.get(&mut buf, 0, 100).unwrap(), b"bbbb");
        assert!(!bytes.mapped(), "it stays on reads");
        assert!(
            bytes.get(&mut buf, 4096, 4).unwrap().is_empty(),
            "no SIGBUS past the new end"
        );
    }
}
