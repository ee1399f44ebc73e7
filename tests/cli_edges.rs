//! The command line's habits: what a script or a new user runs into at the
//! edges (a closed pipe, a usage error in a subcommand, a log on stdin, a
//! mistyped flag), through the binary.

mod common;

use std::io::Read;
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;

const HEADEND: &str = "sample-logs/asa-headend.log";
const CLIENT: &str = "sample-logs/anyconnect-client.log";

fn vpnwatch() -> Command {
    Command::cargo_bin("vpnwatch").expect("binary is built")
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_vpnwatch")
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs vpnwatch with its stdout a pipe whose reading end is already
/// closed (`vpnwatch … | head` after head has quit): every write fails
/// with EPIPE, deterministically.
fn run_into_closed_pipe(args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    StdCommand::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run vpnwatch")
}

#[test]
fn a_closed_pipe_is_a_quiet_exit_0_for_every_command_that_prints() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.jsonl");
    std::fs::write(&journal, "").unwrap();
    let journal = journal.to_str().unwrap();
    let runs: [&[&str]; 7] = [
        &["scan", "--json", HEADEND, CLIENT],
        &["scan", HEADEND, CLIENT],
        &["events", HEADEND],
        &["formats"],
        &["report", "--journal", journal, HEADEND],
        &["runbook", "check", "runbooks/anyconnect-auth-failed.md"],
        &["--help"],
    ];
    for args in runs {
        let out = run_into_closed_pipe(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_of(&out));
        assert_eq!(stderr_of(&out), "", "{args:?} printed to stderr");
    }
}

#[test]
fn a_usage_error_in_a_subcommand_shows_that_subcommands_usage() {
    let dir = tempfile::tempdir().unwrap();
    for (args, usage) in [
        (&["scan"][..], "Usage: vpnwatch scan "),
        (&["events"][..], "Usage: vpnwatch events "),
        (&["bundle", "--user", "x"][..], "Usage: vpnwatch bundle "),
        (&["report"][..], "Usage: vpnwatch report "),
    ] {
        let out = StdCommand::new(bin())
            .args(args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(usage), "{args:?}: {err}");
        assert!(!err.contains("vpnwatch <COMMAND>"), "{args:?}: {err}");
    }
}

#[test]
fn scan_and_events_read_a_piped_stdin_when_no_file_is_named() {
    // assert_cmd writes stdin through a pipe: every line must be read (the
    // block reader must not take the first 64 KiB to look at the stamps).
    let log = std::fs::read(HEADEND).unwrap();
    let out = vpnwatch()
        .args(["scan", "--json"])
        .write_stdin(log.clone())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let from_file: serde_json::Value = serde_json::from_slice(
        &vpnwatch()
            .args(["scan", "--json", HEADEND])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(report["totals"], from_file["totals"]);
    assert_eq!(report["users"], from_file["users"]);

    let out = vpnwatch()
        .arg("events")
        .write_stdin(log.clone())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let events = String::from_utf8_lossy(&out.stdout);
    let from_file = vpnwatch().args(["events", HEADEND]).output().unwrap();
    // From a pipe, a line whose cause changes later is followed by an
    // `{"update": …}` record (it cannot be read twice); the line records
    // themselves are the file's.
    let records = |text: &str| {
        text.lines()
            .filter(|l| !l.starts_with("{\"update\""))
            .count()
    };
    assert_eq!(
        records(&events),
        records(&String::from_utf8_lossy(&from_file.stdout))
    );
    assert!(records(&events) > 100);

    // `scan < file`: stdin a regular file, read the same.
    let out = StdCommand::new(bin())
        .args(["scan", "--json"])
        .stdin(std::fs::File::open(HEADEND).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let redirected: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(redirected["totals"], report["totals"]);

    // No file and nothing piped (/dev/null): still a usage error.
    let out = StdCommand::new(bin())
        .arg("scan")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
}

#[test]
fn report_reads_todays_journal_when_none_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let today = jiff::Zoned::now().date();
    let name = format!("vpnwatch-{today}.jsonl");
    let out = vpnwatch()
        .arg("report")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&name), "the missing journal is named: {err}");

    std::fs::write(
        dir.path().join(&name),
        "{\"kind\":\"step\",\"ts\":\"2026-11-28T08:50:00Z\",\"operator\":\"oncall\",\"step\":\"1.1\",\"from\":\"todo\",\"to\":\"done\"}\n",
    )
    .unwrap();
    let out = vpnwatch()
        .arg("report")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains(&format!("from the journal `{name}`")), "{md}");
    assert!(md.contains("oncall"), "{md}");
}

