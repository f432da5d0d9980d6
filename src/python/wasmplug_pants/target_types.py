"""Target types: `plugin_proto_library` and `wasm_plugin`."""

from __future__ import annotations

from pants.backend.python.target_types import PythonResolveField
from pants.core.goals.package import OutputPathField
from pants.engine.rules import collect_rules, rule
from pants.engine.target import (
    COMMON_TARGET_FIELDS,
    AllTargets,
    BoolField,
    Dependencies,
    MultipleSourcesField,
    StringField,
    StringSequenceField,
    Target,
    Targets,
    generate_multiple_sources_field_help_message,
)
from pants.util.logging import LogLevel
from pants.util.strutil import help_text

# -----------------------------------------------------------------------------------------------
# `plugin_proto_library`
# -----------------------------------------------------------------------------------------------


class PluginProtoSourcesField(MultipleSourcesField):
    default = ("*.proto",)
    expected_file_extensions = (".proto",)
    help = generate_multiple_sources_field_help_message(
        "Example: `sources=['greeting.proto', '!old_*.proto']`"
    )


class PluginProtoDependenciesField(Dependencies):
    help = help_text("""
        Addresses of other `plugin_proto_library` targets whose `.proto` files these import.
        Imports of `.proto` files owned by other `plugin_proto_library` targets are also inferred.
        """)


class PluginProtoGoPackageField(StringField):
    alias = "go_package"
    help = help_text("""
        The Go import path of the generated guest SDK for every `.proto` file of this target,
        overriding the files' own `option go_package`. If neither is set, the generator uses
        `wasmplug.gen/<directory of the .proto>`.
        """)


class PluginProtoPythonResolveField(PythonResolveField):
    alias = "python_resolve"


class PluginProtoLibrary(Target):
    alias = "plugin_proto_library"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        PluginProtoSourcesField,
        PluginProtoDependenciesField,
        PluginProtoGoPackageField,
        PluginProtoPythonResolveField,
    )
    help = help_text("""
        Protobuf files that define wasmplug plugin interfaces (services annotated with
        `// go:plugin type=plugin` / `// go:plugin type=host`).

        Python code importing `<pkg>.<name>_pb2` or `<pkg>.<name>_wasmplug` gets the generated
        protobuf classes and typed host SDK (under the proto source root); `wasm_plugin` targets
        depending on it get the generated Go guest SDK.
        """)


class AllPluginProtoTargets(Targets):
    pass


@rule(desc="Find all plugin_proto_library targets", level=LogLevel.DEBUG)
def find_all_plugin_proto_targets(targets: AllTargets) -> AllPluginProtoTargets:
    return AllPluginProtoTargets(t for t in targets if t.has_field(PluginProtoSourcesField))


class GoGeneratedSourcesField(MultipleSourcesField):
    """Codegen output type for the Go guest SDK (never set on a target; only generated)."""

    alias = "_go_generated_sources"
    expected_num_files = 0
    uses_source_roots = False


# -----------------------------------------------------------------------------------------------
# `wasm_plugin`
# -----------------------------------------------------------------------------------------------


class WasmGoSourcesField(MultipleSourcesField):
    """The sources of a `wasm_plugin` or `wasm_go_library`: one Go package, its tests, go.mod/go.sum."""

    default = ("*.go", "go.mod", "go.sum")
    expected_file_extensions = (".go", ".mod", ".sum")


class WasmPluginSourcesField(WasmGoSourcesField):
    help = generate_multiple_sources_field_help_message(
        "The Go files of the plugin's `main` package, its `*_test.go` files (run natively by "
        "`pants test`, not built into the `.wasm`) and its `go.mod`/`go.sum`, if it has them. "
        "Example: `sources=['*.go', '!legacy_*.go']`"
    )


class WasmPluginDependenciesField(Dependencies):
    help = help_text("""
        Addresses of `plugin_proto_library` targets whose Go guest SDK the plugin imports, and of
        `wasm_go_library` targets with Go library code it imports.
        """)


class WasmPluginOutputPathField(OutputPathField):
    pass


class WasmPluginStripField(BoolField):
    alias = "strip"
    default = False
    help = "Strip the symbol table and DWARF debug info (`-ldflags=-s -w`): a smaller `.wasm`."


class WasmPluginLdflagsField(StringSequenceField):
    alias = "ldflags"
    default = ()
    help = "Extra `-ldflags` for `go build`, e.g. `['-X main.version=1.2']`."


class WasmPluginBuildTagsField(StringSequenceField):
    alias = "build_tags"
    default = ()
    help = "Extra build tags (`go build -tags`)."


class WasmPlugin(Target):
    alias = "wasm_plugin"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        WasmPluginSourcesField,
        WasmPluginDependenciesField,
        WasmPluginOutputPathField,
        WasmPluginStripField,
        WasmPluginLdflagsField,
        WasmPluginBuildTagsField,
    )
    help = help_text("""
        A Go plugin (one `main` package) compiled to a WASI reactor `.wasm`
        (`GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared`).

        Python targets that depend on it get `<name>.wasm` as a resource in the plugin's package
        directory (relative to its source root): `src/go/plugins/morning:morning` is loaded with
        `importlib.resources.files("plugins.morning") / "morning.wasm"`. `pants package` writes it
        to `dist/`.
        """)


# -----------------------------------------------------------------------------------------------
# `wasm_go_library`
# -----------------------------------------------------------------------------------------------


class WasmGoLibrarySourcesField(WasmGoSourcesField):
    help = generate_multiple_sources_field_help_message(
        "The Go files of one library package, its `*_test.go` files (run natively by `pants "
        "test`) and its `go.mod`/`go.sum`, if it has them. Example: `sources=['*.go', '!*_test.go']`"
    )


class WasmGoLibraryImportPathField(StringField):
    alias = "import_path"
    help = help_text("""
        The Go import path of this package. Required unless the directory has a `go.mod` (then the
        package is that module).
        """)


class WasmGoLibraryDependenciesField(Dependencies):
    help = "Other `wasm_go_library` / `plugin_proto_library` targets this package imports."


class WasmGoLibrary(Target):
    alias = "wasm_go_library"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        WasmGoLibrarySourcesField,
        WasmGoLibraryImportPathField,
        WasmGoLibraryDependenciesField,
    )
    help = help_text("""
        A Go library package in this repo that `wasm_plugin` targets import (stdlib-only or
        depending on other `wasm_go_library` / `plugin_proto_library` targets). It is `use`d in
        the plugin build's `go.work` under its `import_path`.
        """)


def rules():
    return collect_rules()
