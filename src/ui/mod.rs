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
pub mod keys;
mod kpi;
mod logs;
pub mod mouse;
mod presenter;
pub mod search;
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
    /// `P`: the presenter view, or back to the dashboard.
    TogglePresenter,
    /// `t`: the next bundled theme.
    CycleTheme,
    /// `U`: undo the last journal record this console wrote.
    Undo,
    /// `y` while the footer asks to confirm `M`/`R`.
    Confirm,
    /// `/`: type a search for the focused log pane.
    StartSearch,
    /// `N`: the previous match (`n`, the next one, shares the note key).
    SearchPrev,
    /// `F`: type a filter for every log pane.
    StartFilter,
    /// `a`: show auth, session and AAA events only in every log pane.
    ToggleAuthOnly,
    /// `A`: probe every AAA server the logs named (`a` is left for "auth
    /// lines only").
    Probe,
    /// `v`: log lines raw, or message first (the default).
    ToggleRaw,
    /// `←` `→`: scroll the log panes sideways by this many columns.
    ScrollSideways(i16),
    /// `1`–`5`: focus the n-th pane of the Tab order.
    FocusNth(u8),
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
    /// Lines the pane's store had been given when the view stopped
    /// following: `PAUSED +N` counts the lines that arrived since.
    pub since: u64,
    /// The line cursor (reverse video in the focused pane): the index of
    /// the line Enter opens and `y` copies. `None` is the newest line in
    /// view, where the cursor sits while the pane follows.
    pub cursor: Option<u64>,
}

impl LogView {
    /// Lines that arrived since the view stopped following (0 while it follows).
    pub fn arrived_since(&self, store: &LineStore) -> u64 {
        match self.pinned_bottom {
            Some(_) => store.total().saturating_sub(self.since),
            None => 0,
        }
    }
}

/// How the log panes show a line: message first or raw (`v`), cut or
/// wrapped (`w`), scrolled sideways (`←/→`), and the line opened whole
/// (Enter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineView {
    pub raw: bool,
    pub wrap: bool,
    /// Columns the log panes are scrolled to the right.
    pub sideways: u16,
    /// The line shown whole: its pane and its index in the pane's store.
    pub open: Option<(Family, u64)>,
    /// Rows the line shown whole is scrolled down (a long line on a small
    /// screen).
    pub open_scroll: u16,
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
    /// Rows of the help scrolled past its top (↑ ↓ PgUp PgDn Home End
    /// while it is open).
    pub help_scroll: usize,
    /// How far the help could scroll and how many of its rows showed, as
    /// last drawn ([`UiState::help_drawn`]): the scrolling keys stay within
    /// it and page by it, even when several keys come between two frames.
    /// `None` until the open help has been drawn.
    pub help_view: Option<HelpView>,
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
    /// `P`: the presenter view fills the screen.
    pub presenter: bool,
    /// `M` or `R` waiting for `y` (Esc or any other key cancels).
    pub confirm: Option<Action>,
    /// Records this console journaled, newest last: what `U` takes back.
    pub written: Vec<crate::engine::checklist::Record>,
    /// Search, filter and "auth lines only" of the log panes.
    pub find: search::Find,
    /// The last probe of each AAA server (`A`), by address as logged.
    pub probes: std::collections::BTreeMap<String, ProbeMark>,
    /// `p` paused every log pane (the header says PAUSED); a pane scrolled
    /// up on its own is only `⇡ scrolled`.
    pub paused: bool,
    pub line_view: LineView,
    /// The key bindings in force, so the footer and the help name the keys
    /// as bound.
    pub keys: keys::KeyMap,
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
            help_scroll: 0,
            help_view: None,
            status: None,
            page_rows: 10,
            note_editor: None,
            copy_next: 0,
            detail: None,
            detail_scroll: 0,
            filter: None,
            user_sort: UserSort::default(),
            presenter: false,
            confirm: None,
            written: Vec::new(),
            find: search::Find::default(),
            probes: std::collections::BTreeMap::new(),
            paused: false,
            line_view: LineView::default(),
            keys: keys::KeyMap::default(),
        }
    }
}

/// The help as last drawn: see [`UiState::help_view`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HelpView {
    /// Its rows past what the screen holds.
    pub max_scroll: usize,
    /// Its rows on screen.
    pub shown: usize,
}

impl UiState {
    /// Notes how the help was just drawn ([`FrameInfo::help`]), and brings
    /// the scroll back within it (a smaller terminal, or End before the
    /// first frame).
    ///
    /// [`FrameInfo::help`]: draw::FrameInfo::help
    pub fn help_drawn(&mut self, view: Option<HelpView>) {
        self.help_view = view;
        if let Some(v) = view {
            self.help_scroll = self.help_scroll.min(v.max_scroll);
        }
    }

