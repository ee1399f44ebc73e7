//! The incident's log clock: [`Incident::latest`], the latest log time
//! read (a run of traffic lines that only count moves it only while its
//! last line is the newest read from its source), and [`Incident::now`],
//! what failing now, the windows, the users' states and the scope
//! verdict are measured against, from the clock the
//! caller sets ([`clock_now`]: log time in a replay, wall time once the
//! logs are live). Apart from the apply path, which only moves the clock,
//! so that the one definition of "now" reads in one place.

use jiff::{SignedDuration, Timestamp};

use super::Incident;

impl Incident {
    /// The log clock: the latest time among the events that are more than
    /// counted and, per source, the event read last. The events that only
    /// count (firewall traffic, see [`Incident::only_counts`]) move it
    /// only while the last of them is the newest line read from its
    /// source: the next event from that source that is more than counted
    /// takes its place. So a reader needs the time of a traffic line only
    /// when it is the last it reads (the block reader, `app/bulk`, reads
    /// one per piece of a file it splits), and a traffic line stamped
    /// ahead of the lines after it in its source (a relay or firewall
    /// with a skewed clock) moves "now" only until a line that counts
    /// follows; the clock then goes back to that line's time. A source
    /// whose last lines are traffic still moves it by the last of them.
    /// In a log whose times never go backwards it is the time of the last
    /// line read, as if every line were read.
    pub fn latest(&self) -> Option<Timestamp> {
        self.last_counted
            .iter()
            .fold(self.latest, |l, &(_, t)| later(l, Some(t)))
    }

    /// Forgets the time of the counted event read last from the current
    /// source: an event that is more than counted follows it, and is the
    /// newest line read from the source now. The clock may go back with
    /// it (the run was stamped ahead of the event), and what was worked
    /// out at the old clock goes too, even when the event is then left
    /// out as a copy of another source's line.
    pub(super) fn settle_clock(&mut self) {
        if let Some(i) = self
            .last_counted
            .iter()
            .position(|(s, _)| *s == self.source)
        {
            let before = self.latest();
            self.last_counted.swap_remove(i);
            if self.latest() != before {
                self.changed();
            }
        }
    }

    /// "Now" for everything measured against the clock: failing now, the
    /// 1/5/15-minute windows, user states, the scope verdict and the users'
    /// order. The clock the caller set ([`Incident::set_clock`]), never
    /// before the latest log line; else the latest log time (headless
    /// commands, which read logs of the past).
    pub fn now(&self) -> Option<Timestamp> {
        later(self.clock, self.latest())
    }

    /// Sets the clock [`Incident::now`] reads, from [`clock_now`]. The
    /// derived values are recomputed only when it moves by a whole second.
    pub fn set_clock(&mut self, now: Option<Timestamp>) {
        let second = |t: Option<Timestamp>| t.map(|t| t.as_second());
        if second(now) != second(self.clock) {
            self.clock = now;
            self.changed();
        }
    }

    /// The effect of applying `n` events for which [`Incident::only_counts`]
    /// holds, the last of which (in line order) has the time `last`: the
    /// times of the others do not matter (see [`Incident::latest`]). A
    /// reader that applies an event that is more than counted right after
    /// may give `None`: that event takes the run's place in the clock
    /// whatever its time.
    pub fn count_events(&mut self, n: u64, last: Option<Timestamp>) {
        if n == 0 {
            return;
        }
        self.totals.events += n;
        self.count_time(last);
    }

    /// A counted event's time becomes the one read last from the current
    /// source (none, when the event has no time).
    pub(super) fn count_time(&mut self, ts: Option<Timestamp>) {
        let before = self.latest();
        let source = self.source;
        match (self.last_counted.iter_mut().find(|(s, _)| *s == source), ts) {
            (Some(entry), Some(t)) => entry.1 = t,
            (None, Some(t)) => self.last_counted.push((source, t)),
            (Some(_), None) => self.last_counted.retain(|(s, _)| *s != source),
            (None, None) => {}
        }
        if self.latest() != before {
            self.changed();
        }
    }
}

/// The one definition of "now" for the console (incident age, KPI age,
/// failing now, the windows): the latest log time while the backlog is
/// being counted or when the logs are not live (a replay, old files: their
/// latest line is more than [`crate::engine::kpi::RECONCILE`] behind the wall clock,
/// or ahead of it); the wall clock once the logs are live.
pub fn clock_now(
    latest_log: Option<Timestamp>,
    wall: Timestamp,
    counting_backlog: bool,
) -> Option<Timestamp> {
    let latest = latest_log?;
    Some(if logs_live(latest, wall) && !counting_backlog {
        // A line a little ahead of the wall clock (within the tolerance)
        // is not in the future of "now".
        wall.max(latest)
    } else {
        latest
    })
}

