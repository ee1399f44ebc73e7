//! Search (`/`, `n`/`N`), filter (`F`) and "auth lines only" (`a`) of the
//! log panes.
//!
//! A query is plain text (case-insensitive), `re:PATTERN` (a regex, size
//! limited so a pasted pattern cannot take the dashboard's memory),
//! `id:716039` (a message id), `cause:token_required` (the cause the engine
//! gave the line) or `host:NAME` (a word of the line equal to NAME). Matching
//! reads the line bytes and the engine's [`LineMeta`]; it never parses.

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::{Focus, UiState};
use crate::pipeline::{LineKind, LineMeta, LineStore, Model};
use crate::vocab::Cause;

/// Compiled-program limit of a `re:` pattern (the regex crate's
/// `size_limit`); a larger pattern is refused with a one-line error.
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// Lines a filtered pane looks back through, at most, for one frame: the
/// cost of a frame stays bounded when few lines match.
pub const FILTER_SCAN: u64 = 200_000;

/// What the footer's input line is typing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    Search,
    Filter,
}

#[derive(Clone, Debug)]
enum Matcher {
    /// Plain text and `re:` alike: a byte regex (plain text escaped),
    /// case-insensitive, matched without decoding or allocating per line,
    /// as a filtered pane tests many lines per frame.
    Regex(regex::bytes::Regex),
    MsgId(String),
    Cause(Cause),
    Host(String),
}

/// A parsed query.
#[derive(Clone, Debug)]
pub struct Query {
    /// As typed (shown in the pane title).
    pub spec: String,
    matcher: Matcher,
}

impl Query {
    /// Parses a query; the error is one line for the footer.
    pub fn parse(spec: &str) -> Result<Query, String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err("empty query".into());
        }
        let pattern = |p: &str| {
            regex::bytes::RegexBuilder::new(p)
                .case_insensitive(true)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| {
                    let first = e.to_string();
                    let first = first.lines().last().unwrap_or("").trim().to_string();
                    format!("regex not used: {first}")
                })
        };
        let matcher = if let Some(p) = spec.strip_prefix("re:") {
            Matcher::Regex(pattern(p)?)
        } else if let Some(id) = spec.strip_prefix("id:") {
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("id:{id}: a message id is digits, e.g. id:716039"));
            }
            Matcher::MsgId(id.to_string())
        } else if let Some(c) = spec.strip_prefix("cause:") {
            let cause = Cause::ALL.iter().find(|k| k.id() == c).ok_or_else(|| {
                let ids: Vec<&str> = Cause::ALL.iter().map(|k| k.id()).collect();
                format!("cause:{c}: unknown; one of {}", ids.join(", "))
            })?;
            Matcher::Cause(*cause)
        } else if let Some(h) = spec.strip_prefix("host:") {
            Matcher::Host(h.to_ascii_lowercase())
        } else {
            Matcher::Regex(pattern(&regex::escape(spec))?)
        };
        Ok(Query {
            spec: spec.to_string(),
            matcher,
        })
    }

    pub fn matches(&self, bytes: &[u8], meta: &LineMeta) -> bool {
        match &self.matcher {
            Matcher::Regex(re) => re.is_match(bytes),
            // `%ASA-6-716039:` (and FTD's `%FTD-…`).
            Matcher::MsgId(id) => msg_id(bytes) == Some(id.as_str()),
            Matcher::Cause(c) => matches!(
                meta.kind,
                LineKind::Event { cause: Some(k), .. } | LineKind::FollowOn { cause: Some(k) }
                    if k == *c
            ),
            Matcher::Host(h) => bytes
                .split(|b| b.is_ascii_whitespace() || *b == b':')
                .any(|w| w.eq_ignore_ascii_case(h.as_bytes())),
        }
    }
}

/// The search of one log pane.
#[derive(Clone, Debug)]
pub struct Search {
    pub focus: Focus,
    pub query: Query,
    /// The line (index of every line the store ever held) of the current
    /// match, and its place among the matches: `3/17`.
    pub at: Option<u64>,
    pub pos: usize,
    pub hits: usize,
}

