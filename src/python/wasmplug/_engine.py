"""Process-wide engines (one per engine configuration) and their shared epoch ticker thread.

Deadlines use epoch interruption (0-6 % overhead on Go code; fuel costs 12-18 %), so every engine has
it on. One daemon thread per engine advances the epoch, and only while some call has a deadline.
"""

from __future__ import annotations

import ctypes
import math
import os
import platform
import threading
import time

from pathlib import Path

import wasmtime
from wasmtime import _ffi as ffi

from . import _native

TICK = 0.005  # seconds per epoch tick: deadlines fire within TICK (+ scheduling) of their time
_IDLE_AFTER = 1.0  # keep ticking this long after the last deadline, so busy callers never take the lock
_deadlines: dict[float, ctypes.c_uint64] = {}


class EpochTicker:
    """Advances one engine's epoch every TICK seconds while any deadline is pending."""

    def __init__(self, engine: wasmtime.Engine) -> None:
        self._engine = engine
        self._addr = _native.engine_address(engine)
        self._cond = threading.Condition(threading.Lock())
        self._until = 0.0  # monotonic time until which ticks are needed
        self._thread: threading.Thread | None = None

    @staticmethod
    def ticks(timeout: float) -> int:
        # +1: the first tick may come right after the deadline is set, so never fire early.
        return math.ceil(timeout / TICK) + 1

    @staticmethod
    def deadline(timeout: float) -> ctypes.c_uint64:
        """`ticks(timeout)` as the ready-made argument of the per-call deadline (cached per timeout)."""
        arg = _deadlines.get(timeout)
        if arg is None:
            if len(_deadlines) > 1024:
                _deadlines.clear()
            arg = _deadlines[timeout] = ctypes.c_uint64(EpochTicker.ticks(timeout))
        return arg

    def need(self, until: float) -> None:
        """Make sure the epoch advances at least until monotonic time `until`."""
        if until <= self._until:  # lock-free common case: already covered
            return
        with self._cond:
            if until > self._until:
                # Over-provision so the calls of the next second take the lock-free path.
                self._until = until + _IDLE_AFTER
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wasmplug-epoch", daemon=True)
                self._thread.start()
            else:
                self._cond.notify()

    def _run(self) -> None:
        last = time.monotonic()
        while True:
            with self._cond:
                while time.monotonic() > self._until:
                    self._cond.wait()
                    last = time.monotonic()
            time.sleep(TICK)
            now = time.monotonic()
            # Catch up when the thread overslept, so a busy machine does not stretch deadlines.
            n = max(1, int((now - last) / TICK))
            last += n * TICK
            for _ in range(n):
                _native.increment_epoch(self._addr)


class EngineHandle:
    __slots__ = ("engine", "key", "fuel", "ticker")

    def __init__(self, fuel: bool) -> None:
        cfg = wasmtime.Config()
        cfg.epoch_interruption = True
        cfg.consume_fuel = fuel
        # The runtime caches a memoryview over linear memory; with a fixed base (the default
        # 4 GiB reservation of 32-bit memories) a view is never left pointing at freed memory.
        cfg.memory_may_move = False
        self.engine = wasmtime.Engine(cfg)
        self.fuel = fuel
        # Everything that changes compiled code goes into the compile-cache key.
        self.key = f"wasmtime={_wasmtime_version()};{platform.machine()};epoch=1;fuel={int(fuel)};may_move=0"
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


_version: str | None = None


def _wasmtime_version() -> str:
    """wasmtime's version plus the identity of its native library (a rebuilt library gets new keys).

    Read from the dist-info directory name: importlib.metadata costs tens of ms at import.
    """
    global _version
    if _version is None:
        site = Path(wasmtime.__file__).parent.parent
        versions = sorted(p.name[len("wasmtime-") : -len(".dist-info")] for p in site.glob("wasmtime-*.dist-info"))
        try:
            st = os.stat(ffi.filename)
            lib = f"{st.st_size}-{st.st_mtime_ns}"
        except OSError:
            lib = "?"
        _version = f"{'|'.join(versions) or 'unknown'}@{lib}"
    return _version
