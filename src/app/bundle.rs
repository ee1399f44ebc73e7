//! Writing an evidence bundle: reads the logs through the one reading path
//! ([`super::read`]), asks [`crate::engine::evidence`] for the files, and
//! writes them as one `.tar.gz`. Used by `e` in the dashboard (on a
//! blocking thread, off the event loop and without the model's lock) and by
//! `vpnwatch bundle`.
//!
//! Logs are streamed, never held whole: a first pass applies every record
//! to an incident (the engine decides each failure's cause and the user's
//! client IPs, and files the user's lines with it), a second finds the
//! user's records, and a third copies those lines and their context. What
//! is kept in memory is the incident, the user's line numbers and the
//! excerpt itself.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use flate2::Compression;
use flate2::write::GzEncoder;
use jiff::Timestamp;

use super::headless::HeadlessFile;
use super::read::{self, ReadCounts};
use crate::engine::evidence::{
    self, BundleFile, BundleRequest, ClientHosts, Excerpt, ExcerptWriter, Redactor, Seen, UserMatch,
};
use crate::engine::{Checklist, Incident, IncidentLimits, LineRef, UserKey, UserStats};
use crate::parse::ParseContext;
use crate::source::lines::{DEFAULT_MAX_LINE, for_each_line};
use crate::vocab::{Cause, Family};

/// What the first pass over the logs learnt.
pub struct Survey {
    /// Every record applied, in order, file after file.
    pub incident: Incident,
    /// Per file, what it read.
    pub counts: Vec<ReadCounts>,
    /// Per file, for client logs, the names each laptop logged.
    hosts: Vec<ClientHosts>,
    /// Names, IPs and hosts for redaction (collected when asked).
    seen: Option<Seen>,
}

/// Line references filed with the engine during the survey: the file's
/// position in the list in the high bits, the record's last line below.
const LINE_BITS: u32 = 40;

fn line_key(file: usize, line: u64) -> u64 {
    ((file as u64) << LINE_BITS) | (line & ((1 << LINE_BITS) - 1))
}

/// Stops a pass when `cancel` is set (the dashboard quit).
fn check(cancel: &AtomicBool) -> io::Result<()> {
    if cancel.load(Ordering::Relaxed) {
        return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
    }
    Ok(())
}

/// The first pass: every record of every file applied to one incident (as
/// `scan` would), with each record's line filed under its users.
pub fn survey(
    files: &[HeadlessFile],
    ctx: &ParseContext,
    limits: IncidentLimits,
    redact: bool,
    cancel: &AtomicBool,
) -> anyhow::Result<Survey> {
    let mut incident = Incident::for_sources(files.iter().map(|f| f.family), limits);
    let mut seen = redact.then(Seen::default);
    let mut counts = Vec::new();
    let mut hosts = Vec::new();
    for (i, file) in files.iter().enumerate() {
        incident.set_source(crate::vocab::SourceId(u16::try_from(i).unwrap_or(u16::MAX)));
        let mut laptops = ClientHosts::default();
        let c = read::read_file(file, u64::MAX, ctx, |record| {
            check(cancel)?;
            if let Some(seen) = &mut seen {
                seen.see(record.text, record.event);
            }
            let Some(ev) = record.event else {
                return Ok(());
            };
            if file.family == Family::Client {
                laptops.see(ev);
            }
            let line = LineRef {
                family: file.family,
                index: line_key(i, *record.lines.end()),
                ts: ev.ts.or(incident.latest()),
                cause: None,
            };
            for _ in 0..record.repeats {
                incident.apply_line(ev, line);
            }
            Ok(())
        })?;
        counts.push(c);
        hosts.push(laptops);
    }
    Ok(Survey {
        incident,
        counts,
        hosts,
        seen,
    })
}

/// The user a name on the command line means: a user name (any case), a
/// hidden user's client IP, or `(hidden) IP` / `(spray) IP` as the users
/// pane shows them.
pub fn find_user(incident: &Incident, name: &str) -> Option<(UserKey, UserStats)> {
    let name = name.trim();
    let spray = name.strip_prefix("(spray)").map(str::trim);
    let ip = name.strip_prefix("(hidden)").map(str::trim).unwrap_or(name);
    incident
        .users()
        .find(|(k, _)| match k {
            UserKey::Named(n) => n.eq_ignore_ascii_case(name),
            UserKey::Hidden(h) => spray.is_none() && h == ip,
            UserKey::Spray(h) => spray == Some(h.as_str()),
            UserKey::Other(_) => false,
        })
        .map(|(k, s)| (k.clone(), s.clone()))
}

