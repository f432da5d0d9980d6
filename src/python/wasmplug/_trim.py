"""Give back the zero pages that a new instance's start-up wrote (Linux; elsewhere a no-op).

Go's runtime on wasm clears memory that is already zero: it aligns its first heap arena to 512 KiB and
clears the gap it skips (`memFree` in runtime/mem_sbrk.go), so depending on the binary's layout every
instance writes 0-512 KiB of zeros into fresh pages, which then count as private RSS of each idle pooled
instance. A page that holds only zeros now and whose backing is zero too (it lies beyond the module's
initialized data, so it is not part of the copy-on-write data image) can be dropped with
`madvise(MADV_DONTNEED)`: its next access maps a fresh zero page, so the guest sees no difference.
Pages of the data image are never dropped (that would revert them to the image's contents).
"""

from __future__ import annotations

import ctypes
import mmap
import os
import sys
from typing import Callable

_PAGE = mmap.PAGESIZE
_ZERO = bytes(_PAGE)
_MADV_DONTNEED = 4
# /proc/self/pagemap: one little-endian u64 per page; its top byte holds the flags we need.
_PRESENT = 0x80  # bit 63
_FILE_OR_SHARED = 0x20  # bit 61: a page of the data image that was never written
_EXCLUSIVE = 0x01  # bit 56: not the shared zero page that a read maps

_pagemap: int | None = None
_madvise: Callable[[int, int, int], int] | None = None
_usable = sys.platform == "linux"


def _setup() -> bool:
    global _pagemap, _madvise, _usable
    try:
        _pagemap = os.open("/proc/self/pagemap", os.O_RDONLY | os.O_CLOEXEC)
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        _usable = False
        return False
    madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    madvise.restype = ctypes.c_int
    _madvise = madvise
    return True


def initialized_end(memory: memoryview) -> int:
    """Where the initialized data of a fresh (never run) linear memory ends: all zero from there on.

    Scans pages backwards: reading the zero tail maps the shared zero page, it allocates nothing."""
    end = len(memory) - len(memory) % _PAGE
    tail = memory[end:].tobytes().rstrip(b"\0")
    if tail:
        return end + len(tail)
    while end > 0:
        page = memory[end - _PAGE : end].tobytes()
        if page != _ZERO:
            return end - _PAGE + len(page.rstrip(b"\0"))
        end -= _PAGE
    return 0


def drop_zero_pages(memory: memoryview, address: int, initialized_end: int) -> int:
    """Drop the resident all-zero pages of `memory` (mapped at `address`) from `initialized_end` on.

    The instance must not be running. Returns the number of bytes given back."""
    if not _usable or (_madvise is None and not _setup()):
        return 0
    assert _pagemap is not None and _madvise is not None
    if address % _PAGE:
        return 0
    first = -(-initialized_end // _PAGE)
    count = len(memory) // _PAGE - first
    if count <= 0:
        return 0
    try:
        raw = os.pread(_pagemap, count * 8, (address // _PAGE + first) * 8)
    except OSError:
        return 0
    runs: list[list[int]] = []
    for i, flags in enumerate(raw[7::8]):
        if flags & (_PRESENT | _FILE_OR_SHARED | _EXCLUSIVE) == _PRESENT | _EXCLUSIVE:
            off = (first + i) * _PAGE
            if memory[off : off + _PAGE].tobytes() == _ZERO:
                if runs and runs[-1][1] == off:
                    runs[-1][1] = off + _PAGE
                else:
                    runs.append([off, off + _PAGE])
    dropped = 0
    for start, end in runs:
        if _madvise(address + start, end - start, _MADV_DONTNEED) == 0:
            dropped += end - start
    return dropped
