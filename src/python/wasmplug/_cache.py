"""On-disk compile cache: serialized modules keyed by the wasm's sha256, the wasmtime version and
the engine configuration.

Compiling a 2 MB Go module takes 0.5-0.9 s. A cache entry is the raw artifact (`<key>.cwasm`, mapped
by `wasmtime_module_deserialize_file` without a copy) plus a small `<key>.meta` (magic, sha256 of the wasm,
size and crc32 of the artifact, its stamp). An entry is never trusted blindly: the directory must be
private to this user, the meta must match, and the artifact's checksum is verified before wasmtime sees
it unless a settled stamp shows the file unchanged since it was last verified. A `<sha256(path)>.src`
record remembers a wasm file's sha256 the same way, so a load from cache need not hash it.
Anything that does not check out, or that wasmtime refuses (another version), is recompiled and
replaced. Writes are atomic (write to a temp file, rename). Storing an entry evicts the least recently
used ones (by their meta's mtime) beyond `PluginConfig.cache_max_bytes` (default 1 GiB).
"""

from __future__ import annotations

import os
import stat
import struct
import time
import zlib
from typing import IO

from . import _native
from .errors import DigestMismatchError, LoadError

# Paths are plain strings: importing pathlib costs a fresh process ~3 ms.

_MAGIC = b"WPCWASM3"
# magic, sha256(wasm), the artifact's stamp when its crc was last checked and when (0: never), its size, crc32
_META = struct.Struct("<8s32s5qqQI")
_SRC_MAGIC = b"WPSRC001"
_SRC = struct.Struct(
    "<8s5qq32s"
)  # magic, a wasm file's stamp, when it was hashed, its sha256; then its path
# A stamp (dev, inode, size, mtime, ctime) vouches for a file's content only if the file had not changed
# for this long when the content was checked (git's "racy clean" rule): a later write sets ctime to
# after the check, so the stamp no longer matches; a file changed within the window (coarse fs
# timestamps) is read in full. Like the artifact itself, the records are trusted only in a private dir.
_SETTLED_NS = 2_000_000_000
_USE_RESOLUTION_S = 3600  # how exact an entry's "last used" time is (see _mark_used)

Stamp = tuple[int, int, int, int, int]


def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "wasmplug")


def entry_path(cache_dir: str, wasm_digest: bytes, engine_key: str) -> str:
    """The artifact's path; its meta sits beside it with the suffix `.meta` (`meta_path`). (A crc names the
    engine config: the meta holds the full digest, and wasmtime refuses an artifact of another config.)
    """
    return os.path.join(
        cache_dir, f"{wasm_digest.hex()}-{zlib.crc32(engine_key.encode()):08x}.cwasm"
    )


def meta_path(artifact: str) -> str:
    return artifact[: -len(".cwasm")] + ".meta"


def _sha256(data: bytes) -> bytes:
    import hashlib  # imported only when something is hashed: not on a warm load from a file

    return hashlib.sha256(data).digest()


def compile_module(
    engine: int,
    engine_key: str,
    wasm: bytes | None,
    path: str | None,
    cache_dir: str | None,
    max_bytes: int = 1 << 30,
    expected: bytes | None = None,
    max_module_bytes: int = 256 << 20,
) -> _native.Module:
    """Compile the module (`wasm`, or if None the file at `path`), or load it from `cache_dir` (None: no
    cache); storing a new entry evicts the least recently used ones beyond `max_bytes`.
    With `expected` (a sha256), bytes of another digest raise DigestMismatchError before anything is
    compiled or taken from the cache.
    Raises `_native.CError` on bad wasm, OSError if `path` cannot be read, LoadError if it is not a
    regular file of at most `max_module_bytes`."""
    assert wasm is not None or path is not None
    if cache_dir is None:
        if wasm is None:
            wasm = read_wasm(path or "", max_module_bytes)
        if expected is not None:
            _check(expected, _sha256(wasm), path)
        return _compile(engine, wasm)
    # Only a private directory is read from; `_store` checks again (it may have just created it).
    private = _private_dir(cache_dir)
    if wasm is not None:
        digest = _sha256(wasm)
    elif private:
        digest, wasm = _source_digest(cache_dir, path or "", max_module_bytes)
    else:
        wasm = read_wasm(path or "", max_module_bytes)
        digest = _sha256(wasm)
    if expected is not None:
        _check(expected, digest, path)
    module = _load(engine, entry_path(cache_dir, digest, engine_key), digest) if private else None
    if module is None:
        if wasm is None:
            wasm = read_wasm(path or "", max_module_bytes)
            digest = _sha256(wasm)  # file code only under the digest of what was compiled
            if expected is not None:
                _check(expected, digest, path)
        module = _compile(engine, wasm)
        artifact = entry_path(cache_dir, digest, engine_key)
        if _store(cache_dir, artifact, digest, module):
            evict(cache_dir, max_bytes, keep=artifact)
    return module


