//! What the new source notices do to the model and the screen: network
//! counters in the header, the polling fallback, a provisional (pending)
//! last line, continuation pieces of cut lines, and the backlog marker.

use std::sync::Arc;

mod common;

use common::{render, screen_text};
use vpnwatch::parse::ParseContext;
use vpnwatch::pipeline::{LineKind, Model, SourceState};
use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};
use vpnwatch::ui::{Theme, UiState};
use vpnwatch::vocab::Family;
use vpnwatch::vocab::{LineBatch, Notice, SourceId, SourceStats};

fn model() -> Model {
    let runbook = runbook::parse(DEFAULT_RUNBOOK).unwrap();
    Model::new(
        vec![SourceState::new(
            "udp://127.0.0.1:5514".into(),
            Family::Headend,
        )],
        &runbook,
        1000,
        ParseContext::for_year(2026),
    )
}

fn screen(model: &Model) -> String {
    let theme = Theme::load("default").unwrap();
    screen_text(&render(model, &UiState::default(), &theme, 160, 30))
}

#[test]
fn header_shows_drop_truncation_malformed_counts_and_polling() {
    let mut m = model();
    let s = screen(&m);
    assert!(!s.contains("dropped"), "nothing lost, nothing shown");
    let stats = SourceStats {
        received: 100,
        dropped: 7,
        truncated: 2,
        malformed: 3,
        ..SourceStats::default()
    };
    m.notice(SourceId(0), Notice::Stats(stats));
    m.notice(SourceId(0), Notice::Polling("inotify limit reached".into()));
    // Later routine notices do not hide the counters or the fallback.
    m.notice(SourceId(0), Notice::Opened("/x".into()));
    assert_eq!(m.sources[0].stats, stats);
    let s = screen(&m);
    assert!(s.contains("✖ 7 dropped"), "{s}");
    assert!(s.contains("✖ 2 truncated"), "{s}");
    assert!(s.contains("✖ 3 malformed"), "{s}");
    assert!(s.contains("polling: inotify limit reached"), "{s}");
}

#[test]
fn header_shows_disallowed_senders_and_kernel_drops() {
    let mut m = model();
    let s = screen(&m);
    assert!(
        !s.contains("disallowed") && !s.contains("by the kernel"),
        "{s}"
    );
    let stats = SourceStats {
        received: 100,
        disallowed: 4,
        kernel_dropped: 9,
        ..SourceStats::default()
    };
    m.notice(SourceId(0), Notice::Stats(stats));
    let s = screen(&m);
    assert!(s.contains("✖ 4 from disallowed senders"), "{s}");
    assert!(s.contains("✖ 9 dropped by the kernel"), "{s}");
}

#[test]
fn pending_line_is_shown_until_lines_arrive() {
    let mut m = model();
    m.notice(
        SourceId(0),
        Notice::Pending(b"<166>Nov 28 half a li\x1bne".to_vec()),
    );
    let s = screen(&m);
    assert!(s.contains("half a li"), "{s}");
    assert!(s.contains("(no newline yet)"), "{s}");
    // Sanitised like any log text.
    assert!(!s.contains('\x1b'));
    let mut batch = LineBatch::new(1);
    batch.push(b"<166>Nov 28 half a line, complete");
    m.ingest(SourceId(0), &batch);
    assert_eq!(m.sources[0].pending, None);
    let s = screen(&m);
    assert!(!s.contains("(no newline yet)"), "{s}");
    assert!(s.contains("complete"), "{s}");
}

#[test]
fn continuation_pieces_are_marked_and_not_parsed() {
    let mut m = model();
    let mut batch = LineBatch::new(1);
    batch.set_origin(Arc::from("udp://192.0.2.1:514"));
    batch.push_piece(
        b"<166>Nov 28 2026 10:00:00 fw1 : %ASA-6-113005: first piece",
        false,
    );
    batch.push_piece(b"%ASA-4-113005: AAA user authentication Rejected", true);
    m.ingest(SourceId(0), &batch);
    let kinds: Vec<LineKind> = (0..m.headend.len())
        .map(|i| m.headend.get(i).unwrap().1.kind)
        .collect();
    assert_eq!(kinds[1], LineKind::Continuation);
    let origins: Vec<_> = batch.line_refs().map(|l| l.origin).collect();
    assert_eq!(origins, [Some("udp://192.0.2.1:514"); 2]);
    assert!(screen(&m).contains("↪ %ASA-4-113005"));
}

