"""End to end: the README's "Start a new repo" commands, run as written in an empty directory.

The commands are every `sh` block of that README section before its first subheading, in order (so the test follows the README
when it changes); only the line `WHEELS=...` is pointed at the wheels Pants built for this test
(the `runtime_package_dependencies`), and `REGISTRY=...` at a real registry on 127.0.0.1. Nothing
else of this repo is used: no lockfile, no source, no BUILD file. Pants' own bootstrap (venv + pex)
is shared through PANTS_BOOTSTRAP_DIR to save a minute; the new repo's ./pants and
build-support/bootstrap.sh still run.

The section's last block publishes the plugin; the `repo` fixture runs the blocks before it, and
`test_publish` runs it in two steps to look at the registry after the dry run. The new repo's Pants
has a store of its own (see `env`), so the backend it loads is the wheel built for this run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from oci.registry import Registry

SECTION = "## Start a new repo"
# The section's commands end at its first subheading (what follows is reference, not steps).
HEADING = re.compile(r"^#{2,3} ", re.M)
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.S | re.M)
WHEELS_LINE = re.compile(r"^WHEELS=.*$", re.M)
REGISTRY_LINE = re.compile(r"^REGISTRY=.*$", re.M)
PUBLISH = "./pants publish"
DRY_RUN = re.compile(r"^\./pants publish --wasmplug-oci-dry-run .*\n", re.M)
ENV = ("PATH", "HOME", "SSL_CERT_FILE", "PYENV_ROOT")


def outer_root() -> Path:
    root = os.environ.get("WASMPLUG_BUILDROOT")
    if not root:
        pytest.skip("WASMPLUG_BUILDROOT is not set (run through `./pants test`)")
    return Path(root)


def readme_blocks() -> list[str]:
    """The section's `sh` blocks: the commands a user copies, in order."""
    readme = (outer_root() / "README.md").read_text()
    start = readme.index(f"\n{SECTION}\n") + len(SECTION) + 2
    end = HEADING.search(readme, start)
    blocks: list[str] = SH_BLOCK.findall(readme[start : end.start() if end else None])
    assert blocks, f"no sh blocks under {SECTION!r} in README.md"
    *setup, publish = blocks
    assert PUBLISH in publish and not any(PUBLISH in b for b in setup), "publish is the last block"
    return blocks


def setup_commands() -> str:
    script = "".join(readme_blocks()[:-1])
    assert len(WHEELS_LINE.findall(script)) == 1, "the section must set WHEELS= exactly once"
    return WHEELS_LINE.sub(f"WHEELS={built_wheels()}", script)


def publish_commands(registry: str) -> tuple[str, str]:
    """The publish block up to its dry run, and the rest (REGISTRY= set in both)."""
    block = readme_blocks()[-1]
    assert len(REGISTRY_LINE.findall(block)) == 1, "the publish block must set REGISTRY= once"
    block = REGISTRY_LINE.sub(f"REGISTRY={registry}", block)
    dry_run = DRY_RUN.search(block)
    assert dry_run, "the publish block must have a `./pants publish --wasmplug-oci-dry-run` line"
    return block[: dry_run.end()], f"REGISTRY={registry}\n{block[dry_run.end() :]}"


def built_wheels() -> Path:
    wheels = {w.name.split("-")[0]: w for w in Path(".").glob("*.whl")}  # at the sandbox root
    assert set(wheels) == {"wasmplug", "wasmplug_codegen", "pants_backend_wasmplug"}, wheels
    (directory,) = {w.parent.resolve() for w in wheels.values()}
    return directory


def env(store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ENV}
    env["PANTS_BOOTSTRAP_DIR"] = str(outer_root() / ".pants-bootstrap")
    # No daemon left behind in a temp dir (and none to wait for on a loaded machine).
    env["PANTS_PANTSD"] = "false"
    # A store of its own: Pants caches the process that resolves `[GLOBAL].plugins` by its command
    # line (`pants-backend-wasmplug==0.2.0`, the find-links directory), not by the wheel's bytes. With
    # the shared store, a new repo at a path used before loaded an earlier run's backend (a dry run
    # broken to push did not push). The named caches (pex's, keyed by content; Go's) stay shared.
    env["PANTS_LOCAL_STORE_DIR"] = str(store)
    return env


