"""Soak: a million calls (long mode; 10^5 in CI) through the generated client of a real Go plugin, with
requests of varied sizes; RSS, sampled along the run, must stay flat after warm-up."""

from __future__ import annotations

import time
from pathlib import Path

from greeting.greeting_pb2 import GreetRequest
from greeting.greeting_wasmplug import GreeterPlugin
from reliability.support import MiB, RssSamples, morning, scaled
from wasmplug import PluginConfig

CALLS = scaled(100_000, 1_000_000)
WARMUP = CALLS // 10
SAMPLES = 100
# Growth allowed after warm-up: allocator and GC noise, not a leak. One leaked request or reply (0-4 KiB,
# 1.3 KiB on average) per call would be ~110 MiB in CI's run and ~1.1 GiB in the long one.
RSS_BOUND = 8 * MiB
# Request names from empty to 4 KiB: the host's scratch buffer and the guest's allocator see every size.
NAMES = ["x" * (n * n % 4097) for n in range(64)]


def test_soak_memory_is_flat(cache_dir: Path) -> None:
    rss = RssSamples()
    loader = GreeterPlugin(config=PluginConfig(cache_dir=cache_dir, max_instances=1))
    with loader.load(morning()) as greeter:
        requests = [GreetRequest(name=name) for name in NAMES]
        replies = ["Good morning, " + name for name in NAMES]
        every = CALLS // SAMPLES
        began, cpu = time.perf_counter(), time.process_time()
        for i in range(CALLS):
            k = i % len(NAMES)
            reply = greeter.say_hello(requests[k])
            assert reply.message == replies[k]
            if i == WARMUP:
                rss.warmed_up()
            elif i % every == 0:
                rss.sample()
        rss.sample()
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        assert greeter.plugin.instances == 1  # no call failed or replaced its instance
    report = rss.report(f"soak, {CALLS} calls")
    print(
        f"{report}; {wall:.1f} s ({wall / CALLS * 1e6:.1f} us/call, CPU {cpu / CALLS * 1e6:.1f} us)"
    )
    assert rss.growth() <= RSS_BOUND, report
