//! Evidence bundles from the sample incident: what is inside, and that a
//! redacted bundle leaks no user name, IP or host name anywhere.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use regex::Regex;
use vpnwatch::parse::{self, ParseContext};
use vpnwatch::vocab::Family;

const HEADEND: &str = "sample-logs/asa-headend.log";
const CLIENT: &str = "sample-logs/anyconnect-client.log";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every entry of a .tar.gz: path → bytes.
fn unpack(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let file = std::fs::File::open(path).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        out.insert(name, bytes);
    }
    out
}

fn bundle(args: &[&str], out: &Path) -> String {
    let assert = Command::cargo_bin("vpnwatch")
        .expect("binary is built")
        .current_dir(root())
        .arg("bundle")
        .args(args)
        .arg("-o")
        .arg(out)
        .args([HEADEND, CLIENT])
        .assert()
        .success();
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

fn file<'a>(files: &'a BTreeMap<String, Vec<u8>>, suffix: &str) -> &'a str {
    let (_, bytes) = files
        .iter()
        .find(|(k, _)| k.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix} in {:?}", files.keys()));
    std::str::from_utf8(bytes).unwrap()
}

#[test]
fn a_bundle_holds_the_users_lines_stats_checklist_and_readme() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tb.tar.gz");
    let journal = dir.path().join("j.jsonl");
    let printed = bundle(
        &[
            "--user",
            "tbrennan",
            "--context",
            "2",
            "--journal",
            journal.to_str().unwrap(),
            "--operator",
            "ana",
        ],
        &out,
    );
    assert_eq!(printed.trim(), out.display().to_string());
    let files = unpack(&out);
    let names: Vec<String> = files
        .keys()
        .map(|k| {
            k.split_once('/')
                .map_or(k.clone(), |(_, rest)| rest.to_string())
        })
        .collect();
    assert_eq!(
        names,
        [
            "README.txt",
            "checklist.json",
            "lines/1-asa-headend.log",
            "lines/2-anyconnect-client.log",
            "user.json"
        ]
    );
    assert!(
        files
            .keys()
            .all(|k| k.starts_with("vpnwatch-evidence-tbrennan-"))
    );

    let user: serde_json::Value = serde_json::from_str(file(&files, "user.json")).unwrap();
    assert_eq!(user["user"], "tbrennan");
    // The same state scan --json and the Users pane give.
    assert_eq!(user["state"], "failing");
    assert_eq!(user["failures"], 12);
    assert_eq!(user["causes"]["token_required"], 12);

    let checklist: serde_json::Value =
        serde_json::from_str(file(&files, "checklist.json")).unwrap();
    assert_eq!(checklist["steps"][0]["id"], "1");
    assert_eq!(checklist["steps"][0]["state"], "todo");

    let readme = file(&files, "README.txt");
    assert!(readme.contains("User:      tbrennan"), "{readme}");
    assert!(readme.contains("Context:   2 lines"), "{readme}");
    assert!(readme.contains("Taken:"), "{readme}");

    for source in ["1-asa-headend.log", "2-anyconnect-client.log"] {
        let text = file(&files, source);
        let marked: Vec<&str> = text.lines().filter(|l| l.starts_with('>')).collect();
        assert!(!marked.is_empty(), "{source}");
        for l in &marked {
            assert!(
                l.contains("tbrennan") || l.contains("203.0.113.57"),
                "not his line: {l}"
            );
        }
        let context = text.lines().filter(|l| l.starts_with(' ')).count();
        assert!(context <= marked.len() * 4, "{source}: too much context");
    }

    // The export is journaled.
    let j = std::fs::read_to_string(&journal).unwrap();
    assert!(j.contains(r#""kind":"evidence""#), "{j}");
    assert!(j.contains(r#""user":"tbrennan""#), "{j}");
}

/// Every user name, host name and IPv4 address in the sample logs.
fn originals() -> Vec<String> {
    let ip = Regex::new(r"\b(?:\d{1,3}\.){3}\d{1,3}\b").unwrap();
    let ctx = ParseContext::for_year(2026);
    let mut out = std::collections::BTreeSet::new();
    for (path, family) in [(HEADEND, Family::Headend), (CLIENT, Family::Client)] {
        let text = std::fs::read_to_string(root().join(path)).unwrap();
        for line in text.lines() {
            for m in ip.find_iter(line) {
                out.insert(m.as_str().to_string());
            }
            if let Some(ev) = parse::parse_line(line, family, &ctx) {
                for v in [ev.user, ev.host].into_iter().flatten() {
                    if v != "*****" && !v.is_empty() {
                        out.insert(v.to_string());
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}

#[test]
fn a_redacted_bundle_leaks_no_name_ip_or_host_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("red.tar.gz");
    bundle(&["--user", "tbrennan", "--redact"], &out);
    let files = unpack(&out);
    let originals = originals();
    assert!(originals.len() > 20, "{originals:?}");
    assert!(originals.iter().any(|o| o == "tbrennan"));
    assert!(originals.iter().any(|o| o == "lap-tbrennan"));
    for (name, bytes) in &files {
        let haystack = format!("{name}\n{}", String::from_utf8_lossy(bytes)).to_lowercase();
        for original in &originals {
            assert!(
                !haystack.contains(&original.to_lowercase()),
                "{original} survives in {name}"
            );
        }
    }
    // Pseudonyms are stable: the subject is user-1 everywhere.
    assert!(
        files
            .keys()
            .all(|k| k.starts_with("vpnwatch-evidence-user-1-"))
    );
    let user: serde_json::Value = serde_json::from_str(file(&files, "user.json")).unwrap();
    assert_eq!(user["user"], "user-1");
    assert_eq!(user["failures"], 12);
    let headend = file(&files, "1-asa-headend.log");
    assert!(headend.contains("user = user-1"), "{headend}");
}

/// A `DOMAIN\user` name (as NPS and many directories give it) is written
/// `DOMAIN\\user` in JSON: redaction looks at the text, so `user.json`
/// hides it as the log excerpts do, also where the auth server's reason
/// and the address come in.
#[test]
fn a_redacted_bundle_hides_a_domain_name_in_its_json_too() {
    let dir = tempfile::tempdir().unwrap();
    // apatel's rejection and ISE's verdict on it, from the samples, with
    // the name the directory gives.
    let pick = |path: &str, id: &str| {
        std::fs::read_to_string(root().join(path))
            .unwrap()
            .lines()
            .find(|l| l.contains("apatel") && l.contains(id))
            .unwrap()
            .replace("apatel", "CORP\\apatel")
    };
    let headend = dir.path().join("headend.log");
    std::fs::write(&headend, pick(HEADEND, "113005") + "\n").unwrap();
    let ise = dir.path().join("ise.log");
    std::fs::write(
        &ise,
        pick("sample-logs/ise-auth.log", "CISE_Failed_Attempts") + "\n",
    )
    .unwrap();
    let out = dir.path().join("red.tar.gz");
    Command::cargo_bin("vpnwatch")
        .expect("binary is built")
        .args(["bundle", "--user", "CORP\\apatel", "--redact", "-o"])
        .arg(&out)
        .arg(&headend)
        .arg(&ise)
        .assert()
        .success();
    let files = unpack(&out);
    let user = file(&files, "user.json");
    for secret in ["apatel", "192.0.2.251"] {
        for (name, bytes) in &files {
            let text = String::from_utf8_lossy(bytes).to_lowercase();
            assert!(!text.contains(secret), "{secret} survives in {name}");
        }
    }
    let user: serde_json::Value = serde_json::from_str(user).unwrap();
    assert_eq!(user["user"], "user-1");
    assert_eq!(user["failures"], 1);
    assert!(user["auth_reason"].is_string(), "{user}");
}

#[test]
fn hidden_users_are_bundled_by_client_ip_and_unknown_users_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hidden.tar.gz");
    bundle(&["--user", "192.0.2.147"], &out);
    let files = unpack(&out);
    let user: serde_json::Value = serde_json::from_str(file(&files, "user.json")).unwrap();
    assert_eq!(user["hidden"], true);
    assert_eq!(user["state"], "unknown");
    // Without the auth server's log nothing put a name to the address.
    assert_eq!(user["attempts_named"], serde_json::json!({}));
    assert!(!file(&files, "README.txt").contains("Named:"));

    // With it, the address's attempts moved to the name ISE logged: the
    // bundle says where they are instead of showing an address that never
    // failed.
    let named = bundle_of(
        "192.0.2.147",
        &[HEADEND, "sample-logs/ise-auth.log"],
        dir.path(),
    );
    let user: serde_json::Value = serde_json::from_str(file(&named, "user.json")).unwrap();
    assert_eq!(user["failures"], 0);
    assert_eq!(user["attempts_named"], serde_json::json!({"jsmyth": 4}));
    let jsmyth = scan_failures("jsmyth", &[HEADEND, "sample-logs/ise-auth.log"]);
    assert_eq!(jsmyth, 4, "scan counts them under the name");
    // The named user's bundle says why, as scan does: the headend's reason
    // moved with the attempts, and the auth server's is there too.
    let logs = [HEADEND, "sample-logs/ise-auth.log"];
    let theirs = bundle_of("jsmyth", &logs, dir.path());
    let theirs: serde_json::Value = serde_json::from_str(file(&theirs, "user.json")).unwrap();
    let scanned = scan_user("jsmyth", &logs);
    for key in ["last_cause", "last_reason", "auth_reason"] {
        assert_eq!(theirs[key], scanned[key], "{key}");
    }
    assert_eq!(theirs["last_reason"], "User was not found");
    assert_eq!(
        theirs["auth_reason"],
        "24412 User not found in Active Directory"
    );
    let readme = file(&named, "README.txt");
    assert!(
        readme.contains("Named:     4 failed attempts of this address moved to the name"),
        "{readme}"
    );
    assert!(
        readme.contains("jsmyth 4 (`vpnwatch bundle --user jsmyth`"),
        "{readme}"
    );

    let assert = Command::cargo_bin("vpnwatch")
        .expect("binary is built")
        .current_dir(root())
        .args(["bundle", "--user", "nobody", "-o"])
        .arg(dir.path().join("x.tar.gz"))
        .arg(HEADEND)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(err.contains("does not appear in the logs"), "{err}");
    assert!(!dir.path().join("x.tar.gz").exists());
}

/// `vpnwatch bundle --user USER ARGS... -o OUT` in the crate root; the
/// bundle's files.
fn bundle_of(user: &str, args: &[&str], dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let out = dir.join("b.tar.gz");
    Command::cargo_bin("vpnwatch")
        .expect("binary is built")
        .current_dir(root())
        .args(["bundle", "--user", user, "-o"])
        .arg(&out)
        .args(args)
        .assert()
        .success();
    unpack(&out)
}

/// The user's failures as `scan --json --user USER ARGS...` counts them:
/// a bundle agrees with every other output.
fn scan_failures(user: &str, args: &[&str]) -> serde_json::Value {
    scan_user(user, args)["failures"].clone()
}

/// The user's row of `scan --json --user USER ARGS...` (null if none).
fn scan_user(user: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("vpnwatch")
        .expect("binary is built")
        .current_dir(root())
        .args(["scan", "--json", "--user", user])
        .args(args)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user"] == user)
        .cloned()
        .unwrap_or_default()
}

/// The lines a bundle's excerpt marks as the user's.
fn marked(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with('>')).collect()
}

#[test]
fn a_dart_export_is_read_as_records_and_its_failures_are_the_users() {
    // A DART export is collected from one person: its records rarely name
    // the user, and the bundle's user is theirs.
    let dir = tempfile::tempdir().unwrap();
    let files = bundle_of(
        "cmorales",
        &["tests/fixtures/formats/anyconnect-dart.txt"],
        dir.path(),
    );
    let text = file(&files, "1-anyconnect-dart.txt.log");
    let lines = marked(text);
    // The failed login's whole record (several lines) is marked, and its
    // last line carries the cause the engine gave it.
    assert!(
        lines
            .iter()
            .any(|l| l.contains("[bad_credentials]") || l.contains("[client_network]")),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.contains("Login failed")),
        "whole records are marked: {text}"
    );
    assert!(lines.len() > 5, "whole records are marked: {text}");
    let user: serde_json::Value = serde_json::from_str(file(&files, "user.json")).unwrap();
    assert!(user["failures"].as_u64() > Some(0), "{user}");
    assert_eq!(
        user["failures"],
        scan_failures("cmorales", &["tests/fixtures/formats/anyconnect-dart.txt"])
    );
}

#[test]
fn a_windows_event_xml_export_is_the_users() {
    let dir = tempfile::tempdir().unwrap();
    let files = bundle_of(
        "ann",
        &["tests/fixtures/formats/anyconnect-windows-wevtutil.xml"],
        dir.path(),
    );
    let text = file(&files, "1-anyconnect-windows-wevtutil.xml.log");
    let lines = marked(text);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("[bad_credentials]") && l.contains("<Event")),
        "{text}"
    );
    let user: serde_json::Value = serde_json::from_str(file(&files, "user.json")).unwrap();
    assert_eq!(user["user"], "ann");
    assert!(user["failures"].as_u64() > Some(0), "{user}");
    assert_eq!(
        user["failures"],
        scan_failures(
            "ann",
            &["tests/fixtures/formats/anyconnect-windows-wevtutil.xml"]
        )
    );
}

#[test]
fn a_segmented_ise_message_names_its_user_once_joined() {
    // The user name is cut across two segments of one ISE message,
    // interleaved with another message.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ise.log");
    let head = "<181>Nov 28 08:50:35 ise-psn-01 CISE_Failed_Attempts 0000004248 2";
    let other = "<181>Nov 28 08:50:36 ise-psn-01 CISE_Passed_Authentications 0000004249 1 0 2026-11-28 08:50:36.100000 +00:00 0000773180 5200 NOTICE Passed-Authentication: Authentication succeeded, UserName=apatel, Calling-Station-ID=203.0.113.71,";
    std::fs::write(
        &log,
        format!(
            "{head} 0 2026-11-28 08:50:35.667424 +00:00 0000773179 5400 NOTICE Failed-Attempt: Authentication failed, UserName=mk\n\
             {other}\n\
             {head} 1 owalski, Calling-Station-ID=198.51.100.77, FailureReason=24415 User authentication against Active Directory failed since user's account is locked out,\n"
        ),
    )
    .unwrap();
    let files = bundle_of("mkowalski", &["--auth", log.to_str().unwrap()], dir.path());
    let text = file(&files, "1-ise.log");
    let lines = marked(text);
    assert_eq!(lines.len(), 1, "{text}");
    assert!(lines[0].contains("owalski, Calling-Station-ID"), "{text}");
    assert!(
        !text.contains(">      2:"),
        "apatel's line is context: {text}"
    );
}

/// The sample logs read into a dashboard model through the file source, as
/// the dashboard reads them (their format detected, each batch with the
/// span of the file it came from).
async fn dashboard_of(paths: &[PathBuf]) -> vpnwatch::pipeline::Model {
    use vpnwatch::pipeline::{Model, SourceState};
    use vpnwatch::source::SourceMsg;
    use vpnwatch::source::file::{FileOptions, spawn_file};
    use vpnwatch::vocab::SourceId;
    let sources = paths
        .iter()
        .map(|p| {
            let name = p.display().to_string();
            match vpnwatch::app::detect_file_format(p).unwrap() {
                Some(format) => SourceState::with_format(name, format),
                None => SourceState::new(name, Family::Headend),
            }
        })
        .collect();
    let runbook = vpnwatch::runbook::parse(vpnwatch::runbook::DEFAULT_RUNBOOK).unwrap();
    // Few lines retained: most of them are read back from their files.
    let mut model = Model::new(sources, &runbook, 50, ParseContext::for_year(2026));
    for (i, path) in paths.iter().enumerate() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let opts = FileOptions {
            follow: false,
            batch_lines: 64,
            ..FileOptions::default()
        };
        let id = SourceId(i as u16);
        let task = spawn_file(id, path.clone(), opts, tx);
        while let Some(msg) = rx.recv().await {
            match msg {
                SourceMsg::Lines(id, batch) => model.ingest(id, &batch),
                SourceMsg::Notice(id, n) => model.notice(id, n),
            }
        }
        task.await.unwrap();
    }
    model
}

/// The `lines/` files of a bundle, by name.
fn excerpts(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, String> {
    files
        .iter()
        .filter_map(|(k, v)| {
            let (_, rest) = k.split_once('/')?;
            rest.starts_with("lines/")
                .then(|| (rest.to_string(), String::from_utf8_lossy(v).into_owned()))
        })
        .collect()
}

#[tokio::test]
async fn e_in_the_dashboard_bundles_the_same_lines_as_bundle_user() {
    use std::sync::atomic::AtomicBool;
    use vpnwatch::app::bundle::{FiledJob, write_filed};
    use vpnwatch::engine::UserKey;
    let logs = [HEADEND, CLIENT, "sample-logs/ise-auth.log"];
    let paths: Vec<PathBuf> = logs.iter().map(|l| root().join(l)).collect();
    let model = dashboard_of(&paths).await;
    let users: Vec<(UserKey, vpnwatch::engine::UserStats)> = model
        .incident
        .users()
        .filter(|(k, s)| matches!(k, UserKey::Named(_)) && s.failures > 0)
        .map(|(k, s)| (k.clone(), s.clone()))
        .collect();
    assert!(users.len() >= 5, "{} users", users.len());
    let dir = tempfile::tempdir().unwrap();
    for (user, stats) in users {
        let UserKey::Named(name) = &user else {
            continue;
        };
        let state = model.incident.state_of(&user, &stats);
        let mut job = FiledJob {
            lines: model.user_lines(&user),
            user: user.clone(),
            stats: Some(stats),
            checklist: model.checklist.clone(),
            context: 3,
            operator: "ana".into(),
            dir: dir.path().to_path_buf(),
            taken_at: jiff::Timestamp::now(),
            state,
            time_marks: model.incident.time_marks().clone(),
            named: vpnwatch::app::bundle::named_attempts(&model.incident, &user),
            max_line: vpnwatch::source::lines::DEFAULT_MAX_LINE,
            full_command: String::new(),
        };
        assert!(job.lines.complete(), "{name}: every filed line is readable");
        let written = write_filed(&mut job, &AtomicBool::new(false)).unwrap();
        let e_files = unpack(&written.path);
        let from_e = excerpts(&e_files);
        let whole_dir = tempfile::tempdir().unwrap();
        let whole_files = bundle_of(name, &logs, whole_dir.path());
        let from_bundle = excerpts(&whole_files);
        // Both READMEs state the one rule both applied.
        let whole_readme = file(&whole_files, "/README.txt");
        let rule_at = whole_readme.find("A line is the user's").unwrap();
        let rule = whole_readme[rule_at..].split("\n\n").next().unwrap().trim();
        assert!(
            file(&e_files, "/README.txt").contains(rule),
            "{name}: e's README does not state bundle's rule: {rule}"
        );
        assert_eq!(
            from_e.keys().collect::<Vec<_>>(),
            from_bundle.keys().collect::<Vec<_>>()
        );
        for (file, text) in &from_e {
            let whole = &from_bundle[file];
            let only = |a: &str, b: &str| -> Vec<String> {
                a.lines()
                    .filter(|l| !b.lines().any(|m| m == *l))
                    .map(|l| l.chars().take(110).collect())
                    .collect()
            };
            assert!(
                text == whole,
                "{name} {file}: e and bundle --user differ\nonly e: {:#?}\nonly bundle: {:#?}",
                only(text, whole),
                only(whole, text)
            );
        }
        assert!(
            from_e.values().any(|text| !marked(text).is_empty()),
            "{name}: no line bundled"
        );
    }
}

/// The README is read with `cat` in a terminal: a user name carrying an
/// escape sequence is shown as the panes show it, never sent raw, while the
/// user's lines keep their bytes (they are the evidence).
#[test]
fn the_readme_never_carries_a_raw_escape_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("esc.log");
    std::fs::write(
        &log,
        "<166>Dec 05 2026 10:00:00 fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = ev\x1b[2Jil : user IP = 192.0.2.1\n",
    )
    .unwrap();
    let files = bundle_of("ev\x1b[2Jil", &[log.to_str().unwrap()], dir.path());
    let readme = file(&files, "README.txt");
    assert!(
        !readme.contains('\x1b'),
        "raw ESC in the README: {readme:?}"
    );
    assert!(readme.contains("ev⟦ESC[2J⟧il"), "{readme}");
    let lines = files
        .iter()
        .find(|(k, _)| k.contains("/lines/"))
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(
        lines.windows(4).any(|w| w == b"\x1b[2J"),
        "the evidence keeps its bytes"
    );
}

/// A debug trace names its user once, on an early line of its session;
/// the directory's answer on a later line of that session is the user's
/// too (the engine files it under the user, the drill-down and the
/// dashboard's bundle show it): `bundle --user` marks it, with the
/// answer's cause.
#[test]
fn a_debug_traces_answer_is_the_users_in_the_bundle_as_on_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let files = bundle_of(
        "mkowalski",
        &[
            "sample-logs/asa-headend.log",
            "sample-logs/asa-debug-trace.log",
        ],
        dir.path(),
    );
    let trace = file(&files, "asa-debug-trace.log");
    let marks = marked(trace);
    for line in ["13:", "14: [account_locked]", "15:", "16:"] {
        assert!(
            marks
                .iter()
                .any(|m| m.trim_start_matches('>').trim_start().starts_with(line)),
            "{line} not marked: {trace}"
        );
    }
}
