"""Load for the deadline tests and the reliability benchmark (standard library only: the benchmark's
PEX has no pytest)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def busy_threads(n: int) -> Iterator[None]:
    """n pure-Python threads that always want the GIL, for the duration of the block."""
    stop = threading.Event()

    def spin() -> None:
        x = 0
        while not stop.is_set():
            x += 1

    threads = [threading.Thread(target=spin, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    try:
        yield
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
