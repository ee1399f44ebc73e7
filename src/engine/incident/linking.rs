//! Which lines belong to which user, across sources: filing a line under
//! the user it names, else the users seen with its client IP, else the user
//! a laptop last named; auth-server and (beside a headend) client lines as
//! evidence joined with the headend attempt they explain (see
//! [`crate::engine::join`]); and showing every line of an attempt with the
//! cause the attempt ends up with.

use jiff::Timestamp;

use super::{CAUSE_UPDATES_CAP, CauseUpdate, Incident, LineRef, UserKey, decrement};
use crate::engine::join::{Side, Verdict, VerdictKind};
use crate::parse::{Cause, Event, Family, Outcome};

/// Users a client IP is linked to, at most (a NAT address shared by a whole
/// office would otherwise tie every line to everyone).
const USERS_PER_IP_CAP: usize = 8;

/// Client addresses (and laptops) remembered for filing lines that name
/// no user.
pub const LINKED_KEYS_CAP: usize = 200_000;

impl Incident {
    /// Notes that `side` said `cause` about attempt `id` (a headend
    /// follow-up line, or a further line of a joined verdict) and settles
    /// the attempt's cause.
    pub(super) fn hear_attempt(&mut self, id: usize, side: Side, cause: Cause) {
        if let Some(a) = self.join.attempt_mut(id) {
            a.hear(side, cause);
        }
        self.settle_attempt(id);
    }

    /// Gives attempt `id` the cause settled from what each side said
    /// ([`crate::engine::join::Attempt::settled`]) when it changed: recounted for its user,
    /// and every line of the attempt shown with it (a [`CauseUpdate`] each,
    /// and the user's line references for the drill-down).
    pub(super) fn settle_attempt(&mut self, id: usize) {
        let Some(a) = self.join.attempt_mut(id) else {
            return;
        };
        let old = a.cause;
        let cause = a.settled();
        if old == cause {
            return;
        }
        a.cause = cause;
        let (user, ts, lines) = (a.user, a.ts, a.lines.clone());
        if let Some((_, stats)) = self.users.get_mut(user) {
            decrement(&mut stats.causes, old);
            *stats.causes.entry(cause).or_default() += 1;
            if ts.is_some() && ts >= stats.last_failure {
                stats.last_cause = Some(cause);
            }
        }
        for (family, index) in lines {
            self.recause_line(user, family, index, cause);
        }
    }

    /// Shows one line of `user`'s with `cause` from now on.
    pub(super) fn recause_line(&mut self, user: usize, family: Family, index: u64, cause: Cause) {
        self.recause_filed(user, family, index, cause);
        if self.cause_updates.len() >= CAUSE_UPDATES_CAP {
            self.cause_updates.pop_front();
        }
        self.cause_updates.push_back(CauseUpdate {
            family,
            index,
            cause,
        });
    }

    /// Gives the reference to a line filed under `user` another cause
    /// (the caller shows the line itself; see [`CauseUpdate`]).
    pub(super) fn recause_filed(&mut self, user: usize, family: Family, index: u64, cause: Cause) {
        if let Some((_, stats)) = self.users.get_mut(user) {
            for r in stats.lines.iter_mut().rev() {
                if r.family == family && r.index == index {
                    r.cause = Some(cause);
                }
            }
        }
    }

