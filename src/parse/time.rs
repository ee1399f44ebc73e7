//! Timestamps found in syslog headers, as pure functions.
//!
//! Every reader here looks at the *start* of a string and, when it recognises
//! a timestamp shape, says how many bytes the shape took and what instant it
//! names. The two are separate on purpose: a header such as `Feb 30 2024
//! 10:00:00` has a timestamp's shape (so the caller can step over it and find
//! the host name behind it) but names no real instant, so it yields
//! `Some((None, len))` rather than `None`.
//!
//! Shapes read by [`parse_prefix`]:
//!
//! * ASA legacy, with or without year: `Aug 28 2023 15:35:01`, `May  5 17:51:17`
//!   (yearless times take the caller's default year);
//! * FTD: `2024 Aug 07 10:29:42`;
//! * RFC 3339 / RFC 5424: `2018-06-27T12:17:46Z`, `2020-09-30T09:06:09.254798+00:00`;
//!
//! each with optional fractional seconds (`.138`, `.340591`) and an optional
//! zone: `Z`, a numeric offset, or an abbreviation (` UTC`, ` EDT`, …).
//! Client logs also use the macOS console form `5/20/14 11:33:56.909 PM`
//! ([`parse_us_prefix`]) and Android logcat's `05-20 11:33:56.909`
//! ([`parse_logcat_prefix`]).
//!
//! **Zones.** A time with no zone is taken as UTC: the ASA's legacy format does
//! not say which zone the clock is in, and guessing the reader's local zone
//! would make the same file parse differently on different machines.
//! Abbreviations come from a small fixed table of common North American and
//! European zones ([`zone_abbreviation_offset`]); an abbreviation outside the
//! table is also taken as UTC.
//!
//! The arithmetic is done by hand (days from the civil date) instead of
//! through `jiff::civil`, because this runs once per log line on the hot path.

use jiff::Timestamp;

/// Reads a syslog-header timestamp at the start of `s`.
///
/// Returns `None` when `s` does not start with a timestamp shape; otherwise
/// the instant (or `None` when the fields are out of range, e.g. `Feb 30`) and
/// the number of bytes the timestamp used, zone included. A trailing `:` is not
/// consumed.
pub fn parse_prefix(s: &str, default_year: i16) -> Option<(Option<Timestamp>, usize)> {
    parse_prefix_bytes(s.as_bytes(), default_year)
}

/// [`parse_prefix`] on bytes, for callers that scan a header byte-wise. The
/// length returned always ends on an ASCII byte (or the end of input).
pub fn parse_prefix_bytes(b: &[u8], default_year: i16) -> Option<(Option<Timestamp>, usize)> {
    let first = *b.first()?;
    if first.is_ascii_alphabetic() {
        // Cheap reject for host names and words: a month is 3 letters and a space.
        if b.get(3) != Some(&b' ') {
            return None;
        }
        parse_legacy(b, default_year)
    } else if first.is_ascii_digit() {
        match b.get(4) {
            Some(b'-') => parse_iso(b),
            Some(b' ') => parse_ftd(b),
            _ => None,
        }
    } else {
        None
    }
}

/// Reads the macOS console time `M/D/YY H:MM:SS[.fff] AM|PM` (US order, two-
/// digit year taken as 20YY). Same return convention as [`parse_prefix`].
pub fn parse_us_prefix(s: &str) -> Option<(Option<Timestamp>, usize)> {
    let b = s.as_bytes();
    let mut c = Cur { b, i: 0 };
    let month = c.digits(1, 2)?;
    c.byte(b'/')?;
    let day = c.digits(1, 2)?;
    c.byte(b'/')?;
    let year_start = c.i;
    let year = c.digits(2, 4)?;
    let year = if c.i - year_start == 2 {
        2000 + year
    } else {
        year
    };
    if c.spaces() == 0 {
        return None;
    }
    let (mut hour, minute, second, nanos) = c.clock()?;
    // The meridiem is part of the shape; without it the hour is ambiguous.
    let save = c.i;
    c.spaces();
    let rest = b.get(c.i..c.i + 2).unwrap_or(&[]);
    if rest.eq_ignore_ascii_case(b"PM") || rest.eq_ignore_ascii_case(b"AM") {
        let pm = rest.eq_ignore_ascii_case(b"PM");
        c.i += 2;
        if !(1..=12).contains(&hour) {
            return Some((None, c.i));
        }
        hour = match (pm, hour) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, h) => h,
        };
    } else {
        c.i = save;
    }
    let ts = make_ts(year as i64, month, day, hour, minute, second, nanos, 0);
    Some((ts, c.i))
}

