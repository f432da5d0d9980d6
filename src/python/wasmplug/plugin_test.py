from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import wasmplug
from google.protobuf import wrappers_pb2
from wasmplug import PluginConfig

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; annotations only
    from importlib.resources.abc import Traversable

Guest = Callable[[str], "Traversable"]


@pytest.fixture
def abi(guest: Guest, cache_dir: Path) -> Iterator[wasmplug.Plugin]:
    with wasmplug.Plugin.load(guest("abi"), config=PluginConfig(cache_dir=cache_dir)) as p:
        yield p


def test_load_from_traversable_path_and_bytes(
    guest: Guest, cache_dir: Path, tmp_path: Path
) -> None:
    wasm = guest("abi")
    path = tmp_path / "abi.wasm"
    path.write_bytes(wasm.read_bytes())
    cfg = PluginConfig(cache_dir=cache_dir)
    for source in (wasm, path, str(path), wasm.read_bytes(), bytearray(wasm.read_bytes())):
        with wasmplug.Plugin.load(source, config=cfg) as p:
            assert p.call_bytes("echo", b"hi") == b"hi"


def test_call_bytes_and_empty_reply(abi: wasmplug.Plugin) -> None:
    assert abi.call_bytes("upper", b"hello") == b"HELLO"
    assert abi.call_bytes("echo", b"") == b""
    assert abi.call_bytes("empty", b"ignored") == b""
    payload = bytes(range(256)) * 4096  # 1 MiB, forces memory growth
    assert abi.call_bytes("echo", payload) == payload


def test_call_protobuf(abi: wasmplug.Plugin) -> None:
    reply = abi.call("echo", wrappers_pb2.StringValue(value="héllo"), wrappers_pb2.StringValue)
    assert isinstance(reply, wrappers_pb2.StringValue)
    assert reply.value == "héllo"
    empty = abi.call("empty", wrappers_pb2.StringValue(value="x"), wrappers_pb2.StringValue)
    assert empty.value == ""


def test_api_version_and_check(abi: wasmplug.Plugin) -> None:
    assert abi.api_version("greeter_api_version") == 1
    assert abi.api_version("greeter") == 1
    abi.check_version("greeter_api_version", 1)
    with pytest.raises(wasmplug.VersionMismatchError) as info:
        abi.check_version("greeter_api_version", 2)
    assert str(info.value) == "API version mismatch, host: 2, plugin: 1"
    assert isinstance(info.value, wasmplug.LoadError)


def test_missing_api_version_is_export_error(abi: wasmplug.Plugin) -> None:
    with pytest.raises(wasmplug.ExportError, match="nope_api_version"):
        abi.api_version("nope")


def test_plugin_error_carries_message_and_keeps_instance(abi: wasmplug.Plugin) -> None:
    with pytest.raises(wasmplug.PluginError) as info:
        abi.call_bytes("fail", b"bad input")
    assert str(info.value) == "failed: bad input"
    assert info.value.export == "fail"
    with pytest.raises(wasmplug.PluginError, match="^failed: "):
        abi.call("fail", wrappers_pb2.StringValue(value="x"), wrappers_pb2.StringValue)
    # An error reply is a normal return: the instance stays in the pool.
    assert abi.instances == 1
    assert abi.call_bytes("echo", b"ok") == b"ok"


