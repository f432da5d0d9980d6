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


class _Waiter:
    """One thread waiting for an instance: `lock` is released when it is handed one (`inst`) or may
    create one (`grow`)."""

    __slots__ = ("lock", "inst", "grow")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lock.acquire()
        self.inst: Instance | None = None
        self.grow = False


class Pool:
    """Idle instances are taken LIFO (the warmest); waiters are served in arrival order: while anyone
    waits, a returned instance goes straight to the longest waiter, never back to the idle stack where a
    thread that did not queue could take it (that starved waiters for seconds)."""

    def __init__(self, factory: Callable[[], Instance], max_size: int, fresh: bool) -> None:
        self._factory = factory
        self._max = max_size
        self._fresh = fresh
        self._idle: collections.deque[Instance] = collections.deque()
        self._lock = threading.Lock()
        self._size = 0  # live instances: idle + checked out + being created
        self._queue: collections.deque[_Waiter] = collections.deque()  # FIFO of waiting threads
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
        with self._lock:
            if self.closed:
                raise WasmplugError("plugin is closed")
            if not self._queue:  # never overtake a waiter
                try:
                    return self._idle.pop()
                except IndexError:
                    pass
            grow = self._size < self._max
            if grow:
                self._size += 1
            else:
                w = _Waiter()
                # `put` checks the queue after appending to the idle stack: either it sees this waiter
                # or this thread saw its instance.
                self._queue.append(w)
        if grow:
            return self._create()  # outside the lock: _initialize takes ~0.3 ms
        left = -1.0 if give_up is None else max(0.0, give_up - time.monotonic())
        w.lock.acquire(timeout=left)
        with self._lock:
            if w.inst is None and not w.grow:
                try:
                    self._queue.remove(w)
                except ValueError:
                    pass
                if self.closed:
                    raise WasmplugError("plugin is closed")
                raise DeadlineExceeded(
                    f"no plugin instance became free within {timeout:g} s "
                    f"(max_instances={self._max})"
                )
        if w.inst is not None:
            return w.inst
        return self._create()

    def _create(self) -> Instance:
        """A new instance for a slot already counted in `_size`."""
        try:
            return self._factory()
        except BaseException:
            self._forget()
            raise

    def put(self, inst: Instance) -> None:
        if inst.broken or self._fresh or self.closed:
            self.discard(inst)
            return
        if self._queue:
            with self._lock:
                if self._queue:
                    w = self._queue.popleft()
                    w.inst = inst
                    w.lock.release()
                    return
        self._idle.append(inst)
        if self._queue:  # a waiter queued while we appended: hand it an idle instance
            with self._lock:
                while self._queue and self._idle:
                    w = self._queue.popleft()
                    w.inst = self._idle.pop()
                    w.lock.release()
        if self.closed:  # closed while we were appending: do not leave it behind
            self._drain()

    def discard(self, inst: Instance) -> None:
        inst.close()
        self._forget()

    def _forget(self) -> None:
        with self._lock:
            if self._queue and not self.closed:  # the freed slot goes to the longest waiter
                w = self._queue.popleft()
                w.grow = True
                w.lock.release()
            else:
                self._size -= 1

    def prefill(self, n: int) -> None:
        """Create instances until `n` are idle (bounded by the pool size); reuses idle ones first."""
        made = [self.get() for _ in range(min(n, self._max))]
        for inst in reversed(made):
            self.put(inst)

    def close(self) -> None:
        self.closed = True
        self._drain()
        with self._lock:
            while self._queue:  # wake every waiter: each sees `closed`
                self._queue.popleft().lock.release()

    def _drain(self) -> None:
        while True:
            try:
                inst = self._idle.pop()
            except IndexError:
                return
            self.discard(inst)
