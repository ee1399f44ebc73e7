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
//!   polls. The check is made before each read and again after a read that
//!   got bytes, which are dropped when they turn out to be the new content's
//!   from the old offset (truncated and regrown between the two).
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
//!
//! The parts: this file is the follower (the task and its state machine),
//! `identity` recognises the open file and its content, `backlog` finds
//! where the last lines of a file start, `watch` is the directory watch
//! that wakes the follower early.

mod backlog;
mod identity;
mod watch;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::lines::{Batcher, DEFAULT_BATCH_LINES, DEFAULT_MAX_LINE, LineSplitter};
use super::{FileKey, Notice, SourceId, SourceMsg};
pub use backlog::{backlog_start, start_of_last_lines};
pub use identity::StartAt;
pub(super) use identity::{FileId, open_file_id, path_id, read_exact_at};
use identity::{Tailed, sys};
pub(super) use watch::DirWatch;

/// Bytes read per step; bounds the work done between two sends.
const READ_CHUNK: usize = 256 * 1024;
/// `tokio::time::interval` rejects zero; anything shorter is a busy loop.
const MIN_POLL: Duration = Duration::from_millis(10);
/// Silence after which an unterminated last line is shown as pending.
pub const PENDING_AFTER: Duration = Duration::from_secs(1);
/// Silence after which an unterminated last line is taken as a line (see
/// [`LineSplitter::settle_raw`]): long enough that a writer that sends a
/// line in two writes has sent the second, short enough that the last line
/// of a finished file is counted while the bridge still looks.
pub const SETTLE_AFTER: Duration = Duration::from_secs(5);

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
    // When an unterminated line last changed and has not been shown yet,
    // and when it is taken as a line if nothing follows it.
    let mut pending_deadline: Option<tokio::time::Instant> = None;
    let mut settle_deadline: Option<tokio::time::Instant> = None;
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
            let now = tokio::time::Instant::now();
            let waiting = !follower.splitter.pending().is_empty();
            pending_deadline = waiting.then(|| now + PENDING_AFTER);
            settle_deadline = waiting.then(|| now + SETTLE_AFTER);
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
            () = sleep_until_some(settle_deadline) => {
                settle_deadline = None;
                for msg in follower.settle() {
                    if tx.send(msg).await.is_err() {
                        return;
                    }
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
    /// Run between a step's checks and its read, and between the read and
    /// the check after it: a test's way to change the file exactly there.
    #[cfg(test)]
    before_read: Option<Box<dyn FnMut() + Send>>,
    #[cfg(test)]
    after_read: Option<Box<dyn FnMut() + Send>>,
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
            #[cfg(test)]
            before_read: None,
            #[cfg(test)]
            after_read: None,
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

    /// The unterminated tail, taken as a line after [`SETTLE_AFTER`] of
    /// silence, and the provisional row cleared.
    fn settle(&mut self) -> Vec<SourceMsg> {
        let mut out = Vec::new();
        let batcher = &mut self.batcher;
        if self
            .splitter
            .settle_raw(|line, c, raw| batcher.push_raw(line, c, raw, &mut out))
        {
            self.batcher.flush(&mut out);
            out.push(SourceMsg::Notice(self.id, Notice::Pending(Vec::new())));
            self.pending_shown = false;
        }
        out
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
        #[cfg(test)]
        if let Some(hook) = self.before_read.as_mut() {
            hook();
        }
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
        #[cfg(test)]
        if let Some(hook) = self.after_read.as_mut() {
            hook();
        }
        if cur.regular && self.follow && cur.rewritten_under(chunk) {
            // Truncated and written again between `step`'s check and this
            // read: the bytes are the new content's from the old offset,
            // the end of a line with no start. It is read from its start.
            self.restart_truncated(out);
            return Ok(n);
        }
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

#[cfg(test)]
mod tests;
