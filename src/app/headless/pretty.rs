//! Pretty JSON for `scan --json`: byte for byte what
//! `serde_json::to_writer_pretty` writes (two-space indent), with each
//! line's break and indent written in one piece.
//!
//! serde_json's own pretty formatter writes a line's indent one level at a
//! time, each a separate call into the output buffer. `scan --json` writes
//! its document's parts after the users' lines through this
//! ([`write_pretty_at`]); the users' lines are written directly (see
//! `super::scan_json`), checked against what [`write_pretty`] writes of
//! the whole report.

use std::io;

use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};

/// Levels of indent a line's lead is written in one piece for; deeper
/// ones get the rest a level at a time.
const LEAD_LEVELS: usize = 32;

/// `,` then a line break then [`LEAD_LEVELS`] indents: a line's lead is one
/// slice of it.
const LEAD: [u8; 2 + 2 * LEAD_LEVELS] = {
    let mut lead = [b' '; 2 + 2 * LEAD_LEVELS];
    lead[0] = b',';
    lead[1] = b'\n';
    lead
};

/// Writes `value` as pretty JSON (see the module doc).
pub fn write_pretty<W: io::Write, T: Serialize + ?Sized>(out: W, value: &T) -> io::Result<()> {
    let mut ser = Serializer::with_formatter(out, Pretty::default());
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// Writes `value` as [`write_pretty`] writes it as a part of a document,
/// `depth` levels in: its inner lines indented for that depth.
pub fn write_pretty_at<W: io::Write, T: Serialize + ?Sized>(
    out: W,
    value: &T,
    depth: usize,
) -> io::Result<()> {
    let formatter = Pretty {
        depth,
        has_value: false,
    };
    let mut ser = Serializer::with_formatter(out, formatter);
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// A new line `depth` levels in, after a `,` unless `first`: how the
/// pretty writer starts every line inside a list or map.
#[inline]
pub(super) fn write_lead<W: ?Sized + io::Write>(
    out: &mut W,
    depth: usize,
    first: bool,
) -> io::Result<()> {
    let from = usize::from(first);
    let levels = depth.min(LEAD_LEVELS);
    out.write_all(LEAD.get(from..2 + 2 * levels).unwrap_or_default())?;
    for _ in levels..depth {
        out.write_all(b"  ")?;
    }
    Ok(())
}

/// serde_json's `PrettyFormatter` with a two-space indent, writing a
/// line's lead in one call.
#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    /// A new line at the current depth, after a `,` unless `first`.
    fn lead<W: ?Sized + io::Write>(&self, out: &mut W, first: bool) -> io::Result<()> {
        write_lead(out, self.depth, first)
    }

    fn open<W: ?Sized + io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        if self.has_value {
            self.lead(out, true)?;
        }
        out.write_all(bracket)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.lead(out, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.lead(out, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pretty(value: &serde_json::Value) -> String {
        let mut out = Vec::new();
        write_pretty(&mut out, value).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn writes_what_serde_json_writes() {
        // Nesting deeper than the lead's levels, empty and one-element
        // containers, and every kind of scalar.
        let mut deep = serde_json::json!({"bottom": [1, {"k": "v"}]});
        for level in 0..(LEAD_LEVELS + 3) {
            deep = serde_json::json!({ format!("l{level}"): deep, "n": level });
        }
        for value in [
            serde_json::json!(null),
            serde_json::json!([]),
            serde_json::json!({}),
            serde_json::json!([[]]),
            serde_json::json!({"a": {}, "b": [], "c": [{}], "d": [1]}),
            serde_json::json!({"s": "quote \" and \\ and \u{1}", "f": 1.5, "t": true}),
            deep,
        ] {
            let want = serde_json::to_string_pretty(&value).unwrap();
            assert_eq!(pretty(&value), want);
        }
    }
}
