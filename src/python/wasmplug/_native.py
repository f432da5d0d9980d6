"""wasmplug's own ctypes bindings to the wasmtime C API, and the per-call fast path.

The shared library is the one the installed `wasmtime` wheel ships, opened here without importing the
`wasmtime` Python package: its generated bindings declare every function of the C API and cost 25-40 ms
of a fresh process's startup. Only the functions the runtime uses are declared, with the signatures and
struct layouts of wasmtime-py's `_bindings.py` for the releases in `SUPPORTED` (the few per-release
differences are spelled out where they occur, keyed on `MAJOR`); the installed wheel's version is checked
against that range before the library is opened. `SIGNATURES` records every bound function's C
signature, which `_native_test.py` compares with the installed wheel's own bindings.

Every C object has one owner object (`close()`, or garbage collection, deletes it exactly once) and raw
addresses are only used while their owner is alive. C API errors and traps are turned into `CError` here;
the runtime maps them to its typed errors.

Per call: `wasmtime_func_call_unchecked` with `argtypes=None` and pre-built `c_void_p` arguments: one
foreign call with no per-call conversion (~0.3-0.5 µs including the wasm; wasmtime-py's `Func.__call__`
costs ~20 µs).
"""

from __future__ import annotations

import ctypes
import os
import sys
from ctypes import (
    POINTER,
    byref,
    c_bool,
    c_char_p,
    c_int64,
    c_size_t,
    c_ssize_t,
    c_uint8,
    c_uint64,
    c_void_p,
)
from typing import TYPE_CHECKING, Any, Iterable, Union

if TYPE_CHECKING:
    # Never executed: this names the distribution whose shared library we open, so Pants' dependency
    # inference adds the wasmtime requirement (here, in the wheel's metadata, and in repos vendoring the sources).
    import wasmtime  # noqa: F401

# The wasmtime major releases whose C API is declared below: [first, end). Below 39 there is no
# wasi_config_set_stdout_custom (guest output would need another route); each new major may change the
# C API, so the end moves only after checking that release's bindings (keep 3rdparty/python in step).
SUPPORTED = (39, 51)
REQUIREMENT = f"wasmtime>={SUPPORTED[0]},<{SUPPORTED[1]}"


class CError(Exception):
    """An error or trap reported by the wasmtime C API (its message; a trap's code, if it has one)."""

    trap_code: int | None = None


# --------------------------------------------------------------------------------------- finding the library
def machine() -> str:
    """`platform.machine()` without importing `platform` (a few ms) where `os.uname` exists."""
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform  # Windows

    return platform.machine()


def _platform_dir() -> str:
    """The wheel's library subdirectory, chosen the way wasmtime-py's `_ffi.py` does."""
    m = machine()
    m = {"AMD64": "x86_64", "arm64": "aarch64", "ARM64": "aarch64"}.get(m, m)
    return f"{sys.platform}-{m}"


_LIBNAMES = {"linux": "_libwasmtime.so", "darwin": "_libwasmtime.dylib", "win32": "_wasmtime.dll"}


def find_library(package_dirs: Iterable[str]) -> tuple[str, str]:
    """(path of the shared library, its version): the library inside the `wasmtime` package directory,
    the version from the `wasmtime-<version>.dist-info` beside it. ImportError unless the version is in
    `SUPPORTED`: calling another release's C API with these layouts is undefined.
    """
    libname = _LIBNAMES.get(sys.platform)
    if libname is None:
        raise ImportError(f"wasmplug: wasmtime has no native library for platform {sys.platform!r}")
    for pkg in package_dirs:
        lib = os.path.join(pkg, _platform_dir(), libname)
        if os.path.isfile(lib):
            break
    else:
        raise ImportError(
            f"wasmplug: the wasmtime wheel's native library ({_platform_dir()}/{libname}) was not "
            f"found; install {REQUIREMENT}"
        )
    site = os.path.dirname(os.path.abspath(pkg))
    # Not importlib.metadata (tens of ms at import) nor glob (pattern compilation): one listdir.
    versions = sorted(
        n[len("wasmtime-") : -len(".dist-info")]
        for n in os.listdir(site)
        if n.startswith("wasmtime-") and n.endswith(".dist-info")
    )
    if len(versions) != 1 or not SUPPORTED[0] <= _major(versions[0]) < SUPPORTED[1]:
        found = ", ".join(versions) or "no wasmtime-*.dist-info"
        raise ImportError(
            f"wasmplug's wasmtime bindings support {REQUIREMENT}, but {site} has {found}; "
            f"install {REQUIREMENT}"
        )
    return lib, versions[0]


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else -1


