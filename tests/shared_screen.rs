//! The dashboard on a shared screen: the presenter view (`P`), emphasis
//! that survives every theme and `NO_COLOR`, search and filter of the log
//! panes (`/`, `n`/`N`, `F`, `a`), and the mouse.

mod common;

use common::{
    headend_and_client_samples, headend_sample_until, model_of, render, screen_text, source, wall,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::style::{Modifier, Style};
use vpnwatch::parse::Family;
use vpnwatch::pipeline::Model;
use vpnwatch::source::{Notice, SourceId};
use vpnwatch::ui::draw::FrameInfo;
use vpnwatch::ui::search::{InputKind, Query};
use vpnwatch::ui::{self, Action, Focus, Theme, UiState};

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];
const THEMES: [&str; 4] = ["default", "light", "high-contrast", "colorblind"];

fn sample_model() -> Model {
    model_of(&headend_and_client_samples())
}

fn spray_model() -> Model {
    let lines: String = (0..30)
        .map(|i| {
            format!(
                "Nov 28 2026 09:00:{i:02} fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.0.0.1 : user = guess{i} : user IP = 198.51.100.66\n"
            )
        })
        .collect();
    model_of(&[(source("asa.log", Family::Headend), lines.as_str())])
}

fn blind_model() -> Model {
    let mut model = model_of(&[(source("x.log", Family::Headend), "")]);
    model.notice(SourceId(0), Notice::Waiting("x.log".into()));
    model
}

fn key(c: char) -> Action {
    ui::action_for_key(KeyEvent::from(KeyCode::Char(c))).unwrap()
}

/// The modifiers of the first cell of `word` on screen, if it is shown.
fn modifiers_of(terminal: &Terminal<TestBackend>, word: &str) -> Option<Modifier> {
    style_of(terminal, word).map(|s| s.add_modifier)
}

/// The style of the first cell of the first place `word` is on screen.
fn style_of(terminal: &Terminal<TestBackend>, word: &str) -> Option<Style> {
    let buffer = terminal.backend().buffer();
    for y in 0..buffer.area.height {
        let row: Vec<&str> = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol())
            .collect();
        let text: String = row.concat();
        if let Some(at) = text.find(word) {
            let x = text[..at].chars().count() as u16;
            return Some(buffer[(x, y)].style());
        }
    }
    None
}

fn stands_out(m: Modifier) -> bool {
    m.contains(Modifier::REVERSED) || m.contains(Modifier::BOLD | Modifier::UNDERLINED)
}

fn themes() -> Vec<(String, Theme)> {
    let mut out: Vec<(String, Theme)> = THEMES
        .iter()
        .map(|n| (n.to_string(), Theme::load(n).unwrap()))
        .collect();
    out.push((
        "NO_COLOR".into(),
        Theme::load("default").unwrap().without_colour(),
    ));
    out
}

fn verdict_word(model: &Model) -> String {
    model.incident.scope().verdict.as_str().to_uppercase()
}

fn presenter() -> UiState {
    UiState {
        presenter: true,
        ..UiState::default()
    }
}

#[test]
fn p_opens_the_presenter_view_and_p_returns() {
    let model = sample_model();
    let mut ui = UiState::default();
    ui.apply(key('P'), &model);
    assert!(ui.presenter);
    let text = screen_text(&render(
        &model,
        &ui,
        &Theme::load("default").unwrap(),
        80,
        24,
    ));
    assert!(text.contains("presenter view"), "{text}");
    assert!(text.contains("██"), "block letters: {text}");
    ui.apply(key('P'), &model);
    assert!(!ui.presenter);
    let text = screen_text(&render(
        &model,
        &ui,
        &Theme::load("default").unwrap(),
        80,
        24,
    ));
    assert!(!text.contains("presenter view"), "{text}");
}

