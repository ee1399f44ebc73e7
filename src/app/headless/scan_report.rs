//! The `scan --json` document: every user, AAA server and group, the
//! management logins, the totals and the scope verdict, built from an
//! incident. Field names are a contract for scripts.

use std::borrow::Cow;

use jiff::Timestamp;
use serde::Serialize;

use super::FileSummary;
use crate::engine::scope::{self, Scope};
use crate::engine::skew;
use crate::engine::{ByFailures, Incident, ServerHealth, UserKey, UserState, UserStats};
use crate::parse;
use crate::plural::count;
use crate::sanitize::sanitize_str;
use crate::source::lines::prefetch;
use crate::vocab::{Cause, Family};

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A user's line in `scan --json`. Field names are a contract for scripts.
/// It borrows the user's texts from the incident it was built from: a log
/// of thousands of users would otherwise copy every name, address and
/// reason once more just to write them out.
#[derive(Serialize)]
pub struct UserReport<'a> {
    pub user: Cow<'a, str>,
    /// The name was hidden by the headend; `user` is then the client IP.
    pub hidden: bool,
    /// The failed attempts of a password spray from the client IP in
    /// `user`, counted apart from the names tried (README: Verdicts).
    pub spray: bool,
    pub failures: u32,
    pub successes: u32,
    pub causes: &'a std::collections::BTreeMap<Cause, u32>,
    pub last_cause: Option<Cause>,
    pub last_reason: Option<&'a str>,
    /// The auth server's reason for the last rejection (ISE, NPS), when an
    /// auth-server log was read.
    pub auth_reason: Option<&'a str>,
    pub client_ips: &'a [String],
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

/// Every user's line of the report, in the report's order, each made as
/// it is written: a `scan --json` of thousands of users writes them once,
/// on one core, after the whole file is read, and a list of them all made
/// first would be fresh memory (about 190 bytes a user) filled and read
/// back for nothing (BENCHMARKS.md, §16.25).
pub struct UserRows<'a> {
    incident: &'a Incident,
    /// The latest log time, which the windows count back from.
    now: Option<Timestamp>,
    /// Users with failures, in the Users pane's order.
    failing: ByFailures<'a>,
    /// The others who logged in, by name.
    others: Vec<(&'a UserKey, &'a UserStats)>,
}

impl<'a> UserRows<'a> {
    /// The lines, in order.
    pub fn iter(&self) -> impl Iterator<Item = UserReport<'a>> + '_ {
        (0..self.len()).filter_map(move |i| {
            // The users are read in report order, not in memory order: each
            // user's row and texts are a few cache misses apart from the
            // last's. Ask for them a few users ahead (BENCHMARKS.md, §16.25).
            if let Some((key, stats)) = self.get(i + ROWS_AHEAD) {
                prefetch_row(key, stats);
            }
            if let Some((key, stats)) = self.get(i + TEXTS_AHEAD) {
                prefetch_texts(key, stats);
            }
            let (key, stats) = self.get(i)?;
            Some(user_report(self.incident, self.now, key, stats))
        })
    }

    /// The `i`-th user in report order.
    fn get(&self, i: usize) -> Option<(&'a UserKey, &'a UserStats)> {
        match i.checked_sub(self.failing.len()) {
            None => self.failing.get(i),
            Some(j) => self.others.get(j).copied(),
        }
    }

