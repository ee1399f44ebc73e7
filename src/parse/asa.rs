//! Cisco ASA / FTD syslog: one line in, one [`Event`] out.
//!
//! A line is `[header] %ASA-[class-]<sev>-<id>[:] <body>`. The parser finds the
//! product tag with `memchr` (a `%`, then a check of what follows), reads the
//! header in front of it (`<PRI>`, timestamps, device id; see [`time`]), turns
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
//! Header times without a zone are taken as UTC (see [`time`]). When a relay
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
//! Every `Failure` carries exactly one [`Cause`]. Reason text is mapped by
//! [`cause_from_reason`], which other parsers may reuse.

use std::sync::LazyLock;

use jiff::Timestamp;
use memchr::{memchr, memchr_iter, memmem};

use super::{Cause, Event, Family, Outcome, ParseContext, Role, ServerState, field, time};

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
            ev.msg_id = Some(tag.id);
            ev.role = role_of(tag.num);
            extract(&mut ev, tag.num, tag.body);
            finish(&mut ev);
            Some(ev)
        }
        None => tagless(line, ctx),
    }
}

/// For bulk readers: the header of a line whose parse result is already
/// known without running the parser, because its message id has no
/// extractor (firewall traffic such as 302013 or 106023): such a line parses
/// to an [`Outcome::Info`] event with only `ts`, `host` (both read from this
/// header) and `msg_id` set. `None` means "parse the line".
pub fn plain_header(line: &[u8]) -> Option<&[u8]> {
    let mut from = 0;
    while let Some(off) = line.get(from..).and_then(|rest| memchr(b'%', rest)) {
        let p = from + off;
        if let Some(plain) = plain_at(line, p) {
            return plain.then(|| line.get(..p)).flatten();
        }
        from = p + 1;
    }
    None
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
    Some(!has_extractor(num))
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
    Some(!has_extractor(id))
}

/// The [`Role`] of message `id` (see its variants for the ids).
fn role_of(id: u32) -> Role {
    match id {
        113039 | 716001 | 722022 | 751025 => Role::SessionUp,
        605004 | 611102 | 113021 => Role::ManagementLogin { denied: true },
        605005 | 611101 => Role::ManagementLogin { denied: false },
        611103 => Role::Management,
        113010 => Role::AaaChallenge,
        409023 => Role::GroupFallback,
        113005 | 113015 => Role::AaaRejection,
        716039 => Role::WebvpnRejection,
        _ => Role::Plain,
    }
}

/// [`role_of`] for an id as text (events built by hand in tests).
pub fn role(id: &str) -> Role {
    id.parse().map_or(Role::Plain, role_of)
}

/// The ids [`extract`] has an arm for. Keep in step with it; the test
/// `plain_ids_parse_to_plain_events` checks every id.
fn has_extractor(id: u32) -> bool {
    matches!(
        id,
        113004..=113017
            | 113019..=113027
            | 113029..=113040
            | 113045
            | 409023
            | 605004
            | 605005
            | 611101..=611103
            | 711001
            | 713000..=713999
            | 716000..=717999
            | 722000..=722999
            | 725000..=725999
            | 733201
            | 734000..=734999
            | 737000..=737999
            | 750000..=751999
    )
}

/// Maps a free-text rejection reason (RADIUS/AD wording relayed by the ASA, or
/// any similar text) to a [`Cause`], by case-insensitive substring checks.
/// Unknown text gives [`Cause::Other`].
pub fn cause_from_reason(reason: &str) -> Cause {
    // Fast path: the ASA's own fixed reason strings, compared whole.
    let trimmed = reason.trim();
    let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
    if let Some(&(_, cause)) = EXACT_REASONS
        .iter()
        .find(|(text, _)| text.len() == trimmed.len() && text.eq_ignore_ascii_case(trimmed))
    {
        return cause;
    }
    // General path: one pass over the lower-cased text; at each byte, try only
    // the phrases starting with that byte; the earliest table entry wins.
    let mut buf = [0u8; 256];
    let src = reason.as_bytes();
    let n = src.len().min(buf.len());
    for (d, s) in buf.iter_mut().zip(src) {
        *d = s.to_ascii_lowercase();
    }
    let text = buf.get(..n).unwrap_or(&[]);
    let by_first = &*REASON_INDEX;
    let mut best = usize::MAX;
    for (i, &c) in text.iter().enumerate() {
        let Some(candidates) = by_first.get(usize::from(c)) else {
            continue;
        };
        for &k in candidates {
            if k < best
                && let Some(&(needle, _)) = REASON_PHRASES.get(k)
                && text.get(i..i + needle.len()) == Some(needle.as_bytes())
            {
                best = k;
            }
        }
    }
    REASON_PHRASES
        .get(best)
        .map_or(Cause::Other, |&(_, cause)| cause)
}

/// Whole reason strings the ASA is known to log (113005/113015–113017).
const EXACT_REASONS: &[(&str, Cause)] = &[
    ("AAA failure", Cause::BadCredentials),
    ("Invalid password", Cause::BadCredentials),
    ("Unspecified", Cause::BadCredentials),
    ("Password malformed", Cause::BadCredentials),
    ("User was not found", Cause::UnknownUser),
    ("Account has been locked out", Cause::AccountLocked),
    ("Account has been disabled", Cause::AccountDisabled),
    ("Users account has expired", Cause::AccountDisabled),
    ("Password has expired", Cause::PasswordExpired),
    ("Password is expiring", Cause::PasswordExpired),
];

/// Lower-case phrases, most specific first (`password has expired` before the
/// generic credential words, `group locked` before `locked out`).
const REASON_PHRASES: &[(&str, Cause)] = {
    use Cause::*;
    &[
        ("group locked", GroupMismatch),
        ("group-lock", GroupMismatch),
        ("locked out", AccountLocked),
        ("lockout", AccountLocked),
        ("account locked", AccountLocked),
        ("account is locked", AccountLocked),
        ("password has expired", PasswordExpired),
        ("password is expiring", PasswordExpired),
        ("password expired", PasswordExpired),
        ("password must be changed", PasswordExpired),
        ("must change", PasswordExpired),
        ("account has been disabled", AccountDisabled),
        ("account disabled", AccountDisabled),
        ("account is disabled", AccountDisabled),
        ("account has expired", AccountDisabled),
        ("account expired", AccountDisabled),
        ("user was not found", UnknownUser),
        ("user not found", UnknownUser),
        ("no such user", UnknownUser),
        ("unknown user", UnknownUser),
        ("challenge", TokenRequired),
        ("token", TokenRequired),
        ("new pin", TokenRequired),
        ("securid", TokenRequired),
        ("passcode", TokenRequired),
        ("certificate", Certificate),
        ("simultaneous", Capacity),
        ("session limit", Capacity),
        ("license", Capacity),
        ("licence", Capacity),
        ("unreachable", AaaUnreachable),
        ("not accessible", AaaUnreachable),
        ("not responding", AaaUnreachable),
        ("no response", AaaUnreachable),
        ("not authorized", AuthorizationDenied),
        ("authorization", AuthorizationDenied),
        ("invalid password", BadCredentials),
        ("aaa failure", BadCredentials),
        ("unspecified", BadCredentials),
        ("password malformed", BadCredentials),
        ("bad password", BadCredentials),
        ("wrong password", BadCredentials),
        ("invalid credential", BadCredentials),
        ("authentication fail", BadCredentials),
        ("login fail", BadCredentials),
        ("login denied", BadCredentials),
        ("rejected", BadCredentials),
    ]
};

/// For each first byte, the indexes of the [`REASON_PHRASES`] starting with it.
static REASON_INDEX: LazyLock<Vec<Vec<usize>>> = LazyLock::new(|| {
    let mut index = vec![Vec::new(); 256];
    for (k, (phrase, _)) in REASON_PHRASES.iter().enumerate() {
        if let Some(list) = phrase
            .bytes()
            .next()
            .and_then(|b| index.get_mut(usize::from(b)))
        {
            list.push(k);
        }
    }
    index
});

/// ASCII case-insensitive substring test; `needle` must be lower case.
pub(crate) fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    let Some(&first) = n.first() else { return true };
    let upper = first.to_ascii_uppercase();
    // Anchor on the first byte with memchr2, then compare the rest.
    memchr::memchr2_iter(first, upper, h).any(|i| {
        h.get(i..i + n.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(n))
    })
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
    while let Some(off) = b.get(from..).and_then(|rest| memchr(b'%', rest)) {
        let p = from + off;
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

// ---------------------------------------------------------------------------
// Header

struct Header<'a> {
    ts: Option<Timestamp>,
    host: Option<&'a str>,
}

/// The results of the last few [`read_header`] calls, keyed by the header's
/// exact bytes (and the default year), so repeated headers are read once.
/// Fixed-size and allocation-free; headers longer than [`HEADER_CACHE_BYTES`]
/// are simply not cached.
#[derive(Clone, Debug)]
pub struct HeaderCache {
    entries: [CachedHeader; HEADER_CACHE_ENTRIES],
    /// The entry replaced next (round robin).
    next: usize,
    /// The entry that matched last, tried first.
    last_hit: usize,
}

const HEADER_CACHE_ENTRIES: usize = 4;
const HEADER_CACHE_BYTES: usize = 96;

#[derive(Clone, Debug)]
struct CachedHeader {
    /// 0: empty.
    len: u8,
    bytes: [u8; HEADER_CACHE_BYTES],
    default_year: i16,
    ts: Option<Timestamp>,
    /// The host as a byte range of the header.
    host: Option<(u8, u8)>,
    /// The leading time text as a byte range of the header.
    leading_time: Option<(u8, u8)>,
}

impl Default for HeaderCache {
    fn default() -> Self {
        let empty = CachedHeader {
            len: 0,
            bytes: [0; HEADER_CACHE_BYTES],
            default_year: 0,
            ts: None,
            host: None,
            leading_time: None,
        };
        HeaderCache {
            entries: std::array::from_fn(|_| empty.clone()),
            next: 0,
            last_hit: 0,
        }
    }
}

impl HeaderCache {
    /// The time [`parse`] would give a line with this header; `None` when
    /// the header is not UTF-8 (the caller then parses the line).
    pub fn time(&mut self, header: &[u8], default_year: i16) -> Option<Option<Timestamp>> {
        if let Some(e) = self.lookup(header, default_year) {
            return Some(e.ts);
        }
        let h = std::str::from_utf8(header).ok()?;
        Some(self.read(h, default_year).ts)
    }

    /// The time of a plain line (see [`plain_header`]) when its header is
    /// one already cached: the line starts with the cached header bytes and
    /// a tag follows. Those bytes are the same, so any `%` in them is not a
    /// tag here either, and the search for the tag can be skipped.
    /// `Some(None)`: the message is not plain; `None`: not cached.
    #[inline]
    pub fn plain_time(
        &mut self,
        line: &[u8],
        default_year: i16,
    ) -> Option<Option<Option<Timestamp>>> {
        let starts = |e: &CachedHeader| {
            let n = usize::from(e.len);
            n > 0
                && line.get(n) == Some(&b'%')
                && e.default_year == default_year
                && line.get(..n).is_some_and(|h| same_bytes(&e.bytes, h))
        };
        let e = self.find(starts)?;
        let plain = plain_at(line, usize::from(e.len))?;
        Some(plain.then_some(e.ts))
    }

    /// The first entry `matches` accepts, trying the last one hit first.
    fn find(&mut self, matches: impl Fn(&CachedHeader) -> bool) -> Option<&CachedHeader> {
        if !self.entries.get(self.last_hit).is_some_and(&matches) {
            self.last_hit = self.entries.iter().position(&matches)?;
        }
        self.entries.get(self.last_hit)
    }

    /// The entry for exactly these header bytes, most recent hit first.
    fn lookup(&mut self, b: &[u8], default_year: i16) -> Option<&CachedHeader> {
        if b.is_empty() || b.len() > HEADER_CACHE_BYTES {
            return None;
        }
        let matches = |e: &CachedHeader| {
            usize::from(e.len) == b.len()
                && e.default_year == default_year
                && same_bytes(&e.bytes, b)
        };
        self.find(matches)
    }

