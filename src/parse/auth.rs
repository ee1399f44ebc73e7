//! Authentication-server logs: RADIUS, Cisco ISE, Microsoft NPS, Active Directory.

use super::{Event, ParseContext};

/// Parses one auth-server log line; `None` when it is not recognised.
pub fn parse<'a>(_line: &'a str, _ctx: &ParseContext) -> Option<Event<'a>> {
    None
}
