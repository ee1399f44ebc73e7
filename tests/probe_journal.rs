//! `vpnwatch probe` journals each result, as the dashboard's `A` does, so
//! the postmortem's timeline has the check: to `--journal FILE`, else to
//! today's journal (the one `report` reads when none is named), never with
//! a secret in it; `--no-journal` writes nothing.

mod common;

use std::net::TcpListener;
use std::path::Path;

use assert_cmd::Command;
use common::servers::*;

const SECRET: &str = "s3cret-never-journaled";

fn records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Today's journal name, as the dashboard and `report` give it.
fn todays_journal() -> String {
    format!("vpnwatch-{}.jsonl", jiff::Zoned::now().date())
}

#[test]
fn each_result_is_journaled_without_the_secret_and_reaches_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = secret_file(tmp.path(), "secret", SECRET);
    // A TCP port that accepts, a UDP port nobody answers on.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp = listener.local_addr().unwrap().port();
    let udp = free_udp_port();
    let journal = tmp.path().join("incident.jsonl");
    let run = probe(
        &[
            "--radius",
            &format!("127.0.0.1:{udp}"),
            "--tcp",
            &format!("127.0.0.1:{tcp}"),
            "--secret-file",
            secret.to_str().unwrap(),
            "--timeout",
            "0.3",
            "--tries",
            "1",
            "--journal",
            journal.to_str().unwrap(),
        ],
        &[("USER", "ana")],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains(&format!("2 results journaled to {}", journal.display())),
        "{}",
        run.stderr
    );
    let recs = records(&journal);
    assert_eq!(recs.len(), 2, "{recs:?}");
    let by_protocol = |p: &str| recs.iter().find(|r| r["protocol"] == p).unwrap();
    let radius = by_protocol("radius");
    assert_eq!(radius["kind"], "probe");
    assert_eq!(radius["ok"], false);
    assert_eq!(radius["target"], format!("127.0.0.1:{udp}"));
    assert_eq!(radius["operator"], "ana");
    assert_eq!(by_protocol("tcp")["ok"], true);
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(
        !text.contains(SECRET),
        "the secret is in the journal: {text}"
    );
    assert!(
        !std::path::Path::new(&run.cwd.path().join(todays_journal())).exists(),
        "a named journal is the only one written"
    );

    // The postmortem's timeline has both checks.
    let out = Command::cargo_bin("vpnwatch")
        .unwrap()
        .args(["report", "--journal"])
        .arg(&journal)
        .env("XDG_CONFIG_HOME", "/nonexistent-vpnwatch-test")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains(&format!("AAA probe ✖ radius 127.0.0.1:{udp}")),
        "{md}"
    );
    assert!(
        md.contains(&format!("AAA probe ✔ tcp 127.0.0.1:{tcp}")),
        "{md}"
    );
    assert!(!md.contains(SECRET));
}

#[test]
fn today_s_journal_by_default_in_journal_dir_and_none_with_no_journal() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());

    // No journal named, no journal_dir: today's journal where it runs.
    let run = probe(&["--tcp", &target], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let today = run.cwd.path().join(todays_journal());
    assert_eq!(records(&today).len(), 1);

    // The config's journal_dir, as for the dashboard and `report`.
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!("journal_dir = \"{}\"\n", tmp.path().display()),
    )
    .unwrap();
    let run = probe(
        &["--tcp", &target, "--config", config.to_str().unwrap()],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(records(&tmp.path().join(todays_journal())).len(), 1);
    assert!(!run.cwd.path().join(todays_journal()).exists());

    let run = probe(&["--tcp", &target, "--no-journal"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.cwd.path().join(todays_journal()).exists());
    assert!(!run.stderr.contains("journaled"), "{}", run.stderr);
}

#[test]
fn an_unwritable_journal_stops_the_run_before_any_probe() {
    let tmp = tempfile::tempdir().unwrap();
    let journal = tmp.path().join("no-such-dir").join("j.jsonl");
    let run = probe(
        &[
            "--tcp",
            "127.0.0.1:9",
            "--journal",
            journal.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "no probe ran: {}", run.stdout);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with(&format!("vpnwatch: probe: journal {}: ", journal.display())),
        "{}",
        run.stderr
    );
}
