//! `vpnwatch events --follow` from the outside: stdin to its end, the
//! backlog of a huge (sparse) file (and, through the file source and its I/O
//! counters, that it is not read), globs picking up new files, `--command`,
//! a file detected late read in its `--tz` zone, and the usage errors of
//! the new flags. Waits are bounded by [`TIMEOUT`].

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(10);

fn asa(n: u64) -> String {
    format!(
        "<166>Nov 28 2026 10:00:00 fw1 : %ASA-6-302013: Built inbound TCP connection {n} for x\n"
    )
}

fn vpnwatch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vpnwatch"))
}

/// A running `events --follow` whose stdout lines arrive on a channel.
struct Follow {
    child: Child,
    rx: mpsc::Receiver<serde_json::Value>,
}

impl Follow {
    fn start(args: &[&str], dir: &Path) -> Follow {
        let mut child = vpnwatch()
            .args(["events", "--follow", "--poll-interval", "0.05"])
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vpnwatch");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                let v = serde_json::from_str(&l).expect("NDJSON");
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Follow { child, rx }
    }

    fn next(&self, what: &str) -> serde_json::Value {
        self.rx
            .recv_timeout(TIMEOUT)
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + TIMEOUT;
        while self.child.try_wait().expect("wait").is_none() {
            assert!(Instant::now() < deadline, "no exit on SIGTERM");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn connection(v: &serde_json::Value) -> u64 {
    v["raw"]
        .as_str()
        .and_then(|r| r.split("connection ").nth(1))
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a numbered line")
}

#[test]
fn stdin_is_followed_to_its_end_and_then_the_command_exits() {
    let mut child = vpnwatch()
        .args(["events", "--follow", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vpnwatch");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{}not asa\n{}", asa(1), asa(2).trim_end()).as_bytes())
        .expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["source"], "stdin");
    assert_eq!(
        (lines[0]["line"].as_u64(), lines[1]["line"].as_u64()),
        (Some(1), Some(3))
    );
}

/// A 2 GiB file (sparse, so the test writes only its tail) ending in
/// connections 1..=20, open for appending more.
fn huge_log(path: &Path) -> std::fs::File {
    let f = std::fs::File::create(path).expect("create");
    f.set_len(2 << 30).expect("a sparse 2 GiB file");
    drop(f);
    let mut w = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open");
    w.write_all(b"\n").expect("write");
    for n in 1..=20 {
        w.write_all(asa(n).as_bytes()).expect("write");
    }
    w
}

/// `--backlog` on a huge file shows its last lines, then follows it.
#[test]
fn backlog_of_a_huge_file_shows_its_last_lines_then_follows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = huge_log(&dir.path().join("huge.log"));
    let f = Follow::start(&["--backlog", "3", "huge.log"], dir.path());
    let got: Vec<u64> = (0..3).map(|_| connection(&f.next("the backlog"))).collect();
    assert_eq!(got, [18, 19, 20]);
    w.write_all(asa(21).as_bytes()).expect("write");
    assert_eq!(connection(&f.next("the followed line")), 21);
    f.stop();
}

/// `--backlog` reads backwards from the end: on a 2 GiB file the follower
/// reads a few blocks and jumps once to the backlog's start, whatever the
/// file's size (counted by the file sources' I/O counters, not timed).
#[tokio::test]
async fn backlog_of_a_huge_file_reads_only_its_tail() {
    use vpnwatch::source::file::{FileOptions, spawn_file};
    use vpnwatch::source::{SourceMsg, io_count};
    use vpnwatch::vocab::SourceId;

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.log");
    let _w = huge_log(&path);
    let before = io_count::snapshot();
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let opts = FileOptions {
        backlog: Some(3),
        poll_only: true,
        ..FileOptions::default()
    };
    let task = spawn_file(SourceId(1), path, opts, tx);
    let mut got = Vec::new();
    while got.len() < 3 {
        let msg = tokio::time::timeout(TIMEOUT, rx.recv())
            .await
            .expect("the backlog in time")
            .expect("the source still running");
        if let SourceMsg::Lines(_, batch) = msg {
            got.extend(
                batch
                    .lines()
                    .map(|(_, l)| String::from_utf8_lossy(l).into_owned()),
            );
        }
    }
    let used = io_count::snapshot().since(before);
    task.abort();
    let numbers: Vec<u64> = got
        .iter()
        .map(|l| connection(&serde_json::json!({ "raw": l })))
        .collect();
    assert_eq!(numbers, [18, 19, 20]);
    assert_eq!(used.seeks, 1, "one jump to the backlog's start: {used:?}");
    assert!(
        used.bytes_read < 1 << 20,
        "read {} bytes of a 2 GiB file for 3 lines: {used:?}",
        used.bytes_read
    );
}

#[test]
fn a_glob_picks_up_files_that_appear_later() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.log"), asa(1)).expect("write");
    std::fs::write(dir.path().join("a.txt"), asa(99)).expect("write");
    let f = Follow::start(&["*.log"], dir.path());
    let first = f.next("the existing match");
    assert_eq!(
        (connection(&first), first["source"].as_str()),
        (1, Some("a.log"))
    );
    std::fs::write(dir.path().join("b.log"), asa(2)).expect("write");
    let second = f.next("the new match");
    assert_eq!(
        (connection(&second), second["source"].as_str()),
        (2, Some("b.log"))
    );
    f.stop();
}

