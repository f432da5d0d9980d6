"""Go output: names (protoc-gen-go's rules), import paths, and the stdlib-only codec of each message.

Codec code is built here as lists of Go lines; the templates in ``templates/`` lay out the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from wasmplug_codegen import contract
from wasmplug_codegen.godoc import format_doc
from wasmplug_codegen.model import (
    FDP,
    Comments,
    Enum,
    Field,
    File,
    Message,
    Registry,
    Service,
)

WIRE = contract.GUEST_WIRE_PACKAGE
GUEST = contract.GUEST_MODULE
WKT_PREFIX = contract.WKT_PREFIX

# Method names of generated messages; a field whose Go name collides gets a trailing "_".
RESERVED = {
    "Marshal",
    "Unmarshal",
    "MarshalTo",
    "UnmarshalFrom",
    "Size",
    "SizeAt",
    "CachedSize",
    "ProtoName",
    "Reset",
    "String",
}


def camel(s: str) -> str:
    """protoc-gen-go's GoCamelCase."""
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        nxt = s[i + 1] if i + 1 < len(s) else ""
        if c == "." and nxt.islower() and nxt.isascii():
            pass
        elif c == ".":
            out.append("_")
        elif c == "_" and (i == 0 or s[i - 1] == "."):
            out.append("X")
        elif c == "_" and nxt.islower() and nxt.isascii():
            pass
        elif c.isdigit():
            out.append(c)
        else:
            out.append(c.upper() if c.isascii() else c)
            while i + 1 < len(s) and s[i + 1].islower() and s[i + 1].isascii():
                i += 1
                out.append(s[i])
        i += 1
    return "".join(out)


def file_package(f: File) -> Tuple[str, str]:
    return contract.go_package(f.path, f.proto.options.go_package, f.package)


def doc(comments: Comments) -> List[str]:
    """Go comment lines from a proto leading comment, in gofmt's doc comment form."""
    return [
        "//" + ln if ln[:1] in ("", "\t") else "// " + ln for ln in format_doc(comments.lines())
    ]


def trailing(comments: Comments) -> str:
    t = comments.trailing.strip()
    return " // " + t if t and "\n" not in t else ""


# How the codec writes and reads one proto scalar type. `{v}` in enc/size/nonzero is the Go value
# expression, `{r}` in conv the raw value read.
@dataclass(frozen=True)
class Scalar:
    go: str  # Go type
    wire: str  # wire type constant of package wire, e.g. "VarintType"
    enc: str  # e.g. "e.Varint(uint64({v}))"
    read: str  # how the raw value is read: Decoder.<read>At, or inline for "Varint"
    conv: str  # the Go value from the raw one, e.g. "int32({r})"
    size: str  # e.g. "wire.SizeVarint(uint64({v}))" or "4"
    zero: str  # Go zero value
    nonzero: str  # condition with {v} for implicit presence

    @property
    def packable(self) -> bool:
        return self.wire != "BytesType"