    /// Scrolls the help by `rows` (negative is up), within what it can
    /// scroll once it has been drawn.
    fn scroll_help(&mut self, rows: isize) {
        let scrolled = self.help_scroll.saturating_add_signed(rows);
        self.help_scroll = match self.help_view {
            Some(v) => scrolled.min(v.max_scroll),
            None => scrolled,
        };
    }

    /// A page of the help: the rows it shows, less one kept for context.
    fn help_page(&self) -> isize {
        let shown = self.help_view.map_or(10, |v| v.shown);
        isize::try_from(shown.saturating_sub(1).max(1)).unwrap_or(1)
    }

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
        if self.filter.is_some() || self.find.filters() {
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
            // The help, over everything, takes the scrolling keys.
            Action::Move(rows) if self.show_help => self.scroll_help(rows),
            Action::PageUp if self.show_help => self.scroll_help(-self.help_page()),
            Action::PageDown if self.show_help => self.scroll_help(self.help_page()),
            Action::Home if self.show_help => self.help_scroll = 0,
            Action::End if self.show_help => self.scroll_help(isize::MAX),
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
            // Keys of the log panes' line view (see [`LineView`]).
            Action::Back if self.line_view.open.is_some() => self.line_view.open = None,
            Action::Move(rows) if self.line_view.open.is_some() => {
                let rows =
                    i16::try_from(rows).unwrap_or(if rows < 0 { i16::MIN } else { i16::MAX });
                self.line_view.open_scroll = self.line_view.open_scroll.saturating_add_signed(rows);
            }
            Action::ToggleRaw => self.line_view.raw = !self.line_view.raw,
            Action::ScrollSideways(cols) => {
                self.line_view.sideways = self.line_view.sideways.saturating_add_signed(cols)
            }
            // `w` is wrap where lines are read, doing in the incident panes.
            Action::SetStep(StepState::Doing)
                if self.detail.is_some() || self.log_focus().is_some() =>
            {
                self.line_view.wrap = !self.line_view.wrap
            }
            Action::FocusNth(n) => {
                if let Some(f) = Self::focus_order(model).get(usize::from(n).saturating_sub(1)) {
                    self.focus = *f;
                    self.detail = None;
                }
            }
            Action::Open if self.detail.is_none() && self.log_focus().is_some() => {
                self.line_view.open = self.cursor_line(model);
                self.line_view.open_scroll = 0;
            }
            Action::Move(rows) => self.move_by(rows, model),
            Action::PageUp => self.move_by(-(self.page_rows.max(1) as isize), model),
            Action::PageDown => self.move_by(self.page_rows.max(1) as isize, model),
            Action::Home => self.move_by(isize::MIN / 2, model),
            // End follows again; after `p` every pane does, and the banner goes.
            Action::End if self.paused => self.resume_all(),
            Action::End => match self.focus {
                Focus::Headend => self.headend_view = LogView::default(),
                Focus::Client => self.client_view = LogView::default(),
                Focus::Auth => self.auth_view = LogView::default(),
                _ => self.move_by(isize::MAX / 2, model),
            },
            Action::TogglePause => {
                if self.paused {
                    self.resume_all();
                } else {
                    self.paused = true;
                    for (view, store) in [
                        (&mut self.headend_view, &model.headend),
                        (&mut self.client_view, &model.client),
                        (&mut self.auth_view, &model.auth),
                    ] {
                        // A pane already scrolled up stays where it is.
                        if view.pinned_bottom.is_none() {
                            *view = LogView {
                                pinned_bottom: last_line(store),
                                since: store.total(),
                                cursor: None,
                            };
                        }
                    }
                }
            }
            Action::ToggleHelp => {
                self.show_help = !self.show_help;
                self.help_scroll = 0;
                self.help_view = None;
            }
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
                } else if self.presenter {
                    self.presenter = false;
                } else if self.detail.is_some() {
                    self.detail = None;
                } else if !self.find.clear() {
                    self.filter = None;
                }
            }
            Action::TogglePresenter => self.presenter = !self.presenter,
            Action::ToggleAuthOnly => {
                self.find.auth_only = !self.find.auth_only;
                self.status = Some(if self.find.auth_only {
                    "auth lines only: auth, session and AAA events (a shows all)".into()
                } else {
                    "all lines shown".into()
                });
            }
            Action::StartSearch => {
                if matches!(self.focus, Focus::Headend | Focus::Client | Focus::Auth) {
                    self.find.input = Some((search::InputKind::Search, String::new()));
                } else {
                    self.status = Some("/ searches a log pane: focus one with Tab".into());
                }
            }
            Action::StartFilter => {
                self.find.input = Some((search::InputKind::Filter, String::new()));
            }
            Action::SearchPrev => self.step_search(model, false),
            // Journaled or I/O actions: the console carries them out.
            Action::CycleTheme | Action::Undo | Action::Confirm => {}
            Action::EditNote
            | Action::CopyCommand
            | Action::MarkMitigated
            | Action::MarkResolved
            | Action::ExportEvidence
            | Action::WriteReport
            | Action::Probe => {}
            Action::SetStep(state) => {
                self.line_view.open = None;
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

    /// Every log pane follows new lines again, and the header's PAUSED goes.
    fn resume_all(&mut self) {
        self.paused = false;
        self.headend_view = LogView::default();
        self.client_view = LogView::default();
        self.auth_view = LogView::default();
    }

    /// The log pane with the focus, if one has it.
    pub fn log_focus(&self) -> Option<Family> {
        match self.focus {
            Focus::Headend => Some(Family::Headend),
            Focus::Client => Some(Family::Client),
            Focus::Auth => Some(Family::AuthServer),
            Focus::Users | Focus::Checklist => None,
        }
    }

    /// Where the pane of `family` is looking.
    pub fn view(&self, family: Family) -> LogView {
        match family {
            Family::Headend => self.headend_view,
            Family::Client => self.client_view,
            Family::AuthServer => self.auth_view,
        }
    }

    /// `n`: the next search match when a log pane with a search is
    /// focused; the note editor otherwise (the console decides).
    pub fn n_is_next_match(&self) -> bool {
        self.find.search_in(self.focus).is_some()
    }

    /// Moves to the next (or previous) match of the focused pane's search,
    /// wrapping round, and scrolls the pane to it.
    pub fn step_search(&mut self, model: &Model, forward: bool) {
        let Some(family) = family_of(self.focus) else {
            return;
        };
        let store = model.store(family);
        let Some(at) = self.find.step(store, self.focus, forward) else {
            self.status = Some("no match".into());
            return;
        };
        // The match half a page above the bottom row, so it has context.
        let last = store.total().saturating_sub(1);
        let bottom = (at + (self.page_rows / 2) as u64).min(last);
        let view = LogView {
            pinned_bottom: (bottom < last).then_some(bottom),
            // The cursor on the match: Enter opens it.
            cursor: Some(at),
            ..LogView::default()
        };
        match self.focus {
            Focus::Headend => self.headend_view = view,
            Focus::Client => self.client_view = view,
            Focus::Auth => self.auth_view = view,
            Focus::Users | Focus::Checklist => {}
        }
    }

    /// The text of the line under the focused log pane's cursor, sanitised
    /// (what `y` copies there), when the line is kept or read back.
    pub fn cursor_text(&self, model: &Model) -> Option<String> {
        let (family, index) = self.cursor_line(model)?;
        logs::line_bytes(model, family, index).map(crate::sanitize::sanitize)
    }

    /// The line cursor of `family`'s pane, on line `index` (a mouse click).
    pub(crate) fn set_cursor(&mut self, family: Family, index: u64, model: &Model) {
        let store = model.store(family);
        let page = self.page_rows;
        match family {
            Family::Headend => cursor_to(&mut self.headend_view, store, index, page),
            Family::Client => cursor_to(&mut self.client_view, store, index, page),
            Family::AuthServer => cursor_to(&mut self.auth_view, store, index, page),
        }
    }

    /// Moves the cursor of a filtered log pane over the lines it shows.
    fn move_filtered(&mut self, family: Family, rows: isize, model: &Model) {
        let page = self.page_rows.max(1);
        let Some(here) = logs::cursor_index(model, self, family, page) else {
            return;
        };
        let to = logs::step_filtered(model, self, family, here, rows);
        let store = model.store(family);
        let view = match family {
            Family::Headend => &mut self.headend_view,
            Family::Client => &mut self.client_view,
            Family::AuthServer => &mut self.auth_view,
        };
        match to {
            Some(to) => cursor_to(view, store, to, page),
            // Past the newest line shown: follow again.
            None if rows > 0 => *view = LogView::default(),
            // Past the oldest: the cursor stays.
            None => {}
        }
    }

    /// The line under the focused log pane's cursor, as shown in the last
    /// frame's page: what Enter opens and `y` copies.
    pub fn cursor_line(&self, model: &Model) -> Option<(Family, u64)> {
        let family = self.log_focus()?;
        logs::cursor_index(model, self, family, self.page_rows.max(1)).map(|i| (family, i))
    }

    fn move_by(&mut self, rows: isize, model: &Model) {
        if let Some(family) = self.log_focus()
            && (self.filter.is_some() || self.find.filters())
        {
            return self.move_filtered(family, rows, model);
        }
        match self.focus {
            Focus::Headend => {
                move_cursor(&mut self.headend_view, &model.headend, rows, self.page_rows)
            }
            Focus::Client => {
                move_cursor(&mut self.client_view, &model.client, rows, self.page_rows)
            }
            Focus::Auth => move_cursor(&mut self.auth_view, &model.auth, rows, self.page_rows),
            Focus::Users => {
                let n = model.incident.users_sorted(self.user_sort).len();
                self.user_selected = clamp_add(self.user_selected, rows, n);
            }
            Focus::Checklist => {
                let n = model.checklist.items().len();
                self.select_step(clamp_add(self.step_selected, rows, n));
            }
        }
    }

    /// Selects runbook step `step`; `y` then copies its first command.
    pub(crate) fn select_step(&mut self, step: usize) {
        self.step_selected = step;
        self.copy_next = 0;
    }
}

