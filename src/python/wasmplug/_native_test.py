"""wasmplug's own wasmtime C API bindings: they load only the wasmtime release they were written for,
their struct layouts are that release's, and the runtime's import path never imports wasmtime-py."""

from __future__ import annotations

import ctypes
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest
from wasmplug import _native


def _fake_wheel(site: Path, version: str | None) -> Path:
    pkg = site / "wasmtime"
    lib = pkg / _native._platform_dir() / _native._LIBNAMES[sys.platform]
    lib.parent.mkdir(parents=True)
    lib.write_bytes(b"")
    if version is not None:
        (site / f"wasmtime-{version}.dist-info").mkdir()
    return pkg


def test_pinned_version_is_the_installed_one() -> None:
    assert _native.VERSION == _native.WASMTIME_VERSION == importlib.metadata.version("wasmtime")


def test_other_wasmtime_version_is_refused(tmp_path: Path) -> None:
    pkg = _fake_wheel(tmp_path, "51.0.0")
    with pytest.raises(
        ImportError,
        match=r"written for wasmtime 50\.0\.1, but .* has 51\.0\.0; install wasmtime==50\.0\.1",
    ):
        _native.find_library([str(pkg)])


def test_missing_dist_info_is_refused(tmp_path: Path) -> None:
    pkg = _fake_wheel(tmp_path, None)
    with pytest.raises(ImportError, match="no wasmtime-\\*.dist-info"):
        _native.find_library([str(pkg)])


def test_missing_library_is_refused(tmp_path: Path) -> None:
    (tmp_path / "wasmtime").mkdir()
    with pytest.raises(ImportError, match="native library .* was not found"):
        _native.find_library([str(tmp_path / "wasmtime")])


def test_matching_version_is_found(tmp_path: Path) -> None:
    pkg = _fake_wheel(tmp_path, _native.WASMTIME_VERSION)
    path, version = _native.find_library([str(pkg)])
    assert (path, version) == (
        str(pkg / _native._platform_dir() / _native._LIBNAMES[sys.platform]),
        "50.0.1",
    )


def test_layouts_match_wasmtime_py() -> None:
    """Our structs against the generated bindings of the pinned wasmtime-py (a cold path may import it)."""
    from wasmtime import _bindings as b

    assert os.path.samefile(_native.LIBRARY, b.dll._name)
    assert ctypes.sizeof(_native.Extern) == ctypes.sizeof(b.wasmtime_extern_t)
    assert _native.EXTERN_OF == b.wasmtime_extern_t.of.offset
    assert _native.Extern.of.size == ctypes.sizeof(b.wasmtime_extern_union_t)
    assert ctypes.sizeof(_native.InstanceHandle) == ctypes.sizeof(b.wasmtime_instance_t)
    assert ctypes.sizeof(_native.ByteVec) == ctypes.sizeof(b.wasm_byte_vec_t)
    assert ctypes.sizeof(_native.PtrVec) == ctypes.sizeof(b.wasm_exporttype_vec_t)
    codes = b.wasmtime_trap_code_enum
    assert (_native.TRAP_INTERRUPT, _native.TRAP_OUT_OF_FUEL) == (
        codes.WASMTIME_TRAP_CODE_INTERRUPT.value,
        codes.WASMTIME_TRAP_CODE_OUT_OF_FUEL.value,
    )
    from wasmtime import _ffi

    assert (_native.EXTERN_FUNC, _native.EXTERN_MEMORY) == (
        _ffi.WASMTIME_EXTERN_FUNC.value,
        _ffi.WASMTIME_EXTERN_MEMORY.value,
    )


def test_runtime_path_does_not_import_wasmtime_py(cache_dir: Path) -> None:
    """Import, load (cold and from the cache), call, trap: all without the wasmtime package."""
    code = f"""
import sys, importlib.resources, wasmplug
wasm = importlib.resources.files("guests.abi") / "abi.wasm"
for _ in range(2):
    with wasmplug.Plugin.load(wasm, config=wasmplug.PluginConfig(cache_dir={str(cache_dir)!r})) as p:
        assert p.call_bytes("echo", b"hi") == b"hi"
        try:
            p.call_bytes("spin", b"", timeout=0.01)
        except wasmplug.DeadlineExceeded:
            pass
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "wasmtime")
assert not loaded, loaded
"""
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
    )