    /// An auth-server line (or, beside a headend log, a client line):
    /// evidence about a login the headend also reports, so filed and
    /// remembered but not counted.
    /// Returns whether the line counted as an attempt (a client failure
    /// only the laptop saw), and the cause the line is shown with: its
    /// attempt's, once joined.
    /// `since`: for a debug-trace line, when its trace session began (its
    /// verdict is about no earlier attempt).
    pub(super) fn apply_auth_server(
        &mut self,
        ev: &Event,
        ts: Option<Timestamp>,
        line: Option<LineRef>,
        since: Option<Timestamp>,
    ) -> (bool, Option<Cause>) {
        let named = self.user_index(ev);
        if let (Family::Client, Some(user), Some(host)) = (ev.family, named, ev.host) {
            self.remember_host(host, user);
        }
        // A laptop's lines rarely name the user; they belong to the user
        // that laptop last named (`PasswordEntry username is …`).
        let user = named.or_else(|| match (ev.family, ev.host) {
            (Family::Client, Some(host)) => self.host_users.get(host).copied(),
            _ => None,
        });
        if let Some(user) = user {
            if let Some(ip) = ev.client_ip {
                self.link_ip(user, ip);
            }
            let stats = &mut self.users[user].1;
            stats.seen_at(ts);
            if ev.outcome == Outcome::Failure
                && ev.family == Family::AuthServer
                && let Some(reason) = ev.reason
            {
                stats.hear_auth_reason(ts, false, reason.to_string());
            }
        }
        if ev.outcome == Outcome::Failure {
            let name = match user.map(|u| &self.users[u].0) {
                Some(UserKey::Named(n)) => Some(n.clone()),
                _ => None,
            };
            let cause = ev.cause.unwrap_or(Cause::Other);
            let verdict = Verdict {
                kind: VerdictKind::of(ev.family),
                ts,
                user: name,
                ip: ev.client_ip.map(str::to_string),
                cause,
                // Kept while the verdict waits for its attempt: the line is
                // shown by then and takes the attempt's cause when it joins.
                lines: line.map(|l| (l.family, l.index)).into_iter().collect(),
                since,
                traced: ev.trace_session.is_some(),
            };
            if ev.family == Family::AuthServer {
                self.join_watch.verdict(ts);
            }
            let joined = self.join.add_verdict(verdict.clone());
            if let Some(id) = joined {
                // Joined as it is applied: the line is shown with the
                // attempt's cause from the start, no update needed.
                self.apply_join(
                    id,
                    &Verdict {
                        lines: Vec::new(),
                        ..verdict
                    },
                );
                let shown = self.join.attempt(id).map_or(cause, |a| a.cause);
                if let Some(l) = line
                    && let Some(a) = self.join.attempt_mut(id)
                {
                    a.lines.push((l.family, l.index));
                }
                if let Some(mut line) = line {
                    line.cause = Some(shown);
                    self.file_line(ev, user, line);
                }
                return (false, Some(shown));
            } else if ev.family == Family::Client
                && matches!(cause, Cause::Certificate | Cause::ClientNetwork)
                && user.is_some()
            {
                // A certificate or network failure on the laptop ends the
                // attempt before the headend authenticates anyone: the client
                // log is its only record, so it counts.
                return (self.count_client_attempt(ev, user, ts, line), ev.cause);
            }
        }
        if let Some(mut line) = line {
            line.cause = ev.cause;
            self.file_line(ev, user, line);
        }
        (false, ev.cause)
    }

    /// Counts a client-only failed attempt for `user` and files its line.
    pub(super) fn count_client_attempt(
        &mut self,
        ev: &Event,
        user: Option<usize>,
        ts: Option<Timestamp>,
        line: Option<LineRef>,
    ) -> bool {
        if let Some(mut line) = line {
            line.cause = ev.cause;
            self.file_line(ev, user, line);
        }
        self.apply_failure(ev, user, ts, None).new_attempt
    }

    /// The user a laptop last named (allocating only for a new laptop).
    pub(super) fn remember_host(&mut self, host: &str, user: usize) {
        let full = self.host_users.len() >= LINKED_KEYS_CAP;
        match self.host_users.get_mut(host) {
            Some(last) => *last = user,
            None if full => {}
            None => {
                self.host_users.insert(host.to_string(), user);
            }
        }
    }

    pub(super) fn link_ip(&mut self, user: usize, ip: &str) {
        let full = self.ip_users.len() >= LINKED_KEYS_CAP;
        let users = match self.ip_users.get_mut(ip) {
            Some(users) => users,
            // Past the cap a new address links no lines: bounded memory
            // under a log of millions of addresses, and every user still
            // gets the lines that name them.
            None if full => return,
            None => self.ip_users.entry(ip.into()).or_default(),
        };
        if !users.contains(&user) && users.len() < USERS_PER_IP_CAP {
            users.push(user);
        }
    }

