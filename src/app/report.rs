//! The postmortem: a Markdown report from the incident and the journal.
//! `vpnwatch report --journal FILE [LOGS...]` and `r` in the dashboard.
//!
//! [`render`] is a pure function of its inputs (the snapshot test pins it);
//! [`from_files`] reads a journal (read-only: a report never creates or
//! changes one) and the logs.
//!
//! Layout follows the PagerDuty / Google SRE postmortem skeleton: summary,
//! scope, who and what was affected, AAA servers, the checklist, the KPIs
//! with their definitions, and a UTC timeline merged from the journal and
//! the key log events. Log-derived text is sanitised and table cells escaped.

use std::path::{Path, PathBuf};

use anyhow::Context;
use jiff::Timestamp;

use crate::engine::checklist::Checklist;
use crate::engine::kpi::{self, ResolvedBy, StartBasis};
use crate::engine::{Incident, ServerHealth, UserKey};
use crate::journal;
use crate::parse::ParseContext;
use crate::plural::count;
use crate::runbook::Runbook;
use crate::sanitize::sanitize_str;
use crate::vocab::{Cause, Family};

/// Users listed in the report's table.
const TOP_USERS: usize = 10;

/// One log a report was made from.
pub struct ReportSource {
    pub name: String,
    pub family: Family,
    pub lines: u64,
    /// Lines (records) not recognised as that family's log.
    pub unparsed: u64,
}

/// What a report is made from.
pub struct ReportInput<'a> {
    pub incident: &'a Incident,
    pub checklist: &'a Checklist,
    /// The logs read.
    pub sources: &'a [ReportSource],
    pub journal: &'a str,
    pub generated_at: Timestamp,
}

