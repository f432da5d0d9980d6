from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import wasmplug
import wasmtime
from wasmplug import PluginConfig, _cache, _native

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; annotations only
    from importlib.resources.abc import Traversable

Guest = Callable[[str], "Traversable"]


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts real compilations (cache misses)."""
    count: list[int] = []
    real = _cache._compile

    def counting(engine: int, wasm: bytes) -> _native.Module:
        count.append(len(wasm))
        return real(engine, wasm)

    monkeypatch.setattr(_cache, "_compile", counting)
    return count


# noabi imports env.host_echo; any implementation links it.
ENV = [wasmplug.HostModule("env", {"host_echo": bytes})]


# Most cache tests use a small hand-written module (compiles in milliseconds); the first one uses a Go guest.
def _wat(tag: str) -> bytes:
    return bytes(wasmtime.wat2wasm(f"""(module (memory (export "memory") 1)
      (func (export "malloc") (param i32) (result i32) i32.const 64) (func (export "free") (param i32))
      (data (i32.const 0) "{tag.upper()}")
      (func (export "upper") (param i32 i32) (result i64) i64.const {len(tag)}))"""))


def _entries(d: Path) -> list[Path]:
    return sorted(d.glob("*.cwasm"))


def _private(tmp_path: Path) -> Path:
    d = tmp_path / "cache"
    d.mkdir(mode=0o700)
    return d


def test_second_load_comes_from_cache(guest: Guest, tmp_path: Path, compiles: list[int]) -> None:
    d = _private(tmp_path)
    wasm = guest("abi").read_bytes()
    with wasmplug.Plugin.load(wasm, config=PluginConfig(cache_dir=d)) as p:
        assert p.call_bytes("echo", b"a") == b"a"
    assert len(compiles) == 1
    assert len(_entries(d)) == 1
    with wasmplug.Plugin.load(wasm, config=PluginConfig(cache_dir=d)) as p:
        assert p.call_bytes("echo", b"b") == b"b"
    assert len(compiles) == 1  # served from the cache


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b[:100] + bytes([b[100] ^ 0xFF]) + b[101:],  # one flipped bit in the header area
        lambda b: b[:-1000] + bytes(1000),  # zeroed code at the end: only the checksum notices
        lambda b: b"garbage",
    ],
)
def test_corrupt_artifact_is_recompiled(
    tmp_path: Path, compiles: list[int], damage: Callable[[bytes], bytes]
) -> None:
    d = _private(tmp_path)
    wasm = _wat("ok")
    wasmplug.Plugin.load(wasm, config=PluginConfig(cache_dir=d)).close()
    (entry,) = _entries(d)
    good = entry.read_bytes()
    entry.write_bytes(damage(good))
    with wasmplug.Plugin.load(wasm, config=PluginConfig(cache_dir=d)) as p:
        assert p.call_bytes("upper", b"ok") == b"OK"
    assert len(compiles) == 2
    assert entry.read_bytes() != damage(good)  # replaced by a good entry


def test_foreign_entry_is_not_trusted(tmp_path: Path, compiles: list[int]) -> None:
    """An entry for other wasm (right name, wrong content) is recompiled, not executed."""
    d = _private(tmp_path)
    abi, noabi = _wat("mine"), _wat("evil")
    wasmplug.Plugin.load(noabi, config=PluginConfig(cache_dir=d)).close()
    (noabi_entry,) = _entries(d)
    # Put noabi's artifact where abi's entry would be.
    engine_key = wasmplug._engine.get_engine(False).key
    import hashlib

    target = Path(_cache.entry_path(str(d), hashlib.sha256(abi).digest(), engine_key))
    target.write_bytes(noabi_entry.read_bytes())
    target.with_suffix(".meta").write_bytes(noabi_entry.with_suffix(".meta").read_bytes())
    with wasmplug.Plugin.load(abi, config=PluginConfig(cache_dir=d)) as p:
        assert p.call_bytes("upper", b"") == b"MINE"
    assert len(compiles) == 2


@pytest.mark.parametrize(
    "damage", [lambda m: m[:-1], lambda m: b"XXXXXXXX" + m[8:], lambda m: m[:-4] + b"\0\0\0\0"]
)
def test_corrupt_meta_is_recompiled(
    tmp_path: Path, compiles: list[int], damage: Callable[[bytes], bytes]
) -> None:
    d = _private(tmp_path)
    wasm = _wat("ok")
    wasmplug.Plugin.load(wasm, config=PluginConfig(cache_dir=d)).close()
    (entry,) = _entries(d)
    meta = entry.with_suffix(".meta")
    meta.write_bytes(damage(meta.read_bytes()))
    with wasmplug.Plugin.load(wasm, config=PluginConfig(cache_dir=d)) as p:
        assert p.call_bytes("upper", b"ok") == b"OK"
    assert len(compiles) == 2


def test_cache_in_shared_writable_dir_is_ignored(tmp_path: Path, compiles: list[int]) -> None:
    d = _private(tmp_path)
    wasm = _wat("ok")
    wasmplug.Plugin.load(wasm, config=PluginConfig(cache_dir=d)).close()
    d.chmod(0o777)
    with wasmplug.Plugin.load(wasm, config=PluginConfig(cache_dir=d)) as p:
        assert p.call_bytes("upper", b"") == b"OK"
    assert len(compiles) == 2  # others could have planted machine code there


def test_cache_off_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compiles: list[int]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    wasm = _wat("ok")
    wasmplug.Plugin.load(wasm, config=PluginConfig(cache_dir=False)).close()
    wasmplug.Plugin.load(wasm, config=PluginConfig(cache_dir=False)).close()
    assert len(compiles) == 2
    assert list(tmp_path.iterdir()) == []


def test_default_cache_dir_is_under_user_cache(
    guest: Guest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _cache.default_cache_dir() == str(tmp_path / "wasmplug")
    wasmplug.Plugin.load(guest("noabi"), host_modules=ENV).close()
    assert len(_entries(tmp_path / "wasmplug")) == 1


def test_engine_config_is_part_of_the_key(tmp_path: Path) -> None:
    d = _private(tmp_path)
    wasm = _wat("ok")
    wasmplug.Plugin.load(wasm, config=PluginConfig(cache_dir=d)).close()
    wasmplug.Plugin.load(wasm, config=PluginConfig(cache_dir=d, fuel=10**9)).close()
    assert len(_entries(d)) == 2


def test_unwritable_cache_dir_still_loads(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with wasmplug.Plugin.load(_wat("ok"), config=PluginConfig(cache_dir=blocker / "sub")) as p:
        assert p.instances == 1


def _entry_bytes(d: Path) -> int:
    return sum(p.stat().st_size for p in d.iterdir() if p.suffix in (".cwasm", ".meta"))


def test_least_recently_used_entries_are_evicted(tmp_path: Path, compiles: list[int]) -> None:
    """A new entry evicts the entries used longest ago until the cache fits `cache_max_bytes`."""
    d = _private(tmp_path)
    old, used, new = _wat("old"), _wat("used"), _wat("new")
    wasmplug.Plugin.load(old, config=PluginConfig(cache_dir=d)).close()
    wasmplug.Plugin.load(used, config=PluginConfig(cache_dir=d)).close()
    one_entry = _entry_bytes(d) // 2
    # `used` was stored two days ago, `old` one day ago; then `used` is loaded from the cache (its mark
    # is refreshed), so `old` is now the least recently used.
    import hashlib

    key = wasmplug._engine.get_engine(False).key
    for wasm, age in ((used, 2 * 86400), (old, 86400)):
        meta = _cache.meta_path(_cache.entry_path(str(d), hashlib.sha256(wasm).digest(), key))
        os.utime(meta, (time.time() - age, time.time() - age))
    wasmplug.Plugin.load(used, config=PluginConfig(cache_dir=d)).close()
    assert len(compiles) == 2  # a hit
    budget = 2 * one_entry + one_entry // 2
    wasmplug.Plugin.load(new, config=PluginConfig(cache_dir=d, cache_max_bytes=budget)).close()
    assert len(compiles) == 3
    assert len(_entries(d)) == 2 and _entry_bytes(d) <= budget
    for wasm, compiled in ((used, 3), (new, 3), (old, 4)):  # only `old` was evicted
        wasmplug.Plugin.load(wasm, config=PluginConfig(cache_dir=d)).close()
        assert len(compiles) == compiled


def test_eviction_never_removes_the_new_entry_and_cleans_debris(tmp_path: Path) -> None:
    d = _private(tmp_path)
    wasmplug.Plugin.load(_wat("a"), config=PluginConfig(cache_dir=d)).close()
    orphan = d / "0123-0000.meta"  # a meta without its artifact
    orphan.write_bytes(b"x")
    stale_tmp, fresh_tmp = d / ".tmp-crashed", d / ".tmp-writing"
    stale_tmp.write_bytes(b"x")
    fresh_tmp.write_bytes(b"x")
    os.utime(stale_tmp, (time.time() - 7200, time.time() - 7200))
    with wasmplug.Plugin.load(_wat("b"), config=PluginConfig(cache_dir=d, cache_max_bytes=1)) as p:
        assert p.call_bytes("upper", b"") == b"B"
    (entry,) = _entries(d)  # over budget even alone: the new entry stays, the other goes
    assert entry.with_suffix(".meta").exists()
    assert not orphan.exists() and not stale_tmp.exists()
    assert fresh_tmp.exists()  # may belong to a writer at work


def test_cache_max_bytes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="cache_max_bytes"):
        PluginConfig(cache_max_bytes=0)
