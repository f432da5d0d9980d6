"""The typed error hierarchy. Every error the runtime raises derives from `WasmplugError`."""

from __future__ import annotations


class WasmplugError(Exception):
    """Base class of every wasmplug error."""


class LoadError(WasmplugError):
    """The plugin could not be loaded: unreadable or invalid wasm, link failure, failing `_initialize`."""


class ExportError(LoadError):
    """A required export is missing or has the wrong type. `.export` names it."""

    def __init__(self, export: str, message: str) -> None:
        super().__init__(f"export {export!r}: {message}")
        self.export = export


class VersionMismatchError(LoadError):
    """The plugin's `<svc>_api_version` differs from the host's (go-plugin's exact message)."""

    def __init__(self, host: int, plugin: int) -> None:
        super().__init__(f"API version mismatch, host: {host}, plugin: {plugin}")
        self.host = host
        self.plugin = plugin


class PluginError(WasmplugError):
    """The plugin returned an error (bit 31 of the reply size); `str(e)` is its message."""

    def __init__(self, message: str, export: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.export = export


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
