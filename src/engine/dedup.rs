//! One headend line that arrives through two sources (the syslog relay and
//! the file the ASA also writes, or a file and a store's export of it) is
//! one event: it must count once, not twice.
//!
//! **The same line.** Two headend events are copies of one line when they
//! have the same host (both absent counts as the same), the same message
//! id, the same time to the second and the same message body (the text
//! after the message id, which the relay does not touch; the syslog header
//! before it is what relays rewrite). Lines whose time is the time they
//! were read ([`TimeFrom::Read`]) are never compared: two sources read the
//! same line at different times, and different lines at the same time.
//!
//! **Repeats within a source still count.** The same key may legitimately
//! occur twice in one log (a user failing twice within one second). Each
//! source's occurrences of a key are counted; the key counts as many
//! times as the source that has it most often: the `n`-th occurrence in a
//! source is a duplicate when another source already had `n` of them.
//! This rule gives the same total whatever order the sources are read in
//! (one file after another, as `scan` does, or interleaved, as the
//! dashboard does), so every output agrees.
//!
//! Only events the engine applies one by one are compared (those for which
//! [`super::Incident::only_counts`] does not hold: failures, logins,
//! session ends, server states); traffic lines are only counted anyway.
//!
//! **Bounded.** The table keeps at most [`DEDUP_KEYS_CAP`] keys, the
//! oldest forgotten first (a copy of a forgotten line then counts again;
//! [`Dedup::forgotten`] says how many keys went), and tracks the first
//! [`DEDUP_LANES`] headend sources that deliver such events (lines of
//! later sources are counted as they come).

use std::collections::VecDeque;

use super::hashing::HashMap;
use crate::vocab::{Event, Family, SourceId, TimeFrom};

/// Keys remembered (about 30 bytes each with the map's overhead).
pub const DEDUP_KEYS_CAP: usize = 1 << 18;

/// Headend sources compared.
pub const DEDUP_LANES: usize = 4;

/// Occurrences of one key, per source lane.
#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    per_lane: [u16; DEDUP_LANES],
}

/// The table of recent headend lines by key; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct Dedup {
    /// Off until two headend sources are known: one source has no copies.
    enabled: bool,
    lanes: Vec<SourceId>,
    keys: HashMap<u64, Seen>,
    order: VecDeque<u64>,
    forgotten: u64,
}

impl Dedup {
    /// A table that compares lines when `headend_sources` is two or more.
    pub fn for_headend_sources(headend_sources: usize) -> Self {
        Dedup {
            enabled: headend_sources >= 2,
            ..Dedup::default()
        }
    }

    /// Whether lines are compared (two or more headend sources).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Keys forgotten to stay within [`DEDUP_KEYS_CAP`].
    pub fn forgotten(&self) -> u64 {
        self.forgotten
    }

    /// Notes `ev` from `source`; true when it is a copy of a line another
    /// source already delivered (count it no more).
    pub fn is_copy(&mut self, source: SourceId, ev: &Event) -> bool {
        if !self.enabled {
            return false;
        }
        let Some(key) = key(ev) else {
            return false;
        };
        let lane = match self.lanes.iter().position(|s| *s == source) {
            Some(l) => l,
            None if self.lanes.len() < DEDUP_LANES => {
                self.lanes.push(source);
                self.lanes.len() - 1
            }
            None => return false,
        };
        if !self.keys.contains_key(&key) {
            if self.order.len() >= DEDUP_KEYS_CAP
                && let Some(old) = self.order.pop_front()
            {
                self.keys.remove(&old);
                self.forgotten += 1;
            }
            self.order.push_back(key);
        }
        let seen = self.keys.entry(key).or_default();
        let most = seen.per_lane.iter().copied().max().unwrap_or(0);
        let Some(mine) = seen.per_lane.get_mut(lane) else {
            return false;
        };
        *mine = mine.saturating_add(1);
        // `most` counts another lane's occurrences whenever it reaches this
        // one's new count (this lane had one fewer before).
        *mine <= most
    }
}

/// `N lines delivered twice, counted once` when copies were folded, and
/// a warning when the table forgot lines (`forgotten` keys, see
/// [`Dedup::forgotten`]): the words the header, `scan` and `report` use.
pub fn folded(n: u64, forgotten: u64) -> Option<String> {
    let mut s = (n > 0).then(|| {
        format!(
            "{}, counted once",
            crate::plural::count(n, "line delivered twice", "lines delivered twice")
        )
    });
    if forgotten > 0 {
        let warn = format!(
            "⚠ copies of lines older than the last {} compared may count twice",
            crate::engine::thousands(DEDUP_KEYS_CAP as u64)
        );
        s = Some(match s {
            Some(s) => format!("{s} ({warn})"),
            None => warn,
        });
    }
    s
}

