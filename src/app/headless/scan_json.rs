//! `scan --json` written out: byte for byte what [`write_pretty`] writes of
//! a [`ScanReport`], with the users' lines written directly rather than
//! through serde.
//!
//! The users' lines are nearly all of the document (2.8 MB for the 4,800
//! users of a 2 M-line log), written after the whole file is read, on one
//! core, while the reader of the output waits. Through serde each key and
//! value is its own round of calls into the formatter, and every key is
//! scanned for bytes to escape like any other string: 37 M instructions,
//! about 3.5 ms. Here a line's keys are constants with their indents and
//! numbers go through `itoa`: 17 M (BENCHMARKS.md, §16.25), and times
//! through jiff's printer, whose text is what their serde form is: 15 M
//! (§16.26). Values with a name of their own (a cause, a state) still go
//! through serde, so that no name is spelled twice. The rest of the
//! document goes through serde as before.
//!
//! The derived `Serialize` of [`ScanReport`] stays the definition: the
//! tests check this writer against it (whole documents and random users).
//!
//! [`write_pretty`]: super::write_pretty

use std::io::{self, Write};

use jiff::Timestamp;
use jiff::fmt::temporal::DateTimePrinter;
use serde::Serialize;

use super::pretty::{write_lead, write_pretty_at};
use super::scan_report::{ScanReport, UserReport};

/// Writes `report` as `write_pretty` would (no line break at the end).
pub fn write_scan_json<W: Write>(out: &mut W, report: &ScanReport) -> io::Result<()> {
    // Destructured in full: a field added to the report must be added here
    // (and the tests compare the two writers).
    let ScanReport {
        users,
        aaa_servers,
        aaa_groups,
        scope,
        management,
        totals,
        files,
        warnings,
        join_warning,
    } = report;
    out.write_all(b"{\n  \"users\": ")?;
    write_users(out, users.iter())?;
    field(out, "aaa_servers", aaa_servers)?;
    field(out, "aaa_groups", aaa_groups)?;
    field(out, "scope", scope)?;
    field(out, "management", management)?;
    field(out, "totals", totals)?;
    field(out, "files", files)?;
    field(out, "warnings", warnings)?;
    if let Some(w) = join_warning {
        field(out, "join_warning", w)?;
    }
    out.write_all(b"\n}")
}

/// A field of the document after the first, through serde.
fn field<W: Write, T: Serialize + ?Sized>(out: &mut W, key: &str, value: &T) -> io::Result<()> {
    out.write_all(b",\n  ")?;
    write_str(out, key)?;
    out.write_all(b": ")?;
    write_pretty_at(&mut *out, value, 1)
}

/// The users' array (see [`super::scan_report::UserRows`]), one level in.
fn write_users<'a, W: Write>(
    out: &mut W,
    users: impl Iterator<Item = UserReport<'a>>,
) -> io::Result<()> {
    list(out, 1, *b"[]", users, |out, user| write_user(out, &user))
}

/// One user's line, two levels in: its fields three levels in.
fn write_user<W: Write>(out: &mut W, u: &UserReport) -> io::Result<()> {
    // Destructured in full, as above.
    let UserReport {
        user,
        hidden,
        spray,
        failures,
        successes,
        causes,
        last_cause,
        last_reason,
        auth_reason,
        client_ips,
        first_failure,
        last_failure,
        last_seen,
        times_from,
        state,
        sessions,
        windows,
    } = u;
    let mut n = itoa::Buffer::new();
    out.write_all(b"{\n      \"user\": ")?;
    write_str(out, user)?;
    out.write_all(b",\n      \"hidden\": ")?;
    out.write_all(bool_text(*hidden))?;
    out.write_all(b",\n      \"spray\": ")?;
    out.write_all(bool_text(*spray))?;
    out.write_all(b",\n      \"failures\": ")?;
    out.write_all(n.format(*failures).as_bytes())?;
    out.write_all(b",\n      \"successes\": ")?;
    out.write_all(n.format(*successes).as_bytes())?;
    out.write_all(b",\n      \"causes\": ")?;
    list(out, 3, *b"{}", causes.iter(), |out, (cause, count)| {
        named(out, cause)?;
        out.write_all(b": ")?;
        out.write_all(n.format(*count).as_bytes())
    })?;
    out.write_all(b",\n      \"last_cause\": ")?;
    named(out, last_cause)?;
    out.write_all(b",\n      \"last_reason\": ")?;
    write_opt_str(out, *last_reason)?;
    out.write_all(b",\n      \"auth_reason\": ")?;
    write_opt_str(out, *auth_reason)?;
    out.write_all(b",\n      \"client_ips\": ")?;
    list(out, 3, *b"[]", client_ips.iter(), |out, ip| {
        write_str(out, ip)
    })?;
    out.write_all(b",\n      \"first_failure\": ")?;
    write_time(out, *first_failure)?;
    out.write_all(b",\n      \"last_failure\": ")?;
    write_time(out, *last_failure)?;
    out.write_all(b",\n      \"last_seen\": ")?;
    write_time(out, *last_seen)?;
    out.write_all(b",\n      \"times_from\": ")?;
    list(out, 3, *b"{}", times_from.iter(), |out, (field, from)| {
        write_str(out, field)?;
        out.write_all(b": ")?;
        named(out, from)
    })?;
    out.write_all(b",\n      \"state\": ")?;
    named(out, state)?;
    out.write_all(b",\n      \"sessions\": {\n        \"up\": ")?;
    out.write_all(n.format(sessions.up).as_bytes())?;
    out.write_all(b",\n        \"down\": ")?;
    out.write_all(n.format(sessions.down).as_bytes())?;
    out.write_all(b"\n      },\n      \"windows\": {\n        \"last_1m\": ")?;
    out.write_all(n.format(windows.last_1m).as_bytes())?;
    out.write_all(b",\n        \"last_5m\": ")?;
    out.write_all(n.format(windows.last_5m).as_bytes())?;
    out.write_all(b",\n        \"last_15m\": ")?;
    out.write_all(n.format(windows.last_15m).as_bytes())?;
    out.write_all(b"\n      }\n    }")
}

