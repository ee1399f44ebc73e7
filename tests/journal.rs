//! The journal under crashes and concurrency, with real processes.
//!
//! This test binary has its own `main` (`harness = false`, through
//! libtest-mimic) so that it can also be a writer process: run again with
//! `VPNWATCH_JOURNAL_WRITER` set, it appends records and prints `acked N`
//! after each one is fsynced, the way the console acknowledges a change by
//! showing it. Without the variable it runs the tests below, with the
//! usual test-runner options (filters, `--list`, `--test-threads`).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};

use jiff::Timestamp;
use libtest_mimic::{Arguments, Trial};
use vpnwatch::engine::checklist::{Record, StepNote};
use vpnwatch::journal::{self, Journal};

const WRITER_ENV: &str = "VPNWATCH_JOURNAL_WRITER";

fn main() -> ExitCode {
    if let Some(spec) = std::env::var_os(WRITER_ENV) {
        return match write_records(&spec.to_string_lossy()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("journal writer: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let tests = [
        (
            "sigkill_mid_session_loses_no_acknowledged_change",
            sigkill_mid_session_loses_no_acknowledged_change as fn(),
        ),
        (
            "two_writer_processes_interleave_whole_records",
            two_writer_processes_interleave_whole_records,
        ),
        (
            "a_console_sees_another_consoles_records_in_file_order",
            a_console_sees_another_consoles_records_in_file_order,
        ),
    ];
    let trials = tests
        .into_iter()
        .map(|(name, test)| {
            Trial::test(name, move || {
                test();
                Ok(())
            })
        })
        .collect();
    libtest_mimic::run(&Arguments::from_args(), trials).exit_code()
}

fn note(writer: &str, n: u64) -> Record {
    Record::Note(StepNote {
        ts: Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::UNIX_EPOCH),
        operator: writer.to_string(),
        step: "1".into(),
        note: format!("{writer} #{n}"),
    })
}

/// The writer process: `PATH,NAME,COUNT` (COUNT 0: until killed).
fn write_records(spec: &str) -> Result<(), String> {
    let mut parts = spec.split(',');
    let (Some(path), Some(name), Some(count)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("{WRITER_ENV} is not PATH,NAME,COUNT: {spec}"));
    };
    let count: u64 = count
        .parse()
        .map_err(|e| format!("{WRITER_ENV}: COUNT {count:?}: {e}"))?;
    let (mut j, _) = Journal::open(Path::new(path)).map_err(|e| format!("{path}: {e}"))?;
    let mut stdout = std::io::stdout().lock();
    let mut n = 1;
    while count == 0 || n <= count {
        j.append(&note(name, n))
            .map_err(|e| format!("{path}: {e}"))?;
        // Only after the fsync: this is the acknowledgement.
        writeln!(stdout, "acked {n}")
            .and_then(|()| stdout.flush())
            .map_err(|e| format!("stdout: {e}"))?;
        n += 1;
    }
    Ok(())
}

fn spawn_writer(path: &Path, name: &str, count: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .env(WRITER_ENV, format!("{},{name},{count}", path.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn numbers_of(records: &[Record], writer: &str) -> Vec<u64> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Note(n) if n.operator == writer => {
                n.note.rsplit('#').next().and_then(|s| s.parse().ok())
            }
            _ => None,
        })
        .collect()
}

fn replay_file(path: &PathBuf) -> journal::Replay {
    journal::replay(path, &std::fs::read(path).unwrap()).unwrap()
}

fn sigkill_mid_session_loses_no_acknowledged_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let mut child = spawn_writer(&path, "w", 0);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = 0u64;
    // Kill it while it is writing: after a good number of acks.
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("acked ") {
            acked = n.parse().unwrap();
            if acked >= 200 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    // Acks printed before the kill that we had not read yet count too.
    for line in lines.map_while(Result::ok) {
        if let Some(n) = line.strip_prefix("acked ") {
            acked = acked.max(n.parse().unwrap());
        }
    }
    child.wait().unwrap();

    let replay = replay_file(&path);
    let seen = numbers_of(&replay.records, "w");
    assert!(seen.len() as u64 >= acked, "{} < {acked}", seen.len());
    let expected: Vec<u64> = (1..=seen.len() as u64).collect();
    assert_eq!(seen, expected, "every acked record, in order, nothing else");
    // At most the one unacknowledged record being written can be torn.
    assert!(replay.warnings.len() <= 1, "{:?}", replay.warnings);

    // And the journal stays usable: a new writer's record starts clean.
    let (mut j, _) = Journal::open(&path).unwrap();
    j.append(&note("after", 1)).unwrap();
    assert_eq!(numbers_of(&replay_file(&path).records, "after"), [1]);
}

fn two_writer_processes_interleave_whole_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    const N: u64 = 300;
    let a = spawn_writer(&path, "a", N);
    let b = spawn_writer(&path, "b", N);
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("acked {N}")));
    }
    let replay = replay_file(&path);
    assert!(replay.warnings.is_empty(), "{:?}", replay.warnings);
    assert_eq!(replay.records.len() as u64, 2 * N);
    let expected: Vec<u64> = (1..=N).collect();
    assert_eq!(numbers_of(&replay.records, "a"), expected);
    assert_eq!(numbers_of(&replay.records, "b"), expected);
}

fn a_console_sees_another_consoles_records_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let (mut mine, _) = Journal::open(&path).unwrap();
    let (mut theirs, _) = Journal::open(&path).unwrap();
    theirs.append(&note("them", 1)).unwrap();
    mine.append(&note("me", 1)).unwrap();
    theirs.append(&note("them", 2)).unwrap();
    // Each reads back everything in file order, its own records included.
    let got = mine.poll().unwrap().records;
    assert_eq!(
        got,
        [note("them", 1), note("me", 1), note("them", 2)],
        "file order"
    );
    assert_eq!(theirs.poll().unwrap().records, got);
    assert!(mine.poll().unwrap().records.is_empty(), "nothing twice");
    // A record being written (no newline yet) waits for the next poll.
    let mut raw = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    let line = serde_json::to_string(&note("slow", 1)).unwrap();
    raw.write_all(&line.as_bytes()[..10]).unwrap();
    assert!(mine.poll().unwrap().records.is_empty());
    raw.write_all(&line.as_bytes()[10..]).unwrap();
    raw.write_all(b"\n").unwrap();
    assert_eq!(mine.poll().unwrap().records, [note("slow", 1)]);
}
