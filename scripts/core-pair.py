#!/usr/bin/env python3
"""How much slower one core gets while the other is busy (BENCHMARKS.md,
issue 16, section 16.15).

    scripts/core-pair.py BINARY LOG [ROUNDS]

Runs `BINARY scan --json LOG` with one worker thread pinned to core 0,
alone, then together with an identical run pinned to core 1, ROUNDS times
(default 10), and prints the median CPU time (user + system, from wait4)
of the run on core 0 in each case. The two runs share nothing but the
page cache: a difference is the machine's (on a VM, the host's), and
every multi-threaded figure measured on it carries that difference.
"""

import os
import statistics
import subprocess
import sys


def cpu_of(cores, binary, log):
    """Starts one pinned run per core; returns the CPU seconds of the first."""
    env = dict(os.environ, VPNWATCH_SCAN_THREADS="1")
    runs = [
        subprocess.Popen(
            ["taskset", "-c", str(core), binary, "scan", "--json", log],
            stdout=subprocess.DEVNULL,
            env=env,
        )
        for core in cores
    ]
    cpu = []
    for run in runs:
        _, _, usage = os.wait4(run.pid, 0)
        cpu.append(usage.ru_utime + usage.ru_stime)
    return cpu[0]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    binary, log = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) == 4 else 10
    alone, paired = [], []
    for _ in range(rounds):
        alone.append(cpu_of([0], binary, log))
        paired.append(cpu_of([0, 1], binary, log))
    a, p = statistics.median(alone), statistics.median(paired)
    print(f"alone: {a * 1000:.1f} ms CPU; the other core busy: {p * 1000:.1f} ms ({p / a - 1:+.0%})")


if __name__ == "__main__":
    main()
