//! The incident's live KPIs, computed from the first failure in the logs and
//! the journal's records. Pure: the caller passes "now".
//!
//! Definitions (shown in the `?` help and the postmortem):
//!
//! * **detected** — the first failed login of the incident (log time,
//!   [`crate::engine::Incident::first_failure`]).
//! * **first action** — the first step moved to doing or done, or the first
//!   evidence export, whichever is earlier (journal time). Notes and marks
//!   are not actions: a substantive step, not an acknowledgement, starts the
//!   response.
//! * **mitigated** — the first `M` mark.
//! * **resolved** — the first `R` mark, or else the moment every step was
//!   done or skipped.
//! * **last update** — the newest journal record of any kind.
//!
//! Durations run from the incident *start*. Detection is log time, actions
//! are wall time; for live logs the two clocks agree. When the first failure
//! is more than [`RECONCILE`] before the first journal record, the logs are
//! taken to be a replay (or the headend clock to be off), and the start is
//! the first journal record instead: the moment someone was demonstrably on
//! the incident. A first failure *after* the first record (someone started
//! the runbook before the logs showed failures) keeps the log time; the
//! durations are then clamped at zero. [`Start`] says which basis was used,
//! and the report states it.

use jiff::{SignedDuration, Timestamp};

use super::checklist::{Checklist, Record, StepState};

/// How far the first failure may precede the first journal record and still
/// count as the same clock (the dashboard's live/replay threshold too).
pub const RECONCILE: SignedDuration = SignedDuration::from_hours(1);

/// Where the incident start came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartBasis {
    /// The first failed login, log time.
    FirstFailure,
    /// The first journal record: the logs are older than the journal by more
    /// than [`RECONCILE`].
    FirstRecord,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start {
    pub at: Timestamp,
    pub basis: StartBasis,
}

/// How the incident was resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResolvedBy {
    /// The `R` mark.
    Mark,
    /// Every step done or skipped.
    AllStepsClosed,
}

/// The incident's milestones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kpis {
    /// The first failed login (log time).
    pub detected: Option<Timestamp>,
    pub start: Option<Start>,
    pub first_action: Option<Timestamp>,
    pub mitigated: Option<Timestamp>,
    pub resolved: Option<(Timestamp, ResolvedBy)>,
    pub last_update: Option<Timestamp>,
}

/// The milestones from the first failure and the journal's records.
pub fn compute(first_failure: Option<Timestamp>, checklist: &Checklist) -> Kpis {
    let history = checklist.history();
    let first_record = history.iter().filter_map(Record::ts).min();
    let start = match (first_failure, first_record) {
        (Some(d), Some(r)) if r.duration_since(d) > RECONCILE => Some(Start {
            at: r,
            basis: StartBasis::FirstRecord,
        }),
        (Some(d), _) => Some(Start {
            at: d,
            basis: StartBasis::FirstFailure,
        }),
        (None, _) => None,
    };
    // Undone records are not milestones (an `M` taken back with `U` is
    // not a mitigation); the undo itself is still an update.
    let first = |pick: &dyn Fn(&Record) -> bool| {
        checklist
            .effective()
            .filter(|r| pick(r))
            .filter_map(Record::ts)
            .min()
    };
    let first_action = first(&|r| match r {
        Record::Step(c) => matches!(c.to, StepState::Doing | StepState::Done),
        Record::Evidence(_) => true,
        _ => false,
    });
    let mitigated = first(&|r| matches!(r, Record::Mitigated(_)));
    let resolved = first(&|r| matches!(r, Record::Resolved(_)))
        .map(|t| (t, ResolvedBy::Mark))
        .or_else(|| {
            checklist
                .all_closed_at()
                .map(|t| (t, ResolvedBy::AllStepsClosed))
        });
    Kpis {
        detected: first_failure,
        start,
        first_action,
        mitigated,
        resolved,
        last_update: history.iter().filter_map(Record::ts).max(),
    }
}

