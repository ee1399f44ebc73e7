//! Every supported log format end to end: a fixture file per format (our own
//! invented lines, `tests/fixtures/formats/`) is detected as its format,
//! joined into records by the assembler in the format's record mode, and
//! parsed into the expected failures and successes. Also: an ASA log is
//! never taken for anything else.

use std::path::PathBuf;

use vpnwatch::parse::formats::{Format, detect_format, parse_record};
use vpnwatch::parse::records::RecordAssembler;
use vpnwatch::parse::{ParseContext, client};
use vpnwatch::vocab::{Event, Family, Outcome};

mod common;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    vpnwatch::parse::formats::decode_text(&bytes).into_owned()
}

fn ctx() -> ParseContext {
    ParseContext::for_year(2026)
}

/// All records of a text in a format, as the ingest path would form them.
fn records(format: Format, text: &str) -> Vec<String> {
    let mut asm = RecordAssembler::new(format.record_mode());
    let mut out = Vec::new();
    for line in text.lines() {
        asm.feed(line, |r| out.push(r.to_owned()));
    }
    asm.finish_all(|r| out.push(r.to_owned()));
    assert_eq!(asm.dropped().records, 0, "{format}: records dropped");
    out
}

/// `outcome cause user client_ip` for each failure and success, in order.
fn summary(e: &Event<'_>) -> String {
    format!(
        "{} {} {} {}",
        e.outcome.as_str(),
        e.cause.map_or("-", |c| c.id()),
        e.user.unwrap_or("-"),
        e.client_ip.unwrap_or("-"),
    )
}

struct Case {
    file: &'static str,
    format: Format,
    /// Records that are not events (headers, other event ids).
    unrecognised: usize,
    /// `summary` of every failure and success.
    expect: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        file: "asa.log",
        format: Format::AsaSyslog,
        unrecognised: 0,
        expect: &[
            "failure bad_credentials ***** 203.0.113.57",
            "failure bad_credentials tbrennan 203.0.113.57",
            "success - apatel -",
        ],
    },
    Case {
        file: "anyconnect-syslog.log",
        format: Format::AnyConnectSyslog,
        unrecognised: 0,
        expect: &[
            "failure bad_credentials - -",
            "failure client_network - -",
            "failure client_network - -",
            "success - - -",
        ],
    },
    Case {
        file: "anyconnect-windows-wevtutil.xml",
        format: Format::AnyConnectWindowsXml,
        unrecognised: 0,
        expect: &[
            "failure bad_credentials - -",
            "failure certificate - -",
            "success - - -",
        ],
    },
    Case {
        file: "anyconnect-windows-saved.xml",
        format: Format::AnyConnectWindowsXml,
        unrecognised: 0,
        expect: &["failure token_required - -"],
    },
    Case {
        file: "anyconnect-windows.csv",
        format: Format::AnyConnectWindowsCsv,
        unrecognised: 1,
        expect: &[
            "failure client_network - -",
            "failure client_network - -",
            "failure bad_credentials - -",
            "success - - -",
        ],
    },
    Case {
        file: "anyconnect-windows.txt",
        format: Format::AnyConnectWindowsText,
        unrecognised: 1,
        // The certificate store finding no client certificate is context:
        // the message to the user states the failure.
        expect: &["failure certificate - -", "failure certificate - -"],
    },
    Case {
        file: "anyconnect-cli.txt",
        format: Format::AnyConnectCli,
        // Four blank lines and the password prompt.
        unrecognised: 5,
        expect: &[
            "failure bad_credentials - -",
            "failure other - -",
            "failure client_network - -",
            "success - - -",
        ],
    },
    Case {
        file: "anyconnect-dart.txt",
        format: Format::Dart,
        unrecognised: 0,
        expect: &[
            "failure bad_credentials - -",
            "failure client_network - -",
            "success - - -",
        ],
    },
    Case {
        file: "windows-security-wevtutil.xml",
        format: Format::WindowsSecurityXml,
        unrecognised: 0,
        expect: &[
            "failure bad_credentials ewright 192.0.2.20",
            "failure account_locked mkowalski -",
            "failure account_locked mkowalski -",
            "failure password_expired lfischer 192.0.2.21",
            "failure bad_credentials spereira 198.51.100.23",
            "failure account_locked spereira 198.51.100.23",
            "success - apatel 203.0.113.71",
            // 4624, a logon (read since JSON shippers brought it in).
            "success - apatel -",
        ],
    },
    Case {
        file: "windows-security.csv",
        format: Format::WindowsSecurityCsv,
        unrecognised: 1,
        expect: &[
            "failure password_expired gtanaka 192.0.2.20",
            "failure account_locked dokafor -",
            "failure bad_credentials cmorales 192.0.2.22",
            "failure authorization_denied tbrennan 203.0.113.57",
            "success - apatel 203.0.113.71",
        ],
    },
    Case {
        file: "windows-security.txt",
        format: Format::WindowsSecurityText,
        unrecognised: 1,
        expect: &[
            "failure password_expired gtanaka 192.0.2.20",
            "failure account_locked dokafor -",
            "failure bad_credentials cmorales 192.0.2.22",
            "failure authorization_denied tbrennan 203.0.113.57",
            "success - apatel 203.0.113.71",
        ],
    },
    Case {
        file: "nps-dts.log",
        format: Format::Nps,
        unrecognised: 0,
        expect: &[
            "failure bad_credentials dokafor 203.0.113.88",
            "failure account_locked dokafor 203.0.113.88",
            "success - apatel 203.0.113.71",
            "failure unknown_user ghost 198.51.100.99",
        ],
    },
    Case {
        file: "cisco-ise.log",
        format: Format::Ise,
        unrecognised: 0,
        expect: &[
            "failure account_locked dokafor 203.0.113.88",
            "success - apatel 203.0.113.71",
            "failure token_required tbrennan 203.0.113.57",
            "failure unknown_user jsmiht 198.51.100.14",
        ],
    },
    Case {
        file: "asa-debug-trace.txt",
        format: Format::AsaDebugTrace,
        // The indented lines of an `LDAP Search:` block carry no session,
        // but are trace lines all the same.
        unrecognised: 0,
        // The lines that say why name no user; the engine ties them to the
        // user their session named (tests/debug_trace.rs).
        expect: &["failure bad_credentials - -", "failure token_required - -"],
    },
    Case {
        file: "freeradius-radius.log",
        format: Format::FreeRadius,
        unrecognised: 0,
        expect: &[
            "failure bad_credentials ewright 198.51.100.77",
            "failure account_locked mkowalski 203.0.113.4",
            "success - apatel 203.0.113.71",
            "failure unknown_user jsmiht 198.51.100.14",
            "failure bad_credentials spereira 198.51.100.23",
        ],
    },
];

