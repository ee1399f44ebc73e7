//! The header lines: incident clock, live state, totals, AAA server health,
//! the state of each source, and the scope verdict with its evidence.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::draw::{WIDE, clock, hms};
use super::{Theme, UiState};
use crate::engine::{ServerHealth, Verdict};
use crate::pipeline::Model;
use crate::sanitize::sanitize_str;
use crate::vocab::Notice;
use jiff::Timestamp;

pub(super) fn draw_header(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    ui: &UiState,
    theme: &Theme,
    wall: Timestamp,
) {
    let inc = &model.incident;
    let totals = inc.totals();
    let age = super::kpi::incident_age(model, wall);
    let failing = inc.failing_now();

    let narrow = area.width < WIDE;
    let mut top = Vec::new();
    if !narrow {
        top.push(Span::styled(" vpnwatch ", theme.title));
    }
    top.push(Span::raw(" "));
    let counting = model.backlog_progress().is_some();
    // Blind: zero counts mean "could not see", never "all clear".
    let blind = if counting { None } else { model.blind() };
    match (inc.first_failure(), age) {
        // No verdict of "no failures" before the earlier lines are in.
        (None, _) if counting => top.push(Span::styled(" COUNTING ", theme.paused)),
        _ if blind.is_some() => top.push(Span::styled(
            " ◌ BLIND ",
            theme.alert.add_modifier(ratatui::style::Modifier::REVERSED),
        )),
        (Some(_), Some(age)) => {
            let style = if failing > 0 { theme.alert } else { theme.ok };
            top.push(Span::styled(format!(" INCIDENT {} ", hms(age)), style));
        }
        _ => top.push(Span::styled(" NO AUTH FAILURES ", theme.ok)),
    }
    top.push(Span::raw(" "));
    if ui.is_live() {
        top.push(Span::styled(" ● LIVE ", theme.live));
    } else {
        top.push(Span::styled(" ‖ PAUSED ", theme.paused));
    }
    // Which zone the times are shown in (and `--tz`, when given).
    top.push(Span::styled(
        format!(" {}", sanitize_str(&model.time_note)),
        theme.muted,
    ));
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
        top.push(Span::raw(" "));
        top.push(Span::styled(text, theme.paused));
    }
    top.push(Span::raw("  "));
    let failed = if narrow { "failed" } else { "failed attempts" };
    top.push(Span::styled(
        format!("✖ {} {failed}", totals.failures),
        theme.failure,
    ));
    if !narrow {
        let users = inc.users_by_failures().len();
        top.push(Span::styled(format!(" · {users} users"), theme.header));
    }
    if totals.hidden_resolved > 0 {
        // Attempts the headend logged as ***** that an auth-server line named.
        top.push(Span::styled(
            format!(" · {} hidden named", totals.hidden_resolved),
            theme.header,
        ));
    }
    top.push(Span::styled(
        format!(" · {failing} failing now · "),
        theme.header,
    ));
    top.push(Span::styled(
        format!("✔ {} logins", totals.successes),
        theme.success,
    ));
    if totals.spray_attempts > 0 {
        // Counted apart: a spray is an attack, not users failing.
        top.push(Span::styled(
            format!(" · ⚠ {} spray attempts", totals.spray_attempts),
            theme.marker,
        ));
    }
    let admin_failures = inc.management().failures;
    if admin_failures > 0 {
        // Logins to the headend itself, counted apart from VPN users: an
        // administrator account being guessed is its own alarm.
        top.push(Span::styled(
            format!(" · ✖ {admin_failures} admin login failures"),
            theme.failure,
        ));
    }
    let (closed, steps) = model.checklist.progress();
    if !narrow {
        top.push(Span::styled(
            format!("  runbook {closed}/{steps}"),
            theme.muted,
        ));
    }

    let mut bottom = vec![Span::raw(" ")];
    if !inc.servers().is_empty() {
        bottom.push(Span::styled("AAA ", theme.header));
        // By address, so a server does not jump along the line when it flaps.
        let mut servers: Vec<_> = inc.servers().iter().collect();
        servers.sort_by(|a, b| a.address.cmp(&b.address));
        for (i, server) in servers.into_iter().enumerate() {
            if i > 0 {
                bottom.push(Span::styled(" · ", theme.muted));
            }
            let since = server
                .since
                .map(|t| format!(" since {}", clock(t)))
                .unwrap_or_default();
            let (word, style) = match server.health {
                ServerHealth::Failed => (format!("✖ FAILED{since}"), theme.failure),
                ServerHealth::Active => (format!("✔ ACTIVE{since}"), theme.ok),
                // Never marked: the headend has had no reason to fail it.
                ServerHealth::Unknown if server.unreachable == 0 => ("✔ ok".to_string(), theme.ok),
                ServerHealth::Unknown => (
                    format!("? {} unreachable", server.unreachable),
                    theme.marker,
                ),
            };
            bottom.push(Span::styled(
                format!("{} {word}", sanitize_str(&server.address)),
                style,
            ));
            if let Some(probe) = ui.probes.get(&server.address) {
                let healthy = server.health == ServerHealth::Active
                    || (server.health == ServerHealth::Unknown && server.unreachable == 0);
                probe_spans(
                    &mut bottom,
                    probe,
                    server.health == ServerHealth::Failed,
                    healthy,
                    theme,
                );
            }
        }
        bottom.push(Span::styled("  │ ", theme.muted));
    }
    for (i, src) in model.sources.iter().enumerate() {
        if i > 0 {
            bottom.push(Span::styled(" · ", theme.muted));
        }
        bottom.push(Span::styled(
            format!("{} {} lines", sanitize_str(&src.name), src.lines),
            theme.muted,
        ));
        if src.lines > 0 && src.recognised == 0 && !counting {
            // Read but not recognised: not the log it was taken for.
            bottom.push(Span::styled(
                format!(
                    " ✖ {}: 0 of {} lines recognised",
                    sanitize_str(&src.name),
                    crate::engine::thousands(src.lines)
                ),
                theme.failure,
            ));
        } else if src.unrecognised > 0 {
            bottom.push(Span::styled(
                format!(" ({} unparsed)", src.unrecognised),
                theme.muted,
            ));
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
                bottom.push(Span::styled(format!(" ✖ {n} {what}"), theme.marker));
            }
        }
        if let Some(reason) = &src.polling {
            bottom.push(Span::styled(
                format!(" ⚠ polling: {}", sanitize_str(reason)),
                theme.marker,
            ));
        }
        if let Some(status) = notice_text(src.status.as_ref()) {
            bottom.push(Span::styled(format!(" {status}"), theme.marker));
        }
        if let Some(silent) = model.quiet(i) {
            bottom.push(Span::styled(
                format!(" ⚠ quiet {}", hms(silent)),
                theme.marker,
            ));
        }
    }
    // Doubt about the join: said beside the sources, whose clocks it doubts.
    if inc.join_skew_suspected() {
        let auth = model
            .sources
            .iter()
            .filter(|s| s.family == crate::vocab::Family::AuthServer)
            .map(|s| s.name.as_str());
        bottom.push(Span::styled(
            format!("  {}", sanitize_str(&crate::engine::skew::warning(auth))),
            theme.marker,
        ));
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
            Span::styled(" SCOPE UNKNOWN ", theme.marker),
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
                verdict_style,
            ),
            Span::styled(
                format!("  {}", sanitize_str(&verdict.evidence)),
                theme.header,
            ),
        ])
    };
    let lines = vec![
        Line::from(top),
        Line::from(bottom),
        scope_line,
        super::kpi::kpi_line(model, theme, wall, narrow),
    ];
    frame.render_widget(Paragraph::new(lines).style(theme.header), area);
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
        out.push(Span::styled(" ⚠ logs ok, probe no answer", theme.marker));
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
