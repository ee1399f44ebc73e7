//! End-to-end tests of `spawn_file` with its real watcher and poll timer: a
//! writer takes a log through logrotate-style steps (rename + create with
//! late writes to the old descriptor, copytruncate, delete + recreate) and
//! every line written must arrive exactly once, in order, numbered within
//! its file.
//!
//! Nothing here sleeps and hopes: each step waits (bounded by [`TIMEOUT`])
//! until the lines of the previous step have arrived. The few short sleeps
//! only give the tailer a chance to observe an intermediate state, such as an
//! empty new file, that it must not act on.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use vpnwatch::source::SourceMsg;
use vpnwatch::source::file::{FileOptions, spawn_file};
use vpnwatch::vocab::{Notice, SourceId};

mod common;

const TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(100);
const ID: SourceId = SourceId(4);

/// The receiving end, with everything received so far.
struct Tail {
    rx: mpsc::Receiver<SourceMsg>,
    /// Lines not yet checked by `expect_lines`.
    lines: Vec<(u64, String)>,
    notices: Vec<Notice>,
    /// Notices already matched by `expect_notice`.
    notices_seen: usize,
}

impl Tail {
    fn start(path: &Path, opts: FileOptions) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(8);
        let task = spawn_file(ID, path.to_path_buf(), opts, tx);
        let tail = Tail {
            rx,
            lines: Vec::new(),
            notices: Vec::new(),
            notices_seen: 0,
        };
        (tail, task)
    }

    fn following(path: &Path) -> (Self, tokio::task::JoinHandle<()>) {
        Tail::start(
            path,
            FileOptions {
                poll_interval: POLL,
                ..FileOptions::default()
            },
        )
    }

    /// Receives one message; false when the source has ended.
    async fn recv(&mut self, deadline: Instant, waiting_for: &str) -> bool {
        let msg = match tokio::time::timeout_at(deadline, self.rx.recv()).await {
            Ok(msg) => msg,
            Err(_) => panic!(
                "timed out waiting for {waiting_for}; unchecked lines {:?}, notices {:?}",
                self.lines, self.notices
            ),
        };
        match msg {
            Some(SourceMsg::Lines(id, batch)) => {
                assert_eq!(id, ID);
                assert!(!batch.is_empty(), "empty batch");
                self.lines.extend(
                    batch
                        .lines()
                        .map(|(n, l)| (n, String::from_utf8(l.to_vec()).unwrap())),
                );
                true
            }
            Some(SourceMsg::Notice(id, notice)) => {
                assert_eq!(id, ID);
                if let Notice::Error(e) = &notice {
                    eprintln!("source error: {e}");
                }
                self.notices.push(notice);
                true
            }
            None => false,
        }
    }

    /// Waits until exactly `want` (and nothing else) has arrived since the
    /// last call.
    async fn expect_lines(&mut self, want: &[(u64, String)]) {
        let deadline = Instant::now() + TIMEOUT;
        while self.lines.len() < want.len() {
            let what = format!("{} lines ending {:?}", want.len(), want.last());
            assert!(self.recv(deadline, &what).await, "source ended early");
        }
        assert_eq!(self.lines, want, "lines differ");
        self.lines.clear();
    }

    /// Waits for a notice matching `pred` after the last one matched.
    async fn expect_notice(&mut self, what: &str, pred: impl Fn(&Notice) -> bool) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(i) = self.notices[self.notices_seen..].iter().position(&pred) {
                self.notices_seen += i + 1;
                return;
            }
            assert!(self.recv(deadline, what).await, "source ended early");
        }
    }

    /// The notices so far, errors left out (a missing watcher in a sandbox
    /// is reported as one, and polling still has to pass the test).
    fn notices_without_errors(&self) -> Vec<Notice> {
        self.notices
            .iter()
            .filter(|n| !matches!(n, Notice::Error(_)))
            .cloned()
            .collect()
    }

    fn watcher_unavailable(&self) -> bool {
        self.notices
            .iter()
            .any(|n| matches!(n, Notice::Error(e) if e.contains("file watcher unavailable")))
    }
}