#[test]
fn every_format_has_a_fixture() {
    for f in Format::ALL {
        // JSON envelopes are unwrapped by the record reader, not by
        // `parse_record`: their fixtures are read through the binary in
        // tests/siem.rs.
        if f.record_mode() == vpnwatch::parse::records::RecordMode::Json {
            continue;
        }
        assert!(
            CASES.iter().any(|c| c.format == f),
            "no fixture for {}",
            f.name()
        );
    }
}

#[test]
fn fixtures_are_detected_as_their_format() {
    for case in CASES {
        let text = fixture(case.file);
        let lines: Vec<&str> = text.lines().take(200).collect();
        assert_eq!(detect_format(&lines), Some(case.format), "{}", case.file);
        // Only the first few lines, as a tail that has just started would see.
        let few = &lines[..lines.len().min(8)];
        assert_eq!(
            detect_format(few),
            Some(case.format),
            "{} (8 lines)",
            case.file
        );
    }
}

#[test]
fn fixtures_parse_to_the_expected_events() {
    for case in CASES {
        let text = fixture(case.file);
        let recs = records(case.format, &text);
        let mut got = Vec::new();
        let mut unrecognised = 0;
        for r in &recs {
            match parse_record(case.format, r, &ctx()) {
                Some(e) => {
                    assert_eq!(e.family, case.format.family(), "{}: {r}", case.file);
                    if e.outcome == Outcome::Failure {
                        assert!(
                            e.cause.is_some(),
                            "{}: failure without cause: {r}",
                            case.file
                        );
                    } else {
                        assert!(
                            e.cause.is_none(),
                            "{}: cause on non-failure: {r}",
                            case.file
                        );
                    }
                    // The command-line client's transcript has no times.
                    if e.family != Family::Headend && case.format != Format::AnyConnectCli {
                        assert!(e.ts.is_some(), "{}: no time: {r}", case.file);
                    }
                    if matches!(e.outcome, Outcome::Failure | Outcome::Success) {
                        got.push(summary(&e));
                    }
                }
                None => unrecognised += 1,
            }
        }
        assert_eq!(got, case.expect, "{}", case.file);
        assert_eq!(
            unrecognised, case.unrecognised,
            "{}: unrecognised records",
            case.file
        );
    }
}

