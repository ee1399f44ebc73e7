//! Password spray: many user names failing from one client address (or
//! many addresses failing on one name) in a short time is an attack, not an
//! outage, and must not read as one.
//!
//! Thresholds (both sides tested):
//!
//! * an address from which at least [`SPRAY_MIN_NAMES`] distinct user names
//!   failed within [`SPRAY_WINDOW`] is a **spray source**. From then on its
//!   failed attempts, and the ones within the window that made it one, are
//!   counted apart under the pseudo-user `(spray) <address>`, not under the
//!   names tried: they do not make users "failing", do not count towards
//!   `isolated` / `widespread`, and stay out of the cause tally behind the
//!   suggested step. An address that stays quiet for [`SPRAY_WINDOW`] is
//!   watched afresh.
//! * a user name that failed from at least [`SPRAY_MIN_ADDRESSES`] distinct
//!   addresses within [`SPRAY_WINDOW`] is **under attack** (a distributed
//!   guess at one account): its attempts stay under its name, but the name
//!   is left out of the verdict and the cause tally likewise.
//!
//! Either makes the scope verdict `attack` (see [`super::scope`]) unless
//! the infrastructure is broken or real users fail widely.
//!
//! Memory is bounded: per address and per name only the attempts of the
//! last window are kept, at most a few times the threshold, and idle
//! entries are dropped when the maps grow.

use std::collections::VecDeque;

use jiff::{SignedDuration, Timestamp};

use super::hashing::HashMap;

/// The window in which the names (or addresses) are counted.
pub const SPRAY_WINDOW: SignedDuration = SignedDuration::from_mins(5);
/// Distinct user names failing from one address within the window that make
/// it a spray source. A shared NAT address of an office sees a few users
/// mistype in five minutes, not ten.
pub const SPRAY_MIN_NAMES: usize = 10;
/// Distinct addresses failing on one user name within the window that put
/// the name under attack. A travelling user changes address a few times a
/// day, not ten times in five minutes.
pub const SPRAY_MIN_ADDRESSES: usize = 10;

/// Entries kept per address or name: enough to see the threshold, bounded.
const TRACK_CAP: usize = 4 * SPRAY_MIN_NAMES;
/// Map size above which idle entries are first dropped.
const PRUNE_ABOVE: usize = 4096;

/// One failed attempt as the detector remembers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tried<C> {
    pub ts: Option<Timestamp>,
    /// The user slot the attempt was counted for.
    pub user: usize,
    /// Which name was tried: distinct names make a spray. The slot for a
    /// user tracked one by one; past the cap on tracked users many names
    /// share one slot, so the caller gives each its own identity.
    pub name: u64,
    /// What the caller needs to move the attempt (its cause).
    pub cause: C,
}

#[derive(Clone, Debug)]
struct AddressTrack<C> {
    recent: VecDeque<Tried<C>>,
    /// Set once the address is a spray source.
    source: bool,
    last: Option<Timestamp>,
}

#[derive(Clone, Debug, Default)]
struct NameTrack {
    recent: VecDeque<(Option<Timestamp>, String)>,
    attacked: bool,
    last: Option<Timestamp>,
}

/// What [`Spray::failed`] decided about one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen<C> {
    /// An ordinary attempt: count it for its user.
    Ordinary,
    /// From a spray source: count it under `(spray) <address>`.
    Spray,
    /// This attempt made the address a spray source: count it under
    /// `(spray) <address>`, and move these earlier attempts there too.
    BecameSpray(Vec<Tried<C>>),
}

/// The detector; `C` is the cause type the caller moves attempts with.
#[derive(Clone, Debug)]
pub struct Spray<C> {
    addresses: HashMap<String, AddressTrack<C>>,
    names: HashMap<u64, NameTrack>,
    /// Map sizes at which idle entries are next dropped: twice what was
    /// left after the last pruning, so pruning costs O(1) per attempt
    /// amortised even when every address is active.
    prune_addresses_at: usize,
    prune_names_at: usize,
}

