"""The ctypes fast path into the wasmtime C API (the library wasmtime-py already loads).

wasmtime-py's `Func.__call__` costs ~20 µs (type lookup + value boxing every call). We bind the same
shared library a second time with `argtypes=None` and pre-built `c_void_p` argument objects, so a call
is one foreign call with no per-call conversion (~0.3-0.5 µs including the wasm).
"""

from __future__ import annotations

import ctypes
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

# A private handle: setting restype/argtypes here does not disturb wasmtime-py's own bindings.
# Functions on the hot path keep argtypes unset (None): arguments are pre-built ctypes objects.
# CDLL releases the GIL for the duration of the call, so guests run in parallel across threads.
_LIB = ctypes.CDLL(str(ffi.filename))
# Short non-blocking calls (no wasm runs) go through a PyDLL handle: keeping the GIL is cheaper than
# releasing and re-taking it.
_QUICK = ctypes.PyDLL(str(ffi.filename))

call_unchecked = _LIB.wasmtime_func_call_unchecked
call_unchecked.restype = ctypes.c_void_p
# The same, keeping the GIL: for short re-entrant calls (malloc) from a host callback, which already
# holds it; releasing and re-taking it there costs more than the call.
call_unchecked_quick = _QUICK.wasmtime_func_call_unchecked
call_unchecked_quick.restype = ctypes.c_void_p

set_epoch_deadline = _QUICK.wasmtime_context_set_epoch_deadline
set_epoch_deadline.restype = None  # argtypes unset: called per call with (c_void_p, c_uint64) objects

set_fuel = _QUICK.wasmtime_context_set_fuel
set_fuel.restype = ctypes.c_void_p
set_fuel.argtypes = [ctypes.c_void_p, ctypes.c_uint64]

increment_epoch = _QUICK.wasmtime_engine_increment_epoch
increment_epoch.restype = None
increment_epoch.argtypes = [ctypes.c_void_p]

trap_new = _LIB.wasmtime_trap_new
trap_new.restype = ctypes.c_void_p
trap_new.argtypes = [ctypes.c_char_p, ctypes.c_size_t]

_define_unchecked = _LIB.wasmtime_linker_define_func_unchecked
_define_unchecked.restype = ctypes.c_void_p

# Raw host callback: (env, caller, args_and_results, nargs) -> wasm_trap_t* (0 = no trap).
# Plain c_void_p arguments arrive as ints: no ctypes objects are built per call.
HOST_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_noop_finalizer = _FINALIZER(lambda _p: None)

# WASI output callback: (data, buf, len) -> bytes written or -errno.
OUTPUT_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_set_stdout_custom = _LIB.wasi_config_set_stdout_custom
_set_stdout_custom.restype = None
_set_stderr_custom = _LIB.wasi_config_set_stderr_custom
_set_stderr_custom.restype = None
# The finalizer runs when wasmtime drops the stream, possibly on one of its own threads and possibly
# while Python is shutting down; a Python finalizer there aborts the process. libc's free(NULL) is a
# pure-C no-op.
_C_NOOP_FINALIZER = ctypes.c_void_p(ctypes.cast(ctypes.CDLL(None).free, ctypes.c_void_p).value)


def set_output(wasi: wasmtime.WasiConfig, stderr: bool, cb: Any) -> None:
    """Route the guest's stdout/stderr to `cb` (an OUTPUT_CALLBACK the caller keeps alive)."""
    fn = _set_stderr_custom if stderr else _set_stdout_custom
    fn(ctypes.c_void_p(address(wasi.ptr())), cb, None, _C_NOOP_FINALIZER)


# wasmtime_val_raw_t is 16 bytes: slot i of an args/results buffer is int64 index 2*i.
MAX_TICKS = 1 << 62  # "no deadline": far beyond any epoch the ticker can reach
NO_DEADLINE = ctypes.c_uint64(MAX_TICKS)


def address(obj: Any) -> int:
    """The integer address behind a ctypes pointer (or pointer-like) object."""
    value = ctypes.cast(obj, ctypes.c_void_p).value
    assert value is not None
    return value


def context_address(store: wasmtime.Store) -> int:
    return address(store._context())


def engine_address(engine: wasmtime.Engine) -> int:
    return address(engine.ptr())


def export_types(module: wasmtime.Module) -> dict[str, Any]:
    """name -> extern type of every export. `ExportType.name` builds a new ctypes array type per
    distinct name length (~0.5 ms each on a Go module's ~20 exports); reading the bytes directly does not."""
    out: dict[str, Any] = {}
    for e in module.exports:
        vec = ffi.wasm_exporttype_name(e.ptr()).contents
        out[ctypes.string_at(vec.data, vec.size).decode("utf-8")] = e.type
    return out


def raise_error(err: int) -> None:
    """Turn a non-null wasmtime_error_t* into wasmtime's own exception (takes ownership)."""
    raise wasmtime.WasmtimeError._from_ptr(ctypes.cast(err, ctypes.POINTER(ffi.wasmtime_error_t)))


def take_trap(ptr: int) -> wasmtime.Trap:
    return wasmtime.Trap._from_ptr(ctypes.cast(ptr, ctypes.POINTER(ffi.wasm_trap_t)))


class RawFunc:
    """One export bound for unchecked calls: a value buffer allocated once, arguments pre-built.

    Callers write arguments into `v[0], v[2], ...`, call `fn(*args)`, and read the result from `v[0]`;
    a non-zero return is an error pointer, a non-zero `trap.value` a trap pointer.
    """

    __slots__ = ("v", "trap", "args", "func", "store")

    def __init__(self, store: wasmtime.Store, func: wasmtime.Func, nslots: int) -> None:
        nslots = max(nslots, 1)
        self.v = (ctypes.c_int64 * (2 * nslots))()
        self.trap = ctypes.c_void_p()
        self.func = func  # keeps the wasmtime_func_t alive
        self.store = store
        self.args = (
            ctypes.c_void_p(context_address(store)),
            ctypes.c_void_p(ctypes.addressof(func._func)),
            ctypes.c_void_p(ctypes.addressof(self.v)),
            ctypes.c_size_t(nslots),
            ctypes.c_void_p(ctypes.addressof(self.trap)),
        )


def define_host_func(linker: wasmtime.Linker, module: str, name: str, ty: wasmtime.FuncType, cb: Any) -> None:
    """`wasmtime_linker_define_func_unchecked` with a raw callback (keep `cb` alive as long as the linker)."""
    m, n = module.encode(), name.encode()
    err = _define_unchecked(
        ctypes.c_void_p(address(linker.ptr())), m, ctypes.c_size_t(len(m)), n, ctypes.c_size_t(len(n)),
        ctypes.c_void_p(address(ty.ptr())), cb, None, _noop_finalizer,
    )
    if err:
        raise_error(err)
