from __future__ import annotations

import asyncio

import pytest
import wasmplug
from asyncio_host.asyncio_host_pb2 import SearchReply
from examples.asyncio_host.main import main, run, search_all


def test_quick_answers_and_slow_misses_its_deadline() -> None:
    results, beats = asyncio.run(run("plug"))
    assert results["quick"] == SearchReply(hits=["plugin"])
    assert isinstance(results["slow"], wasmplug.DeadlineExceeded)
    assert beats >= 2  # the loop was not blocked while the plugins ran


def test_concurrent_fan_outs_each_with_deadlines() -> None:
    async def many() -> list[dict[str, SearchReply | BaseException]]:
        return await asyncio.gather(
            *(search_all(q, timeout=0.2) for q in ("wasm", "sand", "proto", "nothing"))
        )

    results = asyncio.run(many())
    assert [list(r["quick"].hits) for r in results if isinstance(r["quick"], SearchReply)] == [
        ["wasm", "wasmtime"],
        ["sandbox"],
        ["protobuf"],
        [],
    ]
    assert all(isinstance(r["slow"], wasmplug.DeadlineExceeded) for r in results)


def test_main(capsys: pytest.CaptureFixture[str]) -> None:
    assert main() == 0
    out = capsys.readouterr().out
    assert "quick: ['wasm', 'wasmtime']" in out
    assert "slow: DeadlineExceeded: " in out
