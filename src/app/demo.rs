//! `vpnwatch demo`: replays the bundled sample logs as a live incident.
//!
//! The sample files are written, line by line and in log-time order, into
//! fresh files in a temporary directory at an accelerated pace, and the
//! ordinary dashboard follows those files. Nothing in the dashboard knows it
//! is a demo: the replay exercises the real tailer, parser and engine.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

use crate::parse::formats::Format;
use crate::parse::{self, ParseContext};
use crate::vocab::Family;

/// The bundled story: file name, family, contents.
pub const SAMPLE_LOGS: [(&str, Family, &str); 4] = [
    (
        "asa-headend.log",
        Family::Headend,
        include_str!("../../sample-logs/asa-headend.log"),
    ),
    (
        "anyconnect-client.log",
        Family::Client,
        include_str!("../../sample-logs/anyconnect-client.log"),
    ),
    (
        "ise-auth.log",
        Family::AuthServer,
        include_str!("../../sample-logs/ise-auth.log"),
    ),
    // The IT-side check's debug trace (`%ASA-7-711001:`): AD names
    // mkowalski's lockout.
    (
        "asa-debug-trace.log",
        Family::Headend,
        include_str!("../../sample-logs/asa-debug-trace.log"),
    ),
];

/// The format each bundled sample is written in (the demo's files start
/// empty, so there is nothing to detect it from).
pub fn sample_format(family: Family) -> Format {
    match family {
        Family::Headend => Format::AsaSyslog,
        Family::Client => Format::AnyConnectSyslog,
        Family::AuthServer => Format::Ise,
    }
}

/// How long the story should take to play when no speed is given.
pub const DEFAULT_PLAY_TIME: Duration = Duration::from_secs(60);

/// One line to write, `offset` after the story's first line (log time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scheduled {
    pub offset: SignedDuration,
    pub file: usize,
    pub line: String,
}

/// Orders every line of every file by log time. A line without a time keeps
/// the time of the line before it in its file, so files never reorder
/// internally.
pub fn schedule(files: &[(&str, Family, &str)], ctx: &ParseContext) -> Vec<Scheduled> {
    let mut timed: Vec<(Option<Timestamp>, usize, usize, &str)> = Vec::new();
    for (file_index, (_, family, text)) in files.iter().enumerate() {
        let mut last: Option<Timestamp> = None;
        for (line_index, line) in text.lines().enumerate() {
            // A file's clock never runs backwards in the replay: lines with
            // finer or coarser times than their neighbours (a syslog header
            // in seconds, a body in microseconds) keep their file order.
            if let Some(ts) = parse::parse_line(line, *family, ctx).and_then(|e| e.ts) {
                last = Some(last.map_or(ts, |l| l.max(ts)));
            }
            timed.push((last, file_index, line_index, line));
        }
    }
    let start = timed.iter().filter_map(|t| t.0).min();
    // Sorting by (time, file, line) keeps each file in its own order.
    timed.sort_by_key(|(ts, file, line, _)| (ts.or(start), *file, *line));
    timed
        .into_iter()
        .map(|(ts, file, _, line)| Scheduled {
            offset: match (ts, start) {
                (Some(t), Some(s)) => t.duration_since(s),
                _ => SignedDuration::ZERO,
            },
            file,
            line: line.to_string(),
        })
        .collect()
}

/// The speed-up that plays `schedule` in about [`DEFAULT_PLAY_TIME`].
pub fn default_speed(schedule: &[Scheduled]) -> f64 {
    let span = schedule
        .last()
        .map(|s| s.offset.as_secs_f64())
        .unwrap_or(0.0);
    (span / DEFAULT_PLAY_TIME.as_secs_f64()).max(1.0)
}

/// Creates the (empty) demo files in `dir` and returns their paths.
pub fn create_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    SAMPLE_LOGS
        .iter()
        .map(|(name, _, _)| {
            let path = dir.join(name);
            File::create(&path)?;
            Ok(path)
        })
        .collect()
}

/// Appends the scheduled lines to `paths` at `speed` times log time, on a
/// thread of its own. Write errors end the replay (the dashboard shows what
/// arrived); they are returned through the join handle.
pub fn spawn_writer(
    schedule: Vec<Scheduled>,
    paths: Vec<PathBuf>,
    speed: f64,
) -> std::thread::JoinHandle<std::io::Result<()>> {
    std::thread::spawn(move || {
        let mut files = paths
            .iter()
            .map(|p| OpenOptions::new().append(true).open(p))
            .collect::<std::io::Result<Vec<File>>>()?;
        let start = Instant::now();
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        let mut pending: Vec<Vec<u8>> = vec![Vec::new(); files.len()];
        for item in schedule {
            let due = Duration::from_secs_f64(item.offset.as_secs_f64().max(0.0) / speed);
            let now = start.elapsed();
            if due > now {
                // Everything due before this pause goes out first, one write
                // per file, like a daemon flushing its buffer.
                flush(&mut files, &mut pending)?;
                std::thread::sleep(due - now);
            }
            if let Some(buf) = pending.get_mut(item.file) {
                buf.extend_from_slice(item.line.as_bytes());
                buf.push(b'\n');
            }
        }
        flush(&mut files, &mut pending)
    })
}

fn flush(files: &mut [File], pending: &mut [Vec<u8>]) -> std::io::Result<()> {
    for (file, buf) in files.iter_mut().zip(pending.iter_mut()) {
        if !buf.is_empty() {
            file.write_all(buf)?;
            buf.clear();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_holds_every_line_once_in_time_order() {
        let ctx = ParseContext::for_year(2026);
        let plan = schedule(&SAMPLE_LOGS, &ctx);
        let total: usize = SAMPLE_LOGS.iter().map(|(_, _, t)| t.lines().count()).sum();
        assert_eq!(plan.len(), total);
        assert!(plan.windows(2).all(|w| w[0].offset <= w[1].offset));
        for (i, (_, _, text)) in SAMPLE_LOGS.iter().enumerate() {
            let replayed: Vec<&str> = plan
                .iter()
                .filter(|s| s.file == i)
                .map(|s| s.line.as_str())
                .collect();
            let original: Vec<&str> = text.lines().collect();
            assert_eq!(replayed, original, "file {i} keeps its own order");
        }
        let speed = default_speed(&plan);
        assert!(
            speed > 5.0,
            "the story spans many minutes of log time (speed {speed})"
        );
    }

    #[test]
    fn the_writer_appends_every_line() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("a.log", Family::Headend, "one\ntwo\n"),
            ("b.log", Family::Client, "three\n"),
        ];
        let plan = schedule(&files, &ParseContext::for_year(2026));
        let paths: Vec<PathBuf> = ["a.log", "b.log"]
            .iter()
            .map(|n| dir.path().join(n))
            .collect();
        for p in &paths {
            File::create(p).unwrap();
        }
        spawn_writer(plan, paths.clone(), 1.0)
            .join()
            .unwrap()
            .unwrap();
        assert_eq!(std::fs::read_to_string(&paths[0]).unwrap(), "one\ntwo\n");
        assert_eq!(std::fs::read_to_string(&paths[1]).unwrap(), "three\n");
    }
}
