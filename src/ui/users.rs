//! The users pane: who is failing, how often, why, and a sparkline of
//! their failed attempts per minute over the last minutes of log time.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use super::draw::{TableRows, clock, pane_frame, scroll_offset};
use super::{Focus, Theme, UiState};
use crate::engine::{UserKey, UserState};
use crate::pipeline::Model;
use crate::sanitize::sanitize_str;

/// Minutes of history in the users pane's sparklines, at most; narrow
/// panes show fewer (the newest) so names stay readable.
pub(super) const SPARK_MINUTES: usize = 15;
const SPARK_MIN_MINUTES: usize = 8;

/// Failed attempts per minute drawn as a full block. A fixed scale keeps a
/// user's bar from changing height when someone else fails more, and one
/// attempt a minute (a user retrying by hand) still shows as `▂`.
pub(super) const SPARK_FULL_SCALE: u32 = 4;

/// Columns the other cells need: the state (`✔ recovered`), a
/// `(hidden) 192.0.2.147` name, FAIL, OK, a short cause, and the gaps
/// between six columns.
const FIXED_COLUMNS: usize = STATE_COLUMN + 20 + 4 + 3 + 10 + 5;

/// Width of the state column: glyph and the longest word, `✔ recovered`.
const STATE_COLUMN: usize = 11;

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One character per value: blank for zero, else a block whose height is
/// the value's share of `full` (values above it are drawn full).
pub(super) fn sparkline(series: &[u32], full: u32) -> String {
    let full = u64::from(full.max(1));
    series
        .iter()
        .map(|&n| {
            if n == 0 {
                ' '
            } else {
                let level = (u64::from(n).min(full) * 8).div_ceil(full);
                BLOCKS[(level.clamp(1, 8) - 1) as usize]
            }
        })
        .collect()
}

/// How a user is named on screen (sanitised: names come from logs).
pub(super) fn user_name(key: &UserKey) -> String {
    match key {
        UserKey::Named(n) => sanitize_str(n),
        UserKey::Hidden(ip) => format!("(hidden) {}", sanitize_str(ip)),
        UserKey::Spray(ip) => format!("(spray) {}", sanitize_str(ip)),
        UserKey::Other(_) => key.to_string(),
    }
}

pub(super) fn draw_users(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    ui: &UiState,
    theme: &Theme,
) {
    let inc = &model.incident;
    let users = inc.users_sorted(ui.user_sort);
    let now = inc.now();
    let title = vec![
        Span::styled(" Users ", theme.title),
        Span::styled(
            format!(
                "{} failing now · {} with failures · by {} ({}) ",
                inc.failing_now(),
                users.len(),
                ui.user_sort.label(),
                ui.keys.first("sort")
            ),
            theme.muted,
        ),
    ];
    let focused = ui.focus == Focus::Users;
    let block = pane_frame(title, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if users.is_empty() {
        frame.render_widget(Paragraph::new(no_users(model)).style(theme.muted), inner);
        return;
    }

    // Cause ids are the contract scripts see; narrow panes use short labels.
    let spare = (inner.width as usize).saturating_sub(FIXED_COLUMNS);
    let spark_minutes = spare.min(SPARK_MINUTES);
    let show_spark = spark_minutes >= SPARK_MIN_MINUTES;
    let show_last = spare >= SPARK_MINUTES + 10;
    // Full cause ids only when the name keeps room for a long hidden or
    // escaped name beside the state column.
    let full_causes = spare >= SPARK_MINUTES + 10 + 10 + 10;
    let rows = inner.height.saturating_sub(1) as usize;
    let offset = scroll_offset(ui.user_selected, rows);
    let body: Vec<(Vec<Cow<str>>, Style)> = users
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, (key, stats))| {
            let state = inc.state_of(key, stats);
            let style = match state {
                UserState::Failing | UserState::Failed | UserState::Locked | UserState::Unknown => {
                    theme.failure
                }
                UserState::Recovered => theme.success,
                UserState::Ok => theme.plain,
            };

            let cause = stats
                .last_cause
                .map(|c| if full_causes { c.id() } else { c.short_label() })
                .unwrap_or_default();
            let mut cells: Vec<Cow<str>> = vec![
                Cow::Owned(state.label()),
                Cow::Owned(user_name(key)),
                Cow::Owned(stats.failures.to_string()),
                Cow::Owned(stats.successes.to_string()),
                Cow::Borrowed(cause),
            ];
            if show_spark {
                // Only for visible rows: a series per user is the cost of a
                // frame with 10 000 users.
                let series = stats.recent.series(now, spark_minutes);
                cells.push(Cow::Owned(sparkline(&series, SPARK_FULL_SCALE)));
            }
            if show_last {
                cells.push(Cow::Owned(
                    stats.last_failure.map(clock).unwrap_or_default(),
                ));
            }
            if focused && i == ui.user_selected {
                (cells, theme.selected.patch(style))
            } else {
                (cells, style)
            }
        })
        .collect();
    let mut header = vec!["STATE", "USER", "FAIL", "OK", "CAUSE"];
    let mut widths = vec![
        Constraint::Length(STATE_COLUMN as u16),
        Constraint::Min(10),
        Constraint::Length(4),
        Constraint::Length(3),
        Constraint::Length(if full_causes { 20 } else { 10 }),
    ];
    if show_spark {
        header.push("FAIL/MIN");
        widths.push(Constraint::Length(spark_minutes as u16));
    }
    if show_last {
        header.push("LAST FAIL");
        widths.push(Constraint::Length(9));
    }
    frame.render_widget(
        TableRows {
            header,
            header_style: theme.muted,
            rows: body,
            widths,
        },
        inner,
    );
}

/// What an empty users list says. Blind, it is "cannot see" (the SCOPE
/// line says why), never an all-clear.
pub(super) fn no_users(model: &Model) -> &'static str {
    if model.blind().is_some() {
        "  no failed logins seen: logins not visible (SCOPE)"
    } else {
        "  no failed logins yet"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_uses_a_fixed_scale() {
        assert_eq!(sparkline(&[0, 1, 2, 3, 4, 9], SPARK_FULL_SCALE), " ▂▄▆██");
        assert_eq!(sparkline(&[1, 100], 100), "▁█", "a small share still shows");
        assert_eq!(sparkline(&[], 4), "");
    }
}
