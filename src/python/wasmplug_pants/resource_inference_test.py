"""Python reading a plugin's `.wasm` through `importlib.resources.files("plugins.<name>")` gets
the dependency on its `wasm_plugin` inferred (issue 12, item 5a)."""

from __future__ import annotations

import pytest  # pants: no-infer-dep (provided by the [pytest] tool)
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.rules import QueryRule
from pants.engine.target import InferredDependencies
from pants.testutil.rule_runner import RuleRunner
from wasmplug_pants.resource_inference import InferWasmResourceReads, WasmResourceReadsFieldSet
from wasmplug_pants.rules_test import (  # noqa: F401 (fixture)
    MORNING_GO,
    generator_on_path,
    new_rule_runner,
    write_plugin,
)

MORNING = Address("src/go/plugins/morning", target_name="morning")
# The package of src/go/plugins/morning/morning.wasm (source root src/go).
PKG = "plugins.morning"


@pytest.fixture
def rule_runner() -> RuleRunner:
    rr = new_rule_runner(QueryRule(InferredDependencies, [InferWasmResourceReads]))
    write_plugin(rr, "morning", MORNING_GO)
    return rr


def infer(rr: RuleRunner, source: str, build: str = "python_sources()\n") -> set:
    rr.write_files({"src/python/app/main.py": source, "src/python/app/BUILD": build})
    tgt = rr.get_target(Address("src/python/app", relative_file_path="main.py"))
    result = rr.request(
        InferredDependencies, [InferWasmResourceReads(WasmResourceReadsFieldSet.create(tgt))]
    )
    return set(result.include)


@pytest.mark.parametrize(
    "read",
    [
        f'importlib.resources.files("{PKG}") / "morning.wasm"',
        f"files('{PKG}').joinpath('morning.wasm')",
        f'importlib.resources.files("{PKG}")',
    ],
)
def test_literal_package_infers_the_plugin(rule_runner: RuleRunner, read: str) -> None:
    assert infer(rule_runner, f"import importlib.resources\nWASM = {read}\n") == {MORNING}


def test_other_packages_infer_nothing(rule_runner: RuleRunner) -> None:
    assert infer(rule_runner, 'files("mypkg.data") / "x.json"\nfiles(f"plugins.{x}")\n') == set()


def test_file_no_plugin_builds_names_the_plugin_of_the_package(rule_runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as exc:
        infer(rule_runner, f'\nWASM = files("{PKG}") / "evening.wasm"\n')
    assert (
        "src/python/app/main.py:2 reads `evening.wasm` from package `plugins.morning`, but no "
        "wasm_plugin builds it: the package is provided by src/go/plugins/morning:morning "
        "(builds morning.wasm)"
    ) in str(exc.value)


def test_two_plugins_in_one_package(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "src/go/plugins/morning/BUILD": "wasm_plugin(name='morning')\n"
            "wasm_plugin(name='debug', strip=False)\n"
        }
    )
    debug = Address("src/go/plugins/morning", target_name="debug")
    # The file name picks one.
    assert infer(rule_runner, f'files("{PKG}") / "debug.wasm"\n') == {debug}
    # No file name: ambiguous, the error names both.
    with pytest.raises(ExecutionError) as exc:
        infer(rule_runner, f'files("{PKG}")\n')
    assert (
        "reads package `plugins.morning`, which several wasm_plugin targets provide: "
        "src/go/plugins/morning:debug (builds debug.wasm), src/go/plugins/morning:morning "
        "(builds morning.wasm). Add the one to use to the `dependencies` of src/python/app/main.py"
    ) in str(exc.value)
    # ... unless the BUILD file chose.
    chosen = "python_sources(dependencies=['src/go/plugins/morning:morning'])\n"
    assert infer(rule_runner, f'files("{PKG}")\n', chosen) == set()
    ignored = "python_sources(dependencies=['!src/go/plugins/morning:debug'])\n"
    assert infer(rule_runner, f'files("{PKG}")\n', ignored) == {MORNING}
