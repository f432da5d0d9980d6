"""Pull a plugin from an OCI registry: wasmplug pull REF -o X.wasm.

REF is REGISTRY/REPO:TAG or REGISTRY/REPO@sha256:... (an `oci://` prefix is accepted). The manifest
is checked against the reference's digest and the module against the manifest's; a mismatch writes
nothing. Prints the reference by digest. Needs pip install 'wasmplug[oci]'.
"""

from __future__ import annotations

import argparse
import sys

from wasmplug_codegen.cli.push import add_registry_flags, load_oci


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reference", help="REGISTRY/REPO:TAG or REGISTRY/REPO@sha256:<hex>")
    parser.add_argument("--output", "-o", required=True, metavar="X.wasm", help="where to write it")
    add_registry_flags(parser)


def run(args: argparse.Namespace) -> int:
    oci = load_oci("pull")
    if oci is None:
        return 1
    try:
        pulled = oci.pull(
            args.reference,
            plain_http=args.plain_http,
            progress=None if args.quiet else oci.stderr_progress(f"pulling {args.reference}"),
        )
        oci.write_atomic(args.output, pulled.wasm)
    except (oci.WasmplugError, OSError, ValueError) as exc:
        print(f"wasmplug pull: {exc}", file=sys.stderr)
        return 1
    print(pulled.reference)
    print(f"wrote {args.output} ({len(pulled.wasm)} bytes, {pulled.wasm_digest})", file=sys.stderr)
    return 0