#[test]
fn presenter_view_at_three_sizes_in_every_theme() {
    let model = sample_model();
    for (w, h) in SIZES {
        let default = screen_text(&render(
            &model,
            &presenter(),
            &Theme::load("default").unwrap(),
            w,
            h,
        ));
        insta::assert_snapshot!(format!("presenter_{w}x{h}"), default);
        for (name, theme) in themes() {
            let terminal = render(&model, &presenter(), &theme, w, h);
            // A theme changes styles, never what is said.
            assert_eq!(screen_text(&terminal), default, "{name} {w}x{h}");
            let verdict = format!(" {} ", verdict_word(&model));
            for word in [verdict.as_str(), "failing now", "★ SUGGESTED"] {
                let m = modifiers_of(&terminal, word)
                    .unwrap_or_else(|| panic!("{word} missing at {w}x{h}"));
                assert!(stands_out(m), "{name} {w}x{h} {word}: {m:?}");
            }
        }
    }
}

/// The scope line's verdict word and evidence, as the header shows them.
fn header_scope(text: &str) -> (String, String) {
    let line = text.lines().find(|l| l.contains(" SCOPE ")).unwrap();
    let rest = line.split(" SCOPE ").nth(1).unwrap();
    let (word, evidence) = rest.split_once("  ").unwrap();
    (word.trim().to_string(), evidence.trim().to_string())
}

#[test]
fn the_presenter_says_what_the_header_and_users_pane_say() {
    let theme = Theme::load("default").unwrap();
    for (what, model) in [
        ("sample", sample_model()),
        ("spray", spray_model()),
        ("blind", blind_model()),
    ] {
        let dash = screen_text(&render(&model, &UiState::default(), &theme, 200, 60));
        let pres = screen_text(&render(&model, &presenter(), &theme, 200, 60));
        let (word, evidence) = header_scope(&dash);
        if what == "blind" {
            assert_eq!(word, "UNKNOWN");
            assert!(pres.contains(" BLIND "), "{pres}");
            assert!(pres.contains("SCOPE UNKNOWN"), "{pres}");
        } else {
            assert!(
                pres.contains(&format!(" {word} ")),
                "{what}: {word}\n{pres}"
            );
        }
        assert!(pres.contains(&evidence), "{what}: {evidence}\n{pres}");
        let failing = model.incident.failing_now();
        assert!(dash.contains(&format!("{failing} failing now")), "{dash}");
        assert!(pres.contains(&format!(" {failing} failing now ")), "{pres}");
        if what == "spray" {
            assert!(pres.contains(" ATTACK "), "{pres}");
            assert!(pres.contains("(spray) 198.51.100.66"), "{pres}");
        }
    }
    // The top users in the Users pane's order, with state and cause.
    let model = sample_model();
    let pres = screen_text(&render(&model, &presenter(), &theme, 120, 40));
    let sorted = model.incident.users_sorted(UiState::default().user_sort);
    let rows: Vec<&str> = pres.lines().filter(|l| l.contains("FAIL")).collect();
    assert!(!rows.is_empty(), "{pres}");
    for (key, stats) in sorted.iter().take(3) {
        let name = key.to_string();
        let line = pres
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("{name} missing\n{pres}"));
        assert!(
            line.contains(&model.incident.state_of(key, stats).label()),
            "{line}"
        );
        assert!(
            line.contains(stats.last_cause.map(|c| c.id()).unwrap_or("")),
            "{line}"
        );
    }
}

#[test]
fn emphasis_survives_every_theme_and_no_color() {
    let model = sample_model();
    let mut table = String::new();
    for (name, theme) in themes() {
        for (w, h) in SIZES {
            let ui = UiState {
                focus: Focus::Checklist,
                ..UiState::default()
            };
            let terminal = render(&model, &ui, &theme, w, h);
            let scope = format!(" SCOPE {}", verdict_word(&model));
            let mut words = vec![" INCIDENT", "failing now", scope.as_str()];
            if h >= 40 {
                words.push("★ SUGGESTED");
            }
            for word in words {
                let m = modifiers_of(&terminal, word)
                    .unwrap_or_else(|| panic!("{word} missing at {name} {w}x{h}"));
                assert!(stands_out(m), "{name} {w}x{h} {word}: {m:?}");
                table.push_str(&format!("{name:<14} {w}x{h:<3} {word:<18} {m:?}\n"));
            }
        }
        let blind = render(&blind_model(), &UiState::default(), &theme, 120, 40);
        let m = modifiers_of(&blind, "◌ BLIND").expect("BLIND shown");
        assert!(stands_out(m), "{name} BLIND: {m:?}");
        table.push_str(&format!("{name:<14} blind   ◌ BLIND {m:?}\n"));
    }
    // Without colour a badge keeps standing out in reverse video.
    let no_color = Theme::load("default").unwrap().without_colour();
    let terminal = render(&model, &UiState::default(), &no_color, 120, 40);
    let m = modifiers_of(&terminal, " INCIDENT").unwrap();
    assert!(m.contains(Modifier::REVERSED), "{m:?}");
    insta::assert_snapshot!("emphasis_by_theme_and_size", table);
}

