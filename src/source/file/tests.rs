//! The follower driven step by step, without a runtime or watcher: each
//! `sync` plays the role of one poll, so every interleaving below is
//! exact rather than timing-dependent.

use std::fs::OpenOptions;
use std::io::Write;

use super::identity::HEAD_LEN;
use super::*;

pub(super) struct Harness {
    pub(super) f: Follower,
    pub(super) lines: Vec<(u64, String)>,
    /// The same lines with their continuation marks.
    pub(super) pieces: Vec<(String, bool)>,
    pub(super) notices: Vec<Notice>,
    pub(super) next_no: u64,
    /// Batches whose span read back as exactly their lines, and those
    /// whose file was gone or rewritten by the time they arrived.
    pub(super) spans_ok: u64,
    pub(super) spans_unreadable: u64,
}

impl Harness {
    pub(super) fn new(path: &Path, follow: bool) -> Self {
        let opts = FileOptions {
            follow,
            batch_lines: 3,
            ..FileOptions::default()
        };
        Harness {
            f: Follower::new(SourceId(1), path.to_path_buf(), &opts),
            lines: Vec::new(),
            pieces: Vec::new(),
            notices: Vec::new(),
            next_no: 1,
            spans_ok: 0,
            spans_unreadable: 0,
        }
    }

