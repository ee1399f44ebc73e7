//! The dashboard on the shared screen: the message first in every log line,
//! a layout for each size, a header that keeps what matters most as it
//! narrows, and a pause that counts what arrived since.

mod common;

use common::{feed, headend_and_client_samples, model_of, render, screen_text, source};
use vpnwatch::parse::Family;
use vpnwatch::pipeline::Model;
use vpnwatch::ui::{Action, Focus, Theme, UiState};

/// The bundled headend and client samples.
fn sample_model() -> Model {
    model_of(&headend_and_client_samples())
}

fn theme() -> Theme {
    Theme::load("default").unwrap()
}

fn text_at(model: &Model, ui: &UiState, w: u16, h: u16) -> String {
    screen_text(&render(model, ui, &theme(), w, h))
}

const REJECTED: &str = "<166>Nov 28 2026 09:10:00 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.20.0.11 : user = newperson : user IP = 198.51.100.200";

fn headend_ui() -> UiState {
    UiState {
        focus: Focus::Headend,
        ..UiState::default()
    }
}

/// The screen's rows without their pane borders, joined by spaces: text
/// wrapped over several rows reads as one.
fn unboxed(text: &str) -> String {
    text.lines()
        .map(|l| l.trim_matches(|c: char| c == '┃' || c == '│' || c.is_whitespace()))
        .collect::<Vec<_>>()
        .join(" ")
}

// ---- 1. Message first ----

#[test]
fn at_80_columns_a_log_line_shows_its_message_after_time_host_and_id() {
    let mut model = sample_model();
    feed(&mut model, 0, REJECTED);
    let text = text_at(&model, &headend_ui(), 80, 24);
    // PRI, date and year collapsed to the time; the message follows the id.
    assert!(
        text.contains("09:10:00 vpn-asa-01 113005 AAA user authentication Rejected"),
        "{text}"
    );
    assert!(!text.contains("<166>Nov 28 2026 09:10:00"), "{text}");
}

#[test]
fn v_shows_the_raw_line_and_again_message_first() {
    let mut model = sample_model();
    feed(&mut model, 0, REJECTED);
    let mut ui = headend_ui();
    ui.apply(Action::ToggleRaw, &model);
    let raw = text_at(&model, &ui, 120, 40);
    assert!(
        raw.contains("<166>Nov 28 2026 09:10:00 vpn-asa-01"),
        "{raw}"
    );
    ui.apply(Action::ToggleRaw, &model);
    let compact = text_at(&model, &ui, 120, 40);
    assert!(!compact.contains("<166>Nov 28 2026 09:10:00"), "{compact}");
}

#[test]
fn w_wraps_and_arrows_scroll_sideways_to_the_end_of_a_long_line() {
    let mut model = sample_model();
    feed(&mut model, 0, REJECTED);
    let mut ui = headend_ui();
    let cut = text_at(&model, &ui, 80, 24);
    assert!(
        !cut.contains("198.51.100.200"),
        "cut at the pane's edge: {cut}"
    );
    ui.apply(Action::SetStep(vpnwatch::engine::StepState::Doing), &model);
    assert!(ui.line_view.wrap, "w in a log pane wraps, it moves no step");
    let wrapped = text_at(&model, &ui, 80, 24);
    assert!(wrapped.contains("198.51.100.200"), "{wrapped}");
    ui.apply(Action::SetStep(vpnwatch::engine::StepState::Doing), &model);
    for _ in 0..12 {
        ui.apply(Action::ScrollSideways(8), &model);
    }
    let sideways = text_at(&model, &ui, 80, 24);
    assert!(sideways.contains("198.51.100.200"), "{sideways}");
    assert!(!sideways.contains("09:10:00 vpn-asa-01"), "{sideways}");
}