    fn read<'a>(&mut self, h: &'a str, default_year: i16) -> Header<'a> {
        let b = h.as_bytes();
        if let Some(e) = self.lookup(b, default_year) {
            // Same bytes, same year: `read_header` would return the same
            // time and the same host range.
            let host = e
                .host
                .and_then(|(s, end)| h.get(usize::from(s)..usize::from(end)));
            return Header { ts: e.ts, host };
        }
        if b.is_empty() || b.len() > HEADER_CACHE_BYTES {
            return read_header(h, default_year);
        }
        let (head, parts) = match self.reuse(h, default_year) {
            Some(found) => found,
            None => read_header_parts(h, default_year),
        };
        let slot = self.next;
        self.next = (self.next + 1) % HEADER_CACHE_ENTRIES;
        if let Some(e) = self.entries.get_mut(slot) {
            // Header lengths are at most HEADER_CACHE_BYTES (< 256).
            e.len = b.len() as u8;
            if let Some(dst) = e.bytes.get_mut(..b.len()) {
                dst.copy_from_slice(b);
            }
            e.default_year = default_year;
            e.ts = head.ts;
            e.host = head.host.map(|host| {
                let start = host.as_ptr() as usize - h.as_ptr() as usize;
                (start as u8, (start + host.len()) as u8)
            });
            e.leading_time = parts.leading_time.map(|(s, n)| (s as u8, (s + n) as u8));
        }
        head
    }

    /// [`read_header_parts`] for a header that is a cached one with another
    /// leading time (the next second) or another host (the other firewall
    /// of a pair), done by parsing just that part: the tokens around it are
    /// the same bytes, so `read_header` would treat them the same way.
    fn reuse<'a>(&self, h: &'a str, default_year: i16) -> Option<(Header<'a>, HeaderParts)> {
        let b = h.as_bytes();
        let range = |r: Option<(u8, u8)>| r.map(|(s, e)| (usize::from(s), usize::from(e)));
        for e in &self.entries {
            if usize::from(e.len) != b.len() || e.default_year != default_year {
                continue;
            }
            let cached = e.bytes.get(..b.len())?;
            let same_outside = |(s, end): (usize, usize)| {
                cached.get(..s) == b.get(..s) && cached.get(end..) == b.get(end..)
            };
            let host_at = |(s, end): (usize, usize)| h.get(s..end);
            // Another leading time of the same length.
            if let Some((s, end)) = range(e.leading_time)
                && same_outside((s, end))
            {
                let ts = match next_second(cached, b, (s, end), e.ts) {
                    Some(ts) => Some(Some(ts)),
                    None => time::parse_prefix_bytes(b.get(s..)?, default_year)
                        .filter(|&(_, n)| s + n == end)
                        .map(|(ts, _)| ts),
                };
                if let Some(ts) = ts {
                    let host = match range(e.host) {
                        Some(r) => Some(host_at(r)?),
                        None => None,
                    };
                    let parts = HeaderParts {
                        leading_time: Some((s, end - s)),
                    };
                    return Some((Header { ts, host }, parts));
                }
            }
            // Another host right after the leading time (`TIME HOST …`):
            // one with no separator in it, host-like, not starting a time,
            // and not read into by the time (which is parsed again).
            if let (Some((ts_start, ts_end)), Some((s, end))) =
                (range(e.leading_time), range(e.host))
                && b.get(ts_end..s)
                    .is_some_and(|gap| gap.iter().all(|c| matches!(c, b' ' | b'\t' | b':')))
                && same_outside((s, end))
            {
                let tok = b.get(s..end)?;
                if tok.iter().all(|c| !matches!(c, b' ' | b'\t' | b':'))
                    && host_like(tok)
                    && time::parse_prefix_bytes(b.get(s..)?, default_year).is_none()
                    && time::parse_prefix_bytes(b.get(ts_start..)?, default_year)
                        == Some((e.ts, ts_end - ts_start))
                {
                    let parts = HeaderParts {
                        leading_time: Some((ts_start, ts_end - ts_start)),
                    };
                    return Some((
                        Header {
                            ts: e.ts,
                            host: Some(host_at((s, end))?),
                        },
                        parts,
                    ));
                }
            }
        }
        None
    }
}

/// The time of header `b` when it differs from the cached header only in
/// the seconds (`…:SS` ending the time text at `span`): the cached time
/// moved by the difference, which is what parsing would give (nothing else
/// in the time changed, and within a minute no offset changes).
fn next_second(
    cached: &[u8],
    b: &[u8],
    (start, end): (usize, usize),
    ts: Option<Timestamp>,
) -> Option<Timestamp> {
    let ts = ts?;
    let head = end.checked_sub(2)?;
    if head < start + 1
        || b.get(head - 1) != Some(&b':')
        || cached.get(start..head) != b.get(start..head)
    {
        return None;
    }
    let seconds = |s: &[u8]| match s {
        [t @ b'0'..=b'5', u @ b'0'..=b'9'] => Some(i64::from((t - b'0') * 10 + (u - b'0'))),
        _ => None,
    };
    let old = seconds(cached.get(head..end)?)?;
    let new = seconds(b.get(head..end)?)?;
    ts.checked_add(jiff::SignedDuration::from_secs(new - old))
        .ok()
}

/// Whether `b` is the start of `cached`, compared eight bytes at a time
/// from the end (where the seconds and the host differ) inward; short
/// headers make a `memcmp` call cost more than the comparison.
fn same_bytes(cached: &[u8; HEADER_CACHE_BYTES], b: &[u8]) -> bool {
    let Some(a) = cached.get(..b.len()) else {
        return false;
    };
    let n = b.len();
    if n < 8 {
        return a == b;
    }
    let word = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_ne_bytes)
    };
    // Words from the end; the first one may overlap the second, which
    // costs less than a `memcmp` call for the bytes left over.
    let mut at = n - 8;
    loop {
        if word(a, at) != word(b, at) {
            return false;
        }
        if at == 0 {
            return true;
        }
        at = at.saturating_sub(8);
    }
}

/// Reads `[<PRI>[:]] [time] [host] [: time] [device-id] [:]`, in any of the
/// combinations relays and devices produce. This runs on every line, so it
/// scans bytes and only turns the chosen host into a `&str` at the end.
fn read_header(h: &str, default_year: i16) -> Header<'_> {
    read_header_parts(h, default_year).0
}

/// Where [`read_header`] found what it returned, for [`HeaderCache`] to
/// reuse its work on a header that differs only in the time or the host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct HeaderParts {
    /// The time text used, when it is the header's first token.
    leading_time: Option<(usize, usize)>,
}

fn read_header_parts(h: &str, default_year: i16) -> (Header<'_>, HeaderParts) {
    let b = h.as_bytes();
    let mut i = 0;
    let mut parts = HeaderParts::default();
    let mut tokens_before = 0usize;
    if b.first() == Some(&b'<') {
        let digits = b
            .iter()
            .skip(1)
            .take(3)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits > 0 && b.get(digits + 1) == Some(&b'>') {
            i = digits + 2;
        }
    }
    let mut ts = None;
    let mut seen_ts = false;
    let mut want_after_ts = false;
    // Host candidates as byte ranges.
    let mut after_ts: Option<(usize, usize)> = None;
    let mut first: Option<(usize, usize)> = None;
    while let Some(&c) = b.get(i) {
        if matches!(c, b' ' | b'\t' | b':') {
            i += 1;
            continue;
        }
        let rest = b.get(i..).unwrap_or(&[]);
        if let Some((t, n)) = time::parse_prefix_bytes(rest, default_year) {
            ts = t;
            seen_ts = true;
            after_ts = None;
            want_after_ts = true;
            // The last time wins; only a leading one can be swapped alone.
            parts.leading_time = (tokens_before == 0).then_some((i, n));
            tokens_before += 1;
            i += n;
            continue;
        }
        tokens_before += 1;
        let start = i;
        while let Some(&c) = b.get(i) {
            if c == b' ' || c == b'\t' {
                break;
            }
            i += 1;
        }
        let tok = b.get(start..i).unwrap_or(&[]);
        // One trailing `:` is a separator; `::` ends an IPv6 address.
        let tok = match tok {
            [.., a, b':'] if *a != b':' => tok.get(..tok.len() - 1).unwrap_or(&[]),
            _ => tok,
        };
        if !host_like(tok) {
            continue;
        }
        let range = (start, start + tok.len());
        first.get_or_insert(range);
        if seen_ts && want_after_ts {
            after_ts = Some(range);
            want_after_ts = false;
        }
    }
    // Ranges start and end next to ASCII bytes, so they are char boundaries.
    let host = after_ts.or(first).and_then(|(s, e)| h.get(s..e));
    (Header { ts, host }, parts)
}

/// Whether a header token can be a host or device id: not a sequence number
/// or RFC 5424 version (all digits), not a `prog[pid]` tag, not a
/// `facility.priority` pair (rsyslog file format), not the nil value `-`.
fn host_like(tok: &[u8]) -> bool {
    let (mut all_digits, mut dot) = (true, false);
    for &c in tok {
        match c {
            b'0'..=b'9' => {}
            b'[' => return false,
            b'.' => {
                dot = true;
                all_digits = false;
            }
            _ => all_digits = false,
        }
    }
    let skip = tok.is_empty() || all_digits || tok == b"-" || (dot && is_facility_priority(tok));
    !skip
}

fn is_facility_priority(tok: &[u8]) -> bool {
    let Some(dot) = tok.iter().position(|&c| c == b'.') else {
        return false;
    };
    let (f, p) = (
        tok.get(..dot).unwrap_or(&[]),
        tok.get(dot + 1..).unwrap_or(&[]),
    );
    let facility = matches!(
        f,
        b"kern"
            | b"user"
            | b"mail"
            | b"daemon"
            | b"auth"
            | b"syslog"
            | b"lpr"
            | b"news"
            | b"uucp"
            | b"cron"
            | b"authpriv"
            | b"ftp"
            | b"ntp"
            | b"security"
            | b"console"
            | b"local0"
            | b"local1"
            | b"local2"
            | b"local3"
            | b"local4"
            | b"local5"
            | b"local6"
            | b"local7"
    );
    facility
        && matches!(
            p,
            b"emerg"
                | b"alert"
                | b"crit"
                | b"err"
                | b"error"
                | b"warning"
                | b"warn"
                | b"notice"
                | b"info"
                | b"debug"
                | b"panic"
                | b"*"
        )
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
        let head = read_header(line.get(..pos).unwrap_or(""), ctx.default_year);
        ev.ts = head.ts;
        ev.host = head.host;
        ev.msg_id = Some(id);
        finish(&mut ev);
        return Some(ev);
    }
    None
}

// ---------------------------------------------------------------------------
// Dispatch

