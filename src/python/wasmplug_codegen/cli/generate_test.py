from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROTO = """syntax = "proto3";
package hello;
option go_package = "example.com/hello";

// go:plugin type=plugin version=3
service Greeter {
  rpc SayHello(HelloRequest) returns (HelloReply) {}
}
message HelloRequest { string name = 1; }
message HelloReply { string message = 1; }
"""


def wasmplug(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command in a child process, as a user runs it (protoc then runs our generator)."""
    return subprocess.run(
        [sys.executable, "-m", "wasmplug_codegen.cli", *args],
        cwd=cwd,
        # this test's sys.path (Pants' sandbox): where a user's installed distributions would be
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_generate_both_sides(tmp_path: Path) -> None:
    (tmp_path / "proto" / "hello").mkdir(parents=True)
    (tmp_path / "proto" / "hello" / "hello.proto").write_text(PROTO)
    proc = wasmplug(
        "generate",
        "-I",
        "proto",
        "--python_out",
        "py",
        "--go_out",
        "go",
        "hello/hello.proto",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    py = {p.name for p in (tmp_path / "py" / "hello").iterdir()}
    assert py == {"hello_pb2.py", "hello_pb2.pyi", "hello_wasmplug.py"}
    go = tmp_path / "go" / "example.com" / "hello"
    assert (go / "hello_plugin.pb.go").read_text().count("GreeterPluginAPIVersion = 3") == 1
    assert (tmp_path / "go" / "wasmplug.dev" / "guest" / "go.mod").is_file()


def test_generate_passes_protoc_errors_through(tmp_path: Path) -> None:
    (tmp_path / "bad.proto").write_text('syntax = "proto3";\nmessage A {\n  strin x = 1;\n}\n')
    proc = wasmplug("generate", "-I", ".", "--go_out", "go", "bad.proto", cwd=tmp_path)
    assert proc.returncode == 1
    assert 'bad.proto:3:3: "strin" is not defined.' in proc.stderr


def test_generate_passes_generator_errors_through(tmp_path: Path) -> None:
    (tmp_path / "v.proto").write_text(PROTO.replace("version=3", "version=x"))
    proc = wasmplug("generate", "--python_out", "py", "v.proto", cwd=tmp_path)
    assert proc.returncode == 1
    assert "v.proto:6:1: invalid go:plugin version=" in proc.stderr, proc.stderr