fn appender(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

fn write(w: &mut File, text: &str) {
    w.write_all(text.as_bytes()).unwrap();
}

/// `(first..)` numbered lines.
fn numbered(first: u64, lines: &[&str]) -> Vec<(u64, String)> {
    (first..).zip(lines.iter().map(|l| l.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_a_log_through_rotation_truncation_and_deletion() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let (mut tail, task) = Tail::following(&path);

    // (e) Not there yet.
    tail.expect_notice("Waiting", |n| *n == Notice::Waiting(path.clone()))
        .await;

    // (a) Created and appended; a partial line waits for its newline.
    let mut old = appender(&path);
    write(&mut old, "a1\na2\na3\na4-par");
    tail.expect_lines(&numbered(1, &["a1", "a2", "a3"])).await;
    write(&mut old, "tial\n");
    tail.expect_lines(&numbered(4, &["a4-partial"])).await;

    // (b) logrotate `create`: rename, create the new file, and the daemon
    // keeps writing to the old descriptor until it reopens.
    std::fs::rename(&path, dir.path().join("app.log.1")).unwrap();
    let mut new = appender(&path);
    tokio::time::sleep(POLL * 3).await;
    write(&mut old, "a5\na6\na7-unterminated");
    write(&mut new, "b1\nb2\n");
    let mut want = numbered(5, &["a5", "a6", "a7-unterminated"]);
    want.extend(numbered(1, &["b1", "b2"]));
    tail.expect_lines(&want).await;
    tail.expect_notice("Rotated", |n| *n == Notice::Rotated(path.clone()))
        .await;
    drop(old);

    // (c) copytruncate: truncated by another process, regrown right away.
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    write(&mut new, "c1-after-truncate\nc2\n");
    tail.expect_lines(&numbered(1, &["c1-after-truncate", "c2"]))
        .await;
    tail.expect_notice("Truncated", |n| *n == Notice::Truncated(path.clone()))
        .await;

    // (d) Deleted: the open descriptor is drained, its partial line flushed.
    // Bytes written after the tailer has drained a deleted file are lost, so
    // the writer stops at the deletion.
    write(&mut new, "c3-unterminated");
    std::fs::remove_file(&path).unwrap();
    drop(new);
    tail.expect_lines(&numbered(3, &["c3-unterminated"])).await;
    tail.expect_notice("Removed", |n| *n == Notice::Removed(path.clone()))
        .await;
    tail.expect_notice("Waiting", |n| *n == Notice::Waiting(path.clone()))
        .await;

    // ... and recreated.
    let mut again = appender(&path);
    write(&mut again, "d1\nd2\n");
    tail.expect_lines(&numbered(1, &["d1", "d2"])).await;
    write(&mut again, "end\n");
    tail.expect_lines(&numbered(3, &["end"])).await;

    let p = || path.clone();
    assert_eq!(
        tail.notices_without_errors(),
        [
            Notice::Waiting(p()),
            Notice::Opened(p()),
            Notice::Rotated(p()),
            Notice::Opened(p()),
            Notice::Truncated(p()),
            Notice::Removed(p()),
            Notice::Waiting(p()),
            Notice::Opened(p()),
        ]
    );
    task.abort();
}

/// Volume across several rotations: batches, backpressure through a small
/// channel, and late writes to each old file interleaved with the first
/// writes to the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_rotations_with_volume() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vpn.log");
    let mut w = appender(&path);
    let (mut tail, task) = Tail::following(&path);
    for cycle in 0..5 {
        let body: Vec<String> = (0..3000).map(|i| format!("c{cycle} line {i}")).collect();
        let refs: Vec<&str> = body.iter().map(String::as_str).collect();
        for line in &body {
            writeln!(w, "{line}").unwrap();
        }
        tail.expect_lines(&numbered(1, &refs)).await;

        std::fs::rename(&path, dir.path().join(format!("vpn.log.{cycle}"))).unwrap();
        let mut next = appender(&path);
        let late: Vec<String> = (0..100).map(|i| format!("c{cycle} late {i}")).collect();
        for line in &late {
            writeln!(w, "{line}").unwrap();
        }
        writeln!(next, "c{} first", cycle + 1).unwrap();
        let late_refs: Vec<&str> = late.iter().map(String::as_str).collect();
        let mut want = numbered(3001, &late_refs);
        want.extend(numbered(1, &[&format!("c{} first", cycle + 1)]));
        tail.expect_lines(&want).await;
        w = next;
        // The next cycle's numbering continues after "first".
        writeln!(w, "c{} second", cycle + 1).unwrap();
        tail.expect_lines(&numbered(2, &[&format!("c{} second", cycle + 1)]))
            .await;
        // Make the next cycle's expectation start at 1 again.
        w.set_len(0).unwrap();
        tail.expect_notice("Truncated", |n| matches!(n, Notice::Truncated(_)))
            .await;
    }
    task.abort();
}

/// With a poll interval of an hour, only the directory watch can make the
/// tailer see anything after its first look.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_watch_alone_keeps_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("watched.log");
    let (mut tail, task) = Tail::start(
        &path,
        FileOptions {
            poll_interval: Duration::from_secs(3600),
            ..FileOptions::default()
        },
    );
    tail.expect_notice("Waiting", |n| matches!(n, Notice::Waiting(_)))
        .await;
    if tail.watcher_unavailable() {
        common::need::missing("a file watcher (inotify)");
        return;
    }
    let mut w = appender(&path);
    write(&mut w, "w1\n");
    tail.expect_lines(&numbered(1, &["w1"])).await;
    write(&mut w, "w2\n");
    tail.expect_lines(&numbered(2, &["w2"])).await;

    std::fs::rename(&path, dir.path().join("watched.log.1")).unwrap();
    let mut next = appender(&path);
    write(&mut w, "w3-late\n");
    write(&mut next, "x1\n");
    let mut want = numbered(3, &["w3-late"]);
    want.extend(numbered(1, &["x1"]));
    tail.expect_lines(&want).await;

    next.set_len(0).unwrap();
    write(&mut next, "y1\n");
    tail.expect_lines(&numbered(1, &["y1"])).await;

    std::fs::remove_file(&path).unwrap();
    tail.expect_notice("Removed", |n| matches!(n, Notice::Removed(_)))
        .await;
    std::fs::write(&path, "z1\n").unwrap();
    tail.expect_lines(&numbered(1, &["z1"])).await;
    task.abort();
}

#[tokio::test]
async fn without_follow_reads_to_the_end_and_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("once.log");
    let mut content = String::new();
    for i in 1..=20_000 {
        content.push_str(&format!("line {i}\r\n"));
    }
    content.push_str("tail without newline");
    std::fs::write(&path, content).unwrap();
    let (mut tail, task) = Tail::start(
        &path,
        FileOptions {
            follow: false,
            batch_lines: 1000,
            ..FileOptions::default()
        },
    );
    let deadline = Instant::now() + TIMEOUT;
    while tail.recv(deadline, "the end of the source").await {}
    tokio::time::timeout(TIMEOUT, task).await.unwrap().unwrap();
    assert_eq!(tail.lines.len(), 20_001);
    assert!(
        tail.lines
            .iter()
            .take(20_000)
            .all(|(n, l)| *l == format!("line {n}"))
    );
    assert_eq!(tail.lines[20_000], (20_001, "tail without newline".into()));
    assert_eq!(
        tail.notices,
        [Notice::Opened(path.clone()), Notice::Finished]
    );
}

