"""The generator's own sources, and the tool VenvPex that runs protoc + protoc-gen-wasmplug.

The generator (the package `wasmplug_codegen`) is found on disk with `importlib.util.find_spec`,
which does not import it (its modules need jinja2 and protobuf, which Pants' Python does not
have). Its files go into the tool PEX; its requirements (grpcio-tools, protobuf, jinja2) come from
`[wasmplug-codegen]`'s resolve.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from pants.backend.python.util_rules.pex import VenvPex, VenvPexRequest
from pants.backend.python.util_rules.pex_environment import PexEnvironment
from pants.base.build_root import BuildRoot
from pants.engine.fs import (
    AddPrefix,
    CreateDigest,
    Digest,
    DigestSubset,
    FileContent,
    PathGlobs,
    RemovePrefix,
    Snapshot,
)
from pants.engine.rules import Get, collect_rules, rule
from pants.util.logging import LogLevel
from wasmplug_pants.subsystems import WasmplugCodegen

GENERATOR_PACKAGE = "wasmplug_codegen"
PLUGIN_SHIM = "__protoc-gen-wasmplug"

_EXCLUDED_DIRS = {"__pycache__", "testdata", ".mypy_cache", ".pytest_cache"}


class GeneratorNotFound(Exception):
    pass


def _is_generator_file(relpath: str) -> bool:
    parts = relpath.split("/")
    if any(p in _EXCLUDED_DIRS for p in parts[:-1]):
        return False
    name = parts[-1]
    if name.endswith((".pyc", "_test.py", "_test.go")) or name in ("BUILD", "conftest.py"):
        return False
    return True


def locate_generator() -> Path:
    """The directory of the `wasmplug_codegen` package on disk (found, not imported)."""
    spec = importlib.util.find_spec(GENERATOR_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        if (Path(loc) / "__main__.py").is_file():
            return Path(loc)
    raise GeneratorNotFound(
        "Cannot find the wasmplug generator (`wasmplug_codegen/__main__.py`) on Pants' Python "
        f"path (searched: {locations or 'no `wasmplug_codegen` package'}). Install the "
        "wasmplug Pants backend into Pants' plugins (`[GLOBAL].plugins`) or put its sources on "
        "`[GLOBAL].pythonpath`."
    )


@dataclass(frozen=True)
class GeneratorSources:
    """`wasmplug_codegen/**`, at that path."""

    digest: Digest


@rule(desc="Collect the wasmplug generator sources", level=LogLevel.DEBUG)
async def generator_sources(build_root: BuildRoot) -> GeneratorSources:
    codegen_dir = locate_generator()
    root = Path(build_root.path).resolve()
    try:
        rel = codegen_dir.resolve().relative_to(root)
    except ValueError:
        rel = None
    if rel is not None:
        # In the repo that develops wasmplug: read through the engine, so edits invalidate.
        rel_dir = rel.as_posix()
        snapshot = await Get(
            Snapshot,
            PathGlobs(
                [
                    f"{rel_dir}/**",
                    *(f"!{rel_dir}/**/{d}/**" for d in sorted(_EXCLUDED_DIRS)),
                    *(f"!{rel_dir}/{d}/**" for d in sorted(_EXCLUDED_DIRS)),
                ]
            ),
        )
        snapshot_digest = snapshot.digest
        keep = [f for f in snapshot.files if _is_generator_file(f[len(rel_dir) + 1 :])]
        subset = await Get(Digest, DigestSubset(snapshot_digest, PathGlobs(keep)))
        stripped = await Get(Digest, RemovePrefix(subset, rel_dir))
        files = await Get(Digest, AddPrefix(stripped, GENERATOR_PACKAGE))
    else:
        # Installed distribution: its files do not change during this Pants run.
        contents = []
        for dirpath, dirnames, filenames in os.walk(codegen_dir):
            dirnames[:] = sorted(d for d in dirnames if d not in _EXCLUDED_DIRS)
            for fn in sorted(filenames):
                full = Path(dirpath) / fn
                relpath = full.relative_to(codegen_dir).as_posix()
                if _is_generator_file(relpath):
                    contents.append(
                        FileContent(
                            f"{GENERATOR_PACKAGE}/{relpath}",
                            full.read_bytes(),
                        )
                    )
        files = await Get(Digest, CreateDigest(contents))
    return GeneratorSources(files)


@dataclass(frozen=True)
class CodegenTool:
    """A VenvPex whose main is `grpc_tools.protoc`, plus a shim script that runs the generator."""

    venv_pex: VenvPex
    shim_digest: Digest
    plugin_arg: str


@rule(desc="Build the wasmplug codegen tool", level=LogLevel.DEBUG)
async def codegen_tool(
    codegen: WasmplugCodegen, sources: GeneratorSources, pex_environment: PexEnvironment
) -> CodegenTool:
    venv_pex = await Get(
        VenvPex,
        VenvPexRequest(
            codegen.to_pex_request(main=codegen.main, sources=sources.digest),
            pex_environment.in_sandbox(working_directory=None),
        ),
    )
    shim = (
        "#!/bin/sh\n"
        "# protoc-gen-wasmplug: run the generator with the tool venv's Python.\n"
        f'exec "$(dirname "$0")/{venv_pex.python.argv0}" -m wasmplug_codegen "$@"\n'
    )
    shim_digest = await Get(
        Digest, CreateDigest([FileContent(PLUGIN_SHIM, shim.encode(), is_executable=True)])
    )
    return CodegenTool(
        venv_pex=venv_pex,
        shim_digest=shim_digest,
        plugin_arg=f"--plugin=protoc-gen-wasmplug=./{PLUGIN_SHIM}",
    )


def rules():
    return collect_rules()
