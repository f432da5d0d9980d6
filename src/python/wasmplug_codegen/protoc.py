"""Run protoc (``python -m grpc_tools.protoc``) with this generator, for tests and the golden files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from typing import Dict, Sequence

import grpc_tools  # only used by tests and regen_golden, never by the generator itself

SRC_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WKT_INCLUDE = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")


def plugin_script(directory: str) -> str:
    """Write an executable ``protoc-gen-wasmplug`` that runs this checkout's generator."""
    path = os.path.join(directory, "protoc-gen-wasmplug")
    with open(path, "w") as fh:
        fh.write(
            f'#!/bin/sh\nPYTHONPATH={SRC_ROOT} exec {sys.executable} -m wasmplug_codegen "$@"\n'
        )
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


def run(
    protos: Sequence[str],
    include: Sequence[str],
    out: str,
    options: str = "",
    python_out: bool = False,
) -> subprocess.CompletedProcess:
    """protoc with --wasmplug_out=out (and --python_out/--pyi_out when asked); never raises."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"--plugin=protoc-gen-wasmplug={plugin_script(tmp)}",
        ]
        args += [f"-I{i}" for i in include] + [f"-I{WKT_INCLUDE}"]
        args += [f"--wasmplug_out={out}"]
        if options:
            args += [f"--wasmplug_opt={options}"]
        if python_out:
            args += [f"--python_out={out}", f"--pyi_out={out}"]
        return subprocess.run(args + list(protos), capture_output=True, text=True)


def read_tree(root: str) -> Dict[str, str]:
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            full = os.path.join(d, n)
            with open(full, encoding="utf-8") as fh:
                files[os.path.relpath(full, root).replace(os.sep, "/")] = fh.read()
    return files
