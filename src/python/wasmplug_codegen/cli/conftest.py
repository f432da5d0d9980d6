"""Real plugins built by this repo's wasm_plugin targets (resources of the tests), and a runner."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path
from typing import Any, Callable, Tuple

import pytest
from wasmplug_codegen.cli import main


def plugin(name: str) -> Path:
    return Path(str(importlib.resources.files(f"plugins.{name}") / f"{name}.wasm"))


Run = Callable[..., Tuple[int, str, str]]


@pytest.fixture
def wasmplug(capsys: pytest.CaptureFixture[str]) -> Run:
    """`wasmplug ARGS...` in this process: (exit code, stdout, stderr)."""

    def run(*args: str) -> Tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def json_out(result: Tuple[int, str, str]) -> Any:
    code, out, err = result
    assert code == 0, err
    return json.loads(out)
