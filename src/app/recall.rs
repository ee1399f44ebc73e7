//! Reads lines a pane no longer keeps back from their files, for the
//! console: the pane's [`RecallIndex`](crate::pipeline::recall::RecallIndex)
//! says where they are, [`crate::source::recall`] reads and checks them, and
//! this module styles them the way the pane styles kept lines.
//!
//! Lines read back are styled by a parser configured like their source's,
//! fed the window's lines in order; a multi-line record cut by the window's
//! start is shown unstyled, its text exact.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use crate::engine::client_attempts::ClientAttempts;
use crate::parse::reader::RecordReader;
use crate::pipeline::LineKind;
use crate::pipeline::compact_of;
use crate::pipeline::lines::Compact;
use crate::pipeline::lines::LineMeta;
use crate::pipeline::recall::{Recalled, RecalledLine, Run, RunKind};
use crate::source::recall::{Piece, read_span};
use crate::vocab::SourceId;

/// Lines read around the ones on screen, so that scrolling a few pages does
/// not read again.
pub const MARGIN: u64 = 1_000;

/// The lines `range` of a pane whose index returned `runs` (see
/// [`RecallIndex::runs_for`](crate::pipeline::recall::RecallIndex::runs_for)).
/// Lines no run covers, or whose file cannot give them back, are
/// [`RecalledLine::Missing`] with the reason.
pub fn read(
    runs: &[Run],
    range: Range<u64>,
    readers: &mut [Option<RecordReader>],
    max_line: usize,
) -> Recalled {
    let forgotten: Arc<str> = "older than the recall index (raise --retain to keep more)".into();
    let mut read_back: HashMap<u64, Result<Vec<Piece>, Arc<str>>> = HashMap::new();
    let mut lines = Vec::with_capacity(usize::try_from(range.end - range.start).unwrap_or(0));
    // The window's lines in order: the follow-on lines of a client attempt
    // are muted here as when they arrived.
    let mut attempts = ClientAttempts::default();
    for index in range.clone() {
        let Some(run) = runs.iter().find(|r| r.range().contains(&index)) else {
            lines.push(RecalledLine::Missing(forgotten.clone()));
            continue;
        };
        let offset = index - run.first;
        let line = match &run.kind {
            RunKind::Marker { source, text } => RecalledLine::Line(
                text.to_vec(),
                LineMeta {
                    source: *source,
                    line_no: 0,
                    kind: LineKind::Marker,
                    compact: Compact::default(),
                },
            ),
            RunKind::Stream { .. } => RecalledLine::Missing(
                "read from a stream, which cannot be read again (raise --retain to keep more)"
                    .into(),
            ),
            RunKind::File {
                source,
                first_line_no,
                ..
            } => {
                let got = read_back.entry(run.first).or_insert_with(|| {
                    let (span, expect) = run.expect().ok_or_else(|| Arc::<str>::from("no span"))?;
                    read_span(span, max_line, expect).map_err(|e| e.to_string().into())
                });
                match got {
                    Ok(pieces) => match usize::try_from(offset).ok().and_then(|i| pieces.get(i)) {
                        Some((bytes, continued)) => {
                            let (kind, compact) =
                                kind_of(bytes, *continued, readers, *source, &mut attempts);
                            RecalledLine::Line(
                                bytes.clone(),
                                LineMeta {
                                    source: *source,
                                    line_no: first_line_no + offset,
                                    kind,
                                    compact,
                                },
                            )
                        }
                        None => RecalledLine::Missing("the file changed".into()),
                    },
                    Err(why) => RecalledLine::Missing(why.clone()),
                }
            }
        };
        lines.push(line);
    }
    Recalled {
        first: range.start,
        lines,
    }
}

/// How the pane styles a line read back: parsed by a reader configured like
/// its source's, fed the lines of the window in order.
fn kind_of(
    bytes: &[u8],
    continued: bool,
    readers: &mut [Option<RecordReader>],
    source: SourceId,
    attempts: &mut ClientAttempts,
) -> (LineKind, Compact) {
    if continued {
        return (LineKind::Continuation, Compact::default());
    }
    let Some(reader) = readers
        .get_mut(usize::from(source.0))
        .and_then(Option::as_mut)
    else {
        return (LineKind::Plain, Compact::default());
    };
    let mut kind = LineKind::Plain;
    let mut compact = Compact::default();
    let text = String::from_utf8_lossy(bytes);
    reader.feed(&text, |record, event, _| {
        if let Some(ev) = event {
            kind = LineKind::shown(ev.outcome, ev.cause, attempts.follow_on(&ev, ev.ts));
            compact = compact_of(bytes, record, &ev);
        }
    });
    (kind, compact)
}
