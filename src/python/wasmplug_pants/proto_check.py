"""`./pants check` runs protoc + protoc-gen-wasmplug on every `plugin_proto_library`.

Codegen otherwise only runs for protos something depends on, so an unused proto with a syntax
error, a streaming rpc or a clashing name would go unnoticed until its first user. Both outputs
are generated (Python host SDK and Go guest SDK), as the generator checks some things per language.
A protobuf symbol that another target of the same Python resolve also defines fails it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from pants.core.goals.check import CheckRequest, CheckResult, CheckResults
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import FieldSet, WrappedTarget, WrappedTargetRequest
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel
from wasmplug_pants.codegen import FallibleProtocOutput, RunProtocRequest
from wasmplug_pants.proto_clashes import ProtoSymbolClashes
from wasmplug_pants.target_types import PluginProtoSourcesField

LANGS = ("python", "go")


@dataclass(frozen=True)
class PluginProtoCheckFieldSet(FieldSet):
    required_fields = (PluginProtoSourcesField,)

    sources: PluginProtoSourcesField


class PluginProtoCheckRequest(CheckRequest):
    field_set_type = PluginProtoCheckFieldSet
    tool_name = "wasmplug-codegen"


@rule(desc="Check plugin_proto_library targets with protoc-gen-wasmplug", level=LogLevel.DEBUG)
async def check_plugin_protos(
    request: PluginProtoCheckRequest, clashes: ProtoSymbolClashes
) -> CheckResults:
    wrapped = await MultiGet(
        Get(
            WrappedTarget,
            WrappedTargetRequest(fs.address, description_of_origin="wasmplug-codegen check"),
        )
        for fs in request.field_sets
    )
    outputs = await MultiGet(
        Get(FallibleProtocOutput, RunProtocRequest(w.target, lang))
        for w in wrapped
        for lang in LANGS
    )
    errors = [out.error for out in outputs if out.error]
    errors += clashes.involving({fs.address for fs in request.field_sets})
    return CheckResults(
        [
            CheckResult(
                exit_code=1 if errors else 0,
                stdout="",
                stderr="\n\n".join(errors) + ("\n" if errors else ""),
            )
        ],
        checker_name=PluginProtoCheckRequest.tool_name,
    )


def rules():
    return [*collect_rules(), UnionRule(CheckRequest, PluginProtoCheckRequest)]
