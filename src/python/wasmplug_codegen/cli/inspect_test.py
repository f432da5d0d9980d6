from __future__ import annotations

import hashlib

from wasmplug_codegen.cli.conftest import Run, json_out, plugin


def test_inspect_morning(wasmplug: Run) -> None:
    wasm = plugin("morning")
    info = json_out(wasmplug("inspect", wasm, "--json"))
    assert info["size"] == wasm.stat().st_size
    assert info["sha256"] == hashlib.sha256(wasm.read_bytes()).hexdigest()
    assert info["abi"] == "wasmplug 2" and info["sdk"] == "wasmplug-codegen 0.2.0"
    assert info["protos"] == ["greeting/greeting.proto"]
    assert info["services"] == [
        {
            "name": "greeting.Greeter",
            "kind": "plugin",
            "api_version": 1,
            "module": None,
            "proto": "greeting/greeting.proto",
            "methods": [
                {
                    "name": "SayHello",
                    "request": "greeting.GreetRequest",
                    "reply": "greeting.GreetReply",
                    "export": "greeter_say_hello",
                    "present": True,
                }
            ],
        }
    ]
    exports = {e["name"]: e["signature"] for e in info["exports"]}
    assert exports["greeter_say_hello"] == "func(i32, i32) -> (i64)"
    assert exports["greeter_api_version"] == "func() -> (i64)"
    assert exports["wasmplug_abi"] == "func() -> (i32)"
    assert info["memory"]["min_pages"] > 0 and info["memory"]["max_pages"] is None
    assert info["host_functions"] == []
    assert {i["module"] for i in info["imports"]} == {"wasi_snapshot_preview1"}


def test_inspect_host_functions_text(wasmplug: Run) -> None:
    code, out, _ = wasmplug("inspect", plugin("host_functions"))
    assert code == 0
    lines = out.splitlines()
    assert "plugin service host_functions.Greeter (API version 1)" in lines
    assert "host service host_functions.HostFunctions (wasm module 'env')" in lines
    assert "host functions: env.http_get, env.log" in lines
    assert "  greeter_greet: func(i32, i32) -> (i64)" in lines


def test_inspect_evening_differs_only_in_bytes(wasmplug: Run) -> None:
    morning = json_out(wasmplug("inspect", plugin("morning"), "--json"))
    evening = json_out(wasmplug("inspect", plugin("evening"), "--json"))
    assert morning["services"] == evening["services"]
    assert morning["sha256"] != evening["sha256"]


def test_inspect_errors(wasmplug: Run, tmp_path: object) -> None:
    code, _, err = wasmplug("inspect", "no/such.wasm")
    assert (code, err) == (1, "wasmplug inspect: no/such.wasm: no such file\n")
    code, _, err = wasmplug("inspect", __file__)
    assert code == 1 and "not a wasm 1.0 binary module" in err
