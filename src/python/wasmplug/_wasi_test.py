"""The sandbox: nothing granted by default; preopens, env and args only on request; no escape."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import wasmplug
from wasmplug import PluginConfig, Preopen
from wasmplug._wasi import panic_text

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; annotations only
    from importlib.resources.abc import Traversable

Guest = Callable[[str], "Traversable"]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """tmp/outside/secret.txt next to tmp/shared/{data.txt, sub/, link -> ../outside, abs -> /tmp/outside/secret}"""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    shared = tmp_path / "shared"
    (shared / "sub").mkdir(parents=True)
    (shared / "data.txt").write_text("hello from the host")
    (shared / "sub" / "nested.txt").write_text("nested")
    os.symlink("../outside", shared / "link")
    os.symlink(outside / "secret.txt", shared / "abs")
    os.symlink("sub/nested.txt", shared / "inner")  # a symlink that stays inside is fine
    return tmp_path


def _load(guest: Guest, cache_dir: Path, **kw: object) -> wasmplug.Plugin:
    return wasmplug.Plugin.load(guest("abi"), config=PluginConfig(cache_dir=cache_dir, **kw))  # type: ignore[arg-type]


def test_nothing_granted_by_default(guest: Guest, cache_dir: Path, tree: Path) -> None:
    os.environ["WASMPLUG_TEST_SECRET"] = "leak"
    try:
        with _load(guest, cache_dir) as p:
            assert p.call_bytes("environ", b"") == b""
            assert p.call_bytes("args", b"") == b""
            for path in ("/etc/passwd", str(tree / "outside" / "secret.txt"), "secret.txt", "."):
                with pytest.raises(wasmplug.PluginError):
                    p.call_bytes("read_file", path.encode())
            with pytest.raises(wasmplug.PluginError):
                p.call_bytes("write_file", b"/tmp/x\x00data")
    finally:
        del os.environ["WASMPLUG_TEST_SECRET"]


def test_env_and_args_on_request(guest: Guest, cache_dir: Path) -> None:
    with _load(guest, cache_dir, env={"A": "1", "B": "two words"}, args=("plugin", "--flag")) as p:
        assert sorted(p.call_bytes("environ", b"").decode().split("\n")) == ["A=1", "B=two words"]
        assert p.call_bytes("args", b"").decode().split("\n") == ["plugin", "--flag"]


def test_read_only_preopen(guest: Guest, cache_dir: Path, tree: Path) -> None:
    with _load(guest, cache_dir, preopens=[Preopen(tree / "shared", "/data")]) as p:
        assert p.call_bytes("read_file", b"/data/data.txt") == b"hello from the host"
        assert p.call_bytes("read_file", b"/data/sub/nested.txt") == b"nested"
        assert p.call_bytes("read_file", b"/data/inner") == b"nested"
        with pytest.raises(wasmplug.PluginError):
            p.call_bytes("write_file", b"/data/new.txt\x00nope")
        with pytest.raises(wasmplug.PluginError):
            p.call_bytes("write_file", b"/data/data.txt\x00overwrite")
    assert not (tree / "shared" / "new.txt").exists()
    assert (tree / "shared" / "data.txt").read_text() == "hello from the host"


def test_read_write_preopen(guest: Guest, cache_dir: Path, tree: Path) -> None:
    with _load(
        guest, cache_dir, preopens=[Preopen(str(tree / "shared"), "/data", read_only=False)]
    ) as p:
        assert p.call_bytes("write_file", b"/data/new.txt\x00written by wasm") == b""
        assert p.call_bytes("read_file", b"/data/new.txt") == b"written by wasm"
    assert (tree / "shared" / "new.txt").read_text() == "written by wasm"


@pytest.mark.parametrize(
    "path",
    [
        "/data/../outside/secret.txt",
        "/data/sub/../../outside/secret.txt",
        "/data/link/secret.txt",
        "/data/abs",
        "../outside/secret.txt",
        "/outside/secret.txt",
        "/etc/passwd",
    ],
)
@pytest.mark.parametrize("read_only", [True, False])
def test_preopen_cannot_be_escaped(
    guest: Guest, cache_dir: Path, tree: Path, path: str, read_only: bool
) -> None:
    with _load(
        guest, cache_dir, preopens=[Preopen(tree / "shared", "/data", read_only=read_only)]
    ) as p:
        with pytest.raises(wasmplug.PluginError):
            p.call_bytes("read_file", path.encode())
        with pytest.raises(wasmplug.PluginError):
            p.call_bytes("write_file", path.encode() + b"\x00pwned")
    assert (tree / "outside" / "secret.txt").read_text() == "top secret"


def test_panic_text_extraction() -> None:
    stderr = "log line\npanic: first\n\ngoroutine 1 [running]:\n...\nmore logs\npanic: second [recovered]\n\tpanic: again\n\ngoroutine 7"
    assert panic_text(stderr) == "panic: second [recovered]\n\tpanic: again"
    assert (
        panic_text("fatal error: out of memory\n\nruntime stack:") == "fatal error: out of memory"
    )
    assert panic_text("no panic here") == ""
