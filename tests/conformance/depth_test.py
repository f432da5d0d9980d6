"""The nesting limit (issue 11, defect 4) through the real conformance plugin.

A message may hold messages (map entries and groups count as levels) down to 100 levels below it,
upb's limit, which Python's protobuf applies when it parses: the Go guest's decoder and encoder
(``wire.MaxDepth``) apply the same one. One level more is an error reply (``PluginError``), not a
trap: the instance survives and the same request gets the same answer every time. Before the limit,
~3,850 levels exhausted the wasm call stack and the answer depended on the instance's history.
"""

from __future__ import annotations

import importlib.resources
from typing import Callable, Iterator

import pytest
import wasmplug
from conformance import conformance_pb2 as pb
from conformance.conformance_wasmplug import Conformance, ConformancePlugin

MAX_DEPTH = 100  # wire.MaxDepth, upb's default
TOO_DEEP = "message nesting too deep"


@pytest.fixture(scope="module")
def client() -> Iterator[Conformance]:
    wasm = importlib.resources.files("conformance.plugin") / "plugin.wasm"
    with ConformancePlugin(config=wasmplug.PluginConfig(max_instances=1)).load(wasm) as c:
        yield c


def nested(levels: int) -> pb.AllTypes:
    """AllTypes{child: {child: ...}} with ``levels`` messages below the top one."""
    top = pb.AllTypes(f_int32=levels)
    m = top
    for _ in range(levels):
        m = m.child
        m.f_int32 = 1
    return top


def levels_of(m: pb.AllTypes) -> int:
    n = 0
    while m.HasField("child"):
        m, n = m.child, n + 1
    return n


def _same_instance(client: Conformance, calls: Callable[[], None]) -> None:
    """Run ``calls`` and check that the instance kept what Keep gave it before (no trap replaced it)."""
    marker = pb.AllTypes(f_string="kept before the calls")
    client.keep(marker)
    calls()
    assert client.keep(pb.AllTypes()) == marker


def test_python_parses_what_it_serializes_up_to_the_limit() -> None:
    # The reference: upb's own limit on this message, so that the test pins the same number.
    assert levels_of(pb.AllTypes.FromString(nested(MAX_DEPTH).SerializeToString())) == MAX_DEPTH
    with pytest.raises(Exception, match="MaxDepth"):
        pb.AllTypes.FromString(nested(MAX_DEPTH + 1).SerializeToString())


def test_a_request_at_the_limit_decodes(client: Conformance) -> None:
    m = nested(MAX_DEPTH)
    for _ in range(3):
        assert client.round_trip(m) == m


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 3850, 20000])
def test_a_deeper_request_is_an_error_every_time(client: Conformance, levels: int) -> None:
    data = nested(levels).SerializeToString()

    def calls() -> None:
        for _ in range(5):
            with pytest.raises(wasmplug.PluginError, match="cannot decode request: .*" + TOO_DEEP):
                client.plugin.call_bytes("conformance_round_trip", data)
            assert client.round_trip(nested(MAX_DEPTH)) == nested(MAX_DEPTH)

    _same_instance(client, calls)


def test_a_reply_at_the_limit_encodes(client: Conformance) -> None:
    for _ in range(3):
        assert levels_of(client.nest(pb.AllTypes(f_int32=MAX_DEPTH))) == MAX_DEPTH


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 3850, 20000])
def test_a_deeper_reply_is_an_error_every_time(client: Conformance, levels: int) -> None:
    def calls() -> None:
        for _ in range(5):
            with pytest.raises(wasmplug.PluginError, match="cannot encode reply: .*" + TOO_DEEP):
                client.nest(pb.AllTypes(f_int32=levels))

    _same_instance(client, calls)


def test_map_entries_count_as_levels(client: Conformance) -> None:
    # m_nested's value is two levels below its message (the entry is one): 98 more below it fill
    # the limit, 99 exceed it.
    for extra, ok in ((MAX_DEPTH - 2, True), (MAX_DEPTH - 1, False)):
        m = pb.AllTypes()
        v = m.m_nested["k"]
        for _ in range(extra):
            v = v.inner
            v.a = 1
        if ok:
            assert client.round_trip(m) == m
        else:
            with pytest.raises(wasmplug.PluginError, match=TOO_DEEP):
                client.plugin.call_bytes("conformance_round_trip", m.SerializeToString())