def _wasmtime_package_dirs() -> list[str]:
    # find_spec of a top-level package locates it without executing its __init__ (which we avoid).
    from importlib.machinery import PathFinder

    spec = PathFinder.find_spec("wasmtime")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            f"wasmplug needs the wasmtime package ({REQUIREMENT}); it is not installed"
        )
    return list(spec.submodule_search_locations)


LIBRARY, VERSION = find_library(_wasmtime_package_dirs())
MAJOR = _major(VERSION)


def library_identity() -> str:
    """wasmtime's version plus the identity of its native library: a rebuilt library gets new cache keys."""
    try:
        st = os.stat(LIBRARY)
        lib = f"{st.st_size}-{st.st_mtime_ns}"
    except OSError:
        lib = "?"
    return f"{VERSION}@{lib}"


# CDLL releases the GIL for the duration of each call (wasm runs in parallel across threads); short
# calls that run no wasm go through a PyDLL handle: keeping the GIL is cheaper than releasing it.
_LIB = ctypes.CDLL(LIBRARY)
_QUICK = ctypes.PyDLL(LIBRARY)


# name -> (restype, argtypes) of every C function bound below, as the C API declares it (checked against
# wasmtime-py's generated bindings by _native_test.py).
SIGNATURES: dict[str, tuple[Any, tuple[Any, ...]]] = {}


def _fn(lib: ctypes.CDLL, name: str, restype: Any, *argtypes: Any) -> Any:
    f = _unchecked(lib, name, restype, *argtypes)
    f.argtypes = argtypes
    return f


def _unchecked(lib: ctypes.CDLL, name: str, restype: Any, *argtypes: Any) -> Any:
    """A function called with pre-built ctypes objects of exactly `argtypes` (so ctypes converts
    nothing per call): its argtypes stay unset, the signature is recorded all the same."""
    f = getattr(lib, name)
    f.restype = restype
    SIGNATURES[name] = (restype, argtypes)
    return f


# --------------------------------------------------------------------------------------------- structs
class ByteVec(ctypes.Structure):  # wasm_byte_vec_t / wasm_name_t / wasm_message_t
    _fields_ = [("size", c_size_t), ("data", c_void_p)]


class PtrVec(ctypes.Structure):  # wasm_valtype_vec_t, wasm_exporttype_vec_t: a vector of pointers
    _fields_ = [("size", c_size_t), ("data", POINTER(c_void_p))]


class Extern(ctypes.Structure):
    """wasmtime_extern_t: a kind byte, then (8-aligned) a 24-byte union whose `func` (wasmtime_func_t) and
    `memory` (wasmtime_memory_t) are plain store-scoped handles that need no delete."""

    _fields_ = [("kind", c_uint8), ("of", c_uint64 * 3)]


class InstanceHandle(ctypes.Structure):  # wasmtime_instance_t
    _fields_ = [("store_id", c_uint64), ("index", c_size_t)]


EXTERN_FUNC = 0  # wasmtime_extern_kind_t
EXTERN_MEMORY = 3
EXTERN_OF = Extern.of.offset  # where the union (the wasmtime_func_t / wasmtime_memory_t) starts
TRAP_INTERRUPT = 10  # wasmtime_trap_code_t
TRAP_OUT_OF_FUEL = 11 if MAJOR >= 42 else 12  # 42 dropped ALWAYS_TRAP_ADAPTER (11) before it
_VALKINDS = {0: "i32", 1: "i64", 2: "f32", 3: "f64", 4: "v128", 128: "externref", 129: "funcref"}
_VP = c_void_p