#[test]
fn an_unknown_theme_is_a_usage_error() {
    for args in [
        &["--theme", "nope", HEADEND][..],
        &["demo", "--theme", "nope"][..],
    ] {
        let out = vpnwatch().args(args).output().unwrap();
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("unknown theme \"nope\""), "{err}");
    }
}

#[test]
fn demo_help_and_readme_agree_on_the_demo_journal() {
    let out = vpnwatch().args(["demo", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
    let readme = std::fs::read_to_string("README.md")
        .unwrap()
        .replace('\n', " ");
    let said = "journal.jsonl in the demo's temporary directory";
    assert!(help.contains(said), "{help}");
    assert!(readme.contains(said), "README does not say {said:?}");
    assert!(
        !help.contains("Default: vpnwatch-YYYY-MM-DD.jsonl in the current directory"),
        "{help}"
    );
}

#[test]
fn an_address_given_as_a_file_gets_a_hint() {
    for args in [
        &["0.0.0.0:514"][..],
        &["events", "--follow", "127.0.0.1:5514"][..],
    ] {
        let out = vpnwatch().args(args).output().unwrap();
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        let addr = args[args.len() - 1];
        assert!(
            err.lines()
                .next()
                .unwrap_or("")
                .contains(&format!("--syslog-udp={addr}")),
            "{err}"
        );
    }
    // A file of that name that exists is read, not second-guessed.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(HEADEND, dir.path().join("10.0.0.1:514")).unwrap();
    let out = vpnwatch()
        .args(["scan", "10.0.0.1:514"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
}

#[test]
fn a_command_after_an_option_of_its_own_gets_a_hint() {
    // `--max-users` belongs after the command: before it, clap takes
    // `scan` for a log file, and the dashboard would wait for it.
    let out = vpnwatch()
        .args(["--max-users", "2", "scan", HEADEND])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let first = err.lines().next().unwrap_or("");
    assert!(first.contains("scan is not a file"), "{err}");
    assert!(first.contains("vpnwatch scan --max-users N"), "{err}");
    // Following files, too.
    let out = vpnwatch()
        .args(["events", "--follow", "report"])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("report is not a file"), "{err}");
}

#[test]
fn a_bad_journal_line_is_named_by_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.jsonl");
    std::fs::write(
        &journal,
        "{\"kind\":\"step\",\"ts\":\"2026-11-28T08:50:00Z\",\"operator\":\"a\",\"step\":\"1.1\",\"from\":\"todo\",\"to\":\"done\"}\n\
         {\"kind\":\"step\",\"ts\":\"26-11-28T08:51:00Z\",\"operator\":\"a\",\"step\":\"1.2\",\"from\":\"todo\",\"to\":\"done\"}\n\
         {\"kind\":\"step\",\"ts\":\"2026-11-28T08:52:00Z\",\"operator\":\"a\",\"step\":\"1.3\",\"from\":\"todo\",\"to\":\"done\"}\n",
    )
    .unwrap();
    let out = vpnwatch()
        .args(["report", "--journal", journal.to_str().unwrap()])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    let warning = err
        .lines()
        .find(|l| l.contains("year"))
        .unwrap_or_else(|| panic!("no warning for the bad ts: {err}"));
    assert!(warning.contains("j.jsonl:2:"), "{warning}");
}

#[test]
fn a_bundle_write_error_names_the_bundle_not_its_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir").join("out.tar.gz");
    let out = vpnwatch()
        .args(["bundle", "--user", "tbrennan", "-o"])
        .arg(&missing)
        .args(["--journal"])
        .arg(dir.path().join("j.jsonl"))
        .args([HEADEND, CLIENT])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("out.tar.gz"), "{err}");
    assert!(
        !err.contains(".vpnwatch-bundle-"),
        "a temporary path: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `events` holds its records in a temporary file until every cause is
/// final: when that file cannot be made, the error says which file it is
/// and that TMPDIR places it, not a bare "No such file or directory" a
/// user would take to be about a log.
#[test]
fn an_events_spool_error_names_the_temporary_directory() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-tmp");
    let out = vpnwatch()
        .env("TMPDIR", &missing)
        .args(["events", HEADEND])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no-such-tmp"), "{err}");
    assert!(err.contains("TMPDIR"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty(), "nothing printed before the error");
}

/// A pipe closed while `events --follow` prints: it stops quietly, too.
#[test]
fn events_follow_stops_quietly_when_its_reader_goes() {
    let mut child = StdCommand::new(bin())
        .args(["events", "--follow", "--from-start", HEADEND])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stderr_of(&out), "");
}

/// One of each: no "1 failed attempts · 1 users · 1 lines" anywhere.
#[test]
fn a_count_of_one_is_singular_in_scan_report_and_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("asa.log");
    std::fs::write(
        &log,
        "<166>Nov 28 2026 08:43:11 fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.20.0.13 : user = apatel : user IP = 192.0.2.251\n",
    )
    .unwrap();
    let log = log.to_str().unwrap();

    let out = vpnwatch().args(["scan", log]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 failed attempt by 1 user (1 failing at the end), 0 successful logins, 0 session ends, 1 line read"),
        "{text}"
    );
    assert!(
        text.contains("1 transition") || text.contains("0 transitions"),
        "{text}"
    );
    assert!(
        !text.contains("1 transitions") && !text.contains("1 unreachable reports"),
        "{text}"
    );

    let journal = dir.path().join("j.jsonl");
    std::fs::write(&journal, "").unwrap();
    let out = vpnwatch()
        .args(["report", "--journal", journal.to_str().unwrap(), log])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("(headend, 1 line)"), "{md}");
    assert!(md.contains("- 1 failed login attempt by 1 user "), "{md}");

    let bundle = dir.path().join("b.tar.gz");
    let out = vpnwatch()
        .args(["bundle", "--user", "apatel", "--context", "1", "-o"])
        .arg(&bundle)
        .arg("--journal")
        .arg(&journal)
        .arg(log)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let tar = flate2::read::GzDecoder::new(std::fs::File::open(&bundle).unwrap());
    let mut archive = tar::Archive::new(tar);
    let mut readme = String::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().ends_with("README.txt") {
            entry.read_to_string(&mut readme).unwrap();
        }
    }
    assert!(
        readme.contains("Context:   1 line before and after"),
        "{readme}"
    );

    let junk = dir.path().join("junk.log");
    std::fs::write(&junk, "not a log line\n").unwrap();
    let out = vpnwatch()
        .args(["scan", "--headend", junk.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("junk.log: 0 of 1 line recognised"), "{text}");
}

