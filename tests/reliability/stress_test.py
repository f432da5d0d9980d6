"""Thread stress: N threads x M calls with distinct requests on one plugin, more threads than
instances and as many: every reply is the reply to its own request (0 crossed), and no call waits for
an instance longer than the bound (the plugin's deadline bounds the pool wait: a longer wait would be a
DeadlineExceeded)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import wasmplug
from greeting.greeting_pb2 import GreetRequest
from greeting.greeting_wasmplug import GreeterPlugin
from reliability.support import morning, run_threads, scaled
from wasmplug import PluginConfig

CALLS_PER_THREAD = scaled(2_000, 100_000)
WAIT_BOUND = 2.0  # seconds; calls take ~10 us, so a wait this long means a starved waiter


@pytest.mark.parametrize("threads, instances", [(8, 1), (8, 2), (4, 4)])
def test_no_crossed_replies_and_bounded_wait(cache_dir: Path, threads: int, instances: int) -> None:
    config = PluginConfig(cache_dir=cache_dir, max_instances=instances, timeout=WAIT_BOUND)
    crossed: list[tuple[str, str]] = []
    slowest = [
        0.0
    ] * threads  # the longest call (its pool wait included) per thread, for the report
    start = threading.Barrier(threads)

    with GreeterPlugin(config=config).load(morning()) as greeter:

        def worker(t: int) -> None:
            start.wait(timeout=60)
            for i in range(CALLS_PER_THREAD):
                name = f"{t}/{i}" + "." * (i % 97)  # distinct, and of varied sizes
                began = time.perf_counter()
                try:
                    reply = greeter.say_hello(GreetRequest(name=name))
                except wasmplug.DeadlineExceeded as exc:
                    raise AssertionError(f"a call waited over {WAIT_BOUND} s: {exc}") from exc
                slowest[t] = max(slowest[t], time.perf_counter() - began)
                if reply.message != "Good morning, " + name:
                    crossed.append((name, reply.message))

        run_threads(worker, threads, timeout=600)
        assert greeter.plugin.instances <= instances
    print(
        f"stress {threads} threads x {CALLS_PER_THREAD} calls, max_instances={instances}:"
        f" {len(crossed)} crossed, slowest call {max(slowest) * 1e3:.1f} ms"
    )
    assert crossed == []
