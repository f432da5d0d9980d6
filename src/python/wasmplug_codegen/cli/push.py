"""Push a plugin to an OCI registry: wasmplug push X.wasm REGISTRY/REPO:TAG.

The artifact has wasmplug's own artifact type (application/vnd.wasmplug.plugin.v1) and one layer,
the module (application/vnd.wasmplug.plugin.v1+wasm); its sha256 and size are annotations, and so
are the services, API versions and ABI that a plugin built on wasmplug's SDK describes. Prints
the reference by digest, which `wasmplug pull`, `Plugin.load("oci://...")` and the generated loaders
accept. Registries on 127.0.0.1/localhost are spoken to in plain HTTP; others need --plain-http for
that. Needs the runtime with its `oci` extra: pip install 'wasmplug[oci]'.
"""

from __future__ import annotations

import argparse
import sys
from types import ModuleType
from typing import Dict, List, Optional

from wasmplug_codegen import describe


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("wasm", help="the plugin's .wasm file")
    parser.add_argument("reference", help="where to push it: REGISTRY/REPO:TAG")
    add_registry_flags(parser)
    parser.add_argument(
        "--annotation",
        "-a",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an extra manifest annotation (repeatable)",
    )


def add_registry_flags(parser: argparse.ArgumentParser) -> None:
    http = parser.add_mutually_exclusive_group()
    http.add_argument(
        "--plain-http",
        dest="plain_http",
        action="store_true",
        default=None,
        help="speak plain HTTP to the registry (default only for 127.0.0.1/localhost)",
    )
    http.add_argument(
        "--no-plain-http", dest="plain_http", action="store_false", help="always use HTTPS"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def load_oci(command: str) -> Optional[ModuleType]:
    """`wasmplug.oci`, or None after saying how to install it."""
    try:
        from wasmplug import oci
    except ImportError as exc:
        print(
            f"wasmplug {command}: needs the wasmplug runtime with its oci extra"
            f" (pip install 'wasmplug[oci]'): {exc}",
            file=sys.stderr,
        )
        return None
    return oci


def parse_annotations(pairs: List[str]) -> Dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--annotation {pair!r}: expected KEY=VALUE")
        out[key] = value
    return out


def run(args: argparse.Namespace) -> int:
    oci = load_oci("push")
    if oci is None:
        return 1
    try:
        with open(args.wasm, "rb") as f:
            wasm = f.read()
        pushed = oci.push(
            args.wasm,
            args.reference,
            plain_http=args.plain_http,
            annotations={
                **describe.manifest_annotations(wasm),
                **parse_annotations(args.annotation),
            },
            progress=None if args.quiet else oci.stderr_progress(f"pushing {args.wasm}"),
        )
    except (oci.WasmplugError, OSError, ValueError) as exc:  # DescribeError, WasmFormatError too
        print(f"wasmplug push: {exc}", file=sys.stderr)
        return 1
    print(pushed.reference)
    print(f"pushed {args.wasm} ({pushed.size} bytes, {pushed.wasm_digest})", file=sys.stderr)
    return 0