/// The user's lines of each file, with their context: the second pass
/// finds the user's records, the third copies their lines.
pub fn excerpts(
    files: &[HeadlessFile],
    survey: &Survey,
    user: &UserKey,
    stats: Option<&UserStats>,
    context: usize,
    ctx: &ParseContext,
    cancel: &AtomicBool,
) -> anyhow::Result<Vec<Excerpt>> {
    let matcher = UserMatch::for_user(user, stats);
    // The cause the engine gave each of the user's failure lines it filed.
    let mut causes: HashMap<u64, Cause> = HashMap::new();
    if let Some(filed) = survey.incident.user(user) {
        for line in &filed.lines {
            if let Some(c) = line.cause {
                causes.insert(line.index, c);
            }
        }
    }
    let mut out = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let laptops = survey
            .hosts
            .get(i)
            .map(|h| h.laptops(&matcher))
            .unwrap_or_default();
        let mut marked: Vec<(u64, Option<Cause>)> = Vec::new();
        read::read_file(file, u64::MAX, ctx, |record| {
            check(cancel)?;
            if let Some(ev) = record.event
                && matcher.matches(ev, &laptops)
            {
                let end = *record.lines.end();
                for n in record.lines.clone() {
                    let cause = (n == end)
                        .then(|| causes.get(&line_key(i, end)).copied())
                        .flatten();
                    marked.push((n, cause));
                }
            }
            Ok(())
        })?;
        // ISE segments can complete out of order.
        marked.sort_by_key(|m| (m.0, m.1.is_none()));
        marked.dedup_by_key(|m| m.0);
        let lines = survey.counts.get(i).map_or(0, |c| c.lines);
        let numbers: Vec<u64> = marked.iter().map(|m| m.0).collect();
        let ranges = evidence::with_context(&numbers, lines, context as u64);
        let mut writer = ExcerptWriter::new(&ranges, &marked);
        if !ranges.is_empty() {
            let name = || file.path.display().to_string();
            let input = File::open(&file.path).with_context(name)?;
            let mut failed = None;
            for_each_line(input, DEFAULT_MAX_LINE, |n, bytes| {
                if failed.is_none() && !writer.done(n) {
                    match check(cancel) {
                        Ok(()) => writer.line(n, &String::from_utf8_lossy(bytes)),
                        Err(e) => failed = Some(e),
                    }
                }
            })
            .with_context(name)?;
            if let Some(e) = failed {
                return Err(anyhow::Error::from(e).context(name()));
            }
        }
        out.push(Excerpt {
            name: file
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.path.display().to_string()),
            family: file.family,
            lines,
            matched: numbers.len() as u64,
            text: writer.finish(),
        });
    }
    Ok(out)
}

/// What to bundle and where.
pub struct BundleJob {
    pub user: UserKey,
    /// The user's statistics, when the caller has them (the dashboard's
    /// incident); else those the first pass finds.
    pub stats: Option<UserStats>,
    pub files: Vec<HeadlessFile>,
    pub checklist: Checklist,
    pub context: usize,
    pub redact: bool,
    pub operator: String,
    /// How the files are parsed (year, `--tz`, `--json-field`).
    pub ctx: ParseContext,
    /// The bounds of the incident the first pass builds (`--max-users`).
    pub limits: IncidentLimits,
    /// The `.tar.gz` to write; default: `<bundle name>.tar.gz` in `dir`.
    pub out: Option<PathBuf>,
    pub dir: PathBuf,
    pub taken_at: Timestamp,
    /// The incident's now, for the user's state ([`crate::engine::Incident::now`]).
    pub incident_now: Option<Timestamp>,
}

/// Reads the logs, builds the bundle and writes it; returns its path.
/// Blocking, and slow on large logs: the dashboard runs it on a blocking
/// thread with copies of what it needs. `cancel` stops it between records.
pub fn write(job: &BundleJob, cancel: &AtomicBool) -> anyhow::Result<PathBuf> {
    let survey = survey(&job.files, &job.ctx, job.limits, job.redact, cancel)?;
    let stats = job
        .stats
        .clone()
        .or_else(|| survey.incident.user(&job.user).cloned());
    write_surveyed(job, &survey, &job.user, stats.as_ref(), cancel)
}

/// [`write`] after the first pass (`vpnwatch bundle` looks the user up in
/// the survey first).
pub fn write_surveyed(
    job: &BundleJob,
    survey: &Survey,
    user: &UserKey,
    stats: Option<&UserStats>,
    cancel: &AtomicBool,
) -> anyhow::Result<PathBuf> {
    let sources = excerpts(
        &job.files,
        survey,
        user,
        stats,
        job.context,
        &job.ctx,
        cancel,
    )?;
    let redactor = survey.seen.as_ref().map(|seen| Redactor::new(user, seen));
    let (name, files) = evidence::build(&BundleRequest {
        user,
        stats,
        sources: &sources,
        context: job.context,
        redactor: redactor.as_ref(),
        checklist: &job.checklist,
        taken_at: job.taken_at,
        incident_now: job.incident_now,
        operator: &job.operator,
        time_marks: Some(survey.incident.time_marks()),
    });
    let path = job
        .out
        .clone()
        .unwrap_or_else(|| job.dir.join(format!("{name}.tar.gz")));
    write_tar_gz(&path, &name, &files, job.taken_at)?;
    Ok(path)
}

/// Writes the files under `dir/` in a gzip'd tar: to a temporary file next
/// to `path`, fsynced, then renamed, so a half-written bundle never has the
/// final name.
pub fn write_tar_gz(
    path: &Path,
    dir: &str,
    files: &[BundleFile],
    taken_at: Timestamp,
) -> anyhow::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let named = || path.display().to_string();
    let tmp = tempfile::Builder::new()
        .prefix(".vpnwatch-bundle-")
        .tempfile_in(&parent)
        // tempfile's error names the temporary file; the user asked for `path`.
        .map_err(|e| {
            e.raw_os_error()
                .map(std::io::Error::from_raw_os_error)
                .unwrap_or_else(|| std::io::Error::from(e.kind()))
        })
        .with_context(named)?;
    {
        let gz = GzEncoder::new(tmp.as_file(), Compression::default());
        let mut tar = tar::Builder::new(gz);
        let mtime = taken_at.as_second().max(0) as u64;
        for file in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(file.bytes.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(mtime);
            header.set_entry_type(tar::EntryType::Regular);
            tar.append_data(
                &mut header,
                format!("{dir}/{}", file.path),
                file.bytes.as_slice(),
            )
            .with_context(named)?;
        }
        let mut gz = tar.into_inner().with_context(named)?;
        gz.flush().with_context(named)?;
        gz.finish().with_context(named)?;
    }
    tmp.as_file().sync_all().with_context(named)?;
    tmp.persist(path).map_err(|e| e.error).with_context(named)?;
    Ok(())
}