fn utc(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

fn opt_utc(ts: Option<Timestamp>) -> String {
    ts.map_or_else(|| "—".to_string(), utc)
}

/// A log time with its mark when it is not its line's own: `~` a JSON
/// record's time, `?` the time the line was read (see
/// [`crate::vocab::TimeFrom::mark`]).
fn log_utc(inc: &Incident, ts: Option<Timestamp>) -> String {
    format!("{}{}", opt_utc(ts), md_mark(inc.time_mark(ts)))
}

/// A time mark as Markdown text: two `~` in one table row would otherwise
/// strike through what lies between them.
fn md_mark(mark: &str) -> &str {
    match mark {
        "~" => "\\~",
        other => other,
    }
}

/// What the marks of [`log_utc`] mean, when any time carries one.
fn time_marks_legend(inc: &Incident) -> Option<String> {
    let marks = inc.time_marks();
    marks.any().then(|| {
        let mut s = "- Times marked `~` are a JSON record's time (the line had none of its own), \
                     `?` the time vpnwatch read the line (no time anywhere)"
            .to_string();
        if marks.incomplete() {
            s.push_str("; too many such times to mark them all: an unmarked time may be one");
        }
        s
    })
}

fn dur(d: Option<jiff::SignedDuration>) -> String {
    match d {
        Some(d) => {
            let s = d.as_secs().max(0);
            format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
        }
        None => "—".to_string(),
    }
}

/// Text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    sanitize_str(s)
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// The summary's line when the report read no logs.
const NO_LOGS: &str =
    "- Logins not known: no logs were read (`vpnwatch report --journal FILE LOGS…` reads them)";

/// What the report says wherever zero failures would read as "none" while
/// the headend's view of logins is missing (`Incident::headend_blind`).
fn headend_not_known(why: &str) -> String {
    format!("headend's logins are not known: {why}")
}

/// Renders the report.
pub fn render(input: &ReportInput) -> String {
    let inc = input.incident;
    let list = input.checklist;
    let totals = inc.totals();
    let kpis = kpi::compute(inc.first_failure(), list);
    let mut md = String::new();
    let mut line = |s: &str| {
        md.push_str(s);
        md.push('\n');
    };

    line(&format!("# Postmortem: {}", cell(&list.title)));
    line("");
    line(&format!(
        "Generated {} UTC by vpnwatch from the journal `{}`.",
        utc(input.generated_at),
        cell(input.journal)
    ));
    if !input.sources.is_empty() {
        let names: Vec<String> = input
            .sources
            .iter()
            .map(|s| {
                // What the dashboard shows as unparsed: lines that are not
                // the log the file was taken for, in no count.
                let unparsed = if s.unparsed > 0 {
                    format!(", {} unparsed", s.unparsed)
                } else {
                    String::new()
                };
                format!(
                    "`{}` ({}, {}{unparsed})",
                    cell(&s.name),
                    s.family.as_str(),
                    count(s.lines, "line", "lines")
                )
            })
            .collect();
        line(&format!("Logs: {}.", names.join(", ")));
    }
    line("");

    line("## Summary");
    line("");
    let status = match (kpis.resolved, kpis.mitigated) {
        (Some((t, ResolvedBy::Mark)), _) => format!("resolved at {} UTC (R mark)", utc(t)),
        (Some((t, ResolvedBy::AllStepsClosed)), _) => {
            format!("resolved at {} UTC (every step done or skipped)", utc(t))
        }
        (None, Some(t)) => format!("mitigated at {} UTC, not resolved", utc(t)),
        (None, None) => "open".to_string(),
    };
    line(&format!("- Status: {status}"));
    // Without logs zero failures means "not read", never "none".
    let read_no_logs = input.sources.is_empty();
    if read_no_logs {
        line(NO_LOGS);
    } else {
        line(&format!(
            "- {} by {} ({} failing at the end of the logs); {}",
            count(
                totals.failures,
                "failed login attempt",
                "failed login attempts"
            ),
            count(inc.users_by_failures().len(), "user", "users"),
            inc.failing_now(),
            count(totals.successes, "successful login", "successful logins"),
        ));
        if let Some(why) = inc.headend_blind() {
            // Zero failures from a headend whose logins are not in its
            // log is "cannot see", never "none".
            line(&format!("- The {}", headend_not_known(why)));
        }
        if let Some(note) = crate::engine::incident::unmatched_note(inc.unmatched_auth_failures()) {
            line(&format!("- {note}"));
        }
    }
    if totals.spray_attempts > 0 {
        line(&format!(
            "- {} of password sprays, counted apart (see Scope)",
            count(totals.spray_attempts, "failed attempt", "failed attempts")
        ));
    }
    if let Some(folded) =
        crate::engine::dedup::folded(totals.duplicates, inc.duplicates_forgotten())
    {
        // A relay and the headend's own file: one line each, counted once.
        line(&format!(
            "- {folded} (the same headend line from two sources)"
        ));
    }
    let admin = inc.management().failures;
    if admin > 0 {
        line(&format!(
            "- {} to the headend itself (management, not VPN)",
            count(admin, "failed login", "failed logins")
        ));
    }
    line(&format!(
        "- First failure {} UTC; logs end {} UTC",
        log_utc(inc, inc.first_failure()),
        log_utc(inc, inc.latest())
    ));
    if let Some(legend) = time_marks_legend(inc) {
        line(&legend);
    }
    let (closed, steps) = list.progress();
    line(&format!(
        "- Runbook: {closed} of {} done or skipped",
        count(steps, "step", "steps")
    ));
    line("");

    line("## Scope");
    line("");
    for l in scope_section(inc) {
        line(&l);
    }
    line("");

    line("## Top users");
    line("");
    let users = inc.users_by_failures();
    if read_no_logs {
        line("Not known: no logs were read.");
    } else if users.is_empty() {
        match inc.headend_blind() {
            Some(why) => line(&format!(
                "No failed logins in the lines read; the {}.",
                headend_not_known(why)
            )),
            None => line("No failed logins."),
        }
    } else {
        line("| User | State | Failed | OK | Causes | Client IPs | Last failure (UTC) |");
        line("|---|---|---:|---:|---|---|---|");
        for (key, stats) in users.iter().take(TOP_USERS) {
            let causes: Vec<String> = stats
                .causes
                .iter()
                .map(|(c, n)| format!("{} {n}", c.id()))
                .collect();
            line(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(&key.to_string()),
                inc.state_of(key, stats).label(),
                stats.failures,
                stats.successes,
                causes.join(", "),
                cell(&stats.client_ips.join(", ")),
                log_utc(inc, stats.last_failure)
            ));
        }
        if users.len() > TOP_USERS {
            line(&format!("\nand {} more.", users.len() - TOP_USERS));
        }
    }
    line("");

    line("## Causes");
    line("");
    let mut causes: Vec<(Cause, u32, usize)> = Vec::new();
    // Spray attempts say nothing about what hurt users (README: Verdicts).
    for (_, stats) in users.iter().filter(|(k, _)| !inc.is_attack(k)) {
        for (&c, &n) in &stats.causes {
            match causes.iter_mut().find(|(k, _, _)| *k == c) {
                Some(e) => {
                    e.1 += n;
                    e.2 += 1;
                }
                None => causes.push((c, n, 1)),
            }
        }
    }
    causes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if read_no_logs {
        line("Not known: no logs were read.");
    } else if causes.is_empty() {
        match inc.headend_blind() {
            Some(why) => line(&format!(
                "None in the lines read; the {}.",
                headend_not_known(why)
            )),
            None => line("None."),
        }
    } else {
        line("| Cause | Attempts | Users |");
        line("|---|---:|---:|");
        for (c, n, u) in &causes {
            line(&format!("| `{}` | {n} | {u} |", c.id()));
        }
    }
    line("");

    line("## AAA servers");
    line("");
    if inc.servers().is_empty() {
        line("No AAA server named in the logs.");
    } else {
        line(
            "| Server | Group | State at the end | Since (UTC) | Unreachable reports | Transitions |",
        );
        line("|---|---|---|---|---:|---|");
        let mut servers: Vec<_> = inc.servers().iter().collect();
        servers.sort_by(|a, b| a.address.cmp(&b.address));
        for s in servers {
            let transitions: Vec<String> = s
                .transitions
                .iter()
                .map(|(t, h)| format!("{} {}", health(*h), log_utc(inc, *t)))
                .collect();
            line(&format!(
                "| {} | {} | {} | {} | {} | {} |",
                cell(&s.address),
                cell(s.group.as_deref().unwrap_or("—")),
                health(s.health),
                log_utc(inc, s.since),
                s.unreachable,
                if transitions.is_empty() {
                    "—".to_string()
                } else {
                    transitions.join("; ")
                }
            ));
        }
    }
    line("");

    line("## Checklist");
    line("");
    line("| Step | State | Who | When (UTC) | Notes |");
    line("|---|---|---|---|---|");
    for item in list.items() {
        let indent = if item.depth > 0 { "↳ " } else { "" };
        let notes: Vec<String> = item
            .notes
            .iter()
            .map(|n| format!("{} ({}, {})", cell(&n.text), cell(&n.operator), utc(n.ts)))
            .collect();
        line(&format!(
            "| {indent}{} {} | {} | {} | {} | {} |",
            item.id,
            cell(&item.text),
            item.state.label(),
            cell(item.changed_by.as_deref().unwrap_or("—")),
            opt_utc(item.changed_at),
            notes.join("; ")
        ));
    }
    line("");

    line("## KPIs");
    line("");
    let start = match kpis.start {
        Some(s) => format!(
            "{} UTC ({})",
            utc(s.at),
            match s.basis {
                StartBasis::FirstFailure => "first failed login, log time",
                StartBasis::FirstRecord =>
                    "first journal record: the logs are more than 1 h older than the journal",
            }
        ),
        None => "—".to_string(),
    };
    line("| KPI | Value | Definition |");
    line("|---|---|---|");
    line(&format!("| Start | {start} | {} |", def("start")));
    line(&format!(
        "| Detected | {} | {} |",
        opt_utc(kpis.detected),
        def("detected")
    ));
    line(&format!(
        "| Time to first action | {} (at {}) | {} |",
        dur(kpis.ttfa()),
        opt_utc(kpis.first_action),
        def("first action")
    ));
    line(&format!(
        "| Time to mitigate | {} (at {}) | {} |",
        dur(kpis.ttm()),
        opt_utc(kpis.mitigated),
        def("mitigated")
    ));
    line(&format!(
        "| Time to resolve | {} (at {}) | {} |",
        dur(kpis.ttr()),
        opt_utc(kpis.resolved.map(|r| r.0)),
        def("resolved")
    ));
    line(&format!(
        "| Last journal update | {} | {} |",
        opt_utc(kpis.last_update),
        "time since then is shown live in the dashboard"
    ));
    line("");
    line(
        "Durations run from the start. Detection is log time and actions are wall time; \
         for live logs they agree. Per-incident durations, not means.",
    );
    line("");

    line("## Timeline (UTC)");
    line("");
    line("| Time (UTC) | Source | Event |");
    line("|---|---|---|");
    for (ts, source, what) in timeline(inc, list) {
        // Journal times are wall times, never a line's.
        let mark = if source == "log" {
            md_mark(inc.time_mark(Some(ts)))
        } else {
            ""
        };
        line(&format!(
            "| {}{mark} | {source} | {} |",
            utc(ts),
            cell(&what)
        ));
    }
    md
}

