//! Time you can trust: the zone of stamps that carry none, and the year of
//! stamps that carry none.
//!
//! The line parsers read a stamp as written: one with no zone as UTC, one
//! with no year in [`ParseContext::default_year`](super::ParseContext). A
//! [`Clock`], one per source (kept by the [`RecordReader`](super::reader)),
//! then corrects what the stamp did not say:
//!
//! * **Zone.** `--tz ZONE` names the zone of every zone-less stamp, and
//!   `--tz FILE=ZONE` that of one source (an ASA logging local time beside
//!   an ISE log with an offset). Stamps with a zone (`Z`, `+01:00`, `CEST`)
//!   are never moved. Without `--tz`, zone-less stamps are UTC.
//! * **Year.** A yearless stamp (`Dec 31 23:59:58`) gets the newest year
//!   that puts it no later than now + 1 day, and the year never goes
//!   backwards within a source, so a log crossing New Year rolls over to
//!   the next year and a log read on 1 January keeps last December.
//!
//! Times are shown in UTC everywhere (header, panes, `scan`, `events`).

use std::path::Path;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::text::{first_word, split_word};
use super::{ParseContext, time};

/// The zones given with `--tz` (or the config file's `tz`), carried to
/// every reader in its [`ParseContext`].
#[derive(Clone, Debug, Default)]
pub struct TimeRules {
    /// `--tz ZONE`: every source.
    pub default: Option<(String, TimeZone)>,
    /// `--tz FILE=ZONE`: the source named FILE (a path, or its last components).
    pub per_file: Vec<(String, String, TimeZone)>,
}

impl TimeRules {
    /// Reads `--tz` values: `ZONE` or `FILE=ZONE`, where ZONE is an IANA
    /// name (`Europe/Berlin`), `UTC`, or a fixed offset (`+02:00`, `-0500`).
    pub fn parse(values: &[String]) -> Result<TimeRules, String> {
        let mut rules = TimeRules::default();
        for v in values {
            match v.rsplit_once('=') {
                Some((file, zone)) if !file.is_empty() => {
                    let tz = zone_named(zone)?;
                    rules
                        .per_file
                        .push((file.to_string(), zone.to_string(), tz));
                }
                _ => {
                    let zone = v.trim_start_matches('=');
                    if rules.default.is_some() {
                        return Err(format!(
                            "{v:?}: only one zone for every source; use FILE=ZONE for one source"
                        ));
                    }
                    rules.default = Some((zone.to_string(), zone_named(zone)?));
                }
            }
        }
        Ok(rules)
    }

    /// The zone of zone-less stamps in `source` (its name or path), with
    /// the name it was given as.
    pub fn zone_for(&self, source: &str) -> Option<(&str, &TimeZone)> {
        let path = Path::new(source);
        self.per_file
            .iter()
            .find(|(file, _, _)| file == source || path.ends_with(Path::new(file)))
            .map(|(_, name, tz)| (name.as_str(), tz))
            .or_else(|| self.default.as_ref().map(|(n, tz)| (n.as_str(), tz)))
    }

    /// A few words for the header: `UTC`, and the `--tz` zone of
    /// zone-less stamps when one is given.
    pub fn short(&self) -> String {
        match (&self.default, self.per_file.len()) {
            (None, 0) => "UTC".to_string(),
            (Some((name, _)), 0) => format!("UTC (stamps {name})"),
            (None, n) => format!("UTC (--tz for {n} file(s))"),
            (Some((name, _)), n) => format!("UTC (stamps {name}, {n} file(s) own zone)"),
        }
    }

    /// One phrase for the header and help: which zone times are shown in,
    /// and how zone-less stamps are read.
    pub fn describe(&self) -> String {
        let mut s = String::from("times in UTC");
        match &self.default {
            Some((name, _)) => s.push_str(&format!("; zone-less stamps read as {name}")),
            None => s.push_str("; zone-less stamps read as UTC"),
        }
        for (file, name, _) in &self.per_file {
            s.push_str(&format!(", {file} as {name}"));
        }
        s
    }
}

