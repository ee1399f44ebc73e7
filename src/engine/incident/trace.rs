//! The headend's debug trace (`parse::debug_trace`): which user each trace
//! session is for, and what its verdict lines mean for that user's attempt.
//!
//! A trace line is evidence about an attempt the headend counts itself
//! (113005 …), like an auth server's line: joined and filed, never
//! counted. A trace states its answer on several lines of several sessions
//! (the directory's `data 775`, the AAA transaction's `REJECT`, the WebVPN
//! request's failure); all of them are one login, so a verdict line for a
//! user whose trace already gave one amends it (the more specific cause
//! stays, see [`crate::engine::join::more_specific`]) instead of waiting
//! for another attempt. A session opened anew (`Role::TraceStart`) is for
//! no one until a line names its user, and verdicts or attempts from
//! before it began are another login's.

use jiff::Timestamp;

use super::{Incident, LineRef};
use crate::engine::join::{Amended, Verdict, VerdictKind};
use crate::parse::{Cause, Event, Family, Outcome, Role};

/// Debug-trace sessions remembered; a trace runs for one attempt, so a few
/// thousand open sessions means a hostile or runaway log: start over.
pub(super) const TRACE_SESSIONS_CAP: usize = 4096;

/// The user a trace session is for, and the time of the line that named
/// them (the session's lines before it were for no one yet).
#[derive(Clone, Debug)]
pub(super) struct TraceUser {
    name: String,
    since: Option<Timestamp>,
}

impl Incident {
    /// A headend debug-trace line: what the directory, the AAA transaction
    /// or the WebVPN request answered. Filed under the user its session is
    /// for when the line does not name one; a verdict is joined with the
    /// attempt like an auth server's, or amends the one its trace gave.
    /// Returns the cause the line is shown with.
    pub(super) fn apply_trace(
        &mut self,
        ev: &Event,
        session: &str,
        ts: Option<Timestamp>,
        line: Option<LineRef>,
    ) -> Option<Cause> {
        let key = (ev.host.unwrap_or("").to_string(), session.to_string());
        if ev.role == Role::TraceStart {
            self.trace_users.remove(&key);
        }
        let traced = match ev.user {
            Some(u) if self.trace_users.get(&key).is_none_or(|t| t.name != u) => {
                if self.trace_users.len() >= TRACE_SESSIONS_CAP {
                    self.trace_users.clear();
                }
                let user = TraceUser {
                    name: u.to_string(),
                    since: ts,
                };
                self.trace_users.insert(key, user.clone());
                Some(user)
            }
            _ => self.trace_users.get(&key).cloned(),
        };
        let mut named = ev.clone();
        if let Some(t) = &traced {
            named.user = Some(t.name.as_str());
        }
        // The directory's answer, relayed by the headend: a verdict like an
        // auth server's (its reason becomes the user's auth-server reason).
        named.family = Family::AuthServer;
        let since = traced.as_ref().and_then(|t| t.since);
        let cause = match (&traced, ev.outcome) {
            (Some(t), Outcome::Failure) => match self.amend_trace_verdict(&named, t, ts, line) {
                Some(shown) => Some(shown),
                None => self.apply_auth_server(&named, ts, line, since).1,
            },
            _ => self.apply_auth_server(&named, ts, line, since).1,
        };
        // AD's code in words, for the drill-down's auth-server reason.
        if ev.outcome == Outcome::Failure
            && let Some(code) = ev.reason.and_then(crate::parse::debug_trace::ad_data_code)
            && let Some(u) = named
                .user
                .and_then(|n| self.named.get(n, &self.users, super::name_index::named_key))
            && let Some((_, stats)) = self.users.get_mut(u)
        {
            stats.hear_auth_reason(
                ts,
                true,
                format!(
                    "Active Directory: data {code}, {}",
                    crate::parse::debug_trace::ad_data_meaning(code)
                ),
            );
        }
        cause
    }

    /// A trace verdict for a user whose trace already gave one for this
    /// login: amends that verdict (or the attempt it joined) and files the
    /// line. `None` when there is none: the line is a new verdict.
    fn amend_trace_verdict(
        &mut self,
        ev: &Event,
        traced: &TraceUser,
        ts: Option<Timestamp>,
        line: Option<LineRef>,
    ) -> Option<Cause> {
        let verdict = Verdict {
            kind: VerdictKind::Server,
            ts,
            user: Some(traced.name.clone()),
            ip: None,
            cause: ev.cause.unwrap_or(Cause::Other),
            lines: line.map(|l| (l.family, l.index)).into_iter().collect(),
            since: traced.since,
            traced: true,
        };
        let amended = self.join.amend(&traced.name, traced.since, &verdict)?;
        let user = self
            .named
            .get(&traced.name, &self.users, super::name_index::named_key);
        let shown = match amended {
            Amended::Pending { cause, recause } => {
                if let Some(u) = user {
                    for (family, index) in recause {
                        self.recause_line(u, family, index, cause);
                    }
                }
                cause
            }
            Amended::Attempt(id) => {
                if let Some(l) = line
                    && let Some(a) = self.join.attempt_mut(id)
                {
                    a.lines.push((l.family, l.index));
                }
                // The joiner noted the amended verdict in the attempt.
                self.settle_attempt(id);
                self.join.attempt(id).map_or(verdict.cause, |a| a.cause)
            }
        };
        if let Some((_, stats)) = user.and_then(|u| self.users.get_mut(u)) {
            stats.seen_at(ts);
        }
        if let Some(mut l) = line {
            l.cause = Some(shown);
            self.file_line(ev, user, l);
        }
        Some(shown)
    }
}