/// The log family a focus shows, if it is a log pane.
pub(crate) fn family_of(focus: Focus) -> Option<Family> {
    match focus {
        Focus::Headend => Some(Family::Headend),
        Focus::Client => Some(Family::Client),
        Focus::Auth => Some(Family::AuthServer),
        Focus::Users | Focus::Checklist => None,
    }
}

fn last_line(store: &LineStore) -> Option<u64> {
    store.total().checked_sub(1)
}

/// Moves a log pane's line cursor, the view scrolling only when the cursor
/// would leave it. The cursor leaving the newest line pins the pane (as
/// scrolling up did: `⇡ scrolled`); reaching the newest line follows again.
pub(crate) fn move_cursor(view: &mut LogView, store: &LineStore, rows: isize, page: usize) {
    let Some(last) = last_line(store) else { return };
    let page = page.max(1) as u64;
    // Lines no longer kept are read back from their file, so the cursor
    // reaches back to the first line still indexed (never past the newest:
    // `clamp` panics on bounds the wrong way round).
    let floor = store.oldest_viewable().min(last);
    let bottom = view.pinned_bottom.unwrap_or(last).clamp(floor, last);
    // Where the cursor is drawn: on the bottom row when it has none.
    let here = view.cursor.unwrap_or(bottom).clamp(floor, last);
    let to = (here as i128 + rows as i128).clamp(floor as i128, last as i128) as u64;
    cursor_to(view, store, to, page as usize);
}

