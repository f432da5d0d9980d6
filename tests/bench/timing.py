"""Measurement helpers, the same method as ../shared/perf-probes (common.py): a warm-up, then `reps`
repetitions of a tight loop of `n` calls; the result is the median over repetitions of the mean time per
call. Medians of per-rep means are robust to the noise of a shared 2-core machine; compare ratios taken in
one run, not absolute numbers across runs."""

from __future__ import annotations

import dataclasses
import statistics
import time
from typing import Callable

pc = time.perf_counter_ns


@dataclasses.dataclass(frozen=True)
class Settings:
    """How hard to measure. `quick` is for the smoke test: a handful of calls, numbers meaningless."""

    reps: int = 7
    rep_seconds: float = (
        0.15  # one repetition's loop runs about this long (n is calibrated per case)
    )
    cold_reps: int = 3  # compile-from-scratch and fresh-process cases (each takes ~0.5-1 s)
    rss_instances: int = 40
    spin_ms: float = 40.0  # duration of one compute-heavy call in the threads case

    @property
    def quick(self) -> bool:
        return self.rep_seconds < 0.01

    def us(self, fn: Callable[[], object]) -> float:
        return per_call_us(fn, self.reps, self.rep_seconds)

    def interleaved_us(self, fns: dict[str, Callable[[], object]]) -> dict[str, float]:
        return interleaved_us(fns, self.reps, self.rep_seconds)

    def sampled_us(self, fn: Callable[[], object]) -> float:
        return sample_median_us(fn, self.reps * self.rep_seconds)


QUICK = Settings(reps=2, rep_seconds=0.002, cold_reps=1, rss_instances=3, spin_ms=2.0)


def calibrate(fn: Callable[[], object], seconds: float) -> int:
    """Warm `fn` up (at least 3 calls, about seconds/2) and return how many calls take about `seconds`."""
    calls, t0 = 0, pc()
    while True:
        fn()
        calls += 1
        spent = pc() - t0
        if calls >= 3 and spent >= seconds * 0.5e9:
            break
    return max(1, int(seconds * 1e9 * calls / spent))


def per_call_us(fn: Callable[[], object], reps: int, seconds: float) -> float:
    """Median over `reps` of the mean µs per call of a loop of back-to-back `fn()` calls lasting ~`seconds`."""
    n = calibrate(fn, seconds)
    per = []
    for _ in range(reps):
        t0 = pc()
        for _ in range(n):
            fn()
        per.append((pc() - t0) / n)
    return statistics.median(per) / 1e3


def interleaved_us(
    fns: dict[str, Callable[[], object]], reps: int, seconds: float
) -> dict[str, float]:
    """per_call_us of each of `fns`, their repetitions taking turns: load that drifts during the run slows
    every side alike, so the ratios between them hold (timed one after the other, they did not)."""
    ns = {name: calibrate(fn, seconds) for name, fn in fns.items()}
    per: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            n, t0 = ns[name], pc()
            for _ in range(n):
                fn()
            per[name].append((pc() - t0) / n)
    return {name: statistics.median(v) / 1e3 for name, v in per.items()}


def sample_median_us(fn: Callable[[], object], seconds: float) -> float:
    """Median µs of individually timed calls (~`seconds` of them, after a warm-up): the method of gohost's -bench.

    Robust to preemption on a busy machine (a descheduled call is one slow sample, not a slower mean); includes
    one perf_counter_ns pair per sample (~0.05 µs idle)."""
    n = calibrate(fn, seconds / 7)
    samples = []
    for _ in range(7 * n):
        t0 = pc()
        fn()
        samples.append(pc() - t0)
    return statistics.median(samples) / 1e3


def once_us(
    fn: Callable[[], object], reps: int, setup: Callable[[], object] | None = None
) -> float:
    """Median µs of `reps` single calls (for expensive operations: loads, compiles)."""
    xs = []
    for _ in range(reps):
        if setup is not None:
            setup()
        t0 = pc()
        fn()
        xs.append(pc() - t0)
    return statistics.median(xs) / 1e3


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")