/// Reads Android logcat's `MM-DD HH:MM:SS[.mmm]`; the year comes from the
/// caller. Same return convention as [`parse_prefix`].
pub fn parse_logcat_prefix(s: &str, default_year: i16) -> Option<(Option<Timestamp>, usize)> {
    let b = s.as_bytes();
    let mut c = Cur { b, i: 0 };
    let month = c.exact_digits(2)?;
    c.byte(b'-')?;
    let day = c.exact_digits(2)?;
    if c.spaces() == 0 {
        return None;
    }
    let (hour, minute, second, nanos) = c.clock()?;
    let ts = make_ts(
        default_year as i64,
        month,
        day,
        hour,
        minute,
        second,
        nanos,
        0,
    );
    Some((ts, c.i))
}

/// Offset from UTC, in seconds, of a time-zone abbreviation from a small fixed
/// table (UTC/GMT, North American and common European zones). Matching is
/// case-sensitive, as the ASA prints them in capitals. `None` when unknown.
pub fn zone_abbreviation_offset(abbr: &str) -> Option<i32> {
    const H: i32 = 3600;
    let off = match abbr {
        "UTC" | "GMT" | "UT" | "Z" | "WET" => 0,
        // North America
        "EST" => -5 * H,
        "EDT" => -4 * H,
        "CST" => -6 * H,
        "CDT" => -5 * H,
        "MST" => -7 * H,
        "MDT" => -6 * H,
        "PST" => -8 * H,
        "PDT" => -7 * H,
        "AKST" => -9 * H,
        "AKDT" => -8 * H,
        "HST" => -10 * H,
        "AST" => -4 * H,
        "ADT" => -3 * H,
        "NST" => -(3 * H + 1800),
        "NDT" => -(2 * H + 1800),
        // Europe
        "BST" | "IST" | "WEST" | "CET" | "MET" => H,
        "CEST" | "MEST" | "EET" => 2 * H,
        "EEST" | "MSK" => 3 * H,
        _ => return None,
    };
    Some(off)
}

/// Month number (1–12) from a three-letter English abbreviation, any case.
pub fn month_from_abbr(m: &[u8]) -> Option<u32> {
    let &[a, b, c] = m else { return None };
    if !(a.is_ascii_alphabetic() && b.is_ascii_alphabetic() && c.is_ascii_alphabetic()) {
        return None;
    }
    // Fold to lower case and compare as one integer.
    const fn k(s: &[u8; 3]) -> u32 {
        u32::from_be_bytes([0, s[0], s[1], s[2]])
    }
    Some(
        match u32::from_be_bytes([0, a | 0x20, b | 0x20, c | 0x20]) {
            x if x == k(b"jan") => 1,
            x if x == k(b"feb") => 2,
            x if x == k(b"mar") => 3,
            x if x == k(b"apr") => 4,
            x if x == k(b"may") => 5,
            x if x == k(b"jun") => 6,
            x if x == k(b"jul") => 7,
            x if x == k(b"aug") => 8,
            x if x == k(b"sep") => 9,
            x if x == k(b"oct") => 10,
            x if x == k(b"nov") => 11,
            x if x == k(b"dec") => 12,
            _ => return None,
        },
    )
}

