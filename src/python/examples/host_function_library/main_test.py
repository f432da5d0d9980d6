from __future__ import annotations

import pytest
import wasmplug
from examples.host_function_library.json_parser import JsonParser
from examples.host_function_library.main import PLUGIN, Host, load, main
from host_function_library.host_function_library_pb2 import GreetRequest
from host_function_library.host_function_library_wasmplug import Greeter, host_functions_module
from jsonparser.jsonparser_wasmplug import parser_library_module


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ('{"name": "Ada", "language": "fr"}', "Bonjour, Ada!"),
        ('{"name": "Grace", "language": "xx", "age": 85}', "Hello, Grace!"),
    ],
)
def test_library_and_own_host_function_together(profile: str, message: str) -> None:
    with load() as greeter:
        assert greeter.greet(GreetRequest(profile=profile)).message == message


@pytest.mark.parametrize(
    ("profile", "error"),
    [
        ("{not json", "Expecting property name"),  # raised by the library's host side
        ("[1, 2]", "expected a JSON object"),
        ('{"language": "fr"}', "profile has no name"),  # returned by the plugin itself
    ],
)
def test_errors_reach_python_typed(profile: str, error: str) -> None:
    with load() as greeter:
        with pytest.raises(wasmplug.PluginError, match=error):
            greeter.greet(GreetRequest(profile=profile))
        assert greeter.greet(GreetRequest(profile='{"name": "Ada"}')).message == "Hello, Ada!"


def test_api_version_is_checked_at_load() -> None:
    class GreeterV2(Greeter):
        API_VERSION = 2  # what a host generated from the proto with `version=2` expects

    plugin = wasmplug.Plugin.load(
        PLUGIN, host_modules=[host_functions_module(Host()), parser_library_module(JsonParser())]
    )
    with (
        plugin,
        pytest.raises(
            wasmplug.VersionMismatchError, match="^API version mismatch, host: 2, plugin: 1$"
        ),
    ):
        GreeterV2(plugin)


def test_main(capsys: pytest.CaptureFixture[str]) -> None:
    assert main() == 0
    assert capsys.readouterr().out == "Bonjour, Ada!\nHola, Alan!\n"
