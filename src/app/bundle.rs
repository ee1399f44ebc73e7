//! Writing an evidence bundle: finds the user's lines, asks
//! [`crate::engine::evidence`] for the files, and writes them as one
//! `.tar.gz`. Two ways to find the lines, one layout:
//!
//! * `vpnwatch bundle` ([`survey`], [`write_surveyed`]) reads the logs
//!   whole through the one reading path ([`super::read`]), streamed, never
//!   held: a first pass applies every record to an incident (the engine
//!   decides each failure's cause and the user's client IPs, and files the
//!   user's lines with it), a second finds the user's records, and a third
//!   copies those lines and their context. What is kept in memory is the
//!   incident, the user's line numbers and the excerpt itself.
//! * `e` in the dashboard ([`write_filed`], on a blocking thread, off the
//!   event loop and without the model's lock) reads only the runs of lines
//!   that hold the lines the dashboard filed under the user
//!   ([`crate::pipeline::user_lines`]), with their context: its cost is
//!   the user's lines, not the size of the logs. What that leaves out
//!   (references past the per-user cap, lines from streams, the part of a
//!   file before `--backlog`'s first line) is named in the bundle's
//!   README, with the `vpnwatch bundle` command that gives every line.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{self, Write};
use std::ops::RangeInclusive;
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
use crate::engine::incident::USER_LINES_CAP;
use crate::engine::timemarks::TimeMarks;
use crate::engine::{Checklist, Incident, IncidentLimits, LineRef, UserKey, UserState, UserStats};
use crate::parse::ParseContext;
use crate::pipeline::recall::RunKind;
use crate::pipeline::user_lines::{FiledFile, FiledRun, UserLines};
use crate::plural::count;
use crate::source::lines::{DEFAULT_MAX_LINE, for_each_line};
use crate::source::recall::read_span_around;
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
                ts: ev.ts,
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
    // The cause the engine gave each of the user's failure lines it filed,
    // and every line it filed: a line the engine tied to the user by what
    // came before it (a debug trace's answer, whose session named the user
    // on an earlier line) is the user's too, as the dashboard's bundle
    // and drill-down show it.
    let mut causes: HashMap<u64, Cause> = HashMap::new();
    let mut filed: HashSet<u64> = HashSet::new();
    if let Some(stats) = survey.incident.user(user) {
        for line in &stats.lines {
            filed.insert(line.index);
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
            let end = *record.lines.end();
            if let Some(ev) = record.event
                && (matcher.matches(ev, &laptops) || filed.contains(&line_key(i, end)))
            {
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
            name: file_name(&file.path),
            family: file.family,
            lines,
            matched: numbers.len() as u64,
            text: writer.finish(),
        });
    }
    Ok(out)
}

/// What to bundle and where.
/// The user, the redaction and the incident's bounds are the survey's
/// (see [`write_surveyed`]).
pub struct BundleJob {
    pub files: Vec<HeadlessFile>,
    pub checklist: Checklist,
    pub context: usize,
    pub operator: String,
    /// How the files are parsed (year, `--tz`, `--json-field`).
    pub ctx: ParseContext,
    /// The `.tar.gz` to write; default: `<bundle name>.tar.gz` in `dir`.
    pub out: Option<PathBuf>,
    pub dir: PathBuf,
    pub taken_at: Timestamp,
}

/// Builds the bundle from the first pass and writes it; returns its path.
/// Blocking, and slow on large logs (two more passes); `cancel` stops it
/// between records.
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
        state: stats.map_or(UserState::Ok, |s| survey.incident.state_of(user, s)),
        operator: &job.operator,
        time_marks: Some(survey.incident.time_marks()),
        gaps: &[],
        filed: false,
        named: &named_attempts(&survey.incident, user),
    });
    let path = job
        .out
        .clone()
        .unwrap_or_else(|| job.dir.join(format!("{name}.tar.gz")));
    write_tar_gz(&path, &name, &files, job.taken_at)?;
    Ok(path)
}

