//! The log panes' line cursor (what Enter opens and `y` copies), and the
//! footer and help naming the keys as the configuration binds them.

mod common;

use common::{feed, headend_and_client_samples, model_of, render, screen_text, wall};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::style::Modifier;
use vpnwatch::pipeline::Model;
use vpnwatch::ui::{self, Action, Focus, Theme, UiState, action_for_key};
use vpnwatch::vocab::Family;

fn rejected(user: &str, minute: u32) -> String {
    format!(
        "<166>Nov 28 2026 23:{minute:02}:00 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.20.0.11 : user = {user} : user IP = 198.51.100.200"
    )
}

/// The samples, then three failures of three users, newest last.
fn model() -> Model {
    let mut model = model_of(&headend_and_client_samples());
    for (i, user) in ["cursoralpha", "cursorbravo", "cursorcharlie"]
        .iter()
        .enumerate()
    {
        feed(&mut model, 0, &rejected(user, 10 + i as u32));
    }
    model
}

fn headend_ui() -> UiState {
    UiState {
        focus: Focus::Headend,
        page_rows: 10,
        ..UiState::default()
    }
}

fn key(code: KeyCode) -> Action {
    action_for_key(KeyEvent::new(code, KeyModifiers::NONE)).unwrap()
}

/// Where the line fed with `minute` shows (its time: the user name is
/// past a log pane's edge, and the Users pane names users too).
fn at_minute(terminal: &Terminal<TestBackend>, minute: u32) -> Option<(u16, u16)> {
    find(terminal, &format!("23:{minute:02}:00 vpn-asa-01"))
}

/// The row the text is on, and the column it starts at.
fn find(terminal: &Terminal<TestBackend>, text: &str) -> Option<(u16, u16)> {
    let screen = screen_text(terminal);
    screen.lines().enumerate().find_map(|(y, line)| {
        let at = line.find(text)?;
        Some((line[..at].chars().count() as u16, y as u16))
    })
}

fn reversed(terminal: &Terminal<TestBackend>, (x, y): (u16, u16)) -> bool {
    terminal.backend().buffer()[(x, y)]
        .modifier
        .contains(Modifier::REVERSED)
}

#[test]
fn the_cursor_follows_on_the_newest_line_and_up_pins_the_pane() {
    let model = model();
    let mut ui = headend_ui();
    let last = model.store(Family::Headend).total() - 1;
    assert_eq!(ui.cursor_line(&model), Some((Family::Headend, last)));
    ui.apply(key(KeyCode::Up), &model);
    ui.apply(key(KeyCode::Up), &model);
    assert_eq!(ui.cursor_line(&model), Some((Family::Headend, last - 2)));
    assert!(ui.headend_view.pinned_bottom.is_some(), "up pins the pane");
    assert!(!ui.paused, "only that pane: no PAUSED banner");
    let text = screen_text(&render(&model, &ui, &Theme::default(), 120, 40));
    assert!(text.contains("⇡ scrolled +0"), "{text}");
    // New lines do not move the cursor or the view, and are counted.
    let mut model = model;
    feed(&mut model, 0, &rejected("cursordelta", 20));
    assert_eq!(ui.cursor_line(&model), Some((Family::Headend, last - 2)));
    let text = screen_text(&render(&model, &ui, &Theme::default(), 120, 40));
    assert!(text.contains("⇡ scrolled +1"), "{text}");
    // End follows again, the cursor on the newest line.
    ui.apply(key(KeyCode::End), &model);
    assert!(ui.is_live());
    assert_eq!(ui.cursor_line(&model), Some((Family::Headend, last + 1)));
    // Down onto the newest line follows as well.
    ui.apply(key(KeyCode::Up), &model);
    assert!(!ui.is_live());
    ui.apply(key(KeyCode::Down), &model);
    assert!(ui.is_live(), "back on the newest line: following");
}

#[test]
fn enter_opens_the_line_under_the_cursor_whole() {
    let model = model();
    let mut ui = headend_ui();
    ui.apply(key(KeyCode::Up), &model);
    ui.apply(key(KeyCode::Up), &model);
    ui.apply(key(KeyCode::Enter), &model);
    let last = model.store(Family::Headend).total() - 1;
    assert_eq!(ui.line_view.open, Some((Family::Headend, last - 2)));
    let text = screen_text(&render(&model, &ui, &Theme::default(), 80, 24));
    assert!(text.contains("user = cursoralpha"), "{text}");
    assert!(!text.contains("cursorcharlie"), "{text}");
    insta::assert_snapshot!("enter_opens_the_cursor_line_80x24", text);
}

