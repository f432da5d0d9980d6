from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmplug
from examples.host_functions.main import Host, greet, main


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving the files of tmp_path; yields its base URL."""
    (tmp_path / "motd.txt").write_text("the plugin got this through the host")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_plugin_replies_with_what_the_server_served(site: str) -> None:
    host = Host()
    reply = greet("Ada", f"{site}/motd.txt", host)
    assert reply == "Hello, Ada! The server says: the plugin got this through the host"
    assert host.logged == [f"fetching {site}/motd.txt"]


def test_http_error_status_becomes_a_plugin_error(site: str) -> None:
    with pytest.raises(wasmplug.PluginError, match="status 404"):
        greet("Ada", f"{site}/missing.txt", Host())


def test_host_refuses_non_http_urls() -> None:
    # The host function raises; the plugin gets the message as an error and returns it to Python.
    with pytest.raises(wasmplug.PluginError, match="only http"):
        greet("Ada", "file:///etc/passwd", Host())


def test_main_serves_its_own_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert main() == 0
    out = capsys.readouterr().out
    assert "[plugin] fetching http://127.0.0.1:" in out
    assert "Hello, wasmplug! The server says: have a nice day" in out