/// Rows of the headend pane (left column at 160 wide) as shown.
fn headend_rows(text: &str) -> Vec<String> {
    text.lines()
        .skip(5)
        .take_while(|l| !l.starts_with('┗') && !l.starts_with('└'))
        .map(|l| l.chars().take(88).collect())
        .collect()
}

fn type_in(ui: &mut UiState, model: &Model, text: &str) {
    for c in text.chars() {
        ui::search::input_key(ui, KeyEvent::from(KeyCode::Char(c)), model);
    }
    ui::search::input_key(ui, KeyEvent::from(KeyCode::Enter), model);
}

#[test]
fn slash_searches_the_focused_pane_and_n_walks_the_matches() {
    let model = sample_model();
    let theme = Theme::load("default").unwrap();
    let mut ui = UiState::default();
    ui.apply(key('/'), &model);
    assert_eq!(ui.find.input.as_ref().map(|i| i.0), Some(InputKind::Search));
    type_in(&mut ui, &model, "id:113005");
    let hits = ui.find.search.as_ref().unwrap().hits;
    assert!(hits > 2, "{hits}");
    let text = screen_text(&render(&model, &ui, &theme, 160, 48));
    assert!(
        text.contains(&format!("/ id:113005 {hits}/{hits}")),
        "{text}"
    );
    // The current match is in reverse video.
    let terminal = render(&model, &ui, &theme, 160, 48);
    let at = ui.find.search.as_ref().unwrap().at.unwrap();
    assert!(model.headend.total() > at);
    let reversed = (0..48).any(|y| {
        terminal.backend().buffer()[(3, y)]
            .modifier
            .contains(Modifier::REVERSED)
    });
    assert!(reversed, "{text}");
    // n: the next older match; N back; both wrap round.
    assert!(
        ui.n_is_next_match(),
        "n is next-match in a searched log pane"
    );
    ui.step_search(&model, true);
    assert_eq!(ui.find.search.as_ref().unwrap().pos, hits - 1);
    ui.apply(key('N'), &model);
    assert_eq!(ui.find.search.as_ref().unwrap().pos, hits);
    ui.apply(key('N'), &model);
    assert_eq!(ui.find.search.as_ref().unwrap().pos, 1, "wraps round");
    // In the Runbook pane n stays the note key.
    ui.focus = Focus::Checklist;
    assert!(!ui.n_is_next_match());
    // Esc clears the search.
    ui.focus = Focus::Headend;
    ui.apply(Action::Back, &model);
    assert!(ui.find.search.is_none());
}

#[test]
fn f_filters_every_log_pane_and_esc_clears_it() {
    let model = sample_model();
    let theme = Theme::load("default").unwrap();
    let mut ui = UiState::default();
    ui.apply(key('F'), &model);
    type_in(&mut ui, &model, "re:asa-01 : %asa-6-11300[45]");
    let text = screen_text(&render(&model, &ui, &theme, 160, 48));
    assert!(text.contains("F re:asa-01 : %asa-6-11300[45]"), "{text}");
    let rows: Vec<String> = headend_rows(&text)
        .into_iter()
        .filter(|r| r.trim_start_matches('┃').trim().len() > 2)
        .collect();
    assert!(!rows.is_empty(), "{text}");
    let q = Query::parse("re:asa-01 : %asa-6-11300[45]").unwrap();
    let shown_lines = (0..model.headend.len())
        .filter_map(|i| model.headend.get(i))
        .filter(|(b, m)| q.matches(b, m))
        .count();
    assert!(shown_lines > 0);
    for r in &rows {
        assert!(
            // Message first: time, host, message id, message.
            r.contains("vpn-asa-01 113004") || r.contains("vpn-asa-01 113005"),
            "{r}\n{text}"
        );
    }
    // A bad regex is one line in the footer, and no filter.
    let mut bad = UiState::default();
    bad.apply(key('F'), &model);
    type_in(&mut bad, &model, "re:(");
    assert!(bad.find.filter.is_none());
    assert!(bad.status.as_deref().unwrap().starts_with("regex not used"));
    ui.apply(Action::Back, &model);
    assert!(ui.find.filter.is_none());
    let text = screen_text(&render(&model, &ui, &theme, 160, 48));
    assert!(!text.contains("F re:"), "{text}");
}

