"""Python output: the host SDK module ``<dir>/<name>_wasmplug.py`` of a file with go:plugin services."""

from __future__ import annotations

import keyword
import posixpath
from dataclasses import dataclass
from typing import Dict, List

from wasmplug_codegen.contract import snake
from wasmplug_codegen.model import Comments, File, Message, Registry, Service

# Names the generated client classes already use for themselves.
_CLIENT_RESERVED = {"close", "plugin", "API_VERSION"}


def pb2_module(proto_path: str) -> str:
    """protoc's Python module for a .proto file: ``a/b/c.proto`` -> ``a.b.c_pb2``."""
    return proto_path[: -len(".proto")].replace("/", ".").replace("-", "_") + "_pb2"


def sdk_path(proto_path: str) -> str:
    return proto_path[: -len(".proto")] + "_wasmplug.py"


def docstring(comments: Comments, indent: str) -> str:
    lines = [ln.replace("\\", "\\\\").replace('"', '\\"') for ln in comments.lines()]
    return ("\n" + indent).join(lines).replace("\n" + indent + "\n", "\n\n")


def method_name(name: str) -> str:
    py = snake(name)
    if keyword.iskeyword(py) or py in _CLIENT_RESERVED or py.startswith("_"):
        py += "_"
    return py


@dataclass
class PyMethod:
    py: str
    export: str
    request: str
    reply: str
    doc: str


@dataclass
class PyService:
    name: str
    full_name: str  # "greeting.Greeter"
    snake: str
    version: int
    module: str
    doc: str
    methods: List[PyMethod]


class PythonGen:
    def __init__(self, reg: Registry, f: File):
        self.reg = reg
        self.file = f
        self.modules: Dict[str, str] = {}  # python module -> alias

    def message_ref(self, type_name: str) -> str:
        m: Message = self.reg.message(type_name)
        mod = pb2_module(m.file.path)
        if mod not in self.modules:
            alias = mod.rsplit(".", 1)[-1]
            if alias in self.modules.values():
                alias = mod.replace("_", "__").replace(".", "_dot_")
            self.modules[mod] = alias
        return f"{self.modules[mod]}.{m.local_name}"

    def service(self, svc: Service) -> PyService:
        methods = []
        for m in svc.methods:
            methods.append(
                PyMethod(
                    method_name(m.name),
                    m.export,
                    self.message_ref(m.proto.input_type),
                    self.message_ref(m.proto.output_type),
                    docstring(m.comments, " " * 8),
                )
            )
        return PyService(
            svc.name,
            (svc.file.package + "." if svc.file.package else "") + svc.name,
            snake(svc.name),
            svc.version,
            svc.module,
            docstring(svc.comments, " " * 4),
            methods,
        )

    def context(self) -> dict:
        plugins = [self.service(s) for s in self.file.plugin_services()]
        hosts = [self.service(s) for s in self.file.host_services()]
        imports = []
        for mod, alias in sorted(self.modules.items()):
            pkg, _, base = mod.rpartition(".")
            if alias == base:
                imports.append(f"from {pkg} import {base}" if pkg else f"import {base}")
            else:
                imports.append(f"import {mod} as {alias}")
        names: List[str] = []
        for h in hosts:
            names += [h.name, h.snake + "_module"]
        for p in plugins:
            names += [p.name, "Async" + p.name, p.name + "Plugin"]
        return {
            "source": self.file.path,
            "imports": imports,
            "plugins": plugins,
            "hosts": hosts,
            "all": names,
        }


def output_name(f: File) -> str:
    return posixpath.normpath(sdk_path(f.path))
