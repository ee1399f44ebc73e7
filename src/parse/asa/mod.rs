//! Cisco ASA / FTD syslog: one line in, one [`Event`] out.
//!
//! A line is `[header] %ASA-[class-]<sev>-<id>[:] <body>`. The parser finds the
//! product tag by its `%` (then a check of what follows), reads the
//! header in front of it (`<PRI>`, timestamps, device id; see [`time`](super::time)), turns
//! the six-digit message id into a number and `match`es on it to a small
//! hand-written extractor for that message family. Messages vpnwatch does not
//! care about (firewall traffic such as 302013 or 106023) stop after the header:
//! they come back as [`Outcome::Info`] with `msg_id` set, because they still
//! prove the file is ASA syslog. Nothing here allocates, and no regex runs.
//!
//! Tag tolerance: `%ASA-` / `%FTD-` / `%PIX-` / `%FWSM-`, class names
//! (`%ASA-auth-6-113005`), odd infixes (`%FTD<Up>-`), a missing colon after the
//! id, and the doubled FTD tag (`%FTD-6-113005: %ASA-6-113005:`; the last tag
//! wins). The severity digit is checked for shape only: sites re-level messages,
//! so meaning is keyed on the id alone.
//!
//! Header times without a zone are taken as UTC (see [`time`](super::time)). When a relay
//! prepends its own header to the device's (`Sep 25 01:08:29 relay : Sep 25
//! 05:08:29 UTC: %ASA…`) the device's time, the last one before the tag, wins.
//! `host` is the token after the last timestamp (the device id), or else the
//! first host-like token of the header (the relay's host name).
//!
//! Lines a relay stripped of their tag are recognised by their text for the
//! AAA messages that matter most (`AAA user authentication Rejected|Successful`,
//! `AAA Marking … as FAILED|ACTIVE`); such events carry the *inferred* id
//! (`113005`, `113015`, `113004`, `113012`, `113022`, `113023`) in `msg_id`.
//!
//! Management logins (605004/605005, 611101–611103, 113021) are not VPN
//! logins: they come back as `Info` with `user`/`client_ip` set and `reason`
//! holding the device's own wording (`Login denied`, `User authentication
//! failed`, …) so a consumer can still see them.
//!
//! Every `Failure` carries exactly one [`Cause`](super::Cause). Reason text
//! is mapped by [`cause_from_reason`](super::cause::cause_from_reason),
//! which other parsers share.
//!
//! The parts: `header` reads what comes before the tag (and caches it for
//! a stream of lines), `catalogue` says what each message id is (its
//! [`Role`](super::Role) and its extractor, in one table), `extract` holds
//! the extractors. This file finds the tag and ties them together.

mod catalogue;
mod extract;
mod header;

use std::sync::LazyLock;

use memchr::{memchr, memmem};

use super::text::{contains_ci, hits16, trim};
use super::{Event, Family, Outcome, ParseContext, ServerState};
pub use catalogue::engine_takes;
pub use catalogue::role;
use catalogue::{extract, role_of};
use extract::{aaa_rejected, aaa_successful, finish, marking};
pub use header::HeaderCache;
use header::read_header;

/// Parses one ASA / FTD syslog line. `None` when the line carries no ASA/FTD
/// tag and is not one of the known tagless AAA messages.
pub fn parse<'a>(line: &'a str, ctx: &ParseContext) -> Option<Event<'a>> {
    parse_inner(line, ctx, None)
}

/// [`parse`] for a stream of lines: the same result, but the header of a
/// line that repeats one of the last few headers byte for byte (the same
/// second from the same device, the common case in a busy log) is not
/// parsed again. The header is the costliest part of most lines.
#[inline]
pub fn parse_cached<'a>(
    line: &'a str,
    ctx: &ParseContext,
    cache: &mut HeaderCache,
) -> Option<Event<'a>> {
    parse_inner(line, ctx, Some(cache))
}

fn parse_inner<'a>(
    line: &'a str,
    ctx: &ParseContext,
    cache: Option<&mut HeaderCache>,
) -> Option<Event<'a>> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    match find_tag(line) {
        Some(tag) => {
            let mut ev = Event::new(Family::Headend, Outcome::Info);
            let header = line.get(..tag.start).unwrap_or("");
            let head = match cache {
                Some(cache) => cache.read(header, ctx.default_year),
                None => read_header(header, ctx.default_year),
            };
            ev.ts = head.ts;
            ev.host = head.host;
            if head.ts.is_none() && headerless(header) {
                ev.ts_from = super::TimeFrom::Missing;
            }
            ev.msg_id = Some(tag.id);
            ev.body = Some(tag.body);
            ev.role = role_of(tag.num);
            extract(&mut ev, tag.num, tag.body);
            finish(&mut ev);
            Some(ev)
        }
        None => tagless(line, ctx),
    }
}

