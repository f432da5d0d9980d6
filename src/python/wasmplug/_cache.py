"""On-disk compile cache: serialized modules keyed by the wasm's sha256, the wasmtime version and
the engine configuration.

Compiling a 2 MB Go module takes 0.5-0.9 s; deserializing takes well under 10 ms. An entry is never
trusted blindly: it carries a checksum and the wasm's hash, the directory must be private to this
user, and anything that does not check out (or that wasmtime refuses) is recompiled and replaced.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import stat
import struct
import tempfile
import zlib
from pathlib import Path

import wasmtime
from wasmtime import _ffi as ffi

_MAGIC = b"WPCWASM1"
_HEADER = struct.Struct("<8s32sQI")  # magic, sha256(wasm), payload length, crc32(payload)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wasmplug"


def entry_path(cache_dir: Path, wasm_digest: bytes, engine_key: str) -> Path:
    name = hashlib.sha256(wasm_digest + engine_key.encode()).hexdigest()
    return cache_dir / f"{name}.cwasm"


def compile_module(engine: wasmtime.Engine, engine_key: str, wasm: bytes, cache_dir: Path | None) -> wasmtime.Module:
    """Compile `wasm`, or load it from `cache_dir` (None: no cache). Raises wasmtime errors on bad wasm."""
    if cache_dir is None:
        return _compile(engine, wasm)
    digest = hashlib.sha256(wasm).digest()
    path = entry_path(cache_dir, digest, engine_key)
    module = _load(engine, path, digest)
    if module is None:
        module = _compile(engine, wasm)
        _store(cache_dir, path, digest, module)
    return module


def _compile(engine: wasmtime.Engine, wasm: bytes) -> wasmtime.Module:
    return wasmtime.Module(engine, wasm)


def _private_dir(cache_dir: Path) -> bool:
    """Only a directory owned by us and not writable by others may feed us machine code."""
    try:
        st = cache_dir.stat()
    except OSError:
        return False
    if not hasattr(os, "getuid"):
        return True
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _load(engine: wasmtime.Engine, path: Path, digest: bytes) -> wasmtime.Module | None:
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            data = bytearray(st.st_size)
            if f.readinto(data) != st.st_size:
                return None
    except OSError:
        return None
    if not _private_dir(path.parent) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
        return None
    try:
        magic, wasm_digest, size, crc = _HEADER.unpack_from(data)
        payload = memoryview(data)[_HEADER.size:]
        if magic != _MAGIC or wasm_digest != digest or size != len(payload) or zlib.crc32(payload) != crc:
            raise ValueError("corrupt cache entry")
        return _deserialize(engine, data, _HEADER.size)
    except Exception:
        # Corrupt, truncated, or written by another wasmtime: drop it and recompile.
        try:
            path.unlink()
        except OSError:
            pass
        return None


def _deserialize(engine: wasmtime.Engine, data: bytearray, offset: int) -> wasmtime.Module:
    """`Module.deserialize` without its two copies of a multi-megabyte artifact."""
    n = len(data) - offset
    buf = (ctypes.c_uint8 * n).from_buffer(data, offset)
    ptr = ctypes.POINTER(ffi.wasmtime_module_t)()
    err = ffi.wasmtime_module_deserialize(engine.ptr(), buf, n, ctypes.byref(ptr))
    if err:
        raise wasmtime.WasmtimeError._from_ptr(err)
    return wasmtime.Module._from_ptr(ptr)


def _store(cache_dir: Path, path: Path, digest: bytes, module: wasmtime.Module) -> None:
    """Best effort: a cache that cannot be written is just a slower load."""
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private_dir(cache_dir):
            return
        payload = bytes(module.serialize())
        header = _HEADER.pack(_MAGIC, digest, len(payload), zlib.crc32(payload))
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-", suffix=".cwasm")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(header)
                f.write(payload)
            os.replace(tmp, path)  # atomic: readers see the old entry or the whole new one
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass
