//! The pure half of the evidence bundle (the runbook's "gather logs for IT
//! review"): which lines belong to a user, with how much context, what goes
//! into each file of the bundle, and redaction. The I/O (reading the logs
//! through the one reading path, `app::read`, and writing the `.tar.gz`) is
//! in `app::bundle`; what is kept here is per line or per name, never a
//! whole log.
//!
//! A user's lines are found from the events the source's reader made of
//! them (so multi-line Windows, DART and ISE records and `--user` count as
//! everywhere else): a record whose user name is the user's
//! (case-insensitive), or whose client IP is one of the user's client IPs.
//! In a client log, every line of a laptop (syslog host) that logged the
//! user's name is the user's too: client logs rarely repeat the name.
//! A failure line's cause is the one the engine gave its attempt (a
//! rejection after a token challenge is `token_required` whatever the line
//! says), never re-read from the line here.
//!
//! Redaction replaces, in every file of the bundle and in the file names,
//! every user name, IPv4 address and host name (syslog hosts and AAA server
//! names) seen in the sources with a stable pseudonym: `user-1` (the bundle's
//! user is always `user-1`), `ip-1`, `host-1`, numbered in order of first
//! appearance. Matching ignores case and word boundaries, so a name inside a
//! longer word is replaced too: a redacted bundle may read oddly, but it
//! never leaks. IPv6 addresses are not recognised.

use std::collections::BTreeSet;
use std::ops::Range;

use jiff::Timestamp;
use regex::Regex;
use serde_json::json;

use super::checklist::Checklist;
use super::hashing::{HashMap, HashSet};
use super::incident::{HIDDEN_USER, UserKey, UserStats};
use crate::vocab::{Cause, Event, Family};

/// Lines before and after each of the user's lines, unless told otherwise.
pub const DEFAULT_CONTEXT: usize = 3;

/// One log's share of the bundle: the user's lines with their context,
/// already laid out (see [`ExcerptWriter`]).
#[derive(Clone, Debug)]
pub struct Excerpt {
    /// Shown and used for the file name in the bundle.
    pub name: String,
    pub family: Family,
    /// Lines in the log.
    pub lines: u64,
    /// The user's lines among them.
    pub matched: u64,
    pub text: String,
}

/// What identifies a user's lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserMatch {
    /// Lower-case user names.
    pub names: Vec<String>,
    pub ips: Vec<String>,
}

impl UserMatch {
    pub fn for_user(key: &UserKey, stats: Option<&UserStats>) -> Self {
        let mut m = UserMatch::default();
        match key {
            UserKey::Named(name) => m.names.push(name.to_lowercase()),
            UserKey::Hidden(ip) | UserKey::Spray(ip) => m.ips.push(ip.clone()),
            UserKey::Other(_) => {}
        }
        if let Some(stats) = stats {
            for ip in &stats.client_ips {
                if !m.ips.contains(ip) {
                    m.ips.push(ip.clone());
                }
            }
        }
        m
    }

    /// Whether the event names one of the user's names.
    pub fn names_user(&self, ev: &Event) -> bool {
        ev.user
            .is_some_and(|u| self.names.iter().any(|n| n.eq_ignore_ascii_case(u)))
    }

    /// Whether the event's record is the user's: it names the user, comes
    /// from one of the user's client IPs, or comes from one of `laptops`
    /// (client logs: the hosts that logged the user's name, see
    /// [`ClientHosts`]).
    pub fn matches(&self, ev: &Event, laptops: &BTreeSet<String>) -> bool {
        self.names_user(ev)
            || ev
                .client_ip
                .is_some_and(|ip| self.ips.iter().any(|i| i == ip))
            || ev.host.is_some_and(|h| laptops.contains(h))
    }
}

/// In a client log, which user names each laptop (syslog host) logged; the
/// user's laptops are those that logged the user's name.
#[derive(Clone, Debug, Default)]
pub struct ClientHosts {
    names: HashMap<String, BTreeSet<String>>,
}