/// For bulk readers: the header of a line whose effect on the engine is
/// known without running the parser, because the catalogue says the engine
/// takes nothing from its message but its time ([`engine_takes`]). Such a
/// line has no extractor (firewall traffic such as 302013 or 106023: it
/// parses to an [`Outcome::Info`] event with only `ts`, `host` (both read
/// from this header), `msg_id` and `body` set), or one in a row marked
/// counted (TLS handshake progress: the event also carries what the panes
/// show, such as the client's address). `None` means "parse the line".
pub fn plain_header(line: &[u8]) -> Option<&[u8]> {
    let mut from = 0;
    while let Some(p) = find_percent(line, from) {
        if let Some(plain) = plain_at(line, p) {
            return plain.then(|| line.get(..p)).flatten();
        }
        from = p + 1;
    }
    None
}

/// For bulk readers: the time a plain line (one [`plain_header`] finds a
/// header in) parses to, read from that header alone through `cache`: the
/// event's `ts`, and whether the line has no header of its own (its
/// `ts_from` is [`TimeFrom::Missing`](super::TimeFrom::Missing)). What
/// [`parse_cached`] would give, without finding the tag again, checking the
/// whole line's UTF-8 or running the catalogue. `None` when the line is not
/// plain or its header is not UTF-8: parse the line then.
pub fn plain_time(
    line: &[u8],
    ctx: &ParseContext,
    cache: &mut HeaderCache,
) -> Option<(Option<jiff::Timestamp>, bool)> {
    let header = std::str::from_utf8(plain_header(line)?).ok()?;
    let ts = cache.read(header, ctx.default_year).ts;
    Some((ts, ts.is_none() && headerless(header)))
}

/// Whether [`plain_header`] would find a header, with `memo` remembering
/// the verdicts on the tags the stream repeats: bulk readers ask this of
/// every line, and a busy log repeats a few dozen tags.
#[inline(always)]
pub fn is_plain(line: &[u8], memo: &mut TagMemo) -> bool {
    // Nearly every line: its first `%` starts a tag the memo knows. This
    // path is kept small (it runs on every line); the rest is out of line.
    if let Some(p) = find_percent(line, 0)
        && let Some(plain) = memo.known(line, p)
    {
        return plain;
    }
    is_plain_learning(line, memo)
}

/// [`is_plain`] for a line whose first `%` the memo does not know: the
/// tags are tried in turn, and what the catalogue says is remembered.
#[cold]
#[inline(never)]
fn is_plain_learning(line: &[u8], memo: &mut TagMemo) -> bool {
    let mut from = 0;
    while let Some(p) = find_percent(line, from) {
        if let Some(plain) = memo.plain_at(line, p) {
            return plain;
        }
        from = p + 1;
    }
    false
}

/// The verdicts of [`plain_at`] on recent standard tags
/// (`%ASA-6-302013: B`), keyed by the 16 bytes from the `%`, for tags
/// whose verdict those bytes alone decide. It remembers what the catalogue
/// said; it is no table of its own.
#[derive(Clone, Debug)]
pub struct TagMemo {
    /// The key's first word starts with `%`, so an empty (zero) entry
    /// never matches.
    entries: [(u64, u64, bool); TAG_MEMO_ENTRIES],
}

/// Enough that the few dozen tags of a log rarely share a slot.
const TAG_MEMO_ENTRIES: usize = 256;

impl Default for TagMemo {
    fn default() -> Self {
        TagMemo {
            entries: [(0, 0, false); TAG_MEMO_ENTRIES],
        }
    }
}