_VARINT = "wire.SizeVarint(uint64({v}))"
SCALARS: Dict[int, Scalar] = {
    FDP.TYPE_DOUBLE: Scalar(
        "float64",
        "Fixed64Type",
        "e.Fixed64(math.Float64bits({v}))",
        "Fixed64",
        "math.Float64frombits({r})",
        "8",
        "0",
        "math.Float64bits({v}) != 0",
    ),
    FDP.TYPE_FLOAT: Scalar(
        "float32",
        "Fixed32Type",
        "e.Fixed32(math.Float32bits({v}))",
        "Fixed32",
        "math.Float32frombits({r})",
        "4",
        "0",
        "math.Float32bits({v}) != 0",
    ),
    FDP.TYPE_INT64: Scalar(
        "int64",
        "VarintType",
        "e.Varint(uint64({v}))",
        "Varint",
        "int64({r})",
        _VARINT,
        "0",
        "{v} != 0",
    ),
    FDP.TYPE_UINT64: Scalar(
        "uint64",
        "VarintType",
        "e.Varint({v})",
        "Varint",
        "{r}",
        "wire.SizeVarint({v})",
        "0",
        "{v} != 0",
    ),
    FDP.TYPE_INT32: Scalar(
        "int32",
        "VarintType",
        "e.Varint(uint64({v}))",
        "Varint",
        "int32({r})",
        _VARINT,
        "0",
        "{v} != 0",
    ),
    FDP.TYPE_FIXED64: Scalar(
        "uint64", "Fixed64Type", "e.Fixed64({v})", "Fixed64", "{r}", "8", "0", "{v} != 0"
    ),
    FDP.TYPE_FIXED32: Scalar(
        "uint32", "Fixed32Type", "e.Fixed32({v})", "Fixed32", "{r}", "4", "0", "{v} != 0"
    ),
    FDP.TYPE_BOOL: Scalar(
        "bool", "VarintType", "e.Bool({v})", "Varint", "{r} != 0", "1", "false", "{v}"
    ),
    FDP.TYPE_STRING: Scalar(
        "string",
        "BytesType",
        "e.Str({v})",
        "Str",
        "{r}",
        "wire.SizeBytes(len({v}))",
        '""',
        '{v} != ""',
    ),
    FDP.TYPE_BYTES: Scalar(
        "[]byte",
        "BytesType",
        "e.Bytes({v})",
        "Bytes",
        "{r}",
        "wire.SizeBytes(len({v}))",
        "nil",
        "len({v}) != 0",
    ),
    FDP.TYPE_UINT32: Scalar(
        "uint32",
        "VarintType",
        "e.Varint(uint64({v}))",
        "Varint",
        "uint32({r})",
        _VARINT,
        "0",
        "{v} != 0",
    ),
    FDP.TYPE_SFIXED32: Scalar(
        "int32",
        "Fixed32Type",
        "e.Fixed32(uint32({v}))",
        "Fixed32",
        "int32({r})",
        "4",
        "0",
        "{v} != 0",
    ),
    FDP.TYPE_SFIXED64: Scalar(
        "int64",
        "Fixed64Type",
        "e.Fixed64(uint64({v}))",
        "Fixed64",
        "int64({r})",
        "8",
        "0",
        "{v} != 0",
    ),
    FDP.TYPE_SINT32: Scalar(
        "int32",
        "VarintType",
        "e.Varint(wire.EncodeZigZag(int64({v})))",
        "Varint",
        "wire.DecodeZigZag32({r})",
        "wire.SizeVarint(wire.EncodeZigZag(int64({v})))",
        "0",
        "{v} != 0",
    ),
    FDP.TYPE_SINT64: Scalar(
        "int64",
        "VarintType",
        "e.Varint(wire.EncodeZigZag({v}))",
        "Varint",
        "wire.DecodeZigZag({r})",
        "wire.SizeVarint(wire.EncodeZigZag({v}))",
        "0",
        "{v} != 0",
    ),
}


class Imports:
    """The imports of one generated Go file; ``use`` returns the qualifier for an identifier."""

    def __init__(self, own_path: str):
        self.own = own_path
        self.paths: Dict[str, str] = {}  # import path -> alias

    def use(self, path: str, name: Optional[str] = None) -> str:
        if path == self.own:
            return ""
        if path not in self.paths:
            alias = name or path.rsplit("/", 1)[-1]
            taken = set(self.paths.values())
            base, n = alias, 1
            while alias in taken:
                n += 1
                alias = f"{base}{n}"
            self.paths[path] = alias
        return self.paths[path] + "."

    def lines(self) -> List[str]:
        std = sorted(p for p in self.paths if "." not in p.split("/")[0])
        other = sorted(p for p in self.paths if p not in std)
        out = []
        for group in (std, other):
            for p in group:
                alias = self.paths[p]
                out.append(f'\t"{p}"' if alias == p.rsplit("/", 1)[-1] else f'\t{alias} "{p}"')
            if group and other and group is std:
                out.append("")
        return out


class Names:
    """Go identifiers of messages, enums, fields and oneof wrappers."""

    def __init__(self, reg: Registry):
        self.reg = reg

    def message_ident(self, m: Message) -> str:
        return camel(m.local_name)

    def enum_ident(self, e: Enum) -> str:
        return camel(e.local_name)

    def enum_value_ident(self, e: Enum, value: str) -> str:
        prefix = self.message_ident(e.parent) if e.parent else self.enum_ident(e)
        return f"{prefix}_{value}"

    def field_name(self, f: Field) -> str:
        name = camel(f.name)
        return name + "_" if name in RESERVED else name

    def oneof_name(self, m: Message, index: int) -> str:
        name = camel(m.oneofs[index].name)
        return name + "_" if name in RESERVED else name

    def wrapper(self, f: Field) -> str:
        """The oneof case type of a field, ``Msg_FieldName``."""
        msg = f.message
        name = self.message_ident(msg) + "_" + self.field_name(f)
        taken = {self.message_ident(n) for n in msg.nested} | {
            self.enum_ident(e) for e in msg.enums
        }
        while name in taken:
            name += "_"
        return name


@dataclass
class GoField:
    name: str
    type: str
    doc: List[str]
    trailing: str
    getter_type: str
    getter_zero: str
    deref: bool = False  # optional scalar: the getter returns *field


@dataclass
class GoOneof:
    name: str
    iface: str
    doc: List[str]
    cases: List[Tuple[str, GoField]]  # (wrapper type, field)