# Raw host callback: (env, caller, args_and_results, nargs) -> wasm_trap_t* (0 = no trap).
# Plain c_void_p arguments arrive as ints: no ctypes objects are built per call.
HOST_CALLBACK = ctypes.CFUNCTYPE(c_size_t, c_void_p, c_void_p, c_void_p, c_size_t)
# WASI output callback: (data, buf, len) -> bytes written or -errno.
OUTPUT_CALLBACK = ctypes.CFUNCTYPE(c_ssize_t, c_void_p, c_void_p, c_size_t)

# ------------------------------------------------------------------------------------------ functions
_byte_vec_delete = _fn(_LIB, "wasm_byte_vec_delete", None, POINTER(ByteVec))
_error_message = _fn(_LIB, "wasmtime_error_message", None, _VP, POINTER(ByteVec))
_error_delete = _fn(_LIB, "wasmtime_error_delete", None, _VP)
_trap_message = _fn(_LIB, "wasm_trap_message", None, _VP, POINTER(ByteVec))
_trap_code = _fn(_LIB, "wasmtime_trap_code", c_bool, _VP, POINTER(c_uint8))
_trap_delete = _fn(_LIB, "wasm_trap_delete", None, _VP)
trap_new = _fn(_LIB, "wasmtime_trap_new", _VP, c_char_p, c_size_t)

_config_new = _fn(_LIB, "wasm_config_new", _VP)
_config_epoch = _fn(_LIB, "wasmtime_config_epoch_interruption_set", None, _VP, c_bool)
_config_fuel = _fn(_LIB, "wasmtime_config_consume_fuel_set", None, _VP, c_bool)
_config_may_move = _fn(_LIB, "wasmtime_config_memory_may_move_set", None, _VP, c_bool)
_engine_new = _fn(_LIB, "wasm_engine_new_with_config", _VP, _VP)
increment_epoch = _fn(_QUICK, "wasmtime_engine_increment_epoch", None, _VP)

_module_new = _fn(_LIB, "wasmtime_module_new", _VP, _VP, c_char_p, c_size_t, POINTER(_VP))
_module_delete = _fn(_LIB, "wasmtime_module_delete", None, _VP)
_module_serialize = _fn(_LIB, "wasmtime_module_serialize", _VP, _VP, POINTER(ByteVec))
_module_deserialize_file = _fn(
    _LIB, "wasmtime_module_deserialize_file", _VP, _VP, c_char_p, POINTER(_VP)
)
_module_exports = _fn(_LIB, "wasmtime_module_exports", None, _VP, POINTER(PtrVec))
_exporttype_vec_delete = _fn(_LIB, "wasm_exporttype_vec_delete", None, POINTER(PtrVec))
_exporttype_name = _fn(_LIB, "wasm_exporttype_name", POINTER(ByteVec), _VP)
_exporttype_type = _fn(_LIB, "wasm_exporttype_type", _VP, _VP)
_as_functype = _fn(_LIB, "wasm_externtype_as_functype_const", _VP, _VP)
_as_memorytype = _fn(_LIB, "wasm_externtype_as_memorytype_const", _VP, _VP)
_functype_params = _fn(_LIB, "wasm_functype_params", POINTER(PtrVec), _VP)
_functype_results = _fn(_LIB, "wasm_functype_results", POINTER(PtrVec), _VP)
_valtype_kind = _fn(_LIB, "wasm_valtype_kind", c_uint8, _VP)
_valtype_new = _fn(_LIB, "wasm_valtype_new", _VP, c_uint8)
_valtype_vec_new = _fn(_LIB, "wasm_valtype_vec_new", None, POINTER(PtrVec), c_size_t, POINTER(_VP))
_functype_new = _fn(_LIB, "wasm_functype_new", _VP, POINTER(PtrVec), POINTER(PtrVec))
_functype_delete = _fn(_LIB, "wasm_functype_delete", None, _VP)