fn extract<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    match id {
        113004 | 113012 => aaa_successful(ev, body),
        113005 | 113015 | 113016 | 113017 => aaa_rejected(ev, body),
        113006 => locked_out(ev, body),
        711001 => super::debug_trace::extract(ev, body),
        113007 => {
            ev.user = between(body, "User ", " unlocked")
                .map(unquote)
                .and_then(field);
        }
        113008 => {
            ev.user = kv(body, "user", false).and_then(field);
            // `status ACCEPT : user` and `status ACCEPT: user` both occur.
            if word_after(body, "status ")
                .is_some_and(|w| w.trim_end_matches(':').eq_ignore_ascii_case("ACCEPT"))
            {
                ev.outcome = Outcome::Success;
            }
        }
        113009 | 113011 => retrieved_policy(ev, body),
        113010 => {
            // A challenge is a normal step of token logins, not a failure;
            // the cause still says what the headend is waiting for.
            ev.user = between(body, "for user ", " from server").and_then(field);
            ev.server = after(body, "from server ").map(trim_dot).and_then(field);
            ev.cause = Some(Cause::TokenRequired);
        }
        113013 => {
            ev.outcome = Outcome::Failure;
            ev.reason = kv(body, "reason", false).and_then(field);
            ev.user = kv(body, "user", false).and_then(field);
            ev.cause = Some(cause_from_reason(ev.reason.unwrap_or("")));
        }
        113014 => {
            ev.outcome = Outcome::Failure;
            ev.cause = Some(Cause::AaaUnreachable);
            ev.server = kv(body, "server", true).and_then(field);
            ev.user = kv(body, "user", false).and_then(field);
        }
        113019 => session_disconnected(ev, body),
        113020 => {
            // Kerberos clock skew: every login against that KDC fails.
            ev.outcome = Outcome::Failure;
            ev.cause = Some(Cause::Other);
            ev.server = word_after(body, "with server ");
            ev.reason = field(body);
        }
        113021 => {
            // `… login failed. User eve did NOT …` or `… failed user 'eve' did NOT …`.
            let who = after(body, "failed")
                .unwrap_or("")
                .trim_start_matches(['.', ' ']);
            let who = who
                .strip_prefix("User ")
                .or_else(|| who.strip_prefix("user "))
                .unwrap_or(who);
            ev.user = who
                .split_once(" did NOT")
                .map(|(u, _)| unquote(u))
                .and_then(field);
            ev.reason = Some("Attempted console login failed");
        }
        113022 | 113023 | 113045 => {
            if marking(ev, body).is_none() {
                sdi_status(ev, body);
            }
            // The id alone says which way the server went.
            if ev.server_state.is_none() {
                match id {
                    113022 => {
                        ev.server_state = Some(ServerState::Failed);
                        fail(ev, Cause::AaaUnreachable);
                    }
                    113023 => ev.server_state = Some(ServerState::Active),
                    _ => {}
                }
            }
        }
        113024 => cert_username(ev, body),
        113025..=113027 => {
            cert_username(ev, body);
            fail(ev, Cause::Certificate);
        }
        113029 => gui_failure(ev, body, Cause::Capacity),
        113030 | 113033 | 113035 | 113036 | 113038 => gui_failure(ev, body, Cause::SessionSetup),
        113031 | 113032 | 113034 => {
            // ACL warnings: the session goes on.
            let rest = gui(ev, body, "Group");
            ev.reason = rest.and_then(field);
        }
        113037 | 716040 => {
            ev.reason = field(body);
            fail(ev, Cause::SessionSetup);
        }
        113039 => {
            gui(ev, body, "Group");
            ev.outcome = Outcome::Success;
        }
        113040 => {
            ev.group = between(body, "attempt from ", ". Reason").and_then(field);
            ev.reason = after(body, "Reason: ").map(trim_dot).and_then(field);
            fail(ev, Cause::GroupMismatch);
        }
        409023 => aaa_fallback(ev, body),
        605004 | 605005 => mgmt_login(ev, body),
        611101..=611103 => {
            ev.client_ip = after(body, "IP address:")
                .map(|s| take_value(s, true))
                .and_then(ip_nz);
            ev.user = after(body, "Uname:").and_then(field);
            ev.reason = body.split_once(':').map(|(r, _)| r).and_then(field);
        }
        713000..=713999 => ikev1(ev, id, body),
        716000..=716999 => webvpn(ev, id, body),
        717000..=717999 => certificate(ev, id, body),
        722000..=722999 => svc(ev, id, body),
        725000..=725999 => ssl(ev, id, body),
        733201 => {
            ev.client_ip = between(body, "Peer[", "]").and_then(ip_nz);
            ev.reason = field(body);
        }
        734000..=734999 => dap(ev, id, body),
        737000..=737999 => ipaa(ev, id, body),
        750000..=751999 => ikev2(ev, id, body),
        _ => {}
    }
}

/// Invariants every event leaves with.
fn finish(ev: &mut Event<'_>) {
    if ev.outcome == Outcome::Failure && ev.cause.is_none() {
        ev.cause = Some(Cause::Other);
    }
    // Site-to-site tunnels log the peer address as the user name.
    if ev.user.is_some() && ev.user == ev.client_ip {
        ev.user = None;
    }
}

fn fail(ev: &mut Event<'_>, cause: Cause) {
    ev.outcome = Outcome::Failure;
    ev.cause = Some(cause);
}

// ---------------------------------------------------------------------------
// Extractors, by message family

/// 113004 / 113012 (and the tagless `AAA user authentication Successful`).
/// Only `authentication` is a login; `authorization` and `accounting` are Info.
fn aaa_successful<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.server = kv(body, "server", true).and_then(field);
    ev.user = kv(body, "user", false).and_then(field);
    if word_after(body, "AAA user ").is_some_and(|w| w.eq_ignore_ascii_case("authentication")) {
        ev.outcome = Outcome::Success;
    }
}

/// 113005 / 113015 / 113016 / 113017: `… Rejected : reason = R : server = S :
/// user = U : user IP = A` (server or `local database`).
fn aaa_rejected<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.reason = kv(body, "reason", false).and_then(field);
    ev.server = kv(body, "server", true).and_then(field);
    ev.user = kv(body, "user", false).and_then(field);
    ev.client_ip = kv(body, "user IP", true).and_then(ip_nz);
    let cause =
        if word_after(body, "AAA user ").is_some_and(|w| w.eq_ignore_ascii_case("authorization")) {
            Cause::AuthorizationDenied
        } else {
            cause_from_reason(ev.reason.unwrap_or(""))
        };
    fail(ev, cause);
}

/// 113006: `User 'U' locked out on exceeding 'N' successive failed authentication attempts`.
fn locked_out<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.user = between(body, "User ", " locked out")
        .map(unquote)
        .and_then(field);
    fail(ev, Cause::AccountLocked);
}

/// 113009 / 113011: `AAA retrieved default group policy (P) for user = U`;
/// also seen without parentheses or `=`.
fn retrieved_policy<'a>(ev: &mut Event<'a>, body: &'a str) {
    let Some(rest) = after(body, "group policy ") else {
        return;
    };
    let Some((policy, user)) = rest.split_once(" for user") else {
        return;
    };
    ev.group = field(policy.trim().trim_start_matches('(').trim_end_matches(')'));
    ev.user = field(user.trim_start().trim_start_matches('='));
}

/// 113019: `Group = G, Username = U, IP = A, Session disconnected. Session
/// Type: T, Duration: …, Reason: R`.
fn session_disconnected<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.outcome = Outcome::SessionEnd;
    ev.group = kv(body, "Group", true).and_then(field);
    ev.user = kv(body, "Username", true).and_then(field);
    ev.client_ip = kv(body, "IP", true).and_then(ip_nz);
    if let Some(pos) = body.rfind("Reason:") {
        ev.reason = body.get(pos + 7..).map(trim_dot).and_then(field);
    }
    let session_type = after(body, "Session Type:").map(|s| take_value(s, true));
    if session_type.is_some_and(|t| t.eq_ignore_ascii_case("LAN-to-LAN")) {
        ev.user = None;
    }
}

/// 113022 / 113023 (and tagless): `AAA Marking RADIUS server S in aaa-server
/// group G as FAILED|ACTIVE`. Returns the state when the line has this shape.
fn marking<'a>(ev: &mut Event<'a>, body: &'a str) -> Option<ServerState> {
    let rest = body.strip_prefix("AAA Marking ")?;
    let (_protocol, rest) = rest.split_once(' ')?;
    let rest = rest.strip_prefix("server ").unwrap_or(rest);
    let (server, rest) = rest.split_once(" in aaa-server group ")?;
    let (group, state) = rest.rsplit_once(" as ")?;
    let state = trim_dot(state);
    let state = if state.eq_ignore_ascii_case("FAILED") {
        ServerState::Failed
    } else if state.eq_ignore_ascii_case("ACTIVE") {
        ServerState::Active
    } else {
        return None;
    };
    ev.server = field(server);
    ev.server_group = field(group);
    ev.server_state = Some(state);
    if state == ServerState::Failed {
        fail(ev, Cause::AaaUnreachable);
    }
    Some(state)
}

/// 113045: `AAA SDI server S in aaa-server group G: status changed from X to Y`.
fn sdi_status<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.server = between(body, "server ", " in aaa-server group").and_then(field);
    ev.server_group = between(body, "aaa-server group ", ":").and_then(field);
    let Some((_, to)) = body.rsplit_once(" to ") else {
        return;
    };
    let to = trim_dot(to);
    if to.eq_ignore_ascii_case("SUSPENDED") {
        ev.server_state = Some(ServerState::Failed);
        fail(ev, Cause::AaaUnreachable);
    } else if to.eq_ignore_ascii_case("OK") {
        ev.server_state = Some(ServerState::Active);
    }
}

/// 113024–113027: `Group tg: … connection from IP`.
fn cert_username<'a>(ev: &mut Event<'a>, body: &'a str) {
    if let Some(rest) = body.strip_prefix("Group ")
        && let Some((group, text)) = rest.split_once(':')
    {
        ev.group = field(group);
        ev.reason = field(text);
    }
    ev.client_ip = word_after(body, "connection from ")
        .map(trim_dot)
        .and_then(ip_nz);
}

/// `Group G User U IP A <text>` messages that report a failure; the text is the reason.
fn gui_failure<'a>(ev: &mut Event<'a>, body: &'a str, cause: Cause) {
    let rest = gui(ev, body, "Group").unwrap_or(body);
    ev.reason = field(trim_dot(rest));
    fail(ev, cause);
}

/// 409023: `Attempting AAA Fallback method M for R request for user U : Auth-server group G unreachable`.
fn aaa_fallback<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.user = between(body, "for user ", "Auth-server group")
        .map(|u| u.trim_end().trim_end_matches(':'))
        .and_then(field);
    ev.server_group = between(body, "Auth-server group ", " unreachable").and_then(field);
    fail(ev, Cause::AaaUnreachable);
}

/// 605004 / 605005: `Login denied|permitted from SRC/PORT to IF:DST/SVC for user "U"`.
fn mgmt_login<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.reason = body.split_once(" from ").map(|(r, _)| r).and_then(field);
    ev.client_ip = after(body, " from ")
        .and_then(|s| s.split(['/', ' ']).next())
        .and_then(ip_nz);
    ev.user = after(body, " for user ").map(unquote).and_then(field);
}

/// IKEv1 / ISAKMP (713xxx): `Group = G, Username = U, IP = A, <text>`.
fn ikev1<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    ev.group = kv(body, "Group", true).and_then(field);
    ev.user = kv(body, "Username", true).and_then(field);
    let ip = kv_span(body, "IP", true);
    ev.client_ip = ip.and_then(|(v, _)| ip_nz(v));
    let text = match ip {
        Some((_, end)) => body.get(end..).unwrap_or("").trim_start_matches([',', ' ']),
        None => body,
    };
    if contains_ci(text, "lan-to-lan") {
        ev.user = None;
    }
    let cause = match id {
        713198 => Some(Cause::AuthorizationDenied),
        713166 | 713167 => Some(Cause::BadCredentials),
        713060 => Some(Cause::GroupMismatch),
        _ if contains_ci(text, "simultaneous-login") => Some(Cause::Capacity),
        _ => None,
    };
    if let Some(cause) = cause {
        ev.reason = field(trim_dot(text));
        fail(ev, cause);
    }
}

/// WebVPN / AnyConnect session (716xxx).
fn webvpn<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    let rest = if body.starts_with("Authentication:") {
        // Older 716038/716039: `Authentication: rejected, group = G user = U , Session Type: T`.
        if let Some(g) = after(body, "group =") {
            match g.split_once(" user =") {
                Some((group, user)) => {
                    ev.group = field(group);
                    ev.user = user.split(',').next().and_then(field);
                }
                None => ev.group = g.split(',').next().and_then(field),
            }
        }
        body
    } else {
        gui(ev, body, "Group").unwrap_or(body)
    };
    match id {
        716001 | 716038 | 716055 => ev.outcome = Outcome::Success,
        716002 => {
            ev.outcome = Outcome::SessionEnd;
            ev.reason = after(rest, "terminated:").map(trim_dot).and_then(field);
        }
        716039 => fail(ev, Cause::BadCredentials),
        716023 | 716057 | 716060 => {
            ev.reason = field(trim_dot(rest));
            fail(ev, Cause::Capacity);
        }
        716056 => {
            ev.reason = after(rest, "reason:").map(trim_dot).and_then(field);
            fail(ev, cause_from_reason(ev.reason.unwrap_or("")));
        }
        716158..=716165 => {
            ev.reason = field(trim_dot(rest));
            fail(ev, cause_from_reason(rest));
        }
        _ => {}
    }
}

/// Certificates (717xxx). No user or client address on these lines except 717052/717053.
fn certificate<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    let rest = gui(ev, body, "Group").unwrap_or(body);
    if matches!(
        id,
        717009 | 717021 | 717027 | 717031 | 717032 | 717037 | 717052
    ) {
        ev.reason = after(rest, "Reason:")
            .or(Some(rest))
            .map(trim_dot)
            .and_then(field);
        fail(ev, Cause::Certificate);
    }
}

