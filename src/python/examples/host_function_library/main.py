"""host_function_library: a plugin using a host-function library (module "json-parser") and its own host function.

The library (src/proto/jsonparser, served by `JsonParser`) is defined once and reused by any plugin and host; the
plugin's own host function `GreetingFor` is in its proto (module "env"). The host passes both modules at load time.
"""

from __future__ import annotations

import importlib.resources
import sys

import wasmplug
from examples.host_function_library.json_parser import JsonParser
from host_function_library.host_function_library_pb2 import (
    GreetingForReply,
    GreetingForRequest,
    GreetRequest,
)
from host_function_library.host_function_library_wasmplug import Greeter, host_functions_module
from jsonparser.jsonparser_wasmplug import parser_library_module

PLUGIN = importlib.resources.files("plugins.host_function_library") / "host_function_library.wasm"

GREETINGS = {"en": "Hello", "fr": "Bonjour", "es": "Hola"}


class Host:
    """The plugin's own host functions: implements the generated `HostFunctions` Protocol."""

    def greeting_for(self, request: GreetingForRequest) -> GreetingForReply:
        return GreetingForReply(greeting=GREETINGS.get(request.language, "Hello"))


def load() -> Greeter:
    """Load the plugin with both host modules: its own ("env") and the library ("json-parser")."""
    plugin = wasmplug.Plugin.load(
        PLUGIN, host_modules=[host_functions_module(Host()), parser_library_module(JsonParser())]
    )
    return Greeter(plugin)  # checks the plugin's API version


def main() -> int:
    profiles = ['{"name": "Ada", "language": "fr"}', '{"name": "Alan", "language": "es"}']
    with load() as greeter:
        replies = [greeter.greet(GreetRequest(profile=p)).message for p in profiles]
    for reply in replies:
        print(reply)
    return 0 if replies == ["Bonjour, Ada!", "Hola, Alan!"] else 1


if __name__ == "__main__":
    sys.exit(main())
