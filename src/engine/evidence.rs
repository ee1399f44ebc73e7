//! The pure half of the evidence bundle (the runbook's "gather logs for IT
//! review"): which lines belong to a user, with how much context, what goes
//! into each file of the bundle, and redaction. The I/O (reading the logs,
//! writing the `.tar.gz`) is in `app::bundle`.
//!
//! A user's lines are found by parsing: a line whose user name is the user's
//! (case-insensitive), or whose client IP is one of the user's client IPs.
//! In a client log, every line of a laptop (syslog host) that logged the
//! user's name is the user's too: client logs rarely repeat the name.
//!
//! Redaction replaces, in every file of the bundle and in the file names,
//! every user name, IPv4 address and host name (syslog hosts and AAA server
//! names) seen in the sources with a stable pseudonym: `user-1` (the bundle's
//! user is always `user-1`), `ip-1`, `host-1`, numbered in order of first
//! appearance. Matching ignores case and word boundaries, so a name inside a
//! longer word is replaced too: a redacted bundle may read oddly, but it
//! never leaks. IPv6 addresses are not recognised.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use jiff::Timestamp;
use regex::Regex;
use serde_json::json;

use super::checklist::Checklist;
use super::incident::{HIDDEN_USER, UserKey, UserStats};
use crate::parse::{self, Event, Family, ParseContext};

/// Lines before and after each of the user's lines, unless told otherwise.
pub const DEFAULT_CONTEXT: usize = 3;

/// One log, read whole.
#[derive(Clone, Debug)]
pub struct SourceLines {
    /// Shown and used for the file name in the bundle.
    pub name: String,
    pub family: Family,
    pub lines: Vec<String>,
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

    fn names_user(&self, ev: &Event) -> bool {
        ev.user
            .is_some_and(|u| self.names.iter().any(|n| n.eq_ignore_ascii_case(u)))
    }

    fn matches(&self, ev: &Event) -> bool {
        self.names_user(ev)
            || ev
                .client_ip
                .is_some_and(|ip| self.ips.iter().any(|i| i == ip))
    }
}

/// Indexes of the user's lines in one source.
pub fn matching_lines(source: &SourceLines, ctx: &ParseContext, user: &UserMatch) -> Vec<usize> {
    let events: Vec<Option<Event>> = source
        .lines
        .iter()
        .map(|l| parse::parse_line(l, source.family, ctx))
        .collect();
    let laptops: BTreeSet<&str> = if source.family == Family::Client {
        events
            .iter()
            .flatten()
            .filter(|ev| user.names_user(ev))
            .filter_map(|ev| ev.host)
            .collect()
    } else {
        BTreeSet::new()
    };
    events
        .iter()
        .enumerate()
        .filter(|(_, ev)| {
            ev.as_ref()
                .is_some_and(|ev| user.matches(ev) || ev.host.is_some_and(|h| laptops.contains(h)))
        })
        .map(|(i, _)| i)
        .collect()
}

