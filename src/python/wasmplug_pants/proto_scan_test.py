"""The scanner behind the repo-wide proto checks, on the grammar it must get right."""

from __future__ import annotations

from textwrap import dedent

from wasmplug_pants.proto_scan import scan_proto

PROTO = dedent("""\
    syntax = "proto3";
    package a.b;
    import public "x/y.proto";
    import "google/protobuf/empty.proto";

    /* not the annotation: a blank line follows */

    // The service.
    // go:plugin type=plugin version=1
    service Foo {
      rpc BarBaz(M) returns (M) {}
      rpc Q(M) returns (M);
    }

    // go:plugin type=host module=hx
    service H { rpc Log(M) returns (M) { option (x) = { message: "a" }; } }

    // go:plugin type=plugin

    service Detached { rpc A(M) returns (M); }

    message M {
      string message = 1;  // a field named like a keyword
      message Inner {
        enum E { E_UNKNOWN = 0; option allow_alias = true; }
      }
      map<string, int32> m = 2;
      oneof o { int32 x = 3; }
    }
    enum Top { TOP_UNKNOWN = 0; reserved 2; TOP_B = 1 [deprecated = true]; }
    """)


def test_symbols_are_fully_qualified_with_enum_values_beside_their_enum() -> None:
    scan = scan_proto(PROTO)
    assert scan.package == "a.b"
    assert scan.imports == (("x/y.proto", 3), ("google/protobuf/empty.proto", 4))
    assert [(s.name, s.line) for s in scan.symbols] == [
        ("a.b.Foo", 10),
        ("a.b.H", 16),
        ("a.b.Detached", 20),
        ("a.b.M", 22),
        ("a.b.M.Inner", 24),
        ("a.b.M.Inner.E", 25),
        ("a.b.M.Inner.E_UNKNOWN", 25),
        ("a.b.Top", 30),
        ("a.b.TOP_UNKNOWN", 30),
        ("a.b.TOP_B", 30),
    ]


def test_services_and_their_wasm_names() -> None:
    foo, host, detached = scan_proto(PROTO).services
    assert (foo.kind, host.kind, detached.kind) == ("plugin", "host", "")
    assert [n for n, _, _ in foo.wasm_names()] == ["foo_api_version", "foo_bar_baz", "foo_q"]
    assert foo.wasm_names()[1] == ("foo_bar_baz", "a.b.Foo.BarBaz", 11)
    assert host.wasm_names() == [("hx.log", "a.b.H.Log", 16)]
    assert detached.wasm_names() == []