impl TagMemo {
    /// The 16 bytes from the `%` at `p` as two words, and the slot they
    /// pick (by the id's last digits and what follows).
    #[inline(always)]
    fn key(line: &[u8], p: usize) -> Option<(&[u8], u64, u64, usize)> {
        let w = line.get(p..p + 16)?;
        let word = |r: std::ops::Range<usize>| {
            w.get(r)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map_or(0, u64::from_le_bytes)
        };
        let (a, b) = (word(0..8), word(8..16));
        let slot = (b.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize % TAG_MEMO_ENTRIES;
        Some((w, a, b, slot))
    }

    /// The remembered verdict on the tag at `p`, if the memo holds it.
    #[inline(always)]
    fn known(&self, line: &[u8], p: usize) -> Option<bool> {
        let (_, a, b, slot) = Self::key(line, p)?;
        let &(ka, kb, plain) = self.entries.get(slot)?;
        (ka == a && kb == b).then_some(plain)
    }

    /// [`plain_at`], remembered.
    fn plain_at(&mut self, line: &[u8], p: usize) -> Option<bool> {
        if let Some(plain) = self.known(line, p) {
            return Some(plain);
        }
        let Some((w, a, b, slot)) = Self::key(line, p) else {
            return plain_at(line, p);
        };
        let standard = plain_at_standard(line, p);
        // The standard check reads past these 16 bytes only while spaces
        // follow the colon: then the bytes do not decide alone.
        let decided =
            !(matches!(w.get(14), Some(b' ' | b'\t')) && matches!(w.get(15), Some(b' ' | b'\t')));
        match standard {
            Some(plain) => {
                if decided && let Some(e) = self.entries.get_mut(slot) {
                    *e = (a, b, plain);
                }
                Some(plain)
            }
            None => plain_at(line, p),
        }
    }
}

/// The first `%` in `line` at or after `from`. Headers are a few dozen
/// bytes: they are searched 16 at a time ([`hits16`], SSE2 on x86-64) in a
/// loop of their own, which costs less than a `memchr` call's set-up and
/// less than [`positions`](super::text::positions)' general walk (this
/// runs on every line of a whole-file read); the rest, if any, with
/// `memchr`. (Steps of 32 bytes, two masks tested at once, cost more:
/// BENCHMARKS.md, §16.23.)
#[inline(always)]
fn find_percent(line: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(Ok(block)) = line.get(at..at + 16).map(<&[u8; 16]>::try_from) {
        let mask = hits16(block, b'%', b'%');
        if mask != 0 {
            return Some(at + mask.trailing_zeros() as usize);
        }
        at += 16;
    }
    line.get(at..)
        .and_then(|rest| memchr(b'%', rest))
        .map(|i| at + i)
}

/// For a `%` at `p` with no tag before it: `None` when no tag starts there,
/// else whether the message is plain (see [`plain_header`]).
#[inline]
fn plain_at(line: &[u8], p: usize) -> Option<bool> {
    if let Some(plain) = plain_at_standard(line, p) {
        return Some(plain);
    }
    let (mut id_at, mut after) = tag_at(line, p)?;
    while line.get(after) == Some(&b'%') {
        match tag_at(line, after) {
            Some(next) => (id_at, after) = next,
            None => break,
        }
    }
    let Some(id) = line.get(id_at..id_at + 6) else {
        return Some(false);
    };
    let num = id
        .iter()
        .fold(0u32, |n, d| n * 10 + u32::from(d.wrapping_sub(b'0')));
    Some(!engine_takes(num))
}

/// [`plain_at`] for the shape nearly every line has, `%ASA-6-302013: text`
/// (or `%FTD-…`), checked on two 8-byte words: this runs on every line of a
/// bulk read. `None`: another shape (or a second tag after this one), for
/// the general path to decide.
#[inline]
fn plain_at_standard(line: &[u8], p: usize) -> Option<bool> {
    const FIVE: u64 = 0xFF_FFFF_FFFF;
    const ASA: u64 = u64::from_le_bytes(*b"%ASA-\0\0\0");
    const FTD: u64 = u64::from_le_bytes(*b"%FTD-\0\0\0");
    const SIX: u64 = 0xFFFF_FFFF_FFFF;
    let w = line.get(p..p + 16)?;
    let a = u64::from_le_bytes(w.get(..8)?.try_into().ok()?);
    let b = u64::from_le_bytes(w.get(8..)?.try_into().ok()?);
    let tag = a & FIVE;
    let severity = (a >> 40) as u8;
    if (tag != ASA && tag != FTD)
        || !(b'0'..=b'7').contains(&severity)
        || (a >> 48) as u8 != b'-'
        || (b >> 40) as u8 != b':'
    {
        return None;
    }
    // The six id bytes (the last of `a`, the first five of `b`) as values
    // 0..=9 if they are digits: a byte is one iff (byte ^ '0') < 10, tested
    // on all six at once (no carry crosses a byte whose value is < 0x80).
    let d = (((a >> 56) | (b << 8)) & SIX) ^ 0x3030_3030_3030;
    if (d | (d + 0x7676_7676_7676)) & 0x8080_8080_8080 != 0 {
        return None;
    }
    let mut i = p + 14;
    while matches!(line.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if line.get(i) == Some(&b'%') {
        return None;
    }
    let id = d.to_le_bytes()[..6]
        .iter()
        .fold(0u32, |n, &v| n * 10 + u32::from(v));
    Some(!engine_takes(id))
}

// ---------------------------------------------------------------------------
// Tag

struct Tag<'a> {
    /// Byte offset of the first tag's `%`: the header ends here.
    start: usize,
    /// The six digits of the (last) tag.
    id: &'a str,
    num: u32,
    /// Text after the tag, leading spaces removed.
    body: &'a str,
}

fn find_tag(line: &str) -> Option<Tag<'_>> {
    let b = line.as_bytes();
    let mut from = 0;
    while let Some(p) = find_percent(b, from) {
        if let Some((mut id_at, mut after)) = tag_at(b, p) {
            // `%FTD-6-113005: %ASA-6-113005:`: the last of back-to-back tags wins.
            while b.get(after) == Some(&b'%') {
                match tag_at(b, after) {
                    Some(next) => (id_at, after) = next,
                    None => break,
                }
            }
            let id = line.get(id_at..id_at + 6)?;
            let num = id.bytes().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
            let body = line.get(after..).unwrap_or("");
            return Some(Tag {
                start: p,
                id,
                num,
                body,
            });
        }
        from = p + 1;
    }
    None
}

