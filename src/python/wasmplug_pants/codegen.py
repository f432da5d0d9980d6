"""`plugin_proto_library` codegen: Python (protoc + host SDK) and Go (guest SDK) sources."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pants.backend.python.target_types import PythonSourceField
from pants.backend.python.util_rules.pex import VenvPexProcess
from pants.core.util_rules.source_files import SourceFiles, SourceFilesRequest
from pants.core.util_rules.stripped_source_files import StrippedSourceFiles
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
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    GeneratedSources,
    GenerateSourcesRequest,
    Target,
    TransitiveTargets,
    TransitiveTargetsRequest,
)
from pants.engine.unions import UnionRule
from pants.source.source_root import SourceRoot, SourceRootRequest
from pants.util.logging import LogLevel
from wasmplug_codegen import contract
from wasmplug_pants.dependency_inference import PluginProtoFileMapping
from wasmplug_pants.generator import CodegenTool
from wasmplug_pants.proto_clashes import (
    ProtoSymbolClashes,
    ScannedPluginProto,
    ScanPluginProtoRequest,
    unprovided_imports_error,
)
from wasmplug_pants.target_types import (
    GoGeneratedSourcesField,
    PluginProtoGoPackageField,
    PluginProtoSourcesField,
)

OUT_DIR = "__wasmplug_out"


class WasmplugCodegenError(Exception):
    """protoc or the generator failed; the message carries their file:line text."""


class GeneratePythonFromPluginProtoRequest(GenerateSourcesRequest):
    input = PluginProtoSourcesField
    output = PythonSourceField


class GenerateGoFromPluginProtoRequest(GenerateSourcesRequest):
    input = PluginProtoSourcesField
    output = GoGeneratedSourcesField


@dataclass(frozen=True)
class RunProtocRequest:
    target: Target
    lang: str  # "python" | "go"


@dataclass(frozen=True)
class ProtocOutput:
    """protoc's output files, relative to the output dir (proto package / Go import path)."""

    digest: Digest


@dataclass(frozen=True)
class FallibleProtocOutput:
    """protoc's output, or its error text with repo paths (`./pants check` reports it)."""

    digest: Digest | None
    error: str | None


def _restore_paths(text: str, stripped_to_full: dict[str, str]) -> str:
    """Rewrite source-root-stripped proto paths in protoc/generator messages to repo paths."""
    if not stripped_to_full:
        return text
    names = sorted(stripped_to_full, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![\w./-])(" + "|".join(re.escape(n) for n in names) + r")(?=[:\s,)\"']|$)"
    )
    return pattern.sub(lambda m: stripped_to_full[m.group(1)], text)


def set_go_package(proto: bytes, go_package: str) -> bytes:
    """Set `option go_package` in a .proto source without moving any line (bytes kept as they are)."""
    text = proto.decode("utf-8", "surrogateescape")
    return contract.set_go_package_option(text, go_package).encode("utf-8", "surrogateescape")


@rule(desc="Run protoc with protoc-gen-wasmplug", level=LogLevel.DEBUG)
async def run_protoc(request: RunProtocRequest) -> ProtocOutput:
    out = await Get(FallibleProtocOutput, RunProtocRequest, request)
    if out.digest is None:
        raise WasmplugCodegenError(out.error)
    return ProtocOutput(out.digest)


