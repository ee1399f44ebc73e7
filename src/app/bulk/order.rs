//! Applying block results in file order, by whichever worker holds the
//! one that is due ([`InOrder`]), and the pool of results the workers
//! fill and give back ([`Pool`]), which bounds how many blocks are in
//! flight.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::{Condvar, Mutex};

use super::{BlockResult, BulkCounts, Shared, add};
use crate::engine::Incident;

/// Block results applied in block order by whichever worker holds the
/// next one: a block is nearly always applied by the worker that has just
/// read it, while its events are still in that core's cache (applied on a
/// thread of its own, the events crossed to the other core, and that
/// thread took turns with the workers: together a quarter more CPU).
pub(super) struct InOrder<'i> {
    state: Mutex<OrderState>,
    /// Locked only by the one applying worker (`OrderState::applying`).
    target: Mutex<Target<'i>>,
}

struct OrderState {
    /// Results that came before their turn.
    waiting: BTreeMap<usize, io::Result<BlockResult>>,
    /// The next block to apply.
    want: usize,
    /// Whether a worker is applying: it applies every result that becomes
    /// due meanwhile, so the others never wait for it.
    applying: bool,
    failed: Option<io::Error>,
}

struct Target<'i> {
    incident: &'i mut Incident,
    total: BulkCounts,
    progress: &'i mut (dyn FnMut(u64) + Send),
}

impl<'i> InOrder<'i> {
    pub(super) fn new(
        incident: &'i mut Incident,
        progress: &'i mut (dyn FnMut(u64) + Send),
    ) -> Self {
        InOrder {
            state: Mutex::new(OrderState {
                waiting: BTreeMap::new(),
                want: 0,
                applying: false,
                failed: None,
            }),
            target: Mutex::new(Target {
                incident,
                total: BulkCounts::default(),
                progress,
            }),
        }
    }

    /// Hands over block `i`'s result, and applies it with every later one
    /// that is waiting, unless another worker is applying (it will). Returns
    /// whether the scan goes on (no block failed).
    pub(super) fn deliver(
        &self,
        i: usize,
        r: io::Result<BlockResult>,
        shared: &Shared<'_, '_>,
    ) -> bool {
        // A poisoned lock means a worker panicked: the scope passes the
        // panic on, and what is applied meanwhile is never returned.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.waiting.insert(i, r);
        if state.applying {
            return state.failed.is_none();
        }
        state.applying = true;
        loop {
            let want = state.want;
            let Some(r) = state.waiting.remove(&want) else {
                state.applying = false;
                return state.failed.is_none();
            };
            state.want += 1;
            drop(state);
            match r {
                Ok(r) => {
                    let mut t = self.target.lock().unwrap_or_else(|e| e.into_inner());
                    let counts = r.apply(t.incident);
                    add(&mut t.total, counts);
                    let block = shared.opts.block_bytes.max(1) as u64;
                    (t.progress)(((want as u64 + 1) * block).min(shared.len));
                    drop(t);
                    shared.pool.give(r);
                }
                Err(e) => {
                    // Stop the workers: they check the counter, and one
                    // waiting for a result is woken with none.
                    shared.next.store(shared.blocks, Ordering::Relaxed);
                    shared.pool.stop();
                    let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                    state.failed.get_or_insert(e);
                    state.applying = false;
                    return false;
                }
            }
            state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        }
    }

    /// The counts of the whole scan, or the first block's error.
    pub(super) fn finish(self) -> io::Result<BulkCounts> {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = state.failed {
            return Err(e);
        }
        let target = self.target.into_inner().unwrap_or_else(|e| e.into_inner());
        Ok(target.total)
    }
}

/// The block results in use, recycled: the applying worker gives each one
/// back once applied and a worker fills it again, so a block's arena and
/// event list reuse the memory of an earlier block's instead of being
/// fresh pages from the system (large allocations are their own mappings:
/// see `main.rs`), faulted in and zeroed, then unmapped, for every block.
/// At most `cap` exist, which bounds memory whatever the order the blocks
/// finish in.
pub(super) struct Pool {
    state: Mutex<PoolState>,
    given: Condvar,
    cap: usize,
}

#[derive(Default)]
struct PoolState {
    free: Vec<BlockResult>,
    made: usize,
    stopped: bool,
}

impl Pool {
    pub(super) fn new(cap: usize) -> Pool {
        Pool {
            state: Mutex::new(PoolState::default()),
            given: Condvar::new(),
            cap: cap.max(1),
        }
    }

    /// An empty result: a recycled one, a new one while fewer than `cap`
    /// exist, else the next one given back. `None` once stopped.
    pub(super) fn take(&self) -> Option<BlockResult> {
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
            state = self.given.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    pub(super) fn give(&self, r: BlockResult) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.free.push(r);
        self.given.notify_one();
    }

    /// Wakes every waiting worker with no result: the scan failed.
    fn stop(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.stopped = true;
        self.given.notify_all();
    }
}

/// Held by each worker: if the worker unwinds (a bug in a parser), the
/// result of its block never comes, every later block waits for it
/// unapplied, and the other workers would wait forever for results to be
/// given back. Stopping the pool lets them finish, and the scope pass the
/// panic on.
pub(super) struct StopOnPanic<'a>(pub(super) &'a Pool);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn a_worker_that_panics_wakes_the_others_with_nothing() {
        let pool = Pool::new(1);
        // The one result there is: a worker now waits for it to come back.
        let held = pool.take();
        assert!(held.is_some());
        std::thread::scope(|s| {
            let waiter = s.spawn(|| pool.take());
            let crashed = s.spawn(|| {
                let _stop = StopOnPanic(&pool);
                panic!("a parser bug");
            });
            assert!(crashed.join().is_err());
            assert!(waiter.join().unwrap().is_none());
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