def _check(expected: bytes, actual: bytes, path: str | None) -> None:
    if actual != expected:
        source = path if path is not None else "(bytes)"
        raise DigestMismatchError(source, f"sha256:{expected.hex()}", f"sha256:{actual.hex()}")


def _compile(engine: int, wasm: bytes) -> _native.Module:
    return _native.compile_module(engine, wasm)


def _read_file(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _open_wasm(path: str, max_bytes: int) -> tuple[IO[bytes], os.stat_result]:
    """A plugin file opened for reading, and its stat; LoadError naming the path unless it is a regular
    file of at most `max_bytes`. Opened non-blocking: a FIFO must fail the check, not wait for a writer
    (and a device like /dev/zero would never end)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = next((k for test, k in _KINDS if test(st.st_mode)), "a special file")
            raise LoadError(f"cannot load plugin {path}: not a regular file ({kind})")
        _check_size(path, st.st_size, max_bytes)
        return os.fdopen(fd, "rb"), st
    except BaseException:
        os.close(fd)
        raise


def _read_wasm_from(f: IO[bytes], path: str, max_bytes: int) -> bytes:
    data = f.read(max_bytes + 1)  # the file may have grown since fstat
    _check_size(path, len(data), max_bytes)
    return data


def _check_size(path: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise LoadError(
            f"cannot load plugin {path}: {size} bytes, more than"
            f" PluginConfig.max_module_bytes={max_bytes}"
        )


def read_wasm(path: str, max_bytes: int) -> bytes:
    """The plugin file at `path`: a regular file of at most `max_bytes` (else LoadError)."""
    f, _ = _open_wasm(path, max_bytes)
    with f:
        return _read_wasm_from(f, path, max_bytes)


def _stamp(st: os.stat_result) -> Stamp:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _settled(st: os.stat_result, when_ns: int) -> bool:
    return st.st_ctime_ns < when_ns - _SETTLED_NS


def _source_digest(cache_dir: str, path: str, max_bytes: int) -> tuple[bytes, bytes | None]:
    """sha256 of the wasm file at `path` and its bytes; (digest, None) without reading the file when a
    record shows it unchanged since it was hashed. (Checked like `read_wasm` either way.)"""
    key = os.path.abspath(path).encode("utf-8", "surrogateescape")
    record = os.path.join(
        cache_dir, f"{zlib.crc32(key):08x}{zlib.adler32(key):08x}.src"
    )  # holds the path: collisions miss
    f, st = _open_wasm(path, max_bytes)
    with f:
        try:
            data = _read_file(record)
            magic, *stamp, when, digest = _SRC.unpack_from(data)
            if (
                magic == _SRC_MAGIC
                and data[_SRC.size :] == key
                and tuple(stamp) == _stamp(st)
                and _settled(st, when)
            ):
                return digest, None
        except (OSError, struct.error):
            pass
        now = time.time_ns()
        wasm = _read_wasm_from(f, path, max_bytes)
    digest = _sha256(wasm)
    if _settled(st, now):
        _write_best_effort(cache_dir, record, _SRC.pack(_SRC_MAGIC, *_stamp(st), now, digest) + key)
    return digest, wasm


def _owned_by_us(st: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


def _private_dir(cache_dir: str) -> bool:
    """Only a directory owned by us and not writable by others may feed us machine code."""
    try:
        st = os.stat(cache_dir)
    except OSError:
        return False
    return _owned_by_us(st) and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _load(engine: int, path: str, digest: bytes) -> _native.Module | None:
    """The entry at `path` (in a directory the caller found private), or None if it does not check out."""
    meta_file = meta_path(path)
    try:
        with open(meta_file, "rb") as mf:
            meta = mf.read()
            meta_mtime = os.fstat(mf.fileno()).st_mtime
    except OSError:
        return None
    try:
        magic, wasm_digest, *stamp, when, size, crc = _META.unpack(meta)
        if magic != _MAGIC or wasm_digest != digest:
            raise ValueError("foreign or corrupt cache meta")
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if not _owned_by_us(st) or st.st_size != size or size == 0:
                raise ValueError("cache artifact does not match its meta")
            # The crc is checked only while the artifact's stamp does not vouch for it (see _SETTLED_NS).
            # wasmtime's deserialize checks the header, its version and the engine config itself.
            if tuple(stamp) != _stamp(st) or not _settled(st, when):
                import mmap

                now = time.time_ns()
                with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                    if zlib.crc32(m) != crc:
                        raise ValueError("cache artifact checksum mismatch")
                if _settled(st, now):
                    _write_best_effort(
                        os.path.dirname(path),
                        meta_file,
                        _META.pack(_MAGIC, digest, *_stamp(st), now, size, crc),
                    )
        module = _native.deserialize_file(engine, path)
    except Exception:
        # Corrupt, truncated, or written by another wasmtime: drop it and recompile.
        for p in (path, meta_file):
            try:
                os.unlink(p)
            except OSError:
                pass
        return None
    _mark_used(meta_file, meta_mtime)
    return module


def _mark_used(meta_file: str, mtime: float) -> None:
    """The meta's mtime is the entry's last use (for eviction); refreshed at most hourly, so a warm load
    rarely writes. (The artifact is never touched: its stamp vouches for its checksum.)"""
    if mtime < time.time() - _USE_RESOLUTION_S:
        try:
            os.utime(meta_file)
        except OSError:
            pass


def evict(cache_dir: str, max_bytes: int, keep: str = "") -> int:
    """Delete least recently used entries until the artifacts and metas in `cache_dir` fit `max_bytes`
    (never `keep`), plus metas without an artifact and temp files left by a crashed writer.
    Best effort: an entry another process is using stays valid for it (an unlinked file lives on while
    open or mapped). Returns the number of entries deleted."""
    entries: list[tuple[float, int, str]] = []  # (last use, bytes, artifact path)
    total = 0
    now = time.time()
    try:
        with os.scandir(cache_dir) as it:
            names = {e.name: e for e in it}
    except OSError:
        return 0
    for name, e in names.items():
        try:
            st = e.stat(follow_symlinks=False)
            if name.startswith(".tmp-"):
                if st.st_mtime < now - _USE_RESOLUTION_S:
                    os.unlink(e.path)
            elif name.endswith(".meta") and name[: -len(".meta")] + ".cwasm" not in names:
                os.unlink(e.path)
            elif name.endswith(".cwasm"):
                meta = names.get(name[: -len(".cwasm")] + ".meta")
                meta_st = meta.stat(follow_symlinks=False) if meta is not None else None
                size = st.st_size + (meta_st.st_size if meta_st else 0)
                entries.append((meta_st.st_mtime if meta_st else st.st_mtime, size, e.path))
                total += size
        except OSError:
            continue
    evicted = 0
    for _used, size, artifact in sorted(entries):
        if total <= max_bytes:
            break
        if artifact == keep:
            continue
        for p in (
            meta_path(artifact),
            artifact,
        ):  # meta first: a reader never trusts an artifact alone
            try:
                os.unlink(p)
            except OSError:
                pass
        total -= size
        evicted += 1
    return evicted


def _store(cache_dir: str, path: str, digest: bytes, module: _native.Module) -> bool:
    """Best effort: a cache that cannot be written is just a slower load. True if the entry was written."""
    try:
        os.makedirs(cache_dir, mode=0o700, exist_ok=True)
        if not _private_dir(cache_dir):
            return False
        artifact = _native.serialize(module)
        meta = _META.pack(_MAGIC, digest, 0, 0, 0, 0, 0, 0, len(artifact), zlib.crc32(artifact))
        _write_atomic(
            cache_dir, path, artifact
        )  # artifact first: a reader checks it against the meta
        _write_atomic(cache_dir, meta_path(path), meta)
        return True
    except (OSError, _native.CError):
        return False


def _write_best_effort(cache_dir: str, path: str, data: bytes) -> None:
    try:
        _write_atomic(cache_dir, path, data)
    except OSError:
        pass


def _write_atomic(cache_dir: str, path: str, data: bytes) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # readers see the old file or the whole new one
    except BaseException:
        os.unlink(tmp)
        raise
