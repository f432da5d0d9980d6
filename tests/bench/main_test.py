"""Smoke test of the benchmark entry point: a --quick run writes a record with numbers for every case.

No timing assertions: the numbers of a --quick run are meaningless (a handful of iterations).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from bench import codec_bench, main


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0


def test_quick_run_writes_every_case(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    assert main.main(["--quick", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    cases = {c["name"]: c for c in data["cases"]}
    assert list(cases) == [name for name, *_ in main.CASES]
    go_plugin_ran = main.GOPLUGIN not in data["meta"]["unavailable"]
    for name, case in cases.items():
        if name == "small_rpc_same_wasm" and not go_plugin_ran:
            continue  # runs on go-plugin's Greeter wasm, which needs the Go peers
        assert _number(case["ours"]), (name, case)
        assert set(case["peers"]) == set(main.PEERS)
        assert all(v is None or _number(v) for v in case["peers"].values()), (name, case["peers"])
        assert case["met"] in (True, False, None)
    # Naive wasmtime-py needs nothing but the wheel: it runs every case but the cached load.
    for name, case in cases.items():
        if name not in ("load_cached",) and (name != "small_rpc_same_wasm" or go_plugin_ran):
            assert _number(case["peers"][main.NAIVE]), name
    for name in (
        "scalar_call",
        "small_rpc",
        "echo_1MiB",
        "host_function",
        "load_cached",
        "first_call_process",
        "rss_idle_instance",
        "threads_compute",
    ):
        assert cases[name]["target"] and cases[name]["met"] in (True, False), name
    # The codec cases: ours and upb always, go-plugin's codec when the Go peers could be built.
    codec = {c["name"]: c for c in data["codec"]}
    assert list(codec) == [name for name, *_ in codec_bench.CASES]
    goplugin_codec_ran = codec_bench.GOPLUGIN not in data["meta"]["unavailable"]
    for name, case in codec.items():
        assert case["size"] > 0, name
        assert _number(case["us"][codec_bench.OURS]) and _number(case["us"][codec_bench.UPB]), name
        assert _number(case["us"][codec_bench.GOPLUGIN]) == goplugin_codec_ran, name


def test_reliability_only_writes_the_reliability_rows(tmp_path: Path) -> None:
    from bench import reliability_bench

    out = tmp_path / "bench.json"
    assert main.main(["--quick", "--reliability-only", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["cases"] == [] and data["codec"] == []
    rows = {r["name"]: r for r in data["reliability"]}
    assert list(rows) == [
        *(f"deadline_overshoot_busy{n}" for n in reliability_bench.BUSY),
        "pool_wait_t4_i1",
        "pool_wait_t4_i2",
    ]
    for name, row in rows.items():
        assert row["values"] and all(
            isinstance(v, float) and math.isfinite(v) for v in row["values"].values()
        ), name
    assert rows["deadline_overshoot_busy8"]["detail"]["ticker"] == "posix-timer"