#[test]
fn enter_on_a_log_pane_opens_its_newest_line_whole_and_sanitised() {
    let mut model = sample_model();
    feed(
        &mut model,
        0,
        &format!("{REJECTED} \u{1b}[31mred\u{7} and more words to run well past eighty columns"),
    );
    let mut ui = headend_ui();
    ui.page_rows = 10;
    ui.apply(Action::Open, &model);
    assert!(ui.line_view.open.is_some());
    let text = text_at(&model, &ui, 80, 24);
    assert!(text.contains("asa-headend.log line 1"), "{text}");
    assert!(text.contains("raw"), "{text}");
    // Both forms, whole: the message first and the raw line, wrapped.
    let flat = unboxed(&text);
    assert!(flat.contains("past eighty columns"), "{text}");
    assert!(flat.contains("<166>Nov 28 2026 09:10:00"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text}"
    );
    // ↑↓ scroll a line longer than the screen.
    ui.apply(Action::Move(2), &model);
    assert_eq!(ui.line_view.open_scroll, 2);
    let scrolled = text_at(&model, &ui, 80, 24);
    assert!(!scrolled.contains("asa-headend.log line 1"), "{scrolled}");
    ui.apply(Action::Back, &model);
    assert!(ui.line_view.open.is_none(), "Esc closes the line");
}

#[test]
fn the_selected_step_is_shown_whole_with_who_when_and_its_note() {
    let mut model = sample_model();
    let at: jiff::Timestamp = "2026-11-28T08:55:00Z".parse().unwrap();
    let change = model
        .checklist
        .change(1, vpnwatch::engine::StepState::Doing, "oncall", at)
        .unwrap();
    model.checklist.apply(&change);
    let note = model
        .checklist
        .note(
            1,
            "asked the user to re-type; same error with the usual profile",
            "oncall",
            at,
        )
        .unwrap();
    model.checklist.apply(&note);
    let ui = UiState {
        focus: Focus::Checklist,
        step_selected: 1,
        ..UiState::default()
    };
    let text = text_at(&model, &ui, 80, 24);
    let flat = unboxed(&text);
    let step = &model.checklist.items()[1];
    assert!(flat.contains(step.text.trim()), "{text}");
    assert!(flat.contains("— oncall 08:55:00"), "{text}");
    assert!(flat.contains("same error with the usual profile"), "{text}");
}

// ---- 2. A layout for each size ----

/// Rows inside the focused (thick-bordered) pane of a frame.
fn focused_rows(text: &str) -> usize {
    let rows: Vec<&str> = text.lines().collect();
    let top = rows.iter().position(|r| r.contains('┏'));
    let bottom = rows.iter().position(|r| r.contains('┗'));
    match (top, bottom) {
        (Some(t), Some(b)) if b > t => b - t - 1,
        _ => 0,
    }
}

#[test]
fn on_a_small_screen_each_pane_has_eight_rows_when_focused() {
    let model = sample_model();
    for (w, h) in [(80, 24), (100, 30)] {
        for focus in [
            Focus::Headend,
            Focus::Client,
            Focus::Users,
            Focus::Checklist,
        ] {
            let ui = UiState {
                focus,
                ..UiState::default()
            };
            let text = text_at(&model, &ui, w, h);
            assert!(
                focused_rows(&text) >= 8,
                "{focus:?} at {w}x{h} has {} rows:\n{text}",
                focused_rows(&text)
            );
        }
    }
}

#[test]
fn small_screen_snapshots() {
    let model = sample_model();
    let ui = headend_ui();
    insta::assert_snapshot!("compact_80x24_headend", text_at(&model, &ui, 80, 24));
    let ui = UiState {
        focus: Focus::Users,
        ..UiState::default()
    };
    insta::assert_snapshot!("compact_100x30_users", text_at(&model, &ui, 100, 30));
}

#[test]
fn other_log_panes_are_one_summary_row_and_number_keys_switch() {
    let model = sample_model();
    let mut ui = headend_ui();
    let text = text_at(&model, &ui, 80, 24);
    let client = model.store(Family::Client);
    let summary = format!(
        " 2 Client {} lines · ✖ {} failure lines",
        client.total(),
        client.failure_lines()
    );
    assert!(client.failure_lines() > 0);
    assert!(text.contains(&summary), "{summary}\n{text}");
    ui.apply(Action::FocusNth(2), &model);
    assert_eq!(ui.focus, Focus::Client);
    let text = text_at(&model, &ui, 80, 24);
    assert!(text.contains(" 1 Headend "), "{text}");
    assert!(text.contains("┏ Client"), "{text}");
    ui.apply(Action::FocusNth(4), &model);
    assert_eq!(ui.focus, Focus::Checklist);
}

