"""What a plugin implements, embedded in its `.wasm`: written by the generator, read by `wasmplug`.

A description is one blob per generated `.proto` file:

    MAGIC, uleb128(n), then n bytes: uleb128(h), h bytes of JSON header, a FileDescriptorSet

The header names the ABI and SDK versions, the proto file and its plugin/host services (versions,
modules, methods with their wasm names and request/reply types); the FileDescriptorSet holds that
file and everything it imports (no source info), enough to build its message classes.

Where it lives: Go (1.24) cannot write wasm custom sections, so the generated Go code holds the blob
as a string constant that the Register/New functions hand to the guest runtime (`guest.Describe`).
Live code keeps it, so the linker puts it in the module's data segments, and a plain `go build`
output describes itself: no post-link step, and Pants builds the same bytes `go build` does. The
reader finds it in the initial memory image (no compile, no instance). Other toolchains may put the
same blob in a custom section named `wasmplug.describe`, which the reader also reads. A module
without either (go-plugin's SDK) has no description.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence

from wasmplug_codegen import contract, wasm

MAGIC = b"\0wasmplug.describe\0"
SECTION = "wasmplug.describe"
FORMAT = 1


# -- writing (the generator) ------------------------------------------------------------------------


def blob(header: Dict[str, Any], files: Sequence[bytes]) -> bytes:
    """The blob of one proto file: `header` as JSON, `files` serialized FileDescriptorProtos."""
    head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    fds = b"".join(b"\n" + wasm.uleb128(len(f)) + f for f in files)  # FileDescriptorSet.file = 1
    payload = wasm.uleb128(len(head)) + head + fds
    return MAGIC + wasm.uleb128(len(payload)) + payload


def header(proto: str, services: Iterable[Dict[str, Any]]) -> Dict[str, Any]:
    return {
        "format": FORMAT,
        "abi": contract.ABI_VERSION,
        "sdk": f"wasmplug-codegen {contract.SDK_VERSION}",
        "proto": proto,
        "services": list(services),
    }


def go_string(data: bytes, width: int = 72) -> str:
    """A Go string constant expression of `data`, one quoted piece of about `width` chars a line."""
    pieces: List[str] = []
    piece = ""
    for b in data:
        c = chr(b)
        if c == '"' or c == "\\":
            s = "\\" + c
        elif 0x20 <= b < 0x7F:
            s = c
        else:
            s = f"\\x{b:02x}"
        if len(piece) + len(s) > width:
            pieces.append(piece)
            piece = ""
        piece += s
    pieces.append(piece)
    return " +\n\t".join(f'"{p}"' for p in pieces)


# -- reading ----------------------------------------------------------------------------------------


class DescribeError(ValueError):
    """A description that does not parse (a truncated blob, bad JSON)."""


@dataclass(frozen=True)
class Method:
    name: str
    wasm_name: str  # the export of a plugin method, the import (in `module`) of a host function
    request: str  # full protobuf message names, without the leading dot
    reply: str


@dataclass(frozen=True)
class Service:
    name: str  # full name, `greeting.Greeter`
    kind: str  # "plugin" | "host"
    version: Optional[int]  # plugin services: the API version
    module: Optional[str]  # host services: the wasm import module
    proto: str
    methods: List[Method]


@dataclass
class Description:
    abi: int
    sdk: str
    protos: List[str] = field(default_factory=list)
    services: List[Service] = field(default_factory=list)
    files: List[bytes] = field(default_factory=list)  # serialized FileDescriptorProtos, deps first

    def file_descriptor_set(self) -> bytes:
        return b"".join(b"\n" + wasm.uleb128(len(f)) + f for f in self.files)


def _parse_blob(payload: bytes, where: str) -> Dict[str, Any]:
    try:
        n, pos = wasm.read_uleb128(payload, 0)
        head = json.loads(payload[pos : pos + n].decode())
    except (ValueError, wasm.WasmFormatError) as e:
        raise DescribeError(f"{where}: cannot read the description header: {e}") from e
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise DescribeError(f"{where}: description format {head.get('format')!r}, not {FORMAT}")
    files: List[bytes] = []
    pos += n
    while pos < len(payload):
        if payload[pos] != 0x0A:
            raise DescribeError(f"{where}: bad FileDescriptorSet at byte {pos}")
        size, pos = wasm.read_uleb128(payload, pos + 1)
        files.append(payload[pos : pos + size])
        pos += size
    head["files"] = files
    return head


def _blobs(mod: wasm.Module) -> List[bytes]:
    out = [body for name, body in mod.custom_sections if name == SECTION]
    image = mod.memory_image()
    at = image.find(MAGIC)
    while at >= 0:
        n, pos = wasm.read_uleb128(image, at + len(MAGIC))
        if pos + n > len(image):
            raise DescribeError(f"description at data offset {at} runs past the data")
        out.append(image[pos : pos + n])
        at = image.find(MAGIC, pos + n)
    return out


def read(mod: wasm.Module) -> Optional[Description]:
    """The module's description (all its blobs merged), None if it has none."""
    desc: Optional[Description] = None
    seen_files: Dict[bytes, None] = {}
    seen_services: Dict[str, None] = {}
    for i, payload in enumerate(_blobs(mod)):
        head = _parse_blob(payload, f"description {i + 1}")
        if desc is None:
            desc = Description(abi=int(head["abi"]), sdk=str(head["sdk"]))
        if head["proto"] not in desc.protos:
            desc.protos.append(head["proto"])
        for f in head["files"]:
            if f not in seen_files:
                seen_files[f] = None
                desc.files.append(f)
        for s in head["services"]:
            key = f"{s['kind']}:{s['name']}"
            if key in seen_services:
                continue
            seen_services[key] = None
            desc.services.append(
                Service(
                    name=s["name"],
                    kind=s["kind"],
                    version=s.get("version"),
                    module=s.get("module"),
                    proto=head["proto"],
                    methods=[Method(**m) for m in s["methods"]],
                )
            )
    return desc


# -- OCI manifest annotations (`wasmplug push` and `pants publish`) ----------------------------------


def manifest_annotations(data: bytes) -> Dict[str, str]:
    """The manifest annotations of a plugin from its description (none for go-plugin's SDK): its
    services with their kinds and API versions, the ABI and SDK versions. One definition, so that
    `wasmplug push` and the Pants backend's publish (Python 3.9) annotate alike."""
    desc = read(wasm.parse(data))
    if desc is None:
        return {}
    services = {
        s.name: {"kind": s.kind, **({"version": s.version} if s.version is not None else {})}
        for s in desc.services
    }
    return {
        "dev.wasmplug.services": json.dumps(services, sort_keys=True),
        "dev.wasmplug.abi": str(desc.abi),
        "dev.wasmplug.sdk": desc.sdk,
    }
