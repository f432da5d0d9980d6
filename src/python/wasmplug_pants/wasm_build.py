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
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    GeneratedSources,
    GenerateSourcesRequest,
    HydratedSources,
    HydrateSourcesRequest,
    Target,
    TransitiveTargets,
    TransitiveTargetsRequest,
    WrappedTarget,
    WrappedTargetRequest,
)
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel
from wasmplug_codegen import contract
from wasmplug_pants.go_inference import go_mod_module
from wasmplug_pants.go_toolchain import GoToolchain
from wasmplug_pants.subsystems import WasmplugGo
from wasmplug_pants.target_types import (
    GoGeneratedSourcesField,
    PluginProtoSourcesField,
    WasmGoLibraryImportPathField,
    WasmGoLibrarySourcesField,
    WasmPluginBuildTagsField,
    WasmPluginLdflagsField,
    WasmPluginOutputPathField,
    WasmPluginSourcesField,
    WasmPluginStripField,
)

GEN_DIR = "__wasmplug_gen"
OUT_DIR = "__wasmplug_out"
GO_CACHE_NAME = "wasmplug_go_build"
GO_CACHE_DIR = ".cache/wasmplug_go_build"


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


_GO_DIRECTIVE_RE = re.compile(rb"^go\s+(\d+)\.(\d+)", re.M)
_REGISTER_RE = re.compile(r"\bRegister[A-Z]\w*\s*\(")


def _go_directive(go_mod: bytes) -> tuple[int, int]:
    m = _GO_DIRECTIVE_RE.search(go_mod)
    return (int(m.group(1)), int(m.group(2))) if m else contract.MIN_GO


def _go_mod(module: str) -> bytes:
    """A go.mod for code that has none."""
    return f"module {module}\n\ngo {contract.MIN_GO_VERSION}\n".encode()


def synthesized_module_path(address: Address) -> str:
    path = address.spec_path or "root"
    return f"wasmplug.build/{path}/{address.target_name}".replace(" ", "_")


def render_go_work(use_dirs: list[str], go_version: tuple[int, int]) -> str:
    lines = [f"go {go_version[0]}.{go_version[1]}", "", "use ("]
    lines += [f"\t./{d}" for d in use_dirs]
    lines += [")", ""]
    return "\n".join(lines)