// ---- 3. The header by priority ----

/// What the header shows, most important first (README, "The header").
const ORDER: &[&str] = &[
    "INCIDENT",
    "failing now",
    "failed",
    "users",
    "logins",
    "runbook",
    "UTC",
];

#[test]
fn the_header_keeps_what_matters_most_as_it_narrows() {
    let model = sample_model();
    let mut shots = String::new();
    for w in [60, 80, 100, 120, 160, 200] {
        let text = text_at(&model, &UiState::default(), w, 40);
        let header: Vec<&str> = text.lines().take(4).collect();
        let first = header[0];
        // Whatever is shown, everything more important is shown too.
        let shown: Vec<bool> = ORDER.iter().map(|p| first.contains(p)).collect();
        let kept = shown.iter().take_while(|s| **s).count();
        assert!(
            shown[kept..].iter().all(|s| !s),
            "at {w}: {first:?} shows {shown:?}"
        );
        assert!(
            kept >= 3,
            "at {w} the failing-now and failed counts stay: {first}"
        );
        assert!(
            header[1].contains("SCOPE ISOLATED"),
            "at {w}: {}",
            header[1]
        );
        shots.push_str(&format!("{w}:\n{}\n", header.join("\n")));
    }
    insta::assert_snapshot!("header_by_width", shots);
}

// ---- 11. A pause that tells the truth ----

#[test]
fn paused_counts_the_lines_that_arrived_since_and_end_clears_it() {
    let mut model = sample_model();
    let mut ui = headend_ui();
    ui.page_rows = 10;
    ui.apply(Action::TogglePause, &model);
    ui.apply(Action::PageUp, &model);
    let text = text_at(&model, &ui, 120, 40);
    assert!(text.contains("‖ PAUSED +0"), "nothing new yet: {text}");
    feed(&mut model, 0, REJECTED);
    feed(&mut model, 0, REJECTED);
    let text = text_at(&model, &ui, 120, 40);
    assert!(text.contains("‖ PAUSED +2"), "{text}");
    assert!(text.lines().next().unwrap().contains("‖ PAUSED"));
    // Paused over old lines: both are said.
    assert!(
        text.lines().next().unwrap().contains("◷ LOG 33d OLD"),
        "{text}"
    );
    ui.apply(Action::End, &model);
    let text = text_at(&model, &ui, 120, 40);
    assert!(
        !text.contains("PAUSED"),
        "End resumes and clears the banner: {text}"
    );
    // Following again (the tests' wall clock is long after the samples, so
    // not `LIVE`: see `live_only_while_the_newest_line_is_recent`).
    assert!(text.lines().next().unwrap().contains("◷ LOG 33d OLD"));
}

#[test]
fn scrolling_up_pauses_that_pane_only() {
    let mut model = sample_model();
    let mut ui = headend_ui();
    ui.page_rows = 10;
    ui.apply(Action::Move(-3), &model);
    feed(&mut model, 0, REJECTED);
    feed(
        &mut model,
        1,
        "Nov 28 09:10:01 lap-new acvpnui[1]: An SSL VPN connection to vpn.example.net has been requested by the user.",
    );
    let text = text_at(&model, &ui, 120, 40);
    assert!(text.contains("⇡ scrolled +1"), "{text}");
    assert!(!text.contains("PAUSED"), "{text}");
    assert!(
        text.lines().next().unwrap().contains("◷ LOG 33d OLD"),
        "{text}"
    );
    // The client pane still follows: its new line is on screen.
    assert!(text.contains("09:10:01 lap-new"), "{text}");
    ui.apply(Action::End, &model);
    let text = text_at(&model, &ui, 120, 40);
    assert!(!text.contains("scrolled"), "{text}");
}

// ---- The README's screenshot ----

