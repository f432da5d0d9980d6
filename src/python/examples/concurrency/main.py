"""concurrency: many threads calling one loaded plugin; every reply matches its request.

A loaded plugin is thread-safe: each call checks an instance out of the plugin's pool (at most `max_instances`,
created on demand) and runs on it alone. Wasm runs without the GIL, so the calls really run in parallel.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import wasmplug
from concurrency.concurrency_pb2 import HashReply, HashRequest
from concurrency.concurrency_wasmplug import HasherPlugin

PLUGIN = importlib.resources.files("plugins.concurrency") / "concurrency.wasm"


def hash_all(
    requests: Sequence[HashRequest], *, threads: int, instances: int
) -> tuple[list[HashReply], int]:
    """Send every request from a pool of `threads` threads; return the replies and how many instances served them."""
    config = wasmplug.PluginConfig(max_instances=instances)
    with HasherPlugin(config=config).load(PLUGIN) as hasher:
        with ThreadPoolExecutor(max_workers=threads) as executor:
            replies = list(executor.map(hasher.hash, requests))
        return replies, hasher.plugin.instances


def expected(request: HashRequest) -> bytes:
    digest = request.data
    for _ in range(request.rounds):
        digest = hashlib.sha256(digest).digest()
    return digest


def main() -> int:
    requests = [HashRequest(id=i, data=f"request {i}".encode(), rounds=500) for i in range(200)]
    start = time.perf_counter()
    replies, instances = hash_all(requests, threads=16, instances=4)
    elapsed = time.perf_counter() - start
    wrong = [r.id for q, r in zip(requests, replies) if r.id != q.id or r.digest != expected(q)]
    print(
        f"{len(requests)} calls from 16 threads on {instances} instances in {elapsed:.2f} s (loading included)"
    )
    print(f"replies that do not match their request: {len(wrong)}")
    return 0 if not wrong and 1 <= instances <= 4 else 1


if __name__ == "__main__":
    sys.exit(main())
