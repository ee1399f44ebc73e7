//! AnyConnect DART text export (`AnyConnect-VPN.txt` in a DART bundle): the
//! client's event log written as blocks separated by lines of `*`, one
//! `Key : value` per line.
//!
//! ```text
//! ******************************************
//! Date        : 11/28/2026
//! Time        : 08:41:07
//! Type        : Error
//! Source      : acvpnui
//!
//! Description : Function: ConnectMgr::processIfcData
//! File: c:\temp\build\vpn\Api\ConnectMgr.cpp
//! Line: 2404
//! …
//! ******************************************
//! ```
//!
//! No public sample of this export exists, so the reader goes by keys, not
//! columns: `Date`, `Time`, `Type`, `Source` and `Description` in any order,
//! any spacing and case, unknown keys ignored; `Description` runs to the end
//! of the block or to the next of the four other keys (its own text has
//! `Description:` and `File:` lines of its own). Blocks come from
//! [`records::RecordAssembler`](super::records::RecordAssembler) in `Dart`
//! mode; the description is classified by the client rules.

use super::{Event, Family, Outcome, ParseContext, client};

/// The keyed fields of one DART block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DartRecord<'a> {
    pub date: Option<&'a str>,
    pub time: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub source: Option<&'a str>,
    pub description: Option<&'a str>,
}

/// Splits a block into its keyed fields. `None` unless it has a description
/// and at least one of the other keys.
pub fn fields(record: &str) -> Option<DartRecord<'_>> {
    let mut r = DartRecord::default();
    let mut desc_start: Option<usize> = None;
    let mut desc_end = record.len();
    let mut offset = 0;
    for line in record.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let Some((key, value_at)) = key_of(line) else {
            continue;
        };
        let value = line
            .get(value_at..)
            .map(str::trim)
            .filter(|v| !v.is_empty());
        match key {
            Key::Description => {
                if desc_start.is_none() {
                    desc_start = Some(line_start + value_at);
                }
            }
            other => {
                if desc_start.is_some() && desc_end == record.len() {
                    desc_end = line_start;
                }
                let slot = match other {
                    Key::Date => &mut r.date,
                    Key::Time => &mut r.time,
                    Key::Type => &mut r.kind,
                    _ => &mut r.source,
                };
                if slot.is_none() {
                    *slot = value;
                }
            }
        }
    }
    r.description = desc_start
        .and_then(|s| record.get(s..desc_end.max(s)))
        .map(str::trim)
        .filter(|d| !d.is_empty());
    let has_header = r.date.is_some() || r.time.is_some() || r.kind.is_some() || r.source.is_some();
    (r.description.is_some() && has_header).then_some(r)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Date,
    Time,
    Type,
    Source,
    Description,
}

/// `^\s*(Date|Time|Type|Source|Description)\s*:` → the key and where the value starts.
fn key_of(line: &str) -> Option<(Key, usize)> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let word_len = trimmed.bytes().take_while(u8::is_ascii_alphabetic).count();
    let word = trimmed.get(..word_len)?;
    let key = [
        ("date", Key::Date),
        ("time", Key::Time),
        ("type", Key::Type),
        ("source", Key::Source),
        ("description", Key::Description),
    ]
    .into_iter()
    .find(|(k, _)| k.eq_ignore_ascii_case(word))?
    .1;
    let after = trimmed.get(word_len..)?;
    let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
    let after = after.get(spaces..)?;
    after
        .starts_with(':')
        .then_some((key, indent + word_len + spaces + 1))
}

/// Parses one DART block; `None` when it is not one.
pub fn parse<'a>(record: &'a str, _ctx: &ParseContext) -> Option<Event<'a>> {
    let r = fields(record)?;
    let mut ev = Event::new(Family::Client, Outcome::Info);
    ev.ts = r
        .date
        .and_then(|d| timestamp(d, r.time.unwrap_or("00:00:00")));
    client::classify_body(&mut ev, r.description.unwrap_or(""));
    Some(ev)
}