/// What `e` bundles, copied out of the model under its lock.
pub struct FiledJob {
    pub user: UserKey,
    pub stats: Option<UserStats>,
    /// Where the user's filed lines are.
    pub lines: UserLines,
    pub checklist: Checklist,
    pub context: usize,
    pub operator: String,
    pub dir: PathBuf,
    pub taken_at: Timestamp,
    /// The user's state as the panes show it
    /// ([`crate::engine::Incident::state_of`]).
    pub state: UserState,
    pub time_marks: TimeMarks,
    /// Where a hidden user's attempts went once named.
    pub named: evidence::NamedAttempts,
    /// The line cap the sources read with, so lines come back as the
    /// panes showed them.
    pub max_line: usize,
    /// The command that bundles every line of the user's from the
    /// dashboard's files (`vpnwatch bundle --user …`).
    pub full_command: String,
}

/// What the bundle says of where `user`'s attempts went once named (a
/// hidden user's; empty for any other).
pub fn named_attempts(
    incident: &crate::engine::Incident,
    user: &UserKey,
) -> evidence::NamedAttempts {
    let (named, others) = incident.attempts_named(user);
    evidence::NamedAttempts {
        names: named.into_iter().map(|(k, n)| (k.to_string(), n)).collect(),
        others,
    }
}

/// A bundle `e` wrote: its path, and when it may lack some of the user's
/// lines (its README.txt says which), the command that gives them all.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    pub partial: Option<String>,
}

/// One file's share of a bundle made from filed lines: the user's lines
/// and the lines around them (numbered as in the file), never the whole of
/// what was read.
#[derive(Default)]
struct FileLines {
    text: BTreeMap<u64, String>,
    /// The user's lines, with the cause the engine gave a failure.
    marked: BTreeMap<u64, Option<Cause>>,
    /// For a client log, the names each laptop logged.
    hosts: ClientHosts,
    /// The file's lines read back (its own numbers), in the order read.
    covered: Vec<RangeInclusive<u64>>,
    /// The user's filed lines that could not be read again, and why.
    unread: u64,
    why: Option<String>,
}

/// A record read back: its lines (numbered as in the file), the cause the
/// engine gave it when the user's filed line completed it, whether it
/// names the user or comes from one of the user's client IPs, and the
/// laptop that logged it.
struct ReadRecord {
    lines: RangeInclusive<u64>,
    filed: Option<Option<Cause>>,
    direct: bool,
    host: Option<String>,
}

/// Writes `e`'s bundle: reads back the runs that hold the user's filed
/// lines, with `context` lines around each, and nothing else (see the
/// module docs). In what it reads, a line is the user's by the rule
/// `vpnwatch bundle` uses (so the two agree where `e` read the whole
/// log), and the lines the engine filed under the user are the user's
/// whatever the rule says. Blocking; `cancel` stops it between runs.
pub fn write_filed(job: &mut FiledJob, cancel: &AtomicBool) -> anyhow::Result<Written> {
    // The runs' parsers are used up reading them.
    let runs = std::mem::take(&mut job.lines.runs);
    let matcher = UserMatch::for_user(&job.user, job.stats.as_ref());
    let files = &job.lines.files;
    let mut found: Vec<FileLines> = files.iter().map(|_| FileLines::default()).collect();
    for mut filed in runs {
        check(cancel)?;
        let (Some(file), Some(into)) = (files.get(filed.file), found.get_mut(filed.file)) else {
            continue;
        };
        read_run(&mut filed, file, job, &matcher, into);
    }
    let mut excerpts = Vec::new();
    for (file, got) in files.iter().zip(&found) {
        let numbers: Vec<u64> = got.marked.keys().copied().collect();
        let last = file.file_line(file.last_line).unwrap_or(file.last_line);
        let mut ranges = evidence::with_context(&numbers, last, job.context as u64);
        // A range starts at its first line read back, so that `--` still
        // separates excerpts when context could not be read.
        for r in &mut ranges {
            if let Some((&first, _)) = got.text.range(r.clone()).next() {
                r.start = first;
            }
        }
        let marked: Vec<(u64, Option<Cause>)> = got.marked.iter().map(|(n, c)| (*n, *c)).collect();
        let mut writer = ExcerptWriter::new(&ranges, &marked);
        for (n, text) in &got.text {
            writer.line(*n, text);
        }
        excerpts.push(Excerpt {
            name: file_name(&file.key.path),
            family: file.family,
            lines: last,
            matched: numbers.len() as u64,
            text: writer.finish(),
        });
    }
    let gaps = gaps(job, &found);
    let (name, bundle_files) = evidence::build(&BundleRequest {
        user: &job.user,
        stats: job.stats.as_ref(),
        sources: &excerpts,
        context: job.context,
        redactor: None,
        checklist: &job.checklist,
        taken_at: job.taken_at,
        state: job.state,
        operator: &job.operator,
        time_marks: Some(&job.time_marks),
        gaps: &gaps,
        filed: true,
        named: &job.named,
    });
    let path = job.dir.join(format!("{name}.tar.gz"));
    write_tar_gz(&path, &name, &bundle_files, job.taken_at)?;
    let partial = (!gaps.is_empty()).then(|| job.full_command.clone());
    Ok(Written { path, partial })
}

