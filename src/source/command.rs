//! Tailing the output of a command (`--command 'ssh asa1 tail -F …'`).
//!
//! [`spawn_command`] runs `sh -c CMD` with stdin closed, turns its stdout into
//! lines like any other source, and shows each stderr line as a
//! [`Notice::Status`]. When the command exits (a dropped SSH session, a
//! reboot of the jump host) it is restarted after a backoff that doubles from
//! [`CommandOptions::backoff_min`] to [`CommandOptions::backoff_max`], and
//! starts again from the minimum once a run lasted longer than the maximum.
//!
//! stdout is read with backpressure: when the engine is behind, the pipe
//! fills and the command waits, so nothing is dropped here. The child is
//! killed when the source ends (`kill_on_drop`). It runs in its own process
//! group with stdin closed; a command that wants to prompt (an `ssh` asking
//! for a password) cannot use the dashboard's terminal, so use key-based,
//! non-interactive logins (`ssh -o BatchMode=yes`).

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::lines::{Batcher, DEFAULT_BATCH_LINES, DEFAULT_MAX_LINE, LineSplitter};
use super::{Notice, SourceId, SourceMsg};

/// Read size for the command's stdout.
const READ_CHUNK: usize = 64 * 1024;
/// A stderr line longer than this is cut (it only goes to the header).
const MAX_STDERR_LINE: usize = 1024;

/// How [`spawn_command`] runs its command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandOptions {
    pub max_line: usize,
    /// First wait before a restart.
    pub backoff_min: Duration,
    /// Longest wait before a restart.
    pub backoff_max: Duration,
}

