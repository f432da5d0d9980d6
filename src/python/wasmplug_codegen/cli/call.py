"""Call one method of a plugin with a JSON request and print the reply as JSON.

    wasmplug call morning.wasm Greeter.SayHello '{"name": "Ada"}'

The request and reply types come from the description wasmplug's guest SDK embeds in the plugin;
for a plugin without one (e.g. built with go-plugin's SDK) name its .proto with --proto and -I.
The call runs on the wasmplug runtime (`pip install wasmplug`), sandboxed as in Python: no files
(unless --preopen), no environment (unless --env), and within --timeout and --memory-limit. Host
functions cannot be given from the command line: a plugin that imports some is refused.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence

from wasmplug_codegen.cli._common import CliError, WasmFile, host_imports, read_wasm
from wasmplug_codegen.cli._protoc import add_proto_path, descriptor_set

COLD_COMPILE_NOTICE_AFTER = 0.3  # seconds: a load from the compile cache takes milliseconds


@dataclass(frozen=True)
class Target:
    service: str  # full name
    method: str
    export: str
    request: str  # full message names
    reply: str


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("wasm", metavar="X.wasm", help="the plugin")
    parser.add_argument("method", metavar="Service.Method", help="e.g. Greeter.SayHello")
    parser.add_argument(
        "request",
        nargs="?",
        default="{}",
        help="the request as JSON (protobuf's JSON mapping), @FILE to read it from a file, - "
        "from stdin (default: {})",
    )
    parser.add_argument(
        "--proto",
        action="append",
        default=[],
        metavar="FILE.proto",
        help="the service's .proto, for a plugin without embedded descriptors (relative to -I)",
    )
    add_proto_path(parser, "where --proto files and their imports are found")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="deadline of the call")
    parser.add_argument(
        "--memory-limit", type=_size, metavar="SIZE", help="linear memory cap, e.g. 64M, 1G"
    )
    parser.add_argument("--fuel", type=int, metavar="N", help="instruction budget of the call")
    parser.add_argument(
        "--preopen",
        action="append",
        default=[],
        metavar="HOST_DIR[:GUEST_DIR]",
        help="a directory the plugin may read (at GUEST_DIR, default the same path)",
    )
    parser.add_argument(
        "--preopen-rw",
        action="append",
        default=[],
        metavar="HOST_DIR[:GUEST_DIR]",
        help="a directory the plugin may read and write",
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="an environment variable"
    )


def _size(text: str) -> int:
    m = re.fullmatch(r"(\d+)\s*([KMG]?)i?B?", text.strip(), re.I)
    if not m:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a size like 65536, 64M or 1G")
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]


def run(args: argparse.Namespace) -> int:
    try:
        print(call(args))
    except CliError as e:
        print(f"wasmplug call: {e}", file=sys.stderr)
        return 1
    return 0


def call(args: argparse.Namespace) -> str:
    f = read_wasm(args.wasm)
    imports = host_imports(f)
    if imports:
        names = ", ".join(f"{e.module}.{e.name}" for e in imports)
        raise CliError(
            f"{f.path} imports host functions ({names}); the wasmplug command cannot provide "
            "host functions. Call this plugin from Python, giving them to the generated loader's "
            "load(..., host_functions=...) or to wasmplug.Plugin.load(..., host_modules=[...])."
        )
    pool, targets = _types(f, args.proto, args.include)
    target = _find(targets, args.method, f)
    request_cls = _message_class(pool, target.request)
    reply_cls = _message_class(pool, target.reply)
    request = _parse_request(_request_text(args.request), request_cls, target)

    wasmplug = _runtime()
    config = wasmplug.PluginConfig(
        stdout=sys.stderr,  # stdout is for the reply
        stderr=sys.stderr,
        env=dict(_env(e) for e in args.env),
        preopens=[_preopen(wasmplug, p, False) for p in args.preopen]
        + [_preopen(wasmplug, p, True) for p in args.preopen_rw],
        memory_limit=args.memory_limit,
        timeout=args.timeout,
        fuel=args.fuel,
        max_instances=1,
    )
    try:
        with _progress(f"compiling {f.path} ({len(f.data) >> 10} KiB; cached for next time)"):
            plugin = wasmplug.Plugin.load(f.data, config=config)
        with plugin:
            raw = plugin.call_bytes(target.export, request.SerializeToString())
    except wasmplug.PluginError as e:
        raise CliError(f"{target.service}.{target.method} returned an error: {e}") from e
    except wasmplug.WasmplugError as e:
        raise CliError(f"{target.service}.{target.method}: {type(e).__name__}: {e}") from e
    reply = reply_cls.FromString(raw)
    from google.protobuf import json_format

    return json.dumps(json_format.MessageToDict(reply), ensure_ascii=False)


def _runtime() -> Any:
    try:
        import wasmplug  # pants: no-infer-dep (not a requirement of wasmplug-codegen)
    except ImportError as e:
        raise CliError(
            "calling a plugin needs the wasmplug runtime: pip install wasmplug (the `wasmplug` "
            "command comes with wasmplug-codegen, which does not require it)"
        ) from e
    return wasmplug


class _progress:
    """Say `what` on stderr if the block takes long (a cold compile), and how long it took."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.said = threading.Event()
        self.timer = threading.Timer(COLD_COMPILE_NOTICE_AFTER, self._say)
        self.start = 0.0

    def _say(self) -> None:
        print(f"wasmplug call: {self.what}...", file=sys.stderr, flush=True)
        self.said.set()

    def __enter__(self) -> None:
        self.start = time.monotonic()
        self.timer.start()

    def __exit__(self, *exc: object) -> None:
        self.timer.cancel()
        self.timer.join()
        took = time.monotonic() - self.start
        if not self.said.is_set() and took >= COLD_COMPILE_NOTICE_AFTER:
            self._say()  # finished before the timer thread ran
        if self.said.is_set():
            print(f"wasmplug call: done in {took:.1f} s", file=sys.stderr, flush=True)