fn def(name: &str) -> &'static str {
    kpi::DEFINITIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, d)| d.trim_start_matches("KPI: "))
}

fn health(h: ServerHealth) -> &'static str {
    match h {
        ServerHealth::Failed => "✖ FAILED",
        ServerHealth::Active => "✔ ACTIVE",
        ServerHealth::Unknown => "not marked",
    }
}

/// Hook for the scope analysis: the verdict and its evidence.
fn scope_section(inc: &Incident) -> Vec<String> {
    let scope = inc.scope();
    vec![
        format!("**{}**", scope.verdict.as_str()),
        String::new(),
        format!("Evidence: {}", sanitize_str(&scope.evidence)),
    ]
}

/// Key log events and every journal record, oldest first (ties: log
/// events before journal records, then in the order given).
fn timeline(inc: &Incident, list: &Checklist) -> Vec<(Timestamp, &'static str, String)> {
    let mut out: Vec<(Timestamp, &'static str, String)> = Vec::new();
    if let Some(t) = inc.first_failure() {
        out.push((t, "log", "first failed login of the incident".into()));
    }
    for s in inc.servers() {
        for (t, h) in &s.transitions {
            if let Some(t) = t {
                out.push((
                    *t,
                    "log",
                    format!("AAA server {} marked {}", s.address, health(*h)),
                ));
            }
        }
    }
    for (key, stats) in inc.users_by_failures() {
        // `(other N users)`: a login there is one user's, the failed
        // attempts many users'; "logged in after" would say the row
        // recovered while it may be failing.
        if let (Some(ok), Some(first)) = (stats.last_success, stats.first_failure)
            && ok > first
            && !matches!(key, UserKey::Other(_))
        {
            out.push((
                ok,
                "log",
                format!(
                    "{} logged in after {}",
                    describe_user(key),
                    count(stats.failures, "failed attempt", "failed attempts")
                ),
            ));
        }
    }
    if let Some(last) = inc
        .users_by_failures()
        .iter()
        .filter_map(|(_, s)| s.last_failure)
        .max()
    {
        out.push((last, "log", "last failed login in the logs".into()));
    }
    out.sort_by_key(|e| e.0);
    let mut journal: Vec<(Timestamp, &'static str, String)> = list
        .history()
        .iter()
        .filter_map(|r| {
            Some((
                r.ts()?,
                "journal",
                format!("{}: {}", r.operator().unwrap_or("?"), r.describe()),
            ))
        })
        .collect();
    out.append(&mut journal);
    // Stable: equal times keep log events first.
    out.sort_by_key(|e| e.0);
    out
}

fn describe_user(key: &UserKey) -> String {
    key.to_string()
}

/// Reads the journal (never creating it) and the logs, applies both, and
/// renders the report.
pub fn from_files(
    journal_path: &Path,
    runbook: &Runbook,
    logs: &[super::headless::HeadlessFile],
    ctx: &ParseContext,
    limits: crate::engine::IncidentLimits,
    generated_at: Timestamp,
) -> anyhow::Result<(String, Vec<String>)> {
    let bytes = std::fs::read(journal_path)
        .with_context(|| format!("journal {}", journal_path.display()))?;
    let replay = journal::replay(journal_path, &bytes)?;
    let mut checklist = Checklist::new(runbook);
    let mut warnings = replay.warnings;
    let skipped = replay
        .records
        .iter()
        .filter(|r| !checklist.apply(r))
        .count();
    if skipped > 0 {
        warnings.push(format!(
            "journal {}: {skipped} records name steps this runbook does not have (or a newer kind)",
            journal_path.display()
        ));
    }
    // The logs through the one reading path, as `scan` reads them.
    let never = std::sync::atomic::AtomicBool::new(false);
    let survey = super::bundle::survey(logs, ctx, limits, false, &never)?;
    let incident = survey.incident;
    let names: Vec<ReportSource> = logs
        .iter()
        .zip(&survey.counts)
        .map(|(f, c)| ReportSource {
            name: super::bundle::file_name(&f.path),
            family: f.family,
            lines: c.lines,
            unparsed: c.unrecognised,
        })
        .collect();
    let md = render(&ReportInput {
        incident: &incident,
        checklist: &checklist,
        sources: &names,
        journal: &journal_path.display().to_string(),
        generated_at,
    });
    Ok((md, warnings))
}

/// Writes a report file fsynced under a fresh name; returns the path.
pub fn write_file(dir: &Path, md: &str, at: Timestamp) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    let path = dir.join(format!(
        "vpnwatch-report-{}.md",
        at.strftime("%Y%m%dT%H%M%SZ")
    ));
    let mut file = std::fs::File::create(&path).with_context(|| path.display().to_string())?;
    file.write_all(md.as_bytes())
        .and_then(|_| file.sync_all())
        .with_context(|| path.display().to_string())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::checklist::{Mark, Record};
    use crate::parse::ParseContext;
    use crate::pipeline::Model;

    #[test]
    fn an_undone_mark_is_in_the_timeline_and_not_a_milestone() {
        let rb = crate::runbook::parse("## Steps\n1. one\n").unwrap();
        let mut model = Model::new(Vec::new(), &rb, 10, ParseContext::default());
        let t = |s: i64| Timestamp::from_second(1_800_000_000 + s).unwrap();
        let mark = Record::Mitigated(Mark {
            ts: t(0),
            operator: "ana".into(),
            note: None,
        });
        assert!(model.checklist.apply(&mark));
        assert!(model.checklist.apply(&mark.undo("ana", t(60)).unwrap()));
        let md = render(&ReportInput {
            incident: &model.incident,
            checklist: &model.checklist,
            sources: &[],
            journal: "j.jsonl",
            generated_at: t(120),
        });
        assert!(md.contains("ana: undid: marked MITIGATED"), "{md}");
        assert!(!md.contains("mitigated at"), "{md}");
    }

    #[test]
    fn the_timeline_says_no_one_logged_in_for_the_users_past_the_cap() {
        let rb = crate::runbook::parse("## Steps\n1. one\n").unwrap();
        let ctx = ParseContext::for_year(2026);
        let mut model = Model::new(Vec::new(), &rb, 10, ctx.clone());
        model.incident = Incident::with_limits(crate::engine::IncidentLimits { max_users: 1 });
        let at = |s: u32| format!("Jun 01 2026 10:00:{s:02} fw1 : %ASA-6-");
        // Past the cap: amy fails and stays failing; bob fails, then logs in.
        for line in [
            format!(
                "{}113004: AAA user authentication Successful : server = 10.0.0.5 : user = kim",
                at(0)
            ),
            format!(
                "{}113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.5 : user = kim : user IP = 192.0.2.1",
                at(5)
            ),
            format!(
                "{}113004: AAA user authentication Successful : server = 10.0.0.5 : user = kim",
                at(8)
            ),
            format!(
                "{}113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.5 : user = amy : user IP = 192.0.2.9",
                at(10)
            ),
            format!(
                "{}113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.5 : user = bob : user IP = 192.0.2.8",
                at(20)
            ),
            format!(
                "{}113004: AAA user authentication Successful : server = 10.0.0.5 : user = bob",
                at(30)
            ),
        ] {
            let ev = crate::parse::parse_line(&line, crate::vocab::Family::Headend, &ctx)
                .expect("an ASA line");
            model.incident.apply(&ev);
        }
        let md = render(&ReportInput {
            incident: &model.incident,
            checklist: &model.checklist,
            sources: &[],
            journal: "j.jsonl",
            generated_at: Timestamp::now(),
        });
        // The tracked user's login is there; the row's is not.
        assert!(md.contains("kim logged in after 1 failed attempt"), "{md}");
        assert!(!md.contains("users) logged in"), "{md}");
    }
}