/// Search, filter and "auth lines only", and the query being typed.
#[derive(Clone, Debug, Default)]
pub struct Find {
    pub input: Option<(InputKind, String)>,
    pub search: Option<Search>,
    pub filter: Option<Query>,
    pub auth_only: bool,
}

/// Message id families of the headend that are auth, session or AAA
/// events: 109 and 113 (AAA), 502 and 605 (management logins), 611 (VPN
/// client), 713 and 751 (IKE), 716 (WebVPN sessions), 722 (SVC), 725 (SSL
/// handshakes), 734 (DAP). Connections, translations and ACLs are not.
const AUTH_ID_FAMILIES: [&str; 11] = [
    "109", "113", "502", "605", "611", "713", "716", "722", "725", "734", "751",
];

/// What `a` keeps: an event of the client or auth-server logs, a headend
/// event of an auth, session or AAA message id, a follow-on line of a
/// failed attempt, vpnwatch's own markers. Connection Built/Teardown,
/// translations, ACL denies and unrecognised lines are hidden.
pub fn is_auth_line(bytes: &[u8], meta: &LineMeta) -> bool {
    match meta.kind {
        LineKind::FollowOn { .. } | LineKind::Duplicate { .. } | LineKind::Marker => true,
        LineKind::Plain | LineKind::Continuation => false,
        LineKind::Event { .. } => match msg_id(bytes) {
            Some(id) => AUTH_ID_FAMILIES.iter().any(|f| id.starts_with(f)),
            None => true,
        },
    }
}

/// The headend message id of a line (`%ASA-6-716039:` → `716039`).
fn msg_id(bytes: &[u8]) -> Option<&str> {
    let at =
        memchr::memmem::find(bytes, b"%ASA-").or_else(|| memchr::memmem::find(bytes, b"%FTD-"))?;
    let rest = bytes.get(at + 5..)?;
    let dash = rest.iter().position(|&b| b == b'-')?;
    let rest = &rest[dash + 1..];
    let end = rest.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&rest[..end])
        .ok()
        .filter(|id| id.len() == 6)
}

impl Find {
    /// Whether the log panes show only some lines.
    pub fn filters(&self) -> bool {
        self.filter.is_some() || self.auth_only
    }

    /// Whether a log pane shows this line under the filter and `a`.
    pub fn shows(&self, bytes: &[u8], meta: &LineMeta) -> bool {
        (!self.auth_only || is_auth_line(bytes, meta))
            && self.filter.as_ref().is_none_or(|q| q.matches(bytes, meta))
    }

    /// The search of the pane `focus`, if it has one.
    pub fn search_in(&self, focus: Focus) -> Option<&Search> {
        self.search.as_ref().filter(|s| s.focus == focus)
    }

    /// Esc: drops the input, else the search, else the filter. False when
    /// there was none of them.
    pub fn clear(&mut self) -> bool {
        if self.input.take().is_some() {
            return true;
        }
        if self.search.take().is_some() {
            return true;
        }
        self.filter.take().is_some()
    }

    /// Moves the search of `focus` to the next older (`older`) or newer
    /// match among the kept lines the pane shows, wrapping round; with no
    /// current match, to the newest. Returns the line.
    pub fn step(&mut self, store: &LineStore, focus: Focus, older: bool) -> Option<u64> {
        let search = self.search.as_ref().filter(|s| s.focus == focus)?;
        let base = store.evicted();
        let hits: Vec<u64> = (0..store.len())
            .filter_map(|i| {
                let (bytes, meta) = store.get(i)?;
                (self.shows(bytes, &meta) && search.query.matches(bytes, &meta))
                    .then_some(base + i as u64)
            })
            .collect();
        let search = self.search.as_mut()?;
        search.hits = hits.len();
        let last = *hits.last()?;
        let pos = match search.at {
            None => hits.len() - 1,
            Some(at) if older => hits.iter().rposition(|&h| h < at).unwrap_or(hits.len() - 1),
            Some(at) => hits.iter().position(|&h| h > at).unwrap_or(0),
        };
        let at = hits.get(pos).copied().unwrap_or(last);
        search.at = Some(at);
        search.pos = pos + 1;
        Some(at)
    }
}

