"""Checks across `.proto` files that protoc never compiles together.

- Protobuf symbols: Python's descriptor pool holds one definition per fully qualified name, so two
  files defining `greeting.GreetRequest` (or two enums of one package both with `UNKNOWN`) break
  any process that imports both. Every `plugin_proto_library` of one Python resolve can end up in
  one process (anything in the resolve may depend on any of them), and none of another resolve
  can, so the rule is: no symbol twice per resolve. Checked by `./pants check` and before Python
  codegen.
- wasm names: a `wasm_plugin` links the guest SDK of every proto in its closure, and each plugin
  service exports `snake(Service + Method)` and `snake(Service)_api_version` (a host service
  imports `module.snake(Method)`). Two files producing one name fail the build, naming both.
  (Within one file the generator reports it.)
- Imports: an `import "x/y.proto"` that no `plugin_proto_library` in the closure provides is
  named with the file to add a target for, before protoc says `File not found`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import DefaultDict, Dict, List, Tuple

from pants.backend.python.subsystems.setup import PythonSetup
from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestContents, PathGlobs, Paths
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    HydratedSources,
    HydrateSourcesRequest,
    Target,
    TransitiveTargets,
    TransitiveTargetsRequest,
)
from pants.source.source_root import SourceRoot, SourceRootRequest
from pants.util.logging import LogLevel
from wasmplug_pants.proto_scan import ScannedProto, scan_proto
from wasmplug_pants.target_types import (
    AllPluginProtoTargets,
    PluginProtoPythonResolveField,
    PluginProtoSourcesField,
)

# Provided by protoc itself (grpc_tools ships them), never by a target.
WELL_KNOWN_PREFIX = "google/protobuf/"


class ProtoClashError(Exception):
    pass


def strip_root(path: str, root: SourceRoot) -> str:
    return path if root.path in (".", "") else path[len(root.path) + 1 :]


@dataclass(frozen=True)
class ScannedFile:
    path: str  # repo path
    stripped: str  # as protoc and `import` see it
    scan: ScannedProto


@dataclass(frozen=True)
class ScannedPluginProto:
    address: Address
    files: Tuple[ScannedFile, ...]


@dataclass(frozen=True)
class ScanPluginProtoRequest:
    target: Target


@rule(desc="Scan plugin_proto_library sources", level=LogLevel.DEBUG)
async def scan_plugin_proto(request: ScanPluginProtoRequest) -> ScannedPluginProto:
    hydrated = await Get(
        HydratedSources, HydrateSourcesRequest(request.target[PluginProtoSourcesField])
    )
    contents = await Get(DigestContents, Digest, hydrated.snapshot.digest)
    roots = await MultiGet(
        Get(SourceRoot, SourceRootRequest, SourceRootRequest.for_file(fc.path)) for fc in contents
    )
    return ScannedPluginProto(
        request.target.address,
        tuple(
            ScannedFile(
                fc.path,
                strip_root(fc.path, root),
                scan_proto(fc.content.decode("utf-8", "replace")),
            )
            for fc, root in zip(contents, roots)
        ),
    )


# -----------------------------------------------------------------------------------------------
# The same protobuf symbol in two files of one Python resolve
# -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtoSymbolClash:
    symbol: str
    resolve: str
    # (repo path, line, owning target) of the two definitions, in path order.
    first: Tuple[str, int, Address]
    second: Tuple[str, int, Address]

    def message(self) -> str:
        (p1, l1, a1), (p2, l2, a2) = self.first, self.second
        return (
            f"Protobuf symbol `{self.symbol}` is defined twice: in {p1}:{l1} ({a1}) and in "
            f"{p2}:{l2} ({a2}). Both targets are in the Python resolve `{self.resolve}`, so a "
            "process importing both fails (protobuf keeps one definition per fully qualified "
            "name; enum values share their enum's scope). Rename one, or give the files "
            "different `package`s."
        )


@dataclass(frozen=True)
class ProtoSymbolClashes:
    clashes: Tuple[ProtoSymbolClash, ...]

    def involving(self, addresses: set) -> List[str]:
        return [
            c.message() for c in self.clashes if c.first[2] in addresses or c.second[2] in addresses
        ]


@rule(desc="Find protobuf symbols defined twice in one resolve", level=LogLevel.DEBUG)
async def find_symbol_clashes(
    targets: AllPluginProtoTargets, python_setup: PythonSetup
) -> ProtoSymbolClashes:
    scanned = await MultiGet(Get(ScannedPluginProto, ScanPluginProtoRequest(t)) for t in targets)
    # resolve -> symbol -> first definition; a file owned by two targets counts once.
    seen: DefaultDict[str, Dict[str, Tuple[str, int, Address]]] = defaultdict(dict)
    clashes = []
    pairs = sorted(
        ((sf, tgt, sp.address) for tgt, sp in zip(targets, scanned) for sf in sp.files),
        key=lambda x: (x[0].path, x[2]),
    )
    done_files: set = set()
    for sf, tgt, address in pairs:
        resolve = tgt[PluginProtoPythonResolveField].normalized_value(python_setup)
        if (resolve, sf.path) in done_files:
            continue
        done_files.add((resolve, sf.path))
        for sym in sf.scan.symbols:
            first = seen[resolve].get(sym.name)
            if first is None:
                seen[resolve][sym.name] = (sf.path, sym.line, address)
            elif first[0] != sf.path:
                clashes.append(
                    ProtoSymbolClash(sym.name, resolve, first, (sf.path, sym.line, address))
                )
    return ProtoSymbolClashes(tuple(clashes))


# -----------------------------------------------------------------------------------------------
# Two services with one wasm name in one plugin
# -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WasmNamesCheckRequest:
    address: Address  # a wasm_plugin


@dataclass(frozen=True)
class WasmNamesChecked:
    pass


@rule(desc="Check wasm export names across a plugin's protos", level=LogLevel.DEBUG)
async def check_wasm_names(request: WasmNamesCheckRequest) -> WasmNamesChecked:
    transitive = await Get(TransitiveTargets, TransitiveTargetsRequest([request.address]))
    protos = [t for t in transitive.closure if t.has_field(PluginProtoSourcesField)]
    scanned = await MultiGet(Get(ScannedPluginProto, ScanPluginProtoRequest(t)) for t in protos)
    files = {sf.path: sf for sp in scanned for sf in sp.files}
    defined: Dict[str, Tuple[str, str, int]] = {}  # wasm name -> (element, path, line)
    problems = []
    for path in sorted(files):
        for svc in files[path].scan.services:
            for name, element, line in svc.wasm_names():
                other = defined.get(name)
                if other is None:
                    defined[name] = (element, path, line)
                elif other[1] != path:
                    what = "import" if svc.kind == "host" else "export"
                    problems.append(
                        f"wasm {what} `{name}` comes from {other[0]} ({other[1]}:{other[2]}) "
                        f"and from {element} ({path}:{line})"
                    )
    if problems:
        raise ProtoClashError(
            f"wasm_plugin {request.address} links the guest SDKs of services whose wasm names "
            "collide (a plugin service exports snake_case(Service + Method) and "
            "snake_case(Service)_api_version; a host service imports module.snake_case(Method)):\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nRename a service or method, or split the plugin."
        )
    return WasmNamesChecked()


# -----------------------------------------------------------------------------------------------
# Imports nothing provides
# -----------------------------------------------------------------------------------------------


async def unprovided_imports_error(
    closure: Tuple[ScannedPluginProto, ...], owners: Dict[str, Tuple[Address, ...]]
) -> str | None:
    """A message naming each `import` that no proto of the closure provides (None if all are).

    `owners` maps stripped `.proto` paths to the `plugin_proto_library` targets owning them.
    """
    provided = {sf.stripped for sp in closure for sf in sp.files}
    missing = [
        (sf.path, line, imp, sp.address)
        for sp in closure
        for sf in sp.files
        for imp, line in sf.scan.imports
        if imp not in provided and not imp.startswith(WELL_KNOWN_PREFIX)
    ]
    if not missing:
        return None
    found = await MultiGet(Get(Paths, PathGlobs([f"**/{imp}", imp])) for _, _, imp, _ in missing)
    candidates = sorted({f for paths in found for f in paths.files})
    roots = await MultiGet(
        Get(SourceRoot, SourceRootRequest, SourceRootRequest.for_file(f)) for f in candidates
    )
    by_stripped: DefaultDict[str, List[str]] = defaultdict(list)
    for f, root in zip(candidates, roots):
        by_stripped[strip_root(f, root)].append(f)
    lines = []
    for path, line, imp, address in missing:
        owning = owners.get(imp, ())
        files = by_stripped.get(imp, [])
        if owning:
            fix = (
                f"it is owned by {', '.join(str(a) for a in owning)}: add "
                f"{'one of them' if len(owning) > 1 else 'it'} to the `dependencies` of {address}"
            )
        elif files:
            fix = (
                f"{files[0]} has no plugin_proto_library: add `plugin_proto_library()` to "
                f"{files[0].rsplit('/', 1)[0] if '/' in files[0] else '.'}/BUILD "
                "(`./pants tailor ::` does it)"
            )
        else:
            fix = (
                "no such file under any source root (imports are relative to a source root, "
                'e.g. `import "common/common.proto"` for src/proto/common/common.proto)'
            )
        lines.append(f'{path}:{line}: import "{imp}" is not provided: {fix}.')
    return "\n".join(lines)


def rules():
    return collect_rules()
