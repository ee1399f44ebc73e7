//! What the incident is told about its input rather than reads from it:
//! the limits it is built with, its sources (their families, the one the
//! next events come from, how many headends) and that the input is
//! complete ([`Incident::finish_input`]); and what it says of the input in
//! return (times that are not the lines' own, copies it no longer
//! recognised, a clock skew between sources). Apart from the apply path,
//! which these settings only steer.

use std::collections::VecDeque;

use jiff::Timestamp;

use super::{Incident, IncidentLimits};
use crate::engine::hashing::HashMap;
use crate::engine::join::Joiner;
use crate::parse::Family;

impl Incident {
    /// An incident within `limits`, its sources not known (tests, and
    /// callers that feed events themselves).
    pub fn with_limits(limits: IncidentLimits) -> Self {
        Incident {
            limits,
            ..Incident::default()
        }
    }

    /// An incident read from sources of these families, within `limits`.
    pub fn for_sources(families: impl IntoIterator<Item = Family>, limits: IncidentLimits) -> Self {
        let mut incident = Incident::with_limits(limits);
        let headends = families
            .into_iter()
            .filter(|f| *f == Family::Headend)
            .count();
        incident.set_headend_present(headends > 0);
        incident.set_headend_sources(headends);
        incident
    }

    /// The limits this incident was built with.
    pub fn limits(&self) -> IncidentLimits {
        self.limits
    }

    /// Tells the incident whether a headend log is among its sources. With
    /// one, a client's failure lines are evidence about attempts the headend
    /// counts (joined like an auth server's, so a client certificate or
    /// network error still names the cause). Without one (a user's own
    /// bundle), they are the only record of the attempts and are counted:
    /// the two or three lines one failed attempt leaves within
    /// [`ATTEMPT_WINDOW`](super::ATTEMPT_WINDOW) count once.
    pub fn set_headend_present(&mut self, present: bool) {
        self.client_lines_are_evidence = present;
    }

    /// Names the source the events applied from now on come from, so a
    /// headend line that two sources deliver counts once (see
    /// [`crate::engine::dedup`]). Readers set it before each file or batch.
    pub fn set_source(&mut self, source: crate::vocab::SourceId) {
        self.source = source;
    }

    /// The source set by [`Incident::set_source`].
    pub fn source(&self) -> crate::vocab::SourceId {
        self.source
    }

    /// How many headend sources the incident is read from: with two or
    /// more, copies of one line are counted once.
    pub fn set_headend_sources(&mut self, n: usize) {
        if n >= 2 && !self.dedup.enabled() {
            self.dedup = crate::engine::dedup::Dedup::for_headend_sources(n);
        }
    }

    /// A headend line was recognised that was counted without being
    /// applied (see [`Incident::count_events`]).
    pub fn note_headend_seen(&mut self) {
        if !self.headend_seen {
            self.headend_seen = true;
            self.changed();
        }
    }

    /// The input is complete (a headless command read all its files):
    /// takes out what only serves to join lines still to come (attempts
    /// awaiting their follow-up or auth-server verdict, address and host
    /// links, times of users counted under `(other N users)`; under a
    /// spray of a million names, tens of MiB). Counts and every figure
    /// shown are kept; a line applied afterwards is counted, but joins
    /// nothing before.
    ///
    /// What is taken out is handed back, for the caller to free when it
    /// suits: dropping it is, for the 7,000 attempts of a 2 M-line log, a
    /// millisecond of `free` calls, which a command that exits once its
    /// report is written leaves to the exit (see `app::headless::Scanned`).
    /// The scan's memory peaks while the files are read, with all of it in
    /// use, so keeping it does not raise the peak.
    #[must_use = "dropping the leftovers frees them; keep them to leave that to the exit"]
    pub fn finish_input(&mut self) -> InputLeftovers {
        self.unmatched_at_finish = Some(self.unmatched_auth_failures());
        self.many_at_finish = Some(self.many_now());
        self.unmatched.set(None);
        InputLeftovers {
            _join: std::mem::take(&mut self.join),
            _open_attempts: std::mem::take(&mut self.open_attempts),
            _ip_users: std::mem::take(&mut self.ip_users),
            _host_users: std::mem::take(&mut self.host_users),
            _overflow_times: std::mem::take(&mut self.overflow_times),
            _challenges: std::mem::take(&mut self.challenges),
            _trace_users: std::mem::take(&mut self.trace_users),
            _cause_updates: std::mem::take(&mut self.cause_updates),
        }
    }

