//! Where a block's events go. With more than one worker, a block's
//! events wait in its [`Shipment`] to be applied when the block is due, by
//! the calling thread (see `super::order`); a lone reader applies them to
//! the incident at once. Both go through [`Sink`], so the incident gets
//! the same calls either way.
//!
//! An event parsed from a line of the file's memory map is kept as it is:
//! its text fields are slices of the map, which lives until every block is
//! applied; a block's pages are released after it is applied (see
//! [`Release`](crate::source::mapped::Release)), but for a page it shares
//! with the next block when blocks are not a whole number of pages, and a
//! released page reads back from the file, unchanged while the file is
//! (see `source::mapped` on a file that changes while it is read). Only an
//! event whose text lives in a buffer that will be reused (a read piece, a
//! line joined from two pieces, a line that was not UTF-8) is copied out
//! into the block's arena.

use jiff::Timestamp;

use crate::engine::Incident;
use crate::vocab::{Cause, Event, Family, Outcome, Role, ServerState, TimeFrom};

/// An event of a block, waiting for its turn.
#[derive(Clone, Debug)]
pub(super) struct Shipped<'m> {
    /// Events before this one that only count (see [`Incident::only_counts`]).
    counted_before: u64,
    pub(super) kept: Kept<'m>,
}

/// How a waiting event is kept.
#[derive(Clone, Debug)]
pub(super) enum Kept<'m> {
    /// Parsed from a line of the file's map, as it is.
    Mapped(Event<'m>),
    /// Copied out of a buffer that is reused.
    Copied(Copied),
}

/// An event copied out of its line: text fields are ranges of the block's
/// arena.
#[derive(Clone, Debug)]
pub(super) struct Copied {
    family: Family,
    ts: Option<Timestamp>,
    outcome: Outcome,
    cause: Option<Cause>,
    server_state: Option<ServerState>,
    role: Role,
    ts_from: TimeFrom,
    host: Span,
    msg_id: Span,
    user: Span,
    client_ip: Span,
    group: Span,
    server: Span,
    server_group: Span,
    reason: Span,
    trace_session: Span,
    /// The message body: a copy of a headend line that another source also
    /// delivered is known by it (see `engine::dedup`).
    body: Span,
}

type Span = Option<(u32, u32)>;

/// Where the events of a block go, in line order: kept in the block's
/// [`Shipment`] for the thread that applies the blocks (see
/// [`super::order::Lead`]) when workers read, or straight into the
/// incident when the calling thread reads alone (there is no other thread
/// to hand them to, and copying them out and back cost an eighth of the
/// relevant lines' instructions). Both get the same calls, so the incident
/// is the same either way. `'m` is the life of the file's memory map.
pub(super) trait Sink<'m> {
    /// `counted` events that only count, then `ev`, parsed from `line`,
    /// a buffer that may be reused once this returns.
    /// The counted events' times are not needed: `ev` takes their place in
    /// the engine's clock (see [`Incident::latest`]).
    fn event(&mut self, counted: u64, ev: &Event, line: &str);

    /// [`event`](Self::event) for an event parsed from a line of the
    /// file's memory map: its text lives as long as the map.
    fn mapped_event(&mut self, counted: u64, ev: Event<'m>);
}

impl Sink<'_> for &mut Incident {
    fn event(&mut self, counted: u64, ev: &Event, _line: &str) {
        self.count_events(counted, None);
        self.apply(ev);
    }

    fn mapped_event(&mut self, counted: u64, ev: Event) {
        self.event(counted, &ev, "");
    }
}

/// A block's events, to be applied in turn; `arena` holds the text of
/// those that were copied.
#[derive(Debug, Default)]
pub(super) struct Shipment<'m> {
    pub(super) arena: String,
    pub(super) events: Vec<Shipped<'m>>,
}

impl<'m> Shipment<'m> {
    /// Copies `s` to the end of the arena.
    fn store(&mut self, s: &str) -> Span {
        let start = self.arena.len();
        self.arena.push_str(s);
        Some((arena_offset(start), arena_offset(self.arena.len())))
    }

