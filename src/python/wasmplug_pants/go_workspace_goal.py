"""`pants wasm-go-workspace <targets>`: a `go.work` on disk for gopls, `go vet` and `go test`.

Writes `dist/wasm-go-workspace/` with the generated guest SDK modules (`gen/`), the downloaded
third-party modules (`gomodcache/`) and a `go.work` that uses the repo's own plugin and library
directories in place (those with a go.mod; a directory without one is mirrored under `mirror/` by
symlinks next to the go.mod the build would synthesize for it).
"""

from __future__ import annotations

import os

from pants.base.build_environment import get_buildroot
from pants.core.util_rules.distdir import DistDir
from pants.engine.console import Console
from pants.engine.fs import (
    EMPTY_DIGEST,
    AddPrefix,
    CreateDigest,
    Digest,
    DigestSubset,
    FileContent,
    MergeDigests,
    PathGlobs,
    RemovePrefix,
    Workspace,
)
from pants.engine.goal import Goal, GoalSubsystem
from pants.engine.rules import Get, MultiGet, collect_rules, goal_rule
from pants.engine.target import Targets
from pants.util.dirutil import safe_rmtree
from wasmplug_pants.go_modules import MODCACHE_DIR
from wasmplug_pants.go_workspace import (
    GEN_DIR,
    MIN_GO_DIRECTIVE,
    GoWorkspace,
    GoWorkspaceRequest,
    render_go_work,
    synthesized_go_mod,
)
from wasmplug_pants.target_types import WasmGoSourcesField

OUT_SUBDIR = "wasm-go-workspace"


class WasmGoWorkspaceSubsystem(GoalSubsystem):
    name = "wasm-go-workspace"
    help = (
        "Write a go.work with the generated Go modules of the given `wasm_plugin` / "
        "`wasm_go_library` targets to `dist/wasm-go-workspace/`, for gopls and `go vet`."
    )


class WasmGoWorkspaceGoal(Goal):
    subsystem_cls = WasmGoWorkspaceSubsystem
    environment_behavior = Goal.EnvironmentBehavior.LOCAL_ONLY


@goal_rule
async def write_wasm_go_workspace(
    targets: Targets, workspace: Workspace, dist_dir: DistDir, console: Console
) -> WasmGoWorkspaceGoal:
    wasm_targets = [t for t in targets if t.has_field(WasmGoSourcesField)]
    if not wasm_targets:
        console.print_stderr("No wasm_plugin / wasm_go_library targets given.")
        return WasmGoWorkspaceGoal(exit_code=1)
    workspaces = await MultiGet(
        Get(GoWorkspace, GoWorkspaceRequest(t, include_tests=True)) for t in wasm_targets
    )
    out = os.path.join(str(dist_dir.relpath), OUT_SUBDIR)
    root = get_buildroot()
    buildroot_rel = os.path.relpath(root, os.path.join(root, out))

    use: dict[str, str] = {}  # go.work entry -> why
    mirrored: dict[str, str] = {}  # repo dir -> module (needs a mirror: it has no go.mod)
    gen_parts: list[Digest] = []
    cache_parts: list[Digest] = []
    go_version = MIN_GO_DIRECTIVE
    for ws in workspaces:
        for m in ws.module_dirs:
            if m.generated:
                use["./gen/" + m.dir[len(GEN_DIR) + 1 :]] = m.module
            elif m.go_mod_synthesized:
                use["./mirror/" + m.dir] = m.module
                mirrored[m.dir] = m.module
            else:
                use[os.path.join(buildroot_rel, m.dir)] = m.module
        generated = await Get(Digest, DigestSubset(ws.digest, PathGlobs([f"{GEN_DIR}/**"])))
        gen_parts.append(await Get(Digest, RemovePrefix(generated, GEN_DIR)))
        if ws.module_cache != EMPTY_DIGEST:
            cache_parts.append(await Get(Digest, RemovePrefix(ws.module_cache, MODCACHE_DIR)))
        go_version = max(go_version, ws.go_version)

    files = [FileContent("go.work", render_go_work(sorted(use), go_version).encode())]
    files += [
        FileContent(f"mirror/{d}/go.mod", synthesized_go_mod(module))
        for d, module in mirrored.items()
    ]
    gen, cache = await MultiGet(
        Get(Digest, MergeDigests(gen_parts)), Get(Digest, MergeDigests(cache_parts))
    )
    merged = await Get(
        Digest,
        MergeDigests(
            [
                await Get(Digest, CreateDigest(files)),
                await Get(Digest, AddPrefix(gen, "gen")),
                await Get(Digest, AddPrefix(cache, "gomodcache")),
            ]
        ),
    )
    safe_rmtree(os.path.join(root, out))
    workspace.write_digest(merged, path_prefix=out)

    # Symlink the sources of directories without a go.mod, so edits in the repo are what Go sees.
    for d in mirrored:
        for name in sorted(os.listdir(os.path.join(root, d))):
            if name.endswith(".go"):
                link = os.path.join(root, out, "mirror", d, name)
                os.symlink(
                    os.path.relpath(os.path.join(root, d, name), os.path.dirname(link)), link
                )

    console.print_stdout(
        f"Wrote {out}/go.work. For gopls, `go vet` and `go test` (from the build root):"
    )
    env = f"GOWORK=$PWD/{out}/go.work"
    if cache_parts:
        env += f" GOMODCACHE=$PWD/{out}/gomodcache GOPROXY=off"
    for d in sorted(set(m.dir for ws in workspaces for m in ws.module_dirs[:1])):
        where = f"{out}/mirror/{d}" if d in mirrored else d
        console.print_stdout(f"  {env} go vet ./{where}")
    if mirrored:
        console.print_stdout(
            "Directories without a go.mod are mirrored (symlinks) under "
            f"{out}/mirror/: open them there, or give them a go.mod to edit in place."
        )
    return WasmGoWorkspaceGoal(exit_code=0)


def rules():
    return collect_rules()
