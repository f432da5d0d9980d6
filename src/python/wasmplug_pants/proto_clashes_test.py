"""Repo-wide proto checks (issue 12, items 4 and 5b): symbol clashes between targets of one resolve,
wasm name clashes between the protos of one plugin, imports no target provides, and `tailor` for
the message-only protos plugin protos import. Real protoc/generator/go runs where codegen is
involved."""

from __future__ import annotations

from textwrap import dedent

import pytest  # pants: no-infer-dep (provided by the [pytest] tool)
from pants.core.goals.check import CheckResults
from pants.core.goals.package import BuiltPackage
from pants.core.goals.tailor import AllOwnedSources, PutativeTargets
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.rules import QueryRule
from pants.testutil.rule_runner import RuleRunner
from wasmplug_pants.codegen import GeneratePythonFromPluginProtoRequest
from wasmplug_pants.go_inference import PutativeWasmplugTargetsRequest
from wasmplug_pants.proto_check import PluginProtoCheckFieldSet, PluginProtoCheckRequest
from wasmplug_pants.proto_clashes import ProtoSymbolClashes
from wasmplug_pants.rules_test import (  # noqa: F401 (fixture)
    generate,
    generator_on_path,
    new_rule_runner,
    set_options,
    write_plugin,
)
from wasmplug_pants.wasm_build import WasmPluginPackageFieldSet


@pytest.fixture
def rule_runner() -> RuleRunner:
    return new_rule_runner(QueryRule(ProtoSymbolClashes, []))


def proto(package: str, body: str, go_package: str = "") -> str:
    option = f'option go_package = "{go_package}";\n' if go_package else ""
    return f'syntax = "proto3";\npackage {package};\n{option}{body}'


def test_same_symbol_in_two_targets_fails_check_and_codegen(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "src/proto/a/a.proto": proto("shared", "message M {}\nenum Ea { UNKNOWN = 0; }\n"),
            "src/proto/a/BUILD": "plugin_proto_library()\n",
            "src/proto/b/b.proto": proto("shared", "\nmessage M {}\nenum Eb { UNKNOWN = 0; }\n"),
            "src/proto/b/BUILD": "plugin_proto_library()\n",
            "src/proto/c/c.proto": proto("other", "message M {}\n"),
            "src/proto/c/BUILD": "plugin_proto_library()\n",
        }
    )
    a, b, c = (Address(f"src/proto/{d}") for d in "abc")
    field_sets = [PluginProtoCheckFieldSet.create(rule_runner.get_target(x)) for x in (a, b, c)]
    (result,) = rule_runner.request(CheckResults, [PluginProtoCheckRequest(field_sets)]).results
    assert result.exit_code == 1
    assert (
        "Protobuf symbol `shared.M` is defined twice: in src/proto/a/a.proto:3 (src/proto/a:a) "
        "and in src/proto/b/b.proto:4 (src/proto/b:b)"
    ) in result.stderr
    # Enum values are scoped beside the enum: two enums of one package clash on a value.
    assert "`shared.UNKNOWN` is defined twice" in result.stderr
    assert "other.M" not in result.stderr

    with pytest.raises(ExecutionError) as exc:
        generate(rule_runner, b, GeneratePythonFromPluginProtoRequest)
    assert "src/proto/a/a.proto:3" in str(exc.value) and "src/proto/b/b.proto:4" in str(exc.value)

    # The unrelated target still checks and generates.
    (ok,) = rule_runner.request(CheckResults, [PluginProtoCheckRequest(field_sets[2:])]).results
    assert ok.exit_code == 0, ok.stderr


def test_symbol_clash_is_per_python_resolve(rule_runner: RuleRunner) -> None:
    """Targets of different resolves never meet in one process, so they may reuse names."""
    set_options(
        rule_runner,
        "--python-resolves={'python-default': '3rdparty/python/default.lock', "
        "'other': '3rdparty/python/default.lock'}",
    )
    rule_runner.write_files(
        {
            "src/proto/a/a.proto": proto("shared", "message M {}\n"),
            "src/proto/a/BUILD": "plugin_proto_library()\n",
            "src/proto/b/b.proto": proto("shared", "message M {}\n"),
            "src/proto/b/BUILD": "plugin_proto_library(python_resolve='other')\n",
        }
    )
    assert rule_runner.request(ProtoSymbolClashes, []).clashes == ()
    rule_runner.write_files({"src/proto/b/BUILD": "plugin_proto_library()\n"})
    (clash,) = rule_runner.request(ProtoSymbolClashes, []).clashes
    assert (clash.symbol, clash.resolve) == ("shared.M", "python-default")


PLUGIN_SERVICE = (
    "// go:plugin type=plugin version=1\nservice {svc} {{\n  rpc {rpc}(M) returns (M);\n}}\n"
)