@rule(desc="Run protoc with protoc-gen-wasmplug (fallible)", level=LogLevel.DEBUG)
async def run_protoc_fallible(
    request: RunProtocRequest, tool: CodegenTool, file_mapping: PluginProtoFileMapping
) -> FallibleProtocOutput:
    tgt = request.target
    transitive = await Get(TransitiveTargets, TransitiveTargetsRequest([tgt.address]))
    proto_tgts = [t for t in transitive.closure if t.has_field(PluginProtoSourcesField)]
    # An import nothing in the closure provides: say which target to add, not protoc's
    # `File not found`.
    scanned = await MultiGet(Get(ScannedPluginProto, ScanPluginProtoRequest(t)) for t in proto_tgts)
    missing = await unprovided_imports_error(tuple(scanned), dict(file_mapping.mapping))
    if missing:
        return FallibleProtocOutput(
            None,
            f"Generating {request.lang.capitalize()} code for {tgt.address} failed:\n{missing}",
        )
    per_target_stripped = await MultiGet(
        Get(StrippedSourceFiles, SourceFilesRequest([t[PluginProtoSourcesField]]))
        for t in proto_tgts
    )
    empty_out = await Get(Digest, CreateDigest([Directory(OUT_DIR)]))
    # `go_package` fields override the files' own `option go_package` (for every importer too).
    proto_digests = []
    for t, stripped in zip(proto_tgts, per_target_stripped):
        go_package = t.get(PluginProtoGoPackageField).value
        if request.lang == "go" and go_package:
            contents = await Get(DigestContents, Digest, stripped.snapshot.digest)
            proto_digests.append(
                await Get(
                    Digest,
                    CreateDigest(
                        FileContent(fc.path, set_go_package(fc.content, go_package))
                        for fc in contents
                    ),
                )
            )
        else:
            proto_digests.append(stripped.snapshot.digest)
    # The target is part of its own closure.
    own_files = tuple(per_target_stripped[proto_tgts.index(tgt)].snapshot.files)
    if not own_files:
        return FallibleProtocOutput(await Get(Digest, MergeDigests([])), None)

    opts = [f"lang={request.lang}"]
    argv = []
    if request.lang == "python":
        argv += [f"--python_out={OUT_DIR}", f"--pyi_out={OUT_DIR}"]
    argv += [
        tool.plugin_arg,
        f"--wasmplug_out={OUT_DIR}",
        f"--wasmplug_opt={','.join(opts)}",
        "-I.",
        *own_files,
    ]
    input_digest = await Get(Digest, MergeDigests([*proto_digests, tool.shim_digest, empty_out]))
    result = await Get(
        FallibleProcessResult,
        VenvPexProcess(
            tool.venv_pex,
            argv=argv,
            input_digest=input_digest,
            output_directories=(OUT_DIR,),
            description=f"Generating {request.lang.capitalize()} from {tgt.address}",
            level=LogLevel.DEBUG,
        ),
    )
    if result.exit_code != 0:
        # Map source-root-stripped names back to repo paths, for the error message.
        all_unstripped = await Get(
            SourceFiles, SourceFilesRequest(t[PluginProtoSourcesField] for t in proto_tgts)
        )
        roots = await MultiGet(
            Get(SourceRoot, SourceRootRequest, SourceRootRequest.for_file(f))
            for f in all_unstripped.snapshot.files
        )
        stripped_to_full: dict[str, str] = {}
        for f, root in zip(all_unstripped.snapshot.files, roots):
            stripped = f if root.path in (".", "") else f[len(root.path) + 1 :]
            stripped_to_full[stripped] = f
        text = result.stderr.decode("utf-8", "replace") + result.stdout.decode("utf-8", "replace")
        return FallibleProtocOutput(
            None,
            f"Generating {request.lang.capitalize()} code for {tgt.address} failed "
            f"(protoc exit code {result.exit_code}):\n"
            + _restore_paths(text.strip(), stripped_to_full),
        )
    return FallibleProtocOutput(
        await Get(Digest, RemovePrefix(result.output_digest, OUT_DIR)), None
    )


@rule(desc="Generate Python from plugin_proto_library", level=LogLevel.DEBUG)
async def generate_python(
    request: GeneratePythonFromPluginProtoRequest, clashes: ProtoSymbolClashes
) -> GeneratedSources:
    problems = clashes.involving({request.protocol_target.address})
    if problems:
        raise WasmplugCodegenError("\n".join(problems))
    out, source_root = await MultiGet(
        Get(ProtocOutput, RunProtocRequest(request.protocol_target, "python")),
        Get(SourceRoot, SourceRootRequest, SourceRootRequest.for_target(request.protocol_target)),
    )
    if source_root.path in (".", ""):
        return GeneratedSources(await Get(Snapshot, Digest, out.digest))
    return GeneratedSources(await Get(Snapshot, AddPrefix(out.digest, source_root.path)))


@rule(desc="Generate Go from plugin_proto_library", level=LogLevel.DEBUG)
async def generate_go(request: GenerateGoFromPluginProtoRequest) -> GeneratedSources:
    out = await Get(ProtocOutput, RunProtocRequest(request.protocol_target, "go"))
    return GeneratedSources(await Get(Snapshot, Digest, out.digest))


def rules():
    return [
        *collect_rules(),
        UnionRule(GenerateSourcesRequest, GeneratePythonFromPluginProtoRequest),
        UnionRule(GenerateSourcesRequest, GenerateGoFromPluginProtoRequest),
    ]
