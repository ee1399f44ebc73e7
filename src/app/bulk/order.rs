//! Applying block results in file order on one thread, the calling one
//! ([`Lead`]), which reads blocks itself while none is due; the results
//! the other workers hand over ([`Handover`]); and the pool of results the
//! workers fill and the lead gives back ([`Pool`]), which bounds how many
//! blocks are in flight.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::{Condvar, Mutex};

use super::ship::Shipment;
use super::{BlockResult, BulkCounts, Shared, add};
use crate::engine::Incident;
use crate::source::mapped::Release;

/// A block's result as the workers fill it; `'m` is the life of the
/// file's map, whose text its events may hold.
type Filled<'m> = BlockResult<Shipment<'m>>;

/// Results read by the workers, waiting for the lead to apply them.
pub(super) struct Handover<'m> {
    state: Mutex<HandoverState<'m>>,
    /// Signalled when a result is handed over, or the scan stops.
    handed: Condvar,
}

#[derive(Default)]
struct HandoverState<'m> {
    /// Results that came before their turn, by block.
    waiting: BTreeMap<usize, io::Result<Filled<'m>>>,
    /// A thread panicked: the block a worker held may never come.
    stopped: bool,
    /// The lead waits for a result: only then does a hand-over wake it
    /// (a wake is a system call whether or not anyone waits).
    lead_waits: bool,
}

impl<'m> Handover<'m> {
    pub(super) fn new() -> Self {
        Handover {
            state: Mutex::new(HandoverState::default()),
            handed: Condvar::new(),
        }
    }

    /// Hands over block `i`'s result.
    pub(super) fn put(&self, i: usize, r: io::Result<Filled<'m>>) {
        // A poisoned lock means a thread panicked: the scope passes the
        // panic on; the state is still a map and a flag, so carry on.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.waiting.insert(i, r);
        if state.lead_waits {
            self.handed.notify_one();
        }
    }

    /// Block `i`'s result if it has been handed over.
    fn take(&self, i: usize) -> Option<io::Result<Filled<'m>>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.waiting.remove(&i)
    }

    /// Block `i`'s result, once it is handed over; `None` if the scan
    /// stops first.
    fn wait_for(&self, i: usize) -> Option<io::Result<Filled<'m>>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(r) = state.waiting.remove(&i) {
                return Some(r);
            }
            if state.stopped {
                return None;
            }
            state.lead_waits = true;
            state = self.handed.wait(state).unwrap_or_else(|e| e.into_inner());
            state.lead_waits = false;
        }
    }

    /// Wakes the lead with nothing: a thread panicked.
    fn stop(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.stopped = true;
        self.handed.notify_all();
    }
}

/// The calling thread of a scan with workers: it applies every block's
/// result to the incident, in file order, as soon as it is due, and reads
/// blocks itself while none is. The incident has one owner: no lock, the
/// progress is reported from the caller's thread, and the file's pages are
/// released in file order ([`Release`]). (The previous design, where
/// whichever worker held the due block applied it, took the same time
/// within the host's noise: BENCHMARKS.md, §16.24.)
pub(super) struct Lead<'i> {
    incident: &'i mut Incident,
    total: BulkCounts,
    progress: &'i mut dyn FnMut(u64),
    /// The next block to apply.
    want: usize,
    release: Release,
}

impl<'i> Lead<'i> {
    pub(super) fn new(incident: &'i mut Incident, progress: &'i mut dyn FnMut(u64)) -> Self {
        Lead {
            incident,
            total: BulkCounts::default(),
            progress,
            want: 0,
            release: Release::default(),
        }
    }

    /// Applies every block, reading blocks while none is due; the counts
    /// of the whole scan, or the first block's error.
    ///
    /// It never waits for a result of the pool: it waits only for the
    /// block that is due, and only when it holds no block unread. Every
    /// thread takes a result before a block number, and block numbers are
    /// taken in order. So when the pool has none free, every result is held
    /// by a worker (reading a block, or about to take a number) or waiting
    /// here (a block after the due one, or a failed read's error, which
    /// holds its place); the pool's cap is more than the other workers
    /// can hold, so one at least is waiting, and the due block was taken
    /// before it: it comes. When no block is left to take, every block has
    /// been taken: the due one comes too. (The caller stops everything
    /// when a thread panics, see [`StopOnPanic`].)
    pub(super) fn run(mut self, shared: &Shared<'_>) -> io::Result<BulkCounts> {
        let mut buf = Vec::new();
        while self.want < shared.blocks {
            // Every result that is due, as soon as it is.
            if let Some(r) = shared.handover.take(self.want) {
                self.apply(r, shared)?;
                continue;
            }
            // None is: read the next block, if one is left and a result
            // is free.
            if let Some(r) = shared.pool.try_take() {
                let i = shared.next.fetch_add(1, Ordering::Relaxed);
                if i < shared.blocks {
                    let r = shared.read(i, &mut buf, r);
                    if i == self.want {
                        self.apply(r, shared)?;
                    } else {
                        shared.handover.put(i, r);
                    }
                    continue;
                }
                shared.pool.give(r);
            }
            // Else wait for the due one. `None`: a thread panicked, and the
            // scope passes its panic on.
            match shared.handover.wait_for(self.want) {
                Some(r) => self.apply(r, shared)?,
                None => return Err(io::Error::other("a thread of the scan stopped")),
            }
        }
        Ok(self.total)
    }