/// An AAA server the headend called unreachable but never marked failed is
/// shown with a documented glyph and word, not a bare `?`.
#[test]
fn an_unreachable_unmarked_server_has_a_documented_glyph() {
    use vpnwatch::parse::{Family, ParseContext};
    use vpnwatch::pipeline::{Model, SourceState};
    use vpnwatch::source::{LineBatch, SourceId};
    let runbook = vpnwatch::runbook::parse(vpnwatch::runbook::DEFAULT_RUNBOOK).unwrap();
    let mut model = Model::new(
        vec![SourceState::new("asa.log".into(), Family::Headend)],
        &runbook,
        1000,
        ParseContext::for_year(2026),
    );
    let mut batch = LineBatch::new(1);
    batch.push(
        b"<166>2026-11-28T08:51:48Z vpn-asa-02 : %ASA-6-113014: AAA authentication server not accessible : server = 10.20.0.13 : user = ewright",
    );
    model.ingest(SourceId(0), &batch);
    let terminal = common::render(
        &model,
        &vpnwatch::ui::UiState::default(),
        &vpnwatch::ui::Theme::default(),
        200,
        40,
    );
    let screen = common::screen_text(&terminal);
    assert!(screen.contains("10.20.0.13 ⚠ 1 unreachable"), "{screen}");
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(readme.contains("`⚠ N unreachable`"), "README documents it");
}

/// The subcommands `vpnwatch --help` lists.
fn subcommands() -> Vec<String> {
    let out = vpnwatch().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    help.split("Commands:")
        .nth(1)
        .expect("a Commands: section")
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn every_help_has_examples_that_use_its_command() {
    let names = subcommands();
    for want in ["scan", "events", "report", "bundle", "completions", "man"] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    let top = vpnwatch().arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&top.stdout).contains("Examples:\n  vpnwatch "));
    for name in names {
        let out = vpnwatch().args([name.as_str(), "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}");
        assert!(
            help.contains(&format!("Examples:\n  vpnwatch {name}")),
            "{name} --help has no examples:\n{help}"
        );
    }
}