impl<C> Default for Spray<C> {
    fn default() -> Self {
        Spray {
            addresses: HashMap::default(),
            names: HashMap::default(),
            prune_addresses_at: PRUNE_ABOVE,
            prune_names_at: PRUNE_ABOVE,
        }
    }
}

fn idle(last: Option<Timestamp>, ts: Option<Timestamp>) -> bool {
    matches!((last, ts), (Some(l), Some(t)) if t.duration_since(l) > SPRAY_WINDOW)
}

fn in_window(ts: Option<Timestamp>, now: Option<Timestamp>) -> bool {
    match (ts, now) {
        (Some(t), Some(n)) => n.duration_since(t) <= SPRAY_WINDOW,
        _ => true,
    }
}

impl<C: Copy> Spray<C> {
    /// A failed attempt of the named user in slot `user` from `address`.
    pub fn failed(&mut self, address: &str, attempt: Tried<C>) -> Seen<C> {
        self.note_name(attempt.name, address, attempt.ts);
        if self.addresses.len() > self.prune_addresses_at {
            let ts = attempt.ts;
            self.addresses.retain(|_, t| !idle(t.last, ts));
            self.prune_addresses_at = (2 * self.addresses.len()).max(PRUNE_ABOVE);
        }
        let track = match self.addresses.get_mut(address) {
            Some(t) => t,
            None => self
                .addresses
                .entry(address.to_string())
                .or_insert_with(|| AddressTrack {
                    recent: VecDeque::new(),
                    source: false,
                    last: None,
                }),
        };
        if idle(track.last, attempt.ts) {
            track.source = false;
            track.recent.clear();
        }
        track.last = attempt.ts.or(track.last);
        if track.source {
            return Seen::Spray;
        }
        track.recent.retain(|t| in_window(t.ts, attempt.ts));
        if track.recent.len() >= TRACK_CAP {
            track.recent.pop_front();
        }
        track.recent.push_back(attempt);
        // Distinct names among at most TRACK_CAP entries, on the stack: this
        // runs for every failed attempt.
        let mut users = [0u64; TRACK_CAP];
        let n = track.recent.len().min(TRACK_CAP);
        for (slot, t) in users.iter_mut().zip(&track.recent) {
            *slot = t.name;
        }
        let users = &mut users[..n];
        users.sort_unstable();
        let distinct = usize::from(n > 0) + users.windows(2).filter(|w| w[0] != w[1]).count();
        if distinct < SPRAY_MIN_NAMES {
            return Seen::Ordinary;
        }
        track.source = true;
        let mut earlier: Vec<Tried<C>> = track.recent.drain(..).collect();
        earlier.pop(); // this attempt: the caller counts it
        Seen::BecameSpray(earlier)
    }

    fn note_name(&mut self, user: u64, address: &str, ts: Option<Timestamp>) {
        if self.names.len() > self.prune_names_at {
            self.names.retain(|_, t| t.attacked || !idle(t.last, ts));
            self.prune_names_at = (2 * self.names.len()).max(PRUNE_ABOVE);
        }
        let track = self.names.entry(user).or_default();
        if idle(track.last, ts) {
            track.attacked = false;
            track.recent.clear();
        }
        track.last = ts.or(track.last);
        track.recent.retain(|(t, _)| in_window(*t, ts));
        if !track.recent.iter().any(|(_, a)| a == address) {
            if track.recent.len() >= TRACK_CAP {
                track.recent.pop_front();
            }
            track.recent.push_back((ts, address.to_string()));
        }
        if track.recent.len() >= SPRAY_MIN_ADDRESSES {
            track.attacked = true;
        }
    }

    /// Whether the user in this slot is under attack from many addresses
    /// (and not quiet for a window since, as of `now`).
    pub fn attacked(&self, user: usize, now: Option<Timestamp>) -> bool {
        self.names
            .get(&(user as u64))
            .is_some_and(|t| t.attacked && !idle(t.last, now))
    }

