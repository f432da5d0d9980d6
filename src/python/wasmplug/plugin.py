"""`Plugin`: a loaded plugin, its instance pool, and the calls (sync, async, raw bytes)."""

from __future__ import annotations

import atexit
import functools
import os
import weakref
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Callable, Optional, Protocol, TypeVar, Union, cast

from google.protobuf.message import DecodeError as _ProtoDecodeError

from ._digest import parse_digest
from ._host import HostModule
from ._image import Image
from ._image import cache_dir as _cache_dir
from ._instance import Instance
from ._pool import Pool
from .config import PluginConfig, ServiceExports
from .errors import (
    DecodeError,
    DigestMismatchError,
    LoadError,
    PluginError,
    VersionMismatchError,
    WasmplugError,
)

if TYPE_CHECKING:
    import concurrent.futures
    from importlib.resources.abc import Traversable  # ~10 ms to import: annotations only

    Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, Traversable]

_ERR = 0x80000000


class Message(Protocol):
    def SerializeToString(self, *, deterministic: bool = ...) -> bytes: ...


M = TypeVar("M")
M_co = TypeVar("M_co", covariant=True)
R = TypeVar("R")


class MessageType(Protocol[M_co]):
    """A protobuf message class (only `FromString` is used)."""

    def FromString(self, s: bytes) -> M_co: ...


