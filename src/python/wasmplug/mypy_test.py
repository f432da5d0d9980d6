"""The runtime passes `mypy --strict` (the generator in codegen/ is checked on its own)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import wasmplug


def test_mypy_strict() -> None:
    pkg = Path(wasmplug.__file__).parent
    files = sorted(
        str(f)
        for f in pkg.glob("*.py")
        if not f.name.endswith("_test.py") and f.name != "conftest.py"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--follow-imports=silent",
            "--python-version=3.11",
            *files,
        ],
        capture_output=True,
        text=True,
        cwd=pkg.parent,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success" in proc.stdout