_linker_new = _fn(_LIB, "wasmtime_linker_new", _VP, _VP)
_linker_delete = _fn(_LIB, "wasmtime_linker_delete", None, _VP)
_linker_define_wasi = _fn(_LIB, "wasmtime_linker_define_wasi", _VP, _VP)
_linker_instantiate_pre = _fn(_LIB, "wasmtime_linker_instantiate_pre", _VP, _VP, _VP, POINTER(_VP))
_pre_delete = _fn(_LIB, "wasmtime_instance_pre_delete", None, _VP)
_pre_instantiate = _fn(
    _LIB, "wasmtime_instance_pre_instantiate", _VP, _VP, _VP, POINTER(InstanceHandle), POINTER(_VP)
)
# (linker, module, len, name, len, functype, callback, env, finalizer): the finalizer is passed as a
# plain function address (_C_NOOP_FINALIZER).
_define_unchecked = _unchecked(
    _LIB,
    "wasmtime_linker_define_func_unchecked",
    _VP,
    *(_VP, c_char_p, c_size_t, c_char_p, c_size_t, _VP, HOST_CALLBACK, _VP, _VP),
)

_store_new = _fn(_LIB, "wasmtime_store_new", _VP, _VP, _VP, _VP)
_store_context = _fn(_LIB, "wasmtime_store_context", _VP, _VP)
_store_delete = _fn(_LIB, "wasmtime_store_delete", None, _VP)
_store_limiter = _fn(
    _LIB, "wasmtime_store_limiter", None, _VP, c_int64, c_int64, c_int64, c_int64, c_int64
)
_context_set_wasi = _fn(_LIB, "wasmtime_context_set_wasi", _VP, _VP, _VP)
_export_get = _fn(
    _LIB,
    "wasmtime_instance_export_get",
    c_bool,
    _VP,
    POINTER(InstanceHandle),
    c_char_p,
    c_size_t,
    POINTER(Extern),
)
_extern_delete = _fn(_LIB, "wasmtime_extern_delete", None, POINTER(Extern))
memory_data = _fn(_QUICK, "wasmtime_memory_data", _VP, _VP, _VP)
memory_data_size = _fn(_QUICK, "wasmtime_memory_data_size", c_size_t, _VP, _VP)

_wasi_new = _fn(_LIB, "wasi_config_new", _VP)
_wasi_delete = _fn(_LIB, "wasi_config_delete", None, _VP)
_wasi_set_argv = _fn(_LIB, "wasi_config_set_argv", c_bool, _VP, c_size_t, POINTER(c_char_p))
_wasi_set_env = _fn(
    _LIB, "wasi_config_set_env", c_bool, _VP, c_size_t, POINTER(c_char_p), POINTER(c_char_p)
)
if MAJOR >= 48:  # (config, host, guest, fs_mutable)
    _wasi_preopen_dir = _fn(
        _LIB, "wasi_config_preopen_dir", c_bool, _VP, c_char_p, c_char_p, c_bool
    )
else:  # (config, host, guest, wasi_dir_perms, wasi_file_perms): flags READ=1, WRITE=2
    _wasi_preopen_dir = _fn(
        _LIB, "wasi_config_preopen_dir", c_bool, _VP, c_char_p, c_char_p, c_size_t, c_size_t
    )
_OUTPUT_ARGS = (_VP, OUTPUT_CALLBACK, _VP, _VP)  # (config, callback, data, finalizer)
_set_stdout_custom = _unchecked(_LIB, "wasi_config_set_stdout_custom", None, *_OUTPUT_ARGS)
_set_stderr_custom = _unchecked(_LIB, "wasi_config_set_stderr_custom", None, *_OUTPUT_ARGS)

# The hot path, called with pre-built ctypes objects: (context, func, values, nvalues, trap out).
_CALL_ARGS = (_VP, _VP, _VP, c_size_t, _VP)
call_unchecked = _unchecked(_LIB, "wasmtime_func_call_unchecked", _VP, *_CALL_ARGS)
# The same, keeping the GIL: for short re-entrant calls (malloc) from a host callback, which already
# holds it; releasing and re-taking it there costs more than the call.
call_unchecked_quick = _unchecked(_QUICK, "wasmtime_func_call_unchecked", _VP, *_CALL_ARGS)
set_epoch_deadline = _unchecked(_QUICK, "wasmtime_context_set_epoch_deadline", None, _VP, c_uint64)
set_fuel = _fn(_QUICK, "wasmtime_context_set_fuel", _VP, _VP, c_uint64)

