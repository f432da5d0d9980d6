"""Host functions through the raw callback path, and how Python exceptions reach the guest."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources.abc import Traversable
from pathlib import Path

import pytest
from google.protobuf import wrappers_pb2

import wasmplug
from wasmplug import HostModule, PluginConfig

Guest = Callable[[str], Traversable]


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

    with wasmplug.Plugin.load(guest("hostcall"), config=PluginConfig(cache_dir=cache_dir), host_modules=_env(echo)) as p:
        assert p.has_abi_extensions
        assert p.call_bytes("call_host_echo", b"hi there") == b"HI THERE!"
        big = bytes(range(256)) * 4096
        assert p.call_bytes("call_host_echo", big) == big.upper() + b"!"
        assert p.call_bytes("call_host_n", b"1000") == b""
    assert seen[:2] == [b"hi there", big]
    assert len(seen) == 1002


def test_empty_host_reply(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(guest("hostcall"), config=PluginConfig(cache_dir=cache_dir), host_modules=_env(lambda r: b"")) as p:
        assert p.call_bytes("call_host_echo", b"x") == b""


def test_host_exception_is_an_error_for_wasmplug_guests(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(guest("hostcall"), config=PluginConfig(cache_dir=cache_dir), host_modules=_env(bytes)) as p:
        with pytest.raises(wasmplug.PluginError) as info:
            p.call_bytes("call_host_fail", b"abc")
        # The guest got the message as a Go error and returned it.
        assert str(info.value) == "host error: no thanks: abc"
        assert p.instances == 1  # nothing trapped
        assert p.call_bytes("call_host_echo", b"still") == b"still"


def test_host_exception_traps_go_plugin_guests(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(guest("noabi"), config=PluginConfig(cache_dir=cache_dir), host_modules=[HostModule("env", {"host_echo": _fail})]) as p:
        assert not p.has_abi_extensions
        with pytest.raises(wasmplug.TrapError) as info:
            p.call_bytes("call_host_echo", b"abc")
        assert isinstance(info.value.__cause__, Boom)
        assert "no thanks: abc" in str(info.value)
        assert p.instances == 0


def test_go_plugin_guest_host_call_works(guest: Guest, cache_dir: Path) -> None:
    with wasmplug.Plugin.load(guest("noabi"), config=PluginConfig(cache_dir=cache_dir), host_modules=[HostModule("env", {"host_echo": lambda r: bytes(r)[::-1]})]) as p:
        assert p.call_bytes("call_host_echo", b"abc") == b"cba"


def test_typed_host_function(guest: Guest, cache_dir: Path) -> None:
    def greet(req: wrappers_pb2.StringValue) -> wrappers_pb2.StringValue:
        return wrappers_pb2.StringValue(value=f"hello, {req.value}")

    fn = wasmplug.host_function(greet, wrappers_pb2.StringValue)
    with wasmplug.Plugin.load(guest("hostcall"), config=PluginConfig(cache_dir=cache_dir), host_modules=_env(fn)) as p:
        reply = p.call("call_host_echo", wrappers_pb2.StringValue(value="gopher"), wrappers_pb2.StringValue)
        assert reply.value == "hello, gopher"


def test_missing_host_function_is_a_load_error(guest: Guest, cache_dir: Path) -> None:
    with pytest.raises(wasmplug.LoadError, match="host_fail"):
        wasmplug.Plugin.load(guest("hostcall"), config=PluginConfig(cache_dir=cache_dir),
                             host_modules=[HostModule("env", {"host_echo": bytes})])


def test_host_functions_with_threads(guest: Guest, cache_dir: Path, in_threads: Callable[[Callable[[int], None], int], None]) -> None:
    """Each callback finds its own caller's instance (memory, malloc) across threads."""
    errors: list[str] = []
    with wasmplug.Plugin.load(guest("hostcall"), config=PluginConfig(cache_dir=cache_dir, max_instances=4),
                              host_modules=_env(lambda r: bytes(r) + b"|")) as p:

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

    with wasmplug.Plugin.load(guest("hostcall"), config=PluginConfig(cache_dir=cache_dir), host_modules=_env(interrupted)) as p:
        with pytest.raises(KeyboardInterrupt):
            p.call_bytes("call_host_echo", b"x")
        assert p.instances == 0  # the wasm stack was unwound by a trap: the instance is gone
        with pytest.raises(wasmplug.PluginError):
            p.call_bytes("call_host_fail", b"still usable")