    pub fn len(&self) -> usize {
        self.failing.len() + self.others.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Serialize for UserRows<'_> {
    /// A JSON array of the lines, as a list of them would be written.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// How many users ahead of the one being written its row is asked for,
/// and its texts (which the row points to, so it must have come first).
const ROWS_AHEAD: usize = 8;
const TEXTS_AHEAD: usize = 4;

/// Asks for the cache lines of a user's row: its key and its statistics.
fn prefetch_row(key: &UserKey, stats: &UserStats) {
    prefetch_lines((key as *const UserKey).cast(), size_of::<UserKey>());
    prefetch_lines((stats as *const UserStats).cast(), size_of::<UserStats>());
}

/// Asks for every cache line of the `len` bytes at `start`.
fn prefetch_lines(start: *const u8, len: usize) {
    for offset in (0..len).step_by(64) {
        prefetch(start.wrapping_add(offset));
    }
}

/// Asks for the first cache line of each text a user's line shows.
fn prefetch_texts(key: &UserKey, stats: &UserStats) {
    if let UserKey::Named(s) | UserKey::Hidden(s) | UserKey::Spray(s) = key {
        prefetch(s.as_ptr());
    }
    if let Some(ip) = stats.client_ips.first() {
        prefetch(stats.client_ips.as_ptr().cast::<u8>());
        prefetch(ip.as_ptr());
    }
    if let Some(reason) = &stats.last_reason {
        prefetch(reason.as_ptr());
    }
}

/// One user's line of the report.
fn user_report<'a>(
    incident: &'a Incident,
    now: Option<Timestamp>,
    key: &'a UserKey,
    s: &'a UserStats,
) -> UserReport<'a> {
    let (user, hidden) = match key {
        UserKey::Named(n) => (Cow::Borrowed(n.as_str()), false),
        UserKey::Hidden(ip) | UserKey::Spray(ip) => (
            Cow::Borrowed(ip.as_str()),
            matches!(key, UserKey::Hidden(_)),
        ),
        UserKey::Other(_) => (Cow::Owned(key.to_string()), false),
    };
    UserReport {
        user,
        hidden,
        spray: matches!(key, UserKey::Spray(_)),
        failures: s.failures,
        successes: s.successes,
        causes: &s.causes,
        last_cause: s.last_cause,
        last_reason: s.last_reason.as_deref(),
        auth_reason: s.auth_reason(),
        client_ips: &s.client_ips,
        first_failure: s.first_failure,
        last_failure: s.last_failure,
        last_seen: s.last_seen,
        times_from: incident.time_marks().of_user(s),
        state: incident.state_of(key, s),
        sessions: SessionsReport {
            up: s.sessions_up,
            down: s.sessions_down,
        },
        windows: windows(|m| s.failures_in(now, m)),
    }
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
    /// Auth-server failures that met no headend attempt though the
    /// headend's log came past them: logins the headend log read does not
    /// show (see `Incident::unmatched_auth_failures`), in no other count.
    pub unmatched_auth_failures: u64,
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

/// The whole `scan --json` document, a view of the incident and the file
/// summaries it was built from.
#[derive(Serialize)]
pub struct ScanReport<'a> {
    pub users: UserRows<'a>,
    pub aaa_servers: Vec<ServerReport>,
    pub aaa_groups: Vec<GroupReport>,
    pub scope: Scope,
    pub management: ManagementReport,
    pub totals: TotalsReport,
    pub files: &'a [FileSummary],
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

/// Builds the scan report from an incident and the summaries of the files
/// read into it.
pub fn report<'a>(incident: &'a Incident, files: &'a [FileSummary]) -> ScanReport<'a> {
    let now = incident.latest();
    // Every user seen: those with failures in the Users pane's order, then
    // the others by name ("did bob get in?"). A hidden user whose attempts
    // all turned out to be a named user's is nobody.
    let mut succeeded_only: Vec<(&UserKey, &UserStats)> = incident
        .users()
        // A name seen with neither (tried in a spray, named in an info
        // line) has no login to report.
        .filter(|(_, s)| s.failures == 0 && s.successes > 0)
        .collect();
    UserKey::sort_in_order(&mut succeeded_only, |(key, _)| key);
    let users = UserRows {
        incident,
        now,
        failing: incident.users_by_failures(),
        others: succeeded_only,
    };
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
        users_with_failures: users.failing.iter().filter(|(_, s)| s.failures > 0).count(),
        hidden_resolved: t.hidden_resolved,
        users_failing: incident.failing_now(),
        successes: t.successes,
        session_ends: t.session_ends,
        unattributed_failures: t.unattributed_failures,
        unmatched_auth_failures: incident.unmatched_auth_failures(),
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
        scope: blind_scope(files).unwrap_or_else(|| incident.scope().clone()),
        management,
        totals,
        warnings: unrecognised_warnings(files),
        join_warning: join_warning(incident, files),
        files,
    }
}

/// The skew warning for `incident`, naming the auth-server files.
pub(super) fn join_warning(incident: &Incident, files: &[FileSummary]) -> Option<String> {
    incident.join_skew_suspected().then(|| {
        skew::warning(
            files
                .iter()
                .filter(|f| f.family == Family::AuthServer)
                .map(|f| f.path.as_str()),
        )
    })
}
