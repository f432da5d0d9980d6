"""Host functions through the raw callback path, and how Python exceptions reach the guest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import wasmplug
from google.protobuf import wrappers_pb2
from guests.hostreply.proto.hostreply_pb2 import Payload, Result, Results, Script, Step
from guests.hostreply.proto.hostreply_wasmplug import Relay, RelayPlugin
from wasmplug import HostModule, PluginConfig

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; annotations only
    from importlib.resources.abc import Traversable

Guest = Callable[[str], "Traversable"]


class Boom(RuntimeError):
    pass


def _fail(req: memoryview) -> bytes:
    raise Boom(f"no thanks: {bytes(req).decode()}")


def _env(echo: Callable[[memoryview], bytes]) -> list[HostModule]:
    return [HostModule("env", {"host_echo": echo, "host_fail": _fail})]


def test_host_function_round_trip(guest: Guest, cache_dir: Path) -> None:
    seen: list[bytes] = []

    def echo(req: memoryview) -> bytes:
        seen.append(bytes(req))
        return bytes(req).upper() + b"!"

    with wasmplug.Plugin.load(
        guest("hostcall"), config=PluginConfig(cache_dir=cache_dir), host_modules=_env(echo)
    ) as p:
        assert p.has_abi_extensions
        assert p.call_bytes("call_host_echo", b"hi there") == b"HI THERE!"
        big = bytes(range(256)) * 4096
        assert p.call_bytes("call_host_echo", big) == big.upper() + b"!"
        assert p.call_bytes("call_host_n", b"1000") == b""
    assert seen[:2] == [b"hi there", big]
    assert len(seen) == 1002


def test_empty_host_reply(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(
        guest("hostcall"),
        config=PluginConfig(cache_dir=cache_dir),
        host_modules=_env(lambda r: b""),
    ) as p:
        assert p.call_bytes("call_host_echo", b"x") == b""


def test_host_exception_is_an_error_for_wasmplug_guests(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(
        guest("hostcall"), config=PluginConfig(cache_dir=cache_dir), host_modules=_env(bytes)
    ) as p:
        with pytest.raises(wasmplug.PluginError) as info:
            p.call_bytes("call_host_fail", b"abc")
        # The guest got the message as a Go error and returned it.
        assert info.value.message == "host error: no thanks: abc"
        assert info.value.host_function == "env.host_fail"
        assert str(info.value) == "host error: no thanks: abc (host function env.host_fail raised)"
        assert isinstance(info.value.__cause__, Boom)
        assert p.instances == 1  # nothing trapped
        assert p.call_bytes("call_host_echo", b"still") == b"still"


def test_missing_host_module_names_import_and_argument(guest: Guest, cache_dir: Path) -> None:
    with pytest.raises(wasmplug.MissingHostFunctionError) as info:
        wasmplug.Plugin.load(guest("hostcall"), config=PluginConfig(cache_dir=cache_dir))
    assert info.value.module == "env"
    assert info.value.name in ("host_echo", "host_fail", "host_n")
    text = str(info.value)
    assert f"unknown import env::{info.value.name}" in text
    assert "host modules given: none" in text
    assert "host_functions=" in text and "host_modules=[HostModule('env'" in text
    assert isinstance(info.value, wasmplug.LoadError)


def test_host_exception_traps_go_plugin_guests(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(
        guest("noabi"),
        config=PluginConfig(cache_dir=cache_dir),
        host_modules=[HostModule("env", {"host_echo": _fail})],
    ) as p:
        assert not p.has_abi_extensions
        with pytest.raises(wasmplug.TrapError) as info:
            p.call_bytes("call_host_echo", b"abc")
        assert isinstance(info.value.__cause__, Boom)
        assert "no thanks: abc" in str(info.value)
        assert p.instances == 0


def test_go_plugin_guest_host_call_works(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(
        guest("noabi"),
        config=PluginConfig(cache_dir=cache_dir),
        host_modules=[HostModule("env", {"host_echo": lambda r: bytes(r)[::-1]})],
    ) as p:
        assert p.call_bytes("call_host_echo", b"abc") == b"cba"


def test_typed_host_function(guest: Guest, cache_dir: Path) -> None:
    def greet(req: wrappers_pb2.StringValue) -> wrappers_pb2.StringValue:
        return wrappers_pb2.StringValue(value=f"hello, {req.value}")

    fn = wasmplug.host_function(greet, wrappers_pb2.StringValue)
    with wasmplug.Plugin.load(
        guest("hostcall"), config=PluginConfig(cache_dir=cache_dir), host_modules=_env(fn)
    ) as p:
        reply = p.call(
            "call_host_echo", wrappers_pb2.StringValue(value="gopher"), wrappers_pb2.StringValue
        )
        assert reply.value == "hello, gopher"


def test_missing_host_function_is_a_load_error(guest: Guest, cache_dir: Path) -> None:
    with pytest.raises(wasmplug.LoadError, match="host_fail"):
        wasmplug.Plugin.load(
            guest("hostcall"),
            config=PluginConfig(cache_dir=cache_dir),
            host_modules=[HostModule("env", {"host_echo": bytes})],
        )


def test_host_functions_with_threads(
    guest: Guest, cache_dir: Path, in_threads: Callable[[Callable[[int], None], int], None]
) -> None:
    """Each callback finds its own caller's instance (memory, malloc) across threads."""
    errors: list[str] = []
    with wasmplug.Plugin.load(
        guest("hostcall"),
        config=PluginConfig(cache_dir=cache_dir, max_instances=4),
        host_modules=_env(lambda r: bytes(r) + b"|"),
    ) as p:

        def worker(tid: int) -> None:
            for i in range(200):
                msg = f"{tid}:{i}".encode() * (1 + i % 7)
                if p.call_bytes("call_host_echo", msg) != msg + b"|":
                    errors.append(f"{tid}:{i}")

        in_threads(worker, 6)
    assert errors == []


