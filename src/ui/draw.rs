//! Drawing the dashboard: header, log panes, users, checklist, footer, help.
//!
//! Every piece of log-derived text goes through [`crate::sanitize`] before it
//! becomes a `Span`; only the rows on screen are sanitised, so drawing costs
//! the same with ten lines retained or a million.

use jiff::{SignedDuration, Timestamp};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use super::checklist::draw_checklist;
use super::detail::draw_detail;
use super::header::draw_header;
use super::help::{draw_footer, draw_help};
use super::logs::draw_log;
use super::users::draw_users;
use super::{Focus, Theme, UiState};
use crate::pipeline::Model;
use crate::vocab::Family;

/// Below this the dashboard asks for a bigger terminal instead of drawing
/// something unreadable.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// From this width the logs and the incident panes sit side by side.
pub(super) const WIDE: u16 = 110;

/// What the caller needs to know about the frame just drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameInfo {
    /// Rows of content in the focused pane (the page size for PgUp/PgDn).
    pub page_rows: usize,
}

/// Draws the whole dashboard. `wall` is the current wall-clock time, for the
/// journal's clock (KPIs, "updated … ago"); the incident's own clock is set
/// on the model before drawing ([`Model::set_wall_clock`]).
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
        Constraint::Length(4),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, header, model, ui, theme, wall);
    if ui.note_editor.is_some() {
        super::editor::draw_note_editor(frame, footer, model, ui, theme);
    } else {
        draw_footer(frame, footer, ui, theme);
    }

    // The drill-down takes the whole body; Esc brings the panes back.
    if let Some(key) = &ui.detail {
        draw_detail(frame, body, model, key, ui, theme);
        if ui.show_help {
            draw_help(frame, area, theme);
        }
        return FrameInfo {
            page_rows: body.height.saturating_sub(7) as usize,
        };
    }

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
    // The headend pane is always there (it is the main log); client and
    // auth-server panes appear when such a source is open.
    let families: Vec<(Family, Focus, u16)> = [
        (Family::Headend, Focus::Headend, 60),
        (Family::Client, Focus::Client, 40),
        (Family::AuthServer, Focus::Auth, 40),
    ]
    .into_iter()
    .filter(|(family, _, _)| *family == Family::Headend || model.has_family(*family))
    .collect();
    let weights: u16 = families.iter().map(|(_, _, w)| w).sum();
    let constraints = families
        .iter()
        .map(|(_, _, w)| Constraint::Ratio(u32::from(*w), u32::from(weights)));
    let areas = Layout::vertical(constraints).split(logs);
    for ((family, focus, _), pane) in families.iter().zip(areas.iter()) {
        draw_log(frame, *pane, model, *family, ui, theme);
        note_rows(*focus, *pane);
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

pub(super) fn hms(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

pub(super) fn clock(ts: Timestamp) -> String {
    ts.strftime("%H:%M:%S").to_string()
}

pub(super) fn pane_block<'a>(title: Vec<Span<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
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

/// First row to show so that `selected` is on screen.
pub(super) fn scroll_offset(selected: usize, rows: usize) -> usize {
    if rows == 0 {
        selected
    } else {
        (selected + 1).saturating_sub(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hms_formats_long_incidents() {
        assert_eq!(hms(SignedDuration::from_secs(3 * 3600 + 61)), "03:01:01");
    }
}
