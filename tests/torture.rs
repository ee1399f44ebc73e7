//! Rotation torture test: the real binary (`vpnwatch events --follow`, the
//! dashboard's tailer without the dashboard) follows a log while a writer
//! appends numbered ASA lines and rotates it every few hundred lines through
//! every mode logrotate has: rename + create (with late writes to the old
//! descriptor), copytruncate, truncate, and delete + recreate.
//!
//! Afterwards every number must have been printed exactly once, in order —
//! except in one documented window: copytruncate empties the file the
//! follower reads, so lines written after the follower's last read and
//! before the truncation exist only in the copy. The test runs one
//! copytruncate *without* waiting for the follower and checks that whatever
//! is missing lies inside that window, i.e. after the last line the follower
//! had printed when the file was truncated and no later than the last line
//! written before it. Every other rotation loses nothing.
//!
//! (A plain truncation discards whatever the file held: the writer, like any
//! sane log owner, truncates only what has been read, so the test waits for
//! the follower before it truncates. copytruncate is run both ways.)
//!
//! A file must stay at its path until the follower has looked at it once
//! (one poll interval, or a watcher wake-up): the writer waits for the first
//! line of each new file to be printed before it goes on. Waits are bounded
//! by [`TIMEOUT`]; the writer's short pauses only pace it.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(10);
/// Lines between two rotations.
const SEGMENT: u64 = 300;
/// Lines written at once.
const BURST: u64 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rotation {
    RenameCreate,
    /// Wait until the follower has printed everything, then copy+truncate.
    CopyTruncateSynced,
    /// Copy and truncate at once: the race window is measured.
    CopyTruncateRacing,
    Truncate,
    DeleteRecreate,
}

const PLAN: [Rotation; 8] = [
    Rotation::RenameCreate,
    Rotation::CopyTruncateSynced,
    Rotation::Truncate,
    Rotation::DeleteRecreate,
    Rotation::RenameCreate,
    Rotation::CopyTruncateRacing,
    Rotation::DeleteRecreate,
    Rotation::Truncate,
];

fn line(n: u64) -> String {
    format!(
        "<166>Nov 28 2026 10:00:00 fw1 : %ASA-6-302013: Built inbound TCP connection {n} \
         for outside:198.51.100.7/51000 (198.51.100.7/51000) to inside:10.0.0.5/443 (10.0.0.5/443)\n"
    )
}

fn appender(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open the log for appending")
}

/// The connection number in one NDJSON record.
fn number(record: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(record).expect("NDJSON");
    let raw = v["raw"].as_str().expect("raw");
    let rest = raw.split("connection ").nth(1).expect("a numbered line");
    rest.split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a number")
}

/// The numbers the follower printed, as they arrive.
struct Printed {
    rx: mpsc::Receiver<u64>,
    all: Vec<u64>,
}

impl Printed {
    /// Takes what has arrived so far without waiting.
    fn drain(&mut self) {
        while let Ok(n) = self.rx.try_recv() {
            self.all.push(n);
        }
    }

    fn last(&self) -> u64 {
        self.all.last().copied().unwrap_or(0)
    }

    /// Waits until `n` has been printed.
    fn wait_for(&mut self, n: u64) {
        let deadline = Instant::now() + TIMEOUT;
        self.drain();
        while self.last() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(m) => self.all.push(m),
                Err(_) => panic!(
                    "timed out waiting for line {n}; last printed {}",
                    self.last()
                ),
            }
        }
    }
}