#[test]
fn command_output_is_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("src.log"), format!("{}{}", asa(7), asa(8))).expect("write");
    let f = Follow::start(&["--command", "cat src.log"], dir.path());
    let got: Vec<u64> = (0..2)
        .map(|_| connection(&f.next("the command's lines")))
        .collect();
    assert_eq!(got, [7, 8]);
    assert_eq!(f.next("the restarted command's line")["line"], 1);
    f.stop();
}

#[test]
fn bad_values_are_usage_errors() {
    for args in [
        &["events", "--follow", "--poll-interval", "0", "x.log"][..],
        &["events", "--follow", "--syslog-udp=not-an-address"],
        &[
            "events",
            "--follow",
            "--backlog",
            "5",
            "--from-start",
            "x.log",
        ],
        &["events", "--follow"],
    ] {
        let out = vpnwatch().args(args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn follow_applies_the_user_a_client_log_is_about() {
    // A client log that names no one: `--user` says whose it is, in
    // `events --follow` as in `events`.
    let line =
        "Nov 28 08:45:29 lap acvpnui[1]: Message type error sent to the user: Login failed.\n";
    let mut users = Vec::new();
    for follow in [true, false] {
        let mut child = vpnwatch()
            .arg("events")
            .args(if follow { &["--follow"][..] } else { &[][..] })
            .args(["--user", "ann", "--client", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vpnwatch");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(line.as_bytes()).expect("write");
        drop(stdin);
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let v: serde_json::Value =
            serde_json::from_str(text.lines().next().unwrap_or("null")).expect("NDJSON");
        users.push(v["user"].clone());
    }
    assert_eq!(users, ["ann", "ann"]);
}

#[test]
fn a_file_detected_late_is_read_in_its_own_zone() {
    // Empty at start, late.log's format is detected from its first lines;
    // the reader made then reads it in its --tz FILE=ZONE, as the one made
    // at start reads a file that had lines.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ready.log"), asa(1)).expect("write");
    std::fs::write(dir.path().join("late.log"), "").expect("write");
    let f = Follow::start(
        &["--tz", "late.log=+02:00", "ready.log", "late.log"],
        dir.path(),
    );
    // Its backlog line: the sources are planned, late.log as empty.
    let ready = f.next("ready.log's line");
    assert_eq!(ready["ts"], "2026-11-28T10:00:00Z");
    let mut late = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("late.log"))
        .expect("open");
    late.write_all(asa(2).as_bytes()).expect("append");
    let line = f.next("late.log's line");
    assert_eq!(
        (connection(&line), line["ts"].as_str()),
        (2, Some("2026-11-28T08:00:00Z"))
    );
    f.stop();
}