/// `Mon dd [yyyy] HH:MM:SS[.f][zone]`.
fn parse_legacy(b: &[u8], default_year: i16) -> Option<(Option<Timestamp>, usize)> {
    let month = month_from_abbr(b.get(..3)?)?;
    // Fast path at fixed offsets: `Mon dd yyyy ` / `Mon  d ` / `Mon dd `.
    let digit = |i: usize| {
        b.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| u32::from(c - b'0'))
    };
    if b.get(3) == Some(&b' ') && b.get(6) == Some(&b' ') {
        let day = match (b.get(4), digit(5)) {
            (Some(b' '), Some(d)) => Some(d),
            (Some(_), Some(d)) => digit(4).map(|t| t * 10 + d),
            _ => None,
        };
        if let Some(day) = day {
            let year = match (digit(7), digit(8), digit(9), digit(10), b.get(11)) {
                (Some(a), Some(b2), Some(c2), Some(d), Some(b' ')) => {
                    Some(a * 1000 + b2 * 100 + c2 * 10 + d)
                }
                _ => None,
            };
            let mut c = Cur {
                b,
                i: if year.is_some() { 12 } else { 7 },
            };
            if let Some((hour, minute, second, nanos)) = c.clock() {
                let year = year.map_or(i64::from(default_year), i64::from);
                let offset = c.zone();
                let ts = offset
                    .and_then(|off| make_ts(year, month, day, hour, minute, second, nanos, off));
                return Some((ts, c.i));
            }
        }
    }
    let mut c = Cur { b, i: 3 };
    if c.spaces() == 0 {
        return None;
    }
    let day = c.digits(1, 2)?;
    if c.spaces() == 0 {
        return None;
    }
    // A year (4 digits then a space) or straight to the clock.
    let save = c.i;
    let year = match c.exact_digits(4) {
        Some(y) if c.spaces() > 0 => y as i64,
        _ => {
            c.i = save;
            default_year as i64
        }
    };
    let (hour, minute, second, nanos) = c.clock()?;
    let offset = c.zone();
    let ts = offset.and_then(|off| make_ts(year, month, day, hour, minute, second, nanos, off));
    Some((ts, c.i))
}

/// `yyyy Mon dd HH:MM:SS[.f][zone]` (FTD).
fn parse_ftd(b: &[u8]) -> Option<(Option<Timestamp>, usize)> {
    let mut c = Cur { b, i: 0 };
    let year = c.exact_digits(4)?;
    if c.spaces() == 0 {
        return None;
    }
    let month = month_from_abbr(b.get(c.i..c.i + 3)?)?;
    c.i += 3;
    if c.spaces() == 0 {
        return None;
    }
    let day = c.digits(1, 2)?;
    if c.spaces() == 0 {
        return None;
    }
    let (hour, minute, second, nanos) = c.clock()?;
    let offset = c.zone();
    let ts =
        offset.and_then(|off| make_ts(year as i64, month, day, hour, minute, second, nanos, off));
    Some((ts, c.i))
}

/// `yyyy-mm-dd[T ]HH:MM:SS[.f][Z|±hh:mm|±hhmm]`.
fn parse_iso(b: &[u8]) -> Option<(Option<Timestamp>, usize)> {
    let mut c = Cur { b, i: 0 };
    let year = c.exact_digits(4)?;
    c.byte(b'-')?;
    let month = c.exact_digits(2)?;
    c.byte(b'-')?;
    let day = c.exact_digits(2)?;
    match c.peek() {
        Some(b'T' | b't' | b' ') => c.i += 1,
        _ => return None,
    }
    let (hour, minute, second, nanos) = c.clock()?;
    let offset = c.zone();
    let ts =
        offset.and_then(|off| make_ts(year as i64, month, day, hour, minute, second, nanos, off));
    Some((ts, c.i))
}

/// A byte cursor; every read is bounds-checked so short input cannot panic.
struct Cur<'b> {
    b: &'b [u8],
    i: usize,
}

