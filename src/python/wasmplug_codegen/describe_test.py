from __future__ import annotations

import os
import re

import wasmtime
from wasmplug_codegen import contract, describe, wasm

HEADER = describe.header(
    "a/a.proto",
    [
        {
            "name": "a.Greeter",
            "kind": "plugin",
            "version": 3,
            "methods": [
                {"name": "Hi", "wasm_name": "greeter_hi", "request": "a.R", "reply": "a.S"}
            ],
        }
    ],
)


def data_module(*blobs: bytes) -> bytes:
    """A module whose data holds `blobs`, split the way Go's linker splits data at zero runs."""
    segments = []
    offset = 4096
    for b in blobs:
        for i in range(0, len(b), 5):
            segments.append(f'(data (i32.const {offset + i}) "{wat_bytes(b[i:i + 5])}")')
        offset += len(b) + 100
    return bytes(wasmtime.wat2wasm(f"(module (memory 1) {' '.join(segments)})"))


def wat_bytes(b: bytes) -> str:
    return "".join(f"\\{c:02x}" for c in b)


def test_blob_in_data_segments() -> None:
    first = describe.blob(HEADER, [b"dep", b"file"])
    second = describe.blob({**HEADER, "proto": "b/b.proto", "services": []}, [b"dep", b"other"])
    desc = describe.read(wasm.parse(data_module(first, second)))
    assert desc is not None
    assert (desc.abi, desc.sdk) == (
        contract.ABI_VERSION,
        f"wasmplug-codegen {contract.SDK_VERSION}",
    )
    assert desc.protos == ["a/a.proto", "b/b.proto"]
    assert desc.files == [b"dep", b"file", b"other"]
    (svc,) = desc.services
    assert (svc.name, svc.kind, svc.version, svc.module) == ("a.Greeter", "plugin", 3, None)
    assert svc.methods == [describe.Method("Hi", "greeter_hi", "a.R", "a.S")]


def test_blob_in_custom_section() -> None:
    blob = describe.blob(HEADER, [b"file"])
    _, start = wasm.read_uleb128(blob, len(describe.MAGIC))
    body = blob[start:]  # a custom section holds the payload: no magic, no length
    name = describe.SECTION.encode()
    section = wasm.uleb128(len(name)) + name + body
    module = bytes(wasmtime.wat2wasm("(module)")) + b"\0" + wasm.uleb128(len(section)) + section
    desc = describe.read(wasm.parse(module))
    assert desc is not None and desc.services[0].name == "a.Greeter"


def test_no_description() -> None:
    assert describe.read(wasm.parse(wasmtime.wat2wasm("(module (memory 1))"))) is None


def test_annotations() -> None:
    host = {"name": "a.Host", "kind": "host", "module": "env", "methods": []}
    blob = describe.blob({**HEADER, "services": [*HEADER["services"], host]}, [b"file"])
    assert describe.manifest_annotations(data_module(blob)) == {
        "dev.wasmplug.services": '{"a.Greeter": {"kind": "plugin", "version": 3},'
        ' "a.Host": {"kind": "host"}}',
        "dev.wasmplug.abi": str(contract.ABI_VERSION),
        "dev.wasmplug.sdk": f"wasmplug-codegen {contract.SDK_VERSION}",
    }
    assert describe.manifest_annotations(bytes(wasmtime.wat2wasm("(module (memory 1))"))) == {}


def test_go_string_is_the_bytes() -> None:
    data = bytes(range(256)) + b'"\\'
    literal = describe.go_string(data)
    pieces = re.findall(r'"((?:[^"\\]|\\.)*)"', literal)
    decoded = b"".join(
        re.sub(rb"\\x([0-9a-f]{2})|\\(.)", _unescape, p.encode("latin-1")) for p in pieces
    )
    assert decoded == data
    assert all(len(line) < 90 for line in literal.split("\n"))


def _unescape(m: re.Match[bytes]) -> bytes:
    return bytes([int(m.group(1), 16)]) if m.group(1) else m.group(2)


def test_abi_version_is_the_guest_runtimes() -> None:
    guest = os.path.join(os.path.dirname(describe.__file__), "guest", "guest.go")
    with open(guest, encoding="utf-8") as f:
        assert f"const ABIVersion = {contract.ABI_VERSION}\n" in f.read()