impl ClientHosts {
    pub fn see(&mut self, ev: &Event) {
        if let (Some(host), Some(user)) = (ev.host, ev.user) {
            self.names
                .entry(host.to_string())
                .or_default()
                .insert(user.to_lowercase());
        }
    }

    /// The hosts that logged one of the user's names.
    pub fn laptops(&self, user: &UserMatch) -> BTreeSet<String> {
        self.names
            .iter()
            .filter(|(_, names)| user.names.iter().any(|n| names.contains(n)))
            .map(|(host, _)| host.clone())
            .collect()
    }
}

/// The matched lines (1-based, sorted) widened by `context` lines each
/// side within `1..=last`, merged where they touch or overlap, in order.
pub fn with_context(matches: &[u64], last: u64, context: u64) -> Vec<Range<u64>> {
    let mut out: Vec<Range<u64>> = Vec::new();
    for &m in matches {
        let r = m.saturating_sub(context).max(1)..(m + context + 1).min(last + 1);
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Lays out one log's excerpt as its lines stream past: `ranges` (from
/// [`with_context`]) are the lines kept; `marked` (sorted) the user's own,
/// with the cause the engine gave the line where it gave one.
#[derive(Debug)]
pub struct ExcerptWriter<'a> {
    ranges: &'a [Range<u64>],
    marked: &'a [(u64, Option<Cause>)],
    range: usize,
    mark: usize,
    text: String,
}

impl<'a> ExcerptWriter<'a> {
    pub fn new(ranges: &'a [Range<u64>], marked: &'a [(u64, Option<Cause>)]) -> Self {
        ExcerptWriter {
            ranges,
            marked,
            range: 0,
            mark: 0,
            text: String::new(),
        }
    }

    /// Line `line_no` of the log, in order; kept when in a range.
    pub fn line(&mut self, line_no: u64, text: &str) {
        while self
            .ranges
            .get(self.range)
            .is_some_and(|r| r.end <= line_no)
        {
            self.range += 1;
        }
        let Some(range) = self.ranges.get(self.range) else {
            return;
        };
        if line_no < range.start {
            return;
        }
        if line_no == range.start && self.range > 0 {
            self.text.push_str("--\n");
        }
        while self.marked.get(self.mark).is_some_and(|m| m.0 < line_no) {
            self.mark += 1;
        }
        let (mark, cause) = match self.marked.get(self.mark) {
            Some(&(m, cause)) if m == line_no => ('>', cause),
            _ => (' ', None),
        };
        let cause = cause.map(|c| format!("[{}] ", c.id())).unwrap_or_default();
        self.text
            .push_str(&format!("{mark}{line_no:>7}: {cause}{text}\n"));
    }

    /// True once every range has been written (the rest of the log can be
    /// skipped).
    pub fn done(&self, line_no: u64) -> bool {
        self.ranges.last().is_none_or(|r| line_no >= r.end)
    }

    pub fn finish(self) -> String {
        self.text
    }
}

/// Every user name, IPv4 address and host name seen in the logs, in order
/// of first appearance, for [`Redactor::new`].
#[derive(Clone, Debug, Default)]
pub struct Seen {
    users: Vec<String>,
    ips: Vec<String>,
    hosts: Vec<String>,
    known: HashSet<(u8, String)>,
}

impl Seen {
    fn push(&mut self, kind: u8, v: &str) {
        let v = v.trim();
        if v.is_empty() || !self.known.insert((kind, v.to_lowercase())) {
            return;
        }
        let list = match kind {
            0 => &mut self.users,
            1 => &mut self.ips,
            _ => &mut self.hosts,
        };
        list.push(v.to_string());
    }

    /// A record: every IPv4 address in its text, and its event's user,
    /// host and server names.
    pub fn see(&mut self, text: &str, ev: Option<&Event>) {
        for m in IPV4.find_iter(text) {
            self.push(1, m.as_str());
        }
        let Some(ev) = ev else {
            return;
        };
        if let Some(u) = ev.user.filter(|u| *u != HIDDEN_USER) {
            self.push(0, u);
        }
        for host in [ev.host, ev.server].into_iter().flatten() {
            if !IPV4.is_match(host) {
                self.push(2, host);
            }
        }
    }
}

static IPV4: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(ipv4);

/// Replaces user names, IPs and host names with stable pseudonyms.
#[derive(Clone, Debug)]
pub struct Redactor {
    /// Lower-case original → pseudonym.
    map: HashMap<String, String>,
    /// Originals in the order they were numbered.
    originals: Vec<String>,
    pattern: Option<Regex>,
}

/// Dotted-quad IPv4 addresses.
fn ipv4() -> Regex {
    // A constant pattern: it cannot fail to compile.
    Regex::new(r"\b(?:\d{1,3}\.){3}\d{1,3}\b").unwrap_or_else(|_| unreachable!())
}

impl Redactor {
    /// Numbers every user, IP and host `seen` in the logs. `user` is
    /// numbered first, so the bundle's subject is always `user-1` (or `ip-1`
    /// when only known by IP).
    pub fn new(user: &UserKey, seen: &Seen) -> Self {
        let mut users: Vec<String> = Vec::new();
        let mut ips: Vec<String> = Vec::new();
        match user {
            UserKey::Named(n) => users.push(n.trim().to_string()),
            UserKey::Hidden(ip) | UserKey::Spray(ip) => ips.push(ip.trim().to_string()),
            UserKey::Other(_) => {}
        }
        // The subject is numbered once, first.
        let fresh =
            |list: &Vec<String>, v: &String| !list.iter().any(|k| k.eq_ignore_ascii_case(v));
        let more: Vec<String> = seen
            .users
            .iter()
            .filter(|v| fresh(&users, v))
            .cloned()
            .collect();
        users.extend(more);
        let more: Vec<String> = seen
            .ips
            .iter()
            .filter(|v| fresh(&ips, v))
            .cloned()
            .collect();
        ips.extend(more);
        let hosts = seen.hosts.clone();
        let mut map = HashMap::default();
        let mut originals = Vec::new();
        for (prefix, list) in [("user", users), ("ip", ips), ("host", hosts)] {
            for (i, original) in list.into_iter().enumerate() {
                let key = original.to_lowercase();
                if map.contains_key(&key) {
                    continue;
                }
                map.insert(key, format!("{prefix}-{}", i + 1));
                originals.push(original);
            }
        }
        // Longest first, so `lap-ann` is one host rather than `lap-` and a user.
        let mut sorted = originals.clone();
        sorted.sort_by_key(|o| std::cmp::Reverse(o.len()));
        let pattern = (!sorted.is_empty())
            .then(|| {
                let alternation = sorted
                    .iter()
                    .map(|o| regex::escape(o))
                    .collect::<Vec<_>>()
                    .join("|");
                Regex::new(&format!("(?i)(?:{alternation})")).ok()
            })
            .flatten();
        Redactor {
            map,
            originals,
            pattern,
        }
    }

    /// The originals that are replaced (for tests and the README's count).
    pub fn originals(&self) -> &[String] {
        &self.originals
    }

    /// The text with every original replaced, in one pass (a pseudonym is
    /// never itself rewritten).
    pub fn apply(&self, text: &str) -> String {
        let Some(re) = &self.pattern else {
            return text.to_string();
        };
        re.replace_all(text, |c: &regex::Captures| {
            let found = c[0].to_lowercase();
            self.map
                .get(&found)
                .cloned()
                .unwrap_or_else(|| "redacted".to_string())
        })
        .into_owned()
    }
}

/// Everything a bundle is made from.
pub struct BundleRequest<'a> {
    pub user: &'a UserKey,
    pub stats: Option<&'a UserStats>,
    pub sources: &'a [Excerpt],
    pub context: usize,
    /// Set to redact the bundle.
    pub redactor: Option<&'a Redactor>,
    pub checklist: &'a Checklist,
    pub taken_at: Timestamp,
    pub operator: &'a str,
    /// The user's state as every other output shows it
    /// ([`crate::engine::Incident::state_of`]).
    pub state: crate::engine::UserState,
    /// Which of the user's times are not their lines' own (a JSON
    /// record's, the read time): named in `user.json`'s `times_from`.
    pub time_marks: Option<&'a super::timemarks::TimeMarks>,
    /// What the bundle lacks of the user's lines, one sentence each (a
    /// bundle made from the dashboard's references: see
    /// `pipeline::user_lines`); empty when it holds them all.
    pub gaps: &'a [String],
    /// The lines are the ones the dashboard filed under the user (`e`),
    /// not found by reading the logs whole (`vpnwatch bundle`).
    pub filed: bool,
    /// A hidden user's failed attempts that an auth-server line put a name
    /// to, by name, and how many went to names past those (see
    /// `Incident::attempts_named`): they are counted under the names now.
    pub named: &'a NamedAttempts,
}

