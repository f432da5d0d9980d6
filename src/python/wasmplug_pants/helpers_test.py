"""The backend's pure helpers, without a RuleRunner: exact outputs for the inputs they exist for."""

from __future__ import annotations

from pants.engine.env_vars import EnvironmentVars
from wasmplug_pants.codegen import _restore_paths, set_go_package
from wasmplug_pants.go_inference import go_imports, proto_go_import_path
from wasmplug_pants.go_toolchain import expand_search_paths, parse_go_version
from wasmplug_pants.wasm_build import clean_go_output


def test_restore_paths() -> None:
    full = {"greet/greet.proto": "src/proto/greet/greet.proto", "g.proto": "src/proto/g.proto"}
    text = (
        "greet/greet.proto:3:1: bad\n"
        "import of g.proto failed, see other/greet/greet.proto and mygreet/greet.proto\n"
        '"g.proto")'
    )
    assert _restore_paths(text, full) == (
        "src/proto/greet/greet.proto:3:1: bad\n"
        "import of src/proto/g.proto failed, see other/greet/greet.proto and mygreet/greet.proto\n"
        '"src/proto/g.proto")'
    )
    assert _restore_paths("greet/greet.proto:1", {}) == "greet/greet.proto:1"


def test_set_go_package_keeps_lines_and_bytes() -> None:
    src = b'syntax = "proto3";\noption go_package = "old/x";  // \xff\nmessage M {}\n'
    assert set_go_package(src, "new/y;ypb") == (
        b'syntax = "proto3";\noption go_package = "new/y;ypb";  // \xff\nmessage M {}\n'
    )
    assert set_go_package(b"message M {}", "a/b") == b'message M {}\noption go_package = "a/b";\n'


def test_proto_go_import_path() -> None:
    src = 'syntax = "proto3";\npackage acme.v1;\noption go_package = "example.com/acme;acmepb";\n'
    assert proto_go_import_path("acme/v1/a.proto", src, None) == "example.com/acme"
    assert proto_go_import_path("acme/v1/a.proto", src, "override/p") == "override/p"
    assert proto_go_import_path("acme/v1/a.proto", "package acme.v1;\n", None) == (
        "wasmplug.gen/acme/v1"
    )
    assert proto_go_import_path("a.proto", "package acme.v1;\n", None) == "wasmplug.gen/acme/v1"
    assert proto_go_import_path("a.proto", "", None) == "wasmplug.gen/root"


def test_go_imports() -> None:
    src = (
        "package main\n\n"
        'import "fmt"\n'
        'import g "example.com/greet"\n'
        "import (\n"
        '\t"strings"\n'
        '\tw "wasmplug.dev/guest/wire"\n'
        '\t_ "embed"\n'
        ")\n\n"
        'func main() { fmt.Println("not/an/import") }\n'
    )
    assert go_imports(src) == {
        "fmt",
        "example.com/greet",
        "strings",
        "wasmplug.dev/guest/wire",
        "embed",
    }


def test_parse_go_version() -> None:
    assert parse_go_version("go version go1.24.2 linux/amd64") == (1, 24, 2)
    assert parse_go_version("go version go1.25 darwin/arm64") == (1, 25, 0)
    assert parse_go_version("go version devel +abc") is None


def test_expand_search_paths() -> None:
    env = EnvironmentVars({"PATH": "/usr/bin::/opt/go/bin:/usr/bin"})
    assert expand_search_paths(("/first", "<PATH>", "/opt/go/bin", "/last"), env) == (
        "/first",
        "/usr/bin",
        "/opt/go/bin",
        "/last",
    )
    assert expand_search_paths(("<PATH>",), EnvironmentVars({})) == ()


def test_clean_go_output() -> None:
    text = (
        "# example.com/p\n"
        "./main.go:3:2: undefined: x\n"
        "\t./util.go:9:1: note\n"
        "/tmp/pants-sandbox-abc123/src/go/p/other.go:1:1: bad\n"
        "../../__wasmplug_gen/example.com/p/p.pb.go:5:1: gen\n"
        "__wasmplug_gen/example.com/p/q.pb.go:6:1: gen\n"
    )
    assert clean_go_output(text, "src/go/p") == (
        "# example.com/p\n"
        "src/go/p/main.go:3:2: undefined: x\n"
        "\tsrc/go/p/util.go:9:1: note\n"
        "src/go/p/other.go:1:1: bad\n"
        "<generated>/example.com/p/p.pb.go:5:1: gen\n"
        "<generated>/example.com/p/q.pb.go:6:1: gen\n"
    )