/// A zone by name: IANA, `UTC`, or a fixed offset.
fn zone_named(name: &str) -> Result<TimeZone, String> {
    let name = name.trim();
    if name.eq_ignore_ascii_case("UTC") || name == "Z" {
        return Ok(TimeZone::UTC);
    }
    if let Some(sign) = name.strip_prefix(['+', '-']).map(|_| name.as_bytes()[0]) {
        let digits: String = name[1..].chars().filter(|c| *c != ':').collect();
        let (h, m) = match digits.len() {
            1 | 2 => (digits.parse::<i32>().ok(), Some(0)),
            4 => (
                digits.get(..2).and_then(|d| d.parse().ok()),
                digits.get(2..).and_then(|d| d.parse().ok()),
            ),
            _ => (None, None),
        };
        if let (Some(h), Some(m)) = (h, m)
            && h <= 18
            && m < 60
        {
            let secs = (h * 3600 + m * 60) * if sign == b'-' { -1 } else { 1 };
            if let Ok(off) = jiff::tz::Offset::from_seconds(secs) {
                return Ok(TimeZone::fixed(off));
            }
        }
        return Err(format!("bad offset {name:?} (use +HH:MM)"));
    }
    TimeZone::get(name).map_err(|_| {
        format!("unknown time zone {name:?} (an IANA name such as Europe/Berlin, UTC, or +HH:MM)")
    })
}

/// What a record's leading stamp left unsaid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StampFacts {
    /// The instant as the parsers read it (no zone: UTC; no year: the
    /// default year).
    pub ts: Timestamp,
    pub yearless: bool,
    pub zoneless: bool,
}

/// The stamp at the start of `record` (after a syslog `<PRI>` or an iOS
/// `[`), when there is one: `None` otherwise.
pub fn stamp_facts(record: &str, default_year: i16) -> Option<StampFacts> {
    let s = record.strip_prefix('\u{feff}').unwrap_or(record);
    let s = match s.strip_prefix('<') {
        Some(rest) => {
            let close = rest.find('>')?;
            rest.get(..close)?
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| rest.get(close + 1..))??
        }
        None => s,
    };
    let s = s.strip_prefix('[').unwrap_or(s).trim_start();
    if let Some((Some(ts), n)) = time::parse_prefix(s, default_year) {
        let stamp = s.get(..n)?.trim_end();
        let yearless = stamp
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphabetic)
            && !has_year_after_day(stamp);
        // After the clock: an offset or a zone name.
        let after_clock = stamp.split_once(':').map_or("", |(_, r)| r);
        let zoneless = !(stamp.ends_with(|c: char| c.is_ascii_alphabetic())
            || after_clock.bytes().any(|b| matches!(b, b'+' | b'-')));
        return Some(StampFacts {
            ts,
            yearless,
            zoneless,
        });
    }
    if let Some((Some(ts), _)) = time::parse_us_prefix(s) {
        return Some(StampFacts {
            ts,
            yearless: false,
            zoneless: true,
        });
    }
    if let Some((Some(ts), _)) = time::parse_logcat_prefix(s, default_year) {
        return Some(StampFacts {
            ts,
            yearless: true,
            zoneless: true,
        });
    }
    None
}

/// Whether the record's leading stamp may lack its year: a month name
/// (`Nov 28 …`) or logcat's `MM-DD `, after an optional `<PRI>` or `[`.
fn may_be_yearless(record: &str) -> bool {
    let b = record.strip_prefix('\u{feff}').unwrap_or(record).as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'<') {
        i = 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if b.get(i) != Some(&b'>') {
            return false;
        }
        i += 1;
    } else if b.first() == Some(&b'[') {
        i = 1;
    }
    match b.get(i) {
        Some(c) if c.is_ascii_alphabetic() => true,
        Some(c) if c.is_ascii_digit() => b.get(i + 2) == Some(&b'-') && b.get(i + 5) == Some(&b' '),
        _ => false,
    }
}

