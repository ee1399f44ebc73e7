//! The mouse: a click focuses a pane, the wheel scrolls the pane under the
//! pointer, a click on a user opens the drill-down, a click on a step
//! selects it (changing a step still needs a key). Over the help, the wheel
//! scrolls it and a click closes it. Works wherever the
//! terminal reports mouse events (xterm SGR mode, as in tmux and over ssh);
//! `--no-mouse` leaves the mouse to the terminal so text can be selected.

use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::draw::{FrameInfo, scroll_offset};
use super::{Action, Focus, UiState};
use crate::pipeline::Model;

/// Rows the wheel scrolls per notch.
const WHEEL_ROWS: isize = 3;

/// Applies a mouse event to the view, given where the last frame drew
/// each pane.
pub fn handle(ev: MouseEvent, info: &FrameInfo, ui: &mut UiState, model: &Model) {
    if ui.show_help {
        // The help is over the panes: the wheel scrolls it, a click closes
        // it, and nothing under it moves.
        let action = match ev.kind {
            MouseEventKind::ScrollUp => Action::Move(-WHEEL_ROWS),
            MouseEventKind::ScrollDown => Action::Move(WHEEL_ROWS),
            MouseEventKind::Down(_) => Action::CloseHelp,
            _ => return,
        };
        ui.apply(action, model);
        return;
    }
    let at = Position::new(ev.column, ev.row);
    let Some((focus, rect)) = info.panes.iter().find(|(_, r)| r.contains(at)).copied() else {
        return;
    };
    match ev.kind {
        MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
            ui.focus = focus;
            let up = ev.kind == MouseEventKind::ScrollUp;
            if focus == Focus::Checklist {
                wheel_from_shown_steps(up, info, ui);
            }
            let rows = if up { -WHEEL_ROWS } else { WHEEL_ROWS };
            ui.apply(Action::Move(rows), model);
        }
        MouseEventKind::Down(MouseButton::Left) => {
            ui.focus = focus;
            match focus {
                Focus::Users => click_user(rect, at.y, ui, model),
                Focus::Checklist => {
                    if let Some((_, step)) = info.step_rows.iter().rev().find(|(y, _)| *y <= at.y) {
                        ui.select_step(*step);
                    }
                }
                Focus::Headend | Focus::Client | Focus::Auth => click_line(rect, at.y, ui, model),
            }
        }
        _ => {}
    }
}

/// The wheel over the runbook moves on from the steps on screen. An
/// unfocused runbook pane keeps the suggested step on screen, not the
/// selected one (see `checklist::draw_checklist`); when the selected step is not
/// among the steps shown, moving from it would jump the pane back to it,
/// away from what the pointer is over. The step at the pane's edge in
/// the wheel's direction is selected first, so a notch down shows the
/// steps below the ones on screen, and a notch up those above.
fn wheel_from_shown_steps(up: bool, info: &FrameInfo, ui: &mut UiState) {
    let shown = || info.step_rows.iter().map(|&(_, step)| step);
    if shown().any(|step| step == ui.step_selected) {
        return;
    }
    let edge = if up { shown().min() } else { shown().max() };
    if let Some(step) = edge {
        ui.select_step(step);
    }
}

/// A click on a log line puts the line cursor on it (Enter then opens it);
/// like ↑, a cursor above the newest line pins the pane. Wrapped lines
/// take several rows each, so there a click only focuses.
fn click_line(rect: Rect, y: u16, ui: &mut UiState, model: &Model) {
    let Some(family) = super::family_of(ui.focus) else {
        return;
    };
    if ui.line_view.wrap || y <= rect.y || y >= rect.y + rect.height.saturating_sub(1) {
        return;
    }
    let rows = usize::from(rect.height.saturating_sub(2));
    let indexes = super::logs::row_indexes(model, ui, family, rows);
    let Some(Some(target)) = indexes.get(usize::from(y - rect.y - 1)).copied() else {
        return;
    };
    // The pane just clicked may not be the one the last page size was of.
    ui.page_rows = rows.max(1);
    ui.set_cursor(family, target, model);
}

/// A click on a user's row selects the user and opens the drill-down; on
/// the column header or the border it only focuses.
fn click_user(rect: Rect, y: u16, ui: &mut UiState, model: &Model) {
    // Inside the border, below the table's header row.
    let first_row = rect.y + 2;
    let rows = rect.height.saturating_sub(3) as usize;
    if y < first_row || y >= rect.y + rect.height.saturating_sub(1) {
        return;
    }
    let offset = scroll_offset(ui.user_selected, rows);
    let index = offset + usize::from(y - first_row);
    if index < model.incident.users_sorted(ui.user_sort).len() {
        ui.user_selected = index;
        ui.apply(Action::Open, model);
    }
}
