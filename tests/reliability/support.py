"""Shared by the reliability tests: the mode (short for CI, long with ``WASMPLUG_RELIABILITY=long``),
the plugins under test (real Go plugins built by their ``wasm_plugin`` targets) and RSS sampling."""

from __future__ import annotations

import importlib.resources
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; annotations only
    from importlib.resources.abc import Traversable

MODE = os.environ.get("WASMPLUG_RELIABILITY", "short")
if MODE not in ("short", "long"):
    raise ValueError(f"WASMPLUG_RELIABILITY must be 'short' or 'long', not {MODE!r}")
LONG = MODE == "long"

_PAGE = os.sysconf("SC_PAGE_SIZE")
MiB = 1 << 20


def scaled(short: int, long: int) -> int:
    return long if LONG else short


def wasm(package: str, name: str) -> Traversable:
    found = importlib.resources.files(package) / f"{name}.wasm"
    if not found.is_file():
        pytest.fail(
            f"{package}/{name}.wasm is not built (a wasm_plugin dependency of tests/reliability)"
        )
    return found


def morning() -> Traversable:
    """The tutorial's Greeter plugin (src/go/plugins/morning): "Good morning, <name>"."""
    return wasm("plugins.morning", "morning")


def panicky() -> Traversable:
    """tests/reliability/guest: "Hello, <name>", or `panic("boom <id>")` for the name "panic:<id>"."""
    return wasm("reliability.guest", "guest")


def rss() -> int:
    """This process's resident set size in bytes (the second field of /proc/self/statm, in pages)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


class RssSamples:
    """RSS sampled along a run, split at the end of warm-up. `growth()` is how far the peak after
    warm-up exceeds the peak of warm-up's second half: a swing already seen while warming up
    (instances made and freed, the allocator's high-water mark) is not growth, a leak is. (The first
    half holds what loading left behind: the compiler's memory, returned to the system later.)"""

    def __init__(self) -> None:
        self.warm: list[int] = []
        self.after: list[int] = []
        self._into = self.warm

    def sample(self) -> None:
        self._into.append(rss())

    def warmed_up(self) -> None:
        self.sample()
        self._into = self.after

    def baseline(self) -> int:
        return max(self.warm[len(self.warm) // 2 :])

    def growth(self) -> int:
        return max(self.after) - self.baseline()

    def report(self, what: str) -> str:
        return (
            f"{what}: RSS peak {self.baseline() / MiB:.1f} MiB late in warm-up ({len(self.warm)} samples),"
            f" peak {max(self.after) / MiB:.1f} MiB and end {self.after[-1] / MiB:.1f} MiB after it"
            f" ({len(self.after)} samples): growth {self.growth() / MiB:+.2f} MiB"
        )


def run_threads(worker: Callable[[int], None], n: int, timeout: float) -> None:
    """Run worker(0..n-1) on n threads at once; each is waited for at most `timeout` seconds (a hung
    one fails the test), and the first exception a worker raised is raised here."""
    failures: list[BaseException] = []

    def run(t: int) -> None:
        try:
            worker(t)
        except BaseException as exc:  # handed to the calling thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(t,), daemon=True) for t in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout)
    if any(th.is_alive() for th in threads):
        pytest.fail(f"a worker thread did not finish within {timeout:g} s")
    if failures:
        raise failures[0]
