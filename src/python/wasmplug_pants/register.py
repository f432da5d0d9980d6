"""wasmplug's Pants backend: `plugin_proto_library`, `wasm_plugin`, `wasm_go_library`."""

from wasmplug_pants import (
    codegen,
    dependency_inference,
    generator,
    go_inference,
    go_modules,
    go_toolchain,
    go_workspace,
    go_workspace_goal,
    gofmt,
    gotest,
    proto_check,
    proto_clashes,
    publish,
    resource_inference,
    subsystems,
)
from wasmplug_pants import target_types as target_types_module
from wasmplug_pants import (
    wasm_build,
)
from wasmplug_pants.target_types import PluginProtoLibrary, WasmGoLibrary, WasmPlugin


def rules():
    return [
        *target_types_module.rules(),
        *subsystems.rules(),
        *generator.rules(),
        *codegen.rules(),
        *dependency_inference.rules(),
        *go_toolchain.rules(),
        *gofmt.rules(),
        *go_inference.rules(),
        *go_modules.rules(),
        *go_workspace.rules(),
        *gotest.rules(),
        *go_workspace_goal.rules(),
        *wasm_build.rules(),
        *proto_check.rules(),
        *proto_clashes.rules(),
        *resource_inference.rules(),
        *publish.rules(),
    ]


def target_types():
    return [PluginProtoLibrary, WasmPlugin, WasmGoLibrary]
