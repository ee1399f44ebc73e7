//! The header of an ASA / FTD syslog line: everything before the `%ASA-…`
//! tag (`<PRI>`, one or more timestamps, relay and device names), read into
//! a time and a host, and [`HeaderCache`], which reads a stream's repeated
//! headers once.

use jiff::Timestamp;

use crate::parse::time;

/// What a header says: the time of the line and the device (or relay) host.
pub(super) struct Header<'a> {
    pub(super) ts: Option<Timestamp>,
    pub(super) host: Option<&'a str>,
}

/// The results of the last few `read_header` calls, keyed by the header's
/// exact bytes (and the default year), so repeated headers are read once.
/// Fixed-size and allocation-free; headers longer than `HEADER_CACHE_BYTES`
/// are simply not cached.
#[derive(Clone, Debug)]
pub struct HeaderCache {
    entries: [CachedHeader; HEADER_CACHE_ENTRIES],
    /// The entry replaced next (round robin).
    next: usize,
    /// The entry that matched last, tried first.
    last_hit: usize,
    /// The one that matched before it, tried second: two firewalls of a
    /// pair logging the same second alternate between two headers.
    prev_hit: usize,
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
            prev_hit: 0,
        }
    }
}

impl HeaderCache {
    /// The first entry `matches` accepts, trying the last one hit first.
    fn find(&mut self, matches: impl Fn(&CachedHeader) -> bool) -> Option<&CachedHeader> {
        if !self.entries.get(self.last_hit).is_some_and(&matches) {
            let hit = if self.entries.get(self.prev_hit).is_some_and(&matches) {
                self.prev_hit
            } else {
                self.entries.iter().position(&matches)?
            };
            self.prev_hit = self.last_hit;
            self.last_hit = hit;
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

    /// [`read_header`], answered from the cache when it can be.
    pub(super) fn read<'a>(&mut self, h: &'a str, default_year: i16) -> Header<'a> {
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
        if let Some(head) = self.step_seconds(h, default_year) {
            return head;
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

    /// The most common miss, answered in place: `h` is the header of the
    /// device of the last hit (or of the one before it, the other firewall
    /// of a pair) a few seconds on, the same bytes but the time's seconds.
    /// That entry moves to the new second ([`next_second`]); nothing is
    /// parsed and no other entry is displaced.
    fn step_seconds<'a>(&mut self, h: &'a str, default_year: i16) -> Option<Header<'a>> {
        let b = h.as_bytes();
        for (i, slot) in [self.last_hit, self.prev_hit].into_iter().enumerate() {
            let Some(e) = self.entries.get_mut(slot) else {
                continue;
            };
            let Some((start, end)) = e
                .leading_time
                .map(|(s, e)| (usize::from(s), usize::from(e)))
            else {
                continue;
            };
            if usize::from(e.len) != b.len() || e.default_year != default_year {
                continue;
            }
            // The cached bytes with the new seconds: equal to `h` when
            // nothing else differs.
            let mut stepped = e.bytes;
            let Some(seconds) = end.checked_sub(2).map(|s| s..end) else {
                continue;
            };
            match (stepped.get_mut(seconds.clone()), b.get(seconds)) {
                (Some(dst), Some(src)) => dst.copy_from_slice(src),
                _ => continue,
            }
            if !same_bytes(&stepped, b) {
                continue;
            }
            let cached = e.bytes.get(..b.len())?;
            let Some(ts) = next_second(cached, b, (start, end), e.ts) else {
                continue;
            };
            e.bytes = stepped;
            e.ts = Some(ts);
            let host = e
                .host
                .and_then(|(s, end)| h.get(usize::from(s)..usize::from(end)));
            if i == 1 {
                // The other device of the pair: it is the last hit now.
                std::mem::swap(&mut self.last_hit, &mut self.prev_hit);
            }
            return Some(Header { ts: Some(ts), host });
        }
        None
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
/// the seconds (`…:MM:SS` ending the time text at `span`): the cached time
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
    // `:MM:` before the last two digits: they are seconds, not the
    // minutes of a UTC offset (`+01:30`), which move the time by minutes
    // the other way.
    if head < start + 4
        || !matches!(
            b.get(head - 4..head),
            Some([b':', b'0'..=b'5', b'0'..=b'9', b':'])
        )
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
    // Whole seconds on the integer count: the same instant `checked_add`
    // of a duration gives, for a fraction of its cost (this runs for most
    // relevant lines of a busy log).
    Timestamp::new(
        ts.as_second().checked_add(new - old)?,
        ts.subsec_nanosecond(),
    )
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
pub(super) fn read_header(h: &str, default_year: i16) -> Header<'_> {
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

#[cfg(test)]
mod tests {
    use super::super::tests::{p, ts};
    use super::super::{parse, parse_cached};
    use super::*;
    use crate::parse::{Family, Outcome, ParseContext};

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
            &ParseContext::for_year(2019),
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

    #[test]
    fn cached_headers_parse_like_uncached() {
        let sample = include_str!("../../../sample-logs/asa-headend.log");
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
            let ctx = ParseContext::for_year(year);
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
        // A UTC offset whose minutes change while all else stays: not the
        // next second.
        for offset in ["+01:00", "+01:30", "+01:00", "-03:30", "-03:00"] {
            headers.push(format!("2026-11-28T08:01:17{offset} asa-fw1 : "));
        }
        let mut cache = HeaderCache::default();
        for (round, h) in headers.iter().chain(headers.iter().rev()).enumerate() {
            let got = cache.read(h, 2026);
            let want = read_header(h, 2026);
            assert_eq!((got.ts, got.host), (want.ts, want.host), "{round}: {h:?}");
        }
    }
}
