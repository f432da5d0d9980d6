from __future__ import annotations

import ctypes
import mmap
import os
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import wasmplug
from wasmplug import PluginConfig, _trim

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; annotations only
    from importlib.resources.abc import Traversable

P = mmap.PAGESIZE
pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="the trim is Linux-only (a no-op elsewhere)"
)


def _resident(address: int, pages: int) -> list[bool]:
    """Which pages hold memory of their own (present and exclusive: not the shared zero page)."""
    fd = os.open("/proc/self/pagemap", os.O_RDONLY)
    try:
        raw = os.pread(fd, pages * 8, address // P * 8)
    finally:
        os.close(fd)
    return [e >> 63 == 1 and e >> 56 & 1 == 1 for e in struct.unpack(f"<{pages}Q", raw)]


def test_drops_resident_zero_pages_beyond_the_initialized_data_only() -> None:
    m = mmap.mmap(
        -1, 8 * P, flags=mmap.MAP_PRIVATE
    )  # anonymous, private: like the memory beyond the data image
    view = memoryview(m)
    address = ctypes.addressof(ctypes.c_char.from_buffer(m))
    try:
        for i in (0, 2, 5, 6):
            m[i * P : (i + 1) * P] = bytes(P)  # written zeros: resident
        for i in (1, 4):
            m[i * P + 9] = 7
        before = bytes(m)  # reads map the zero page into the others: nothing to drop there
        assert _resident(address, 8) == [True, True, True, False, True, True, True, False]

        # Pages 0 and 1 hold initialized data (it ends inside page 1): never dropped, even if zero.
        assert _trim.drop_zero_pages(view, address, P + 10) == 3 * P
        assert _resident(address, 8) == [True, True, False, False, True, False, False, False]
        assert bytes(m) == before
        assert _trim.drop_zero_pages(view, address, P + 10) == 0
    finally:
        view.release()
        del address
        m.close()


def test_initialized_end() -> None:
    data = bytearray(3 * P)
    data[P + 5] = 1
    assert _trim.initialized_end(memoryview(data)) == P + 6
    assert _trim.initialized_end(memoryview(bytes(P))) == 0
    data = bytearray(2 * P + 100)
    data[2 * P + 50] = 1  # in the partial last page
    assert _trim.initialized_end(memoryview(data)) == 2 * P + 51
    data[2 * P + 50] = 0
    data[0] = 1
    assert _trim.initialized_end(memoryview(data)) == 1


def test_new_instances_hold_no_zero_pages(
    guest: Callable[[str], Traversable], cache_dir: Path
) -> None:
    with wasmplug.Plugin.load(
        guest("abi"), config=PluginConfig(cache_dir=cache_dir, max_instances=2)
    ) as p:
        p.prefill(2)
        for inst in list(p._pool._idle):
            mem = inst.memory
            # what is left to drop right after start-up: nothing (the trim already ran)
            end = inst.image.initialized_end
            assert end is not None and 0 < end < len(mem.view)
            assert _trim.drop_zero_pages(mem.view, mem.address(), end) == 0
        assert p.call_bytes("echo", b"x" * 100_000) == b"x" * 100_000  # still works
