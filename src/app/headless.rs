//! The headless commands for scripts and CI: `scan` (per-user table) and
//! `events` (one JSON object per recognised line).

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use super::bulk::{self, BulkOptions};
use super::read;
use super::spool::Spool;
use crate::engine::incident::Applied;
use crate::engine::scope::{self, Scope};
use crate::engine::skew;
use crate::engine::{CauseUpdate, Incident, LineRef, ServerHealth, UserKey, UserState};
use crate::parse::clock;
use crate::parse::formats::Format;
use crate::parse::{self, ParseContext};
use crate::plural::count;
use crate::sanitize::sanitize_str;
use crate::vocab::{Cause, Family};

/// A file to read headlessly, with its family.
#[derive(Clone, Debug)]
pub struct HeadlessFile {
    pub path: PathBuf,
    pub family: Family,
    /// The file's format when known; `None` reads line by line by family.
    pub format: Option<Format>,
    /// The user a client log is about when its lines do not say (`--user`).
    pub user: Option<String>,
}

impl HeadlessFile {
    /// Whether the parallel block reader can take this file: it parses
    /// lines by family, as the headend's syslog and the auth servers' one
    /// line formats read. A file detected as another format (a pasted debug
    /// trace, whose stray untimed `%ASA` lines the trace reader reads its
    /// own way) is read line by line, so both readers agree.
    fn bulk_readable(&self) -> bool {
        use crate::parse::formats::Format;
        self.user.is_none()
            && self.format.is_none_or(|f| {
                f.record_mode() == crate::parse::records::RecordMode::Lines
                    && f != Format::AsaDebugTrace
            })
            && self.family != Family::Client
    }
}

/// Per-file counts reported by `scan`.
#[derive(Clone, Debug, Serialize)]
pub struct FileSummary {
    pub path: String,
    pub family: Family,
    pub lines: u64,
    pub recognised: u64,
}

/// One record as [`read_all`] hands it on.
struct Seen<'a> {
    path: &'a Path,
    line_no: u64,
    raw: &'a str,
    event: Option<&'a parse::Event<'a>>,
    /// What the engine made of it (the line's cause, a new attempt).
    applied: Applied,
    /// The record's number in this read (the same in every read of the
    /// same files), as the engine's [`crate::engine::LineRef::index`].
    index: u64,
    /// Earlier records whose cause this one changed.
    updates: &'a [CauseUpdate],
}