/// A list or map `depth` levels in, as the pretty writer lays it out: the
/// opening bracket of `brackets`, each item (written by `item`) on a line
/// of its own one level deeper, and the closing bracket on a line of its
/// own; both brackets together when it is empty.
#[inline]
fn list<W: Write, T>(
    out: &mut W,
    depth: usize,
    brackets: [u8; 2],
    items: impl Iterator<Item = T>,
    mut item: impl FnMut(&mut W, T) -> io::Result<()>,
) -> io::Result<()> {
    let [open, close] = brackets;
    let mut any = false;
    for x in items {
        if !any {
            out.write_all(&[open])?;
        }
        write_lead(out, depth + 1, !any)?;
        any = true;
        item(out, x)?;
    }
    if !any {
        return out.write_all(&brackets);
    }
    write_lead(out, depth, true)?;
    out.write_all(&[close])
}

fn bool_text(b: bool) -> &'static [u8] {
    if b { b"true" } else { b"false" }
}

/// A value whose text serde gives (an enum's name, a time, or `null`):
/// one string or word, the same compact or pretty.
fn named<W: Write, T: Serialize + ?Sized>(out: &mut W, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::from)
}

/// A time as serde writes it, or `null`: jiff's `Timestamp` serializes as
/// its `Display`, which is this printer's text (RFC 3339 in UTC, with a
/// fraction when there is one), in quotes. Printed straight into the
/// output: through serde it went through `core::fmt` and each piece was
/// checked for bytes to escape, of which a time has none (4.4 M of the
/// report's 16.7 M instructions for a 2 M-line log, BENCHMARKS.md,
/// §16.26).
fn write_time<W: Write>(out: &mut W, t: Option<Timestamp>) -> io::Result<()> {
    static PRINTER: DateTimePrinter = DateTimePrinter::new();
    let Some(t) = t else {
        return out.write_all(b"null");
    };
    out.write_all(b"\"")?;
    PRINTER
        .print_timestamp(&t, jiff::fmt::StdIoWrite(&mut *out))
        .map_err(io::Error::other)?;
    out.write_all(b"\"")
}

fn write_opt_str<W: Write>(out: &mut W, s: Option<&str>) -> io::Result<()> {
    match s {
        Some(s) => write_str(out, s),
        None => out.write_all(b"null"),
    }
}

