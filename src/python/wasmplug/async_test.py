from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import wasmplug
from google.protobuf import wrappers_pb2
from wasmplug import PluginConfig

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; annotations only
    from importlib.resources.abc import Traversable

Guest = Callable[[str], "Traversable"]


def test_call_async_concurrent(guest: Guest, cache_dir: Path) -> None:
    async def main(p: wasmplug.Plugin) -> list[str]:
        calls = [
            p.call_async("upper", wrappers_pb2.StringValue(value=f"m{i}"), wrappers_pb2.StringValue)
            for i in range(20)
        ]
        return [r.value for r in await asyncio.gather(*calls)]

    with wasmplug.Plugin.load(
        guest("abi"), config=PluginConfig(cache_dir=cache_dir, max_instances=2)
    ) as p:
        # StringValue(value="m0") serializes as b"\n\x02m0": upper-casing keeps the tag bytes valid.
        assert asyncio.run(main(p)) == [f"M{i}" for i in range(20)]
        assert p.instances <= 2


def test_call_async_deadline_and_event_loop_stays_responsive(guest: Guest, cache_dir: Path) -> None:
    async def main(p: wasmplug.Plugin) -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        t = asyncio.create_task(ticker())
        with pytest.raises(wasmplug.DeadlineExceeded):
            await p.call_async(
                "spin", wrappers_pb2.StringValue(), wrappers_pb2.StringValue, timeout=0.3
            )
        t.cancel()
        return ticks

    with wasmplug.Plugin.load(guest("abi"), config=PluginConfig(cache_dir=cache_dir)) as p:
        # The loop kept running while the plugin spun on a worker thread.
        assert asyncio.run(main(p)) > 3


def test_call_async_errors(guest: Guest, cache_dir: Path) -> None:
    async def main(p: wasmplug.Plugin) -> None:
        with pytest.raises(wasmplug.PluginError, match="failed"):
            await p.call_async(
                "fail", wrappers_pb2.StringValue(value="x"), wrappers_pb2.StringValue
            )
        assert await p.call_bytes_async("echo", b"raw") == b"raw"

    with wasmplug.Plugin.load(guest("abi"), config=PluginConfig(cache_dir=cache_dir)) as p:
        asyncio.run(main(p))
