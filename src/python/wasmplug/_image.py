"""A loaded plugin image: compiled module, linker (WASI + host functions) and pre-instantiation,
shared by all instances of a plugin. Export signatures are checked here once, not per call."""

from __future__ import annotations

import os
import re
import threading
from typing import Any

from . import _cache, _engine, _host, _native
from .config import PluginConfig
from .errors import ExportError, LoadError, MissingHostFunctionError

_I32 = "i32"
# wasmtime's link error for an import nothing defines: "unknown import: `env::http_get` has not been defined"
_UNKNOWN_IMPORT = re.compile(r"unknown import: `([^`]*)::([^`]*)`")


def _fmt(params: tuple[str, ...], results: tuple[str, ...]) -> str:
    return f"({', '.join(params)}) -> ({', '.join(results)})"


def cache_dir(config: PluginConfig) -> str | None:
    """The compile cache directory `config` asks for (None: no cache)."""
    if config.cache_dir is False:
        return None
    if config.cache_dir is None:
        return _cache.default_cache_dir()
    return os.fspath(config.cache_dir)


class Image:
    def __init__(
        self,
        wasm: bytes | None,
        path: str | None,
        config: PluginConfig,
        host_modules: tuple[_host.HostModule, ...],
        sha256: bytes | None = None,
        service: str = "",
    ) -> None:
        """The module is `wasm`, or if None the file at `path` (read only if the compile cache misses);
        with `sha256`, bytes of another digest are refused before compiling. `service` (a generated
        loader's service name) is named in export errors."""
        self.config = config
        self.service = service
        self.engine = _engine.get_engine(config.fuel is not None)
        try:
            self.module = _cache.compile_module(
                self.engine.engine,
                self.engine.key,
                wasm,
                path,
                cache_dir(config),
                config.cache_max_bytes,
                sha256,
                config.max_module_bytes,
            )
        except _native.CError as exc:
            raise LoadError(f"invalid wasm module: {exc}") from exc
        except OSError as exc:
            raise LoadError(f"cannot read plugin {path}: {exc}") from exc
        self._exports = _native.module_exports(self.module)
        if self._exports.get("memory") != "memory":
            raise ExportError(
                "memory", "the plugin must export its linear memory as 'memory'", service=service
            )
        self.check_export("malloc", (_I32,), (_I32,))
        self.check_export("free", (_I32,), ())
        self.has_initialize = "_initialize" in self._exports
        if self.has_initialize:
            self.check_export("_initialize", (), ())
        self.has_abi = "wasmplug_abi" in self._exports
        if self.has_abi:
            self.check_export("wasmplug_abi", (), (_I32,))
        # wasmplug_request(size) -> ptr: a buffer for one large request that the guest then keeps (an
        # extension of ours: used only with the wasmplug_abi marker, its presence is the negotiation)
        self.has_request = self.has_abi and "wasmplug_request" in self._exports
        if self.has_request:
            self.check_export("wasmplug_request", (_I32,), (_I32,))

        # Only plugins with host functions need to know which instance runs on which thread.
        self.current: _host.CurrentInstance | None = None
        self._callbacks: list[Any] = []  # the ctypes callbacks must live as long as the linker
        linker = _native.new_linker(self.engine.engine)
        try:
            if host_modules:
                self.current = _host.CurrentInstance()
                self._callbacks = _host.define_modules(linker, host_modules, self.current)
        except _native.CError as exc:
            raise LoadError(f"cannot define host functions: {exc}") from exc
        try:
            self.pre = _native.instantiate_pre(linker, self.module)
        except _native.CError as exc:
            missing = _UNKNOWN_IMPORT.search(str(exc))
            if missing:
                given = tuple(m.name for m in host_modules)
                raise MissingHostFunctionError(missing[1], missing[2], given) from exc
            raise LoadError(f"cannot link plugin: {exc}") from exc
        self.linker = linker
        # Where the initialized data of a fresh linear memory ends (see `_trim`); set by the first instance.
        self.initialized_end: int | None = None
        self.limit_hits = 0  # calls that returned with their instance at its memory limit
        self._hits_lock = threading.Lock()

    def limit_reached(self) -> None:
        with self._hits_lock:  # calls on several threads may count at once
            self.limit_hits += 1

    def check_export(self, name: str, params: tuple[str, ...], results: tuple[str, ...]) -> None:
        ty = self._exports.get(name)
        expected = _fmt(params, results)
        if ty is None:
            raise ExportError(
                name,
                f"not exported by the plugin (expected {expected})",
                service=self.service,
                expected=expected,
            )
        if isinstance(ty, str):
            raise ExportError(
                name,
                f"is not a function (expected {expected})",
                service=self.service,
                expected=expected,
            )
        if ty != (params, results):
            actual = _fmt(*ty)
            raise ExportError(
                name,
                f"has type {actual}, expected {expected}",
                service=self.service,
                expected=expected,
                actual=actual,
            )