/// The three bundled samples at 160x48, the README's first screen.
#[test]
fn readme_screenshot() {
    let [headend, client] = headend_and_client_samples();
    let mut model = model_of(&[
        headend,
        client,
        (
            source("ise-auth.log", Family::AuthServer),
            include_str!("../sample-logs/ise-auth.log"),
        ),
    ]);
    // The incident lead has started step 1.
    let at: jiff::Timestamp = "2026-11-28T08:50:00Z".parse().unwrap();
    let start = model
        .checklist
        .change(0, vpnwatch::engine::StepState::Doing, "oncall", at)
        .unwrap();
    model.checklist.apply(&start);
    let ui = UiState {
        focus: Focus::Auth,
        ..UiState::default()
    };
    // Drawn half a minute after the last line, as `demo` shows it.
    let wall: jiff::Timestamp = "2026-11-28T09:10:30Z".parse().unwrap();
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
    terminal
        .draw(|f| {
            model.set_wall_clock(wall);
            vpnwatch::ui::draw(f, &model, &ui, &theme(), wall);
        })
        .unwrap();
    let text = screen_text(&terminal);
    // The auth server's lines are message first too.
    assert!(text.contains("ise-psn-0"), "{text}");
    assert!(!text.contains("<181>Nov 28"), "{text}");
    insta::assert_snapshot!("readme_160x48", text);
}

// ---- The footer ----

#[test]
fn the_footer_shows_the_keys_of_the_focused_pane() {
    let model = sample_model();
    let footer = |focus| {
        let ui = UiState {
            focus,
            ..UiState::default()
        };
        let text = text_at(&model, &ui, 160, 48);
        text.lines().last().unwrap_or_default().to_string()
    };
    let logs = footer(Focus::Headend);
    for hint in [
        "? help",
        "q quit",
        "p pause",
        "v raw",
        "w wrap",
        "Enter line",
    ] {
        assert!(logs.contains(hint), "{hint}: {logs}");
    }
    assert!(!logs.contains("Space"), "{logs}");
    let steps = footer(Focus::Checklist);
    for hint in ["Space advance", "x/s done/skip", "n note", "y copy"] {
        assert!(steps.contains(hint), "{hint}: {steps}");
    }
    assert!(!steps.contains("p pause"), "{steps}");
    let users = footer(Focus::Users);
    for hint in ["Enter user", "f filter", "o order", "e bundle"] {
        assert!(users.contains(hint), "{hint}: {users}");
    }
}

#[test]
fn w_wraps_the_drill_down_lines_too() {
    let mut model = sample_model();
    feed(&mut model, 0, REJECTED);
    let key = model
        .incident
        .users()
        .map(|(k, _)| k.clone())
        .find(|k| k.to_string() == "newperson")
        .unwrap();
    let mut ui = UiState {
        detail: Some(key),
        ..UiState::default()
    };
    let cut = text_at(&model, &ui, 100, 30);
    assert!(!cut.contains("user = newperson"), "{cut}");
    ui.apply(Action::SetStep(vpnwatch::engine::StepState::Doing), &model);
    let wrapped = text_at(&model, &ui, 100, 30);
    assert!(wrapped.contains("user = newperson"), "{wrapped}");
}

/// Every size the dashboard draws at (60x16 and up), with every pane
/// focused and three log panes (two summary rows): a terminal resized on
/// the bridge never takes the dashboard down. 60x20 with a log pane
/// focused asked for a glance of at least five rows and at most four.
#[test]
fn every_size_from_the_smallest_draws_with_every_pane_focused() {
    let model = common::model_of_files(&[
        ("sample-logs/asa-headend.log", Family::Headend),
        ("sample-logs/anyconnect-client.log", Family::Client),
        ("sample-logs/ise-auth.log", Family::AuthServer),
    ]);
    let focuses = [
        Focus::Headend,
        Focus::Client,
        Focus::Auth,
        Focus::Users,
        Focus::Checklist,
    ];
    for w in [60, 80, 120, 200] {
        for h in 16..=40 {
            for focus in focuses {
                let ui = UiState {
                    focus,
                    ..UiState::default()
                };
                let text = text_at(&model, &ui, w, h);
                assert!(
                    text.contains("INCIDENT") && focused_rows(&text) > 0,
                    "{focus:?} at {w}x{h} lacks the verdict or the focused pane:\n{text}"
                );
            }
        }
    }
}
