"""Process-wide engines (one per engine configuration) and their epoch tickers.

Deadlines use epoch interruption (0-6 % overhead on Go code; fuel costs 12-18 %), so every engine has
it on. Each engine's epoch advances every TICK seconds while some call has a deadline: by a POSIX timer
whose expirations call `wasmtime_engine_increment_epoch` on a libc thread (no Python, no GIL: busy Python
threads cannot delay a deadline), or, where no such timer can be created, by a Python thread.
"""

from __future__ import annotations

import ctypes
import math
import os
import threading
import time
import weakref

from . import _native
from ._posix_timer import PeriodicTimer, sync_timer_helper

TICK = 0.005  # seconds per epoch tick: deadlines fire within TICK (+ scheduling) of their time
_IDLE_AFTER = (
    1.0  # keep ticking this long after the last deadline, so busy callers never take the lock
)
# Ticks go on this long past the last deadline armed: a call armed on the lock-free path just before
# `_until` still needs its last ticks after it.
_GRACE = 0.1
# Native ticks come from this many timers a tick apart (period _TIMERS * TICK): a loaded machine may delay
# ticks by up to that long without losing any (see PeriodicTimer).
_TIMERS = 20
_deadlines: dict[float, ctypes.c_uint64] = {}
_INCREMENT_EPOCH = ctypes.cast(_native.increment_epoch, ctypes.c_void_p).value or 0

NATIVE = "posix-timer"  # EpochTicker.kind: the kernel timer ticks
THREAD = "python-thread"  # the fallback: a Python thread ticks (needs the GIL for every tick)


class EpochTicker:
    """Advances one engine's epoch every TICK seconds while any deadline is pending.

    One helper thread per busy period (it exits when ticks are no longer needed, so an idle ticker holds
    no thread and is collectable). With the native timer it only stops the timer once `_until` has passed:
    the GIL can delay that, never a tick. The fallback thread ticks itself; the epoch stands for the real
    time `last`, when it oversleeps it catches up, and a deadline armed while it lags gets the lag added
    (so it never fires early).
    """

    def __init__(self, engine: int) -> None:
        self._addr = engine
        self._reset()
        self.kind = ""  # NATIVE or THREAD, chosen when the first deadline is armed
        self._lags = False  # only the fallback thread's epoch can lag behind real time
        self.last = time.monotonic()  # the real time the current epoch stands for (fallback)
        _tickers.add(self)

    def _reset(self) -> None:
        """Fresh state (also in a forked child: the parent's threads and kernel timer did not come along)."""
        self._cond = threading.Condition(threading.Lock())
        self._until = 0.0  # monotonic time until which ticks are needed
        self._idle = True
        self._timer: PeriodicTimer | None = None
        self._paused = False  # stopped for a fork

    @staticmethod
    def ticks(timeout: float) -> int:
        # +1: the next tick may come right after the deadline is armed, so never fire early.
        return math.ceil(timeout / TICK) + 1

    def arm(self, timeout: float) -> ctypes.c_uint64:
        """Make sure the epoch advances for `timeout` seconds from now; the deadline argument to set."""
        now = time.monotonic()
        if now + timeout > self._until:
            self._need(now + timeout)
        if self._lags:
            lag = now - self.last
            if lag > TICK:  # rare: the fallback thread is behind real time
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
                if self.kind != THREAD and self._timer is None:
                    self._timer = self._native_timer()
                if self._timer is not None:
                    self._timer.start()
                    run = self._watch
                else:
                    self.last = time.monotonic()  # the epoch did not advance while idle: no lag
                    run = self._tick
                threading.Thread(target=run, name="wasmplug-epoch", daemon=True).start()

    def _native_timer(self) -> PeriodicTimer | None:
        try:
            timer = PeriodicTimer(_INCREMENT_EPOCH, self._addr, TICK, _TIMERS)
        except OSError as exc:
            import logging  # only on this path: it costs milliseconds at import

            logging.getLogger("wasmplug").warning(
                "wasmplug: no native epoch timer (%s); a Python thread ticks deadlines instead, and "
                "busy Python threads holding the GIL can make them fire late",
                exc,
            )
            self.kind, self._lags = THREAD, True
            return None
        self.kind = NATIVE
        return timer

    def _watch(self) -> None:
        """Native timer: stop it once no deadline needs ticks any more, then exit."""
        with self._cond:
            while True:
                left = self._until + _GRACE - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            if self._timer is not None:
                self._timer.stop()
            self._idle = True

    def _tick(self) -> None:
        """Fallback: advance the epoch from Python until no deadline needs ticks, then exit."""
        while True:
            with self._cond:
                if time.monotonic() > self._until + _GRACE:
                    self._idle = True
                    return
            time.sleep(TICK)
            n = max(1, int((time.monotonic() - self.last) / TICK))
            for _ in range(n):
                _native.increment_epoch(self._addr)
            self.last += (
                n * TICK
            )  # after the increments: a reader may see a stale `last`, never an early one

    def close(self) -> None:
        """Delete the native timer (the engine is going away); a later deadline would create a new one."""
        with self._cond:
            timer, self._timer = self._timer, None
            self._until = 0.0
            self._cond.notify_all()  # the watcher exits
        if timer is not None:
            timer.close()

    # fork: glibc's timer helper thread takes a lock for each expiration, and a child forked while it
    # held it would hang in its first timer_create. So the timers are stopped (and that lock waited
    # for) around the fork; the parent restarts them, the child makes its own on its next deadline.
    def _before_fork(self) -> bool:
        self._cond.acquire()
        timer = self._timer
        self._paused = timer is not None and timer.alive and not self._idle
        if self._paused and timer is not None:
            timer.stop()
        return timer is not None

    def _after_fork_in_parent(self) -> None:
        try:
            if self._paused and self._timer is not None:
                self._timer.start()
        finally:
            self._paused = False
            self._cond.release()

    def _after_fork_in_child(self) -> None:
        if self._timer is not None:
            self._timer.forget()  # the kernel timers stayed with the parent
        self._reset()  # new lock: the parent's is held (by _before_fork)


_tickers: weakref.WeakSet[EpochTicker] = weakref.WeakSet()


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

    def close(self) -> None:
        """Stop ticking this engine. The engine itself is never freed: a timer expiration already on its
        way may still increment its epoch."""
        self.ticker.close()


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


_forking: list[EpochTicker] = []


def _before_fork() -> None:
    _forking[:] = list(_tickers)
    if [t._before_fork() for t in _forking].count(True):
        sync_timer_helper(_INCREMENT_EPOCH)


def _after_fork_in_parent() -> None:
    for ticker in _forking:
        ticker._after_fork_in_parent()
    _forking.clear()


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # another thread may have held it at the fork
    for ticker in _forking:
        ticker._after_fork_in_child()
    _forking.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )
