"""End to end: the README's "Start a new repo" commands, run as written in an empty directory.

The commands are every `sh` block of that README section before its first subheading, in order (so the test follows the README
when it changes); only the line `WHEELS=...` is pointed at the wheels Pants built for this test
(the `runtime_package_dependencies`). Nothing else of this repo is used: no lockfile, no source, no
BUILD file. Pants' own bootstrap (venv + pex) is shared through PANTS_BOOTSTRAP_DIR to save a
minute; the new repo's ./pants and build-support/bootstrap.sh still run.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

SECTION = "## Start a new repo"
# The section's commands end at its first subheading (what follows is reference, not steps).
HEADING = re.compile(r"^#{2,3} ", re.M)
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.S | re.M)
WHEELS_LINE = re.compile(r"^WHEELS=.*$", re.M)
ENV = ("PATH", "HOME", "SSL_CERT_FILE", "PYENV_ROOT")


def outer_root() -> Path:
    root = os.environ.get("WASMPLUG_BUILDROOT")
    if not root:
        pytest.skip("WASMPLUG_BUILDROOT is not set (run through `./pants test`)")
    return Path(root)


def readme_commands(readme: str) -> str:
    """The section's `sh` blocks, joined: the commands a user copies, in order."""
    start = readme.index(f"\n{SECTION}\n") + len(SECTION) + 2
    end = HEADING.search(readme, start)
    blocks = SH_BLOCK.findall(readme[start : end.start() if end else None])
    assert blocks, f"no sh blocks under {SECTION!r} in README.md"
    script = "".join(blocks)
    assert len(WHEELS_LINE.findall(script)) == 1, "the section must set WHEELS= exactly once"
    return script


def built_wheels() -> Path:
    wheels = {w.name.split("-")[0]: w for w in Path(".").glob("*.whl")}  # at the sandbox root
    assert set(wheels) == {"wasmplug", "wasmplug_codegen", "pants_backend_wasmplug"}, wheels
    (directory,) = {w.parent.resolve() for w in wheels.values()}
    return directory


def env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ENV}
    env["PANTS_BOOTSTRAP_DIR"] = str(outer_root() / ".pants-bootstrap")
    # No daemon left behind in a temp dir (and none to wait for on a loaded machine).
    env["PANTS_PANTSD"] = "false"
    return env


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    script = readme_commands((outer_root() / "README.md").read_text())
    script = WHEELS_LINE.sub(f"WHEELS={built_wheels()}", script)
    repo = tmp_path_factory.mktemp("new-repo")
    start = time.monotonic()
    proc = subprocess.run(
        ["bash", "-euxo", "pipefail", "-c", "PS4='+ [${SECONDS}s] '\n" + script],
        cwd=repo,
        env=env(),
        capture_output=True,
        text=True,
        timeout=1500,
    )
    print(f"README commands: exit {proc.returncode} in {time.monotonic() - start:.0f}s")
    print("\n".join(line for line in proc.stderr.splitlines() if line.startswith("+ [")))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-12000:]
    return repo


def test_the_layout(repo: Path) -> None:
    for path in ["pants.toml", "BUILD", "build-support", "src/python", "src/proto"]:
        assert (repo / path).exists(), path
    for path in ["src/go/plugins", "3rdparty", "tests"]:
        assert (repo / path).is_dir(), path
    pants_toml = (repo / "pants.toml").read_text()
    assert 'plugins = ["pants-backend-wasmplug==' in pants_toml
    assert "pythonpath" not in pants_toml


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
