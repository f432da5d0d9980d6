"""helloworld: one loader, two plugins.

Loads the "morning" and "evening" Greeter plugins (Go, compiled to wasip1 by the `wasm_plugin` targets under
src/go/plugins/) and prints the greeting each one returns.
"""

from __future__ import annotations

import importlib.resources
import sys

from greeting.greeting_pb2 import GreetRequest
from greeting.greeting_wasmplug import GreeterPlugin

PLUGINS = ("morning", "evening")
EXPECTED_PREFIXES = ("Good morning", "Good evening")


def greetings(name: str) -> list[str]:
    """Ask every plugin to greet `name`; return their replies in plugin order."""
    loader = GreeterPlugin()
    replies = []
    for plugin in PLUGINS:
        wasm = importlib.resources.files(f"plugins.{plugin}") / f"{plugin}.wasm"
        with loader.load(wasm) as greeter:
            replies.append(greeter.say_hello(GreetRequest(name=name)).message)
    return replies


def main() -> int:
    name = sys.argv[1] if len(sys.argv) > 1 else "wasmplug"
    replies = greetings(name)
    for reply in replies:
        print(reply)
    ok = all(reply.startswith(prefix) for reply, prefix in zip(replies, EXPECTED_PREFIXES))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
