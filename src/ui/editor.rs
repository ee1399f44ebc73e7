//! The one-line note editor (`n` on a checklist step): typed keys go to it
//! until Enter saves the note (the console journals it) or Esc cancels.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, UiState};
use crate::pipeline::Model;
use crate::sanitize::sanitize_str;

/// Longest note accepted, in characters: one line on the bridge's screen.
pub const MAX_NOTE: usize = 500;

/// What a key did to the open editor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoteEdit {
    /// Still editing.
    Editing,
    /// Enter: journal this note (already trimmed, never empty).
    Save(String),
    /// Esc, or Enter on an empty note.
    Cancel,
}

/// Feeds one key to the open editor; closes it on Enter or Esc.
pub fn edit_note_key(ui: &mut UiState, key: KeyEvent) -> NoteEdit {
    let Some(text) = ui.note_editor.as_mut() else {
        return NoteEdit::Cancel;
    };
    if key.kind == KeyEventKind::Release {
        return NoteEdit::Editing;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Enter => {
            let note = text.trim().to_string();
            ui.note_editor = None;
            if note.is_empty() {
                NoteEdit::Cancel
            } else {
                NoteEdit::Save(note)
            }
        }
        KeyCode::Esc => {
            ui.note_editor = None;
            NoteEdit::Cancel
        }
        KeyCode::Char('c') if ctrl => {
            ui.note_editor = None;
            NoteEdit::Cancel
        }
        KeyCode::Char('u') if ctrl => {
            text.clear();
            NoteEdit::Editing
        }
        KeyCode::Backspace => {
            text.pop();
            NoteEdit::Editing
        }
        // Control characters never enter the journal.
        KeyCode::Char(c) if !c.is_control() && text.chars().count() < MAX_NOTE => {
            text.push(c);
            NoteEdit::Editing
        }
        _ => NoteEdit::Editing,
    }
}

/// The editor, drawn over the footer line.
pub(super) fn draw_note_editor(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    ui: &UiState,
    theme: &Theme,
) {
    let text = ui.note_editor.as_deref().unwrap_or("");
    let step = model
        .checklist
        .items()
        .get(ui.step_selected)
        .map_or("?", |i| i.id.as_str());
    let prompt = format!(" ✎ note on step {step}: ");
    let hint = "  Enter save · Esc cancel";
    // Show the end of a long note, where the cursor is.
    let room = (area.width as usize).saturating_sub(prompt.chars().count() + hint.len() + 1);
    let chars: Vec<char> = text.chars().collect();
    let shown: String = chars[chars.len().saturating_sub(room)..].iter().collect();
    let line = Line::from(vec![
        Span::styled(prompt, theme.key),
        Span::styled(sanitize_str(&shown), theme.base),
        Span::styled("▏", theme.key),
        Span::styled(hint, theme.muted),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_then_enter_saves_and_esc_cancels() {
        let mut ui = UiState {
            note_editor: Some(String::new()),
            ..UiState::default()
        };
        for c in "  asked IT ".chars() {
            assert_eq!(
                edit_note_key(&mut ui, key(KeyCode::Char(c))),
                NoteEdit::Editing
            );
        }
        edit_note_key(&mut ui, key(KeyCode::Char('x')));
        edit_note_key(&mut ui, key(KeyCode::Backspace));
        assert_eq!(
            edit_note_key(&mut ui, key(KeyCode::Enter)),
            NoteEdit::Save("asked IT".into())
        );
        assert_eq!(ui.note_editor, None);

        ui.note_editor = Some("draft".into());
        assert_eq!(edit_note_key(&mut ui, key(KeyCode::Esc)), NoteEdit::Cancel);
        assert_eq!(ui.note_editor, None);

        ui.note_editor = Some("   ".into());
        assert_eq!(
            edit_note_key(&mut ui, key(KeyCode::Enter)),
            NoteEdit::Cancel
        );
    }
}
