import pytest
import wasmplug

from app.main import greet


def test_the_plugin_greets_by_name() -> None:
    assert greet("Ada") == "Hello, Ada!"


def test_an_error_of_the_plugin_is_raised_in_python() -> None:
    with pytest.raises(wasmplug.PluginError, match="the name is empty"):
        greet("")
