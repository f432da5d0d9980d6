"""What the generator emits and the Pants backend predicts, defined once.

The backend works out dependencies and Go workspaces before the generator runs (from `.proto`
sources, without protoc), so both must follow these rules. Standard library only and Python 3.9
compatible: the backend imports this module inside Pants.
"""

from __future__ import annotations

import posixpath
import re
from typing import Tuple

# The Go guest runtime module, emitted with every run (`wasmplug.dev/guest`, `/wire`, `/wkt/<pkg>`).
GUEST_MODULE = "wasmplug.dev/guest"
GUEST_WIRE_PACKAGE = GUEST_MODULE + "/wire"
WKT_PREFIX = GUEST_MODULE + "/wkt/"

# The import-path prefix of a .proto file without `option go_package`.
DEFAULT_GO_PREFIX = "wasmplug.gen/"

# `//go:wasmexport` needs Go 1.24: the toolchain minimum and the `go` directive of emitted go.mod files.
MIN_GO = (1, 24)
MIN_GO_VERSION = f"{MIN_GO[0]}.{MIN_GO[1]}"

# What the guest runtime's `wasmplug_abi` export returns (guest/guest.go, ABIVersion), and the
# generator's version: both go into a plugin's description (describe.py).
ABI_VERSION = 2
SDK_VERSION = "0.2.0"

# Python modules the generator writes per `x.proto`: `x_pb2` (protoc's) and `x_wasmplug` (ours).
GENERATED_PY_SUFFIXES = ("_pb2", "_wasmplug")


# `option go_package = "...";` in a .proto source: the backend reads and sets it without protoc.
_GO_PACKAGE_OPTION = re.compile(
    r"""^([ \t]*option\s+go_package\s*=\s*)(["'])([^"']*)\2(\s*;)""", re.M
)


def go_package_option(proto_source: str) -> str:
    """The `option go_package` value of a .proto source ("" if it has none)."""
    m = _GO_PACKAGE_OPTION.search(proto_source)
    return m.group(3) if m else ""


def set_go_package_option(proto_source: str, go_package: str) -> str:
    """The .proto source with `option go_package` set to `go_package`, no line moved (an option
    the source lacks is appended)."""
    m = _GO_PACKAGE_OPTION.search(proto_source)
    if m:
        value = f'{m.group(1)}"{go_package}"{m.group(4)}'
        return proto_source[: m.start()] + value + proto_source[m.end() :]
    sep = "" if proto_source.endswith("\n") or not proto_source else "\n"
    return f'{proto_source}{sep}option go_package = "{go_package}";\n'


def go_package(proto_path: str, go_package_option: str, proto_package: str) -> Tuple[str, str]:
    """(import path, package name) of the Go code generated for a `.proto` file.

    `proto_path` is the file's path as protoc sees it (relative to its import root),
    `go_package_option` its `option go_package` ("" if unset), `proto_package` its `package`.
    """
    if proto_path.startswith("google/protobuf/"):
        last = go_package_option.split(";")[0].rsplit("/", 1)[-1] or "wktpb"
        return WKT_PREFIX + last, last
    if go_package_option:
        path, _, name = go_package_option.partition(";")
        return path, name or go_identifier(path.rsplit("/", 1)[-1])
    d = posixpath.dirname(proto_path) or proto_package.replace(".", "/") or "root"
    return DEFAULT_GO_PREFIX + d, go_identifier(d.rsplit("/", 1)[-1])


def go_import_path(proto_path: str, go_package_option: str, proto_package: str) -> str:
    """The Go import path of the code generated for a `.proto` file (see `go_package`)."""
    return go_package(proto_path, go_package_option, proto_package)[0]


def go_identifier(s: str) -> str:
    """A Go package name made from a path element."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", s)
    return "_" + s if s[:1].isdigit() else s


# A service's go:plugin annotation line in its leading comment (`go:plugin type=plugin version=1`).
ANNOTATION_RE = re.compile(r"^\s*go:plugin\b(.*)$")


def snake(name: str) -> str:
    """go-plugin's snake case: ``GreeterSayHello`` -> ``greeter_say_hello`` (wasm export names)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return name.lower()
