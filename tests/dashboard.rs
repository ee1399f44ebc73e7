//! Snapshots of the dashboard drawn from the bundled sample incident, at the
//! sizes it is used at: a laptop on the bridge (120x40) and a small terminal
//! (80x24).

mod common;

use common::{
    default_screen, feed, headend_and_client_samples, headend_sample_until, model_of,
    model_of_files, render, screen_text, source,
};
use jiff::Timestamp;
use vpnwatch::engine::UserKey;
use vpnwatch::engine::checklist::{Record, StepChange, StepState};
use vpnwatch::parse::ParseContext;
use vpnwatch::pipeline::{Model, SourceState};
use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};
use vpnwatch::ui::{self, Focus, Theme, UiState};
use vpnwatch::vocab::Family;
use vpnwatch::vocab::{Notice, SourceId};

/// The headend and client samples, with three checklist changes.
fn sample_model() -> Model {
    let mut model = model_of(&headend_and_client_samples());
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

/// `● LIVE` is green for "this is happening now": only while the newest
/// line is less than an hour old (the incident clock's own rule); an
/// archived log or a replay says how old it is, and a log from the future
/// (a wrong zone) how far ahead.
#[test]
fn live_only_while_the_newest_line_is_recent() {
    let mut model = sample_model();
    let theme = Theme::load("default").unwrap();
    let mut first_line = |wall: &str| {
        let wall: jiff::Timestamp = wall.parse().unwrap();
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        terminal
            .draw(|f| {
                model.set_wall_clock(wall);
                vpnwatch::ui::draw(f, &model, &UiState::default(), &theme, wall);
            })
            .unwrap();
        screen_text(&terminal).lines().next().unwrap().to_string()
    };
    // The samples' last line is at 09:09:59.
    let live = first_line("2026-11-28T09:10:30Z");
    assert!(live.contains("● LIVE") && !live.contains("◷"), "{live}");
    let old = first_line("2026-12-05T12:00:00Z");
    assert!(
        old.contains("◷ LOG 7d OLD") && !old.contains("LIVE"),
        "{old}"
    );
    let hours = first_line("2026-11-28T12:30:00Z");
    assert!(hours.contains("◷ LOG 3h OLD"), "{hours}");
    let ahead = first_line("2026-11-28T04:00:00Z");
    assert!(ahead.contains("◷ LOG 5h AHEAD"), "{ahead}");
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
    let header: Vec<&str> = text.lines().take(3).collect();
    // First failure 08:43:11, last log line 09:09:59.
    assert!(header[0].contains("INCIDENT 00:26:48"), "{}", header[0]);
    // The tests' wall clock is long after the samples: following, but
    // not live (see `live_only_while_the_newest_line_is_recent`).
    assert!(header[0].contains("◷ LOG 33d OLD"), "{}", header[0]);
    assert!(!header[0].contains("LIVE"), "{}", header[0]);
    assert!(header[0].contains("✖ 65 failed attempts"), "{}", header[0]);
    assert!(
        header[0].contains("3 failing now · ✖ 65 failed attempts · 12 users"),
        "{}",
        header[0]
    );
    assert!(header[0].contains("✔ 95 logins"), "{}", header[0]);
    assert!(header[0].contains("runbook 2/19"), "{}", header[0]);
    // The RADIUS server flapped: FAILED at 08:52:19, ACTIVE again at 08:56:27.
    // The verdict second, the servers and sources third.
    assert!(header[1].contains("SCOPE ISOLATED"), "{}", header[1]);
    assert!(
        header[2].contains("10.20.0.13 ✔ ACTIVE since 08:56:27"),
        "{}",
        header[2]
    );
    assert!(
        header[2].contains("asa-headend.log 5588 lines"),
        "{}",
        header[2]
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
    let text = default_screen(&model, 120, 40);
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
    assert!(text.contains("✖ failing   tbrennan"), "{text}");
    assert!(text.contains("[x] DONE"), "{text}");
}

#[test]
fn a_tiny_terminal_gets_a_message_not_a_mess() {
    let model = sample_model();
    // Every screen it is shown on, down to a tmux pane split four ways.
    for (w, h) in [(59, 15), (60, 15), (59, 40), (40, 10), (20, 6)] {
        let text = default_screen(&model, w, h);
        let words: Vec<&str> = text.split_whitespace().collect();
        let want = format!("vpnwatch needs 60x16; this is {w}x{h}. q quits.");
        assert_eq!(words.join(" "), want, "at {w}x{h}:\n{text}");
    }
}

/// The UI state after selecting `user` in the Users pane.
fn select_user(model: &Model, user: &str) -> UiState {
    let index = model
        .incident
        .users_by_failures()
        .iter()
        .position(|(k, _)| k.to_string() == user)
        .unwrap();
    UiState {
        focus: Focus::Users,
        user_selected: index,
        ..UiState::default()
    }
}

#[test]
fn enter_opens_the_users_drill_down_and_esc_returns() {
    let model = sample_model();
    let mut ui = select_user(&model, "tbrennan");
    ui.apply(ui::Action::Open, &model);
    assert_eq!(ui.detail, Some(UserKey::Named("tbrennan".into())));
    let terminal = render(&model, &ui, &Theme::load("default").unwrap(), 120, 40);
    let text = screen_text(&terminal);
    // Headend and laptop lines of the same user, merged in log time.
    assert!(text.contains("User tbrennan"), "{text}");
    assert!(text.contains("token_required 12"), "{text}");
    assert!(text.contains("203.0.113.57"), "{text}");
    assert!(text.contains("headend"), "{text}");
    assert!(text.contains("client  ✖"), "{text}");
    insta::assert_snapshot!(terminal.backend());
    ui.apply(ui::Action::Back, &model);
    assert_eq!(ui.detail, None);
    let text = screen_text(&render(
        &model,
        &ui,
        &Theme::load("default").unwrap(),
        120,
        40,
    ));
    assert!(text.contains("Runbook"), "the panes are back: {text}");
}

#[test]
fn enter_elsewhere_than_the_users_pane_opens_nothing() {
    let model = sample_model();
    let mut ui = UiState::default();
    ui.apply(ui::Action::Open, &model);
    assert_eq!(ui.detail, None);
}

#[test]
fn f_filters_the_log_panes_to_the_selected_user() {
    let model = sample_model();
    let mut ui = select_user(&model, "mkowalski");
    ui.apply(ui::Action::ToggleFilter, &model);
    assert_eq!(ui.filter, Some(UserKey::Named("mkowalski".into())));
    let terminal = render(&model, &ui, &Theme::load("default").unwrap(), 120, 40);
    let text = screen_text(&terminal);
    assert!(text.contains("filter: mkowalski (f clears)"), "{text}");
    // Only his lines: his laptop, and none of the firewall traffic or other
    // users that fill the unfiltered panes.
    let logs: String = text
        .lines()
        .skip(3)
        .map(|l| l.split('│').nth(1).unwrap_or(""))
        .collect();
    assert!(logs.contains("lap-mkowalski"), "{text}");
    assert!(logs.contains("account_locked"), "{text}");
    for other in ["lap-tbrennan", "305011", "302013", "106023"] {
        assert!(!logs.contains(other), "{other} in a filtered pane: {text}");
    }
    insta::assert_snapshot!(terminal.backend());
    ui.apply(ui::Action::ToggleFilter, &model);
    assert_eq!(ui.filter, None, "f again clears");
    ui.apply(ui::Action::ToggleFilter, &model);
    ui.apply(ui::Action::Back, &model);
    assert_eq!(ui.filter, None, "Esc clears too");
}

#[test]
fn the_drill_down_sanitises_what_it_shows() {
    let mut model = sample_model();
    let name = "\u{1b}]0;owned\u{7}ev\u{202e}il";
    let hostile = format!(
        "<166>Nov 28 2026 09:10:00 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid\u{1b}[2J password : server = 10.20.0.11 : user = {name} : user IP = 198.51.100.9"
    );
    feed(&mut model, 0, &hostile);
    let ui = UiState {
        detail: Some(UserKey::Named(name.into())),
        ..UiState::default()
    };
    let text = screen_text(&render(
        &model,
        &ui,
        &Theme::load("default").unwrap(),
        160,
        40,
    ));
    assert!(!text.contains('\u{1b}'), "no ESC on screen");
    assert!(!text.contains('\u{202e}'), "no bidi override on screen");
    assert!(text.contains("\\u{202E}"), "{text}");
}

#[test]
fn the_drill_down_scrolls_back_and_end_returns_to_the_newest() {
    let model = sample_model();
    let mut ui = select_user(&model, "tbrennan");
    ui.apply(ui::Action::Open, &model);
    let theme = Theme::load("default").unwrap();
    let newest = screen_text(&render(&model, &ui, &theme, 120, 40));
    assert!(newest.contains("09:07:13  client"), "{newest}");
    ui.apply(ui::Action::Move(-20), &model);
    assert_eq!(ui.detail_scroll, 20);
    let older = screen_text(&render(&model, &ui, &theme, 120, 40));
    assert!(!older.contains("09:07:13  client"), "{older}");
    ui.apply(ui::Action::End, &model);
    assert_eq!(ui.detail_scroll, 0);
    assert_eq!(screen_text(&render(&model, &ui, &theme, 120, 40)), newest);
}

#[test]
fn notes_commands_and_kpis_show_in_the_checklist_and_header() {
    use vpnwatch::engine::checklist::{Mark, StepNote};
    let mut model = sample_model();
    let at = |s: &str| s.parse::<Timestamp>().unwrap();
    assert!(model.checklist.apply(&Record::Note(StepNote {
        ts: at("2026-11-28T08:55:00Z"),
        operator: "ana".into(),
        step: "4.1".into(),
        note: "ISE paged".into(),
    })));
    assert!(model.checklist.apply(&Record::Mitigated(Mark {
        ts: at("2026-11-28T09:05:00Z"),
        operator: "lead".into(),
        note: None,
    })));
    // Step 4.1 has two commands; select it.
    let index = model
        .checklist
        .items()
        .iter()
        .position(|i| i.id == "4.1")
        .unwrap();
    let ui = UiState {
        focus: Focus::Checklist,
        step_selected: index,
        ..UiState::default()
    };
    let text = screen_text(&render(
        &model,
        &ui,
        &Theme::load("default").unwrap(),
        120,
        40,
    ));
    assert!(text.contains("✎ ISE paged"), "{text}");
    assert!(
        text.contains("$ debug aaa authentication   y copies"),
        "{text}"
    );
    assert!(text.contains("$ undebug all"), "{text}");
    // First action 08:50 (step 1 doing), mitigated 09:05, first failure 08:43:11.
    assert!(text.contains("first action ✔ 00:06:49"), "{text}");
    assert!(text.contains("mitigated ✔ 00:21:49"), "{text}");
    assert!(text.contains("resolved —"), "{text}");
}

/// The whole sample incident, auth-server log included: three log panes.
#[test]
fn an_auth_server_log_adds_a_third_pane_and_names_hidden_users() {
    let model = model_of(&[
        (
            source("asa-headend.log", Family::Headend),
            include_str!("../sample-logs/asa-headend.log"),
        ),
        (
            source("anyconnect-client.log", Family::Client),
            include_str!("../sample-logs/anyconnect-client.log"),
        ),
        (
            SourceState::with_format("ise-auth.log".into(), vpnwatch::parse::formats::Format::Ise),
            include_str!("../sample-logs/ise-auth.log"),
        ),
    ]);
    let text = default_screen(&model, 200, 60);
    assert!(text.contains("Auth server ise-auth.log"), "{text}");
    assert!(
        text.contains("Headend asa-headend.log") && text.contains("Client anyconnect-client.log")
    );
    assert!(text.contains("· 4 hidden named"), "{text}");
    assert!(text.contains("jsmyth"), "{text}");
    assert!(!text.contains("(hidden) 192.0.2.147"), "{text}");
    // ISE's lockout message arrives in two segments; its last line is styled.
    assert_eq!(model.sources[2].records_dropped, 0);
    assert_eq!(
        model.sources[2].unrecognised, 0,
        "every ISE record is recognised"
    );
}

#[test]
fn the_status_line_is_never_crowded_out_by_key_hints() {
    let model = sample_model();
    let ui = UiState {
        status: Some("not saved: journal j.jsonl: Permission denied".into()),
        ..UiState::default()
    };
    let text = screen_text(&render(
        &model,
        &ui,
        &Theme::load("default").unwrap(),
        80,
        24,
    ));
    let footer = text.lines().last().unwrap_or_default();
    assert!(
        footer.contains("not saved: journal j.jsonl: Permission denied"),
        "{footer}"
    );
    assert!(
        footer.contains("Tab 1-5 pane"),
        "hints follow while they fit: {footer}"
    );
    assert!(
        !footer.contains("Enter"),
        "a hint that does not fit is left out whole: {footer}"
    );
}

/// The four header rows of a frame.
fn header_text(model: &Model) -> String {
    let theme = Theme::load("default").unwrap();
    let terminal = render(model, &UiState::default(), &theme, 140, 30);
    screen_text(&terminal)
        .lines()
        .take(4)
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn blind_until_the_headend_shows_a_login() {
    // A typo and a file that does not exist yet: nothing is seen.
    let mut model = model_of(&[
        (source("x.log", Family::Headend), ""),
        (source("sacn", Family::Headend), ""),
    ]);
    for (id, name) in [(0, "x.log"), (1, "sacn")] {
        model.notice(SourceId(id), Notice::Waiting(name.into()));
    }
    let text = header_text(&model);
    insta::assert_snapshot!("header_blind_waiting", text);
    assert!(text.contains("◌ BLIND"), "{text}");
    assert!(text.contains("SCOPE UNKNOWN"), "{text}");
    assert!(text.contains("no headend log read yet: x.log waiting, sacn waiting"));
    assert!(
        !text.contains("LIVE"),
        "no line read: no LIVE badge: {text}"
    );
    assert!(!text.contains("NO AUTH FAILURES") && !text.contains("SCOPE NONE"));
    // Reverse video on the word.
    let theme = Theme::load("default").unwrap();
    let terminal = render(&model, &UiState::default(), &theme, 140, 30);
    let row: String = (0..140)
        .map(|x| terminal.backend().buffer()[(x, 0)].symbol().to_string())
        .collect();
    let at = row.find("BLIND").map(|b| row[..b].chars().count()).unwrap();
    let cell = &terminal.backend().buffer()[(at as u16, 0)];
    assert!(cell.modifier.contains(ratatui::style::Modifier::REVERSED));

    // Bytes but no line end (a binary file, one long unterminated line):
    // not "empty".
    let mut model = model_of(&[(source("blob.bin", Family::Headend), "")]);
    model.notice(
        SourceId(0),
        Notice::Pending(b"\x7fELF\x02\x01\x01".to_vec()),
    );
    let text = header_text(&model);
    assert!(
        text.contains("blob.bin: no line end in its 7 bytes yet"),
        "{text}"
    );
    let mut model = model_of(&[(source("new.log", Family::Headend), "")]);
    model.notice(SourceId(0), Notice::Opened("new.log".into()));
    let text = header_text(&model);
    assert!(text.contains("new.log: no line yet"), "{text}");

    // Lines read, none recognised: the header says so, and stays blind.
    let not_a_log: String = (0..1204)
        .map(|n| format!("user{n}:x:{n}:{n}::/:\n"))
        .collect();
    let model = model_of(&[(source("x.log", Family::Headend), &not_a_log)]);
    let text = header_text(&model);
    assert!(
        text.contains("✖ x.log: 0 of 1,204 lines recognised"),
        "{text}"
    );
    assert!(
        text.contains("◌ BLIND") && text.contains("SCOPE UNKNOWN"),
        "{text}"
    );

    // Traffic only: the headend is read, but its logging may leave the
    // logins out (a level below informational drops 113005), so no
    // failure there is no all-clear.
    let traffic =
        "<166>Nov 28 2026 10:00:00 fw1 : %ASA-6-302013: Built inbound TCP connection 1 for x";
    let model = model_of(&[(source("asa.log", Family::Headend), traffic)]);
    let text = header_text(&model);
    assert!(
        text.contains("◌ BLIND") && text.contains("SCOPE UNKNOWN"),
        "{text}"
    );
    assert!(
        text.contains("no VPN login or AAA line in the headend log"),
        "{text}"
    );
    assert!(!text.contains("NO AUTH FAILURES"), "{text}");
    let theme = Theme::load("default").unwrap();
    let screen = screen_text(&render(&model, &UiState::default(), &theme, 140, 30));
    assert!(
        screen.contains("no failed logins seen: logins not visible"),
        "{screen}"
    );
    assert!(!screen.contains("no failed logins yet"), "{screen}");

    // One login the headend saw ends it.
    let login = "<166>Nov 28 2026 10:00:01 fw1 : %ASA-6-113004: AAA user authentication Successful : server =  10.1.1.10 : user = bob";
    let both = [traffic, login].join("\n");
    let model = model_of(&[(source("asa.log", Family::Headend), &both)]);
    let text = header_text(&model);
    assert!(
        !text.contains("BLIND") && !text.contains("UNKNOWN"),
        "{text}"
    );
    assert!(text.contains("NO AUTH FAILURES"), "{text}");
}

#[test]
fn a_headend_silent_while_others_move_is_quiet() {
    let headend =
        "<166>Nov 28 2026 10:00:00 fw1 : %ASA-6-302013: Built inbound TCP connection 1 for x";
    let auth = "<181>Nov 28 10:05:00 ise-psn-01 CISE_Failed_Attempts 0000000101 1 0 2026-11-28 10:05:00.000000 +00:00 0000000201 5400 NOTICE Failed-Attempt: Authentication failed, UserName=ann, User-Name=ann, Calling-Station-ID=192.0.2.10, FailureReason=24408 wrong password,";
    let mut model = model_of(&[
        (source("asa.log", Family::Headend), headend),
        (source("ise.log", Family::AuthServer), auth),
    ]);
    let text = header_text(&model);
    assert!(text.contains("⚠ asa.log quiet 00:05:00"), "{text}");
    // Within the quiet time: nothing to say.
    model.quiet_after = jiff::SignedDuration::from_mins(10);
    assert!(!header_text(&model).contains("quiet"));
}

#[test]
fn a_count_of_one_is_singular_in_the_header() {
    let model = model_of(&[(
        source("fw.log", Family::Headend),
        "Nov 28 2026 09:00:00 fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.10 : user = ann : user IP = 203.0.113.9\n\
         Nov 28 2026 09:00:30 fw1 : %ASA-6-113004: AAA user authentication Successful : server = 192.0.2.10 : user = bob\n\
         Nov 28 2026 09:00:31 fw1 : %ASA-6-605004: Login denied from 198.51.100.50/50123 to mgmt:192.0.2.1/ssh for user \"admin\"\n",
    )]);
    let text = default_screen(&model, 200, 48);
    let header: String = text.lines().take(3).collect::<Vec<_>>().join("\n");
    for one in [
        "✖ 1 failed attempt ",
        "· 1 user ",
        "✔ 1 login ",
        "✖ 1 admin login failure ",
        "fw.log 3 lines",
    ] {
        assert!(header.contains(one), "{one:?} in {header}");
    }
    for many in [
        "1 failed attempts",
        "1 users",
        "1 logins",
        "1 admin login failures",
    ] {
        assert!(!header.contains(many), "{many:?} in {header}");
    }
}

#[test]
fn the_header_counts_admin_login_failures_apart() {
    let model = model_of(&[(
        source("fw.log", Family::Headend),
        "Nov 28 2026 09:00:00 fw1 : %ASA-6-605004: Login denied from 198.51.100.50/50123 to mgmt:192.0.2.1/ssh for user \"admin\"\n\
         Nov 28 2026 09:00:01 fw1 : %ASA-6-611102: User authentication failed: IP address: 198.51.100.50, Uname: root\n\
         Nov 28 2026 09:00:02 fw1 : %ASA-6-605005: Login permitted from 198.51.100.51/50124 to mgmt:192.0.2.1/https for user \"ops\"\n",
    )]);
    let text = default_screen(&model, 160, 48);
    let top = text.lines().next().unwrap_or_default().to_string();
    assert!(top.contains("✖ 2 admin login failures"), "{top}");
    assert!(top.contains("✖ 0 failed attempts"), "{top}");
    // None, no mention.
    let text = default_screen(&sample_model(), 160, 48);
    assert!(!text.contains("admin login"), "{text}");
}

#[test]
fn users_past_the_cap_share_one_row_and_the_header_says_so() {
    let runbook = runbook::parse(DEFAULT_RUNBOOK).unwrap();
    let mut model = Model::new(
        vec![source("asa-headend.log", Family::Headend)],
        &runbook,
        10_000,
        ParseContext::for_year(2026),
    )
    .with_incident_limits(vpnwatch::engine::IncidentLimits { max_users: 3 });
    feed(
        &mut model,
        0,
        include_str!("../sample-logs/asa-headend.log"),
    );
    let others = model.incident.other_users();
    assert!(others > 50, "{others}");
    let text = default_screen(&model, 160, 48);
    let top = text.lines().next().unwrap_or_default().to_string();
    assert!(
        top.contains(&format!("⚠ {others} users past --max-users")),
        "{top}"
    );
    assert!(
        text.contains(&format!("(other {others} users)")),
        "the Users pane has the row: {text}"
    );
    // Narrow, the users' count is never shown without it: it goes with the
    // count or not at all (the scope line below counts every user).
    for width in [60, 80, 100] {
        let top = default_screen(&model, width, 24)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        let users = top.contains(" user");
        let past = top.contains(&format!("⚠ +{others} past cap"));
        assert_eq!(users, past, "at {width}: {top}");
        if width == 80 {
            assert!(past, "80 columns have room for both: {top}");
        }
    }
    // Not without the cap.
    assert!(!header_text(&sample_model()).contains("--max-users"));
}

/// The user names in the Users pane, top to bottom.
fn users_pane_rows(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| !l.contains("STATE") || !l.contains("USER"))
        .skip(1)
        .take_while(|l| !l.contains('└') && !l.contains('┘'))
        .filter_map(|l| {
            // "│✖ failing   tbrennan …": the word after the state word.
            let states = [
                "✖ failing",
                "✗ failed",
                "✔ recovered",
                "⊘ locked",
                "? unknown",
                "· ok",
            ];
            let after = l
                .split(['│', '┃'])
                .find(|c| states.iter().any(|st| c.starts_with(st)))?;
            after.split_whitespace().nth(2).map(str::to_string)
        })
        .collect()
}

#[test]
fn users_failing_now_come_first_and_o_cycles_the_order() {
    let model = sample_model();
    let mut ui = UiState {
        focus: Focus::Users,
        ..UiState::default()
    };
    let theme = Theme::load("default").unwrap();
    let text = screen_text(&render(&model, &ui, &theme, 160, 60));
    assert!(text.contains("by recent (o)"), "{text}");
    let rows = users_pane_rows(&text);
    // The three users failing at the end lead; recovered dokafor (6
    // failures, as many as spereira) comes after every user still failing.
    assert_eq!(
        rows[..3]
            .iter()
            .filter(|r| ["tbrennan", "lfischer", "rnguyen"].contains(&r.as_str()))
            .count(),
        3,
        "{rows:?}"
    );
    let pos = |n: &str| rows.iter().position(|r| r == n).unwrap_or(usize::MAX);
    // spereira failed 3 times in the last 15 min, mkowalski once: by
    // total (8 against 6) it would be the other way round.
    assert!(pos("spereira") < pos("mkowalski"), "{rows:?}");
    assert!(
        pos("apatel") == rows.len() - 1,
        "no failure in 15 min, 1 in all: {rows:?}"
    );
    let key = |c| {
        ui::action_for_key(ratatui::crossterm::event::KeyEvent::from(
            ratatui::crossterm::event::KeyCode::Char(c),
        ))
        .unwrap()
    };
    ui.apply(key('o'), &model);
    let text = screen_text(&render(&model, &ui, &theme, 160, 60));
    assert!(text.contains("by total (o)"), "{text}");
    ui.apply(key('o'), &model);
    let text = screen_text(&render(&model, &ui, &theme, 160, 60));
    assert!(text.contains("by name (o)"), "{text}");
    // Named users by name, then hidden ones by address.
    let rows: Vec<String> = users_pane_rows(&text)
        .into_iter()
        .filter(|r| r != "(hidden)")
        .collect();
    let mut sorted = rows.clone();
    sorted.sort();
    assert_eq!(rows, sorted);
    ui.apply(key('o'), &model);
    let text = screen_text(&render(&model, &ui, &theme, 160, 60));
    assert!(text.contains("by last seen (o)"), "{text}");
    ui.apply(key('o'), &model);
    assert_eq!(ui.user_sort, vpnwatch::engine::UserSort::Recent);
}

/// The header's INCIDENT clock and KPI age, as shown.
fn header_ages(text: &str) -> (String, String) {
    let after = |marker: &str| {
        text.split(marker)
            .nth(1)
            .map(|s| s.chars().take(8).collect::<String>())
            .unwrap_or_default()
    };
    (after("INCIDENT "), after(" age "))
}

#[test]
fn one_clock_the_incident_and_kpi_ages_agree() {
    let theme = Theme::load("default").unwrap();
    // A replay (logs of 2026) worked on today: the first journal record is
    // a second before the wall clock.
    let mut model = model_of(&[(
        source("asa-headend.log", Family::Headend),
        include_str!("../sample-logs/asa-headend.log"),
    )]);
    let now_step = Record::Step(StepChange {
        ts: common::wall() - jiff::SignedDuration::from_secs(1),
        operator: "oncall".into(),
        step: "2".into(),
        from: StepState::Todo,
        to: StepState::Doing,
        note: None,
    });
    assert!(model.checklist.apply(&now_step));
    model.set_wall_clock(common::wall());
    let text = screen_text(&render(&model, &UiState::default(), &theme, 160, 48));
    let (incident, age) = header_ages(&text);
    assert_eq!(incident, age, "{text}");
    assert_eq!(age, "00:00:01");

    // Live logs gone quiet: both ages run on the wall clock, and "failing
    // now" too (ann failed 4 min before the last line, 6 min before now).
    let mut model = model_of(&[(
        source("asa.log", Family::Headend),
        "Dec 31 2026 23:54:00 fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.0.0.1 : user = ann : user IP = 203.0.113.5\n\
         Dec 31 2026 23:58:00 fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.0.0.1 : user = bob : user IP = 203.0.113.6\n",
    )]);
    assert_eq!(model.incident.failing_now(), 2, "by log time");
    model.set_wall_clock(common::wall());
    let text = screen_text(&render(&model, &UiState::default(), &theme, 160, 48));
    let (incident, age) = header_ages(&text);
    assert_eq!(
        (incident.as_str(), age.as_str()),
        ("00:06:00", "00:06:00"),
        "{text}"
    );
    assert!(text.contains("1 failing now"), "{text}");
}

#[test]
fn a_spray_is_collapsed_under_its_address_and_the_verdict_says_attack() {
    let lines: String = (0..30)
        .map(|i| {
            format!(
                "Nov 28 2026 09:00:{:02} fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.0.0.1 : user = guess{i} : user IP = 198.51.100.66\n",
                i
            )
        })
        .collect();
    let model = model_of(&[(source("asa.log", Family::Headend), lines.as_str())]);
    let text = default_screen(&model, 160, 48);
    assert!(text.contains("(spray) 198.51.100.66"), "{text}");
    assert_eq!(
        users_pane_rows(&text),
        ["(spray)"],
        "the names tried are not listed: {text}"
    );
    assert!(text.contains("⚠ 30 spray attempts"), "{text}");
    assert!(text.contains("✖ 0 failed attempts"), "{text}");
    assert!(
        text.contains("SCOPE ATTACK   password spray: 30 user names from 1 address"),
        "{text}"
    );
}

/// The headend's file and what a relay forwarded of it (rsyslog's RFC 3339
/// header), read live into two panes' worth of sources: every failure
/// counts once, the copies are shown muted with `=`, and the header says
/// how many were folded.
#[test]
fn a_line_from_two_headend_sources_counts_once_on_the_dashboard() {
    let file = include_str!("fixtures/dedup/asa-file.log");
    let relay: String = file
        .lines()
        .map(|l| {
            let (pri, rest) = l.split_at(5);
            let (stamp, rest) = rest.split_at(20);
            format!(
                "{pri}2026-12-{}T{}+00:00{rest}\n",
                &stamp[4..6],
                &stamp[12..20]
            )
        })
        .collect();
    let alone = model_of(&[(source("asa.log", Family::Headend), file)]);
    // The relay's lines arrive first, then the file's.
    let both = model_of(&[
        (source("relay", Family::Headend), relay.as_str()),
        (source("asa.log", Family::Headend), file),
    ]);
    let (a, b) = (alone.incident.totals(), both.incident.totals());
    assert_eq!((b.failures, b.successes), (a.failures, a.successes));
    assert_eq!(a.failures, 4, "gus's two attempts in one second count");
    // Every applied line of the file is a copy: 7 of its 8 (the 302013
    // traffic line is only counted).
    assert_eq!(b.duplicates, 7);
    let terminal = render(
        &both,
        &UiState::default(),
        &Theme::load("default").unwrap(),
        200,
        40,
    );
    let text = screen_text(&terminal);
    assert!(
        text.contains("= 7 lines delivered twice, counted once"),
        "{text}"
    );
    assert!(
        text.contains("= 14:02:10 vpn-asa-02 113005 AAA user authentication Rejected"),
        "{text}"
    );
}

/// When lines with no time of their own were read in these tests.
fn read_at() -> Timestamp {
    "2026-11-28T08:41:10Z".parse().unwrap()
}

/// A Graylog export of the headend (two of its lines lost their syslog
/// header: they take their record's time) and a RADIUS log without any
/// header (its line takes the time it was read).
fn shipped_model() -> Model {
    let runbook = runbook::parse(DEFAULT_RUNBOOK).unwrap();
    let mut model = Model::new(
        vec![
            source("graylog.jsonl", Family::Headend),
            source("radius.log", Family::AuthServer),
        ],
        &runbook,
        10_000,
        ParseContext::for_year(2026),
    );
    model.read_clock = read_at;
    feed(&mut model, 0, include_str!("fixtures/siem/graylog.jsonl"));
    feed(
        &mut model,
        1,
        "(7) Login incorrect (Invalid password): [bo] (from client vpn-asa-01 port 0 cli 203.0.113.12)",
    );
    model
}

/// A time that is not its line's own is marked where it is shown: `~` a
/// JSON record's, `?` the read time, in the panes and in the drill-down
/// (its timeline and its first/last failure), with or without colour.
#[test]
fn times_not_their_lines_own_are_marked_in_panes_and_drill_down() {
    let model = shipped_model();
    let theme = Theme::load("default").unwrap().without_colour();
    let panes = render(&model, &UiState::default(), &theme, 120, 40);
    let text = screen_text(&panes);
    assert!(
        text.contains("08:41:07 {\"_id\":\"01a\""),
        "own time: {text}"
    );
    assert!(text.contains("08:41:09~ {\"_id\":\"01b\""), "{text}");
    assert!(text.contains("08:41:10? (7) Login incorrect"), "{text}");
    insta::assert_snapshot!("time_marks_panes", panes.backend());

    let mut ui = select_user(&model, "bo");
    ui.apply(ui::Action::Open, &model);
    let detail = render(&model, &ui, &theme, 120, 40);
    let text = screen_text(&detail);
    assert!(text.contains("first failure 08:41:09~"), "{text}");
    assert!(text.contains(" 08:41:09~ headend"), "{text}");
    assert!(text.contains(" 08:41:10? auth"), "{text}");
    insta::assert_snapshot!("time_marks_drill_down", detail.backend());
}

/// During the RADIUS server's outage the verdict points at step 4, the
/// headend checks, below what a 120x40 runbook pane holds from its top:
/// the pane scrolls so that the suggested step and its ★ row are on
/// screen, until the operator moves into the pane and picks a step.
#[test]
fn the_suggested_step_is_on_screen_however_far_down_the_runbook_it_is() {
    // The log up to 08:53:00: 10.20.0.13 FAILED, step 4 suggested.
    let until_flap = headend_sample_until("08:53:01");
    let model = model_of(&[(source("asa-headend.log", Family::Headend), &until_flap)]);
    let theme = Theme::load("default").unwrap();
    let screen = screen_text(&render(&model, &UiState::default(), &theme, 120, 40));
    assert!(screen.contains("INFRASTRUCTURE"), "{screen}");
    let rows: Vec<&str> = screen.lines().collect();
    let step4 = rows
        .iter()
        .position(|r| r.contains("TODO  4 IT-side headend checks"))
        .expect("step 4 on screen");
    assert!(
        rows.get(step4 + 1)
            .is_some_and(|r| r.contains("★ SUGGESTED") && r.contains("aaa_unreachable")),
        "{screen}"
    );
    // With the pane focused, the operator's selection decides what shows.
    let picking = UiState {
        focus: Focus::Checklist,
        step_selected: 0,
        ..UiState::default()
    };
    let screen = screen_text(&render(&model, &picking, &theme, 120, 40));
    assert!(screen.contains("TODO  1 Verify credentials"), "{screen}");
}

/// On a small screen the help does not fit: its title says which rows are
/// shown of how many, the scrolling keys move through it instead of
/// closing it, and a description too long for the width is wrapped, not
/// cut off.
#[test]
fn the_help_scrolls_and_wraps_on_a_small_screen() {
    let model = sample_model();
    let theme = Theme::load("default").unwrap();
    let mut ui = UiState::default();
    ui.apply(ui::Action::ToggleHelp, &model);
    let first = screen_text(&render(&model, &ui, &theme, 80, 24));
    let title = first.lines().next().unwrap_or_default();
    assert!(title.contains("Help rows 1–22 of"), "{first}");
    assert!(first.contains("move focus between panes"), "{first}");
    // Cut at 80 columns before: now the rest is on the next row.
    assert!(first.contains("confirms, Esc"), "{first}");
    assert!(first.contains("                 cancels"), "{first}");

    ui.apply(ui::Action::End, &model);
    assert!(ui.show_help, "End scrolls the help, it does not close it");
    let last = screen_text(&render(&model, &ui, &theme, 80, 24));
    assert!(!last.contains("move focus between panes"), "{last}");
    assert!(last.contains("since the newest"), "the last row: {last}");
    let title = last.lines().next().unwrap_or_default();
    let total: String = title
        .split(" of ")
        .nth(1)
        .unwrap_or_default()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert!(title.contains(&format!("–{total} of {total}")), "{title}");

    ui.apply(ui::Action::Home, &model);
    ui.apply(ui::Action::Move(1), &model);
    let second = screen_text(&render(&model, &ui, &theme, 80, 24));
    assert!(
        second
            .lines()
            .next()
            .unwrap_or_default()
            .contains("rows 2–23 of"),
        "{second}"
    );
    ui.apply(ui::Action::ToggleHelp, &model);
    ui.apply(ui::Action::ToggleHelp, &model);
    assert_eq!(
        ui.help_scroll, 0,
        "opened again, the help starts at its top"
    );

    // Keys faster than frames: once the help has been drawn, End then ↑
    // with no frame between still moves one row up from the end, and a
    // page is the help's own (its rows less one), not a pane's.
    let mut info = ui::draw::FrameInfo::default();
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    terminal
        .draw(|f| info = ui::draw(f, &model, &ui, &theme, common::wall()))
        .unwrap();
    ui.help_drawn(info.help);
    let view = ui.help_view.expect("drawn");
    ui.apply(ui::Action::End, &model);
    ui.apply(ui::Action::Move(-1), &model);
    assert_eq!(ui.help_scroll, view.max_scroll - 1);
    ui.apply(ui::Action::Home, &model);
    ui.apply(ui::Action::PageDown, &model);
    assert_eq!(ui.help_scroll, view.shown - 1);
}

/// The headend hid jsmyth's name (`*****`) on four attempts from one
/// address, and the auth server named each. Each attempt's lines move to
/// jsmyth once, with the attempt's cause (`unknown_user`, also on the
/// WebVPN line whose own words say `bad_credentials`), whichever source
/// is read first; the drill-down and the user filter show each once, in
/// order.
#[test]
fn lines_of_hidden_attempts_a_verdict_named_are_the_users_once_each() {
    let headend = ("sample-logs/asa-headend.log", Family::Headend);
    let ise = ("sample-logs/ise-auth.log", Family::AuthServer);
    for files in [[headend, ise], [ise, headend]] {
        let model = model_of_files(&files);
        let key = UserKey::Named("jsmyth".into());
        let stats = model.incident.user(&key).expect("jsmyth named");
        assert_eq!(stats.failures, 4);
        let headend_lines: Vec<_> = stats
            .lines
            .iter()
            .filter(|l| l.family == Family::Headend && l.cause.is_some())
            .collect();
        let mut indexes: Vec<u64> = headend_lines.iter().map(|l| l.index).collect();
        indexes.sort_unstable();
        indexes.dedup();
        assert_eq!(
            indexes.len(),
            headend_lines.len(),
            "{files:?}: a line twice"
        );
        // The rejection and its WebVPN line, for each of the four attempts.
        assert_eq!(headend_lines.len(), 8, "{files:?}");
        assert!(
            headend_lines
                .iter()
                .all(|l| l.cause == Some(vpnwatch::vocab::Cause::UnknownUser)),
            "{files:?}: {headend_lines:?}"
        );

        let theme = Theme::load("default").unwrap();
        let drill = UiState {
            detail: Some(key.clone()),
            ..UiState::default()
        };
        let text = screen_text(&render(&model, &drill, &theme, 200, 60));
        for time in ["08:49:33", "08:49:55", "08:50:36", "08:51:06"] {
            let rows: Vec<&str> = text
                .lines()
                .filter(|r| r.contains(time) && r.contains("vpn-asa-01"))
                .collect();
            assert_eq!(rows.len(), 2, "{files:?} {time}: {text}");
            assert!(rows.iter().all(|r| r.contains("unknown_user")), "{rows:?}");
        }
        let filtered = UiState {
            filter: Some(key),
            ..UiState::default()
        };
        let text = screen_text(&render(&model, &filtered, &theme, 200, 60));
        let times: Vec<&str> = text
            .lines()
            .filter(|r| r.contains("716039"))
            .filter_map(|r| r.split_whitespace().find(|w| w.starts_with("08:")))
            .collect();
        assert_eq!(
            times,
            ["08:49:33", "08:49:55", "08:50:36", "08:51:06"],
            "{text}"
        );
    }
}

/// A headend log that stopped while the others moved on is said to be
/// quiet; a debug trace (a capture pasted into a file) is not: it stops
/// when the capture does, and says nothing of the headend.
#[test]
fn a_headend_log_that_stopped_is_quiet_and_a_debug_trace_is_not() {
    let headend = include_str!("../sample-logs/asa-headend.log");
    let early: String = headend
        .lines()
        .take(1000)
        .map(|l| format!("{l}\n"))
        .collect();
    let model = model_of(&[
        (source("asa-headend.log", Family::Headend), headend),
        (source("early.log", Family::Headend), early.as_str()),
        (
            source("asa-debug-trace.log", Family::Headend),
            include_str!("../sample-logs/asa-debug-trace.log"),
        ),
    ]);
    assert_eq!(model.quiet(0), None);
    assert!(model.quiet(1).is_some(), "its lines end 20 minutes early");
    assert_eq!(model.quiet(2), None, "a debug trace");
    let screen = default_screen(&model, 200, 60);
    assert!(screen.contains("⚠ early.log quiet"), "{screen}");
    assert!(!screen.contains("asa-debug-trace.log quiet"), "{screen}");
}
