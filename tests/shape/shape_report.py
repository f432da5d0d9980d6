"""Line counts per layer and the largest functions, from the files git tracks (issue 14).

    python3 tests/shape/shape_report.py [--top N] [--json]

Layers: runtime (src/python/wasmplug), generator (src/python/wasmplug_codegen without its golden
output and generated well-known-type Go), backend (src/python/wasmplug_pants), tests (every
`*_test.py`/`*_test.go`, conftest/testutil, and everything under tests/). Lines are physical lines.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAYERS = {
    "runtime": "src/python/wasmplug/",
    "generator": "src/python/wasmplug_codegen/",
    "backend": "src/python/wasmplug_pants/",
}
# Generated or data: counted in no layer.
SKIP = ("src/python/wasmplug_codegen/testdata/", "src/python/wasmplug_codegen/guest/wkt/")
CODE_SUFFIXES = (".py", ".go", ".j2", ".proto")
TEST_NAMES = ("conftest.py", "testutil.py")


@dataclass(frozen=True)
class Function:
    path: str
    name: str
    line: int
    lines: int


def tracked_files() -> List[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return sorted(out.split())


def layer_of(path: str) -> Optional[str]:
    if not path.endswith(CODE_SUFFIXES) or path.endswith(".pb.go"):
        return None  # .pb.go files are generated (the guest wkt, goldens, test fixtures)
    base = os.path.basename(path)
    if path.startswith("tests/") or base.endswith(("_test.py", "_test.go")) or base in TEST_NAMES:
        return "tests"
    if path.startswith(SKIP):
        return None
    for layer, prefix in LAYERS.items():
        if path.startswith(prefix):
            return layer
    return None


def line_count(path: str) -> int:
    with open(os.path.join(ROOT, path), "rb") as fh:
        return fh.read().count(b"\n")


def functions(path: str) -> List[Function]:
    with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), path)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            end = node.end_lineno or node.lineno
            out.append(Function(path, node.name, node.lineno, end - node.lineno + 1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10, help="how many largest functions")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args()

    counts: Dict[str, Dict[str, int]] = {}
    funcs: List[Function] = []
    for path in tracked_files():
        layer = layer_of(path)
        if layer is None:
            continue
        ext = os.path.splitext(path)[1]
        per_ext = counts.setdefault(layer, {})
        per_ext[ext] = per_ext.get(ext, 0) + line_count(path)
        if ext == ".py" and layer != "tests":
            funcs.extend(functions(path))
    largest = sorted(funcs, key=lambda f: (-f.lines, f.path, f.line))[: args.top]

    if args.json:
        json.dump({"lines": counts, "largest_functions": [asdict(f) for f in largest]}, sys.stdout)
        print()
        return
    exts = sorted({e for per in counts.values() for e in per})
    print(f"{'layer':<10}" + "".join(f"{e:>8}" for e in exts) + f"{'total':>8}")
    for layer in [*LAYERS, "tests"]:
        per = counts.get(layer, {})
        cells = "".join(f"{per.get(e, 0):>8}" for e in exts)
        print(f"{layer:<10}{cells}{sum(per.values()):>8}")
    print(f"\n{args.top} largest functions (non-test Python, lines incl. docstring):")
    for f in largest:
        print(f"{f.lines:>5}  {f.path}:{f.line}  {f.name}")


if __name__ == "__main__":
    main()
