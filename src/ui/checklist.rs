//! The runbook pane: the checklist with each step's state, who and when,
//! its latest note, the suggested next step with the evidence for it, and
//! the selected step's commands (`y` copies them).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::draw::{LogRows, clock, pane_frame, wrap_line};
use super::{Focus, Theme, UiState};
use crate::engine::StepState;
use crate::engine::suggest::suggest;
use crate::pipeline::Model;
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
) -> Vec<(u16, usize)> {
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
    let block = pane_frame(title, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let suggestion = suggest(&model.incident, list);
    let width = usize::from(inner.width);
    let rows = inner.height as usize;
    // The step kept on screen: the selected one while the pane has focus,
    // else the suggested one, so that its ★ row never sits below the
    // pane's edge on a shorter screen (the header's verdict points at it).
    let kept = if focused {
        Some(ui.step_selected)
    } else {
        suggestion.as_ref().map(|s| s.index)
    };
    // Every row, and the rows of the kept step, so it can be kept on screen
    // when notes and commands make steps taller than one row.
    let mut lines: Vec<Line> = Vec::new();
    let mut kept_rows = 0..0;
    // The first row of each step, for mouse clicks.
    let mut starts = Vec::new();
    for (i, item) in list.items().iter().enumerate() {
        let first = lines.len();
        starts.push((first, i));
        let selected = focused && i == ui.step_selected;
        let indent = "  ".repeat(item.depth);
        let style = step_style(item.state, theme);
        let mut spans = vec![
            Span::raw(indent.clone()),
            Span::styled(format!("{:<9}", item.state.label()), style),
            Span::styled(format!(" {} ", item.id), theme.muted),
        ];
        spans.push(Span::styled(
            sanitize_str(&item.text),
            if item.depth == 0 {
                theme.title
            } else {
                theme.plain
            },
        ));
        if let (Some(by), Some(at)) = (&item.changed_by, item.changed_at) {
            spans.push(Span::styled(
                format!("  — {} {}", sanitize_str(by), clock(at)),
                theme.muted,
            ));
        }
        let line = Line::from(spans);
        if selected {
            // The selected step whole, wrapped: its text, who moved it
            // and when, and its latest note below.
            lines.extend(wrap_line(line.style(theme.selected), width));
        } else {
            lines.push(line);
        }
        if let Some(s) = suggestion.as_ref().filter(|s| s.index == i) {
            lines.push(Line::from(vec![
                Span::raw(format!("{indent}    ")),
                Span::styled(" ★ SUGGESTED ", super::theme::emphasis(theme.alert)),
                Span::styled(
                    format!(
                        " {}{}",
                        sanitize_str(&s.evidence()),
                        if s.recent && s.infrastructure.is_none() {
                            ", last 15 min"
                        } else {
                            ""
                        }
                    ),
                    theme.marker,
                ),
            ]));
        }
        if let Some(note) = item.notes.last() {
            let more = if item.notes.len() > 1 {
                format!(" (+{} earlier)", item.notes.len() - 1)
            } else {
                String::new()
            };
            let note_line = Line::from(vec![
                Span::raw(format!("{indent}    ")),
                Span::styled(format!("✎ {}", sanitize_str(&note.text)), theme.info),
                Span::styled(
                    format!(
                        "  — {} {}{more}",
                        sanitize_str(&note.operator),
                        clock(note.ts)
                    ),
                    theme.muted,
                ),
            ]);
            if selected {
                lines.extend(wrap_line(note_line, width));
            } else {
                lines.push(note_line);
            }
        }
        if selected && !item.commands.is_empty() {
            let n = item.commands.len();
            for (c, command) in item.commands.iter().enumerate() {
                let next = c == ui.copy_next % n;
                lines.push(Line::from(vec![
                    Span::raw(format!("{indent}    ")),
                    Span::styled("$ ", theme.muted),
                    Span::styled(sanitize_str(command), theme.key),
                    Span::styled(if next { "   y copies" } else { "" }, theme.muted),
                ]));
            }
        }
        if kept == Some(i) {
            kept_rows = first..lines.len();
        }
        // Past the kept step with the pane full: no later row can be on
        // screen (the offset only reaches down to the kept step), so the
        // rest of a long runbook is not built every frame.
        if lines.len() >= rows && kept.is_none_or(|k| i >= k) {
            break;
        }
    }

    let offset = if kept_rows.end > rows {
        // Show the whole kept step, or at least its first row.
        (kept_rows.end - rows).min(kept_rows.start)
    } else {
        0
    };
    let visible: Vec<Line> = lines.into_iter().skip(offset).take(rows).collect();
    // What `Paragraph::new(visible)` draws, cell for cell (see `LogRows`),
    // without the Unicode width tables for the ASCII of the steps.
    frame.render_widget(
        LogRows {
            lines: visible,
            sideways: 0,
        },
        inner,
    );
    starts
        .into_iter()
        .filter(|(first, _)| (offset..offset + rows).contains(first))
        .map(|(first, i)| (inner.y + (first - offset) as u16, i))
        .collect()
}
