//! The dashboard: ratatui rendering of the [`Model`](crate::pipeline::Model)
//! and the mapping from keys to [`Action`]s.
//!
//! Drawing is a pure function of the model, the [`UiState`] (focus, scroll,
//! selection) and the theme; it never parses and never blocks. Whoever runs
//! the loop decides when to draw (only when something changed, at a capped
//! frame rate).

mod checklist;
mod detail;
pub mod draw;
pub mod editor;
mod header;
mod help;
mod kpi;
mod logs;
pub mod theme;
mod users;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::engine::{StepState, UserKey, UserSort};
use crate::pipeline::{LineStore, Model};
use crate::vocab::Family;

pub use draw::draw;
pub use theme::Theme;

/// The panes focus moves through with Tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Headend,
    Client,
    Auth,
    Users,
    Checklist,
}

/// What a key asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    FocusNext,
    FocusPrev,
    /// Scroll the focused log pane, or move the selection, by this many rows
    /// (negative is up).
    Move(isize),
    PageUp,
    PageDown,
    Home,
    End,
    TogglePause,
    ToggleHelp,
    CloseHelp,
    /// Move the selected checklist step to this state.
    SetStep(StepState),
    /// Advance the selected checklist step (Space).
    AdvanceStep,
    /// `n`: open the one-line note editor for the selected step.
    EditNote,
    /// `y`: copy the selected step's next command (OSC 52).
    CopyCommand,
    /// `M`: journal the incident as mitigated.
    MarkMitigated,
    /// `R`: journal the incident as resolved.
    MarkResolved,
    /// `e`: write an evidence bundle for the selected user.
    ExportEvidence,
    /// `r`: write the postmortem report.
    WriteReport,
    /// Enter: open the drill-down of the selected user (Users pane).
    Open,
    /// `f`: filter the log panes to the selected user, or clear the filter.
    ToggleFilter,
    /// Esc: close whatever is on top — help, the drill-down, the filter.
    Back,
    /// `o`: the next order of the Users pane.
    CycleSort,
    /// `A`: probe every AAA server the logs named (`a` is left for "auth
    /// lines only").
    Probe,
}

/// A probe's result as the AAA header line shows it, by server address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeMark {
    /// Answered and accepted the probe's own credentials.
    pub ok: bool,
    /// Any answer at all came back.
    pub answered: bool,
    /// `✔ probe 4 ms`, `✖ probe timeout`, `… probing`.
    pub short: String,
}

/// Where a log pane is looking.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogView {
    /// `None` follows new lines. `Some(n)` pins the bottom row to the n-th
    /// line ever pushed, so new lines do not move the view.
    pub pinned_bottom: Option<u64>,
}

/// Everything about the screen that is not incident state.
#[derive(Clone, Debug)]
pub struct UiState {
    pub focus: Focus,
    pub headend_view: LogView,
    pub client_view: LogView,
    pub auth_view: LogView,
    pub user_selected: usize,
    pub step_selected: usize,
    pub show_help: bool,
    /// One line for the footer: the last error or confirmation.
    pub status: Option<String>,
    /// Rows the focused pane showed in the last frame, for paging.
    pub page_rows: usize,
    /// The note being typed for the selected step (`n`); `None` when the
    /// editor is closed.
    pub note_editor: Option<String>,
    /// Which of the selected step's commands `y` copies next.
    pub copy_next: usize,
    /// The user whose drill-down view is open (Enter on the Users pane).
    /// Kept by key, not by row, because the list reorders as events arrive.
    pub detail: Option<UserKey>,
    /// Rows the drill-down is scrolled up from its newest line.
    pub detail_scroll: usize,
    /// The user the log panes are filtered to (`f`).
    pub filter: Option<UserKey>,
    /// The Users pane's order (`o` cycles).
    pub user_sort: UserSort,
    /// The last probe of each AAA server (`A`), by address as logged.
    pub probes: std::collections::BTreeMap<String, ProbeMark>,
}

impl Default for UiState {
    fn default() -> Self {
        UiState {
            focus: Focus::Headend,
            headend_view: LogView::default(),
            client_view: LogView::default(),
            auth_view: LogView::default(),
            user_selected: 0,
            step_selected: 0,
            show_help: false,
            status: None,
            page_rows: 10,
            note_editor: None,
            copy_next: 0,
            detail: None,
            detail_scroll: 0,
            filter: None,
            user_sort: UserSort::default(),
            probes: std::collections::BTreeMap::new(),
        }
    }
}

impl UiState {
    /// All log panes follow new lines.
    pub fn is_live(&self) -> bool {
        [self.headend_view, self.client_view, self.auth_view]
            .iter()
            .all(|v| v.pinned_bottom.is_none())
    }

