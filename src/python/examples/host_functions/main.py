"""host_functions: the plugin reaches the network only through functions the host gives it.

The Go plugin (src/go/plugins/host_functions) has no network. Its proto declares a `type=host` service with
`HttpGet` and `Log`; the plugin calls them, and this host implements them with urllib and print. `main` serves a
page on 127.0.0.1 itself, so the example runs standalone.
"""

from __future__ import annotations

import http.server
import importlib.resources
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from google.protobuf.empty_pb2 import Empty
from host_functions.host_functions_pb2 import GreetRequest, HttpGetReply, HttpGetRequest, LogRequest
from host_functions.host_functions_wasmplug import GreeterPlugin, HostFunctions

PLUGIN = importlib.resources.files("plugins.host_functions") / "host_functions.wasm"


class Host:
    """What the plugin may ask of the host: implements the generated `HostFunctions` Protocol."""

    def __init__(self) -> None:
        self.logged: list[str] = []

    def http_get(self, request: HttpGetRequest) -> HttpGetReply:
        # The host decides what the plugin may reach: http(s) only, never file:// or others urllib knows.
        if urllib.parse.urlsplit(request.url).scheme not in ("http", "https"):
            # An exception reaches the plugin as an error.
            raise ValueError(f"only http(s) URLs are allowed, not {request.url!r}")
        try:
            with urllib.request.urlopen(request.url, timeout=10) as resp:
                return HttpGetReply(status=resp.status, body=resp.read())
        except urllib.error.HTTPError as err:
            return HttpGetReply(status=err.code, body=err.read())

    def log(self, request: LogRequest) -> Empty:
        self.logged.append(request.message)
        print(f"[plugin] {request.message}")
        return Empty()


def greet(name: str, url: str, host: HostFunctions) -> str:
    """Ask the plugin to greet `name` with the page at `url` (which the host fetches for it)."""
    with GreeterPlugin().load(PLUGIN, host_functions=host) as greeter:
        return greeter.greet(GreetRequest(name=name, url=url)).message


@contextmanager
def serve(text: str) -> Iterator[str]:
    """Serve `text` on 127.0.0.1 (a free port) from a thread; yields the URL."""
    body = text.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the example's output to what the plugin does

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/motd"
    finally:
        server.shutdown()
        server.server_close()


def main() -> int:
    motd = "have a nice day"
    with serve(motd) as url:
        reply = greet("wasmplug", url, Host())
    print(reply)
    return 0 if motd in reply else 1


if __name__ == "__main__":
    sys.exit(main())