def test_keyboard_interrupt_in_host_function_propagates(guest: Guest, cache_dir: Path) -> None:
    def interrupted(req: memoryview) -> bytes:
        raise KeyboardInterrupt

    with wasmplug.Plugin.load(
        guest("hostcall"), config=PluginConfig(cache_dir=cache_dir), host_modules=_env(interrupted)
    ) as p:
        with pytest.raises(KeyboardInterrupt):
            p.call_bytes("call_host_echo", b"x")
        assert p.instances == 0  # the wasm stack was unwound by a trap: the instance is gone
        with pytest.raises(wasmplug.PluginError):
            p.call_bytes("call_host_fail", b"still usable")


# --- ABI 2: replies written into the guest's reply buffer (tests/guests/hostreply, the generated Go SDK) ---
# The Go guest runtime starts with a 1 KiB buffer and, after a larger reply came through malloc, grows it to
# the next power of two, up to 64 KiB.


def _payload(reply_size: int) -> bytes:
    """Data whose Payload encoding (tag, length varint, data) is exactly `reply_size` bytes."""
    if reply_size == 0:
        return b""
    n = reply_size - 2
    while len(Payload(data=bytes(n)).SerializeToString()) > reply_size:
        n -= 1
    data = bytes(i % 251 for i in range(n))
    assert len(Payload(data=data).SerializeToString()) == reply_size
    return data


class Replies:
    """The Host service: Echo returns its data (b"fail:MSG" raises MSG); Nest runs a script on the plugin."""

    def __init__(self) -> None:
        self.relay: Relay | None = None

    def echo(self, request: Payload) -> Payload:
        if request.data.startswith(b"fail:"):
            raise Boom(request.data[5:].decode())
        return Payload(data=request.data)

    def nest(self, request: Payload) -> Payload:
        assert self.relay is not None
        return Payload(data=self.relay.run(Script.FromString(request.data)).SerializeToString())


@pytest.fixture
def relay(guest: Guest, cache_dir: Path) -> Iterator[Relay]:
    host = Replies()
    with RelayPlugin(config=PluginConfig(cache_dir=cache_dir, max_instances=4)).load(
        guest("hostreply"), host=host
    ) as r:
        host.relay = r
        assert r.plugin.has_abi_extensions
        yield r


def _run(relay: Relay, *steps: Step, concurrent: bool = False) -> list[Result]:
    return list(relay.run(Script(steps=steps, concurrent=concurrent)).results)


