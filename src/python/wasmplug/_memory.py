"""A cached memoryview over an instance's linear memory.

`Memory.read/write` cost 2-3 µs each; slicing a cached view costs ~0.1 µs. The engine is configured
so memory never moves, hence a view stays valid for its range and only needs rebuilding after growth.
"""

from __future__ import annotations

import ctypes

import wasmtime

from .errors import DecodeError


class LinearMemory:
    __slots__ = ("view", "_memory", "_store")

    def __init__(self, store: wasmtime.Store, memory: wasmtime.Memory) -> None:
        self._store = store
        self._memory = memory
        self.view = self._build()

    def _build(self) -> memoryview:
        if self._memory.data_len(self._store) == 0:
            return memoryview(b"")
        return memoryview(self._memory.get_buffer_ptr(self._store)).cast("B")

    def covering(self, ptr: int, size: int, what: str) -> memoryview:
        """The view, rebuilt if the memory grew; DecodeError if [ptr, ptr+size) is outside memory."""
        view = self._build()
        self.view = view
        if ptr + size > len(view):
            raise DecodeError(
                f"{what}: region [{ptr:#x}, {ptr + size:#x}) is outside the plugin's memory ({len(view)} bytes)"
            )
        return view

    def address(self) -> int:
        """The host address of byte 0 (memory never moves)."""
        return ctypes.addressof(self._memory.data_ptr(self._store).contents)

    def size(self) -> int:
        return int(self._memory.data_len(self._store))

    def release(self) -> None:
        self.view = memoryview(b"")