/// SVC / AnyConnect tunnel (722xxx).
fn svc<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    match id {
        722020 | 722041 => {
            // `TunnelGroup T GroupPolicy P User U IP A No address available…`:
            // `group` gets the tunnel group, the profile users pick.
            if let Some(s) = body.strip_prefix("TunnelGroup ")
                && let Some((tg, s)) = bracket_or_until(s, " GroupPolicy ")
            {
                ev.group = field(tg);
                let mut scratch = Event::new(Family::Headend, Outcome::Info);
                let rest = gui(&mut scratch, s, "GroupPolicy").unwrap_or(s);
                ev.user = scratch.user;
                ev.client_ip = scratch.client_ip;
                ev.reason = field(rest);
            }
            fail(ev, Cause::Capacity);
            return;
        }
        722056 => {
            ev.client_ip = word_after(body, "rejected from ")
                .map(trim_dot)
                .and_then(ip_nz);
            ev.reason = after(body, "Reason:").map(trim_dot).and_then(field);
            fail(ev, Cause::SessionSetup);
            return;
        }
        _ => {}
    }
    let rest = gui(ev, body, "Group").unwrap_or(body);
    match id {
        722022 | 722033 | 722051 => ev.outcome = Outcome::Success,
        722023 | 722028 => ev.outcome = Outcome::SessionEnd,
        722037 | 722038 => {
            ev.outcome = Outcome::SessionEnd;
            ev.reason = rest
                .split_once(':')
                .map(|(_, r)| trim_dot(r))
                .and_then(field);
        }
        722046..=722050 => {
            ev.reason = field(trim_dot(rest));
            fail(ev, Cause::SessionSetup);
        }
        722011 => ev.reason = after(rest, "SVC Message:").and_then(field),
        _ => {}
    }
}

/// SSL/TLS (725xxx): the client address is in `client IF:IP/PORT`. A failed
/// handshake (725006) stays Info: internet scanners cause most of them.
fn ssl<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    ev.client_ip = after(body, "client ")
        .and_then(|s| s.split([' ', '/']).next())
        .and_then(|s| s.split_once(':').map(|(_, ip)| ip))
        .and_then(ip_nz);
    match id {
        725014 => ev.reason = after(body, "Reason:").and_then(field),
        725015 => {
            ev.reason = field(body);
            fail(ev, Cause::Certificate);
        }
        _ => {}
    }
}

/// DAP (734xxx): `DAP: User U, Addr A[, Connection C]: …`.
fn dap<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    ev.user = between(body, "User ", ", Addr").and_then(field);
    ev.client_ip = after(body, "Addr ")
        .map(|s| take_value(s, true))
        .and_then(ip_nz);
    match id {
        734001 => ev.outcome = Outcome::Success,
        734002 => {
            ev.reason = after(body, "records:").and_then(field);
            fail(ev, Cause::AuthorizationDenied);
        }
        _ => {}
    }
}

/// IP address assignment (737xxx): `IPAA: [Session=0x…, ]<text>`.
fn ipaa<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    let mut text = body.strip_prefix("IPAA:").unwrap_or(body).trim_start();
    if text.starts_with("Session=")
        && let Some((_, t)) = text.split_once(", ")
    {
        text = t;
    }
    ev.group = word_after(text, "for tunnel-group ")
        .map(|g| unquote(trim_dot(g)))
        .and_then(field);
    if matches!(
        id,
        737003 | 737004 | 737007 | 737009 | 737011 | 737012 | 737019
    ) {
        ev.reason = field(trim_dot(text));
        fail(ev, Cause::Capacity);
    }
}

/// IKEv2 (750xxx platform, 751xxx remote access):
/// `Local:IP:PORT Remote:IP:PORT Username:U <text>`.
fn ikev2<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    ev.client_ip = word_after(body, "Remote:").map(strip_port).and_then(ip_nz);
    let mut text = body;
    if let Some(u) = after(body, "Username:") {
        let u = u.trim_start();
        let end = u.find(' ').unwrap_or(u.len());
        let (user, rest) = u.split_at(end);
        ev.user = field(user);
        text = rest.trim_start();
    }
    let text = text.strip_prefix("IKEv2 ").unwrap_or(text);
    let error = after(text, "ERROR:")
        .or_else(|| after(text, "Error:"))
        .or_else(|| after(text, "Reason:"))
        .map(trim_dot)
        .and_then(field);
    let cause = match id {
        750003 => cause_from_reason(error.unwrap_or("")),
        750008 | 750009 | 751015 | 751019 | 751020 => Cause::Capacity,
        751005 | 751011 => match cause_from_reason(error.unwrap_or("")) {
            // The message itself says the user failed authentication.
            Cause::Other => Cause::BadCredentials,
            c => c,
        },
        751006 => Cause::Certificate,
        751009 | 751018 => Cause::GroupMismatch,
        751008 | 751012 | 751013 => Cause::SessionSetup,
        751025 => {
            ev.group = word_after(text, "Group:").and_then(field);
            ev.outcome = Outcome::Success;
            return;
        }
        _ => return,
    };
    ev.reason = error.or_else(|| field(trim_dot(text)));
    fail(ev, cause);
}

// ---------------------------------------------------------------------------
// Field helpers

/// Reads `Group <G> User <U> IP <A> rest` (brackets optional; `label` is
/// `Group` or `GroupPolicy`) into `ev`, returning `rest`. Without brackets a
/// name may contain spaces, so the bare group runs to ` User ` and the bare
/// user to ` IP `.
fn gui<'a>(ev: &mut Event<'a>, body: &'a str, label: &str) -> Option<&'a str> {
    let s = body.strip_prefix(label)?;
    if !s.starts_with([' ', '<']) {
        return None;
    }
    let (group, s) = bracket_or_until(s, " User ")?;
    let s = s.strip_prefix("User")?.trim_start();
    let (user, s) = if s.starts_with("IP ") || s.starts_with("IP<") {
        ("", s)
    } else {
        bracket_or_until(s, " IP ")?
    };
    let s = s.strip_prefix("IP")?.trim_start();
    let (ip, rest) = if let Some(inner) = s.strip_prefix('<') {
        let close = inner.find('>')?;
        (inner.get(..close)?, inner.get(close + 1..)?)
    } else {
        let end = s.find(' ').unwrap_or(s.len());
        s.split_at(end)
    };
    ev.group = field(group);
    ev.user = field(user);
    ev.client_ip = ip_nz(ip);
    Some(rest.trim_start())
}

/// `<value> rest` or `value<anchor>rest`; returns the value and the text after
/// it (starting at the anchor's first word).
fn bracket_or_until<'a>(s: &'a str, anchor: &str) -> Option<(&'a str, &'a str)> {
    let s = s.trim_start();
    if let Some(inner) = s.strip_prefix('<') {
        let close = inner.find('>')?;
        Some((inner.get(..close)?, inner.get(close + 1..)?.trim_start()))
    } else {
        let pos = find(s, anchor)?;
        Some((s.get(..pos)?, s.get(pos..)?.trim_start()))
    }
}

/// The value of `key = value` (key matched case-insensitively at a word
/// boundary, any spacing around `=`). See [`take_value`] for where it ends.
fn kv<'a>(body: &'a str, key: &str, comma: bool) -> Option<&'a str> {
    kv_span(body, key, comma).map(|(v, _)| v)
}

/// Like [`kv`], also returning the byte offset just past the value.
fn kv_span<'a>(body: &'a str, key: &str, comma: bool) -> Option<(&'a str, usize)> {
    let b = body.as_bytes();
    let k = key.as_bytes();
    for eq in memchr_iter(b'=', b) {
        let mut e = eq;
        while e > 0 && b.get(e - 1) == Some(&b' ') {
            e -= 1;
        }
        let Some(s) = e.checked_sub(k.len()) else {
            continue;
        };
        if !b.get(s..e).is_some_and(|w| w.eq_ignore_ascii_case(k)) {
            continue;
        }
        if s > 0 && !matches!(b.get(s - 1), Some(b' ' | b':' | b',')) {
            continue;
        }
        let (value, used) = take_value_span(body.get(eq + 1..)?, comma);
        return Some((value, eq + 1 + used));
    }
    None
}

/// A value runs to the first `:` that ends a field (followed by whitespace,
/// as in ` : ` and `alice: user IP`, or directly by the next `key=`), or to a
/// trailing lone `:`, or, when `comma` is set, to the first `, `. Colons inside
/// IPv6 addresses are kept.
fn take_value(s: &str, comma: bool) -> &str {
    take_value_span(s, comma).0
}

/// [`take_value`], also returning how many bytes of `s` the value used.
fn take_value_span(s: &str, comma: bool) -> (&str, usize) {
    let lead = s.len() - s.trim_start().len();
    let t = s.get(lead..).unwrap_or("");
    let b = t.as_bytes();
    let mut end = b.len();
    for (i, &c) in b.iter().enumerate() {
        let next = b.get(i + 1).copied();
        let stop = match c {
            b':' => {
                i == 0
                    || matches!(next, Some(b' ' | b'\t'))
                    || (next.is_none() && b.get(i - 1) != Some(&b':'))
                    || b.get(i + 1..).is_some_and(starts_with_key)
            }
            b',' => comma && matches!(next, None | Some(b' ' | b'\t')),
            _ => false,
        };
        if stop {
            end = i;
            break;
        }
    }
    (t.get(..end).unwrap_or("").trim_end(), lead + end)
}

/// Whether `s` starts with `word[ word]* =` (a key of the `key = value` form).
fn starts_with_key(s: &[u8]) -> bool {
    let mut letters = false;
    for &c in s.iter().take(24) {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => letters = true,
            b' ' => {}
            b'=' => return letters,
            _ => return false,
        }
    }
    false
}

/// Byte offset of the first `pat` in `s`. Bodies are short, so anchoring on
/// the first byte with memchr beats building a two-way or memmem searcher
/// per call.
fn find(s: &str, pat: &str) -> Option<usize> {
    let (h, n) = (s.as_bytes(), pat.as_bytes());
    let &first = n.first()?;
    memchr_iter(first, h).find(|&i| h.get(i..i + n.len()) == Some(n))
}

/// Text after the first `pat`.
fn after<'a>(s: &'a str, pat: &str) -> Option<&'a str> {
    find(s, pat).and_then(|p| s.get(p + pat.len()..))
}

/// Text between the first `start` and the next `end` after it.
fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = after(s, start)?;
    find(rest, end).and_then(|p| rest.get(..p))
}

/// The whitespace-delimited word after `pat`.
fn word_after<'a>(s: &'a str, pat: &str) -> Option<&'a str> {
    after(s, pat)?.split_whitespace().next()
}

/// Trims whitespace and one trailing full stop.
fn trim_dot(s: &str) -> &str {
    let s = s.trim();
    s.strip_suffix('.').unwrap_or(s).trim_end()
}

/// Removes one pair of surrounding `'…'` or `"…"`.
fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['\'', '"'] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

/// `ip:port` → `ip`, splitting on the last colon when what follows is a port;
/// also `[v6]:port`.
fn strip_port(s: &str) -> &str {
    if let Some(inner) = s.strip_prefix('[')
        && let Some((ip, _)) = inner.split_once(']')
    {
        return ip;
    }
    match s.rsplit_once(':') {
        Some((ip, port))
            if !ip.is_empty() && !port.is_empty() && port.bytes().all(|c| c.is_ascii_digit()) =>
        {
            ip
        }
        _ => s,
    }
}

