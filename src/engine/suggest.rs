//! The suggested next step: the open runbook step whose cause hints address
//! the dominant cause of the failures.
//!
//! The dominant cause is what is hurting now: among users who failed in the
//! last [`RECENT_MINUTES`](super::incident::RECENT_MINUTES) minutes of log time and have not logged in since,
//! each user's failed attempts in that window count for the user's current
//! (last) cause. When nobody is in that state, all failed attempts of the
//! incident count, by cause. Ties go to the cause affecting more users, then
//! to the order of [`Cause::ALL`]. A step that is already done or skipped is
//! not suggested; the next cause is tried.
//!
//! The suggestion follows the scope verdict: when it is `infrastructure`,
//! the suggested step is the open step whose hints name the broken thing
//! (`aaa_unreachable` or `capacity`, see [`super::scope::Scope::cause`]),
//! with the verdict's evidence; users' own causes (a wrong password, a
//! token) are suggested only when the verdict is not infrastructure.

use super::checklist::Checklist;
use super::incident::Incident;
use super::scope::Verdict;
use crate::vocab::Cause;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// Index into [`Checklist::items`].
    pub index: usize,
    pub step: String,
    pub cause: Cause,
    /// Users with at least one failure of this cause.
    pub users: usize,
    /// Failed attempts of this cause.
    pub attempts: u32,
    /// Counted over the last [`RECENT_MINUTES`](super::incident::RECENT_MINUTES) (else the whole incident).
    pub recent: bool,
    /// The infrastructure verdict's evidence, when the step follows it.
    pub infrastructure: Option<String>,
}

impl Suggestion {
    /// The evidence as shown: "4 users: token_required", or for an
    /// infrastructure verdict "aaa_unreachable: AAA server … FAILED …".
    pub fn evidence(&self) -> String {
        if let Some(evidence) = &self.infrastructure {
            return format!("{}: {evidence}", self.cause.id());
        }
        let users = if self.users == 1 { "user" } else { "users" };
        format!("{} {users}: {}", self.users, self.cause.id())
    }
}

/// Failed attempts and users per cause, ranked as [`suggest`] tries them.
/// It depends on the incident alone, so the incident caches it per change
/// ([`Incident::cause_tally`]): tallying 10 000 users every frame cost a
/// tenth of the frame budget.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CauseTally {
    /// (cause, failed attempts, users), most attempts first.
    pub ranked: Vec<(Cause, u32, usize)>,
    /// Counted over the last [`RECENT_MINUTES`](super::incident::RECENT_MINUTES) (else the whole incident).
    pub recent: bool,
}

/// Tallies the incident's failures by cause (see the module docs).
pub fn tally(incident: &Incident) -> CauseTally {
    // (attempts, users) by cause, of the users failing and not recovered.
    let mut per_cause = incident
        .unrecovered_recent()
        .by_cause
        .map(|(users, attempts)| (attempts, users as usize));
    // Spray and many-address attempts say nothing about what hurts users.
    let users = || {
        incident
            .users()
            .zip(incident.users_now())
            .filter(|(_, user_now)| !user_now.attack)
    };
    let is_recent = per_cause.iter().any(|&(_, users)| users > 0);
    if !is_recent {
        for ((_, stats), _) in users() {
            for (&cause, &n) in &stats.causes {
                if n > 0 {
                    let entry = &mut per_cause[cause.index()];
                    entry.0 += n;
                    entry.1 += 1;
                }
            }
        }
    }
    let mut ranked: Vec<_> = Cause::ALL
        .into_iter()
        .zip(per_cause)
        .filter(|&(_, (_, users))| users > 0)
        .map(|(cause, (attempts, users))| (cause, attempts, users))
        .collect();
    ranked.sort_by(|(ca, na, ua), (cb, nb, ub)| nb.cmp(na).then(ub.cmp(ua)).then(ca.cmp(cb)));
    CauseTally {
        ranked,
        recent: is_recent,
    }
}

