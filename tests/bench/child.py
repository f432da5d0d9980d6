"""Fresh-process measurements, run by the suite as ``python -m bench.child MODE PEER ...``; prints one JSON line.

    first-call ours CACHE_DIR WASM import, load WASM (compile cache warm), first Bench.Add
    first-call naive WASM          import wasmtime, compile, instantiate, first bench_add
    first-call extism WASM         import extism, load, first noop
    rss ours N CACHE_DIR           VmRSS per idle pooled instance (N instances via the pool)
    rss naive N WASM               VmRSS per initialized wasmtime-py instance
    rss extism N WASM              VmRSS per extism Plugin instance (one CompiledPlugin)

"first-call" reports ``done_ns``: CLOCK_MONOTONIC (system-wide) when the first reply is in hand, so the parent,
which noted the clock before spawning, gets the time from process start to first call without interpreter
teardown. Modules are imported inside the functions on purpose: their import time is part of the measurement.
The harness's own modules (json, bench.timing and what they pull in) are imported only after that point, so
the figure is the peer's cost, not the harness's.
"""

from __future__ import annotations

import os
import sys
import time

# The parent's CLOCK_MONOTONIC just before the spawn: "start_ms" is the interpreter's startup (runpy included).
_SPAWN_NS = int(os.environ.get("BENCH_SPAWN_NS", "0"))


class _EchoHost:
    def host_echo(self, request: object) -> object:
        return request


def first_call(peer: str, arg: str, *rest: str) -> dict[str, float]:
    t0 = time.monotonic_ns()
    if peer == "ours":
        import wasmplug
        from bench.proto.bench_pb2 import AddRequest
        from bench.proto.bench_wasmplug import BenchPlugin

        t1 = time.monotonic_ns()
        client = BenchPlugin(config=wasmplug.PluginConfig(cache_dir=arg)).load(
            rest[0], bench_host=_EchoHost()  # type: ignore[arg-type]
        )
        t2 = time.monotonic_ns()
        assert client.add(AddRequest(a=40, b=2)).sum == 42
    elif peer == "naive":
        import wasmtime
        from bench.naive import NaiveInstance, naive_linker
        from bench.proto.bench_pb2 import AddReply, AddRequest

        t1 = time.monotonic_ns()
        engine = wasmtime.Engine()
        inst = NaiveInstance(naive_linker(engine), wasmtime.Module.from_file(engine, arg))
        t2 = time.monotonic_ns()
        assert (
            AddReply.FromString(
                inst.call("bench_add", AddRequest(a=40, b=2).SerializeToString())
            ).sum
            == 42
        )
    elif peer == "extism":
        import extism

        t1 = time.monotonic_ns()
        with open(arg, "rb") as f:
            plugin = extism.Plugin(f.read(), wasi=True, functions=[])
        t2 = time.monotonic_ns()
        plugin.call("noop", b"")
    else:
        raise SystemExit(f"unknown peer {peer}")
    done = time.monotonic_ns()
    cpu = (
        time.process_time()
    )  # CPU time of this process so far, startup included: robust on a busy machine
    return {
        "done_ns": done,
        "import_ms": (t1 - t0) / 1e6,
        "load_ms": (t2 - t1) / 1e6,
        "call_us": (done - t2) / 1e3,
        "start_ms": (t0 - _SPAWN_NS) / 1e6 if _SPAWN_NS else 0.0,
        "cpu_ms": cpu * 1e3,
    }


def rss(peer: str, n: int, arg: str) -> dict[str, float]:
    import gc

    from bench.timing import rss_kib

    keep: list[object] = []
    if peer == "ours":
        from importlib.resources import files

        import wasmplug
        from bench.proto.bench_pb2 import AddRequest
        from bench.proto.bench_wasmplug import BenchPlugin

        client = BenchPlugin(config=wasmplug.PluginConfig(cache_dir=arg, max_instances=n + 1)).load(
            files("bench.plugin") / "plugin.wasm", bench_host=_EchoHost()  # type: ignore[arg-type]
        )
        client.add(AddRequest(a=1, b=2))
        pool = client.plugin._pool  # the pool's own prefill: N idle, initialized instances

        def grow() -> None:
            pool.prefill(n + 1)
            assert client.plugin.idle_instances == n + 1

        keep.append(client)
    elif peer == "naive":
        import wasmtime
        from bench.naive import NaiveInstance, naive_linker

        engine = wasmtime.Engine()
        linker = naive_linker(engine)
        module = wasmtime.Module.from_file(engine, arg)
        keep.append(NaiveInstance(linker, module))

        def grow() -> None:
            keep.extend(NaiveInstance(linker, module) for _ in range(n))

    elif peer == "extism":
        import extism
        from extism.extism import CompiledPlugin

        with open(arg, "rb") as f:
            compiled = CompiledPlugin(f.read(), wasi=True, functions=[])
        keep.append(extism.Plugin(compiled, wasi=True, functions=[]))

        def grow() -> None:
            for _ in range(n):
                p = extism.Plugin(compiled, wasi=True, functions=[])
                p.call("noop", b"")  # extism instantiates lazily: make each instance real
                keep.append(p)

    else:
        raise SystemExit(f"unknown peer {peer}")
    gc.collect()
    before = rss_kib()
    grow()
    gc.collect()
    after = rss_kib()
    return {
        "kib_per_instance": (after - before) / n,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "n": n,
    }


def main(argv: list[str]) -> int:
    mode, peer, *rest = argv
    if mode == "first-call":
        out = first_call(peer, *rest)
    elif mode == "rss":
        out = rss(peer, int(rest[0]), rest[1])
    else:
        raise SystemExit(f"unknown mode {mode}")
    import json

    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
