"""protoc from grpcio-tools, run with this generator as a plugin (no `--plugin=` flag for the user)."""

from __future__ import annotations

import argparse
import os
import shlex
import stat
import sys
import tempfile
from typing import List, Sequence

from wasmplug_codegen.cli._common import CliError


def add_proto_path(parser: argparse.ArgumentParser, help: str) -> None:
    """protoc's `-I DIR` / `--proto_path DIR` (repeatable) as `args.include`."""
    parser.add_argument(
        "-I", "--proto_path", action="append", default=[], dest="include", metavar="DIR", help=help
    )


def _grpc_tools() -> str:
    """The directory of protoc's well-known-type protos; CliError if grpcio-tools is missing."""
    try:
        import grpc_tools  # pants: no-infer-dep (not a requirement of wasmplug-codegen)
    except ImportError as e:
        raise CliError(
            "this needs protoc from the grpcio-tools distribution: pip install grpcio-tools"
        ) from e
    return os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")


def plugin_script(directory: str) -> str:
    """An executable that runs this generator with this interpreter and this process's sys.path
    (a PEX's or a venv's: the child would not find them otherwise)."""
    path = os.path.join(directory, "protoc-gen-wasmplug")
    pythonpath = os.pathsep.join(p for p in sys.path if p)
    with open(path, "w") as fh:
        fh.write(
            f"#!/bin/sh\nPYTHONPATH={shlex.quote(pythonpath)} "
            f"exec {shlex.quote(sys.executable)} -m wasmplug_codegen\n"
        )
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


def protoc(args: Sequence[str], includes: Sequence[str]) -> int:
    """Run protoc with `args` (and `--plugin=protoc-gen-wasmplug_*` defined); its diagnostics,
    `file.proto:LINE:COL: ...`, go to stderr as protoc writes them. Returns protoc's exit code."""
    wkt = _grpc_tools()
    from grpc_tools import protoc as grpc_protoc  # pants: no-infer-dep

    with tempfile.TemporaryDirectory(prefix="wasmplug-") as tmp:
        script = plugin_script(tmp)
        argv: List[str] = ["protoc"]
        argv += [f"--plugin=protoc-gen-{name}={script}" for name in ("wasmplug_py", "wasmplug_go")]
        argv += [f"-I{i}" for i in includes] + [f"-I{wkt}"]
        argv += list(args)
        sys.stderr.flush()
        return int(grpc_protoc.main(argv))


def descriptor_set(protos: Sequence[str], includes: Sequence[str]) -> bytes:
    """The FileDescriptorSet of `protos` and their imports, from protoc."""
    with tempfile.TemporaryDirectory(prefix="wasmplug-") as tmp:
        out = os.path.join(tmp, "set.binpb")
        code = protoc([f"--descriptor_set_out={out}", "--include_imports", *protos], includes)
        if code != 0:
            raise CliError(f"protoc failed on {' '.join(protos)} (its messages are above)")
        with open(out, "rb") as fh:
            return fh.read()
