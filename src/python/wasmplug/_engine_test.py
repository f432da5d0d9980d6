"""The epoch ticker: native POSIX timers (created on the first deadline, deleted with the ticker, new ones
after fork) and the Python-thread fallback when no native timer can be made."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import wasmplug
from wasmplug import PluginConfig, _engine

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

Guest = Callable[[str], "Traversable"]


def _timers() -> int:
    """POSIX timers of this process (Linux lists them in /proc/self/timers)."""
    with open("/proc/self/timers") as f:
        return sum(1 for line in f if line.startswith("ID:"))


def _wait_idle(ticker: _engine.EpochTicker) -> None:
    for _ in range(400):  # bounded: idle 1.1 s after the last deadline
        if ticker._idle:
            return
        time.sleep(0.01)
    raise AssertionError("the ticker did not go idle")


def test_native_timers_created_on_first_deadline_and_deleted_on_close() -> None:
    before = _timers()
    for _ in range(30):  # many engines: each ticker's timers go away with it
        h = _engine.EngineHandle(False)
        assert _timers() == before  # none until a deadline needs ticks
        h.ticker.arm(0.01)
        assert h.ticker.kind == _engine.NATIVE
        assert _timers() == before + _engine._TIMERS
        h.close()
        assert _timers() == before


def test_idle_ticker_holds_no_thread_and_is_collected() -> None:
    h = _engine.EngineHandle(False)
    # Threads started by this ticker; not a count, which other tests' ending threads would change.
    earlier = set(threading.enumerate())
    before = _timers()
    h.ticker.arm(0.0)
    assert _timers() == before + _engine._TIMERS
    _wait_idle(h.ticker)
    for _ in range(100):  # the watcher thread exits right after marking the ticker idle
        if not set(threading.enumerate()) - earlier:
            break
        time.sleep(0.01)
    assert set(threading.enumerate()) - earlier == set()
    del h  # no thread refers to the ticker any more: its timers are deleted with it
    assert _timers() == before


def test_python_thread_fallback_is_logged_and_still_interrupts(
    guest: Guest, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_timer(*args: object) -> None:
        raise OSError(38, "timer_create: Function not implemented")

    monkeypatch.setattr(_engine, "PeriodicTimer", no_timer)
    monkeypatch.setattr(_engine, "_engines", {})  # a fresh engine (and ticker) for this test
    with caplog.at_level(logging.WARNING, logger="wasmplug"):
        with wasmplug.Plugin.load(guest("abi"), config=PluginConfig(cache_dir=cache_dir)) as p:
            with pytest.raises(wasmplug.DeadlineExceeded):
                p.call_bytes("spin", b"", timeout=0.05)
            assert p._ticker.kind == _engine.THREAD
    [record] = [r for r in caplog.records if r.name == "wasmplug"]
    assert "no native epoch timer" in record.getMessage()
    assert "Function not implemented" in record.getMessage()


def _fork_and_spin(p: wasmplug.Plugin) -> int:
    """Fork while the parent's timers tick; the child's exit code: 0 when its deadline fired on its own
    native timers."""
    p.call_bytes("echo", b"x", timeout=1.0)  # the parent's timers tick for the next second
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        code = 1
        try:
            try:
                p.call_bytes("spin", b"", timeout=0.05)
            except wasmplug.DeadlineExceeded:
                timer = p._ticker._timer
                code = 0 if timer is not None and timer.alive else 2
        finally:
            os._exit(code)
    for _ in range(1000):  # bounded: 10 s
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return -9


def test_deadline_fires_in_forked_children(guest: Guest, cache_dir: Path) -> None:
    """A child gets no kernel timers from its parent: it makes its own, never reusing their ids. Before
    the timers were stopped around fork, about one child in eight hung in timer_create (a glibc lock
    inherited held)."""
    with wasmplug.Plugin.load(guest("abi"), config=PluginConfig(cache_dir=cache_dir)) as p:
        codes = [_fork_and_spin(p) for _ in range(20)]
        assert codes == [0] * 20, "exit codes of the children (-9: hung, killed after 10 s)"
        assert p._ticker.kind == _engine.NATIVE
        with pytest.raises(wasmplug.DeadlineExceeded):  # the parent's ticker still works
            p.call_bytes("spin", b"", timeout=0.05)