#[test]
fn client_records_carry_the_user_and_symbol() {
    let text = fixture("anyconnect-dart.txt");
    let recs = records(Format::Dart, &text);
    let events: Vec<_> = recs
        .iter()
        .filter_map(|r| parse_record(Format::Dart, r, &ctx()))
        .collect();
    assert!(events.iter().any(|e| e.user == Some("cmorales")));
    assert!(
        events
            .iter()
            .any(|e| e.msg_id == Some("GLOBAL_ERROR_UNEXPECTED"))
    );
    let text = fixture("anyconnect-windows.csv");
    let recs = records(Format::AnyConnectWindowsCsv, &text);
    let e = recs
        .iter()
        .filter_map(|r| parse_record(Format::AnyConnectWindowsCsv, r, &ctx()))
        .find(|e| e.msg_id == Some("CTRANSPORT_ERROR_TIMEOUT"))
        .expect("the multi-line Function record");
    assert_eq!(e.ts, Some("2026-11-28T08:45:06Z".parse().unwrap()));
}

#[test]
fn ise_segments_are_joined_before_parsing() {
    let text = fixture("cisco-ise.log");
    // Line by line, the token failure's reason is in a segment of its own.
    let seg0 = text
        .lines()
        .find(|l| l.contains("0000512011 3 0"))
        .expect("segment 0");
    let alone = parse_record(Format::Ise, seg0, &ctx()).expect("segment 0 parses");
    assert_eq!(alone.cause.map(|c| c.id()), Some("other"));
    let recs = records(Format::Ise, &text);
    assert_eq!(recs.len(), text.lines().count() - 3);
    let joined = recs
        .iter()
        .find(|r| r.contains("0000512011 3 0"))
        .expect("joined message");
    assert!(joined.contains("FailureReason=24514"));
    assert!(joined.contains("NetworkDeviceGroups=Location#All Locations#HQ"));
}

#[test]
fn rsyslog_repeats_expand() {
    let text = fixture("anyconnect-syslog.log");
    let mut failures = 0;
    for line in text.lines() {
        let n = client::repeated(line).map_or(1, |(n, _)| n);
        if let Some(e) = parse_record(Format::AnyConnectSyslog, line, &ctx())
            && e.outcome == Outcome::Failure
        {
            failures += n;
        }
    }
    assert_eq!(failures, 5);
}

// ---- the headend always wins ----

fn sample_headend() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-logs/asa-headend.log");
    std::fs::read_to_string(path).expect("sample-logs/asa-headend.log")
}

#[test]
fn sample_headend_is_asa() {
    let text = sample_headend();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        detect_format(&lines[..200.min(lines.len())]),
        Some(Format::AsaSyslog)
    );
    // Any window of it, and every single line.
    for chunk in lines.chunks(50) {
        assert_eq!(detect_format(chunk), Some(Format::AsaSyslog));
    }
    for line in &lines {
        assert_eq!(detect_format(&[line]), Some(Format::AsaSyslog), "{line}");
    }
}

#[test]
fn sample_client_log_is_anyconnect_syslog() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-logs/anyconnect-client.log");
    let text = std::fs::read_to_string(path).expect("sample-logs/anyconnect-client.log");
    let lines: Vec<&str> = text.lines().take(200).collect();
    assert_eq!(detect_format(&lines), Some(Format::AnyConnectSyslog));
}

#[test]
fn asa_wins_ties_with_other_formats() {
    let asa_lines: Vec<String> = sample_headend()
        .lines()
        .take(5)
        .map(str::to_owned)
        .collect();
    for case in CASES.iter().filter(|c| c.format != Format::AsaSyslog) {
        let text = fixture(case.file);
        let other: Vec<&str> = text.lines().take(5).collect();
        let mut mixed: Vec<&str> = asa_lines.iter().map(String::as_str).collect();
        mixed.extend(other.iter().take(asa_lines.len()));
        assert_eq!(
            detect_format(&mixed),
            Some(Format::AsaSyslog),
            "{}",
            case.file
        );
    }
}