fn since(start: Option<Start>, end: Option<Timestamp>) -> Option<SignedDuration> {
    let d = end?.duration_since(start?.at);
    Some(d.max(SignedDuration::ZERO))
}

impl Kpis {
    /// Time to first action.
    pub fn ttfa(&self) -> Option<SignedDuration> {
        since(self.start, self.first_action)
    }

    /// Time to mitigate.
    pub fn ttm(&self) -> Option<SignedDuration> {
        since(self.start, self.mitigated)
    }

    /// Time to resolve.
    pub fn ttr(&self) -> Option<SignedDuration> {
        since(self.start, self.resolved.map(|(t, _)| t))
    }

    /// The incident's age at `now`; it stops at resolution.
    pub fn age(&self, now: Timestamp) -> Option<SignedDuration> {
        let end = self.resolved.map_or(now, |(t, _)| t);
        since(self.start, Some(end))
    }

    /// Time since the newest journal record (wall time).
    pub fn since_update(&self, wall: Timestamp) -> Option<SignedDuration> {
        Some(
            wall.duration_since(self.last_update?)
                .max(SignedDuration::ZERO),
        )
    }

    /// The incident's age, the one the header shows (as INCIDENT and as the
    /// KPI age): from the start to `incident_now` (the incident's one clock,
    /// [`crate::engine::incident::clock_now`]) when the start is log time;
    /// to `wall` when the start is the first journal record (the logs are a
    /// replay, so only the journal's wall clock measures the response).
    /// It stops at resolution.
    pub fn age_at(
        &self,
        incident_now: Option<Timestamp>,
        wall: Timestamp,
    ) -> Option<SignedDuration> {
        let now = match self.start?.basis {
            StartBasis::FirstFailure => incident_now?,
            StartBasis::FirstRecord => wall,
        };
        self.age(now)
    }
}