#[test]
fn completions_for_each_shell_and_a_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = vpnwatch().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", stderr_of(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("vpnwatch"), "{shell}");
        assert!(
            script.contains("--syslog-udp"),
            "{shell} completes the flags"
        );
        assert!(script.contains("scan"), "{shell} completes the subcommands");
    }
    if common::need::tool("bash", &["--version"]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vpnwatch.bash");
        let out = vpnwatch().args(["completions", "bash"]).output().unwrap();
        std::fs::write(&path, &out.stdout).unwrap();
        let check = StdCommand::new("bash")
            .arg("-n")
            .arg(&path)
            .output()
            .unwrap();
        assert!(check.status.success(), "{}", stderr_of(&check));
    }
    let out = vpnwatch().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));

    let out = vpnwatch().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH vpnwatch 1"), "{page}");
    assert!(
        page.contains("scan") && page.contains("\\-\\-theme"),
        "{page}"
    );
}

/// The long options a subcommand's `--help` lists (`--json`, …).
fn long_options(help: &str) -> Vec<String> {
    let mut options: Vec<String> = help
        .split(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '[' || c == ']')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .filter(|w| {
            w[2..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(str::to_string)
        .collect();
    options.sort();
    options.dedup();
    options
}

#[test]
fn each_subcommand_has_a_man_page_with_its_options() {
    for name in subcommands() {
        let out = vpnwatch().args(["man", name.as_str()]).output().unwrap();
        assert!(out.status.success(), "man {name}: {}", stderr_of(&out));
        let page = String::from_utf8_lossy(&out.stdout);
        assert!(
            page.contains(&format!(".TH vpnwatch-{name} 1")),
            "man {name}: {}",
            page.lines().next().unwrap_or_default()
        );
        let help = vpnwatch().args([name.as_str(), "--help"]).output().unwrap();
        let options = long_options(&String::from_utf8_lossy(&help.stdout));
        // Every subcommand has at least --help; most have more.
        assert!(!options.is_empty(), "{name}");
        for option in options {
            let roff = option.replace('-', "\\-");
            assert!(page.contains(&roff), "man {name} lacks {option}");
        }
    }
    // A nested subcommand's page, and a name that is none.
    let out = vpnwatch()
        .args(["man", "runbook", "check"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(".TH vpnwatch-runbook-check 1"));
    let out = vpnwatch().args(["man", "scna"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("no manual page for \"scna\""),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn man_dir_writes_every_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = vpnwatch()
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let listed = String::from_utf8_lossy(&out.stdout);
    let mut want = vec![
        "vpnwatch.1".to_string(),
        "vpnwatch-runbook-check.1".to_string(),
    ];
    want.extend(subcommands().iter().map(|n| format!("vpnwatch-{n}.1")));
    for file in want {
        let path = dir.path().join(&file);
        assert!(path.exists(), "{file} not written: {listed}");
        assert!(listed.contains(&file), "{file} not listed: {listed}");
    }
    let scan = std::fs::read_to_string(dir.path().join("vpnwatch-scan.1")).unwrap();
    assert!(scan.contains("\\-\\-json"), "{scan}");
}

/// A report of thousands of users is some 3 MB: written into a 64 KiB pipe,
/// every 64 KiB waits for the reader to drain it. `scan` widens a pipe on
/// its standard output to 1 MiB (Linux's default ceiling for a user).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn scan_widens_a_pipe_on_its_standard_output() {
    use std::os::fd::AsRawFd;
    let pipe_size = |fd: &dyn AsRawFd| {
        // SAFETY: F_GETPIPE_SZ reads no memory of this process.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETPIPE_SZ) }
    };
    let (reader, writer) = std::io::pipe().expect("pipe");
    let probe = reader.try_clone().expect("a second handle on the pipe");
    assert!(pipe_size(&probe) < 1 << 20, "a new pipe is smaller");
    // Read as it is written: were the pipe not widened, a full one would
    // otherwise stop vpnwatch for good.
    let drain = std::thread::spawn(move || {
        let mut out = String::new();
        let mut reader = reader;
        reader.read_to_string(&mut out).map(|_| out)
    });
    let status = StdCommand::new(bin())
        .args(["scan", "--json", HEADEND])
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::null())
        .status()
        .expect("run vpnwatch");
    assert!(status.success());
    assert_eq!(pipe_size(&probe), 1 << 20);
    drop(probe);
    let out = drain.join().unwrap().unwrap();
    assert!(out.contains("\"users\""), "{out}");
}