TWO_SERVICES_GO = dedent("""\
    package main

    import (
    \t"context"

    \t"example.com/gen/bar"
    \t"example.com/gen/foo"
    )

    type impl struct{}

    func (impl) BarBaz(_ context.Context, m *foo.M) (*foo.M, error) { return m, nil }
    func (impl) Baz(_ context.Context, m *bar.M) (*bar.M, error)    { return m, nil }

    func init() {
    \tfoo.RegisterFoo(impl{})
    \tbar.RegisterFooBar(impl{})
    }

    func main() {}
    """)


def test_wasm_export_clash_across_protos_of_one_plugin(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "src/proto/foo/foo.proto": proto(
                "foo",
                "message M {}\n" + PLUGIN_SERVICE.format(svc="Foo", rpc="BarBaz"),
                "example.com/gen/foo",
            ),
            "src/proto/foo/BUILD": "plugin_proto_library()\n",
            "src/proto/bar/bar.proto": proto(
                "bar",
                "message M {}\n" + PLUGIN_SERVICE.format(svc="FooBar", rpc="Baz"),
                "example.com/gen/bar",
            ),
            "src/proto/bar/BUILD": "plugin_proto_library()\n",
        }
    )
    addr = write_plugin(rule_runner, "both", TWO_SERVICES_GO)
    with pytest.raises(ExecutionError) as exc:
        rule_runner.request(
            BuiltPackage, [WasmPluginPackageFieldSet.create(rule_runner.get_target(addr))]
        )
    msg = str(exc.value)
    assert "wasm_plugin src/go/plugins/both:both" in msg
    assert (
        "wasm export `foo_bar_baz` comes from bar.FooBar.Baz (src/proto/bar/bar.proto:7) "
        "and from foo.Foo.BarBaz (src/proto/foo/foo.proto:7)"
    ) in msg


def test_import_no_target_provides_names_the_target_to_add(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "src/proto/common/common.proto": proto("common", "message Empty {}\n"),
            "src/proto/uses/uses.proto": proto(
                "uses",
                'import "common/common.proto";\n'
                "// go:plugin type=plugin version=1\n"
                "service Ping { rpc Ping(common.Empty) returns (common.Empty); }\n",
            ),
            "src/proto/uses/BUILD": "plugin_proto_library()\n",
        }
    )
    uses = Address("src/proto/uses")
    with pytest.raises(ExecutionError) as exc:
        generate(rule_runner, uses, GeneratePythonFromPluginProtoRequest)
    msg = str(exc.value)
    assert (
        'src/proto/uses/uses.proto:3: import "common/common.proto" is not provided: '
        "src/proto/common/common.proto has no plugin_proto_library: add "
        "`plugin_proto_library()` to src/proto/common/BUILD"
    ) in msg
    assert "File not found" not in msg

    # What tailor adds makes the cross-directory import work (the dependency is inferred).
    rule_runner.write_files({"src/proto/common/BUILD": "plugin_proto_library()\n"})
    assert "src/proto/uses/uses_pb2.py" in generate(
        rule_runner, uses, GeneratePythonFromPluginProtoRequest
    )


def test_tailor_adds_message_only_protos_that_plugin_protos_import(
    rule_runner: RuleRunner,
) -> None:
    rule_runner.write_files(
        {
            "src/proto/uses/uses.proto": proto(
                "uses",
                'import "common/common.proto";\n'
                "// go:plugin type=plugin version=1\n"
                "service Ping { rpc Ping(common.Empty) returns (common.Empty); }\n",
            ),
            "src/proto/common/common.proto": proto(
                "common", 'import "base/base.proto";\nmessage Empty { base.B b = 1; }\n'
            ),
            "src/proto/base/base.proto": proto("base", "message B {}\n"),
            "src/proto/plain/plain.proto": proto("plain", "message P {}\n"),
            # An owned plugin proto importing an unowned one.
            "src/proto/owned/owned.proto": proto(
                "owned",
                'import "extra/extra.proto";\n'
                "// go:plugin type=plugin\nservice O { rpc O(extra.X) returns (extra.X); }\n",
            ),
            "src/proto/owned/BUILD": "plugin_proto_library()\n",
            "src/proto/extra/extra.proto": proto("extra", "message X {}\n"),
        }
    )
    dirs = ("uses", "common", "base", "plain", "owned", "extra")
    pts = rule_runner.request(
        PutativeTargets,
        [
            PutativeWasmplugTargetsRequest(tuple(f"src/proto/{d}" for d in dirs)),
            AllOwnedSources(["src/proto/owned/owned.proto"]),
        ],
    )
    assert {(pt.type_alias, pt.path, pt.triggering_sources) for pt in pts} == {
        ("plugin_proto_library", "src/proto/uses", ("uses.proto",)),
        ("plugin_proto_library", "src/proto/common", ("common.proto",)),
        ("plugin_proto_library", "src/proto/base", ("base.proto",)),
        ("plugin_proto_library", "src/proto/extra", ("extra.proto",)),
    }