/// How far ahead of the wall clock a live log's newest line may be: a
/// device clock a few seconds fast, or a line stamped in the very second
/// it is read, is no log from the future.
pub const AHEAD_TOLERANCE: SignedDuration = SignedDuration::from_secs(60);

/// Whether logs whose newest line is at `latest` are live at `wall`: less
/// than [`crate::engine::kpi::RECONCILE`] behind the wall clock, and no more than
/// [`AHEAD_TOLERANCE`] ahead of it. The incident clock ([`clock_now`]) and
/// the header's `LIVE` both ask this.
pub fn logs_live(latest: Timestamp, wall: Timestamp) -> bool {
    let behind = wall.duration_since(latest);
    behind >= -AHEAD_TOLERANCE && behind < crate::engine::kpi::RECONCILE
}

/// The later of two times, either of which may be unknown.
pub(super) fn later(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    a.max(b)
}

/// Whether `later` is no more than `window` after `earlier`. Lines without
/// a time are taken to be close together: they arrived together.
pub(super) fn within(
    earlier: Option<Timestamp>,
    later: Option<Timestamp>,
    window: SignedDuration,
) -> bool {
    match (earlier, later) {
        (Some(a), Some(b)) => {
            let d = b.duration_since(a);
            d >= SignedDuration::ZERO && d <= window
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::incident::fixtures::*;
    use crate::engine::incident::*;
    use crate::parse::{Event, Family, Outcome};

    /// The clock rule of [`Incident::latest`]: counted traffic moves it only
    /// while the last of a run is the newest line read from its source,
    /// whatever the times in between, and counting a run at once gives
    /// what applying its events does.
    #[test]
    fn counted_traffic_moves_the_clock_only_while_it_is_the_newest_line() {
        let plain = |secs| {
            let mut e = Event::new(Family::Headend, Outcome::Info);
            e.ts = at(secs);
            e.msg_id = Some("302013");
            e
        };
        let mut applied = Incident::default();
        let mut counted = Incident::default();
        for inc in [&mut applied, &mut counted] {
            inc.apply(&ev(0, "113005", Outcome::Failure, "ann", "192.0.2.9"));
        }
        // A run whose middle line is the latest: only its last line counts.
        for secs in [10, 90, 20] {
            applied.apply(&plain(secs));
        }
        counted.count_events(3, at(20));
        assert_eq!(applied.latest(), at(20));
        assert_eq!(counted.latest(), at(20));
        // An event that is more than counted is the newest line now: the
        // run's time goes, so a traffic line stamped ahead of the log does
        // not keep "now" ahead of it.
        for inc in [&mut applied, &mut counted] {
            inc.apply(&ev(5, "113005", Outcome::Failure, "bob", "192.0.2.8"));
            assert_eq!(inc.latest(), at(5));
        }
        // A later run moves it while its last line is the newest.
        applied.apply(&plain(100));
        applied.apply(&plain(15));
        counted.count_events(2, at(15));
        assert_eq!(applied.latest(), at(15));
        assert_eq!(counted.latest(), at(15));
        // An event with no time of its own, read after it, is dated by the
        // clock without the run: what the block reader, which reads no
        // time before such an event, gives too.
        for inc in [&mut applied, &mut counted] {
            let mut untimed = ev(0, "113005", Outcome::Failure, "cat", "192.0.2.7");
            untimed.ts = None;
            inc.apply(&untimed);
            assert_eq!(inc.latest(), at(5));
            assert_eq!(row(inc, &named("cat")).last_failure, at(5));
        }
        assert_eq!(applied.totals(), counted.totals());
        assert_eq!(applied.totals().events, 8);

        // Runs are per source: another source's traffic, read after it,
        // does not replace a source's last line.
        let mut inc = Incident::default();
        inc.set_source(crate::vocab::SourceId(0));
        inc.count_events(2, at(50));
        inc.set_source(crate::vocab::SourceId(1));
        inc.count_events(2, at(30));
        assert_eq!(inc.latest(), at(50));
        inc.apply(&ev(40, "113005", Outcome::Failure, "ann", "192.0.2.9"));
        inc.count_events(1, at(35));
        assert_eq!(inc.latest(), at(50));
        inc.set_source(crate::vocab::SourceId(0));
        inc.count_events(1, at(45));
        assert_eq!(inc.latest(), at(45), "source 0's run now ends at 45");
    }

    /// A run's time going when a line that counts follows can take the
    /// clock back: what was worked out at the old clock goes too, even
    /// when that line is then left out as another source's copy.
    #[test]
    fn a_clock_that_goes_back_clears_what_was_worked_out_at_the_old_one() {
        let mut failure = ev(0, "113005", Outcome::Failure, "ann", "192.0.2.9");
        failure.host = Some("fw1");
        failure.body = Some("AAA user authentication Rejected : user = ann");
        let mut inc = Incident::default();
        inc.set_headend_sources(2);
        inc.set_source(crate::vocab::SourceId(0));
        inc.apply(&failure);
        assert_eq!(inc.failing_now(), 1);
        // The other source's traffic, stamped ten minutes ahead.
        inc.set_source(crate::vocab::SourceId(1));
        inc.count_events(1, at(600));
        assert_eq!(inc.failing_now(), 0);
        // Its copy of the failure line: not counted again, but the
        // traffic's time goes.
        assert!(inc.apply(&failure).duplicate);
        assert_eq!(inc.latest(), at(0));
        assert_eq!(inc.failing_now(), 1);
    }

    /// A line with no time of its own is dated as its event is: at the
    /// clock once the run before it has gone, not at the run's time.
    #[test]
    fn an_untimed_lines_reference_has_its_events_time() {
        let mut inc = Incident::default();
        inc.apply(&ev(0, "113005", Outcome::Failure, "ann", "192.0.2.9"));
        inc.count_events(2, at(90));
        let mut untimed = ev(0, "113005", Outcome::Failure, "cat", "192.0.2.7");
        untimed.ts = None;
        let line = LineRef {
            ts: untimed.ts,
            ..at_ref(Family::Headend, 7, 0)
        };
        inc.apply_line(&untimed, line);
        let cat = row(&inc, &named("cat"));
        assert_eq!(cat.last_failure, at(0));
        assert_eq!(cat.lines.back().map(|l| l.ts), Some(at(0)));
    }

    #[test]
    fn one_clock_log_time_in_replay_wall_time_once_live() {
        let t = |secs| at(secs).unwrap_or(Timestamp::UNIX_EPOCH);
        // Live: the wall clock, unless the backlog is being counted.
        assert_eq!(clock_now(at(0), t(30), false), at(30));
        assert_eq!(clock_now(at(0), t(30), true), at(0));
        // A replay (logs over an hour old) or a headend clock ahead: log time.
        assert_eq!(clock_now(at(0), t(7200), false), at(0));
        assert_eq!(clock_now(at(100), t(0), false), at(100));
        // A headend clock seconds fast is still live, and "now" is never
        // before its newest line.
        assert!(logs_live(at(30).unwrap(), t(0)) && !logs_live(at(100).unwrap(), t(0)));
        assert_eq!(clock_now(at(30), t(0), false), at(30));
        assert_eq!(clock_now(at(0), t(20), false), at(20));
        assert_eq!(clock_now(None, t(0), false), None);

        // Live logs that went quiet: "failing now" ages with the wall clock.
        let mut inc = Incident::default();
        inc.apply(&ev(0, "113005", Outcome::Failure, "ann", "192.0.2.1"));
        inc.set_clock(clock_now(inc.latest(), t(60), false));
        assert_eq!(inc.failing_now(), 1);
        assert_eq!(inc.recent(5).attempts, 1);
        // The failure fell at the start of a minute: five minutes on, the
        // window (this minute and the four before) no longer holds it.
        inc.set_clock(clock_now(inc.latest(), t(299), false));
        assert_eq!(inc.failing_now(), 1);
        assert_eq!(inc.recent(5).attempts, 1);
        inc.set_clock(clock_now(inc.latest(), t(300), false));
        assert_eq!(inc.failing_now(), 0, "five minutes of wall time passed");
        assert_eq!(inc.recent(5).attempts, 0);
        let ann = row(&inc, &named("ann"));
        assert_eq!(ann.state(inc.now()), UserState::Failed);
        // The clock never reads before the latest line.
        inc.set_clock(at(-50));
        assert_eq!(inc.now(), at(0));
    }
}
