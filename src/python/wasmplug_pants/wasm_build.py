"""`wasm_plugin`: `go build` to a WASI reactor, as a resource and as a `package` artifact."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from pants.core.goals.package import BuiltPackage, BuiltPackageArtifact, PackageFieldSet
from pants.core.target_types import ResourceSourceField
from pants.engine.addresses import Address
from pants.engine.fs import (
    AddPrefix,
    CreateDigest,
    Digest,
    DigestContents,
    Directory,
    FileContent,
    MergeDigests,
    RemovePrefix,
    Snapshot,
)
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.target import (
    GeneratedSources,
    GenerateSourcesRequest,
    Target,
    WrappedTarget,
    WrappedTargetRequest,
)
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel
from wasmplug_codegen.wasm import exports as wasm_exports
from wasmplug_pants.go_toolchain import GoToolchain
from wasmplug_pants.go_workspace import (
    GEN_DIR,
    GO_CACHE_DIR,
    GoWorkspace,
    GoWorkspaceRequest,
    explain_missing_modules,
    go_cache_append_only,
    hermetic_go_env,
)
from wasmplug_pants.proto_clashes import WasmNamesChecked, WasmNamesCheckRequest
from wasmplug_pants.subsystems import WasmplugGo
from wasmplug_pants.target_types import (
    WasmPluginBuildTagsField,
    WasmPluginLdflagsField,
    WasmPluginOutputPathField,
    WasmPluginSourcesField,
    WasmPluginStripField,
)

OUT_DIR = "__wasmplug_out"
# How long a remote cache lookup may take before the Go build starts locally as well (0, Pants'
# default, runs both at once). A lookup answers in milliseconds; without a remote cache it is unused.
GO_BUILD_SPECULATION_DELAY_MS = 2000


class WasmPluginBuildError(Exception):
    pass


@dataclass(frozen=True)
class BuildWasmPluginRequest:
    target: Target


@dataclass(frozen=True)
class BuiltWasmPlugin:
    """A digest with exactly one file, `<target name>.wasm`, at its root."""

    digest: Digest
    filename: str


_REGISTER_RE = re.compile(r"\bRegister[A-Z]\w*\s*\(")


def clean_go_output(text: str, plugin_dir: str) -> str:
    """Make `go build` diagnostics point at repo paths instead of sandbox paths."""
    text = re.sub(r"/\S*?/pants-sandbox-[^/\s]+/", "", text)
    text = re.sub(r"(?:\.\./)+" + GEN_DIR + "/", "<generated>/", text)
    text = re.sub(r"(?<![\w./])" + GEN_DIR + "/", "<generated>/", text)
    text = re.sub(r"(?m)^\./", plugin_dir + "/", text)
    text = re.sub(r"(?m)^(\s+)\./", r"\1" + plugin_dir + "/", text)
    return text


@rule(desc="Build a wasm_plugin with go build", level=LogLevel.DEBUG)
async def build_wasm_plugin(
    request: BuildWasmPluginRequest, go: GoToolchain, go_subsystem: WasmplugGo
) -> BuiltWasmPlugin:
    tgt = request.target
    address = tgt.address
    ws = await Get(GoWorkspace, GoWorkspaceRequest(tgt))
    # Two protos exporting one wasm name: an error naming both services and files, before go build.
    await Get(WasmNamesChecked, WasmNamesCheckRequest(address))
    plugin_dir = ws.main_dir
    out_dir_digest = await Get(Digest, CreateDigest([Directory(OUT_DIR)]))
    input_digest = await Get(Digest, MergeDigests([ws.digest, out_dir_digest, go.digest]))

    filename = f"{address.target_name}.wasm"
    ldflags = list(tgt[WasmPluginLdflagsField].value or ())
    if tgt[WasmPluginStripField].value:
        ldflags = ["-s", "-w", *ldflags]
    argv = [
        go.argv0,
        "build",
        "-C",
        plugin_dir or ".",
        "-buildmode=c-shared",
        "-trimpath",
        "-buildvcs=false",
        "-o",
        f"{{chroot}}/{OUT_DIR}/{filename}",
    ]
    if ldflags:
        argv.append("-ldflags=" + " ".join(ldflags))
    tags = tgt[WasmPluginBuildTagsField].value
    if tags:
        argv.append("-tags=" + ",".join(tags))
    argv += [*go_subsystem.build_flags, "."]

    result = await Get(
        FallibleProcessResult,
        Process(
            argv,
            description=f"go build {address} (wasip1/wasm)",
            level=LogLevel.DEBUG,
            input_digest=input_digest,
            output_files=(f"{OUT_DIR}/{filename}",),
            append_only_caches=go_cache_append_only(go),
            env={**hermetic_go_env(go), "GOOS": "wasip1", "GOARCH": "wasm"},
            # With a remote cache, Pants starts the build at once beside the cache lookup; a Go build
            # costs seconds of CPU and writes the Go build cache before a hit cancels it.
            remote_cache_speculation_delay_millis=GO_BUILD_SPECULATION_DELAY_MS,
        ),
    )
    if result.exit_code != 0:
        out = (result.stderr + result.stdout).decode("utf-8", "replace")
        if "requires exactly one main package" in out:
            raise WasmPluginBuildError(
                f"wasm_plugin {address}: {plugin_dir or '.'} has no `package main` (a plugin is one "
                "main package that registers its services). If this directory is Go code that "
                "plugins import, make it a `wasm_go_library(import_path=...)` instead of a "
                "`wasm_plugin`."
            )
        raise WasmPluginBuildError(
            f"go build failed for wasm_plugin {address} (Go: {go.origin}):\n"
            + explain_missing_modules(
                clean_go_output(out.strip(), plugin_dir), "wasm_plugin", address, ws
            )
        )

    # A plugin built on a generated guest SDK must register at least one plugin service.
    # (Hand-written ABI guests that import no generated package are not checked.)
    hand_written = await Get(DigestContents, Digest, ws.hand_written)
    sources_text = "\n".join(
        fc.content.decode("utf-8", "replace") for fc in hand_written if fc.path.endswith(".go")
    )
    generated_import_paths = ws.generated_import_paths
    imported_sdks = [p for p in generated_import_paths if f'"{p}"' in sources_text]
    if imported_sdks:
        wasm_digest_contents = await Get(DigestContents, Digest, result.output_digest)
        exports = wasm_exports(wasm_digest_contents[0].content)
        services = [e for e in exports if e.endswith("_api_version")]
        if not services or not _REGISTER_RE.search(sources_text):
            raise WasmPluginBuildError(
                f"wasm_plugin {address}: package main in {plugin_dir or '.'} registers no plugin "
                f"service. It imports {', '.join(imported_sdks)} but never calls a generated "
                "`Register<Service>(impl)` (e.g. `greeting.RegisterGreeter(myGreeter{})`); call "
                "it from `main()` or `init()`."
            )
    return BuiltWasmPlugin(await Get(Digest, RemovePrefix(result.output_digest, OUT_DIR)), filename)


# -----------------------------------------------------------------------------------------------
# As a resource: `<plugin dir>/<name>.wasm`
# -----------------------------------------------------------------------------------------------


class GenerateResourceFromWasmPluginRequest(GenerateSourcesRequest):
    input = WasmPluginSourcesField
    output = ResourceSourceField
    exportable = False


@rule(desc="Build a wasm_plugin as a resource", level=LogLevel.DEBUG)
async def wasm_plugin_as_resource(
    request: GenerateResourceFromWasmPluginRequest,
) -> GeneratedSources:
    tgt = request.protocol_target
    built = await Get(BuiltWasmPlugin, BuildWasmPluginRequest(tgt))
    placed = await Get(Snapshot, AddPrefix(built.digest, tgt.address.spec_path))
    return GeneratedSources(placed)


# -----------------------------------------------------------------------------------------------
# As a package
# -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WasmPluginPackageFieldSet(PackageFieldSet):
    required_fields = (WasmPluginSourcesField,)

    sources: WasmPluginSourcesField
    output_path: WasmPluginOutputPathField


@rule(desc="Package a wasm_plugin", level=LogLevel.DEBUG)
async def package_wasm_plugin(field_set: WasmPluginPackageFieldSet) -> BuiltPackage:
    wrapped = await Get(
        WrappedTarget,
        WrappedTargetRequest(field_set.address, description_of_origin="<wasm_plugin package>"),
    )
    built = await Get(BuiltWasmPlugin, BuildWasmPluginRequest(wrapped.target))
    output_path = field_set.output_path.value_or_default(file_ending="wasm")
    contents = await Get(DigestContents, Digest, built.digest)
    digest = await Get(
        Digest,
        CreateDigest([FileContent(output_path, contents[0].content, is_executable=False)]),
    )
    return BuiltPackage(digest, (BuiltPackageArtifact(output_path),))


def rules():
    return [
        *collect_rules(),
        UnionRule(GenerateSourcesRequest, GenerateResourceFromWasmPluginRequest),
        UnionRule(PackageFieldSet, WasmPluginPackageFieldSet),
    ]