    /// `s`, a field of an event parsed from `line`, whose copy starts at
    /// `line_at` in the arena: its range in that copy when it is a slice of
    /// the line (nearly every field is), else a copy of its own.
    fn store_from(&mut self, s: Option<&str>, line: &str, line_at: usize) -> Span {
        let s = s?;
        // Where `s` starts in `line`, when it starts inside it.
        let offset = (s.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
        if offset <= line.len() && s.len() <= line.len() - offset {
            let start = line_at + offset;
            return Some((arena_offset(start), arena_offset(start + s.len())));
        }
        self.store(s)
    }

    /// Ships `ev`, parsed from `line`, a buffer that will be reused: the
    /// line is copied once, and the event's text fields become ranges of
    /// that copy (one copy per event rather than one per field).
    fn take(&mut self, counted: u64, ev: &Event, line: &str) {
        // Destructured in full so that a new field cannot be forgotten here.
        let Event {
            family,
            ts,
            host,
            msg_id,
            outcome,
            cause,
            user,
            client_ip,
            group,
            server,
            server_group,
            server_state,
            reason,
            role,
            trace_session,
            ts_from,
            body,
        } = *ev;
        let line_at = self.arena.len();
        self.arena.push_str(line);
        let copied = Copied {
            family,
            ts,
            outcome,
            cause,
            server_state,
            role,
            ts_from,
            host: self.store_from(host, line, line_at),
            msg_id: self.store_from(msg_id, line, line_at),
            user: self.store_from(user, line, line_at),
            client_ip: self.store_from(client_ip, line, line_at),
            group: self.store_from(group, line, line_at),
            server: self.store_from(server, line, line_at),
            server_group: self.store_from(server_group, line, line_at),
            reason: self.store_from(reason, line, line_at),
            trace_session: self.store_from(trace_session, line, line_at),
            body: self.store_from(body, line, line_at),
        };
        self.events.push(Shipped {
            counted_before: counted,
            kept: Kept::Copied(copied),
        });
    }

    /// Applies the shipped events to the incident, in line order.
    pub(super) fn apply(&self, incident: &mut Incident) {
        let get = |span: Span| span.and_then(|(s, e)| self.arena.get(s as usize..e as usize));
        for Shipped {
            counted_before,
            kept,
        } in &self.events
        {
            incident.count_events(*counted_before, None);
            let s = match kept {
                Kept::Mapped(ev) => {
                    incident.apply(ev);
                    continue;
                }
                Kept::Copied(s) => s,
            };
            let ev = Event {
                family: s.family,
                ts: s.ts,
                host: get(s.host),
                msg_id: get(s.msg_id),
                outcome: s.outcome,
                cause: s.cause,
                user: get(s.user),
                client_ip: get(s.client_ip),
                group: get(s.group),
                server: get(s.server),
                server_group: get(s.server_group),
                server_state: s.server_state,
                reason: get(s.reason),
                role: s.role,
                trace_session: get(s.trace_session),
                ts_from: s.ts_from,
                body: get(s.body),
            };
            incident.apply(&ev);
        }
    }
}

impl<'m> Sink<'m> for Shipment<'m> {
    fn event(&mut self, counted: u64, ev: &Event, line: &str) {
        self.take(counted, ev, line);
    }

    fn mapped_event(&mut self, counted: u64, ev: Event<'m>) {
        self.events.push(Shipped {
            counted_before: counted,
            kept: Kept::Mapped(ev),
        });
    }
}

/// An arena offset as shipped. Blocks are a few MiB, far from 4 GiB;
/// saturate rather than panic.
fn arena_offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shipped_event_reads_back_its_fields_whether_or_not_they_are_slices_of_its_line() {
        let line = "fw1 : %ASA-6-113021: Attempted console login failed. User eve did NOT have appropriate Admin Rights.";
        let ev = Event {
            host: line.get(..3),
            user: line.find("eve").and_then(|at| line.get(at..at + 3)),
            // Text of the parser's own, not of the line.
            reason: Some("Attempted console login failed"),
            body: line.get(line.len()..),
            ..Event::new(Family::Headend, Outcome::Failure)
        };
        let mut r = Shipment::default();
        r.arena.push_str("an earlier event's line");
        r.take(0, &ev, line);
        let Some(Shipped {
            kept: Kept::Copied(shipped),
            ..
        }) = r.events.last()
        else {
            panic!("a line of a reused buffer is copied");
        };
        let get = |span: Span| span.and_then(|(s, e)| r.arena.get(s as usize..e as usize));
        assert_eq!(get(shipped.host), Some("fw1"));
        assert_eq!(get(shipped.user), Some("eve"));
        assert_eq!(get(shipped.reason), Some("Attempted console login failed"));
        assert_eq!(
            get(shipped.body),
            Some(""),
            "an empty slice at the line's end"
        );
        assert_eq!(get(shipped.group), None);
        let line_at = "an earlier event's line".len();
        assert_eq!(
            shipped.host,
            Some((line_at as u32, line_at as u32 + 3)),
            "a range of the line's one copy"
        );
        assert_eq!(
            r.arena.len(),
            line_at + line.len() + "Attempted console login failed".len()
        );
    }
}
