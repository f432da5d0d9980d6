"""CodeGeneratorRequest -> CodeGeneratorResponse: which files are generated, and where."""

from __future__ import annotations

import os
from typing import Dict, List, Tuple

import jinja2
from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from wasmplug_codegen import contract, describe, golang, python
from wasmplug_codegen.model import File, GenerationError, Registry

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST_DIR = os.path.join(HERE, "guest")

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
    autoescape=False,
)


def render(template: str, **ctx: object) -> str:
    return _env.get_template(template).render(**ctx)


def parse_parameter(parameter: str) -> Dict[str, str]:
    opts = {"lang": "all", "go_runtime": "true"}
    for item in filter(None, (p.strip() for p in parameter.split(","))):
        key, eq, value = item.partition("=")
        if not eq or key not in ("lang", "go_runtime", "wkt"):
            raise GenerationError(
                f"protoc-gen-wasmplug: unknown option {item!r} (expected lang=python|go|all, "
                "go_runtime=true|false)"
            )
        opts[key] = value
    if opts["lang"] not in ("python", "go", "all"):
        raise GenerationError(
            f"protoc-gen-wasmplug: lang={opts['lang']!r}: expected python, go or all"
        )
    if opts["go_runtime"] not in ("true", "false"):
        raise GenerationError(
            f"protoc-gen-wasmplug: go_runtime={opts['go_runtime']!r}: expected true or false"
        )
    return opts


def go_files(reg: Registry, f: File) -> List[Tuple[str, str]]:
    path, pkg = golang.file_package(f)
    base = os.path.splitext(os.path.basename(f.path))[0]
    out = []
    imp = golang.Imports(path)
    gen = golang.MessageGen(reg, f, imp)
    messages = [gen.message(m) for m in f.all_messages()]
    enums = [gen.enum(e) for e in f.all_enums()]
    plugin_svcs = [golang.service(gen, s) for s in f.plugin_services()]
    host_svcs = [golang.service(gen, s) for s in f.host_services()]
    services = plugin_svcs + host_svcs
    if services:
        imp.use("context")
    if messages or enums or services:
        out.append(
            (
                f"{path}/{base}.pb.go",
                golang.gofmt_align(
                    render(
                        "messages.go.j2",
                        source=f.path,
                        package=pkg,
                        imports=imp.lines(),
                        enums=enums,
                        messages=messages,
                        services=services,
                    )
                ),
            )
        )
    if services:
        pimp = golang.Imports(path)
        pimp.use(golang.GUEST, "guest")
        if host_svcs:
            pimp.use("context")
        pgen = golang.MessageGen(reg, f, pimp)  # only host clients name message types here
        host_svcs = [golang.service(pgen, s) for s in f.host_services()]
        out.append(
            (
                f"{path}/{base}_plugin.pb.go",
                render(
                    "plugin.go.j2",
                    source=f.path,
                    package=pkg,
                    imports=pimp.lines(),
                    plugins=plugin_svcs,
                    hosts=host_svcs,
                    describe=describe.go_string(describe_blob(reg, f)),
                ),
            )
        )
        # The same API for native builds (Go unit tests, vet, editors), without the wasm ABI.
        nimp = golang.Imports(path)
        if host_svcs:
            nimp.use("context")
            nimp.use("errors")
        ngen = golang.MessageGen(reg, f, nimp)
        native_hosts = [golang.service(ngen, s) for s in f.host_services()]
        out.append(
            (
                f"{path}/{base}_plugin_native.pb.go",
                render(
                    "plugin_native.go.j2",
                    source=f.path,
                    package=pkg,
                    imports=nimp.lines(),
                    plugins=plugin_svcs,
                    hosts=native_hosts,
                ),
            )
        )
    if out and not path.startswith(
        golang.WKT_PREFIX
    ):  # the WKT packages live in the runtime module
        out.append(
            (
                f"{path}/go.mod",
                render("go.mod.j2", import_path=path, go_version=contract.MIN_GO_VERSION),
            )
        )
    return out


def describe_blob(reg: Registry, f: File) -> bytes:
    """What `f`'s services are, for the plugin's `.wasm` (see describe.py): their names, versions,
    modules and methods, and the descriptors of `f` and its imports, dependencies first."""
    services = []
    for s in f.plugin_services() + f.host_services():
        entry: Dict[str, object] = {
            "name": (f.package + "." if f.package else "") + s.name,
            "kind": s.kind,
            "methods": [
                {
                    "name": m.name,
                    "wasm_name": m.export,
                    "request": m.proto.input_type.lstrip("."),
                    "reply": m.proto.output_type.lstrip("."),
                }
                for m in s.methods
            ],
        }
        if s.kind == "plugin":
            entry["version"] = s.version
        else:
            entry["module"] = s.module
        services.append(entry)
    order: List[str] = []

    def visit(name: str) -> None:
        if name not in order:
            for dep in reg.protos[name].dependency:
                visit(dep)
            order.append(name)

    visit(f.path)
    files = []
    for name in order:
        fp = descriptor_pb2.FileDescriptorProto()
        fp.CopyFrom(reg.protos[name])
        fp.ClearField("source_code_info")  # comments and spans: not needed to decode
        files.append(fp.SerializeToString(deterministic=True))
    return describe.blob(describe.header(f.path, services), files)


def runtime_files() -> List[Tuple[str, str]]:
    """The Go guest runtime module, ``wasmplug.dev/guest/...``, from the files in ``guest/``."""
    out = []
    for root, dirs, files in os.walk(GUEST_DIR):
        dirs.sort()
        for name in sorted(files):
            if name.endswith((".go", ".mod")) and not name.endswith("_test.go"):
                full = os.path.join(root, name)
                rel = os.path.relpath(full, GUEST_DIR).replace(os.sep, "/")
                with open(full, encoding="utf-8") as fh:
                    out.append((golang.GUEST + "/" + rel, fh.read()))
    return out


def generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    resp = plugin_pb2.CodeGeneratorResponse()
    resp.supported_features = plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    try:
        files = _generate(request)
    except GenerationError as e:
        resp.error = str(e)
        return resp
    for name, content in files:
        out = resp.file.add()
        out.name = name
        out.content = content
    return resp


def _generate(request: plugin_pb2.CodeGeneratorRequest) -> List[Tuple[str, str]]:
    opts = parse_parameter(request.parameter)
    reg = Registry(list(request.proto_file))
    files: List[Tuple[str, str]] = []
    seen: Dict[str, str] = {}
    wkt = opts.get("wkt") == "true"  # internal: regenerates guest/wkt from the WKT protos
    for name in request.file_to_generate:
        if name.startswith("google/protobuf/") and not wkt:
            continue  # the Go runtime ships these; Python uses protobuf's own modules
        f = reg.file(name, check=True)  # first: the closure then reuses this checked build
        reg.load_closure(name)
        if opts["lang"] in ("go", "all"):
            for path, content in go_files(reg, f):
                if seen.get(path, content) != content:
                    raise GenerationError(f"{name}: generated file {path} differs between protos")
                if path not in seen:
                    seen[path] = content
                    files.append((path, content))
        if (
            opts["lang"] in ("python", "all")
            and f.services
            and (f.plugin_services() or f.host_services())
        ):
            pg = python.PythonGen(reg, f)
            files.append((python.output_name(f), render("host_sdk.py.j2", **pg.context())))
    if opts["lang"] in ("go", "all") and opts["go_runtime"] == "true" and not wkt:
        files += runtime_files()
    return files


def main_bytes(data: bytes) -> bytes:
    request = plugin_pb2.CodeGeneratorRequest.FromString(data)
    return generate(request).SerializeToString()