/// The kept lines a filtered pane shows in `rows` rows: the newest that
/// pass, at or above the view's bottom line. Indexes are of every line the
/// store ever held.
pub(super) fn filtered_rows<'a>(
    store: &'a LineStore,
    find: &Find,
    pinned_bottom: Option<u64>,
    rows: usize,
) -> Vec<(u64, &'a [u8], LineMeta)> {
    let base = store.evicted();
    let end = pinned_bottom
        .map_or(store.total(), |b| b + 1)
        .min(store.total());
    let start = end.saturating_sub(FILTER_SCAN).max(base);
    let mut out = Vec::with_capacity(rows);
    for index in (start..end).rev() {
        if out.len() == rows {
            break;
        }
        let Some((bytes, meta)) = store.get((index - base) as usize) else {
            continue;
        };
        if find.shows(bytes, &meta) {
            out.push((index, bytes, meta));
        }
    }
    out.reverse();
    out
}

/// The pane title's part: `/ query 3/17`, `F query`, `auth only`.
pub(super) fn title_spans(
    title: &mut Vec<ratatui::text::Span<'_>>,
    find: &Find,
    focus: Focus,
    theme: &super::Theme,
) {
    use crate::sanitize::sanitize_str;
    use ratatui::text::Span;
    if let Some(q) = &find.filter {
        title.insert(
            1,
            Span::styled(format!("F {} ", sanitize_str(&q.spec)), theme.marker),
        );
    }
    if find.auth_only {
        title.insert(1, Span::styled("auth only ", theme.marker));
    }
    if let Some(s) = find.search_in(focus) {
        title.push(Span::styled(
            format!(" / {} {}/{} ", sanitize_str(&s.query.spec), s.pos, s.hits),
            theme.key,
        ));
    }
}

/// The footer while a search or filter is typed.
pub(super) fn draw_input(
    frame: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    ui: &UiState,
    theme: &super::Theme,
) {
    use crate::sanitize::sanitize_str;
    use ratatui::text::{Line, Span};
    let Some((kind, text)) = &ui.find.input else {
        return;
    };
    let (prompt, help) = match kind {
        InputKind::Search => (" / ", "  Enter searches · Esc cancels"),
        InputKind::Filter => (
            " F ",
            "  text · re:REGEX · id:716039 · cause:ID · host:NAME · Enter · Esc",
        ),
    };
    frame.render_widget(
        ratatui::widgets::Paragraph::new(Line::from(vec![
            Span::styled(prompt, theme.key),
            Span::styled(format!("{}▏", sanitize_str(text)), theme.base),
            Span::styled(help, theme.muted),
        ])),
        area,
    );
}