    pub(super) fn assert_spans_readable(&self) {
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
    pub(super) fn sync(&mut self) -> Progress {
        for _ in 0..100_000 {
            let mut out = Vec::new();
            let progress = self.f.step(&mut out);
            self.take(out);
            if progress != Progress::More {
                return progress;
            }
        }
        panic!("follower never caught up");
    }

    /// What the run loop does after [`SETTLE_AFTER`] of silence.
    pub(super) fn settle(&mut self) {
        let out = self.f.settle();
        self.take(out);
    }

    fn take(&mut self, out: Vec<SourceMsg>) {
        for msg in out {
            match msg {
                SourceMsg::Lines(id, batch) => {
                    assert_eq!(id, SourceId(1));
                    assert!(!batch.is_empty(), "empty batch sent");
                    self.check_span(&batch);
                    self.pieces.extend(
                        batch
                            .line_refs()
                            .map(|l| (String::from_utf8(l.bytes.to_vec()).unwrap(), l.continued)),
                    );
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
    }

    pub(super) fn texts(&mut self) -> Vec<String> {
        self.lines.drain(..).map(|(_, l)| l).collect()
    }

    pub(super) fn numbered(&mut self) -> Vec<(u64, String)> {
        std::mem::take(&mut self.lines)
    }

    /// The lines taken since the last call, with their continuation marks.
    pub(super) fn pieces(&mut self) -> Vec<(String, bool)> {
        std::mem::take(&mut self.pieces)
    }

    pub(super) fn notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }
}

/// A file holding `start`, followed by a harness that has read it once:
/// the set-up most tests here begin with. The directory lives as long as
/// the returned guard; the file is open for appending.
pub(super) fn followed(start: &[u8]) -> (tempfile::TempDir, PathBuf, File, Harness) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    let mut w = appender(&path);
    w.write_all(start).unwrap();
    let mut h = Harness::new(&path, true);
    h.sync();
    (dir, path, w, h)
}

pub(super) fn appender(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

pub(super) fn numbered(lines: &[(u64, &str)]) -> Vec<(u64, String)> {
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
    let (_dir, path, mut w, mut h) = followed(b"one\ntwo\nthr");
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
    let (_dir, path, mut w, mut h) = followed(b"line-1\nline-2\n");
    h.texts();
    h.notices();
    // Same size as before, different first bytes.
    w.set_len(0).unwrap();
    w.write_all(b"LINE-3\nline-4\nmore\n").unwrap();
    h.sync();
    assert_eq!(h.texts(), ["LINE-3", "line-4", "more"]);
    assert_eq!(h.notices(), [Notice::Truncated(path.clone())]);
}

/// A follower's hook ([`Follower`]'s `before_read`, `after_read`) that
/// truncates the file at `path` and writes `text` into it, the first time.
fn truncate_and_write_once(path: &Path, text: &'static [u8]) -> Box<dyn FnMut() + Send> {
    let mut todo = Some(path.to_path_buf());
    Box::new(move || {
        if let Some(path) = todo.take() {
            let mut f = OpenOptions::new().write(true).open(path).unwrap();
            f.set_len(0).unwrap();
            f.write_all(text).unwrap();
        }
    })
}

/// The race `truncation_and_regrowth_between_polls_is_seen_by_content`
/// leaves: truncated and written past the old offset after a step's check
/// and before its read. The read gets the new content's bytes from the
/// old offset, which must not come out as lines.
#[test]
fn a_truncation_between_the_check_and_the_read_is_read_from_the_start() {
    let (_dir, path, _w, mut h) = followed(b"b1\nb2\n");
    assert_eq!(h.texts(), ["b1", "b2"]);
    h.notices();
    h.f.before_read = Some(truncate_and_write_once(&path, b"c1-after-truncate\nc2\n"));
    h.sync();
    assert_eq!(h.texts(), ["c1-after-truncate", "c2"]);
    assert_eq!(h.notices(), [Notice::Truncated(path)]);
}

/// Truncated and written again after the read but before the check
/// after it: the chunk is the old content's tail (the file holds other
/// bytes at that offset now), kept; the next check restarts the file.
#[test]
fn a_truncation_after_the_read_keeps_what_was_read() {
    let (_dir, path, mut w, mut h) = followed(b"b1\nb2\n");
    assert_eq!(h.texts(), ["b1", "b2"]);
    h.notices();
    w.write_all(b"b3\n").unwrap();
    h.f.after_read = Some(truncate_and_write_once(&path, b"c1-after-truncate\nc2\n"));
    h.sync();
    assert_eq!(h.texts(), ["b3", "c1-after-truncate", "c2"]);
    assert_eq!(h.notices(), [Notice::Truncated(path)]);
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
    let (_dir, path, mut w, mut h) = followed(b"x1\nx2-partial");
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

/// A file that stops growing with no `\n` at its end has its last line
/// counted after [`SETTLE_AFTER`] (as a whole-file read counts it); should
/// the line go on after all, the rest is a continuation, and the lines
/// after it are whole again.
#[test]
fn an_unterminated_last_line_is_taken_as_a_line_once_the_file_is_quiet() {
    let (_dir, _path, mut w, mut h) = followed(b"first\nlast line");
    assert_eq!(h.texts(), ["first"]);
    h.notices();
    h.settle();
    assert_eq!(h.numbered(), numbered(&[(2, "last line")]));
    assert_eq!(h.notices(), [Notice::Pending(Vec::new())]);
    // Nothing left to settle: a second silence sends nothing.
    h.settle();
    assert!(h.numbered().is_empty() && h.notices().is_empty());
    // The writer was only slow: the rest comes as a piece of its own (the
    // splitter marks it as continuing the line), and each batch still
    // reads back as exactly its lines.
    w.write_all(b" goes on\nnext\n").unwrap();
    h.sync();
    assert_eq!(h.numbered(), numbered(&[(3, " goes on"), (4, "next")]));
    h.assert_spans_readable();
    assert_eq!(h.f.splitter.long_line_splits, 0, "no line was too long");
}

/// A settled line whose writer was only slow with its `\n`: the
/// terminator alone is no line, so the lines after it keep the numbers a
/// whole-file read gives them, and no empty continuation row is shown.
#[test]
fn a_terminator_arriving_alone_after_a_settled_line_is_no_line() {
    let (_dir, path, mut w, mut h) = followed(b"first\nlast line");
    h.settle();
    assert_eq!(h.numbered(), numbered(&[(1, "first"), (2, "last line")]));
    w.write_all(b"\r\nnext\n").unwrap();
    h.sync();
    assert_eq!(h.numbered(), numbered(&[(3, "next")]));
    h.assert_spans_readable();
    let whole = std::fs::read(&path).unwrap();
    let mut lines = Vec::new();
    crate::source::lines::for_each_line(&whole[..], 1024, |n, l| lines.push((n, l.to_vec())))
        .unwrap();
    assert_eq!(
        lines.last(),
        Some(&(3, b"next".to_vec())),
        "as a whole-file read numbers it"
    );
    // A bare `\n`, and a `\r` settled with its line before the `\n`
    // comes: neither is a line either.
    w.write_all(b"tail").unwrap();
    h.sync();
    h.settle();
    assert_eq!(h.numbered(), numbered(&[(4, "tail")]));
    w.write_all(b"\nmore\r").unwrap();
    h.sync();
    h.settle();
    assert_eq!(h.numbered(), numbered(&[(5, "more")]));
    w.write_all(b"\nlast\n").unwrap();
    h.sync();
    assert_eq!(h.numbered(), numbered(&[(6, "last")]));
    h.assert_spans_readable();
}

/// A settled last line and then the file truncated, or rotated away: the
/// new file's first line is a line of its own, parsed and counted, never
/// the continuation of the old file's last.
#[test]
fn after_a_settled_line_a_truncated_or_rotated_file_starts_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    std::fs::write(&path, "one\nunterminated").unwrap();
    let mut h = Harness::new(&path, true);
    h.sync();
    h.settle();
    assert_eq!(h.texts(), ["one", "unterminated"]);
    // Truncated, then written again.
    std::fs::write(&path, "").unwrap();
    h.sync();
    std::fs::write(&path, "alice\nbob\n").unwrap();
    h.pieces();
    h.sync();
    assert_eq!(
        h.pieces(),
        [("alice".to_string(), false), ("bob".to_string(), false)]
    );
    // Settled again, then rotated away by rename and a new file created.
    std::fs::write(&path, "alice\nbob\ntail").unwrap();
    let mut h = Harness::new(&path, true);
    h.sync();
    h.settle();
    std::fs::rename(&path, dir.path().join("a.log.1")).unwrap();
    std::fs::write(&path, "carol\n").unwrap();
    h.pieces();
    let mut got = Vec::new();
    for _ in 0..10 {
        h.sync();
        got.extend(h.pieces());
        if got.iter().any(|(t, _)| t == "carol") {
            break;
        }
    }
    assert!(got.contains(&("carol".to_string(), false)), "{got:?}");
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