#[tokio::test]
async fn ends_when_the_receiver_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("idle.log");
    std::fs::write(&path, "x\n").unwrap();
    let (tail, task) = Tail::following(&path);
    drop(tail);
    tokio::time::timeout(TIMEOUT, task)
        .await
        .expect("the source kept running without a receiver")
        .unwrap();
}

/// Follows `path` from before it exists into a model whose source is
/// `state`, writes `text` into the file once it has been waited for, and
/// returns the model once every line has arrived.
async fn late_file_into_model(
    state: vpnwatch::pipeline::SourceState,
    text: &str,
) -> vpnwatch::pipeline::Model {
    use vpnwatch::parse::ParseContext;
    use vpnwatch::pipeline::Model;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.log");
    let runbook = vpnwatch::runbook::parse(vpnwatch::runbook::DEFAULT_RUNBOOK).unwrap();
    let mut model = Model::new(vec![state], &runbook, 1000, ParseContext::default());
    let (tx, mut rx) = mpsc::channel(8);
    let task = spawn_file(
        SourceId(0),
        path.clone(),
        FileOptions {
            poll_interval: POLL,
            ..FileOptions::default()
        },
        tx,
    );
    let deadline = Instant::now() + TIMEOUT;
    let want = text.lines().count() as u64;
    let mut written = false;
    while model.sources[0].lines < want {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the late file's lines arrive")
            .expect("the source runs");
        match msg {
            SourceMsg::Lines(id, batch) => model.ingest(id, &batch),
            SourceMsg::Notice(id, notice) => {
                let waiting = matches!(notice, Notice::Waiting(_));
                model.notice(id, notice);
                if waiting && !written {
                    std::fs::write(&path, text).unwrap();
                    written = true;
                }
            }
        }
    }
    task.abort();
    model
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_file_gets_its_role_and_format_from_its_first_lines() {
    use vpnwatch::pipeline::SourceState;
    use vpnwatch::vocab::Family;
    let client: String = include_str!("../sample-logs/anyconnect-client.log")
        .lines()
        .take(40)
        .map(|l| format!("{l}\n"))
        .collect();
    // Not there at start: taken for a headend log until its lines say.
    let mut state = SourceState::new("late.log".into(), Family::Headend);
    (state.auto_detect, state.detect) = (true, true);
    let model = late_file_into_model(state, &client).await;
    assert_eq!(model.sources[0].family, Family::Client);
    assert!(model.sources[0].format.is_some());
    assert_eq!(model.headend.len(), 0, "no client line in the Headend pane");
    assert_eq!(model.client.len(), 40);
    assert!(model.sources[0].recognised > 0);

    // Forced with --headend: left as it was.
    let state = SourceState::new("late.log".into(), Family::Headend);
    let model = late_file_into_model(state, &client).await;
    assert_eq!(model.sources[0].family, Family::Headend);
    assert_eq!(model.headend.len(), 40);
}

/// A file recreated (truncated or rotated) under the same name is detected
/// again from its first lines, unless its role was forced.
#[test]
fn a_recreated_file_is_detected_again() {
    use vpnwatch::parse::ParseContext;
    use vpnwatch::pipeline::{Model, SourceState};
    use vpnwatch::vocab::Family;
    use vpnwatch::vocab::LineBatch;
    let batch = |text: &str| {
        let mut b = LineBatch::new(1);
        for l in text.lines().take(40) {
            b.push(l.as_bytes());
        }
        b
    };
    let headend = batch(include_str!("../sample-logs/asa-headend.log"));
    let client = batch(include_str!("../sample-logs/anyconnect-client.log"));
    let runbook = vpnwatch::runbook::parse(vpnwatch::runbook::DEFAULT_RUNBOOK).unwrap();
    for (auto, family_after) in [(true, Family::Client), (false, Family::Headend)] {
        let mut state = SourceState::new("x.log".into(), Family::Headend);
        (state.auto_detect, state.detect) = (auto, auto);
        let mut model = Model::new(vec![state], &runbook, 1000, ParseContext::default());
        model.ingest(SourceId(0), &headend);
        assert_eq!(model.sources[0].family, Family::Headend);
        model.notice(SourceId(0), Notice::Truncated("x.log".into()));
        model.ingest(SourceId(0), &client);
        assert_eq!(model.sources[0].family, family_after, "auto: {auto}");
    }
}
