"""The typed error hierarchy. Every error the runtime raises derives from `WasmplugError`."""

from __future__ import annotations


class WasmplugError(Exception):
    """Base class of every wasmplug error."""


class LoadError(WasmplugError):
    """The plugin could not be loaded: unreadable or invalid wasm, link failure, failing `_initialize`."""


class ExportError(LoadError):
    """A required export is missing or has the wrong type. `.export` names it, `.service` the service
    that requires it (when loaded by a generated loader, else ""); for a mistyped function `.expected`
    and `.actual` are the signatures, e.g. "(i32, i32) -> (i64)" and "(i32) -> (i32)" (else "")."""

    def __init__(
        self, export: str, message: str, *, service: str = "", expected: str = "", actual: str = ""
    ) -> None:
        of = f" of service {service}" if service else ""
        super().__init__(f"export {export!r}{of}: {message}")
        self.export = export
        self.service = service
        self.expected = expected
        self.actual = actual


class MissingHostFunctionError(LoadError):
    """The plugin imports a host function that no host module passed to `load` provides.

    `.module` and `.name` name the import (wasm module "env" and function "http_get" for `env::http_get`).
    """

    def __init__(self, module: str, name: str, given: tuple[str, ...]) -> None:
        passed = ", ".join(repr(m) for m in given) if given else "none"
        super().__init__(
            f"unknown import {module}::{name}: the plugin imports host function {module}.{name}, which no"
            f" host module passed to load() provides (host modules given: {passed}). Pass the"
            f" implementation of the `go:plugin type=host` service of wasm module {module!r} (the"
            f" default module is 'env'): in a generated SDK by its keyword, e.g. `load(wasm,"
            f" host_functions=impl)` for `service HostFunctions`; with `wasmplug.Plugin.load`, as"
            f" `host_modules=[HostModule({module!r}, {{{name!r}: fn, ...}})]`."
        )
        self.module = module
        self.name = name


class DigestMismatchError(LoadError):
    """The plugin's bytes do not have the sha256 digest the caller pinned (`load(..., sha256=...)`, an
    `oci://...@sha256:` reference); nothing was compiled. `.expected` and `.actual` are `sha256:<hex>`.
    """

    def __init__(self, source: str, expected: str, actual: str) -> None:
        super().__init__(
            f"plugin {source}: sha256 mismatch, expected {expected}, got {actual}; refusing to load it"
        )
        self.source = source
        self.expected = expected
        self.actual = actual


class VersionMismatchError(LoadError):
    """The plugin's `<svc>_api_version` differs from the host's (go-plugin's exact message)."""

    def __init__(self, host: int, plugin: int) -> None:
        super().__init__(f"API version mismatch, host: {host}, plugin: {plugin}")
        self.host = host
        self.plugin = plugin


class PluginError(WasmplugError):
    """The plugin returned an error (bit 31 of the reply size); `.message` is its message.

    If a host function raised during the call (and the guest returned that as its error),
    `.host_function` names it ("module.name"), `str(e)` says so and `__cause__` is the exception.
    """

    def __init__(self, message: str, export: str = "", host_function: str = "") -> None:
        super().__init__(
            f"{message} (host function {host_function} raised)" if host_function else message
        )
        self.message = message
        self.export = export
        self.host_function = host_function


class TrapError(WasmplugError):
    """The plugin trapped (Go panic, fatal error, bad memory access, ...). The instance is discarded.

    `.panic` holds the Go panic text taken from the plugin's stderr, or "" if there was none.
    """

    def __init__(self, message: str, *, export: str = "", panic: str = "", trap: str = "") -> None:
        super().__init__(message)
        self.export = export
        self.panic = panic
        self.trap = trap


class DeadlineExceeded(WasmplugError, TimeoutError):
    """The call ran past its deadline and was interrupted (epoch interruption)."""


class FuelExhausted(DeadlineExceeded):
    """The call consumed its whole fuel budget."""


class MemoryLimitError(WasmplugError, MemoryError):
    """The plugin needed more linear memory than `memory_limit` allows."""


class DecodeError(WasmplugError):
    """The reply is not the declared message, or points outside the plugin's memory."""