/// Names a hidden user's failed attempts moved to, with counts, and the
/// count that went to names past those listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NamedAttempts {
    pub names: Vec<(String, u32)>,
    pub others: u32,
}

/// Which lines a bundle holds as the user's, as its README says it.
const USER_RULE: &str = "A line is the user's when it names the user or comes from one of the user's\n\
client IPs; in a client log, every line of a laptop that logged the user's name.";

/// One file of the bundle, path relative to the bundle's directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The README's line saying where a hidden user's attempts went once
/// named (empty when none did).
fn named_line(attempts: &NamedAttempts) -> String {
    let (named, others) = (&attempts.names, attempts.others);
    let total: u32 = named.iter().map(|(_, n)| n).sum::<u32>() + others;
    if total == 0 {
        return String::new();
    }
    let mut names: Vec<String> = named.iter().map(|(u, n)| format!("{u} {n}")).collect();
    if others > 0 {
        names.push(format!("{others} to other names"));
    }
    let first = named.first().map_or("NAME", |(u, _)| u.as_str());
    format!(
        "Named:     {} of this address moved to the name an auth-server\n\
         \x20          line gave {}: {} (`vpnwatch bundle --user {first}`\n\
         \x20          has them); this address's counts no longer hold them\n",
        crate::plural::count(total, "failed attempt", "failed attempts"),
        if total == 1 { "it" } else { "them" },
        names.join(", "),
    )
}

