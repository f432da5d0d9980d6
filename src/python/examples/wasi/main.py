"""wasi: a plugin reads files from a directory the host allow-lists read-only; its stdout is mirrored to the host.

The Go plugin (src/go/plugins/wasi) uses plain `os.ReadFile` and `fmt.Println`. The sandbox grants nothing by
default: the host preopens one directory (read-only) as /data and routes the plugin's stdout to its own. Any other
path, and any write, fails inside the plugin, and its error reaches Python as `wasmplug.PluginError`.
"""

from __future__ import annotations

import importlib.resources
import sys
import tempfile
from pathlib import Path
from typing import IO

import wasmplug
from wasi.wasi_pb2 import ReadFileRequest, WriteFileRequest
from wasi.wasi_wasmplug import Files, FilesPlugin

PLUGIN = importlib.resources.files("plugins.wasi") / "wasi.wasm"


def load(shared: Path, stdout: IO[str]) -> Files:
    config = wasmplug.PluginConfig(
        stdout=stdout,  # the default, None, discards the plugin's stdout
        preopens=[wasmplug.Preopen(shared, "/data")],  # read_only=True unless asked otherwise
    )
    return FilesPlugin(config=config).load(PLUGIN)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        shared = Path(tmp, "shared")
        shared.mkdir()
        (shared / "hello.txt").write_text("hello from the host's disk")
        secret = Path(tmp, "secret.txt")
        secret.write_text("not for plugins")

        refused = 0
        with load(shared, sys.stdout) as files:
            content = files.read_file(ReadFileRequest(path="/data/hello.txt")).content.decode()
            print(f"host: the plugin read {content!r}")
            for path in (str(secret), "/data/../secret.txt"):
                try:
                    files.read_file(ReadFileRequest(path=path))
                except wasmplug.PluginError as err:
                    print(f"host: refused: {err}")
                    refused += 1
            try:
                files.write_file(WriteFileRequest(path="/data/hello.txt", content=b"overwritten"))
            except wasmplug.PluginError as err:
                print(f"host: refused: {err}")
                refused += 1
        unchanged = (shared / "hello.txt").read_text() == "hello from the host's disk"
    return 0 if content == "hello from the host's disk" and refused == 3 and unchanged else 1


if __name__ == "__main__":
    sys.exit(main())