impl Cur<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn byte(&mut self, want: u8) -> Option<()> {
        (self.peek()? == want).then(|| self.i += 1)
    }

    /// Skips spaces, returning how many.
    fn spaces(&mut self) -> usize {
        let start = self.i;
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
        self.i - start
    }

    /// Between `min` and `max` ASCII digits, as a number.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        let mut v: u32 = 0;
        while self.i - start < max {
            match self.peek() {
                Some(d @ b'0'..=b'9') => {
                    v = v * 10 + u32::from(d - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        if self.i - start < min || matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i = start;
            return None;
        }
        Some(v)
    }

    fn exact_digits(&mut self, n: usize) -> Option<u32> {
        self.digits(n, n)
    }

    /// Exactly `n` digits, whatever follows (for `hhmm` offsets).
    fn fixed_digits(&mut self, n: usize) -> Option<u32> {
        let digits = self.b.get(self.i..self.i + n)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        Some(digits.iter().fold(0, |v, d| v * 10 + u32::from(d - b'0')))
    }

    /// `H[H]:MM:SS[.fffffffff]` → (hour, minute, second, nanoseconds).
    fn clock(&mut self) -> Option<(u32, u32, u32, u32)> {
        let d = |c: u8| u32::from(c.wrapping_sub(b'0'));
        let (hour, minute, second) = match self.b.get(self.i..self.i + 8) {
            // Fast path for the usual two-digit hour, read at fixed offsets.
            Some(&[h1, h2, b':', m1, m2, b':', s1, s2])
                if [h1, h2, m1, m2, s1, s2].iter().all(u8::is_ascii_digit)
                    && !self.b.get(self.i + 8).is_some_and(u8::is_ascii_digit) =>
            {
                self.i += 8;
                (d(h1) * 10 + d(h2), d(m1) * 10 + d(m2), d(s1) * 10 + d(s2))
            }
            _ => {
                let hour = self.digits(1, 2)?;
                self.byte(b':')?;
                let minute = self.exact_digits(2)?;
                self.byte(b':')?;
                (hour, minute, self.exact_digits(2)?)
            }
        };
        let mut nanos = 0;
        if self.peek() == Some(b'.') && matches!(self.b.get(self.i + 1), Some(b'0'..=b'9')) {
            self.i += 1;
            let mut scale = 100_000_000;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                // Digits past nanoseconds are read but carry no weight.
                nanos += u32::from(d - b'0') * scale;
                scale /= 10;
                self.i += 1;
            }
        }
        Some((hour, minute, second, nanos))
    }

    /// An optional zone after the clock. Returns the offset in seconds (0 when
    /// there is no zone or the abbreviation is unknown), or `None` when a zone
    /// is present but malformed (e.g. `+25:00`); the cursor then still steps
    /// over it so the caller can read what follows.
    fn zone(&mut self) -> Option<i32> {
        match self.peek() {
            Some(b'Z' | b'z') => {
                self.i += 1;
                Some(0)
            }
            Some(sign @ (b'+' | b'-')) => {
                self.i += 1;
                self.numeric_offset(sign)
            }
            Some(b' ') => {
                let save = self.i;
                self.i += 1;
                if let Some(sign @ (b'+' | b'-')) = self.peek() {
                    // ` +0200` style, only when it looks complete.
                    self.i += 1;
                    if matches!(self.peek(), Some(b'0'..=b'9')) {
                        return self.numeric_offset(sign);
                    }
                    self.i = save;
                    return Some(0);
                }
                let start = self.i;
                while let Some(b'A'..=b'Z') = self.peek() {
                    self.i += 1;
                }
                let word = self.b.get(start..self.i).unwrap_or(&[]);
                if word.is_empty() {
                    // The common case: a host name follows the time.
                    self.i = save;
                    return Some(0);
                }
                let next = self.peek();
                let boundary = matches!(next, None | Some(b':' | b' ' | b','));
                // Safe: the word is ASCII capitals.
                let abbr = std::str::from_utf8(word).unwrap_or("");
                if boundary && let Some(off) = zone_abbreviation_offset(abbr) {
                    return Some(off);
                }
                // An unknown capitalised word right before a colon is taken
                // as a zone (`WEST:`); anything else is the host name, which
                // the caller reads next.
                if (3..=5).contains(&word.len()) && next == Some(b':') {
                    return Some(0);
                }
                self.i = save;
                Some(0)
            }
            _ => Some(0),
        }
    }

    /// `hh[:]mm` after the sign has been consumed.
    fn numeric_offset(&mut self, sign: u8) -> Option<i32> {
        let h = self.fixed_digits(2);
        if self.peek() == Some(b':') {
            self.i += 1;
        }
        let m = self.fixed_digits(2);
        let (h, m) = (h?, m.unwrap_or(0));
        if h > 23 || m > 59 {
            return None;
        }
        let secs = (h * 3600 + m * 60) as i32;
        Some(if sign == b'-' { -secs } else { secs })
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date, for years 1–9999
/// (all a four-digit field can hold, bar 0). Table plus leap-day count: this
/// runs once per line.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    const BEFORE_MONTH: [u16; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let leaps_before = |y: i64| (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400;
    let month_days = BEFORE_MONTH
        .get(m.wrapping_sub(1) as usize)
        .copied()
        .unwrap_or(0);
    let leap_day = i64::from(m > 2 && is_leap(y));
    365 * (y - 1970) + leaps_before(y) - leaps_before(1970)
        + i64::from(month_days)
        + leap_day
        + i64::from(d)
        - 1
}

/// Builds the instant for a civil time at a fixed offset, or `None` when a
/// field is out of range.
#[allow(clippy::too_many_arguments)]
fn make_ts(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    offset_secs: i32,
) -> Option<Timestamp> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second)
        - i64::from(offset_secs);
    Timestamp::new(secs, nanos as i32).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn p(s: &str) -> Option<(Option<Timestamp>, usize)> {
        parse_prefix(s, 2024)
    }

    #[test]
    fn legacy_with_year() {
        let s = "Aug 28 2023 15:35:01 fw-a : %ASA";
        assert_eq!(p(s), Some((Some(ts("2023-08-28T15:35:01Z")), 20)));
    }

    #[test]
    fn legacy_with_year_and_colon() {
        assert_eq!(
            p("Sep 14 2016 10:07:20: %ASA"),
            Some((Some(ts("2016-09-14T10:07:20Z")), 20))
        );
    }

    #[test]
    fn yearless_single_digit_day_double_space() {
        assert_eq!(
            p("May  5 17:51:17 relay01"),
            Some((Some(ts("2024-05-05T17:51:17Z")), 15))
        );
        assert_eq!(
            parse_prefix("Jan  1 00:00:00", 1999),
            Some((Some(ts("1999-01-01T00:00:00Z")), 15))
        );
    }

    #[test]
    fn month_any_case() {
        assert_eq!(
            p("jUN 02 2020 01:02:03").map(|x| x.0),
            Some(Some(ts("2020-06-02T01:02:03Z")))
        );
    }

    #[test]
    fn fractional_seconds() {
        assert_eq!(
            p("Apr 29 12:59:50.138: %ASA"),
            Some((Some(ts("2024-04-29T12:59:50.138Z")), 19))
        );
        assert_eq!(
            p("Apr 30 09:22:38.340591: x"),
            Some((Some(ts("2024-04-30T09:22:38.340591Z")), 22))
        );
        // More than nanosecond precision: extra digits are read and dropped.
        assert_eq!(
            p("Apr 30 09:22:38.1234567891 x").map(|x| x.0),
            Some(Some(ts("2024-04-30T09:22:38.123456789Z")))
        );
    }

    #[test]
    fn trailing_z() {
        assert_eq!(
            p("May 01 2026 09:24:32Z  %FTD"),
            Some((Some(ts("2026-05-01T09:24:32Z")), 21))
        );
    }

    #[test]
    fn zone_abbreviations() {
        // EDT is UTC-4: 12:42 EDT is 16:42 UTC.
        assert_eq!(
            p("Sep 25 12:42:21 EDT: %ASA"),
            Some((Some(ts("2024-09-25T16:42:21Z")), 19))
        );
        assert_eq!(
            p("Jan 22 14:05:11 PST:").map(|x| x.0),
            Some(Some(ts("2024-01-22T22:05:11Z")))
        );
        assert_eq!(
            p("Jan 22 14:05:11 UTC").map(|x| x.0),
            Some(Some(ts("2024-01-22T14:05:11Z")))
        );
        assert_eq!(
            p("Jan 22 14:05:11 GMT x").map(|x| x.0),
            Some(Some(ts("2024-01-22T14:05:11Z")))
        );
        assert_eq!(
            p("Jul 22 14:05:11 CEST:").map(|x| x.0),
            Some(Some(ts("2024-07-22T12:05:11Z")))
        );
    }

    #[test]
    fn unknown_zone_before_colon_is_utc() {
        assert_eq!(
            p("May 14 15:10:46 XYZT: %ASA"),
            Some((Some(ts("2024-05-14T15:10:46Z")), 20))
        );
    }

    #[test]
    fn capitalised_host_is_not_a_zone() {
        // `FWEDGE` is not in the table and is not followed by a colon.
        assert_eq!(
            p("Jun 04 2011 21:59:52 FWEDGE : %ASA").map(|x| x.1),
            Some(20)
        );
        // `ASA1` contains a digit: host, not zone.
        assert_eq!(p("Jun 04 2011 21:59:52 ASA1: %ASA").map(|x| x.1), Some(20));
    }

    #[test]
    fn iso_forms() {
        assert_eq!(
            p("2018-06-27T12:17:46Z: %ASA"),
            Some((Some(ts("2018-06-27T12:17:46Z")), 20))
        );
        assert_eq!(
            p("2020-09-30T09:06:09.254798+00:00 local4.err"),
            Some((Some(ts("2020-09-30T09:06:09.254798Z")), 32))
        );
        assert_eq!(
            p("2024-01-12T17:05:35+01:00 h").map(|x| x.0),
            Some(Some(ts("2024-01-12T16:05:35Z")))
        );
        assert_eq!(
            p("2024-01-12T17:05:35-0500 h").map(|x| x.0),
            Some(Some(ts("2024-01-12T22:05:35Z")))
        );
        assert_eq!(p("2024-01-12 17:05:35 h").map(|x| x.1), Some(19));
    }

    #[test]
    fn ftd_form() {
        assert_eq!(
            p("2024 Aug 07 10:29:42 UTC 0f0e-uuid : %FTD"),
            Some((Some(ts("2024-08-07T10:29:42Z")), 24))
        );
    }

    #[test]
    fn malformed_fields_keep_the_shape() {
        assert_eq!(p("Feb 30 2024 10:00:00 x"), Some((None, 20)));
        assert_eq!(p("Feb 29 2023 10:00:00").map(|x| x.0), Some(None));
        assert_eq!(
            p("Feb 29 2024 10:00:00").map(|x| x.0),
            Some(Some(ts("2024-02-29T10:00:00Z")))
        );
        assert_eq!(p("Jan 01 2024 25:00:00").map(|x| x.0), Some(None));
        assert_eq!(p("2024-13-01T00:00:00Z").map(|x| x.0), Some(None));
        assert_eq!(p("2024-01-01T00:00:00+99:00").map(|x| x.0), Some(None));
    }

    #[test]
    fn not_timestamps() {
        for s in [
            "",
            "J",
            "Jan",
            "Jan ",
            "Jan 1",
            "Jan 12 ",
            "Jan 12 17",
            "Jan 12 17:05",
            "Jan 12 17:05:3",
            "Foo 12 17:05:35",
            "host1 : %ASA",
            "12345",
            "2024-",
            "2024-01-01",
            "2024 Xyz 01 10:00:00",
            "<166>",
            "Jan 123 17:05:35",
            "é",
            "Jané 12",
        ] {
            assert_eq!(p(s), None, "{s:?}");
        }
    }

    #[test]
    fn us_form_macos() {
        assert_eq!(
            parse_us_prefix("5/20/14 11:33:56.909 PM acvpnagent[69]:"),
            Some((Some(ts("2014-05-20T23:33:56.909Z")), 23))
        );
        assert_eq!(
            parse_us_prefix("12/1/2023 12:05:00 AM x").map(|x| x.0),
            Some(Some(ts("2023-12-01T00:05:00Z")))
        );
        assert_eq!(
            parse_us_prefix("5/20/14 13:33:56 PM").map(|x| x.0),
            Some(None)
        );
        assert_eq!(parse_us_prefix("5/20"), None);
    }

    #[test]
    fn logcat_form() {
        assert_eq!(
            parse_logcat_prefix("05-20 11:33:56.909 W/acvpnagent(1):", 2021),
            Some((Some(ts("2021-05-20T11:33:56.909Z")), 18))
        );
        assert_eq!(parse_logcat_prefix("5-20 11:33:56", 2021), None);
    }

    #[test]
    fn zone_table() {
        assert_eq!(zone_abbreviation_offset("UTC"), Some(0));
        assert_eq!(zone_abbreviation_offset("EST"), Some(-5 * 3600));
        assert_eq!(zone_abbreviation_offset("NST"), Some(-(3 * 3600 + 1800)));
        assert_eq!(zone_abbreviation_offset("XYZ"), None);
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        assert_eq!(days_from_civil(2024, 3, 1), 19_783);
        assert_eq!(days_from_civil(1900, 3, 1), -25_508);
        // Cross-check against jiff over a range of dates.
        for (y, m, d) in [
            (1, 1, 1),
            (1600, 2, 29),
            (2100, 12, 31),
            (9999, 12, 30),
            (1999, 6, 15),
        ] {
            let jd = jiff::civil::date(y, m, d)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .unwrap();
            assert_eq!(
                days_from_civil(i64::from(y), m as u32, d as u32) * 86_400,
                jd.timestamp().as_second(),
                "{y}-{m}-{d}"
            );
        }
    }
}
