from __future__ import annotations

import pytest
import wasmtime
from wasmplug_codegen import wasm

WAT = """
(module
  (import "env" "log" (func (param i32 i32) (result i64)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2 17)
  (func (export "add") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)
  (func (export "_initialize"))
  (global (export "g") i32 (i32.const 0))
  (data (i32.const 1024) "abc")
  (data (i32.const 1030) "xyz")
)
"""


def module_bytes() -> bytes:
    return bytes(wasmtime.wat2wasm(WAT))


def test_parse() -> None:
    mod = wasm.parse(module_bytes())
    assert [(e.module, e.name, e.signature) for e in mod.imports] == [
        ("env", "log", "func(i32, i32) -> (i64)"),
        ("wasi_snapshot_preview1", "fd_write", "func(i32, i32, i32, i32) -> (i32)"),
    ]
    assert {e.name: e.signature for e in mod.exports} == {
        "memory": "memory(min=2, max=17)",
        "add": "func(i64, i64) -> (i64)",
        "_initialize": "func() -> ()",
        "g": "global",
    }
    assert mod.memories == [wasm.Limits(2, 17)]
    assert mod.memory_image() == b"abc\0\0\0xyz"


def test_custom_section_appended() -> None:
    name = b"wasmplug.test"
    body = wasm.uleb128(len(name)) + name + b"\x00\x01payload"
    data = module_bytes() + b"\x00" + wasm.uleb128(len(body)) + body
    assert wasm.parse(data).custom_sections == [("wasmplug.test", b"\x00\x01payload")]


def test_bad_input() -> None:
    with pytest.raises(wasm.WasmFormatError, match="not a wasm 1.0 binary"):
        wasm.parse(b"\x7fELF....")
    with pytest.raises(wasm.WasmFormatError, match="runs past the end|truncated"):
        wasm.parse(module_bytes()[:-3])
    assert wasm.exports(b"junk") == []


def test_leb128_round_trip() -> None:
    for v in (0, 1, 127, 128, 300, 2**32 - 1, 2**40):
        assert wasm.read_uleb128(b"x" + wasm.uleb128(v), 1) == (v, 1 + len(wasm.uleb128(v)))