@dataclass
class GoMessage:
    ident: str
    full_name: str
    doc: List[str]
    fields: List[GoField] = field(default_factory=list)  # struct fields in order (oneofs inline)
    members: List[object] = field(default_factory=list)  # GoField | GoOneof in struct order
    oneofs: List[GoOneof] = field(default_factory=list)
    size: List[str] = field(default_factory=list)
    marshal: List[str] = field(default_factory=list)
    unmarshal: List[str] = field(default_factory=list)
    runs: List["RunReader"] = field(default_factory=list)  # repeated message and map fields
    read_tag: List[str] = field(default_factory=list)  # UnmarshalFrom's tag read (read_tag)


@dataclass
class RunReader:
    """A method of a message that reads a run of one field's tags (MessageGen.run_reader)."""

    name: str
    field: str  # the proto field's name
    body: List[str]


@dataclass
class GoEnum:
    ident: str
    doc: List[str]
    values: List[Tuple[str, int, str, List[str], str]]  # (ident, number, proto name, doc, trailing)
    names: List[
        Tuple[int, str]
    ]  # (number, proto name) of the first value of each number: the _name map


class MessageGen:
    """Builds the Go of the messages of one file."""

    def __init__(self, reg: Registry, f: File, imports: Imports):
        self.reg = reg
        self.file = f
        self.imp = imports
        self.names = Names(reg)

    # -- types ----------------------------------------------------------------------------------
    def qualify_message(self, m: Message) -> str:
        path, name = file_package(m.file)
        return self.imp.use(path, name) + self.names.message_ident(m)

    def qualify_enum(self, e: Enum) -> str:
        path, name = file_package(e.file)
        return self.imp.use(path, name) + self.names.enum_ident(e)

    def scalar(self, fd: FDP) -> Scalar:
        if fd.type == FDP.TYPE_ENUM:
            t = self.qualify_enum(self.reg.enum(fd.type_name))
            return Scalar(
                t,
                "VarintType",
                "e.Varint(uint64({v}))",
                "Varint",
                f"{t}({{r}})",
                _VARINT,
                "0",
                "{v} != 0",
            )
        s = SCALARS[fd.type]
        if "math." in s.enc:
            self.imp.use("math")
        return s

    def packed(self, f: Field) -> bool:
        """Written packed: repeated numeric fields, unless ``[packed = false]``."""
        opts = f.proto.options
        if f.type == FDP.TYPE_MESSAGE or not self.scalar(f.proto).packable:
            return False
        return opts.packed if opts.HasField("packed") else True

    def map_entry(self, f: Field) -> Optional[Message]:
        if f.type == FDP.TYPE_MESSAGE and f.repeated:
            m = self.reg.message(f.proto.type_name)
            if m.map_entry:
                return m
        return None

    def elem_type(self, fd: FDP) -> str:
        if fd.type == FDP.TYPE_MESSAGE:
            return "*" + self.qualify_message(self.reg.message(fd.type_name))
        return self.scalar(fd).go

    def field_type(self, f: Field) -> str:
        entry = self.map_entry(f)
        if entry is not None:
            k, v = entry.proto.field[0], entry.proto.field[1]
            return f"map[{self.elem_type(k)}]{self.elem_type(v)}"
        t = self.elem_type(f.proto)
        if f.repeated:
            return "[]" + t
        if f.optional and f.type not in (FDP.TYPE_MESSAGE, FDP.TYPE_BYTES):
            return "*" + t
        return t

    # -- one message ----------------------------------------------------------------------------
    def message(self, m: Message) -> GoMessage:
        ident = self.names.message_ident(m)
        gm = GoMessage(ident, m.full_name, doc(m.comments))
        self.imp.use(WIRE)
        seen_oneofs = set()
        for f in m.fields:
            oneof = f.oneof
            if oneof is not None:
                idx = f.proto.oneof_index
                if idx in seen_oneofs:
                    continue
                seen_oneofs.add(idx)
                oname = self.names.oneof_name(m, idx)
                go = GoOneof(oname, f"is{ident}_{oname}", doc(oneof.comments), [])
                for of in oneof.fields:
                    t = self.elem_type(of.proto)
                    zero = "nil" if of.type == FDP.TYPE_MESSAGE else self.scalar(of.proto).zero
                    go.cases.append(
                        (
                            self.names.wrapper(of),
                            GoField(
                                self.names.field_name(of),
                                t,
                                doc(of.comments),
                                trailing(of.comments),
                                t,
                                zero,
                            ),
                        )
                    )
                gm.oneofs.append(go)
                gm.members.append(go)
                continue
            t = self.field_type(f)
            if f.optional and t.startswith("*") and f.type != FDP.TYPE_MESSAGE:
                gt, zero = t[1:], self.scalar(f.proto).zero
            elif t.startswith(("*", "[]", "map[")):
                gt, zero = t, "nil"
            else:
                gt, zero = t, self.scalar(f.proto).zero
            gf = GoField(
                self.names.field_name(f),
                t,
                doc(f.comments),
                trailing(f.comments),
                gt,
                zero,
                deref=gt != t,
            )
            gm.fields.append(gf)
            gm.members.append(gf)
        for f in sorted(m.fields, key=lambda x: x.number):
            size, enc = self.encode_field(f)
            gm.size += expand_lines(size)
            gm.marshal += expand_lines(enc)
        gm.unmarshal = expand_lines(self.decode_cases(m))
        for f in sorted(m.fields, key=lambda x: x.number):
            run = self.run_reader(f)
            if run:
                gm.runs.append(run)
        # fields 16-2047 have two-byte tags, read inline too
        gm.read_tag = read_tag("b", "i", "start", "tag", any(f.number >= 16 for f in m.fields))
        return gm

    # -- encoding -------------------------------------------------------------------------------
    def value_code(self, fd: FDP, v: str, levels: int = 1) -> "ValueCode":
        """How one value ``v`` of ``fd`` (no tag) is sized and written; a message value is ``levels``
        below the message being encoded (2 for a map value: the entry is a level of its own)."""
        if fd.type == FDP.TYPE_MESSAGE:
            return ValueCode(
                "BytesType",
                f"wire.SizeBytes({v}.SizeAt(depth+{levels}))",
                f"wire.SizeBytes({v}.CachedSize())",
                f"e.Message({v})",
                "\n".join(
                    [
                        f"i = wire.PutVarint(b, {{at}}, uint64({v}.CachedSize()))",
                        "e.Seek(i)",
                        f"if e.Enter({levels}) {{",
                        f"\t{v}.MarshalTo(e)",
                        "}",
                        f"e.Leave({levels})",
                        "i = e.Len()",
                    ]
                ),
            )
        s = self.scalar(fd)
        size, write = s.size.format(v=v), s.enc.format(v=v)
        return ValueCode(s.wire, size, size, write, put_code(write))

    def encode_field(self, f: Field) -> Tuple[List[str], List[str]]:
        """(SizeAt() lines, MarshalTo() lines) for one field; one tab of indent is added by the
        caller. A line may hold several, separated by newlines (see ``expand_lines``)."""
        num = f.number
        tag = _tag_size(num)
        x = "m." + self.names.field_name(f)
        entry = self.map_entry(f)
        if entry is not None:
            kf, vf = entry.proto.field[0], entry.proto.field[1]
            key = self.value_code(kf, "k")
            val = self.value_code(vf, "v", levels=2)
            entries = {
                FDP.TYPE_BOOL: "wire.SortedBoolEntries",
                FDP.TYPE_STRING: "wire.SortedStringEntries",
            }.get(kf.type, "wire.SortedEntries")
            if key.fixed and val.fixed:
                size_loop = [
                    f"\tsize += len({x}) * ({tag} + wire.SizeBytes(1+{key.size}+1+{val.size}))"
                ]
            else:
                kv = ("_" if key.fixed else "k") + ", " + ("_" if val.fixed else "v")
                size_loop = [
                    f"\tfor {kv} := range {x} {{",
                    f"\t\tsize += {tag} + wire.SizeBytes(1+{key.size}+1+{val.size})",
                    "\t}",
                ]
            size = [f"if len({x}) > 0 {{", *size_loop, "}"]
            enc = [
                f"if len({x}) > 0 {{",
                f"\tvar small [8]wire.Entry[{self.elem_type(kf)}, {self.elem_type(vf)}]",
                f"\tfor _, kv := range {entries}(small[:0], {x}) {{",
                "\t\tk, v := kv.Key, kv.Val",
                f"\t\tn := 1 + {key.cached_size} + 1 + {val.cached_size}",
                *put_field(num, ValueCode.raw("uint64(n)"), "\t\t"),
                *put_field(1, key, "\t\t"),
                *put_field(2, val, "\t\t"),
                "\t}",
                "}",
            ]
            return size, enc
        vc = self.value_code(f.proto, "v")
        if f.repeated:
            if self.packed(f):
                if vc.fixed:
                    psize = [f"\tp := {vc.size} * len({x})"]
                else:
                    psize = [
                        "\tp := 0",
                        f"\tfor _, v := range {x} {{",
                        f"\t\tp += {vc.size}",
                        "\t}",
                    ]
                size = [f"if len({x}) > 0 {{", *psize, f"\tsize += {tag} + wire.SizeBytes(p)", "}"]
                enc = [
                    f"if len({x}) > 0 {{",
                    *psize,
                    *put_field(num, ValueCode.raw("uint64(p)"), "\t"),
                    f"\tfor _, v := range {x} {{",
                    "\t\t" + vc.put.replace("{at}", "i"),
                    "\t}",
                    "}",
                ]
                return size, enc
            if vc.fixed:  # fixed-size elements ([packed = false] double, fixed32, bool, ...)
                size = [f"size += len({x}) * ({tag} + {vc.size})"]
            else:
                size = [f"for _, v := range {x} {{", f"\tsize += {tag} + {vc.size}", "}"]
            enc = [f"for _, v := range {x} {{", *put_field(num, vc, "\t"), "}"]
            return size, enc
        oneof = f.oneof
        if oneof is not None:
            wrapper = self.names.wrapper(f)
            oname = self.names.oneof_name(f.message, f.proto.oneof_index)
            vc = self.value_code(f.proto, "x." + self.names.field_name(f))
            case = f"m.{oname}.(*{wrapper}); ok {{"
            return (
                [
                    f"if {'_' if vc.fixed else 'x'}, ok := {case}",
                    f"\tsize += {tag} + {vc.size}",
                    "}",
                ],
                [f"if x, ok := {case}", *put_field(num, vc, "\t"), "}"],
            )
        if f.type == FDP.TYPE_MESSAGE or f.optional:  # a pointer (or []byte): present if not nil
            cond = f"if {x} != nil {{"
            scalar_ptr = f.type not in (FDP.TYPE_MESSAGE, FDP.TYPE_BYTES)
            vc = self.value_code(f.proto, "*" + x if scalar_ptr else x)
        else:
            cond = "if " + self.scalar(f.proto).nonzero.format(v=x) + " {"
            vc = self.value_code(f.proto, x)
        return (
            [cond, f"\tsize += {tag} + {vc.size}", "}"],
            [cond, *put_field(num, vc, "\t"), "}"],
        )

    # -- decoding -------------------------------------------------------------------------------
    # UnmarshalFrom keeps the input and the position in locals (`b, i := d.Window()`), reads
    # one-byte tags and varints inline and the rest with Decoder's *At methods, which return the
    # new position (in wasm a call costs more than most fields). After an error, which they record
    # in d, the position is at or past the end, so every loop stops.
    def read(self, fd: FDP, buf: str = "b", idx: str = "i") -> Tuple[List[str], str]:
        """(lines reading one scalar of ``fd`` at ``buf[idx:]`` into ``r``, its Go value)."""
        s = self.scalar(fd)
        conv = s.conv.format(r="r")
        if s.read == "Varint":
            return read_varint("r", buf, idx), conv
        raw = RAW_TYPES[s.read]
        return [f"var r {raw}", f"r, {idx} = d.{s.read}At({buf}, {idx})"], conv

    def decode_cases(self, m: Message) -> List[str]:
        out: List[str] = []
        for f in sorted(m.fields, key=lambda x: x.number):
            for wire, body in self.decode_field(f):
                out.append(f"case {tag_value(f.number, wire)}: // {f.name}")
                out += ["\t" + ln for ln in body]
        return out

    def run_reader(self, f: Field) -> Optional["RunReader"]:
        """The method reading a run of a repeated message field's or a map field's tags at once
        (its messages from one slab, one allocation instead of one per message; the map sized
        for the run), which keeps UnmarshalFrom small (in wasm its frame is on every level of a
        deep message)."""
        entry = self.map_entry(f)
        if entry is None and not (f.repeated and f.type == FDP.TYPE_MESSAGE):
            return None
        x = "m." + self.names.field_name(f)
        msg = entry.proto.field[1] if entry is not None else f.proto
        body = ["n := d.Run(b, start, tag)"]
        if msg.type == FDP.TYPE_MESSAGE:
            body.append(
                f"slab := make([]{self.qualify_message(self.reg.message(msg.type_name))}, n)"
            )
        if entry is not None:
            body += [f"if {x} == nil {{", f"\t{x} = make({self.field_type(f)}, n)", "}"]
            read = self.decode_entry(f, entry, x)
        else:
            body += [f"if {x} == nil {{", f"\t{x} = make({self.field_type(f)}, 0, n)", "}"]
            read = ["v := &slab[at]", *merge_message("v"), f"{x} = append({x}, v)"]
        body += [
            "for at := 0; at < n; at++ {",
            "\tif at > 0 {",
            "\t\ti = d.SkipTag(b, i) // the same tag (Run)",
            "\t}",
            *["\t" + ln for ln in read],
            "}",
            "return i",
        ]
        return RunReader("unmarshal" + self.names.field_name(f), f.name, expand_lines(body))

    def decode_field(self, f: Field) -> List[Tuple[str, List[str]]]:
        """(wire type, lines) of each tag that field ``f`` is read from."""
        x = "m." + self.names.field_name(f)
        entry = self.map_entry(f)
        if entry is not None:
            name = "unmarshal" + self.names.field_name(f)
            return [("BytesType", [f"i = m.{name}(d, b, start, i, tag)"])]
        w = self.value_code(f.proto, "").wire
        if f.type == FDP.TYPE_MESSAGE:
            t = self.qualify_message(self.reg.message(f.proto.type_name))
        if f.repeated:
            if f.type == FDP.TYPE_MESSAGE:
                return [(w, [f"i = m.unmarshal{self.names.field_name(f)}(d, b, start, i, tag)"])]
            lines, value = self.read(f.proto)
            cases = [(w, [*lines, f"{x} = append({x}, {value})"])]
            if self.scalar(f.proto).packable:
                cases.append(("BytesType", self.decode_packed(f, x)))
            return cases
        oneof = f.oneof
        if oneof is not None:
            wrapper = self.names.wrapper(f)
            oname = self.names.oneof_name(f.message, f.proto.oneof_index)
            fname = self.names.field_name(f)
            if f.type == FDP.TYPE_MESSAGE:
                return [
                    (
                        w,
                        [
                            f"x, ok := m.{oname}.(*{wrapper})",
                            f"if !ok || x.{fname} == nil {{",
                            f"\tx = &{wrapper}{{{fname}: new({t})}}",
                            f"\tm.{oname} = x",
                            "}",
                            *merge_message(f"x.{fname}"),
                        ],
                    )
                ]
            lines, value = self.read(f.proto)
            return [(w, [*lines, f"m.{oname} = &{wrapper}{{{fname}: {value}}}"])]
        if f.type == FDP.TYPE_MESSAGE:
            return [(w, [f"if {x} == nil {{", f"\t{x} = new({t})", "}", *merge_message(x)])]
        if f.type == FDP.TYPE_BYTES or f.type == FDP.TYPE_STRING and not f.optional:
            return [(w, [f"{x}, i = d.{self.scalar(f.proto).read}At(b, i)"])]  # read in place
        lines, value = self.read(f.proto)
        if f.optional:
            return [(w, [*lines, f"v := {value}", f"{x} = &v"])]
        return [(w, [*lines, f"{x} = {value}"])]

    def decode_packed(self, f: Field, x: str) -> List[str]:
        """A packed run of ``f``'s scalars (accepted whether or not ``f`` is written packed)."""
        s = self.scalar(f.proto)
        count = {"Fixed32": "len(p)/4", "Fixed64": "len(p)/8"}.get(s.read, "wire.CountVarints(p)")
        lines, value = self.read(f.proto, "p", "j")
        return [
            "var p []byte",
            "p, i = d.RawAt(b, i)",
            f"if {x} == nil {{",
            f"\t{x} = make([]{s.go}, 0, {count})",
            "}",
            "for j := 0; j < len(p); {",
            *["\t" + ln for ln in lines],
            f"\t{x} = append({x}, {value})",
            "}",
        ]

    def decode_entry(self, f: Field, entry: Message, x: str) -> List[str]:
        """One map entry (a message level of its own) into the Go map ``x``, in run_reader's loop
        (a message value is slab[at])."""
        kf, vf = entry.proto.field[0], entry.proto.field[1]
        kt, vt = self.elem_type(kf), self.elem_type(vf)
        body = [
            f"var k {kt}",
            f"var v {vt}",
            "var unknown []byte",
            "entry := d.EnterAt(b, i)",
            "p, j := d.Window()",
            "for j < len(p) {",
            *["\t" + ln for ln in read_tag("p", "j", "from", "key")],
            "\tswitch key {",
        ]
        for num, fd, var in ((1, kf, "k"), (2, vf, "v")):
            body.append(f"\tcase {tag_value(num, self.value_code(fd, var).wire)}:")
            if fd.type == FDP.TYPE_MESSAGE:
                read = ["if v == nil {", "\tv = &slab[at]", "}", *merge_message("v", "p", "j")]
            else:
                lines, value = self.read(fd, "p", "j")
                read = [*lines, f"{var} = {value}"]
            body += ["\t\t" + ln for ln in read]
        body += [
            "\tdefault:",
            "\t\tunknown, j = d.UnknownAt(unknown, p, from, j, key)",
            "\t}",
            "}",
            "d.Seek(j)",
            "i = d.LeaveAt(entry)",
        ]
        # upb keeps an entry with unknown fields (or a key/value of the wrong wire type) out of the map:
        # the entry is re-encoded (zero key/value omitted, then its unknown fields) as an unknown field.
        body += ["if unknown != nil {", "\te := wire.NewEncoder(nil)"]
        for num, fd, var in ((1, kf, "k"), (2, vf, "v")):
            vc = self.value_code(fd, var)
            w, enc = vc.wire, vc.write
            present = (
                "v != nil" if fd.type == FDP.TYPE_MESSAGE else self.scalar(fd).nonzero.format(v=var)
            )
            body += [f"\tif {present} {{", f"\t\te.Tag({num}, wire.{w})", f"\t\t{enc}", "\t}"]
        body += [
            "\te.Raw(unknown)",
            f"\tm.unknownFields = d.UnknownEntry(m.unknownFields, {f.number}, e)",
            "\tcontinue",
            "}",
        ]
        if vf.type == FDP.TYPE_MESSAGE:
            body += ["if v == nil {", "\tv = &slab[at]", "}"]
        return body + [f"{x}[k] = v"]

    def enum(self, e: Enum) -> GoEnum:
        ident = self.names.enum_ident(e)
        values = []
        names: Dict[int, str] = {}
        for v, c in e.values:
            values.append(
                (self.names.enum_value_ident(e, v.name), v.number, v.name, doc(c), trailing(c))
            )
            names.setdefault(v.number, v.name)
        self.imp.use("strconv")  # the String method
        return GoEnum(ident, doc(e.comments), values, list(names.items()))


