//! A line's cause does not depend on the order the logs are read in: the
//! same cause on every line in `events`, on every mark of `bundle --user`,
//! and in the dashboard's panes, whichever order the files are named in, and
//! when the dashboard reads them interleaved line by line as it does live.
//! On the sample logs (a client log, a debug trace, the headend and ISE) and
//! on a small fixture of our own where every attempt is told by the headend,
//! the auth server and the laptop, with more attempts for one user than a
//! short per-user history would hold.

mod common;

use std::collections::BTreeMap;

use common::vpnwatch;
use serde_json::Value;
use vpnwatch::vocab::{Family, LineBatch, SourceId};

/// The sample logs, with the family each is read as.
const SAMPLES: [(&str, Family); 4] = [
    ("sample-logs/anyconnect-client.log", Family::Client),
    ("sample-logs/asa-debug-trace.log", Family::Headend),
    ("sample-logs/asa-headend.log", Family::Headend),
    ("sample-logs/ise-auth.log", Family::AuthServer),
];

/// wlee: 20 token attempts, each told by the headend (challenge, AAA
/// failure, WebVPN rejection), ISE (passcode error) and the laptop ("Login
/// failed", "Connection attempt has failed"); kay: two wrong passwords and
/// a lockout only ISE names.
const FIXTURE: [(&str, Family); 3] = [
    ("tests/fixtures/read-order/headend.log", Family::Headend),
    ("tests/fixtures/read-order/ise.log", Family::AuthServer),
    ("tests/fixtures/read-order/client.log", Family::Client),
];

/// A line's place: its file and line number.
type Place = (String, u64);

/// Every order of `items`.
fn orders<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut all = Vec::new();
    for (i, first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut tail in orders(&rest) {
            tail.insert(0, first.clone());
            all.push(tail);
        }
    }
    all
}

/// The cause `events` prints for each line that has one.
fn events_causes(files: &[&str]) -> BTreeMap<Place, String> {
    let out = vpnwatch().arg("events").args(files).output().unwrap();
    assert!(out.status.success(), "events {files:?}");
    let mut causes = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        if let Some(cause) = record["cause"].as_str() {
            let place = (
                record["source"].as_str().unwrap().to_string(),
                record["line"].as_u64().unwrap(),
            );
            causes.insert(place, cause.to_string());
        }
    }
    causes
}

/// The `[cause]` marks on `user`'s own lines in their evidence bundle, by
/// the file (its name, without the bundle's order prefix) and line number.
fn bundle_marks(user: &str, files: &[&str]) -> BTreeMap<Place, String> {
    let mut marks = BTreeMap::new();
    for (path, text) in common::bundle_files(user, files) {
        if path.parent().and_then(|p| p.file_name()) != Some("lines".as_ref()) {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // `2-asa-headend.log`: the prefix is the file's place on the
        // command line.
        let (_, name) = name.split_once('-').unwrap();
        for line in text.lines().filter(|l| l.starts_with('>')) {
            let (number, rest) = line[1..].split_once(": ").unwrap();
            if let Some(mark) = rest.strip_prefix('[') {
                let (cause, _) = mark.split_once(']').unwrap();
                let place = (name.to_string(), number.trim().parse().unwrap());
                marks.insert(place, cause.to_string());
            }
        }
    }
    assert!(!marks.is_empty(), "{user} has failure lines in {files:?}");
    marks
}

/// The cause the dashboard's panes show for each retained line that has
/// one, after reading `files` interleaved line by line: one line of each
/// file in turn, in the order given, as lines arrive from files followed
/// live.
fn dashboard_causes(files: &[(&str, Family)]) -> BTreeMap<Place, String> {
    let mut model = common::empty_model(
        files
            .iter()
            .map(|(path, family)| common::source(path, *family))
            .collect(),
    );
    let texts: Vec<String> = files
        .iter()
        .map(|(p, _)| std::fs::read_to_string(p).unwrap())
        .collect();
    let mut lines: Vec<_> = texts.iter().map(|t| t.lines().enumerate()).collect();
    let mut left = true;
    while left {
        left = false;
        for (id, file) in lines.iter_mut().enumerate() {
            if let Some((i, line)) = file.next() {
                let mut batch = LineBatch::new(i as u64 + 1);
                batch.push(line.as_bytes());
                model.ingest(SourceId(id as u16), &batch);
                left = true;
            }
        }
    }
    let mut causes = BTreeMap::new();
    for family in [Family::Headend, Family::Client, Family::AuthServer] {
        let store = model.store(family);
        for i in 0..store.len() {
            let (_, meta) = store.get(i).unwrap();
            let index = store.evicted() + i as u64;
            if let Some(cause) = model.line_cause(family, index) {
                let file = model.sources[usize::from(meta.source.0)].name.clone();
                causes.insert((file, meta.line_no), cause.id().to_string());
            }
        }
    }
    causes
}

fn paths(files: &[(&str, Family)]) -> Vec<&'static str> {
    let known: Vec<&'static str> = SAMPLES.iter().chain(&FIXTURE).map(|(p, _)| *p).collect();
    files
        .iter()
        .map(|(p, _)| *known.iter().find(|k| *k == p).unwrap())
        .collect()
}

