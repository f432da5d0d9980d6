from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import wasmplug
from wasmplug import PluginConfig

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; annotations only
    from importlib.resources.abc import Traversable

Guest = Callable[[str], "Traversable"]


InThreads = Callable[[Callable[[int], None], int], None]


def test_threads_never_cross_replies(guest: Guest, cache_dir: Path, in_threads: InThreads) -> None:
    cfg = PluginConfig(cache_dir=cache_dir, max_instances=3)
    errors: list[str] = []
    with wasmplug.Plugin.load(guest("abi"), config=cfg) as p:

        def worker(tid: int) -> None:
            for i in range(300):
                payload = f"thread {tid} call {i} ".encode() * (1 + i % 50)
                got = p.call_bytes("echo", payload)
                if got != payload:
                    errors.append(f"{tid}/{i}: {got[:40]!r}")

        in_threads(worker, 8)
        assert errors == []
        assert 1 <= p.instances <= 3  # bounded, grew on demand
        assert p.idle_instances == p.instances


def test_instance_is_reused(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(guest("abi"), config=PluginConfig(cache_dir=cache_dir)) as p:
        assert [p.call_bytes("count", b"") for _ in range(3)] == [b"1", b"2", b"3"]
        assert p.instances == 1


def test_fresh_instance_per_call(guest: Guest, cache_dir: Path) -> None:
    cfg = PluginConfig(cache_dir=cache_dir, fresh_instance_per_call=True)
    with wasmplug.Plugin.load(guest("abi"), config=cfg) as p:
        assert [p.call_bytes("count", b"") for _ in range(3)] == [b"1", b"1", b"1"]
        assert p.instances == 0


def test_trapped_instance_is_replaced(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(guest("abi"), config=PluginConfig(cache_dir=cache_dir)) as p:
        p.call_bytes("count", b"")
        p.call_bytes("count", b"")
        with pytest.raises(wasmplug.TrapError):
            p.call_bytes("panic_now", b"x")
        assert p.instances == 0  # the trapped instance was discarded
        assert p.call_bytes("count", b"") == b"1"  # a new instance, state starts over


def test_waiters_get_instances_when_pool_is_full(
    guest: Guest, cache_dir: Path, in_threads: InThreads
) -> None:
    """max_instances=1 with several threads: they queue for the one instance, nobody fails."""
    cfg = PluginConfig(cache_dir=cache_dir, max_instances=1)
    results: list[bytes] = []
    with wasmplug.Plugin.load(guest("abi"), config=cfg) as p:
        in_threads(lambda _: results.append(p.call_bytes("work", b"2000000")), 4)
        assert len(results) == 4 and len(set(results)) == 1
        assert p.instances == 1


def test_prefill(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(
        guest("abi"), config=PluginConfig(cache_dir=cache_dir, max_instances=4)
    ) as p:
        assert p.instances == 1  # load creates one, so load errors surface at load
        p.prefill(3)
        assert (p.instances, p.idle_instances) == (3, 3)
        p.prefill(10)
        assert (p.instances, p.idle_instances) == (4, 4)  # bounded by max_instances


def test_deadline_covers_waiting_for_an_instance(guest: Guest, cache_dir: Path) -> None:
    import threading
    import time

    cfg = PluginConfig(cache_dir=cache_dir, max_instances=1)
    outcome: list[BaseException] = []

    def hog(p: wasmplug.Plugin) -> None:
        try:
            p.call_bytes("spin", b"", timeout=2.0)  # long enough that the main thread surely waits
        except BaseException as exc:
            outcome.append(exc)

    with wasmplug.Plugin.load(guest("abi"), config=cfg) as p:
        busy = threading.Thread(target=hog, args=(p,))
        busy.start()
        give_up = time.monotonic() + 10
        while p.idle_instances:  # wait until the only instance is checked out
            assert time.monotonic() < give_up, "the hog thread never checked the instance out"
            time.sleep(0.001)
        with pytest.raises(wasmplug.DeadlineExceeded, match="no plugin instance became free"):
            p.call_bytes("echo", b"x", timeout=0.05)
        busy.join()
        assert [type(e) for e in outcome] == [wasmplug.DeadlineExceeded]
        assert p.call_bytes("echo", b"x", timeout=1.0) == b"x"


def test_waiters_are_served_in_arrival_order(
    guest: Guest, cache_dir: Path, in_threads: InThreads
) -> None:
    """4 threads, 1 instance, ~10 us calls: nobody keeps losing the instance to threads that never
    queued (main had waits of 5-10 s and spurious DeadlineExceeded with timeout=1.0)."""
    import time

    cfg = PluginConfig(cache_dir=cache_dir, max_instances=1, timeout=1.0)
    waits: list[float] = []
    errors: list[BaseException] = []
    with wasmplug.Plugin.load(guest("abi"), config=cfg) as p:

        def worker(tid: int) -> None:
            worst = 0.0
            for _ in range(20_000):
                start = time.monotonic()
                try:
                    p.call_bytes("echo", b"x")
                except wasmplug.DeadlineExceeded as exc:
                    errors.append(exc)
                worst = max(worst, time.monotonic() - start)
            waits.append(worst)

        in_threads(worker, 4)
    assert errors == []
    assert max(waits) < 0.5  # a few ms when alone (tests/bench prints the p99); generous for CI