fn terminate(child: &mut Child) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success());
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("wait for vpnwatch") {
            assert!(status.success(), "vpnwatch exited with {status}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "vpnwatch did not exit on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn every_line_once_in_order_through_every_rotation_mode() {
    torture(&[]);
}

/// The same with the stat timer alone (`--poll`, as on NFS).
#[test]
fn every_line_once_in_order_when_polling_only() {
    torture(&["--poll"]);
}

fn torture(extra: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    let rotated = dir.path().join("app.log.1");
    let mut writer = appender(&path);

    let mut child = Command::new(env!("CARGO_BIN_EXE_vpnwatch"))
        .args([
            "events",
            "--follow",
            "--from-start",
            "--poll-interval",
            "0.05",
        ])
        .args(extra)
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vpnwatch");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines() {
            let Ok(l) = l else { break };
            if tx.send(number(&l)).is_err() {
                break;
            }
        }
    });
    let errors = std::thread::spawn(move || {
        let mut all = String::new();
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            all.push_str(&l);
            all.push('\n');
        }
        all
    });
    let mut printed = Printed {
        rx,
        all: Vec::new(),
    };

    let mut next = 1u64;
    let mut write_lines = |w: &mut File, count: u64| {
        let mut written = 0;
        while written < count {
            let burst: String = (0..BURST.min(count - written))
                .map(|i| line(next + i))
                .collect();
            w.write_all(burst.as_bytes()).expect("write");
            let n = BURST.min(count - written);
            next += n;
            written += n;
            std::thread::sleep(Duration::from_millis(1));
        }
        next - 1
    };
    // The follower must be running before the first rotation matters.
    let first = write_lines(&mut writer, 1);
    printed.wait_for(first);

    // (after the follower's last printed line, last line written) for the
    // racing copytruncate.
    let mut window = None;
    for rotation in PLAN {
        let last = write_lines(&mut writer, SEGMENT);
        match rotation {
            Rotation::RenameCreate => {
                std::fs::rename(&path, &rotated).expect("rename");
                // The daemon has not reopened yet: late lines go to the old
                // descriptor, before and after the new file appears.
                write_lines(&mut writer, 5);
                let mut new = appender(&path);
                write_lines(&mut writer, 5);
                write_lines(&mut new, 1);
                writer = new;
            }
            Rotation::CopyTruncateSynced | Rotation::CopyTruncateRacing => {
                if rotation == Rotation::CopyTruncateSynced {
                    printed.wait_for(last);
                } else {
                    printed.drain();
                }
                let seen = printed.last();
                std::fs::copy(&path, &rotated).expect("copy");
                writer.set_len(0).expect("truncate");
                if rotation == Rotation::CopyTruncateRacing {
                    window = Some((seen, last));
                }
            }
            Rotation::Truncate => {
                printed.wait_for(last);
                writer.set_len(0).expect("truncate");
            }
            Rotation::DeleteRecreate => {
                drop(writer);
                std::fs::remove_file(&path).expect("delete");
                writer = appender(&path);
            }
        }
        // A file is only seen if it is still at its path when the follower
        // next looks (one poll interval, or a watcher wake-up). Logs rotate
        // hours apart, not milliseconds: wait until the follower is on the
        // new file before it can be rotated away in turn.
        let first_of_new = write_lines(&mut writer, 1);
        printed.wait_for(first_of_new);
    }
    let last = write_lines(&mut writer, SEGMENT);
    printed.wait_for(last);
    terminate(&mut child);
    reader.join().expect("stdout reader");
    printed.drain();
    let notices = errors.join().expect("stderr reader");

    let all = &printed.all;
    assert!(
        all.windows(2).all(|w| w[0] < w[1]),
        "numbers out of order or duplicated"
    );
    let (seen, written) = window.expect("the racing copytruncate ran");
    let got: std::collections::HashSet<u64> = all.iter().copied().collect();
    let missing: Vec<u64> = (1..=last).filter(|n| !got.contains(n)).collect();
    for n in &missing {
        assert!(
            *n > seen && *n <= written,
            "line {n} lost outside the copytruncate window ({seen}, {written}]; missing {missing:?}"
        );
    }
    eprintln!(
        "{} lines written, {} printed; {} lost in the racing copytruncate (window allowed {})",
        last,
        all.len(),
        missing.len(),
        written - seen
    );
    assert!(notices.contains("rotated"), "stderr: {notices}");
    assert!(notices.contains("truncated"), "stderr: {notices}");
}
