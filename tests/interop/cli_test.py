"""`wasmplug inspect` and `wasmplug call` on a guest built with go-plugin's own SDK (no descriptors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from interop import builders
from wasmplug_codegen.cli import main


@pytest.fixture(scope="module")
def go_plugin_morning(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "plugin-morning.wasm"
    return builders.build_go_plugin_example("plugin-morning", out)


def wasmplug(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_inspect_says_no_descriptors(
    go_plugin_morning: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = wasmplug(capsys, "inspect", str(go_plugin_morning))
    assert code == 0
    lines = out.splitlines()
    assert "ABI: go-plugin" in lines
    assert "services: unknown, no descriptors (built without wasmplug's guest SDK)" in lines
    assert "  API version exports: greeter_api_version" in lines
    assert "  greeter_greet: func(i32, i32) -> (i64)" in lines
    code, out, _ = wasmplug(capsys, "inspect", "--json", str(go_plugin_morning))
    info = json.loads(out)
    assert (info["abi"], info["descriptors"], info["services"]) == ("go-plugin", False, [])


def test_call_needs_then_uses_proto(
    go_plugin_morning: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = wasmplug(capsys, "call", str(go_plugin_morning), "Greeter.Greet", "{}")
    assert code == 1 and "has no descriptors" in err and "--proto" in err
    include = builders.go_plugin_dir() / builders.HELLOWORLD_INCLUDE
    code, out, err = wasmplug(
        capsys,
        "call",
        str(go_plugin_morning),
        "Greeter.Greet",
        '{"name": "Ada"}',
        "--proto",
        builders.HELLOWORLD_PROTO,
        "-I",
        str(include),
    )
    assert code == 0, err
    assert json.loads(out) == {"message": "Good morning, Ada"}
