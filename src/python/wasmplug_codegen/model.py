"""The descriptor model the generator works on: files, messages, fields, enums and services with
their comments, go:plugin annotations and source positions, plus the checks that refuse what we
cannot generate (each error names ``file.proto:LINE:COL`` and the element)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from google.protobuf import descriptor_pb2
from wasmplug_codegen.contract import ANNOTATION_RE, snake

FDP = descriptor_pb2.FieldDescriptorProto

# SourceCodeInfo path components (descriptor.proto field numbers).
_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE, _FILE_EXTENSION, _FILE_SYNTAX = 4, 5, 6, 7, 12
_MSG_FIELD, _MSG_NESTED, _MSG_ENUM, _MSG_EXTENSION, _MSG_ONEOF = 2, 3, 4, 6, 8
_ENUM_VALUE, _SERVICE_METHOD = 2, 2


class GenerationError(Exception):
    """A problem in the input protos; str() is ``file.proto:LINE:COL: message (element)``."""


@dataclass
class Comments:
    leading: str = ""
    trailing: str = ""

    def lines(self) -> List[str]:
        """The leading comment as lines, without the go:plugin annotation and trailing blanks."""
        out = [ln[1:] if ln.startswith(" ") else ln for ln in self.leading.split("\n")]
        out = [ln.rstrip() for ln in out if not ln.strip().startswith("go:plugin")]
        while out and not out[-1]:
            out.pop()
        while out and not out[0]:
            out.pop(0)
        return out


@dataclass
class Pos:
    path: str
    line: int  # 1-based
    col: int  # 1-based

    def error(self, message: str, element: str) -> GenerationError:
        return GenerationError(f"{self.path}:{self.line}:{self.col}: {message} ({element})")


@dataclass
class Enum:
    proto: descriptor_pb2.EnumDescriptorProto
    full_name: str  # "pkg.Outer.Kind"
    file: "File"
    parent: Optional["Message"]
    comments: Comments
    values: List[Tuple[descriptor_pb2.EnumValueDescriptorProto, Comments]]

    @property
    def local_name(self) -> str:
        """The name inside its package: "Outer.Kind" for "pkg.Outer.Kind"."""
        return self.full_name[len(self.file.package) + 1 :] if self.file.package else self.full_name


@dataclass
class Field:
    proto: descriptor_pb2.FieldDescriptorProto
    message: "Message"
    comments: Comments
    pos: Pos

    @property
    def name(self) -> str:
        return self.proto.name

    @property
    def number(self) -> int:
        return self.proto.number

    @property
    def type(self) -> int:
        return self.proto.type

    @property
    def repeated(self) -> bool:
        return self.proto.label == FDP.LABEL_REPEATED

    @property
    def optional(self) -> bool:
        """proto3 ``optional`` (explicit presence)."""
        return self.proto.proto3_optional

    @property
    def oneof(self) -> Optional["Oneof"]:
        if self.proto.HasField("oneof_index") and not self.proto.proto3_optional:
            return self.message.oneofs[self.proto.oneof_index]
        return None


@dataclass
class Oneof:
    name: str
    comments: Comments
    fields: List[Field] = field(default_factory=list)


@dataclass
class Message:
    proto: descriptor_pb2.DescriptorProto
    full_name: str
    file: "File"
    parent: Optional["Message"]
    comments: Comments
    fields: List[Field] = field(default_factory=list)
    oneofs: List[Oneof] = field(default_factory=list)  # real oneofs only, by declaration index
    nested: List["Message"] = field(default_factory=list)
    enums: List[Enum] = field(default_factory=list)

    @property
    def local_name(self) -> str:
        """The name inside its package: "Outer.Kind" for "pkg.Outer.Kind"."""
        return self.full_name[len(self.file.package) + 1 :] if self.file.package else self.full_name

    @property
    def map_entry(self) -> bool:
        return self.proto.options.map_entry


@dataclass
class Method:
    proto: descriptor_pb2.MethodDescriptorProto
    service: "Service"
    comments: Comments
    pos: Pos

    @property
    def name(self) -> str:
        return self.proto.name

    @property
    def export(self) -> str:
        """The wasm name: an export ``snake(Service + Method)`` of a plugin, an import ``snake(Method)``
        (from the service's module) of a host service."""
        if self.service.kind == "plugin":
            return snake(self.service.name + self.name)
        return snake(self.name)


@dataclass
class Service:
    proto: descriptor_pb2.ServiceDescriptorProto
    file: "File"
    comments: Comments
    pos: Pos
    kind: str = ""  # "plugin" | "host" | "" (not annotated: not generated)
    version: int = 1
    module: str = "env"
    methods: List[Method] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.proto.name


@dataclass
class File:
    proto: descriptor_pb2.FileDescriptorProto
    messages: List[Message] = field(default_factory=list)  # top level
    enums: List[Enum] = field(default_factory=list)  # top level
    services: List[Service] = field(default_factory=list)
    locations: Dict[Tuple[int, ...], descriptor_pb2.SourceCodeInfo.Location] = field(
        default_factory=dict
    )
    checked: bool = False  # built with the checks for files we generate

    @property
    def path(self) -> str:
        return self.proto.name

    @property
    def package(self) -> str:
        return self.proto.package

    def comments(self, path: Sequence[int]) -> Comments:
        loc = self.locations.get(tuple(path))
        if loc is None:
            return Comments()
        return Comments(loc.leading_comments, loc.trailing_comments)

    def pos(self, path: Sequence[int]) -> Pos:
        loc = self.locations.get(tuple(path))
        if loc is None or not loc.span:
            return Pos(self.path, 1, 1)
        return Pos(self.path, loc.span[0] + 1, loc.span[1] + 1)

    def all_messages(self) -> Iterator[Message]:
        """Every message (nested ones too) in declaration order, map entries excluded."""
        return (m for m in _walk_all(self.messages) if not m.map_entry)

    def all_enums(self) -> Iterator[Enum]:
        yield from self.enums
        for m in self.all_messages():
            yield from m.enums

    def plugin_services(self) -> List[Service]:
        return [s for s in self.services if s.kind == "plugin"]

    def host_services(self) -> List[Service]:
        return [s for s in self.services if s.kind == "host"]


def parse_annotation(svc: Service) -> None:
    """Parse go-plugin's ``go:plugin type=plugin version=1`` / ``type=host module=x`` line."""
    for raw in svc.comments.leading.split("\n"):
        m = ANNOTATION_RE.match(raw)
        if not m:
            if raw.strip().startswith("go:plugin"):
                raise svc.pos.error(f"malformed go:plugin line {raw.strip()!r}", svc.name)
            continue
        seen: Dict[str, str] = {}
        for token in m.group(1).split():
            key, eq, value = token.partition("=")
            if not eq or not key or not value:
                raise svc.pos.error(
                    f"malformed go:plugin line {raw.strip()!r}: expected key=value, got {token!r}",
                    svc.name,
                )
            if key not in ("type", "version", "module"):
                raise svc.pos.error(
                    f"malformed go:plugin line {raw.strip()!r}: unknown key {key!r}"
                    " (expected type, version, module)",
                    svc.name,
                )
            seen[key] = value
        kind = seen.get("type")
        if kind is None:
            raise svc.pos.error(
                f"malformed go:plugin line {raw.strip()!r}: missing type=plugin or type=host",
                svc.name,
            )
        if kind not in ("plugin", "host"):
            raise svc.pos.error(
                f"unknown go:plugin type={kind!r} (expected type=plugin or type=host)", svc.name
            )
        svc.kind = kind
        if "version" in seen:
            if kind != "plugin":
                raise svc.pos.error("version= is only valid with type=plugin", svc.name)
            if not seen["version"].isdigit() or int(seen["version"]) < 1:
                raise svc.pos.error(
                    f"invalid go:plugin version={seen['version']!r} (expected a positive integer)",
                    svc.name,
                )
            svc.version = int(seen["version"])
        if "module" in seen:
            if kind != "host":
                raise svc.pos.error("module= is only valid with type=host", svc.name)
            if not re.match(r"^[A-Za-z0-9_.\-]+$", seen["module"]):
                raise svc.pos.error(f"invalid go:plugin module={seen['module']!r}", svc.name)
            svc.module = seen["module"]


def _build_enum(
    f: File,
    proto: descriptor_pb2.EnumDescriptorProto,
    scope: str,
    parent: Optional[Message],
    path: Tuple[int, ...],
) -> Enum:
    values = [(v, f.comments(path + (_ENUM_VALUE, i))) for i, v in enumerate(proto.value)]
    return Enum(proto, scope + proto.name, f, parent, f.comments(path), values)


def _build_message(
    f: File,
    proto: descriptor_pb2.DescriptorProto,
    scope: str,
    parent: Optional[Message],
    path: Tuple[int, ...],
    check: bool,
) -> Message:
    full = scope + proto.name
    msg = Message(proto, full, f, parent, f.comments(path))
    real_oneofs: Dict[int, Oneof] = {}
    for i, od in enumerate(proto.oneof_decl):
        synthetic = any(
            fd.HasField("oneof_index") and fd.oneof_index == i and fd.proto3_optional
            for fd in proto.field
        )
        if not synthetic:
            real_oneofs[i] = Oneof(od.name, f.comments(path + (_MSG_ONEOF, i)))
    msg.oneofs = [real_oneofs.get(i, Oneof("", Comments())) for i in range(len(proto.oneof_decl))]
    for i, fd in enumerate(proto.field):
        fpath = path + (_MSG_FIELD, i)
        fld = Field(fd, msg, f.comments(fpath), f.pos(fpath))
        if fd.type == FDP.TYPE_GROUP:
            if check:
                raise fld.pos.error("proto2 groups are not supported", full + "." + fd.name)
            continue
        msg.fields.append(fld)
        if fld.oneof is not None:
            fld.oneof.fields.append(fld)
    for i, ext in enumerate(proto.extension if check else ()):
        raise f.pos(path + (_MSG_EXTENSION, i)).error(
            "extensions are not supported", full + "." + ext.name
        )
    for i, nested in enumerate(proto.nested_type):
        msg.nested.append(
            _build_message(f, nested, full + ".", msg, path + (_MSG_NESTED, i), check)
        )
    for i, en in enumerate(proto.enum_type):
        msg.enums.append(_build_enum(f, en, full + ".", msg, path + (_MSG_ENUM, i)))
    return msg


def build_file(proto: descriptor_pb2.FileDescriptorProto, check: bool = True) -> File:
    """Build the model of one file; with ``check``, refuse what we cannot generate for it."""
    f = File(proto)
    for loc in proto.source_code_info.location:
        f.locations.setdefault(tuple(loc.path), loc)
    scope = proto.package + "." if proto.package else ""
    if check and proto.syntax != "proto3":
        syntax = proto.syntax or "proto2"
        if proto.syntax == "editions":
            syntax = "editions"
        for i, mp in enumerate(proto.message_type):  # a group gives the more precise message
            _build_message(f, mp, scope, None, (_FILE_MESSAGE, i), check)
        raise f.pos((_FILE_SYNTAX,)).error(
            f'{syntax} files are not supported, only syntax = "proto3"', proto.name
        )
    for i, ext in enumerate(proto.extension if check else ()):
        raise f.pos((_FILE_EXTENSION, i)).error("extensions are not supported", scope + ext.name)
    for i, mp in enumerate(proto.message_type):
        f.messages.append(_build_message(f, mp, scope, None, (_FILE_MESSAGE, i), check))
    for i, ep in enumerate(proto.enum_type):
        f.enums.append(_build_enum(f, ep, scope, None, (_FILE_ENUM, i)))
    for i, sp in enumerate(proto.service):
        path = (_FILE_SERVICE, i)
        svc = Service(sp, f, f.comments(path), f.pos(path))
        if check:
            parse_annotation(svc)
        for j, mp2 in enumerate(sp.method):
            mpath = path + (_SERVICE_METHOD, j)
            svc.methods.append(Method(mp2, svc, f.comments(mpath), f.pos(mpath)))
        f.services.append(svc)
    if check:
        _check_services(f)
    return f


def _check_services(f: File) -> None:
    exports: Dict[str, str] = {}
    modules: Dict[str, Service] = {}
    for svc in f.services:
        if not svc.kind:
            continue
        for m in svc.methods:
            element = f"{f.package + '.' if f.package else ''}{svc.name}.{m.name}"
            if m.proto.client_streaming or m.proto.server_streaming:
                raise m.pos.error(
                    "streaming rpcs are not supported by wasm plugins (make it unary)", element
                )
            key = m.export if svc.kind == "plugin" else f"{svc.module}.{m.export}"
            if key in exports:
                raise m.pos.error(f"wasm name {key!r} is already used by {exports[key]}", element)
            exports[key] = element
        if svc.kind == "plugin":
            key = snake(svc.name) + "_api_version"
            if key in exports:
                raise svc.pos.error(
                    f"wasm name {key!r} is already used by {exports[key]}", svc.name
                )
            exports[key] = svc.name
        if svc.kind == "host":
            if svc.module in modules:
                other = modules[svc.module]
                raise svc.pos.error(
                    f"two type=host services use module {svc.module!r} (also {other.name} at line"
                    f" {other.pos.line}); give each a distinct module=NAME",
                    svc.name,
                )
            modules[svc.module] = svc


class Registry:
    """Every file of the request, and every message and enum by full name."""

    def __init__(self, files: Sequence[descriptor_pb2.FileDescriptorProto]):
        self.protos = {fp.name: fp for fp in files}
        self._files: Dict[str, File] = {}
        self.messages: Dict[str, Message] = {}
        self.enums: Dict[str, Enum] = {}

    def file(self, name: str, check: bool = False) -> File:
        """The model of a file (built on first use; ``check`` for files we generate)."""
        f = self._files.get(name)
        if f is None or (check and not f.checked):
            f = build_file(self.protos[name], check)
            f.checked = check
            self._files[name] = f
            for m in _walk_all(f.messages):  # map entries too: fields refer to them
                self.messages["." + m.full_name] = m
            for e in f.all_enums():
                self.enums["." + e.full_name] = e
        return f

    def load_closure(self, name: str) -> None:
        """Build all the files ``name`` imports, transitively (without checks)."""
        seen = set()
        todo = [name]
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            self.file(n)
            todo.extend(self.protos[n].dependency)

    def message(self, type_name: str) -> Message:
        return self.messages[type_name]

    def enum(self, type_name: str) -> Enum:
        return self.enums[type_name]


def _walk_all(msgs: List[Message]) -> Iterator[Message]:
    for m in msgs:
        yield m
        yield from _walk_all(m.nested)
