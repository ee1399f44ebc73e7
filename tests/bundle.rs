//! Evidence bundles from the sample incident: what is inside, and that a
//! redacted bundle leaks no user name, IP or host name anywhere.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use regex::Regex;
use vpnwatch::parse::{self, Family, ParseContext};

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
    let ctx = ParseContext { default_year: 2026 };
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

#[test]
fn hidden_users_are_bundled_by_client_ip_and_unknown_users_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hidden.tar.gz");
    bundle(&["--user", "192.0.2.147"], &out);
    let files = unpack(&out);
    let user: serde_json::Value = serde_json::from_str(file(&files, "user.json")).unwrap();
    assert_eq!(user["hidden"], true);
    assert_eq!(user["state"], "unknown");

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