impl Default for CommandOptions {
    fn default() -> Self {
        CommandOptions {
            max_line: DEFAULT_MAX_LINE,
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// The wait before restart number `failures` (1-based): doubles from `min`,
/// capped at `max`.
pub fn backoff(failures: u32, min: Duration, max: Duration) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(16);
    min.saturating_mul(factor).min(max)
}

/// Runs `sh -c command` until the receiver is dropped (see the module docs).
/// Must be called within a tokio runtime.
pub fn spawn_command(
    id: SourceId,
    command: String,
    opts: CommandOptions,
    tx: mpsc::Sender<SourceMsg>,
) -> JoinHandle<()> {
    tokio::spawn(run(id, command, opts, tx))
}

async fn run(id: SourceId, command: String, opts: CommandOptions, tx: mpsc::Sender<SourceMsg>) {
    let mut failures = 0u32;
    let mut batcher = Batcher::new(id, DEFAULT_BATCH_LINES);
    loop {
        let started = Instant::now();
        let outcome = run_once(id, &command, &opts, &mut batcher, &tx).await;
        let Some((status, last_stderr)) = outcome else {
            return;
        };
        // A run that lasted longer than the longest wait was healthy: the
        // next failure starts the backoff again from the bottom.
        if started.elapsed() > opts.backoff_max {
            failures = 0;
        }
        failures = failures.saturating_add(1);
        let wait = backoff(failures, opts.backoff_min, opts.backoff_max);
        let restart = format!("command {status}; restarting in {}", seconds(wait));
        // The notice replaces the last stderr line in the header; that line
        // usually says why (`ssh: connect to host … refused`), so it stays.
        let msg = match last_stderr {
            Some(line) => format!("{line} ({restart})"),
            None => restart,
        };
        if tx
            .send(SourceMsg::Notice(id, Notice::Status(msg)))
            .await
            .is_err()
        {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = tx.closed() => return,
        }
    }
}

fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// One run of the command. `None`: the receiver is gone, stop; otherwise
/// how the command ended, and the last line it wrote to stderr.
async fn run_once(
    id: SourceId,
    command: &str,
    opts: &CommandOptions,
    batcher: &mut Batcher,
    tx: &mpsc::Sender<SourceMsg>,
) -> Option<(String, Option<String>)> {
    let spawned = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        // Its own process group: signals meant for vpnwatch's terminal
        // (a Ctrl-Z, a hang-up) are not the command's business.
        .process_group(0)
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => return Some((format!("could not start: {e}"), None)),
    };
    let stderr = child.stderr.take().map(|err| {
        let tx = tx.clone();
        tokio::spawn(forward_stderr(id, err, tx))
    });
    if let Some(stdout) = child.stdout.take() {
        batcher.restart_numbering(&mut Vec::new());
        let status = Notice::Status("command started".to_string());
        if tx.send(SourceMsg::Notice(id, status)).await.is_err() {
            return None;
        }
        if !pump(stdout, opts.max_line, batcher, tx).await {
            return None;
        }
    }
    let status = tokio::select! {
        status = child.wait() => status,
        () = tx.closed() => return None,
    };
    // stderr ends with the process; wait so its last lines come first.
    let last_stderr = match stderr {
        Some(task) => task.await.ok().flatten(),
        None => None,
    };
    let status = match status {
        Ok(s) => format!("exited ({s})"),
        Err(e) => format!("could not be waited for: {e}"),
    };
    Some((status, last_stderr))
}

/// Copies stdout lines into batches until EOF; false when the receiver is
/// gone.
async fn pump<R: AsyncRead + Unpin>(
    mut out: R,
    max_line: usize,
    batcher: &mut Batcher,
    tx: &mpsc::Sender<SourceMsg>,
) -> bool {
    let mut splitter = LineSplitter::new(max_line);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut msgs = Vec::new();
    loop {
        let n = tokio::select! {
            read = out.read(&mut buf) => match read {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => 0,
            },
            () = tx.closed() => return false,
        };
        if n == 0 {
            break;
        }
        splitter.feed_marked(&buf[..n], |line, c| batcher.push_piece(line, c, &mut msgs));
        batcher.flush(&mut msgs);
        for msg in msgs.drain(..) {
            if tx.send(msg).await.is_err() {
                return false;
            }
        }
    }
    splitter.finish_marked(|line, c| batcher.push_piece(line, c, &mut msgs));
    batcher.flush(&mut msgs);
    for msg in msgs {
        if tx.send(msg).await.is_err() {
            return false;
        }
    }
    true
}

/// Sends each stderr line as a status notice; returns the last one.
async fn forward_stderr<R: AsyncRead + Unpin>(
    id: SourceId,
    err: R,
    tx: mpsc::Sender<SourceMsg>,
) -> Option<String> {
    let mut last = None;
    let mut lines = BufReader::new(err).split(b'\n');
    while let Ok(Some(line)) = lines.next_segment().await {
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        if line.is_empty() {
            continue;
        }
        let cut = &line[..line.len().min(MAX_STDERR_LINE)];
        let text = String::from_utf8_lossy(cut).into_owned();
        last = Some(text.clone());
        if tx
            .send(SourceMsg::Notice(id, Notice::Status(text)))
            .await
            .is_err()
        {
            return last;
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(30));
        let waits: Vec<u64> = (1..=7).map(|f| backoff(f, min, max).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(backoff(u32::MAX, min, max), max);
    }

    #[tokio::test]
    async fn lines_stderr_and_restarts() {
        let (tx, mut rx) = mpsc::channel(16);
        let opts = CommandOptions {
            backoff_min: Duration::from_millis(20),
            backoff_max: Duration::from_millis(40),
            ..CommandOptions::default()
        };
        let task = spawn_command(
            SourceId(2),
            "printf 'one\\ntwo'; echo oops >&2".to_string(),
            opts,
            tx,
        );
        let mut lines = Vec::new();
        let mut statuses = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        // Two full runs: the command is restarted after it exits.
        while lines.len() < 4 {
            let msg = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .expect("timed out")
                .expect("source ended");
            match msg {
                SourceMsg::Lines(_, batch) => lines.extend(
                    batch
                        .lines()
                        .map(|(n, l)| (n, String::from_utf8_lossy(l).into_owned())),
                ),
                SourceMsg::Notice(_, Notice::Status(s)) => statuses.push(s),
                SourceMsg::Notice(_, other) => panic!("unexpected {other:?}"),
            }
        }
        task.abort();
        let want: Vec<(u64, String)> = [(1, "one"), (2, "two"), (1, "one"), (2, "two")]
            .into_iter()
            .map(|(n, s)| (n, s.to_string()))
            .collect();
        assert_eq!(lines, want);
        assert!(statuses.iter().any(|s| s == "oops"), "{statuses:?}");
        assert!(
            statuses.iter().any(|s| s.contains("restarting in")),
            "{statuses:?}"
        );
    }

    /// The restart notice replaces the stderr line in the header, so it
    /// carries that line: the reason the command failed stays readable.
    #[tokio::test]
    async fn the_restart_notice_keeps_the_last_stderr_line() {
        let (tx, mut rx) = mpsc::channel(16);
        let opts = CommandOptions {
            backoff_min: Duration::from_secs(30),
            backoff_max: Duration::from_secs(30),
            ..CommandOptions::default()
        };
        let task = spawn_command(
            SourceId(1),
            "echo first >&2; echo 'ssh: connect to host fw1 port 22: Connection refused' >&2; exit 255"
                .to_string(),
            opts,
            tx,
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        let restart = loop {
            let msg = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .expect("timed out")
                .expect("source ended");
            if let SourceMsg::Notice(_, Notice::Status(s)) = msg
                && s.contains("restarting in")
            {
                break s;
            }
        };
        task.abort();
        assert_eq!(
            restart,
            "ssh: connect to host fw1 port 22: Connection refused \
             (command exited (exit status: 255); restarting in 30 s)"
        );
    }
}