/// Checks for a tag at `b[p] == '%'`. Returns the offset of the id's first
/// digit and the offset just past the tag (colon and spaces included).
fn tag_at(b: &[u8], p: usize) -> Option<(usize, usize)> {
    // Fast path for the shape nearly every line has, `%ASA-6-302013: `
    // (or `%FTD-…`), read at fixed offsets; it gives what the general path
    // below would. Anything else (classes, infixes, no colon, a line ending
    // right after the tag) takes the general path.
    if let Some(w) = b.get(p..p + 16).and_then(|s| <&[u8; 16]>::try_from(s).ok())
        && matches!(&w[1..5], b"ASA-" | b"FTD-")
        && matches!(w[5], b'0'..=b'7')
        && w[6] == b'-'
        && w[7..13].iter().all(u8::is_ascii_digit)
        && w[13] == b':'
    {
        let mut i = p + 14;
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        return Some((p + 7, i));
    }
    let rest = b.get(p + 1..)?;
    let mut i = p
        + 1
        + if rest.starts_with(b"ASA") || rest.starts_with(b"FTD") || rest.starts_with(b"PIX") {
            3
        } else if rest.starts_with(b"FWSM") {
            4
        } else {
            return None;
        };
    // `%FTD<Up>-`: skip a short bracketed infix.
    if b.get(i) == Some(&b'<') {
        let close = memchr(b'>', b.get(i..(i + 16).min(b.len()))?)?;
        i += close + 1;
    }
    if b.get(i) != Some(&b'-') {
        return None;
    }
    i += 1;
    // Optional message class (`auth-`, `svc-`, `session-`).
    let class_start = i;
    while b.get(i).is_some_and(u8::is_ascii_lowercase) {
        i += 1;
    }
    if i > class_start {
        if b.get(i) != Some(&b'-') {
            return None;
        }
        i += 1;
    }
    if !matches!(b.get(i), Some(b'0'..=b'7')) || b.get(i + 1) != Some(&b'-') {
        return None;
    }
    i += 2;
    let id_at = i;
    if !b.get(i..i + 6)?.iter().all(u8::is_ascii_digit)
        || b.get(i + 6).is_some_and(u8::is_ascii_digit)
    {
        return None;
    }
    i += 6;
    if b.get(i) == Some(&b':') {
        i += 1;
    }
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    Some((id_at, i))
}

/// Nothing but a `<PRI>` (or nothing at all) before the message: a
/// collector removed the header, so the line has no time of its own. Such
/// a header has no time in it either, so callers holding the header's time
/// ask only when there is none.
fn headerless(header: &str) -> bool {
    let h = trim(header);
    let h = match h.strip_prefix('<').and_then(|r| r.split_once('>')) {
        Some((pri, rest)) if pri.bytes().all(|b| b.is_ascii_digit()) => trim(rest),
        _ => h,
    };
    h.is_empty() || h == ":"
}

// ---------------------------------------------------------------------------
// Tagless lines

static AAA: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new("AAA "));

