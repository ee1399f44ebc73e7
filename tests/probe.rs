//! `vpnwatch probe` against real servers: a FreeRADIUS and an OpenLDAP
//! started on loopback ports of their own from the configuration in
//! tests/fixtures/radius and tests/fixtures/ldap.
//!
//! The servers come from Debian's `freeradius` and `slapd` packages
//! (`.ci/run` installs them). Under CI (env `CI` set) a missing binary
//! fails the test; elsewhere the test says it skipped and passes.
//! Every wait is bounded: server start-up by `common::servers`'
//! `START_TIMEOUT`, probes by their own `--timeout`.

mod common;

use std::time::{Duration, Instant};

use common::servers::*;

#[test]
fn radius_status_server_answered() {
    let Some(server) = start_radius() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let secret = secret_file(tmp.path(), "secret", RADIUS_SECRET);
    let target = format!("127.0.0.1:{}", server.port);
    let run = probe(
        &[
            "--radius",
            &target,
            "--secret-file",
            secret.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let prefix = format!("✔ radius {target} answered Status-Server in ");
    assert!(run.stdout.starts_with(&prefix), "{}", run.stdout);
    assert!(!run.stdout.contains(RADIUS_SECRET));
}

#[test]
fn radius_test_user_accept_and_reject() {
    let Some(server) = start_radius() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let good = secret_file(tmp.path(), "good", "good-pass-1");
    let bad = secret_file(tmp.path(), "bad", "not-the-password");
    let target = format!("127.0.0.1:{}", server.port);
    let env = [("VPNWATCH_RADIUS_SECRET", RADIUS_SECRET)];
    let accepted = probe(
        &[
            "--radius",
            &target,
            "--test-user",
            "goodradius",
            "--test-password-file",
            good.to_str().unwrap(),
            "--json",
        ],
        &env,
    );
    assert_eq!(accepted.code, 0, "{}{}", accepted.stdout, accepted.stderr);
    let v = json(&accepted);
    assert!(
        v[0]["user"]["detail"]
            .as_str()
            .unwrap()
            .starts_with("Access-Accept"),
        "{v}"
    );
    assert!(v[0]["user"]["cause"].is_null());

    let rejected = probe(
        &[
            "--radius",
            &target,
            "--test-user",
            "goodradius",
            "--test-password-file",
            bad.to_str().unwrap(),
        ],
        &env,
    );
    // The server answered; the account's answer is a finding, not a fault.
    assert_eq!(rejected.code, 0, "{}{}", rejected.stdout, rejected.stderr);
    assert!(
        rejected
            .stdout
            .contains("; user goodradius: Access-Reject in "),
        "{}",
        rejected.stdout
    );
    assert!(
        rejected.stdout.trim_end().ends_with("(bad_credentials)"),
        "{}",
        rejected.stdout
    );
    assert!(!rejected.stdout.contains("not-the-password"));
}

#[test]
fn radius_challenge_is_token_required() {
    let Some(server) = start_radius() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let pw = secret_file(tmp.path(), "pw", "token-pass-1");
    let target = format!("127.0.0.1:{}", server.port);
    let run = probe(
        &[
            "--radius",
            &target,
            "--test-user",
            "tokenuser",
            "--test-password-file",
            pw.to_str().unwrap(),
            "--json",
        ],
        &[("VPNWATCH_RADIUS_SECRET", RADIUS_SECRET)],
    );
    let v = json(&run);
    assert_eq!(v[0]["user"]["cause"], "token_required", "{v}");
    let detail = v[0]["user"]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("Access-Challenge \"Enter PASSCODE\""),
        "{detail}"
    );
}

#[test]
fn radius_wrong_secret_is_no_answer() {
    let Some(server) = start_radius() else { return };
    let target = format!("127.0.0.1:{}", server.port);
    let started = Instant::now();
    let run = probe(
        &["--radius", &target, "--timeout", "0.3", "--tries", "2"],
        &[("VPNWATCH_RADIUS_SECRET", "not-the-secret")],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .starts_with(&format!("✖ radius {target} no answer in ")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.trim_end().ends_with("(2 tries)"),
        "{}",
        run.stdout
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "retries are bounded"
    );
    assert!(!run.stdout.contains("not-the-secret") && !run.stderr.contains("not-the-secret"));
}

#[test]
fn closed_ports_fail() {
    // Nothing listens: a UDP port just freed, a TCP port just freed.
    let udp = free_udp_port();
    let tcp = free_tcp_port();
    let run = probe(
        &[
            "--radius",
            &format!("127.0.0.1:{udp}"),
            "--tcp",
            &format!("127.0.0.1:{tcp}"),
            "--ldap",
            &format!("ldap://127.0.0.1:{tcp}"),
            "--timeout",
            "0.3",
            "--tries",
            "1",
            "--json",
        ],
        &[("VPNWATCH_RADIUS_SECRET", "x")],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    for r in v.as_array().unwrap() {
        assert_eq!(r["ok"], false, "{r}");
        assert_eq!(r["cause"], "aaa_unreachable", "{r}");
    }
    let detail = v[0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("no answer in ") && detail.ends_with(" (1 try)"),
        "{detail}"
    );
    // The targets in order: RADIUS, LDAP, TCP.
    assert_eq!(v[1]["detail"], "connect failed: connection refused");
    assert_eq!(v[2]["detail"], "connect failed: connection refused");
}

#[test]
fn ldap_service_bind_and_locked_user_lookup() {
    let Some(server) = start_ldap() else { return };
    let url = format!("ldap://127.0.0.1:{}", server.port);
    let env = [("VPNWATCH_LDAP_PASSWORD", "svc-test-pw")];
    let base = ["--bind-dn", SERVICE_DN, "--base-dn", BASE, "--ldap", &url];
    let run = probe(&[&base[..], &["--user", "lockeduser"]].concat(), &env);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let line = run.stdout.trim_end();
    assert!(
        line.starts_with(&format!("✔ ldap {url} bound in ")),
        "{line}"
    );
    assert!(
        line.ends_with("; user lockeduser: account_locked (lockoutTime: locked out)"),
        "{line}"
    );
    assert!(!run.stdout.contains("svc-test-pw"));

    let good = probe(&[&base[..], &["--user", "gooduser"]].concat(), &env);
    assert!(
        good.stdout
            .trim_end()
            .ends_with("; user gooduser: account usable"),
        "{}",
        good.stdout
    );
    let nobody = probe(&[&base[..], &["--user", "nobody", "--json"]].concat(), &env);
    assert_eq!(json(&nobody)[0]["user"]["cause"], "unknown_user");
}

#[test]
fn ldap_bad_password_and_locked_bind_fail() {
    let Some(server) = start_ldap() else { return };
    let url = format!("ldap://127.0.0.1:{}", server.port);
    for (dn, pw) in [
        ("uid=baduser,ou=people,dc=example,dc=test", "wrong-pw"),
        (
            "uid=lockeduser,ou=locked,dc=example,dc=test",
            "locked-test-pw",
        ),
    ] {
        let run = probe(
            &["--ldap", &url, "--bind-dn", dn],
            &[("VPNWATCH_LDAP_PASSWORD", pw)],
        );
        assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
        assert_eq!(
            run.stdout.trim_end(),
            format!("✖ ldap {url} bind failed: invalid credentials (49)")
        );
        assert!(!run.stdout.contains(pw) && !run.stderr.contains(pw));
    }
}

#[test]
fn from_logs_probes_the_servers_the_headend_named() {
    let Some(server) = start_radius() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("asa.log");
    std::fs::write(
        &log,
        "<166>Nov 28 2026 08:45:27 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : \
         reason = AAA failure : server = 127.0.0.1 : user = rnguyen : user IP = 203.0.113.41\n",
    )
    .unwrap();
    let secret = secret_file(tmp.path(), "secret", RADIUS_SECRET);
    // The config says which port the logged server's RADIUS listens on.
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[probe]\nradius = [\"127.0.0.1:{}\"]\nsecret_file = \"{}\"\n",
            server.port,
            secret.display()
        ),
    )
    .unwrap();
    let run = probe(
        &[
            "--config",
            config.to_str().unwrap(),
            "--from-logs",
            log.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    assert!(
        run.stdout
            .starts_with(&format!("✔ radius 127.0.0.1:{} answered", server.port)),
        "{}",
        run.stdout
    );
}

#[test]
fn usage_and_config_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let none = probe(&[], &[]);
    assert_eq!(none.code, 2, "{}", none.stderr);
    assert!(none.stderr.contains("nothing to probe"), "{}", none.stderr);

    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        "[probe]\nradius = [\"10.0.0.1\"]\nsecret = \"hunter2\"\n",
    )
    .unwrap();
    let bad = probe(&["--config", config.to_str().unwrap()], &[]);
    assert_eq!(bad.code, 2);
    let expected = format!("vpnwatch: {}:3: key secret: ", config.display());
    assert!(bad.stderr.starts_with(&expected), "{}", bad.stderr);
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
    assert!(!bad.stderr.contains("hunter2"), "{}", bad.stderr);

    // No secret from anywhere and no terminal to ask on.
    let nosecret = probe(&["--radius", "127.0.0.1"], &[]);
    assert_eq!(nosecret.code, 2);
    assert!(
        nosecret.stderr.contains("no RADIUS shared secret"),
        "{}",
        nosecret.stderr
    );

    // A test user's password comes from a file or a prompt, never a flag.
    let nopw = probe(
        &["--radius", "127.0.0.1", "--test-user", "jdoe"],
        &[("VPNWATCH_RADIUS_SECRET", "x")],
    );
    assert_eq!(nopw.code, 2);
    assert!(
        nopw.stderr.contains("--test-password-file"),
        "{}",
        nopw.stderr
    );

    let badport = probe(&["--tcp", "host:99999"], &[]);
    assert_eq!(badport.code, 2, "{}", badport.stderr);
}

/// The dashboard's `A`: the servers the logs named are probed with the
/// config's settings, each result shows on the AAA header line beside the
/// log-derived health (a disagreement said as such), and each is journaled
/// so the report's timeline has it.
#[test]
fn dashboard_probe_shows_on_the_aaa_line_and_is_journaled() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use vpnwatch::app::probe_cmd;
    use vpnwatch::journal::Journal;
    use vpnwatch::parse::ParseContext;
    use vpnwatch::pipeline::Model;
    use vpnwatch::ui::{self, Theme, UiState};
    use vpnwatch::vocab::{Event, Family, Outcome, ServerState};

    let Some(server) = start_radius() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let secret = secret_file(tmp.path(), "secret", RADIUS_SECRET);
    let closed = free_udp_port();
    let config = vpnwatch::config::parse(&format!(
        "[probe]\nradius = [\"127.0.0.1:{}\", \"127.0.0.2:{closed}\"]\nsecret_file = \"{}\"\ntimeout = 0.3\ntries = 1\n",
        server.port,
        secret.display()
    ))
    .unwrap()
    .probe;

    let runbook = vpnwatch::runbook::parse(vpnwatch::runbook::DEFAULT_RUNBOOK).unwrap();
    let mut model = Model::new(Vec::new(), &runbook, 100, ParseContext::default());
    // The headend marked 127.0.0.1 FAILED; 127.0.0.2 it never complained about.
    for (address, state) in [
        ("127.0.0.1", Some(ServerState::Failed)),
        ("127.0.0.2", None),
    ] {
        let mut ev = Event::new(Family::Headend, Outcome::Info);
        ev.ts = Some("2026-12-04T13:00:00Z".parse().unwrap());
        ev.server = Some(address);
        ev.server_group = Some("ISE-RADIUS");
        ev.server_state = state;
        model.incident.apply(&ev);
    }
    let addresses: Vec<String> = model
        .incident
        .servers()
        .iter()
        .map(|s| s.address.clone())
        .collect();
    let pairs = probe_cmd::targets_for_servers(&addresses, &config);
    let targets: Vec<_> = pairs.iter().map(|(_, t)| t.clone()).collect();
    let settings = probe_cmd::dashboard_settings(&config, &targets).unwrap();
    let results = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(vpnwatch::probe::run(&targets, &settings));
    let results: Vec<_> = pairs.into_iter().map(|(a, _)| a).zip(results).collect();

    let journal_path = tmp.path().join("journal.jsonl");
    let (mut journal, _) = Journal::open(&journal_path).unwrap();
    let mut ui_state = UiState::default();
    probe_cmd::apply_results(&mut model, &mut ui_state, &mut journal, "ana", &results);
    assert_eq!(
        ui_state.status.as_deref(),
        Some("probe: 1 of 2 AAA servers answered (journaled)")
    );

    let mut terminal = Terminal::new(TestBackend::new(220, 24)).unwrap();
    let wall = "2027-01-01T00:00:00Z".parse().unwrap();
    let theme = Theme::load("default").unwrap();
    terminal
        .draw(|f| {
            ui::draw(f, &model, &ui_state, &theme, wall);
        })
        .unwrap();
    let buffer = terminal.backend().buffer();
    let rows: Vec<String> = (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect()
        })
        .collect();
    let row = rows
        .iter()
        .find(|r| r.contains(" AAA "))
        .unwrap_or_else(|| panic!("{rows:#?}"));
    assert!(row.contains("127.0.0.1 ✖ FAILED since "), "{row}");
    assert!(
        row.contains(" ✔ probe ") && row.contains("⚠ logs FAILED, probe answers"),
        "{row}"
    );
    assert!(
        row.contains("127.0.0.2 not marked ✖ probe timeout ⚠ logs: no failure, probe no answer"),
        "{row}"
    );

    let text = std::fs::read_to_string(&journal_path).unwrap();
    assert_eq!(text.matches(r#""kind":"probe""#).count(), 2, "{text}");
    assert!(
        !text.contains(RADIUS_SECRET),
        "the secret never reaches the journal"
    );
    let md = vpnwatch::app::report::render(&vpnwatch::app::report::ReportInput {
        incident: &model.incident,
        checklist: &model.checklist,
        sources: &[],
        journal: "journal.jsonl",
        generated_at: wall,
    });
    assert!(
        md.contains(&format!(
            "AAA probe ✔ radius 127.0.0.1:{}: answered Status-Server in",
            server.port
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "AAA probe ✖ radius 127.0.0.2:{closed}: no answer in"
        )),
        "{md}"
    );
}

/// `A` probes; `a` stays free for "auth lines only" (issue 13).
#[test]
fn capital_a_is_the_probe_key() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use vpnwatch::ui::{Action, action_for_key};
    let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    assert_eq!(action_for_key(key('A')), Some(Action::Probe));
    assert_ne!(action_for_key(key('a')), Some(Action::Probe));
}
