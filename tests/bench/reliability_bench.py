"""Reliability rows (issue 11): deadline overshoot with and without busy Python threads, and the pool's
wait when more threads than instances call.

Deadline: a WAT guest spins on WASI's monotonic clock (native, no GIL), recording when it started and
the last time it ran, until a 0.2 s deadline interrupts it. "interrupt" = how long past the deadline
the guest last ran (the epoch ticker's lateness, measured by the guest); "return" = how long past it
`DeadlineExceeded` reached the caller (the interrupt plus winning the GIL back). Median and max over
the runs, idle and with 3 and 8 pure-Python threads spinning.

Pool: T threads call one plugin with `max_instances` < T; a call is ~10 µs of guest work. The wait is
the time `Pool.get` takes (p50, p99, max over all calls).
"""

from __future__ import annotations

import dataclasses
import statistics
import struct
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

from bench.timing import Settings
from reliability.load import busy_threads

DEADLINE = 0.2
BUSY = (0, 3, 8)

CLOCK_WAT = """(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "malloc") (param i32) (result i32) i32.const 1024)
  (func (export "free") (param i32))
  (func (export "spin") (param i32 i32) (result i64)
    (drop (call $clock (i32.const 1) (i64.const 0) (i32.const 0)))
    (loop $l (drop (call $clock (i32.const 1) (i64.const 0) (i32.const 8))) (br $l))
    i64.const 0))"""

# work(ptr, len): ~10 µs of guest compute, replies with nothing.
WORK_WAT = """(module
  (memory (export "memory") 1)
  (func (export "malloc") (param i32) (result i32) i32.const 1024)
  (func (export "free") (param i32))
  (func (export "work") (param i32 i32) (result i64)
    (local $i i32)
    (local.set $i (i32.const 20000))
    (loop $l (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br_if $l (local.get $i)))
    i64.const 0))"""


@dataclasses.dataclass
class ReliabilityRecord:
    name: str
    title: str
    unit: str  # "ms"
    values: dict[
        str, Optional[float]
    ]  # e.g. interrupt_median, interrupt_max, return_median, return_max
    detail: dict[str, Any] = dataclasses.field(default_factory=dict)


def _overshoots(runs: int, busy: int, cache: Path) -> tuple[list[float], list[float], str]:
    """(interrupt ms, return ms) per run past the deadline, and the ticker kind."""
    import wasmplug
    import wasmtime
    from wasmplug._image import Image
    from wasmplug._instance import Instance

    # Instances are made directly (not through a Plugin) so the guest's clock readings can be read from
    # the interrupted instance's memory before it is closed; made before the load starts.
    config = wasmplug.PluginConfig(cache_dir=cache)
    image = Image(bytes(wasmtime.wat2wasm(CLOCK_WAT)), None, config, ())
    ticker = image.engine.ticker
    instances = [Instance(image) for _ in range(runs)]
    interrupt, returned = [], []
    with busy_threads(busy):
        time.sleep(0.1)  # let them get going
        for inst in instances:
            t0 = time.monotonic()
            try:
                inst.invoke("spin", b"", ticker.arm(DEADLINE), None)
            except wasmplug.DeadlineExceeded:
                pass
            returned.append((time.monotonic() - t0 - DEADLINE) * 1e3)
            start, last = struct.unpack("<QQ", bytes(inst.memory.view[0:16]))
            interrupt.append(((last - start) / 1e9 - DEADLINE) * 1e3)
            inst.close()
    return interrupt, returned, ticker.kind


def _pool_waits(threads: int, instances: int, calls: int, cache: Path) -> list[float]:
    """Pool.get times (µs) of every call when `threads` threads share `instances` instances."""
    import wasmplug
    import wasmtime

    config = wasmplug.PluginConfig(cache_dir=cache, max_instances=instances, timeout=5.0)
    waits: list[float] = []
    with wasmplug.Plugin.load(bytes(wasmtime.wat2wasm(WORK_WAT)), config=config) as plugin:
        plugin.prefill(instances)
        pool = plugin._pool
        get = pool.get

        def timed_get(timeout: Optional[float]) -> Any:
            t0 = time.perf_counter_ns()
            inst = get(timeout)
            waits.append((time.perf_counter_ns() - t0) / 1e3)  # list.append is atomic under the GIL
            return inst

        setattr(pool, "get", timed_get)  # call_bytes takes its instances through get
        barrier = threading.Barrier(threads)

        def worker() -> None:
            barrier.wait()
            for _ in range(calls):
                plugin.call_bytes("work", b"")

        ts = [threading.Thread(target=worker) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    return waits


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def run(settings: Settings, cache: Path, log: Callable[[str], None]) -> list[ReliabilityRecord]:
    runs = 3 if settings.quick else 20
    records = []
    for busy in BUSY:
        log(f"deadline overshoot, {busy} busy Python threads ({runs} runs)")
        interrupt, returned, kind = _overshoots(runs, busy, cache)
        records.append(
            ReliabilityRecord(
                f"deadline_overshoot_busy{busy}",
                f"0.2 s deadline overshoot, {'idle' if not busy else f'{busy} busy threads'}",
                "ms",
                {
                    "interrupt_median": statistics.median(interrupt),
                    "interrupt_max": max(interrupt),
                    "return_median": statistics.median(returned),
                    "return_max": max(returned),
                },
                {"runs": runs, "ticker": kind, "interrupt_ms": interrupt, "return_ms": returned},
            )
        )
    calls = 200 if settings.quick else 20_000
    for threads, instances in ((4, 1), (4, 2)):
        log(f"pool wait, {threads} threads, max_instances={instances} ({calls} calls each)")
        waits = _pool_waits(threads, instances, calls, cache)
        records.append(
            ReliabilityRecord(
                f"pool_wait_t{threads}_i{instances}",
                f"pool wait, {threads} threads, max_instances={instances}",
                "us",
                {"p50": _pct(waits, 0.5), "p99": _pct(waits, 0.99), "max": max(waits)},
                {"calls": len(waits)},
            )
        )
    return records


def table(records: list[ReliabilityRecord]) -> str:
    lines = []
    deadline = [r for r in records if r.unit == "ms"]
    if deadline:
        heads = [
            "reliability case",
            "interrupt median",
            "interrupt max",
            "return median",
            "return max",
        ]
        rows = [
            [
                r.title,
                *(
                    f"+{r.values[k]:.1f} ms" if r.values[k] is not None else "-"
                    for k in ("interrupt_median", "interrupt_max", "return_median", "return_max")
                ),
            ]
            for r in deadline
        ]
        lines += _grid(heads, rows)
        lines.append("")
    pool = [r for r in records if r.unit == "us"]
    if pool:
        heads = ["pool case (~10 us calls)", "wait p50", "wait p99", "wait max"]
        rows = [[r.title, *(_us(r.values[k]) for k in ("p50", "p99", "max"))] for r in pool]
        lines += _grid(heads, rows)
    return "\n".join(lines).rstrip()


def _us(v: Optional[float]) -> str:
    if v is None:
        return "-"
    return f"{v / 1e3:,.2f} ms" if v >= 1000 else f"{v:.1f} us"


def _grid(heads: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [heads, *rows]) for i in range(len(heads))]
    out = ["  ".join(h.ljust(w) for h, w in zip(heads, widths)), "  ".join("-" * w for w in widths)]
    for row in rows:
        out.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))
            )
        )
    return out
