"""`pants test` of a `wasm_plugin`'s / `wasm_go_library`'s `*_test.go` files: real `go test`, natively,
with the generated guest SDK and third-party modules in the workspace."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from textwrap import dedent

import pytest  # pants: no-infer-dep (provided by the [pytest] tool)
from pants.core.goals.test import TestResult, TestSubsystem
from pants.engine.addresses import Address
from pants.engine.rules import QueryRule
from pants.testutil.rule_runner import RuleRunner
from wasmplug_pants.go_modules_test import UUID_REQUIRE, UUID_SUM
from wasmplug_pants.go_toolchain import GoToolchain
from wasmplug_pants.go_workspace_goal import WasmGoWorkspaceGoal
from wasmplug_pants.gotest import WasmGoTestFieldSet, WasmGoTestRequest
from wasmplug_pants.rules_test import (  # noqa: F401 (fixture)
    generator_on_path,
    new_rule_runner,
    option_args,
    write_greeting,
)
from wasmplug_pants.testutil import ENV_INHERIT

# A plugin as the examples write it: no build constraint, registered from init().
PLUGIN_GO = dedent("""\
    package main

    import (
    \t"context"

    \t"github.com/google/uuid"
    \t"wasmplug.example/greeting"
    )

    type Morning struct{}

    func (Morning) SayHello(_ context.Context, req *greeting.GreetRequest) (*greeting.GreetReply, error) {
    \treturn &greeting.GreetReply{Message: "Good morning, " + req.Name + " #" + uuid.NewString()[:0]}, nil
    }

    func init() { greeting.RegisterGreeter(Morning{}) }
    """)

PLUGIN_TEST_GO = dedent("""\
    package main

    import (
    \t"context"
    \t"testing"

    \t"wasmplug.example/greeting"
    )

    func TestSayHello(t *testing.T) {
    \treply, err := Morning{}.SayHello(context.Background(), &greeting.GreetRequest{Name: "Ada"})
    \tif err != nil || reply.Message != WANT {
    \t\tt.Fatalf("got %q, %v", reply.GetMessage(), err)
    \t}
    }
    """)


@pytest.fixture
def rule_runner() -> RuleRunner:
    return new_rule_runner(
        *TestSubsystem.rules(),
        QueryRule(TestResult, [WasmGoTestRequest.Batch]),
        QueryRule(GoToolchain, []),
    )


def run_tests(rr: RuleRunner, address: Address) -> TestResult:
    field_set = WasmGoTestFieldSet.create(rr.get_target(address))
    return rr.request(TestResult, [WasmGoTestRequest.Batch("", (field_set,), None)])


def write_plugin_with_test(rr: RuleRunner, want: str) -> Address:
    write_greeting(rr)
    rr.write_files(
        {
            "src/go/plugins/tested/main.go": PLUGIN_GO,
            "src/go/plugins/tested/main_test.go": PLUGIN_TEST_GO.replace("WANT", want),
            "src/go/plugins/tested/go.mod": (
                f"module example.com/plugins/tested\n\ngo 1.24\n\n{UUID_REQUIRE}"
            ),
            "src/go/plugins/tested/go.sum": UUID_SUM,
            "src/go/plugins/tested/BUILD": "wasm_plugin()\n",
        }
    )
    return Address("src/go/plugins/tested")


def test_plugin_go_test_passes(rule_runner: RuleRunner) -> None:
    result = run_tests(rule_runner, write_plugin_with_test(rule_runner, '"Good morning, Ada #"'))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "ok  \texample.com/plugins/tested" in result.stdout


def test_plugin_go_test_failure_is_reported(rule_runner: RuleRunner) -> None:
    result = run_tests(rule_runner, write_plugin_with_test(rule_runner, '"Good evening"'))
    assert result.exit_code == 1
    assert 'main_test.go:13: got "Good morning, Ada #"' in result.stdout


def test_library_go_test_and_no_tests(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "src/go/lib/textutil/textutil.go": "package textutil\n\nfunc Twice(s string) string { return s + s }\n",
            "src/go/lib/textutil/textutil_test.go": dedent("""\
                package textutil

                import "testing"

                func TestTwice(t *testing.T) {
                \tif Twice("ab") != "abab" {
                \t\tt.Fatal(Twice("ab"))
                \t}
                }
                """),
            "src/go/lib/textutil/BUILD": "wasm_go_library(import_path='example.com/lib/textutil')\n",
            "src/go/lib/plain/plain.go": "package plain\n",
            "src/go/lib/plain/BUILD": "wasm_go_library(import_path='example.com/lib/plain')\n",
        }
    )
    result = run_tests(rule_runner, Address("src/go/lib/textutil"))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "example.com/lib/textutil" in result.stdout
    assert run_tests(rule_runner, Address("src/go/lib/plain")).exit_code is None


def test_editor_workspace_runs_go_vet_and_go_test(rule_runner: RuleRunner) -> None:
    """The written go.work is what gopls sees: real `go vet` and `go test` on the repo's files."""
    write_plugin_with_test(rule_runner, '"Good morning, Ada #"')
    rule_runner.write_files(
        {
            "src/go/lib/textutil/textutil.go": "package textutil\n\nfunc Twice(s string) string { return s + s }\n",
            "src/go/lib/textutil/BUILD": "wasm_go_library(import_path='example.com/lib/textutil')\n",
        }
    )
    result = rule_runner.run_goal_rule(
        WasmGoWorkspaceGoal,
        global_args=option_args(),
        args=["src/go/plugins/tested", "src/go/lib/textutil"],
        env_inherit=ENV_INHERIT,
    )
    assert result.exit_code == 0, result.stderr
    root = Path(rule_runner.build_root)
    out = root / "dist" / "wasm-go-workspace"
    go_work = (out / "go.work").read_text()
    assert "../../src/go/plugins/tested" in go_work  # has a go.mod: used in place
    assert "./mirror/src/go/lib/textutil" in go_work  # no go.mod: mirrored
    assert "./gen/wasmplug.example/greeting" in go_work
    assert (out / "mirror/src/go/lib/textutil/textutil.go").is_symlink()
    assert (out / "gomodcache/github.com/google/uuid@v1.6.0/uuid.go").is_file()

    go = rule_runner.request(GoToolchain, [])
    assert not go.argv0.startswith("{chroot}"), "the test needs a Go on PATH"
    env = {
        **os.environ,
        "GOWORK": str(out / "go.work"),
        "GOMODCACHE": str(out / "gomodcache"),
        "GOPROXY": "off",
        "GOFLAGS": "",
        "GOTOOLCHAIN": "local",
        "GOCACHE": str(root / ".gocache"),
    }
    for cmd in (
        [go.argv0, "vet", "./src/go/plugins/tested"],
        [go.argv0, "vet", "./dist/wasm-go-workspace/mirror/src/go/lib/textutil"],
        [go.argv0, "test", "-count=1", "./src/go/plugins/tested"],
    ):
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, (cmd, proc.stdout, proc.stderr)
    assert "ok" in proc.stdout
