//! Scrolling back past what a pane keeps: lines the store dropped are read
//! again from their file, exactly as first shown, also after the file was
//! rotated away by rename; a file rewritten in place, or lines that came
//! from a stream, give a reason instead of other lines.

use std::path::Path;

use tokio::sync::mpsc;
use vpnwatch::app::recall;
use vpnwatch::parse::ParseContext;
use vpnwatch::pipeline::recall::RecalledLine;
use vpnwatch::pipeline::{LineKind, Model, SourceState};
use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};
use vpnwatch::source::SourceMsg;
use vpnwatch::source::file::{FileOptions, spawn_file};
use vpnwatch::vocab::{Family, Outcome};
use vpnwatch::vocab::{LineBatch, SourceId};

const MAX_LINE: usize = 200;

fn model(retain: usize) -> Model {
    let runbook = runbook::parse(DEFAULT_RUNBOOK).unwrap();
    Model::new(
        vec![SourceState::new("asa.log".into(), Family::Headend)],
        &runbook,
        retain,
        ParseContext::for_year(2026),
    )
}

/// The log: plain traffic, CRLF endings, a line cut in three pieces at
/// `MAX_LINE`, and one failed login.
fn write_log(path: &Path) -> Vec<String> {
    let mut text = String::new();
    for i in 0..300 {
        let line = match i {
            17 => format!("Dec  5 08:00:17 asa-fw1 : %ASA-6-302013: {}", "x".repeat(400)),
            42 => "Dec  5 08:00:42 asa-fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = ann : user IP = 192.0.2.7".to_string(),
            _ => format!("Dec  5 08:00:{:02} asa-fw1 : %ASA-6-302014: Teardown TCP connection {i}", i % 60),
        };
        text.push_str(&line);
        text.push_str(if i % 3 == 0 { "\r\n" } else { "\n" });
    }
    std::fs::write(path, &text).unwrap();
    // The pane's lines: the long line as its pieces.
    let mut shown = Vec::new();
    for line in text.lines() {
        let mut rest = line;
        while rest.len() > MAX_LINE {
            shown.push(rest[..MAX_LINE].to_string());
            rest = &rest[MAX_LINE..];
        }
        shown.push(rest.to_string());
    }
    shown
}

/// Reads `path` once through the real file source into a model.
async fn ingest(path: &Path, retain: usize) -> Model {
    let (tx, mut rx) = mpsc::channel(16);
    let opts = FileOptions {
        follow: false,
        max_line: MAX_LINE,
        batch_lines: 7,
        ..FileOptions::default()
    };
    let task = spawn_file(SourceId(0), path.to_path_buf(), opts, tx);
    let mut m = model(retain);
    while let Some(msg) = rx.recv().await {
        match msg {
            SourceMsg::Lines(id, batch) => m.ingest(id, &batch),
            SourceMsg::Notice(id, n) => m.notice(id, n),
        }
    }
    task.await.unwrap();
    m
}

fn read_back(m: &Model, range: std::ops::Range<u64>) -> Vec<RecalledLine> {
    let runs = m.headend.recall_index().runs_for(range.clone());
    let mut readers = vec![m.new_reader(0)];
    recall::read(&runs, range, &mut readers, MAX_LINE).lines
}

fn text(line: &RecalledLine) -> String {
    match line {
        RecalledLine::Line(bytes, _) => String::from_utf8(bytes.clone()).unwrap(),
        RecalledLine::Missing(why) => format!("MISSING: {why}"),
    }
}

#[tokio::test]
async fn dropped_lines_read_back_exactly_even_after_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("asa.log");
    let shown = write_log(&path);
    let m = ingest(&path, 20).await;
    let store = &m.headend;
    assert_eq!(store.total(), shown.len() as u64);
    let evicted = store.evicted();
    assert_eq!(evicted, shown.len() as u64 - 20);
    // Batches of 7 lines merged into one run of the file.
    assert_eq!(store.recall_index().runs(), 1);

    let first: Vec<_> = read_back(&m, 0..evicted);
    let texts: Vec<String> = first.iter().map(text).collect();
    assert_eq!(texts, shown[..evicted as usize]);

    // Line numbers, continuation marks and styles are what the pane showed
    // while it kept them.
    let all = ingest(&path, 10_000).await;
    assert_eq!(all.headend.evicted(), 0);
    for (i, line) in first.iter().enumerate() {
        let (bytes, meta) = all.headend.get(i).unwrap();
        assert_eq!(
            line,
            &RecalledLine::Line(bytes.to_vec(), meta),
            "line index {i}"
        );
    }
    // The failed login (index 44: two pieces of line 18 come before it).
    assert!(matches!(
        &first[44],
        RecalledLine::Line(_, meta) if meta.line_no == 45 && matches!(
            meta.kind,
            LineKind::Event { outcome: Outcome::Failure, .. }
        )
    ));
    assert!(
        matches!(&first[18], RecalledLine::Line(_, meta) if meta.kind == LineKind::Continuation)
    );

    // Rotated away by rename, a new file in its place: found by identity.
    std::fs::rename(&path, dir.path().join("asa.log.1")).unwrap();
    std::fs::write(&path, "a new file\n").unwrap();
    let texts: Vec<String> = read_back(&m, 100..110).iter().map(text).collect();
    assert_eq!(texts, shown[100..110]);
}

