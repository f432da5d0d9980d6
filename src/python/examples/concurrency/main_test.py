from __future__ import annotations

import pytest
from concurrency.concurrency_pb2 import HashRequest
from examples.concurrency.main import expected, hash_all, main


@pytest.mark.parametrize(("threads", "instances"), [(32, 4), (8, 1), (1, 2)])
def test_every_reply_matches_its_request(threads: int, instances: int) -> None:
    # Requests of different sizes and costs, so calls finish out of order.
    requests = [
        HashRequest(id=i, data=bytes([i % 256]) * (i * 37 % 5000), rounds=i % 300)
        for i in range(600)
    ]
    replies, used = hash_all(requests, threads=threads, instances=instances)
    assert [r.id for r in replies] == list(range(600))
    assert [r.digest for r in replies] == [expected(q) for q in requests]
    assert 1 <= used <= instances


def test_main(capsys: pytest.CaptureFixture[str]) -> None:
    assert main() == 0
    assert "replies that do not match their request: 0" in capsys.readouterr().out