    /// Users under attack as of `now`, with the addresses seen on them in
    /// the window.
    /// Names given no slot of their own ([`Tried::name`]) are left out.
    pub fn attacked_users(&self, now: Option<Timestamp>) -> Vec<(usize, usize)> {
        let mut v: Vec<(usize, usize)> = self
            .names
            .iter()
            .filter(|(_, t)| t.attacked && !idle(t.last, now))
            .filter_map(|(&u, t)| Some((usize::try_from(u).ok()?, t.recent.len())))
            .collect();
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Option<Timestamp> {
        Timestamp::from_second(1_800_000_000 + secs).ok()
    }

    fn tried(secs: i64, user: usize) -> Tried<()> {
        Tried {
            ts: at(secs),
            name: user as u64,
            user,
            cause: (),
        }
    }

    #[test]
    fn an_address_becomes_a_source_at_the_threshold_of_names() {
        let mut s = Spray::default();
        for u in 0..SPRAY_MIN_NAMES - 1 {
            assert_eq!(s.failed("198.51.100.9", tried(u as i64, u)), Seen::Ordinary);
        }
        // The same names again do not make it a spray.
        assert_eq!(s.failed("198.51.100.9", tried(20, 0)), Seen::Ordinary);
        match s.failed("198.51.100.9", tried(21, 99)) {
            Seen::BecameSpray(earlier) => assert_eq!(earlier.len(), SPRAY_MIN_NAMES),
            other => panic!("{other:?}"),
        }
        assert_eq!(s.failed("198.51.100.9", tried(22, 100)), Seen::Spray);
        // Another address is not affected.
        assert_eq!(s.failed("198.51.100.10", tried(22, 1)), Seen::Ordinary);
    }

    #[test]
    fn names_spread_wider_than_the_window_are_not_a_spray() {
        let mut s = Spray::default();
        // One new name every 40 s: never ten within five minutes.
        for u in 0..30 {
            assert_eq!(
                s.failed("198.51.100.9", tried(u as i64 * 40, u)),
                Seen::Ordinary,
                "name {u}"
            );
        }
    }

    #[test]
    fn a_quiet_source_is_watched_afresh() {
        let mut s = Spray::default();
        for u in 0..SPRAY_MIN_NAMES {
            s.failed("198.51.100.9", tried(0, u));
        }
        assert_eq!(s.failed("198.51.100.9", tried(1, 50)), Seen::Spray);
        let quiet = SPRAY_WINDOW.as_secs() + 2;
        assert_eq!(s.failed("198.51.100.9", tried(quiet, 51)), Seen::Ordinary);
    }

    #[test]
    fn idle_addresses_are_dropped_as_the_map_grows() {
        let mut s = Spray::default();
        let n = PRUNE_ABOVE + 10;
        for i in 0..n {
            s.failed(&format!("early{i}"), tried(0, 1));
        }
        // An hour later as many new addresses: the idle early ones go when
        // the map has doubled, so it stays near the active ones.
        for i in 0..n {
            s.failed(&format!("late{i}"), tried(3600, 2));
        }
        assert!(s.addresses.len() <= n, "{}", s.addresses.len());
        assert!(s.addresses.keys().all(|a| a.starts_with("late")));
    }

    #[test]
    fn a_name_is_under_attack_at_the_threshold_of_addresses() {
        let mut s = Spray::default();
        for a in 0..SPRAY_MIN_ADDRESSES - 1 {
            s.failed(&format!("203.0.113.{a}"), tried(a as i64, 7));
        }
        assert!(!s.attacked(7, at(10)));
        s.failed("203.0.113.200", tried(10, 7));
        assert!(s.attacked(7, at(10)));
        assert_eq!(s.attacked_users(at(10)), [(7, SPRAY_MIN_ADDRESSES)]);
        assert!(
            !s.attacked(7, at(10 + SPRAY_WINDOW.as_secs() + 1)),
            "quiet since"
        );
    }
}