/// `Mon dd yyyy …` rather than `Mon dd HH:…`. The third word, as
/// `split_whitespace` gives it, through the parsers' ASCII-first
/// [`split_word`] (this runs on every yearless line read line by line).
fn has_year_after_day(stamp: &str) -> bool {
    let third = split_word(stamp)
        .and_then(|(_, rest)| split_word(rest))
        .and_then(|(_, rest)| first_word(rest));
    third.is_some_and(|w| w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()))
}

/// The corrections for one source.
#[derive(Clone, Debug)]
pub struct Clock {
    zone: Option<TimeZone>,
    now: Timestamp,
    /// The last year given to a yearless stamp: never goes backwards.
    year: Option<i16>,
    /// The latest time given to a yearless stamp.
    latest: Option<Timestamp>,
    /// The last yearless stamp corrected, and how (see [`Clock::fix`]).
    kept: Option<KeptFix>,
}

/// A yearless stamp's correction: the stamp as read, and the time it was
/// given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct KeptFix {
    ts: Timestamp,
    zoneless: bool,
    fixed: Timestamp,
}

impl Clock {
    /// A clock for `source` under the context's `--tz` rules, inferring
    /// years as of now, or as of the end of its default year when that is
    /// earlier (a context pinned to a year, as the tests and the demo pin
    /// theirs, reads the same in any later year).
    pub fn for_source(ctx: &ParseContext, source: &str) -> Clock {
        let now = Timestamp::now();
        let end_of_year = jiff::civil::Date::new(ctx.default_year, 12, 31)
            .and_then(|d| d.at(23, 59, 59, 0).to_zoned(TimeZone::UTC))
            .map(|z| z.timestamp())
            .unwrap_or(now);
        Clock::new(
            ctx.time_rules.zone_for(source).map(|(_, tz)| tz.clone()),
            now.min(end_of_year),
        )
    }

    /// A clock that reads zone-less stamps in `zone` (UTC when `None`) and
    /// infers years as of `now`.
    pub fn new(zone: Option<TimeZone>, now: Timestamp) -> Clock {
        Clock {
            zone,
            now,
            year: None,
            latest: None,
            kept: None,
        }
    }

    /// Whether this clock can change anything at all (it always may: a
    /// yearless stamp needs its year).
    pub fn zone(&self) -> Option<&TimeZone> {
        self.zone.as_ref()
    }

    /// The time of a record whose parsed time is `ts`: corrected when its
    /// leading stamp is the one the parser used and left out a zone or a
    /// year.
    pub fn fix_record(&mut self, record: &str, ts: Timestamp, default_year: i16) -> Timestamp {
        // Most lines need nothing: no `--tz`, and a stamp that has its year
        // (RFC 3339, `Nov 28 2026 …` is checked below). Skip those cheaply.
        if self.zone.is_none() && !may_be_yearless(record) {
            return ts;
        }
        match stamp_facts(record, default_year) {
            Some(f) if f.ts == ts => self.fix(ts, f.yearless, f.zoneless),
            _ => ts,
        }
    }

    /// `ts` as read from a stamp (no zone: UTC wall clock; no year: any
    /// year), corrected.
    ///
    /// A busy log gives many lines the same yearless stamp in a row, and
    /// choosing its year takes a dozen calendar conversions: the last
    /// stamp's correction is kept, and given again while it is what the
    /// rules below would give. They would: the year chosen from `now` is
    /// the same for the same stamp; the source's year has not moved since
    /// (only a yearless stamp worked out sets it, and that replaces the
    /// kept correction, so the rule "never backwards" gives the kept time);
    /// and no time given since is more than a day past the kept one (so
    /// the rule "on to the next year" does not fire).
    pub fn fix(&mut self, ts: Timestamp, yearless: bool, zoneless: bool) -> Timestamp {
        if !(yearless || zoneless && self.zone.is_some()) {
            return ts;
        }
        if yearless
            && let Some(k) = self.kept
            && k.ts == ts
            && k.zoneless == zoneless
            && self
                .latest
                .is_none_or(|l| l <= k.fixed + SignedDuration::from_hours(24))
        {
            self.latest = Some(self.latest.map_or(k.fixed, |l| l.max(k.fixed)));
            return k.fixed;
        }
        let (fixed, year_given) = self.fix_anew(ts, yearless, zoneless);
        if year_given {
            self.kept = Some(KeptFix {
                ts,
                zoneless,
                fixed,
            });
        }
        fixed
    }