/// The key of a headend line that can have a copy: host, message id,
/// second and body, hashed. `None` for lines that are not compared.
fn key(ev: &Event) -> Option<u64> {
    if ev.family != Family::Headend || ev.ts_from == TimeFrom::Read {
        return None;
    }
    let (ts, msg_id, body) = (ev.ts?, ev.msg_id?, ev.body?);
    Some(super::hashing::identity(&(
        ev.host,
        msg_id,
        ts.as_second(),
        body.trim_end(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Outcome;

    fn line<'a>(host: &'a str, second: i64, body: &'a str) -> Event<'a> {
        let mut ev = Event::new(Family::Headend, Outcome::Failure);
        ev.host = Some(host);
        ev.msg_id = Some("113005");
        ev.ts = jiff::Timestamp::from_second(1_800_000_000 + second).ok();
        ev.body = Some(body);
        ev
    }

    const A: SourceId = SourceId(0);
    const B: SourceId = SourceId(1);

    #[test]
    fn a_copy_from_another_source_is_folded_in_either_order() {
        let ev = line("fw", 0, "AAA user authentication Rejected : user = ann");
        let mut d = Dedup::for_headend_sources(2);
        assert!(!d.is_copy(A, &ev));
        assert!(d.is_copy(B, &ev));
        let mut d = Dedup::for_headend_sources(2);
        assert!(!d.is_copy(B, &ev));
        assert!(d.is_copy(A, &ev));
    }

    #[test]
    fn repeats_within_a_source_count_as_often_as_the_fuller_source_has_them() {
        let ev = line("fw", 0, "AAA user authentication Rejected : user = ann");
        let mut d = Dedup::for_headend_sources(2);
        // The file has the line twice (two real attempts in one second),
        // the relay delivered it twice and then a third time.
        let copies: Vec<bool> = [A, A, B, B, B].iter().map(|s| d.is_copy(*s, &ev)).collect();
        assert_eq!(copies, [false, false, true, true, false]);
        // Interleaved the same lines give the same total.
        let mut d = Dedup::for_headend_sources(2);
        let counted = [B, A, B, A, B]
            .iter()
            .filter(|s| !d.is_copy(**s, &ev))
            .count();
        assert_eq!(counted, 3);
    }

    #[test]
    fn another_host_second_id_or_body_is_another_line() {
        let base = line("fw", 0, "x : user = ann");
        let mut d = Dedup::for_headend_sources(2);
        assert!(!d.is_copy(A, &base));
        let mut id = base.clone();
        id.msg_id = Some("113015");
        let mut read = base.clone();
        read.ts_from = TimeFrom::Read;
        let mut auth = base.clone();
        auth.family = Family::AuthServer;
        for other in [
            line("fw2", 0, "x : user = ann"),
            line("fw", 1, "x : user = ann"),
            line("fw", 0, "x : user = bo"),
            id,
            read,
            auth,
        ] {
            assert!(!d.is_copy(B, &other), "{other:?}");
        }
        // The same second with a fraction is the same second.
        let mut frac = base.clone();
        frac.ts = base.ts.map(|t| t + jiff::SignedDuration::from_millis(400));
        assert!(d.is_copy(B, &frac));
    }

    #[test]
    fn one_source_has_no_copies_and_the_table_is_bounded() {
        let ev = line("fw", 0, "x");
        let mut one = Dedup::for_headend_sources(1);
        assert!(!one.is_copy(A, &ev));
        assert!(!one.is_copy(B, &ev));
        let mut d = Dedup::for_headend_sources(2);
        let bodies: Vec<String> = (0..DEDUP_KEYS_CAP + 10).map(|i| format!("b{i}")).collect();
        for b in &bodies {
            d.is_copy(A, &line("fw", 0, b));
        }
        assert_eq!(d.keys.len(), DEDUP_KEYS_CAP);
        assert_eq!(d.forgotten(), 10);
        assert_eq!(
            folded(3, 10).as_deref(),
            Some(
                "3 lines delivered twice, counted once (⚠ copies of lines older than the last 262,144 compared may count twice)"
            )
        );
        assert_eq!(folded(0, 0), None);
        // The oldest is forgotten (counts again), the newest is known.
        assert!(!d.is_copy(B, &line("fw", 0, &bodies[0])));
        assert!(d.is_copy(B, &line("fw", 0, &bodies[DEDUP_KEYS_CAP + 9])));
    }
}