    /// The panes that are on screen, in Tab order.
    fn focus_order(model: &Model) -> Vec<Focus> {
        let mut order = vec![Focus::Headend];
        if model.has_family(Family::Client) {
            order.push(Focus::Client);
        }
        if model.has_family(Family::AuthServer) {
            order.push(Focus::Auth);
        }
        order.extend([Focus::Users, Focus::Checklist]);
        order
    }

    /// Lines the focused log pane shows that are neither kept nor read back
    /// yet, widened by `margin` lines each way: the console reads them from
    /// their files ([`crate::app::recall`]) and hands them to the store.
    pub fn recall_wanted(
        &self,
        model: &Model,
        margin: u64,
    ) -> Option<(Family, std::ops::Range<u64>)> {
        if self.filter.is_some() {
            // The filtered view shows kept lines only.
            return None;
        }
        let (family, view) = match self.focus {
            Focus::Headend => (Family::Headend, self.headend_view),
            Focus::Client => (Family::Client, self.client_view),
            Focus::Auth => (Family::AuthServer, self.auth_view),
            Focus::Users | Focus::Checklist => return None,
        };
        let store = model.store(family);
        let evicted = store.evicted();
        let shown = logs::visible(store, view, self.page_rows.max(1));
        let need = shown.start..shown.end.min(evicted);
        if need.is_empty() {
            return None;
        }
        if let Some(have) = store.recalled().map(|r| r.range())
            && have.start <= need.start
            && need.end <= have.end
        {
            return None;
        }
        let floor = store.oldest_viewable();
        let start = need.start.saturating_sub(margin).max(floor);
        Some((family, start..(need.end + margin).min(evicted)))
    }

    /// The user selected in the Users pane, if any.
    pub fn selected_user(&self, model: &Model) -> Option<UserKey> {
        model
            .incident
            .users_sorted(self.user_sort)
            .get(self.user_selected)
            .map(|(k, _)| (*k).clone())
    }

    /// Applies an action that only changes the view. Checklist changes are
    /// returned to the caller, which must journal them before applying.
    pub fn apply(&mut self, action: Action, model: &Model) -> Option<StepState> {
        match action {
            Action::Quit => {}
            Action::FocusNext | Action::FocusPrev => {
                let order = Self::focus_order(model);
                let here = order.iter().position(|f| *f == self.focus).unwrap_or(0);
                let n = order.len();
                let next = if action == Action::FocusNext {
                    (here + 1) % n
                } else {
                    (here + n - 1) % n
                };
                self.focus = order[next];
            }
            Action::Move(rows) if self.detail.is_some() => {
                self.detail_scroll =
                    (self.detail_scroll as i128 - rows as i128).clamp(0, u32::MAX as i128) as usize;
            }
            Action::PageUp if self.detail.is_some() => {
                self.detail_scroll = self.detail_scroll.saturating_add(self.page_rows.max(1));
            }
            Action::PageDown if self.detail.is_some() => {
                self.detail_scroll = self.detail_scroll.saturating_sub(self.page_rows.max(1));
            }
            Action::End if self.detail.is_some() => self.detail_scroll = 0,
            Action::Move(rows) => self.move_by(rows, model),
            Action::PageUp => self.move_by(-(self.page_rows.max(1) as isize), model),
            Action::PageDown => self.move_by(self.page_rows.max(1) as isize, model),
            Action::Home => self.move_by(isize::MIN / 2, model),
            Action::End => match self.focus {
                Focus::Headend => self.headend_view = LogView::default(),
                Focus::Client => self.client_view = LogView::default(),
                Focus::Auth => self.auth_view = LogView::default(),
                _ => self.move_by(isize::MAX / 2, model),
            },
            Action::TogglePause => {
                if self.is_live() {
                    self.headend_view.pinned_bottom = last_line(&model.headend);
                    self.client_view.pinned_bottom = last_line(&model.client);
                    self.auth_view.pinned_bottom = last_line(&model.auth);
                } else {
                    self.headend_view = LogView::default();
                    self.client_view = LogView::default();
                    self.auth_view = LogView::default();
                }
            }
            Action::ToggleHelp => self.show_help = !self.show_help,
            Action::CloseHelp => self.show_help = false,
            Action::Open => {
                if self.focus == Focus::Users {
                    self.detail = self.selected_user(model);
                    self.detail_scroll = 0;
                }
            }
            Action::ToggleFilter => {
                self.filter = match (&self.filter, &self.detail) {
                    (Some(_), _) => None,
                    // From the drill-down, filter to the user shown there.
                    (None, Some(user)) => Some(user.clone()),
                    (None, None) => self.selected_user(model),
                };
                self.detail = None;
            }
            Action::CycleSort => {
                // The selection follows its user into the new order.
                let selected = self.selected_user(model);
                self.user_sort = self.user_sort.next();
                self.user_selected = selected
                    .and_then(|key| {
                        model
                            .incident
                            .users_sorted(self.user_sort)
                            .iter()
                            .position(|(k, _)| *k == key)
                    })
                    .unwrap_or(0);
            }
            Action::Back => {
                if self.show_help {
                    self.show_help = false;
                } else if self.detail.is_some() {
                    self.detail = None;
                } else {
                    self.filter = None;
                }
            }
            // Journaled or I/O actions: the console carries them out.
            Action::EditNote
            | Action::CopyCommand
            | Action::MarkMitigated
            | Action::MarkResolved
            | Action::ExportEvidence
            | Action::WriteReport
            | Action::Probe => {}
            Action::SetStep(state) => {
                self.focus = Focus::Checklist;
                return Some(state);
            }
            Action::AdvanceStep => {
                let current = model
                    .checklist
                    .items()
                    .get(self.step_selected)
                    .map(|i| i.state)?;
                return Some(current.next());
            }
        }
        None
    }

