//! Reading lines from standard input (`vpnwatch -` or a pipe).
//!
//! [`spawn_stdin`] is [`spawn_reader`] on tokio's stdin; the latter takes any
//! async reader, which is also how it is tested. Lines are sent once per read
//! chunk (or every `DEFAULT_BATCH_LINES`), so a slow pipe shows each line as
//! it arrives. A pipe cannot be re-read, but the channel's backpressure
//! simply stops reading it, so nothing is dropped here either.
//!
//! tokio reads stdin with a blocking read on a pool thread that cannot be
//! cancelled: the task ends when its receiver goes away, but a runtime
//! shutdown can still wait for that read (use `shutdown_timeout`, or exit).

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::lines::{Batcher, DEFAULT_BATCH_LINES, LineSplitter};
use super::{Notice, SourceId, SourceMsg};

/// Read size; a pipe rarely delivers more at once.
const READ_CHUNK: usize = 64 * 1024;

/// Reads standard input to its end, sending its lines to `tx`, then
/// [`Notice::Finished`]. Must be called within a tokio runtime.
pub fn spawn_stdin(id: SourceId, max_line: usize, tx: mpsc::Sender<SourceMsg>) -> JoinHandle<()> {
    spawn_reader(id, tokio::io::stdin(), max_line, tx)
}

/// Reads `reader` to its end, sending its lines to `tx`; the last line need
/// not end in `\n`. Ends with [`Notice::Finished`] (after a
/// [`Notice::Error`] if reading failed), or early when the receiver is
/// dropped.
pub fn spawn_reader<R>(
    id: SourceId,
    reader: R,
    max_line: usize,
    tx: mpsc::Sender<SourceMsg>,
) -> JoinHandle<()>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(read_lines(id, reader, max_line, tx))
}

async fn read_lines<R>(id: SourceId, mut reader: R, max_line: usize, tx: mpsc::Sender<SourceMsg>)
where
    R: AsyncRead + Unpin,
{
    let mut splitter = LineSplitter::new(max_line);
    let mut batcher = Batcher::new(id, DEFAULT_BATCH_LINES);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut out = Vec::new();
    let mut failure = None;
    loop {
        let n = tokio::select! {
            read = reader.read(&mut buf) => match read {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    failure = Some(e);
                    0
                }
            },
            // A pipe that stays silent must not keep the source alive once
            // nobody listens.
            () = tx.closed() => return,
        };
        if n == 0 {
            break;
        }
        splitter.feed_marked(&buf[..n], |line, c| batcher.push_piece(line, c, &mut out));
        batcher.flush(&mut out);
        if !send_all(&tx, &mut out).await {
            return;
        }
    }
    splitter.finish_marked(|line, c| batcher.push_piece(line, c, &mut out));
    batcher.flush(&mut out);
    if let Some(e) = failure {
        out.push(SourceMsg::Notice(id, Notice::Error(format!("stdin: {e}"))));
    }
    out.push(SourceMsg::Notice(id, Notice::Finished));
    send_all(&tx, &mut out).await;
}

/// Sends and empties `out`; false once the receiver is gone.
async fn send_all(tx: &mpsc::Sender<SourceMsg>, out: &mut Vec<SourceMsg>) -> bool {
    for msg in out.drain(..) {
        if tx.send(msg).await.is_err() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    async fn collect(rx: &mut mpsc::Receiver<SourceMsg>) -> (Vec<(u64, String)>, Vec<Notice>) {
        let mut lines = Vec::new();
        let mut notices = Vec::new();
        while let Some(msg) = rx.recv().await {
            match msg {
                SourceMsg::Lines(id, batch) => {
                    assert_eq!(id, SourceId(7));
                    lines.extend(
                        batch
                            .lines()
                            .map(|(n, l)| (n, String::from_utf8_lossy(l).into_owned())),
                    );
                }
                SourceMsg::Notice(_, n) => notices.push(n),
            }
        }
        (lines, notices)
    }

    #[tokio::test]
    async fn reads_to_end_and_flushes_the_last_line() {
        let (tx, mut rx) = mpsc::channel(1);
        let data: &'static [u8] = b"one\r\ntwo\n\nfour";
        let task = spawn_reader(SourceId(7), data, 1024, tx);
        let (lines, notices) = collect(&mut rx).await;
        task.await.unwrap();
        let want: Vec<(u64, String)> = [(1, "one"), (2, "two"), (3, ""), (4, "four")]
            .into_iter()
            .map(|(n, s)| (n, s.to_string()))
            .collect();
        assert_eq!(lines, want);
        assert_eq!(notices, [Notice::Finished]);
    }

    #[tokio::test]
    async fn lines_arrive_while_the_pipe_is_open() {
        let (tx, mut rx) = mpsc::channel(4);
        let (mut writer, reader) = tokio::io::duplex(64);
        let task = spawn_reader(SourceId(7), reader, 1024, tx);
        writer.write_all(b"first\nsec").await.unwrap();
        match rx.recv().await {
            Some(SourceMsg::Lines(_, batch)) => {
                let lines: Vec<_> = batch.lines().collect();
                assert_eq!(lines, [(1, &b"first"[..])]);
            }
            other => panic!("unexpected {other:?}"),
        }
        writer.write_all(b"ond\n").await.unwrap();
        drop(writer);
        let (lines, notices) = collect(&mut rx).await;
        task.await.unwrap();
        assert_eq!(lines, [(2, "second".to_string())]);
        assert_eq!(notices, [Notice::Finished]);
    }

    #[tokio::test]
    async fn ends_when_the_receiver_is_dropped() {
        let (tx, rx) = mpsc::channel(1);
        let (_writer, reader) = tokio::io::duplex(64);
        let task = spawn_reader(SourceId(7), reader, 1024, tx);
        drop(rx);
        tokio::time::timeout(std::time::Duration::from_secs(5), task)
            .await
            .expect("task did not end")
            .unwrap();
    }
}
