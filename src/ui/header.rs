//! The header lines: incident clock, live state, totals, AAA server health,
//! the state of each source, and the scope verdict with its evidence.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::draw::{WIDE, clock, hms};
use super::theme::emphasis;
use super::{Theme, UiState};
use crate::engine::{ServerHealth, Verdict};
use crate::pipeline::Model;
use crate::plural::count;
use crate::sanitize::sanitize_str;
use crate::vocab::Notice;
use jiff::Timestamp;

/// What survives when the header narrows, most important first: a part of
/// a header line is left out only after every part of that line that comes
/// later in this order (README, "The header"). Within one priority the
/// later part goes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Priority {
    /// The verdict word (INCIDENT, BLIND, COUNTING …) and the scope
    /// verdict with its evidence.
    Verdict,
    /// Users failing now, and `PAUSED` (the panes are not showing now).
    FailingNow,
    /// Failed attempts, and a spray's attempts counted apart (ATTACK).
    Failed,
    /// Users with failures, and failed logins to the headend itself.
    Users,
    /// `LOG … OLD` / `AHEAD`: the newest line is not now.
    Stale,
    Logins,
    Runbook,
    /// AAA server health, and what a source lacks (nothing recognised,
    /// quiet, dropped, polling, clock skew).
    SourceAlerts,
    /// The time zone note, `LIVE`, names resolved, the title.
    Details,
    /// Each source's name and line count.
    Sources,
}

