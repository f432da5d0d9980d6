"""Protos the generator refuses: each error names file.proto:LINE:COL and the element."""

from __future__ import annotations

import os
import tempfile

import pytest
from wasmplug_codegen import protoc

HEAD = 'syntax = "proto3";\npackage p;\nmessage M { string s = 1; }\n'

CASES = {
    "streaming": (
        HEAD + "// go:plugin type=plugin\nservice S {\n  rpc Watch(M) returns (stream M);\n}\n",
        "bad.proto:6:3: streaming rpcs are not supported by wasm plugins (make it unary) (p.S.Watch)",
    ),
    "client_streaming": (
        HEAD + "// go:plugin type=host\nservice H {\n  rpc Up(stream M) returns (M);\n}\n",
        "bad.proto:6:3: streaming rpcs are not supported by wasm plugins (make it unary) (p.H.Up)",
    ),
    "unknown_type": (
        HEAD + "// go:plugin type=guest\nservice S {\n  rpc Do(M) returns (M);\n}\n",
        "bad.proto:5:1: unknown go:plugin type='guest' (expected type=plugin or type=host) (S)",
    ),
    "malformed_token": (
        HEAD + "// go:plugin type=plugin version\nservice S {\n  rpc Do(M) returns (M);\n}\n",
        "bad.proto:5:1: malformed go:plugin line 'go:plugin type=plugin version': expected key=value,"
        " got 'version' (S)",
    ),
    "malformed_version": (
        HEAD + "// go:plugin type=plugin version=two\nservice S {\n  rpc Do(M) returns (M);\n}\n",
        "bad.proto:5:1: invalid go:plugin version='two' (expected a positive integer) (S)",
    ),
    "unknown_key": (
        HEAD + "// go:plugin type=plugin flavor=x\nservice S {\n  rpc Do(M) returns (M);\n}\n",
        "bad.proto:5:1: malformed go:plugin line 'go:plugin type=plugin flavor=x': unknown key"
        " 'flavor' (expected type, version, module) (S)",
    ),
    "missing_type": (
        HEAD + "// go:plugin version=2\nservice S {\n  rpc Do(M) returns (M);\n}\n",
        "bad.proto:5:1: malformed go:plugin line 'go:plugin version=2': missing type=plugin or"
        " type=host (S)",
    ),
    "glued": (
        HEAD + "// go:plugintype=plugin\nservice S {\n  rpc Do(M) returns (M);\n}\n",
        "bad.proto:5:1: malformed go:plugin line 'go:plugintype=plugin' (S)",
    ),
    "two_hosts_same_module": (
        HEAD
        + "// go:plugin type=host\nservice A {\n  rpc Do(M) returns (M);\n}\n"
        + "// go:plugin type=host module=env\nservice B {\n  rpc Get(M) returns (M);\n}\n",
        "bad.proto:9:1: two type=host services use module 'env' (also A at line 5); give each a"
        " distinct module=NAME (B)",
    ),
    "export_clash": (
        HEAD
        + "// go:plugin type=plugin\nservice Foo {\n  rpc BarBaz(M) returns (M);\n}\n"
        + "// go:plugin type=plugin\nservice FooBar {\n  rpc Baz(M) returns (M);\n}\n",
        "bad.proto:10:3: wasm name 'foo_bar_baz' is already used by p.Foo.BarBaz (p.FooBar.Baz)",
    ),
    "extension": (
        'syntax = "proto3";\npackage p;\nimport "google/protobuf/descriptor.proto";\n'
        "extend google.protobuf.FieldOptions {\n  string tag = 50000;\n}\n",
        "bad.proto:5:3: extensions are not supported (p.tag)",
    ),
    "group": (
        'syntax = "proto2";\npackage p;\nmessage M {\n  optional group G = 1 {\n'
        "    optional int32 a = 2;\n  }\n}\n",
        "bad.proto:4:3: proto2 groups are not supported (p.M.g)",
    ),
    "proto2": (
        'syntax = "proto2";\npackage p;\nmessage M { optional int32 a = 1; }\n',
        'bad.proto:1:1: proto2 files are not supported, only syntax = "proto3" (bad.proto)',
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_error(case: str) -> None:
    source, want = CASES[case]
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "bad.proto"), "w") as fh:
            fh.write(source)
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        r = protoc.run(["bad.proto"], [tmp], out)
        assert r.returncode != 0
        assert want in r.stderr, r.stderr
        assert os.listdir(out) == []


def test_unannotated_services_are_ignored() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "plain.proto"), "w") as fh:
            fh.write(HEAD + "service S {\n  rpc Watch(M) returns (stream M);\n}\n")
        r = protoc.run(["plain.proto"], [tmp], tmp, options="go_runtime=false")
        assert r.returncode == 0, r.stderr
        assert sorted(protoc.read_tree(tmp)) == [
            "plain.proto",
            "wasmplug.gen/p/go.mod",
            "wasmplug.gen/p/plain.pb.go",
        ]


def test_bad_option() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "plain.proto"), "w") as fh:
            fh.write(HEAD)
        r = protoc.run(["plain.proto"], [tmp], tmp, options="lang=rust")
        assert r.returncode != 0
        assert "lang='rust': expected python, go or all" in r.stderr