def _read(source: Source, max_bytes: int) -> tuple[bytes | None, str | None]:
    """(bytes, None), or (None, path) for a file: the compile cache may not need to read it at all.
    Bytes over `max_bytes` are refused here; a file is checked where it is opened (`_cache.read_wasm`).
    """
    if isinstance(source, (str, os.PathLike)):
        return None, os.fspath(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        size = memoryview(source).nbytes
        if size > max_bytes:
            raise LoadError(
                f"cannot load a plugin from {type(source).__name__}: {size} bytes, more than"
                f" PluginConfig.max_module_bytes={max_bytes}"
            )
        return bytes(source), None
    if not hasattr(source, "open"):
        raise TypeError(f"cannot load a plugin from {type(source).__name__}")
    try:  # a Traversable that is no path, e.g. a zip member
        with source.open("rb") as f:
            data: bytes = f.read(max_bytes + 1)
    except OSError as exc:
        raise LoadError(f"cannot read plugin {source}: {exc}") from exc
    if len(data) > max_bytes:
        raise LoadError(
            f"cannot load plugin {source}: more than PluginConfig.max_module_bytes={max_bytes} bytes"
        )
    return data, None


class Plugin:
    """A loaded plugin. Thread-safe: each call checks an instance out of the pool for its duration."""

    def __init__(self, image: Image) -> None:
        self._image = image
        self._config = image.config
        self._timeout = image.config.timeout
        self._ticker = image.engine.ticker
        self._pool = Pool(
            functools.partial(Instance, image),
            image.config.max_instances,
            image.config.fresh_instance_per_call,
        )
        self._idle_pop = self._pool.idle_pop
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._methods: dict[tuple[str, object], Callable[[Message, Optional[float]], object]] = {}
        _live.add(self)

    @classmethod
    def load(
        cls,
        source: Source,
        *,
        config: PluginConfig | None = None,
        host_modules: Sequence[HostModule] = (),
        sha256: str | None = None,
        exports: ServiceExports | None = None,
    ) -> "Plugin":
        """Compile (or fetch from the compile cache) and instantiate a plugin; runs `_initialize` once.

        `source` is a `.wasm` path (a regular file), its bytes, a resource, or an OCI reference
        `oci://REGISTRY/REPO@sha256:...` (or `:TAG`; needs `wasmplug[oci]`), pulled once and kept in
        the compile cache (loopback registries are spoken to in plain HTTP); a file or bytes of at most
        `config.max_module_bytes`. With `sha256` (`"sha256:<hex>"` or the hex), bytes of another digest
        raise `DigestMismatchError` before anything is compiled. `exports` (what a generated loader
        passes) is checked now rather than at the first call: the version export's type and value
        (`VersionMismatchError`), then every method's type (`ExportError` naming the export, the
        service, the expected and the actual signature).
        """
        config = config or PluginConfig()
        expected = None if sha256 is None else parse_digest(sha256)
        service = exports.name if exports else ""
        if isinstance(source, str) and source.startswith("oci://"):
            from . import oci

            path, wasm, digest = oci.fetch_to_cache(
                source, _cache_dir(config), max_module_bytes=config.max_module_bytes
            )
            if expected is not None and expected != digest:
                raise DigestMismatchError(
                    source, f"sha256:{expected.hex()}", f"sha256:{digest.hex()}"
                )
            image = Image(wasm, path, config, tuple(host_modules), digest, service)
        else:
            data, path = _read(source, config.max_module_bytes)
            image = Image(data, path, config, tuple(host_modules), expected, service)
        plugin = cls(image)
        try:
            plugin._pool.prefill(1)  # surface instantiation and _initialize errors now
            if exports is not None:
                # go-plugin's order: a plugin of another version may well lack or mistype a method.
                plugin.check_version(exports.version_export, exports.version)
                for name, signature in exports.signatures().items():
                    image.check_export(name, *signature)
        except BaseException:
            plugin.close()
            raise
        return plugin

    # ------------------------------------------------------------------ calls
    def method(
        self, export: str, reply_type: MessageType[M]
    ) -> Callable[[Message, Optional[float]], M]:
        """A prebound callable for one `(ptr, size) -> ptr<<32|size` export: `fn(request, timeout)`.

        The same as `call(export, request, reply_type, timeout=timeout)`, with everything that does not
        change per call (export name, reply parser, pool) resolved once: generated clients bind one per
        RPC in `__init__`. `timeout=None` uses the plugin's configured timeout. Thread-safe like `call`.
        """
        parse = reply_type.FromString
        type_name = _name(reply_type)
        pool = self._pool
        idle_pop = pool.idle_pop
        get_slow = pool.get_slow
        put = pool.put
        default_timeout = self._timeout
        arm = self._ticker.arm

        def call(request: Message, timeout: Optional[float] = None) -> M:
            data = request.SerializeToString()
            if timeout is None:
                timeout = default_timeout
            deadline = None if timeout is None else arm(timeout)
            try:
                inst = idle_pop()  # the pool's lock-free fast path
            except IndexError:
                inst = get_slow(timeout)
            try:
                if timeout is not None:
                    inst.timeout = timeout  # only for the error message
                r = inst.invoke(export, data, deadline, None)
                # Decoded while the instance is still checked out: no other thread can overwrite the reply.
                return parse(_reply(inst, r, export))  # type: ignore[arg-type]
            except _ProtoDecodeError as exc:
                raise DecodeError(f"{export}: reply is not a valid {type_name}: {exc}") from exc
            finally:
                put(inst)

        call.__name__ = call.__qualname__ = export
        return call

    def call(
        self,
        export: str,
        request: Message,
        reply_type: MessageType[M],
        *,
        timeout: float | None = None,
        fuel: int | None = None,
        memory_limit: int | None = None,
    ) -> M:
        """Call a `(ptr, size) -> ptr<<32|size` export with a protobuf request; parse the reply.

        `timeout` (seconds), `fuel` and `memory_limit` (bytes) override the plugin's config for this call.
        """
        if fuel is None and memory_limit is None:
            key = (export, reply_type)
            fn = self._methods.get(key)
            if fn is None:
                fn = self._methods[key] = self.method(export, reply_type)
            return cast(M, fn(request, timeout))
        try:
            # upb parses any buffer: straight from the memoryview over the plugin's memory, no copy.
            return self._call(
                export,
                request.SerializeToString(),
                timeout,
                fuel,
                memory_limit,
                reply_type.FromString,  # type: ignore[arg-type]
            )
        except _ProtoDecodeError as exc:
            raise DecodeError(f"{export}: reply is not a valid {_name(reply_type)}: {exc}") from exc

    def call_bytes(
        self,
        export: str,
        request: bytes,
        *,
        timeout: float | None = None,
        fuel: int | None = None,
        memory_limit: int | None = None,
    ) -> bytes:
        """Like `call`, with raw request and reply bytes."""
        return self._call(export, request, timeout, fuel, memory_limit, memoryview.tobytes)

    def _call(
        self,
        export: str,
        data: bytes,
        timeout: float | None,
        fuel: int | None,
        memory_limit: int | None,
        decode: Callable[[memoryview], R],
    ) -> R:
        if timeout is None:
            timeout = self._timeout
        deadline = None if timeout is None else self._ticker.arm(timeout)
        pool = self._pool
        inst = pool.get(timeout)  # the deadline also bounds waiting for a free instance
        try:
            if timeout is not None:
                inst.timeout = timeout  # only for the error message
            if memory_limit is not None:
                inst.set_memory_limit(memory_limit)
            r = inst.invoke(export, data, deadline, fuel)
            # Decoded while the instance is still checked out: no other thread can overwrite the reply.
            return decode(_reply(inst, r, export))
        finally:
            if memory_limit is not None and not inst.broken:
                inst.set_memory_limit(None)
            pool.put(inst)

    async def call_async(
        self,
        export: str,
        request: Message,
        reply_type: MessageType[M],
        *,
        timeout: float | None = None,
        fuel: int | None = None,
        memory_limit: int | None = None,
    ) -> M:
        """`call` on a worker thread, off the event loop (wasm runs without the GIL)."""
        import asyncio  # imported on first use: it costs ~10 ms at startup

        loop = asyncio.get_running_loop()
        fn = functools.partial(
            self.call,
            export,
            request,
            reply_type,
            timeout=timeout,
            fuel=fuel,
            memory_limit=memory_limit,
        )
        return await loop.run_in_executor(self._get_executor(), fn)

    async def call_bytes_async(
        self, export: str, request: bytes, *, timeout: float | None = None
    ) -> bytes:
        import asyncio

        loop = asyncio.get_running_loop()
        fn = functools.partial(self.call_bytes, export, request, timeout=timeout)
        return await loop.run_in_executor(self._get_executor(), fn)

    def _get_executor(self) -> concurrent.futures.ThreadPoolExecutor:
        ex = self._executor
        if ex is None:
            import concurrent.futures

            if self._pool.closed:
                raise WasmplugError("plugin is closed")
            ex = self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=self._config.max_instances, thread_name_prefix="wasmplug"
            )
        return ex

    # ------------------------------------------------------------------ versions
    def api_version(self, export: str) -> int:
        """Call a `<svc>_api_version` export (the service name alone is accepted too)."""
        if not export.endswith("_api_version"):
            export += "_api_version"
        pool = self._pool
        try:
            inst = self._idle_pop()
        except IndexError:
            inst = pool.get_slow(None)
        try:
            return inst.call_scalar(export)
        finally:
            pool.put(inst)

    def check_version(self, export: str, host_version: int) -> None:
        plugin_version = self.api_version(export)
        if plugin_version != host_version:
            raise VersionMismatchError(host_version, plugin_version)

    # ------------------------------------------------------------------ introspection, lifetime
    @property
    def config(self) -> PluginConfig:
        return self._config

    @property
    def has_abi_extensions(self) -> bool:
        """True if the guest exports `wasmplug_abi` (host-function errors are returned, not trapped)."""
        return self._image.has_abi

    @property
    def memory_limit_reached(self) -> int:
        """How many calls returned normally with their instance's linear memory at its memory limit
        (`memory_limit`, or the call's): within one 64 KiB page of it, so that every `memory.grow` fails.

        A guest that exceeds the limit and cannot carry on traps (`MemoryLimitError`); one that handles
        the failed grow and returns is counted here, and the first such call of each instance logs a
        warning (logger "wasmplug"). wasmtime reports no failed grow as such: a grow refused while the
        memory was further below the limit (a request larger than what is left) is not seen, and an
        instance at its limit counts on every later call too (memory never shrinks).
        """
        return self._image.limit_hits

    def prefill(self, n: int) -> None:
        """Warm the pool: create instances (running `_initialize`) until `n` are idle, at most `max_instances`."""
        self._pool.prefill(n)

    @property
    def instances(self) -> int:
        """Live instances (idle + in use)."""
        return self._pool.size

    @property
    def idle_instances(self) -> int:
        return self._pool.idle

    @property
    def closed(self) -> bool:
        return self._pool.closed

    def close(self) -> None:
        self._pool.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    def __enter__(self) -> "Plugin":
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _reply(inst: Instance, r: int, export: str) -> memoryview:
    """The reply `ptr<<32|size` names, as a view into the instance's memory; PluginError for bit 31."""
    ptr = r >> 32
    end = ptr + (r & 0x7FFFFFFF)
    view = inst.memory.view
    if end > len(view):
        view = inst.covering(ptr, end - ptr, export)
    failure = inst.host_failure
    if failure is not None:
        inst.host_failure = None
    if r & _ERR:
        message = str(view[ptr:end], "utf-8", "replace")
        if failure is None:
            raise PluginError(message, export)
        raise PluginError(message, export, failure[0]) from failure[1]
    return view[ptr:end]


def _name(t: object) -> str:
    return getattr(t, "__name__", repr(t))


# Stores must be gone before the interpreter finalizes: wasmtime's WASI output threads call back into
# Python when a store is dropped, which aborts noisily once Python is shutting down.
_live: "weakref.WeakSet[Plugin]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for plugin in list(_live):
        plugin.close()