    /// Applies the due block's result, and gives it back to the pool.
    fn apply<'m>(&mut self, r: io::Result<Filled<'m>>, shared: &Shared<'m>) -> io::Result<()> {
        let r = r.inspect_err(|_| {
            // Stop the workers: they check the counter, and one waiting
            // for a result is woken with none.
            shared.next.store(shared.blocks, Ordering::Relaxed);
            shared.pool.stop();
        })?;
        add(&mut self.total, r.apply(self.incident));
        let block = shared.opts.block_bytes.max(1) as u64;
        let upto = ((self.want as u64 + 1) * block).min(shared.len);
        self.release.used_through(shared.file, upto, shared.len);
        (self.progress)(upto);
        shared.pool.give(r);
        self.want += 1;
        Ok(())
    }
}

/// The block results in use, recycled: the lead gives each one back once
/// applied and a thread (a worker, or the lead) fills it again, so a
/// block's arena and event list reuse the memory of an earlier block's
/// instead of being fresh pages from the system (large allocations are
/// their own mappings in every command but `scan`: see
/// `app::return_large_frees_to_the_system`), faulted in and zeroed, then
/// unmapped, for every block. At most `cap`
/// exist, which bounds memory whatever the order the blocks finish in.
pub(super) struct Pool<'m> {
    state: Mutex<PoolState<'m>>,
    given: Condvar,
    cap: usize,
}

#[derive(Default)]
struct PoolState<'m> {
    free: Vec<Filled<'m>>,
    made: usize,
    stopped: bool,
    /// Workers waiting for a result: a result given back wakes one only
    /// when there is one (a wake is a system call either way).
    waiting: usize,
}

impl<'m> Pool<'m> {
    pub(super) fn new(cap: usize) -> Self {
        Pool {
            state: Mutex::new(PoolState::default()),
            given: Condvar::new(),
            cap: cap.max(1),
        }
    }

    /// An empty result: a recycled one, a new one while fewer than `cap`
    /// exist, else the next one given back. `None` once stopped.
    pub(super) fn take(&self) -> Option<Filled<'m>> {
        self.take_or_wait(true)
    }

    /// [`take`](Self::take) without waiting: `None` also when every
    /// result is in use.
    fn try_take(&self) -> Option<Filled<'m>> {
        self.take_or_wait(false)
    }

    fn take_or_wait(&self, wait: bool) -> Option<Filled<'m>> {
        // The lock is never held while a block is read, so no panic in a
        // parser can poison it; should it be poisoned anyway, the state is
        // still a list, a number and a flag: carry on with it.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if state.stopped {
                return None;
            }
            if let Some(mut r) = state.free.pop() {
                r.reset();
                return Some(r);
            }
            if state.made < self.cap {
                state.made += 1;
                return Some(BlockResult::default());
            }
            if !wait {
                return None;
            }
            state.waiting += 1;
            state = self.given.wait(state).unwrap_or_else(|e| e.into_inner());
            state.waiting -= 1;
        }
    }

    pub(super) fn give(&self, r: Filled<'m>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.free.push(r);
        if state.waiting > 0 {
            self.given.notify_one();
        }
    }

    /// Wakes every waiting worker with no result: the scan failed.
    fn stop(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.stopped = true;
        self.given.notify_all();
    }
}

/// Held by every thread of a scan: if one unwinds (a bug in a parser),
/// the others must not wait for it. A worker's block never comes, and the
/// lead would wait for it forever; the lead gives no result back, and the
/// workers would wait forever for one. Stopping both lets them finish, and
/// the scope pass the panic on.
pub(super) struct StopOnPanic<'a, 'm>(pub(super) &'a Pool<'m>, pub(super) &'a Handover<'m>);

impl Drop for StopOnPanic<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
            self.1.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn a_worker_that_panics_wakes_the_others_with_nothing() {
        let pool = Pool::new(1);
        let handover = Handover::new();
        // The one result there is: a worker now waits for it to come back.
        let held = pool.take();
        assert!(held.is_some());
        std::thread::scope(|s| {
            let waiter = s.spawn(|| pool.take());
            let crashed = s.spawn(|| {
                let _stop = StopOnPanic(&pool, &handover);
                panic!("a parser bug");
            });
            // And the lead, waiting for a block the crashed one held.
            let lead = s.spawn(|| handover.wait_for(0).is_none());
            assert!(crashed.join().is_err());
            assert!(waiter.join().unwrap().is_none());
            assert!(lead.join().unwrap());
        });
    }

    #[test]
    fn the_pool_makes_at_most_its_cap_and_hands_back_what_is_given() {
        let pool = Pool::new(2);
        let mut a = pool.take().unwrap();
        let b = pool.take().unwrap();
        a.out.arena.push_str("left over from a block");
        a.out.events.reserve(100);
        a.counted_after = 7;
        let capacity = a.out.events.capacity();
        std::thread::scope(|s| {
            // Waits (or not, if it runs late) for the one given back.
            let waiter = s.spawn(|| pool.take());
            pool.give(a);
            let again = waiter.join().unwrap().unwrap();
            assert!(again.out.arena.is_empty() && again.out.events.is_empty());
            assert_eq!(again.counted_after, 0);
            assert_eq!(again.out.events.capacity(), capacity, "its memory is kept");
        });
        assert_eq!(pool.state.lock().unwrap().made, 2);
        drop(b);
    }

    #[test]
    fn a_stopped_pool_wakes_its_waiters_with_nothing() {
        let pool = Pool::new(1);
        let held = pool.take().unwrap();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| pool.take());
            pool.stop();
            assert!(waiter.join().unwrap().is_none());
        });
        pool.give(held);
        assert!(pool.take().is_none(), "stays stopped");
    }
}
