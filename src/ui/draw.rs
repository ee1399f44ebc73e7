//! Drawing the dashboard: header, log panes, users, checklist, footer, help.
//!
//! Every piece of log-derived text goes through [`crate::sanitize`] before it
//! becomes a `Span`; only the rows on screen are sanitised, so drawing costs
//! the same with ten lines retained or a million.

use jiff::{SignedDuration, Timestamp};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Row, Table};

use super::{Focus, LogView, Theme, UiState};
use crate::engine::{LineKind, LineStore, Model, ServerHealth, StepState, UserKey};
use crate::parse::{Family, Outcome};
use crate::sanitize::{sanitize, sanitize_str};
use crate::source::Notice;

/// Below this the dashboard asks for a bigger terminal instead of drawing
/// something unreadable.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// From this width the logs and the incident panes sit side by side.
const WIDE: u16 = 110;

/// What the caller needs to know about the frame just drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameInfo {
    /// Rows of content in the focused pane (the page size for PgUp/PgDn).
    pub page_rows: usize,
}

/// Draws the whole dashboard. `wall` is the current wall-clock time, used
/// for the incident clock while the logs are live (see [`incident_now`]).
pub fn draw(
    frame: &mut Frame,
    model: &Model,
    ui: &UiState,
    theme: &Theme,
    wall: Timestamp,
) -> FrameInfo {
    let area = frame.area();
    frame.render_widget(Block::default().style(theme.base), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "vpnwatch needs at least {MIN_WIDTH}x{MIN_HEIGHT}; this terminal is {}x{}. q quits.",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(msg).style(theme.alert), area);
        return FrameInfo::default();
    }

    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, header, model, ui, theme, wall);
    draw_footer(frame, footer, ui, theme);

    let show_client = model.has_family(Family::Client);
    let (logs, users, steps) = if area.width >= WIDE {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(body);
        let [users, steps] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);
        (left, users, steps)
    } else {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
        let [users, steps] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(bottom);
        (top, users, steps)
    };

    let mut info = FrameInfo::default();
    let mut note_rows = |focus: Focus, area: Rect| {
        if ui.focus == focus {
            info.page_rows = area.height.saturating_sub(2) as usize;
        }
    };
    if show_client {
        let [headend, client] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(logs);
        draw_log(frame, headend, model, Family::Headend, ui, theme);
        draw_log(frame, client, model, Family::Client, ui, theme);
        note_rows(Focus::Headend, headend);
        note_rows(Focus::Client, client);
    } else {
        draw_log(frame, logs, model, Family::Headend, ui, theme);
        note_rows(Focus::Headend, logs);
    }
    draw_users(frame, users, model, ui, theme);
    draw_checklist(frame, steps, model, ui, theme);
    note_rows(Focus::Users, users);
    note_rows(Focus::Checklist, steps);

    if ui.show_help {
        draw_help(frame, area, theme);
    }
    info
}

/// "Now" for the incident clock. While the logs are live their newest time is
/// close to the wall clock, and the wall clock keeps the incident age moving
/// when the logs go quiet. When reading old logs (the newest line is more
/// than an hour behind) the log's own time is used, so a replay shows the
/// incident as it was.
pub fn incident_now(latest_log: Option<Timestamp>, wall: Timestamp) -> Option<Timestamp> {
    let latest = latest_log?;
    let behind = wall.duration_since(latest);
    if behind >= SignedDuration::ZERO && behind < SignedDuration::from_hours(1) {
        Some(wall)
    } else {
        Some(latest)
    }
}