#[test]
fn page_keys_home_and_end_move_the_cursor() {
    let model = model();
    let mut ui = headend_ui();
    let last = model.store(Family::Headend).total() - 1;
    ui.apply(key(KeyCode::PageUp), &model);
    assert_eq!(ui.cursor_line(&model), Some((Family::Headend, last - 10)));
    ui.apply(key(KeyCode::PageDown), &model);
    assert!(ui.is_live(), "a page down reaches the newest line");
    ui.apply(key(KeyCode::Home), &model);
    assert_eq!(ui.cursor_line(&model), Some((Family::Headend, 0)));
    let text = screen_text(&render(&model, &ui, &Theme::default(), 120, 40));
    let first = model.store(Family::Headend).get(0).unwrap().0;
    let first = String::from_utf8_lossy(first);
    // The oldest line is on screen: its message id.
    let id = first
        .split("%ASA-")
        .nth(1)
        .unwrap()
        .split(':')
        .next()
        .unwrap();
    assert!(text.contains(id.split('-').nth(1).unwrap()), "{text}");
    ui.apply(key(KeyCode::End), &model);
    assert_eq!(ui.cursor_line(&model), Some((Family::Headend, last)));
}

#[test]
fn the_cursor_row_is_reverse_video_with_and_without_colour() {
    let model = model();
    let mut ui = headend_ui();
    ui.apply(key(KeyCode::Up), &model);
    for theme in [
        Theme::default(),
        Theme::load("default").unwrap().without_colour(),
    ] {
        let terminal = render(&model, &ui, &theme, 120, 40);
        let on = at_minute(&terminal, 11).expect("the cursor line is shown");
        let off = at_minute(&terminal, 12).expect("the newest line is shown");
        assert!(reversed(&terminal, on), "{}: the cursor row", theme.name);
        assert!(!reversed(&terminal, off), "{}: another row", theme.name);
    }
    // Only the focused pane shows its cursor.
    ui.focus = Focus::Users;
    let terminal = render(&model, &ui, &Theme::default(), 120, 40);
    let on = at_minute(&terminal, 11).unwrap();
    assert!(!reversed(&terminal, on));
}

#[test]
fn a_click_puts_the_cursor_on_a_line() {
    let model = model();
    let mut ui = headend_ui();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut info = ui::draw::FrameInfo::default();
    terminal
        .draw(|f| info = ui::draw(f, &model, &ui, &Theme::default(), wall()))
        .unwrap();
    let (x, y) = at_minute(&terminal, 10).unwrap();
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    };
    ui.focus = Focus::Users;
    ui::mouse::handle(click, &info, &mut ui, &model);
    assert_eq!(ui.focus, Focus::Headend);
    let last = model.store(Family::Headend).total() - 1;
    assert_eq!(ui.cursor_line(&model), Some((Family::Headend, last - 2)));
    assert!(
        !ui.is_live(),
        "a cursor above the newest line pins the pane"
    );
    let terminal = render(&model, &ui, &Theme::default(), 120, 40);
    assert_eq!(at_minute(&terminal, 10), Some((x, y)), "the view stays");
    assert!(reversed(&terminal, (x, y)));
}

#[test]
fn y_copies_the_line_under_the_cursor_sanitised() {
    let mut model = model();
    feed(
        &mut model,
        0,
        &format!("{} \u{1b}]0;title\u{7}", rejected("cursorecho", 30)),
    );
    feed(&mut model, 0, &rejected("cursorfoxtrot", 31));
    let mut ui = headend_ui();
    ui.apply(key(KeyCode::Up), &model);
    let copied = ui.cursor_text(&model).unwrap();
    assert!(copied.contains("user = cursorecho"), "{copied}");
    assert!(
        !copied.contains('\u{1b}') && !copied.contains('\u{7}'),
        "{copied:?}"
    );
    assert_eq!(
        action_for_key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE)),
        Some(Action::CopyCommand)
    );
}

#[test]
fn a_search_match_takes_the_cursor() {
    let model = model();
    let mut ui = headend_ui();
    ui.apply(Action::StartSearch, &model);
    for c in "cursoralpha".chars() {
        ui::search::input_key(&mut ui, KeyEvent::from(KeyCode::Char(c)), &model);
    }
    ui::search::input_key(&mut ui, KeyEvent::from(KeyCode::Enter), &model);
    ui.apply(Action::Open, &model);
    let last = model.store(Family::Headend).total() - 1;
    assert_eq!(ui.line_view.open, Some((Family::Headend, last - 2)));
}

