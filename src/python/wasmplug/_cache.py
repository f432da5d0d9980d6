"""On-disk compile cache: serialized modules keyed by the wasm's sha256, the wasmtime version and
the engine configuration.

Compiling a 2 MB Go module takes 0.5-0.9 s. A cache entry is the raw artifact (`<key>.cwasm`, mapped
by `Module.deserialize_file` without a copy) plus a small `<key>.meta` (magic, sha256 of the wasm,
size and crc32 of the artifact). An entry is never trusted blindly: the directory must be private to
this user, the meta must match, and the artifact's checksum is verified before wasmtime sees it.
Anything that does not check out, or that wasmtime refuses (another version), is recompiled and
replaced. Writes are atomic (write to a temp file, rename).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import stat
import struct
import tempfile
import zlib
from pathlib import Path

import wasmtime

_MAGIC = b"WPCWASM2"
_META = struct.Struct("<8s32sQI")  # magic, sha256(wasm), artifact size, crc32(artifact)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wasmplug"


def entry_path(cache_dir: Path, wasm_digest: bytes, engine_key: str) -> Path:
    """The artifact's path; its meta sits beside it with the suffix `.meta`."""
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


def _owned_by_us(st: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


def _private_dir(cache_dir: Path) -> bool:
    """Only a directory owned by us and not writable by others may feed us machine code."""
    try:
        st = cache_dir.stat()
    except OSError:
        return False
    return _owned_by_us(st) and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _load(engine: wasmtime.Engine, path: Path, digest: bytes) -> wasmtime.Module | None:
    meta_path = path.with_suffix(".meta")
    try:
        meta = meta_path.read_bytes()
    except OSError:
        return None
    try:
        if not _private_dir(path.parent):
            return None
        magic, wasm_digest, size, crc = _META.unpack(meta)
        if magic != _MAGIC or wasm_digest != digest:
            raise ValueError("foreign or corrupt cache meta")
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if not _owned_by_us(st) or st.st_size != size or size == 0:
                raise ValueError("cache artifact does not match its meta")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                if zlib.crc32(m) != crc:
                    raise ValueError("cache artifact checksum mismatch")
        return wasmtime.Module.deserialize_file(engine, str(path))
    except Exception:
        # Corrupt, truncated, or written by another wasmtime: drop it and recompile.
        for p in (path, meta_path):
            try:
                p.unlink()
            except OSError:
                pass
        return None


def _store(cache_dir: Path, path: Path, digest: bytes, module: wasmtime.Module) -> None:
    """Best effort: a cache that cannot be written is just a slower load."""
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private_dir(cache_dir):
            return
        artifact = bytes(module.serialize())
        meta = _META.pack(_MAGIC, digest, len(artifact), zlib.crc32(artifact))
        _write_atomic(cache_dir, path, artifact)  # artifact first: a reader checks it against the meta
        _write_atomic(cache_dir, path.with_suffix(".meta"), meta)
    except OSError:
        pass


def _write_atomic(cache_dir: Path, path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # readers see the old file or the whole new one
    except BaseException:
        os.unlink(tmp)
        raise
