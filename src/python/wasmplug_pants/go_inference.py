"""Go-side dependency inference and `tailor`.

- A `wasm_plugin` / `wasm_go_library` importing the Go package generated from a
  `plugin_proto_library` (its `go_package` field, else the files' `option go_package`, else
  `wasmplug.gen/<dir of the .proto>`), or a `wasm_go_library`'s import path, depends on it.
- `pants tailor` adds `plugin_proto_library` for `.proto` files with a `// go:plugin` service and
  the message-only `.proto` files they import, and `wasm_plugin` for Go `main` packages under
  `[wasmplug-go].tailor_plugin_roots`.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import DefaultDict

from pants.core.goals.tailor import (
    AllOwnedSources,
    PutativeTarget,
    PutativeTargets,
    PutativeTargetsRequest,
)
from pants.core.util_rules.source_files import SourceFilesRequest
from pants.core.util_rules.stripped_source_files import StrippedSourceFiles
from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestContents, PathGlobs, Paths
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    AllTargets,
    FieldSet,
    HydratedSources,
    HydrateSourcesRequest,
    InferDependenciesRequest,
    InferredDependencies,
    SourcesField,
)
from pants.engine.unions import UnionRule
from pants.source.source_root import SourceRoot, SourceRootRequest
from pants.util.dirutil import group_by_dir
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel
from wasmplug_codegen import contract
from wasmplug_pants.proto_clashes import ScannedPluginProto, ScanPluginProtoRequest, strip_root
from wasmplug_pants.proto_scan import scan_proto
from wasmplug_pants.subsystems import WasmplugGo
from wasmplug_pants.target_types import (
    AllPluginProtoTargets,
    PluginProtoGoPackageField,
    PluginProtoLibrary,
    PluginProtoSourcesField,
    WasmGoLibraryDependenciesField,
    WasmGoLibraryImportPathField,
    WasmGoLibrarySourcesField,
    WasmPlugin,
    WasmPluginDependenciesField,
    WasmPluginSourcesField,
)

_PROTO_PACKAGE_RE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.M)
_GO_PLUGIN_RE = re.compile(r"//\s*go:plugin\b")
_GO_IMPORT_BLOCK_RE = re.compile(r"^import\s*\((.*?)\)", re.S | re.M)
_GO_IMPORT_LINE_RE = re.compile(r"^import\s+(?:[\w.]+\s+)?\"([^\"]+)\"", re.M)
_QUOTED_RE = re.compile(r"\"([^\"]+)\"")
_GO_MAIN_RE = re.compile(r"^package\s+main\b", re.M)
_GO_MOD_MODULE_RE = re.compile(rb"^module\s+(\S+)", re.M)


def go_mod_module(go_mod: bytes) -> str | None:
    """The module path a go.mod declares (None if it declares none)."""
    m = _GO_MOD_MODULE_RE.search(go_mod)
    return m.group(1).decode("utf-8", "replace") if m else None


def proto_go_import_path(
    stripped_path: str, proto_source: str, go_package_field: str | None
) -> str:
    """The Go import path the generator uses for a .proto, read from its source without protoc."""
    package = _PROTO_PACKAGE_RE.search(proto_source)
    return contract.go_import_path(
        stripped_path,
        go_package_field or contract.go_package_option(proto_source),
        package.group(1) if package else "",
    )


def go_imports(source: str) -> set[str]:
    found = set(_GO_IMPORT_LINE_RE.findall(source))
    for block in _GO_IMPORT_BLOCK_RE.findall(source):
        found.update(_QUOTED_RE.findall(block))
    return found


@dataclass(frozen=True)
class GoImportPathMapping:
    """Go import path -> owning `plugin_proto_library` / `wasm_go_library` addresses."""

    mapping: FrozenDict[str, tuple[Address, ...]]


@rule(desc="Map Go import paths to wasmplug targets", level=LogLevel.DEBUG)
async def map_go_import_paths(
    all_targets: AllTargets, proto_targets: AllPluginProtoTargets
) -> GoImportPathMapping:
    owners: DefaultDict[str, set[Address]] = defaultdict(set)
    stripped = await MultiGet(
        Get(StrippedSourceFiles, SourceFilesRequest([t[PluginProtoSourcesField]]))
        for t in proto_targets
    )
    contents = await MultiGet(Get(DigestContents, Digest, s.snapshot.digest) for s in stripped)
    for tgt, files in zip(proto_targets, contents):
        field = tgt[PluginProtoGoPackageField].value
        for fc in files:
            text = fc.content.decode("utf-8", "replace")
            owners[proto_go_import_path(fc.path, text, field)].add(tgt.address)

    libs = [t for t in all_targets if t.has_field(WasmGoLibrarySourcesField)]
    lib_sources = await MultiGet(
        Get(HydratedSources, HydrateSourcesRequest(t[WasmGoLibrarySourcesField])) for t in libs
    )
    lib_contents = await MultiGet(
        Get(DigestContents, Digest, h.snapshot.digest) for h in lib_sources
    )
    for tgt, files in zip(libs, lib_contents):
        # As the build does: a library's own go.mod names its module, else its `import_path` field.
        go_mods = [fc.content for fc in files if os.path.basename(fc.path) == "go.mod"]
        import_path = (
            go_mod_module(go_mods[0]) if go_mods else tgt[WasmGoLibraryImportPathField].value
        )
        if import_path:
            owners[import_path].add(tgt.address)
    return GoImportPathMapping(FrozenDict((k, tuple(sorted(v))) for k, v in sorted(owners.items())))


@dataclass(frozen=True)
class WasmPluginGoImportsFieldSet(FieldSet):
    required_fields = (WasmPluginSourcesField, WasmPluginDependenciesField)

    sources: WasmPluginSourcesField


@dataclass(frozen=True)
class WasmGoLibraryImportsFieldSet(FieldSet):
    required_fields = (WasmGoLibrarySourcesField, WasmGoLibraryDependenciesField)

    sources: WasmGoLibrarySourcesField


class InferWasmPluginGoImports(InferDependenciesRequest):
    infer_from = WasmPluginGoImportsFieldSet


class InferWasmGoLibraryGoImports(InferDependenciesRequest):
    infer_from = WasmGoLibraryImportsFieldSet


async def _infer_from_go_sources(
    address: Address, sources: SourcesField, mapping: GoImportPathMapping
) -> InferredDependencies:
    hydrated = await Get(HydratedSources, HydrateSourcesRequest(sources))
    contents = await Get(DigestContents, Digest, hydrated.snapshot.digest)
    imports: set[str] = set()
    for fc in contents:
        if fc.path.endswith(".go"):
            imports |= go_imports(fc.content.decode("utf-8", "replace"))
    result = set()
    for imp in imports:
        owners = mapping.mapping.get(imp, ())
        if len(owners) == 1 and owners[0] != address:
            result.add(owners[0])
    return InferredDependencies(sorted(result))


@rule(desc="Infer wasm_plugin dependencies from Go imports", level=LogLevel.DEBUG)
async def infer_wasm_plugin_go_imports(
    request: InferWasmPluginGoImports, mapping: GoImportPathMapping
) -> InferredDependencies:
    fs = request.field_set
    return await _infer_from_go_sources(fs.address, fs.sources, mapping)


@rule(desc="Infer wasm_go_library dependencies from Go imports", level=LogLevel.DEBUG)
async def infer_wasm_go_library_go_imports(
    request: InferWasmGoLibraryGoImports, mapping: GoImportPathMapping
) -> InferredDependencies:
    fs = request.field_set
    return await _infer_from_go_sources(fs.address, fs.sources, mapping)


# -----------------------------------------------------------------------------------------------
# tailor
# -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PutativeWasmplugTargetsRequest(PutativeTargetsRequest):
    pass


async def _imported_message_protos(
    unowned: DigestContents, plugin_protos: set, proto_targets: AllPluginProtoTargets
) -> list:
    """Unowned `.proto` files without a service that plugin protos import (transitively): they
    need a `plugin_proto_library` too, or codegen cannot find them."""
    others = [fc for fc in unowned if fc.path not in plugin_protos]
    roots = await MultiGet(
        Get(SourceRoot, SourceRootRequest, SourceRootRequest.for_file(fc.path)) for fc in others
    )
    by_stripped = {strip_root(fc.path, root): fc for fc, root in zip(others, roots)}
    owned = await MultiGet(
        Get(ScannedPluginProto, ScanPluginProtoRequest(t)) for t in proto_targets
    )
    frontier = [imp for sp in owned for sf in sp.files for imp, _ in sf.scan.imports]
    for fc in unowned:
        if fc.path in plugin_protos:
            frontier += [
                imp for imp, _ in scan_proto(fc.content.decode("utf-8", "replace")).imports
            ]
    found = []
    while frontier:
        fc = by_stripped.pop(frontier.pop(), None)
        if fc is not None:
            found.append(fc.path)
            frontier += [
                imp for imp, _ in scan_proto(fc.content.decode("utf-8", "replace")).imports
            ]
    return found


@rule(desc="Determine candidate plugin_proto_library / wasm_plugin targets", level=LogLevel.DEBUG)
async def find_putative_targets(
    req: PutativeWasmplugTargetsRequest,
    all_owned_sources: AllOwnedSources,
    go: WasmplugGo,
    proto_targets: AllPluginProtoTargets,
) -> PutativeTargets:
    owned = set(all_owned_sources)
    protos, go_files = await MultiGet(
        Get(Paths, PathGlobs, req.path_globs("*.proto")),
        Get(Paths, PathGlobs, req.path_globs("*.go")),
    )
    unowned_protos = sorted(set(protos.files) - owned)
    roots = tuple(r.strip("/") + "/" for r in go.tailor_plugin_roots)
    unowned_go = sorted(
        f for f in set(go_files.files) - owned if not f.endswith("_test.go") and f.startswith(roots)
    )
    proto_contents, go_contents = await MultiGet(
        Get(DigestContents, PathGlobs(unowned_protos)),
        Get(DigestContents, PathGlobs(unowned_go)),
    )
    plugin_protos = [
        fc.path
        for fc in proto_contents
        if _GO_PLUGIN_RE.search(fc.content.decode("utf-8", "replace"))
    ]
    plugin_protos += await _imported_message_protos(
        proto_contents, set(plugin_protos), proto_targets
    )
    main_go = [
        fc.path for fc in go_contents if _GO_MAIN_RE.search(fc.content.decode("utf-8", "replace"))
    ]
    pts = [
        PutativeTarget.for_target_type(
            PluginProtoLibrary,
            path=dirname,
            name=None,
            triggering_sources=sorted(files),
        )
        for dirname, files in group_by_dir(plugin_protos).items()
    ]
    pts += [
        PutativeTarget.for_target_type(
            WasmPlugin,
            path=dirname,
            name=None,
            triggering_sources=sorted(files),
        )
        for dirname, files in group_by_dir(main_go).items()
    ]
    return PutativeTargets(pts)


def rules():
    return [
        *collect_rules(),
        UnionRule(InferDependenciesRequest, InferWasmPluginGoImports),
        UnionRule(InferDependenciesRequest, InferWasmGoLibraryGoImports),
        UnionRule(PutativeTargetsRequest, PutativeWasmplugTargetsRequest),
    ]
