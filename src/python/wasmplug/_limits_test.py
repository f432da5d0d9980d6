"""Deadlines (epoch interruption), fuel and memory limits.

No timing targets here (a loaded CI machine can stall a thread for seconds): a deadline must not fire
before it is due, and a call that is never interrupted fails after a bounded wait instead of hanging.
How soon after the deadline the interrupt lands (one 5 ms epoch tick) is a benchmark matter.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import wasmplug
from wasmplug import PluginConfig

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; annotations only
    from importlib.resources.abc import Traversable

Guest = Callable[[str], "Traversable"]
HANG = 60.0  # seconds: a call still running after this was never interrupted
MiB = 1 << 20


def _within_bound(fn: Callable[[], None]) -> None:
    """Run fn in a thread; fail if it is still running after HANG seconds."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as e:  # re-raised below, in the test's thread
            errors.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(HANG)
    assert not t.is_alive(), f"not interrupted within {HANG} s"
    if errors:
        raise errors[0]


def test_deadline_interrupts_infinite_loop(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(guest("abi"), config=PluginConfig(cache_dir=cache_dir)) as p:
        for timeout in (0.05, 0.2):

            def spin() -> None:
                start = time.monotonic()
                with pytest.raises(wasmplug.DeadlineExceeded) as info:
                    p.call_bytes("spin", b"", timeout=timeout)
                assert time.monotonic() - start >= timeout  # not before it is due
                assert "spin" in str(info.value)
                assert isinstance(info.value, TimeoutError)

            _within_bound(spin)
            assert p.instances == 0  # the interrupted instance is gone
        assert p.call_bytes("echo", b"alive") == b"alive"


def test_config_timeout_applies_and_call_can_override(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(
        guest("abi"), config=PluginConfig(cache_dir=cache_dir, timeout=0.1)
    ) as p:
        with pytest.raises(wasmplug.DeadlineExceeded):
            p.call_bytes("spin", b"")
        # A generous per-call deadline lets a longer computation finish.
        assert p.call_bytes("work", b"20000000", timeout=30.0)


def test_deadline_does_not_leak_into_later_calls(guest: Guest, cache_dir: Path) -> None:
    """A short deadline armed for one call must not interrupt the next call on the same instance."""
    with wasmplug.Plugin.load(
        guest("abi"), config=PluginConfig(cache_dir=cache_dir, max_instances=1)
    ) as p:
        assert p.call_bytes("echo", b"x", timeout=0.02) == b"x"
        time.sleep(0.1)  # the old deadline has long passed
        assert p.call_bytes("work", b"30000000") != b""
        assert p.call_bytes("count", b"") == b"1"  # same instance throughout


def test_timeout_in_initialize_is_a_load_error(cache_dir: Path) -> None:
    import wasmtime

    wat = """(module
      (memory (export "memory") 1)
      (func (export "malloc") (param i32) (result i32) i32.const 0)
      (func (export "free") (param i32))
      (func (export "_initialize") (loop $l br $l)))"""

    def load() -> None:
        with pytest.raises(wasmplug.LoadError, match="deadline exceeded"):
            wasmplug.Plugin.load(
                wasmtime.wat2wasm(wat), config=PluginConfig(cache_dir=cache_dir, timeout=0.1)
            )

    _within_bound(load)


def test_fuel_exhaustion(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(
        guest("abi"), config=PluginConfig(cache_dir=cache_dir, fuel=5_000_000)
    ) as p:
        assert p.call_bytes("echo", b"cheap") == b"cheap"
        with pytest.raises(wasmplug.FuelExhausted):
            p.call_bytes("spin", b"")
        with pytest.raises(wasmplug.FuelExhausted):
            p.call_bytes("work", b"100000000")
        # Per-call fuel: enough for the same work.
        assert p.call_bytes("work", b"100000000", fuel=10**10) != b""
        # Fuel is per call, not cumulative: many cheap calls keep working.
        for _ in range(50):
            assert p.call_bytes("echo", b"again") == b"again"


def test_fuel_needs_fuel_engine(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(guest("abi"), config=PluginConfig(cache_dir=cache_dir)) as p:
        with pytest.raises(ValueError, match="fuel"):
            p.call_bytes("echo", b"x", fuel=100)


def test_memory_limit(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(
        guest("abi"), config=PluginConfig(cache_dir=cache_dir, memory_limit=64 * MiB)
    ) as p:
        assert p.call_bytes("grab", str(8 * MiB).encode()) == b"ok"
        with pytest.raises(wasmplug.MemoryLimitError) as info:
            p.call_bytes("grab", str(100 * MiB).encode())
        assert isinstance(info.value, MemoryError)
        assert p.instances == 0
        assert p.call_bytes("echo", b"fine") == b"fine"


def test_memory_limit_per_call(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(
        guest("abi"), config=PluginConfig(cache_dir=cache_dir, max_instances=1)
    ) as p:
        with pytest.raises(wasmplug.MemoryLimitError):
            p.call_bytes("grab", str(100 * MiB).encode(), memory_limit=48 * MiB)
        # Without the override the plugin is unlimited again.
        assert p.call_bytes("grab", str(100 * MiB).encode()) == b"ok"


def test_memory_limit_below_initial_memory_fails_at_load(cache_dir: Path) -> None:
    import wasmtime

    wat = """(module (memory (export "memory") 32)
      (func (export "malloc") (param i32) (result i32) i32.const 0) (func (export "free") (param i32)))"""
    with pytest.raises(wasmplug.MemoryLimitError):
        wasmplug.Plugin.load(
            wasmtime.wat2wasm(wat), config=PluginConfig(cache_dir=cache_dir, memory_limit=MiB)
        )


# hog grows memory one page at a time until memory.grow fails (-1), then returns "full" normally.
HOG_WAT = """(module
  (memory (export "memory") 1)
  (data (i32.const 64) "full")
  (func (export "malloc") (param i32) (result i32) i32.const 1024)
  (func (export "free") (param i32))
  (func (export "echo") (param i32 i32) (result i64) i64.const 0)
  (func (export "hog") (param i32 i32) (result i64)
    (block $done
      (loop $l
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $l)))
    (i64.const 0x4000000004)))"""


def test_memory_limit_the_guest_survives_is_counted_and_logged(
    cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import wasmtime

    config = PluginConfig(cache_dir=cache_dir, memory_limit=MiB, max_instances=1)
    with caplog.at_level("WARNING", logger="wasmplug"):
        with wasmplug.Plugin.load(bytes(wasmtime.wat2wasm(HOG_WAT)), config=config) as p:
            assert p.call_bytes("echo", b"") == b""
            assert p.memory_limit_reached == 0  # 1 page of 16: far from the limit
            assert p.call_bytes("hog", b"") == b"full"  # its memory.grow failed; no trap
            assert p.memory_limit_reached == 1
            assert p.call_bytes("echo", b"") == b""  # same instance, still at its limit
            assert p.memory_limit_reached == 2
            assert p.instances == 1
    records = [r.getMessage() for r in caplog.records if r.name == "wasmplug"]
    assert records == [
        "hog: plugin memory reached memory_limit=1048576 bytes (1048576 bytes in use) and the call "
        "returned normally: this instance's memory.grow fails from now on"
    ]


def test_memory_limit_per_call_the_guest_survives_is_counted(cache_dir: Path) -> None:
    import wasmtime

    config = PluginConfig(cache_dir=cache_dir, max_instances=1)
    with wasmplug.Plugin.load(bytes(wasmtime.wat2wasm(HOG_WAT)), config=config) as p:
        assert p.call_bytes("hog", b"", memory_limit=2 * MiB) == b"full"
        assert p.memory_limit_reached == 1
        assert p.call_bytes("echo", b"") == b""  # no limit on this call: nothing to reach
        assert p.memory_limit_reached == 1