/// The bundle's directory name and files, redacted when asked.
pub fn build(req: &BundleRequest) -> (String, Vec<BundleFile>) {
    let redactor = req.redactor;
    let scrub = |s: &str| match redactor {
        Some(r) => r.apply(s),
        None => s.to_string(),
    };
    let user_label = match req.user {
        UserKey::Named(n) => n.clone(),
        UserKey::Hidden(ip) => format!("hidden-{ip}"),
        UserKey::Spray(ip) => format!("spray-{ip}"),
        UserKey::Other(n) => format!("other-{n}-users"),
    };
    let stamp = req.taken_at.strftime("%Y%m%dT%H%M%SZ").to_string();
    let dir = safe_name(&scrub(&format!("vpnwatch-evidence-{user_label}-{stamp}")));

    let mut files = Vec::new();
    let mut summary = Vec::new();
    for (n, source) in req.sources.iter().enumerate() {
        let mut path = format!("lines/{}-{}", n + 1, safe_name(&scrub(&source.name)));
        if !path.ends_with(".log") {
            path.push_str(".log");
        }
        summary.push(format!(
            "  {path}: {} of the user's lines out of {} in {} ({} log)",
            source.matched,
            source.lines,
            scrub(&source.name),
            source.family.as_str()
        ));
        files.push(BundleFile {
            path,
            bytes: scrub(&source.text).into_bytes(),
        });
    }

    let stats = req.stats.cloned().unwrap_or_default();
    let user_json = json!({
        "user": match req.user { UserKey::Named(n) => n.clone(), UserKey::Hidden(ip) | UserKey::Spray(ip) => ip.clone(), UserKey::Other(_) => req.user.to_string() },
        "hidden": matches!(req.user, UserKey::Hidden(_)),
        "spray": matches!(req.user, UserKey::Spray(_)),
        "state": req.state,
        "failures": stats.failures,
        "successes": stats.successes,
        "causes": stats.causes.iter().map(|(c, n)| (c.id().to_string(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
        "last_cause": stats.last_cause.map(|c| c.id()),
        "last_reason": stats.last_reason.as_deref(),
        // What the auth server said, as `scan --json` gives it.
        "auth_reason": stats.auth_reason(),
        "client_ips": stats.client_ips,
        "first_failure": stats.first_failure,
        "last_failure": stats.last_failure,
        "last_success": stats.last_success,
        "last_seen": stats.last_seen,
        // Only the times that are not their lines' own, by where they came
        // from: `envelope` (a JSON record's) or `read` (when read).
        "times_from": req.time_marks.map(|m| m.of_user(&stats)).unwrap_or_default(),
    });
    let mut user_json = user_json;
    if matches!(req.user, UserKey::Hidden(_))
        && let Some(map) = user_json.as_object_mut()
    {
        // Where the address's attempts went once named: not in its own
        // counts any more.
        let named: serde_json::Map<String, serde_json::Value> = req
            .named
            .names
            .iter()
            .map(|(name, n)| (name.clone(), json!(n)))
            .collect();
        map.insert("attempts_named".into(), json!(named));
        if req.named.others > 0 {
            map.insert("attempts_named_others".into(), json!(req.named.others));
        }
    }
    files.push(BundleFile {
        path: "user.json".into(),
        bytes: pretty(&scrubbed(user_json, &scrub)).into_bytes(),
    });
    files.push(BundleFile {
        path: "checklist.json".into(),
        bytes: pretty(&scrubbed(checklist_json(req.checklist), &scrub)).into_bytes(),
    });

    let readme = format!(
        "vpnwatch evidence bundle\n\
         ========================\n\n\
         User:      {user}\n\
         {named}\
         Taken:     {taken} (UTC) by {operator}\n\
         Context:   {context} before and after each of the user's lines\n\
         Redacted:  {redacted}\n\n\
         Files\n\
         -----\n\
         README.txt      this file\n\
         user.json       the user's failed attempts, logins, causes and client IPs;\n\
         \x20               'times_from' names each time that is not its line's own\n\
         \x20               ('envelope': its JSON record's, 'read': when it was read)\n\
         checklist.json  the runbook checklist at the time: each step's state, who, when, notes\n\
         lines/          the user's lines from every source, numbered as in the source;\n\
         \x20               '>' marks the user's own lines, with [cause] on a failure the\n\
         \x20               engine counted, '--' separates distant excerpts\n\
         {summary}\n\n\
         {rule}\n\
         {gaps}",
        user = req.user,
        named = named_line(req.named),
        taken = req.taken_at.strftime("%Y-%m-%d %H:%M:%S"),
        operator = req.operator,
        context = crate::plural::count(req.context, "line", "lines"),
        redacted = match redactor {
            Some(r) => format!(
                "yes: {} (user names, IPs and host names) replaced by stable pseudonyms \
                 (user-N, ip-N, host-N) in every file and file name",
                crate::plural::count(r.originals().len(), "name", "names")
            ),
            None => "no".to_string(),
        },
        summary = summary.join("\n"),
        // `e` applies `vpnwatch bundle`'s rule to what it reads back (and
        // keeps every line the dashboard filed), so the two say the same rule.
        rule = if req.filed {
            format!(
                "The lines were read back from the stretches of the files around the lines\n\
                 the dashboard filed under the user (its drill-down's), not from the whole\n\
                 files. In those stretches: {USER_RULE}\n\
                 Every line the dashboard filed under the user is here too."
            )
        } else {
            USER_RULE.to_string()
        },
        gaps = if req.gaps.is_empty() {
            String::new()
        } else {
            format!(
                "\nNot in this bundle\n------------------\n{}\n",
                req.gaps
                    .iter()
                    .map(|g| format!("- {g}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        },
    );
    // The README is read with `cat` in a terminal: the user, the operator
    // and the summary's names are untrusted text, shown as the panes show
    // them. The `lines/` files stay byte for byte: they are the evidence.
    let readme: Vec<String> = readme
        .split('\n')
        .map(crate::sanitize::sanitize_str)
        .collect();
    files.insert(
        0,
        BundleFile {
            path: "README.txt".into(),
            bytes: scrub(&readme.join("\n")).into_bytes(),
        },
    );
    (dir, files)
}

/// The checklist as JSON: each step with state, who, when and notes.
pub fn checklist_json(checklist: &Checklist) -> serde_json::Value {
    json!({
        "title": checklist.title,
        "steps": checklist.items().iter().map(|i| json!({
            "id": i.id,
            "text": i.text,
            "state": i.state.word(),
            "changed_by": i.changed_by,
            "changed_at": i.changed_at,
            "notes": i.notes.iter().map(|n| json!({
                "ts": n.ts, "operator": n.operator, "note": n.text,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// `v` with every string in it (keys too) passed through `scrub`: the
/// text, not its JSON spelling, is what a name is found in (`CORP\ann`
/// is written `CORP\\ann` in JSON, where the redactor would miss it).
fn scrubbed(v: serde_json::Value, scrub: &impl Fn(&str) -> String) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(scrub(&s)),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|i| scrubbed(i, scrub)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, i)| (scrub(&k), scrubbed(i, scrub)))
                .collect(),
        ),
        other => other,
    }
}

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// A name safe as one path component: no separators, no dot-dot, no
/// control characters.
pub fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches('.');
    if trimmed.is_empty() {
        "_".to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_ranges_merge_and_clip() {
        assert_eq!(with_context(&[1, 3, 11], 12, 1), [1..5, 10..13]);
        assert_eq!(with_context(&[], 12, 3), Vec::<Range<u64>>::new());
        assert_eq!(with_context(&[6], 6, 0), vec![6..7]);
    }

    #[test]
    fn an_excerpt_keeps_its_ranges_marks_the_users_lines_and_their_causes() {
        let ranges = with_context(&[2, 9], 10, 1);
        let marked = [(2, Some(Cause::TokenRequired)), (9, None)];
        let mut w = ExcerptWriter::new(&ranges, &marked);
        for n in 1..=10u64 {
            assert!(!w.done(n));
            w.line(n, &format!("line {n}"));
        }
        assert!(w.done(11));
        assert_eq!(
            w.finish(),
            "       1: line 1\n>      2: [token_required] line 2\n       3: line 3\n--\n       8: line 8\n>      9: line 9\n      10: line 10\n"
        );
    }

    #[test]
    fn redaction_is_stable_longest_first_and_case_insensitive() {
        let line = "<166>Nov 28 2026 08:45:59 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.20.0.11 : user = ann : user IP = 203.0.113.5";
        let mut seen = Seen::default();
        let ctx = crate::parse::ParseContext::default();
        seen.see(
            line,
            crate::parse::parse_line(line, Family::Headend, &ctx).as_ref(),
        );
        let r = Redactor::new(&UserKey::Named("ann".into()), &seen);
        let out = r.apply("ANN from 203.0.113.5 via vpn-asa-01 and 10.20.0.11; ann again");
        // Numbered in order of appearance: the server comes first in the line.
        assert_eq!(out, "user-1 from ip-2 via host-1 and ip-1; user-1 again");
    }

    #[test]
    fn safe_names_cannot_escape_the_bundle() {
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name("a b\u{1b}c"), "a_b_c");
        assert_eq!(safe_name(""), "_");
    }
}
