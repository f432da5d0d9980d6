"""List a wasm module's imports and exports with their signatures (wasm-objdump is not always installed).

Usage: python tests/interop/wasm_abi.py FILE.wasm [...]      (prints JSON)
Also importable: ``describe(path) -> {"imports": {"mod.name": sig}, "exports": {name: sig}}`` where a function
signature reads ``func(i32, i32) -> (i64)``. A small reader of the binary format's type, import, function and
export sections (no compile: a 3 MB Go module takes milliseconds, not the second a wasmtime compile takes).
"""

from __future__ import annotations

import json
import sys
from typing import Any

_VALTYPES = {
    0x7F: "i32",
    0x7E: "i64",
    0x7D: "f32",
    0x7C: "f64",
    0x7B: "v128",
    0x70: "funcref",
    0x6F: "externref",
}


class _Reader:
    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise ValueError("truncated wasm module")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def u32(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def name(self) -> str:
        n = self.u32()
        s = self.data[self.pos : self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def valtype(self) -> str:
        b = self.byte()
        return _VALTYPES.get(b, f"0x{b:02x}")

    def limits(self) -> tuple[int, int | None]:
        flags = self.byte()
        lo = self.u32()
        return lo, (self.u32() if flags & 1 else None)


def _sig(params: list[str], results: list[str]) -> str:
    return f"func({', '.join(params)}) -> ({', '.join(results)})"


def describe_bytes(data: bytes) -> dict[str, Any]:
    if data[:4] != b"\0asm" or data[4:8] != b"\x01\0\0\0":
        raise ValueError("not a wasm 1.0 binary module")
    r = _Reader(data, 8)
    types: list[str] = []
    func_types: list[int] = []  # type index of every function, imports first
    imports: dict[str, str] = {}
    exports: dict[str, str] = {}
    memories: list[str] = []
    while r.pos < len(data):
        section, size = r.byte(), r.u32()
        s = _Reader(data, r.pos, r.pos + size)
        r.pos += size
        if section == 1:  # type
            for _ in range(s.u32()):
                form = s.byte()
                if form != 0x60:
                    raise ValueError(f"unsupported type form 0x{form:02x}")
                params = [s.valtype() for _ in range(s.u32())]
                types.append(_sig(params, [s.valtype() for _ in range(s.u32())]))
        elif section == 2:  # import
            for _ in range(s.u32()):
                key = f"{s.name()}.{s.name()}"
                kind = s.byte()
                if kind == 0:
                    func_types.append(s.u32())
                    imports[key] = types[func_types[-1]]
                elif kind == 1:
                    elem = s.valtype()
                    s.limits()
                    imports[key] = f"table({elem})"
                elif kind == 2:
                    lo, hi = s.limits()
                    memories.append(f"memory(min={lo}, max={hi})")
                    imports[key] = memories[-1]
                else:
                    vt, mut = s.valtype(), s.byte()
                    imports[key] = f"global({vt}, mutable={bool(mut)})"
        elif section == 3:  # function
            func_types.extend(s.u32() for _ in range(s.u32()))
        elif section == 5:  # memory
            for _ in range(s.u32()):
                lo, hi = s.limits()
                memories.append(f"memory(min={lo}, max={hi})")
        elif section == 7:  # export
            for _ in range(s.u32()):
                name, kind, index = s.name(), s.byte(), s.u32()
                if kind == 0:
                    exports[name] = types[func_types[index]]
                elif kind == 2:
                    exports[name] = memories[index]
                else:
                    exports[name] = {1: "table", 3: "global"}.get(kind, f"kind {kind}")
    return {"imports": imports, "exports": exports}


def describe(path: str) -> dict[str, Any]:
    with open(path, "rb") as f:
        return describe_bytes(f.read())


def main(argv: list[str]) -> int:
    json.dump({p: describe(p) for p in argv}, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
