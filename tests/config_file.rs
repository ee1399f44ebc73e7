//! The configuration file through the binary: where it is looked for, the
//! merged view, its settings reaching the commands, flags overriding it,
//! and a bad key refused on one line with file, line and key.

use std::path::Path;

use assert_cmd::Command;

const HEADEND: &str = "sample-logs/asa-headend.log";

/// vpnwatch with its configuration in `xdg/vpnwatch/config.toml`.
fn vpnwatch(xdg: &Path) -> Command {
    let mut cmd = Command::cargo_bin("vpnwatch").expect("binary is built");
    cmd.env("XDG_CONFIG_HOME", xdg).env_remove("HOME");
    cmd
}

fn write_config(xdg: &Path, text: &str) -> std::path::PathBuf {
    let dir = xdg.join("vpnwatch");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_path_follows_xdg_then_home() {
    let dir = tempfile::tempdir().unwrap();
    let out = vpnwatch(dir.path())
        .args(["config", "--path"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out).trim(),
        dir.path()
            .join("vpnwatch/config.toml")
            .display()
            .to_string()
    );
    let out = Command::cargo_bin("vpnwatch")
        .unwrap()
        .env_remove("XDG_CONFIG_HOME")
        .env("HOME", dir.path())
        .args(["config", "--path"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out).trim(),
        dir.path()
            .join(".config/vpnwatch/config.toml")
            .display()
            .to_string()
    );
}

#[test]
fn print_merges_the_file_over_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let out = vpnwatch(dir.path())
        .args(["config", "--print"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let defaults: toml::Table = toml::from_str(&stdout(&out)).unwrap();
    assert_eq!(defaults["theme"].as_str(), Some("default"));
    assert_eq!(defaults["quiet_after"].as_integer(), Some(120));
    assert_eq!(defaults["keys"]["mitigated"].as_str(), Some("M"));

    write_config(
        dir.path(),
        "theme = \"light\"\noperator = \"oncall\"\nquiet_after = 300\n\n[keys]\nmitigated = \"m\"\n\n[probe]\nradius = [\"10.0.0.1\"]\n",
    );
    let out = vpnwatch(dir.path())
        .args(["config", "--print"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let merged: toml::Table = toml::from_str(&stdout(&out)).unwrap();
    assert_eq!(merged["theme"].as_str(), Some("light"));
    assert_eq!(merged["operator"].as_str(), Some("oncall"));
    assert_eq!(merged["quiet_after"].as_integer(), Some(300));
    assert_eq!(merged["keys"]["mitigated"].as_str(), Some("m"));
    assert_eq!(merged["keys"]["resolved"].as_str(), Some("R"));
    assert_eq!(merged["probe"]["radius"][0].as_str(), Some("10.0.0.1"));
}

#[test]
fn a_bad_key_is_one_line_naming_file_line_and_key_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), "theme = \"light\"\n\nquiet_afer = 30\n");
    for args in [
        &["scan", HEADEND][..],
        &["config", "--print"][..],
        &[HEADEND][..],
    ] {
        let out = vpnwatch(dir.path()).args(args).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("vpnwatch: {}:3: key quiet_afer: ", path.display())),
            "{err}"
        );
    }
    write_config(dir.path(), "[keys]\nmitigate = \"m\"\n");
    let out = vpnwatch(dir.path())
        .args(["scan", HEADEND])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(":2: key mitigate: unknown action"),
        "{}",
        stderr(&out)
    );
}

