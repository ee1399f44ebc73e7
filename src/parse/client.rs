//! AnyConnect / Secure Client logs.

use super::{Event, ParseContext};

pub fn parse<'a>(_line: &'a str, _ctx: &ParseContext) -> Option<Event<'a>> {
    None
}
