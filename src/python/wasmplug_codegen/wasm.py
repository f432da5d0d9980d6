"""A reader of wasm binary modules: imports and exports with signatures, memories, data, custom sections.

Without compiling (a 3 MB Go module reads in milliseconds, a wasmtime compile takes a second), so
the Pants backend (Python 3.9, standard library only: it imports this module), the `wasmplug`
command and the tests share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

VALTYPES = {
    0x7F: "i32",
    0x7E: "i64",
    0x7D: "f32",
    0x7C: "f64",
    0x7B: "v128",
    0x70: "funcref",
    0x6F: "externref",
}

KINDS = {0: "func", 1: "table", 2: "memory", 3: "global"}


class WasmFormatError(ValueError):
    """Not a wasm 1.0 binary module, or a truncated / malformed one."""


@dataclass(frozen=True)
class FuncType:
    params: Tuple[str, ...]
    results: Tuple[str, ...]

    def __str__(self) -> str:
        return f"func({', '.join(self.params)}) -> ({', '.join(self.results)})"


@dataclass(frozen=True)
class Limits:
    """Memory limits in 64 KiB pages (table limits in elements); `maximum` None: unbounded."""

    minimum: int
    maximum: Optional[int]


@dataclass(frozen=True)
class Extern:
    """An import (`module` set) or an export (`module` None)."""

    name: str
    kind: str  # func, table, memory, global
    module: Optional[str] = None
    func_type: Optional[FuncType] = None  # kind func
    limits: Optional[Limits] = None  # kind memory / table

    @property
    def signature(self) -> str:
        """`func(i32, i32) -> (i64)`, `memory(min=2, max=None)`, `table`, `global`."""
        if self.func_type is not None:
            return str(self.func_type)
        if self.kind == "memory" and self.limits is not None:
            return f"memory(min={self.limits.minimum}, max={self.limits.maximum})"
        return self.kind


@dataclass
class Module:
    imports: List[Extern] = field(default_factory=list)
    exports: List[Extern] = field(default_factory=list)
    memories: List[Limits] = field(default_factory=list)  # imported ones first
    custom_sections: List[Tuple[str, bytes]] = field(default_factory=list)
    # Active data segments of memory 0 with a constant offset: (offset, bytes).
    data: List[Tuple[int, bytes]] = field(default_factory=list)

    def export_names(self) -> List[str]:
        return [e.name for e in self.exports]

    def memory_image(self) -> bytes:
        """The initial contents of memory 0 from its lowest data segment on (gaps are zeros)."""
        if not self.data:
            return b""
        start = min(off for off, _ in self.data)
        image = bytearray(max(off + len(b) for off, b in self.data) - start)
        for off, b in self.data:
            image[off - start : off - start + len(b)] = b
        return bytes(image)


class _Reader:
    def __init__(self, data: bytes, pos: int = 0, end: Optional[int] = None) -> None:
        self.data, self.pos = data, pos
        self.end = len(data) if end is None else end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise WasmFormatError(f"truncated wasm module (at byte {self.pos})")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def bytes(self, n: int) -> bytes:
        if self.pos + n > self.end:
            raise WasmFormatError(f"truncated wasm module (at byte {self.pos})")
        b = self.data[self.pos : self.pos + n]
        self.pos += n
        return b

    def u32(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def s64(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result - (1 << shift) if b & 0x40 else result

    def name(self) -> str:
        return self.bytes(self.u32()).decode("utf-8", "replace")

    def valtype(self) -> str:
        b = self.byte()
        return VALTYPES.get(b, f"0x{b:02x}")

    def limits(self) -> Limits:
        flags = self.byte()
        lo = self.u32()
        return Limits(lo, self.u32() if flags & 1 else None)

    def const_offset(self) -> Optional[int]:
        """An `i32.const N; end` offset expression (None for any other expression, skipped)."""
        op = self.byte()
        value = self.s64() if op == 0x41 else None
        while op != 0x0B:
            op = self.byte()
        return value


def uleb128(value: int) -> bytes:
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_uleb128(data: bytes, pos: int) -> Tuple[int, int]:
    """(value, position after it) of the unsigned LEB128 number at `pos`."""
    r = _Reader(data, pos)
    return r.u32(), r.pos


def is_wasm(data: bytes) -> bool:
    return data[:4] == b"\0asm"


def parse(data: bytes | bytearray, *, with_data: bool = True) -> Module:
    """Read a wasm binary module. Raises WasmFormatError."""
    try:
        # slices of it are kept: not views of a buffer the caller may change
        return _parse(bytes(data), with_data)
    except IndexError as e:  # an index past a section's end, or past a list (types, memories)
        raise WasmFormatError(f"malformed or truncated wasm module: {e}") from e


def _parse(data: bytes, with_data: bool) -> Module:
    if data[:4] != b"\0asm" or data[4:8] != b"\x01\0\0\0":
        raise WasmFormatError("not a wasm 1.0 binary module (no \\0asm version 1 header)")
    r = _Reader(data, 8)
    mod = Module()
    types: List[FuncType] = []
    func_types: List[int] = []  # type index of every function, imported ones first
    tables: List[Limits] = []
    while r.pos < len(data):
        section, size = r.byte(), r.u32()
        if r.pos + size > len(data):
            raise WasmFormatError(f"section {section} at byte {r.pos} runs past the end")
        s = _Reader(data, r.pos, r.pos + size)
        r.pos += size
        if section == 0:
            name = s.name()
            mod.custom_sections.append((name, data[s.pos : s.end]))
        elif section == 1:  # type
            for _ in range(s.u32()):
                form = s.byte()
                if form != 0x60:
                    raise WasmFormatError(f"unsupported type form 0x{form:02x}")
                params = tuple(s.valtype() for _ in range(s.u32()))
                types.append(FuncType(params, tuple(s.valtype() for _ in range(s.u32()))))
        elif section == 2:  # import
            for _ in range(s.u32()):
                module, name, kind = s.name(), s.name(), s.byte()
                if kind == 0:
                    func_types.append(s.u32())
                    ext = Extern(name, "func", module, func_type=types[func_types[-1]])
                elif kind == 1:
                    s.valtype()
                    tables.append(s.limits())
                    ext = Extern(name, "table", module, limits=tables[-1])
                elif kind == 2:
                    mod.memories.append(s.limits())
                    ext = Extern(name, "memory", module, limits=mod.memories[-1])
                else:
                    s.valtype(), s.byte()
                    ext = Extern(name, "global", module)
                mod.imports.append(ext)
        elif section == 3:  # function
            func_types.extend(s.u32() for _ in range(s.u32()))
        elif section == 4:  # table
            for _ in range(s.u32()):
                s.valtype()
                tables.append(s.limits())
        elif section == 5:  # memory
            mod.memories.extend(s.limits() for _ in range(s.u32()))
        elif section == 7:  # export
            for _ in range(s.u32()):
                name, kind, index = s.name(), s.byte(), s.u32()
                if kind == 0:
                    mod.exports.append(Extern(name, "func", func_type=types[func_types[index]]))
                elif kind == 2:
                    mod.exports.append(Extern(name, "memory", limits=mod.memories[index]))
                else:
                    mod.exports.append(Extern(name, KINDS.get(kind, f"kind {kind}")))
        elif section == 11 and with_data:  # data
            mod.data = _data_segments(s)
    return mod


def _leb_at(data: bytes, pos: int) -> Tuple[int, int, int]:
    """(value, position after it, its last byte) of the LEB128 number at `pos`."""
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos, b


def _data_segments(s: _Reader) -> List[Tuple[int, bytes]]:
    """Active segments of memory 0 with an `i32.const` offset. Go splits its data at runs of
    zeros into tens of thousands of segments, so the common shape (flags 0, `i32.const N; end`)
    is decoded inline; anything else goes through the general reader."""
    data, end, out = s.data, s.end, []
    for _ in range(s.u32()):
        pos = s.pos
        if pos + 2 < end and data[pos] == 0 and data[pos + 1] == 0x41:
            offset, pos, last = _leb_at(data, pos + 2)
            if not last & 0x40 and data[pos] == 0x0B:  # non-negative, then `end`
                size, pos, _ = _leb_at(data, pos + 1)
                if pos + size > end:
                    raise WasmFormatError(f"truncated wasm module (at byte {pos})")
                out.append((offset, data[pos : pos + size]))
                s.pos = pos + size
                continue
        flags = s.u32()
        memory = s.u32() if flags == 2 else 0
        const = None if flags == 1 else s.const_offset()
        payload = s.bytes(s.u32())
        if memory == 0 and const is not None:
            out.append((const, payload))
    return out


def exports(data: bytes) -> List[str]:
    """Names in the export section (empty if `data` is no readable wasm module)."""
    try:
        return parse(data, with_data=False).export_names()
    except WasmFormatError:
        return []


def signatures(data: bytes) -> Dict[str, Dict[str, str]]:
    """{"imports": {"module.name": signature}, "exports": {name: signature}}."""
    mod = parse(data, with_data=False)
    return {
        "imports": {f"{e.module}.{e.name}": e.signature for e in mod.imports},
        "exports": {e.name: e.signature for e in mod.exports},
    }
