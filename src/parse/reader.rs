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
use super::envelope::{self, Item, JsonSplitter, Piece};
use super::formats::{self, Format};
use super::records::{self, RecordAssembler, RecordMode};
use super::{Event, Family, ParseContext, StreamParser, TimeFrom, auth, client};

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
    /// Set when the input is JSON envelopes (by format, or sniffed from the
    /// first line when no format was detected: stdin, `--command`).
    json: Option<JsonState>,
    /// Whether the first non-blank line has been looked at.
    sniffed: bool,
    /// The time a line is read, for lines with no time of their own.
    read_clock: fn() -> jiff::Timestamp,
}

/// Reading JSON envelopes: the splitter, and the format of the raw lines
/// seen so far (tried first on the next one).
#[derive(Debug, Default)]
struct JsonState {
    splitter: JsonSplitter,
    inner: Option<Format>,
    /// Segmented ISE messages whose parts arrive each in an envelope of
    /// its own, joined as in a plain ISE log (made at the first segment).
    ise: Option<RecordAssembler>,
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
            .filter(|m| !matches!(m, RecordMode::Lines | RecordMode::Json))
            .map(RecordAssembler::new);
        let json = format
            .is_some_and(|f| f.record_mode() == RecordMode::Json)
            .then(JsonState::default);
        RecordReader {
            clock: Clock::for_source(&ctx, ""),
            family: format.map_or(family, Format::family),
            format,
            assembler,
            stream: StreamParser::default(),
            default_user,
            ctx,
            json,
            sniffed: format.is_some(),
            read_clock: jiff::Timestamp::now,
        }
    }

    /// Uses `read_clock` for the time a line is read (tests fix it).
    pub fn with_read_clock(mut self, read_clock: fn() -> jiff::Timestamp) -> Self {
        self.read_clock = read_clock;
        self
    }

    /// This reader for the source named `name` (its path): a `--tz
    /// FILE=ZONE` for it applies.
    pub fn for_source(mut self, name: &str) -> Self {
        self.clock = Clock::for_source(&self.ctx, name);
        self
    }

    /// This reader with its own clock (tests: a fixed now).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// A line with no time of its own and none from an envelope takes the
    /// time it is read, marked as such.
    fn stamp(&self, ev: &mut Event<'_>) {
        if ev.ts_from == TimeFrom::Missing && ev.ts.is_none() {
            ev.ts = Some((self.read_clock)());
            ev.ts_from = TimeFrom::Read;
        }
    }

    pub fn family(&self) -> Family {
        self.family
    }

    /// Records given up on (over the assembler's caps, or an ISE message
    /// whose segments never all arrived).
    pub fn dropped(&self) -> u64 {
        self.assembler.as_ref().map_or(0, |a| a.dropped().records)
            + self.json.as_ref().map_or(0, |j| {
                j.splitter.dropped() + j.ise.as_ref().map_or(0, |a| a.dropped().records)
            })
    }

    /// Feeds one line. For every record it completes, calls `f` with the
    /// record's text, its event (`None` when not recognised) and how many
    /// events it stands for.
    pub fn feed(&mut self, line: &str, mut f: impl FnMut(&str, Option<Event<'_>>, u32)) {
        if !self.sniffed && !line.trim().is_empty() {
            self.sniffed = true;
            if envelope::looks_like_json(line) {
                self.json = Some(JsonState::default());
            }
        }
        if let Some(json) = self.json.as_mut() {
            let mut pieces = Vec::new();
            json.splitter.feed(line, |p| pieces.push(p));
            for piece in pieces {
                self.parse_piece(piece, &mut f);
            }
            return;
        }
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
        if let Some(json) = self.json.as_mut() {
            json.splitter.finish();
            // An ISE message still missing segments is counted as dropped.
            if let Some(ise) = json.ise.as_mut() {
                ise.finish_all(|_| {});
            }
        }
        let Some(assembler) = self.assembler.as_mut() else {
            return;
        };
        let mut records = Vec::new();
        assembler.finish_all(|rec| records.push(rec.to_string()));
        for record in records {
            self.parse(&record, &mut f);
        }
    }

    /// One piece of a JSON input: each item of a value is one record; text
    /// that is not JSON, and objects with nothing to read, are records with
    /// no event (counted as unparsed, never dropped).
    fn parse_piece(&mut self, piece: Piece, f: &mut impl FnMut(&str, Option<Event<'_>>, u32)) {
        let text = match piece {
            Piece::Text(t) => return f(&t, None, 1),
            Piece::Json(text) => text,
        };
        let Ok(value) = serde_json::from_str(&text) else {
            return f(&text, None, 1);
        };
        let mut items = Vec::new();
        envelope::unwrap(value, self.ctx.json_field.as_deref(), &mut items);
        for item in items {
            match item {
                Item::Line { raw, ts, host } => {
                    let Some(raw) = self.join_ise_segment(raw) else {
                        continue;
                    };
                    let mut event = self.parse_inner(&raw);
                    if let Some(ev) = event.as_mut() {
                        // The line's own stamp, read with the --tz rules, wins;
                        // the envelope fills gaps.
                        if let Some(own) = ev.ts {
                            ev.ts = Some(self.clock.fix_record(&raw, own, self.ctx.default_year));
                        } else if ts.is_some() {
                            ev.ts = ts;
                            ev.ts_from = TimeFrom::Envelope;
                        }
                        ev.host = ev.host.or(host.as_deref());
                        self.stamp(ev);
                    }
                    f(&raw, event, 1);
                }
                Item::Windows(v) => {
                    let event = auth::parse_security_json(&v);
                    f(&v.to_string(), event, 1);
                }
                Item::Unusable(t) => f(&t, None, 1),
            }
        }
    }

    /// An envelope's line that is one segment of a multi-part ISE message
    /// is held until the message is whole (`None` until then); any other
    /// line comes back as it is. The whole message takes the envelope of
    /// the segment that completed it; ISE writes its own time in segment 0.
    fn join_ise_segment(&mut self, raw: String) -> Option<String> {
        if records::ise_segment(&raw).is_none_or(|s| s.total <= 1) {
            return Some(raw);
        }
        let json = self.json.as_mut()?;
        let ise = json
            .ise
            .get_or_insert_with(|| RecordAssembler::new(RecordMode::IseSegments));
        ise.push(&raw).map(std::borrow::Cow::into_owned)
    }

    /// A raw line from an envelope, in the format of the previous one when
    /// it reads so, else in the format it looks like.
    fn parse_inner<'a>(&mut self, raw: &'a str) -> Option<Event<'a>> {
        let inner = self.json.as_ref().and_then(|j| j.inner);
        if let Some(format) = inner
            && let Some(ev) = self.parse_as(format, raw)
        {
            return Some(ev);
        }
        let format =
            formats::detect_format(&[raw]).filter(|f| f.record_mode() != RecordMode::Json)?;
        if let Some(json) = self.json.as_mut() {
            json.inner = Some(format);
        }
        self.parse_as(format, raw)
    }

    fn parse_as<'a>(&mut self, format: Format, raw: &'a str) -> Option<Event<'a>> {
        match format {
            Format::AsaSyslog => self.stream.parse(raw, Family::Headend, &self.ctx),
            _ => formats::parse_record(format, raw, &self.ctx),
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
        if let Some(ev) = event.as_mut() {
            self.stamp(ev);
        }
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
        ParseContext::for_year(2026)
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

    type Seen = (
        String,
        Option<(Family, Outcome, Option<String>, Option<String>)>,
    );

    fn read_all(r: &mut RecordReader, lines: &[&str]) -> Vec<Seen> {
        let mut seen = Vec::new();
        let mut f = |rec: &str, ev: Option<Event<'_>>, _| {
            seen.push((
                rec.to_string(),
                ev.map(|e| {
                    (
                        e.family,
                        e.outcome,
                        e.user.map(str::to_string),
                        e.host.map(str::to_string),
                    )
                }),
            ))
        };
        for l in lines {
            r.feed(l, &mut f);
        }
        r.finish(&mut f);
        seen
    }

    const ASA: &str = "<166>Nov 28 2026 08:45:27 fw : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.1 : user = ann : user IP = 192.0.2.4";

    #[test]
    fn the_json_field_is_the_contexts_so_two_readers_may_differ() {
        let doc =
            serde_json::json!({"payload": {"text": ASA}, "message": "not a log line"}).to_string();
        let user_of = |ctx: ParseContext| {
            let mut r = RecordReader::new(Family::Headend, Some(Format::JsonHeadend), None, ctx);
            read_all(&mut r, &[&doc])
                .pop()
                .and_then(|(_, ev)| ev)
                .and_then(|(_, _, user, _)| user)
        };
        let picked = ctx().with_json_field(Some("payload.text"));
        assert_eq!(user_of(picked.clone()), Some("ann".into()));
        // Without the field, `message` is read: no ASA line.
        assert_eq!(user_of(ctx()), None);
        assert_eq!(user_of(picked), Some("ann".into()));
    }

    #[test]
    fn json_envelopes_are_unwrapped_and_unusable_objects_kept() {
        let doc =
            serde_json::json!({"_source": {"event": {"original": ASA}, "host": {"name": "fw"}}});
        let pretty = serde_json::to_string_pretty(&serde_json::json!([doc, {"level": "info"}]))
            .unwrap_or_default();
        let lines: Vec<&str> = pretty.lines().collect();
        let mut r = RecordReader::new(Family::Headend, Some(Format::JsonHeadend), None, ctx());
        let seen = read_all(&mut r, &lines);
        assert_eq!(
            seen,
            [
                (
                    ASA.to_string(),
                    Some((
                        Family::Headend,
                        Outcome::Failure,
                        Some("ann".into()),
                        Some("fw".into())
                    ))
                ),
                (r#"{"level":"info"}"#.to_string(), None)
            ]
        );
        assert_eq!(r.dropped(), 0);
    }

    #[test]
    fn a_stream_of_json_is_sniffed_and_windows_events_read() {
        let mut r = RecordReader::new(Family::Headend, None, None, ctx());
        let seen = read_all(
            &mut r,
            &[
                "",
                r#"{"EventID":4740,"Channel":"Security","Hostname":"dc01","TargetUserName":"bo","TargetDomainName":"LT-7"}"#,
                "stray text",
                r#"{"unfinished": "#,
            ],
        );
        // The blank line before the first value is read as any blank line is.
        let seen = &seen[1..];
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(
            seen.first().and_then(|s| s.1.clone()),
            Some((
                Family::AuthServer,
                Outcome::Failure,
                Some("bo".into()),
                Some("dc01".into())
            ))
        );
        assert_eq!(seen.get(1), Some(&("stray text".to_string(), None)));
        assert_eq!(r.dropped(), 1, "the unfinished value is counted");
        // A plain log is not taken for JSON.
        let mut plain = RecordReader::new(Family::Headend, None, None, ctx());
        assert!(
            read_all(&mut plain, &[ASA])
                .first()
                .is_some_and(|s| s.1.is_some())
        );
    }

    fn fixed_clock() -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_800_000_000).unwrap_or_default()
    }

    #[test]
    fn headerless_lines_take_the_envelope_time_else_the_read_time() {
        let body = "(12) Login incorrect (Invalid password): [ewright] (from client asa port 0 cli 198.51.100.77)";
        let mut times = Vec::new();
        let mut r =
            RecordReader::new(Family::AuthServer, None, None, ctx()).with_read_clock(fixed_clock);
        r.feed(body, |_, ev, _| {
            times.push(ev.map(|e| (e.ts, e.ts_from, e.cause, e.user.map(str::to_string))))
        });
        let doc = serde_json::json!({"@timestamp": "2026-11-28T08:41:09Z", "host": "radius01", "message": body}).to_string();
        let mut j =
            RecordReader::new(Family::AuthServer, None, None, ctx()).with_read_clock(fixed_clock);
        j.feed(&doc, |_, ev, _| {
            times.push(ev.map(|e| (e.ts, e.ts_from, e.cause, e.user.map(str::to_string))))
        });
        let who = Some("ewright".to_string());
        let bad = Some(crate::parse::Cause::BadCredentials);
        assert_eq!(
            times,
            [
                Some((Some(fixed_clock()), TimeFrom::Read, bad, who.clone())),
                Some((
                    "2026-11-28T08:41:09Z".parse().ok(),
                    TimeFrom::Envelope,
                    bad,
                    who
                ))
            ]
        );
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