// ---- Keys shown as bound ----

fn bound_ui(config: &str) -> UiState {
    let config = vpnwatch::config::parse(config).unwrap();
    UiState {
        keys: config.key_map(),
        ..headend_ui()
    }
}

#[test]
fn footer_and_help_show_the_keys_as_bound() {
    let model = model();
    let ui = bound_ui(
        "[keys]\nquit = \"Q\"\nhelp = \"h\"\ndown = [\"ctrl-n\", \"Down\"]\nup = \"ctrl-p\"\nopen = \"l\"\n",
    );
    let text = screen_text(&render(&model, &ui, &Theme::default(), 160, 48));
    let footer = text.lines().last().unwrap();
    for hint in ["h help", "Q quit", "Ctrl-P/Ctrl-N cursor", "l line"] {
        assert!(footer.contains(hint), "{hint}: {footer}");
    }
    assert!(
        !footer.contains("? help") && !footer.contains("q quit"),
        "{footer}"
    );
    let help = UiState {
        show_help: true,
        ..ui
    };
    let text = screen_text(&render(&model, &help, &Theme::default(), 160, 48));
    assert!(text.contains("Ctrl-P  Ctrl-N/↓"), "{text}");
    assert!(text.contains(" h  Esc "), "{text}");
    assert!(!text.contains("↑/k"), "{text}");
    // The defaults, when nothing is rebound.
    let text = screen_text(&render(
        &model,
        &UiState {
            show_help: true,
            ..headend_ui()
        },
        &Theme::default(),
        160,
        48,
    ));
    assert!(text.contains("↑/k  ↓/j"), "{text}");
    assert!(text.contains(" ?  Esc "), "{text}");
}

#[test]
fn in_a_filtered_pane_the_cursor_steps_over_the_lines_shown() {
    let model = model();
    let mut ui = headend_ui();
    // `F`: only the three failures fed last and others of the id.
    ui.apply(Action::StartFilter, &model);
    for c in "cursor".chars() {
        ui::search::input_key(&mut ui, KeyEvent::from(KeyCode::Char(c)), &model);
    }
    ui::search::input_key(&mut ui, KeyEvent::from(KeyCode::Enter), &model);
    assert!(ui.find.filters());
    let last = model.store(Family::Headend).total() - 1;
    assert_eq!(ui.cursor_line(&model), Some((Family::Headend, last)));
    ui.apply(key(KeyCode::Up), &model);
    assert_eq!(ui.cursor_line(&model), Some((Family::Headend, last - 1)));
    ui.apply(key(KeyCode::Up), &model);
    assert_eq!(ui.cursor_line(&model), Some((Family::Headend, last - 2)));
    // No shown line above: the cursor stays on the oldest shown.
    ui.apply(key(KeyCode::Up), &model);
    assert_eq!(ui.cursor_line(&model), Some((Family::Headend, last - 2)));
    let terminal = render(&model, &ui, &Theme::default(), 120, 40);
    assert!(reversed(&terminal, at_minute(&terminal, 10).unwrap()));
    ui.apply(key(KeyCode::Enter), &model);
    assert_eq!(ui.line_view.open, Some((Family::Headend, last - 2)));
    ui.apply(Action::Back, &model);
    ui.apply(key(KeyCode::Down), &model);
    ui.apply(key(KeyCode::Down), &model);
    assert_eq!(ui.cursor_line(&model), Some((Family::Headend, last)));
    ui.apply(key(KeyCode::Down), &model);
    assert!(ui.is_live(), "past the newest line shown: following");
}

#[test]
fn pane_titles_name_their_keys_as_bound() {
    let model = model();
    let mut ui = UiState {
        focus: Focus::Users,
        ..bound_ui("[keys]\nsort = \"O\"\nraw = \"ctrl-r\"\n")
    };
    ui.apply(Action::ToggleRaw, &model);
    let text = screen_text(&render(&model, &ui, &Theme::default(), 160, 48));
    assert!(text.contains("by recent (O)"), "{text}");
    assert!(text.contains(" raw (Ctrl-R) "), "{text}");
    let text = screen_text(&render(&model, &headend_ui(), &Theme::default(), 160, 48));
    assert!(text.contains("by recent (o)"), "{text}");
}