/// Every ASA / FTD line in the crate's own tests (the ASA parser's unit
/// tests and the integration tests) is detected as ASA, never as a client or
/// auth-server log.
#[test]
fn asa_lines_of_existing_tests_are_never_other_formats() {
    let sources = [
        include_str!("../src/parse/asa/mod.rs"),
        include_str!("../src/parse/asa/header.rs"),
        include_str!("../src/parse/asa/catalogue.rs"),
        include_str!("../src/parse/asa/extract/tests.rs"),
        include_str!("dashboard.rs"),
        include_str!("syslog.rs"),
    ];
    let mut checked = 0;
    for src in sources {
        for src_line in src.lines() {
            if !(src_line.contains("%ASA-") || src_line.contains("%FTD-")) {
                continue;
            }
            let (Some(open), Some(close)) = (src_line.find('"'), src_line.rfind('"')) else {
                continue;
            };
            let Some(lit) = src_line.get(open + 1..close) else {
                continue;
            };
            let line = lit.replace("\\\"", "\"").replace("\\\\", "\\");
            if let Some(f) = detect_format(&[&line]) {
                assert_eq!(f, Format::AsaSyslog, "{line}");
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} ASA lines found");
}

/// Corpus files whose first lines are detected as ASA syslog: all 12 but
/// `test-invalid-data.log`, the corpus's negative test (foreign tags, no
/// tag, truncated headers), which is detected as nothing.
const CORPUS_ASA_FILES: usize = 11;

/// The public ASA corpus, read in place beside the checkout. Detection never
/// names another format for a corpus line, and names ASA for exactly the
/// expected number of files, so a detector that returns nothing fails.
#[test]
fn asa_corpus_is_asa() {
    let Some(dir) = common::need::corpus_dir() else {
        return;
    };
    let mut files = 0;
    let mut detected_asa = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("corpus directory readable") {
        let path = entry.expect("corpus directory entry").path();
        if path.extension().is_none_or(|e| e != "log") {
            continue;
        }
        files += 1;
        let bytes = std::fs::read(&path).expect("corpus file readable");
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text.lines().collect();
        for line in &lines {
            if let Some(f) = detect_format(&[line]) {
                assert_eq!(f, Format::AsaSyslog, "{}: {line}", path.display());
            }
        }
        match detect_format(&lines[..lines.len().min(200)]) {
            Some(Format::AsaSyslog) => detected_asa.push(path),
            Some(f) => panic!("{}: detected as {f:?}", path.display()),
            None => {}
        }
    }
    assert_eq!(files, 12, "the corpus's 12 log files in {}", dir.display());
    assert_eq!(detected_asa.len(), CORPUS_ASA_FILES, "{detected_asa:#?}");
}

// ---- robustness ----

#[test]
fn garbage_and_truncated_records_never_panic() {
    let ctx = ctx();
    for case in CASES {
        let text = fixture(case.file);
        // Every prefix and suffix of every record, in every format's parser.
        for r in records(case.format, &text).iter().take(4) {
            let cuts: Vec<usize> = r.char_indices().map(|(i, _)| i).step_by(7).collect();
            for &i in &cuts {
                for part in [&r[..i], &r[i..]] {
                    for f in Format::ALL {
                        let _ = parse_record(f, part, &ctx);
                    }
                }
            }
        }
        // Truncated files through the assembler.
        for cut in (0..text.len()).step_by(97) {
            if let Some(t) = text.get(..cut) {
                let mut asm = RecordAssembler::new(case.format.record_mode());
                for line in t.lines() {
                    asm.feed(line, |r| {
                        let _ = parse_record(case.format, r, &ctx);
                    });
                }
                asm.finish_all(|r| {
                    let _ = parse_record(case.format, r, &ctx);
                });
            }
        }
    }
    let alphabet = b"<>/=\"' \n\t,:*[]()0123456789abcEventDataCISE_ Auth: Login x";
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..2000 {
        let bytes: Vec<u8> = (0..(x % 200))
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                alphabet[(x as usize) % alphabet.len()]
            })
            .collect();
        let s = String::from_utf8_lossy(&bytes);
        for f in Format::ALL {
            if let Some(e) = parse_record(f, &s, &ctx)
                && e.outcome == Outcome::Failure
            {
                assert!(e.cause.is_some());
            }
        }
        let _ = detect_format(&[&s]);
    }
}
