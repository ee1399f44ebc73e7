//! One source's parser: lines in, events out, whatever the format.
//!
//! Most formats are one record per line. Windows event XML, CSV exports,
//! DART and segmented ISE messages spread a record over several lines; for
//! those the reader keeps a [`RecordAssembler`] and parses a record when it
//! completes. It also applies what a record cannot say itself: the user a
//! client bundle is about (`--user`), and rsyslog's "message repeated N
//! times", which stands for N events. The dashboard and the headless
//! commands read through this one type, so they count alike.
//!
//! Pure: it keeps state between lines but does no I/O.

use super::clock::Clock;
use super::formats::{self, Format};
use super::records::{RecordAssembler, RecordMode};
use super::{Event, Family, ParseContext, StreamParser, client};

#[derive(Debug)]
pub struct RecordReader {
    family: Family,
    format: Option<Format>,
    assembler: Option<RecordAssembler>,
    stream: StreamParser,
    default_user: Option<String>,
    ctx: ParseContext,
    /// The zone and year of stamps that carry none (see [`super::clock`]).
    clock: Clock,
}

impl RecordReader {
    /// A reader for a source of `family`, in `format` when known (else line
    /// by line by family). `default_user` names the person a client log is
    /// about when its lines do not.
    pub fn new(
        family: Family,
        format: Option<Format>,
        default_user: Option<String>,
        ctx: ParseContext,
    ) -> Self {
        let assembler = format
            .map(Format::record_mode)
            .filter(|m| *m != RecordMode::Lines)
            .map(RecordAssembler::new);
        RecordReader {
            family: format.map_or(family, Format::family),
            format,
            assembler,
            stream: StreamParser::default(),
            default_user,
            ctx,
            clock: Clock::for_source("", ctx.default_year),
        }
    }

    /// This reader for the source named `name` (its path): a `--tz
    /// FILE=ZONE` for it applies.
    pub fn for_source(mut self, name: &str) -> Self {
        self.clock = Clock::for_source(name, self.ctx.default_year);
        self
    }

    /// This reader with its own clock (tests: a fixed now).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn family(&self) -> Family {
        self.family
    }

    /// Records given up on (over the assembler's caps, or an ISE message
    /// whose segments never all arrived).
    pub fn dropped(&self) -> u64 {
        self.assembler.as_ref().map_or(0, |a| a.dropped().records)
    }

    /// Feeds one line. For every record it completes, calls `f` with the
    /// record's text, its event (`None` when not recognised) and how many
    /// events it stands for.
    pub fn feed(&mut self, line: &str, mut f: impl FnMut(&str, Option<Event<'_>>, u32)) {
        let Some(assembler) = self.assembler.as_mut() else {
            self.parse(line, &mut f);
            return;
        };
        let mut records = Vec::new();
        assembler.feed(line, |rec| records.push(rec.to_string()));
        for record in records {
            self.parse(&record, &mut f);
        }
    }

    /// Completes whatever record is in progress (the input ended or moved to
    /// another file: a record never spans either).
    pub fn finish(&mut self, mut f: impl FnMut(&str, Option<Event<'_>>, u32)) {
        let Some(assembler) = self.assembler.as_mut() else {
            return;
        };
        let mut records = Vec::new();
        assembler.finish_all(|rec| records.push(rec.to_string()));
        for record in records {
            self.parse(&record, &mut f);
        }
    }

    fn parse(&mut self, record: &str, f: &mut impl FnMut(&str, Option<Event<'_>>, u32)) {
        let mut event = match self.format {
            Some(format) if format != Format::AsaSyslog => {
                formats::parse_record(format, record, &self.ctx)
            }
            _ => self.stream.parse(record, self.family, &self.ctx),
        };
        // ISE writes its own offset in the body; the header's stamp is not
        // the one the parser keeps.
        if self.format != Some(Format::Ise)
            && let Some(ev) = event.as_mut()
            && let Some(ts) = ev.ts
        {
            ev.ts = Some(self.clock.fix_record(record, ts, self.ctx.default_year));
        }
        let repeats = match self.family {
            Family::Client => client::repeated(record).map_or(1, |(n, _)| n.max(1)),
            _ => 1,
        };
        if let Some(ev) = event.as_mut()
            && ev.user.is_none()
            && self.family == Family::Client
            && let Some(user) = self.default_user.as_deref()
        {
            ev.user = Some(user);
        }
        f(record, event, repeats);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Outcome;

    fn ctx() -> ParseContext {
        ParseContext { default_year: 2026 }
    }

    #[test]
    fn single_line_formats_pass_straight_through() {
        let mut r = RecordReader::new(Family::Headend, None, None, ctx());
        let mut seen = Vec::new();
        r.feed(
            "<166>Nov 28 2026 08:45:27 fw : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.1 : user = ann : user IP = 192.0.2.4",
            |rec, ev, n| seen.push((!rec.is_empty(), ev.map(|e| (e.outcome, e.user.map(str::to_string))), n)),
        );
        assert_eq!(
            seen,
            [(true, Some((Outcome::Failure, Some("ann".to_string()))), 1)]
        );
    }

    #[test]
    fn a_client_bundle_takes_its_user_from_context() {
        let mut r = RecordReader::new(Family::Client, None, Some("ann".into()), ctx());
        let mut users = Vec::new();
        r.feed(
            "Nov 28 08:45:29 lap acvpnui[1]: Message type error sent to the user: Login failed.",
            |_, ev, _| users.push(ev.and_then(|e| e.user.map(str::to_string))),
        );
        assert_eq!(users, [Some("ann".to_string())]);
    }

    #[test]
    fn repeated_messages_stand_for_several_events() {
        let mut r = RecordReader::new(Family::Client, None, None, ctx());
        let mut counts = Vec::new();
        r.feed(
            "Nov 28 08:45:29 lap acvpnagent[9]: message repeated 3 times: [ Message type error sent to the user: Login failed.]",
            |_, ev, n| counts.push((ev.is_some(), n)),
        );
        assert_eq!(counts, [(true, 3)]);
    }

    #[test]
    fn segmented_ise_messages_are_parsed_once_complete() {
        let mut r = RecordReader::new(Family::AuthServer, Some(Format::Ise), None, ctx());
        let head = "<181>Nov 28 08:50:35 ise-psn-01 CISE_Failed_Attempts 0000004248 2";
        let mut events = Vec::new();
        r.feed(
            &format!("{head} 0 2026-11-28 08:50:35.667424 +00:00 0000773179 5400 NOTICE Failed-Attempt: Authentication failed, UserName=mk"),
            |_, ev, _| events.push(ev.map(|e| (e.cause, e.user.map(str::to_string)))),
        );
        assert!(events.is_empty(), "the first segment alone is not a record");
        r.feed(
            &format!("{head} 1 owalski, Calling-Station-ID=198.51.100.77, FailureReason=24415 User authentication against Active Directory failed since user's account is locked out,"),
            |_, ev, _| events.push(ev.map(|e| (e.cause, e.user.map(str::to_string)))),
        );
        assert_eq!(
            events,
            [Some((
                Some(crate::parse::Cause::AccountLocked),
                Some("mkowalski".to_string())
            ))]
        );
    }
}