@dataclass(frozen=True)
class ValueCode:
    """How one value of a field (no tag) is sized and written, as Go expressions."""

    wire: str  # its wire type's name in package wire, e.g. "BytesType"
    size: str  # its encoded length inside SizeAt (which sizes and caches sub-messages)
    cached_size: str  # the same inside MarshalTo (a sub-message's cached size)
    write: str  # the statement appending it with Encoder's methods (e.g. "e.Varint(uint64(v))")
    put: str  # the statement(s) writing it at `{at}` in MarshalTo's b, leaving i after it

    @property
    def fixed(self) -> bool:
        """The length is a constant (so the value itself is not needed to size it)."""
        return self.size.isdigit()

    @staticmethod
    def raw(varint: str) -> "ValueCode":
        """A bare varint (a length), for put_field."""
        return ValueCode("BytesType", "", "", "", f"i = wire.PutVarint(b, {{at}}, {varint})")


WIRE_TYPES = {"VarintType": 0, "Fixed64Type": 1, "BytesType": 2, "Fixed32Type": 5}

# Encoder's append methods and the wire.Put functions that write the same into MarshalTo's b.
_PUT = {
    "Varint": "PutVarint",
    "Fixed32": "PutFixed32",
    "Fixed64": "PutFixed64",
    "Bool": "PutBool",
    "Str": "PutString",
    "Bytes": "PutBytes",
}


