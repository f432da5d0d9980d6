"""asyncio_host: an async host asking several plugins at once, each call with a deadline.

`load_async` returns the async client; `await searcher.search(request, timeout=...)` runs the call on a worker
thread (wasm runs without the GIL), so `asyncio.gather` overlaps the plugins and the event loop stays free. The
"slow" plugin misses its deadline and comes back as `wasmplug.DeadlineExceeded`; the "quick" one answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import sys

import wasmplug
from asyncio_host.asyncio_host_pb2 import SearchReply, SearchRequest
from asyncio_host.asyncio_host_wasmplug import SearcherPlugin

PLUGINS = ("quick", "slow")


async def search_all(query: str, *, timeout: float) -> dict[str, SearchReply | BaseException]:
    """Ask every plugin at once; each gets `timeout` seconds. Returns each plugin's reply or error."""
    loader = SearcherPlugin()
    async with contextlib.AsyncExitStack() as stack:
        searchers = {}
        for name in PLUGINS:
            wasm = importlib.resources.files(f"plugins.asyncio_host.{name}") / f"{name}.wasm"
            # Loading compiles the module (or reads it from the compile cache): keep that off the event loop too.
            searchers[name] = await stack.enter_async_context(
                await asyncio.to_thread(loader.load_async, wasm)
            )
        request = SearchRequest(query=query)
        replies = await asyncio.gather(
            *(searcher.search(request, timeout=timeout) for searcher in searchers.values()),
            return_exceptions=True,
        )
        return dict(zip(searchers, replies))


async def heartbeat(interval: float) -> int:
    """Counts until cancelled: shows that the event loop keeps running while plugins compute."""
    beats = 0
    with contextlib.suppress(asyncio.CancelledError):
        while True:
            await asyncio.sleep(interval)
            beats += 1
    return beats


async def run(query: str) -> tuple[dict[str, SearchReply | BaseException], int]:
    beats = asyncio.create_task(heartbeat(0.05))
    results = await search_all(query, timeout=0.5)
    beats.cancel()
    return results, await beats


def main() -> int:
    results, beats = asyncio.run(run("wasm"))
    for name, result in results.items():
        if isinstance(result, SearchReply):
            print(f"{name}: {list(result.hits)}")
        else:
            print(f"{name}: {type(result).__name__}: {result}")
    print(f"the event loop ran {beats} heartbeats meanwhile")
    quick, slow = results["quick"], results["slow"]
    ok = isinstance(quick, SearchReply) and list(quick.hits) == ["wasm", "wasmtime"]
    return 0 if ok and isinstance(slow, wasmplug.DeadlineExceeded) else 1


if __name__ == "__main__":
    sys.exit(main())