/// Reads one run back with its context into `into`: the user's lines in
/// it, by the rule `vpnwatch bundle` uses (a laptop counts once it logged
/// the user's name in what was read so far) and those the engine filed,
/// and the lines within `context` of them; the rest of the run is let go.
fn read_run(
    filed: &mut FiledRun,
    file: &FiledFile,
    job: &FiledJob,
    matcher: &UserMatch,
    into: &mut FileLines,
) {
    // Only file runs are filed (`Model::user_lines`); were another here,
    // its lines are counted as not read again, never dropped unsaid.
    let (RunKind::File { first_line_no, .. }, Some((span, expect))) =
        (&filed.run.kind, filed.run.expect())
    else {
        into.unread += filed.marked.len() as u64;
        into.why = Some("not from a file".to_string());
        return;
    };
    let context = job.context;
    let around = match read_span_around(span, job.max_line, expect, context, context) {
        Ok(around) => around,
        Err(e) => {
            into.unread += filed.marked.len() as u64;
            into.why = Some(e.to_string());
            return;
        }
    };
    // The pane numbers from its first line shown, the file from its
    // start: the context before a run may be from before the pane's first.
    let first = *first_line_no;
    let number = |pane: u64| file.file_line(pane).unwrap_or(pane);
    if !around.lines.is_empty() {
        let last = first + around.lines.len() as u64 - 1;
        into.covered.push(number(first)..=number(last));
    }

    // The run's records, read through a parser like the source's, as the
    // source was read: a record joined from several lines is the user's
    // whole, and a filed line that completed one marks all of it.
    let mut records = Vec::new();
    let mut reader = filed.reader.take();
    let no_laptops = Default::default();
    let mut pending = filed.marked.iter().peekable();
    for (k, (bytes, continued)) in (0u64..).zip(&around.lines) {
        let pane = first + k;
        let cause = match pending.peek() {
            Some(&&(at, cause)) if at == k => {
                pending.next();
                Some(cause)
            }
            _ => None,
        };
        let mut spanned = false;
        if let (Some(reader), false) = (reader.as_mut(), *continued) {
            let text = String::from_utf8_lossy(bytes);
            reader.feed(&text, |record, event, _| {
                let lines = read::span(pane, Some(&text), record);
                spanned |= cause.is_some();
                let (direct, host) = match &event {
                    Some(ev) => {
                        if file.family == Family::Client {
                            into.hosts.see(ev);
                        }
                        (
                            matcher.matches(ev, &no_laptops),
                            ev.host.map(str::to_string),
                        )
                    }
                    None => (false, None),
                };
                records.push(ReadRecord {
                    lines: number(*lines.start())..=number(*lines.end()),
                    filed: cause,
                    direct,
                    host,
                });
            });
        }
        if let Some(cause) = cause
            && !spanned
        {
            records.push(ReadRecord {
                lines: number(pane)..=number(pane),
                filed: Some(cause),
                direct: false,
                host: None,
            });
        }
    }
    let laptops = into.hosts.laptops(matcher);
    let mut here: Vec<u64> = Vec::new();
    for record in &records {
        let end = *record.lines.end();
        if let Some(cause) = record.filed {
            for n in record.lines.clone() {
                into.marked.insert(n, if n == end { cause } else { None });
                here.push(n);
            }
        }
        if record.direct || record.host.as_ref().is_some_and(|h| laptops.contains(h)) {
            for n in record.lines.clone() {
                into.marked.entry(n).or_insert(None);
                here.push(n);
            }
        }
    }
    if here.is_empty() {
        return;
    }
    // Keep the lines within `context` of the user's lines in this run.
    here.sort_unstable();
    let near = |n: u64| {
        let from = here.partition_point(|&m| m + (context as u64) < n);
        here.get(from).is_some_and(|&m| m <= n + context as u64)
    };
    let mut keep = |n: u64, bytes: &[u8]| {
        if near(n) {
            into.text
                .insert(n, String::from_utf8_lossy(bytes).into_owned());
        }
    };
    let before = around.before.len() as u64;
    for (k, (bytes, _)) in (0u64..).zip(&around.before) {
        if let Some(n) = (number(first) + k).checked_sub(before).filter(|&n| n >= 1) {
            keep(n, bytes);
        }
    }
    for (k, (bytes, _)) in (0u64..).zip(&around.lines) {
        keep(number(first + k), bytes);
    }
    let after_first = first + around.lines.len() as u64;
    for (k, (bytes, _)) in (0u64..).zip(&around.after) {
        keep(number(after_first + k), bytes);
    }
}