def put_code(write: str) -> str:
    """The MarshalTo statement (at ``{at}``) of an Encoder call ``e.Method(arg)``."""
    method, arg = write[2:].split("(", 1)
    return f"i = wire.{_PUT[method]}(b, {{at}}, {arg[:-1]})"


def put_field(num: int, vc: ValueCode, indent: str) -> List[str]:
    """MarshalTo lines writing the tag of field ``num`` (its bytes computed here when 1 or 2) and
    then ``vc``'s value, each with ``indent``."""
    tag = num << 3 | WIRE_TYPES[vc.wire]
    if tag < 1 << 14:
        v, stores = tag, []
        while v >= 0x80:
            stores.append(v & 0x7F | 0x80)
            v >>= 7
        stores.append(v)
        lines = [f"b[i{f'+{k}' if k else ''}] = 0x{t:02x}" for k, t in enumerate(stores)]
        at = f"i+{len(stores)}"
    else:
        lines, at = [f"i = wire.PutVarint(b, i, {tag})"], "i"
    return [indent + line for line in lines + vc.put.replace("{at}", at).split("\n")]


def merge_message(target: str, buf: str = "b", idx: str = "i") -> List[str]:
    """Decode the length-delimited message at ``buf[idx:]`` into ``target`` (its method called
    directly: through an interface the decoder would escape to the heap)."""
    return [
        f"sub := d.EnterAt({buf}, {idx})",
        f"{target}.UnmarshalFrom(d)",
        f"{idx} = d.LeaveAt(sub)",
    ]


