//! Following every file that matches a glob (`'/var/log/asa/*.log'`),
//! including files that appear later.
//!
//! [`spawn_glob`] re-runs the pattern on every change in the pattern's
//! directory (a `notify` watch, unless polling only) and on the poll timer,
//! and starts one [`spawn_file`] follower per new match. All followers share
//! the glob's [`SourceId`]; each batch carries its file's path as origin.
//!
//! Files that exist at start-up get `--backlog`; later matches are new files
//! and are read from their start. A match whose (device, inode) was already
//! followed under another matching name is skipped: date-extension rotation
//! (`vpn.log` → `vpn-20261128.log`) would otherwise read the rotated file a
//! second time, while the follower of `vpn.log` already drains it.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::file::{DirWatch, FileId, FileOptions, path_id, spawn_file};
use super::{Notice, SourceId, SourceMsg};

/// At most this many files are followed per pattern; a runaway directory
/// must not start thousands of tasks.
pub const MAX_FILES: usize = 256;

/// Whether `path` is a pattern rather than a file name: it has glob
/// characters and does not name an existing file as it is.
pub fn is_pattern(path: &Path) -> bool {
    let s = path.to_string_lossy();
    s.contains(['*', '?', '[']) && !path.exists()
}

/// Follows every file matching `pattern` (see the module docs). `opts`
/// applies to each file; its `origin` is replaced by the file's path.
/// Must be called within a tokio runtime.
pub fn spawn_glob(
    id: SourceId,
    pattern: PathBuf,
    opts: FileOptions,
    tx: mpsc::Sender<SourceMsg>,
) -> JoinHandle<()> {
    tokio::spawn(run(id, pattern, opts, tx))
}