/// `s` as a JSON string, escaped as serde_json escapes it: `"`, `\` and
/// the control characters below 0x20 (the usual five by letter, the others
/// as `\u00XX`); everything else, non-ASCII included, as it is.
fn write_str<W: Write>(out: &mut W, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.write_all(bytes.get(run..i).unwrap_or_default())?;
        run = i + 1;
        match b {
            b'"' => out.write_all(b"\\\"")?,
            b'\\' => out.write_all(b"\\\\")?,
            b'\n' => out.write_all(b"\\n")?,
            b'\r' => out.write_all(b"\\r")?,
            b'\t' => out.write_all(b"\\t")?,
            0x08 => out.write_all(b"\\b")?,
            0x0c => out.write_all(b"\\f")?,
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let hex = |d: u8| HEX.get(usize::from(d & 0xf)).copied().unwrap_or(b'0');
                out.write_all(&[b'\\', b'u', b'0', b'0', hex(b >> 4), hex(b)])?;
            }
        }
    }
    out.write_all(bytes.get(run..).unwrap_or_default())?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::headless::scan_report::{SessionsReport, WindowsReport};
    use crate::app::headless::{HeadlessFile, ScanMode, Scanned, scan_with, write_pretty};
    use crate::engine::{IncidentLimits, UserState};
    use crate::parse::ParseContext;
    use crate::vocab::{Cause, Family, TimeFrom};
    use proptest::prelude::*;
    use std::borrow::Cow;
    use std::collections::BTreeMap;
    use std::path::Path;

    /// The files read in turn, line by line.
    fn scanned(files: &[(&Path, Family)]) -> Scanned {
        let files: Vec<HeadlessFile> = files
            .iter()
            .map(|&(path, family)| HeadlessFile {
                path: path.to_path_buf(),
                family,
                format: None,
                user: None,
            })
            .collect();
        scan_with(
            &files,
            &ParseContext::default(),
            IncidentLimits::default(),
            ScanMode::Sequential,
        )
        .unwrap()
    }

    /// Both writers' documents of `report`.
    fn documents(report: &ScanReport) -> (String, String) {
        let (mut fast, mut serde) = (Vec::new(), Vec::new());
        write_scan_json(&mut fast, report).unwrap();
        write_pretty(&mut serde, report).unwrap();
        (
            String::from_utf8(fast).unwrap(),
            String::from_utf8(serde).unwrap(),
        )
    }

    /// Both writers' documents of the files read in turn.
    fn both_documents(files: &[(&Path, Family)]) -> (String, String) {
        documents(&scanned(files).report())
    }

    #[test]
    fn the_sample_incident_is_written_as_serde_writes_it() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
        let (fast, serde) = both_documents(&[
            (&dir.join("asa-headend.log"), Family::Headend),
            (&dir.join("anyconnect-client.log"), Family::Client),
            (&dir.join("ise-auth.log"), Family::AuthServer),
        ]);
        assert!(fast.contains("\"users\": [\n    {"), "users written");
        assert_eq!(fast, serde);
    }

    #[test]
    fn a_join_warning_is_written_as_serde_writes_it() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
        let scanned = scanned(&[(&dir.join("asa-headend.log"), Family::Headend)]);
        let mut report = scanned.report();
        report.join_warning = Some("clocks \"apart\"\tby an hour".to_string());
        let (fast, serde) = documents(&report);
        assert!(
            fast.ends_with("\"join_warning\": \"clocks \\\"apart\\\"\\tby an hour\"\n}"),
            "{fast}"
        );
        assert_eq!(fast, serde);
    }

    #[test]
    fn names_that_need_escapes_and_a_blind_read_are_written_as_serde_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("headend.log");
        let rejected = |user: &str, reason: &str, ip: &str| {
            format!(
                "<166>2026-11-28T08:4{}:00Z fw-1 : %ASA-6-113005: AAA user authentication Rejected : reason = {reason} : server = 10.1.0.2 : user = {user} : user IP = {ip}\n",
                ip.len() % 10
            )
        };
        let mut text = String::new();
        text += &rejected("o\"brien", "Invalid password", "192.0.2.7");
        text += &rejected("back\\slash", "Account has been locked out", "192.0.2.8");
        text += &rejected("caf\u{e9}\u{1F600}", "Password has expired", "192.0.2.9");
        text += &rejected("*****", "User was not found", "192.0.2.10");
        text += "<166>2026-11-28T08:49:00Z fw-1 : %ASA-6-113004: AAA user authentication Successful : server = 10.1.0.2 : user = tab\tuser\n";
        std::fs::write(&log, text).unwrap();
        let empty = dir.path().join("empty.log");
        std::fs::write(&empty, "").unwrap();
        let (fast, serde) = both_documents(&[(&log, Family::Headend)]);
        for escaped in [
            "\"o\\\"brien\"",
            "\"back\\\\slash\"",
            "\"caf\u{e9}\u{1F600}\"",
            "\"tab\\tuser\"",
        ] {
            assert!(fast.contains(escaped), "{escaped} in {fast}");
        }
        assert_eq!(fast, serde);
        // No headend line recognised: warnings and an unknown scope.
        let (fast, serde) = both_documents(&[(&empty, Family::Headend)]);
        assert!(fast.contains("\"users\": []"), "{fast}");
        assert_eq!(fast, serde);
    }

    /// A user's line of random values, which [`report_of`] makes into a
    /// [`UserReport`] borrowing them: the name, the hidden and spray flags
    /// and seven counts; the causes; the last cause; the two reasons; the
    /// addresses; three times; time marks (field, source) and a state, by
    /// index.
    type RandomUser = (
        (String, (bool, bool), [u32; 7]),
        BTreeMap<Cause, u32>,
        Option<Cause>,
        (Option<String>, Option<String>),
        Vec<String>,
        [Option<i128>; 3],
        Vec<(usize, usize)>,
        usize,
    );

    /// Any text, control characters included (`any::<String>()` has none).
    fn any_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(any::<char>(), 0..24).prop_map(|c| c.into_iter().collect())
    }

    /// A time as nanoseconds: whole seconds of this century, or any time
    /// jiff holds (fractions, years before 0 and up to 9999).
    fn any_time() -> impl Strategy<Value = i128> {
        let (min, max) = (
            jiff::Timestamp::MIN.as_nanosecond(),
            jiff::Timestamp::MAX.as_nanosecond(),
        );
        prop_oneof![
            (1_700_000_000i128..4_000_000_000).prop_map(|s| s * 1_000_000_000),
            min..=max,
        ]
    }

    fn random_user() -> impl Strategy<Value = RandomUser> {
        let cause = || (0..Cause::ALL.len()).prop_map(|i| Cause::ALL[i]);
        (
            (any_text(), any::<(bool, bool)>(), any::<[u32; 7]>()),
            proptest::collection::btree_map(cause(), any::<u32>(), 0..4),
            proptest::option::of(cause()),
            (
                proptest::option::of(any_text()),
                proptest::option::of(any_text()),
            ),
            proptest::collection::vec(any_text(), 0..3),
            proptest::array::uniform3(proptest::option::of(any_time())),
            proptest::collection::vec((0usize..3, 0usize..4), 0..3),
            0usize..6,
        )
    }

    fn report_of(u: &RandomUser) -> UserReport<'_> {
        let (
            (user, (hidden, spray), c),
            causes,
            last_cause,
            reasons,
            client_ips,
            times,
            marks,
            state,
        ) = u;
        let ts = |t: Option<i128>| t.map(|ns| jiff::Timestamp::from_nanosecond(ns).unwrap());
        let fields = ["first_failure", "last_failure", "last_seen"];
        let froms = [
            TimeFrom::Line,
            TimeFrom::Missing,
            TimeFrom::Envelope,
            TimeFrom::Read,
        ];
        let states = [
            UserState::Locked,
            UserState::Unknown,
            UserState::Failing,
            UserState::Failed,
            UserState::Recovered,
            UserState::Ok,
        ];
        UserReport {
            user: Cow::Borrowed(user),
            hidden: *hidden,
            spray: *spray,
            failures: c[0],
            successes: c[1],
            causes,
            last_cause: *last_cause,
            last_reason: reasons.0.as_deref(),
            auth_reason: reasons.1.as_deref(),
            client_ips,
            first_failure: ts(times[0]),
            last_failure: ts(times[1]),
            last_seen: ts(times[2]),
            times_from: marks
                .iter()
                .map(|&(f, from)| (fields[f], froms[from]))
                .collect(),
            state: states[*state],
            sessions: SessionsReport {
                up: c[2],
                down: c[3],
            },
            windows: WindowsReport {
                last_1m: c[4],
                last_5m: c[5],
                last_15m: c[6],
            },
        }
    }

    /// The users' array as the document's first field, through serde.
    #[derive(Serialize)]
    struct UsersOnly<'a> {
        users: Vec<UserReport<'a>>,
    }

    proptest! {
        #[test]
        fn random_users_are_written_as_serde_writes_them(
            users in proptest::collection::vec(random_user(), 0..4)
        ) {
            let mut fast = b"{\n  \"users\": ".to_vec();
            write_users(&mut fast, users.iter().map(report_of)).unwrap();
            fast.extend_from_slice(b"\n}");
            let mut serde = Vec::new();
            let doc = UsersOnly { users: users.iter().map(report_of).collect() };
            write_pretty(&mut serde, &doc).unwrap();
            prop_assert_eq!(String::from_utf8(fast).unwrap(), String::from_utf8(serde).unwrap());
        }
    }

    /// What serde_json writes of `s`.
    fn serde_str(s: &str) -> String {
        serde_json::to_string(s).unwrap()
    }

    fn fast_str(s: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, s).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for s in [
            "",
            "alice",
            "quote \" and \\ backslash",
            "\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f} \u{7f}",
            "caf\u{e9} \u{1F600} \u{2028}",
            "ends with \\",
            "\"",
        ] {
            assert_eq!(fast_str(s), serde_str(s), "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn any_string_is_escaped_as_serde_json_escapes_it(s in any_text()) {
            prop_assert_eq!(fast_str(&s), serde_str(&s));
        }

        #[test]
        fn any_ascii_with_controls_is_escaped_as_serde_json_escapes_it(
            s in proptest::collection::vec(0u8..0x80, 0..40)
        ) {
            let s = String::from_utf8(s).unwrap();
            prop_assert_eq!(fast_str(&s), serde_str(&s));
        }
    }
}
