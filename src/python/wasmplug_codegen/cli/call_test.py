from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from wasmplug_codegen.cli.conftest import Run, json_out, plugin


def test_call_morning_and_evening(wasmplug: Run) -> None:
    for name, greeting in (("morning", "Good morning"), ("evening", "Good evening")):
        reply = json_out(wasmplug("call", plugin(name), "Greeter.SayHello", '{"name": "Ada"}'))
        assert reply == {"message": f"{greeting}, Ada"}


def test_call_full_and_export_names_and_request_file(wasmplug: Run, tmp_path: Path) -> None:
    request = tmp_path / "req.json"
    request.write_text(json.dumps({"name": "Grace"}))
    for method in ("greeting.Greeter.SayHello", "greeter_say_hello"):
        reply = json_out(wasmplug("call", plugin("morning"), method, f"@{request}"))
        assert reply == {"message": "Good morning, Grace"}


def test_call_limits_and_preopens_reach_the_runtime(wasmplug: Run, tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hi there")
    code, out, err = wasmplug(
        "call",
        plugin("wasi"),
        "Files.ReadFile",
        '{"path": "/data/hello.txt"}',
        "--preopen",
        f"{tmp_path}:/data",
        "--timeout",
        "30",
        "--memory-limit",
        "256M",
    )
    assert code == 0, err
    assert json.loads(out) == {"content": base64.b64encode(b"hi there").decode()}
    assert "plugin: reading /data/hello.txt" in err  # the plugin's stdout goes to stderr
    code, _, err = wasmplug("call", plugin("wasi"), "Files.ReadFile", '{"path": "/data/hello.txt"}')
    assert code == 1 and "returned an error" in err  # no preopen: the plugin cannot see /data


def test_call_limits_stop_the_plugin(wasmplug: Run) -> None:
    code, _, err = wasmplug("call", plugin("limits"), "Worker.Spin", "{}", "--timeout", "0.5")
    assert code == 1 and "DeadlineExceeded" in err, err
    code, _, err = wasmplug("call", plugin("limits"), "Worker.Hoard", "{}", "--memory-limit", "64M")
    assert code == 1 and "MemoryLimitError" in err, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["Greeter.SayHi", "{}"],
            "has no method 'Greeter.SayHi'; its methods: greeting.Greeter.SayHello",
        ),
        (
            ["Greeter.SayHello", '{"name": '],
            "the request is not JSON: Expecting value at line 1 column 10",
        ),
        (["Greeter.SayHello", '{"nam": "x"}'], 'greeting.GreetRequest" has no field named "nam"'),
        (["Greeter.SayHello", '{"name": 3}'], "the request is not a greeting.GreetRequest"),
        (["Greeter.SayHello", "@/no/such.json"], "cannot read the request from /no/such.json"),
    ],
)
def test_call_errors(wasmplug: Run, args: list[str], message: str) -> None:
    code, out, err = wasmplug("call", plugin("morning"), *args)
    assert (code, out) == (1, "")
    assert message in err


def test_call_refuses_host_functions(wasmplug: Run) -> None:
    code, _, err = wasmplug("call", plugin("host_functions"), "Greeter.Greet", "{}")
    assert code == 1
    assert "imports host functions (env.http_get, env.log)" in err
    assert "cannot provide host functions" in err


def test_call_missing_file(wasmplug: Run) -> None:
    code, _, err = wasmplug("call", "missing.wasm", "Greeter.SayHello")
    assert (code, err) == (1, "wasmplug call: missing.wasm: no such file\n")


def test_call_says_when_loading_takes_long(wasmplug: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from wasmplug_codegen.cli import call

    monkeypatch.setattr(call, "COLD_COMPILE_NOTICE_AFTER", 0.0)  # every load counts as long
    code, out, err = wasmplug("call", plugin("morning"), "Greeter.SayHello", '{"name": "Ada"}')
    assert code == 0 and json.loads(out) == {"message": "Good morning, Ada"}
    assert re.search(
        r"wasmplug call: compiling .*morning\.wasm \(\d+ KiB; cached for next time\)", err
    )
    assert re.search(r"wasmplug call: done in \d+\.\d s", err)