# Go types of the raw values Decoder's *At methods return.
RAW_TYPES = {"Fixed32": "uint32", "Fixed64": "uint64", "Str": "string", "Bytes": "[]byte"}


def read_varint(var: str, buf: str, idx: str) -> List[str]:
    """Lines reading the varint at ``buf[idx:]`` into a new ``var``: one byte inline."""
    return [
        f"var {var} uint64",
        f"if {idx} < len({buf}) && {buf}[{idx}] < 0x80 {{",
        f"\t{var} = uint64({buf}[{idx}])",
        f"\t{idx}++",
        "} else {",
        f"\t{var}, {idx} = d.VarintAt({buf}, {idx})",
        "}",
    ]


def read_tag(buf: str, idx: str, start: str, tag: str, two_bytes: bool = False) -> List[str]:
    """Lines reading the tag at ``buf[idx:]`` (``idx < len(buf)``) into a new ``tag``, where it
    starts into a new ``start``: one-byte tags (and two-byte ones, ``two_bytes``) inline."""
    lines = [f"{start}, {tag} := {idx}, uint64({buf}[{idx}])", f"if {tag} < 0x80 {{", f"\t{idx}++"]
    if two_bytes:
        lines += [
            f"}} else if {idx}+1 < len({buf}) && {buf}[{idx}+1] < 0x80 {{ // fields 16-2047",
            f"\t{tag} = {tag}&0x7f | uint64({buf}[{idx}+1])<<7",
            f"\t{idx} += 2",
        ]
    return lines + ["} else {", f"\t{tag}, {idx} = d.VarintAt({buf}, {idx})", "}"]


