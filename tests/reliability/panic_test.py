"""Panic recovery: a Go plugin that panics on some requests, interleaved with good ones. Every panic is
a TrapError carrying its own panic message, the plugin keeps serving (each panicked instance is
replaced by a fresh one), and RSS stays flat over the instances made and discarded."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmplug
from greeting.greeting_pb2 import GreetRequest
from greeting.greeting_wasmplug import GreeterPlugin
from reliability.support import MiB, RssSamples, panicky, run_threads, scaled
from wasmplug import PluginConfig

PANICS = scaled(400, 20_000)  # in all threads
GOOD_PER_PANIC = 4
SAMPLES = 50
# Every panic discards an instance (its store and linear memory, a few MiB): a leaked one per panic
# would be gigabytes; what remains is allocator noise.
RSS_BOUND = 16 * MiB


@pytest.mark.parametrize("threads", [1, 2])
def test_panics_are_typed_and_the_plugin_recovers(cache_dir: Path, threads: int) -> None:
    rss = RssSamples()
    per_thread = PANICS // threads
    warmup = per_thread // 10
    every = max(1, per_thread // SAMPLES)
    config = PluginConfig(cache_dir=cache_dir, max_instances=threads)
    with GreeterPlugin(config=config).load(panicky()) as greeter:
        plugin = greeter.plugin

        def worker(t: int) -> None:
            for p in range(per_thread):
                for g in range(GOOD_PER_PANIC):
                    name = f"{t}.{p}.{g}"
                    assert greeter.say_hello(GreetRequest(name=name)).message == "Hello, " + name
                live = plugin.instances
                with pytest.raises(wasmplug.TrapError) as info:
                    greeter.say_hello(GreetRequest(name=f"panic:{t}.{p}"))
                # its own message, not another call's from a reused or shared stderr
                assert info.value.panic.splitlines()[0] == f"panic: boom {t}.{p}", info.value.panic
                assert info.value.export == "greeter_say_hello"
                if threads == 1:
                    assert plugin.instances == live - 1  # the panicked instance is gone
                if t == 0 and p == warmup:
                    rss.warmed_up()
                elif t == 0 and p % every == 0:
                    rss.sample()

        run_threads(worker, threads, timeout=1200)
        rss.sample()
        assert greeter.say_hello(GreetRequest(name="after")).message == "Hello, after"
        assert 1 <= plugin.instances <= threads
    report = rss.report(f"panic loop, {per_thread * threads} panics on {threads} thread(s)")
    print(report)
    assert rss.growth() <= RSS_BOUND, report
