//! `vpnwatch events --follow`: the dashboard's tailer without the dashboard.
//!
//! Sources are planned and started by [`super::sources`], exactly as the
//! dashboard starts them, and their batches are parsed and applied to an
//! [`Incident`] one line at a time, as the engine does. Each recognised line
//! is printed as one NDJSON record (the `events` format, written by
//! [`headless::write_event`]) as soon as its batch arrives; stdout is flushed
//! after every drained burst, so a pipe sees lines live. Unrecognised lines
//! and the continuation pieces of cut lines are not printed (as in `events`).
//! Source notices (waiting, rotated, truncated, errors) go to stderr.
//!
//! Runs until SIGTERM, SIGINT or SIGHUP, or until every source has finished
//! (stdin closed; followed files never finish).

use std::io::Write;

use anyhow::Context;
use tokio::sync::mpsc;

use super::headless;
use super::sources::{self, Planned, SourceSettings};
use super::{Input, console};
use crate::engine::{Incident, IncidentLimits, LineRef};
use crate::parse::ParseContext;
use crate::parse::reader::RecordReader;
use crate::sanitize::sanitize_str;
use crate::source::SourceMsg;
use crate::vocab::Family;
use crate::vocab::{LineBatch, Notice, SourceId};

/// Everything `events --follow` needs, resolved from the command line.
pub struct FollowConfig {
    pub inputs: Vec<Input>,
    /// Family of each input, in the same order.
    pub families: Vec<Family>,
    pub ingest: SourceSettings,
    /// How lines are parsed (year, `--tz`, `--json-field`).
    pub ctx: ParseContext,
    /// The incident's bounds (`--max-users`).
    pub limits: IncidentLimits,
}

/// Follows the sources, writing NDJSON to `out` and notices to `err`.
pub async fn run(config: FollowConfig, out: impl Write, mut err: impl Write) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut sigterm = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut sighup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;

    let plan = sources::plan(&config.inputs, &config.families, &config.ingest);
    let (tx, mut rx) = mpsc::channel(console::CHANNEL_BATCHES);
    // `events --follow` prints the backlog lines; nothing is counted here.
    sources::start(&plan, &config.ingest, &[], &tx).await?;
    // The sources hold the other senders: when all have finished, `recv`
    // returns `None`.
    drop(tx);

    // One reader per source, as the dashboard has: formats with multi-line
    // records are assembled, and a client log gets its --user.
    let readers = plan
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let input = config.inputs.get(i);
            RecordReader::new(
                p.family,
                input.and_then(|i| i.format),
                input.and_then(|i| i.user.clone()),
                config.ctx.clone(),
            )
            .for_source(&p.name)
        })
        .collect();
    let mut printer = Printer {
        plan: &plan,
        readers,
        incident: Incident::for_sources(plan.iter().map(|p| p.family), config.limits),
        index: 0,
        names: headless::LineNames::default(),
        detect: plan
            .iter()
            .enumerate()
            .map(|(i, _)| {
                config
                    .inputs
                    .get(i)
                    .is_some_and(|input| console::late_detection(input).1)
            })
            .collect(),
        ctx: config.ctx,
        users: config.inputs.iter().map(|i| i.user.clone()).collect(),
        out: std::io::BufWriter::with_capacity(1 << 16, out),
    };
    loop {
        let msg = tokio::select! {
            msg = rx.recv() => msg,
            _ = sigterm.recv() => None,
            _ = sighup.recv() => None,
            _ = sigint.recv() => None,
        };
        let Some(msg) = msg else { break };
        printer.handle(msg, &mut err)?;
        // Everything already queued goes out with one flush.
        while let Ok(more) = rx.try_recv() {
            printer.handle(more, &mut err)?;
        }
        printer.out.flush()?;
    }
    printer.out.flush()?;
    Ok(())
}

struct Printer<'a, W: Write> {
    plan: &'a [Planned],
    readers: Vec<RecordReader>,
    incident: Incident,
    /// Records applied so far: each record's index in the engine.
    index: u64,
    /// Where the lines an `{"update": …}` record may name came from.
    names: headless::LineNames,
    /// Per source: its format is still to be detected from the first lines
    /// that arrive (the file was missing or empty at start; as the
    /// dashboard does, see `Model::detect_late`).
    detect: Vec<bool>,
    ctx: ParseContext,
    /// Per input, its `--user`.
    users: Vec<Option<String>>,
    out: std::io::BufWriter<W>,
}

