"""Dependency inference for `plugin_proto_library`.

- Python: importing `<pkg>.<name>_pb2` / `<pkg>.<name>_wasmplug` finds the owning target.
- The generated Python's runtime: `protobuf` and the wasmplug runtime.
- Proto `import "x/y.proto";` finds the `plugin_proto_library` owning `x/y.proto`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import DefaultDict

from pants.backend.codegen.utils import find_python_runtime_library_or_raise_error
from pants.backend.python.dependency_inference.module_mapper import (
    FirstPartyPythonMappingImpl,
    FirstPartyPythonMappingImplMarker,
    ModuleProvider,
    ModuleProviderType,
    ResolveName,
    ThirdPartyPythonModuleMapping,
)
from pants.backend.python.subsystems.setup import PythonSetup
from pants.core.util_rules.source_files import SourceFilesRequest
from pants.core.util_rules.stripped_source_files import StrippedSourceFiles
from pants.engine.addresses import Address, Addresses, UnparsedAddressInputs
from pants.engine.fs import Digest, DigestContents
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    FieldSet,
    HydratedSources,
    HydrateSourcesRequest,
    InferDependenciesRequest,
    InferredDependencies,
)
from pants.engine.unions import UnionRule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel
from wasmplug_codegen import contract
from wasmplug_pants.subsystems import WasmplugCodegen
from wasmplug_pants.target_types import (
    AllPluginProtoTargets,
    PluginProtoDependenciesField,
    PluginProtoPythonResolveField,
    PluginProtoSourcesField,
)


@dataclass(frozen=True)
class PluginProtoFileMapping:
    """Source-root-stripped `.proto` path -> owning `plugin_proto_library` addresses."""

    mapping: FrozenDict[str, tuple[Address, ...]]


@rule(desc="Map .proto files to plugin_proto_library targets", level=LogLevel.DEBUG)
async def map_plugin_proto_files(targets: AllPluginProtoTargets) -> PluginProtoFileMapping:
    stripped = await MultiGet(
        Get(StrippedSourceFiles, SourceFilesRequest([t[PluginProtoSourcesField]])) for t in targets
    )
    owners: DefaultDict[str, set[Address]] = defaultdict(set)
    for tgt, files in zip(targets, stripped):
        for f in files.snapshot.files:
            owners[f].add(tgt.address)
    return PluginProtoFileMapping(
        FrozenDict((f, tuple(sorted(addrs))) for f, addrs in sorted(owners.items()))
    )


# -----------------------------------------------------------------------------------------------
# Python module -> plugin_proto_library
# -----------------------------------------------------------------------------------------------


class PluginProtoPythonMappingMarker(FirstPartyPythonMappingImplMarker):
    pass


@rule(desc="Map plugin_proto_library targets to generated Python modules", level=LogLevel.DEBUG)
async def map_plugin_protos_to_python_modules(
    targets: AllPluginProtoTargets,
    python_setup: PythonSetup,
    _: PluginProtoPythonMappingMarker,
) -> FirstPartyPythonMappingImpl:
    stripped = await MultiGet(
        Get(StrippedSourceFiles, SourceFilesRequest([t[PluginProtoSourcesField]])) for t in targets
    )
    resolves_to_modules: DefaultDict[ResolveName, DefaultDict[str, list[ModuleProvider]]] = (
        defaultdict(lambda: defaultdict(list))
    )
    for tgt, files in zip(targets, stripped):
        resolve = tgt[PluginProtoPythonResolveField].normalized_value(python_setup)
        for f in files.snapshot.files:
            base = f[: -len(".proto")].replace("/", ".")
            for suffix in contract.GENERATED_PY_SUFFIXES:
                resolves_to_modules[resolve][base + suffix].append(
                    ModuleProvider(tgt.address, ModuleProviderType.IMPL)
                )
    return FirstPartyPythonMappingImpl.create(resolves_to_modules)


# -----------------------------------------------------------------------------------------------
# Runtime dependencies of the generated Python
# -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PluginProtoRuntimeFieldSet(FieldSet):
    required_fields = (PluginProtoSourcesField, PluginProtoPythonResolveField)

    sources: PluginProtoSourcesField
    python_resolve: PluginProtoPythonResolveField


class InferPluginProtoRuntimeDependencies(InferDependenciesRequest):
    infer_from = PluginProtoRuntimeFieldSet


@rule(desc="Infer runtime dependencies of generated wasmplug Python", level=LogLevel.DEBUG)
async def infer_runtime_dependencies(
    request: InferPluginProtoRuntimeDependencies,
    codegen: WasmplugCodegen,
    python_setup: PythonSetup,
    module_mapping: ThirdPartyPythonModuleMapping,
) -> InferredDependencies:
    if not codegen.infer_runtime_dependency:
        return InferredDependencies([])
    address = request.field_set.address
    resolve = request.field_set.python_resolve.normalized_value(python_setup)
    disable = f"[{codegen.options_scope}].infer_runtime_dependency"
    result = [
        find_python_runtime_library_or_raise_error(
            module_mapping,
            address,
            "google.protobuf",
            resolve=resolve,
            resolves_enabled=python_setup.enable_resolves,
            recommended_requirement_name="protobuf",
            recommended_requirement_url="https://pypi.org/project/protobuf/",
            disable_inference_option=disable,
        )
    ]
    if codegen.runtime_dependencies:
        addresses = await Get(
            Addresses,
            UnparsedAddressInputs(
                codegen.runtime_dependencies,
                owning_address=None,
                description_of_origin=f"the option `[{codegen.options_scope}].runtime_dependencies`",
            ),
        )
        result.extend(addresses)
    else:
        result.append(
            find_python_runtime_library_or_raise_error(
                module_mapping,
                address,
                "wasmplug",
                resolve=resolve,
                resolves_enabled=python_setup.enable_resolves,
                recommended_requirement_name="wasmplug",
                recommended_requirement_url=(
                    f"the wasmplug distribution (or set `[{codegen.options_scope}]"
                    ".runtime_dependencies` to the target providing the `wasmplug` package)"
                ),
                disable_inference_option=disable,
            )
        )
    return InferredDependencies(result)


# -----------------------------------------------------------------------------------------------
# proto import -> plugin_proto_library
# -----------------------------------------------------------------------------------------------

PROTO_IMPORT_RE = re.compile(
    r"""^\s*import\s+(?:public\s+|weak\s+)?["']([^"']+\.proto)["']\s*;""", re.M
)


@dataclass(frozen=True)
class PluginProtoImportsFieldSet(FieldSet):
    required_fields = (PluginProtoSourcesField, PluginProtoDependenciesField)

    sources: PluginProtoSourcesField
    dependencies: PluginProtoDependenciesField


class InferPluginProtoImports(InferDependenciesRequest):
    infer_from = PluginProtoImportsFieldSet


@rule(desc="Infer plugin_proto_library dependencies from proto imports", level=LogLevel.DEBUG)
async def infer_proto_imports(
    request: InferPluginProtoImports, mapping: PluginProtoFileMapping
) -> InferredDependencies:
    hydrated = await Get(HydratedSources, HydrateSourcesRequest(request.field_set.sources))
    digest_contents = await Get(DigestContents, Digest, hydrated.snapshot.digest)
    result: set[Address] = set()
    for fc in digest_contents:
        for imported in PROTO_IMPORT_RE.findall(fc.content.decode("utf-8", "replace")):
            owners = mapping.mapping.get(imported, ())
            if len(owners) == 1 and owners[0] != request.field_set.address:
                result.add(owners[0])
    return InferredDependencies(sorted(result))


def rules():
    return [
        *collect_rules(),
        UnionRule(FirstPartyPythonMappingImplMarker, PluginProtoPythonMappingMarker),
        UnionRule(InferDependenciesRequest, InferPluginProtoRuntimeDependencies),
        UnionRule(InferDependenciesRequest, InferPluginProtoImports),
    ]
