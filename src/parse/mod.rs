//! Pure functions from one raw log line to a typed [`Event`].
//!
//! One module per log family: [`asa`] reads Cisco ASA / FTD syslog (the VPN
//! headend), [`client`] reads AnyConnect / Secure Client logs from a user's
//! machine. Parsers never do I/O and keep no state between lines; anything a
//! line cannot tell on its own (such as the year of a yearless syslog
//! timestamp) comes in through [`ParseContext`].
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
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

/// [`field`] for formats that write `-` for "no value" (Windows event
/// fields, RADIUS accounting, ISE).
pub(crate) fn field_or_dash(s: &str) -> Option<&str> {
    field(s).filter(|&t| t != "-")
}

/// What a parser needs to know that a single line does not say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseContext {
    /// Year given to timestamps that carry none (`May  5 17:51:17`) as a
    /// line is parsed; the [`RecordReader`](reader::RecordReader)'s clock
    /// then infers their year (see [`clock`]) as of now, or as of the end
    /// of this year when that is earlier.
    pub default_year: i16,
}

impl Default for ParseContext {
    fn default() -> Self {
        ParseContext {
            default_year: jiff::Zoned::now().year(),
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
    /// headend message (see [`asa::plain_header`]), whose event would carry
    /// nothing but its time, host and id, and which the engine only counts.
    /// Decided from the tag and id alone (the one catalogue table says which
    /// ids are plain); its header is not read. `false` means "parse the
    /// line".
    #[inline]
    pub fn is_plain(&mut self, line: &[u8], family: Family) -> bool {
        family == Family::Headend && asa::is_plain(line, &mut self.tags)
    }
}