def wasm_exports(wasm: bytes) -> list[str]:
    """Names in the export section of a wasm binary (empty if it cannot be parsed)."""

    def leb(pos: int) -> tuple[int, int]:
        result = shift = 0
        while True:
            b = wasm[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result, pos

    if wasm[:4] != b"\0asm":
        return []
    pos = 8
    try:
        while pos < len(wasm):
            section_id = wasm[pos]
            size, pos = leb(pos + 1)
            if section_id == 7:
                count, p = leb(pos)
                names = []
                for _ in range(count):
                    n, p = leb(p)
                    names.append(wasm[p : p + n].decode("utf-8", "replace"))
                    p += n + 1  # name, kind
                    _, p = leb(p)  # index
                return names
            pos += size
    except IndexError:
        return []
    return []


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
    own_sources, transitive = await MultiGet(
        Get(HydratedSources, HydrateSourcesRequest(tgt[WasmPluginSourcesField])),
        Get(TransitiveTargets, TransitiveTargetsRequest([address])),
    )
    go_files = [f for f in own_sources.snapshot.files if f.endswith(".go")]
    if not go_files:
        raise WasmPluginBuildError(f"wasm_plugin {address} has no `.go` sources.")
    dirs = sorted({os.path.dirname(f) for f in go_files})
    if len(dirs) != 1:
        raise WasmPluginBuildError(
            f"wasm_plugin {address}: the sources of one plugin must be one Go package in one "
            f"directory, got files in {dirs}."
        )
    plugin_dir = dirs[0]

    proto_tgts = [t for t in transitive.dependencies if t.has_field(PluginProtoSourcesField)]
    lib_tgts = [t for t in transitive.dependencies if t.has_field(WasmGoLibrarySourcesField)]
    generated = await MultiGet(
        Get(
            HydratedSources,
            HydrateSourcesRequest(
                t[PluginProtoSourcesField],
                for_sources_types=(GoGeneratedSourcesField,),
                enable_codegen=True,
            ),
        )
        for t in proto_tgts
    )
    libs = await MultiGet(
        Get(HydratedSources, HydrateSourcesRequest(t[WasmGoLibrarySourcesField])) for t in lib_tgts
    )
    gen_merged = await Get(Digest, MergeDigests(h.snapshot.digest for h in generated))
    gen_snapshot = await Get(Snapshot, AddPrefix(gen_merged, GEN_DIR))

    extra_files: list[FileContent] = []
    use_dirs: list[str] = []
    go_mods: list[bytes] = []

    # The plugin module.
    plugin_go_mod = os.path.join(plugin_dir, "go.mod")
    if plugin_go_mod in own_sources.snapshot.files:
        contents = await Get(DigestContents, Digest, own_sources.snapshot.digest)
        go_mods.extend(fc.content for fc in contents if fc.path == plugin_go_mod)
    else:
        mod = _go_mod(synthesized_module_path(address))
        extra_files.append(FileContent(plugin_go_mod, mod))
        go_mods.append(mod)
    use_dirs.append(plugin_dir)

    # Library packages in the repo.
    lib_contents = await MultiGet(Get(DigestContents, Digest, h.snapshot.digest) for h in libs)
    for lib_tgt, h, contents in zip(lib_tgts, libs, lib_contents):
        lib_go = [f for f in h.snapshot.files if f.endswith(".go")]
        if not lib_go:
            continue
        lib_dir = os.path.dirname(lib_go[0])
        lib_mod = os.path.join(lib_dir, "go.mod")
        existing = [fc.content for fc in contents if fc.path == lib_mod]
        import_path = lib_tgt[WasmGoLibraryImportPathField].value
        if existing:
            declared = go_mod_module(existing[0])
            if import_path and import_path != declared:
                raise WasmPluginBuildError(
                    f"wasm_go_library {lib_tgt.address}: `import_path={import_path!r}` but {lib_mod} declares "
                    f"module {declared!r}; drop one or make them agree."
                )
            go_mods.append(existing[0])
        else:
            if not import_path:
                raise WasmPluginBuildError(
                    f"wasm_go_library {lib_tgt.address} needs `import_path=...` (or a go.mod in "
                    f"{lib_dir})."
                )
            mod = _go_mod(import_path)
            extra_files.append(FileContent(lib_mod, mod))
            go_mods.append(mod)
        use_dirs.append(lib_dir)

    # Generated guest SDK modules (one go.mod per generated package, plus the guest runtime).
    gen_contents = await Get(DigestContents, Digest, gen_snapshot.digest)
    generated_import_paths: list[str] = []
    for fc in gen_contents:
        if os.path.basename(fc.path) == "go.mod":
            use_dirs.append(os.path.dirname(fc.path))
            go_mods.append(fc.content)
            module = go_mod_module(fc.content)
            if module and module != contract.GUEST_MODULE:
                generated_import_paths.append(module)

    go_version = max([contract.MIN_GO, *(_go_directive(m) for m in go_mods)])
    extra_files.append(FileContent("go.work", render_go_work(use_dirs, go_version).encode()))

    extra_digest, out_dir_digest = await MultiGet(
        Get(Digest, CreateDigest(extra_files)),
        Get(Digest, CreateDigest([Directory(OUT_DIR)])),
    )
    input_digest = await Get(
        Digest,
        MergeDigests(
            [
                own_sources.snapshot.digest,
                *(h.snapshot.digest for h in libs),
                gen_snapshot.digest,
                extra_digest,
                out_dir_digest,
                go.digest,
            ]
        ),
    )

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
            append_only_caches={GO_CACHE_NAME: GO_CACHE_DIR, **go.append_only_caches},
            env={
                "GOOS": "wasip1",
                "GOARCH": "wasm",
                "CGO_ENABLED": "0",
                "GOPROXY": "off",
                "GOSUMDB": "off",
                "GOTOOLCHAIN": "local",
                "GOTELEMETRY": "off",
                "GOFLAGS": "",
                "GOENV": "off",
                "GO111MODULE": "on",
                "GOWORK": "{chroot}/go.work",
                "GOCACHE": f"{{chroot}}/{GO_CACHE_DIR}",
                "GOPATH": "{chroot}/.gopath",
                "HOME": "{chroot}/.home",
                "PATH": "/usr/bin:/bin",
                # Part of the cache key: a different Go at the same path rebuilds.
                "WASMPLUG_GO_VERSION": go.version,
            },
        ),
    )
    if result.exit_code != 0:
        out = (result.stderr + result.stdout).decode("utf-8", "replace")
        raise WasmPluginBuildError(
            f"go build failed for wasm_plugin {address} (Go: {go.origin}):\n"
            + clean_go_output(out.strip(), plugin_dir)
        )

    # A plugin built on a generated guest SDK must register at least one plugin service.
    # (Hand-written ABI guests that import no generated package are not checked.)
    own_contents = await Get(DigestContents, Digest, own_sources.snapshot.digest)
    sources_text = "\n".join(
        fc.content.decode("utf-8", "replace")
        for fc in (*own_contents, *(fc for contents in lib_contents for fc in contents))
        if fc.path.endswith(".go")
    )
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
