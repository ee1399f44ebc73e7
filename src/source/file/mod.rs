//! Following a file by path, surviving rotation and truncation.
//!
//! [`spawn_file`] gives `tail -F` semantics without its known losses:
//!
//! * Stat-polling every [`FileOptions::poll_interval`] is the ground truth.
//!   A `notify` watch on the **parent directory** only shortens the latency; a
//!   watch on the file itself goes silent after the first rename.
//! * A file is identified by (dev, ino) of the open descriptor plus its first
//!   bytes (up to 1 KiB) and the 32 bytes before the read offset, so a
//!   truncation is seen even when the file regrew past the offset between two
//!   polls.
//! * After a rename the old descriptor is read to its end before the new file
//!   is opened, and the switch waits while the new file is still empty: a
//!   daemon keeps appending to the old file until it reopens its log (logrotate
//!   `create` mode signals it only after creating the new file).
//! * A line without its `\n` is held back until completed, and emitted as a
//!   line when its file is rotated away, truncated or deleted.
//! * NUL bytes at the start of a file (left by copytruncate when the writer
//!   does not use `O_APPEND`) are skipped and reported, not shown as text.
//!
//! * Start-up can show only the last [`FileOptions::backlog`] lines of a file
//!   that already exists: the start offset is found by reading backwards from
//!   the end in blocks, so a 2 GB file costs a few block reads, not a scan.
//! * A partial last line that stays unterminated for [`PENDING_AFTER`] is sent
//!   as [`Notice::Pending`] so it can be shown provisionally.
//!
//! All file-system calls run in `spawn_blocking`, one bounded step at a time,
//! so a slow disk never stalls the runtime and every batch waits for room in
//! the channel (a file can always be re-read; nothing is dropped).
//!
//! Windows and other non-Unix systems have no (dev, ino) here: there a
//! replaced file is only seen through truncation or deletion.

use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::lines::{Batcher, DEFAULT_BATCH_LINES, DEFAULT_MAX_LINE, LineSplitter};
use super::{FileKey, Notice, SourceId, SourceMsg};

/// Bytes read per step; bounds the work done between two sends.
const READ_CHUNK: usize = 256 * 1024;
/// Leading bytes compared to recognise the same file content.
const HEAD_LEN: usize = 1024;
/// Bytes before the read offset compared to recognise a rewritten file.
const MARKER_LEN: usize = 32;
/// `tokio::time::interval` rejects zero; anything shorter is a busy loop.
const MIN_POLL: Duration = Duration::from_millis(10);
/// Silence after which an unterminated last line is shown as pending.
pub const PENDING_AFTER: Duration = Duration::from_secs(1);
/// Block size for the backwards search of `--backlog`.
const BACKLOG_BLOCK: usize = 64 * 1024;

/// How [`spawn_file`] reads its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileOptions {
    /// Keep following after the end (`tail -F`); otherwise read once and
    /// finish.
    pub follow: bool,
    /// How often the path is re-checked without any watcher event.
    pub poll_interval: Duration,
    /// Lines longer than this are cut into pieces.
    pub max_line: usize,
    /// Lines per batch at most.
    pub batch_lines: usize,
    /// When the file exists at start-up, begin with only its last N lines
    /// (`None`: read it from the start). Files that appear later, and the
    /// files that replace it after rotation, are always read from the start.
    pub backlog: Option<u64>,
    /// Where to start in the file that exists at start-up, found by the
    /// caller (who counts the bytes before it in the background); used
    /// instead of `backlog` when the file there is still (device, inode)
    /// `.0` and at least `.1` bytes long.
    pub start_at: Option<StartAt>,
    /// Poll only, without a file-system watcher (network file systems).
    pub poll_only: bool,
    /// Stamped on every batch (the path, when many files share a source).
    pub origin: Option<Arc<str>>,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            follow: true,
            poll_interval: Duration::from_secs(1),
            max_line: DEFAULT_MAX_LINE,
            batch_lines: DEFAULT_BATCH_LINES,
            backlog: None,
            start_at: None,
            poll_only: false,
            origin: None,
        }
    }
}

/// Reads `path` from its start and sends its lines and [`Notice`]s to `tx`,
/// following it across rotation, truncation and deletion when
/// `opts.follow` is set.
///
/// The task ends after [`Notice::Finished`] (no follow, or the path is not a
/// regular file and reached its end) or when the receiver is dropped.
/// Must be called within a tokio runtime.
pub fn spawn_file(
    id: SourceId,
    path: PathBuf,
    opts: FileOptions,
    tx: mpsc::Sender<SourceMsg>,
) -> JoinHandle<()> {
    tokio::spawn(run(id, path, opts, tx))
}

