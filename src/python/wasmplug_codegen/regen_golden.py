"""Regenerate the golden files and the Go well-known-type packages of the guest runtime.

    PYTHONPATH=src/python python -m wasmplug_codegen.regen_golden

- ``testdata/golden/``: the generator's output (``go_runtime=false``) for every ``testdata/proto/``
  file; ``golden_test.py`` fails when it is stale.
- ``guest/wkt/<pkg>/<name>.pb.go``: the Go well-known types, generated from protoc's own WKT protos
  (the ``helpers.go`` beside them are hand-written).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import Dict, List

from wasmplug_codegen import contract, protoc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "testdata", "proto")
GOLDEN_DIR = os.path.join(HERE, "testdata", "golden")
WKT_DIR = os.path.join(HERE, "guest", "wkt")
WKT_PROTOS = [
    f"google/protobuf/{n}.proto"
    for n in (
        "any",
        "api",
        "duration",
        "empty",
        "field_mask",
        "source_context",
        "struct",
        "timestamp",
        "type",
        "wrappers",
    )
]


def golden_protos() -> List[str]:
    out = []
    for d, _, names in os.walk(PROTO_DIR):
        for n in names:
            if n.endswith(".proto"):
                out.append(os.path.relpath(os.path.join(d, n), PROTO_DIR).replace(os.sep, "/"))
    return sorted(out)


def _generate(protos: List[str], include: List[str], options: str) -> Dict[str, str]:
    with tempfile.TemporaryDirectory() as out:
        r = protoc.run(protos, include, out, options=options)
        if r.returncode != 0:
            raise RuntimeError(f"protoc failed:\n{r.stderr}")
        return protoc.read_tree(out)


def golden() -> Dict[str, str]:
    """What ``testdata/golden/`` should hold."""
    return _generate(golden_protos(), [PROTO_DIR], "go_runtime=false")


def wkt() -> Dict[str, str]:
    """What ``guest/wkt/*/*.pb.go`` should hold, keyed relative to ``guest/wkt``."""
    files = _generate(WKT_PROTOS, [], "wkt=true")
    prefix = contract.WKT_PREFIX
    return {k[len(prefix) :]: v for k, v in files.items()}


def existing_wkt() -> Dict[str, str]:
    return {k: v for k, v in protoc.read_tree(WKT_DIR).items() if k.endswith(".pb.go")}


def main() -> None:
    new_golden, new_wkt = golden(), wkt()  # both first: a generator error leaves the tree as it was
    shutil.rmtree(GOLDEN_DIR, ignore_errors=True)
    for rel, content in new_golden.items():
        _write(os.path.join(GOLDEN_DIR, rel), content)
    for rel in existing_wkt():
        os.remove(os.path.join(WKT_DIR, rel))
    for rel, content in new_wkt.items():
        _write(os.path.join(WKT_DIR, rel), content)
    print(f"regenerated {GOLDEN_DIR} and {WKT_DIR}", file=sys.stderr)


def _write(path: str, content: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(content)


if __name__ == "__main__":
    main()