#[test]
fn a_hides_lines_that_are_not_auth_session_or_aaa_events() {
    let model = sample_model();
    let theme = Theme::load("default").unwrap();
    let noise = |text: &str| {
        headend_rows(text)
            .iter()
            .filter(|r| r.contains("Built") || r.contains("Teardown") || r.contains("Deny"))
            .count()
    };
    let mut ui = UiState::default();
    let text = screen_text(&render(&model, &ui, &theme, 160, 48));
    assert!(noise(&text) > 0, "the sample's last page has noise: {text}");
    ui.apply(key('a'), &model);
    let text = screen_text(&render(&model, &ui, &theme, 160, 48));
    assert_eq!(noise(&text), 0, "{text}");
    assert!(text.contains("auth only"), "{text}");
    ui.apply(key('a'), &model);
    let text = screen_text(&render(&model, &ui, &theme, 160, 48));
    assert!(noise(&text) > 0);
}

fn draw_info(model: &Model, ui: &UiState, w: u16, h: u16) -> FrameInfo {
    let theme = Theme::load("default").unwrap();
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut info = FrameInfo::default();
    terminal
        .draw(|f| info = ui::draw(f, model, ui, &theme, wall()))
        .unwrap();
    info
}

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
    MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }
}

#[test]
fn clicks_focus_panes_open_users_select_steps_and_the_wheel_scrolls() {
    let model = sample_model();
    let mut ui = UiState::default();
    let info = draw_info(&model, &ui, 160, 48);
    let rect = |f: Focus| info.panes.iter().find(|(p, _)| *p == f).unwrap().1;
    // A click on the second user's row opens that user's drill-down.
    let users = rect(Focus::Users);
    let click = MouseEventKind::Down(MouseButton::Left);
    ui::mouse::handle(
        mouse(click, users.x + 5, users.y + 3),
        &info,
        &mut ui,
        &model,
    );
    assert_eq!(ui.focus, Focus::Users);
    let second = model
        .incident
        .users_sorted(ui.user_sort)
        .get(1)
        .map(|(k, _)| (*k).clone())
        .unwrap();
    assert_eq!(ui.detail.as_ref(), Some(&second));
    ui.apply(Action::Back, &model);
    // A click on a step selects it, and changes nothing else.
    let before = model.checklist.clone();
    let info = draw_info(&model, &ui, 160, 48);
    let (y, step) = info.step_rows[2];
    ui::mouse::handle(
        mouse(click, rect(Focus::Checklist).x + 3, y),
        &info,
        &mut ui,
        &model,
    );
    assert_eq!((ui.focus, ui.step_selected), (Focus::Checklist, step));
    assert_eq!(model.checklist, before);
    // The wheel over the headend pane scrolls it (and pauses it).
    let head = rect(Focus::Headend);
    ui::mouse::handle(
        mouse(MouseEventKind::ScrollUp, head.x + 3, head.y + 3),
        &info,
        &mut ui,
        &model,
    );
    assert_eq!(ui.focus, Focus::Headend);
    assert!(ui.headend_view.pinned_bottom.is_some());
}

