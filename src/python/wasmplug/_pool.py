"""A bounded, thread-safe pool of initialized instances that grows on demand.

A new instance costs ~0.3 ms (mostly Go's `_initialize`), so instances are reused. The fast path is a
lock-free `deque.pop()`/`append()` (atomic under the GIL); the lock is taken only to create an
instance, to wait for one, or to wake a waiter.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Callable

from ._instance import Instance
from .errors import DeadlineExceeded, WasmplugError


class Pool:
    def __init__(self, factory: Callable[[], Instance], max_size: int, fresh: bool) -> None:
        self._factory = factory
        self._max = max_size
        self._fresh = fresh
        self._idle: collections.deque[Instance] = collections.deque()
        self._cond = threading.Condition(threading.Lock())
        self._size = 0  # live instances: idle + checked out + being created
        self._waiters = 0
        self.closed = False

    @property
    def size(self) -> int:
        return self._size

    @property
    def idle(self) -> int:
        return len(self._idle)

    def get(self, timeout: float | None = None) -> Instance:
        """An idle instance, a new one if the pool may grow, else wait (at most `timeout` seconds)."""
        try:
            return self._idle.pop()  # LIFO: the most recently used instance is the warmest
        except IndexError:
            return self.get_slow(timeout)

    @property
    def idle_pop(self) -> Callable[[], Instance]:
        """The lock-free fast path of `get` (raises IndexError when no instance is idle), for prebinding."""
        return self._idle.pop

    def get_slow(self, timeout: float | None) -> Instance:
        give_up = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if self.closed:
                    raise WasmplugError("plugin is closed")
                try:
                    return self._idle.pop()
                except IndexError:
                    pass
                if self._size < self._max:
                    self._size += 1
                    break
                wait = 0.25  # belt and braces against a missed wake-up
                if give_up is not None:
                    left = give_up - time.monotonic()
                    if left <= 0:
                        raise DeadlineExceeded(
                            f"no plugin instance became free within {timeout:g} s "
                            f"(max_instances={self._max})"
                        )
                    wait = min(wait, left)
                self._waiters += 1
                try:
                    self._cond.wait(wait)
                finally:
                    self._waiters -= 1
        try:
            return self._factory()
        except BaseException:
            self._forget()
            raise

    def put(self, inst: Instance) -> None:
        if inst.broken or self._fresh or self.closed:
            self.discard(inst)
            return
        self._idle.append(inst)
        if self._waiters:
            with self._cond:
                self._cond.notify()
        if self.closed:  # closed while we were appending: do not leave it behind
            self._drain()

    def discard(self, inst: Instance) -> None:
        inst.close()
        self._forget()

    def _forget(self) -> None:
        with self._cond:
            self._size -= 1
            self._cond.notify()

    def prefill(self, n: int) -> None:
        """Create instances until `n` are idle (bounded by the pool size); reuses idle ones first."""
        made = [self.get() for _ in range(min(n, self._max))]
        for inst in reversed(made):
            self.put(inst)

    def close(self) -> None:
        self.closed = True
        self._drain()
        with self._cond:
            self._cond.notify_all()

    def _drain(self) -> None:
        while True:
            try:
                inst = self._idle.pop()
            except IndexError:
                return
            self.discard(inst)
