//! The incident journal: an append-only JSONL file of operator actions.
//!
//! Every record is written, flushed and fsynced before the screen shows the
//! change, so a crash never loses an acknowledged tick. On start the journal
//! is replayed; a torn last line (the write a crash interrupted) is skipped
//! with a warning. A journal that cannot be read is reported and never
//! overwritten.
//!
//! Several consoles may share one journal (two engineers on the jump host).
//! Each appends whole lines with one `write` on an `O_APPEND` descriptor, so
//! records never interleave, and each [`Journal::poll`]s the file for
//! records appended since it last looked. The order of lines in the file is
//! the truth: a console applies a change only when it reads the record back
//! from the file (right after appending it, and on every poll), so every
//! console ends up with the state a fresh replay of the file gives.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::engine::checklist::Record;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No line of the file is a journal record, and it is no journal torn
    /// by a crash either: most likely a log named by mistake, which the
    /// console must neither take as an empty checklist nor append to.
    #[error(
        "journal {path}: not a vpnwatch journal (line {line}: {detail}); name the incident's .jsonl file"
    )]
    NotAJournal {
        path: PathBuf,
        line: usize,
        detail: String,
    },
}

/// What replaying an existing journal found.
#[derive(Debug, Default)]
pub struct Replay {
    pub records: Vec<Record>,
    /// One line per skipped line, naming the file and line.
    pub warnings: Vec<String>,
}

#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    /// Bytes of the file already read and applied.
    read_offset: u64,
    /// Lines already read, for naming lines in warnings.
    lines_read: usize,
}

impl Journal {
    /// Opens (creating if needed) the journal at `path` and replays it.
    pub fn open(path: &Path) -> Result<(Journal, Replay), JournalError> {
        let io_err = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io_err)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_err)?;
        let replay = replay(path, &bytes)?;
        // A torn fragment at the end is consumed here (and warned about
        // once); the next record starts on a fresh line.
        let lines_read = bytes.split(|&b| b == b'\n').count().saturating_sub(1)
            + usize::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
        Ok((
            Journal {
                path: path.to_path_buf(),
                file,
                read_offset: bytes.len() as u64,
                lines_read,
            },
            replay,
        ))
    }

    /// Records other writers (and this one) appended since the last read,
    /// in file order. Only complete lines are read; a line still being
    /// written is picked up by a later poll.
    pub fn poll(&mut self) -> Result<Replay, JournalError> {
        let io_err = |source| JournalError::Io {
            path: self.path.clone(),
            source,
        };
        let len = self.file.metadata().map_err(io_err)?.len();
        if len < self.read_offset {
            // Someone truncated an append-only file: say so, and read what
            // is appended from now on.
            self.read_offset = len;
            return Ok(Replay {
                records: Vec::new(),
                warnings: vec![format!(
                    "journal {}: the file shrank; it is append-only, so changes may be lost",
                    self.path.display()
                )],
            });
        }
        if len == self.read_offset {
            return Ok(Replay::default());
        }
        let mut bytes = vec![0; (len - self.read_offset) as usize];
        self.file
            .read_exact_at(&mut bytes, self.read_offset)
            .map_err(io_err)?;
        let Some(end) = bytes.iter().rposition(|&b| b == b'\n') else {
            return Ok(Replay::default());
        };
        let complete = &bytes[..=end];
        let (out, _) = parse_lines(&self.path, complete, self.lines_read + 1, false);
        self.read_offset += complete.len() as u64;
        self.lines_read += complete.iter().filter(|&&b| b == b'\n').count();
        Ok(out)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and waits until it is on disk.
    pub fn append(&mut self, record: &Record) -> Result<(), JournalError> {
        let io_err = |source| JournalError::Io {
            path: self.path.clone(),
            source,
        };
        let mut line = Vec::with_capacity(256);
        // The file may end in a torn fragment (a crash of this or another
        // writer): start on a fresh line so this record stays whole.
        let len = self.file.metadata().map_err(io_err)?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            self.file
                .read_exact_at(&mut last, len - 1)
                .map_err(io_err)?;
            if last[0] != b'\n' {
                line.push(b'\n');
            }
        }
        serde_json::to_writer(&mut line, record).map_err(|e| io_err(e.into()))?;
        line.push(b'\n');
        // One write call for the whole line keeps records from two consoles
        // appending to the same file from interleaving (O_APPEND).
        self.file.write_all(&line).map_err(io_err)?;
        self.file.flush().map_err(io_err)?;
        self.file.sync_data().map_err(io_err)?;
        Ok(())
    }
}