/// A key while the search or filter input is open.
pub fn input_key(ui: &mut UiState, key: KeyEvent, model: &Model) {
    let Some((kind, text)) = ui.find.input.as_mut() else {
        return;
    };
    let kind = *kind;
    match key.code {
        KeyCode::Esc => ui.find.input = None,
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char(c) if !c.is_control() && text.chars().count() < 200 => text.push(c),
        KeyCode::Enter => {
            let spec = std::mem::take(text);
            ui.find.input = None;
            let query = match Query::parse(&spec) {
                Ok(q) => q,
                Err(e) => {
                    ui.status = Some(e);
                    return;
                }
            };
            match kind {
                InputKind::Filter => {
                    ui.status = Some(format!("filter {} (Esc clears)", query.spec));
                    ui.find.filter = Some(query);
                }
                InputKind::Search => {
                    ui.find.search = Some(Search {
                        focus: ui.focus,
                        query,
                        at: None,
                        pos: 0,
                        hits: 0,
                    });
                    ui.status = None;
                    ui.step_search(model, true);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::SourceId;

    fn meta(kind: LineKind) -> LineMeta {
        LineMeta {
            source: SourceId(0),
            line_no: 1,
            kind,
            compact: Default::default(),
        }
    }

    #[test]
    fn queries_by_text_regex_id_cause_and_host() {
        let line = b"<166>Nov 28 2026 09:00:01 vpn-fw1 : %ASA-6-716039: Group <G> User <ana> IP <192.0.2.7> Authentication: rejected";
        let failed = meta(LineKind::Event {
            outcome: crate::vocab::Outcome::Failure,
            cause: Some(Cause::BadCredentials),
        });
        let yes = |q: &str| Query::parse(q).unwrap().matches(line, &failed);
        assert!(yes("USER <ANA>"));
        assert!(yes("re:user <an.>"));
        assert!(yes("id:716039"));
        assert!(!yes("id:716038"));
        assert!(!yes("id:192"), "digits elsewhere are not a message id");
        assert!(yes("cause:bad_credentials"));
        assert!(!yes("cause:unknown_user"));
        assert!(yes("host:vpn-fw1"));
        assert!(!yes("host:vpn"));
        assert!(Query::parse("cause:nope").unwrap_err().contains("unknown"));
        assert!(Query::parse("id:x").is_err());
    }

    #[test]
    fn a_regex_over_the_size_limit_is_refused() {
        // Counted repetition compiles to a program far over the limit.
        let err = Query::parse("re:(\\w{100}){100}").unwrap_err();
        assert!(err.starts_with("regex not used"), "{err}");
        assert!(Query::parse("re:ok|fine").is_ok());
    }

    #[test]
    fn search_steps_wrap_round_and_count() {
        let mut store = LineStore::new(100);
        for i in 0..10 {
            let text = if i % 3 == 0 { "hit" } else { "miss" };
            store.push(text.as_bytes(), meta(LineKind::Plain));
        }
        let mut find = Find {
            search: Some(Search {
                focus: Focus::Headend,
                query: Query::parse("hit").unwrap(),
                at: None,
                pos: 0,
                hits: 0,
            }),
            ..Find::default()
        };
        // Lines 0, 3, 6, 9 match; the first step goes to the newest.
        assert_eq!(find.step(&store, Focus::Headend, true), Some(9));
        let s = find.search.as_ref().unwrap();
        assert_eq!((s.pos, s.hits), (4, 4));
        assert_eq!(find.step(&store, Focus::Headend, true), Some(6));
        assert_eq!(find.step(&store, Focus::Headend, false), Some(9));
        assert_eq!(find.step(&store, Focus::Headend, false), Some(0), "wraps");
        assert_eq!(find.step(&store, Focus::Headend, true), Some(9), "wraps");
        assert_eq!(find.step(&store, Focus::Client, true), None);
    }

    #[test]
    fn auth_only_hides_lines_no_parser_names() {
        let mut store = LineStore::new(100);
        store.push(b"Built inbound TCP", meta(LineKind::Plain));
        let ev = meta(LineKind::Event {
            outcome: crate::vocab::Outcome::Success,
            cause: None,
        });
        store.push(b"session started", ev);
        let find = Find {
            auth_only: true,
            ..Find::default()
        };
        let info = meta(LineKind::Event {
            outcome: crate::vocab::Outcome::Info,
            cause: None,
        });
        store.push(
            b"fw1 : %ASA-6-305012: Teardown dynamic TCP translation",
            info,
        );
        store.push(b"fw1 : %ASA-6-113008: AAA transaction status ACCEPT", info);
        let rows = filtered_rows(&store, &find, None, 10);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(
            rows[1].1,
            b"fw1 : %ASA-6-113008: AAA transaction status ACCEPT"
        );
        assert_eq!(rows[0].1, b"session started");
        assert_eq!(filtered_rows(&store, &Find::default(), None, 10).len(), 4);
    }
}