/// Reads every file to its end, calling `each` for every line with its parse
/// result and what the engine made of it.
fn read_all(
    files: &[HeadlessFile],
    limit: u64,
    ctx: &ParseContext,
    incident: &mut Incident,
    mut each: impl FnMut(Seen<'_>) -> io::Result<()>,
) -> anyhow::Result<Vec<FileSummary>> {
    let mut summaries = Vec::new();
    let mut index = 0u64;
    // One source per file, numbered on from the source the caller set (a
    // caller reading one file of several sets its number first).
    let first = incident.source().0;
    for (i, file) in files.iter().enumerate() {
        let n = u16::try_from(i).unwrap_or(u16::MAX);
        incident.set_source(crate::vocab::SourceId(first.saturating_add(n)));
        let counts = read::read_file(file, limit, ctx, |record| {
            let mut applied = Applied::default();
            let mut updates = Vec::new();
            if let Some(ev) = record.event {
                let line = LineRef {
                    family: ev.family,
                    index,
                    ts: ev.ts,
                    cause: None,
                };
                applied = incident.apply_repeated(ev, line, record.repeats);
                updates = incident.take_cause_updates();
            }
            let seen = Seen {
                path: &file.path,
                line_no: record.completed_on,
                raw: record.text,
                event: record.event,
                applied,
                index,
                updates: &updates,
            };
            index += 1;
            each(seen)
        })?;
        if counts.dropped > 0 {
            eprintln!(
                "vpnwatch: {}: {} multi-line records incomplete or over the size cap; not counted",
                file.path.display(),
                counts.dropped
            );
        }
        summaries.push(FileSummary {
            path: file.path.display().to_string(),
            family: file.family,
            lines: counts.lines,
            recognised: counts.recognised,
        });
    }
    Ok(summaries)
}

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

fn is_zero(n: &u64) -> bool {
    *n == 0
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
pub fn events(files: &[HeadlessFile], ctx: &ParseContext, out: impl Write) -> anyhow::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let regular = files
        .iter()
        .all(|f| std::fs::metadata(&f.path).is_ok_and(|m| m.is_file()));
    let mut spool = if regular { Some(Spool::new()?) } else { None };
    let mut names = LineNames::default();
    let mut incident = Incident::for_sources(files.iter().map(|f| f.family));
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
    Ok(())
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

/// A user's line in `scan --json`. Field names are a contract for scripts.
#[derive(Serialize)]
pub struct UserReport {
    pub user: String,
    /// The name was hidden by the headend; `user` is then the client IP.
    pub hidden: bool,
    /// The failed attempts of a password spray from the client IP in
    /// `user`, counted apart from the names tried (README: Verdicts).
    pub spray: bool,
    pub failures: u32,
    pub successes: u32,
    pub causes: std::collections::BTreeMap<Cause, u32>,
    pub last_cause: Option<Cause>,
    pub last_reason: Option<String>,
    /// The auth server's reason for the last rejection (ISE, NPS), when an
    /// auth-server log was read.
    pub auth_reason: Option<String>,
    pub client_ips: Vec<String>,
    pub first_failure: Option<Timestamp>,
    pub last_failure: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// The times above that are not their lines' own, by field:
    /// `envelope` (a JSON record's) or `read` (when vpnwatch read it).
    pub times_from: std::collections::BTreeMap<&'static str, parse::TimeFrom>,
    /// `locked`, `unknown`, `failing`, `recovered` or `ok` (see
    /// [`UserState`] and the README).
    pub state: UserState,
    pub sessions: SessionsReport,
    /// Failed attempts in the last 1, 5 and 15 minutes of log time.
    pub windows: WindowsReport,
}

#[derive(Serialize)]
pub struct SessionsReport {
    pub up: u32,
    pub down: u32,
}

/// Failed attempts in whole minutes of log time up to the latest line.
#[derive(Serialize)]
pub struct WindowsReport {
    pub last_1m: u32,
    pub last_5m: u32,
    pub last_15m: u32,
}

/// An AAA server group and what the headend said about it as a whole.
#[derive(Serialize)]
pub struct GroupReport {
    pub group: String,
    /// Servers seen in this group.
    pub servers: Vec<String>,
    /// 409023 reports: the whole group unreachable.
    pub unreachable: u32,
    pub last_unreachable: Option<Timestamp>,
}

/// Logins to the headend itself (605004/605005, 611101/611102, 113021),
/// never counted as VPN failures.
#[derive(Serialize)]
pub struct ManagementReport {
    pub failures: u32,
    pub successes: u32,
    pub last_failure: Option<Timestamp>,
    pub users: Vec<ManagementUserReport>,
}

#[derive(Serialize)]
pub struct ManagementUserReport {
    pub user: String,
    pub failures: u32,
    pub successes: u32,
}

#[derive(Serialize)]
pub struct ServerReport {
    pub address: String,
    pub group: Option<String>,
    pub state: ServerHealth,
    pub since: Option<Timestamp>,
    pub unreachable: u32,
    pub transitions: Vec<TransitionReport>,
}

#[derive(Serialize)]
pub struct TransitionReport {
    pub ts: Option<Timestamp>,
    pub state: ServerHealth,
}

#[derive(Serialize)]
pub struct TotalsReport {
    pub failures: u64,
    /// Failed attempts of password sprays, not in `failures`.
    pub spray_attempts: u64,
    /// Failed attempts in the last 1, 5 and 15 minutes of log time.
    pub windows: WindowsReport,
    /// Successful logins in the last 15 minutes of log time.
    pub successes_last_15m: u32,
    pub users_with_failures: usize,
    pub users_failing: usize,
    /// Hidden (`*****`) headend attempts an auth-server line put a name to.
    pub hidden_resolved: u64,
    pub successes: u64,
    pub session_ends: u64,
    pub unattributed_failures: u64,
    pub events: u64,
    /// Copies of headend lines that another source had already delivered
    /// (a relay and the headend's own file), counted once.
    pub duplicates: u64,
    /// Lines the comparison forgot to stay bounded (more than 262,144
    /// compared): a copy of one of them counted again. Absent when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub duplicates_forgotten: u64,
    pub lines: u64,
    pub first_failure: Option<Timestamp>,
    pub latest: Option<Timestamp>,
}

/// The whole `scan --json` document.
#[derive(Serialize)]
pub struct ScanReport {
    pub users: Vec<UserReport>,
    pub aaa_servers: Vec<ServerReport>,
    pub aaa_groups: Vec<GroupReport>,
    pub scope: Scope,
    pub management: ManagementReport,
    pub totals: TotalsReport,
    pub files: Vec<FileSummary>,
    /// What the reader could not see: one line per file that recognised no
    /// log line (also printed on stderr).
    pub warnings: Vec<String>,
    /// Set when auth-server failures and headend attempts never joined
    /// (see `engine::skew`): the warning text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join_warning: Option<String>,
}

/// One warning per file of which no line was recognised.
pub fn unrecognised_warnings(files: &[FileSummary]) -> Vec<String> {
    files
        .iter()
        .filter(|f| f.recognised == 0)
        .map(|f| {
            format!(
                "{}: recognised no log line (is it a VPN log?)",
                sanitize_str(&f.path)
            )
        })
        .collect()
}

/// `UNKNOWN` when no headend line was recognised (no headend file, or
/// none of its lines read as a headend log): counts of zero then mean
/// "could not see", not "no failures".
/// (No files given means the caller fed the incident itself.)
pub fn blind_scope(files: &[FileSummary]) -> Option<Scope> {
    if files.is_empty()
        || files
            .iter()
            .any(|f| f.family == Family::Headend && f.recognised > 0)
    {
        return None;
    }
    let headends: Vec<String> = files
        .iter()
        .filter(|f| f.family == Family::Headend)
        .map(|f| {
            format!(
                "{}: 0 of {} recognised",
                f.path,
                count(f.lines, "line", "lines")
            )
        })
        .collect();
    let evidence = if headends.is_empty() {
        "no headend log read: the attempts the headend saw are not known".to_string()
    } else {
        format!("no headend line recognised ({})", headends.join(", "))
    };
    Some(Scope {
        verdict: scope::Verdict::Unknown,
        evidence,
        cause: None,
    })
}

fn windows(count: impl Fn(u32) -> u32) -> WindowsReport {
    WindowsReport {
        last_1m: count(1),
        last_5m: count(5),
        last_15m: count(15),
    }
}

/// Builds the scan report from an incident.
pub fn report(incident: &Incident, files: Vec<FileSummary>) -> ScanReport {
    let now = incident.latest();
    // Every user seen: those with failures in the Users pane's order, then
    // the others by name ("did bob get in?"). A hidden user whose attempts
    // all turned out to be a named user's is nobody.
    let mut succeeded_only: Vec<(&UserKey, &crate::engine::UserStats)> = incident
        .users()
        // A name seen with neither (tried in a spray, named in an info
        // line) has no login to report.
        .filter(|(_, s)| s.failures == 0 && s.successes > 0)
        .collect();
    succeeded_only.sort_by(|a, b| a.0.cmp(b.0));
    let users: Vec<UserReport> = incident
        .users_by_failures()
        .into_iter()
        .chain(succeeded_only)
        .map(|(key, s)| {
            let (user, hidden) = match key {
                UserKey::Named(n) => (n.clone(), false),
                UserKey::Hidden(ip) | UserKey::Spray(ip) => {
                    (ip.clone(), matches!(key, UserKey::Hidden(_)))
                }
                UserKey::Other(_) => (key.to_string(), false),
            };
            UserReport {
                user,
                hidden,
                spray: matches!(key, UserKey::Spray(_)),
                failures: s.failures,
                successes: s.successes,
                causes: s.causes.clone(),
                last_cause: s.last_cause,
                last_reason: s.last_reason.as_deref().map(str::to_string),
                auth_reason: s.auth_reason.clone(),
                client_ips: s.client_ips.clone(),
                first_failure: s.first_failure,
                last_failure: s.last_failure,
                last_seen: s.last_seen,
                times_from: incident.time_marks().of_user(s),
                state: s.state(now),
                sessions: SessionsReport {
                    up: s.sessions_up,
                    down: s.sessions_down,
                },
                windows: windows(|m| s.failures_in(now, m)),
            }
        })
        .collect();
    let aaa_servers = incident
        .servers()
        .iter()
        .map(|s| ServerReport {
            address: s.address.clone(),
            group: s.group.clone(),
            state: s.health,
            since: s.since,
            unreachable: s.unreachable,
            transitions: s
                .transitions
                .iter()
                .map(|(ts, state)| TransitionReport {
                    ts: *ts,
                    state: *state,
                })
                .collect(),
        })
        .collect();
    let aaa_groups = incident
        .groups()
        .iter()
        .map(|g| GroupReport {
            group: g.name.clone(),
            servers: incident
                .servers()
                .iter()
                .filter(|s| s.group.as_deref() == Some(g.name.as_str()))
                .map(|s| s.address.clone())
                .collect(),
            unreachable: g.unreachable,
            last_unreachable: g.last_unreachable,
        })
        .collect();
    let m = incident.management();
    let management = ManagementReport {
        failures: m.failures,
        successes: m.successes,
        last_failure: m.last_failure,
        users: m
            .users
            .iter()
            .map(|(user, &(failures, successes))| ManagementUserReport {
                user: user.clone(),
                failures,
                successes,
            })
            .collect(),
    };
    let t = incident.totals();
    let totals = TotalsReport {
        failures: t.failures,
        spray_attempts: t.spray_attempts,
        windows: windows(|m| incident.recent(m).attempts),
        successes_last_15m: incident.recent(15).logins,
        users_with_failures: users.iter().filter(|u| u.failures > 0).count(),
        hidden_resolved: t.hidden_resolved,
        users_failing: incident.failing_now(),
        successes: t.successes,
        session_ends: t.session_ends,
        unattributed_failures: t.unattributed_failures,
        events: t.events,
        duplicates: t.duplicates,
        duplicates_forgotten: incident.duplicates_forgotten(),
        lines: files.iter().map(|f| f.lines).sum(),
        first_failure: incident.first_failure(),
        latest: now,
    };
    ScanReport {
        users,
        aaa_servers,
        aaa_groups,
        scope: blind_scope(&files).unwrap_or_else(|| incident.scope().clone()),
        management,
        totals,
        warnings: unrecognised_warnings(&files),
        join_warning: join_warning(incident, &files),
        files,
    }
}

/// The skew warning for `incident`, naming the auth-server files.
fn join_warning(incident: &Incident, files: &[FileSummary]) -> Option<String> {
    incident.join_skew_suspected().then(|| {
        skew::warning(
            files
                .iter()
                .filter(|f| f.family == Family::AuthServer)
                .map(|f| f.path.as_str()),
        )
    })
}

/// `vpnwatch scan`: reads the files and builds the per-user report.
pub fn scan(files: &[HeadlessFile], ctx: &ParseContext) -> anyhow::Result<ScanReport> {
    // `VPNWATCH_SCAN_READER=lines`: the line-by-line reference reader, for
    // benchmarks to check that the fast reader's output is the same.
    let mode = match std::env::var("VPNWATCH_SCAN_READER") {
        Ok(v) if v == "lines" => ScanMode::Sequential,
        _ => ScanMode::Bulk(BulkOptions::default()),
    };
    scan_with(files, ctx, mode)
}

/// How `scan` reads its files. Both give the same report.
#[derive(Clone, Copy, Debug)]
pub enum ScanMode {
    /// Line by line through the engine on this thread: the reference.
    Sequential,
    /// Blocks parsed in parallel, applied in order (see `bulk.rs`).
    Bulk(BulkOptions),
}

/// Counts into `incident` the lines that start in the first `limit` bytes
/// of `file` (the part of a file before the dashboard's backlog), calling
/// `progress` with the bytes counted so far. Returns how many lines they
/// are.
pub fn count_prefix(
    file: &HeadlessFile,
    limit: u64,
    ctx: &ParseContext,
    incident: &mut Incident,
    progress: &mut dyn FnMut(u64),
) -> anyhow::Result<u64> {
    let mode = ScanMode::Bulk(BulkOptions::default());
    count_file(file, limit, ctx, mode, incident, progress).map(|summary| summary.lines)
}

/// Reads the lines that start in the first `limit` bytes of one file into
/// `incident`: with the block reader when `mode` and the format allow it and
/// the file is a regular one, else line by line.
fn count_file(
    file: &HeadlessFile,
    limit: u64,
    ctx: &ParseContext,
    mode: ScanMode,
    incident: &mut Incident,
    progress: &mut dyn FnMut(u64),
) -> anyhow::Result<FileSummary> {
    if let ScanMode::Bulk(opts) = mode
        && file.bulk_readable()
        && let Some(bulk_ctx) = bulk_context(&file.path, ctx)
    {
        let counted = bulk::scan_prefix(
            &file.path,
            limit,
            file.family,
            &bulk_ctx,
            incident,
            opts,
            progress,
        )
        .with_context(|| file.path.display().to_string())?;
        if let Some(c) = counted {
            return Ok(FileSummary {
                path: file.path.display().to_string(),
                family: file.family,
                lines: c.lines,
                recognised: c.recognised,
            });
        }
        // Not a regular file (a pipe has no blocks): line by line.
    }
    let mut summaries = read_all(std::slice::from_ref(file), limit, ctx, incident, |_| Ok(()))?;
    progress(limit);
    summaries
        .pop()
        .with_context(|| file.path.display().to_string())
}

/// The context the block reader (which parses blocks apart, with no
/// clock per source) can read `path` with so that it gets the times the
/// line-by-line reader would: `None` when it cannot, and the file is read
/// line by line. Decided from the file's first and last stamps: a zone-less
/// file with a `--tz` zone, or a yearless file whose stamps fall in two
/// years (it crosses New Year), needs the line-by-line reader's clock; a
/// yearless file within one year is read with that year.
fn bulk_context(path: &Path, ctx: &ParseContext) -> Option<ParseContext> {
    use std::fs::File;
    use std::io::{Read, Seek, SeekFrom};
    const EDGE: u64 = 64 * 1024;
    let mut f = File::open(path).ok()?;
    let meta = f.metadata().ok()?;
    // A pipe (`cat x | vpnwatch scan -`) has no blocks, and reading its head
    // here would take those lines from the line-by-line reader.
    if !meta.is_file() {
        return None;
    }
    let len = meta.len();
    let mut head = Vec::new();
    (&mut f).take(EDGE).read_to_end(&mut head).ok()?;
    let mut tail = Vec::new();
    if len > EDGE {
        f.seek(SeekFrom::Start(len - EDGE)).ok()?;
        f.take(EDGE).read_to_end(&mut tail).ok()?;
    }
    let facts = |bytes: &[u8], last: bool| {
        let text = String::from_utf8_lossy(bytes);
        let mut lines: Vec<&str> = text.lines().collect();
        if last {
            lines.reverse();
        }
        lines
            .into_iter()
            .find_map(|l| clock::stamp_facts(l, ctx.default_year))
    };
    let Some(first) = facts(&head, false) else {
        return Some(*ctx);
    };
    let last = facts(if tail.is_empty() { &head } else { &tail }, true).unwrap_or(first);
    let name = path.to_string_lossy();
    if first.zoneless && clock::rules().zone_for(&name).is_some() {
        return None;
    }
    if !first.yearless {
        return Some(*ctx);
    }
    let mut c = clock::Clock::for_source(&name, ctx.default_year);
    let y1 = c
        .fix(first.ts, true, first.zoneless)
        .to_zoned(TimeZone::UTC)
        .year();
    let y2 = c
        .fix(last.ts, true, last.zoneless)
        .to_zoned(TimeZone::UTC)
        .year();
    (y1 == y2).then_some(ParseContext { default_year: y1 })
}

/// [`scan`] with a chosen reader.
pub fn scan_with(
    files: &[HeadlessFile],
    ctx: &ParseContext,
    mode: ScanMode,
) -> anyhow::Result<ScanReport> {
    let mut incident = Incident::for_sources(files.iter().map(|f| f.family));
    let summaries = files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            incident.set_source(crate::vocab::SourceId(u16::try_from(i).unwrap_or(u16::MAX)));
            count_file(file, u64::MAX, ctx, mode, &mut incident, &mut |_| {})
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    incident.finish_input();
    Ok(report(&incident, summaries))
}

fn time_or_dash(ts: Option<Timestamp>) -> String {
    ts.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "-".to_string())
}

/// The human-readable scan table. User names and reasons come from logs, so
/// they are sanitised: this goes to a terminal.
pub fn write_table(report: &ScanReport, mut out: impl Write) -> io::Result<()> {
    let name = |u: &UserReport| {
        if u.hidden {
            format!("(hidden) {}", sanitize_str(&u.user))
        } else if u.spray {
            format!("(spray) {}", sanitize_str(&u.user))
        } else {
            sanitize_str(&u.user)
        }
    };
    let width = report
        .users
        .iter()
        .map(|u| name(u).chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    writeln!(
        out,
        "{:<width$}  {:>6}  {:>6}  {:<20}  {:<11}  LAST SEEN",
        "USER", "FAILED", "OK", "LAST CAUSE", "STATE"
    )?;
    for u in &report.users {
        writeln!(
            out,
            "{:<width$}  {:>6}  {:>6}  {:<20}  {:<11}  {}{}",
            name(u),
            u.failures,
            u.successes,
            u.last_cause.map(|c| c.id()).unwrap_or("-"),
            u.state.label(),
            time_or_dash(u.last_seen),
            // `~` / `?` when the time is a JSON record's or the read time.
            u.times_from.get("last_seen").map_or("", |f| f.mark()),
        )?;
    }
    let t = &report.totals;
    writeln!(out)?;
    writeln!(
        out,
        "{} by {} ({} failing at the end), {}, {}, {} read{}",
        count(t.failures, "failed attempt", "failed attempts"),
        count(t.users_with_failures, "user", "users"),
        t.users_failing,
        count(t.successes, "successful login", "successful logins"),
        count(t.session_ends, "session end", "session ends"),
        count(t.lines, "line", "lines"),
        crate::engine::dedup::folded(t.duplicates, t.duplicates_forgotten)
            .map(|d| format!(", {d}"))
            .unwrap_or_default(),
    )?;
    if report.users.iter().any(|u| !u.times_from.is_empty()) {
        writeln!(
            out,
            "Times marked ~ are a JSON record's time (the line had none of its own), ? the time vpnwatch read the line"
        )?;
    }
    for s in &report.aaa_servers {
        let state = match s.state {
            ServerHealth::Active => "ACTIVE",
            ServerHealth::Failed => "FAILED",
            ServerHealth::Unknown => "not marked",
        };
        writeln!(
            out,
            "AAA server {}{}: {state}, {}, {}",
            sanitize_str(&s.address),
            s.group
                .as_deref()
                .map(|g| format!(" ({})", sanitize_str(g)))
                .unwrap_or_default(),
            count(s.transitions.len(), "transition", "transitions"),
            count(s.unreachable, "unreachable report", "unreachable reports"),
        )?;
    }
    for g in report.aaa_groups.iter().filter(|g| g.unreachable > 0) {
        writeln!(
            out,
            "AAA server group {}: {} (409023)",
            sanitize_str(&g.group),
            count(
                g.unreachable,
                "whole-group unreachable report",
                "whole-group unreachable reports"
            )
        )?;
    }
    let m = &report.management;
    if m.failures + m.successes > 0 {
        writeln!(
            out,
            "Management logins (not VPN): {} failed, {} succeeded",
            m.failures, m.successes
        )?;
    }
    writeln!(
        out,
        "Scope: {} — {}",
        report.scope.verdict.as_str(),
        sanitize_str(&report.scope.evidence)
    )?;
    if let Some(w) = &report.join_warning {
        writeln!(out, "{}", sanitize_str(w))?;
    }
    Ok(())
}