def tag_value(num: int, wire: str) -> str:
    """The tag of field ``num`` with wire type ``wire``, as a Go constant expression."""
    return f"{num}<<3 | {WIRE_TYPES[wire]}"


def expand_lines(lines: List[str]) -> List[str]:
    """Split lines that hold several (a multi-line statement), each indented like the first."""
    out = []
    for line in lines:
        first, *rest = line.split("\n")
        indent = first[: len(first) - len(first.lstrip("\t"))]
        out.append(first)
        out.extend(indent + r for r in rest)
    return out


def _tag_size(num: int) -> int:
    v, n = num << 3, 1
    while v >= 0x80:
        v >>= 7
        n += 1
    return n


@dataclass
class GoMethod:
    name: str
    export: str  # wasm export / import name
    request: str
    reply: str
    doc: List[str]


@dataclass
class GoService:
    name: str
    kind: str
    version: int
    module: str
    snake: str
    full_name: str
    doc: List[str]
    methods: List[GoMethod]


def service(gen: MessageGen, svc: Service) -> GoService:
    methods = []
    for m in svc.methods:
        req = gen.qualify_message(gen.reg.message(m.proto.input_type))
        rep = gen.qualify_message(gen.reg.message(m.proto.output_type))
        methods.append(GoMethod(m.name, m.export, req, rep, doc(m.comments)))
    full_name = (svc.file.package + "." if svc.file.package else "") + svc.name
    return GoService(
        svc.name,
        svc.kind,
        svc.version,
        svc.module,
        contract.snake(svc.name),
        full_name,
        doc(svc.comments),
        methods,
    )