#[tokio::test]
async fn a_rewritten_file_gives_a_reason_not_other_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("asa.log");
    let shown = write_log(&path);
    let m = ingest(&path, 20).await;
    // Rewritten in place (same inode), same length, other bytes.
    let len = std::fs::metadata(&path).unwrap().len() as usize;
    std::fs::write(&path, "z".repeat(len - 1) + "\n").unwrap();
    let back = read_back(&m, 0..5);
    for line in &back {
        assert!(text(line).contains("rewritten"), "{line:?}");
    }
    // Deleted: gone.
    std::fs::remove_file(&path).unwrap();
    let back = read_back(&m, 0..1);
    assert!(text(&back[0]).contains("gone"), "{:?}", back[0]);
    assert!(shown.len() > 20);
}

#[test]
fn stream_lines_and_markers_say_what_they_are() {
    let mut m = model(2);
    let mut batch = LineBatch::new(1);
    for l in ["one", "two", "three"] {
        batch.push(l.as_bytes());
    }
    // No span: a stream (stdin, a command, syslog).
    m.ingest(SourceId(0), &batch);
    m.notice(
        SourceId(0),
        vpnwatch::vocab::Notice::Truncated("asa.log".into()),
    );
    let mut batch = LineBatch::new(1);
    for l in ["four", "five"] {
        batch.push(l.as_bytes());
    }
    m.ingest(SourceId(0), &batch);
    assert_eq!(m.headend.evicted(), 4);
    let back = read_back(&m, 0..4);
    assert!(text(&back[0]).contains("stream"), "{:?}", back[0]);
    assert!(text(&back[3]).contains("truncated"), "{:?}", back[3]);
    assert!(matches!(&back[3], RecalledLine::Line(_, meta) if meta.kind == LineKind::Marker));
    // The view scrolls back to the marker, not into the stream lines.
    assert_eq!(m.headend.oldest_viewable(), 3);
}

/// The lines around a span, for an evidence bundle's context: complete
/// lines only, as many as asked and as the file has, an unterminated last
/// line at the file's end included; a rewritten span is still an error.
#[test]
fn lines_around_a_span_are_read_with_it() {
    use std::sync::Arc;
    use vpnwatch::source::recall::{Expect, line_hash, read_span_around};
    use vpnwatch::vocab::{FileKey, FileSpan};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    let lines: Vec<String> = (1..=10).map(|n| format!("line {n}")).collect();
    // The last line has no newline.
    std::fs::write(&path, lines.join("\n")).unwrap();
    let offset = |n: usize| -> u64 { lines[..n].iter().map(|l| l.len() as u64 + 1).sum() };
    let file = Arc::new(FileKey {
        path: path.clone(),
        id: None,
    });
    // Lines `from..=to` (1-based) as a span.
    let span = |from: usize, to: usize| {
        let span = FileSpan {
            file: file.clone(),
            start: offset(from - 1),
            end: offset(to).min(std::fs::metadata(&path).unwrap().len()),
        };
        let expect = Expect {
            lines: (to - from + 1) as u64,
            first_hash: line_hash(lines[from - 1].as_bytes()),
            last_hash: line_hash(lines[to - 1].as_bytes()),
            first_continued: false,
        };
        (span, expect)
    };
    let texts = |pieces: &[(Vec<u8>, bool)]| -> Vec<String> {
        pieces
            .iter()
            .map(|(b, _)| String::from_utf8_lossy(b).into_owned())
            .collect()
    };
    let (s, e) = span(4, 6);
    let around = read_span_around(&s, 200, e, 2, 2).unwrap();
    assert_eq!(texts(&around.before), ["line 2", "line 3"]);
    assert_eq!(texts(&around.lines), ["line 4", "line 5", "line 6"]);
    assert_eq!(texts(&around.after), ["line 7", "line 8"]);
    // At the file's start and end: what there is.
    let (s, e) = span(1, 2);
    let around = read_span_around(&s, 200, e, 3, 0).unwrap();
    assert!(around.before.is_empty());
    assert!(around.after.is_empty());
    let (s, e) = span(8, 8);
    let around = read_span_around(&s, 200, e, 0, 5).unwrap();
    assert_eq!(texts(&around.after), ["line 9", "line 10"]);
    // Other bytes where the span was: an error, not other lines.
    let (s, mut e) = span(4, 6);
    e.first_hash = line_hash(b"something else");
    assert!(read_span_around(&s, 200, e, 2, 2).is_err());
}
