//! Pure functions from one raw log line to a typed [`Event`].
//!
//! One module per log family: [`asa`] reads Cisco ASA / FTD syslog (the VPN
//! headend), [`client`] reads AnyConnect / Secure Client logs from a user's
//! machine. Parsers never do I/O and keep no state between lines; anything a
//! line cannot tell on its own (the year of a yearless syslog timestamp, the
//! `--tz` zone of a stamp without one, the `--json-field` path) comes in
//! through [`ParseContext`], never from a process-wide setting.
//!
//! Shared by the parsers: [`cause`] maps free-text rejection reasons to a
//! [`Cause`], and `text` holds the small substring helpers.
//!
//! Fields borrow from the line, so parsing a line allocates nothing.

// Input and the environment must never panic the parsers or the sources:
// every failure is a value. Tests may unwrap.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod asa;
pub mod auth;
pub mod cause;
pub mod client;
pub mod clock;
pub mod dart;
pub mod debug_trace;
pub mod envelope;
pub mod formats;
pub mod reader;
pub mod records;
mod text;
pub mod time;
pub mod winevent;

// What a line says is shared vocabulary; named here too for the parsers'
// own modules.
pub use crate::vocab::{Cause, Event, Family, Outcome, Role, ServerState, TimeFrom};

/// A field's text trimmed; `None` when nothing is left.
pub(crate) fn field(s: &str) -> Option<&str> {
    let t = text::trim(s);
    (!t.is_empty()).then_some(t)
}

/// [`field`] for formats that write `-` for "no value" (Windows event
/// fields, RADIUS accounting, ISE).
pub(crate) fn field_or_dash(s: &str) -> Option<&str> {
    field(s).filter(|&t| t != "-")
}

/// What a parser needs to know that a single line does not say, and how
/// the run was told to read what lines leave out: given to every reader
/// explicitly (never a process-wide setting), so two readers in one
/// process may read with different rules.
#[derive(Clone, Debug)]
pub struct ParseContext {
    /// Year given to timestamps that carry none (`May  5 17:51:17`) as a
    /// line is parsed; the [`RecordReader`](reader::RecordReader)'s clock
    /// then infers their year (see [`clock`]) as of now, or as of the end
    /// of this year when that is earlier.
    pub default_year: i16,
    /// The zones of stamps that carry none (`--tz`); shared, as every
    /// source's reader takes a copy of the context.
    pub time_rules: std::sync::Arc<clock::TimeRules>,
    /// Where the raw line is in a JSON envelope (`--json-field`), tried
    /// before the known fields.
    pub json_field: Option<std::sync::Arc<str>>,
}

impl Default for ParseContext {
    /// This year in UTC: stamps without a zone are read as UTC unless
    /// `--tz` says otherwise, and the year clock (`clock::Clock`) compares
    /// them with now in UTC; a local year would differ from that for a few
    /// hours at New Year away from Greenwich. (Asking for the local
    /// zone also has the time library index the system's zone directory,
    /// a few milliseconds on every run, seconds on a slow file system.)
    fn default() -> Self {
        let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
        ParseContext::for_year(now.year())
    }
}

impl ParseContext {
    /// A context pinned to `default_year`, with no `--tz` rules (zone-less
    /// stamps are UTC) and no `--json-field`.
    pub fn for_year(default_year: i16) -> Self {
        ParseContext {
            default_year,
            time_rules: std::sync::Arc::default(),
            json_field: None,
        }
    }

    /// This context reading zone-less stamps by `rules` (`--tz`).
    pub fn with_time_rules(self, rules: clock::TimeRules) -> Self {
        ParseContext {
            time_rules: std::sync::Arc::new(rules),
            ..self
        }
    }

    /// This context looking for the raw line of a JSON envelope at `path`
    /// first (`--json-field`).
    pub fn with_json_field(self, path: Option<&str>) -> Self {
        ParseContext {
            json_field: path.map(std::sync::Arc::from),
            ..self
        }
    }
}

/// Parses one line as the given family. `None` when the line is not recognised.
pub fn parse_line<'a>(line: &'a str, family: Family, ctx: &ParseContext) -> Option<Event<'a>> {
    match family {
        // Debug-trace console output pasted among (or instead of) syslog
        // lines is headend output too.
        Family::Headend => asa::parse(line, ctx).or_else(|| debug_trace::parse_console(line, ctx)),
        Family::Client => client::parse(line, ctx),
        Family::AuthServer => auth::parse(line, ctx),
    }
}

/// [`parse_line`] for a stream of lines: the same results, but work that
/// repeats from line to line (a headend header, see [`asa::parse_cached`])
/// is done once. One per source.
#[derive(Clone, Debug, Default)]
pub struct StreamParser {
    headers: asa::HeaderCache,
    tags: asa::TagMemo,
}

impl StreamParser {
    #[inline]
    pub fn parse<'a>(
        &mut self,
        line: &'a str,
        family: Family,
        ctx: &ParseContext,
    ) -> Option<Event<'a>> {
        match family {
            Family::Headend => asa::parse_cached(line, ctx, &mut self.headers)
                .or_else(|| debug_trace::parse_console(line, ctx)),
            _ => parse_line(line, family, ctx),
        }
    }

    /// For bulk readers that only aggregate: whether the line is a plain
    /// headend message (see [`asa::plain_header`]), which the engine only
    /// counts, taking its time.
    /// Decided from the tag and id alone (the one catalogue table says which
    /// ids are plain); its header is not read. `false` means "parse the
    /// line". Inlined: bulk readers ask it of every line.
    #[inline(always)]
    pub fn is_plain(&mut self, line: &[u8], family: Family) -> bool {
        family == Family::Headend && asa::is_plain(line, &mut self.tags)
    }

    /// For bulk readers: the time of a line [`StreamParser::is_plain`] said
    /// yes to, from its header alone (see [`asa::plain_time`]): the event's
    /// `ts` and whether its time is [`TimeFrom::Missing`]. `None` means
    /// "parse the line".
    pub fn plain_time(
        &mut self,
        line: &[u8],
        family: Family,
        ctx: &ParseContext,
    ) -> Option<(Option<jiff::Timestamp>, bool)> {
        if family != Family::Headend {
            return None;
        }
        asa::plain_time(line, ctx, &mut self.headers)
    }
}
