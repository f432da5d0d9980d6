"""WASI context for one instance: only what the config grants, stdout/stderr routed to Python streams.

stderr is always captured (a bounded tail) so a trap can be reported with the Go panic text.
"""

from __future__ import annotations

import codecs
import io
import os
import re
from typing import Callable

import wasmtime

from .config import PluginConfig, Stream

_TAIL = 16 * 1024


def _writer(stream: Stream) -> Callable[[bytes], None]:
    """A callback writing guest bytes to a text or binary stream."""
    if _is_binary(stream):
        write_b = stream.write
        return write_b  # type: ignore[return-value]
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    write_s = stream.write

    def write_text(data: bytes) -> None:
        text = decoder.decode(data)
        if text:
            write_s(text)  # type: ignore[arg-type]

    return write_text


def _is_binary(stream: Stream) -> bool:
    if isinstance(stream, io.TextIOBase):
        return False
    if isinstance(stream, (io.RawIOBase, io.BufferedIOBase)):
        return True
    return "b" in getattr(stream, "mode", "")


class StderrTail:
    """stderr sink: keeps the last bytes for panic reports and tees everything to the user's stream."""

    __slots__ = ("tail", "_write")

    def __init__(self, stream: Stream | None) -> None:
        self.tail = bytearray()
        self._write = _writer(stream) if stream is not None else None

    def __call__(self, data: bytes) -> None:
        tail = self.tail
        tail += data
        if len(tail) > _TAIL:
            del tail[: len(tail) - _TAIL]
        if self._write is not None:
            self._write(data)

    def text(self) -> str:
        return self.tail.decode("utf-8", "replace")


# Go prints "panic: <msg>" (or "fatal error: <msg>") followed by a blank line and the goroutine dump.
_PANIC = re.compile(r"(?:^|\n)((?:panic|fatal error): .*?)(?:\n\n|\ngoroutine |\Z)", re.S)


def panic_text(stderr: str) -> str:
    """The last Go panic/fatal-error message in `stderr`, or ""."""
    found = _PANIC.findall(stderr)
    return found[-1].strip() if found else ""


def make_wasi(config: PluginConfig, stderr: StderrTail) -> wasmtime.WasiConfig:
    wasi = wasmtime.WasiConfig()
    if config.args:
        wasi.argv = list(config.args)
    if config.env:
        wasi.env = list(config.env.items())
    for pre in config.preopens:
        wasi.preopen_dir(os.fspath(pre.host_path), pre.guest_path, fs_mutable=not pre.read_only)
    if config.stdout is not None:
        wasi.stdout_custom = _writer(config.stdout)
    wasi.stderr_custom = stderr
    return wasi