def bash(script: str, cwd: Path, store: Path) -> subprocess.CompletedProcess[str]:
    start = time.monotonic()
    proc = subprocess.run(
        ["bash", "-euxo", "pipefail", "-c", "PS4='+ [${SECONDS}s] '\n" + script],
        cwd=cwd,
        env=env(store),
        capture_output=True,
        text=True,
        timeout=1500,
    )
    print(f"README commands: exit {proc.returncode} in {time.monotonic() - start:.0f}s")
    print("\n".join(line for line in proc.stderr.splitlines() if line.startswith("+ [")))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-12000:]
    return proc


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pants-store")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, store: Path) -> Path:
    repo = tmp_path_factory.mktemp("new-repo")
    bash(setup_commands(), repo, store)
    return repo


def test_the_layout(repo: Path) -> None:
    for path in ["pants.toml", "BUILD", "build-support", "src/python", "src/proto"]:
        assert (repo / path).exists(), path
    for path in ["src/go/plugins", "3rdparty", "tests"]:
        assert (repo / path).is_dir(), path
    pants_toml = (repo / "pants.toml").read_text()
    assert 'plugins = ["pants-backend-wasmplug==' in pants_toml
    assert "pythonpath" not in pants_toml


def test_the_wheels_are_those_under_test(repo: Path) -> None:
    copied = {w.name: w.read_bytes() for w in (repo / "3rdparty/wheels").glob("*.whl")}
    assert copied == {w.name: w.read_bytes() for w in built_wheels().glob("*.whl")}


def test_the_lockfile_is_portable(repo: Path) -> None:
    lock = (repo / "3rdparty/python/default.lock").read_text()
    assert "file://${WASMPLUG_WHEELS}/wasmplug-" in lock
    assert str(repo) not in lock and str(built_wheels()) not in lock


def test_package_built_the_plugin_and_a_working_host(repo: Path) -> None:
    wasm = repo / "dist/src.go.plugins.hello/hello.wasm"
    assert wasm.read_bytes()[:4] == b"\0asm"
    host = subprocess.run(
        ["python3", str(repo / "dist/src.python.app/main.pex"), "Ada"],
        env={k: v for k, v in os.environ.items() if k in ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (host.returncode, host.stdout) == (0, "Hello, Ada!\n"), host.stderr


def test_publish(repo: Path, store: Path, tmp_path: Path) -> None:
    """The dry run pushes nothing; the real run pushes what `./pants package` wrote, annotated."""
    wasm = (repo / "dist/src.go.plugins.hello/hello.wasm").read_bytes()
    with Registry(tmp_path / "registry") as registry:
        dry_run, publish = publish_commands(registry.host)
        out = bash(dry_run, repo, store).stderr
        assert registry.repositories() == [], "the dry run pushed"
        # Pants lists each reference: `- 127.0.0.1:PORT/plugins/hello:v1 skipped (dry run: ...)`.
        host = re.escape(registry.host)
        would_push = re.findall(rf"{host}/(\S+):(\S+) skipped \(dry run", out)

        out = bash(publish, repo, store).stderr
        pushed = re.findall(rf"{host}/(\S+):(\S+) published to", out)
        assert pushed and pushed == would_push, out[-4000:]
        for repository, tag in pushed:
            manifest = registry.manifest(repository, tag)
            assert manifest is not None, f"not pushed: {repository}:{tag}"
            (layer,) = manifest["layers"]
            assert registry.blob(repository, layer["digest"]) == wasm
            services = json.loads(manifest["annotations"]["dev.wasmplug.services"])
            assert services["greeting.Greeter"] == {"kind": "plugin", "version": 1}