# Finalizers (host functions, output streams) run when wasmtime drops them, possibly on one of its own
# threads and possibly while Python is shutting down, where a Python finalizer aborts the process.
# Ours have nothing to free (env is NULL): libc's free(NULL) is a pure-C no-op.
_C_NOOP_FINALIZER = c_void_p(ctypes.cast(ctypes.CDLL(None).free, c_void_p).value)

MAX_TICKS = 1 << 62  # "no deadline": far beyond any epoch the ticker can reach
NO_DEADLINE = c_uint64(MAX_TICKS)


# ------------------------------------------------------------------------------------ errors and traps
def _take_bytes(vec: ByteVec) -> bytes:
    """The contents of a wasm_byte_vec_t that wasmtime filled in; deletes the vector."""
    try:
        return ctypes.string_at(vec.data, vec.size) if vec.size else b""
    finally:
        _byte_vec_delete(byref(vec))


def _take_vec(vec: ByteVec) -> str:
    return _take_bytes(vec).decode("utf-8", "replace")


def error_message(err: int) -> str:
    """The message of a wasmtime_error_t*; deletes the error."""
    vec = ByteVec()
    try:
        _error_message(err, byref(vec))
        return _take_vec(vec)
    finally:
        _error_delete(err)


def take_trap(trap: int) -> tuple[int | None, str]:
    """(trap code or None, message) of a wasm_trap_t*; deletes the trap."""
    try:
        code = c_uint8()
        has_code = _trap_code(trap, byref(code))
        vec = ByteVec()
        _trap_message(trap, byref(vec))
        message = _take_vec(vec)
        if message.endswith("\0"):  # wasm_trap_message includes the C string's NUL
            message = message[:-1]
        return (code.value if has_code else None), message
    finally:
        _trap_delete(trap)


def check(err: int | None) -> None:
    """Raise CError for a non-null wasmtime_error_t* (deleting it)."""
    if err:
        raise CError(error_message(err))


# ------------------------------------------------------------------------------------------- owners
class Owned:
    """Owns one C object: `close()` (or garbage collection) deletes it exactly once. Each owner is used
    by one thread at a time (engine-wide objects are never closed while loads use them)."""

    __slots__ = ("ptr",)
    _delete: Any = None

    def __init__(self, ptr: int | None, what: str) -> None:
        if not ptr:
            raise MemoryError(f"wasmtime could not create {what}")
        self.ptr: int = ptr

    def close(self) -> None:
        ptr = getattr(self, "ptr", 0)  # absent if __init__ failed
        if ptr:
            self.ptr = 0
            type(self)._delete(ptr)

    def __del__(self) -> None:
        self.close()


class Module(Owned):
    __slots__ = ()
    _delete = staticmethod(_module_delete)


class Linker(Owned):
    __slots__ = ()
    _delete = staticmethod(_linker_delete)


class InstancePre(Owned):
    __slots__ = ()
    _delete = staticmethod(_pre_delete)


class FuncType(Owned):
    __slots__ = ()
    _delete = staticmethod(_functype_delete)


class WasiConfig(Owned):
    __slots__ = ()
    _delete = staticmethod(_wasi_delete)


class Store(Owned):
    """A wasmtime_store_t and its context (valid exactly as long as the store)."""

    __slots__ = ("ctx",)
    _delete = staticmethod(_store_delete)

    def __init__(self, engine: int) -> None:
        super().__init__(_store_new(engine, None, None), "a store")
        self.ctx: int = _store_context(self.ptr)

    def close(self) -> None:
        self.ctx = 0
        super().close()


