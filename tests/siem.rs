//! Logs from where they live: exports and query answers of log stores
//! (Elastic/OpenSearch, Splunk, Graylog, Loki), shippers' JSON (journald,
//! Fluent Bit, Vector) and Windows events as NXLog and Winlogbeat write them,
//! read end to end through the binary from fixtures written from each
//! vendor's documented field layout (`tests/fixtures/siem/README.md`).

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use vpnwatch::parse::formats::Format;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn vpnwatch(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vpnwatch"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "vpnwatch {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `vpnwatch events` records (cause updates left out).
fn events(paths: &[PathBuf]) -> Vec<Value> {
    let mut args = vec!["events".to_string()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    vpnwatch(&args)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e.get("update").is_none())
        .collect()
}

/// `msg_id outcome cause user host ts ts_from` of one event.
fn summary(e: &Value) -> String {
    let s = |k: &str| match &e[k] {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    };
    format!(
        "{} {} {} {} {} {} {}",
        s("msg_id"),
        s("outcome"),
        s("cause"),
        s("user"),
        s("host"),
        s("ts"),
        s("ts_from")
    )
}

const HEADEND_STORES: [&str; 7] = [
    "siem/elastic-search.json",
    "siem/splunk-export.jsonl",
    "siem/graylog.jsonl",
    "siem/loki-logcli.jsonl",
    "siem/loki-query-range.json",
    "siem/fluentbit.jsonl",
    "siem/vector.jsonl",
];

#[test]
fn every_store_export_reads_as_the_headend_lines_inside() {
    for name in HEADEND_STORES {
        let path = fixture(name);
        assert_eq!(
            vpnwatch::app::detect_file_format(&path).unwrap(),
            Some(Format::JsonHeadend),
            "{name}"
        );
        let got: Vec<String> = events(&[path]).iter().map(summary).collect();
        // The second line's header was stripped by the collector: the
        // envelope's time and host stand in, and say so.
        let bo_from = "envelope";
        let cy_from = if name.contains("graylog") {
            "envelope"
        } else {
            "-"
        };
        assert_eq!(
            got,
            [
                "113005 failure bad_credentials ann vpn-asa-01 2026-11-28T08:41:07Z -".to_string(),
                format!(
                    "113005 failure bad_credentials bo vpn-asa-01 2026-11-28T08:41:09Z {bo_from}"
                ),
                format!("113039 success - cy vpn-asa-01 2026-11-28T08:41:12Z {cy_from}"),
            ],
            "{name}"
        );
    }
}

#[test]
fn a_record_with_nothing_to_read_is_counted_not_dropped() {
    let out = vpnwatch(&[
        "scan",
        "--json",
        &fixture("siem/vector.jsonl").display().to_string(),
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let text = v.to_string();
    // Four records, three recognised: the metrics record is unparsed.
    assert!(text.contains("\"recognised\":3"), "{text}");
    assert!(text.contains("\"lines\":4"), "{text}");
}

#[test]
fn journald_json_reads_as_a_client_log() {
    let path = fixture("siem/journald.jsonl");
    assert_eq!(
        vpnwatch::app::detect_file_format(&path).unwrap(),
        Some(Format::JsonClient)
    );
    let got = events(&[path]);
    let failure = got
        .iter()
        .find(|e| e["outcome"] == "failure")
        .expect("the login failure");
    assert_eq!(failure["family"], "client");
    assert_eq!(failure["host"], "lt-0042");
    assert_eq!(failure["ts"], "2026-11-28T08:41:07Z");
}

#[test]
fn nxlog_windows_and_nps_events_map_to_the_xml_paths_causes() {
    let path = fixture("siem/nxlog-security.jsonl");
    assert_eq!(
        vpnwatch::app::detect_file_format(&path).unwrap(),
        Some(Format::JsonAuth)
    );
    let got: Vec<String> = events(&[path]).iter().map(summary).collect();
    let want = [
        "4740 failure account_locked ann dc01.corp.example 2026-12-01T10:00:00Z -",
        "4625 failure unknown_user bob dc01.corp.example 2026-12-01T10:05:00Z -",
        "4624 success - cy dc01.corp.example 2026-12-01T10:06:00Z -",
        "4771 failure password_expired di dc01.corp.example 2026-12-01T10:07:00Z -",
        "4776 failure account_locked ed dc01.corp.example 2026-12-01T10:08:00Z -",
        "4768 failure account_disabled fay dc01.corp.example 2026-12-01T10:09:00Z -",
        "6272 success - gus nps01.corp.example 2026-12-01T10:10:00Z -",
        "6273 failure bad_credentials hal nps01.corp.example 2026-12-01T10:11:00Z -",
        "6274 failure aaa_unreachable ivy nps01.corp.example 2026-12-01T10:12:00Z -",
        "6276 info - jo nps01.corp.example 2026-12-01T10:13:00Z -",
        "6279 failure account_locked kim nps01.corp.example 2026-12-01T10:14:00Z -",
    ];
    assert_eq!(got, want);
}

#[test]
fn structured_windows_events_join_headend_attempts_as_the_xml_form_does() {
    let headend = fixture("join/headend.log");
    let causes = |auth: &str| -> Vec<String> {
        events(&[headend.clone(), fixture(auth)])
            .iter()
            .filter(|e| e["msg_id"] == "113005")
            .map(|e| format!("{} {} {}", e["user"], e["cause"], e["attempt"]))
            .collect()
    };
    let xml = causes("siem/windows-security.xml");
    assert_eq!(
        xml,
        [
            r#""ann" "account_locked" true"#,
            r#""bob" "unknown_user" true"#
        ]
    );
    assert_eq!(causes("siem/nxlog-security.jsonl"), xml);
    assert_eq!(causes("siem/winlogbeat-security.jsonl"), xml);
}

#[test]
fn headerless_radius_and_ise_bodies_in_a_shippers_json() {
    let got: Vec<String> = events(&[fixture("siem/auth-bodies.jsonl")])
        .iter()
        .map(summary)
        .collect();
    assert_eq!(
        got,
        [
            "- failure account_locked mo radius01 2026-12-01T10:20:00Z envelope",
            "- failure unknown_user nia radius01 2026-12-01T10:21:00Z envelope",
            "5400 failure bad_credentials ota ise-psn01 2026-12-01T10:22:00.1Z -",
        ]
    );
}

#[test]
fn json_field_picks_another_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custom.jsonl");
    std::fs::write(
        &path,
        r#"{"payload":{"text":"<166>Nov 28 2026 08:41:07 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.10 : user = ann : user IP = 203.0.113.11"},"message":"a summary line"}
"#,
    )
    .unwrap();
    let p = path.display().to_string();
    // Without the field, the summary line is no log line: nothing is
    // printed and, nothing recognised, the command fails.
    let plain = Command::new(env!("CARGO_BIN_EXE_vpnwatch"))
        .args(["events", &p])
        .output()
        .unwrap();
    assert!(plain.stdout.is_empty());
    assert_eq!(plain.status.code(), Some(1));
    let picked = vpnwatch(&["events", "--json-field", "payload.text", &p]);
    assert!(picked.contains(r#""user":"ann""#), "{picked}");
}

#[test]
fn a_json_stream_on_stdin_is_read_as_envelopes() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_vpnwatch"))
        .args(["events", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let body = std::fs::read(fixture("siem/splunk-export.jsonl")).unwrap();
    child.stdin.take().unwrap().write_all(&body).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches(r#""msg_id":"113005""#).count(), 2, "{text}");
}

#[test]
fn formats_lists_the_json_forms_with_an_example_each() {
    let out = vpnwatch(&["formats"]);
    for needle in [
        "json-headend",
        "json-client",
        "json-auth",
        "Elastic/OpenSearch _search",
        "Splunk export",
        "Graylog",
        "logcli --output=jsonl",
        "Loki query API",
        "Fluent Bit / Vector",
        "journalctl -o json",
        "Winlogbeat",
    ] {
        assert!(
            out.contains(needle),
            "{needle} missing from `vpnwatch formats`"
        );
    }
}

/// Segmented ISE messages (`CISE_… msgId total segNo`) that arrive each in
/// an envelope of its own are joined as in a plain ISE log: in order, out
/// of order and interleaved with other messages; a message whose segments
/// never all arrive is counted, not lost silently.
#[test]
fn ise_segments_inside_json_envelopes_are_joined() {
    let path = fixture("siem/ise-segments.jsonl");
    let got: Vec<String> = events(std::slice::from_ref(&path))
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {}",
                summary(e),
                e["client_ip"].as_str().unwrap_or("-"),
                e["line"],
                e["reason"].as_str().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "5400 failure account_locked pia ise-psn02 2026-12-01T11:05:00.2Z - 198.51.100.61 2 24415 User authentication against Active Directory failed since user's account is locked out",
            "5400 failure bad_credentials rae ise-psn02 2026-12-01T11:06:01Z - 198.51.100.63 5 24408 User authentication against Active Directory failed since user has entered the wrong password",
            "5400 failure unknown_user quill ise-psn02 2026-12-01T11:06:00.29Z - 198.51.100.62 6 24412 User not found in Active Directory",
        ]
    );
    let out = Command::new(env!("CARGO_BIN_EXE_vpnwatch"))
        .args(["scan", "--json", &path.display().to_string()])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"][0]["lines"], 7, "{v}");
    assert_eq!(v["files"][0]["recognised"], 3, "{v}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ise-segments.jsonl: 1 multi-line records incomplete"),
        "the lone first segment of message 504 is counted: {stderr}"
    );
}

/// `scan`, `report` and `bundle` mark the times a JSON record gave a line whose
/// header was removed (`~`, `envelope`), and leave the lines' own alone.
#[test]
fn report_and_bundle_mark_times_that_are_not_the_lines_own() {
    let path = fixture("siem/graylog.jsonl").display().to_string();
    let journal = fixture("journal/sample-incident.jsonl")
        .display()
        .to_string();
    let md = vpnwatch(&["report", "--journal", &journal, &path]);
    assert!(
        md.contains(
            "| bo | ✖ failing | 1 | 0 | bad_credentials 1 | 203.0.113.12 | 2026-11-28 08:41:09\\~ |"
        ),
        "{md}"
    );
    assert!(
        md.contains(
            "| ann | ✖ failing | 1 | 0 | bad_credentials 1 | 203.0.113.11 | 2026-11-28 08:41:07 |"
        ),
        "{md}"
    );
    assert!(
        md.contains("First failure 2026-11-28 08:41:07 UTC;"),
        "{md}"
    );
    assert!(
        md.contains("Times marked `~` are a JSON record's time"),
        "{md}"
    );
    assert!(
        md.contains("| 2026-11-28 08:41:09\\~ | log | last failed login in the logs |"),
        "{md}"
    );

    let table = vpnwatch(&["scan", &path]);
    assert!(
        table.contains(
            "bo         1       0  bad_credentials       ✖ failing    2026-11-28T08:41:09Z~\n"
        ),
        "{table}"
    );
    assert!(
        table.contains(
            "ann        1       0  bad_credentials       ✖ failing    2026-11-28T08:41:07Z\n"
        ),
        "{table}"
    );
    assert!(
        table.contains("Times marked ~ are a JSON record's time"),
        "{table}"
    );
    let scan: Value = serde_json::from_str(&vpnwatch(&["scan", "--json", &path])).unwrap();
    let times_from: Vec<String> = scan["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| format!("{} {}", u["user"], u["times_from"]))
        .collect();
    assert_eq!(
        times_from,
        [
            r#""bo" {"first_failure":"envelope","last_failure":"envelope","last_seen":"envelope"}"#,
            r#""ann" {}"#,
            r#""cy" {"last_seen":"envelope","last_success":"envelope"}"#,
        ]
    );

    let dir = tempfile::tempdir().unwrap();
    let user_json = |user: &str| -> Value {
        let out = dir.path().join(format!("{user}.tar.gz"));
        vpnwatch(&[
            "bundle",
            "--user",
            user,
            "-o",
            &out.display().to_string(),
            &path,
        ]);
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(
            std::fs::File::open(&out).unwrap(),
        ));
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            if entry.path().unwrap().ends_with("user.json") {
                return serde_json::from_reader(&mut entry).unwrap();
            }
        }
        panic!("no user.json for {user}");
    };
    assert_eq!(
        user_json("bo")["times_from"],
        serde_json::json!({"first_failure": "envelope", "last_failure": "envelope", "last_seen": "envelope"})
    );
    assert_eq!(user_json("ann")["times_from"], serde_json::json!({}));
}
