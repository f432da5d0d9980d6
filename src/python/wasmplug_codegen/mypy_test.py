"""The generated Python host SDK passes ``mypy --strict`` (against protoc's ``.pyi`` message stubs
and the wasmplug runtime's own annotations)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from wasmplug_codegen import protoc, regen_golden


def test_generated_python_passes_mypy_strict() -> None:
    with tempfile.TemporaryDirectory() as out:
        r = protoc.run(
            regen_golden.golden_protos(),
            [regen_golden.PROTO_DIR],
            out,
            options="lang=python",
            python_out=True,
        )
        assert r.returncode == 0, r.stderr
        sdks = sorted(
            os.path.join(d, n)
            for d, _, names in os.walk(out)
            for n in names
            if n.endswith("_wasmplug.py")
        )
        assert len(sdks) == 5
        env = dict(os.environ, MYPYPATH=os.pathsep.join([out, protoc.SRC_ROOT]))
        r2 = subprocess.run(
            [
                sys.executable,
                "-m",
                "mypy",
                "--strict",
                "--follow-imports=silent",
                "--no-incremental",
                "--python-version=3.11",
                *sdks,
            ],
            capture_output=True,
            text=True,
            cwd=out,
            env=env,
        )
        # protoc's own .pyi stubs have strict-mode findings (bare Mapping); only ours must be clean.
        ours = [ln for ln in r2.stdout.splitlines() if "_wasmplug.py:" in ln]
        assert not ours and ("Success" in r2.stdout or "Found" in r2.stdout), r2.stdout + r2.stderr