def _types(f: WasmFile, protos: Sequence[str], includes: Sequence[str]) -> tuple[Any, List[Target]]:
    """A descriptor pool with the plugin's types, and its callable methods."""
    from google.protobuf import descriptor_pb2, descriptor_pool

    pool = descriptor_pool.DescriptorPool()
    if protos:
        from wasmplug_codegen.model import snake

        fds = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set(protos, includes))
        for fp in fds.file:
            pool.Add(fp)
        targets = []
        for fp in fds.file:
            if fp.name not in protos:
                continue
            for s in fp.service:
                full = f"{fp.package}.{s.name}" if fp.package else s.name
                for m in s.method:
                    targets.append(
                        Target(
                            full,
                            m.name,
                            snake(s.name + m.name),
                            m.input_type.lstrip("."),
                            m.output_type.lstrip("."),
                        )
                    )
        return pool, targets
    d = f.description
    if d is None:
        raise CliError(
            f"{f.path} has no descriptors (it was built without wasmplug's guest SDK, e.g. with "
            "go-plugin's): name its service's .proto with --proto FILE.proto -I DIR"
        )
    for data in d.files:
        pool.AddSerializedFile(data)
    targets = [
        Target(s.name, m.name, m.wasm_name, m.request, m.reply)
        for s in d.services
        if s.kind == "plugin"
        for m in s.methods
    ]
    return pool, targets


def _find(targets: Sequence[Target], name: str, f: WasmFile) -> Target:
    for t in targets:
        short = t.service.rsplit(".", 1)[-1]
        if name in (f"{t.service}.{t.method}", f"{short}.{t.method}", t.export):
            if t.export not in f.module.export_names():
                raise CliError(f"{f.path} does not export {t.export} (for {name})")
            return t
    known = ", ".join(f"{t.service}.{t.method}" for t in targets) or "none"
    raise CliError(f"{f.path} has no method {name!r}; its methods: {known}")


def _message_class(pool: Any, name: str) -> Any:
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))


def _request_text(arg: str) -> str:
    if arg == "-":
        return sys.stdin.read()
    if arg.startswith("@"):
        try:
            with open(arg[1:], encoding="utf-8") as fh:
                return fh.read()
        except OSError as e:
            raise CliError(f"cannot read the request from {arg[1:]}: {e.strerror}") from e
    return arg


def _parse_request(text: str, cls: Any, target: Target) -> Any:
    from google.protobuf import json_format

    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        raise CliError(f"the request is not JSON: {e.msg} at line {e.lineno} column {e.colno}")
    try:
        return json_format.Parse(text, cls())
    except json_format.ParseError as e:
        raise CliError(
            f"the request is not a {target.request} (the request of "
            f"{target.service}.{target.method}): {e}"
        ) from e


def _preopen(wasmplug: Any, spec: str, writable: bool) -> Any:
    host, _, guest = spec.partition(":")
    if not os.path.isdir(host):
        raise CliError(f"--preopen{'-rw' if writable else ''} {spec}: {host} is not a directory")
    return wasmplug.Preopen(host, guest or host, read_only=not writable)


def _env(spec: str) -> tuple[str, str]:
    name, eq, value = spec.partition("=")
    if not eq or not name:
        raise CliError(f"--env {spec!r}: expected NAME=VALUE")
    return name, value
