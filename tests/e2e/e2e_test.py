"""End to end: a small monorepo using wasmplug, driven by the real `./pants` in a temp dir.

The monorepo (tests/e2e/monorepo; `_BUILD` files become `BUILD`) has two plugin protos, one
importing the other and declaring host functions, a Go library wrapping the host functions
(`wasm_go_library`), two plugins without BUILD files (`tailor` creates them) and a Python test
loading both `.wasm` resources. The runtime, generator and Pants backend come from this repo's
wheels (runtime, generator, backend; built by Pants for the test), unpacked onto the monorepo's `pythonpath`
the way the README tells another repo to vendor it; Pants itself is reused from this repo's
`.pants-bootstrap`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

FIXTURE = Path("tests/e2e/monorepo")


def outer_root() -> Path:
    root = os.environ.get("WASMPLUG_BUILDROOT")
    if not root:
        pytest.skip("WASMPLUG_BUILDROOT is not set (run through `./pants test`)")
    return Path(root)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outer = outer_root()
    repo = tmp_path_factory.mktemp("e2e") / "repo"
    shutil.copytree(FIXTURE, repo)
    for build in repo.rglob("_BUILD"):
        build.rename(build.with_name("BUILD"))
    # This repo's wheel (a runtime_package_dependency): runtime + generator + backend, unpacked like
    # `pip install --no-deps --target`.
    wheels = sorted(Path(".").glob("*.whl"))  # runtime_package_dependencies land at the root
    assert len(wheels) == 3, wheels
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as whl:
            whl.extractall(repo / "src" / "python")
    for name in ("default.lock", "pytest.lock", "requirements.txt"):
        shutil.copy(Path("3rdparty/python") / name, repo / "3rdparty" / "python" / name)
    # The launcher and bootstrap script; Pants' venv and pex are reused via PANTS_BOOTSTRAP_DIR.
    shutil.copy(outer / "pants", repo / "pants")
    (repo / "build-support").mkdir()
    shutil.copy(outer / "build-support" / "bootstrap.sh", repo / "build-support" / "bootstrap.sh")
    return repo


def pants(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "SSL_CERT_FILE", "PYENV_ROOT")
    }
    env["PANTS_BOOTSTRAP_DIR"] = str(outer_root() / ".pants-bootstrap")
    start = time.monotonic()
    proc = subprocess.run(
        ["./pants", "--no-pantsd", "--no-dynamic-ui", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    print(f"./pants {' '.join(args)}: exit {proc.returncode} in {time.monotonic() - start:.1f}s")
    return proc


def check(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-8000:]


def test_tailor_test_package(repo: Path) -> None:
    check(pants(repo, "tailor", "::"))
    assert "plugin_proto_library" in (repo / "src/proto/text/BUILD").read_text()
    assert "plugin_proto_library" in (repo / "src/proto/greeter/BUILD").read_text()
    assert "wasm_plugin" in (repo / "src/go/plugins/upper/BUILD").read_text()
    assert "wasm_plugin" in (repo / "src/go/plugins/hello/BUILD").read_text()

    proc = pants(repo, "test", "::")
    check(proc)
    assert "src/python/app/app_test.py:tests succeeded" in proc.stderr

    check(pants(repo, "package", "::"))
    for name in ("upper", "hello"):
        wasm = repo / "dist" / f"src.go.plugins.{name}" / f"{name}.wasm"
        assert wasm.read_bytes()[:4] == b"\0asm"


def test_go_error_points_at_source(repo: Path) -> None:
    main_go = repo / "src/go/plugins/upper/main.go"
    original = main_go.read_text()
    main_go.write_text(original.replace("strings.ToUpper(t.Value)", "strings.ToUpper(t.Missing)"))
    try:
        proc = pants(repo, "package", "src/go/plugins/upper")
    finally:
        main_go.write_text(original)
    assert proc.returncode != 0
    assert "src/go/plugins/upper/main.go:13:" in proc.stderr
    assert "t.Missing undefined" in proc.stderr
