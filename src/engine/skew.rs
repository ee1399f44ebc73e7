//! Doubt about the join: auth-server failures and headend attempts both
//! seen for a while, and not one of them joined. Usually the two logs'
//! clocks disagree (a skewed clock, or a headend logging local time without
//! a zone, see `--tz`), and the auth server's reasons are then silently
//! missing from every attempt; the header and `scan` say so.

use jiff::{SignedDuration, Timestamp};

/// How long (log time) both sides must have been seen without a single
/// join before the warning shows.
pub const UNJOINED_AFTER: SignedDuration = SignedDuration::from_mins(10);

/// Counts for [`JoinWatch::suspect`].
#[derive(Clone, Debug, Default)]
pub struct JoinWatch {
    first_verdict: Option<Timestamp>,
    first_attempt: Option<Timestamp>,
    joins: u64,
}

impl JoinWatch {
    /// An auth-server failure verdict at `ts`.
    pub fn verdict(&mut self, ts: Option<Timestamp>) {
        self.first_verdict = earliest(self.first_verdict, ts);
    }

    /// A headend attempt at `ts`.
    pub fn attempt(&mut self, ts: Option<Timestamp>) {
        self.first_attempt = earliest(self.first_attempt, ts);
    }

    /// An attempt and a verdict met.
    pub fn joined(&mut self) {
        self.joins += 1;
    }

    /// True when both sides have been seen for [`UNJOINED_AFTER`] of log
    /// time (counted from the later of their first times to `latest`) and
    /// nothing joined.
    pub fn suspect(&self, latest: Option<Timestamp>) -> bool {
        let (Some(v), Some(a), Some(latest)) = (self.first_verdict, self.first_attempt, latest)
        else {
            return false;
        };
        self.joins == 0 && latest.duration_since(v.max(a)) >= UNJOINED_AFTER
    }
}

fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The warning text, naming the auth-server sources by file name.
pub fn warning<'a>(auth_sources: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = auth_sources
        .into_iter()
        .map(|s| {
            std::path::Path::new(s)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or(s)
        })
        .collect();
    let names = if names.is_empty() {
        "the auth-server log".to_string()
    } else {
        names.join(", ")
    };
    format!("⚠ no headend attempt matched {names} — clock skew or zone?")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> Option<Timestamp> {
        Timestamp::from_second(1_800_000_000 + min * 60).ok()
    }

    #[test]
    fn suspect_only_after_ten_minutes_of_both_without_a_join() {
        let mut w = JoinWatch::default();
        w.attempt(t(0));
        assert!(!w.suspect(t(30)), "no auth-server verdict yet");
        w.verdict(t(60));
        assert!(!w.suspect(t(69)));
        assert!(w.suspect(t(70)));
        w.joined();
        assert!(!w.suspect(t(90)));
    }
}
