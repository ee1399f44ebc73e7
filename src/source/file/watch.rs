//! The directory watch: a `notify` watch on the followed file's parent
//! directory (a watch on the file itself goes silent after the first
//! rename). It only wakes the follower early; the stat poll stays the
//! ground truth.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::Notify;

use super::identity::{FileId, sys};

/// A `notify` watch on the followed file's parent directory that wakes the
/// follower when something happens to the file's name.
pub(in crate::source) struct DirWatch {
    dir: PathBuf,
    name: Option<OsString>,
    wake: Arc<Notify>,
    pub(super) poll: Duration,
    watcher: Option<notify::RecommendedWatcher>,
    /// Identity of the directory the watch is on, `None` while unarmed.
    armed: Option<Option<FileId>>,
}

impl DirWatch {
    /// A watch waking on any change in `dir` (a glob's directory).
    pub(in crate::source) fn for_dir(dir: PathBuf, wake: Arc<Notify>, poll: Duration) -> Self {
        DirWatch {
            dir,
            name: None,
            wake,
            poll,
            watcher: None,
            armed: None,
        }
    }

    /// A watch waking on changes to `path`'s name in its parent directory.
    pub(super) fn new(path: &Path, wake: Arc<Notify>, poll: Duration) -> Self {
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
    pub(in crate::source) fn maintain(&mut self) -> notify::Result<()> {
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