/// Parses journal bytes into records, skipping (with a warning) lines that
/// are not valid records. A file with lines but no record this version
/// knows is no journal (a log, a JSON export, `events` output named by
/// mistake): an error, unless its only such line is a record a crash tore.
pub fn replay(path: &Path, bytes: &[u8]) -> Result<Replay, JournalError> {
    let (replay, unusable) = parse_lines(path, bytes, 1, true);
    let known = replay.records.iter().any(|r| !matches!(r, Record::Unknown));
    match unusable {
        Some(u) if !known && !u.torn => Err(JournalError::NotAJournal {
            path: path.to_path_buf(),
            line: u.line,
            detail: u.detail,
        }),
        _ => Ok(replay),
    }
}

/// The first line that gave no record this version knows.
struct Unusable {
    line: usize,
    detail: String,
    /// The last line, cut short: the start of a record a crash tore.
    torn: bool,
}

/// Parses lines numbered from `first_line`; `last_may_be_torn` names a bad
/// last line as torn. Also returns the first line that is no record this
/// version knows.
fn parse_lines(
    path: &Path,
    bytes: &[u8],
    first_line: usize,
    last_may_be_torn: bool,
) -> (Replay, Option<Unusable>) {
    let mut out = Replay::default();
    let mut unusable = None;
    let line_count = bytes.split(|&b| b == b'\n').count();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Record>(line) {
            Ok(record) => {
                if record == Record::Unknown && unusable.is_none() {
                    unusable = Some(Unusable {
                        line: first_line + i,
                        detail: "no record kind this version knows".to_string(),
                        torn: false,
                    });
                }
                out.records.push(record);
            }
            Err(err) => {
                let torn = last_may_be_torn && i + 1 == line_count;
                let what = if torn {
                    "torn last line skipped"
                } else {
                    "line skipped"
                };
                out.warnings.push(format!(
                    "journal {}:{}: {what}: {err}",
                    path.display(),
                    first_line + i
                ));
                if unusable.is_none() {
                    unusable = Some(Unusable {
                        line: first_line + i,
                        detail: err.to_string(),
                        torn: torn && line.trim_ascii_start().starts_with(b"{"),
                    });
                }
            }
        }
    }
    (out, unusable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::checklist::{StepChange, StepState};
    use jiff::Timestamp;

    fn rec(step: &str, to: StepState) -> Record {
        Record::Step(StepChange {
            ts: Timestamp::from_second(1_800_000_000).unwrap(),
            operator: "ana".into(),
            step: step.into(),
            from: StepState::Todo,
            to,
            note: None,
        })
    }

    #[test]
    fn appended_records_replay_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        {
            let (mut j, replay) = Journal::open(&path).unwrap();
            assert!(replay.records.is_empty());
            j.append(&rec("1", StepState::Doing)).unwrap();
            j.append(&rec("1", StepState::Done)).unwrap();
        }
        let (_, replay) = Journal::open(&path).unwrap();
        assert_eq!(
            replay.records,
            [rec("1", StepState::Doing), rec("1", StepState::Done)]
        );
        assert!(replay.warnings.is_empty());
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_the_next_record_starts_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let good = serde_json::to_string(&rec("1", StepState::Done)).unwrap();
        std::fs::write(&path, format!("{good}\n{{\"kind\":\"step\",\"ts\":\"20")).unwrap();
        let (mut j, replay) = Journal::open(&path).unwrap();
        assert_eq!(replay.records.len(), 1);
        assert_eq!(replay.warnings.len(), 1);
        assert!(
            replay.warnings[0].contains(":2: torn last line skipped"),
            "{:?}",
            replay.warnings
        );
        j.append(&rec("2", StepState::Done)).unwrap();
        drop(j);
        let (_, replay) = Journal::open(&path).unwrap();
        assert_eq!(
            replay.records,
            [rec("1", StepState::Done), rec("2", StepState::Done)]
        );
        assert_eq!(
            replay.warnings.len(),
            1,
            "only the old torn fragment remains bad"
        );
    }

    #[test]
    fn a_bad_line_in_the_middle_is_named() {
        let good = serde_json::to_string(&rec("1", StepState::Done)).unwrap();
        let bytes = format!("{good}\nnot json\n{good}\n");
        let r = replay(Path::new("x.jsonl"), bytes.as_bytes()).unwrap();
        assert_eq!(r.records.len(), 2);
        assert_eq!(
            r.warnings,
            ["journal x.jsonl:2: line skipped: expected ident at line 1 column 2"]
        );
    }

    /// A log named as the journal by mistake is refused, never read as an
    /// empty checklist nor appended to; a journal a crash tore on its first
    /// record is still a journal.
    #[test]
    fn a_file_that_is_no_journal_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("asa.log");
        let log = "Nov 28 2026 10:00:00 fw1 : %ASA-6-302013: Built inbound TCP connection 1\n";
        std::fs::write(&path, log).unwrap();
        let err = Journal::open(&path).unwrap_err();
        assert!(
            err.to_string()
                .contains("asa.log: not a vpnwatch journal (line 1: "),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            log,
            "not appended to"
        );
        let torn = replay(Path::new("j.jsonl"), b"{\"kind\":\"step\",\"ts\":\"20").unwrap();
        assert!(torn.records.is_empty() && torn.warnings.len() == 1);
        // JSON lines that are no journal records: a log store's export, and
        // `events` output (whose `kind` is no record kind).
        let refused = |bytes: &[u8]| replay(Path::new("x.jsonl"), bytes).unwrap_err().to_string();
        let export = refused(b"{\"@timestamp\":\"2026-11-28T08:41:07Z\",\"message\":\"x\"}\n");
        assert!(
            export.contains("not a vpnwatch journal (line 1: missing field"),
            "{export}"
        );
        let events =
            refused(b"{\"source\":\"asa.log\",\"kind\":\"vpn\",\"outcome\":\"failure\"}\n");
        assert!(
            events.contains("(line 1: no record kind this version knows)"),
            "{events}"
        );
        assert!(
            replay(Path::new("j.jsonl"), b"")
                .unwrap()
                .records
                .is_empty()
        );
        assert!(replay(Path::new("j.jsonl"), b"\n  \n").is_ok());
    }

    #[test]
    fn an_unreadable_journal_is_an_error_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        // A directory cannot be opened as a journal.
        let err = Journal::open(dir.path()).unwrap_err();
        assert!(err.to_string().starts_with("journal "), "{err}");
        assert!(dir.path().is_dir());
    }

    #[test]
    fn an_undo_record_round_trips_and_names_what_it_takes_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let done = rec("1", StepState::Done);
        let undo = done
            .undo("ana", Timestamp::from_second(1_800_000_060).unwrap())
            .unwrap();
        {
            let (mut j, _) = Journal::open(&path).unwrap();
            j.append(&done).unwrap();
            j.append(&undo).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#""kind":"undo""#), "{text}");
        assert!(text.contains(r#""undoes":"step""#), "{text}");
        let (_, replay) = Journal::open(&path).unwrap();
        assert_eq!(replay.records, [done, undo.clone()]);
        assert_eq!(undo.describe(), "undid: step 1: todo → done");
    }
}