/// The dashboard's causes on the lines `events` prints a cause for. The
/// pane also marks the first segment of an ISE message that spans several
/// lines, which `events` prints once, on the line that completes it.
fn shown_as_events(
    shown: &BTreeMap<Place, String>,
    events: &BTreeMap<Place, String>,
) -> BTreeMap<Place, String> {
    shown
        .iter()
        .filter(|(k, _)| events.contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Fails with the lines whose causes differ (the maps are long).
fn assert_same(got: &BTreeMap<Place, String>, want: &BTreeMap<Place, String>, what: &str) {
    let differ: Vec<_> = want
        .keys()
        .chain(got.keys())
        .filter(|k| got.get(*k) != want.get(*k))
        .map(|k| (k, got.get(k), want.get(k)))
        .collect();
    assert!(differ.is_empty(), "{what}: (line, got, want) {differ:?}");
}

/// `events` and `bundle --user` give every line the same cause in every
/// order of the files; the dashboard, fed the files interleaved line by
/// line in every order, shows the causes `events` prints, the same in
/// every order.
fn check(files: &[(&str, Family)], users: &[&str]) {
    let named = paths(files);
    let events = events_causes(&named);
    let marks: Vec<_> = users.iter().map(|u| bundle_marks(u, &named)).collect();
    let mut dashboard = None;
    for order in orders(files) {
        let named = paths(&order);
        assert_same(
            &events_causes(&named),
            &events,
            &format!("events {named:?}"),
        );
        for (user, marks) in users.iter().zip(&marks) {
            let what = format!("{user}'s bundle {named:?}");
            assert_same(&bundle_marks(user, &named), marks, &what);
        }
        let shown = dashboard_causes(&order);
        let what = format!("dashboard {named:?}");
        assert_same(&shown_as_events(&shown, &events), &events, &what);
        let first = dashboard.get_or_insert_with(|| shown.clone());
        assert_same(&shown, first, &what);
    }
}

#[test]
fn a_lines_cause_does_not_depend_on_the_order_the_sample_logs_are_read() {
    check(&SAMPLES, &["rnguyen", "mkowalski"]);
    // The client lines the headend and ISE explain show the attempt's
    // cause: rnguyen's "Login failed" is a token problem (the headend's
    // challenge, ISE's passcode error).
    let events = events_causes(&paths(&SAMPLES));
    let client = |line| events.get(&(SAMPLES[0].0.to_string(), line)).cloned();
    assert_eq!(client(11).as_deref(), Some("token_required"));
    assert_eq!(client(101).as_deref(), Some("token_required"));
}

#[test]
fn a_lines_cause_does_not_depend_on_the_order_a_joined_fixture_is_read() {
    check(&FIXTURE, &["wlee", "kay"]);
    let events = events_causes(&paths(&FIXTURE));
    let of = |file: usize| -> Vec<&str> {
        events
            .iter()
            .filter(|((f, _), _)| f == FIXTURE[file].0)
            .map(|(_, c)| c.as_str())
            .collect()
    };
    // Every headend and ISE line, and each "Login failed", shows its
    // attempt's cause; the laptop's "Connection attempt has failed" joins
    // nothing (the attempt has its client verdict) and keeps its own.
    let mut headend = vec!["token_required"; 60];
    headend.extend(["bad_credentials"; 4]);
    headend.extend(["account_locked"; 2]);
    let mut sorted = of(0);
    sorted.sort_by_key(|c| headend.iter().position(|h| h == c));
    assert_eq!(sorted, headend);
    let mut ise = of(1);
    ise.sort_unstable();
    let mut want = vec!["account_locked"];
    want.extend(["bad_credentials"; 2]);
    want.extend(["token_required"; 20]);
    assert_eq!(ise, want);
    let mut client = of(2);
    client.sort_unstable();
    let mut want = vec!["account_locked"];
    want.extend(["bad_credentials"; 2]);
    want.extend(["other"; 20]);
    want.extend(["token_required"; 20]);
    assert_eq!(client, want);
}

/// Each user's auth-server reason, from `scan --json` of `files`.
fn auth_reasons(files: &[&str]) -> BTreeMap<String, String> {
    common::scan_json(files)["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| {
            let reason = u["auth_reason"].as_str()?;
            Some((u["user"].as_str()?.to_string(), reason.to_string()))
        })
        .collect()
}

/// A user's auth-server reason is that of their latest rejection by log
/// time, whatever order the files are named in: mkowalski's is the
/// directory's answer in the debug trace (09:01:40), later than ISE's
/// lockout line, also when ISE's log is read last.
#[test]
fn the_auth_server_reason_does_not_depend_on_the_order_the_logs_are_read() {
    let mut first = None;
    for order in orders(&SAMPLES) {
        let named = paths(&order);
        let reasons = auth_reasons(&named);
        assert_eq!(
            reasons.get("mkowalski").map(String::as_str),
            Some("Active Directory: data 775, account locked out"),
            "{named:?}"
        );
        let first = first.get_or_insert_with(|| reasons.clone());
        assert_eq!(&reasons, first, "{named:?}");
    }
}
