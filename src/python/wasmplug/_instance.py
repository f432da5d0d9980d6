"""One plugin instance (its own Store, WASI context and linear memory) and the per-call ABI sequence.

Everything per call goes through `_native.call_unchecked` with buffers built once here; errors are
classified only on the slow path. An instance that trapped is marked `broken` and never reused.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING

from . import _native, _trim
from ._memory import LinearMemory
from ._wasi import StderrTail, make_wasi, panic_text
from .errors import (
    DeadlineExceeded,
    ExportError,
    FuelExhausted,
    LoadError,
    MemoryLimitError,
    TrapError,
    WasmplugError,
)

if TYPE_CHECKING:
    from ._image import Image

_CALL = _native.call_unchecked
_CALL_QUICK = _native.call_unchecked_quick
_set_deadline = _native.set_epoch_deadline
_set_fuel = _native.set_fuel
_U32 = 0xFFFFFFFF
_U64 = 0xFFFFFFFFFFFFFFFF
_MAX_FUEL = (1 << 63) - 1
_PAGE = 65536
_SCRATCH_MIN = 1024
# Larger requests are malloc'ed and freed per call. Below this the scratch buffer only grows: a Go
# malloc of 1 MiB (zeroing, GC) costs more than copying the request in, and linear memory never
# shrinks anyway, so keeping the buffer costs no memory the guest had not already grown to.
_SCRATCH_MAX = 16 << 20
# From this size on, a guest that exports `wasmplug_request` gets each request in a buffer of its own
# that it keeps: its bytes fields alias that buffer instead of being copied out of the scratch buffer
# (one copy less). Below it the scratch buffer is cheaper than a Go allocation per call.
_HANDOVER_MIN = 32 << 10
_HEADER = ctypes.c_uint32.__ctype_le__ * 2  # wasm is little-endian, whatever the host is


class Instance:
    __slots__ = (
        "image",
        "store",
        "ctx",
        "memory",
        "stderr",
        "has_abi",
        "broken",
        "host_error",
        "host_failure",
        "_malloc",
        "_free",
        "_methods",
        "_armed",
        "timeout",
        "_fuel_engine",
        "_closed",
        "_handle",
        "_limit",
        "_limit_logged",
        "_outputs",
        "_current",
        "_scratch",
        "_scratch_cap",
        "_request",
        "reply_buf",
    )

    def __init__(self, image: "Image") -> None:
        self.image = image
        self.broken = False
        self.host_error: BaseException | None = None
        # (host function, exception) sent to a wasmplug guest as an error reply in this call
        self.host_failure: tuple[str, Exception] | None = None
        self.has_abi = image.has_abi
        self._methods: dict[str, _native.RawFunc] = {}
        self._armed = False
        self.timeout = 0.0
        self._closed = False
        self._scratch = 0
        self._scratch_cap = 0
        self.reply_buf: ctypes.Array[ctypes.c_uint32] | None = None
        self._fuel_engine = image.engine.fuel
        config = image.config
        self._limit = config.memory_limit
        self._limit_logged = False
        self._current = image.current
        self.store = store = _native.Store(image.engine.engine)
        try:
            self.stderr = StderrTail(config.stderr)
            try:
                wasi, self._outputs = make_wasi(config, self.stderr)
                _native.set_wasi(store, wasi)
            except _native.CError as exc:
                raise LoadError(f"cannot configure WASI: {exc}") from exc
            if config.memory_limit is not None:
                _native.set_memory_limit(store, config.memory_limit)
            self.ctx = ctypes.c_void_p(store.ctx)
            _set_deadline(self.ctx, _native.NO_DEADLINE)
            if self._fuel_engine:
                self._refuel(_MAX_FUEL)  # _initialize runs unmetered; calls get their own budget
            if self._current is not None:
                self._current.inst = self  # Go init code may already call the host
            if config.timeout is not None:
                # A plugin that hangs in its start function or _initialize must not hang the host.
                _set_deadline(self.ctx, image.engine.ticker.arm(config.timeout))
                self.timeout = config.timeout
            try:
                self._handle = _native.instantiate(store, image.pre)
            except _native.CError as exc:
                if exc.trap_code == _native.TRAP_INTERRUPT:
                    raise LoadError(
                        f"plugin start function did not finish within timeout={config.timeout:g} s"
                    ) from DeadlineExceeded("start function: deadline exceeded")
                if config.memory_limit is not None and "memory" in str(exc) and "limit" in str(exc):
                    raise MemoryLimitError(
                        f"plugin needs more memory than memory_limit={config.memory_limit}"
                    ) from exc
                raise LoadError(f"cannot instantiate plugin: {exc}") from exc
            mem = _native.export(store, self._handle, "memory")
            if mem is None or mem.kind != _native.EXTERN_MEMORY:
                raise ExportError("memory", "the plugin must export its linear memory as 'memory'")
            self.memory = LinearMemory(store, mem)
            if image.initialized_end is None:  # once per plugin, before any guest code ran
                image.initialized_end = _trim.initialized_end(self.memory.view)
            self._malloc = self._raw("malloc", 1)
            self._free = self._raw("free", 1)
            self._request = self._raw("wasmplug_request", 1) if image.has_request else None
            if image.has_initialize:
                init = self._raw("_initialize", 0)
                try:
                    self._call(init, "_initialize")
                except WasmplugError as exc:
                    if isinstance(exc, MemoryLimitError):
                        raise
                    raise LoadError(f"plugin _initialize failed: {exc}") from exc
            if self.has_abi:
                self.reply_buf = self._reply_buffer()
            _set_deadline(self.ctx, _native.NO_DEADLINE)
            view = self.memory.covering(0, 0, "memory")
            # Go's start-up writes zeros into fresh pages (up to 512 KiB): give them back while idle.
            _trim.drop_zero_pages(view, self.memory.address(), image.initialized_end)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ hot path
    def invoke(
        self, export: str, data: bytes, deadline: ctypes.c_uint64 | None, fuel: int | None
    ) -> int:
        """Run `export(ptr, size)` on `data`; returns the packed reply `ptr<<32 | size` (unsigned)."""
        f = self._methods.get(export)
        if f is None:
            f = self._bind(export)
        if deadline is not None:
            _set_deadline(self.ctx, deadline)
            self._armed = True
        elif self._armed:
            _set_deadline(self.ctx, _native.NO_DEADLINE)
            self._armed = False
        if self._current is not None:
            self._current.inst = self
        if self._fuel_engine:
            self._refuel(fuel)
        elif fuel is not None:
            raise ValueError("per-call fuel needs a plugin loaded with PluginConfig(fuel=...)")
        n = len(data)
        owned = False
        if n:
            if n <= self._scratch_cap:
                p = self._scratch
            elif n >= _HANDOVER_MIN and self._request is not None:
                p = self._handover(n)
            else:
                p, owned = self._request_buffer(n)
            view = self.memory.view
            if p + n > len(view):
                view = self._covering(p, n, "malloc")
            view[p : p + n] = data
        else:
            p = 0
        v = f.v
        v[0] = p
        v[2] = n
        err = _CALL(*f.args)
        if err or f.trap.value:
            self._fail(f, err, export)
        if self._limit is not None:
            self._check_limit(export)
        r: int = v[0] & _U64
        if owned:
            self._guest_free(p)
        return r

    def covering(self, ptr: int, size: int, export: str) -> memoryview:
        """Slow path of reading a reply: rebuild the view after growth, or fail on a wild reply."""
        return self._covering(ptr, size, f"reply of {export!r}")

    # ------------------------------------------------------------------ other calls
    def call_scalar(self, export: str) -> int:
        """Call a `() -> i64` export (e.g. `<svc>_api_version`)."""
        f = self._methods.get(export)
        if f is None:
            f = self._bind(export, params=(), results=("i64",))
        if self._armed:
            _set_deadline(self.ctx, _native.NO_DEADLINE)
            self._armed = False
        if self._fuel_engine:
            self._refuel(None)
        if self._current is not None:
            self._current.inst = self
        err = _CALL(*f.args)
        if err or f.trap.value:
            self._fail(f, err, export)
        r: int = f.v[0]
        return r

    def _reply_buffer(self) -> "ctypes.Array[ctypes.c_uint32] | None":
        """ABI 2: the guest's reply-buffer header `{ptr, cap}` (two little-endian u32), where host
        functions write replies of up to `cap` bytes instead of calling the guest's `malloc`.

        Its address is read once per instance (memory never moves or shrinks, so the header stays
        addressable); `ptr` and `cap` are read on every host call and bounds-checked there.
        """
        try:
            version = self._call_u32("wasmplug_abi")
            if not 2 <= version < 1 << 31:
                return None  # an ABI-1 guest: replies go through malloc
            addr = self._call_u32("wasmplug_host_reply")
        except (ExportError, MemoryLimitError):
            raise
        except WasmplugError as exc:
            raise LoadError(f"plugin's wasmplug ABI exports failed: {exc}") from exc
        view = self.memory.covering(0, 0, "memory")  # the call may have grown memory
        if addr % 4 or addr + 8 > len(view):
            raise LoadError(
                f"wasmplug_host_reply: the reply-buffer header at {addr:#x} is not an aligned "
                f"8-byte region inside the plugin's memory ({len(view)} bytes)"
            )
        return _HEADER.from_buffer(view[addr : addr + 8])

    def _call_u32(self, export: str) -> int:
        f = self._methods.get(export)
        if f is None:
            f = self._bind(export, params=(), results=("i32",))
        self._call(f, export)
        return int(f.v[0]) & _U32

    def _request_buffer(self, n: int) -> tuple[int, bool]:
        """A buffer for an n-byte request: (ptr, free it after the call?).

        go-plugin's sequence is malloc + write + call + free per call. A wasmplug guest (it exports
        `wasmplug_abi`) promises the request is only read during the call, so small requests reuse one
        pinned scratch buffer per instance: two fewer calls into the guest per RPC.
        """
        if not self.has_abi or n > _SCRATCH_MAX:
            return self.guest_malloc(n), True
        cap = max(_SCRATCH_MIN, 1 << (n - 1).bit_length())
        if self._scratch_cap:
            self._guest_free(self._scratch)
            self._scratch_cap = 0
        self._scratch = self.guest_malloc(cap)
        self._scratch_cap = cap
        return self._scratch, False

    def _handover(self, n: int) -> int:
        """`wasmplug_request(n)`: a buffer for this request that the guest keeps (never freed here)."""
        r = self._request
        assert r is not None
        r.v[0] = n
        self._call(r, "wasmplug_request")
        p = int(r.v[0]) & _U32
        if p + n > len(self.memory.view):
            self._covering(p, n, "wasmplug_request")
        return p

    def _guest_free(self, p: int) -> None:
        self._free.v[0] = p
        self._call(self._free, "free")

    def guest_malloc(self, n: int, keep_gil: bool = False) -> int:
        """The guest's `malloc`; `keep_gil` from inside a host function (it holds the GIL already, and
        releasing and re-taking it there costs more than the call)."""
        m = self._malloc
        m.v[0] = n
        err = (_CALL_QUICK if keep_gil else _CALL)(*m.args)
        if err or m.trap.value:
            self._fail(m, err, "malloc")
        return int(m.v[0]) & _U32

    def set_memory_limit(self, limit: int | None) -> None:
        """Per-call override; `None` restores the plugin's limit (or none)."""
        if limit is None:
            limit = self.image.config.memory_limit
        if limit != self._limit:
            # wasmtime has no "unlimited" value for an already-set limiter: use the 4 GiB wasm32 maximum.
            _native.set_memory_limit(self.store, limit if limit is not None else 1 << 32)
            self._limit = limit

    def _check_limit(self, export: str) -> None:
        """After a call that returned: is the memory at its limit (no memory.grow by even one page can
        succeed)? wasmtime's C API reports no failed grow (its limiter makes memory.grow return -1 and
        says nothing), so this is what the host can see; see `Plugin.memory_limit_reached`."""
        limit = self._limit
        assert limit is not None
        size = self.memory.size()
        if size + _PAGE <= limit:
            return
        self.image.limit_reached()
        if (
            not self._limit_logged
        ):  # once per instance: it stays at the limit (memory never shrinks)
            self._limit_logged = True
            import logging  # only here: it costs milliseconds of a fresh process's start-up

            logging.getLogger("wasmplug").warning(
                "%s: plugin memory reached memory_limit=%d bytes (%d bytes in use) and the call "
                "returned normally: this instance's memory.grow fails from now on",
                export,
                limit,
                size,
            )

    # ------------------------------------------------------------------ slow path
    def _refuel(self, fuel: int | None) -> None:
        budget = fuel if fuel is not None else self.image.config.fuel
        err = _set_fuel(self.ctx, budget if budget is not None else _MAX_FUEL)
        if err:
            raise WasmplugError(f"cannot set fuel: {_native.error_message(err)}")

    def _call(self, f: _native.RawFunc, what: str) -> None:
        err = _CALL(*f.args)
        if err or f.trap.value:
            self._fail(f, err, what)

    def _bind(
        self,
        export: str,
        params: tuple[str, ...] = ("i32", "i32"),
        results: tuple[str, ...] = ("i64",),
    ) -> _native.RawFunc:
        if self._closed:
            raise WasmplugError("instance is closed")
        self.image.check_export(
            export, params, results
        )  # once per export and instance (then cached)
        f = self._raw(export, max(len(params), len(results)))
        self._methods[export] = f
        return f

    def _raw(self, name: str, nslots: int) -> _native.RawFunc:
        ext = _native.export(self.store, self._handle, name)
        if ext is None:
            raise ExportError(name, "not exported by the plugin")
        if ext.kind != _native.EXTERN_FUNC:
            raise ExportError(name, "is not a function")
        return _native.RawFunc(self.store, ext, nslots)

    def _covering(self, ptr: int, size: int, what: str) -> memoryview:
        try:
            return self.memory.covering(ptr, size, what)
        except WasmplugError:
            self.broken = True  # a guest that hands out wild pointers is not reused
            raise

    def _fail(self, f: _native.RawFunc, err: int | None, export: str) -> None:
        self.broken = True
        code: int | None = None
        if err:
            message = _native.error_message(err)
            if f.trap.value:  # not expected alongside an error; never leak it
                _native.take_trap(f.trap.value)
                f.trap.value = None
        else:
            code, message = _native.take_trap(f.trap.value or 0)
            f.trap.value = None
        raise self._classify(code, message, export)

    def _classify(self, code: int | None, message: str, export: str) -> WasmplugError:
        host_error, self.host_error = self.host_error, None
        if isinstance(host_error, (DeadlineExceeded, MemoryLimitError, TrapError)):
            return host_error  # raised by our own re-entrant malloc inside a host function
        if host_error is not None and not isinstance(host_error, Exception):
            raise host_error  # KeyboardInterrupt, SystemExit in a host function: not a plugin failure
        if code == _native.TRAP_INTERRUPT:
            return DeadlineExceeded(f"{export}: deadline exceeded ({self.timeout:g} s)")
        if code == _native.TRAP_OUT_OF_FUEL:
            return FuelExhausted(f"{export}: fuel exhausted")
        stderr = self.stderr.text()
        panic = panic_text(stderr)
        limit = self._limit
        if limit is not None and ("out of memory" in panic or self.memory.size() + _PAGE > limit):
            return MemoryLimitError(
                f"{export}: plugin exceeded memory_limit={limit} bytes"
                + (f" ({panic})" if panic else "")
            )
        if host_error is not None:
            exc = TrapError(
                f"{export}: host function raised {type(host_error).__name__}: {host_error}",
                export=export,
                panic=panic,
                trap=message,
            )
            exc.__cause__ = host_error
            return exc
        lines = message.strip().splitlines()
        cause = lines[-1].strip() if lines else "trap"
        return TrapError(
            f"{export}: plugin trapped: {panic or cause}", export=export, panic=panic, trap=message
        )

    def close(self) -> None:
        """Delete the store. Idempotent; the pool closes an instance only when no call is using it."""
        if getattr(self, "_closed", True):
            return
        self._closed = True
        self.broken = True
        cur = getattr(self, "_current", None)
        if cur is not None and cur.inst is self:
            cur.inst = None  # do not keep a dead instance reachable through this thread's slot
        self.reply_buf = None
        mem = getattr(self, "memory", None)
        if mem is not None:
            mem.release()
        self._methods.clear()
        for name in (
            "_malloc",
            "_free",
        ):  # a stray later call fails in Python, not on a freed store
            if hasattr(self, name):
                delattr(self, name)
        store = getattr(self, "store", None)
        if store is not None:
            store.close()  # first: the store may still call the output callbacks
        self._outputs = []

    def __del__(self) -> None:
        self.close()
