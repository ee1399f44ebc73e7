//! Where a scan's threads run: a worker moves off the calling thread's CPU
//! as it starts.
//!
//! A new thread is often queued on the CPU of the thread that made it, and
//! two busy threads on one CPU take turns until the scheduler's balancing
//! moves one of them to the other CPU, which took milliseconds: the worker
//! began 1.5–4 ms late in half the runs of a 40 ms scan (BENCHMARKS.md,
//! §16.24), and once the caller yielded to it, the caller itself resumed
//! 1.3–5 ms late in every run (§16.25). A worker that starts by leaving
//! the caller's CPU frees it at once: the caller yields to it, it runs,
//! moves, and the caller goes on where it was. Only the worker's own
//! affinity changes, to the CPUs the process may use minus the caller's,
//! and only when one is left; it ends with the scan.

/// The CPU the calling thread runs on, when the system says.
pub(super) fn current_cpu() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sched_getcpu takes no arguments and touches no memory.
        let cpu = unsafe { libc::sched_getcpu() };
        usize::try_from(cpu).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Moves the calling thread off `cpu`, onto the other CPUs the process may
/// use. Nothing changes when there is no other, or the system refuses: a
/// thread that stays is only slower to start.
pub(super) fn leave_cpu(cpu: Option<usize>) {
    #[cfg(target_os = "linux")]
    if let Some(cpu) = cpu {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: an all-zero cpu_set_t is an empty set (it is a plain bit
        // array).
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: the kernel writes at most `size` bytes into `set`; 0 is
        // the calling thread.
        if unsafe { libc::sched_getaffinity(0, size, &mut set) } != 0 {
            return;
        }
        if cpu >= 8 * size {
            return;
        }
        // SAFETY: `cpu` is within the set's bits, checked above.
        unsafe { libc::CPU_CLR(cpu, &mut set) };
        // SAFETY: reads the set's bits only.
        if unsafe { libc::CPU_COUNT(&set) } == 0 {
            return;
        }
        // SAFETY: the kernel reads `size` bytes of `set`; 0 is the calling
        // thread.
        unsafe { libc::sched_setaffinity(0, size, &set) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpu;
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The CPUs the calling thread may run on.
    fn allowed() -> Vec<usize> {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: as in `leave_cpu`: an empty set, filled by the kernel
        // within its size, and its bits read within it.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::sched_getaffinity(0, size, &mut set) }, 0);
        (0..8 * size)
            .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
            .collect()
    }

    #[test]
    fn a_thread_that_leaves_a_cpu_runs_elsewhere_when_it_may() {
        let cpu = current_cpu().expect("sched_getcpu answers on Linux");
        let before = allowed();
        assert!(before.contains(&cpu));
        let (after, now) = std::thread::spawn(move || {
            leave_cpu(Some(cpu));
            (allowed(), current_cpu())
        })
        .join()
        .unwrap();
        if before.len() > 1 {
            let others: Vec<usize> = before.iter().copied().filter(|&c| c != cpu).collect();
            assert_eq!(after, others, "every allowed CPU but {cpu}");
            assert_ne!(now, Some(cpu), "moved off CPU {cpu}");
        } else {
            assert_eq!(after, before, "the only CPU: stayed");
        }
        assert_eq!(allowed(), before, "the calling thread's CPUs are its own");
    }
}
