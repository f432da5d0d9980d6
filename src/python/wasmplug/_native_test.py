"""wasmplug's own wasmtime C API bindings: they load only the wasmtime releases they were written for,
their function signatures and struct layouts are the installed release's, and the runtime's import
path never imports wasmtime-py."""

from __future__ import annotations

import ctypes
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _ctypes import CFuncPtr  # the base of every foreign function and callback type
from wasmplug import _native


def _fake_wheel(site: Path, version: str | None) -> Path:
    pkg = site / "wasmtime"
    lib = pkg / _native._platform_dir() / _native._LIBNAMES[sys.platform]
    lib.parent.mkdir(parents=True)
    lib.write_bytes(b"")
    if version is not None:
        (site / f"wasmtime-{version}.dist-info").mkdir()
    return pkg


def test_loaded_version_is_the_installed_one() -> None:
    assert _native.VERSION == importlib.metadata.version("wasmtime")
    assert _native.SUPPORTED[0] <= _native.MAJOR < _native.SUPPORTED[1]


@pytest.mark.parametrize("version", ["38.0.0", "51.0.0", "dev"])
def test_version_outside_the_range_is_refused(tmp_path: Path, version: str) -> None:
    pkg = _fake_wheel(tmp_path, version)
    with pytest.raises(
        ImportError,
        match=rf"support wasmtime>=39,<51, but .* has {version}; install wasmtime>=39,<51",
    ):
        _native.find_library([str(pkg)])


@pytest.mark.parametrize("version", ["39.0.0", "50.0.1"])
def test_versions_at_both_ends_are_found(tmp_path: Path, version: str) -> None:
    pkg = _fake_wheel(tmp_path, version)
    assert _native.find_library([str(pkg)])[1] == version


def test_missing_dist_info_is_refused(tmp_path: Path) -> None:
    pkg = _fake_wheel(tmp_path, None)
    with pytest.raises(ImportError, match="no wasmtime-\\*.dist-info"):
        _native.find_library([str(pkg)])


def test_missing_library_is_refused(tmp_path: Path) -> None:
    (tmp_path / "wasmtime").mkdir()
    with pytest.raises(ImportError, match="native library .* was not found"):
        _native.find_library([str(tmp_path / "wasmtime")])


def test_matching_version_is_found(tmp_path: Path) -> None:
    pkg = _fake_wheel(tmp_path, _native.VERSION)
    path, version = _native.find_library([str(pkg)])
    assert (path, version) == (
        str(pkg / _native._platform_dir() / _native._LIBNAMES[sys.platform]),
        _native.VERSION,
    )


def _c_type_mismatch(ours: Any, theirs: Any) -> str | None:
    """Why `ours` (a type in _native.SIGNATURES) is not ABI-compatible with `theirs` (wasmtime-py's), or
    None. Our opaque pointers are c_void_p (theirs are typed pointers or function pointers); structs
    passed by pointer must have the same size and field offsets; scalars the same size and signedness.
    """
    if ours is None or theirs is None:
        return None if ours is theirs else f"{ours} vs {theirs}"
    if ours is ctypes.c_void_p:
        pointer = (ctypes._Pointer, CFuncPtr, ctypes.c_void_p, ctypes.c_char_p)
        return None if issubclass(theirs, pointer) else f"pointer vs {theirs.__name__}"
    if ours is ctypes.c_char_p:  # bytes: theirs is char* or uint8_t*
        ok = theirs is ctypes.c_char_p or (
            issubclass(theirs, ctypes._Pointer)
            and theirs._type_ in (ctypes.c_char, ctypes.c_uint8, ctypes.c_int8)
        )
        return None if ok else f"char* vs {theirs.__name__}"
    if issubclass(ours, ctypes._Pointer):
        if not issubclass(theirs, ctypes._Pointer):
            return f"{ours.__name__} vs {theirs.__name__}"
        inner = _c_type_mismatch(ours._type_, theirs._type_)
        return None if inner is None else f"pointer to ({inner})"
    if issubclass(ours, CFuncPtr):
        if not issubclass(theirs, CFuncPtr) or ours._flags_ != theirs._flags_:
            return f"callback vs {theirs.__name__}"
        if len(ours._argtypes_) != len(theirs._argtypes_):
            return f"callback of {len(ours._argtypes_)} vs {len(theirs._argtypes_)} arguments"
        for i, (a, b) in enumerate(
            [(ours._restype_, theirs._restype_), *zip(ours._argtypes_, theirs._argtypes_)]
        ):
            why = _c_type_mismatch(a, b)
            if why:
                return f"callback {'result' if i == 0 else f'argument {i - 1}'}: {why}"
        return None
    if issubclass(ours, (ctypes.Structure, ctypes.Union)):

        def layout(t: Any) -> list[tuple[int, int]]:
            return [(getattr(t, f[0]).offset, getattr(t, f[0]).size) for f in t._fields_]

        if not issubclass(theirs, (ctypes.Structure, ctypes.Union)):
            return f"struct {ours.__name__} vs {theirs.__name__}"
        if ctypes.sizeof(ours) != ctypes.sizeof(theirs) or (
            len(ours._fields_) == len(theirs._fields_) and layout(ours) != layout(theirs)
        ):
            return f"struct {ours.__name__} vs {theirs.__name__} (size or field offsets)"
        return None
    # a scalar: same size and ctypes type code (signedness)
    same = ctypes.sizeof(ours) == ctypes.sizeof(theirs) and getattr(ours, "_type_", 1) == getattr(
        theirs, "_type_", 2
    )
    return None if same else f"{ours.__name__} vs {theirs.__name__}"


def test_every_bound_function_matches_the_wheels_bindings() -> None:
    """Each C function we bind (restype and every argument) against wasmtime-py's generated
    `_bindings.py` of the installed release, which declares the whole C API from its headers."""
    from wasmtime import _bindings as b

    bound = {getattr(f, "__name__"): f for f in vars(_native).values() if isinstance(f, CFuncPtr)}
    assert bound, "no bound functions found"
    assert sorted(bound.keys() - _native.SIGNATURES.keys()) == [], "bound without a signature"
    problems = []
    for name, (restype, argtypes) in sorted(_native.SIGNATURES.items()):
        f = bound.get(name)
        if f is not None:  # what is set on the function is what was recorded
            assert f.restype is restype and f.argtypes in (None, argtypes), name
        theirs = getattr(b, f"_{name}", None)  # wasmtime-py binds each function as _<name>
        if theirs is None:
            problems.append(f"{name}: not in wasmtime {_native.VERSION}'s bindings")
            continue
        if len(argtypes) != len(theirs.argtypes):
            problems.append(
                f"{name}: {len(argtypes)} arguments, wasmtime has {len(theirs.argtypes)}"
            )
            continue
        for what, ours, their in [
            ("result", restype, theirs.restype),
            *((f"argument {i}", a, t) for i, (a, t) in enumerate(zip(argtypes, theirs.argtypes))),
        ]:
            why = _c_type_mismatch(ours, their)
            if why:
                problems.append(f"{name} {what}: {why}")
    assert problems == [], f"wasmtime {_native.VERSION}"


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
    # The C enum counts from 0 in declaration order (bindings before 43 number it with auto(), from 1).
    codes = list(b.wasmtime_trap_code_enum)
    assert (_native.TRAP_INTERRUPT, _native.TRAP_OUT_OF_FUEL) == (
        codes.index(b.wasmtime_trap_code_enum.WASMTIME_TRAP_CODE_INTERRUPT),
        codes.index(b.wasmtime_trap_code_enum.WASMTIME_TRAP_CODE_OUT_OF_FUEL),
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
