"""The checked-in golden output and Go WKT packages match what the generator produces now.

Regenerate with ``PYTHONPATH=src/python python -m wasmplug_codegen.regen_golden``.
"""

from __future__ import annotations

import difflib

from wasmplug_codegen import protoc, regen_golden

REGEN = "PYTHONPATH=src/python python -m wasmplug_codegen.regen_golden"


def _assert_same(want: dict, have: dict, what: str) -> None:
    missing = sorted(set(want) - set(have))
    extra = sorted(set(have) - set(want))
    assert (
        not missing and not extra
    ), f"{what} is stale (missing {missing}, extra {extra}); run {REGEN}"
    for name in sorted(want):
        if want[name] != have[name]:
            diff = "".join(
                difflib.unified_diff(
                    have[name].splitlines(True),
                    want[name].splitlines(True),
                    name,
                    name + " (now)",
                    n=2,
                )
            )
            raise AssertionError(f"{what}/{name} is stale; run {REGEN}\n{diff[:4000]}")


def test_golden_files_are_fresh() -> None:
    _assert_same(
        regen_golden.golden(), protoc.read_tree(regen_golden.GOLDEN_DIR), "testdata/golden"
    )


def test_wkt_packages_are_fresh() -> None:
    _assert_same(regen_golden.wkt(), regen_golden.existing_wkt(), "guest/wkt")


def test_golden_covers_every_output_kind() -> None:
    files = protoc.read_tree(regen_golden.GOLDEN_DIR)
    for name in [
        "greeting/greeting_wasmplug.py",
        "wasmplug.example/greeting/greeting.pb.go",
        "wasmplug.example/greeting/greeting_plugin.pb.go",
        "wasmplug.example/greeting/greeting_plugin_native.pb.go",  # go test / vet outside wasm
        "wasmplug.example/greeting/go.mod",
        "hostfns/hostfns_wasmplug.py",
        "wasmplug.test/conformance/conformance.pb.go",
        "wasmplug.test/multi/common/common.pb.go",  # no services: messages only, no Python SDK
        "wasmplug.gen/multi/app/app_plugin.pb.go",  # no go_package: default import path
    ]:
        assert name in files, name
    assert "multi/common/common_wasmplug.py" not in files
