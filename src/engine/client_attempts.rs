//! Which client failure lines open a failed client attempt, and which are
//! its follow-on lines.
//!
//! One failed login leaves several lines on the laptop within a second or
//! two: what the user was told (`Login failed.`, `Connection attempt has
//! failed.`), the return-code trace that states the cause, a second message.
//! Only the first opens an attempt (one `✖`); the others, within
//! [`ATTEMPT_WINDOW`] of it on the same laptop, are context and are shown
//! muted. The same window merges them when the client log is the only
//! record of the attempts (see `Incident::apply_failure`), so the panes and
//! the counts agree.

use jiff::Timestamp;

use super::hashing::HashMap;
use super::incident::ATTEMPT_WINDOW;
use crate::vocab::{Event, Family, Outcome};

/// Laptops tracked at once; past this the oldest half is forgotten (a
/// hostile log naming a million hosts must not grow memory).
const HOSTS_CAP: usize = 4096;

/// The start of the open attempt on each laptop.
#[derive(Clone, Debug, Default)]
pub struct ClientAttempts {
    open: HashMap<String, Timestamp>,
}

impl ClientAttempts {
    /// Whether `ev`, a line at `ts`, is a follow-on line of a client attempt
    /// already opened (`false` for any line that is not a client failure,
    /// and for a failure that opens a new attempt).
    pub fn follow_on(&mut self, ev: &Event, ts: Option<Timestamp>) -> bool {
        if ev.family != Family::Client || ev.outcome != Outcome::Failure {
            return false;
        }
        // The laptop, else the user it names; one bundle is one laptop.
        let key = ev.host.or(ev.user).unwrap_or("");
        let Some(ts) = ts else {
            // No time to measure the window with: each line stands alone.
            return false;
        };
        if let Some(start) = self.open.get(key)
            && ts >= *start
            && ts.duration_since(*start) <= ATTEMPT_WINDOW
        {
            return true;
        }
        if self.open.len() >= HOSTS_CAP && !self.open.contains_key(key) {
            let mut starts: Vec<Timestamp> = self.open.values().copied().collect();
            starts.sort_unstable();
            let cut = starts[starts.len() / 2];
            self.open.retain(|_, t| *t > cut);
        }
        self.open.insert(key.to_string(), ts);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Cause;

    fn fail<'a>(host: Option<&'a str>, secs: i64) -> (Event<'a>, Option<Timestamp>) {
        let mut ev = Event::new(Family::Client, Outcome::Failure);
        ev.host = host;
        ev.cause = Some(Cause::Other);
        let ts = Timestamp::from_second(1_800_000_000 + secs).ok();
        ev.ts = ts;
        (ev, ts)
    }

    #[test]
    fn lines_of_one_attempt_open_it_once() {
        let mut c = ClientAttempts::default();
        let seen: Vec<bool> = [0, 0, 1, 5, 6, 30]
            .into_iter()
            .map(|s| {
                let (ev, ts) = fail(Some("lt-1"), s);
                c.follow_on(&ev, ts)
            })
            .collect();
        // 0 opens; 0, 1 and 5 (inside the window) follow; 6 and 30 open anew.
        assert_eq!(seen, [false, true, true, true, false, false]);
    }

    #[test]
    fn laptops_are_apart_and_other_lines_never_follow() {
        let mut c = ClientAttempts::default();
        let (a, ts) = fail(Some("lt-1"), 0);
        assert!(!c.follow_on(&a, ts));
        let (b, ts) = fail(Some("lt-2"), 1);
        assert!(!c.follow_on(&b, ts), "another laptop opens its own attempt");
        let mut info = Event::new(Family::Client, Outcome::Info);
        info.host = Some("lt-1");
        assert!(!c.follow_on(&info, ts));
        let mut head = Event::new(Family::Headend, Outcome::Failure);
        head.host = Some("lt-1");
        assert!(!c.follow_on(&head, ts));
    }

    #[test]
    fn hosts_are_bounded() {
        let mut c = ClientAttempts::default();
        for i in 0..(HOSTS_CAP * 3) {
            let host = format!("h{i}");
            let (ev, ts) = fail(Some(&host), i as i64);
            c.follow_on(&ev, ts);
        }
        assert!(c.open.len() <= HOSTS_CAP);
    }
}
