"""What the `wasmplug` subcommands share: reading a `.wasm` and its description, user errors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from wasmplug_codegen import describe, wasm

WASI_MODULE = "wasi_snapshot_preview1"


class CliError(Exception):
    """A message for the user: the subcommand prints it as `wasmplug <command>: <message>`."""


@dataclass(frozen=True)
class WasmFile:
    path: str
    data: bytes
    module: wasm.Module
    description: Optional[describe.Description]  # None: built without wasmplug's guest SDK

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read_wasm(path: str) -> WasmFile:
    p = Path(path)
    if not p.is_file():
        raise CliError(f"{path}: no such file" if not p.exists() else f"{path}: not a file")
    data = p.read_bytes()
    try:
        module = wasm.parse(data)
    except wasm.WasmFormatError as e:
        raise CliError(f"{path}: {e}") from e
    try:
        description = describe.read(module)
    except describe.DescribeError as e:
        raise CliError(f"{path}: {e}") from e
    return WasmFile(path, data, module, description)


def abi(f: WasmFile) -> str:
    """`wasmplug 2`, `go-plugin` or `none` (not a go-plugin ABI module)."""
    names = set(f.module.export_names())
    if "wasmplug_abi" in names:
        return f"wasmplug {f.description.abi}" if f.description else "wasmplug (version unknown)"
    if {"malloc", "free"} <= names and any(n.endswith("_api_version") for n in names):
        return "go-plugin"
    return "none"


def host_imports(f: WasmFile) -> list[wasm.Extern]:
    """Function imports the host must provide beyond WASI."""
    return [e for e in f.module.imports if e.kind == "func" and e.module != WASI_MODULE]
