//! Where a user's lines are, for the dashboard's evidence bundle (`e`).
//!
//! The engine files a reference to every line it reads about a user (the
//! drill-down's lines, the newest [`USER_LINES_CAP`](crate::engine::incident::USER_LINES_CAP) of them); each pane's
//! [`RecallIndex`](super::recall::RecallIndex) knows which run of which
//! file holds each line it ever showed. [`Model::user_lines`] puts the two
//! together under the model's lock, in time proportional to the user's
//! references, never to the logs; the lines are read later, without the
//! lock, a run at a time (`app::bundle::write_filed`). What cannot be had
//! this way is counted, so the bundle can say what it lacks: references
//! dropped at the cap, lines from streams (syslog, stdin, a command) or
//! older than the recall index, and the part of a file before its first
//! line shown (`--backlog`), which is counted but never filed.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Model;
use super::recall::{Run, RunKind};
use crate::engine::UserKey;
use crate::parse::reader::RecordReader;
use crate::vocab::{Cause, Family, FileKey, SourceId};

/// One file the user's lines may be in, as the pane read it.
#[derive(Clone, Debug)]
pub struct FiledFile {
    pub source: SourceId,
    pub family: Family,
    pub key: Arc<FileKey>,
    /// Lines of the file before the pane's first (`--backlog`): the pane
    /// numbers lines from the first one shown, the file from its start.
    /// `None`: they were not counted (the count failed).
    pub earlier: Option<u64>,
    /// The last line the pane read of it, numbered as the pane numbers.
    pub last_line: u64,
}

impl FiledFile {
    /// A pane's line number as the file's own (`None`: unknown).
    pub fn file_line(&self, pane_line: u64) -> Option<u64> {
        self.earlier.map(|n| n + pane_line)
    }
}

/// One run of file lines that holds some of the user's lines.
#[derive(Debug)]
pub struct FiledRun {
    /// Index into [`UserLines::files`].
    pub file: usize,
    pub run: Run,
    /// The user's lines in the run: line offset within it, and the cause
    /// the engine gave the line (its attempt's, as the drill-down shows).
    pub marked: Vec<(u64, Option<Cause>)>,
    /// A parser configured like the run's source: the lines of a record
    /// joined from several (Windows XML, DART) are found by reading the run
    /// through it, as the source was read.
    pub reader: Option<RecordReader>,
}

/// Where the user's filed lines are, copied out of the model.
#[derive(Debug, Default)]
pub struct UserLines {
    /// Every file source's current file, then any older file (rotated
    /// away) a reference points into; in source order.
    pub files: Vec<FiledFile>,
    /// Runs holding the user's lines, in pane order.
    pub runs: Vec<FiledRun>,
    /// References to lines that cannot be read again: from a stream
    /// (syslog, stdin, a command) or older than the recall index.
    pub unreadable: u64,
    /// References dropped to keep within [`USER_LINES_CAP`](crate::engine::incident::USER_LINES_CAP).
    pub dropped: u32,
}

impl UserLines {
    /// Whether every line the engine ever filed under the user is here.
    pub fn complete(&self) -> bool {
        self.dropped == 0 && self.unreadable == 0
    }
}

/// The file index of `key` in `files`, added when new.
fn file_index(
    files: &mut Vec<FiledFile>,
    model: &Model,
    source: SourceId,
    family: Family,
    key: &Arc<FileKey>,
) -> usize {
    if let Some(i) = files.iter().position(|f| *f.key == **key) {
        return i;
    }
    let earlier = match model
        .sources
        .get(usize::from(source.0))
        .and_then(|s| s.earlier)
    {
        Some(e) if e.file_id == key.id => e.lines,
        _ => Some(0),
    };
    let last_line = model
        .store(family)
        .recall_index()
        .last_line_of(key)
        .unwrap_or(0);
    files.push(FiledFile {
        source,
        family,
        key: key.clone(),
        earlier,
        last_line,
    });
    files.len() - 1
}

impl Model {
    /// Where `user`'s filed lines are (see the module docs). Cheap: no I/O,
    /// and work in proportion to the user's references (at most
    /// [`USER_LINES_CAP`](crate::engine::incident::USER_LINES_CAP)) and the sources.
    pub fn user_lines(&self, user: &UserKey) -> UserLines {
        let mut out = UserLines::default();
        for (i, src) in self.sources.iter().enumerate() {
            let id = SourceId(u16::try_from(i).unwrap_or(u16::MAX));
            let newest = self.store(src.family).recall_index().newest_file_run(id);
            if let Some(RunKind::File { span, .. }) = newest.map(|r| &r.kind) {
                file_index(&mut out.files, self, id, src.family, &span.file);
            }
        }
        let Some(stats) = self.incident.user(user) else {
            return out;
        };
        out.dropped = stats.lines_dropped;
        // (family, first pane index of the run) → index into `out.runs`.
        let mut by_run: BTreeMap<(u8, u64), usize> = BTreeMap::new();
        for line in &stats.lines {
            let store = self.store(line.family);
            let runs = store.recall_index().runs_for(line.index..line.index + 1);
            let Some(run) = runs.into_iter().next() else {
                out.unreadable += 1;
                continue;
            };
            let RunKind::File { span, source, .. } = &run.kind else {
                out.unreadable += 1;
                continue;
            };
            let (source, key) = (*source, span.file.clone());
            let offset = line.index - run.first;
            let slot = match by_run.get(&(line.family as u8, run.first)) {
                Some(&slot) => slot,
                None => {
                    let file = file_index(&mut out.files, self, source, line.family, &key);
                    out.runs.push(FiledRun {
                        file,
                        run: run.clone(),
                        marked: Vec::new(),
                        reader: self.new_reader(usize::from(source.0)),
                    });
                    by_run.insert((line.family as u8, run.first), out.runs.len() - 1);
                    out.runs.len() - 1
                }
            };
            if let Some(filed) = out.runs.get_mut(slot) {
                filed.marked.push((offset, line.cause));
            }
        }
        out.files.sort_by_key(|f| f.source.0);
        let order: Vec<Arc<FileKey>> = out.files.iter().map(|f| f.key.clone()).collect();
        for filed in &mut out.runs {
            if let RunKind::File { span, .. } = &filed.run.kind
                && let Some(i) = order.iter().position(|k| **k == *span.file)
            {
                filed.file = i;
            }
            filed.marked.sort_by_key(|m| (m.0, m.1.is_none()));
            filed.marked.dedup_by_key(|m| m.0);
        }
        out
    }
}
