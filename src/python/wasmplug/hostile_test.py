"""Hostile or broken modules (hand-written WAT): every misbehaviour is a clear typed error, the host
survives, and the instance that misbehaved is discarded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmplug
import wasmtime
from wasmplug import HostModule, PluginConfig

BASE = """
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "malloc") (param i32) (result i32)
    (local $p i32) global.get $heap local.set $p
    global.get $heap local.get 0 i32.add global.set $heap local.get $p)
  (func (export "free") (param i32))
  ;; ok: replies with its request
  (func (export "ok") (param i32 i32) (result i64)
    local.get 0 i64.extend_i32_u i64.const 32 i64.shl local.get 1 i64.extend_i32_u i64.or)
"""


def module(body: str, *, base: str = BASE, imports: str = "") -> bytes:
    return bytes(wasmtime.wat2wasm(f"(module {imports} {base} {body})"))


def load(wasm: bytes, cache_dir: Path, **kw: object) -> wasmplug.Plugin:
    return wasmplug.Plugin.load(wasm, config=PluginConfig(cache_dir=cache_dir, **kw))  # type: ignore[arg-type]


HOSTILE = module("""
  (func (export "wild_ptr") (param i32 i32) (result i64) i64.const 0xFFFF000000000010)
  (func (export "huge_size") (param i32 i32) (result i64) i64.const 0x7FFFFFFF)
  (func (export "wild_error") (param i32 i32) (result i64) i64.const 0xFFFFFF0080000010)
  (func (export "spin") (param i32 i32) (result i64) (loop $l br $l) i64.const 0)
  (func (export "unreachable") (param i32 i32) (result i64) unreachable)
  (func $rec (export "recurse") (param i32 i32) (result i64) local.get 0 local.get 1 call $rec)
  (func (export "bomb") (param i32 i32) (result i64)
    (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable)
  (func (export "bigbomb") (param i32 i32) (result i64)
    (drop (memory.grow (i32.const 60000))) (i32.store (i32.const 0x7FFFFFF0) (i32.const 1)) i64.const 0)
""")


@pytest.fixture
def hostile(cache_dir: Path) -> Iterator[wasmplug.Plugin]:
    with load(HOSTILE, cache_dir, memory_limit=16 << 20) as p:
        yield p


def _still_works(p: wasmplug.Plugin) -> None:
    assert p.call_bytes("ok", b"still here") == b"still here"


@pytest.mark.parametrize("export", ["wild_ptr", "huge_size", "wild_error"])
def test_reply_outside_memory(hostile: wasmplug.Plugin, export: str) -> None:
    with pytest.raises(wasmplug.DecodeError, match="outside the plugin's memory") as info:
        hostile.call_bytes(export, b"x")
    assert export in str(info.value)
    assert hostile.instances == 0
    _still_works(hostile)


def test_infinite_loop(hostile: wasmplug.Plugin) -> None:
    with pytest.raises(wasmplug.DeadlineExceeded):
        hostile.call_bytes("spin", b"", timeout=0.05)
    _still_works(hostile)


def test_unreachable_and_stack_overflow(hostile: wasmplug.Plugin) -> None:
    with pytest.raises(wasmplug.TrapError, match="unreachable") as info:
        hostile.call_bytes("unreachable", b"")
    assert info.value.panic == ""
    with pytest.raises(wasmplug.TrapError, match="stack"):
        hostile.call_bytes("recurse", b"")
    _still_works(hostile)


def test_memory_bomb(hostile: wasmplug.Plugin) -> None:
    with pytest.raises(wasmplug.MemoryLimitError):
        hostile.call_bytes("bomb", b"")
    _still_works(hostile)


def test_failed_grow_then_wild_store(hostile: wasmplug.Plugin) -> None:
    with pytest.raises(wasmplug.TrapError, match="out of bounds"):
        hostile.call_bytes("bigbomb", b"")
    _still_works(hostile)


def test_malloc_returns_wild_pointer(cache_dir: Path) -> None:
    base = """(memory (export "memory") 1)
      (func (export "malloc") (param i32) (result i32) i32.const 0x7FFFFFF0)
      (func (export "free") (param i32))
      (func (export "m") (param i32 i32) (result i64) i64.const 0)"""
    with load(module("", base=base), cache_dir) as p:
        with pytest.raises(wasmplug.DecodeError, match="malloc"):
            p.call_bytes("m", b"request")
        assert p.call_bytes("m", b"") == b""  # no malloc for an empty request


def test_request_buffer_at_a_wild_pointer(cache_dir: Path) -> None:
    body = """(func (export "wasmplug_abi") (result i32) i32.const 1)
      (func (export "wasmplug_request") (param i32) (result i32) i32.const 0x7FFFFFF0)"""
    with load(module(body), cache_dir) as p:
        assert p.call_bytes("ok", b"small") == b"small"  # below 32 KiB: the host's own buffer
        with pytest.raises(wasmplug.DecodeError, match="wasmplug_request"):
            p.call_bytes("ok", b"x" * 40_000)


@pytest.mark.parametrize(
    ("base", "export", "message"),
    [
        (
            '(memory (export "memory") 1) (func (export "free") (param i32))',
            "malloc",
            "not exported",
        ),
        (
            '(memory (export "memory") 1) (func (export "malloc") (param i32) (result i32) i32.const 0)'
            ' (func (export "free") (param i64))',
            "free",
            r"\(i64\) -> \(\), expected \(i32\) -> \(\)",
        ),
        (
            '(memory (export "mem") 1) (func (export "malloc") (param i32) (result i32) i32.const 0)'
            ' (func (export "free") (param i32))',
            "memory",
            "linear memory",
        ),
        (
            '(memory (export "memory") 1) (global (export "malloc") i32 (i32.const 0))'
            ' (func (export "free") (param i32))',
            "malloc",
            "not a function",
        ),
        (BASE + '(func (export "_initialize") (param i32))', "_initialize", "expected"),
        (
            BASE + '(func (export "wasmplug_abi") (result i64) i64.const 1)',
            "wasmplug_abi",
            "expected",
        ),
        (
            BASE + '(func (export "wasmplug_abi") (result i32) i32.const 1)'
            ' (func (export "wasmplug_request") (param i64) (result i32) i32.const 0)',
            "wasmplug_request",
            "expected",
        ),
    ],
)
def test_missing_or_mistyped_exports(cache_dir: Path, base: str, export: str, message: str) -> None:
    with pytest.raises(wasmplug.ExportError, match=message) as info:
        load(module("", base=base), cache_dir)
    assert info.value.export == export
    assert repr(export) in str(info.value)


def test_mistyped_method(hostile: wasmplug.Plugin) -> None:
    with pytest.raises(wasmplug.ExportError, match="expected"):
        hostile.call_bytes("malloc", b"")
    _still_works(hostile)


def test_trap_in_initialize(cache_dir: Path) -> None:
    with pytest.raises(wasmplug.LoadError, match="_initialize"):
        load(module('(func (export "_initialize") unreachable)'), cache_dir)


def test_unknown_import(cache_dir: Path) -> None:
    wasm = module("", imports='(import "evil" "steal" (func (param i32)))')
    with pytest.raises(wasmplug.LoadError, match="evil"):
        load(wasm, cache_dir)


def test_bad_pointer_passed_to_host_function(cache_dir: Path) -> None:
    called: list[bytes] = []
    wasm = module(
        '(func (export "call") (param i32 i32) (result i64) i32.const 0x7FFFFFF0 i32.const 64 call $h)',
        imports='(import "env" "h" (func $h (param i32 i32) (result i64)))',
    )

    def h(r: memoryview) -> bytes:
        called.append(bytes(r))
        return b""

    with wasmplug.Plugin.load(
        wasm, config=PluginConfig(cache_dir=cache_dir), host_modules=[HostModule("env", {"h": h})]
    ) as p:
        with pytest.raises(wasmplug.TrapError, match="outside the plugin's memory"):
            p.call_bytes("call", b"")
        _still_works(p)
    assert called == []


def test_host_reply_with_wild_guest_malloc(cache_dir: Path) -> None:
    base = """(memory (export "memory") 1)
      (func (export "malloc") (param i32) (result i32) i32.const -16)
      (func (export "free") (param i32))"""
    wasm = module(
        '(func (export "call") (param i32 i32) (result i64) i32.const 0 i32.const 0 call $h)',
        base=base,
        imports='(import "env" "h" (func $h (param i32 i32) (result i64)))',
    )
    with wasmplug.Plugin.load(
        wasm,
        config=PluginConfig(cache_dir=cache_dir),
        host_modules=[HostModule("env", {"h": lambda r: b"reply"})],
    ) as p:
        with pytest.raises(wasmplug.TrapError, match="malloc"):
            p.call_bytes("call", b"")


# --- ABI 2's reply buffer: the guest announces {ptr, cap} at the address wasmplug_host_reply returns ---


def abi2(header: int = 64, ptr: int = 256, cap: int = 64, abi: int = 2, body: str = "") -> bytes:
    """A guest whose header at `header` says: replies of up to `cap` bytes go to `ptr`."""
    le = (ptr.to_bytes(4, "little") + cap.to_bytes(4, "little")).hex()
    data = "".join(f"\\{le[i:i + 2]}" for i in range(0, 16, 2))
    return module(
        f"""
      (func (export "wasmplug_abi") (result i32) i32.const {abi})
      (func (export "wasmplug_host_reply") (result i32) i32.const {header})
      (data (i32.const 64) "{data}")
      (func (export "call") (param i32 i32) (result i64) local.get 0 local.get 1 call $h)
      ;; calls h twice without re-arming the buffer; returns the first reply
      (func (export "call2") (param i32 i32) (result i64) (local $r i64)
        local.get 0 local.get 1 call $h local.set $r
        local.get 0 local.get 1 call $h drop
        local.get $r)
      {body}""",
        base=BASE.replace("i32.const 1024", "i32.const 4096"),
        imports='(import "env" "h" (func $h (param i32 i32) (result i64)))',
    )


def load_abi2(wasm: bytes, cache_dir: Path, fn: object = None) -> wasmplug.Plugin:
    replies = iter([b"first reply", b"second reply"] * 10)
    h = fn or (lambda r: next(replies))
    module = HostModule("env", {"h": h})  # type: ignore[dict-item]
    return wasmplug.Plugin.load(
        wasm, config=PluginConfig(cache_dir=cache_dir), host_modules=[module]
    )


def test_reply_buffer_is_taken_until_rearmed(cache_dir: Path, host_mallocs: list[int]) -> None:
    with load_abi2(abi2(), cache_dir) as p:
        # The first reply went to the buffer, which the guest never re-armed: the second went to malloc
        # and left the first intact.
        assert p.call_bytes("call2", b"") == b"first reply"
        assert host_mallocs == [len(b"second reply")]


def test_reply_buffer_of_an_abi1_guest_is_ignored(cache_dir: Path, host_mallocs: list[int]) -> None:
    with load_abi2(abi2(abi=1), cache_dir) as p:
        assert p.call_bytes("call", b"") == b"first reply"
        assert host_mallocs == [len(b"first reply")]


def test_reply_buffer_null_or_too_small_means_malloc(
    cache_dir: Path, host_mallocs: list[int]
) -> None:
    for wasm in (abi2(ptr=0), abi2(cap=4)):
        with load_abi2(wasm, cache_dir) as p:
            assert p.call_bytes("call", b"") == b"first reply"
    assert host_mallocs == [len(b"first reply")] * 2


@pytest.mark.parametrize("header", [0xFFFFFFF8, 65536 - 4, 65])
def test_reply_buffer_header_outside_memory_or_misaligned(cache_dir: Path, header: int) -> None:
    with pytest.raises(wasmplug.LoadError, match="reply-buffer header"):
        load_abi2(abi2(header=header), cache_dir)


@pytest.mark.parametrize("ptr", [0xFFFF0000, 65536 - 4])
def test_reply_buffer_outside_memory_traps(cache_dir: Path, ptr: int) -> None:
    """A buffer that is (partly) outside linear memory: the call traps before anything is written."""
    with load_abi2(abi2(ptr=ptr, cap=64), cache_dir) as p:
        with pytest.raises(wasmplug.TrapError, match="reply buffer.*outside the plugin's memory"):
            p.call_bytes("call", b"")
        assert p.instances == 0
        _still_works(p)


def test_reply_buffer_overlapping_its_header(cache_dir: Path) -> None:
    """The first reply overwrites the header; the next call reads garbage from it and must trap, not write."""
    with load_abi2(abi2(ptr=64, cap=64), cache_dir) as p:
        assert p.call_bytes("call", b"") == b"first reply"
        with pytest.raises(wasmplug.TrapError, match="reply buffer.*outside the plugin's memory"):
            p.call_bytes("call", b"")  # ptr = b"firs" = 0x73726966
        assert p.instances == 0


def test_reply_buffer_announcement_failures(cache_dir: Path) -> None:
    no_export = module('(func (export "wasmplug_abi") (result i32) i32.const 2)')
    with pytest.raises(wasmplug.ExportError, match="not exported") as info:
        load(no_export, cache_dir)
    assert info.value.export == "wasmplug_host_reply"
    mistyped = module(
        '(func (export "wasmplug_abi") (result i32) i32.const 2)'
        '(func (export "wasmplug_host_reply") (result i64) i64.const 64)'
    )
    with pytest.raises(wasmplug.ExportError, match="expected"):
        load(mistyped, cache_dir)
    trapping = module(
        '(func (export "wasmplug_abi") (result i32) i32.const 2)'
        '(func (export "wasmplug_host_reply") (result i32) unreachable)'
    )
    with pytest.raises(wasmplug.LoadError, match="unreachable"):
        load(trapping, cache_dir)
    hanging = module('(func (export "wasmplug_abi") (result i32) (loop $l br $l) i32.const 2)')
    with pytest.raises(wasmplug.LoadError, match="deadline"):
        load(hanging, cache_dir, timeout=0.05)


@pytest.mark.parametrize("cached", [True, False], ids=["cache", "no-cache"])
@pytest.mark.parametrize(
    "body",
    [
        "(func $s (loop $l br $l)) (start $s)",
        '(func (export "_initialize") (loop $l br $l))',
    ],
    ids=["start", "_initialize"],
)
def test_load_that_hangs_is_under_the_deadline(cache_dir: Path, cached: bool, body: str) -> None:
    """A start function or `_initialize` that never returns: load fails in time with a typed error."""
    import threading
    import time

    wasm = module(body)
    errors: list[BaseException] = []
    times: list[float] = []

    def load_it() -> None:
        start = time.monotonic()
        cfg = PluginConfig(cache_dir=cache_dir if cached else False, timeout=0.2)
        try:
            wasmplug.Plugin.load(wasm, config=cfg).close()
        except BaseException as exc:
            errors.append(exc)
        times.append(time.monotonic() - start)

    # A daemon thread: a hang fails the test instead of hanging the run.
    t = threading.Thread(target=load_it, daemon=True)
    t.start()
    t.join(10)
    assert times, "Plugin.load did not return within 10 s"
    [exc], [elapsed] = errors, times
    assert isinstance(exc, wasmplug.LoadError), exc
    assert "0.2 s" in str(exc)
    assert isinstance(exc.__cause__, wasmplug.DeadlineExceeded)
    assert elapsed < 2.0  # deadline + 50 ms when alone (tests/bench prints it); generous for CI