/// What the bundle may lack of the user's lines, one sentence each.
fn gaps(job: &FiledJob, found: &[FileLines]) -> Vec<String> {
    let lines = &job.lines;
    let mut out = Vec::new();
    if lines.dropped > 0 {
        out.push(format!(
            "{} of the user's that the dashboard no longer refers to (it keeps the \
             newest {} per user): they are here only where they fall in the stretches \
             read back for the newer ones",
            count(u64::from(lines.dropped), "older line", "older lines"),
            USER_LINES_CAP
        ));
    }
    if lines.unreadable > 0 {
        out.push(format!(
            "{} from syslog, stdin or a command, or older than the dashboard's recall \
             index: they cannot be read again",
            count(lines.unreadable, "line", "lines")
        ));
    }
    for (file, got) in lines.files.iter().zip(found) {
        let name = file_name(&file.key.path);
        if got.unread > 0 {
            out.push(format!(
                "{} in {name}: {}",
                count(got.unread, "line", "lines"),
                got.why.as_deref().unwrap_or("not read again")
            ));
        }
        let shown_from = match file.earlier {
            Some(0) => 1,
            Some(n) => {
                out.push(format!(
                    "lines 1-{n} of {name}: counted when the dashboard started but not kept \
                     (--backlog), so the user's lines among them are not here"
                ));
                n + 1
            }
            None => {
                out.push(format!(
                    "the lines of {name} before the first one the dashboard showed: they \
                     could not be counted, so its line numbers here count from that line"
                ));
                1
            }
        };
        let last = file.file_line(file.last_line).unwrap_or(file.last_line);
        let unread = not_covered(&got.covered, shown_from, last);
        if unread > 0 {
            out.push(format!(
                "{} of {name} were not read back (only the stretches around the lines \
                 the dashboard filed under the user are): the user's lines there that the \
                 dashboard did not file (from the user's client IPs before the user was \
                 seen with them, or from the user's laptop before it logged the name) are \
                 not here",
                count(unread, "line", "lines")
            ));
        }
    }
    if !out.is_empty() {
        out.push(format!("every line of the user's: {}", job.full_command));
    }
    out
}

/// How many of the lines `from..=to` none of `covered` holds.
fn not_covered(covered: &[RangeInclusive<u64>], from: u64, to: u64) -> u64 {
    if to < from {
        return 0;
    }
    let mut ranges: Vec<(u64, u64)> = covered
        .iter()
        .map(|r| (*r.start().max(&from), *r.end().min(&to)))
        .filter(|(a, b)| a <= b)
        .collect();
    ranges.sort_unstable();
    let mut held = 0;
    let mut next = from;
    for (a, b) in ranges {
        let a = a.max(next);
        if a <= b {
            held += b - a + 1;
            next = b + 1;
        }
    }
    (to - from + 1) - held
}

/// The name a log goes by in the bundle: its file name.
pub(super) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
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

#[cfg(test)]
mod tests {
    use super::not_covered;

    #[test]
    fn lines_not_read_back_are_counted_once_whatever_the_overlaps() {
        assert_eq!(not_covered(&[], 1, 10), 10);
        assert_eq!(not_covered(&[1..=10], 1, 10), 0);
        // Overlapping and out of order; outside the lines asked for.
        assert_eq!(not_covered(&[5..=7, 0..=2, 6..=8, 20..=30], 1, 10), 4);
        // From the first line shown on (after --backlog's earlier lines).
        assert_eq!(not_covered(&[1..=3], 6, 10), 5);
        assert_eq!(not_covered(&[1..=3], 6, 5), 0);
    }
}
