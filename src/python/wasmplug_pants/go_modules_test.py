"""Third-party Go modules in `wasm_plugin` / `wasm_go_library`: a real module from the Go module
proxy (`github.com/google/uuid` v1.6.0: no cgo, builds for wasip1), checked against go.sum."""

from __future__ import annotations

from textwrap import dedent

import pytest  # pants: no-infer-dep (provided by the [pytest] tool)
from pants.core.goals.package import BuiltPackage
from pants.engine.addresses import Address
from pants.engine.fs import DigestContents
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import RuleRunner
from wasmplug_pants.rules_test import (  # noqa: F401 (fixtures)
    MORNING_GO,
    generator_on_path,
    rule_runner,
    write_greeting,
)
from wasmplug_pants.wasm_build import WasmPluginPackageFieldSet, wasm_exports

UUID_REQUIRE = "require github.com/google/uuid v1.6.0\n"
UUID_SUM = dedent("""\
    github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=
    github.com/google/uuid v1.6.0/go.mod h1:TIyPZe4MgqvfeYDBFedMoGGpEw/LqOeaOT+nhxU+yHo=
    """)

UUID_MAIN_GO = MORNING_GO.replace(
    '\t"context"\n', '\t"context"\n\n\t"github.com/google/uuid"\n'
).replace('"Good morning, " + req.Name', '"Good morning, " + req.Name + " " + uuid.NewString()')


def write_uuid_plugin(
    rr: RuleRunner, name: str, *, go_mod: str | None, go_sum: str | None
) -> Address:
    files = {
        f"src/go/plugins/{name}/main.go": UUID_MAIN_GO,
        f"src/go/plugins/{name}/BUILD": f"wasm_plugin(name='{name}')\n",
    }
    if go_mod is not None:
        files[f"src/go/plugins/{name}/go.mod"] = go_mod
    if go_sum is not None:
        files[f"src/go/plugins/{name}/go.sum"] = go_sum
    rr.write_files(files)
    return Address(f"src/go/plugins/{name}", target_name=name)


def build(rr: RuleRunner, address: Address) -> bytes:
    built = rr.request(BuiltPackage, [WasmPluginPackageFieldSet.create(rr.get_target(address))])
    (wasm,) = rr.request(DigestContents, [built.digest])
    return wasm.content


def test_plugin_with_third_party_module_builds(rule_runner: RuleRunner) -> None:
    write_greeting(rule_runner)
    go_mod = f"module example.com/plugins/ids\n\ngo 1.24\n\n{UUID_REQUIRE}"
    addr = write_uuid_plugin(rule_runner, "ids", go_mod=go_mod, go_sum=UUID_SUM)
    wasm = build(rule_runner, addr)
    assert "greeter_say_hello" in wasm_exports(wasm)
    # The module's code is in the binary (its package path is in the symbol names).
    assert b"github.com/google/uuid" in wasm


def test_library_with_third_party_module(rule_runner: RuleRunner) -> None:
    """A wasm_go_library's go.mod/go.sum bring the module to every plugin that imports it."""
    write_greeting(rule_runner)
    rule_runner.write_files(
        {
            "src/go/lib/ids/ids.go": dedent("""\
                package ids

                import "github.com/google/uuid"

                func New() string { return uuid.NewString() }
                """),
            "src/go/lib/ids/go.mod": f"module example.com/lib/ids\n\ngo 1.24\n\n{UUID_REQUIRE}",
            "src/go/lib/ids/go.sum": UUID_SUM,
            "src/go/lib/ids/BUILD": "wasm_go_library()\n",
        }
    )
    main_go = MORNING_GO.replace(
        '\t"wasmplug.example/greeting"\n',
        '\t"example.com/lib/ids"\n\t"wasmplug.example/greeting"\n',
    ).replace('"Good morning, " + req.Name', '"Good morning, " + req.Name + ids.New()')
    rule_runner.write_files(
        {
            "src/go/plugins/libids/main.go": main_go,
            "src/go/plugins/libids/BUILD": "wasm_plugin()\n",
        }
    )
    wasm = build(rule_runner, Address("src/go/plugins/libids"))
    assert b"github.com/google/uuid" in wasm


def test_missing_go_sum_entry_is_an_error(rule_runner: RuleRunner) -> None:
    write_greeting(rule_runner)
    go_mod = f"module example.com/plugins/nosum\n\ngo 1.24\n\n{UUID_REQUIRE}"
    addr = write_uuid_plugin(rule_runner, "nosum", go_mod=go_mod, go_sum=None)
    with pytest.raises(ExecutionError) as exc:
        build(rule_runner, addr)
    msg = str(exc.value)
    assert "wasm_plugin src/go/plugins/nosum:nosum: no go.sum" in msg
    assert "github.com/google/uuid v1.6.0" in msg
    assert "go mod tidy" in msg


def test_tampered_go_sum_is_an_error(rule_runner: RuleRunner) -> None:
    write_greeting(rule_runner)
    go_mod = f"module example.com/plugins/bad\n\ngo 1.24\n\n{UUID_REQUIRE}"
    tampered = UUID_SUM.replace("h1:NIvaJ", "h1:AIvaJ")
    addr = write_uuid_plugin(rule_runner, "badsum", go_mod=go_mod, go_sum=tampered)
    with pytest.raises(ExecutionError) as exc:
        build(rule_runner, addr)
    assert "checksum mismatch" in str(exc.value)


@pytest.mark.parametrize("has_go_mod", [False, True])
def test_import_no_module_provides_names_import_target_and_fix(
    rule_runner: RuleRunner, has_go_mod: bool
) -> None:
    write_greeting(rule_runner)
    go_mod = "module example.com/plugins/lost\n\ngo 1.24\n" if has_go_mod else None
    addr = write_uuid_plugin(rule_runner, "lost", go_mod=go_mod, go_sum=None)
    with pytest.raises(ExecutionError) as exc:
        build(rule_runner, addr)
    msg = str(exc.value)
    assert (
        'src/go/plugins/lost/main.go:8: import "github.com/google/uuid": no module of wasm_plugin '
        "src/go/plugins/lost:lost provides it"
    ) in msg
    if has_go_mod:
        assert "add `require <module> <version>`" in msg and "src/go/plugins/lost/go.mod" in msg
    else:
        assert "add a go.mod to src/go/plugins/lost" in msg
    assert "go get" not in msg