def new_engine(fuel: bool) -> int:
    """A wasm_engine_t with epoch interruption on, fuel metering as asked, and linear memory that never
    moves (the runtime caches a memoryview over it). Engines live as long as the process: the epoch
    timers hold their address (a tick already on its way may still use it after the timers are deleted).
    """
    cfg = _config_new()
    _config_epoch(cfg, True)
    _config_fuel(cfg, fuel)
    _config_may_move(cfg, False)
    engine: int | None = _engine_new(cfg)  # takes ownership of cfg
    if not engine:
        raise MemoryError("wasmtime could not create an engine")
    return engine


# -------------------------------------------------------------------------------------------- modules
def compile_module(engine: int, wasm: bytes) -> Module:
    """Compile binary wasm (CError if it is not valid)."""
    out = c_void_p()
    check(_module_new(engine, wasm, len(wasm), byref(out)))
    return Module(out.value, "a module")


def deserialize_file(engine: int, path: str) -> Module:
    """A module from an artifact written by `serialize` (CError if wasmtime refuses it)."""
    out = c_void_p()
    check(_module_deserialize_file(engine, os.fsencode(path), byref(out)))
    return Module(out.value, "a module")


def serialize(module: Module) -> bytes:
    vec = ByteVec()
    check(_module_serialize(module.ptr, byref(vec)))
    return _take_bytes(vec)


Signature = tuple[tuple[str, ...], tuple[str, ...]]
ExportType = Union[Signature, str]  # a function's (params, results), or "memory" / "other"


def _kinds(vec: Any) -> tuple[str, ...]:
    v = vec.contents
    return tuple(
        _VALKINDS.get(k, f"valtype({k})") for k in (_valtype_kind(v.data[i]) for i in range(v.size))
    )


def module_exports(module: Module) -> dict[str, ExportType]:
    """name -> type of every export of a module."""
    vec = PtrVec()
    _module_exports(module.ptr, byref(vec))
    out: dict[str, ExportType] = {}
    try:
        for i in range(vec.size):
            et = vec.data[i]
            name = _exporttype_name(et).contents
            ext = _exporttype_type(et)
            ft = _as_functype(ext)
            ty: ExportType = (
                (_kinds(_functype_params(ft)), _kinds(_functype_results(ft)))
                if ft
                else "memory" if _as_memorytype(ext) else "other"
            )
            out[ctypes.string_at(name.data, name.size).decode("utf-8", "replace")] = ty
    finally:
        _exporttype_vec_delete(byref(vec))
    return out


# ------------------------------------------------------------------------------------- linking, WASI
def new_linker(engine: int) -> Linker:
    linker = Linker(_linker_new(engine), "a linker")
    check(_linker_define_wasi(linker.ptr))
    return linker


def host_functype() -> FuncType:
    """The type of every host function of the ABI: (i32, i32) -> i64."""
    params, results = PtrVec(), PtrVec()
    _valtype_vec_new(byref(params), 2, (c_void_p * 2)(_valtype_new(0), _valtype_new(0)))
    _valtype_vec_new(byref(results), 1, (c_void_p * 1)(_valtype_new(1)))
    return FuncType(
        _functype_new(byref(params), byref(results)), "a function type"
    )  # owns the vectors


def define_host_func(linker: Linker, module: str, name: str, ty: FuncType, cb: Any) -> None:
    """`wasmtime_linker_define_func_unchecked` with a raw callback (keep `cb` alive as long as any store
    instantiated through this linker)."""
    m, n = module.encode(), name.encode()
    check(
        _define_unchecked(
            c_void_p(linker.ptr),
            m,
            c_size_t(len(m)),
            n,
            c_size_t(len(n)),
            c_void_p(ty.ptr),
            cb,
            None,
            _C_NOOP_FINALIZER,
        )
    )


def instantiate_pre(linker: Linker, module: Module) -> InstancePre:
    out = c_void_p()
    check(_linker_instantiate_pre(linker.ptr, module.ptr, byref(out)))
    return InstancePre(out.value, "a pre-instantiated module")