def test_reply_buffer_and_malloc_fallback(relay: Relay, host_mallocs: list[int]) -> None:
    for reply_size, mallocs in [
        (0, 0),  # an empty reply: neither buffer nor malloc
        (18, 0),
        (1024, 0),  # exactly the buffer
        (1025, 1),  # larger: malloc; the guest then grows its buffer to 2 KiB
        (1025, 0),
        (2048, 0),
        (100_000, 1),  # beyond 64 KiB: malloc every time, the buffer stays as it is
        (100_000, 1),
        (2048, 0),
    ]:
        host_mallocs.clear()
        data = _payload(reply_size)
        assert _run(relay, Step(call="echo", data=data)) == [Result(data=data)], reply_size
        assert host_mallocs == [reply_size] * mallocs, reply_size
    assert relay.plugin.instances == 1


def test_error_replies_through_the_buffer(relay: Relay, host_mallocs: list[int]) -> None:
    long = "x" * 5000
    assert _run(
        relay,
        Step(call="echo", data=b"fail:no thanks"),
        Step(call="echo", data=b"ok"),
        Step(call="echo", data=f"fail:{long}".encode()),
    ) == [Result(error="no thanks"), Result(data=b"ok"), Result(error=long)]
    assert host_mallocs == [5000]  # only the message larger than the buffer


def test_replies_stay_intact_across_calls(relay: Relay, host_mallocs: list[int]) -> None:
    """The guest keeps every decoded reply until the end: none may alias the buffer a later reply reuses."""
    sizes = [5, 700, 1024, 3000, 0, 17, 40_000, 64, 70_000, 9]
    steps = [Step(call="echo", data=_payload(n) + bytes([i])) for i, n in enumerate(sizes)]
    assert _run(relay, *steps) == [Result(data=s.data) for s in steps]
    assert _run(relay, *steps, concurrent=True) == [Result(data=s.data) for s in steps]


def test_nested_host_calls(relay: Relay) -> None:
    """A host function that calls the plugin (another instance), whose calls reach the host again."""
    inner = Script(
        steps=[Step(call="echo", data=b"c" * 2000), Step(call="echo", data=b"fail:deep")]
    )
    middle = Script(
        steps=[
            Step(call="echo", data=b"b"),
            Step(call="nest", data=inner.SerializeToString()),
            Step(call="echo", data=b"b2"),
        ]
    )
    got = _run(
        relay,
        Step(call="echo", data=b"a"),
        Step(call="nest", data=middle.SerializeToString()),
        Step(call="echo", data=b"d" * 1500),
    )
    assert got[0] == Result(data=b"a") and got[2] == Result(data=b"d" * 1500)
    mid = Results.FromString(got[1].data).results
    assert [mid[0], mid[2]] == [Result(data=b"b"), Result(data=b"b2")]
    assert list(Results.FromString(mid[1].data).results) == [
        Result(data=b"c" * 2000),
        Result(error="deep"),
    ]
    assert relay.plugin.instances == 3  # each level ran on its own instance


def test_reply_buffer_with_threads(
    relay: Relay, in_threads: Callable[[Callable[[int], None], int], None]
) -> None:
    errors: list[str] = []

    def worker(tid: int) -> None:
        for i in range(100):
            data = f"{tid}:{i}:".encode() * (1 + i % 90)
            if _run(relay, Step(call="echo", data=data)) != [Result(data=data)]:
                errors.append(f"{tid}:{i}")

    in_threads(worker, 4)
    assert errors == []


def test_abi1_guest_replies_through_malloc(
    guest: Guest, cache_dir: Path, host_mallocs: list[int]
) -> None:
    """tests/guests/hostcall says wasmplug_abi 1: host functions keep using its malloc."""
    with wasmplug.Plugin.load(
        guest("hostcall"),
        config=PluginConfig(cache_dir=cache_dir),
        host_modules=_env(lambda r: bytes(r)),
    ) as p:
        assert p.call_bytes("call_host_echo", b"abc") == b"abc"
        assert p.call_bytes("call_host_n", b"3") == b""
    assert host_mallocs == [3, 8, 8, 8]
