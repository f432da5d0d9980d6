import importlib.resources

import pytest

import wasmplug
from greeter.greeter_wasmplug import GreeterPlugin
from text.text_pb2 import Text
from text.text_wasmplug import TransformerPlugin


def wasm(name: str):
    return importlib.resources.files(f"plugins.{name}") / f"{name}.wasm"


class Host:
    def decorate(self, request: Text) -> Text:
        if not request.value:
            raise ValueError("nothing to decorate")
        return Text(value=f"*{request.value}*")


def test_transformer_plugin() -> None:
    with TransformerPlugin().load(wasm("upper")) as upper:
        assert upper.transform(Text(value="shout")).value == "SHOUT"


def test_greeter_plugin_calls_host_through_go_library() -> None:
    with GreeterPlugin().load(wasm("hello"), host_functions=Host()) as hello:
        assert hello.greet(Text(value="Ada")).value == "Hello, *Ada*!"


def test_host_error_reaches_python() -> None:
    with GreeterPlugin().load(wasm("hello"), host_functions=Host()) as hello:
        with pytest.raises(wasmplug.PluginError, match="nothing to decorate"):
            hello.greet(Text(value=""))


def test_runtime_package_dependency() -> None:
    with TransformerPlugin().load("src.go.plugins.upper/upper.wasm") as upper:
        assert upper.transform(Text(value="pkg")).value == "PKG"
