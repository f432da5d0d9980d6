"""`pants fmt`/`lint` run the Go toolchain's real gofmt over wasm_plugin and wasm_go_library sources."""

from __future__ import annotations

from textwrap import dedent

import pytest  # pants: no-infer-dep (provided by the [pytest] tool)
from pants.backend.python import target_types_rules
from pants.backend.python.dependency_inference import rules as python_dep_inference
from pants.backend.python.util_rules import pex
from pants.core.goals.fmt import FmtResult
from pants.core.util_rules import source_files, stripped_source_files
from pants.core.util_rules.source_files import SourceFiles, SourceFilesRequest
from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestContents
from pants.engine.rules import QueryRule
from pants.testutil.rule_runner import RuleRunner
from wasmplug_pants import register
from wasmplug_pants.gofmt import GofmtFieldSet, GofmtRequest
from wasmplug_pants.testutil import ENV_INHERIT, offline_args

UNFORMATTED = "package main\n\nfunc main()  {\nx:=1\n_ = x}\n"
FORMATTED = "package main\n\nfunc main() {\n\tx := 1\n\t_ = x\n}\n"


@pytest.fixture
def rule_runner() -> RuleRunner:
    rr = RuleRunner(
        rules=[
            *register.rules(),
            *pex.rules(),
            *source_files.rules(),
            *stripped_source_files.rules(),
            *python_dep_inference.rules(),
            *target_types_rules.rules(),
            QueryRule(FmtResult, [GofmtRequest.Batch]),
            QueryRule(SourceFiles, [SourceFilesRequest]),
            QueryRule(DigestContents, [Digest]),
        ],
        target_types=register.target_types(),
    )
    rr.set_options(offline_args(), env_inherit=ENV_INHERIT)
    return rr


def run_gofmt(rr: RuleRunner, address: Address) -> FmtResult:
    field_set = GofmtFieldSet.create(rr.get_target(address))
    sources = rr.request(SourceFiles, [SourceFilesRequest([field_set.sources])])
    return rr.request(
        FmtResult,
        [GofmtRequest.Batch("", sources.snapshot.files, None, sources.snapshot)],
    )


@pytest.mark.parametrize("target", ["wasm_plugin", "wasm_go_library"])
def test_gofmt_rewrites_unformatted_go(rule_runner: RuleRunner, target: str) -> None:
    rule_runner.write_files(
        {
            "src/go/x/main.go": UNFORMATTED,
            "src/go/x/go.mod": "module example.com/x\n\ngo 1.24\n",
            "src/go/x/BUILD": f"{target}(name='x')\n",
        }
    )
    result = run_gofmt(rule_runner, Address("src/go/x", target_name="x"))
    assert result.did_change
    contents = {
        fc.path: fc.content.decode()
        for fc in rule_runner.request(DigestContents, [result.output.digest])
    }
    assert contents["src/go/x/main.go"] == FORMATTED
    assert contents["src/go/x/go.mod"] == "module example.com/x\n\ngo 1.24\n"


def test_gofmt_leaves_formatted_go(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {"src/go/y/main.go": FORMATTED, "src/go/y/BUILD": "wasm_plugin(name='y')\n"}
    )
    result = run_gofmt(rule_runner, Address("src/go/y", target_name="y"))
    assert not result.did_change
    assert result.output == result.input


def test_gofmt_reports_syntax_errors(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "src/go/z/main.go": "package main\n\nfunc main( {\n",
            "src/go/z/BUILD": "wasm_plugin(name='z')\n",
        }
    )
    with pytest.raises(Exception, match=r"main\.go:3:\d+"):
        run_gofmt(rule_runner, Address("src/go/z", target_name="z"))