def test_stdout_to_text_stream(guest: Guest, cache_dir: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    with wasmplug.Plugin.load(
        guest("abi"), config=PluginConfig(stdout=out, stderr=err, cache_dir=cache_dir)
    ) as p:
        p.call_bytes("print_stdout", "grüß dich\n".encode())
        p.call_bytes("print_stderr", b"to stderr\n")
    assert out.getvalue() == "grüß dich\n"
    assert err.getvalue() == "to stderr\n"


def test_stdout_to_binary_stream(guest: Guest, cache_dir: Path) -> None:
    out = io.BytesIO()
    with wasmplug.Plugin.load(
        guest("abi"), config=PluginConfig(stdout=out, cache_dir=cache_dir)
    ) as p:
        p.call_bytes("print_stdout", b"\x00raw\xff")
    assert out.getvalue() == b"\x00raw\xff"


def test_output_discarded_by_default(
    abi: wasmplug.Plugin, capfd: pytest.CaptureFixture[str]
) -> None:
    abi.call_bytes("print_stdout", b"should not appear")
    abi.call_bytes("print_stderr", b"nor this")
    captured = capfd.readouterr()
    assert "should not appear" not in captured.out + captured.err
    assert "nor this" not in captured.out + captured.err


def test_trap_reports_go_panic(guest: Guest, cache_dir: Path) -> None:
    err = io.StringIO()
    with wasmplug.Plugin.load(
        guest("abi"), config=PluginConfig(stderr=err, cache_dir=cache_dir)
    ) as p:
        with pytest.raises(wasmplug.TrapError) as info:
            p.call_bytes("panic_now", b"something broke")
        assert info.value.panic == "panic: something broke"
        assert "something broke" in str(info.value)
        assert "goroutine" in err.getvalue()  # the full panic still reaches the user's stream
        assert p.instances == 0  # trapped instance discarded
        assert p.call_bytes("echo", b"fresh") == b"fresh"  # and replaced


def test_close_and_context_manager(guest: Guest, cache_dir: Path) -> None:
    p = wasmplug.Plugin.load(guest("abi"), config=PluginConfig(cache_dir=cache_dir))
    with p:
        assert not p.closed
    assert p.closed
    with pytest.raises(wasmplug.WasmplugError, match="closed"):
        p.call_bytes("echo", b"x")
    p.close()  # idempotent


def test_unknown_export(abi: wasmplug.Plugin) -> None:
    with pytest.raises(wasmplug.ExportError) as info:
        abi.call_bytes("no_such_method", b"")
    assert info.value.export == "no_such_method"
    with pytest.raises(
        wasmplug.ExportError,
        match=r"greeter_api_version.*\(\) -> \(i64\), expected \(i32, i32\) -> \(i64\)",
    ):
        abi.call_bytes("greeter_api_version", b"")


def test_decode_error_for_wrong_reply_type(abi: wasmplug.Plugin) -> None:
    with pytest.raises(wasmplug.DecodeError, match="StringValue"):
        # 0xff is not a valid tag: the reply is not a StringValue
        abi.call("echo", wrappers_pb2.BytesValue(value=b"\xff\xff\xff"), wrappers_pb2.StringValue)  # type: ignore[arg-type]


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(wasmplug.LoadError, match="invalid wasm"):
        wasmplug.Plugin.load(b"not wasm at all", config=PluginConfig(cache_dir=False))
    with pytest.raises(wasmplug.LoadError, match="cannot read"):
        wasmplug.Plugin.load(tmp_path / "missing.wasm")


def test_request_sizes_across_buffer_reuse_thresholds(abi: wasmplug.Plugin) -> None:
    """Small requests reuse a scratch buffer (wasmplug guests), large ones are malloc'ed per call."""
    sizes = [1, 16, 1023, 1024, 1025, 5000, 65535, 65536, 65537, 1 << 20, 3, 70000, 2]
    for i, n in enumerate(sizes):
        payload = bytes((i + j) % 251 for j in range(n))
        assert abi.call_bytes("echo", payload) == payload
        assert abi.call_bytes("upper", b"abc") == b"ABC"  # a short request right after a long one


def test_load_by_sha256_refuses_other_bytes_before_compiling(
    guest: Guest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from wasmplug import _cache

    wasm = guest("abi").read_bytes()
    good = hashlib.sha256(wasm).hexdigest()
    path = tmp_path / "abi.wasm"
    path.write_bytes(wasm)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    for cfg in (PluginConfig(cache_dir=cache), PluginConfig(cache_dir=False)):
        for digest in (good, f"sha256:{good}", good.upper()):
            with wasmplug.Plugin.load(path, config=cfg, sha256=digest) as p:
                assert p.call_bytes("echo", b"hi") == b"hi"
    compiled: list[int] = []
    monkeypatch.setattr(_cache, "_compile", lambda engine, data: compiled.append(len(data)))
    tampered = bytearray(wasm)
    tampered[-1] ^= 1
    path.write_bytes(bytes(tampered))
    actual = hashlib.sha256(tampered).hexdigest()
    for cfg in (PluginConfig(cache_dir=cache), PluginConfig(cache_dir=False)):
        for source in (path, bytes(tampered)):
            with pytest.raises(wasmplug.DigestMismatchError) as e:
                wasmplug.Plugin.load(source, config=cfg, sha256=good)
            assert e.value.expected == f"sha256:{good}"
            assert e.value.actual == f"sha256:{actual}"
            assert f"expected sha256:{good}, got sha256:{actual}" in str(e.value)
            assert isinstance(e.value, wasmplug.LoadError)
    # The cached artifact of the good bytes is not handed out for bytes that claim its digest.
    assert compiled == []
    with pytest.raises(ValueError, match="64 hex digits"):
        wasmplug.Plugin.load(path, config=PluginConfig(cache_dir=False), sha256="sha256:abc")