def gofmt_align(src: str) -> str:
    """Align struct fields, const specs and their trailing comments the way gofmt does (its
    tabwriter: a column runs over consecutive lines that have that cell; comment-only and blank
    lines break it). With `godoc.format_doc` for doc comments this keeps the generated Go
    gofmt-clean without a Go toolchain; gofmt_test.py checks it with the real gofmt."""
    lines = src.split("\n")
    out: List[str] = []
    block: List[List[str]] = []
    in_block = False

    def flush() -> None:
        out.extend(_tabwrite(block))
        block.clear()

    for line in lines:
        stripped = line.strip()
        if in_block and (stripped in ("}", ")") and not line.startswith("\t\t")):
            flush()
            in_block = False
        if in_block:
            if (
                line.startswith("\t")
                and not line.startswith("\t\t")
                and stripped
                and not stripped.startswith("//")
            ):
                code, sep, comment = stripped.partition(" // ")
                parts = code.split(" ", 2)
                if len(parts) == 3 and parts[2].startswith("= "):
                    cells = parts
                else:
                    cells = code.split(" ", 1)
                block.append(cells + (["// " + comment] if sep else []))
            else:
                flush()
                block.append([line])  # a one-cell line (blank, comment) ends every column
            continue
        out.append(line)
        if (
            stripped.startswith("type ") and stripped.endswith(" struct {")
        ) or stripped == "const (":
            in_block = True
    flush()
    return "\n".join(out)


def _tabwrite(rows: List[List[str]]) -> List[str]:
    widths: Dict[Tuple[int, int], int] = {}

    def fmt(col: int, start: int, end: int) -> None:
        i = start
        while i < end:
            if len(rows[i]) - 1 > col:
                j = i
                while j < end and len(rows[j]) - 1 > col:
                    j += 1
                w = max(len(rows[k][col]) for k in range(i, j))
                for k in range(i, j):
                    widths[(k, col)] = w
                fmt(col + 1, i, j)
                i = j
            else:
                i += 1

    fmt(0, 0, len(rows))
    out = []
    for k, cells in enumerate(rows):
        if len(cells) == 1 and (not cells[0] or cells[0].startswith("\t") or cells[0] == ""):
            out.append(cells[0])
            continue
        text = "".join(c.ljust(widths[(k, i)]) + " " for i, c in enumerate(cells[:-1])) + cells[-1]
        out.append("\t" + text)
    return out