    fn move_by(&mut self, rows: isize, model: &Model) {
        match self.focus {
            Focus::Headend => scroll(&mut self.headend_view, &model.headend, rows, self.page_rows),
            Focus::Client => scroll(&mut self.client_view, &model.client, rows, self.page_rows),
            Focus::Auth => scroll(&mut self.auth_view, &model.auth, rows, self.page_rows),
            Focus::Users => {
                let n = model.incident.users_sorted(self.user_sort).len();
                self.user_selected = clamp_add(self.user_selected, rows, n);
            }
            Focus::Checklist => {
                let n = model.checklist.items().len();
                self.step_selected = clamp_add(self.step_selected, rows, n);
                self.copy_next = 0;
            }
        }
    }
}

fn last_line(store: &LineStore) -> Option<u64> {
    store.total().checked_sub(1)
}

/// Moves a log view; scrolling up pins it, scrolling back to the newest line
/// follows again.
fn scroll(view: &mut LogView, store: &LineStore, rows: isize, page: usize) {
    let Some(last) = last_line(store) else { return };
    // The oldest line that can be the bottom row: one page in, so the first
    // page stays full. Lines no longer kept are read back from their file,
    // so the view reaches back to the first line still indexed.
    let oldest = store.oldest_viewable();
    let first = (oldest + page.saturating_sub(1) as u64).min(last);
    let bottom = view.pinned_bottom.unwrap_or(last) as i128 + rows as i128;
    let bottom = bottom.clamp(first as i128, last as i128) as u64;
    view.pinned_bottom = (bottom < last).then_some(bottom);
}

fn clamp_add(value: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (value as i128 + delta as i128).clamp(0, len as i128 - 1) as usize
}

/// The action for a key, if any.
pub fn action_for_key(key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Action::Quit,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Tab => Action::FocusNext,
        KeyCode::BackTab => Action::FocusPrev,
        KeyCode::Down | KeyCode::Char('j') => Action::Move(1),
        KeyCode::Up | KeyCode::Char('k') => Action::Move(-1),
        KeyCode::PageDown => Action::PageDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::Home | KeyCode::Char('g') => Action::Home,
        KeyCode::End | KeyCode::Char('G') => Action::End,
        KeyCode::Char('p') => Action::TogglePause,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Esc => Action::Back,
        KeyCode::Enter => Action::Open,
        KeyCode::Char('f') => Action::ToggleFilter,
        KeyCode::Char('o') => Action::CycleSort,
        KeyCode::Char(' ') => Action::AdvanceStep,
        KeyCode::Char('n') => Action::EditNote,
        KeyCode::Char('y') => Action::CopyCommand,
        KeyCode::Char('M') => Action::MarkMitigated,
        KeyCode::Char('R') => Action::MarkResolved,
        KeyCode::Char('e') => Action::ExportEvidence,
        KeyCode::Char('r') => Action::WriteReport,
        KeyCode::Char('A') => Action::Probe,
        KeyCode::Char('x') => Action::SetStep(StepState::Done),
        KeyCode::Char('w') => Action::SetStep(StepState::Doing),
        KeyCode::Char('s') => Action::SetStep(StepState::Skipped),
        KeyCode::Char('u') => Action::SetStep(StepState::Todo),
        _ => return None,
    })
}