/// The suggested step, if any failure cause has an open step addressing it.
pub fn suggest(incident: &Incident, checklist: &Checklist) -> Option<Suggestion> {
    let items = checklist.items();
    // A top-level step first; a sub-step only when no step names the cause.
    let step_for = |cause: Cause| {
        let open = |depth_ok: &dyn Fn(usize) -> bool| {
            items.iter().position(|i| {
                depth_ok(i.depth) && !i.state.is_closed() && i.causes.contains(&cause)
            })
        };
        open(&|d| d == 0).or_else(|| open(&|d| d > 0))
    };
    let tally = incident.cause_tally();
    let scope = incident.scope();
    if scope.verdict == Verdict::Infrastructure {
        // The verdict decides what is hurting: no user cause is suggested.
        let cause = scope.cause?;
        let index = step_for(cause)?;
        let (attempts, users) = tally
            .ranked
            .iter()
            .find(|(c, _, _)| *c == cause)
            .map_or((0, 0), |&(_, n, u)| (n, u));
        return Some(Suggestion {
            index,
            step: items[index].id.clone(),
            cause,
            users,
            attempts,
            recent: tally.recent,
            infrastructure: Some(scope.evidence.clone()),
        });
    }
    tally.ranked.iter().find_map(|&(cause, attempts, users)| {
        let index = step_for(cause)?;
        Some(Suggestion {
            index,
            step: items[index].id.clone(),
            cause,
            users,
            attempts,
            recent: tally.recent,
            infrastructure: None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::checklist::{Record, StepChange, StepState};
    use crate::runbook::{self, DEFAULT_RUNBOOK};
    use crate::vocab::{Event, Family, Outcome};
    use jiff::Timestamp;

    fn fail(inc: &mut Incident, min: i64, user: &str, ip: &str, cause: Cause) {
        let mut e = Event::new(Family::Headend, Outcome::Failure);
        e.ts = Some(Timestamp::from_second(1_800_000_000 + min * 60).unwrap());
        e.msg_id = Some("113005");
        e.user = Some(user);
        e.client_ip = Some(ip);
        e.cause = Some(cause);
        inc.apply(&e);
    }

    fn default_checklist() -> Checklist {
        Checklist::new(&runbook::parse(DEFAULT_RUNBOOK).unwrap())
    }

    #[test]
    fn the_dominant_recent_cause_picks_its_step() {
        let mut inc = Incident::default();
        // An old burst of lockouts, then token failures now.
        for i in 0..6 {
            fail(&mut inc, i, "locked", "192.0.2.1", Cause::AccountLocked);
        }
        for (i, u) in ["a", "b", "c", "d"].iter().enumerate() {
            fail(
                &mut inc,
                60 + i as i64,
                u,
                "192.0.2.9",
                Cause::TokenRequired,
            );
        }
        let c = default_checklist();
        let s = suggest(&inc, &c).unwrap();
        assert_eq!(s.step, "1");
        assert_eq!(s.evidence(), "4 users: token_required");
        assert!(s.recent);
    }

    #[test]
    fn account_and_server_causes_map_to_steps_2_and_4() {
        let c = default_checklist();
        let mut inc = Incident::default();
        fail(&mut inc, 0, "x", "192.0.2.1", Cause::AccountLocked);
        assert_eq!(suggest(&inc, &c).map(|s| s.step), Some("2".into()));
        let mut inc = Incident::default();
        fail(&mut inc, 0, "x", "192.0.2.1", Cause::AaaUnreachable);
        fail(&mut inc, 1, "y", "192.0.2.2", Cause::Capacity);
        assert_eq!(suggest(&inc, &c).map(|s| s.step), Some("4".into()));
    }

    #[test]
    fn a_closed_step_is_not_suggested() {
        let mut c = default_checklist();
        let mut inc = Incident::default();
        fail(&mut inc, 0, "x", "192.0.2.1", Cause::TokenRequired);
        fail(&mut inc, 0, "x", "192.0.2.1", Cause::TokenRequired);
        fail(&mut inc, 0, "y", "192.0.2.2", Cause::AccountLocked);
        c.apply(&Record::Step(StepChange {
            ts: Timestamp::UNIX_EPOCH,
            operator: "a".into(),
            step: "1".into(),
            from: StepState::Todo,
            to: StepState::Done,
            note: None,
        }));
        assert_eq!(suggest(&inc, &c).map(|s| s.step), Some("2".into()));
        assert_eq!(suggest(&Incident::default(), &c), None);
    }
}
