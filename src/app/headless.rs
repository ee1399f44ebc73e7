//! The headless commands for scripts and CI: `scan` (per-user table) and
//! `events` (one JSON object per recognised line).

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use jiff::Timestamp;
use serde::Serialize;

use super::bulk::{self, BulkOptions};
use crate::engine::scope::{self, Scope};
use crate::engine::{Incident, ServerHealth, UserKey, UserState};
use crate::parse::formats::Format;
use crate::parse::reader::RecordReader;
use crate::parse::{self, Cause, Family, ParseContext};
use crate::sanitize::sanitize_str;
use crate::source::lines::{DEFAULT_MAX_LINE, for_each_line};

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
    /// Whether the parallel block reader can take this file: formats with
    /// one record per line that need no context from other lines.
    fn bulk_readable(&self) -> bool {
        self.user.is_none()
            && self
                .format
                .is_none_or(|f| f.record_mode() == crate::parse::records::RecordMode::Lines)
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

/// Reads every file to its end, calling `each` for every line with its parse
/// result and what the engine made of it.
fn read_all(
    files: &[HeadlessFile],
    limit: u64,
    ctx: &ParseContext,
    incident: &mut Incident,
    mut each: impl FnMut(&Path, u64, &str, Option<&parse::Event>, bool) -> io::Result<()>,
) -> anyhow::Result<Vec<FileSummary>> {
    let mut summaries = Vec::new();
    for file in files {
        let reader = File::open(&file.path)
            .with_context(|| file.path.display().to_string())?
            .take(limit);
        let mut summary = FileSummary {
            path: file.path.display().to_string(),
            family: file.family,
            lines: 0,
            recognised: 0,
        };
        let mut failed: Option<io::Error> = None;
        let mut records = RecordReader::new(file.family, file.format, file.user.clone(), *ctx);
        let mut last_line = 0;
        let mut on_record =
            |line_no: u64, record: &str, event: Option<parse::Event>, repeats: u32| {
                let mut attempt = false;
                if let Some(ev) = &event {
                    summary.recognised += 1;
                    for _ in 0..repeats {
                        attempt |= incident.apply(ev).new_attempt;
                    }
                }
                if failed.is_none()
                    && let Err(e) = each(&file.path, line_no, record, event.as_ref(), attempt)
                {
                    failed = Some(e);
                }
            };
        for_each_line(reader, DEFAULT_MAX_LINE, |line_no, bytes| {
            summary.lines += 1;
            last_line = line_no;
            let text = String::from_utf8_lossy(bytes);
            records.feed(&text, |record, event, repeats| {
                on_record(line_no, record, event, repeats)
            });
        })
        .with_context(|| file.path.display().to_string())?;
        records.finish(|record, event, repeats| on_record(last_line, record, event, repeats));
        if records.dropped() > 0 {
            eprintln!(
                "vpnwatch: {}: {} multi-line records incomplete or over the size cap; not counted",
                file.path.display(),
                records.dropped()
            );
        }
        if let Some(e) = failed {
            return Err(e.into());
        }
        summaries.push(summary);
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
    cause: Option<Cause>,
    /// True on the line that counted as a new failed attempt.
    attempt: bool,
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

/// `vpnwatch events`: NDJSON, one object per recognised line.
pub fn events(files: &[HeadlessFile], ctx: &ParseContext, out: impl Write) -> anyhow::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let mut incident = Incident::for_sources(files.iter().map(|f| f.family));
    let result = read_all(
        files,
        u64::MAX,
        ctx,
        &mut incident,
        |path, line, raw, event, attempt| match event {
            Some(ev) => write_event(&mut out, &path.to_string_lossy(), line, raw, ev, attempt),
            None => Ok(()),
        },
    );
    result.and_then(|_| out.flush().map_err(Into::into))
}

/// Writes one `events` record (and its newline) for a recognised line; the
/// same contract for `events --follow` (see `follow.rs`).
pub(crate) fn write_event(
    mut out: impl Write,
    source: &str,
    line: u64,
    raw: &str,
    ev: &parse::Event,
    attempt: bool,
) -> io::Result<()> {
    let record = EventRecord {
        source,
        line,
        family: ev.family,
        ts: ev.ts,
        ts_from: ev.ts_from,
        host: ev.host,
        msg_id: ev.msg_id,
        outcome: ev.outcome,
        cause: ev.cause,
        attempt,
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
    /// `failing` (failed in the last 5 minutes of log time, no success
    /// since), `recovered` (a success after the last failure) or `ok`.
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
    let users: Vec<UserReport> = incident
        .users_by_failures()
        .into_iter()
        .map(|(key, s)| {
            let (user, hidden) = match key {
                UserKey::Named(n) => (n.clone(), false),
                UserKey::Hidden(ip) => (ip.clone(), true),
            };
            UserReport {
                user,
                hidden,
                failures: s.failures,
                successes: s.successes,
                causes: s.causes.clone(),
                last_cause: s.last_cause,
                last_reason: s.last_reason.clone(),
                auth_reason: s.auth_reason.clone(),
                client_ips: s.client_ips.clone(),
                first_failure: s.first_failure,
                last_failure: s.last_failure,
                last_seen: s.last_seen,
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
        windows: windows(|m| incident.recent(m).attempts),
        successes_last_15m: incident.recent(15).logins,
        users_with_failures: users.len(),
        hidden_resolved: t.hidden_resolved,
        users_failing: incident.failing_now(),
        successes: t.successes,
        session_ends: t.session_ends,
        unattributed_failures: t.unattributed_failures,
        events: t.events,
        lines: files.iter().map(|f| f.lines).sum(),
        first_failure: incident.first_failure(),
        latest: now,
    };
    ScanReport {
        users,
        aaa_servers,
        aaa_groups,
        scope: scope::assess(incident),
        management,
        totals,
        files,
    }
}

/// `vpnwatch scan`: reads the files and builds the per-user report.
pub fn scan(files: &[HeadlessFile], ctx: &ParseContext) -> anyhow::Result<ScanReport> {
    scan_with(files, ctx, ScanMode::Bulk(BulkOptions::default()))
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
/// `progress` with the bytes counted so far.
pub fn count_prefix(
    file: &HeadlessFile,
    limit: u64,
    ctx: &ParseContext,
    incident: &mut Incident,
    progress: &mut dyn FnMut(u64),
) -> anyhow::Result<()> {
    let mode = ScanMode::Bulk(BulkOptions::default());
    count_file(file, limit, ctx, mode, incident, progress).map(|_| ())
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
    {
        let counted = bulk::scan_prefix(
            &file.path,
            limit,
            file.family,
            ctx,
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
    let mut summaries = read_all(
        std::slice::from_ref(file),
        limit,
        ctx,
        incident,
        |_, _, _, _, _| Ok(()),
    )?;
    progress(limit);
    summaries
        .pop()
        .with_context(|| file.path.display().to_string())
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
        .map(|file| count_file(file, u64::MAX, ctx, mode, &mut incident, &mut |_| {}))
        .collect::<anyhow::Result<Vec<_>>>()?;
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
        "{:<width$}  {:>6}  {:>6}  {:<20}  {:<9}  LAST SEEN",
        "USER", "FAILED", "OK", "LAST CAUSE", "STATE"
    )?;
    for u in &report.users {
        writeln!(
            out,
            "{:<width$}  {:>6}  {:>6}  {:<20}  {:<9}  {}",
            name(u),
            u.failures,
            u.successes,
            u.last_cause.map(|c| c.id()).unwrap_or("-"),
            u.state.as_str(),
            time_or_dash(u.last_seen),
        )?;
    }
    let t = &report.totals;
    writeln!(out)?;
    writeln!(
        out,
        "{} failed attempts by {} users ({} failing at the end), {} successful logins, {} session ends, {} lines read",
        t.failures, t.users_with_failures, t.users_failing, t.successes, t.session_ends, t.lines
    )?;
    for s in &report.aaa_servers {
        let state = match s.state {
            ServerHealth::Active => "ACTIVE",
            ServerHealth::Failed => "FAILED",
            ServerHealth::Unknown => "not marked",
        };
        writeln!(
            out,
            "AAA server {}{}: {state}, {} transitions, {} unreachable reports",
            sanitize_str(&s.address),
            s.group
                .as_deref()
                .map(|g| format!(" ({})", sanitize_str(g)))
                .unwrap_or_default(),
            s.transitions.len(),
            s.unreachable
        )?;
    }
    for g in report.aaa_groups.iter().filter(|g| g.unreachable > 0) {
        writeln!(
            out,
            "AAA server group {}: {} whole-group unreachable reports (409023)",
            sanitize_str(&g.group),
            g.unreachable
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
    Ok(())
}
