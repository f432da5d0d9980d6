"""The generator's real output follows `contract`, which the Pants backend uses to predict it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from wasmplug_codegen import contract, protoc

SERVICE = "// go:plugin type=plugin\nservice S {\n  rpc Do(M) returns (M);\n}\nmessage M {}\n"

# (path, package, go_package option or None) -> what the import path must be.
CASES = [
    ("a/b/opt.proto", "x.y", "example.com/lib/thing;thingpb"),
    ("a/b/noopt.proto", "x.y", None),
    ("pkgonly.proto", "x.y", None),
    ("bare.proto", "", None),
]


def proto_source(package: str, go_package: str | None) -> str:
    lines = ['syntax = "proto3";']
    if package:
        lines.append(f"package {package};")
    if go_package is not None:
        lines.append(f'option go_package = "{go_package}";')
    return "\n".join(lines) + "\n" + SERVICE


@pytest.mark.parametrize("path, package, go_package", CASES)
def test_go_files_land_at_the_contract_import_path(
    tmp_path: Path, path: str, package: str, go_package: str | None
) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    (src / path).parent.mkdir(parents=True, exist_ok=True)
    (src / path).write_text(proto_source(package, go_package))
    out.mkdir()
    proc = protoc.run([str(src / path)], [str(src)], str(out), python_out=True)
    assert proc.returncode == 0, proc.stderr

    # What the backend reads from the source is what protoc hands the generator.
    option = contract.go_package_option(proto_source(package, go_package))
    assert option == (go_package or "")
    import_path, name = contract.go_package(path, option, package)
    stem = Path(path).stem
    go_file = out / import_path / f"{stem}.pb.go"
    assert go_file.is_file(), sorted(p for p in os.listdir(out))
    assert re.search(rf"^package {name}$", go_file.read_text(), re.M)
    go_mod = (out / import_path / "go.mod").read_text()
    assert go_mod.splitlines()[0] == f"module {import_path}"
    assert f"\ngo {contract.MIN_GO_VERSION}\n" in go_mod

    py_dir = out / Path(path).parent
    assert {f"{stem}{suffix}.py" for suffix in contract.GENERATED_PY_SUFFIXES} <= set(
        os.listdir(py_dir)
    )


def test_guest_runtime_module(tmp_path: Path) -> None:
    (tmp_path / "g.proto").write_text(proto_source("g", None))
    proc = protoc.run([str(tmp_path / "g.proto")], [str(tmp_path)], str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    go_mod = (tmp_path / contract.GUEST_MODULE / "go.mod").read_text()
    assert go_mod.splitlines()[0] == f"module {contract.GUEST_MODULE}"
    assert (tmp_path / contract.GUEST_WIRE_PACKAGE / "wire.go").is_file()
    generated = (tmp_path / contract.go_import_path("g.proto", "", "g") / "g.pb.go").read_text()
    assert f'"{contract.GUEST_WIRE_PACKAGE}"' in generated


def test_committed_guest_go_mod_matches() -> None:
    """The guest runtime's own go.mod (shipped as is) names the module and Go version above."""
    go_mod = (Path(contract.__file__).parent / "guest" / "go.mod").read_text()
    assert go_mod.splitlines()[0] == f"module {contract.GUEST_MODULE}"
    assert f"\ngo {contract.MIN_GO_VERSION}" in go_mod


def test_go_identifier() -> None:
    assert contract.go_identifier("my-pkg.v2") == "my_pkg_v2"
    assert contract.go_identifier("2fa") == "_2fa"


def test_go_package_option_read_and_set() -> None:
    src = "syntax = \"proto3\";\n  option  go_package ='a/b;bpb' ;\npackage p;\n"
    assert contract.go_package_option(src) == "a/b;bpb"
    assert contract.go_package_option('// option go_package = "x";\nmessage M {}\n') == ""
    # Set in place: the same lines, only the value changed (positions in protoc errors hold).
    assert contract.set_go_package_option(src, "c/d") == (
        'syntax = "proto3";\n  option  go_package ="c/d" ;\npackage p;\n'
    )
    # Appended when missing, after a newline if the source lacks a final one.
    assert contract.set_go_package_option("package p;", "c/d") == (
        'package p;\noption go_package = "c/d";\n'
    )
    assert contract.set_go_package_option("package p;\n", "c/d") == (
        'package p;\noption go_package = "c/d";\n'
    )
    assert contract.go_package_option(contract.set_go_package_option("package p;", "c/d")) == "c/d"