    /// [`Clock::fix`] worked out: the time, and whether a yearless stamp
    /// was given a year (and the source's year set) rather than left as
    /// read.
    fn fix_anew(&mut self, ts: Timestamp, yearless: bool, zoneless: bool) -> (Timestamp, bool) {
        let wall = ts.to_zoned(TimeZone::UTC).datetime();
        let zone = match (&self.zone, zoneless) {
            (Some(z), true) => z.clone(),
            _ => TimeZone::UTC,
        };
        let at = |dt: jiff::civil::DateTime| dt.to_zoned(zone.clone()).ok().map(|z| z.timestamp());
        if !yearless {
            return (at(wall).unwrap_or(ts), false);
        }
        let limit = self.now + SignedDuration::from_hours(24);
        let this_year = self.now.to_zoned(zone.clone()).year();
        let mut chosen = None;
        for y in [this_year + 1, this_year, this_year - 1, this_year - 2] {
            let Some(t) = wall.with().year(y).build().ok().and_then(at) else {
                continue;
            };
            if t <= limit {
                chosen = Some((y, t));
                break;
            }
        }
        let Some((mut year, mut t)) = chosen else {
            return (ts, false);
        };
        if let Some(last) = self.year
            && year < last
            && let Some(later) = wall.with().year(last).build().ok().and_then(at)
        {
            // Never backwards within a source.
            year = last;
            t = later;
        }
        let day = SignedDuration::from_hours(24);
        if let Some(prev) = self.latest
            && t + day < prev
            && let Some(next) = wall.with().year(year + 1).build().ok().and_then(at)
        {
            // December, then a January more than a day ahead of now: the
            // source moved on to the next year, it did not jump back.
            year += 1;
            t = next;
        }
        self.year = Some(year);
        self.latest = Some(self.latest.map_or(t, |p| p.max(t)));
        (t, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn fix_all(clock: &mut Clock, lines: &[&str], default_year: i16) -> Vec<Timestamp> {
        lines
            .iter()
            .map(|l| {
                let f = stamp_facts(l, default_year).unwrap();
                clock.fix_record(l, f.ts, default_year)
            })
            .collect()
    }

    #[test]
    fn facts_of_the_common_stamps() {
        let f = |s: &str| stamp_facts(s, 2026).map(|f| (f.yearless, f.zoneless));
        assert_eq!(f("Dec 31 23:59:58 fw : %ASA-6-1"), Some((true, true)));
        assert_eq!(
            f("<166>Nov 28 2026 08:45:27 fw : %ASA"),
            Some((false, true))
        );
        assert_eq!(f("Nov 28 2026 08:45:27 CEST: %ASA"), Some((false, false)));
        assert_eq!(f("2026-11-28T08:41:07+0000 lt x"), Some((false, false)));
        assert_eq!(f("2026-11-28T08:41:07Z lt x"), Some((false, false)));
        assert_eq!(f("2026-11-28 08:41:07 lt x"), Some((false, true)));
        assert_eq!(
            f("5/20/14 11:33:56.909 PM acvpnagent[69]: x"),
            Some((false, true))
        );
        assert_eq!(
            f("05-20 11:33:56.909 W/acvpnagent(1): x"),
            Some((true, true))
        );
        assert_eq!(f("no stamp here"), None);
    }

    proptest::proptest! {
        /// The third word is the one `split_whitespace` gives, whatever
        /// the spacing (Unicode spaces too) and the words.
        #[test]
        fn the_year_after_the_day_is_the_third_word(
            stamp in crate::parse::text::token_text(
                vec![
                    "Nov", "28", "2026", "17:51:17", " ", "  ", "\t", "\u{a0}", "\u{2003}", "é",
                    "12345", "x2026",
                ],
                8,
            ),
        ) {
            let mut words = stamp.split_whitespace();
            words.next();
            words.next();
            let want = words
                .next()
                .is_some_and(|w| w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()));
            proptest::prop_assert_eq!(has_year_after_day(&stamp), want, "{:?}", stamp);
        }

        /// Giving the kept correction again is what working it out again
        /// gives, whatever came between: the same times and the same state
        /// after every stamp, across a new year, a zone, stamps that repeat
        /// or go back, and stamps far apart.
        #[test]
        fn a_kept_correction_is_the_one_worked_out(
            steps in proptest::collection::vec(
                (
                    proptest::sample::select(vec![
                        "2026-12-31T23:59:58Z", "2026-01-01T00:00:03Z", "2026-01-01T00:10:00Z",
                        "2026-06-15T12:00:00Z", "2026-03-29T01:30:00Z", "2026-12-30T08:00:00Z",
                        "2026-01-03T00:00:00Z", "2026-02-28T23:59:59Z",
                    ]),
                    proptest::prelude::any::<bool>(),
                    proptest::prelude::any::<bool>(),
                    1usize..4,
                ),
                0..40,
            ),
            zoned in proptest::prelude::any::<bool>(),
            read_in_january in proptest::prelude::any::<bool>(),
        ) {
            let zone = zoned.then(|| TimeZone::get("Europe/Berlin").unwrap());
            let now = if read_in_january { "2027-01-02T10:00:00Z" } else { "2027-06-01T00:00:00Z" };
            let mut kept = Clock::new(zone.clone(), ts(now));
            let mut anew = Clock::new(zone, ts(now));
            for (stamp, yearless, zoneless, repeats) in steps {
                for _ in 0..repeats {
                    let got = kept.fix(ts(stamp), yearless, zoneless);
                    let want = if yearless || zoneless && anew.zone.is_some() {
                        anew.fix_anew(ts(stamp), yearless, zoneless).0
                    } else {
                        ts(stamp)
                    };
                    proptest::prop_assert_eq!(got, want);
                    proptest::prop_assert_eq!((kept.year, kept.latest), (anew.year, anew.latest));
                }
            }
        }
    }

    #[test]
    fn a_log_crossing_new_year_rolls_over() {
        // Read on 2 January 2027: December is 2026, January 2027.
        let mut c = Clock::new(None, ts("2027-01-02T10:00:00Z"));
        let got = fix_all(
            &mut c,
            &[
                "Dec 31 23:59:58 fw : %ASA-6-113005: x",
                "Jan  1 00:00:03 fw : %ASA-6-113005: x",
                "Jan  1 00:10:00 fw : %ASA-6-113005: x",
            ],
            2027,
        );
        assert_eq!(
            got,
            [
                ts("2026-12-31T23:59:58Z"),
                ts("2027-01-01T00:00:03Z"),
                ts("2027-01-01T00:10:00Z")
            ]
        );
        // The same log read in June 2027 with the parser's default year of
        // 2027: unchanged, no jump back or forward.
        let mut c = Clock::new(None, ts("2027-06-01T00:00:00Z"));
        let got = fix_all(
            &mut c,
            &["Dec 31 23:59:58 fw : x", "Jan  1 00:00:03 fw : x"],
            2027,
        );
        assert_eq!(
            got,
            [ts("2026-12-31T23:59:58Z"), ts("2027-01-01T00:00:03Z")]
        );
    }

    #[test]
    fn read_on_the_first_of_january_last_december_stays_last_year() {
        // The parser's default year is already the new one.
        let mut c = Clock::new(None, ts("2027-01-01T00:30:00Z"));
        let got = fix_all(
            &mut c,
            &["Dec 31 23:50:00 fw : x", "Jan  1 00:20:00 fw : x"],
            2027,
        );
        assert_eq!(
            got,
            [ts("2026-12-31T23:50:00Z"), ts("2027-01-01T00:20:00Z")]
        );
    }

    #[test]
    fn the_year_never_goes_backwards_within_a_source() {
        // Read on 1 January 2027 at 00:30: "Jan  2 01:00" is more than a day
        // ahead, so alone it would be 2026; after December 2026 it is 2027.
        let mut c = Clock::new(None, ts("2027-01-01T00:30:00Z"));
        let got = fix_all(
            &mut c,
            &["Dec 31 23:50:00 fw : x", "Jan  2 01:00:00 fw : x"],
            2027,
        );
        assert_eq!(got[1], ts("2027-01-02T01:00:00Z"));
        let mut alone = Clock::new(None, ts("2027-01-01T00:30:00Z"));
        assert_eq!(
            fix_all(&mut alone, &["Jan  2 01:00:00 fw : x"], 2027),
            [ts("2026-01-02T01:00:00Z")]
        );
    }

    #[test]
    fn a_zone_moves_only_zoneless_stamps() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let mut c = Clock::new(Some(berlin), ts("2026-12-01T00:00:00Z"));
        let got = fix_all(
            &mut c,
            &[
                "Nov 28 2026 09:45:27 fw : %ASA-6-113005: x",
                "2026-11-28T09:45:27+01:00 host x",
                "Nov 28 09:45:27 fw : x",
            ],
            2026,
        );
        assert_eq!(
            got,
            [
                ts("2026-11-28T08:45:27Z"),
                ts("2026-11-28T08:45:27Z"),
                ts("2026-11-28T08:45:27Z")
            ]
        );
    }

