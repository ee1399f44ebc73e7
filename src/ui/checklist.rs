//! The runbook pane: the checklist with each step's state, who and when.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::draw::{clock, pane_block, scroll_offset};
use super::{Focus, Theme, UiState};
use crate::engine::{Model, StepState};
use crate::sanitize::sanitize_str;

fn step_style(state: StepState, theme: &Theme) -> Style {
    match state {
        StepState::Todo => theme.step_todo,
        StepState::Doing => theme.step_doing,
        StepState::Done => theme.step_done,
        StepState::Skipped => theme.step_skipped,
    }
}

pub(super) fn draw_checklist(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    ui: &UiState,
    theme: &Theme,
) {
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
