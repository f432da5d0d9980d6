"""The runtime under real generated code: the greeting host SDK loading a plugin built on the Go SDK."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import wasmplug
from greeting.greeting_pb2 import GreetRequest
from greeting.greeting_wasmplug import GreeterPlugin
from wasmplug import PluginConfig

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; annotations only
    from importlib.resources.abc import Traversable

Guest = Callable[[str], "Traversable"]


def test_generated_client_round_trip(guest: Guest, cache_dir: Path) -> None:
    with GreeterPlugin(config=PluginConfig(cache_dir=cache_dir)).load(guest("sdk")) as greeter:
        assert greeter.plugin.has_abi_extensions
        assert greeter.say_hello(GreetRequest(name="gopher")).message == "Hello, gopher"
        assert greeter.say_hello(GreetRequest()).message == "Hello, "


def test_generated_loader_pins_sha256(guest: Guest, cache_dir: Path) -> None:
    import hashlib

    wasm = guest("sdk").read_bytes()
    digest = "sha256:" + hashlib.sha256(wasm).hexdigest()
    loader = GreeterPlugin(config=PluginConfig(cache_dir=cache_dir))
    with loader.load(guest("sdk"), sha256=digest) as greeter:
        assert greeter.say_hello(GreetRequest(name="pin")).message == "Hello, pin"
    with pytest.raises(wasmplug.DigestMismatchError, match=f"expected {digest}, got sha256:"):
        loader.load(wasm + b"\0", sha256=digest)


def test_go_error_is_plugin_error(guest: Guest, cache_dir: Path) -> None:
    with GreeterPlugin(config=PluginConfig(cache_dir=cache_dir)).load(guest("sdk")) as greeter:
        with pytest.raises(wasmplug.PluginError) as info:
            greeter.say_hello(GreetRequest(name="error"))
        assert "sdk says no" in str(info.value)
        assert greeter.plugin.instances == 1


def test_go_panic_is_trap_with_panic_text(guest: Guest, cache_dir: Path) -> None:
    err = io.StringIO()
    with GreeterPlugin(config=PluginConfig(cache_dir=cache_dir, stderr=err)).load(
        guest("sdk")
    ) as greeter:
        with pytest.raises(wasmplug.TrapError) as info:
            greeter.say_hello(GreetRequest(name="panic"))
        assert info.value.panic.startswith("panic: sdk boom")
        assert "goroutine" in err.getvalue()
        assert greeter.say_hello(GreetRequest(name="after")).message == "Hello, after"


def test_output_routing_and_deadline(guest: Guest, cache_dir: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    with GreeterPlugin(config=PluginConfig(cache_dir=cache_dir, stdout=out, stderr=err)).load(
        guest("sdk")
    ) as greeter:
        greeter.say_hello(GreetRequest(name="log:hi"))
        assert out.getvalue() == "out: hi\n"
        assert err.getvalue() == "err: hi\n"
        start = time.monotonic()
        with pytest.raises(wasmplug.DeadlineExceeded):
            greeter.say_hello(GreetRequest(name="spin"), timeout=0.1)
        assert time.monotonic() - start < 0.1 + 0.5  # see _limits_test.py for the bound


def test_generated_async_client(guest: Guest, cache_dir: Path) -> None:
    async def main() -> list[str]:
        async with GreeterPlugin(config=PluginConfig(cache_dir=cache_dir)).load_async(
            guest("sdk")
        ) as greeter:
            replies = await asyncio.gather(
                *(greeter.say_hello(GreetRequest(name=str(i))) for i in range(10))
            )
            with pytest.raises(wasmplug.DeadlineExceeded):
                await greeter.say_hello(GreetRequest(name="spin"), timeout=0.05)
            return [r.message for r in replies]

    assert asyncio.run(main()) == [f"Hello, {i}" for i in range(10)]
