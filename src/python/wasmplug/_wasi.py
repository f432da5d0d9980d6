"""WASI context for one instance: only what the config grants, stdout/stderr routed to Python streams.

stderr is always captured (a bounded tail) so a trap can be reported with the Go panic text.
"""

from __future__ import annotations

import codecs
import ctypes
import io
import os
from typing import IO, Any, Callable, cast

from . import _native
from .config import PluginConfig, Stream

_TAIL = 16 * 1024


def _writer(stream: Stream) -> Callable[[bytes], None]:
    """A callback writing guest bytes to a text or binary stream."""
    if _is_binary(stream):
        write_b = cast(IO[bytes], stream).write

        def write_bytes(data: bytes) -> None:
            write_b(data)

        return write_bytes
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    write_s = cast(IO[str], stream).write

    def write_text(data: bytes) -> None:
        text = decoder.decode(data)
        if text:
            write_s(text)

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
# Compiled on the first trap (re caches it), not at import: a fresh process should not pay for it.
_PANIC = r"(?:^|\n)((?:panic|fatal error): .*?)(?:\n\n|\ngoroutine |\Z)"


def panic_text(stderr: str) -> str:
    """The last Go panic/fatal-error message in `stderr`, or ""."""
    import re  # only on a trap: a fresh process should not pay for importing it

    found = re.findall(_PANIC, stderr, re.S)
    return found[-1].strip() if found else ""


def _output_callback(write: Callable[[bytes], None]) -> Any:
    def callback(_data: int, buf: int, size: int) -> int:
        try:
            write(ctypes.string_at(buf, size))
        except Exception:
            return -5  # EIO: the guest sees a failed write, the host keeps running
        return size

    return _native.OUTPUT_CALLBACK(callback)


def make_wasi(config: PluginConfig, stderr: StderrTail) -> tuple[_native.WasiConfig, list[Any]]:
    """The WASI config for one store, and the callbacks that must live as long as the store."""
    wasi = _native.new_wasi(
        config.args,
        config.env.items(),
        [(os.fspath(p.host_path), p.guest_path, not p.read_only) for p in config.preopens],
    )
    keep = []
    # Our own callbacks rather than wasmtime-py's stdout_custom: its Python finalizer can run on a
    # wasmtime thread during interpreter shutdown and abort the process.
    if config.stdout is not None:
        keep.append(_output_callback(_writer(config.stdout)))
        _native.set_output(wasi, False, keep[-1])
    keep.append(_output_callback(stderr))
    _native.set_output(wasi, True, keep[-1])
    return wasi, keep