impl<W: Write> Printer<'_, W> {
    fn handle(&mut self, msg: SourceMsg, err: &mut impl Write) -> std::io::Result<()> {
        match msg {
            SourceMsg::Lines(id, batch) => self.lines(id, &batch),
            SourceMsg::Notice(id, notice) => {
                if matches!(
                    notice,
                    Notice::Finished
                        | Notice::Rotated(_)
                        | Notice::Truncated(_)
                        | Notice::Removed(_)
                ) {
                    // A record never spans two files, nor the end of the input.
                    self.finish_records(id)?;
                }
                let name = self.planned(id).map_or("?", |p| p.name.as_str());
                if let Some(text) = notice_line(&notice) {
                    // stderr is usually a terminal: log text is sanitised.
                    let _ = writeln!(err, "vpnwatch: {}: {}", sanitize_str(name), text);
                }
                Ok(())
            }
        }
    }

    fn planned(&self, id: SourceId) -> Option<&Planned> {
        self.plan.get(usize::from(id.0))
    }

    fn lines(&mut self, id: SourceId, batch: &LineBatch) -> std::io::Result<()> {
        let i = usize::from(id.0);
        if self.detect.get(i).copied().unwrap_or(false) && !batch.is_empty() {
            self.detect[i] = false;
            let texts: Vec<String> = batch
                .line_refs()
                .take(200)
                .map(|l| String::from_utf8_lossy(l.bytes).into_owned())
                .collect();
            let lines: Vec<&str> = texts.iter().map(String::as_str).collect();
            if let (Some(format), Some(reader), Some(planned)) = (
                crate::parse::formats::detect_format(&lines),
                self.readers.get_mut(i),
                self.plan.get(i),
            ) {
                let user = self.users.get(i).cloned().flatten();
                // For this source, as at start: its `--tz FILE=ZONE` applies.
                *reader = RecordReader::new(format.family(), Some(format), user, self.ctx.clone())
                    .for_source(&planned.name);
                // A stream found to be a headend log: copies of its lines in
                // another headend source count once.
                let headends = self
                    .readers
                    .iter()
                    .filter(|r| r.family() == crate::vocab::Family::Headend)
                    .count();
                self.incident.set_headend_sources(headends);
            }
        }
        let (Some(planned), Some(reader)) = (self.plan.get(i), self.readers.get_mut(i)) else {
            return Ok(());
        };
        let mut result = Ok(());
        self.incident.set_source(id);
        for line in batch.line_refs() {
            if line.continued {
                continue;
            }
            let text = String::from_utf8_lossy(line.bytes);
            let source = line.origin.unwrap_or(&planned.name);
            let (incident, out) = (&mut self.incident, &mut self.out);
            let (index, names) = (&mut self.index, &mut self.names);
            reader.feed(&text, |record, event, repeats| {
                if let Some(ev) = event
                    && result.is_ok()
                {
                    result = print_record(
                        incident,
                        (index, names),
                        &mut *out,
                        (source, line.line_no, record),
                        &ev,
                        repeats,
                    );
                }
            });
        }
        result
    }

    /// Prints whatever record a source was assembling when its input ended.
    fn finish_records(&mut self, id: SourceId) -> std::io::Result<()> {
        let i = usize::from(id.0);
        let (Some(planned), Some(reader)) = (self.plan.get(i), self.readers.get_mut(i)) else {
            return Ok(());
        };
        let mut result = Ok(());
        self.incident.set_source(id);
        let (incident, out) = (&mut self.incident, &mut self.out);
        let (index, names) = (&mut self.index, &mut self.names);
        reader.finish(|record, event, repeats| {
            if let Some(ev) = event
                && result.is_ok()
            {
                result = print_record(
                    incident,
                    (index, names),
                    &mut *out,
                    (&planned.name, 0, record),
                    &ev,
                    repeats,
                );
            }
        });
        result
    }
}

/// Applies one record, prints it with the cause the engine gives it, then
/// an `{"update": …}` record for each earlier line whose cause it changed.
fn print_record(
    incident: &mut Incident,
    (index, names): (&mut u64, &mut headless::LineNames),
    mut out: impl Write,
    (source, line_no, raw): (&str, u64, &str),
    ev: &crate::vocab::Event,
    repeats: u32,
) -> std::io::Result<()> {
    let line = LineRef {
        family: ev.family,
        index: *index,
        ts: ev.ts,
        cause: None,
    };
    let applied = incident.apply_repeated(ev, line, repeats);
    names.note(*index, source, line_no, applied);
    *index += 1;
    let cause = applied.cause.or(ev.cause);
    headless::write_event(&mut out, source, line_no, raw, ev, cause, applied)?;
    names.write_updates(&mut out, &incident.take_cause_updates())
}

/// A notice as one line of text for stderr; `None` for routine ones.
fn notice_line(notice: &Notice) -> Option<String> {
    let path = |p: &std::path::Path| sanitize_str(&p.display().to_string());
    Some(match notice {
        Notice::Waiting(p) => format!("waiting for {}", path(p)),
        Notice::Rotated(p) => format!("{} rotated; following the new file", path(p)),
        Notice::Truncated(p) => format!("{} truncated; reading from the start", path(p)),
        Notice::Removed(p) => format!("{} removed", path(p)),
        Notice::Skipped(n) => format!("{n} earlier bytes not read (--backlog)"),
        Notice::Error(e) => format!("error: {}", sanitize_str(e)),
        Notice::Polling(e) => sanitize_str(e),
        Notice::Status(s) => sanitize_str(s),
        Notice::Finished => "finished".to_string(),
        Notice::Stats(s) => format!(
            "{} received, {} dropped, {} truncated, {} malformed, {} from disallowed senders, {} dropped by the kernel",
            s.received, s.dropped, s.truncated, s.malformed, s.disallowed, s.kernel_dropped
        ),
        Notice::Opened(_) | Notice::Pending(_) => return None,
    })
}
