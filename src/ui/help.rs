//! The footer's key hints and the `?` help overlay.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use super::{Theme, UiState};
use crate::engine::kpi;
use crate::sanitize::sanitize_str;
use unicode_width::UnicodeWidthStr;

pub(super) fn draw_footer(frame: &mut Frame, area: Rect, ui: &UiState, theme: &Theme) {
    let hints = [
        ("Tab", "focus"),
        ("↑↓", "scroll"),
        ("p", "pause"),
        ("Space", "step"),
        ("x/s", "done/skip"),
        ("?", "help"),
        ("q", "quit"),
        // Last: on a narrow terminal the help and quit hints matter more.
        ("Enter", "user"),
        ("f", "filter"),
        ("n", "note"),
        ("e", "bundle"),
        ("r", "report"),
        ("A", "probe AAA"),
        ("M/R", "mitigated/resolved"),
    ];
    // The status (a save error, where a bundle went) comes first: it must
    // not be cut off by hints. Then as many whole hints as fit.
    let mut spans = Vec::new();
    let mut used = 0usize;
    if let Some(status) = &ui.status {
        let text = format!(" {}  ", sanitize_str(status));
        used += text.width();
        spans.push(Span::styled(text, theme.marker));
    }
    for (key, what) in hints {
        let (key, what) = (format!(" {key}"), format!(" {what} "));
        let width = key.width() + what.width();
        if used + width > usize::from(area.width) {
            break;
        }
        used += width;
        spans.push(Span::styled(key, theme.key));
        spans.push(Span::styled(what, theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

const HELP: &[(&str, &str)] = &[
    ("Tab / Shift-Tab", "move focus between panes"),
    ("↑ ↓  j k", "scroll the log pane, or move the selection"),
    ("PgUp PgDn", "scroll a page"),
    (
        "Home End  g G",
        "oldest line (re-read from file) / newest (End follows again)",
    ),
    ("p", "pause or resume following every log pane"),
    ("Space", "advance the selected step: todo → doing → done"),
    ("w x s u", "set the step to doing / done / skipped / todo"),
    (
        "n  y",
        "note on the step (Enter saves) / copy its command (OSC 52)",
    ),
    ("M  R", "mark the incident mitigated / resolved (journaled)"),
    (
        "e  r",
        "evidence bundle for the selected user / postmortem report",
    ),
    (
        "A",
        "probe the AAA servers the logs named (AAA line; journaled)",
    ),
    (
        "Enter",
        "Users pane: open the selected user's events (Esc returns)",
    ),
    (
        "f",
        "filter the log panes to the selected user; f or Esc clears",
    ),
    (
        "o",
        "Users order: recent (failing now, last 15 min, total), total, name, last seen",
    ),
    ("? Esc", "show or hide this help"),
    ("q  Ctrl-C", "quit"),
    ("", ""),
    (
        "INCIDENT",
        "incident age = KPI age; now: log time in a replay, else wall",
    ),
    (
        "failed attempt",
        "one failed login; its 113005 and 716039 lines count once",
    ),
    (
        "failing now",
        "failed in the last 5 min (of now), no success since",
    ),
    (
        "⊘ ? ✖ ✗ ✔ ·",
        "locked, unknown user, failing, failed (not now), recovered, ok",
    ),
    (
        "(spray) IP",
        "a password spray's attempts from IP, counted apart: SCOPE ATTACK",
    ),
    (
        "(hidden) IP",
        "user name hidden by the headend, counted per client IP",
    ),
    ("✖ ✔ ○", "failure, success, session end"),
    (
        "SCOPE",
        "infrastructure · widespread · attack · isolated · none",
    ),
    (
        "FAIL/MIN",
        "a user's failed attempts per minute, newest right (█ = 4+)",
    ),
    (
        "times",
        "shown in UTC; stamps without a zone are UTC unless --tz (header says)",
    ),
    (
        "· line",
        "a follow-on line of a failed client attempt: context, not a failure",
    ),
];

pub(super) fn draw_help(frame: &mut Frame, area: Rect, theme: &Theme) {
    let width = area.width.min(84);
    // The KPI definitions live with the KPIs, shared with the report.
    let entries: Vec<&(&str, &str)> = HELP.iter().chain(kpi::DEFINITIONS).collect();
    let height = (entries.len() as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let lines: Vec<Line> = entries
        .into_iter()
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
