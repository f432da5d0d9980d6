"""Third-party Go modules: `go mod download` through the Go module proxy, keyed by go.mod/go.sum.

The process sees only the workspace's `go.work` and its modules' `go.mod`/`go.sum` files, so it is
re-run (and the network needed) only when one of those changes; Pants caches its output, so later
builds (offline too) reuse it. The go.sum files are the trust root: a downloaded module whose hash
go.sum lacks is an error (the checksum database is not consulted: `GOSUMDB=off`), one whose hash
differs fails in Go itself. Builds then run with `GOPROXY=off` on the returned module cache.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pants.engine.fs import Digest, DigestContents, DigestSubset, MergeDigests, PathGlobs
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import Get, collect_rules, rule
from pants.util.logging import LogLevel
from wasmplug_pants.go_toolchain import GoToolchain
from wasmplug_pants.subsystems import WasmplugGo

MODCACHE_DIR = "__wasmplug_gomodcache"


class GoModuleDownloadError(Exception):
    pass


@dataclass(frozen=True)
class GoModuleDownloadRequest:
    go_mod_files: Digest  # go.work + every module's go.mod / go.sum, at their workspace paths
    go_sum_paths: tuple[str, ...]  # the go.sum files that may vouch for a module
    description: str  # e.g. "wasm_plugin src/go/plugins/x:x"


@dataclass(frozen=True)
class GoModuleCache:
    """A GOMODCACHE (under `MODCACHE_DIR`) with the extracted modules and their `.mod` files."""

    digest: Digest


def go_sum_entries(go_sums: list[bytes]) -> set[tuple[str, str]]:
    """(module path, version) pairs whose content hash (not only `/go.mod`) a go.sum lists."""
    entries = set()
    for text in go_sums:
        for line in text.decode("utf-8", "replace").splitlines():
            parts = line.split()
            if len(parts) == 3 and not parts[1].endswith("/go.mod"):
                entries.add((parts[0], parts[1]))
    return entries


def parse_download_json(stdout: bytes) -> list[dict]:
    """`go mod download -json` prints a stream of JSON objects."""
    text = stdout.decode("utf-8", "replace")
    decoder = json.JSONDecoder()
    out, pos = [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return out
        obj, pos = decoder.raw_decode(text, pos)
        out.append(obj)


def download_env(go: GoToolchain, proxy: str | None) -> dict[str, str]:
    env = {
        "GOTOOLCHAIN": "local",
        "GOTELEMETRY": "off",
        "GOENV": "off",
        "GO111MODULE": "on",
        # go.sum is the trust root (checked below); the checksum database may be unreachable.
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=readonly -modcacherw",
        "GOWORK": "{chroot}/go.work",
        "GOMODCACHE": "{chroot}/" + MODCACHE_DIR,
        "GOPATH": "{chroot}/.gopath",
        "GOCACHE": "{chroot}/.gocache",
        "HOME": "{chroot}/.home",
        "PATH": "/usr/bin:/bin",
        "WASMPLUG_GO_VERSION": go.version,
    }
    if proxy:
        env["GOPROXY"] = proxy
    return env


@rule(desc="Download third-party Go modules", level=LogLevel.DEBUG)
async def download_go_modules(
    request: GoModuleDownloadRequest, go: GoToolchain, go_subsystem: WasmplugGo
) -> GoModuleCache:
    input_digest = await Get(Digest, MergeDigests([request.go_mod_files, go.digest]))
    result = await Get(
        FallibleProcessResult,
        Process(
            (go.argv0, "mod", "download", "-json"),
            description=f"go mod download for {request.description}",
            level=LogLevel.DEBUG,
            input_digest=input_digest,
            output_directories=(MODCACHE_DIR,),
            append_only_caches=go.append_only_caches,
            env=download_env(go, go_subsystem.module_proxy),
        ),
    )
    modules = []
    try:
        modules = parse_download_json(result.stdout)
    except ValueError:
        pass
    errors = [
        f"  {m.get('Path')} {m.get('Version')}: {m['Error']}" for m in modules if m.get("Error")
    ]
    if result.exit_code != 0 or errors:
        detail = "\n".join(errors) or (result.stderr + result.stdout).decode("utf-8", "replace")
        raise GoModuleDownloadError(
            f"Downloading the Go modules of {request.description} through the Go module proxy "
            f"failed (`[wasmplug-go].module_proxy` = {go_subsystem.module_proxy or 'Go default'}; "
            f"once downloaded, builds need no network):\n{detail.strip()}"
        )

    sums = await Get(DigestContents, DigestSubset(request.go_mod_files, PathGlobs(["**/go.sum"])))
    vouched = go_sum_entries([fc.content for fc in sums])
    unvouched = [m for m in modules if (m.get("Path"), m.get("Version")) not in vouched]
    if unvouched:
        listed = "\n".join(f"  {m['Path']} {m['Version']} {m.get('Sum', '')}" for m in unvouched)
        raise GoModuleDownloadError(
            f"{request.description}: no go.sum ({', '.join(request.go_sum_paths) or 'none found'}) "
            f"has the checksum of:\n{listed}\nRun `go mod tidy` in the directory of the go.mod "
            "that requires it (with network access) and commit its go.sum."
        )
    cache = await Get(
        Digest,
        DigestSubset(
            result.output_digest,
            PathGlobs(
                [
                    f"{MODCACHE_DIR}/**",
                    # The build needs the extracted trees and `.mod` files, not the zips.
                    f"!{MODCACHE_DIR}/cache/download/**/*.zip",
                    f"!{MODCACHE_DIR}/**/*.lock",
                ]
            ),
        ),
    )
    return GoModuleCache(cache)


def rules():
    return collect_rules()