/// `tz` from the file moves zone-less stamps; `--tz` overrides it.
#[test]
fn tz_comes_from_the_file_and_the_flag_wins() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("asa.log");
    std::fs::write(
        &log,
        "<166>Nov 28 2026 08:43:11 fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.20.0.13 : user = apatel : user IP = 192.0.2.251\n",
    )
    .unwrap();
    let first_failure = |extra: &[&str]| {
        let out = vpnwatch(dir.path())
            .args(["scan", "--json"])
            .args(extra)
            .arg(&log)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["totals"]["first_failure"].as_str().unwrap().to_string()
    };
    assert_eq!(first_failure(&[]), "2026-11-28T08:43:11Z");
    write_config(dir.path(), "tz = \"+02:00\"\n");
    assert_eq!(first_failure(&[]), "2026-11-28T06:43:11Z");
    assert_eq!(first_failure(&["--tz", "UTC"]), "2026-11-28T08:43:11Z");
    // The rules `--tz` takes: FILE=ZONE, in a list, the file's own rule
    // before the zone of every other file.
    write_config(dir.path(), "tz = [\"UTC\", \"asa.log=-05:00\"]\n");
    assert_eq!(first_failure(&[]), "2026-11-28T13:43:11Z");
    write_config(dir.path(), "tz = \"other.log=-05:00\"\n");
    assert_eq!(first_failure(&[]), "2026-11-28T08:43:11Z");
    write_config(dir.path(), "tz = \"asa.log=+01:00\"\n");
    assert_eq!(first_failure(&[]), "2026-11-28T07:43:11Z");
    assert_eq!(
        first_failure(&["--tz", "asa.log=UTC"]),
        "2026-11-28T08:43:11Z",
        "the flags win"
    );
}

/// A bad `tz` rule, or a key two actions would share, is one line naming
/// the file, the line and the key; exit 2.
#[test]
fn a_bad_tz_rule_or_a_key_conflict_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        dir.path(),
        "operator = \"oncall\"\ntz = [\"UTC\", \"asa.log=Mars/Olympus\"]\n",
    );
    let out = vpnwatch(dir.path())
        .args(["scan", HEADEND])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("vpnwatch: {}:2: key tz: ", path.display())),
        "{err}"
    );
    assert!(err.contains("Mars/Olympus"), "{err}");
    write_config(dir.path(), "[keys]\nmitigated = \"m\"\nquit = \"p\"\n");
    let out = vpnwatch(dir.path())
        .args(["scan", HEADEND])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(&format!("vpnwatch: {}:3: key quit: ", path.display())),
        "{err}"
    );
    assert!(err.contains("also bound to pause"), "{err}");
    write_config(dir.path(), "[keys]\ndown = [\"Down\", \"PgDown\"]\n");
    let out = vpnwatch(dir.path())
        .args(["scan", HEADEND])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains(":2: key down: \"PgDown\" is not a key"),
        "{}",
        stderr(&out)
    );
}

/// `journal_dir` is where `report` looks for today's journal; `operator`
/// is who `bundle` records, unless `--operator` says otherwise.
#[test]
fn journal_dir_and_operator_reach_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    std::fs::create_dir(&journals).unwrap();
    write_config(
        dir.path(),
        &format!(
            "operator = \"night-shift\"\njournal_dir = {:?}\n",
            journals.display().to_string()
        ),
    );
    let today = format!("vpnwatch-{}.jsonl", jiff::Zoned::now().date());
    std::fs::write(
        journals.join(&today),
        "{\"kind\":\"step\",\"ts\":\"2026-11-28T08:50:00Z\",\"operator\":\"oncall\",\"step\":\"1.1\",\"from\":\"todo\",\"to\":\"done\"}\n",
    )
    .unwrap();
    let out = vpnwatch(dir.path())
        .arg("report")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&today), "{}", stdout(&out));

    let cwd = std::env::current_dir().unwrap();
    for (flag, want) in [(None, "night-shift"), (Some("day-shift"), "day-shift")] {
        let journal = dir.path().join(format!("b-{want}.jsonl"));
        let mut cmd = vpnwatch(dir.path());
        cmd.args(["bundle", "--user", "tbrennan", "-o"])
            .arg(dir.path().join(format!("{want}.tar.gz")))
            .arg("--journal")
            .arg(&journal)
            .arg(cwd.join(HEADEND));
        if let Some(op) = flag {
            cmd.args(["--operator", op]);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let recorded = std::fs::read_to_string(&journal).unwrap();
        assert!(
            recorded.contains(&format!("\"operator\":\"{want}\"")),
            "{recorded}"
        );
    }
}

/// The README's example file is a valid configuration.
#[test]
fn the_readme_example_is_accepted() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = readme
        .split("## Configuration file")
        .nth(1)
        .expect("README has a Configuration file section");
    let example = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a toml example");
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), example);
    let out = vpnwatch(dir.path())
        .args(["config", "--print"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let merged: toml::Table = toml::from_str(&stdout(&out)).unwrap();
    assert_eq!(merged["theme"].as_str(), Some("high-contrast"));
    assert_eq!(merged["keys"]["quit"].as_str(), Some("Q"));
}
