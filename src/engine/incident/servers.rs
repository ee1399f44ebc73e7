//! AAA servers and their groups as the headend reports them (health marks,
//! transitions, unreachable reports), and logins to the headend itself,
//! counted apart from VPN logins.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use super::Incident;
use crate::parse::{Cause, Event, Role, ServerState};

/// AAA servers tracked; a log naming more is not a real headend's (a
/// headend has a handful), so further addresses are not tracked.
pub const SERVERS_CAP: usize = 1024;
/// AAA server groups tracked, likewise.
pub const GROUPS_CAP: usize = 256;
/// Health transitions kept per server; the oldest go first.
pub const TRANSITIONS_CAP: usize = 1000;
/// Management user names counted one by one; further names are counted
/// under [`OTHER_MANAGEMENT_USERS`] (the totals stay exact).
pub const MANAGEMENT_USERS_CAP: usize = 10_000;
/// The row the management names past [`MANAGEMENT_USERS_CAP`] share.
pub const OTHER_MANAGEMENT_USERS: &str = "(other users)";

/// Health of one AAA server as the headend last reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerHealth {
    /// Seen in a log line but never marked.
    Unknown,
    Active,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AaaServer {
    pub address: String,
    pub group: Option<String>,
    pub health: ServerHealth,
    /// When the current health was reported.
    pub since: Option<Timestamp>,
    /// "Server not accessible" reports (113014 and friends).
    pub unreachable: u32,
    /// FAILED / ACTIVE transitions, oldest first.
    pub transitions: Vec<(Option<Timestamp>, ServerHealth)>,
}

/// An AAA server group: named by 113022/113023 marks (with a server) or by
/// 409023 (the whole group unreachable, no server named).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AaaGroup {
    pub name: String,
    /// 409023 reports: every server of the group was unreachable and the
    /// headend fell back to another method.
    pub unreachable: u32,
    pub last_unreachable: Option<Timestamp>,
}

/// Logins to the headend itself (ASDM, SSH, console: 605004/605005,
/// 611101/611102, 113021). Counted apart: an administrator mistyping a
/// password is not a VPN outage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Management {
    pub failures: u32,
    pub successes: u32,
    /// Per user name as logged: (failures, successes).
    pub users: BTreeMap<String, (u32, u32)>,
    pub last_failure: Option<Timestamp>,
}

impl Incident {
    pub fn servers(&self) -> &[AaaServer] {
        &self.servers
    }

    /// Every AAA server group seen, in order of first appearance.
    pub fn groups(&self) -> &[AaaGroup] {
        &self.groups
    }

    pub fn management(&self) -> &Management {
        &self.management
    }

    pub(super) fn apply_management(&mut self, ev: &Event, ts: Option<Timestamp>) {
        let Role::ManagementLogin { denied: failed } = ev.role else {
            return;
        };
        let m = &mut self.management;
        let mut name = super::capped_name(ev.user.unwrap_or("")).into_owned();
        if m.users.len() >= MANAGEMENT_USERS_CAP && !m.users.contains_key(&name) {
            // The totals stay exact; the names past the cap share a row.
            name = OTHER_MANAGEMENT_USERS.to_string();
        }
        let entry = m.users.entry(name).or_default();
        if failed {
            m.failures += 1;
            entry.0 += 1;
            m.last_failure = ts.or(m.last_failure);
        } else {
            m.successes += 1;
            entry.1 += 1;
        }
    }

    pub(super) fn see_group(&mut self, name: &str, unreachable: bool, ts: Option<Timestamp>) {
        let group = match self.groups.iter().position(|g| g.name == name) {
            Some(i) => &mut self.groups[i],
            None if self.groups.len() >= GROUPS_CAP => return,
            None => {
                self.groups.push(AaaGroup {
                    name: name.to_string(),
                    unreachable: 0,
                    last_unreachable: None,
                });
                let last = self.groups.len() - 1;
                &mut self.groups[last]
            }
        };
        if unreachable {
            group.unreachable += 1;
            group.last_unreachable = ts.or(group.last_unreachable);
        }
    }