fn hms(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

fn clock(ts: Timestamp) -> String {
    ts.strftime("%H:%M:%S").to_string()
}

fn draw_header(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    ui: &UiState,
    theme: &Theme,
    wall: Timestamp,
) {
    let inc = &model.incident;
    let totals = inc.totals();
    let now = incident_now(inc.latest(), wall);
    let failing = inc.failing_now();

    let narrow = area.width < WIDE;
    let mut top = Vec::new();
    if !narrow {
        top.push(Span::styled(" vpnwatch ", theme.title));
    }
    top.push(Span::raw(" "));
    match (inc.first_failure(), now) {
        (Some(first), Some(now)) => {
            let style = if failing > 0 { theme.alert } else { theme.ok };
            top.push(Span::styled(
                format!(" INCIDENT {} ", hms(now.duration_since(first))),
                style,
            ));
        }
        _ => top.push(Span::styled(" NO AUTH FAILURES ", theme.ok)),
    }
    top.push(Span::raw(" "));
    if ui.is_live() {
        top.push(Span::styled(" ● LIVE ", theme.live));
    } else {
        top.push(Span::styled(" ‖ PAUSED ", theme.paused));
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
    top.push(Span::styled(
        format!(" · {failing} failing now · "),
        theme.header,
    ));
    top.push(Span::styled(
        format!("✔ {} logins", totals.successes),
        theme.success,
    ));
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
        if src.unrecognised > 0 {
            bottom.push(Span::styled(
                format!(" ({} unparsed)", src.unrecognised),
                theme.muted,
            ));
        }
        if let Some(status) = notice_text(src.status.as_ref()) {
            bottom.push(Span::styled(format!(" {status}"), theme.marker));
        }
    }
    let lines = vec![Line::from(top), Line::from(bottom)];
    frame.render_widget(Paragraph::new(lines).style(theme.header), area);
}

/// Words for a notice worth showing in the header; `None` for routine ones.
fn notice_text(notice: Option<&Notice>) -> Option<String> {
    Some(match notice? {
        Notice::Waiting(p) => format!("waiting for {}", sanitize_str(&p.display().to_string())),
        Notice::Error(e) => format!("⚠ {}", sanitize_str(e)),
        Notice::Removed(_) => "removed".to_string(),
        Notice::Finished => "finished".to_string(),
        Notice::Opened(_) | Notice::Rotated(_) | Notice::Truncated(_) => return None,
    })
}

fn pane_block<'a>(title: Vec<Span<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    let (border, kind) = if focused {
        (theme.border_focused, BorderType::Thick)
    } else {
        (theme.border, BorderType::Plain)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(kind)
        .border_style(border)
        .title(Line::from(title))
}

fn line_style(kind: LineKind, theme: &Theme) -> (&'static str, Style) {
    match kind {
        LineKind::Event {
            outcome: Outcome::Failure,
            ..
        } => ("✖ ", theme.failure),
        LineKind::Event {
            outcome: Outcome::Success,
            ..
        } => ("✔ ", theme.success),
        LineKind::Event {
            outcome: Outcome::SessionEnd,
            ..
        } => ("○ ", theme.session_end),
        LineKind::Event {
            outcome: Outcome::Info,
            ..
        } => ("  ", theme.info),
        LineKind::Plain => ("  ", theme.plain),
        LineKind::Marker => ("", theme.marker),
    }
}

/// Index range of the retained lines a view shows in `rows` rows.
fn visible(store: &LineStore, view: LogView, rows: usize) -> std::ops::Range<usize> {
    if store.is_empty() || rows == 0 {
        return 0..0;
    }
    let bottom = match view.pinned_bottom {
        Some(n) => n
            .saturating_sub(store.evicted())
            .min(store.len() as u64 - 1) as usize,
        None => store.len() - 1,
    };
    (bottom + 1).saturating_sub(rows)..bottom + 1
}

