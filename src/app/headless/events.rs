//! `vpnwatch events`: one JSON object per recognised line, each with its
//! attempt's final cause; the record format is shared with `events
//! --follow`.

use std::io::{self, BufWriter, Write};

use jiff::Timestamp;
use serde::Serialize;

use super::scan_report::{join_warning, unrecognised_warnings};
use super::{HeadlessFile, read_all};
use crate::app::spool::Spool;
use crate::engine::incident::{Applied, IncidentLimits};
use crate::engine::{CauseUpdate, Incident};
use crate::parse::{self, ParseContext};
use crate::vocab::{Cause, Family};

/// One line of `events` output. Field names are a contract for scripts.
#[derive(Serialize)]
struct EventRecord<'a> {
    source: &'a str,
    line: u64,
    family: Family,
    ts: Option<Timestamp>,
    /// Where `ts` came from when not the line's own header: `envelope`
    /// (its JSON record) or `read` (when vpnwatch read it); absent otherwise.
    #[serde(skip_serializing_if = "is_line_time")]
    ts_from: parse::TimeFrom,
    host: Option<&'a str>,
    msg_id: Option<&'a str>,
    outcome: parse::Outcome,
    /// `management` for a login to the headend itself (ASDM, SSH, console),
    /// `vpn` for everything else.
    kind: &'static str,
    cause: Option<Cause>,
    /// True on the line that counted as a new failed attempt.
    attempt: bool,
    /// Present (true) on a client failure line that follows the line
    /// opening its attempt: context, not another failure.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    follow_on: bool,
    /// Present (true) on a copy of a headend line that another source
    /// already delivered (a relay and the headend's file): shown, not
    /// counted again.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    duplicate: bool,
    user: Option<&'a str>,
    client_ip: Option<&'a str>,
    group: Option<&'a str>,
    server: Option<&'a str>,
    reason: Option<&'a str>,
    raw: &'a str,
}

fn is_line_time(t: &parse::TimeFrom) -> bool {
    matches!(t, parse::TimeFrom::Line | parse::TimeFrom::Missing)
}

/// `vpnwatch events`: NDJSON, one object per recognised line, each with
/// its attempt's final cause.
///
/// A later line (an auth-server verdict, a more specific follow-up) can
/// change the cause of an attempt printed before it, possibly from another
/// file. The files are read once: when they are all regular files, the
/// records wait in a [`Spool`] until every cause is final, and are then
/// printed with them. Input that is not (a pipe) is printed as it is read,
/// and a changed cause is printed as an `{"update": …}` record, as
/// `events --follow` does.
///
/// Returns whether any file had a line recognised: when none did, the
/// command fails as `scan` does (an empty stream is no all-clear).
pub fn events(
    files: &[HeadlessFile],
    ctx: &ParseContext,
    limits: IncidentLimits,
    out: impl Write,
) -> anyhow::Result<bool> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let regular = files
        .iter()
        .all(|f| std::fs::metadata(&f.path).is_ok_and(|m| m.is_file()));
    let mut spool = if regular { Some(Spool::new()?) } else { None };
    let mut names = LineNames::default();
    let mut incident = Incident::for_sources(files.iter().map(|f| f.family), limits);
    let summaries = read_all(files, u64::MAX, ctx, &mut incident, |seen| {
        if let Some(spool) = &mut spool {
            spool.update(seen.updates);
        }
        let Some(ev) = seen.event else {
            return Ok(());
        };
        let source = seen.path.to_string_lossy();
        let cause = seen.applied.cause.or(ev.cause);
        let write = |w: &mut dyn Write| {
            write_event(w, &source, seen.line_no, seen.raw, ev, cause, seen.applied)
        };
        match &mut spool {
            Some(spool) => spool.record(seen.index, write)?,
            None => {
                write(&mut out)?;
                names.note(seen.index, &source, seen.line_no, seen.applied);
                names.write_updates(&mut out, seen.updates)?;
            }
        }
        Ok(())
    })?;
    if let Some(spool) = spool {
        spool.finish(&mut out)?;
    }
    out.flush()?;
    for w in unrecognised_warnings(&summaries) {
        eprintln!("vpnwatch: {w}");
    }
    if let Some(w) = join_warning(&incident, &summaries) {
        eprintln!("vpnwatch: {w}");
    }
    if let Some(note) = crate::engine::incident::unmatched_note(incident.unmatched_auth_failures())
    {
        eprintln!("vpnwatch: {note}");
    }
    Ok(summaries.iter().any(|s| s.recognised > 0))
}

/// Where the lines a cause update may name came from: the source and line
/// number of the latest failure and evidence lines, by engine index, so an
/// `{"update": …}` record can name its line.
#[derive(Default)]
pub(crate) struct LineNames {
    lines: std::collections::VecDeque<(u64, String, u64)>,
}

/// Lines [`LineNames`] remembers; an attempt's lines are seconds apart, so
/// an update never names a line this far back.
const NAMED_LINES_CAP: usize = 65_536;

impl LineNames {
    /// Remembers a line the engine gave a cause (only such lines change).
    pub(crate) fn note(&mut self, index: u64, source: &str, line_no: u64, applied: Applied) {
        if applied.cause.is_none() {
            return;
        }
        if self.lines.len() >= NAMED_LINES_CAP {
            self.lines.pop_front();
        }
        self.lines.push_back((index, source.to_string(), line_no));
    }

    /// Writes one `{"update": {"source", "line", "cause"}}` record per
    /// update whose line is remembered.
    pub(crate) fn write_updates(
        &self,
        mut out: impl Write,
        updates: &[CauseUpdate],
    ) -> io::Result<()> {
        for u in updates {
            let Ok(at) = self.lines.binary_search_by_key(&u.index, |(i, _, _)| *i) else {
                continue;
            };
            let (_, source, line) = &self.lines[at];
            let record = UpdateRecord {
                update: CauseUpdateRecord {
                    source,
                    line: *line,
                    cause: u.cause,
                },
            };
            serde_json::to_writer(&mut out, &record)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// `{"update": …}`: a line printed before now has another cause.
#[derive(Serialize)]
struct UpdateRecord<'a> {
    update: CauseUpdateRecord<'a>,
}

#[derive(Serialize)]
struct CauseUpdateRecord<'a> {
    source: &'a str,
    line: u64,
    cause: Cause,
}

/// Writes one `events` record (and its newline) for a recognised line with
/// the cause the engine gives it; the same contract for `events --follow`
/// (see `follow.rs`).
pub(crate) fn write_event(
    mut out: impl Write,
    source: &str,
    line: u64,
    raw: &str,
    ev: &parse::Event,
    cause: Option<Cause>,
    applied: Applied,
) -> io::Result<()> {
    let record = EventRecord {
        source,
        line,
        family: ev.family,
        ts: ev.ts,
        ts_from: ev.ts_from,
        host: ev.host,
        msg_id: ev.msg_id,
        outcome: ev.role.management_outcome().unwrap_or(ev.outcome),
        kind: if ev.role.is_management() {
            "management"
        } else {
            "vpn"
        },
        cause,
        attempt: applied.new_attempt,
        follow_on: applied.follow_on,
        duplicate: applied.duplicate,
        user: ev.user,
        client_ip: ev.client_ip,
        group: ev.group,
        server: ev.server,
        reason: ev.reason,
        raw,
    };
    serde_json::to_writer(&mut out, &record)?;
    out.write_all(b"\n")
}