async fn run(id: SourceId, pattern: PathBuf, opts: FileOptions, tx: mpsc::Sender<SourceMsg>) {
    let text = pattern.to_string_lossy().into_owned();
    if let Err(e) = glob::Pattern::new(&text) {
        let msg = format!("{text}: not a valid pattern: {e}");
        let _ = tx.send(SourceMsg::Notice(id, Notice::Error(msg))).await;
        return;
    }
    let poll = opts.poll_interval.max(Duration::from_millis(10));
    let wake = Arc::new(Notify::new());
    let mut watch =
        (!opts.poll_only).then(|| DirWatch::for_dir(static_dir(&pattern), wake.clone(), poll));
    let mut scan = Scan::default();
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut first = true;
    loop {
        let pat = text.clone();
        let (result, back, w) = match tokio::task::spawn_blocking(move || {
            let mut w = watch;
            let err = w.as_mut().and_then(|w| w.maintain().err());
            let (new, s) = scan.run(&pat);
            (new.map(|n| (n, err)), s, w)
        })
        .await
        {
            Ok(done) => done,
            Err(e) => {
                let msg = format!("{text}: pattern source stopped: {e}");
                let _ = tx.try_send(SourceMsg::Notice(id, Notice::Error(msg)));
                return;
            }
        };
        scan = back;
        watch = w;
        match result {
            Ok((new, watch_err)) => {
                if let Some(e) = watch_err {
                    watch = None;
                    let msg = format!("{text}: file watcher unavailable ({e}); polling");
                    if tx
                        .send(SourceMsg::Notice(id, Notice::Polling(msg)))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                if first && new.is_empty() {
                    let notice = Notice::Waiting(pattern.clone());
                    if tx.send(SourceMsg::Notice(id, notice)).await.is_err() {
                        return;
                    }
                }
                for path in new {
                    let file_opts = FileOptions {
                        origin: Some(Arc::from(path.to_string_lossy().as_ref())),
                        // Later matches are new files: all of them is news.
                        backlog: if first { opts.backlog } else { None },
                        ..opts.clone()
                    };
                    spawn_file(id, path, file_opts, tx.clone());
                }
                if scan.full_reported == Some(false) {
                    scan.full_reported = Some(true);
                    let msg =
                        format!("{text}: more than {MAX_FILES} files match; following the first");
                    if tx
                        .send(SourceMsg::Notice(id, Notice::Error(msg)))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
            Err(msg) => {
                if tx
                    .send(SourceMsg::Notice(id, Notice::Error(msg)))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
        first = false;
        tokio::select! {
            () = wake.notified() => {}
            _ = tick.tick() => {}
            () = tx.closed() => return,
        }
    }
}

/// The directory part of a pattern before its first glob character: what
/// can be watched for new entries.
fn static_dir(pattern: &Path) -> PathBuf {
    let mut dir = PathBuf::new();
    for c in pattern.components() {
        let part = c.as_os_str().to_string_lossy();
        if matches!(c, Component::Normal(_)) && part.contains(['*', '?', '[']) {
            break;
        }
        dir.push(c);
    }
    // The pattern's own last component never names the directory.
    if dir == pattern {
        dir.pop();
    }
    if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    }
}

/// What the pattern matched so far.
#[derive(Default)]
struct Scan {
    /// Paths with a follower.
    followed: HashSet<PathBuf>,
    /// Identities seen at followed paths.
    seen_ids: HashSet<FileId>,
    /// Matches skipped as another name of a followed file, with the identity
    /// they had (looked at again if it changes).
    skipped: HashMap<PathBuf, Option<FileId>>,
    /// `Some(false)`: the file limit was hit and not yet reported.
    full_reported: Option<bool>,
    last_error: Option<String>,
}

impl Scan {
    /// Runs the pattern; returns the new matches to follow.
    fn run(mut self, pattern: &str) -> (Result<Vec<PathBuf>, String>, Scan) {
        // Identities first, so a file renamed to a matching name since the
        // last scan is known by the inode it had under its old name.
        for path in &self.followed {
            if let Some(id) = path_id(path) {
                self.seen_ids.insert(id);
            }
        }
        let paths = match glob::glob(pattern) {
            Ok(paths) => paths,
            Err(e) => return (Err(format!("{pattern}: {e}")), self),
        };
        let mut new = Vec::new();
        let mut errors = Vec::new();
        for entry in paths {
            let path = match entry {
                Ok(p) => p,
                Err(e) => {
                    errors.push(e.to_string());
                    continue;
                }
            };
            if self.followed.contains(&path) || !path.is_file() {
                continue;
            }
            let id = path_id(&path);
            if let Some(before) = self.skipped.get(&path)
                && *before == id
            {
                continue;
            }
            if id.is_some_and(|id| self.seen_ids.contains(&id)) {
                self.skipped.insert(path, id);
                continue;
            }
            if self.followed.len() >= MAX_FILES {
                self.full_reported.get_or_insert(false);
                break;
            }
            self.skipped.remove(&path);
            if let Some(id) = id {
                self.seen_ids.insert(id);
            }
            self.followed.insert(path.clone());
            new.push(path);
        }
        new.sort();
        // An unreadable directory would repeat its error on every poll.
        let error = errors.into_iter().next();
        if let Some(e) = error
            && self.last_error.as_deref() != Some(e.as_str())
        {
            self.last_error = Some(e.clone());
            return (Err(format!("{pattern}: {e}")), self);
        }
        (Ok(new), self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_dir_stops_at_the_first_glob() {
        assert_eq!(
            static_dir(Path::new("/var/log/asa/*.log")),
            Path::new("/var/log/asa")
        );
        assert_eq!(static_dir(Path::new("/var/*/x.log")), Path::new("/var"));
        assert_eq!(static_dir(Path::new("*.log")), Path::new("."));
    }

    #[test]
    fn patterns_are_told_from_file_names() {
        assert!(is_pattern(Path::new("/nonexistent-dir/*.log")));
        assert!(!is_pattern(Path::new("/nonexistent-dir/a.log")));
    }

    #[test]
    fn scan_follows_new_matches_once_and_skips_renamed_ones() {
        let dir = tempfile::tempdir().unwrap();
        let pattern = format!("{}/*.log", dir.path().display());
        std::fs::write(dir.path().join("b.log"), "x\n").unwrap();
        std::fs::write(dir.path().join("a.log"), "x\n").unwrap();
        std::fs::write(dir.path().join("a.txt"), "x\n").unwrap();
        let (new, scan) = Scan::default().run(&pattern);
        let names: Vec<_> = new
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.log", "b.log"]);
        let (new, scan) = scan.run(&pattern);
        assert!(new.unwrap().is_empty());
        // Date-extension rotation: the same inode under a new matching name.
        std::fs::rename(dir.path().join("a.log"), dir.path().join("a-1.log")).unwrap();
        std::fs::write(dir.path().join("c.log"), "x\n").unwrap();
        let (new, _) = scan.run(&pattern);
        let new = new.unwrap();
        assert_eq!(new, [dir.path().join("c.log")]);
    }
}