    /// Files a line reference under the users the line is about: the user it
    /// names; else every user seen with its client IP; else, on a client log,
    /// the user that laptop last named.
    pub(super) fn file_line(&mut self, ev: &Event, user: Option<usize>, line: LineRef) {
        if let Some(user) = user {
            if ev.family == Family::Client
                && let Some(host) = ev.host
            {
                self.remember_host(host, user);
            }
            if let Some(stats) = self.users.get_mut(user) {
                stats.1.push_line(line);
            }
            return;
        }
        let linked: smallvec::SmallVec<[usize; 2]> = match (ev.family, ev.client_ip, ev.host) {
            (_, Some(ip), _) => self.ip_users.get(ip).cloned().unwrap_or_default(),
            (Family::Client, _, Some(host)) => {
                self.host_users.get(host).copied().into_iter().collect()
            }
            _ => smallvec::SmallVec::new(),
        };
        for u in linked {
            if let Some(stats) = self.users.get_mut(u) {
                stats.1.push_line(line);
            }
        }
    }

    /// Applies what the auth server (or the client) said about attempt `id`:
    /// a hidden user gets the name the verdict logged, and the attempt takes
    /// the cause settled from what each side said.
    pub(super) fn apply_join(&mut self, id: usize, verdict: &Verdict) {
        self.join_watch.joined();
        let Some(attempt) = self.join.attempt(id).cloned() else {
            return;
        };
        let mut user = attempt.user;
        // A hidden user, also one counted under `(other N users)` (its
        // attempt has no name).
        let hidden = match self.users.get(user) {
            Some((UserKey::Hidden(_), _)) => true,
            Some((UserKey::Other(_), _)) => attempt.name.is_none(),
            _ => false,
        };
        if hidden && let Some(name) = &verdict.user {
            let named = self.slot(UserKey::Named(name.clone()));
            let before = attempt
                .ip
                .as_deref()
                .and_then(|ip| self.marks_before(ip, id));
            self.uncount_failure(user, attempt.cause, attempt.ts, before);
            self.count_failure(named, attempt.cause, attempt.reason.clone(), attempt.ts);
            if let Some(ip) = &attempt.ip {
                self.users[named].1.see_ip(Some(ip));
                self.link_ip(named, ip);
            }
            // This attempt's lines are the named user's now, once each. Not
            // the hidden slot's other lines: they are other attempts at that
            // address, named by their own verdicts or not at all.
            let moved: Vec<LineRef> = self.users[user]
                .1
                .lines
                .iter()
                .filter(|l| attempt.lines.contains(&(l.family, l.index)))
                .copied()
                .collect();
            for line in moved {
                self.users[named].1.file_once(line);
            }
            self.join.rename(id, named, name);
            self.totals.hidden_resolved += 1;
            self.note_named(user, named);
            user = named;
        }
        debug_assert!(self.join.attempt(id).is_none_or(|a| a.user == user));
        // The joiner noted the verdict's cause in the attempt.
        self.settle_attempt(id);
        // A verdict that waited for its attempt: its line was shown with its
        // own cause and now shows the attempt's.
        let shown = self.join.attempt(id).map_or(verdict.cause, |a| a.cause);
        for &(family, index) in &verdict.lines {
            if let Some(a) = self.join.attempt_mut(id) {
                a.lines.push((family, index));
            }
            if shown != verdict.cause {
                self.recause_line(user, family, index, shown);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::incident::fixtures::*;
    use crate::engine::incident::*;
    use crate::parse::{Cause, Event, Family, Outcome};

    #[test]
    fn lines_are_filed_by_user_client_ip_and_laptop() {
        let mut inc = Incident::default();
        let h = Family::Headend;
        inc.apply_line(
            &ev(0, "113005", Outcome::Failure, "ned", "192.0.2.40"),
            at_ref(h, 0, 0),
        );
        // A headend line naming only the client IP (an SSL handshake).
        let mut tls = Event::new(h, Outcome::Info);
        tls.ts = at(1);
        tls.msg_id = Some("725001");
        tls.client_ip = Some("192.0.2.40");
        inc.apply_line(&tls, at_ref(h, 1, 1));
        // The laptop names the user once, then logs lines without a name.
        let mut named_line = Event::new(Family::Client, Outcome::Info);
        named_line.ts = at(2);
        named_line.host = Some("lap-ned");
        named_line.user = Some("ned");
        inc.apply_line(&named_line, at_ref(Family::Client, 0, 2));
        let mut anon = Event::new(Family::Client, Outcome::Failure);
        anon.ts = at(3);
        anon.host = Some("lap-ned");
        anon.cause = Some(Cause::BadCredentials);
        inc.apply_line(&anon, at_ref(Family::Client, 1, 3));
        let mut other = anon.clone();
        other.host = Some("lap-other");
        inc.apply_line(&other, at_ref(Family::Client, 2, 3));
        let lines: Vec<(Family, u64)> = inc
            .user(&named("ned"))
            .map(|s| s.lines.iter().map(|r| (r.family, r.index)).collect())
            .unwrap_or_default();
        assert_eq!(
            lines,
            [(h, 0), (h, 1), (Family::Client, 0), (Family::Client, 1)]
        );
        assert_eq!(
            inc.user(&named("ned")).map(|s| s.failures),
            Some(1),
            "filing a line does not count it"
        );
    }

    #[test]
    fn a_moved_attempt_takes_its_first_line_along() {
        let mut inc = Incident::default();
        let h = Family::Headend;
        inc.apply_line(
            &ev(0, "113005", Outcome::Failure, HIDDEN_USER, "192.0.2.50"),
            at_ref(h, 7, 0),
        );
        inc.apply_line(
            &ev(1, "716039", Outcome::Failure, "ola", "192.0.2.50"),
            at_ref(h, 8, 1),
        );
        let ola = row(&inc, &named("ola"));
        let idx: Vec<u64> = ola.lines.iter().map(|r| r.index).collect();
        assert_eq!(idx, [8, 7]);
        assert_eq!(ola.failures_in(inc.latest(), 1), 1);
        let hidden = UserKey::Hidden("192.0.2.50".into());
        assert_eq!(
            inc.user(&hidden).map(|s| s.failures_in(inc.latest(), 15)),
            Some(0),
            "the hidden user's window gives the attempt back"
        );
        assert_eq!(inc.recent(1).attempts, 1);
    }

    #[test]
    fn auth_server_lines_are_evidence_not_attempts() {
        let mut inc = Incident::default();
        inc.apply(&ev(0, "113005", Outcome::Failure, "quin", "192.0.2.70"));
        let mut ise = ev(0, "5400", Outcome::Failure, "quin", "192.0.2.70");
        ise.family = Family::AuthServer;
        ise.reason = Some("24408 wrong password");
        ise.server = Some("ise-psn-01");
        inc.apply_line(&ise, at_ref(Family::AuthServer, 0, 0));
        let mut ok = ev(60, "5200", Outcome::Success, "quin", "192.0.2.70");
        ok.family = Family::AuthServer;
        inc.apply(&ok);
        let quin = row(&inc, &named("quin"));
        assert_eq!((quin.failures, quin.successes), (1, 0));
        assert_eq!(quin.auth_reason(), Some("24408 wrong password"));
        assert_eq!(quin.lines.len(), 1);
        assert_eq!(inc.totals().failures, 1);
        assert!(
            inc.servers().is_empty(),
            "an ISE node is not a headend AAA server"
        );
    }
}

#[cfg(test)]
mod join_tests {
    use crate::engine::incident::fixtures::{named, row};
    use crate::engine::incident::*;
    use crate::parse::{Cause, Event, Family, Outcome};
    use jiff::Timestamp;

    fn at(secs: i64) -> Option<Timestamp> {
        Timestamp::from_second(1_800_000_000 + secs).ok()
    }

    fn headend<'a>(secs: i64, id: &'a str, user: &'a str, ip: &'a str, cause: Cause) -> Event<'a> {
        let mut e = Event::new(Family::Headend, Outcome::Failure);
        e.ts = at(secs);
        e.msg_id = Some(id);
        // As the parser says it.
        e.role = crate::parse::asa::role(id);
        e.user = Some(user);
        e.client_ip = Some(ip);
        e.cause = Some(cause);
        e
    }

    fn server<'a>(secs: i64, user: &'a str, ip: &'a str, cause: Cause) -> Event<'a> {
        let mut e = Event::new(Family::AuthServer, Outcome::Failure);
        e.ts = at(secs);
        e.msg_id = Some("5400");
        e.user = Some(user);
        e.client_ip = Some(ip);
        e.cause = Some(cause);
        e
    }

    /// An incident of a headend line and an auth-server line about the
    /// same attempt, applied in the order given.
    fn applied(headend: &Event, server: &Event, server_first: bool) -> Incident {
        let mut inc = Incident::default();
        let order = if server_first {
            [server, headend]
        } else {
            [headend, server]
        };
        for ev in order {
            inc.apply(ev);
        }
        inc
    }

    #[test]
    fn the_scope_is_unknown_until_the_headend_shows_a_login() {
        use crate::engine::scope::Verdict;
        let mut inc = Incident::default();
        assert_eq!(inc.scope().verdict, Verdict::Unknown);
        inc.apply(&server(5, "ann", "192.0.2.1", Cause::AccountLocked));
        assert_eq!(
            inc.scope().verdict,
            Verdict::Unknown,
            "an auth server is not the headend"
        );
        // Traffic: the headend is read, but its logins are not in it.
        inc.apply(&Event::new(Family::Headend, Outcome::Info));
        assert_eq!(inc.scope().verdict, Verdict::Unknown);
        assert_eq!(inc.scope().evidence, super::super::HEADEND_WITHOUT_LOGINS);
        // Nor are they in a management login or a debug trace.
        let mut admin = headend(6, "611101", "admin", "192.0.2.9", Cause::Other);
        (admin.outcome, admin.cause) = (Outcome::Info, None);
        admin.role = crate::vocab::Role::ManagementLogin { denied: false };
        inc.apply(&admin);
        let mut trace = Event::new(Family::Headend, Outcome::Info);
        trace.trace_session = Some("7");
        inc.apply(&trace);
        assert_eq!(inc.scope().verdict, Verdict::Unknown);
        // Nor in a session's end: a headend at `logging trap warnings`
        // sends 113019 (severity 4) and drops every login line.
        let mut ended = headend(5, "113019", "carl", "192.0.2.3", Cause::Other);
        (ended.outcome, ended.cause) = (Outcome::SessionEnd, None);
        inc.apply(&ended);
        assert_eq!(inc.scope().verdict, Verdict::Unknown);
        // A login the headend saw: now no failure there means none.
        let mut login = headend(7, "113004", "bob", "192.0.2.2", Cause::Other);
        (login.outcome, login.cause) = (Outcome::Success, None);
        inc.apply(&login);
        assert_eq!(inc.headend_blind(), None);
        assert_eq!(inc.scope().verdict, Verdict::None);
        // Counted without being applied (the bulk reader), then noted.
        let mut inc = Incident::default();
        inc.count_events(3, at(1));
        assert_eq!(inc.scope().verdict, Verdict::Unknown);
        inc.note_headend_seen();
        assert_eq!(inc.scope().evidence, super::super::HEADEND_WITHOUT_LOGINS);
        inc.apply(&login);
        assert_eq!(inc.scope().verdict, Verdict::None);
    }

    #[test]
    fn every_line_of_an_attempt_gets_its_final_cause() {
        let line = |index| LineRef {
            family: Family::Headend,
            index,
            ts: None,
            cause: None,
        };
        let mut inc = Incident::default();
        let first = inc.apply_line(
            &headend(10, "113005", "ann", "192.0.2.1", Cause::Other),
            line(0),
        );
        assert_eq!((first.new_attempt, first.cause), (true, Some(Cause::Other)));
        // The follow-up is more specific: the attempt (and its first line)
        // take its cause.
        let follow = inc.apply_line(
            &headend(11, "716039", "ann", "192.0.2.1", Cause::BadCredentials),
            line(1),
        );
        assert_eq!(
            (follow.new_attempt, follow.cause),
            (false, Some(Cause::BadCredentials))
        );
        let updates = inc.take_cause_updates();
        assert_eq!(
            updates
                .iter()
                .map(|u| (u.index, u.cause))
                .collect::<Vec<_>>(),
            [(0, Cause::BadCredentials)]
        );
        // The server explains it: both lines change, counts follow.
        let verdict = LineRef {
            family: Family::AuthServer,
            ..line(0)
        };
        let applied = inc.apply_line(
            &server(12, "ann", "192.0.2.1", Cause::AccountLocked),
            verdict,
        );
        assert_eq!(applied.cause, Some(Cause::AccountLocked));
        let updates = inc.take_cause_updates();
        assert_eq!(
            updates
                .iter()
                .map(|u| (u.family, u.index, u.cause))
                .collect::<Vec<_>>(),
            [
                (Family::Headend, 0, Cause::AccountLocked),
                (Family::Headend, 1, Cause::AccountLocked)
            ]
        );
        assert!(inc.take_cause_updates().is_empty(), "taken once");
        let ann = row(&inc, &named("ann"));
        assert_eq!(ann.causes.get(&Cause::AccountLocked), Some(&1));
        assert_eq!(ann.causes.len(), 1);
        // The drill-down's references carry it too.
        let headend_causes: Vec<_> = ann
            .lines
            .iter()
            .filter(|r| r.family == Family::Headend)
            .map(|r| r.cause)
            .collect();
        assert_eq!(headend_causes, [Some(Cause::AccountLocked); 2]);
    }

    #[test]
    fn a_joined_verdict_line_shows_its_attempts_cause_in_either_order() {
        // The server says only "bad credentials", but the headend saw a token
        // challenge first: the attempt is a token problem, and the server's
        // line, one line of that attempt, says so too.
        let at = |family, index| LineRef {
            family,
            index,
            ts: None,
            cause: None,
        };
        for server_first in [false, true] {
            let mut inc = Incident::default();
            let challenge = headend(5, "113010", "ann", "192.0.2.1", Cause::Other);
            inc.apply(&Event {
                outcome: Outcome::Info,
                cause: None,
                role: Role::AaaChallenge,
                ..challenge
            });
            let h = headend(10, "113005", "ann", "192.0.2.1", Cause::BadCredentials);
            let s = server(10, "ann", "192.0.2.1", Cause::BadCredentials);
            let (server_cause, updates) = if server_first {
                let shown = inc.apply_line(&s, at(Family::AuthServer, 0)).cause;
                inc.apply_line(&h, at(Family::Headend, 0));
                (shown, inc.take_cause_updates())
            } else {
                inc.apply_line(&h, at(Family::Headend, 0));
                let shown = inc.apply_line(&s, at(Family::AuthServer, 0)).cause;
                (shown, inc.take_cause_updates())
            };
            let ann = row(&inc, &named("ann"));
            assert_eq!(ann.last_cause, Some(Cause::TokenRequired));
            if server_first {
                // Shown before its attempt existed: updated when it joined.
                assert_eq!(server_cause, Some(Cause::BadCredentials));
                assert!(
                    updates.iter().any(|u| u.family == Family::AuthServer
                        && u.index == 0
                        && u.cause == Cause::TokenRequired),
                    "{updates:?}"
                );
            } else {
                // Joined as it was applied: shown with the attempt's cause.
                assert_eq!(server_cause, Some(Cause::TokenRequired));
            }
        }
    }

    #[test]
    fn the_server_reason_replaces_a_generic_headend_cause_in_either_order() {
        for server_first in [false, true] {
            let h = headend(10, "113005", "ann", "192.0.2.1", Cause::BadCredentials);
            let s = server(10, "ann", "192.0.2.1", Cause::AccountLocked);
            let inc = applied(&h, &s, server_first);
            let ann = row(&inc, &named("ann"));
            assert_eq!(
                ann.failures, 1,
                "server lines are not attempts (server first: {server_first})"
            );
            assert_eq!(
                ann.last_cause,
                Some(Cause::AccountLocked),
                "server first: {server_first}"
            );
            assert_eq!(ann.causes.get(&Cause::AccountLocked), Some(&1));
            assert_eq!(ann.causes.get(&Cause::BadCredentials), None);
            assert_eq!(inc.totals().failures, 1);
        }
    }

    #[test]
    fn a_server_line_outside_the_window_explains_nothing() {
        let mut inc = Incident::default();
        inc.apply(&headend(
            0,
            "113005",
            "bo",
            "192.0.2.2",
            Cause::BadCredentials,
        ));
        inc.apply(&server(11, "bo", "192.0.2.2", Cause::AccountLocked));
        let bo = row(&inc, &named("bo"));
        assert_eq!(bo.last_cause, Some(Cause::BadCredentials));
    }

    /// One address a thousand names come through (a NAT): the names kept
    /// are capped, the rest summed.
    #[test]
    fn the_names_kept_for_one_address_are_capped() {
        let mut inc = Incident::default();
        let hidden = inc.slot(UserKey::Hidden("198.51.100.1".into()));
        for n in 0..40 {
            let named = inc.slot(UserKey::Named(format!("u{n}")));
            inc.note_named(hidden, named);
        }
        let first = inc.slot(UserKey::Named("u0".into()));
        inc.note_named(hidden, first);
        let (moved, others) = inc.attempts_named(&UserKey::Hidden("198.51.100.1".into()));
        assert_eq!(moved.len(), super::super::NAMED_FROM_CAP);
        assert_eq!(moved[0], (&named("u0"), 2), "most first");
        assert_eq!(others, 40 - super::super::NAMED_FROM_CAP as u32);
    }

    #[test]
    fn a_hidden_user_is_resolved_by_the_server_name() {
        let mut inc = Incident::default();
        inc.apply(&headend(
            0,
            "113005",
            HIDDEN_USER,
            "192.0.2.9",
            Cause::UnknownUser,
        ));
        inc.apply(&headend(
            1,
            "716039",
            HIDDEN_USER,
            "192.0.2.9",
            Cause::BadCredentials,
        ));
        inc.apply(&server(0, "jsmyth", "192.0.2.9", Cause::UnknownUser));
        let j = row(&inc, &named("jsmyth"));
        assert_eq!(j.failures, 1);
        assert_eq!(j.last_cause, Some(Cause::UnknownUser));
        assert_eq!(j.client_ips, ["192.0.2.9"]);
        let hidden = row(&inc, &UserKey::Hidden("192.0.2.9".into()));
        assert_eq!(hidden.failures, 0);
        assert_eq!(inc.totals().hidden_resolved, 1);
        assert_eq!(inc.totals().failures, 1);
        // The address says where its attempt went.
        let hidden_key = UserKey::Hidden("192.0.2.9".into());
        let (moved, others) = inc.attempts_named(&hidden_key);
        assert_eq!((moved, others), (vec![(&named("jsmyth"), 1)], 0));
        assert_eq!(inc.attempts_named(&named("jsmyth")), (Vec::new(), 0));
        let listed: Vec<String> = inc
            .users_by_failures()
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
        assert_eq!(listed, ["jsmyth"]);
    }

    /// The headend's reason for a hidden user's attempt is the named
    /// user's last reason once a verdict names them (scan and the bundle
    /// said none, while the pane showed the headend line's).
    #[test]
    fn a_named_hidden_attempt_keeps_the_headends_reason() {
        for server_first in [false, true] {
            let mut h = headend(0, "113005", HIDDEN_USER, "192.0.2.9", Cause::UnknownUser);
            h.reason = Some("User was not found");
            let s = server(0, "jsmyth", "192.0.2.9", Cause::UnknownUser);
            let inc = applied(&h, &s, server_first);
            let j = row(&inc, &named("jsmyth"));
            assert_eq!(j.failures, 1, "server first: {server_first}");
            assert_eq!(
                j.last_reason.as_deref(),
                Some("User was not found"),
                "server first: {server_first}"
            );
        }
    }

    /// An address's later attempt named by a verdict: the address keeps its
    /// earlier attempt's time, cause and reason, as when a WebVPN line
    /// names it.
    #[test]
    fn a_verdict_that_moves_an_attempt_leaves_the_address_its_own_reason() {
        let mut inc = Incident::default();
        let ip = "192.0.2.9";
        let mut first = headend(0, "113005", HIDDEN_USER, ip, Cause::UnknownUser);
        first.reason = Some("User was not found");
        inc.apply(&first);
        let mut second = headend(660, "113005", HIDDEN_USER, ip, Cause::BadCredentials);
        second.reason = Some("Invalid password");
        inc.apply(&second);
        inc.apply(&server(660, "erin", ip, Cause::BadCredentials));
        let hidden = row(&inc, &UserKey::Hidden(ip.into()));
        assert_eq!(hidden.failures, 1);
        assert_eq!(hidden.last_cause, Some(Cause::UnknownUser));
        assert_eq!(hidden.last_reason.as_deref(), Some("User was not found"));
        let erin = row(&inc, &named("erin"));
        assert_eq!(erin.last_reason.as_deref(), Some("Invalid password"));
    }

    #[test]
    fn a_server_verdict_joins_only_one_attempt() {
        let mut inc = Incident::default();
        inc.apply(&server(5, "cy", "192.0.2.3", Cause::PasswordExpired));
        inc.apply(&headend(
            5,
            "113005",
            "cy",
            "192.0.2.3",
            Cause::BadCredentials,
        ));
        inc.apply(&headend(
            8,
            "113005",
            "cy",
            "192.0.2.3",
            Cause::BadCredentials,
        ));
        let cy = row(&inc, &named("cy"));
        assert_eq!(cy.failures, 2);
        assert_eq!(cy.causes.get(&Cause::PasswordExpired), Some(&1));
        assert_eq!(cy.causes.get(&Cause::BadCredentials), Some(&1));
    }
}

#[cfg(test)]
mod client_tests {
    use crate::engine::incident::*;
    use crate::parse::{Cause, Event, Family, Outcome};
    use jiff::Timestamp;

