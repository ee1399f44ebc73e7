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
//! moves, and the caller goes on where it was. The worker moves by
//! narrowing its own affinity to the CPUs the process may use minus the
//! caller's (when one is left), and gives itself back the CPUs it had at
//! once: it stays where it landed, and the scheduler may move it later as
//! it may any thread.

/// The CPU the calling thread runs on, when the system says.
pub(super) fn current_cpu() -> Option<usize> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: sched_getcpu takes no arguments and touches no memory.
        let cpu = unsafe { libc::sched_getcpu() };
        usize::try_from(cpu).ok()
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        None
    }
}

/// Moves the calling thread off `cpu`, onto another CPU the process may
/// use, and gives it back the CPUs it had: the CPU it landed on, `None`
/// when there is no other CPU, the system refuses, or it cannot say. A
/// thread that stays is only slower to start.
pub(super) fn leave_cpu(cpu: Option<usize>) -> Option<usize> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cpu = cpu?;
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: an all-zero cpu_set_t is an empty set (it is a plain bit
        // array).
        let mut had: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: the kernel writes at most `size` bytes into `had`; 0 is
        // the calling thread.
        if unsafe { libc::sched_getaffinity(0, size, &mut had) } != 0 || cpu >= 8 * size {
            return None;
        }
        let mut others = had;
        // SAFETY: `cpu` is within the set's bits, checked above; the count
        // reads the set's bits only.
        if unsafe {
            libc::CPU_CLR(cpu, &mut others);
            libc::CPU_COUNT(&others)
        } == 0
        {
            return None;
        }
        // SAFETY: the kernel reads `size` bytes of each set; 0 is the
        // calling thread. Narrowed, the thread is moved off `cpu` before the
        // call returns; widened again, it stays where it is.
        unsafe {
            if libc::sched_setaffinity(0, size, &others) != 0 {
                return None;
            }
            let landed = current_cpu();
            libc::sched_setaffinity(0, size, &had);
            landed
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _ = cpu;
        None
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
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
    fn a_thread_that_leaves_a_cpu_lands_on_another_and_keeps_its_cpus() {
        let cpu = current_cpu().expect("sched_getcpu answers on Linux");
        let before = allowed();
        assert!(before.contains(&cpu));
        let (landed, after) = std::thread::spawn(move || (leave_cpu(Some(cpu)), allowed()))
            .join()
            .unwrap();
        if before.len() > 1 {
            let landed = landed.expect("another CPU is allowed");
            assert_ne!(landed, cpu, "moved off CPU {cpu}");
            assert!(before.contains(&landed), "landed on an allowed CPU");
        } else {
            assert_eq!(landed, None, "the only CPU: stayed");
        }
        assert_eq!(after, before, "its CPUs given back");
        assert_eq!(allowed(), before, "the calling thread's CPUs are its own");
        assert_eq!(leave_cpu(None), None, "no CPU named: nothing done");
    }
}
