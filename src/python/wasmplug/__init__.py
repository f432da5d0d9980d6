"""wasmplug: WebAssembly plugins for Python hosts (the Python-host twin of go-plugin)."""

from ._host import HostModule, host_function
from .config import PluginConfig, Preopen, ServiceExports
from .errors import (
    DeadlineExceeded,
    DecodeError,
    DigestMismatchError,
    ExportError,
    FuelExhausted,
    LoadError,
    MemoryLimitError,
    MissingHostFunctionError,
    PluginError,
    TrapError,
    VersionMismatchError,
    WasmplugError,
)
from .plugin import Plugin

__all__ = [
    "DeadlineExceeded",
    "DecodeError",
    "DigestMismatchError",
    "ExportError",
    "FuelExhausted",
    "HostModule",
    "LoadError",
    "MemoryLimitError",
    "MissingHostFunctionError",
    "Plugin",
    "PluginConfig",
    "PluginError",
    "Preopen",
    "ServiceExports",
    "TrapError",
    "VersionMismatchError",
    "WasmplugError",
    "host_function",
]