    fn client_failure(secs: i64, user: &str, cause: Cause) -> Event<'_> {
        let mut e = Event::new(Family::Client, Outcome::Failure);
        e.ts = Timestamp::from_second(1_800_000_000 + secs).ok();
        e.user = Some(user);
        e.cause = Some(cause);
        e
    }

    #[test]
    fn without_a_headend_the_lines_of_one_client_attempt_count_once() {
        let mut inc = Incident::for_sources([Family::Client], IncidentLimits::default());
        inc.apply(&client_failure(0, "hs", Cause::Certificate));
        inc.apply(&client_failure(1, "hs", Cause::Other));
        inc.apply(&client_failure(90, "hs", Cause::Certificate));
        let hs = inc
            .user(&UserKey::Named("hs".into()))
            .cloned()
            .unwrap_or_default();
        assert_eq!(hs.failures, 2);
        assert_eq!(hs.causes.get(&Cause::Certificate), Some(&2));
    }

    #[test]
    fn beside_a_headend_client_lines_are_evidence_not_attempts() {
        let mut inc =
            Incident::for_sources([Family::Headend, Family::Client], IncidentLimits::default());
        inc.apply(&client_failure(0, "hs", Cause::BadCredentials));
        assert_eq!(inc.totals().failures, 0);
        assert!(inc.users_by_failures().is_empty());
    }

    #[test]
    fn a_certificate_failure_only_the_laptop_saw_counts_for_the_user_it_named() {
        let mut inc =
            Incident::for_sources([Family::Headend, Family::Client], IncidentLimits::default());
        let mut named = Event::new(Family::Client, Outcome::Info);
        named.ts = Timestamp::from_second(1_800_000_000).ok();
        named.user = Some("hs");
        named.host = Some("lap-hs");
        inc.apply(&named);
        for (secs, cause) in [
            (1, Cause::Certificate),
            (1, Cause::Certificate),
            (2, Cause::Other),
        ] {
            let mut e = client_failure(secs, "", cause);
            e.user = None;
            e.host = Some("lap-hs");
            inc.apply(&e);
        }
        let hs = inc
            .user(&UserKey::Named("hs".into()))
            .cloned()
            .unwrap_or_default();
        assert_eq!(hs.failures, 1, "one attempt, however many lines");
        assert_eq!(hs.last_cause, Some(Cause::Certificate));
    }
}
