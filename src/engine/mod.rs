//! Pure incident state, built from parsed events and operator actions.
//!
//! Nothing here does I/O or looks at a clock: time is the log's own time, and
//! every change comes in through a method call, so the whole state can be
//! driven and checked in unit tests without a terminal or files.
//!
//! * [`incident`] — per-user failure statistics and AAA server health.
//! * [`checklist`] — the runbook's steps and who moved them when.
//! * [`kpi`] — incident milestones and durations from the journal.
//! * [`suggest`] — the step that addresses the dominant failure cause.
//! * [`evidence`] — choosing and redacting a user's lines for a bundle.
//! * [`scope`] — the verdict: infrastructure, widespread, attack, isolated or none.
//! * [`spray`] — password sprays and many-address attacks on one name.
//! * [`window`] — per-minute counts over the last minutes of log time.
//! * [`dedup`] — one headend line delivered by two sources counts once.
//! * [`timemarks`] — which times are a JSON record's or the read time.
//! * [`hashing`] — the one hasher of the engine's maps, keyed per process.

pub mod checklist;
pub mod client_attempts;
pub mod dedup;
pub mod evidence;
pub mod hashing;
pub mod incident;
pub mod join;
pub mod kpi;
pub mod scope;
pub mod skew;
pub mod spray;
pub mod suggest;
pub mod timemarks;
pub mod window;

pub use checklist::{Checklist, StepChange, StepState};
pub use incident::{
    AaaGroup, AaaServer, ByFailures, CauseUpdate, Incident, IncidentLimits, InputLeftovers,
    LineRef, Management, ServerHealth, UserKey, UserSort, UserState, UserStats,
};
pub use scope::{Scope, Verdict};

/// `1204` as `1,204`, for counts the operator reads at a glance.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
