"""`pants test` of the `*_test.go` files of a `wasm_plugin` / `wasm_go_library`.

They run natively (`go test` for the machine's GOOS/GOARCH) in the target's Go workspace: unit
tests need no wasm runtime, and the generated guest SDK has a native build in which `Register*`
works and host-function clients return an error, so plugin code compiles unchanged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from pants.core.goals.test import TestFieldSet, TestRequest, TestResult, TestSubsystem
from pants.engine.fs import Digest, MergeDigests
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.target import (
    HydratedSources,
    HydrateSourcesRequest,
    WrappedTarget,
    WrappedTargetRequest,
)
from pants.option.option_types import ArgsListOption, SkipOption
from pants.option.subsystem import Subsystem
from pants.util.logging import LogLevel
from wasmplug_pants.go_toolchain import GoToolchain
from wasmplug_pants.go_workspace import (
    GoWorkspace,
    GoWorkspaceRequest,
    explain_missing_modules,
    go_cache_append_only,
    hermetic_go_env,
    target_kind,
)
from wasmplug_pants.target_types import WasmGoSourcesField
from wasmplug_pants.wasm_build import clean_go_output


class WasmplugGoTest(Subsystem):
    options_scope = "wasmplug-go-test"
    name = "go test (wasm_plugin / wasm_go_library)"
    help = "Run the `*_test.go` files of `wasm_plugin` and `wasm_go_library` targets natively."

    skip = SkipOption("test")
    args = ArgsListOption(example="-run TestGreet -v", passthrough=True)


@dataclass(frozen=True)
class WasmGoTestFieldSet(TestFieldSet):
    required_fields = (WasmGoSourcesField,)

    sources: WasmGoSourcesField


class WasmGoTestRequest(TestRequest):
    tool_subsystem = WasmplugGoTest
    field_set_type = WasmGoTestFieldSet


@rule(desc="Test a wasm_plugin / wasm_go_library with go test", level=LogLevel.DEBUG)
async def run_wasm_go_tests(
    batch: WasmGoTestRequest.Batch[WasmGoTestFieldSet, Any],
    test_subsystem: TestSubsystem,
    go_test: WasmplugGoTest,
    go: GoToolchain,
) -> TestResult:
    field_set = batch.single_element
    address = field_set.address
    sources = await Get(HydratedSources, HydrateSourcesRequest(field_set.sources))
    if not any(f.endswith("_test.go") for f in sources.snapshot.files):
        return TestResult.no_tests_found(address, output_setting=test_subsystem.output)
    wrapped = await Get(
        WrappedTarget, WrappedTargetRequest(address, description_of_origin="<wasm go test>")
    )
    ws = await Get(GoWorkspace, GoWorkspaceRequest(wrapped.target, include_tests=True))
    input_digest = await Get(Digest, MergeDigests([ws.digest, go.digest]))
    result = await Get(
        FallibleProcessResult,
        Process(
            # -count=1: Pants caches the result; Go's own test cache would only hide the run.
            (go.argv0, "test", "-C", ws.main_dir or ".", "-count=1", *go_test.args, "."),
            description=f"go test {address}",
            level=LogLevel.DEBUG,
            input_digest=input_digest,
            append_only_caches=go_cache_append_only(go),
            env=hermetic_go_env(go),
        ),
    )
    if result.exit_code != 0:
        kind = target_kind(wrapped.target)

        def explain(out: bytes) -> bytes:
            text = clean_go_output(out.decode("utf-8", "replace"), ws.main_dir)
            return explain_missing_modules(text, kind, address, ws).encode()

        result = dataclasses.replace(
            result, stdout=explain(result.stdout), stderr=explain(result.stderr)
        )
    return TestResult.from_fallible_process_result(
        result, address=address, output_setting=test_subsystem.output
    )


def rules():
    return [*collect_rules(), *WasmGoTestRequest.rules()]
