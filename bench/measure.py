"""Whole-process timing: alternating runs, medians and ratios measured in the same run.

The machines are shared and noisy, so an absolute time alone means little: every comparison runs
its commands round-robin (A B C, A B C, ...) so a slow minute hits all of them alike, and reports
the median time of each plus the median of the per-round ratios.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field


@dataclass
class Run:
    seconds: float
    max_rss_kib: int
    exit_code: int


@dataclass
class Series:
    name: str
    argv: list[str]
    runs: list[Run] = field(default_factory=list)

    @property
    def times(self) -> list[float]:
        return [r.seconds for r in self.runs]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def spread(self) -> tuple[float, float]:
        """Interquartile range of the times."""
        times = sorted(self.times)
        if len(times) < 4:
            return times[0], times[-1]
        q = statistics.quantiles(times, n=4)
        return q[0], q[2]

    @property
    def peak_rss_mib(self) -> float:
        return max(r.max_rss_kib for r in self.runs) / 1024

    @property
    def exit_codes(self) -> set[int]:
        return {r.exit_code for r in self.runs}


def run_once(argv: list[str], cwd: str | None = None, env: dict | None = None, timeout: float = 600) -> Run:
    """One process, wall time from fork to reap, and that process's own peak RSS (wait4, not RUSAGE_CHILDREN)."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.0005)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(elapsed, usage.ru_maxrss, process.returncode)


def alternate(commands: dict[str, list[str]], rounds: int, warmup: int = 1, cwd: str | None = None,
              env: dict | None = None) -> dict[str, Series]:
    series = {name: Series(name, argv) for name, argv in commands.items()}
    for _ in range(warmup):
        for argv in commands.values():
            run_once(argv, cwd, env)
    for index in range(rounds):
        # Rotate the order each round too, so no command always runs right after the same one.
        names = list(commands)
        names = names[index % len(names):] + names[:index % len(names)]
        for name in names:
            series[name].runs.append(run_once(commands[name], cwd, env))
    return series


def paired_ratio(a: Series, b: Series) -> float:
    """Median over rounds of a's time / b's time in the same round."""
    return statistics.median(x / y for x, y in zip(a.times, b.times))
