"""The four hosts the suite compares, each set up once per run.

- `Ours`: the generated host SDK (`bench.proto.bench_wasmplug`, `greeting.greeting_wasmplug`) on the `wasmplug`
  runtime, exactly as a user writes it.
- `Naive`: wasmtime-py used directly, the obvious way: `Func.__call__` + `Memory.read/write`,
  `Linker.define_func` for the host function, the same protobuf work as ours, against the same `.wasm` files.
- `Extism`: the extism Python SDK on tests/interop/extismguest (a Go plugin importing extism's kernel functions
  directly: `noop`, `echo`). It cannot load a go-plugin-ABI module, so it runs the nearest equivalent case.
- go-plugin's Go host (wazero) is a separate program, driven from `goplugin.py`.
"""

from __future__ import annotations

import os
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Callable

# extism compiles through its own wasmtime, which would otherwise keep a compile cache in ~/.cache/wasmtime:
# "" disables it, so extism's load numbers are compiles, like our "cold" case. Set before extism is imported.
os.environ.setdefault("EXTISM_CACHE_CONFIG", "")

import wasmplug  # noqa: E402
import wasmtime  # noqa: E402
from bench.naive import NaiveInstance, naive_linker  # noqa: E402
from bench.proto.bench_pb2 import (  # noqa: E402
    AddReply,
    AddRequest,
    Blob,
    HostLoop,
    HostLoopReply,
    SpinReply,
    SpinRequest,
)
from bench.proto.bench_wasmplug import Bench, BenchPlugin  # noqa: E402
from greeting.greeting_pb2 import GreetReply, GreetRequest  # noqa: E402
from greeting.greeting_wasmplug import Greeter, GreeterPlugin  # noqa: E402


def bench_wasm() -> Traversable:
    """tests/bench/plugin (our Go guest SDK, the Bench service), a resource of the `wasm_plugin` target."""
    return files("bench.plugin") / "plugin.wasm"


def codec_wasm() -> Traversable:
    """tests/bench/codec/plugin (our Go guest SDK, the Codec service)."""
    return files("bench.codec.plugin") / "plugin.wasm"


def morning_wasm() -> Traversable:
    """src/go/plugins/morning: the helloworld Greeter (`SayHello`) built with our Go guest SDK."""
    return files("plugins.morning") / "morning.wasm"


class EchoHost:
    """The BenchHost implementation: the plugin's host function echoes its payload."""

    def host_echo(self, request: Blob) -> Blob:
        return request


# --------------------------------------------------------------------------------------------- ours
class Ours:
    def __init__(self, cache_dir: Path, max_instances: int = 2) -> None:
        self.cache_dir = cache_dir
        self.config = wasmplug.PluginConfig(cache_dir=cache_dir, max_instances=max_instances)
        self.bench: Bench = self.load_bench(self.config)
        self.greeter: Greeter = GreeterPlugin(config=self.config).load(morning_wasm())

    @staticmethod
    def load_bench(config: wasmplug.PluginConfig) -> Bench:
        return BenchPlugin(config=config).load(bench_wasm(), bench_host=EchoHost())

    def close(self) -> None:
        self.bench.close()
        self.greeter.close()

    def scalar(self) -> Callable[[], int]:
        api_version = self.bench.plugin.api_version
        return lambda: api_version("bench_api_version")

    def say_hello(self) -> Callable[[], GreetReply]:
        say_hello, req = self.greeter.say_hello, GreetRequest(name="wasmplug")
        assert say_hello(req).message == "Good morning, wasmplug"
        return lambda: say_hello(req)

    def add(self) -> Callable[[], AddReply]:
        add, req = self.bench.add, AddRequest(a=40, b=2)
        assert add(req).sum == 42
        return lambda: add(req)

    def echo(self, payload: bytes) -> Callable[[], Blob]:
        echo, req = self.bench.echo, Blob(data=payload)
        assert echo(req).data == payload
        return lambda: echo(req)

    def echo_bytes(self, payload: bytes) -> Callable[[], bytes]:
        """The same export through `Plugin.call_bytes` with a pre-serialized request (no Python protobuf)."""
        call_bytes, raw = self.bench.plugin.call_bytes, Blob(data=payload).SerializeToString()
        assert call_bytes("bench_echo", raw) == raw
        return lambda: call_bytes("bench_echo", raw)

    def call_host(self, count: int, payload: bytes) -> Callable[[], HostLoopReply]:
        call_host, req = self.bench.call_host, HostLoop(count=count, data=payload)
        assert call_host(req).bytes == count * len(payload)
        return lambda: call_host(req)

    def spin(self, n: int) -> Callable[[], SpinReply]:
        spin, req = self.bench.spin, SpinRequest(n=n)
        return lambda: spin(req)


