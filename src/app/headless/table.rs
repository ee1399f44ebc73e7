//! The `scan` table for a terminal: one row per user and a few lines of
//! totals, servers and scope. Everything from a log is sanitised.

use std::io::{self, Write};

use jiff::Timestamp;

use super::scan_report::{ScanReport, UserReport};
use crate::engine::ServerHealth;
use crate::plural::count;
use crate::sanitize::sanitize_str;

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
    // Each user's line is made as it is asked for: made once here.
    let users: Vec<UserReport> = report.users.iter().collect();
    let width = users
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
    for u in &users {
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
        "{} by {} ({} failing at the end), {}, {}, {} read{}{}",
        count(t.failures, "failed attempt", "failed attempts"),
        count(t.users_with_failures, "user", "users"),
        t.users_failing,
        count(t.successes, "successful login", "successful logins"),
        count(t.session_ends, "session end", "session ends"),
        count(t.lines, "line", "lines"),
        // Lines that are not the log they were taken for: in no count, so
        // said (the dashboard's `unparsed`).
        match report.files.iter().map(|f| f.unrecognised).sum::<u64>() {
            0 => String::new(),
            n => format!(" ({n} unparsed)"),
        },
        crate::engine::dedup::folded(t.duplicates, t.duplicates_forgotten)
            .map(|d| format!(", {d}"))
            .unwrap_or_default(),
    )?;
    if users.iter().any(|u| !u.times_from.is_empty()) {
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
    if let Some(note) =
        crate::engine::incident::unmatched_note(report.totals.unmatched_auth_failures)
    {
        writeln!(out, "⚠ {note}")?;
    }
    Ok(())
}
