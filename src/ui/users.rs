//! The users pane: who is failing, how often, and why.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Row, Table};

use super::draw::{clock, pane_block, scroll_offset};
use super::{Focus, Theme, UiState};
use crate::engine::{Model, UserKey};
use crate::sanitize::sanitize_str;

pub(super) fn draw_users(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    ui: &UiState,
    theme: &Theme,
) {
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