/// Over the help nothing under it moves: the wheel scrolls the help (the
/// focus stays), a click closes it and selects or opens nothing.
#[test]
fn over_the_help_the_wheel_scrolls_it_and_a_click_closes_it() {
    let model = sample_model();
    let mut ui = UiState::default();
    ui.apply(Action::ToggleHelp, &model);
    let info = draw_info(&model, &ui, 80, 24);
    ui.help_drawn(info.help);
    let focus = ui.focus;
    ui::mouse::handle(
        mouse(MouseEventKind::ScrollDown, 40, 12),
        &info,
        &mut ui,
        &model,
    );
    assert_eq!(ui.help_scroll, 3, "one notch");
    assert_eq!(ui.focus, focus, "the pane under the pointer is not focused");
    let click = MouseEventKind::Down(MouseButton::Left);
    ui::mouse::handle(mouse(click, 40, 12), &info, &mut ui, &model);
    assert!(!ui.show_help);
    assert_eq!((ui.focus, ui.detail.as_ref()), (focus, None));
}

/// An unfocused runbook pane keeps the suggested step on screen; the wheel
/// over it moves on from the steps shown there, never back to a selected
/// step above them (the pane would jump away from the pointer).
#[test]
fn the_wheel_over_the_runbook_moves_on_from_the_steps_on_screen() {
    // The log up to 08:53:00: 10.20.0.13 FAILED, step 4 suggested.
    let until_flap = headend_sample_until("08:53:01");
    let model = model_of(&[(source("asa-headend.log", Family::Headend), &until_flap)]);
    let steps_shown = |ui: &UiState| {
        let info = draw_info(&model, ui, 120, 40);
        let steps: Vec<usize> = info.step_rows.iter().map(|&(_, s)| s).collect();
        (info, steps)
    };
    let ui = UiState::default();
    let (info, before) = steps_shown(&ui);
    // Step 4 (index 3) is suggested and on screen; the selected first step
    // is not.
    assert!(before.contains(&3) && !before.contains(&0), "{before:?}");
    let rect = info
        .panes
        .iter()
        .find(|(p, _)| *p == Focus::Checklist)
        .unwrap()
        .1;
    let over = |kind| mouse(kind, rect.x + 3, rect.y + 2);

    let mut down = ui.clone();
    ui::mouse::handle(over(MouseEventKind::ScrollDown), &info, &mut down, &model);
    let last = *before.iter().max().unwrap();
    assert_eq!(down.focus, Focus::Checklist);
    assert_eq!(
        down.step_selected,
        last + 3,
        "three steps past the last one shown"
    );
    let (_, after) = steps_shown(&down);
    assert!(
        after.iter().min() > before.iter().min(),
        "{before:?} → {after:?}"
    );

    let mut up = ui.clone();
    ui::mouse::handle(over(MouseEventKind::ScrollUp), &info, &mut up, &model);
    let first = *before.iter().min().unwrap();
    assert_eq!(up.step_selected, first.saturating_sub(3));

    // Once the selected step is on screen, the wheel moves on from it.
    let (info, shown) = steps_shown(&down);
    assert!(shown.contains(&down.step_selected), "{shown:?}");
    let from = down.step_selected;
    ui::mouse::handle(over(MouseEventKind::ScrollUp), &info, &mut down, &model);
    assert_eq!(down.step_selected, from - 3);
}

/// Blind, neither the presenter view nor the header looks like an
/// all-clear: the empty users list says the logins are not visible, and
/// no zero is in the all-clear or success colour.
#[test]
fn blind_the_presenter_view_and_the_header_show_no_all_clear() {
    let model = blind_model();
    let theme = Theme::load("default").unwrap();
    let shown = render(&model, &presenter(), &theme, 120, 40);
    let text = screen_text(&shown);
    assert!(text.contains("BLIND"), "{text}");
    assert!(text.contains("logins not visible"), "{text}");
    let failing = style_of(&shown, "0 failing now").expect("failing count");
    assert_ne!(failing.fg, theme.ok.fg, "{text}");

    let header = render(&model, &UiState::default(), &theme, 120, 40);
    let logins = style_of(&header, "0 logins").expect("logins count");
    assert_ne!(logins.fg, theme.success.fg);
}

/// The presenter view, like the header, says when the logs are not now:
/// "failing now" in a week-old log is not happening now.
#[test]
fn the_presenter_view_says_the_log_is_old() {
    let model = sample_model();
    let text = screen_text(&render(
        &model,
        &presenter(),
        &Theme::load("default").unwrap(),
        80,
        24,
    ));
    let title = text.lines().next().unwrap_or_default();
    assert!(title.contains("LOG") && title.contains("OLD"), "{text}");
}
