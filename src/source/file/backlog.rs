//! `--backlog`: where the last N lines of a file begin, found by reading
//! backwards from its end in blocks, so a 2 GB file costs a few block
//! reads, not a scan.

use std::fs::File;
use std::io;
use std::path::Path;

use super::identity::{StartAt, read_exact_at, sys};

/// Block size for the backwards search of `--backlog`.
const BACKLOG_BLOCK: usize = 64 * 1024;

/// Where a follower with `--backlog n` starts in the file now at `path`,
/// with the file's identity (for [`FileOptions::start_at`](super::FileOptions::start_at)); `None` when it
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::super::tests::{Harness, appender};
    use super::super::{FileOptions, Follower};
    use super::*;
    use crate::source::{Notice, SourceId, SourceMsg};

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
}
