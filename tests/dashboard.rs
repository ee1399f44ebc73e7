//! Snapshots of the dashboard drawn from the bundled sample incident, at the
//! sizes it is used at: a laptop on the bridge (120x40) and a small terminal
//! (80x24).

use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use vpnwatch::engine::checklist::{Record, StepChange, StepState};
use vpnwatch::engine::{Model, SourceState};
use vpnwatch::parse::{Family, ParseContext};
use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};
use vpnwatch::source::{LineBatch, Notice, SourceId};
use vpnwatch::ui::{self, Focus, Theme, UiState};

fn source(name: &str, family: Family) -> SourceState {
    SourceState {
        name: name.into(),
        family,
        lines: 0,
        unrecognised: 0,
        status: None,
    }
}

fn feed(model: &mut Model, id: u16, text: &str) {
    let mut batch = LineBatch::new(1);
    for line in text.lines() {
        batch.push(line.as_bytes());
    }
    model.ingest(SourceId(id), &batch);
}

fn sample_model() -> Model {
    let runbook = runbook::parse(DEFAULT_RUNBOOK).unwrap();
    let sources = vec![
        source("asa-headend.log", Family::Headend),
        source("anyconnect-client.log", Family::Client),
    ];
    let mut model = Model::new(
        sources,
        &runbook,
        10_000,
        ParseContext { default_year: 2026 },
    );
    feed(
        &mut model,
        0,
        include_str!("../sample-logs/asa-headend.log"),
    );
    feed(
        &mut model,
        1,
        include_str!("../sample-logs/anyconnect-client.log"),
    );
    let change = |step: &str, to, min| {
        Record::Step(StepChange {
            ts: "2026-11-28T08:50:00Z".parse::<Timestamp>().unwrap()
                + jiff::SignedDuration::from_mins(min),
            operator: "oncall".into(),
            step: step.into(),
            from: StepState::Todo,
            to,
            note: None,
        })
    };
    assert!(model.checklist.apply(&change("1", StepState::Doing, 0)));
    assert!(model.checklist.apply(&change("1.1", StepState::Done, 2)));
    assert!(model.checklist.apply(&change("1.2", StepState::Skipped, 3)));
    model
}

/// Long after the sample's log time, so the incident clock uses log time.
fn wall() -> Timestamp {
    "2027-01-01T00:00:00Z".parse().unwrap()
}

fn render(
    model: &Model,
    ui: &UiState,
    theme: &Theme,
    width: u16,
    height: u16,
) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            ui::draw(f, model, ui, theme, wall());
        })
        .unwrap();
    terminal
}

fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn dashboard_120x40() {
    let model = sample_model();
    let ui = UiState {
        focus: Focus::Users,
        ..UiState::default()
    };
    let terminal = render(&model, &ui, &Theme::load("default").unwrap(), 120, 40);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn dashboard_80x24() {
    let model = sample_model();
    let ui = UiState {
        focus: Focus::Checklist,
        step_selected: 1,
        ..UiState::default()
    };
    let terminal = render(&model, &ui, &Theme::load("default").unwrap(), 80, 24);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn help_overlay() {
    let model = sample_model();
    let ui = UiState {
        show_help: true,
        ..UiState::default()
    };
    let terminal = render(&model, &ui, &Theme::load("default").unwrap(), 120, 40);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn header_tells_the_incident_at_a_glance() {
    let model = sample_model();
    let text = screen_text(&render(
        &model,
        &UiState::default(),
        &Theme::load("high-contrast").unwrap(),
        160,
        48,
    ));
    let header: Vec<&str> = text.lines().take(2).collect();
    // First failure 08:43:11, last log line 09:09:59.
    assert!(header[0].contains("INCIDENT 00:26:48"), "{}", header[0]);
    assert!(header[0].contains("● LIVE"), "{}", header[0]);
    assert!(header[0].contains("✖ 64 failed attempts"), "{}", header[0]);
    assert!(
        header[0].contains("11 users · 3 failing now"),
        "{}",
        header[0]
    );
    assert!(header[0].contains("✔ 95 logins"), "{}", header[0]);
    assert!(header[0].contains("runbook 2/19"), "{}", header[0]);
    // The RADIUS server flapped: FAILED at 08:52:19, ACTIVE again at 08:56:27.
    assert!(
        header[1].contains("10.20.0.13 ✔ ACTIVE since 08:56:27"),
        "{}",
        header[1]
    );
    assert!(
        header[1].contains("asa-headend.log 5588 lines"),
        "{}",
        header[1]
    );
}

#[test]
fn pausing_freezes_the_log_pane() {
    let mut model = sample_model();
    let mut ui = UiState::default();
    let theme = Theme::load("default").unwrap();
    ui.apply(ui::Action::TogglePause, &model);
    let before = screen_text(&render(&model, &ui, &theme, 120, 40));
    feed(
        &mut model,
        0,
        "<166>Nov 28 2026 09:10:00 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.20.0.11 : user = newperson : user IP = 198.51.100.200",
    );
    let after = screen_text(&render(&model, &ui, &theme, 120, 40));
    assert!(after.contains("PAUSED +1"), "{after}");
    assert!(
        !after.contains("newperson : user IP"),
        "the new line stays off screen while paused"
    );
    assert!(before.contains("‖ PAUSED"));
    ui.apply(ui::Action::TogglePause, &model);
    let live = screen_text(&render(&model, &ui, &theme, 120, 40));
    assert!(live.contains("newperson"), "{live}");
}

#[test]
fn hostile_log_lines_cannot_reach_the_terminal() {
    let mut model = sample_model();
    let hostile = "<166>Nov 28 2026 09:10:00 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.20.0.11 : user = \u{1b}]0;owned\u{7}ev\u{202e}il\u{1b}[2J : user IP = 198.51.100.9";
    feed(&mut model, 0, hostile);
    let terminal = render(
        &model,
        &UiState::default(),
        &Theme::load("default").unwrap(),
        200,
        60,
    );
    let text = screen_text(&terminal);
    assert!(!text.contains('\u{1b}'), "no ESC on screen");
    assert!(!text.contains('\u{202e}'), "no bidi override on screen");
    assert!(!text.contains('\u{7}'), "no BEL on screen");
    assert!(
        text.contains("\\u{202E}"),
        "the override is shown as a visible escape: {text}"
    );
}

#[test]
fn markers_show_where_a_file_rotated() {
    let mut model = sample_model();
    model.notice(SourceId(0), Notice::Rotated("/var/log/asa.log".into()));
    let text = screen_text(&render(
        &model,
        &UiState::default(),
        &Theme::load("default").unwrap(),
        120,
        40,
    ));
    assert!(text.contains("/var/log/asa.log rotated"), "{text}");
}

#[test]
fn no_color_theme_still_marks_failures_with_a_glyph() {
    let model = sample_model();
    let theme = Theme::load("default").unwrap().without_colour();
    let terminal = render(&model, &UiState::default(), &theme, 120, 40);
    let buffer = terminal.backend().buffer();
    assert!(
        buffer
            .content()
            .iter()
            .all(|c| c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset)
    );
    let text = screen_text(&terminal);
    assert!(text.contains("✖ tbrennan"), "{text}");
    assert!(text.contains("[x] DONE"), "{text}");
}

#[test]
fn a_tiny_terminal_gets_a_message_not_a_mess() {
    let model = sample_model();
    let text = screen_text(&render(
        &model,
        &UiState::default(),
        &Theme::load("default").unwrap(),
        40,
        10,
    ));
    assert!(text.contains("vpnwatch needs at least 60x16"), "{text}");
}
