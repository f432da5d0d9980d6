"""Process-wide engines (one per engine configuration) and their shared epoch ticker thread.

Deadlines use epoch interruption (0-6 % overhead on Go code; fuel costs 12-18 %), so every engine has
it on. One daemon thread per engine advances the epoch, and only while some call has a deadline.
"""

from __future__ import annotations

import ctypes
import math
import threading
import time

from . import _native

TICK = 0.005  # seconds per epoch tick: deadlines fire within TICK (+ scheduling) of their time
_IDLE_AFTER = (
    1.0  # keep ticking this long after the last deadline, so busy callers never take the lock
)
_deadlines: dict[float, ctypes.c_uint64] = {}


class EpochTicker:
    """Advances one engine's epoch every TICK seconds while any deadline is pending.

    The epoch stands for the real time `last`. When the thread oversleeps (a busy machine) it catches
    up, so deadlines are not stretched; a deadline armed while the epoch lags behind real time gets the
    lag added, so catching up never makes it fire early.
    """

    def __init__(self, engine: int) -> None:
        self._addr = engine
        self._cond = threading.Condition(threading.Lock())
        self._until = 0.0  # monotonic time until which ticks are needed
        self._thread: threading.Thread | None = None
        self._idle = True
        self.last = time.monotonic()  # the real time the current epoch stands for

    @staticmethod
    def ticks(timeout: float) -> int:
        # +1: the next tick may come right after the deadline is armed, so never fire early.
        return math.ceil(timeout / TICK) + 1

    def arm(self, timeout: float) -> ctypes.c_uint64:
        """Make sure the epoch advances for `timeout` seconds from now; the deadline argument to set."""
        now = time.monotonic()
        if now + timeout > self._until:
            self._need(now + timeout)
        lag = now - self.last
        if lag > TICK:  # rare: the ticker is behind real time
            return ctypes.c_uint64(self.ticks(timeout + lag))
        arg = _deadlines.get(timeout)
        if arg is None:
            if len(_deadlines) > 1024:
                _deadlines.clear()
            arg = _deadlines[timeout] = ctypes.c_uint64(self.ticks(timeout))
        return arg

    def _need(self, until: float) -> None:
        with self._cond:
            if until > self._until:
                # Over-provision so the calls of the next second take the lock-free path.
                self._until = until + _IDLE_AFTER
            if self._idle:
                self._idle = False
                self.last = time.monotonic()  # the epoch did not advance while idle: no lag
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="wasmplug-epoch", daemon=True
                    )
                    self._thread.start()
                else:
                    self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while time.monotonic() > self._until:
                    self._idle = True
                    self._cond.wait()
            time.sleep(TICK)
            n = max(1, int((time.monotonic() - self.last) / TICK))
            for _ in range(n):
                _native.increment_epoch(self._addr)
            self.last += (
                n * TICK
            )  # after the increments: a reader may see a stale `last`, never an early one


class EngineHandle:
    __slots__ = ("engine", "key", "fuel", "ticker")

    def __init__(self, fuel: bool) -> None:
        # Epoch interruption always on; linear memory never moves (the runtime caches a memoryview over
        # it: with a fixed base, the default 4 GiB reservation of 32-bit memories, a view is never left
        # pointing at freed memory).
        self.engine = _native.new_engine(fuel)
        self.fuel = fuel
        # Everything that changes compiled code goes into the compile-cache key.
        self.key = f"wasmtime={_native.library_identity()};{_native.machine()};epoch=1;fuel={int(fuel)};may_move=0"
        self.ticker = EpochTicker(self.engine)


_engines: dict[bool, EngineHandle] = {}
_lock = threading.Lock()


def get_engine(fuel: bool) -> EngineHandle:
    handle = _engines.get(fuel)
    if handle is None:
        with _lock:
            handle = _engines.get(fuel)
            if handle is None:
                handle = _engines[fuel] = EngineHandle(fuel)
    return handle
