"""The Go workspace of a `wasm_plugin` / `wasm_go_library`: what `go build`, `go test` and the
editor workspace see.

One module per directory: the target's own (its go.mod, or one synthesized), every `wasm_go_library`
it depends on, the generated guest SDK modules (under `GEN_DIR`), tied by a `go.work`. Third-party
modules come from the go.mod/go.sum files the target and its libraries declare (one go.mod per
plugin or library, as with `go` itself: no repo-wide resolve to keep in step), downloaded once into
a module cache (`go_modules.py`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from pants.engine.addresses import Address
from pants.engine.fs import (
    EMPTY_DIGEST,
    AddPrefix,
    CreateDigest,
    Digest,
    DigestContents,
    DigestSubset,
    FileContent,
    MergeDigests,
    PathGlobs,
    Snapshot,
)
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    HydratedSources,
    HydrateSourcesRequest,
    Target,
    TransitiveTargets,
    TransitiveTargetsRequest,
)
from pants.util.logging import LogLevel
from wasmplug_codegen import contract
from wasmplug_pants.go_inference import go_mod_module
from wasmplug_pants.go_modules import MODCACHE_DIR, GoModuleCache, GoModuleDownloadRequest
from wasmplug_pants.go_toolchain import GoToolchain
from wasmplug_pants.target_types import (
    GoGeneratedSourcesField,
    PluginProtoSourcesField,
    WasmGoLibraryImportPathField,
    WasmGoLibrarySourcesField,
    WasmPluginSourcesField,
)

GEN_DIR = "__wasmplug_gen"
MIN_GO_DIRECTIVE = contract.MIN_GO
GUEST_RUNTIME_MODULE = contract.GUEST_MODULE

GO_CACHE_NAME = "wasmplug_go_build"
GO_CACHE_DIR = ".cache/wasmplug_go_build"

_GO_DIRECTIVE_RE = re.compile(rb"^go\s+(\d+)\.(\d+)", re.M)
_REQUIRE_RE = re.compile(rb"^require\b", re.M)


class GoWorkspaceError(Exception):
    pass


def _go_directive(go_mod: bytes) -> tuple[int, int]:
    m = _GO_DIRECTIVE_RE.search(go_mod)
    return (int(m.group(1)), int(m.group(2))) if m else MIN_GO_DIRECTIVE


def synthesized_go_mod(module: str) -> bytes:
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


def hermetic_go_env(go: GoToolchain) -> dict[str, str]:
    """`go build`/`go test`/`go vet` in a sandbox: no network, modules only from the workspace's
    module cache."""
    return {
        "CGO_ENABLED": "0",
        "GOPROXY": "off",
        "GOSUMDB": "off",
        "GOTOOLCHAIN": "local",
        "GOTELEMETRY": "off",
        "GOFLAGS": "-mod=readonly",
        "GOENV": "off",
        "GO111MODULE": "on",
        "GOWORK": "{chroot}/go.work",
        "GOCACHE": f"{{chroot}}/{GO_CACHE_DIR}",
        "GOPATH": "{chroot}/.gopath",
        "GOMODCACHE": "{chroot}/" + MODCACHE_DIR,
        "HOME": "{chroot}/.home",
        "PATH": "/usr/bin:/bin",
        # Part of the cache key: a different Go at the same path rebuilds.
        "WASMPLUG_GO_VERSION": go.version,
    }


def go_cache_append_only(go: GoToolchain) -> dict[str, str]:
    return {GO_CACHE_NAME: GO_CACHE_DIR, **go.append_only_caches}


def target_kind(tgt: Target) -> str:
    return "wasm_plugin" if tgt.has_field(WasmPluginSourcesField) else "wasm_go_library"


@dataclass(frozen=True)
class GoWorkspaceRequest:
    target: Target  # a wasm_plugin or wasm_go_library
    include_tests: bool = False  # the target's own `*_test.go` files (never its libraries')


@dataclass(frozen=True)
class GoModuleDir:
    dir: str  # workspace-relative
    module: str
    go_mod_synthesized: bool
    generated: bool


@dataclass(frozen=True)
class GoWorkspace:
    digest: Digest  # sources, generated modules, go.mod files, go.work and the module cache
    main_dir: str  # the target's package directory
    main_go_mod_synthesized: bool
    hand_written: Digest  # the target's and its libraries' own files (no generated code)
    generated_import_paths: tuple[str, ...]  # generated SDK modules (not the guest runtime)
    module_dirs: tuple[GoModuleDir, ...]
    module_cache: Digest  # EMPTY_DIGEST when no go.mod requires a third-party module
    go_version: tuple[int, int]  # the go.work's `go` directive


def _without_tests(digest: Digest) -> Get:
    return Get(Snapshot, DigestSubset(digest, PathGlobs(["**", "!**/*_test.go"])))


@rule(desc="Assemble the Go workspace of a wasm target", level=LogLevel.DEBUG)
async def go_workspace(request: GoWorkspaceRequest) -> GoWorkspace:
    tgt = request.target
    address = tgt.address
    kind = target_kind(tgt)
    own_field = (
        tgt[WasmPluginSourcesField]
        if tgt.has_field(WasmPluginSourcesField)
        else tgt[WasmGoLibrarySourcesField]
    )
    own_all, transitive = await MultiGet(
        Get(HydratedSources, HydrateSourcesRequest(own_field)),
        Get(TransitiveTargets, TransitiveTargetsRequest([address])),
    )
    own = (
        own_all.snapshot if request.include_tests else await _without_tests(own_all.snapshot.digest)
    )
    go_files = [f for f in own_all.snapshot.files if f.endswith(".go")]
    if not go_files:
        raise GoWorkspaceError(f"{kind} {address} has no `.go` sources.")
    dirs = sorted({os.path.dirname(f) for f in go_files})
    if len(dirs) != 1:
        raise GoWorkspaceError(
            f"{kind} {address}: the sources of one target must be one Go package in one "
            f"directory, got files in {dirs}."
        )
    main_dir = dirs[0]

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
    libs_all = await MultiGet(
        Get(HydratedSources, HydrateSourcesRequest(t[WasmGoLibrarySourcesField])) for t in lib_tgts
    )
    libs = await MultiGet(_without_tests(h.snapshot.digest) for h in libs_all)
    gen_merged = await Get(Digest, MergeDigests(h.snapshot.digest for h in generated))
    gen_snapshot = await Get(Snapshot, AddPrefix(gen_merged, GEN_DIR))

    extra_files: list[FileContent] = []
    modules: list[GoModuleDir] = []
    go_mods: list[bytes] = []
    hand_written_go_mods: list[bytes] = []
    go_sum_paths: list[str] = []

    def add_module(
        kind: str,
        tgt: Target,
        snapshot: Snapshot,
        contents: DigestContents,
        module_dir: str,
        default_module: str | None,
    ) -> None:
        go_mod_path = os.path.join(module_dir, "go.mod")
        existing = [fc.content for fc in contents if fc.path == go_mod_path]
        if existing:
            declared = go_mod_module(existing[0])
            if default_module and tgt.has_field(WasmGoLibraryImportPathField):
                if default_module != declared:
                    raise GoWorkspaceError(
                        f"wasm_go_library {tgt.address}: `import_path={default_module!r}` but "
                        f"{go_mod_path} declares module {declared!r}; drop one or make them agree."
                    )
            go_mods.append(existing[0])
            hand_written_go_mods.append(existing[0])
            modules.append(GoModuleDir(module_dir, declared or "", False, False))
        else:
            if not default_module:
                raise GoWorkspaceError(
                    f"{kind} {tgt.address} needs `import_path=...` (or a go.mod in "
                    f"{module_dir})."
                )
            mod = synthesized_go_mod(default_module)
            extra_files.append(FileContent(go_mod_path, mod))
            go_mods.append(mod)
            modules.append(GoModuleDir(module_dir, default_module, True, False))
        go_sum_paths.extend(f for f in snapshot.files if f == os.path.join(module_dir, "go.sum"))

    own_contents = await Get(DigestContents, Digest, own.digest)
    add_module(
        kind,
        tgt,
        own,
        own_contents,
        main_dir,
        (
            synthesized_module_path(address)
            if kind == "wasm_plugin"
            else tgt[WasmGoLibraryImportPathField].value
        ),
    )

    lib_contents = await MultiGet(Get(DigestContents, Digest, s.digest) for s in libs)
    for lib_tgt, snapshot, contents in zip(lib_tgts, libs, lib_contents):
        lib_go = [f for f in snapshot.files if f.endswith(".go")]
        if lib_go:
            add_module(
                "wasm_go_library",
                lib_tgt,
                snapshot,
                contents,
                os.path.dirname(lib_go[0]),
                lib_tgt[WasmGoLibraryImportPathField].value,
            )

    # Generated guest SDK modules (one go.mod per generated package, plus the guest runtime).
    gen_contents = await Get(DigestContents, Digest, gen_snapshot.digest)
    generated_import_paths: list[str] = []
    for fc in gen_contents:
        if os.path.basename(fc.path) == "go.mod":
            module = go_mod_module(fc.content) or ""
            modules.append(GoModuleDir(os.path.dirname(fc.path), module, False, True))
            go_mods.append(fc.content)
            if module and module != GUEST_RUNTIME_MODULE:
                generated_import_paths.append(module)

    go_version = max([MIN_GO_DIRECTIVE, *(_go_directive(m) for m in go_mods)])
    go_work = render_go_work([m.dir for m in modules], go_version).encode()
    extra_files.append(FileContent("go.work", go_work))

    extra_digest = await Get(Digest, CreateDigest(extra_files))
    hand_written = await Get(Digest, MergeDigests([own.digest, *(s.digest for s in libs)]))
    sources = await Get(Digest, MergeDigests([hand_written, gen_snapshot.digest, extra_digest]))

    module_cache = EMPTY_DIGEST
    if any(_REQUIRE_RE.search(m) for m in hand_written_go_mods):
        go_mod_files = await Get(
            Digest, DigestSubset(sources, PathGlobs(["go.work", "**/go.mod", "**/go.sum"]))
        )
        cache = await Get(
            GoModuleCache,
            GoModuleDownloadRequest(go_mod_files, tuple(sorted(go_sum_paths)), f"{kind} {address}"),
        )
        module_cache = cache.digest
    digest = await Get(Digest, MergeDigests([sources, module_cache]))
    return GoWorkspace(
        digest=digest,
        main_dir=main_dir,
        main_go_mod_synthesized=modules[0].go_mod_synthesized,
        hand_written=hand_written,
        generated_import_paths=tuple(generated_import_paths),
        module_dirs=tuple(modules),
        module_cache=module_cache,
        go_version=go_version,
    )


_NO_MODULE_RE = re.compile(
    r"(?m)^(?P<loc>\S+?):(?P<line>\d+):\d+: (?:"
    r"no required module provides package (?P<pkg>\S+); to add it:\n(?:\s+cd \S+\n)?\s+go get \S+"
    r"|cannot find module providing package (?P<pkg2>\S+): import lookup disabled by -mod=\w+"
    r")$"
)


def explain_missing_modules(text: str, kind: str, address: Address, ws: GoWorkspace) -> str:
    """Replace Go's `go get` advice (no network, no writable go.mod here) with what to add."""
    go_mod = os.path.join(ws.main_dir, "go.mod")

    def advice(m: re.Match) -> str:
        pkg = m.group("pkg") or m.group("pkg2")
        first = pkg.split("/")[0]
        if "." not in first:
            fix = f"no such package in the Go standard library or in any module of {kind} {address}"
        elif ws.main_go_mod_synthesized:
            fix = (
                f"no module of {kind} {address} provides it. If it is in this repo, give its "
                f"directory a `wasm_go_library(import_path=...)`; if it is a third-party module, "
                f"add a go.mod to {ws.main_dir or '.'} (`module {ws.module_dirs[0].module}`) that "
                f"requires the module providing {pkg}, and its go.sum (`go mod tidy` there, with "
                "network access)"
            )
        else:
            fix = (
                f"no module of {kind} {address} provides it. If it is in this repo, give its "
                f"directory a `wasm_go_library(import_path=...)`; if it is a third-party module, "
                f"add `require <module> <version>` for the module providing {pkg} to {go_mod} and "
                "its checksums to the go.sum beside it (`go mod tidy` there, with network access)"
            )
        loc = m.group("loc")
        if "/" not in loc:  # relative to the package directory (`go build -C`)
            loc = os.path.join(ws.main_dir, loc)
        return f'{loc}:{m.group("line")}: import "{pkg}": {fix}.'

    return _NO_MODULE_RE.sub(advice, text)


def rules():
    return collect_rules()