/// Like [`field`], also dropping the ASA's `None` placeholder.
fn ip_nz(s: &str) -> Option<&str> {
    field(s).filter(|t| !t.eq_ignore_ascii_case("none"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ParseContext {
        ParseContext { default_year: 2024 }
    }

    fn p(line: &str) -> Event<'_> {
        parse(line, &ctx()).unwrap_or_else(|| panic!("not parsed: {line}"))
    }

    fn ts(s: &str) -> Option<Timestamp> {
        Some(s.parse().unwrap())
    }

    // ---- header variants ----

    #[test]
    fn header_pri_legacy_device_id() {
        let e = p(
            "<166>Mar 02 2024 08:15:00 edge-fw1 : %ASA-6-302013: Built inbound TCP connection 1 for outside:192.0.2.1/1 (192.0.2.1/1) to inside:198.51.100.1/443 (198.51.100.1/443)",
        );
        assert_eq!(e.ts, ts("2024-03-02T08:15:00Z"));
        assert_eq!(e.host, Some("edge-fw1"));
        assert_eq!(e.msg_id, Some("302013"));
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.family, Family::Headend);
        assert_eq!(e.cause, None);
    }

    #[test]
    fn header_legacy_no_device_id_colon_after_time() {
        let e = p(
            "Mar 02 2024 08:15:00: %ASA-4-106023: Deny tcp src outside:192.0.2.9/1 dst inside:198.51.100.2/22 by access-group \"in\" [0x0, 0x0]",
        );
        assert_eq!(e.ts, ts("2024-03-02T08:15:00Z"));
        assert_eq!(e.host, None);
        assert_eq!(e.msg_id, Some("106023"));
    }

    #[test]
    fn header_pri_only_no_time() {
        let e = p(
            "<167>192.0.2.254 %ASA-7-609002: Teardown local-host outside:192.0.2.7 duration 0:00:00",
        );
        assert_eq!(e.ts, None);
        assert_eq!(e.host, Some("192.0.2.254"));
    }

    #[test]
    fn header_emblem_empty_timestamp() {
        let e = p("<166>:: %ASA-6-113008: AAA transaction status ACCEPT : user = dana");
        assert_eq!(e.ts, None);
        assert_eq!(e.host, None);
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.user, Some("dana"));
    }

    #[test]
    fn header_emblem_rfc5424() {
        let e = p(
            "<166>:2019-01-15T07:08:09Z: %ASA-6-113008: AAA transaction status ACCEPT : user = dana",
        );
        assert_eq!(e.ts, ts("2019-01-15T07:08:09Z"));
        assert_eq!(e.host, None);
    }

    #[test]
    fn header_rfc5424_with_host() {
        let e = p(
            "2019-01-15T07:08:09Z vpn-hq : %ASA-6-113008: AAA transaction status ACCEPT : user = dana",
        );
        assert_eq!(e.ts, ts("2019-01-15T07:08:09Z"));
        assert_eq!(e.host, Some("vpn-hq"));
    }

    #[test]
    fn header_rsyslog_file_format() {
        let e = p(
            "2021-04-01T10:11:12.500000+02:00 local4.info vpn-b %ASA-6-722051: Group <GP> User <erin> IP <203.0.113.50> IPv4 Address <10.8.0.9> IPv6 address <::> assigned to session",
        );
        assert_eq!(e.ts, ts("2021-04-01T08:11:12.5Z"));
        assert_eq!(e.host, Some("vpn-b"));
    }

    #[test]
    fn header_yearless_relay_uses_default_year() {
        let e = p(
            "Jul  4 09:01:02 relay-3: %ASA-6-113012: AAA user authentication Successful : local database : user = ops1",
        );
        assert_eq!(e.ts, ts("2024-07-04T09:01:02Z"));
        assert_eq!(e.host, Some("relay-3"));
        let e2 = parse(
            "Jul  4 09:01:02 relay-3: %ASA-6-113012: AAA user authentication Successful : local database : user = ops1",
            &ParseContext { default_year: 2019 },
        )
        .unwrap();
        assert_eq!(e2.ts, ts("2019-07-04T09:01:02Z"));
    }

    #[test]
    fn header_relay_ip_without_colon() {
        let e = p(
            "Jul  4 09:01:02 198.51.100.77 %ASA-6-302015: Built outbound UDP connection 9 for outside:192.0.2.53/53 (192.0.2.53/53) to inside:10.0.0.5/5353 (10.0.0.5/5353)",
        );
        assert_eq!(e.host, Some("198.51.100.77"));
    }

    #[test]
    fn header_subsecond() {
        let e = p("Apr  3 10:20:30.456: %ASA-6-302013: Built x");
        assert_eq!(e.ts, ts("2024-04-03T10:20:30.456Z"));
        let e = p("Apr  3 10:20:30.123456: %ASA-6-302013: Built x");
        assert_eq!(e.ts, ts("2024-04-03T10:20:30.123456Z"));
    }

    #[test]
    fn header_relay_and_device_prefers_device_time() {
        // Relay clock in UTC-less local time, device clock in EDT.
        let e = p(
            "Oct  2 03:00:00 collector.example.net : Oct  1 22:59:58 EDT: %ASA-auth-4-113004: AAA user authentication Successful : server = 192.0.2.10 : user = frank",
        );
        assert_eq!(e.ts, ts("2024-10-02T02:59:58Z"));
        assert_eq!(e.host, Some("collector.example.net"));
        assert_eq!(e.outcome, Outcome::Success);
    }

    #[test]
    fn header_relay_and_device_with_device_id() {
        let e = p(
            "Oct  2 03:00:00 collector : Oct 02 2024 02:59:58 UTC asa-edge : %ASA-6-302013: Built x",
        );
        assert_eq!(e.ts, ts("2024-10-02T02:59:58Z"));
        assert_eq!(e.host, Some("asa-edge"));
    }

    #[test]
    fn header_ftd_uuid_and_zone() {
        let e = p(
            "<166>: 2023 Nov 05 14:00:01 UTC 1b2c3d4e-0000-4abc-9def-0123456789ab : %FTD-auth-6-113039: Group <GP Staff> User <Dana Q. Public> IP <203.0.113.44> AnyConnect parent session started.",
        );
        assert_eq!(e.ts, ts("2023-11-05T14:00:01Z"));
        assert_eq!(e.host, Some("1b2c3d4e-0000-4abc-9def-0123456789ab"));
        assert_eq!(e.msg_id, Some("113039"));
        assert_eq!(e.user, Some("Dana Q. Public"));
        assert_eq!(e.group, Some("GP Staff"));
        assert_eq!(e.client_ip, Some("203.0.113.44"));
        assert_eq!(e.outcome, Outcome::Success);
    }

    #[test]
    fn header_pst_zone() {
        let e = p(
            "Jan  9 08:00:00 relay : Jan  9 00:00:00 PST: %ASA-svc-6-722022: Group <G> User <u1> IP <192.0.2.8> TCP SVC connection established without compression",
        );
        assert_eq!(e.ts, ts("2024-01-09T08:00:00Z"));
        assert_eq!(e.outcome, Outcome::Success);
    }

    #[test]
    fn header_unknown_zone_is_utc() {
        let e = p("Jan  9 00:00:00 QQT: %ASA-6-302013: Built x");
        assert_eq!(e.ts, ts("2024-01-09T00:00:00Z"));
        assert_eq!(e.host, None);
    }

    #[test]
    fn header_program_tag_is_not_host() {
        let e = p("Nov 11 2022 11:11:11 loghost FirewallLog[42]: %ASA-6-302013: Built x");
        assert_eq!(e.host, Some("loghost"));
    }

    #[test]
    fn header_malformed_time_still_parses() {
        let e = p(
            "<166>Feb 30 2024 10:00:00 fw9 : %ASA-6-113012: AAA user authentication Successful : local database : user = ops2",
        );
        assert_eq!(e.ts, None);
        assert_eq!(e.host, Some("fw9"));
        assert_eq!(e.user, Some("ops2"));
    }

    #[test]
    fn header_ipv6_device_id() {
        let e = p("2001:db8::fe : %ASA-6-302013: Built x");
        assert_eq!(e.host, Some("2001:db8::fe"));
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

    // ---- 113xxx ----

    #[test]
    fn m113004_authentication_is_success() {
        let e = p(
            "%ASA-6-113004: AAA user authentication Successful : server = 192.0.2.10 : user = alice",
        );
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.server, Some("192.0.2.10"));
        assert_eq!(e.user, Some("alice"));
    }

    #[test]
    fn m113004_ftd_comma_form() {
        let e = p(
            "%FTD-6-113004: AAA user authentication Successful: server = 192.0.2.10 , User = bob",
        );
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.server, Some("192.0.2.10"));
        assert_eq!(e.user, Some("bob"));
        let e =
            p("%FTD-6-113004: AAA user authentication Successful: server = 192.0.2.10, User = bob");
        assert_eq!(e.server, Some("192.0.2.10"));
        assert_eq!(e.user, Some("bob"));
    }

    #[test]
    fn m113004_authorization_and_accounting_are_info() {
        let e = p(
            "%ASA-6-113004: AAA user authorization Successful : server = 192.0.2.10 : user = alice",
        );
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.user, Some("alice"));
        let e = p(
            "%ASA-6-113004: AAA user accounting Successful : server =  192.0.2.11 : user = alice",
        );
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.server, Some("192.0.2.11"));
    }

    #[test]
    fn m113005_rejected_all_fields() {
        let e = p(
            "<166>Aug 01 2024 12:00:00 vpn1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.10 : user = carol : user IP = 198.51.100.20",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::BadCredentials));
        assert_eq!(e.reason, Some("AAA failure"));
        assert_eq!(e.server, Some("192.0.2.10"));
        assert_eq!(e.user, Some("carol"));
        assert_eq!(e.client_ip, Some("198.51.100.20"));
    }

    #[test]
    fn m113005_tight_spacing() {
        let e = p(
            "%ASA-6-113005: AAA user authentication Rejected: reason = Invalid password: server = 192.0.2.10 : user = dave: user IP = 198.51.100.21",
        );
        assert_eq!(e.reason, Some("Invalid password"));
        assert_eq!(e.user, Some("dave"));
        assert_eq!(e.client_ip, Some("198.51.100.21"));
        let e = p(
            "%ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 192.0.2.10 : user =dave2 : user IP = 198.51.100.21",
        );
        assert_eq!(e.user, Some("dave2"));
        let e = p(
            "%ASA-6-113005: AAA user authentication Rejected:reason=Invalid password:server=192.0.2.10:User=dave3:user IP=198.51.100.22",
        );
        assert_eq!(e.reason, Some("Invalid password"));
        assert_eq!(e.server, Some("192.0.2.10"));
        assert_eq!(e.user, Some("dave3"));
        assert_eq!(e.client_ip, Some("198.51.100.22"));
        assert_eq!(e.cause, Some(Cause::BadCredentials));
    }

    #[test]
    fn m113005_reasons_map_to_causes() {
        let cases = [
            ("AAA failure", Cause::BadCredentials),
            ("Invalid password", Cause::BadCredentials),
            ("Unspecified", Cause::BadCredentials),
            ("Password malformed", Cause::BadCredentials),
            ("User was not found", Cause::UnknownUser),
            ("Account has been locked out", Cause::AccountLocked),
            ("Account has been disabled", Cause::AccountDisabled),
            ("Users account has expired", Cause::AccountDisabled),
            ("Password has expired", Cause::PasswordExpired),
            ("Password is expiring", Cause::PasswordExpired),
            ("Enter Next Tokencode", Cause::TokenRequired),
            ("New PIN required", Cause::TokenRequired),
            ("Something nobody has seen", Cause::Other),
        ];
        for (reason, cause) in cases {
            let line = format!(
                "%ASA-6-113005: AAA user authentication Rejected : reason = {reason} : server = 192.0.2.10 : user = erin : user IP = 198.51.100.22"
            );
            let e = parse(&line, &ctx()).unwrap();
            assert_eq!(e.reason, Some(reason));
            assert_eq!(e.cause, Some(cause), "{reason}");
        }
    }

    #[test]
    fn m113005_hidden_user_keeps_stars_and_cause() {
        let e = p(
            "%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.10 : user = ***** : user IP = 198.51.100.23",
        );
        assert_eq!(e.user, Some("*****"));
        assert_eq!(e.cause, Some(Cause::BadCredentials));
        let e = p(
            "%ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 192.0.2.10 : user = ***** : user IP = 198.51.100.23",
        );
        assert_eq!(e.cause, Some(Cause::BadCredentials));
    }

    #[test]
    fn m113005_empty_user_is_none() {
        let e = p(
            "%ASA-6-113005: AAA user authentication Rejected : reason = Unspecified : server = 192.0.2.10 : user = : user IP = 198.51.100.24",
        );
        assert_eq!(e.user, None);
        assert_eq!(e.client_ip, Some("198.51.100.24"));
    }

    #[test]
    fn m113005_odd_user_names() {
        let e = p(
            "%ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 192.0.2.10 : user = CORP\\j doe (contractor) : user IP = 198.51.100.25",
        );
        assert_eq!(e.user, Some("CORP\\j doe (contractor)"));
        let e = p(
            "%ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 192.0.2.10 : user = o'brien@example.com : user IP = 2001:db8::25",
        );
        assert_eq!(e.user, Some("o'brien@example.com"));
        assert_eq!(e.client_ip, Some("2001:db8::25"));
    }

    #[test]
    fn m113005_authorization_rejected() {
        let e = p(
            "%ASA-6-113005: AAA user authorization Rejected : reason = User was not found : server = 0.0.0.0 : user = fay : user IP = None",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::AuthorizationDenied));
        assert_eq!(e.client_ip, None);
        assert_eq!(e.user, Some("fay"));
    }

    #[test]
    fn m113005_ipv6_client_at_end() {
        let e = p(
            "%ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 2001:db8::10 : user = gus : user IP = 2001:db8:1::",
        );
        assert_eq!(e.server, Some("2001:db8::10"));
        assert_eq!(e.client_ip, Some("2001:db8:1::"));
    }

    #[test]
    fn m113006_lockout() {
        let e = p(
            "%ASA-6-113006: User 'hank' locked out on exceeding '5' successive failed authentication attempts",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::AccountLocked));
        assert_eq!(e.user, Some("hank"));
        let e = p(
            "%ASA-6-113006: User hank2 locked out on exceeding 3 successive failed authentication attempts",
        );
        assert_eq!(e.user, Some("hank2"));
    }

    #[test]
    fn m113007_unlock_is_info() {
        let e = p("%ASA-6-113007: User 'hank' unlocked by 'admin'");
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.user, Some("hank"));
    }

    #[test]
    fn m113008_accept() {
        let e = p("%ASA-6-113008: AAA transaction status ACCEPT : user = iris");
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.user, Some("iris"));
        let e = p("%ASA-6-113008: AAA transaction status ACCEPT: user = iris");
        assert_eq!(e.user, Some("iris"));
        assert_eq!(e.outcome, Outcome::Success, "colon right after ACCEPT");
    }

    #[test]
    fn m113009_113011_group_policy() {
        let e = p("%ASA-6-113009: AAA retrieved default group policy (GP_Staff) for user = jack");
        assert_eq!(e.group, Some("GP_Staff"));
        assert_eq!(e.user, Some("jack"));
        assert_eq!(e.outcome, Outcome::Info);
        let e = p("%ASA-6-113009: AAA retrieved default group policy GP_Staff for user jack");
        assert_eq!(e.group, Some("GP_Staff"));
        assert_eq!(e.user, Some("jack"));
        let e =
            p("%ASA-6-113011: AAA retrieved user specific group policy (GP_Admin) for user = kim");
        assert_eq!(e.group, Some("GP_Admin"));
        assert_eq!(e.user, Some("kim"));
    }

    #[test]
    fn m113010_challenge() {
        let e = p("%ASA-6-113010: AAA challenge received for user lena from server 192.0.2.30.");
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.cause, Some(Cause::TokenRequired));
        assert_eq!(e.user, Some("lena"));
        assert_eq!(e.server, Some("192.0.2.30"));
    }

    #[test]
    fn m113012_local_success() {
        let e = p("%ASA-6-113012: AAA user authentication Successful : local database : user = mo");
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.user, Some("mo"));
        assert_eq!(e.server, None);
    }

    #[test]
    fn m113013_aaa_error() {
        let e = p(
            "%ASA-6-113013: AAA unable to complete the request Error : reason = Simultaneous logins exceeded for user : user = ned",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::Capacity));
        assert_eq!(e.user, Some("ned"));
        let e = p(
            "%ASA-6-113013: AAA unable to complete the request Error : reason = mystery : user = ned",
        );
        assert_eq!(e.cause, Some(Cause::Other));
    }

    #[test]
    fn m113014_not_accessible() {
        let e = p(
            "%ASA-6-113014: AAA authentication server not accessible : server = 192.0.2.40 : user = olga",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::AaaUnreachable));
        assert_eq!(e.server, Some("192.0.2.40"));
        assert_eq!(e.user, Some("olga"));
    }

    #[test]
    fn m113015_local_rejected() {
        let e = p(
            "%ASA-6-113015: AAA user authentication Rejected : reason = User was not found : local database : user = ;;pat (test acct) : user IP = 203.0.113.9",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::UnknownUser));
        assert_eq!(e.user, Some(";;pat (test acct)"));
        assert_eq!(e.client_ip, Some("203.0.113.9"));
        assert_eq!(e.server, None);
        // Without `user IP`.
        let e = p(
            "%ASA-6-113015: AAA user authentication Rejected : reason = Invalid password : local database : user = quinn",
        );
        assert_eq!(e.user, Some("quinn"));
        assert_eq!(e.client_ip, None);
    }

    #[test]
    fn m113016_113017_credentials_rejected() {
        let e = p(
            "%ASA-6-113016: AAA credentials rejected : reason = Account has been disabled : server = 192.0.2.41 : user = ray : user IP = 203.0.113.10",
        );
        assert_eq!(e.cause, Some(Cause::AccountDisabled));
        assert_eq!(e.server, Some("192.0.2.41"));
        let e = p(
            "%ASA-6-113017: AAA credentials rejected : reason = Password has expired : local database : user = ray : user IP = 203.0.113.10",
        );
        assert_eq!(e.cause, Some(Cause::PasswordExpired));
        assert_eq!(e.client_ip, Some("203.0.113.10"));
    }

    #[test]
    fn m113019_disconnect() {
        let e = p(
            "%ASA-4-113019: Group = RemoteStaff, Username = sam, IP = 198.51.100.40, Session disconnected. Session Type: AnyConnect-Parent, Duration: 1d 02h:03m:04s, Bytes xmt: 123456789, Bytes rcv: 987, Reason: Idle Timeout",
        );
        assert_eq!(e.outcome, Outcome::SessionEnd);
        assert_eq!(e.group, Some("RemoteStaff"));
        assert_eq!(e.user, Some("sam"));
        assert_eq!(e.client_ip, Some("198.51.100.40"));
        assert_eq!(e.reason, Some("Idle Timeout"));
        assert_eq!(e.cause, None);
    }

    #[test]
    fn m113019_lan_to_lan_has_no_user() {
        let e = p(
            "%ASA-4-113019: Group = 203.0.113.70, Username = 203.0.113.70, IP = 203.0.113.70, Session disconnected. Session Type: LAN-to-LAN, Duration: 0h:10m:00s, Bytes xmt: 1, Bytes rcv: 2, Reason: User Requested",
        );
        assert_eq!(e.user, None);
        assert_eq!(e.client_ip, Some("203.0.113.70"));
        assert_eq!(e.reason, Some("User Requested"));
    }

    #[test]
    fn m113020_kerberos_skew() {
        let e = p(
            "%ASA-3-113020: Kerberos error: Clock skew with server 192.0.2.50 greater than 300 seconds",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::Other));
        assert_eq!(e.server, Some("192.0.2.50"));
    }

    /// The engine acts on roles, never on ids: each role comes from here.
    #[test]
    fn roles_come_with_the_message() {
        let role = |line: &str| parse(line, &ctx()).map(|e| e.role);
        let cases = [
            (
                "%ASA-6-113039: Group <G> User <u> IP <192.0.2.1> AnyConnect parent session started.",
                Role::SessionUp,
            ),
            (
                "%ASA-6-605004: Login denied from 198.51.100.50/50123 to mgmt:192.0.2.1/https for user \"x\"",
                Role::ManagementLogin { denied: true },
            ),
            (
                "%ASA-6-611101: User authentication succeeded: IP address: 198.51.100.52, Uname: netops",
                Role::ManagementLogin { denied: false },
            ),
            (
                "%ASA-6-113010: AAA challenge received for user u from server 10.1.1.10.",
                Role::AaaChallenge,
            ),
            (
                "%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = u : user IP = 192.0.2.1",
                Role::AaaRejection,
            ),
            (
                "%ASA-6-716039: Group <G> User <u> IP <192.0.2.1> Authentication: rejected, Session Type: WebVPN.",
                Role::WebvpnRejection,
            ),
            (
                "%ASA-6-302013: Built outbound TCP connection 1 for outside:203.0.113.15/443",
                Role::Plain,
            ),
        ];
        for (body, want) in cases {
            let line = format!("Dec  5 08:14:02 asa-fw1 : {body}");
            assert_eq!(role(&line), Some(want), "{body}");
        }
        assert_eq!(super::role("409023"), Role::GroupFallback);
        assert_eq!(super::role("not an id"), Role::Plain);
    }

    #[test]
    fn m113021_console_login_is_info() {
        let e = p(
            "%ASA-3-113021: Attempted console login failed. User tess did NOT have appropriate Admin Rights.",
        );
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.user, Some("tess"));
        let e = p(
            "%ASA-3-113021: Attempted console login failed user 'tess' did NOT have appropriate Admin Rights.",
        );
        assert_eq!(e.user, Some("tess"));
    }

    #[test]
    fn m113022_failed_and_113023_active() {
        let e = p(
            "%ASA-2-113022: AAA Marking RADIUS server 192.0.2.60 in aaa-server group CORP-RAD as FAILED",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::AaaUnreachable));
        assert_eq!(e.server, Some("192.0.2.60"));
        assert_eq!(e.server_group, Some("CORP-RAD"));
        assert_eq!(e.server_state, Some(ServerState::Failed));
        let e = p(
            "%ASA-2-113023: AAA Marking LDAP server dc1.example.com in aaa-server group AD as ACTIVE",
        );
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.cause, None);
        assert_eq!(e.server, Some("dc1.example.com"));
        assert_eq!(e.server_group, Some("AD"));
        assert_eq!(e.server_state, Some(ServerState::Active));
    }

    #[test]
    fn m113025_cert_username() {
        let e = p(
            "%ASA-5-113025: Group CertProfile: FAILED to extract username from certificate while authenticating AnyConnect connection from 198.51.100.41",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::Certificate));
        assert_eq!(e.group, Some("CertProfile"));
        assert_eq!(e.client_ip, Some("198.51.100.41"));
    }

    #[test]
    fn m113029_session_limit() {
        let e = p(
            "%ASA-4-113029: Group GP_Lab User uma IP 198.51.100.42 Session could not be established: session limit of 2 reached",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::Capacity));
        assert_eq!(e.user, Some("uma"));
        assert_eq!(e.group, Some("GP_Lab"));
        assert_eq!(e.client_ip, Some("198.51.100.42"));
    }

    #[test]
    fn m113030_to_113038_setup() {
        let e = p(
            "%ASA-4-113035: Group <GP> User <vic> IP <198.51.100.43> Session terminated: AnyConnect not enabled or invalid AnyConnect image on the ASA.",
        );
        assert_eq!(e.cause, Some(Cause::SessionSetup));
        assert_eq!(
            e.reason,
            Some(
                "Session terminated: AnyConnect not enabled or invalid AnyConnect image on the ASA"
            )
        );
        let e = p(
            "%ASA-4-113034: Group GP User vic IP 198.51.100.43 User ACL x from AAA ignored, AV-PAIR ACL used instead.",
        );
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.user, Some("vic"));
        let e = p("%ASA-6-113037: Reboot pending, new sessions disabled. Denied user login.");
        assert_eq!(e.cause, Some(Cause::SessionSetup));
    }

    #[test]
    fn m113039_bare_and_bracketed() {
        let e = p(
            "%ASA-6-113039: Group GP_Staff User walt IP 203.0.113.11 AnyConnect parent session started.",
        );
        assert_eq!(
            (e.group, e.user, e.client_ip),
            (Some("GP_Staff"), Some("walt"), Some("203.0.113.11"))
        );
        assert_eq!(e.outcome, Outcome::Success);
        let e = p(
            "%ASA-6-113039: Group <Field Ops> User <CORP\\w.white> IP <2001:db8::11> AnyConnect parent session started.",
        );
        assert_eq!(
            (e.group, e.user, e.client_ip),
            (
                Some("Field Ops"),
                Some("CORP\\w.white"),
                Some("2001:db8::11")
            )
        );
        // Bare form with spaces in the user name: anchored on ` IP `.
        let e = p(
            "%ASA-6-113039: Group GP Staff User Laptop of walt IP 203.0.113.12 AnyConnect parent session started.",
        );
        assert_eq!(
            (e.group, e.user, e.client_ip),
            (
                Some("GP Staff"),
                Some("Laptop of walt"),
                Some("203.0.113.12")
            )
        );
    }

    #[test]
    fn m113040_group_lock() {
        let e = p(
            "%ASA-4-113040: Terminating the VPN connection attempt from Contractors. Reason: This connection is group locked to Employees.",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::GroupMismatch));
        assert_eq!(e.group, Some("Contractors"));
        assert_eq!(
            e.reason,
            Some("This connection is group locked to Employees")
        );
    }

    #[test]
    fn m113045_sdi_status() {
        let e = p(
            "%ASA-6-113045: AAA SDI server 192.0.2.61 in aaa-server group RSA: status changed from OK to SUSPENDED",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::AaaUnreachable));
        assert_eq!(e.server, Some("192.0.2.61"));
        assert_eq!(e.server_group, Some("RSA"));
        assert_eq!(e.server_state, Some(ServerState::Failed));
        let e = p(
            "%ASA-6-113045: AAA SDI server 192.0.2.61 in aaa-server group RSA: status changed from SUSPENDED to OK",
        );
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.server_state, Some(ServerState::Active));
    }

    // ---- other auth ----

    #[test]
    fn m409023_fallback() {
        let e = p(
            "%ASA-4-409023: Attempting AAA Fallback method LOCAL for Authentication request for user xena : Auth-server group CORP-RAD unreachable",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::AaaUnreachable));
        assert_eq!(e.user, Some("xena"));
        assert_eq!(e.server_group, Some("CORP-RAD"));
        let e = p(
            "%ASA-4-409023: Attempting AAA Fallback method LOCAL for Authentication request for user xena:Auth-server group CORP-RAD unreachable",
        );
        assert_eq!(e.user, Some("xena"));
    }

    #[test]
    fn m605004_605005_management_logins_are_info() {
        let e = p(
            "%ASA-6-605004: Login denied from 198.51.100.50/50123 to mgmt:192.0.2.1/https for user \"*****\"",
        );
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.user, Some("*****"));
        assert_eq!(e.client_ip, Some("198.51.100.50"));
        assert_eq!(e.reason, Some("Login denied"));
        let e = p(
            "%ASA-6-605004: Login denied from 198.51.100.50/50123 to mgmt:192.0.2.1/https for user \"\"",
        );
        assert_eq!(e.user, None);
        let e = p(
            "%ASA-6-605005: Login permitted from 198.51.100.51/2222 to mgmt:192.0.2.1/ssh for user \"netops\"",
        );
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.user, Some("netops"));
        assert_eq!(e.reason, Some("Login permitted"));
    }

    #[test]
    fn m611101_611102_management_logins_are_info() {
        let e =
            p("%ASA-6-611102: User authentication failed: IP address: 198.51.100.52, Uname: root");
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.user, Some("root"));
        assert_eq!(e.client_ip, Some("198.51.100.52"));
        assert_eq!(e.reason, Some("User authentication failed"));
        let e = p(
            "%ASA-6-611101: User authentication succeeded: IP address: 198.51.100.52, Uname: netops",
        );
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.user, Some("netops"));
    }

    // ---- 713xxx ----

    #[test]
    fn m713_ikev1_prefix_and_failures() {
        let e = p(
            "%ASA-5-713049: Group = Partners, Username = yuri, IP = 198.51.100.60, Security negotiation complete for User (yuri) Responder, Inbound SPI = 0x1, Outbound SPI = 0x2",
        );
        assert_eq!(
            (e.group, e.user, e.client_ip),
            (Some("Partners"), Some("yuri"), Some("198.51.100.60"))
        );
        assert_eq!(e.outcome, Outcome::Info);
        let e = p(
            "%ASA-3-713198: Group = Partners, Username = yuri, IP = 198.51.100.60, User Authorization failed: yuri",
        );
        assert_eq!(e.cause, Some(Cause::AuthorizationDenied));
        let e = p(
            "%ASA-3-713060: Group = Partners, Username = yuri, IP = 198.51.100.60, Tunnel Rejected: User (yuri) not member of group (Staff), group-lock check failed.",
        );
        assert_eq!(e.cause, Some(Cause::GroupMismatch));
        assert_eq!(
            e.reason,
            Some(
                "Tunnel Rejected: User (yuri) not member of group (Staff), group-lock check failed"
            )
        );
        let e = p(
            "%ASA-6-713905: Group = Partners, Username = yuri, IP = 198.51.100.60, Login authentication failed due to max simultaneous-login restriction.",
        );
        assert_eq!(e.cause, Some(Cause::Capacity));
        let e = p(
            "%ASA-6-713905: Group = Partners, IP = 198.51.100.60, All IPSec SA proposals found unacceptable!",
        );
        assert_eq!(e.outcome, Outcome::Info);
        let e = p(
            "%ASA-5-713049: Group = 203.0.113.80, IP = 203.0.113.80, Security negotiation complete for LAN-to-LAN Group (203.0.113.80) Responder",
        );
        assert_eq!(e.user, None);
        assert_eq!(e.group, Some("203.0.113.80"));
    }

    // ---- 716xxx ----

    #[test]
    fn m716038_success_both_forms() {
        let e = p(
            "%ASA-6-716038: Group <Web> User <zoe> IP <203.0.113.12> Authentication: successful, Session Type: WebVPN.",
        );
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(
            (e.group, e.user, e.client_ip),
            (Some("Web"), Some("zoe"), Some("203.0.113.12"))
        );
        let e = p(
            "%ASA-6-716038: Authentication: successful, group = Web user = zoe, Session Type: WebVPN",
        );
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!((e.group, e.user), (Some("Web"), Some("zoe")));
    }

    #[test]
    fn m716039_rejected_all_forms() {
        for (line, group, user, ip) in [
            (
                "%ASA-6-716039: Group <Web> User <zoe> IP <203.0.113.12> Authentication: rejected, Session Type: WebVPN.",
                "Web",
                Some("zoe"),
                Some("203.0.113.12"),
            ),
            (
                "%ASA-6-716039: Group <Web Team> User <zoe> IP <203.0.113.12> Authentication: rejected, Session Type: Admin.",
                "Web Team",
                Some("zoe"),
                Some("203.0.113.12"),
            ),
            (
                "%ASA-6-716039: Group <Web> User <*****> IP <203.0.113.12> Authentication: rejected, Session Type: WebVPN.",
                "Web",
                Some("*****"),
                Some("203.0.113.12"),
            ),
            (
                "%ASA-6-716039: Authentication: rejected, group = Web user = zoe , Session Type: admin",
                "Web",
                Some("zoe"),
                None,
            ),
        ] {
            let e = p(line);
            assert_eq!(e.outcome, Outcome::Failure, "{line}");
            assert_eq!(e.cause, Some(Cause::BadCredentials));
            assert_eq!(
                (e.group, e.user, e.client_ip),
                (Some(group), user, ip),
                "{line}"
            );
        }
    }

    #[test]
    fn m716_session_messages() {
        let e = p("%ASA-6-716001: Group GP User abe IP 203.0.113.13 WebVPN session started.");
        assert_eq!(e.outcome, Outcome::Success);
        let e = p(
            "%ASA-6-716002: Group GP User abe IP 203.0.113.13 WebVPN session terminated: Idle timeout.",
        );
        assert_eq!(e.outcome, Outcome::SessionEnd);
        assert_eq!(e.reason, Some("Idle timeout"));
        let e = p(
            "%ASA-4-716023: Group GP User abe IP 203.0.113.13 Session could not be established: session limit of 250 reached.",
        );
        assert_eq!(e.cause, Some(Cause::Capacity));
        let e = p(
            "%ASA-3-716057: Group GP User abe IP 203.0.113.13 Session terminated, no AnyConnect Premium license available",
        );
        assert_eq!(e.cause, Some(Cause::Capacity));
        let e = p(
            "%ASA-6-716060: Group GP User abe IP 203.0.113.13 Terminated AnyConnect session in inactive state to accept a new connection. License limit reached.",
        );
        assert_eq!(e.cause, Some(Cause::Capacity));
        let e = p(
            "%ASA-6-716058: Group <GP> User <abe> IP <203.0.113.13> AnyConnect session lost connection. Waiting to resume.",
        );
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.user, Some("abe"));
        let e = p(
            "%ASA-6-716059: Group <GP> User IP <203.0.113.13> AnyConnect session resumed connection from IP <198.51.100.1>.",
        );
        assert_eq!(e.user, None);
        assert_eq!(e.client_ip, Some("203.0.113.13"));
        let e = p(
            "%ASA-3-716056: Group GP User abe IP 203.0.113.13 Authentication to SSO server name: sso1 type SAML failed reason: certificate not trusted",
        );
        assert_eq!(e.cause, Some(Cause::Certificate));
        assert_eq!(e.reason, Some("certificate not trusted"));
    }

    // ---- 717xxx ----

    #[test]
    fn m717_certificates() {
        let e = p("%ASA-3-717009: Certificate validation failed. Reason: certificate expired.");
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::Certificate));
        assert_eq!(e.reason, Some("certificate expired"));
        let e =
            p("%ASA-3-717027: Certificate chain failed validation. No suitable trustpoint found.");
        assert_eq!(e.cause, Some(Cause::Certificate));
        assert_eq!(
            e.reason,
            Some("Certificate chain failed validation. No suitable trustpoint found")
        );
        let e = p(
            "%ASA-6-717022: Certificate was successfully validated. serial number: 01AB, subject name:  CN=laptop7,O=Example.",
        );
        assert_eq!(e.outcome, Outcome::Info);
        let e = p(
            "%ASA-4-717052: Group GP User bea IP 198.51.100.70 Session disconnected due to periodic certificate authentication failure. Subject Name id CN=x Issuer Name id CN=y Serial Number id 01",
        );
        assert_eq!(e.cause, Some(Cause::Certificate));
        assert_eq!(e.user, Some("bea"));
    }

    // ---- 722xxx ----

    #[test]
    fn m722_tunnel_messages() {
        let e = p(
            "%ASA-6-722022: Group GP User cy IP 198.51.100.71 UDP SVC connection established without compression",
        );
        assert_eq!(e.outcome, Outcome::Success);
        let e = p(
            "%ASA-6-722023: Group <GP> User <cy> IP <198.51.100.71> UDP SVC connection terminated without compression",
        );
        assert_eq!(e.outcome, Outcome::SessionEnd);
        let e = p(
            "%ASA-5-722028: Group <GP 2> User <C Y> IP <198.51.100.71> Stale SVC connection closed.",
        );
        assert_eq!(e.outcome, Outcome::SessionEnd);
        assert_eq!((e.group, e.user), (Some("GP 2"), Some("C Y")));
        let e = p(
            "%ASA-4-722037: Group <GP> User <cy> IP <198.51.100.71> SVC closing connection: DPD failure.",
        );
        assert_eq!(e.outcome, Outcome::SessionEnd);
        assert_eq!(e.reason, Some("DPD failure"));
        let e = p(
            "%ASA-5-722033: Group <GP> User <cy> IP <198.51.100.71> First TCP SVC connection established for SVC session.",
        );
        assert_eq!(e.outcome, Outcome::Success);
        let e = p(
            "%ASA-4-722011: Group <GP> User <cy> IP <198.51.100.71> SVC Message: 17/WARNING: Reconnecting the VPN tunnel..",
        );
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.reason, Some("17/WARNING: Reconnecting the VPN tunnel.."));
        let e = p(
            "%ASA-3-722046: Group GP User cy IP 198.51.100.71 Session terminated: unable to establish tunnel.",
        );
        assert_eq!(e.cause, Some(Cause::SessionSetup));
        let e = p(
            "%ASA-4-722049: Group GP User cy IP 198.51.100.71 Session terminated: SVC not enabled or invalid image on the ASA.",
        );
        assert_eq!(e.cause, Some(Cause::SessionSetup));
    }

    #[test]
    fn m722051_address_assigned() {
        let e = p(
            "%ASA-4-722051: Group <GP_Staff> User <dina> IP <198.51.100.72> IPv4 Address <10.9.0.5> IPv6 address <::> assigned to session",
        );
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.client_ip, Some("198.51.100.72"));
        assert_eq!(e.user, Some("dina"));
        assert_eq!(e.group, Some("GP_Staff"));
    }

    #[test]
    fn m722020_722041_pool_exhausted() {
        let e = p(
            "%ASA-3-722020: TunnelGroup Staff GroupPolicy GP_Staff User eli IP 198.51.100.73 No address available for SVC connection",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::Capacity));
        assert_eq!(
            (e.group, e.user, e.client_ip),
            (Some("Staff"), Some("eli"), Some("198.51.100.73"))
        );
        assert_eq!(e.reason, Some("No address available for SVC connection"));
        let e = p(
            "%ASA-4-722041: TunnelGroup <Staff> GroupPolicy <GP_Staff> User <eli> IP <2001:db8::73> No IPv6 address available for SVC connection",
        );
        assert_eq!(
            (e.group, e.user, e.client_ip),
            (Some("Staff"), Some("eli"), Some("2001:db8::73"))
        );
    }

    #[test]
    fn m722056_unsupported_client() {
        let e = p(
            "%ASA-4-722056: Unsupported AnyConnect client connection rejected from 198.51.100.74. Client info: AnyConnect Linux 3.1. Reason: client version not allowed",
        );
        assert_eq!(e.cause, Some(Cause::SessionSetup));
        assert_eq!(e.client_ip, Some("198.51.100.74"));
        assert_eq!(e.reason, Some("client version not allowed"));
    }

    // ---- 725xxx, 733xxx, 734xxx, 737xxx ----

    #[test]
    fn m725_ssl() {
        let e = p(
            "%ASA-6-725001: Starting SSL handshake with client outside:198.51.100.75/50000 to 192.0.2.1/443 for TLSv1.2 session.",
        );
        assert_eq!(e.client_ip, Some("198.51.100.75"));
        assert_eq!(e.outcome, Outcome::Info);
        let e = p(
            "%ASA-6-725006: Device failed SSL handshake with client outside:2001:db8::75/50000 to 192.0.2.1/443",
        );
        assert_eq!(e.client_ip, Some("2001:db8::75"));
        assert_eq!(e.outcome, Outcome::Info);
        let e = p(
            "%ASA-7-725014: SSL lib error. Function: tls_process_client_hello Reason: no shared cipher",
        );
        assert_eq!(e.reason, Some("no shared cipher"));
        let e = p(
            "%ASA-3-725015: Error verifying client certificate. Public key size in client certificate (8192 bits) exceeds the maximum supported key size of 4096 bits",
        );
        assert_eq!(e.cause, Some(Cause::Certificate));
    }

    #[test]
    fn m733201_shun() {
        let e = p(
            "%ASA-4-733201: Threat-detection: Service[remote-access-client-initiations] Peer[198.51.100.76]: failure threshold of 20 exceeded: adding shun to interface outside. SSL: RA excessive client initiation requests.",
        );
        assert_eq!(e.client_ip, Some("198.51.100.76"));
        assert_eq!(e.outcome, Outcome::Info);
    }

    #[test]
    fn m734_dap() {
        let e = p(
            "%ASA-6-734001: DAP: User fern@example.com, Addr 198.51.100.77, Connection AnyConnect: The following DAP records were selected for this connection: DfltAccessPolicy",
        );
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.user, Some("fern@example.com"));
        assert_eq!(e.client_ip, Some("198.51.100.77"));
        let e = p(
            "%ASA-5-734002: DAP: User fern, Addr 2001:db8::77: Connection terminated by the following DAP records: Quarantine",
        );
        assert_eq!(e.cause, Some(Cause::AuthorizationDenied));
        assert_eq!(e.client_ip, Some("2001:db8::77"));
        assert_eq!(e.reason, Some("Quarantine"));
    }

    #[test]
    fn m737_ipaa() {
        let e = p(
            "%ASA-5-737007: IPAA: Session=0x00ab1000, Local pool request failed for tunnel-group 'Staff'",
        );
        assert_eq!(e.cause, Some(Cause::Capacity));
        assert_eq!(e.group, Some("Staff"));
        assert_eq!(
            e.reason,
            Some("Local pool request failed for tunnel-group 'Staff'")
        );
        let e = p("%ASA-4-737012: IPAA: Address assignment failed");
        assert_eq!(e.cause, Some(Cause::Capacity));
        let e = p(
            "%ASA-4-737019: IPAA: Session=0x1, Unable to get address from group-policy or tunnel-group local pools",
        );
        assert_eq!(e.cause, Some(Cause::Capacity));
        let e = p("%ASA-6-737006: IPAA: Local pool request succeeded for tunnel-group Staff");
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.group, Some("Staff"));
        let e =
            p("%ASA-6-737026: IPAA: Session=0x1, Client assigned 10.9.0.6 from local pool POOL1");
        assert_eq!(e.client_ip, None);
    }

    // ---- 750xxx / 751xxx ----

    #[test]
    fn m750_751_ikev2() {
        let e = p(
            "%ASA-5-751025: Local:192.0.2.1:4500 Remote:198.51.100.78:61000 Username:gil IKEv2 Group:GP_Staff IPv4 Address=10.9.0.7 IPv6 address=2001:db8:9::7 assigned to session",
        );
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(
            (e.group, e.user, e.client_ip),
            (Some("GP_Staff"), Some("gil"), Some("198.51.100.78"))
        );
        let e = p(
            "%ASA-5-751025: Local:2001:db8::1:4500 Remote:2001:db8::78:61000 Username:gil Group:GP IPv4 Address=10.9.0.7 IPv6 address=::",
        );
        assert_eq!(e.client_ip, Some("2001:db8::78"));
        assert_eq!(e.group, Some("GP"));
        let e = p(
            "%ASA-5-750002: Local:vpn.example.com:500 Remote:client.example.net:500 Username:Unknown Received a IKE_INIT_SA request",
        );
        assert_eq!(e.client_ip, Some("client.example.net"));
        let e = p(
            "%ASA-3-751011: Local:192.0.2.1:4500 Remote:198.51.100.78:61000 Username:gil IKEv2 Failed user authentication. Error: EAP authentication failed",
        );
        assert_eq!(e.cause, Some(Cause::BadCredentials));
        assert_eq!(e.reason, Some("EAP authentication failed"));
        let e = p(
            "%ASA-3-751006: Local:192.0.2.1:4500 Remote:198.51.100.78:61000 Username:gil IKEv2 Certificate authentication failed. Error: chain incomplete",
        );
        assert_eq!(e.cause, Some(Cause::Certificate));
        let e = p(
            "%ASA-3-751018: Local:192.0.2.1:4500 Remote:198.51.100.78:61000 Username:gil IKEv2 Terminating connection: group lock mismatch",
        );
        assert_eq!(e.cause, Some(Cause::GroupMismatch));
        let e = p(
            "%ASA-4-751019: Local:192.0.2.1:4500 Remote:198.51.100.78:61000 Username:gil IKEv2 Failed to obtain an AnyConnect Premium license. Maximum license limit 2 exceeded.",
        );
        assert_eq!(e.cause, Some(Cause::Capacity));
        let e = p(
            "%ASA-5-750008: Local:192.0.2.1:500 Remote:198.51.100.78:500 Username:Unknown SA rejected due to system resource low",
        );
        assert_eq!(e.cause, Some(Cause::Capacity));
        let e = p(
            "%ASA-3-751005: Local:192.0.2.1:4500 Remote:198.51.100.78:61000 Username:gil IKEv2 AnyConnect client reconnect authentication failed. Session ID: 7, Error: token mismatch",
        );
        assert_eq!(e.cause, Some(Cause::TokenRequired));
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

    // ---- cause_from_reason ----

    #[test]
    fn cause_from_reason_general_path() {
        // Not one of the exact strings: found by phrase.
        assert_eq!(
            cause_from_reason("RADIUS: Invalid Password for user"),
            Cause::BadCredentials
        );
        // Earliest table entry wins, wherever it sits in the text.
        assert_eq!(
            cause_from_reason("rejected: account is locked"),
            Cause::AccountLocked
        );
        assert_eq!(
            cause_from_reason("login failed, password expired"),
            Cause::PasswordExpired
        );
        assert_eq!(
            cause_from_reason("Invalid password."),
            Cause::BadCredentials
        );
        // Text beyond the 256-byte window is not searched, but must not panic.
        let long = format!("{}token", "x".repeat(300));
        assert_eq!(cause_from_reason(&long), Cause::Other);
        assert_eq!(cause_from_reason("tok"), Cause::Other);
        // Every phrase is found on its own.
        for (phrase, cause) in REASON_PHRASES {
            assert_eq!(
                cause_from_reason(&phrase.to_uppercase()),
                *cause,
                "{phrase}"
            );
        }
    }

    #[test]
    fn cause_from_reason_is_case_insensitive() {
        assert_eq!(cause_from_reason("INVALID PASSWORD"), Cause::BadCredentials);
        assert_eq!(cause_from_reason("user was NOT FOUND"), Cause::UnknownUser);
        assert_eq!(
            cause_from_reason("Please enter your SecurID passcode"),
            Cause::TokenRequired
        );
        assert_eq!(cause_from_reason(""), Cause::Other);
        assert_eq!(cause_from_reason("ümlaut"), Cause::Other);
    }

    #[test]
    fn contains_ci_works() {
        assert!(contains_ci("Hello World", "world"));
        assert!(contains_ci("abc", ""));
        assert!(!contains_ci("ab", "abc"));
        assert!(contains_ci("xxAbC", "abc"));
        assert!(!contains_ci("é", "e"));
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

    #[test]
    fn cached_headers_parse_like_uncached() {
        let sample = include_str!("../../sample-logs/asa-headend.log");
        let extra = [
            "<166>Nov 28 2026 09:09:48 vpn-asa-01 : %ASA-6-305011: Built dynamic",
            "<166>Nov 28 2026 09:09:48 vpn-asa-01 : %ASA-6-305011: Built dynamic",
            "<166>Nov 28 2026 09:09:48 vpn-asa-02 : %ASA-6-305011: Built dynamic",
            "Sep 25 01:08:29 relay : Sep 25 05:08:29 UTC: %ASA-6-113039: Group <G> User <u> IP <192.0.2.1> AnyConnect parent session started.",
            "May  5 17:51:17 10.0.0.1 %ASA-6-302013: Built",
            "May  5 17:51:17 10.0.0.1 %ASA-6-302013: Built",
            "no tag at all AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.1 : user = x : user IP = 192.0.2.3",
        ];
        let mut cache = HeaderCache::default();
        for year in [2026, 2025] {
            let ctx = ParseContext { default_year: year };
            for line in sample.lines().chain(extra) {
                assert_eq!(
                    parse_cached(line, &ctx, &mut cache),
                    parse(line, &ctx),
                    "{line}"
                );
            }
        }
    }

    /// Headers read through the cache, which reuses a cached header's work
    /// for another leading time or another host, come out exactly as
    /// `read_header` reads them, for every shape and for hosts that look
    /// like times, zones, years or IPv6 addresses.
    #[test]
    fn header_cache_reuse_reads_what_read_header_reads() {
        let hosts = [
            "asa-fw1",
            "asa-fw2",
            "asa-fw3",
            "UTC",
            "CET",
            "Dec",
            "Dec5",
            "10.0.0.1",
            "10.0.0.2",
            "2001:db8::1",
            "2001:db8::2",
            "fw",
            "-",
            "2026",
            "08:00:17",
            "host:",
            "h[1]",
            "a.b",
        ];
        // Each format second after second: the next second of a cached
        // header, a new minute, a jump.
        let formats: [fn(u32, u32) -> String; 4] = [
            |min, sec| format!("Dec  5 08:0{min}:{sec:02}"),
            |min, sec| format!("Nov 28 2026 08:0{min}:{sec:02}"),
            |min, sec| format!("2026-11-28T08:0{min}:{sec:02}Z"),
            |min, sec| format!("2026-11-28T08:0{min}:{sec:02}.123+01:00"),
        ];
        let mut times = Vec::new();
        for format in formats {
            for sec in [58, 59, 0, 1, 17, 9, 10] {
                times.push(format(if sec < 30 { 1 } else { 0 }, sec));
            }
        }
        let shapes: [fn(&str, &str) -> String; 7] = [
            |t, host| format!("{t} {host} : "),
            // With host `Dec` the host position starts a time.
            |t, host| format!("{t} {host} 5 08:00:17 : "),
            |t, host| format!("{t} 1 {host} : "),
            |t, host| format!("<166>{t} {host} : "),
            |t, host| format!("<166>{t} {host} : {t}: "),
            |t, host| format!("{host} {t} : "),
            |t, host| format!("{t} {host} UTC : "),
        ];
        // As logs come: two firewalls taking turns, second after second, so
        // the cache sees the other host at the same time and the same host
        // at the next time.
        let mut headers = Vec::new();
        for shape in shapes {
            for pair in hosts.chunks(2) {
                for t in &times {
                    for host in pair {
                        headers.push(shape(t, host));
                    }
                }
            }
        }
        let mut cache = HeaderCache::default();
        for (round, h) in headers.iter().chain(headers.iter().rev()).enumerate() {
            let got = cache.read(h, 2026);
            let want = read_header(h, 2026);
            assert_eq!((got.ts, got.host), (want.ts, want.host), "{round}: {h:?}");
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
            Some(!has_extractor(num))
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

    #[test]
    fn plain_ids_parse_to_plain_events() {
        // A body that gives nearly every extractor something to find.
        let body = "Group <G> User <u> IP <192.0.2.1> AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.1 : user = u : user IP = 192.0.2.1, Username = u, IP = 192.0.2.1, Uname: u Reason: x";
        let ctx = ctx();
        for id in 100_000..=999_999u32 {
            let line = format!("Dec  5 08:14:02 asa-fw1 : %ASA-6-{id}: {body}");
            let Some(header) = plain_header(line.as_bytes()) else {
                continue;
            };
            let mut plain = Event::new(Family::Headend, Outcome::Info);
            let head = read_header(std::str::from_utf8(header).unwrap(), ctx.default_year);
            plain.ts = head.ts;
            plain.host = head.host;
            let id = id.to_string();
            plain.msg_id = Some(&id);
            assert_eq!(parse(&line, &ctx), Some(plain), "{line}");
        }
        assert!(plain_header(b"Dec  5 08:14:02 asa-fw1 : %ASA-6-113005: x").is_none());
        assert_eq!(
            plain_header(b"<166>Dec  5 08:14:02 asa-fw1 : %ASA-6-302013: Built"),
            Some(&b"<166>Dec  5 08:14:02 asa-fw1 : "[..])
        );
        // The last of doubled tags decides.
        assert!(plain_header(b"x %FTD-6-302013: %ASA-6-113005: y").is_none());
    }
}