#[test]
fn backlog_skip_leaves_a_marker_and_keeps_the_status() {
    let mut m = model();
    m.notice(SourceId(0), Notice::Waiting("/var/log/x".into()));
    m.notice(SourceId(0), Notice::Skipped(123_456));
    assert_eq!(
        m.sources[0].status,
        Some(Notice::Waiting("/var/log/x".into()))
    );
    assert!(screen(&m).contains("123456 earlier bytes not read"));
}

fn failure(user: &str, sec: u32) -> String {
    format!(
        "Dec  5 08:00:{sec:02} asa-fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = {user} : user IP = 192.0.2.{sec}"
    )
}

fn batch(first_line: u64, lines: &[String]) -> LineBatch {
    let mut b = LineBatch::new(first_line);
    for l in lines {
        b.push(l.as_bytes());
    }
    b
}

/// While the bytes before the backlog are counted in the background, the
/// backlog's lines are shown at once, counted only after the earlier ones,
/// and the header shows the progress; counting is exact either way.
#[test]
fn backlog_lines_show_at_once_and_count_after_the_earlier_bytes() {
    let mut m = model();
    m.hold_counting(vec![SourceId(0)], 2_000_000);
    m.notice(SourceId(0), Notice::Skipped(2_000_000));
    m.ingest(
        SourceId(0),
        &batch(1, &[failure("ann", 10), failure("bob", 11)]),
    );
    m.set_backlog_done(500_000);
    assert_eq!(m.headend.total(), 3, "marker and both lines shown");
    assert_eq!(m.incident.totals().failures, 0, "not counted yet");
    assert_eq!(
        m.headend.get(1).map(|(_, meta)| meta.kind),
        Some(LineKind::Plain)
    );
    let s = screen(&m);
    assert!(s.contains("counting earlier lines 25% (0 of 2 MB)"), "{s}");
    assert!(
        s.contains("2000000 earlier bytes counted, not shown"),
        "{s}"
    );
    // No "no failures" verdict while the earlier lines are not in.
    assert!(
        s.contains(" COUNTING ") && !s.contains("NO AUTH FAILURES"),
        "{s}"
    );
    assert!(
        s.contains("no verdict until the earlier lines are counted"),
        "{s}"
    );
    assert!(!s.contains("SCOPE NONE"), "{s}");

    // The earlier bytes held one failure of ann's, a minute before.
    let mut earlier = m.new_incident();
    let line = failure("ann", 1);
    let ev =
        vpnwatch::parse::parse_line(&line, Family::Headend, &ParseContext::for_year(2026)).unwrap();
    earlier.apply(&ev);
    m.release(Some(earlier));
    assert_eq!(m.backlog_progress(), None);
    assert_eq!(m.incident.totals().failures, 3);
    let ann = vpnwatch::engine::UserKey::Named("ann".into());
    assert_eq!(m.incident.user(&ann).map(|s| s.failures), Some(2));
    assert!(matches!(
        m.headend.get(1).map(|(_, meta)| meta.kind),
        Some(LineKind::Event { .. })
    ));
    let s = screen(&m);
    assert!(
        !s.contains("counting earlier lines") && !s.contains(" COUNTING "),
        "{s}"
    );
    assert!(s.contains("SCOPE "), "{s}");
    // After the release, lines are counted as they arrive.
    m.ingest(SourceId(0), &batch(3, &[failure("cy", 12)]));
    assert_eq!(m.incident.totals().failures, 4);
}

/// A failed background count leaves the backlog counted on its own.
#[test]
fn a_release_without_the_earlier_count_still_counts_what_was_shown() {
    let mut m = model();
    m.hold_counting(vec![SourceId(0)], 10);
    m.ingest(SourceId(0), &batch(1, &[failure("ann", 10)]));
    assert_eq!(m.deferred_bytes(), failure("ann", 10).len());
    m.release(None);
    assert_eq!(m.incident.totals().failures, 1);
    assert_eq!(m.deferred_bytes(), 0);
}

/// A small file's earlier bytes can be counted before its tailer reports
/// where it started: the marker still says they were counted.
#[test]
fn the_backlog_marker_after_the_count_still_says_counted() {
    let mut m = model();
    m.hold_counting(vec![SourceId(0)], 10);
    m.release(Some(m.new_incident()));
    m.notice(SourceId(0), Notice::Skipped(10));
    assert!(screen(&m).contains("10 earlier bytes counted, not shown"));
}
