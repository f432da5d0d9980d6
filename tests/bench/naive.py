"""Naive wasmtime-py: the go-plugin ABI through wasmtime-py's high-level API only (`Func.__call__`,
`Memory.read/write`, `Linker.define_func`), the way a user without wasmplug would write it.

Kept apart from `peers.py` so a fresh process measuring it imports wasmtime and protobuf, not wasmplug.
"""

from __future__ import annotations

import wasmtime
from bench.proto.bench_pb2 import Blob

_U64 = 0xFFFFFFFFFFFFFFFF


class NaiveInstance:
    """One instance, called through wasmtime-py's high-level API only."""

    def __init__(self, linker: wasmtime.Linker, module: wasmtime.Module) -> None:
        store = wasmtime.Store(linker.engine)
        store.set_wasi(wasmtime.WasiConfig())
        inst = linker.instantiate(store, module)
        ex = inst.exports(store)
        self.store = store
        self.exports = ex
        memory, malloc, free = ex["memory"], ex["malloc"], ex["free"]
        assert isinstance(memory, wasmtime.Memory)
        assert isinstance(malloc, wasmtime.Func) and isinstance(free, wasmtime.Func)
        self.memory: wasmtime.Memory = memory
        self.malloc: wasmtime.Func = malloc
        self.free: wasmtime.Func = free
        if "_initialize" in ex:
            initialize = ex["_initialize"]
            assert isinstance(initialize, wasmtime.Func)
            initialize(store)

    def call(self, export: str, data: bytes) -> bytes:
        """The go-plugin ABI sequence: malloc, write, call, free, read the reply."""
        store, mem = self.store, self.memory
        n = len(data)
        p = 0
        if n:
            p = self.malloc(store, n)
            mem.write(store, data, p)
        fn = self.exports[export]
        assert isinstance(fn, wasmtime.Func)
        r = fn(store, p, n) & _U64
        if n:
            self.free(store, p)
        ptr, size = r >> 32, r & 0x7FFFFFFF
        if r & 0x80000000:
            raise RuntimeError(bytes(mem.read(store, ptr, ptr + size)).decode())
        return bytes(mem.read(store, ptr, ptr + size)) if size else b""


def _naive_host_echo(caller: wasmtime.Caller, ptr: int, size: int) -> int:
    mem = caller["memory"]
    assert isinstance(mem, wasmtime.Memory)
    request = Blob.FromString(bytes(mem.read(caller, ptr, ptr + size)))
    reply = request.SerializeToString()
    n = len(reply)
    if not n:
        return 0
    malloc = caller["malloc"]
    assert isinstance(malloc, wasmtime.Func)
    p = malloc(caller, n)
    mem.write(caller, reply, p)
    return (p << 32) | n


def naive_linker(engine: wasmtime.Engine) -> wasmtime.Linker:
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    i32, i64 = wasmtime.ValType.i32(), wasmtime.ValType.i64()
    linker.define_func(
        "env",
        "host_echo",
        wasmtime.FuncType([i32, i32], [i64]),
        _naive_host_echo,
        access_caller=True,
    )
    return linker
