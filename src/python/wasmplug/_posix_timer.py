"""Periodic POSIX timers (`timer_create` with `SIGEV_THREAD`) whose expirations call a C function directly.

The epoch ticker points them at wasmtime's `wasmtime_engine_increment_epoch` with the engine as the sigval:
`union sigval` is pointer-sized and passed like a pointer on the ABIs glibc supports, so each expiration is
one plain C call on a libc thread — no Python code and no GIL on the tick path. glibc runs each expiration
on a fresh detached thread created by its timer helper thread (late ones may run concurrently: the
increment is atomic). Linux only (macOS has no `timer_create`): elsewhere `PeriodicTimer` raises OSError
and the caller falls back to a Python thread.

Kernel timers are not inherited by `fork`: a child must forget the parent's timers without touching them
(their ids may name the child's own timers) and create new ones. And glibc's helper thread holds a lock
while it starts each callback thread, which a forked child inherits held if the fork came at that moment
(its first timer_create then hangs): stop the timers and `sync_timer_helper()` before forking.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time
from ctypes import POINTER, byref, c_int, c_long, c_void_p
from typing import Any

_CLOCK_MONOTONIC = 1
_SIGEV_THREAD = 2
_TIMER_ABSTIME = 1
_NS = 1_000_000_000
# glibc's struct sigevent is 64 bytes: sigval, signo, notify, then a union padded to the rest.
_SIGEV_PAD = 64 // ctypes.sizeof(c_int) - (4 if ctypes.sizeof(c_void_p) == 8 else 3)


class _SigevThread(ctypes.Structure):
    _fields_ = [("function", c_void_p), ("attribute", c_void_p)]


class _SigevUnion(ctypes.Union):
    _fields_ = [("pad", c_int * _SIGEV_PAD), ("tid", c_int), ("thread", _SigevThread)]


class _Sigevent(ctypes.Structure):
    _fields_ = [
        ("value", c_void_p),  # union sigval: its sival_ptr member
        ("signo", c_int),
        ("notify", c_int),
        ("un", _SigevUnion),
    ]


class _Timespec(ctypes.Structure):
    _fields_ = [("sec", c_long), ("nsec", c_long)]  # time_t is long on Linux


class _Itimerspec(ctypes.Structure):
    _fields_ = [("interval", _Timespec), ("value", _Timespec)]


_lib: Any = None


def _libc() -> Any:
    """libc (glibc >= 2.34 has the timer functions) or librt; opened on first use, not at import.

    Through PyDLL: these calls never block, and keeping the GIL means starting the timers does not wait
    for busy Python threads to hand the GIL back once per call."""
    global _lib
    if _lib is None:
        if not sys.platform.startswith("linux"):
            raise OSError(f"POSIX timers with SIGEV_THREAD are not available on {sys.platform}")
        lib: Any = None
        for name in (None, "librt.so.1"):
            candidate = ctypes.PyDLL(name, use_errno=True)
            if hasattr(candidate, "timer_create"):
                lib = candidate
                break
        if lib is None:
            raise OSError("timer_create not found in libc or librt.so.1")
        lib.timer_create.argtypes = (c_int, POINTER(_Sigevent), POINTER(c_void_p))
        lib.timer_create.restype = c_int
        lib.timer_settime.argtypes = (c_void_p, c_int, POINTER(_Itimerspec), c_void_p)
        lib.timer_settime.restype = c_int
        lib.timer_delete.argtypes = (c_void_p,)
        lib.timer_delete.restype = c_int
        _lib = lib
    return _lib


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


class PeriodicTimer:
    """Calls `function(arg)` (C addresses) every `tick` seconds while started, from `count` CLOCK_MONOTONIC
    timers of period `count * tick` whose phases are `tick` apart.

    Why several: a timer whose signal is still pending when it expires again counts an overrun instead of
    a second call, and glibc's helper thread (which turns each signal into a thread) can be starved for
    tens of milliseconds on a loaded machine; one 5 ms timer then lost over half its ticks. Each of these
    only overruns if its own signal waits a whole period, so stalls shorter than `count * tick` delay
    calls without losing any. Not thread-safe by itself: the owner serializes start/stop/close.
    """

    def __init__(self, function: int, arg: int, tick: float, count: int) -> None:
        lib = _libc()
        ev = _Sigevent()
        ev.notify = _SIGEV_THREAD
        ev.value = arg
        ev.un.thread.function = function
        ev.un.thread.attribute = None  # default thread attributes
        self._ids: list[int] = []
        self._pid = os.getpid()
        self._tick_ns = round(tick * 1e9)
        try:
            for _ in range(count):
                tid = c_void_p()
                _check(lib.timer_create(_CLOCK_MONOTONIC, byref(ev), byref(tid)), "timer_create")
                self._ids.append(tid.value or 0)  # timer_t is a pointer in glibc; 0 is a valid id
        except OSError:
            self.close()
            raise

    @property
    def alive(self) -> bool:
        """False once deleted, or in a forked child (the kernel timers stayed with the parent)."""
        return bool(self._ids) and self._pid == os.getpid()

    def start(self) -> None:
        """First call one tick from now, then every tick."""
        n = len(self._ids)
        base = time.monotonic_ns()  # CLOCK_MONOTONIC, the timers' clock
        spec = _Itimerspec()
        spec.interval.sec, spec.interval.nsec = divmod(n * self._tick_ns, _NS)
        for i, tid in enumerate(self._ids):
            spec.value.sec, spec.value.nsec = divmod(base + (i + 1) * self._tick_ns, _NS)
            self._settime(tid, _TIMER_ABSTIME, spec, "timer_settime (start)")

    def stop(self) -> None:
        off = _Itimerspec()  # all zero: disarm
        for tid in self._ids:
            self._settime(tid, 0, off, "timer_settime (stop)")

    def _settime(self, tid: int, flags: int, spec: _Itimerspec, what: str) -> None:
        if not self.alive:
            raise OSError(f"{what}: the timer is deleted or belongs to the parent process")
        _check(_lib.timer_settime(tid, flags, byref(spec), None), what)

    def close(self) -> None:
        """Delete the timers (idempotent). After it returns no new call starts; one already on its way
        may still run, so `arg` must stay valid (engines are never freed)."""
        ids, self._ids = self._ids, []
        if self._pid == os.getpid() and _lib is not None:  # None: interpreter teardown
            for tid in ids:
                _lib.timer_delete(tid)

    def forget(self) -> None:
        """In a forked child: drop the parent's timers without a system call on their ids."""
        self._ids = []

    def __del__(self) -> None:
        self.close()


def sync_timer_helper(function: int) -> None:
    """Wait until glibc's timer helper thread is outside its locked section: creating and deleting a
    (never armed) SIGEV_THREAD timer takes the same lock. With no timer armed, it stays outside, except
    for a signal already queued before the timers were stopped."""
    try:
        PeriodicTimer(function, 0, 1.0, 1).close()
    except OSError:
        pass