# --------------------------------------------------------------------------------------------- naive wasmtime-py
class Naive:
    def __init__(self) -> None:
        self.engine = wasmtime.Engine()
        self.linker = naive_linker(self.engine)
        self.bench_module = wasmtime.Module(self.engine, bench_wasm().read_bytes())
        self.morning_module = wasmtime.Module(self.engine, morning_wasm().read_bytes())
        self.bench = NaiveInstance(self.linker, self.bench_module)
        self.morning = NaiveInstance(self.linker, self.morning_module)

    @staticmethod
    def load_cold(wasm: bytes) -> NaiveInstance:
        engine = wasmtime.Engine()
        return NaiveInstance(naive_linker(engine), wasmtime.Module(engine, wasm))

    def new_bench_instance(self) -> NaiveInstance:
        return NaiveInstance(self.linker, self.bench_module)

    def scalar(self) -> Callable[[], Any]:
        store, fn = self.bench.store, self.bench.exports["bench_api_version"]
        assert isinstance(fn, wasmtime.Func)
        assert fn(store) == 1
        return lambda: fn(store)

    def say_hello(self) -> Callable[[], GreetReply]:
        call, raw = self.morning.call, GreetRequest(name="wasmplug").SerializeToString()
        parse = GreetReply.FromString
        assert parse(call("greeter_say_hello", raw)).message == "Good morning, wasmplug"
        return lambda: parse(
            call("greeter_say_hello", GreetRequest(name="wasmplug").SerializeToString())
        )

    def add(self) -> Callable[[], AddReply]:
        call, parse = self.bench.call, AddReply.FromString
        req = AddRequest(a=40, b=2)
        assert parse(call("bench_add", req.SerializeToString())).sum == 42
        return lambda: parse(call("bench_add", req.SerializeToString()))

    def echo(self, payload: bytes) -> Callable[[], Blob]:
        call, parse = self.bench.call, Blob.FromString
        req = Blob(data=payload)
        assert parse(call("bench_echo", req.SerializeToString())).data == payload
        return lambda: parse(call("bench_echo", req.SerializeToString()))

    def call_host(self, count: int, payload: bytes) -> Callable[[], HostLoopReply]:
        call, parse = self.bench.call, HostLoopReply.FromString
        req = HostLoop(count=count, data=payload)
        assert parse(call("bench_call_host", req.SerializeToString())).bytes == count * len(payload)
        return lambda: parse(call("bench_call_host", req.SerializeToString()))

    @staticmethod
    def spin(inst: NaiveInstance, n: int) -> Callable[[], SpinReply]:
        call, parse = inst.call, SpinReply.FromString
        req = SpinRequest(n=n)
        return lambda: parse(call("bench_spin", req.SerializeToString()))


# --------------------------------------------------------------------------------------------- extism
class Extism:
    """The extism Python SDK on the extism peer guest (`noop`, `echo`)."""

    def __init__(self, wasm: bytes) -> None:
        import extism

        self.wasm = wasm
        self.plugin = extism.Plugin(wasm, wasi=True, functions=[])

    @staticmethod
    def load_cold(wasm: bytes) -> Any:
        import extism

        return extism.Plugin(wasm, wasi=True, functions=[])

    def noop(self) -> Callable[[], Any]:
        call = self.plugin.call
        return lambda: call("noop", b"")

    def echo(self, payload: bytes) -> Callable[[], Any]:
        call = self.plugin.call
        assert bytes(call("echo", payload)) == payload
        return lambda: call("echo", payload)