fn tagless<'a>(line: &'a str, ctx: &ParseContext) -> Option<Event<'a>> {
    let b = line.as_bytes();
    for pos in AAA.find_iter(b) {
        if pos > 0 && !matches!(b.get(pos - 1), Some(b' ' | b':' | b'\t')) {
            continue;
        }
        // `pos` is an ASCII byte, hence a char boundary.
        let body = line.get(pos..).unwrap_or("");
        let mut ev = Event::new(Family::Headend, Outcome::Info);
        let id: &'static str = if body.starts_with("AAA user authentication Rejected") {
            aaa_rejected(&mut ev, body);
            if contains_ci(body, "local database") {
                "113015"
            } else {
                "113005"
            }
        } else if body.starts_with("AAA user authentication Successful") {
            aaa_successful(&mut ev, body);
            if contains_ci(body, "local database") {
                "113012"
            } else {
                "113004"
            }
        } else if body.starts_with("AAA Marking ") {
            match marking(&mut ev, body) {
                Some(ServerState::Failed) => "113022",
                Some(ServerState::Active) => "113023",
                None => continue,
            }
        } else {
            continue;
        };
        let header = line.get(..pos).unwrap_or("");
        let head = read_header(header, ctx.default_year);
        ev.ts = head.ts;
        ev.host = head.host;
        if headerless(header) {
            ev.ts_from = super::TimeFrom::Missing;
        }
        ev.msg_id = Some(id);
        ev.body = Some(body);
        finish(&mut ev);
        return Some(ev);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Cause;
    use jiff::Timestamp;

    pub(super) fn ctx() -> ParseContext {
        ParseContext::for_year(2024)
    }

    pub(super) fn p(line: &str) -> Event<'_> {
        parse(line, &ctx()).unwrap_or_else(|| panic!("not parsed: {line}"))
    }

    /// The header-only time of a plain line is the time its full parse
    /// gives, with or without a header, a priority or a repeated header.
    #[test]
    fn plain_time_is_the_full_parse_time() {
        let ctx = ctx();
        let mut cache = HeaderCache::default();
        let lines: [&[u8]; 7] = [
            b"Dec  5 08:14:02 asa-fw1 : %ASA-6-302013: Built outbound TCP connection 1",
            b"Dec  5 08:14:02 asa-fw1 : %ASA-6-302013: Built outbound TCP connection 2",
            b"<166>Dec  5 08:14:03 asa-fw2 : %FTD-6-302014: Teardown TCP connection 1",
            b"2024-12-05T08:14:04Z asa-fw1 : %ASA-4-106023: Deny tcp src outside:1.2.3.4/5",
            b"%ASA-6-302013: Built outbound TCP connection 3",
            b"<166>: %ASA-6-302013: Built outbound TCP connection 4",
            b"Dec  5 08:14:05 asa-fw1 : %ASA-6-302013: Built \xff\xfe connection 5",
        ];
        for line in lines {
            let text = String::from_utf8_lossy(line);
            let full = parse(&text, &ctx).expect("a plain line parses");
            let missing = full.ts_from == crate::parse::TimeFrom::Missing;
            assert_eq!(
                plain_time(line, &ctx, &mut cache),
                Some((full.ts, missing)),
                "{text}"
            );
        }
        // Not plain, or a header that is not UTF-8: the line is parsed.
        assert_eq!(
            plain_time(b"Dec  5 08:14:02 asa : %ASA-6-113005: x", &ctx, &mut cache),
            None
        );
        assert_eq!(
            plain_time(b"Dec  5 \xff asa : %ASA-6-302013: x", &ctx, &mut cache),
            None
        );
    }

    #[test]
    fn headerless_lines_say_they_have_no_time_of_their_own() {
        for line in [
            "%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.1 : user = ann : user IP = 192.0.2.4",
            " %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.1 : user = ann : user IP = 192.0.2.4",
            "<166>%FTD-session-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.1 : user = ann : user IP = 192.0.2.4",
            " AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.1 : user = ann : user IP = 192.0.2.4",
        ] {
            let e = p(line);
            assert_eq!(
                (e.outcome, e.user, e.ts, e.ts_from, e.msg_id),
                (
                    Outcome::Failure,
                    Some("ann"),
                    None,
                    crate::parse::TimeFrom::Missing,
                    Some("113005")
                ),
                "{line}"
            );
        }
        let full = p(
            "<166>Nov 28 2026 08:45:27 fw : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.1 : user = ann : user IP = 192.0.2.4",
        );
        assert_eq!(full.ts_from, crate::parse::TimeFrom::Line);
    }

    pub(super) fn ts(s: &str) -> Option<Timestamp> {
        Some(s.parse().unwrap())
    }

    // ---- tag variants ----

    #[test]
    fn tag_double_ftd_asa_takes_last() {
        let e = p(
            "<166>Jun 01 2025 09:00:00Z  %FTD-6-113015: %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 192.0.2.20 : user = gwen : user IP = 198.51.100.30",
        );
        assert_eq!(e.msg_id, Some("113005"));
        assert_eq!(e.ts, ts("2025-06-01T09:00:00Z"));
        assert_eq!(e.host, None);
        assert_eq!(e.user, Some("gwen"));
        assert_eq!(e.cause, Some(Cause::BadCredentials));
    }

    #[test]
    fn tag_class_name_and_odd_infix_and_missing_colon() {
        assert_eq!(
            p("%ASA-auth-6-113008: AAA transaction status ACCEPT : user = a").msg_id,
            Some("113008")
        );
        assert_eq!(
            p("%FTD<Up>-4-313005: No matching connection").msg_id,
            Some("313005")
        );
        let e = p(
            "%FTD-4-750003 Local:192.0.2.1:500 Remote:198.51.100.9:500 Username:hal Negotiation aborted due to ERROR: Failed to authenticate the IKE SA",
        );
        assert_eq!(e.msg_id, Some("750003"));
        assert_eq!(e.user, Some("hal"));
        assert_eq!(e.client_ip, Some("198.51.100.9"));
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.reason, Some("Failed to authenticate the IKE SA"));
        assert_eq!(p("%PIX-6-302013: x").msg_id, Some("302013"));
        assert_eq!(p("%FWSM-6-302013: x").msg_id, Some("302013"));
    }

    #[test]
    fn tag_severity_is_ignored() {
        // 113005 re-levelled to 3 means the same thing.
        let e = p(
            "%ASA-3-113005: AAA user authentication Rejected : reason = Invalid password : server = 192.0.2.20 : user = ivy : user IP = 198.51.100.31",
        );
        assert_eq!(e.outcome, Outcome::Failure);
    }

    #[test]
    fn tag_rejects_near_misses() {
        for line in [
            "%ASA-6-: nothing",
            "%ASA-6-11300: five digits",
            "%ASA-6-1130055: seven digits",
            "%ASA-9-113005: severity out of range",
            "%ASA6-113005: no dash",
            "%ASA-AUTH-6-113005: class in capitals",
            "%FOO-6-113005: other product",
            "%IOSXE-3-PLATFORM: R0/0",
            "%",
            "%A",
            "%ASA",
            "%ASA-",
            "%ASA-auth",
            "%ASA-auth-",
            "%ASA-6",
            "%ASA-6-",
            "%ASA-6-1",
            "%FTD<Up",
        ] {
            assert!(parse(line, &ctx()).is_none(), "{line}");
        }
    }

    #[test]
    fn tag_found_after_percent_in_header() {
        let e = p("host%1 : %ASA-6-302013: x");
        assert_eq!(e.msg_id, Some("302013"));
    }

    // ---- tagless ----

    #[test]
    fn tagless_rejected_infers_id() {
        let e = p(
            "Jul  1 09:27:13 198.51.100.90 : AAA user authentication Rejected : reason = Invalid password : server = 192.0.2.10 : user = hugo : user IP = 203.0.113.90",
        );
        assert_eq!(e.msg_id, Some("113005"));
        assert_eq!(e.host, Some("198.51.100.90"));
        assert_eq!(e.ts, ts("2024-07-01T09:27:13Z"));
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::BadCredentials));
        assert_eq!(e.user, Some("hugo"));
        assert_eq!(e.client_ip, Some("203.0.113.90"));
        let e = p(
            "Jul  1 09:27:13 h : AAA user authentication Rejected : reason = Account has been disabled : local database : user = hugo",
        );
        assert_eq!(e.msg_id, Some("113015"));
        assert_eq!(e.cause, Some(Cause::AccountDisabled));
    }

    #[test]
    fn tagless_success_and_marking() {
        let e = p(
            "Jul  1 09:27:13 h : AAA user authentication Successful : server = 192.0.2.10 : user = hugo",
        );
        assert_eq!(e.msg_id, Some("113004"));
        assert_eq!(e.outcome, Outcome::Success);
        let e = p(
            "Jul  1 09:27:13 h : AAA user authentication Successful : local database : user = hugo",
        );
        assert_eq!(e.msg_id, Some("113012"));
        let e = p(
            "Jul  1 09:27:13 h : AAA Marking RADIUS server 192.0.2.60 in aaa-server group ISE as FAILED",
        );
        assert_eq!(e.msg_id, Some("113022"));
        assert_eq!(e.server_state, Some(ServerState::Failed));
        assert_eq!(e.cause, Some(Cause::AaaUnreachable));
        let e = p("AAA Marking RADIUS server 192.0.2.60 in aaa-server group ISE as ACTIVE");
        assert_eq!(e.msg_id, Some("113023"));
        assert_eq!(e.outcome, Outcome::Info);
    }

    #[test]
    fn tagless_other_text_is_not_recognised() {
        for line in [
            "Jul  1 09:27:13 h : AAA something else",
            "Jul  1 09:27:13 h : xAAA user authentication Rejected : reason = x",
            "AAA Marking RADIUS server 192.0.2.60 in aaa-server group ISE as SLEEPY",
            "AAA Marking",
            "Jan 12 17:05:35 x5 acvpnui[16263]: Message type warning sent to the user: Connection attempt has failed.",
        ] {
            assert!(parse(line, &ctx()).is_none(), "{line}");
        }
    }

    // ---- invariants and robustness ----

    #[test]
    fn failures_always_have_a_cause() {
        let lines = [
            "%ASA-6-113005: AAA user authentication Rejected",
            "%ASA-6-113005:",
            "%ASA-3-722020: garbage",
            "%ASA-5-750003: nothing useful",
            "%ASA-3-716158: SAML something",
            "%ASA-6-113045: AAA SDI server x in aaa-server group G: status changed from OK to SUSPENDED",
        ];
        for line in lines {
            let e = p(line);
            if e.outcome == Outcome::Failure {
                assert!(e.cause.is_some(), "{line}");
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        for line in [
            "",
            " ",
            ":",
            "<",
            "<1",
            "<166>",
            "<166>:",
            "<166>::",
            "<99999999>",
            "%",
            "%%%%",
            "%ASA-6-",
            "%ASA-6-113005",
            "%ASA-6-113005:",
            "%ASA-6-113005: AAA user authentication Rejected : reason =",
            "%ASA-6-113005: user =",
            "%ASA-6-113005: =",
            "%ASA-6-113005: ==== : : , ,",
            "%ASA-6-113019: Reason:",
            "%ASA-6-113039: Group <",
            "%ASA-6-113039: Group <a> User <",
            "%ASA-6-113039: Group <a> User <b> IP <",
            "%ASA-6-113039: Group a User b IP",
            "%ASA-3-722020: TunnelGroup <",
            "%ASA-5-751025: Local: Remote: Username:",
            "%ASA-5-751025: Remote:[2001:db8::1",
            "%ASA-6-113022: AAA Marking  ",
            "%ASA-6-605004: Login denied from",
            "%ASA-6-113006: User 'x",
            "Jan",
            "Jan 1",
            "Jan 12 17:05",
            "Feb 31 2024 99:99:99 : %ASA-6-113004: AAA user",
            "2024-",
            "2024-01-01T",
            "ééé %ASA-6-113004: AAA user authentication Successful : user = é",
            "%ASA-6-113004: AAA user authentication Successful : user = ü:",
            "日本語 %FTD<日本>-6-113004: x",
            "<166>é",
            "\u{0}\u{1}\u{2}",
            "AAA ",
            "AAA user authentication Rejected",
            "AAA Marking x",
        ] {
            let _ = parse(line, &ctx());
        }
    }

    #[test]
    fn every_prefix_of_real_shapes_never_panics() {
        let shapes = [
            "<166>: 2023 Nov 05 14:00:01 UTC 1b2c3d4e : %FTD-auth-6-113039: Group <GP Staff> User <Dana> IP <2001:db8::44> AnyConnect parent session started.",
            "Oct  2 03:00:00 collector : Oct  1 22:59:58.123 EDT: %ASA-auth-4-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.10 : user = ü : user IP = 198.51.100.9",
            "<166>Jun 01 2025 09:00:00Z  %FTD-6-113005: %ASA-6-113005: AAA user authorization Rejected : reason = x : server = 0.0.0.0 : user = y : user IP = None",
            "%ASA-4-113019: Group = G, Username = U, IP = 198.51.100.40, Session disconnected. Session Type: LAN-to-LAN, Duration: 1d 02h:03m:04s, Bytes xmt: 1, Bytes rcv: 2, Reason: Idle Timeout",
            "%ASA-5-751025: Local:2001:db8::1:4500 Remote:[2001:db8::78]:61000 Username:gil IKEv2 Group:GP IPv4 Address=10.9.0.7",
            "%ASA-3-722020: TunnelGroup <Staff> GroupPolicy <GP_Staff> User <eli> IP <198.51.100.73> No address available for SVC connection",
            "%ASA-6-716039: Authentication: rejected, group = Web user = zoe , Session Type: admin",
            "%ASA-4-409023: Attempting AAA Fallback method LOCAL for Authentication request for user xena : Auth-server group CORP-RAD unreachable",
            "%ASA-5-734002: DAP: User fern, Addr 2001:db8::77: Connection terminated by the following DAP records: Q",
            "%ASA-6-605004: Login denied from 198.51.100.50/50123 to mgmt:192.0.2.1/https for user \"*****\"",
            "%ASA-6-113045: AAA SDI server 192.0.2.61 in aaa-server group RSA: status changed from OK to SUSPENDED",
            "5/20/14 11:33:56.909 PM AAA user authentication Rejected : reason = é",
        ];
        for s in shapes {
            for (i, _) in s.char_indices() {
                let _ = parse(&s[..i], &ctx());
                let _ = parse(&s[i..], &ctx());
            }
        }
    }

    #[test]
    fn pseudo_random_input_never_panics() {
        // A fixed xorshift stream over an alphabet rich in the parser's
        // delimiters, plus multi-byte characters.
        let alphabet: Vec<char> = "%ASAFTD-0123456789:<>= ,.'\"/[]()abcuserIPGroupUé日\t"
            .chars()
            .collect();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let fragments = [
            "%ASA-6-113005: ",
            "%FTD-auth-4-722051:",
            "user = ",
            " : ",
            "Group <",
            " User ",
            " IP ",
            "Remote:",
            "Jan  1 00:00:00 ",
            "<166>",
            "AAA user authentication Rejected",
            "AAA Marking ",
        ];
        for _ in 0..5_000 {
            let mut s = String::new();
            let n = (next() % 80) as usize;
            for _ in 0..n {
                let r = next();
                if r % 7 == 0 {
                    s.push_str(fragments[(r / 7) as usize % fragments.len()]);
                } else {
                    s.push(alphabet[(r as usize / 3) % alphabet.len()]);
                }
            }
            if let Some(e) = parse(&s, &ctx())
                && e.outcome == Outcome::Failure
            {
                assert!(e.cause.is_some(), "{s}");
            }
        }
        // Raw bytes, made valid UTF-8 the lossy way.
        for _ in 0..2_000 {
            let bytes: Vec<u8> = (0..(next() % 64)).map(|_| next() as u8).collect();
            let s = String::from_utf8_lossy(&bytes);
            let _ = parse(&s, &ctx());
        }
    }
    /// The memo of tag verdicts never changes one: every line, seen again
    /// after others filled the memo (so that it is answered from there),
    /// gets what `plain_header` says, including lines whose first 16 bytes
    /// from the tag match a remembered tag's but whose verdict depends on
    /// what follows (spaces, then a second tag).
    #[test]
    fn the_tag_memo_gives_what_plain_header_gives() {
        let mut lines = Vec::new();
        for id in [
            302013u32, 302014, 106023, 113005, 716039, 113039, 722051, 733100,
        ] {
            for after in [
                " Built x",
                "  %ASA-6-113005: y",
                "\t\t%FTD-6-302013: z",
                " %ASA-6-113005: w",
                "",
                " ",
                "B",
            ] {
                for head in [
                    "Dec  5 08:14:02 fw : ",
                    "",
                    "x%y : ",
                    "%%",
                    "<166>2026-12-05T08:14:02Z fw ",
                ] {
                    for tag in [
                        "%ASA-6-",
                        "%FTD-4-",
                        "%ASA-auth-6-",
                        "%FTD<Up>-6-",
                        "%PIX-6-",
                    ] {
                        lines.push(format!("{head}{tag}{id}:{after}"));
                    }
                }
            }
        }
        let mut memo = TagMemo::default();
        for round in 0..2 {
            for line in &lines {
                let want = plain_header(line.as_bytes()).is_some();
                // Asked twice in a row: the second answer is the memo's
                // whenever the first was remembered.
                for _ in 0..2 {
                    assert_eq!(
                        is_plain(line.as_bytes(), &mut memo),
                        want,
                        "round {round}: {line:?}"
                    );
                }
            }
        }
        let remembered = memo.entries.iter().filter(|e| e.0 != 0).count();
        // At least one tag per id (`%ASA-6-` and `%FTD-4-` share a slot).
        assert!(remembered >= 8, "the memo was used: {remembered} entries");
        assert_eq!(find_percent(b"0123456789abcdef0123%", 0), Some(20));
        assert_eq!(find_percent(b"%0123456789abcdef0123%", 1), Some(21));
        assert_eq!(find_percent(b"no percent here at all, none", 0), None);
    }

    /// The blockwise search finds what a byte-by-byte one does, for every
    /// line length across the 16-byte steps and the `memchr` rest, one `%`
    /// at every place (or none) and a second at the end or a block further
    /// on, and every start.
    #[test]
    fn find_percent_is_the_first_percent_at_or_after_the_start() {
        let naive =
            |line: &[u8], from: usize| (from..line.len()).find(|&i| line.get(i) == Some(&b'%'));
        for len in 0..80usize {
            for first in (0..len).map(Some).chain([None]) {
                for second in [None, Some(len.saturating_sub(1)), first.map(|f| f + 17)] {
                    let mut line = vec![b'a'; len];
                    for at in [first, second].into_iter().flatten() {
                        if let Some(b) = line.get_mut(at) {
                            *b = b'%';
                        }
                    }
                    for from in 0..=len {
                        assert_eq!(
                            find_percent(&line, from),
                            naive(&line, from),
                            "{:?} from {from}",
                            String::from_utf8_lossy(&line)
                        );
                    }
                }
            }
        }
    }

    /// The word-at-a-time check of the standard tag shape says what the
    /// general path says, or leaves the line to it: over every id and
    /// severity, and over bytes near the digits that a SWAR test could
    /// mistake for digits.
    #[test]
    fn standard_tag_check_agrees_with_the_general_path() {
        let general = |line: &[u8]| {
            let (mut id_at, mut after) = tag_at(line, 0)?;
            while line.get(after) == Some(&b'%') {
                match tag_at(line, after) {
                    Some(next) => (id_at, after) = next,
                    None => break,
                }
            }
            let id = line.get(id_at..id_at + 6)?;
            let num = id
                .iter()
                .fold(0u32, |n, d| n * 10 + u32::from(d.wrapping_sub(b'0')));
            Some(!engine_takes(num))
        };
        let mut checked = 0;
        let mut check = |line: &[u8]| {
            if let Some(fast) = plain_at_standard(line, 0) {
                assert_eq!(
                    Some(fast),
                    general(line),
                    "{:?}",
                    String::from_utf8_lossy(line)
                );
                checked += 1;
            }
        };
        for id in (100_000..=999_999u32).step_by(7) {
            for tag in ["ASA", "FTD"] {
                check(format!("%{tag}-6-{id}: Built x").as_bytes());
            }
        }
        for id in [113005u32, 302013, 716039] {
            for sev in b'0'..=b'9' {
                let line = format!("%ASA-{}-{id}: x", sev as char);
                check(line.as_bytes());
            }
            check(format!("%ASA-6-{id}:  \t%ASA-6-113005: x").as_bytes());
            check(format!("%ASA-6-{id}: %FTD-6-302013: x").as_bytes());
        }
        for b in 0..=255u8 {
            for at in 7..13 {
                let mut line = b"%ASA-6-302013: text of the line".to_vec();
                line[at] = b;
                check(&line);
            }
        }
        assert!(checked > 250_000, "the fast path ran {checked} times");
    }
}
