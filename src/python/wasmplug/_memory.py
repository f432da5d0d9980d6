"""A cached memoryview over an instance's linear memory.

`Memory.read/write` cost 2-3 µs each; slicing a cached view costs ~0.1 µs. The engine is configured
so memory never moves, hence a view stays valid for its range and only needs rebuilding after growth.
"""

from __future__ import annotations

import ctypes

from . import _native
from .errors import DecodeError


class LinearMemory:
    __slots__ = ("view", "_store", "_memory", "_args")

    def __init__(self, store: _native.Store, memory: _native.Extern) -> None:
        self._store = store  # outlives this object's use of its context
        self._memory = memory  # the wasmtime_memory_t handle the arguments point into
        self._args = (
            ctypes.c_void_p(store.ctx),
            ctypes.c_void_p(ctypes.addressof(memory) + _native.EXTERN_OF),
        )
        self.view = self._build()

    def _build(self) -> memoryview:
        size = _native.memory_data_size(*self._args)
        if size == 0:
            return memoryview(b"")
        data = _native.memory_data(*self._args)
        return memoryview((ctypes.c_ubyte * size).from_address(data)).cast("B")

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
        return int(_native.memory_data(*self._args) or 0)

    def size(self) -> int:
        return int(_native.memory_data_size(*self._args))

    def release(self) -> None:
        """Forget the view (before the store goes): later reads see an empty memory, never freed memory."""
        self.view = memoryview(b"")
