"""Generate the Python host SDK and the Go guest SDK of .proto files (protoc + protoc-gen-wasmplug).

    wasmplug generate -I src/proto --python_out gen/python --go_out gen/go greeting/greeting.proto

--python_out gets protoc's `_pb2.py`/`.pyi` message classes and our `_wasmplug.py` host SDK;
--go_out the Go guest SDK, one directory per Go import path, and the guest runtime module
(`wasmplug.dev/guest`, unless --no-go-runtime). protoc is grpcio-tools' (`pip install grpcio-tools`);
its errors, `file.proto:LINE:COL: ...`, are printed as they are.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List

from wasmplug_codegen.cli._common import CliError
from wasmplug_codegen.cli._protoc import add_proto_path, protoc


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("protos", nargs="+", metavar="FILE.proto", help="relative to an -I")
    add_proto_path(parser, "an import root (protoc's -I; the well-known types are always found)")
    parser.add_argument("--python_out", metavar="DIR", help="where the Python code goes")
    parser.add_argument("--go_out", metavar="DIR", help="where the Go code goes")
    parser.add_argument(
        "--no-go-runtime",
        action="store_true",
        help="do not write the Go guest runtime module next to the Go code",
    )


def run(args: argparse.Namespace) -> int:
    if not args.python_out and not args.go_out:
        print("wasmplug generate: give --python_out DIR and/or --go_out DIR", file=sys.stderr)
        return 2
    argv: List[str] = []
    for out in filter(None, (args.python_out, args.go_out)):
        os.makedirs(out, exist_ok=True)
    if args.python_out:
        argv += [f"--python_out={args.python_out}", f"--pyi_out={args.python_out}"]
        argv += [f"--wasmplug_py_out=lang=python:{args.python_out}"]
    if args.go_out:
        runtime = "false" if args.no_go_runtime else "true"
        argv += [f"--wasmplug_go_out=lang=go,go_runtime={runtime}:{args.go_out}"]
    try:
        code = protoc(argv + list(args.protos), args.include or ["."])
    except CliError as e:
        print(f"wasmplug generate: {e}", file=sys.stderr)
        return 1
    if code == 0:
        outs = " and ".join(filter(None, (args.python_out, args.go_out)))
        print(f"wasmplug generate: wrote {len(args.protos)} proto(s) into {outs}", file=sys.stderr)
    return code