/// A header line's parts, fitted to a width by [`Priority`].
#[derive(Default)]
pub(super) struct Parts(Vec<(Priority, Vec<Span<'static>>)>);

impl Parts {
    fn push(&mut self, priority: Priority, spans: Vec<Span<'static>>) {
        self.0.push((priority, spans));
    }

    fn one(&mut self, priority: Priority, text: String, style: ratatui::style::Style) {
        self.push(priority, vec![Span::styled(text, style)]);
    }

    /// The parts that fit `width` columns, in their order: the least
    /// important (the last of them first) are left out until the rest fit.
    /// The most important part is cut at the edge, never left out.
    pub(super) fn fit(mut self, width: usize) -> Line<'static> {
        let len = |p: &(Priority, Vec<Span>)| p.1.iter().map(Span::width).sum::<usize>();
        while self.0.iter().map(len).sum::<usize>() > width && self.0.len() > 1 {
            let Some(drop) = (0..self.0.len()).max_by_key(|&i| (self.0[i].0, i)) else {
                break;
            };
            let others = self.0.iter().filter(|p| p.0 != Priority::Verdict).count();
            // The most important part is cut at the edge, never dropped.
            if self.0[drop].0 == Priority::Verdict || others <= 1 {
                break;
            }
            self.0.remove(drop);
        }
        Line::from(self.0.into_iter().flat_map(|(_, s)| s).collect::<Vec<_>>())
    }
}

pub(super) fn draw_header(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    ui: &UiState,
    theme: &Theme,
    wall: Timestamp,
) {
    let lines = header_lines(model, ui, theme, wall, area.width);
    frame.render_widget(Paragraph::new(lines).style(theme.header), area);
}

/// `33d`, `5h`, `12m` or `40s`: how far the newest line is from now, in
/// the room the badge has.
fn span_text(d: jiff::SignedDuration) -> String {
    let secs = d.as_secs().max(0);
    match secs {
        86_400.. => format!("{}d", secs / 86_400),
        3_600.. => format!("{}h", secs / 3_600),
        60.. => format!("{}m", secs / 60),
        _ => format!("{secs}s"),
    }
}

/// How the newest line's time stands against the wall clock, as a badge.
pub(super) enum LogTime {
    /// `◷ LOG 7d OLD` or `◷ LOG 5h AHEAD`: what is on screen is not now.
    NotNow(Span<'static>),
    /// `● LIVE`.
    Live(Span<'static>),
}

/// The header's badge for the newest line's time; the presenter view
/// shows the same. The newest line is old (an archived log, a replay) or
/// in the future (a wrong zone): never `LIVE`, whose green says "this is
/// happening now", and said beside `PAUSED` too. `LIVE` is left out while
/// paused; no line yet: no badge.
pub(super) fn log_time_badge(
    model: &Model,
    wall: Timestamp,
    paused: bool,
    theme: &Theme,
) -> Option<LogTime> {
    let latest = model.incident.latest()?;
    if crate::engine::incident::logs_live(latest, wall) {
        return (!paused).then(|| LogTime::Live(Span::styled(" ● LIVE ", theme.live)));
    }
    let behind = wall.duration_since(latest);
    let text = if behind.is_negative() {
        format!(" ◷ LOG {} AHEAD ", span_text(-behind))
    } else {
        format!(" ◷ LOG {} OLD ", span_text(behind))
    };
    Some(LogTime::NotNow(Span::styled(text, theme.paused)))
}

/// The header's four lines at `width` columns: the incident's state and
/// counts, the scope verdict, the AAA servers and sources, the KPIs.
pub(super) fn header_lines(
    model: &Model,
    ui: &UiState,
    theme: &Theme,
    wall: Timestamp,
    width: u16,
) -> Vec<Line<'static>> {
    use Priority as P;
    let inc = &model.incident;
    let totals = inc.totals();
    let age = super::kpi::incident_age(model, wall);
    let failing = inc.failing_now();

    let narrow = width < WIDE;
    let mut top = Parts::default();
    top.one(P::Details, " vpnwatch ".into(), theme.title);
    let counting = model.backlog_progress().is_some();
    // Blind: zero counts mean "could not see", never "all clear".
    let blind = if counting { None } else { model.blind() };
    let word = match (inc.first_failure(), age) {
        // No verdict of "no failures" before the earlier lines are in.
        (None, _) if counting => Span::styled(" COUNTING ", theme.paused),
        _ if blind.is_some() => Span::styled(
            " ◌ BLIND ",
            emphasis(theme.alert.add_modifier(ratatui::style::Modifier::REVERSED)),
        ),
        (Some(_), Some(age)) => {
            let style = if failing > 0 { theme.alert } else { theme.ok };
            Span::styled(format!(" INCIDENT {} ", hms(age)), emphasis(style))
        }
        _ => Span::styled(" NO AUTH FAILURES ", theme.ok),
    };
    top.push(P::Verdict, vec![Span::raw(" "), word]);
    if let Some((done, total)) = model.backlog_progress() {
        // The counts below cover nothing until the earlier lines are in.
        let pct = (done.saturating_mul(100) / total.max(1)).min(100);
        let text = if narrow {
            format!(" counting earlier lines {pct}% ")
        } else {
            format!(
                " counting earlier lines {pct}% ({} of {} MB) ",
                done / 1_000_000,
                total / 1_000_000
            )
        };
        top.push(
            P::Verdict,
            vec![Span::raw(" "), Span::styled(text, theme.paused)],
        );
    }
    let paused = ui.paused && !ui.is_live();
    if paused {
        top.push(
            P::FailingNow,
            vec![Span::raw(" "), Span::styled(" ‖ PAUSED ", theme.paused)],
        );
    }
    // Kept before the logins and the runbook when the panes do not show
    // now.
    match log_time_badge(model, wall, paused, theme) {
        Some(LogTime::NotNow(badge)) => top.push(P::Stale, vec![Span::raw(" "), badge]),
        Some(LogTime::Live(badge)) => top.push(P::Details, vec![Span::raw(" "), badge]),
        None => {}
    }
    top.one(
        P::FailingNow,
        format!("  {failing} failing now"),
        if failing > 0 {
            emphasis(theme.failure)
        } else {
            theme.header
        },
    );
    let failed = if narrow {
        count(totals.failures, "failed", "failed")
    } else {
        count(totals.failures, "failed attempt", "failed attempts")
    };
    top.one(P::Failed, format!(" · ✖ {failed}"), theme.failure);
    if totals.spray_attempts > 0 {
        // Counted apart: a spray is an attack, not users failing.
        top.one(
            P::Failed,
            format!(
                " · ⚠ {}",
                count(totals.spray_attempts, "spray attempt", "spray attempts")
            ),
            theme.marker,
        );
    }
    let users = inc.users_by_failures().len();
    let mut users_part = vec![Span::styled(
        format!(" · {}", count(users, "user", "users")),
        theme.header,
    )];
    let others = inc.other_users();
    if others > 0 {
        // Past --max-users: the counts stay exact, the names are not listed.
        // One part with the users' count, so that a narrow screen never
        // shows the count without it (the scope line counts them all).
        let past = if narrow {
            format!(" ⚠ +{others} past cap")
        } else {
            format!(" · ⚠ {} past --max-users", count(others, "user", "users"))
        };
        users_part.push(Span::styled(past, theme.marker));
    }
    top.push(P::Users, users_part);
    let admin_failures = inc.management().failures;
    if admin_failures > 0 {
        // Logins to the headend itself, counted apart from VPN users: an
        // administrator account being guessed is its own alarm.
        top.one(
            P::Users,
            format!(
                " · ✖ {}",
                count(
                    admin_failures,
                    "admin login failure",
                    "admin login failures"
                )
            ),
            theme.failure,
        );
    }
    // Blind, a count is what could be seen, not what happened: no green
    // tick beside it.
    top.one(
        P::Logins,
        format!(" · ✔ {}", count(totals.successes, "login", "logins")),
        if blind.is_some() {
            theme.muted
        } else {
            theme.success
        },
    );
    if totals.hidden_resolved > 0 {
        // Attempts the headend logged as ***** that an auth-server line named.
        top.one(
            P::Details,
            format!(" · {} hidden named", totals.hidden_resolved),
            theme.header,
        );
    }
    let (closed, steps) = model.checklist.progress();
    top.one(
        P::Runbook,
        format!(" · runbook {closed}/{steps}"),
        theme.muted,
    );
    // Which zone the times are shown in (and `--tz`, when given).
    top.one(
        P::Details,
        format!("  {}", sanitize_str(&model.time_note)),
        theme.muted,
    );

    let mut bottom = Parts::default();
    bottom.push(P::Verdict, vec![Span::raw(" ")]);
    if !inc.servers().is_empty() {
        let mut spans = vec![Span::styled("AAA ", theme.header)];
        // The servers the headend marked or reported unreachable first, by
        // address (a server that flaps does not jump along the line); then
        // those it never marked, in one group: the logs say nothing of
        // their health (no tick: `scan` and the report say `not marked`),
        // and on a narrow screen the marked ones must not be cut off for
        // them. A probed server keeps its own place, with its answer.
        let mut servers: Vec<_> = inc.servers().iter().collect();
        servers.sort_by(|a, b| a.address.cmp(&b.address));
        let quiet = |s: &&crate::engine::AaaServer| {
            s.health == ServerHealth::Unknown
                && s.unreachable == 0
                && !ui.probes.contains_key(&s.address)
        };
        let (unmarked, shown): (Vec<_>, Vec<_>) = servers.into_iter().partition(quiet);
        for (i, server) in shown.into_iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(" · ", theme.muted));
            }
            let since = server
                .since
                .map(|t| format!(" since {}", clock(t)))
                .unwrap_or_default();
            let (word, style) = match server.health {
                ServerHealth::Failed => (format!("✖ FAILED{since}"), theme.failure),
                ServerHealth::Active => (format!("✔ ACTIVE{since}"), theme.ok),
                ServerHealth::Unknown if server.unreachable == 0 => {
                    ("not marked".to_string(), theme.header)
                }
                ServerHealth::Unknown => (
                    format!("⚠ {} unreachable", server.unreachable),
                    theme.marker,
                ),
            };
            spans.push(Span::styled(
                format!("{} {word}", sanitize_str(&server.address)),
                style,
            ));
            if let Some(probe) = ui.probes.get(&server.address) {
                let healthy = server.health == ServerHealth::Active
                    || (server.health == ServerHealth::Unknown && server.unreachable == 0);
                probe_spans(
                    &mut spans,
                    probe,
                    server.health == ServerHealth::Failed,
                    healthy,
                    theme,
                );
            }
        }
        if !unmarked.is_empty() {
            if spans.len() > 1 {
                spans.push(Span::styled(" · ", theme.muted));
            }
            let names: Vec<String> = unmarked.iter().map(|s| sanitize_str(&s.address)).collect();
            spans.push(Span::styled(
                format!("{} not marked", names.join(", ")),
                theme.header,
            ));
        }
        spans.push(Span::styled("  │ ", theme.muted));
        bottom.push(P::SourceAlerts, spans);
    }
    for (i, src) in model.sources.iter().enumerate() {
        let sep = if i > 0 { " · " } else { "" };
        bottom.one(
            P::Sources,
            format!(
                "{sep}{} {}",
                sanitize_str(&src.name),
                count(src.lines, "line", "lines")
            ),
            theme.muted,
        );
        if src.lines > 0 && src.recognised == 0 && !counting {
            // Read but not recognised: not the log it was taken for.
            bottom.one(
                P::SourceAlerts,
                format!(
                    " ✖ {}: 0 of {} lines recognised",
                    sanitize_str(&src.name),
                    crate::engine::thousands(src.lines)
                ),
                theme.failure,
            );
        } else if src.unrecognised > 0 {
            bottom.one(
                P::Sources,
                format!(" ({} unparsed)", src.unrecognised),
                theme.muted,
            );
        }
        // Network sources: what did not arrive as sent. Shown only once
        // non-zero, so a quiet header means nothing was lost.
        let st = &src.stats;
        for (n, what) in [
            (st.dropped, "dropped"),
            (st.truncated, "truncated"),
            (st.malformed, "malformed"),
            (st.disallowed, "from disallowed senders"),
            (st.kernel_dropped, "dropped by the kernel"),
            (src.records_dropped, "records dropped"),
        ] {
            if n > 0 {
                bottom.one(P::SourceAlerts, format!(" ✖ {n} {what}"), theme.marker);
            }
        }
        if let Some(reason) = &src.polling {
            bottom.one(
                P::SourceAlerts,
                format!(" ⚠ polling: {}", sanitize_str(reason)),
                theme.marker,
            );
        }
        if let Some(status) = notice_text(src.status.as_ref()) {
            bottom.one(P::SourceAlerts, format!(" {status}"), theme.marker);
        }
        if let Some(silent) = model.quiet(i) {
            bottom.one(
                P::SourceAlerts,
                format!(" ⚠ {} quiet {}", sanitize_str(&src.name), hms(silent)),
                theme.marker,
            );
        }
    }
    // Copies of headend lines that two sources delivered (a relay and the
    // headend's file): folded, and said so beside the sources.
    if let Some(folded) =
        crate::engine::dedup::folded(inc.totals().duplicates, inc.duplicates_forgotten())
    {
        bottom.one(P::Sources, format!(" · = {folded}"), theme.muted);
    }
    // Doubt about the join: said beside the sources, whose clocks it doubts.
    if inc.join_skew_suspected() {
        let auth = model
            .sources
            .iter()
            .filter(|s| s.family == crate::vocab::Family::AuthServer)
            .map(|s| s.name.as_str());
        bottom.one(
            P::SourceAlerts,
            format!("  {}", sanitize_str(&crate::engine::skew::warning(auth))),
            theme.marker,
        );
    }
    // Logins the headend log does not show: said beside the sources, one
    // of which is missing.
    // Ahead of the AAA servers when both do not fit: failures in no
    // count are what a narrow screen must still say.
    if let Some(note) = crate::engine::incident::unmatched_short(inc.unmatched_auth_failures()) {
        bottom.one(P::Runbook, format!("  ⚠ {note}"), theme.marker);
    }
    // The verdict line: what the bridge asks first. The evidence quotes
    // log text (server names, reasons), hence the sanitiser.
    let verdict = inc.scope();
    let verdict_style = match verdict.verdict {
        Verdict::Infrastructure | Verdict::Widespread | Verdict::Attack => theme.alert,
        Verdict::Isolated => theme.marker,
        Verdict::None => theme.ok,
        Verdict::Unknown => theme.marker,
    };
    let scope_line = if let Some(reason) = &blind {
        Line::from(vec![
            Span::raw(" "),
            Span::styled(" SCOPE UNKNOWN ", emphasis(theme.marker)),
            Span::styled(format!("  {}", sanitize_str(reason)), theme.header),
        ])
    } else if counting {
        Line::from(vec![
            Span::raw(" "),
            Span::styled(" SCOPE … ", theme.paused),
            Span::styled(
                "  no verdict until the earlier lines are counted",
                theme.header,
            ),
        ])
    } else {
        Line::from(vec![
            Span::raw(" "),
            Span::styled(
                format!(" SCOPE {} ", verdict.verdict.as_str().to_uppercase()),
                emphasis(verdict_style),
            ),
            Span::styled(
                format!("  {}", sanitize_str(&verdict.evidence)),
                theme.header,
            ),
        ])
    };
    let width = usize::from(width);
    vec![
        top.fit(width),
        // The verdict and its evidence before the sources: it is what the
        // bridge asks first, and the evidence is cut last.
        scope_line,
        bottom.fit(width),
        super::kpi::kpi_line(model, theme, wall, narrow),
    ]
}

