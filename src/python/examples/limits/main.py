"""limits: a plugin that loops forever meets a deadline; one that allocates without end meets a memory limit.

Both come back as typed exceptions (`wasmplug.DeadlineExceeded`, `wasmplug.MemoryLimitError`); the stopped
instance is thrown away and the next call gets a fresh one, so the host carries on.
"""

from __future__ import annotations

import importlib.resources
import sys
import time

import wasmplug
from google.protobuf.empty_pb2 import Empty
from limits.limits_pb2 import SumRequest
from limits.limits_wasmplug import Worker, WorkerPlugin

PLUGIN = importlib.resources.files("plugins.limits") / "limits.wasm"
MiB = 1 << 20


def load() -> Worker:
    config = wasmplug.PluginConfig(
        timeout=5.0,  # seconds per call, unless the call says otherwise
        memory_limit=64 * MiB,  # linear memory per instance
    )
    return WorkerPlugin(config=config).load(PLUGIN)


def main() -> int:
    stopped: list[wasmplug.WasmplugError] = []
    with load() as worker:
        print("sum(1..1000) =", worker.sum(SumRequest(n=1000)).total)

        start = time.monotonic()
        try:
            worker.spin(Empty(), timeout=0.5)  # a per-call deadline
        except wasmplug.DeadlineExceeded as err:
            print(f"spin stopped after {time.monotonic() - start:.1f}s: {err}")
            stopped.append(err)
        print("sum(1..2000) =", worker.sum(SumRequest(n=2000)).total)

        try:
            worker.hoard(Empty())
        except wasmplug.MemoryLimitError as err:
            print(f"hoard stopped: {err}")
            stopped.append(err)
        total = worker.sum(SumRequest(n=3000)).total
        print("sum(1..3000) =", total)
    return 0 if len(stopped) == 2 and total == 4_501_500 else 1


if __name__ == "__main__":
    sys.exit(main())