fn draw_log(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    family: Family,
    ui: &UiState,
    theme: &Theme,
) {
    let (store, view, focus, label) = match family {
        Family::Headend => (&model.headend, ui.headend_view, Focus::Headend, "Headend"),
        Family::Client => (&model.client, ui.client_view, Focus::Client, "Client"),
    };
    let names: Vec<String> = model
        .sources
        .iter()
        .filter(|s| s.family == family)
        .map(|s| sanitize_str(&s.name))
        .collect();
    let mut title = vec![
        Span::styled(format!(" {label} "), theme.title),
        Span::styled(
            format!("{} · {} lines ", names.join(", "), store.total()),
            theme.muted,
        ),
    ];
    if let Some(pinned) = view.pinned_bottom {
        let newer = store.total().saturating_sub(pinned + 1);
        title.push(Span::styled(format!(" ‖ PAUSED +{newer} "), theme.paused));
    }
    let block = pane_block(title, ui.focus == focus, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let rows = inner.height as usize;
    let mut lines: Vec<Line> = Vec::with_capacity(rows);
    for (bytes, meta) in store.range(visible(store, view, rows)) {
        let (glyph, style) = line_style(meta.kind, theme);
        let mut spans = vec![Span::styled(glyph, style)];
        if let LineKind::Event {
            cause: Some(cause),
            outcome: Outcome::Failure,
        } = meta.kind
        {
            spans.push(Span::styled(format!("{} ", cause.id()), style));
        }
        spans.push(Span::styled(sanitize(bytes), style));
        lines.push(Line::from(spans));
    }
    if lines.is_empty() {
        let waiting = model
            .sources
            .iter()
            .filter(|s| s.family == family)
            .find_map(|s| notice_text(s.status.as_ref()))
            .unwrap_or_else(|| "no lines yet".to_string());
        lines.push(Line::styled(format!("  {waiting}"), theme.muted));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_users(frame: &mut Frame, area: Rect, model: &Model, ui: &UiState, theme: &Theme) {
    let inc = &model.incident;
    let users = inc.users_by_failures();
    let now = inc.latest();
    let title = vec![
        Span::styled(" Users ", theme.title),
        Span::styled(
            format!(
                "{} failing now · {} with failures ",
                inc.failing_now(),
                users.len()
            ),
            theme.muted,
        ),
    ];
    let focused = ui.focus == Focus::Users;
    let block = pane_block(title, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if users.is_empty() {
        frame.render_widget(
            Paragraph::new("  no failed logins yet").style(theme.muted),
            inner,
        );
        return;
    }

    // Cause ids are the contract scripts see; narrow panes use short labels.
    let full_causes = inner.width >= 64;
    let show_last = inner.width >= 44;
    let rows = inner.height.saturating_sub(1) as usize;
    let offset = scroll_offset(ui.user_selected, rows);
    let body: Vec<Row> = users
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, (key, stats))| {
            let failing = stats.failing_now(now);
            let (mark, style) = if failing {
                ("✖", theme.failure)
            } else if stats.last_success.is_some() {
                ("✔", theme.success)
            } else {
                (" ", theme.plain)
            };
            let name = match key {
                UserKey::Named(n) => sanitize_str(n),
                UserKey::Hidden(ip) => format!("(hidden) {}", sanitize_str(ip)),
            };
            let cause = stats
                .last_cause
                .map(|c| if full_causes { c.id() } else { c.short_label() })
                .unwrap_or_default();
            let mut cells = vec![
                format!("{mark} {name}"),
                stats.failures.to_string(),
                stats.successes.to_string(),
                cause.to_string(),
            ];
            if show_last {
                cells.push(stats.last_failure.map(clock).unwrap_or_default());
            }
            let row = Row::new(cells).style(style);
            if focused && i == ui.user_selected {
                row.style(theme.selected.patch(style))
            } else {
                row
            }
        })
        .collect();
    let mut header = vec!["USER", "FAIL", "OK", "CAUSE"];
    let mut widths = vec![
        Constraint::Min(10),
        Constraint::Length(4),
        Constraint::Length(3),
        Constraint::Length(if full_causes { 20 } else { 10 }),
    ];
    if show_last {
        header.push("LAST FAIL");
        widths.push(Constraint::Length(9));
    }
    let header = Row::new(header).style(theme.muted);
    frame.render_widget(
        Table::new(body, widths).header(header).column_spacing(1),
        inner,
    );
}

/// First row to show so that `selected` is on screen.
fn scroll_offset(selected: usize, rows: usize) -> usize {
    if rows == 0 {
        selected
    } else {
        (selected + 1).saturating_sub(rows)
    }
}

fn step_style(state: StepState, theme: &Theme) -> Style {
    match state {
        StepState::Todo => theme.step_todo,
        StepState::Doing => theme.step_doing,
        StepState::Done => theme.step_done,
        StepState::Skipped => theme.step_skipped,
    }
}

fn draw_checklist(frame: &mut Frame, area: Rect, model: &Model, ui: &UiState, theme: &Theme) {
    let list = &model.checklist;
    let (closed, total) = list.progress();
    let title = vec![
        Span::styled(" Runbook ", theme.title),
        Span::styled(
            format!("{} · {closed}/{total} ", sanitize_str(&list.title)),
            theme.muted,
        ),
    ];
    let focused = ui.focus == Focus::Checklist;
    let block = pane_block(title, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let rows = inner.height as usize;
    let offset = scroll_offset(ui.step_selected, rows);
    let lines: Vec<Line> = list
        .items()
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, item)| {
            let style = step_style(item.state, theme);
            let mut spans = vec![
                Span::raw("  ".repeat(item.depth)),
                Span::styled(format!("{:<9}", item.state.label()), style),
                Span::styled(format!(" {} ", item.id), theme.muted),
                Span::styled(
                    sanitize_str(&item.text),
                    if item.depth == 0 {
                        theme.title
                    } else {
                        theme.plain
                    },
                ),
            ];
            if let (Some(by), Some(at)) = (&item.changed_by, item.changed_at) {
                spans.push(Span::styled(
                    format!("  — {} {}", sanitize_str(by), clock(at)),
                    theme.muted,
                ));
            }
            let line = Line::from(spans);
            if focused && i == ui.step_selected {
                line.style(theme.selected)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_footer(frame: &mut Frame, area: Rect, ui: &UiState, theme: &Theme) {
    let hints = [
        ("Tab", "focus"),
        ("↑↓", "scroll"),
        ("p", "pause"),
        ("Space", "step"),
        ("x/s", "done/skip"),
        ("?", "help"),
        ("q", "quit"),
    ];
    let mut spans = Vec::new();
    for (key, what) in hints {
        spans.push(Span::styled(format!(" {key}"), theme.key));
        spans.push(Span::styled(format!(" {what} "), theme.muted));
    }
    if let Some(status) = &ui.status {
        spans.push(Span::styled(
            format!("  {}", sanitize_str(status)),
            theme.marker,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

const HELP: &[(&str, &str)] = &[
    ("Tab / Shift-Tab", "move focus between panes"),
    ("↑ ↓  j k", "scroll the log pane, or move the selection"),
    ("PgUp PgDn", "scroll a page"),
    (
        "Home End  g G",
        "oldest retained line / newest (End follows again)",
    ),
    ("p", "pause or resume following every log pane"),
    ("Space", "advance the selected step: todo → doing → done"),
    ("w x s u", "set the step to doing / done / skipped / todo"),
    ("? Esc", "show or hide this help"),
    ("q  Ctrl-C", "quit"),
    ("", ""),
    ("INCIDENT", "time since the first failed login (log time)"),
    (
        "failed attempt",
        "one failed login; its 113005 and 716039 lines count once",
    ),
    (
        "failing now",
        "failed in the last 5 min (log time), no success since",
    ),
    (
        "(hidden) IP",
        "user name hidden by the headend, counted per client IP",
    ),
    ("✖ ✔ ○", "failure, success, session end"),
];

fn draw_help(frame: &mut Frame, area: Rect, theme: &Theme) {
    let width = area.width.min(84);
    let height = (HELP.len() as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!(" {k:<16}"), theme.key),
                Span::styled(*v, theme.base),
            ])
        })
        .collect();
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(theme.border_focused)
        .title(Span::styled(" Help ", theme.title))
        .style(theme.base);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_clock_follows_the_wall_only_while_logs_are_live() {
        let t = |s: i64| Timestamp::from_second(1_800_000_000 + s).unwrap();
        assert_eq!(incident_now(Some(t(0)), t(30)), Some(t(30)));
        assert_eq!(incident_now(Some(t(0)), t(7200)), Some(t(0)));
        assert_eq!(
            incident_now(Some(t(100)), t(0)),
            Some(t(100)),
            "clock skew: trust the log"
        );
        assert_eq!(incident_now(None, t(0)), None);
    }

    #[test]
    fn visible_range_follows_or_stays_pinned() {
        let mut store = LineStore::new(100);
        let meta = crate::engine::LineMeta {
            source: crate::source::SourceId(0),
            line_no: 1,
            kind: LineKind::Plain,
        };
        for _ in 0..50 {
            store.push(b"x", meta);
        }
        assert_eq!(visible(&store, LogView::default(), 10), 40..50);
        let pinned = LogView {
            pinned_bottom: Some(19),
        };
        assert_eq!(visible(&store, pinned, 10), 10..20);
        assert_eq!(visible(&store, pinned, 100), 0..20);
    }

    #[test]
    fn hms_formats_long_incidents() {
        assert_eq!(hms(SignedDuration::from_secs(3 * 3600 + 61)), "03:01:01");
    }
}