    #[test]
    fn a_record_whose_parser_used_another_stamp_is_left_alone() {
        let mut c = Clock::new(
            Some(TimeZone::get("America/New_York").unwrap()),
            ts("2026-12-01T00:00:00Z"),
        );
        // An ISE line: the parser takes the body's stamp with its offset,
        // not the syslog header's.
        let body_ts = ts("2026-11-28T08:41:09Z");
        let line =
            "<181>Nov 28 03:41:09 ise CISE_Failed_Attempts 1 1 0 2026-11-28 08:41:09.118 +00:00 x";
        assert_eq!(c.fix_record(line, body_ts, 2026), body_ts);
    }

    #[test]
    fn a_context_pinned_to_a_year_reads_the_same_in_later_years() {
        let mut c = Clock::for_source(&ParseContext::for_year(2020), "asa.log");
        let line = "Nov 28 08:00:00 fw : x";
        let f = stamp_facts(line, 2020).unwrap();
        assert_eq!(c.fix_record(line, f.ts, 2020), ts("2020-11-28T08:00:00Z"));
    }

    #[test]
    fn the_cheap_check_lets_every_yearless_shape_through() {
        for line in [
            "Dec 31 23:59:58 fw : x",
            "<166>Dec 31 23:59:58 fw : x",
            "05-20 11:33:56.909 W/acvpnagent(1): x",
            "[Dec 31 23:59:58] Error: x",
        ] {
            assert!(may_be_yearless(line), "{line}");
        }
        for line in [
            "<166>2026-11-28T08:41:07Z fw : x",
            "2026-11-28 08:41:07 x",
            "<x>Dec",
        ] {
            assert!(!may_be_yearless(line), "{line}");
        }
    }

    #[test]
    fn tz_values() {
        let r = TimeRules::parse(&["Europe/Berlin".into(), "asa.log=-05:00".into()]).unwrap();
        assert_eq!(r.zone_for("/var/log/asa.log").map(|z| z.0), Some("-05:00"));
        assert_eq!(r.zone_for("ise.log").map(|z| z.0), Some("Europe/Berlin"));
        assert!(r.describe().contains("Europe/Berlin"));
        assert!(TimeRules::parse(&["Mars/Olympus".into()]).is_err());
        assert!(TimeRules::parse(&["+25:00".into()]).is_err());
        assert!(TimeRules::parse(&["UTC".into(), "+01:00".into()]).is_err());
        let r = TimeRules::parse(&["+0530".into()]).unwrap();
        assert!(r.default.is_some());
    }
}