/// Puts a log pane's line cursor on line `to` (see [`move_cursor`]).
pub(crate) fn cursor_to(view: &mut LogView, store: &LineStore, to: u64, page: usize) {
    let Some(last) = last_line(store) else { return };
    let page = page.max(1) as u64;
    let floor = store.oldest_viewable().min(last);
    let bottom = view.pinned_bottom.unwrap_or(last).clamp(floor, last);
    let to = to.clamp(floor, last);
    if to == last {
        *view = LogView::default();
        return;
    }
    if view.pinned_bottom.is_none() {
        // Stops following here: what arrives from now on is counted.
        view.since = store.total();
    }
    let top = (bottom + 1).saturating_sub(page);
    let bottom = if to < top {
        to + page - 1
    } else {
        bottom.max(to)
    };
    // The first page stays full.
    let bottom = bottom.max(floor + page - 1).min(last);
    view.pinned_bottom = Some(bottom);
    view.cursor = Some(to);
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
        KeyCode::Char('P') => Action::TogglePresenter,
        KeyCode::Char('t') => Action::CycleTheme,
        KeyCode::Char('U') => Action::Undo,
        KeyCode::Char('/') => Action::StartSearch,
        KeyCode::Char('N') => Action::SearchPrev,
        KeyCode::Char('F') => Action::StartFilter,
        KeyCode::Char('a') => Action::ToggleAuthOnly,
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
        KeyCode::Char('v') => Action::ToggleRaw,
        KeyCode::Left => Action::ScrollSideways(-8),
        KeyCode::Right => Action::ScrollSideways(8),
        KeyCode::Char(c @ '1'..='5') => Action::FocusNth(c as u8 - b'0'),
        _ => return None,
    })
}
