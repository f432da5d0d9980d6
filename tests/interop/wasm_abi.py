"""List a wasm module's imports and exports (wasm-objdump is not always installed).

Usage: python tests/interop/wasm_abi.py FILE.wasm [...]
Also importable: ``describe(path) -> dict`` for tests.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import wasmtime


def _type_str(t: Any) -> str:
    if isinstance(t, wasmtime.FuncType):
        params = ", ".join(str(p) for p in t.params)
        results = ", ".join(str(r) for r in t.results)
        return f"func({params}) -> ({results})"
    if isinstance(t, wasmtime.MemoryType):
        return f"memory(min={t.limits.min}, max={t.limits.max})"
    if isinstance(t, wasmtime.GlobalType):
        return f"global({t.content}, mutable={t.mutable})"
    if isinstance(t, wasmtime.TableType):
        return f"table({t.element})"
    return type(t).__name__


def describe(path: str) -> dict[str, Any]:
    engine = wasmtime.Engine()
    module = wasmtime.Module.from_file(engine, path)
    return {
        "imports": {f"{i.module}.{i.name}": _type_str(i.type) for i in module.imports},
        "exports": {e.name: _type_str(e.type) for e in module.exports},
    }


def main(argv: list[str]) -> int:
    out = {p: describe(p) for p in argv}
    json.dump(out, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
