"""List a wasm module's imports and exports with their signatures (wasm-objdump is not always installed).

Usage: python tests/interop/wasm_abi.py FILE.wasm [...]      (prints JSON)
Also importable: ``describe(path) -> {"imports": {"mod.name": sig}, "exports": {name: sig}}`` where a function
signature reads ``func(i32, i32) -> (i64)``. The reader is the generator's (``wasmplug_codegen.wasm``).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from wasmplug_codegen import wasm


def describe(path: str) -> dict[str, Any]:
    with open(path, "rb") as f:
        return wasm.signatures(f.read())


def main(argv: list[str]) -> int:
    json.dump({p: describe(p) for p in argv}, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