async fn run(id: SourceId, path: PathBuf, opts: FileOptions, tx: mpsc::Sender<SourceMsg>) {
    let poll = opts.poll_interval.max(MIN_POLL);
    let wake = Arc::new(Notify::new());
    let mut follower = Follower::new(id, path, &opts);
    if opts.follow && !opts.poll_only {
        follower.watch = Some(DirWatch::new(&follower.path, wake.clone(), poll));
    }
    // When an unterminated line last changed and has not been shown yet.
    let mut pending_deadline: Option<tokio::time::Instant> = None;
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // Arm the watch before the first look at the file, so that nothing
    // created in between goes unnoticed until the next poll.
    let mut maintain = opts.follow;
    loop {
        let read_before = follower.bytes_read;
        loop {
            let with_watch = std::mem::take(&mut maintain);
            let mut f = follower;
            let done = tokio::task::spawn_blocking(move || {
                let mut out = Vec::new();
                if with_watch {
                    f.maintain_watch(&mut out);
                }
                let progress = f.step(&mut out);
                (f, out, progress)
            })
            .await;
            let (f, out, progress) = match done {
                Ok(done) => done,
                Err(e) => {
                    // A panic in a step, or the runtime shutting down: the
                    // follower state is gone, so this source ends here.
                    let msg = format!("file source stopped: {e}");
                    let _ = tx.try_send(SourceMsg::Notice(id, Notice::Error(msg)));
                    return;
                }
            };
            follower = f;
            for msg in out {
                if tx.send(msg).await.is_err() {
                    return;
                }
            }
            match progress {
                Progress::More => {}
                Progress::Idle => break,
                Progress::Done => return,
            }
        }
        if follower.bytes_read != read_before {
            pending_deadline = (!follower.splitter.pending().is_empty())
                .then(|| tokio::time::Instant::now() + PENDING_AFTER);
        }
        tokio::select! {
            () = wake.notified() => {}
            _ = tick.tick() => maintain = true,
            () = tx.closed() => return,
            () = sleep_until_some(pending_deadline) => {
                pending_deadline = None;
                if let Some(msg) = follower.pending_notice()
                    && tx.send(msg).await.is_err()
                {
                    return;
                }
            }
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until_some(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// What a [`Follower::step`] left to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Progress {
    /// Call `step` again right away.
    More,
    /// Caught up; call again on the next event or poll.
    Idle,
    /// The source has finished.
    Done,
}

/// What the followed path currently names, compared with the open file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PathState {
    /// Keep reading the open file (also while it was renamed away and the
    /// path is empty or names a still-empty new file).
    Same,
    /// Another file took the name: switch once the open one is drained.
    Replaced,
    /// The open file was deleted and nothing took its name.
    Removed,
}

pub(super) type FileId = (u64, u64);

/// A start offset agreed for a file: its (device, inode), where the
/// platform has them, and the offset (see [`FileOptions::start_at`]).
pub type StartAt = (Option<(u64, u64)>, u64);

/// (device, inode) of a path, where the platform has them.
pub(super) fn path_id(path: &Path) -> Option<FileId> {
    std::fs::metadata(path).ok().and_then(|m| sys::file_id(&m))
}

/// (device, inode) of an open file, where the platform has them.
pub(super) fn open_file_id(file: &File) -> Option<FileId> {
    file.metadata().ok().and_then(|m| sys::file_id(&m))
}

/// The synchronous state machine behind [`spawn_file`]. Each `step` does a
/// bounded amount of blocking I/O and leaves its messages in `out`.
struct Follower {
    id: SourceId,
    path: PathBuf,
    follow: bool,
    splitter: LineSplitter,
    batcher: Batcher,
    buf: Vec<u8>,
    cur: Option<Tailed>,
    waiting_announced: bool,
    /// Repeating the same error on every poll would flood the pane.
    last_error: Option<String>,
    watch: Option<DirWatch>,
    /// `--backlog`, until the first attempt to open the file.
    backlog: Option<Option<u64>>,
    /// [`FileOptions::start_at`], until the first attempt to open the file.
    start_at: Option<StartAt>,
    /// Bytes read so far (tells the runner whether a step made progress).
    bytes_read: u64,
    /// The current unterminated tail was already sent as pending.
    pending_shown: bool,
}

/// The open file and what is known about its content.
struct Tailed {
    file: File,
    file_id: Option<FileId>,
    /// Pipes and devices are read sequentially and have no size to check.
    regular: bool,
    offset: u64,
    head: Vec<u8>,
    marker: Vec<u8>,
    leading_nuls: bool,
    nuls_skipped: u64,
}

impl Tailed {
    fn new(file: File, meta: &Metadata) -> Self {
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
    fn skip_to(&mut self, at: u64) -> io::Result<()> {
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
        // `at` follows a newline, so reading does not start in a NUL hole.
        self.leading_nuls = false;
        self.head = head;
        self.marker = marker;
        self.offset = at;
        Ok(())
    }

    fn rewind(&mut self) {
        self.offset = 0;
        self.head.clear();
        self.marker.clear();
        self.leading_nuls = true;
        self.nuls_skipped = 0;
    }

    /// Notes `chunk`, just read at `offset`, for later identity checks.
    fn record(&mut self, chunk: &[u8]) {
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
    fn truncated(&self) -> io::Result<bool> {
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

    /// Whether the open file still has a name (`None`: cannot tell).
    fn linked(&self) -> Option<bool> {
        let meta = self.file.metadata().ok()?;
        sys::nlink(&meta).map(|n| n > 0)
    }
}

impl Follower {
    fn new(id: SourceId, path: PathBuf, opts: &FileOptions) -> Self {
        let mut batcher = Batcher::new(id, opts.batch_lines);
        if let Some(origin) = &opts.origin {
            batcher.set_origin(origin.clone());
        }
        Follower {
            id,
            path,
            follow: opts.follow,
            splitter: LineSplitter::new(opts.max_line),
            batcher,
            buf: vec![0u8; READ_CHUNK],
            cur: None,
            waiting_announced: false,
            last_error: None,
            watch: None,
            backlog: Some(opts.backlog),
            start_at: opts.start_at,
            bytes_read: 0,
            pending_shown: false,
        }
    }

    /// The unterminated tail as a [`Notice::Pending`], once per change.
    fn pending_notice(&mut self) -> Option<SourceMsg> {
        let pending = self.splitter.pending();
        if pending.is_empty() || self.pending_shown {
            return None;
        }
        self.pending_shown = true;
        Some(SourceMsg::Notice(
            self.id,
            Notice::Pending(pending.to_vec()),
        ))
    }

    fn step(&mut self, out: &mut Vec<SourceMsg>) -> Progress {
        let Some(cur) = &self.cur else {
            return self.open(out);
        };
        let checks = self.follow && cur.regular;
        if checks {
            match cur.truncated() {
                Ok(true) => {
                    self.restart_truncated(out);
                    return Progress::More;
                }
                Ok(false) => {}
                Err(e) => self.error(format!("{}: {e}", self.path.display()), out),
            }
        }
        // The path is looked at before the read: if the writer has moved on
        // to a new file, everything it wrote to the old one is there by now,
        // and a read that finds nothing more proves the old file drained.
        let state = if checks {
            self.path_state(out)
        } else {
            PathState::Same
        };
        match self.read_chunk(out) {
            Ok(0) => {}
            Ok(_) => return Progress::More,
            Err(e) => {
                self.error(format!("{}: read failed: {e}", self.path.display()), out);
                return if self.follow {
                    Progress::Idle
                } else {
                    self.finish(out)
                };
            }
        }
        self.batcher.flush(out);
        if !checks {
            return self.finish(out);
        }
        match state {
            PathState::Same => Progress::Idle,
            PathState::Replaced => {
                self.close(out);
                self.notice(Notice::Rotated(self.path.clone()), out);
                Progress::More
            }
            PathState::Removed => {
                self.close(out);
                self.notice(Notice::Removed(self.path.clone()), out);
                self.waiting_announced = false;
                Progress::More
            }
        }
    }

    fn open(&mut self, out: &mut Vec<SourceMsg>) -> Progress {
        let opened = File::open(&self.path).and_then(|file| {
            let meta = file.metadata()?;
            Ok((file, meta))
        });
        match opened {
            Ok((_, meta)) if meta.is_dir() => {
                self.error(format!("{}: is a directory", self.path.display()), out);
            }
            Ok((file, meta)) => {
                let mut tailed = Tailed::new(file, &meta);
                let backlog = self.backlog.take().flatten();
                let agreed = self
                    .start_at
                    .take()
                    .filter(|&(id, at)| id == tailed.file_id && at <= meta.len())
                    .map(|(_, at)| at);
                let mut skipped = 0;
                if let Some(n) = backlog.filter(|_| tailed.regular && self.follow) {
                    let start = match agreed {
                        Some(at) => Ok(at),
                        None => start_of_last_lines(&tailed.file, meta.len(), n),
                    };
                    match start.and_then(|at| tailed.skip_to(at).map(|()| at)) {
                        Ok(at) => skipped = at,
                        Err(e) => {
                            // Reading everything is slower but loses nothing.
                            tailed.rewind();
                            self.error(format!("{}: {e}", self.path.display()), out);
                        }
                    }
                }
                let key = tailed.regular.then(|| {
                    let key = FileKey {
                        path: self.path.clone(),
                        id: tailed.file_id,
                    };
                    (Arc::new(key), skipped)
                });
                self.cur = Some(tailed);
                self.waiting_announced = false;
                self.last_error = None;
                self.batcher.restart_numbering(out);
                self.batcher.set_file(key, out);
                self.notice(Notice::Opened(self.path.clone()), out);
                if skipped > 0 {
                    self.notice(Notice::Skipped(skipped), out);
                }
                return Progress::More;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound && self.follow => {
                // A file that appears later is new: all of it is shown.
                self.backlog = None;
                if !self.waiting_announced {
                    self.waiting_announced = true;
                    self.notice(Notice::Waiting(self.path.clone()), out);
                }
            }
            Err(e) => self.error(format!("{}: {e}", self.path.display()), out),
        }
        if self.follow {
            Progress::Idle
        } else {
            self.finish(out)
        }
    }

    fn path_state(&mut self, out: &mut Vec<SourceMsg>) -> PathState {
        let Some(cur) = &self.cur else {
            return PathState::Same;
        };
        match std::fs::metadata(&self.path) {
            Ok(meta) => {
                let id = sys::file_id(&meta);
                if id.is_none() || id == cur.file_id {
                    return PathState::Same;
                }
                // An empty new file while the old one is still linked: the
                // writer has probably not reopened yet and may still append
                // to the old one, so stay there.
                if meta.len() > 0 || cur.linked() == Some(false) {
                    PathState::Replaced
                } else {
                    PathState::Same
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => match cur.linked() {
                // Renamed away and nothing new yet: the old file is still
                // the one being written.
                Some(true) => PathState::Same,
                _ => PathState::Removed,
            },
            Err(e) => {
                self.error(format!("{}: {e}", self.path.display()), out);
                PathState::Same
            }
        }
    }

    /// Reads the next chunk of the open file and splits it into lines.
    fn read_chunk(&mut self, out: &mut Vec<SourceMsg>) -> io::Result<usize> {
        let Some(cur) = self.cur.as_mut() else {
            return Ok(0);
        };
        let n = loop {
            let read = if cur.regular {
                sys::read_at(&cur.file, &mut self.buf, cur.offset)
            } else {
                (&cur.file).read(&mut self.buf)
            };
            match read {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                read => break read?,
            }
        };
        if n == 0 {
            return Ok(0);
        }
        let chunk = &self.buf[..n];
        cur.record(chunk);
        let mut data = chunk;
        if cur.leading_nuls {
            let skip = data.iter().position(|&b| b != 0).unwrap_or(data.len());
            cur.nuls_skipped += skip as u64;
            self.batcher.skip_bytes(skip as u64, out);
            data = &data[skip..];
            if !data.is_empty() {
                cur.leading_nuls = false;
                if cur.nuls_skipped > 0 {
                    self.batcher.flush(out);
                    let msg = nul_message(&self.path, cur.nuls_skipped);
                    out.push(SourceMsg::Notice(self.id, Notice::Error(msg)));
                }
            }
        }
        let batcher = &mut self.batcher;
        self.splitter
            .feed_raw(data, |line, c, raw| batcher.push_raw(line, c, raw, out));
        self.bytes_read += n as u64;
        self.pending_shown = false;
        self.last_error = None;
        Ok(n)
    }

    fn restart_truncated(&mut self, out: &mut Vec<SourceMsg>) {
        self.flush_partial(out);
        self.notice(Notice::Truncated(self.path.clone()), out);
        if let Some(cur) = self.cur.as_mut() {
            cur.rewind();
        }
        self.batcher.restart_numbering(out);
        // The bytes read before are gone: the lines read from now on are a
        // new file's as far as reading them again goes.
        let key = self.cur.as_ref().filter(|cur| cur.regular).map(|cur| {
            let key = FileKey {
                path: self.path.clone(),
                id: cur.file_id,
            };
            (Arc::new(key), 0)
        });
        self.batcher.set_file(key, out);
    }

    /// Emits what is left of the current file and closes it.
    fn close(&mut self, out: &mut Vec<SourceMsg>) {
        self.flush_partial(out);
        self.cur = None;
    }

    /// The file is done with: a partial line becomes a line; an all-NUL
    /// file is still reported.
    fn flush_partial(&mut self, out: &mut Vec<SourceMsg>) {
        let batcher = &mut self.batcher;
        self.splitter
            .finish_raw(|line, c, raw| batcher.push_raw(line, c, raw, out));
        self.batcher.flush(out);
        if let Some(cur) = self.cur.as_mut()
            && cur.leading_nuls
            && cur.nuls_skipped > 0
        {
            let msg = nul_message(&self.path, cur.nuls_skipped);
            cur.nuls_skipped = 0;
            out.push(SourceMsg::Notice(self.id, Notice::Error(msg)));
        }
    }

    fn finish(&mut self, out: &mut Vec<SourceMsg>) -> Progress {
        self.close(out);
        self.notice(Notice::Finished, out);
        Progress::Done
    }

    /// Sends a notice after the lines before it.
    fn notice(&mut self, notice: Notice, out: &mut Vec<SourceMsg>) {
        self.batcher.flush(out);
        out.push(SourceMsg::Notice(self.id, notice));
    }

    fn error(&mut self, msg: String, out: &mut Vec<SourceMsg>) {
        if self.last_error.as_deref() != Some(msg.as_str()) {
            self.notice(Notice::Error(msg.clone()), out);
            self.last_error = Some(msg);
        }
    }

    /// Starts the directory watch, and re-arms it when the directory appears
    /// or was replaced (an inotify watch dies with its directory).
    fn maintain_watch(&mut self, out: &mut Vec<SourceMsg>) {
        let Some(watch) = self.watch.as_mut() else {
            return;
        };
        if let Err(e) = watch.maintain() {
            let msg = format!(
                "{}: file watcher unavailable ({e}); polling every {:?}",
                self.path.display(),
                watch.poll
            );
            self.watch = None;
            self.notice(Notice::Polling(msg), out);
        }
    }
}

fn nul_message(path: &Path, count: u64) -> String {
    format!(
        "{}: skipped {count} NUL bytes at the start of the file \
         (copytruncate with a writer not in append mode?)",
        path.display()
    )
}

/// Fills `buf` from `file` at `at`; a file shorter than that is an error.
pub(super) fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
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

/// Where a follower with `--backlog n` starts in the file now at `path`,
/// with the file's identity (for [`FileOptions::start_at`]); `None` when it
/// is not a regular file or would be read from its start anyway.
pub fn backlog_start(path: &Path, n: u64) -> io::Result<Option<StartAt>> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(None);
    }
    let at = start_of_last_lines(&file, meta.len(), n)?;
    Ok((at > 0).then_some((sys::file_id(&meta), at)))
}

/// The offset where the last `n` lines of the first `size` bytes of `file`
/// begin (an unterminated last line counts as a line), found by reading
/// backwards in blocks: the cost depends on the lines kept, not on the size
/// of the file.
pub fn start_of_last_lines(file: &File, size: u64, n: u64) -> io::Result<u64> {
    let mut end = size;
    // The newline that ends the last line does not start a line after it.
    if end > 0 {
        let mut last = [0u8; 1];
        read_exact_at(file, &mut last, end - 1)?;
        if last[0] == b'\n' {
            end -= 1;
            if n == 0 {
                return Ok(size);
            }
        }
    }
    // An unterminated last line is kept even with `n == 0`: it is still
    // being written, and starting in its middle would show a fragment.
    let n = n.max(1);
    let mut found = 0u64;
    let mut buf = vec![0u8; BACKLOG_BLOCK];
    while end > 0 {
        let len = end.min(BACKLOG_BLOCK as u64) as usize;
        let from = end - len as u64;
        read_exact_at(file, &mut buf[..len], from)?;
        for pos in memchr::memrchr_iter(b'\n', &buf[..len]) {
            found += 1;
            if found == n {
                return Ok(from + pos as u64 + 1);
            }
        }
        end = from;
    }
    Ok(0)
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

/// A `notify` watch on the followed file's parent directory that wakes the
/// follower when something happens to the file's name.
pub(super) struct DirWatch {
    dir: PathBuf,
    name: Option<OsString>,
    wake: Arc<Notify>,
    poll: Duration,
    watcher: Option<notify::RecommendedWatcher>,
    /// Identity of the directory the watch is on, `None` while unarmed.
    armed: Option<Option<FileId>>,
}

impl DirWatch {
    /// A watch waking on any change in `dir` (a glob's directory).
    pub(super) fn for_dir(dir: PathBuf, wake: Arc<Notify>, poll: Duration) -> Self {
        DirWatch {
            dir,
            name: None,
            wake,
            poll,
            watcher: None,
            armed: None,
        }
    }

    fn new(path: &Path, wake: Arc<Notify>, poll: Duration) -> Self {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        DirWatch {
            dir,
            name: path.file_name().map(|n| n.to_os_string()),
            wake,
            poll,
            watcher: None,
            armed: None,
        }
    }

    /// Errors mean the watcher cannot work at all (no inotify instance or
    /// watch left); a missing directory is not an error, polling covers it.
    pub(super) fn maintain(&mut self) -> notify::Result<()> {
        if self.watcher.is_none() {
            let handler = wake_on(self.name.clone(), self.wake.clone());
            self.watcher = Some(notify::recommended_watcher(handler)?);
        }
        let Some(watcher) = self.watcher.as_mut() else {
            return Ok(());
        };
        let Ok(meta) = std::fs::metadata(&self.dir) else {
            self.armed = None;
            return Ok(());
        };
        let id = sys::file_id(&meta);
        if self.armed == Some(id) {
            return Ok(());
        }
        match watcher.watch(&self.dir, RecursiveMode::NonRecursive) {
            Ok(()) => {
                self.armed = Some(id);
                // Whatever happened before the watch existed is only seen
                // by looking.
                self.wake.notify_one();
                Ok(())
            }
            Err(e) if matches!(e.kind, notify::ErrorKind::PathNotFound) => Ok(()),
            Err(e) if matches!(&e.kind, notify::ErrorKind::Io(io) if io.kind() == io::ErrorKind::NotFound) => {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// The watcher callback: runs on notify's thread, so it only filters and
/// signals (a `Notify` permit coalesces bursts of events into one wake-up).
fn wake_on(
    name: Option<OsString>,
    wake: Arc<Notify>,
) -> impl FnMut(notify::Result<notify::Event>) + Send + 'static {
    move |res| {
        let relevant = match &res {
            // Errors and queue overflows: events may be lost, look now.
            Err(_) => true,
            Ok(ev) if ev.need_rescan() => true,
            // Opens (our own included) and reads change nothing; a close
            // after writing may end a burst of writes.
            Ok(ev) if matches!(ev.kind, EventKind::Access(_)) => matches!(
                ev.kind,
                EventKind::Access(AccessKind::Close(AccessMode::Write))
            ),
            Ok(ev) => match &name {
                Some(name) => ev
                    .paths
                    .iter()
                    .any(|p| p.file_name() == Some(name.as_os_str())),
                None => true,
            },
        };
        if relevant {
            wake.notify_one();
        }
    }
}

#[cfg(unix)]
mod sys {
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
        file.read_at(buf, offset)
    }
}

#[cfg(not(unix))]
mod sys {
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
        file.read(buf)
    }
}

#[cfg(test)]
mod tests {
    //! The follower driven step by step, without a runtime or watcher: each
    //! `sync` plays the role of one poll, so every interleaving below is
    //! exact rather than timing-dependent.

    use std::fs::OpenOptions;
    use std::io::Write;

    use super::*;

    struct Harness {
        f: Follower,
        lines: Vec<(u64, String)>,
        notices: Vec<Notice>,
        next_no: u64,
        /// Batches whose span read back as exactly their lines, and those
        /// whose file was gone or rewritten by the time they arrived.
        spans_ok: u64,
        spans_unreadable: u64,
    }

    impl Harness {
        fn new(path: &Path, follow: bool) -> Self {
            let opts = FileOptions {
                follow,
                batch_lines: 3,
                ..FileOptions::default()
            };
            Harness {
                f: Follower::new(SourceId(1), path.to_path_buf(), &opts),
                lines: Vec::new(),
                notices: Vec::new(),
                next_no: 1,
                spans_ok: 0,
                spans_unreadable: 0,
            }
        }

        fn assert_spans_readable(&self) {
            assert!(self.spans_ok > 0, "no batch was read again");
            assert_eq!(
                self.spans_unreadable, 0,
                "batches whose span did not read back"
            );
        }

        /// A batch's span, read again, must give back exactly its lines.
        fn check_span(&mut self, batch: &crate::source::LineBatch) {
            use crate::source::recall::{Expect, line_hash, read_span};
            let Some(span) = &batch.span else {
                panic!("a regular file's batch has no span");
            };
            let lines: Vec<_> = batch.line_refs().collect();
            let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
                return;
            };
            let expect = Expect {
                lines: lines.len() as u64,
                first_hash: line_hash(first.bytes),
                last_hash: line_hash(last.bytes),
                first_continued: first.continued,
            };
            match read_span(span, DEFAULT_MAX_LINE, expect) {
                Ok(again) => {
                    let want: Vec<_> = lines
                        .iter()
                        .map(|l| (l.bytes.to_vec(), l.continued))
                        .collect();
                    assert_eq!(again, want, "span {}..{}", span.start, span.end);
                    self.spans_ok += 1;
                }
                Err(_) => self.spans_unreadable += 1,
            }
        }

        /// Steps until caught up, checking line numbers on the way.
        fn sync(&mut self) -> Progress {
            for _ in 0..100_000 {
                let mut out = Vec::new();
                let progress = self.f.step(&mut out);
                for msg in out {
                    match msg {
                        SourceMsg::Lines(id, batch) => {
                            assert_eq!(id, SourceId(1));
                            assert!(!batch.is_empty(), "empty batch sent");
                            self.check_span(&batch);
                            for (n, line) in batch.lines() {
                                assert_eq!(n, self.next_no, "line numbers must be consecutive");
                                self.next_no += 1;
                                self.lines
                                    .push((n, String::from_utf8(line.to_vec()).unwrap()));
                            }
                        }
                        SourceMsg::Notice(_, notice) => {
                            if matches!(notice, Notice::Opened(_) | Notice::Truncated(_)) {
                                self.next_no = 1;
                            }
                            self.notices.push(notice);
                        }
                    }
                }
                if progress != Progress::More {
                    return progress;
                }
            }
            panic!("follower never caught up");
        }

        fn texts(&mut self) -> Vec<String> {
            self.lines.drain(..).map(|(_, l)| l).collect()
        }

        fn numbered(&mut self) -> Vec<(u64, String)> {
            std::mem::take(&mut self.lines)
        }

        fn notices(&mut self) -> Vec<Notice> {
            std::mem::take(&mut self.notices)
        }
    }

    fn appender(path: &Path) -> File {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap()
    }

    fn numbered(lines: &[(u64, &str)]) -> Vec<(u64, String)> {
        lines.iter().map(|&(n, s)| (n, s.to_string())).collect()
    }

    #[test]
    fn without_follow_reads_everything_and_finishes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "one\ntwo\r\nthree\nfour\nlast").unwrap();
        let mut h = Harness::new(&path, false);
        assert_eq!(h.sync(), Progress::Done);
        assert_eq!(
            h.numbered(),
            numbered(&[
                (1, "one"),
                (2, "two"),
                (3, "three"),
                (4, "four"),
                (5, "last")
            ])
        );
        assert_eq!(h.notices(), [Notice::Opened(path), Notice::Finished]);
        h.assert_spans_readable();
    }

    #[test]
    fn without_follow_a_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing.log");
        let mut h = Harness::new(&path, false);
        assert_eq!(h.sync(), Progress::Done);
        let notices = h.notices();
        assert!(
            matches!(&notices[..], [Notice::Error(e), Notice::Finished] if e.contains("missing.log"))
        );
    }

    #[test]
    fn a_directory_is_an_error_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = Harness::new(dir.path(), true);
        assert_eq!(h.sync(), Progress::Idle);
        assert_eq!(h.sync(), Progress::Idle);
        let notices = h.notices();
        assert!(matches!(&notices[..], [Notice::Error(e)] if e.contains("is a directory")));
    }

    #[test]
    fn waits_for_a_missing_file_and_holds_partial_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let mut h = Harness::new(&path, true);
        assert_eq!(h.sync(), Progress::Idle);
        assert_eq!(h.sync(), Progress::Idle);
        assert_eq!(h.notices(), [Notice::Waiting(path.clone())]);

        let mut w = appender(&path);
        w.write_all(b"first\nsec").unwrap();
        assert_eq!(h.sync(), Progress::Idle);
        assert_eq!(h.numbered(), numbered(&[(1, "first")]));
        assert_eq!(h.notices(), [Notice::Opened(path.clone())]);
        w.write_all(b"ond\r").unwrap();
        h.sync();
        assert!(h.numbered().is_empty(), "partial line emitted early");
        w.write_all(b"\nthird\n").unwrap();
        h.sync();
        assert_eq!(h.numbered(), numbered(&[(2, "second"), (3, "third")]));
        assert!(h.notices().is_empty());
    }

    #[test]
    fn rename_rotation_drains_the_old_file_until_the_writer_moves() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let mut old = appender(&path);
        old.write_all(b"a1\na2\n").unwrap();
        let mut h = Harness::new(&path, true);
        h.sync();
        assert_eq!(h.texts(), ["a1", "a2"]);

        // Renamed away, nothing at the path yet: keep reading the old file.
        std::fs::rename(&path, dir.path().join("a.log.1")).unwrap();
        old.write_all(b"a3\n").unwrap();
        h.sync();
        assert_eq!(h.texts(), ["a3"]);

        // logrotate `create`: the new file exists but the writer has not
        // reopened yet and keeps using the old descriptor.
        let mut new = appender(&path);
        h.sync();
        old.write_all(b"a4\na5-partial").unwrap();
        h.sync();
        assert_eq!(h.texts(), ["a4"]);
        h.notices();

        // The writer moves on; its last old-file bytes land just before.
        old.write_all(b"-end\na6-no-newline").unwrap();
        new.write_all(b"b1\nb2\n").unwrap();
        h.sync();
        assert_eq!(
            h.numbered(),
            numbered(&[
                (5, "a5-partial-end"),
                (6, "a6-no-newline"),
                (1, "b1"),
                (2, "b2")
            ])
        );
        assert_eq!(
            h.notices(),
            [Notice::Rotated(path.clone()), Notice::Opened(path.clone())]
        );

        // Late writes to the old file after the switch are not followed.
        old.write_all(b"lost\n").unwrap();
        new.write_all(b"b3\n").unwrap();
        h.sync();
        assert_eq!(h.texts(), ["b3"]);
        h.assert_spans_readable();
    }

    #[test]
    fn replacing_the_file_by_rename_over_it_switches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "old1\nold2").unwrap();
        let mut h = Harness::new(&path, true);
        h.sync();
        let tmp = dir.path().join("tmp");
        std::fs::write(&tmp, "").unwrap();
        // An empty replacement whose predecessor is gone: nobody can write
        // to the old file by name any more, so switch at once.
        std::fs::rename(&tmp, &path).unwrap();
        h.sync();
        assert_eq!(h.texts(), ["old1", "old2"]);
        assert_eq!(
            h.notices(),
            [
                Notice::Opened(path.clone()),
                Notice::Rotated(path.clone()),
                Notice::Opened(path.clone())
            ]
        );
    }

    #[test]
    fn truncation_by_size_restarts_at_zero() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let mut w = appender(&path);
        w.write_all(b"one\ntwo\nthr").unwrap();
        let mut h = Harness::new(&path, true);
        h.sync();
        h.notices();
        w.set_len(0).unwrap();
        h.sync();
        w.write_all(b"new\n").unwrap();
        h.sync();
        assert_eq!(
            h.numbered(),
            numbered(&[(1, "one"), (2, "two"), (3, "thr"), (1, "new")])
        );
        assert_eq!(h.notices(), [Notice::Truncated(path)]);
    }

    #[test]
    fn truncation_and_regrowth_between_polls_is_seen_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let mut w = appender(&path);
        w.write_all(b"line-1\nline-2\n").unwrap();
        let mut h = Harness::new(&path, true);
        h.sync();
        h.texts();
        h.notices();
        // Same size as before, different first bytes.
        w.set_len(0).unwrap();
        w.write_all(b"LINE-3\nline-4\nmore\n").unwrap();
        h.sync();
        assert_eq!(h.texts(), ["LINE-3", "line-4", "more"]);
        assert_eq!(h.notices(), [Notice::Truncated(path.clone())]);
    }

    #[test]
    fn truncation_behind_an_unchanged_header_is_seen_by_the_marker() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let header = format!("{}\n", "#".repeat(HEAD_LEN + 100));
        let mut w = appender(&path);
        w.write_all(format!("{header}old-1\nold-2\n").as_bytes())
            .unwrap();
        let mut h = Harness::new(&path, true);
        h.sync();
        assert_eq!(h.texts().len(), 3);
        h.notices();
        w.set_len(0).unwrap();
        w.write_all(format!("{header}new-1\nnew-2\nnew-3\n").as_bytes())
            .unwrap();
        h.sync();
        assert_eq!(h.texts()[1..], ["new-1", "new-2", "new-3"]);
        assert_eq!(h.notices(), [Notice::Truncated(path)]);
    }

    #[test]
    fn copytruncate_with_a_non_append_writer_skips_leading_nuls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        // Not O_APPEND: after the truncation it keeps writing at offset 18.
        let mut w = File::create(&path).unwrap();
        w.write_all(b"line-one\nline-two\n").unwrap();
        let mut h = Harness::new(&path, true);
        h.sync();
        assert_eq!(h.texts(), ["line-one", "line-two"]);
        h.notices();
        OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        w.write_all(b"after\n").unwrap();
        h.sync();
        assert_eq!(h.numbered(), numbered(&[(1, "after")]));
        let notices = h.notices();
        assert_eq!(notices[0], Notice::Truncated(path.clone()));
        assert!(
            matches!(&notices[1..], [Notice::Error(e)] if e.contains("skipped 18 NUL bytes")),
            "{notices:?}"
        );
        h.assert_spans_readable();
    }

    #[test]
    fn delete_then_recreate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let mut w = appender(&path);
        w.write_all(b"x1\nx2-partial").unwrap();
        let mut h = Harness::new(&path, true);
        h.sync();
        h.notices();
        std::fs::remove_file(&path).unwrap();
        // Written after the deletion but before the follower looked: still
        // read from the open descriptor.
        w.write_all(b"-more\n").unwrap();
        drop(w);
        h.sync();
        assert_eq!(h.texts(), ["x1", "x2-partial-more"]);
        assert_eq!(
            h.notices(),
            [Notice::Removed(path.clone()), Notice::Waiting(path.clone())]
        );
        h.sync();
        assert!(h.notices().is_empty());
        std::fs::write(&path, "y1\n").unwrap();
        h.sync();
        assert_eq!(h.numbered(), numbered(&[(1, "y1")]));
        assert_eq!(h.notices(), [Notice::Opened(path)]);
    }

    #[test]
    fn batches_continue_numbering_and_long_lines_are_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let mut content = String::new();
        for i in 1..=7 {
            content.push_str(&format!("l{i}\n"));
        }
        content.push_str(&"z".repeat(READ_CHUNK * 2 + 5));
        content.push('\n');
        std::fs::write(&path, &content).unwrap();
        let opts = FileOptions {
            follow: false,
            batch_lines: 3,
            max_line: READ_CHUNK,
            ..FileOptions::default()
        };
        let mut f = Follower::new(SourceId(0), path, &opts);
        let mut firsts = Vec::new();
        let mut pieces = Vec::new();
        loop {
            let mut out = Vec::new();
            let progress = f.step(&mut out);
            for msg in out {
                if let SourceMsg::Lines(_, batch) = msg {
                    firsts.push(batch.first_line);
                    pieces.extend(
                        batch
                            .lines()
                            .skip_while(|(n, _)| *n <= 7)
                            .map(|(_, l)| l.len()),
                    );
                }
            }
            if progress == Progress::Done {
                break;
            }
        }
        assert_eq!(firsts, [1, 4, 7, 10]);
        assert_eq!(pieces, [READ_CHUNK, READ_CHUNK, 5]);
        assert_eq!(f.splitter.long_line_splits, 2);
    }

    #[test]
    fn start_of_last_lines_reads_backwards_across_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.log");
        let mut content = Vec::new();
        let mut starts = Vec::new();
        for i in 0..20_000u64 {
            starts.push(content.len() as u64);
            content.extend_from_slice(format!("line number {i}\n").as_bytes());
        }
        std::fs::write(&path, &content).unwrap();
        let f = File::open(&path).unwrap();
        let size = content.len() as u64;
        assert!(size > 3 * BACKLOG_BLOCK as u64);
        for n in [1u64, 2, 10, 5_000, 19_999] {
            let at = start_of_last_lines(&f, size, n).unwrap();
            assert_eq!(at, starts[(20_000 - n) as usize], "n = {n}");
        }
        assert_eq!(start_of_last_lines(&f, size, 20_000).unwrap(), 0);
        assert_eq!(start_of_last_lines(&f, size, 1_000_000).unwrap(), 0);
        assert_eq!(start_of_last_lines(&f, size, 0).unwrap(), size);
        // An unterminated last line counts as a line and is never cut.
        std::fs::write(&path, "a\nb\npartial").unwrap();
        let f = File::open(&path).unwrap();
        assert_eq!(start_of_last_lines(&f, 11, 1).unwrap(), 4);
        assert_eq!(start_of_last_lines(&f, 11, 0).unwrap(), 4);
        assert_eq!(start_of_last_lines(&f, 11, 2).unwrap(), 2);
        assert_eq!(start_of_last_lines(&f, 0, 5).unwrap(), 0);
    }

    #[test]
    fn backlog_shows_the_last_lines_then_follows_and_still_sees_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let mut w = appender(&path);
        for i in 1..=2000 {
            w.write_all(format!("l{i}\n").as_bytes()).unwrap();
        }
        w.write_all(b"part").unwrap();
        let opts = FileOptions {
            backlog: Some(3),
            ..FileOptions::default()
        };
        let mut h = Harness::new(&path, true);
        h.f = Follower::new(SourceId(1), path.clone(), &opts);
        h.sync();
        assert_eq!(h.texts(), ["l1999", "l2000"]);
        let notices = h.notices();
        assert!(
            matches!(&notices[..], [Notice::Opened(_), Notice::Skipped(n)] if *n > 0),
            "{notices:?}"
        );
        // The held-back partial line is shown as pending once.
        assert_eq!(
            h.f.pending_notice(),
            Some(SourceMsg::Notice(
                SourceId(1),
                Notice::Pending(b"part".to_vec())
            ))
        );
        assert_eq!(h.f.pending_notice(), None);
        w.write_all(b"ial\nnext\n").unwrap();
        h.sync();
        assert_eq!(h.texts(), ["partial", "next"]);
        assert_eq!(h.f.pending_notice(), None);
        // Identity checks work from a mid-file start: a rewrite is seen.
        w.set_len(0).unwrap();
        w.write_all(b"fresh\n").unwrap();
        h.sync();
        assert_eq!(h.texts(), ["fresh"]);
        assert_eq!(h.notices(), [Notice::Truncated(path.clone())]);
        h.assert_spans_readable();
    }

    /// The dashboard measures where the backlog starts (and counts the
    /// bytes before it); the tailer starts exactly there while the file is
    /// the one measured, and falls back to its own backlog otherwise.
    #[test]
    fn an_agreed_start_is_used_only_for_the_file_measured() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "a\nb\nc\nd\n").unwrap();
        let measured = backlog_start(&path, 2).unwrap();
        assert_eq!(measured.map(|(_, at)| at), Some(4));
        for (start_at, want) in [
            (measured, vec!["c", "d"]),
            // Another file by now: the agreed start 2 is not used.
            (Some((Some((u64::MAX, u64::MAX)), 2)), vec!["c", "d"]),
            (measured.map(|(id, _)| (id, 2)), vec!["b", "c", "d"]),
        ] {
            let opts = FileOptions {
                backlog: Some(2),
                start_at,
                ..FileOptions::default()
            };
            let mut h = Harness {
                f: Follower::new(SourceId(1), path.clone(), &opts),
                ..Harness::new(&path, true)
            };
            h.sync();
            assert_eq!(h.texts(), want, "{start_at:?}");
        }
    }

    #[test]
    fn backlog_does_not_apply_to_a_file_that_appears_later() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let opts = FileOptions {
            backlog: Some(1),
            ..FileOptions::default()
        };
        let mut h = Harness::new(&path, true);
        h.f = Follower::new(SourceId(1), path.clone(), &opts);
        h.sync();
        std::fs::write(&path, "one\ntwo\nthree\n").unwrap();
        h.sync();
        assert_eq!(h.texts(), ["one", "two", "three"]);
    }

    #[test]
    fn long_line_pieces_are_marked_as_continuations() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "short\nabcdefghij\nend\n").unwrap();
        let opts = FileOptions {
            follow: false,
            max_line: 4,
            ..FileOptions::default()
        };
        let mut f = Follower::new(SourceId(0), path, &opts);
        let mut got = Vec::new();
        loop {
            let mut out = Vec::new();
            let progress = f.step(&mut out);
            for msg in out {
                if let SourceMsg::Lines(_, batch) = msg {
                    got.extend(
                        batch
                            .line_refs()
                            .map(|l| (String::from_utf8(l.bytes.to_vec()).unwrap(), l.continued)),
                    );
                }
            }
            if progress == Progress::Done {
                break;
            }
        }
        let want: Vec<(String, bool)> = [
            ("shor", false),
            ("t", true),
            ("abcd", false),
            ("efgh", true),
            ("ij", true),
            ("end", false),
        ]
        .into_iter()
        .map(|(s, c)| (s.to_string(), c))
        .collect();
        assert_eq!(got, want);
    }

    /// xorshift64*: a reproducible stream without a dev-dependency.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
        }
    }

    /// Random appends, partial writes, rotations (with late writes to the
    /// old descriptor), truncations and deletions, with the follower caught
    /// up before each destructive step (as a poll would be, given time):
    /// every byte written arrives exactly once, in order, as the lines of the
    /// file it was written to.
    #[test]
    fn random_histories_lose_and_duplicate_nothing() {
        for seed in 1..=40u64 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("app.log");
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut h = Harness::new(&path, true);
            let mut writer: Option<File> = None;
            let mut segment: Vec<u8> = Vec::new();
            let mut expected: Vec<String> = Vec::new();
            let mut seq = 0u64;
            let mut rotations = 0;
            let close_segment = |segment: &mut Vec<u8>, expected: &mut Vec<String>| {
                let mut s = LineSplitter::new(usize::MAX);
                s.feed(segment, |l| {
                    expected.push(String::from_utf8(l.to_vec()).unwrap())
                });
                s.finish(|l| expected.push(String::from_utf8(l.to_vec()).unwrap()));
                segment.clear();
            };
            let write = |w: &mut File, segment: &mut Vec<u8>, bytes: &[u8]| {
                w.write_all(bytes).unwrap();
                segment.extend_from_slice(bytes);
            };
            for _ in 0..60 {
                seq += 1;
                let w = writer.get_or_insert_with(|| appender(&path));
                match rng.below(100) {
                    0..40 => write(w, &mut segment, format!("line {seq}\n").as_bytes()),
                    40..50 => write(w, &mut segment, format!("part {seq}-").as_bytes()),
                    50..70 => {
                        h.sync();
                    }
                    70..82 => {
                        write(w, &mut segment, format!("pre-rotate {seq}\n").as_bytes());
                        h.sync();
                        rotations += 1;
                        let rotated = dir.path().join(format!("app.log.{rotations}"));
                        std::fs::rename(&path, rotated).unwrap();
                        let new = appender(&path);
                        if rng.below(2) == 0 {
                            h.sync();
                        }
                        for i in 0..rng.below(3) {
                            write(w, &mut segment, format!("late {seq}.{i}\n").as_bytes());
                        }
                        if rng.below(3) == 0 {
                            write(w, &mut segment, format!("late-partial {seq}").as_bytes());
                        }
                        close_segment(&mut segment, &mut expected);
                        writer = Some(new);
                    }
                    82..92 => {
                        h.sync();
                        w.set_len(0).unwrap();
                        close_segment(&mut segment, &mut expected);
                    }
                    _ => {
                        h.sync();
                        std::fs::remove_file(&path).unwrap();
                        writer = None;
                        close_segment(&mut segment, &mut expected);
                    }
                }
            }
            // The last segment's unterminated tail stays pending.
            if let Some(w) = writer.as_mut() {
                seq += 1;
                write(w, &mut segment, format!("final {seq}\n").as_bytes());
            }
            close_segment(&mut segment, &mut expected);
            h.sync();
            assert_eq!(h.texts(), expected, "seed {seed}");
            // Most batches are still in their file when they arrive; the
            // rest were truncated or deleted before the read reached them.
            assert!(h.spans_ok > h.spans_unreadable, "seed {seed}");
        }
    }
}
