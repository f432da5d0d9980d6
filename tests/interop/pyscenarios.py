"""go-plugin's own test plugins (``tests/fields``, ``tests/host-functions``) driven by OUR generated Python host SDK.

Run in a child process (each scenario imports a different generated module set, and go-plugin's protos
reuse proto package names):

    python pyscenarios.py fields PLUGIN.wasm
    python pyscenarios.py host-functions PLUGIN.wasm          (tests/host-functions/plugin)
    python pyscenarios.py host-functions-empty PLUGIN.wasm    (tests/host-functions/plugin-empty)
    python pyscenarios.py host-function-raises PLUGIN.wasm    (tests/host-functions/plugin)

PYTHONPATH must hold the generated modules (``fields_pb2``/``fields_wasmplug``, or ``host_pb2``/``host_wasmplug``)
and ``wasmplug``; ``$INTEROP_WASM_CACHE`` names a compile cache dir (default: none). Prints ``ok <scenario>`` on success; an AssertionError (exit 1) otherwise. The expected values
mirror go-plugin's own Go tests for those plugins.
"""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any, Callable

import wasmplug

# Compile cache shared by the test's child processes (off unless the test sets it).
CONFIG = wasmplug.PluginConfig(
    stderr=sys.stderr, cache_dir=os.environ.get("INTEROP_WASM_CACHE") or False
)


def expect_raises(exc_type: type[BaseException], fn: Callable[[], Any]) -> BaseException:
    try:
        fn()
    except exc_type as e:
        return e
    raise AssertionError(f"expected {exc_type.__name__}")


def fields(wasm: str) -> None:
    import fields_pb2 as pb  # type: ignore[import-not-found]  # pants: no-infer-dep
    import fields_wasmplug  # type: ignore[import-not-found]  # pants: no-infer-dep
    from google.protobuf.empty_pb2 import Empty

    with fields_wasmplug.FieldTestPlugin(config=CONFIG).load(wasm) as plugin:
        # An empty request: go-plugin passes ptr=0, size=0 (no malloc).
        assert plugin.test_empty_input(Empty()).ok is True

        got = plugin.test(
            pb.Request(
                a=1.2,
                b=3.4,
                c=5,
                d=-6,
                e=7,
                f=8,
                g=9,
                h=-10,
                i=11,
                j=12,
                k=13,
                l=-14,
                m=False,
                n="foo",
                o=b"hoge",
                p=["a", "b"],
                q={"key": pb.IntValue(a=15)},
                r=pb.Request.Nested(a="samurai"),
                s=pb.A,
            )
        )
        assert isinstance(got, pb.Response), type(got)
        assert math.isclose(got.a, 2.4) and math.isclose(got.b, 6.8, rel_tol=1e-6), (got.a, got.b)
        want = pb.Response(
            a=got.a,
            b=got.b,
            c=10,
            d=-12,
            e=14,
            f=16,
            g=18,
            h=-20,
            i=22,
            j=24,
            k=26,
            l=-28,
            m=True,
            n="foobar",
            o=b"hogefuga",
            p=["b"],
            q={"key": pb.IntValue(a=16)},
            r=pb.Response.Nested(a="ninja"),
            s=pb.B,
        )
        assert got == want, (got, want)

        # go-plugin's error reply: bit 31 of the size; an empty message is ptr=0, size=0|1<<31.
        for text in ("error from plugin", ""):
            err = expect_raises(
                wasmplug.PluginError, lambda: plugin.test_error(pb.ErrorRequest(errText=text))
            )
            assert str(err) == text, (str(err), text)
        # The instance is still usable after an error reply.
        assert plugin.test_empty_input(Empty()).ok is True


def _host_sdk() -> tuple[Any, Any]:
    """The generated modules for go-plugin's tests/host-functions/proto/host.proto."""
    import host_pb2  # type: ignore[import-not-found]  # pants: no-infer-dep
    from host_wasmplug import GreeterPlugin  # type: ignore[import-not-found]  # pants: no-infer-dep

    return host_pb2, GreeterPlugin


class JsonHost:
    """Python implementation of go-plugin's tests/host-functions ``HostFunctions`` service."""

    def __init__(self, raises: bool = False) -> None:
        self.calls = 0
        self.raises = raises

    def parse_json(self, request: Any) -> Any:
        pb, _ = _host_sdk()

        self.calls += 1
        if self.raises:
            raise ValueError("host function failed on purpose")
        if not request.content:
            return pb.ParseJsonResponse()
        doc = json.loads(request.content)
        return pb.ParseJsonResponse(response=pb.Person(name=doc["name"], age=doc["age"]))


def host_functions(wasm: str) -> None:
    pb, GreeterPlugin = _host_sdk()

    host = JsonHost()
    with GreeterPlugin(config=CONFIG).load(wasm, host_functions=host) as plugin:
        for _ in range(3):
            reply = plugin.greet(pb.GreetRequest(name="Sato"))
            assert reply.message == "Hello, Sato. This is Yamada (age 20).", reply.message
    assert host.calls == 3, host.calls


def host_functions_empty(wasm: str) -> None:
    pb, GreeterPlugin = _host_sdk()

    host = JsonHost()
    with GreeterPlugin(config=CONFIG).load(wasm, host_functions=host) as plugin:
        reply = plugin.greet(pb.GreetRequest())
        assert (
            reply.message == "Hello, empty request '' and empty '' host function request"
        ), reply.message
    assert host.calls == 1, host.calls


def host_function_raises(wasm: str) -> None:
    """A Python exception in a host function reaches a go-plugin-built guest as a trap (go-plugin has no error
    channel for host functions; design.md §2 negotiates one only with `wasmplug_abi`)."""
    pb, GreeterPlugin = _host_sdk()

    host = JsonHost(raises=True)
    with GreeterPlugin(config=CONFIG).load(wasm, host_functions=host) as plugin:
        err = expect_raises(
            wasmplug.WasmplugError, lambda: plugin.greet(pb.GreetRequest(name="Sato"))
        )
        assert isinstance(err, wasmplug.TrapError), (type(err), err)
        # The trapped instance is discarded; the next call gets a fresh one.
        host.raises = False
        reply = plugin.greet(pb.GreetRequest(name="Sato"))
        assert reply.message == "Hello, Sato. This is Yamada (age 20).", reply.message


SCENARIOS: dict[str, Callable[[str], None]] = {
    "fields": fields,
    "host-functions": host_functions,
    "host-functions-empty": host_functions_empty,
    "host-function-raises": host_function_raises,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in SCENARIOS:
        print(f"usage: pyscenarios.py {{{','.join(SCENARIOS)}}} PLUGIN.wasm", file=sys.stderr)
        return 2
    SCENARIOS[argv[0]](argv[1])
    print(f"ok {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