    /// Which times are not their lines' own, for the outputs to mark
    /// ([`crate::vocab::TimeFrom::mark`]).
    pub fn time_marks(&self) -> &crate::engine::timemarks::TimeMarks {
        &self.time_marks
    }

    /// The mark for a time this incident holds: `~` a JSON record's, `?`
    /// the time a line was read, empty for a line's own (see
    /// [`crate::engine::timemarks`]).
    pub fn time_mark(&self, ts: Option<Timestamp>) -> &'static str {
        ts.map_or("", |t| self.time_marks.get(t).mark())
    }

    /// Copies of headend lines the dedup table could no longer recognise
    /// (its oldest keys forgotten to stay bounded).
    pub fn duplicates_forgotten(&self) -> u64 {
        self.dedup.forgotten()
    }

    /// Auth-server failures and headend attempts have both been seen for 10
    /// minutes of log time and not one joined: a clock skew or a zone-less
    /// headend log read in the wrong zone (see [`crate::engine::skew`]).
    pub fn join_skew_suspected(&self) -> bool {
        self.join_watch.suspect(self.latest())
    }
}

/// What [`Incident::finish_input`] took out of an incident: only kept to
/// be dropped, or not.
#[derive(Debug, Default)]
pub struct InputLeftovers {
    _join: Joiner,
    _open_attempts: HashMap<String, super::attempts::OpenAttempt>,
    _ip_users: HashMap<compact_str::CompactString, smallvec::SmallVec<[usize; 2]>>,
    _host_users: HashMap<String, usize>,
    _overflow_times: HashMap<u64, super::overflow::OverflowTimes>,
    _challenges: HashMap<usize, Option<Timestamp>>,
    _trace_users: HashMap<(String, String), super::trace::TraceUser>,
    _cause_updates: VecDeque<super::CauseUpdate>,
}

#[cfg(test)]
mod tests {
    use crate::engine::incident::fixtures::*;
    use crate::engine::incident::*;
    use crate::parse::Outcome;

    #[test]
    fn finishing_the_input_drops_join_state_and_keeps_every_count() {
        let mut inc = Incident::with_limits(IncidentLimits { max_users: 3 });
        for i in 0..20 {
            let name = format!("user{i}");
            let ip = format!("192.0.2.{i}");
            inc.apply(&ev(i, "113005", Outcome::Failure, &name, &ip));
            inc.apply(&ev(i, "716039", Outcome::Failure, &name, &ip));
        }
        let before: Vec<(UserKey, UserStats)> =
            inc.users().map(|(k, s)| (k.clone(), s.clone())).collect();
        let (totals, others) = (inc.totals(), inc.other_users());
        assert!(!inc.ip_users.is_empty() && !inc.overflow_times.is_empty());
        assert!(inc.join.attempt(0).is_some());
        let _ = inc.finish_input();
        assert!(inc.ip_users.is_empty() && inc.overflow_times.is_empty());
        assert!(inc.open_attempts.is_empty() && inc.join.attempt(0).is_none());
        let after: Vec<(UserKey, UserStats)> =
            inc.users().map(|(k, s)| (k.clone(), s.clone())).collect();
        assert_eq!(after, before);
        assert_eq!((inc.totals(), inc.other_users()), (totals, others));
    }
}
