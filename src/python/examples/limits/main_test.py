from __future__ import annotations

import time

import pytest
import wasmplug
from examples.limits.main import load, main
from google.protobuf.empty_pb2 import Empty
from limits.limits_pb2 import SumRequest


def test_endless_loop_is_stopped_by_the_deadline() -> None:
    with load() as worker:
        start = time.monotonic()
        with pytest.raises(wasmplug.DeadlineExceeded):
            worker.spin(Empty(), timeout=0.2)
        assert time.monotonic() - start < 5  # the per-call deadline, not the config's 5 s
        assert worker.sum(SumRequest(n=10)).total == 55


def test_endless_allocation_is_stopped_by_the_memory_limit() -> None:
    with load() as worker:
        with pytest.raises(wasmplug.MemoryLimitError):
            worker.hoard(Empty())
        assert worker.sum(SumRequest(n=10)).total == 55
        # Each time on a fresh instance: the hoard of the stopped one is gone.
        with pytest.raises(wasmplug.MemoryLimitError):
            worker.hoard(Empty())
        assert worker.sum(SumRequest(n=100)).total == 5050


def test_main(capsys: pytest.CaptureFixture[str]) -> None:
    assert main() == 0
    out = capsys.readouterr().out
    assert "spin stopped after" in out and "hoard stopped" in out
    assert out.endswith("sum(1..3000) = 4501500\n")