/// The matched lines widened by `context` lines each side, merged where
/// they touch or overlap, in order.
pub fn with_context(matches: &[usize], len: usize, context: usize) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for &m in matches {
        let r = m.saturating_sub(context)..(m + context + 1).min(len);
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

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
    /// Collects every user, IP and host in the sources. `user` is numbered
    /// first, so the bundle's subject is always `user-1` (or `ip-1` when
    /// only known by IP).
    pub fn new(user: &UserKey, sources: &[SourceLines], ctx: &ParseContext) -> Self {
        let mut users: Vec<String> = Vec::new();
        let mut ips: Vec<String> = Vec::new();
        let mut hosts: Vec<String> = Vec::new();
        let push = |list: &mut Vec<String>, v: &str| {
            let v = v.trim();
            if !v.is_empty() && !list.iter().any(|k| k.eq_ignore_ascii_case(v)) {
                list.push(v.to_string());
            }
        };
        match user {
            UserKey::Named(n) => push(&mut users, n),
            UserKey::Hidden(ip) | UserKey::Spray(ip) => push(&mut ips, ip),
        }
        let ip_re = ipv4();
        for source in sources {
            for line in &source.lines {
                for m in ip_re.find_iter(line) {
                    push(&mut ips, m.as_str());
                }
                let Some(ev) = parse::parse_line(line, source.family, ctx) else {
                    continue;
                };
                if let Some(u) = ev.user.filter(|u| *u != HIDDEN_USER) {
                    push(&mut users, u);
                }
                for host in [ev.host, ev.server].into_iter().flatten() {
                    if !ip_re.is_match(host) {
                        push(&mut hosts, host);
                    }
                }
            }
        }
        let mut map = HashMap::new();
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
    pub sources: &'a [SourceLines],
    pub context: usize,
    pub redact: bool,
    pub checklist: &'a Checklist,
    pub taken_at: Timestamp,
    pub operator: &'a str,
    pub ctx: ParseContext,
    /// The incident's now, for the user's state.
    pub incident_now: Option<Timestamp>,
}

/// One file of the bundle, path relative to the bundle's directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The bundle's directory name and files, redacted when asked.
pub fn build(req: &BundleRequest) -> (String, Vec<BundleFile>) {
    let matcher = UserMatch::for_user(req.user, req.stats);
    let redactor = req
        .redact
        .then(|| Redactor::new(req.user, req.sources, &req.ctx));
    let scrub = |s: &str| match &redactor {
        Some(r) => r.apply(s),
        None => s.to_string(),
    };
    let user_label = match req.user {
        UserKey::Named(n) => n.clone(),
        UserKey::Hidden(ip) => format!("hidden-{ip}"),
        UserKey::Spray(ip) => format!("spray-{ip}"),
    };
    let stamp = req.taken_at.strftime("%Y%m%dT%H%M%SZ").to_string();
    let dir = safe_name(&scrub(&format!("vpnwatch-evidence-{user_label}-{stamp}")));

    let mut files = Vec::new();
    let mut summary = Vec::new();
    for (n, source) in req.sources.iter().enumerate() {
        let matched = matching_lines(source, &req.ctx, &matcher);
        let ranges = with_context(&matched, source.lines.len(), req.context);
        let mut text = String::new();
        let mut matched_iter = matched.iter().peekable();
        for (r, range) in ranges.iter().enumerate() {
            if r > 0 {
                text.push_str("--\n");
            }
            for i in range.clone() {
                while matched_iter.next_if(|&&m| m < i).is_some() {}
                let mark = if matched_iter.peek() == Some(&&i) {
                    '>'
                } else {
                    ' '
                };
                text.push_str(&format!("{mark}{:>7}: {}\n", i + 1, source.lines[i]));
            }
        }
        let mut path = format!("lines/{}-{}", n + 1, safe_name(&scrub(&source.name)));
        if !path.ends_with(".log") {
            path.push_str(".log");
        }
        summary.push(format!(
            "  {path}: {} of the user's lines out of {} in {} ({} log)",
            matched.len(),
            source.lines.len(),
            scrub(&source.name),
            source.family.as_str()
        ));
        files.push(BundleFile {
            path,
            bytes: scrub(&text).into_bytes(),
        });
    }

    let stats = req.stats.cloned().unwrap_or_default();
    let user_json = json!({
        "user": match req.user { UserKey::Named(n) => n.clone(), UserKey::Hidden(ip) | UserKey::Spray(ip) => ip.clone() },
        "hidden": matches!(req.user, UserKey::Hidden(_)),
        "spray": matches!(req.user, UserKey::Spray(_)),
        "state": stats.state(req.incident_now),
        "failures": stats.failures,
        "successes": stats.successes,
        "causes": stats.causes.iter().map(|(c, n)| (c.id().to_string(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
        "last_cause": stats.last_cause.map(|c| c.id()),
        "last_reason": stats.last_reason,
        "client_ips": stats.client_ips,
        "first_failure": stats.first_failure,
        "last_failure": stats.last_failure,
        "last_success": stats.last_success,
        "last_seen": stats.last_seen,
    });
    files.push(BundleFile {
        path: "user.json".into(),
        bytes: scrub(&pretty(&user_json)).into_bytes(),
    });
    files.push(BundleFile {
        path: "checklist.json".into(),
        bytes: scrub(&pretty(&checklist_json(req.checklist))).into_bytes(),
    });

    let readme = format!(
        "vpnwatch evidence bundle\n\
         ========================\n\n\
         User:      {user}\n\
         Taken:     {taken} (UTC) by {operator}\n\
         Context:   {context} before and after each of the user's lines\n\
         Redacted:  {redacted}\n\n\
         Files\n\
         -----\n\
         README.txt      this file\n\
         user.json       the user's failed attempts, logins, causes and client IPs\n\
         checklist.json  the runbook checklist at the time: each step's state, who, when, notes\n\
         lines/          the user's lines from every source, numbered as in the source;\n\
         \x20               '>' marks the user's own lines, '--' separates distant excerpts\n\
         {summary}\n\n\
         A line is the user's when it names the user or comes from one of the user's\n\
         client IPs; in a client log, every line of a laptop that logged the user's name.\n",
        user = req.user,
        taken = req.taken_at.strftime("%Y-%m-%d %H:%M:%S"),
        operator = req.operator,
        context = crate::plural::count(req.context, "line", "lines"),
        redacted = match &redactor {
            Some(r) => format!(
                "yes: {} (user names, IPs and host names) replaced by stable pseudonyms \
                 (user-N, ip-N, host-N) in every file and file name",
                crate::plural::count(r.originals().len(), "name", "names")
            ),
            None => "no".to_string(),
        },
        summary = summary.join("\n"),
    );
    files.insert(
        0,
        BundleFile {
            path: "README.txt".into(),
            bytes: scrub(&readme).into_bytes(),
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
        assert_eq!(with_context(&[0, 2, 10], 12, 1), [0..4, 9..12]);
        assert_eq!(with_context(&[], 12, 3), Vec::<Range<usize>>::new());
        assert_eq!(with_context(&[5], 6, 0), vec![5..6]);
    }

    #[test]
    fn redaction_is_stable_longest_first_and_case_insensitive() {
        let sources = [SourceLines {
            name: "asa.log".into(),
            family: Family::Headend,
            lines: vec![
                "<166>Nov 28 2026 08:45:59 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.20.0.11 : user = ann : user IP = 203.0.113.5".into(),
            ],
        }];
        let r = Redactor::new(
            &UserKey::Named("ann".into()),
            &sources,
            &ParseContext::default(),
        );
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