/// Date `MM/DD/YYYY` (as the US-English client writes it), `YYYY-MM-DD` or
/// `DD.MM.YYYY`; time `HH:MM:SS[.fff][ AM|PM]`. Zoneless, read as UTC.
fn timestamp(date: &str, time: &str) -> Option<jiff::Timestamp> {
    let num = |s: &str| s.trim().parse::<i32>().ok();
    let (y, m, d) = if let Some((a, rest)) = date.split_once('/') {
        let (b, c) = rest.split_once('/')?;
        let y = num(c)?;
        (if y < 100 { 2000 + y } else { y }, num(a)?, num(b)?)
    } else if let Some((a, rest)) = date.split_once('-') {
        let (b, c) = rest.split_once('-')?;
        (num(a)?, num(b)?, num(c)?)
    } else {
        let (a, rest) = date.split_once('.')?;
        let (b, c) = rest.split_once('.')?;
        (num(c)?, num(b)?, num(a)?)
    };
    let time = time.trim();
    let (clock, pm) = match time.rsplit_once(' ') {
        Some((c, ap)) if ap.eq_ignore_ascii_case("PM") => (c, Some(true)),
        Some((c, ap)) if ap.eq_ignore_ascii_case("AM") => (c, Some(false)),
        _ => (time, None),
    };
    let mut parts = clock.split(':');
    let mut h = num(parts.next()?)?;
    let mi = num(parts.next()?)?;
    let sec = parts.next().unwrap_or("0");
    let (s, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let s = num(s)?;
    let nanos = frac
        .bytes()
        .take(9)
        .take_while(u8::is_ascii_digit)
        .enumerate()
        .fold(0i32, |acc, (i, b)| {
            acc + i32::from(b - b'0') * 10i32.pow(8 - i as u32)
        });
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    let date = jiff::civil::Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()?;
    let t = jiff::civil::Time::new(
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(s).ok()?,
        nanos,
    )
    .ok()?;
    let dt = jiff::civil::DateTime::from_parts(date, t);
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Cause;

    fn ctx() -> ParseContext {
        ParseContext::for_year(2026)
    }

    fn ts(s: &str) -> Option<jiff::Timestamp> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn canonical_block_with_function_description() {
        let rec = "Date        : 11/28/2026\nTime        : 08:41:07\nType        : Error\nSource      : acvpnui\n\nDescription : Function: CTransportCurlStatic::SendRequest\nFile: c:\\build\\vpn\\CommonCrypt\\CTransportCurlStatic.cpp\nLine: 1450\nInvoked Function: curl_easy_perform\nReturn Code: -29949904 (0xFE370030)\nDescription: CTRANSPORT_ERROR_TIMEOUT\n";
        let r = fields(rec).unwrap();
        assert_eq!(r.date, Some("11/28/2026"));
        assert_eq!(r.kind, Some("Error"));
        assert_eq!(r.source, Some("acvpnui"));
        assert!(
            r.description
                .unwrap()
                .starts_with("Function: CTransportCurlStatic")
        );
        assert!(r.description.unwrap().ends_with("CTRANSPORT_ERROR_TIMEOUT"));
        let e = parse(rec, &ctx()).unwrap();
        assert_eq!(e.family, Family::Client);
        assert_eq!(e.ts, ts("2026-11-28T08:41:07Z"));
        assert_eq!(e.msg_id, Some("CTRANSPORT_ERROR_TIMEOUT"));
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::ClientNetwork));
    }

    #[test]
    fn layout_drift_and_unknown_keys() {
        // Keys reordered, odd spacing and case, an unknown key, the
        // description's text starting on the next line, a key after it.
        let rec = "source:csc_vpnapi\n  TYPE   :  Warning\nComputer : LT-0042\nDescription :\nMessage type error sent to the user: Login failed.\nDate\t: 2026-11-28\ntime : 8:41:09 PM";
        let r = fields(rec).unwrap();
        assert_eq!(r.source, Some("csc_vpnapi"));
        assert_eq!(r.kind, Some("Warning"));
        assert_eq!(
            r.description,
            Some("Message type error sent to the user: Login failed.")
        );
        let e = parse(rec, &ctx()).unwrap();
        assert_eq!(e.ts, ts("2026-11-28T20:41:09Z"));
        assert_eq!(e.cause, Some(Cause::BadCredentials));
    }

    #[test]
    fn user_name_line() {
        let rec = "Date : 28.11.2026\nTime : 08:41:05.250\nType : Information\nSource : acvpnui\nDescription : Function: getUserName\nFile: CTransportCurlStatic.cpp\nLine: 1972\nPasswordEntry username is rnguyen\n";
        let e = parse(rec, &ctx()).unwrap();
        assert_eq!(e.user, Some("rnguyen"));
        assert_eq!(e.ts, ts("2026-11-28T08:41:05.25Z"));
        assert_eq!(e.outcome, Outcome::Info);
    }

    #[test]
    fn not_a_dart_block() {
        assert!(parse("Date : 11/28/2026\nTime : 08:00:00", &ctx()).is_none());
        assert!(parse("Description : lonely", &ctx()).is_none());
        assert!(parse("", &ctx()).is_none());
        // A bad date leaves the time unset but the record is read.
        let e = parse("Date : 13/45/2026\nDescription : x", &ctx()).unwrap();
        assert_eq!(e.ts, None);
    }

    #[test]
    fn garbage_never_panics() {
        let s = "Date : 11/28/2026\nTime : 99:99:99.99999999999 PM\nType : Error\nDescription : Function: f\nDescription: CERT_ERROR_X é\nSource:\n";
        for (i, _) in s.char_indices() {
            let _ = parse(&s[..i], &ctx());
            let _ = parse(&s[i..], &ctx());
        }
        for d in ["/", "//", "1/2/", "a.b.c", "-1--", "2026-1-1"] {
            let _ = timestamp(d, "1:2");
            let _ = timestamp("1/1/2026", d);
        }
    }
}