/// The definitions, for the help overlay and the report: (name, meaning).
pub const DEFINITIONS: &[(&str, &str)] = &[
    (
        "detected",
        "KPI: first failed login of the incident (log time)",
    ),
    (
        "start",
        "KPI: detected; first journal record if the logs are >1 h older",
    ),
    (
        "first action",
        "KPI: first step to doing/done, or first evidence bundle",
    ),
    ("mitigated", "KPI: first M mark"),
    (
        "resolved",
        "KPI: first R mark, or when every step is done/skipped",
    ),
    (
        "age · updated",
        "KPI: start → now (stops at resolved) · since the newest record",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::checklist::{Evidence, Mark, StepChange};
    use crate::runbook;

    fn t(min: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + min * 60).unwrap()
    }

    fn step(id: &str, to: StepState, min: i64) -> Record {
        Record::Step(StepChange {
            ts: t(min),
            operator: "ana".into(),
            step: id.into(),
            from: StepState::Todo,
            to,
            note: None,
        })
    }

    fn checklist(records: &[Record]) -> Checklist {
        let rb = runbook::parse("## Steps\n1. one\n2. two\n").unwrap();
        let mut c = Checklist::new(&rb);
        for r in records {
            assert!(c.apply(r));
        }
        c
    }

    #[test]
    fn a_scripted_incident() {
        let mark = |min| Mark {
            ts: t(min),
            operator: "lead".into(),
            note: None,
        };
        let records = [
            step("1", StepState::Skipped, 2), // not an action
            step("1", StepState::Doing, 4),
            Record::Mitigated(mark(20)),
            step("2", StepState::Done, 30),
            step("1", StepState::Done, 35), // all closed
        ];
        let k = compute(Some(t(0)), &checklist(&records));
        assert_eq!(
            k.start,
            Some(Start {
                at: t(0),
                basis: StartBasis::FirstFailure
            })
        );
        assert_eq!(k.ttfa(), Some(SignedDuration::from_mins(4)));
        assert_eq!(k.ttm(), Some(SignedDuration::from_mins(20)));
        assert_eq!(k.ttr(), Some(SignedDuration::from_mins(35)));
        assert_eq!(k.resolved.map(|r| r.1), Some(ResolvedBy::AllStepsClosed));
        assert_eq!(k.age(t(100)), Some(SignedDuration::from_mins(35)));
        assert_eq!(k.since_update(t(40)), Some(SignedDuration::from_mins(5)));
    }

    #[test]
    fn the_resolved_mark_wins_and_reopening_a_step_clears_all_closed() {
        let mut c = checklist(&[step("1", StepState::Done, 1), step("2", StepState::Done, 2)]);
        assert_eq!(c.all_closed_at(), Some(t(2)));
        c.apply(&step("2", StepState::Doing, 3));
        assert_eq!(c.all_closed_at(), None);
        c.apply(&Record::Resolved(Mark {
            ts: t(9),
            operator: "lead".into(),
            note: None,
        }));
        let k = compute(Some(t(0)), &c);
        assert_eq!(k.resolved, Some((t(9), ResolvedBy::Mark)));
        assert_eq!(k.age(t(50)), Some(SignedDuration::from_mins(9)));
    }

    #[test]
    fn evidence_export_is_a_first_action() {
        let c = checklist(&[Record::Evidence(Evidence {
            ts: t(3),
            operator: "ana".into(),
            user: "bob".into(),
            path: "b.tar.gz".into(),
            redacted: false,
        })]);
        assert_eq!(
            compute(Some(t(0)), &c).ttfa(),
            Some(SignedDuration::from_mins(3))
        );
    }

    #[test]
    fn replayed_logs_start_at_the_first_record() {
        // Logs from yesterday, actions today.
        let c = checklist(&[step("1", StepState::Doing, 24 * 60 + 5)]);
        let k = compute(Some(t(0)), &c);
        assert_eq!(
            k.start,
            Some(Start {
                at: t(24 * 60 + 5),
                basis: StartBasis::FirstRecord
            })
        );
        assert_eq!(k.ttfa(), Some(SignedDuration::ZERO));
        assert_eq!(
            k.age_at(Some(t(30)), t(24 * 60 + 10)),
            Some(SignedDuration::from_mins(5))
        );
    }

    #[test]
    fn a_log_time_start_ages_on_the_incident_clock() {
        let k = compute(Some(t(0)), &checklist(&[]));
        assert_eq!(
            k.age_at(Some(t(12)), t(500)),
            Some(SignedDuration::from_mins(12))
        );
        assert_eq!(k.age_at(None, t(500)), None);
        assert_eq!(k.ttfa(), None);
        assert_eq!(k.since_update(t(1)), None);
    }

    #[test]
    fn an_action_before_the_first_failure_counts_as_zero() {
        let k = compute(Some(t(10)), &checklist(&[step("1", StepState::Doing, 5)]));
        assert_eq!(k.ttfa(), Some(SignedDuration::ZERO));
    }

    #[test]
    fn an_undone_mark_or_step_is_no_milestone_but_an_update() {
        let mark = Record::Mitigated(Mark {
            ts: t(20),
            operator: "ana".into(),
            note: None,
        });
        let doing = step("1", StepState::Doing, 15);
        let mut c = checklist(&[doing.clone(), mark.clone()]);
        assert_eq!(compute(Some(t(10)), &c).mitigated, Some(t(20)));
        assert!(c.apply(&mark.undo("ana", t(21)).unwrap()));
        assert!(c.apply(&doing.undo("ana", t(22)).unwrap()));
        let k = compute(Some(t(10)), &c);
        assert_eq!(k.mitigated, None);
        assert_eq!(k.first_action, None);
        assert_eq!(k.last_update, Some(t(22)));
        assert_eq!(c.items()[0].state, StepState::Todo);
        assert_eq!(c.items()[0].changed_by, None);
        // An undo of something never journaled changes nothing.
        let stray = step("2", StepState::Done, 30).undo("ana", t(31)).unwrap();
        assert!(!c.apply(&stray));
    }
}