def new_wasi(
    args: Iterable[str], env: Iterable[tuple[str, str]], preopens: Iterable[tuple[str, str, bool]]
) -> WasiConfig:
    """A WASI config granting only `args`, `env` and the preopened dirs (host, guest, writable)."""
    wasi = WasiConfig(_wasi_new(), "a WASI config")
    argv = [a.encode() for a in args]
    if argv and not _wasi_set_argv(wasi.ptr, len(argv), (c_char_p * len(argv))(*argv)):
        raise CError("failed to configure argv")
    pairs = [(k.encode(), v.encode()) for k, v in env]
    if pairs and not _wasi_set_env(
        wasi.ptr,
        len(pairs),
        (c_char_p * len(pairs))(*[k for k, _ in pairs]),
        (c_char_p * len(pairs))(*[v for _, v in pairs]),
    ):
        raise CError("failed to configure the environment")
    for host, guest, writable in preopens:
        perms = (writable,) if MAJOR >= 48 else (3, 3) if writable else (1, 1)
        if not _wasi_preopen_dir(wasi.ptr, host.encode(), guest.encode(), *perms):
            raise CError(f"failed to preopen {host!r} as {guest!r}")
    return wasi


def set_output(wasi: WasiConfig, stderr: bool, cb: Any) -> None:
    """Route the guest's stdout/stderr to `cb` (an OUTPUT_CALLBACK the caller keeps alive as long as the store)."""
    fn = _set_stderr_custom if stderr else _set_stdout_custom
    fn(c_void_p(wasi.ptr), cb, None, _C_NOOP_FINALIZER)


# ---------------------------------------------------------------------------------------------- stores
def set_wasi(store: Store, wasi: WasiConfig) -> None:
    ptr, wasi.ptr = wasi.ptr, 0  # the store takes ownership, even on error
    check(_context_set_wasi(store.ctx, ptr))


def set_memory_limit(store: Store, limit: int) -> None:
    _store_limiter(store.ptr, limit, -1, -1, -1, -1)  # -1: leave that limit as it is


def instantiate(store: Store, pre: InstancePre) -> InstanceHandle:
    """Instantiate in `store`; CError with wasmtime's message on an error or a trap."""
    inst = InstanceHandle()
    trap = c_void_p()
    err = _pre_instantiate(pre.ptr, store.ctx, byref(inst), byref(trap))
    if err:
        if trap.value:
            _trap_delete(trap.value)
        raise CError(error_message(err))
    if trap.value:
        code, message = take_trap(trap.value)
        exc = CError(message)
        exc.trap_code = code  # e.g. TRAP_INTERRUPT: the start function ran past the deadline
        raise exc
    return inst


def export(store: Store, inst: InstanceHandle, name: str) -> Extern | None:
    """The instance's export `name` (func and memory handles), or None if there is none."""
    ext = Extern()
    raw = name.encode()
    if not _export_get(store.ctx, byref(inst), raw, len(raw), byref(ext)):
        return None
    if ext.kind not in (EXTERN_FUNC, EXTERN_MEMORY):
        _extern_delete(byref(ext))  # e.g. a shared memory owns a reference
        ext.kind = 255
    return ext


class RawFunc:
    """One exported function bound for unchecked calls: a value buffer allocated once, arguments pre-built.

    Callers write arguments into `v[0], v[2], ...` (wasmtime_val_raw_t is 16 bytes: slot i is int64
    index 2*i), call `fn(*args)`, and read the result from `v[0]`; a non-zero return is an error
    pointer, a non-zero `trap.value` a trap pointer.
    """

    __slots__ = ("v", "trap", "args", "func", "store")

    def __init__(self, store: Store, func: Extern, nslots: int) -> None:
        nslots = max(nslots, 1)
        self.v = (ctypes.c_int64 * (2 * nslots))()
        self.trap = c_void_p()
        self.func = func  # the wasmtime_func_t the arguments point into
        self.store = store  # its store outlives this binding
        self.args = (
            c_void_p(store.ctx),
            c_void_p(ctypes.addressof(func) + EXTERN_OF),
            c_void_p(ctypes.addressof(self.v)),
            c_size_t(nslots),
            c_void_p(ctypes.addressof(self.trap)),
        )
