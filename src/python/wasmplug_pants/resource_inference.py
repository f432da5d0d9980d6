"""Python code reading a plugin's `.wasm` depends on the `wasm_plugin` that builds it.

A `wasm_plugin` at `src/go/plugins/morning:morning` (source root `src/go`) puts `morning.wasm`
in the package `plugins.morning`; the documented way to read it is
`importlib.resources.files(<package>) / "morning.wasm"`. A string literal package name in
`files(...)` (in code: not in strings or comments) that a `wasm_plugin` provides infers the
dependency. When it cannot be (the file
name is not one the package's plugins build, or several plugins build into the package and the
`dependencies` field does not pick one), the error names the `wasm_plugin` targets that provide
the package. A computed name (`files(f"plugins.{name}")`) needs explicit `dependencies`.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections import defaultdict
from dataclasses import dataclass
from typing import DefaultDict, List, Optional, Tuple

from pants.backend.python.target_types import PythonDependenciesField, PythonSourceField
from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestContents
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    AllTargets,
    DependenciesRequest,
    ExplicitlyProvidedDependencies,
    FieldSet,
    HydratedSources,
    HydrateSourcesRequest,
    InferDependenciesRequest,
    InferredDependencies,
)
from pants.engine.unions import UnionRule
from pants.source.source_root import SourceRoot, SourceRootRequest
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel
from wasmplug_pants.target_types import WasmPluginSourcesField

_SKIP = {tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT}


def _literal(tok: tokenize.TokenInfo) -> Optional[str]:
    if tok.type != tokenize.STRING:
        return None
    try:
        value = ast.literal_eval(tok.string)  # an f-string is not a literal: None
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def resource_reads(source: str) -> List[Tuple[int, str, Optional[str]]]:
    """(line, package, file name or None) of each `files("pkg")`, `files("pkg") / "name"` and
    `files("pkg").joinpath("name")` in Python code (tokens, so strings and comments never count)."""
    try:
        toks = [
            t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in _SKIP
        ]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    text = [t.string for t in toks]
    reads = []
    for i, tok in enumerate(toks):
        if tok.type != tokenize.NAME or tok.string != "files" or text[i + 1 : i + 2] != ["("]:
            continue
        if i > 0 and text[i - 1] == "def":
            continue
        pkg = _literal(toks[i + 2]) if i + 3 < len(toks) else None
        if pkg is None or text[i + 3] != ")":
            continue
        name = None
        if text[i + 4 : i + 5] == ["/"] and i + 5 < len(toks):
            name = _literal(toks[i + 5])
        elif text[i + 4 : i + 7] == [".", "joinpath", "("] and i + 7 < len(toks):
            name = _literal(toks[i + 7])
        reads.append((tok.start[0], pkg, name))
    return reads


class WasmPluginResourceError(Exception):
    pass


@dataclass(frozen=True)
class WasmPluginPackages:
    """Python package -> the `wasm_plugin` targets whose `.wasm` lands in it, with file names."""

    mapping: FrozenDict[str, Tuple[Tuple[Address, str], ...]]


@rule(desc="Map wasm_plugin targets to Python resource packages", level=LogLevel.DEBUG)
async def map_wasm_plugin_packages(all_targets: AllTargets) -> WasmPluginPackages:
    plugins = [t for t in all_targets if t.has_field(WasmPluginSourcesField)]
    roots = await MultiGet(
        Get(SourceRoot, SourceRootRequest, SourceRootRequest.for_target(t)) for t in plugins
    )
    packages: DefaultDict[str, List[Tuple[Address, str]]] = defaultdict(list)
    for tgt, root in zip(plugins, roots):
        spec_path = tgt.address.spec_path
        if root.path in (".", ""):
            rel = spec_path
        else:
            rel = spec_path[len(root.path) + 1 :]  # "" for a plugin at its source root
        if rel:
            packages[rel.replace("/", ".")].append((tgt.address, f"{tgt.address.target_name}.wasm"))
    return WasmPluginPackages(
        FrozenDict(
            (k, tuple(sorted(v, key=lambda p: p[0].spec))) for k, v in sorted(packages.items())
        )
    )


@dataclass(frozen=True)
class WasmResourceReadsFieldSet(FieldSet):
    required_fields = (PythonSourceField, PythonDependenciesField)

    source: PythonSourceField
    dependencies: PythonDependenciesField


class InferWasmResourceReads(InferDependenciesRequest):
    infer_from = WasmResourceReadsFieldSet


def _providers(plugins: Tuple[Tuple[Address, str], ...]) -> str:
    return ", ".join(f"{addr} (builds {name})" for addr, name in plugins)


@rule(desc="Infer wasm_plugin dependencies from importlib.resources reads", level=LogLevel.DEBUG)
async def infer_wasm_resource_reads(
    request: InferWasmResourceReads, packages: WasmPluginPackages
) -> InferredDependencies:
    if not packages.mapping:
        return InferredDependencies([])
    fs = request.field_set
    hydrated = await Get(HydratedSources, HydrateSourcesRequest(fs.source))
    contents = await Get(DigestContents, Digest, hydrated.snapshot.digest)
    reads = []
    for fc in contents:
        for line, pkg, filename in resource_reads(fc.content.decode("utf-8", "replace")):
            if pkg in packages.mapping:
                reads.append((f"{fc.path}:{line}", pkg, filename))
    if not reads:
        return InferredDependencies([])
    explicit = await Get(ExplicitlyProvidedDependencies, DependenciesRequest(fs.dependencies))
    result = set()
    for where, pkg, filename in reads:
        plugins = packages.mapping[pkg]
        if filename is not None and filename.endswith(".wasm"):
            named = tuple(p for p in plugins if p[1] == filename)
            if not named:
                raise WasmPluginResourceError(
                    f"{where} reads `{filename}` from package `{pkg}`, but no wasm_plugin builds "
                    f"it: the package is provided by {_providers(plugins)}. Read the file the "
                    "plugin builds (`<target name>.wasm`), or rename the target."
                )
            plugins = named
        candidates = tuple(addr for addr, _ in plugins)
        if len(candidates) == 1:
            result.add(candidates[0])
            continue
        if explicit.any_are_covered_by_includes(candidates):
            continue
        chosen = explicit.disambiguated(candidates)
        if chosen is None:
            raise WasmPluginResourceError(
                f"{where} reads package `{pkg}`, which several wasm_plugin targets provide: "
                f"{_providers(plugins)}. Add the one to use to the `dependencies` of "
                f'{fs.address} (or name its file: `files("{pkg}") / "<name>.wasm"`).'
            )
        result.add(chosen)
    return InferredDependencies(sorted(result))


def rules():
    return [*collect_rules(), UnionRule(InferDependenciesRequest, InferWasmResourceReads)]
