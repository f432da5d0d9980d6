"""A host: loads the `hello` plugin and prints its greeting."""

from __future__ import annotations

import importlib.resources
import sys

from greeting.greeting_pb2 import GreetRequest
from greeting.greeting_wasmplug import GreeterPlugin

# The .wasm built by src/go/plugins/hello, a resource of this package's targets.
PLUGIN = importlib.resources.files("plugins.hello") / "hello.wasm"


def greet(name: str) -> str:
    with GreeterPlugin().load(PLUGIN) as greeter:
        return greeter.say_hello(GreetRequest(name=name)).message


if __name__ == "__main__":
    print(greet(sys.argv[1] if len(sys.argv) > 1 else "world"))