    pub(super) fn apply_server(&mut self, ev: &Event, ts: Option<Timestamp>) {
        let address = ev.server;
        let unreachable = ev.cause == Some(Cause::AaaUnreachable) && ev.server_state.is_none();
        if let Some(group) = ev.server_group {
            self.see_group(group, unreachable && address.is_none(), ts);
        }
        let Some(address) = address else { return };
        // 0.0.0.0 is what the ASA logs when no server was involved
        // (authorization against the local policy).
        if address.is_empty() || address == "0.0.0.0" {
            return;
        }
        let server = match self.server_index.get(address) {
            Some(&i) => &mut self.servers[i],
            None if self.servers.len() >= SERVERS_CAP => return,
            None => {
                self.server_index
                    .insert(address.to_string(), self.servers.len());
                self.servers.push(AaaServer {
                    address: address.to_string(),
                    group: None,
                    health: ServerHealth::Unknown,
                    since: None,
                    unreachable: 0,
                    transitions: Vec::new(),
                });
                let last = self.servers.len() - 1;
                &mut self.servers[last]
            }
        };
        if let Some(group) = ev.server_group
            && server.group.as_deref() != Some(group)
        {
            // Most lines name the group the server is in already: no copy.
            server.group = Some(group.to_string());
        }
        if unreachable {
            server.unreachable += 1;
        }
        if let Some(state) = ev.server_state {
            let health = match state {
                ServerState::Failed => ServerHealth::Failed,
                ServerState::Active => ServerHealth::Active,
            };
            if server.health != health {
                if server.transitions.len() >= TRANSITIONS_CAP {
                    server.transitions.remove(0);
                }
                server.transitions.push((ts, health));
            }
            server.health = health;
            server.since = ts;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::incident::fixtures::*;
    use crate::engine::incident::*;
    use crate::parse::{Cause, Event, Family, Outcome};

    #[test]
    fn server_marks_are_tracked_with_transitions() {
        let mut inc = Incident::default();
        let mut down = Event::new(Family::Headend, Outcome::Failure);
        down.ts = at(0);
        down.server = Some("10.0.0.5");
        down.server_group = Some("RAD");
        down.server_state = Some(ServerState::Failed);
        down.cause = Some(Cause::AaaUnreachable);
        inc.apply(&down);
        let mut unreachable = ev(10, "113014", Outcome::Failure, "gus", "192.0.2.8");
        unreachable.server = Some("10.0.0.5");
        unreachable.cause = Some(Cause::AaaUnreachable);
        inc.apply(&unreachable);
        let mut up = down.clone();
        up.ts = at(240);
        up.server_state = Some(ServerState::Active);
        up.outcome = Outcome::Info;
        up.cause = None;
        inc.apply(&up);
        let s = &inc.servers()[0];
        assert_eq!(s.health, ServerHealth::Active);
        assert_eq!(s.group.as_deref(), Some("RAD"));
        assert_eq!(s.unreachable, 1);
        assert_eq!(s.transitions.len(), 2);
        assert_eq!(inc.totals().unattributed_failures, 1);
        assert_eq!(
            inc.user(&named("gus")).and_then(|u| u.last_cause),
            Some(Cause::AaaUnreachable)
        );
    }

    #[test]
    fn servers_groups_transitions_and_management_names_are_capped() {
        let mut inc = Incident::default();
        let mut mark = Event::new(Family::Headend, Outcome::Info);
        let addresses: Vec<String> = (0..SERVERS_CAP + 10)
            .map(|i| format!("10.9.{}.{}", i / 250, i % 250))
            .collect();
        let groups: Vec<String> = (0..GROUPS_CAP + 10).map(|i| format!("G{i}")).collect();
        for (i, a) in addresses.iter().enumerate() {
            mark.server = Some(a);
            mark.server_group = groups.get(i).map(String::as_str);
            inc.apply(&mark);
        }
        assert_eq!(inc.servers().len(), SERVERS_CAP);
        assert_eq!(inc.groups().len(), GROUPS_CAP);
        // One server flapping: the newest transitions are kept.
        mark.server = Some("10.9.0.0");
        mark.server_group = None;
        for i in 0..TRANSITIONS_CAP + 5 {
            mark.ts = at(i as i64);
            mark.server_state = Some(if i % 2 == 0 {
                ServerState::Failed
            } else {
                ServerState::Active
            });
            inc.apply(&mark);
        }
        let s = &inc.servers()[0];
        assert_eq!(s.transitions.len(), TRANSITIONS_CAP);
        assert_eq!(
            s.transitions.last().map(|t| t.0),
            Some(at(TRANSITIONS_CAP as i64 + 4))
        );
        // Management names past the cap share a row; the totals stay exact.
        let names: Vec<String> = (0..MANAGEMENT_USERS_CAP + 3)
            .map(|i| format!("adm{i}"))
            .collect();
        for n in &names {
            inc.apply(&ev(0, "605004", Outcome::Info, n, "192.0.2.30"));
        }
        let m = inc.management();
        assert_eq!(m.failures as usize, MANAGEMENT_USERS_CAP + 3);
        assert_eq!(m.users.len(), MANAGEMENT_USERS_CAP + 1);
        assert_eq!(m.users.get(OTHER_MANAGEMENT_USERS), Some(&(3, 0)));
    }

    #[test]
    fn management_logins_are_counted_apart() {
        let mut inc = Incident::default();
        let mut denied = ev(0, "605004", Outcome::Info, "admin", "192.0.2.30");
        denied.reason = Some("Login denied");
        inc.apply(&denied);
        inc.apply(&ev(5, "611102", Outcome::Info, "admin", "192.0.2.30"));
        inc.apply(&ev(9, "611101", Outcome::Info, "admin", "192.0.2.30"));
        inc.apply(&ev(9, "605005", Outcome::Info, "admin", "192.0.2.30"));
        inc.apply(&ev(20, "611103", Outcome::Info, "admin", "192.0.2.30"));
        let m = inc.management();
        assert_eq!((m.failures, m.successes), (2, 2));
        assert_eq!(m.users.get("admin"), Some(&(2, 2)));
        assert_eq!(m.last_failure, at(5));
        assert_eq!(inc.totals().failures, 0);
        assert_eq!(inc.totals().successes, 0);
        assert!(inc.user(&named("admin")).is_none(), "not a VPN user");
    }

    #[test]
    fn group_unreachable_is_kept_per_group_and_is_not_an_attempt() {
        let mut inc = Incident::default();
        let mut fallback = ev(0, "409023", Outcome::Failure, "max", "192.0.2.31");
        fallback.client_ip = None;
        fallback.server_group = Some("CORP-RAD");
        fallback.cause = Some(Cause::AaaUnreachable);
        inc.apply(&fallback);
        inc.apply(&fallback);
        assert_eq!(inc.groups().len(), 1);
        assert_eq!(inc.groups()[0].name, "CORP-RAD");
        assert_eq!(inc.groups()[0].unreachable, 2);
        assert!(inc.servers().is_empty(), "409023 names no server");
        assert_eq!(inc.recent(5).unreachable, 2);
        assert_eq!(inc.totals().failures, 0);
        assert_eq!(inc.user(&named("max")).map(|s| s.failures), Some(0));
    }
}