/// The probe's result beside the log-derived health (`A`), and a warning
/// when the two disagree: the logs say FAILED but the server answers now,
/// or the logs have no complaint but the probe got no answer.
fn probe_spans(
    out: &mut Vec<Span<'static>>,
    probe: &super::ProbeMark,
    logs_failed: bool,
    logs_healthy: bool,
    theme: &Theme,
) {
    let style = if probe.ok { theme.ok } else { theme.failure };
    out.push(Span::styled(format!(" {}", probe.short), style));
    if logs_failed && probe.ok {
        out.push(Span::styled(" ⚠ logs FAILED, probe answers", theme.marker));
    } else if logs_healthy && !probe.answered && !probe.short.starts_with('…') {
        out.push(Span::styled(
            " ⚠ logs: no failure, probe no answer",
            theme.marker,
        ));
    }
}

/// Words for a notice worth showing in the header; `None` for routine ones.
pub(super) fn notice_text(notice: Option<&Notice>) -> Option<String> {
    Some(match notice? {
        Notice::Waiting(p) => format!("waiting for {}", sanitize_str(&p.display().to_string())),
        Notice::Error(e) => format!("⚠ {}", sanitize_str(e)),
        Notice::Removed(_) => "removed".to_string(),
        Notice::Finished => "finished".to_string(),
        Notice::Status(s) => sanitize_str(s),
        Notice::Opened(_)
        | Notice::Rotated(_)
        | Notice::Truncated(_)
        | Notice::Pending(_)
        | Notice::Skipped(_)
        | Notice::Polling(_)
        | Notice::Stats(_) => return None,
    })
}
