"""Show what a plugin is: its ABI, services and methods, imports, exports, memory, size and sha256.

Reads the `.wasm` without running it. Services, methods and their types come from the description
wasmplug's guest SDK embeds; a plugin built otherwise (e.g. with go-plugin's SDK) has none, and
only its exports and imports are shown.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List

from wasmplug_codegen.cli._common import (
    WASI_MODULE,
    CliError,
    WasmFile,
    abi,
    host_imports,
    read_wasm,
)

PAGE = 65536


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("wasm", metavar="X.wasm", help="the plugin")
    parser.add_argument("--json", action="store_true", help="print JSON (for machines)")


def run(args: argparse.Namespace) -> int:
    try:
        f = read_wasm(args.wasm)
    except CliError as e:
        print(f"wasmplug inspect: {e}", file=sys.stderr)
        return 1
    info = report(f)
    if args.json:
        json.dump(info, sys.stdout, indent=2)
        print()
    else:
        print(text(info))
    return 0


def report(f: WasmFile) -> Dict[str, Any]:
    d = f.description
    # The description covers a whole .proto file: a host function the plugin never calls is not
    # imported (the linker dropped it), a plugin service it never registers has no exports.
    present = {(e.module, e.name) for e in f.module.imports} | {
        (None, e.name) for e in f.module.exports
    }
    memories = [{"min_pages": m.minimum, "max_pages": m.maximum} for m in f.module.memories]
    return {
        "file": f.path,
        "size": len(f.data),
        "sha256": f.sha256,
        "abi": abi(f),
        "sdk": d.sdk if d else None,
        "descriptors": d is not None,
        "protos": d.protos if d else [],
        "services": [
            {
                "name": s.name,
                "kind": s.kind,
                "api_version": s.version,
                "module": s.module,
                "proto": s.proto,
                "methods": [
                    {
                        "name": m.name,
                        "request": m.request,
                        "reply": m.reply,
                        ("export" if s.kind == "plugin" else "import"): m.wasm_name,
                        "present": (s.module, m.wasm_name) in present,
                    }
                    for m in s.methods
                ],
            }
            for s in (d.services if d else [])
        ],
        "memory": memories[0] if memories else None,
        "host_functions": [{"module": e.module, "name": e.name} for e in host_imports(f)],
        "imports": [
            {"module": e.module, "name": e.name, "kind": e.kind, "signature": e.signature}
            for e in f.module.imports
        ],
        "exports": [
            {"name": e.name, "kind": e.kind, "signature": e.signature} for e in f.module.exports
        ],
    }


def _pages(n: int) -> str:
    return f"{n} pages ({n * PAGE / (1 << 20):.1f} MiB)"


def text(info: Dict[str, Any]) -> str:
    out: List[str] = [
        f"{info['file']}: {info['size']} bytes, sha256 {info['sha256']}",
        f"ABI: {info['abi']}" + (f" ({info['sdk']})" if info["sdk"] else ""),
    ]
    mem = info["memory"]
    if mem:
        hi = _pages(mem["max_pages"]) if mem["max_pages"] is not None else "none"
        out.append(f"memory: min {_pages(mem['min_pages'])}, max {hi}")
    if not info["descriptors"]:
        out.append("services: unknown, no descriptors (built without wasmplug's guest SDK)")
        versions = [e["name"] for e in info["exports"] if e["name"].endswith("_api_version")]
        if versions:
            out.append("  API version exports: " + ", ".join(versions))
    for s in info["services"]:
        if s["kind"] == "plugin":
            out.append(f"plugin service {s['name']} (API version {s['api_version']})")
        else:
            out.append(f"host service {s['name']} (wasm module {s['module']!r})")
        for m in s["methods"]:
            wasm_name = m.get("export") or f"{s['module']}.{m['import']}"
            missing = "" if m["present"] else ", not in this module"
            out.append(f"  {m['name']}({m['request']}) -> {m['reply']}    [{wasm_name}{missing}]")
    out.append(
        "host functions: "
        + (", ".join(f"{h['module']}.{h['name']}" for h in info["host_functions"]) or "none")
    )
    wasi = [i for i in info["imports"] if i["module"] == WASI_MODULE]
    out.append(f"WASI: {len(wasi)} functions of {WASI_MODULE}" if wasi else "WASI: none")
    out.append("exports:")
    for e in info["exports"]:
        out.append(f"  {e['name']}: {e['signature']}")
    return "\n".join(out)
