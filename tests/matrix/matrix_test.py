"""The runtime's own tests (src/python/wasmplug/*_test.py, with the real Go test guests this sandbox
holds) on every CPython the runtime supports and at both ends of the wasmtime and protobuf ranges in
3rdparty/python/requirements.txt (the runtime distribution's Requires-Dist).

Each cell is a venv of a pyenv interpreter with pip installing from PyPI into one shared cache, so a
warm run only unpacks wheels. "oldest" is the range's lower bound exactly; "newest" is the range
itself, so pip picks the newest release it allows. The main suite already runs CPython 3.11 with the
lock's (newest) versions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REQUIREMENTS = Path("3rdparty/python/requirements.txt")
# (CPython, wasmtime end, protobuf end): every Python once, every pair of ends once.
CELLS = [
    ("3.10", "oldest", "oldest"),
    ("3.11", "oldest", "newest"),
    ("3.12", "newest", "oldest"),
    ("3.13", "newest", "newest"),
]
# mypy_test.py type-checks the sources (no interpreter-specific behaviour; main suite only).
SKIP = ["mypy_test.py"]


def _range(name: str) -> tuple[str, str]:
    """(lower bound, full specifier) of `name>=A,<B` in requirements.txt."""
    text = REQUIREMENTS.read_text()
    m = re.search(rf"^{name}>=([\w.]+),<([\w.]+)\s*$", text, re.M)
    assert m, f"{REQUIREMENTS}: expected a line `{name}>=A,<B`"
    return m.group(1), f"{name}>={m.group(1)},<{m.group(2)}"


def _requirement(name: str, end: str) -> str:
    low, spec = _range(name)
    return f"{name}=={low}" if end == "oldest" else spec


def _interpreter(version: str) -> Path:
    root = Path(os.environ.get("PYENV_ROOT") or Path(os.environ["HOME"], ".pyenv"))
    found = sorted(
        (p for p in (root / "versions").glob(f"{version}.*") if (p / "bin/python").is_file()),
        key=lambda p: tuple(int(x) for x in p.name.split(".") if x.isdigit()),
    )
    if not found:
        pytest.fail(
            f"CPython {version} is not installed under {root}/versions (pyenv install {version})"
        )
    return found[-1] / "bin/python"


def _pip_cache() -> Path:
    home = os.environ.get("HOME")
    d = (
        Path(home, ".cache/wasmplug-matrix/pip")
        if home
        else Path(tempfile.gettempdir(), "wasmplug-pip")
    )
    d.mkdir(parents=True, exist_ok=True)
    return d


def _source_roots() -> list[str]:
    """This sandbox's source roots (the runtime, its tests, the built guests and generated messages),
    without the test's own third-party PEX entries."""
    cwd = os.getcwd()
    return [p for p in sys.path if p and os.path.abspath(p).startswith(cwd + os.sep)]


def test_requirements_match_the_bindings() -> None:
    from wasmplug import _native

    assert _range("wasmtime")[1] == _native.REQUIREMENT


def test_oldest_protobuf_loads_the_generated_test_messages() -> None:
    """protobuf refuses gencode newer than its runtime: the lower bound must not be older than the
    protoc that generated the test messages (grpcio-tools from the lock)."""
    from guests.hostreply.proto import hostreply_pb2

    gencode = re.search(
        r"^# Protobuf Python Version: ([\d.]+)$", Path(hostreply_pb2.__file__).read_text(), re.M
    )
    assert gencode, hostreply_pb2.__file__
    low = tuple(int(x) for x in _range("protobuf")[0].split("."))
    assert tuple(int(x) for x in gencode.group(1).split(".")) <= low, (
        f"{hostreply_pb2.__file__} is gencode {gencode.group(1)}; protobuf's lower bound "
        f"{_range('protobuf')[0]} cannot load it"
    )


@pytest.mark.parametrize("python,wasmtime,protobuf", CELLS)
def test_runtime_tests_pass(python: str, wasmtime: str, protobuf: str, tmp_path: Path) -> None:
    interpreter = _interpreter(python)
    venv = tmp_path / "venv"
    subprocess.run([str(interpreter), "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3.*/site-packages"))
    reqs = [
        _requirement("wasmtime", wasmtime),
        _requirement("protobuf", protobuf),
        f"pytest=={pytest.__version__}",
    ]
    home = tmp_path / "home"  # the cell's own: nothing it writes lands in the user's caches
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_ROOT_USER_ACTION": "ignore",
    }
    t0 = time.monotonic()
    subprocess.run(
        [
            str(interpreter),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-input",
            "--only-binary=:all:",
            "--cache-dir",
            str(_pip_cache()),
            "--target",
            str(site),
            *reqs,
        ],
        check=True,
        env=env,
    )
    t1 = time.monotonic()
    runtime = Path("src/python/wasmplug")
    cmd = [
        str(venv / "bin/python"),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--durations=5",
        str(runtime),
    ]
    cmd += [f"--ignore={runtime / s}" for s in SKIP]
    proc = subprocess.run(
        cmd,
        env={**env, "PYTHONPATH": os.pathsep.join(_source_roots())},
        capture_output=True,
        text=True,
        timeout=600,
    )
    versions = subprocess.run(
        [
            str(venv / "bin/python"),
            "-c",
            "import importlib.metadata as m, sys; print(sys.version.split()[0], "
            "*(f'{d}=={m.version(d)}' for d in ('wasmtime', 'protobuf')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"{versions}: pip {t1 - t0:.1f}s, tests {time.monotonic() - t1:.1f}s")
    tail = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, f"{versions}:\n{tail}"
    assert re.search(r"\d+ passed", proc.stdout) and " failed" not in proc.stdout, tail
