"""Byte-exact conformance through a real wasm plugin (issue 4, "Proof").

Random ``conformance.AllTypes`` messages (every proto3 field kind, an imported package, the well-known
types) go through the Go plugin of ``plugin/`` (built by its ``wasm_plugin`` target, generated guest SDK,
stdlib-only codec) via the generated Python host SDK and the wasmplug runtime. For each message:

(a) ``RoundTrip``'s reply, decoded by Python, equals the request;
(b) Go's raw reply bytes are identical to ``SerializeToString(deterministic=True)`` of the request as
    Python parses it (upb's map order, unknown fields kept byte for byte at the end);
(c) ``Transform``'s reply equals :func:`transform`, the Python twin of the Go code in ``plugin/main.go``
    (and is byte-identical to it as well).

The request bytes are not always Python's canonical encoding: they may carry unknown fields (every wire
type, groups included, in any message at any depth), repeated fields in the other packing than the one
Go writes, and a second encoded message concatenated to the first (which a parser must merge: last
scalar wins, repeated fields concatenate, sub-messages and map entries merge, a oneof switches).
Fixed cases add every field at its edge values, map entries in non-canonical forms, the WKT helpers,
and requests that must fail. 2,000 random messages (derandomized: the same ones each run), ~15 s.

Run it with ``./pants test tests/conformance::`` (Pants generates the code and builds the plugin).
"""

from __future__ import annotations

import functools
import importlib.resources
import struct
from typing import Any, Callable, Iterator, List, Tuple, cast

import pytest
import wasmplug
from conformance import conformance_pb2 as pb
from conformance.conformance_wasmplug import Conformance, ConformancePlugin
from conformance.shared import shared_pb2
from google.protobuf import any_pb2, descriptor, struct_pb2, timestamp_pb2, wrappers_pb2
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = 2000
ROUND_TRIP = "conformance_round_trip"
TRANSFORM = "conformance_transform"

FD = descriptor.FieldDescriptor
ALL_TYPES = cast(descriptor.Descriptor, pb.AllTypes.DESCRIPTOR)


# -- the plugin -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Iterator[Conformance]:
    wasm = importlib.resources.files("conformance.plugin") / "plugin.wasm"
    with ConformancePlugin(config=wasmplug.PluginConfig(max_instances=1)).load(wasm) as c:
        yield c


# -- random messages --------------------------------------------------------------------------------

INT_RANGES = {
    FD.TYPE_INT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FD.TYPE_INT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FD.TYPE_UINT32: (0, 2**32 - 1),
    FD.TYPE_FIXED32: (0, 2**32 - 1),
    FD.TYPE_UINT64: (0, 2**64 - 1),
    FD.TYPE_FIXED64: (0, 2**64 - 1),
}
MAX_DEPTH = 3
ANY_PAYLOADS = st.sampled_from([shared_pb2.Tag, timestamp_pb2.Timestamp, pb.AllTypes.Nested])


@functools.lru_cache(
    maxsize=None
)  # strategies are built once: building and validating them is not free
def _scalar(f: descriptor.FieldDescriptor) -> st.SearchStrategy[Any]:
    if f.type in INT_RANGES:
        lo, hi = INT_RANGES[f.type]
        edges = [0, 1, lo, hi, 127, 128, 2**31 - 1]
        if lo < 0:
            edges += [-1, -2, -128]
        return st.one_of(st.sampled_from([e for e in edges if lo <= e <= hi]), st.integers(lo, hi))
    if f.type == FD.TYPE_DOUBLE:
        return st.floats()  # NaN, infinities, -0.0, subnormals
    if f.type == FD.TYPE_FLOAT:
        return st.floats(width=32)
    if f.type == FD.TYPE_BOOL:
        return st.booleans()
    if f.type == FD.TYPE_STRING:
        return st.text(st.characters(codec="utf-8"), max_size=10)
    if f.type == FD.TYPE_BYTES:
        return st.binary(max_size=10)
    if f.type == FD.TYPE_ENUM:
        # proto3 enums are open: unknown numbers (negative too) must survive Go's decode/encode.
        assert f.enum_type is not None
        known = [v.number for v in f.enum_type.values]
        return st.one_of(st.sampled_from(known), st.integers(-(2**31), 2**31 - 1))
    raise AssertionError(f"unexpected field type {f.type} of {f.full_name}")


@functools.lru_cache(maxsize=None)
def _lists(f: descriptor.FieldDescriptor, max_size: int) -> st.SearchStrategy[List[Any]]:
    return st.lists(_scalar(f), min_size=1, max_size=max_size)


def _is_repeated(f: descriptor.FieldDescriptor) -> bool:
    rep = getattr(f, "is_repeated", None)
    return bool(rep) if rep is not None else getattr(f, "label") == FD.LABEL_REPEATED


def _is_map(f: descriptor.FieldDescriptor) -> bool:
    return f.message_type is not None and bool(f.message_type.GetOptions().map_entry)


def _map_fields(
    f: descriptor.FieldDescriptor,
) -> Tuple[descriptor.FieldDescriptor, descriptor.FieldDescriptor]:
    """The key and value fields of a map field's entry message."""
    entry = f.message_type
    assert entry is not None
    return entry.fields_by_name["key"], entry.fields_by_name["value"]


FIELDS_PER_MESSAGE = (
    (4, 24),
    (0, 6),
    (0, 3),
    (0, 2),
)  # (min, max) fields set per message, by depth


@functools.lru_cache(maxsize=None)
def _field_subsets(
    msg: descriptor.Descriptor, depth: int
) -> st.SearchStrategy[List[descriptor.FieldDescriptor]]:
    """Which fields of msg to set: none of message type at MAX_DEPTH."""
    fields = [
        f
        for f in msg.fields
        if depth < MAX_DEPTH
        or f.message_type is None
        or _is_map(f)
        and _map_fields(f)[1].message_type is None
    ]
    if not fields:
        return st.just([])
    lo, hi = FIELDS_PER_MESSAGE[depth]
    return st.lists(
        st.sampled_from(fields), min_size=min(lo, len(fields)), max_size=hi, unique=True
    )


def _fill(draw: st.DrawFn, m: Message, depth: int) -> None:
    """Set a random subset of m's fields (fewer, and no sub-messages, as depth grows).

    The subset is drawn as a short list of fields rather than a coin per field: drawing is what costs
    time, and messages with a dozen fields set (of ~140) cover the kinds and their ordering."""
    if m.DESCRIPTOR.full_name == "google.protobuf.Any" and draw(st.booleans()):
        # A real packed message half of the time (else random type_url and value bytes).
        inner = draw(ANY_PAYLOADS)()
        if depth < MAX_DEPTH:
            _fill(draw, inner, depth + 1)
        assert isinstance(m, any_pb2.Any)
        m.Pack(inner)
        return
    if draw(st.integers(0, 7)) == 0:
        # Unknown fields in any message, at any depth: in sub-messages, map values, list elements,
        # oneof cases, well-known types (they all use field numbers below 150).
        m.MergeFromString(draw(UNKNOWN_FIELDS))
    for f in draw(_field_subsets(m.DESCRIPTOR, depth)):
        if _is_map(f):
            kf, vf = _map_fields(f)
            target = getattr(m, f.name)
            for k in draw(_lists(kf, 4)):
                if vf.message_type is not None:
                    sub = target[k]
                    sub.SetInParent()
                    _fill(draw, sub, depth + 1)
                else:
                    target[k] = draw(_scalar(vf))
        elif _is_repeated(f):
            target = getattr(m, f.name)
            if f.message_type is not None:
                for _ in range(draw(st.integers(1, 3))):
                    _fill(draw, target.add(), depth + 1)
            else:
                target.extend(draw(_lists(f, 6)))
        elif f.message_type is not None:
            sub = getattr(m, f.name)
            sub.SetInParent()  # present even when empty (an empty sub-message is still written)
            _fill(draw, sub, depth + 1)
        else:
            setattr(m, f.name, draw(_scalar(f)))


@st.composite
def all_types(draw: st.DrawFn, depth: int = 0) -> pb.AllTypes:
    m = pb.AllTypes()
    _fill(draw, m, depth)
    return m


# -- wire-format helpers (requests that are not Python's canonical encoding) ------------------------


def _varint(v: int) -> bytes:
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def _read_varint(b: bytes, i: int) -> Tuple[int, int]:
    shift = v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def _tag(num: int, wt: int) -> bytes:
    return _varint(num << 3 | wt)


# Field numbers no message of conformance.proto uses (AllTypes uses 1..142 and 536870911, the largest
# legal number; the others, the well-known types included, stay below 150).
UNUSED_NUMBERS = st.one_of(st.integers(150, 5000), st.integers(5001, 536870910))


def _unknown_field_strategy() -> st.SearchStrategy[bytes]:
    num = UNUSED_NUMBERS
    scalar = st.one_of(
        st.builds(lambda n, v: _tag(n, 0) + _varint(v), num, st.integers(0, 2**64 - 1)),
        st.builds(lambda n, v: _tag(n, 1) + v, num, st.binary(min_size=8, max_size=8)),
        st.builds(lambda n, v: _tag(n, 2) + _varint(len(v)) + v, num, st.binary(max_size=6)),
        st.builds(lambda n, v: _tag(n, 5) + v, num, st.binary(min_size=4, max_size=4)),
    )
    # A group (wire types 3/4) holding more unknown fields, one level deep.
    group = st.builds(
        lambda n, body: _tag(n, 3) + body + _tag(n, 4),
        num,
        st.lists(scalar, max_size=2).map(b"".join),
    )
    return st.one_of(scalar, scalar, scalar, group)


UNKNOWN_FIELDS = st.lists(_unknown_field_strategy(), min_size=1, max_size=4).map(b"".join)


PACKABLE = {
    f.number: f
    for f in ALL_TYPES.fields
    if _is_repeated(f) and f.message_type is None and f.type not in (FD.TYPE_STRING, FD.TYPE_BYTES)
}
_FIXED = {
    FD.TYPE_DOUBLE: 8,
    FD.TYPE_FIXED64: 8,
    FD.TYPE_SFIXED64: 8,
    FD.TYPE_FLOAT: 4,
    FD.TYPE_FIXED32: 4,
    FD.TYPE_SFIXED32: 4,
}


def _skip(b: bytes, i: int, num: int, wt: int) -> int:
    """The offset after the value of a field (number num, wire type wt) that starts at i."""
    if wt == 0:
        return _read_varint(b, i)[1]
    if wt == 1:
        return i + 8
    if wt == 5:
        return i + 4
    if wt == 2:
        n, j = _read_varint(b, i)
        return j + n
    assert wt == 3, f"unexpected wire type {wt}"
    while True:  # a group: fields up to the matching end-group tag
        key, i = _read_varint(b, i)
        if key == num << 3 | 4:
            return i
        i = _skip(b, i, key >> 3, key & 7)


def _fields(b: bytes) -> List[Tuple[int, int, bytes, bytes]]:
    """Top-level fields of an encoded message: (number, wire type, raw record, payload if length-delimited)."""
    out, i = [], 0
    while i < len(b):
        start = i
        key, i = _read_varint(b, i)
        num, wt = key >> 3, key & 7
        i = _skip(b, i, num, wt)
        payload = b[_read_varint(b, _read_varint(b, start)[1])[1] : i] if wt == 2 else b""
        out.append((num, wt, b[start:i], payload))
    return out


def _elements(f: descriptor.FieldDescriptor, packed: bytes) -> List[bytes]:
    size, out, i = _FIXED.get(f.type, 0), [], 0
    while i < len(packed):
        if size:
            out.append(packed[i : i + size])
            i += size
        else:
            _, j = _read_varint(packed, i)
            out.append(packed[i:j])
            i = j
    return out


def flip_packing(b: bytes, pick: Callable[[int], bool]) -> bytes:
    """Re-encode the chosen packable repeated fields in the other form (packed <-> one record each).

    Parsers must accept both forms; the re-encoding (wire types 0/1/5 vs 2) is what Go must then write
    back in the canonical form."""
    recs = _fields(b)
    out = bytearray()
    i = 0
    while i < len(recs):
        num, wt, raw, payload = recs[i]
        f = PACKABLE.get(num)
        if f is None or not pick(num):
            out += raw
            i += 1
            continue
        elem_wt = {8: 1, 4: 5}.get(_FIXED.get(f.type, 0), 0)
        if wt == 2:  # packed -> unpacked
            for e in _elements(f, payload):
                out += _tag(num, elem_wt) + e
            i += 1
        else:  # a run of unpacked records -> one packed record
            body = bytearray()
            while i < len(recs) and recs[i][0] == num and recs[i][1] != 2:
                body += recs[i][2][len(_tag(num, elem_wt)) :]
                i += 1
            out += _tag(num, 2) + _varint(len(body)) + body
    return bytes(out)


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    """An encoded AllTypes request: canonical, or with unknown fields / flipped packing / a merge."""
    msg = draw(all_types())
    data: bytes = msg.SerializeToString(deterministic=True)
    if draw(st.integers(0, 2)) == 0:
        flips = draw(st.sets(st.sampled_from(sorted(PACKABLE))))
        data = flip_packing(data, flips.__contains__)
    if draw(st.integers(0, 3)) == 0:  # a second message: the parser merges it into the first
        data += draw(all_types(depth=1)).SerializeToString(deterministic=True)
    if draw(st.booleans()):
        data += draw(UNKNOWN_FIELDS)
    if draw(st.integers(0, 4)) == 0:  # unknown fields inside a sub-message (child, field 90)
        inner = draw(all_types(depth=2)).SerializeToString(deterministic=True) + draw(
            UNKNOWN_FIELDS
        )
        data += _tag(90, 2) + _varint(len(inner)) + inner
    return data


# -- the transformation (the Python twin of plugin/main.go's Transform) ------------------------------


def _wrap(v: int, bits: int) -> int:
    """Two's-complement wrap-around of a signed integer, like Go's int32/int64 arithmetic."""
    half = 1 << (bits - 1)
    return (v + half) % (1 << bits) - half


def transform(request: pb.AllTypes) -> pb.AllTypes:
    m = pb.AllTypes()
    m.CopyFrom(request)
    m.f_int64 = _wrap(-m.f_int64, 64)
    m.f_string += "!"
    m.r_int32.extend(list(m.r_int32))
    reversed_enum = list(m.r_enum)[::-1]
    del m.r_enum[:]
    m.r_enum.extend(reversed_enum)
    m.m_string["transformed"] = "yes"
    case = m.WhichOneof("choice")
    if case == "c_string":
        m.c_bytes = m.c_string.encode("utf-8")
    elif case == "c_bytes":
        m.c_int32 = len(m.c_bytes)
    elif case == "c_int32":
        m.c_string = str(m.c_int32)
    elif case is None:
        m.c_enum = pb.GREEN
    else:
        m.ClearField(case)
    if m.HasField("o_int32"):
        m.ClearField("o_int32")
    else:
        m.o_int32 = 42
    m.f_nested.a = _wrap(m.f_nested.a + 1, 32)
    m.tags.add(name="go", level=shared_pb2.HIGH)
    if m.HasField("w_timestamp"):
        m.w_timestamp.seconds = _wrap(m.w_timestamp.seconds + 1, 64)
    if m.HasField("w_int32"):
        m.w_int32.value = _wrap(m.w_int32.value + 1, 32)
    m.w_values["go"].CopyFrom(struct_pb2.Value(number_value=1.5))
    return m


# -- the checks -------------------------------------------------------------------------------------


def _check(client: Conformance, data: bytes) -> None:
    plugin = client.plugin
    request = pb.AllTypes.FromString(data)
    canonical = request.SerializeToString(deterministic=True)

    # (b) Go's encoding of what it decoded is Python's deterministic encoding, byte for byte: once from
    # the request as sent (non-canonical forms, merges, unknown fields) and once from the canonical bytes.
    for sent in (data, canonical):
        got = plugin.call_bytes(ROUND_TRIP, sent)
        assert got == canonical, _diff("RoundTrip", sent, canonical, got)

    # (a) the typed round trip through the generated SDK gives back an equal message.
    reply = client.round_trip(request)
    assert reply == request
    assert reply.SerializeToString(deterministic=True) == canonical

    # (c) Transform equals the Python implementation (as a message and byte for byte).
    want = transform(request)
    got_t = plugin.call_bytes(TRANSFORM, data)
    want_bytes = want.SerializeToString(deterministic=True)
    assert got_t == want_bytes, _diff("Transform", data, want_bytes, got_t)
    assert client.transform(request) == want


def _diff(what: str, sent: bytes, want: bytes, got: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(want, got)) if x != y), min(len(want), len(got)))
    return (
        f"{what}: Go's bytes differ from Python's at offset {at} (len python {len(want)}, go {len(got)})\n"
        f"request {sent.hex()}\npython  {want.hex()}\ngo      {got.hex()}"
    )


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=requests())
def test_random_messages_round_trip_byte_exact_and_transform(
    client: Conformance, data: bytes
) -> None:
    _check(client, data)


# -- fixed cases: each field kind on its own, at its edges ------------------------------------------


def _edge_cases() -> Iterator[Tuple[str, pb.AllTypes]]:
    yield "empty", pb.AllTypes()
    for f in ALL_TYPES.fields:
        if _is_map(f) or f.message_type is not None:
            m = pb.AllTypes()
            if _is_map(f):
                k, v = _map_fields(f)
                entry = getattr(m, f.name)
                key = {FD.TYPE_STRING: "", FD.TYPE_BOOL: False}.get(k.type, 0)
                if v.message_type is not None:
                    entry[key].SetInParent()  # a default key with an empty message value
                else:
                    entry[key] = {FD.TYPE_STRING: "", FD.TYPE_BYTES: b"", FD.TYPE_BOOL: False}.get(
                        v.type, 0
                    )
            elif _is_repeated(f):
                getattr(m, f.name).add()
            else:
                getattr(m, f.name).SetInParent()
            yield f.name, m
            continue
        if f.type in INT_RANGES:
            lo, hi = INT_RANGES[f.type]
            values: List[Any] = [lo, hi, 1]
        elif f.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
            values = [
                -0.0,
                float("inf"),
                float("-inf"),
                float("nan"),
                5e-324 if f.type == FD.TYPE_DOUBLE else 1e-45,
            ]
        elif f.type == FD.TYPE_ENUM:
            assert f.enum_type is not None
            values = [v.number for v in f.enum_type.values] + [-(2**31), 2**31 - 1, 99]
        elif f.type == FD.TYPE_STRING:
            values = ["", "\x00", "é€\U0001f600"]
        elif f.type == FD.TYPE_BYTES:
            values = [b"", b"\x00\xff"]
        else:
            values = [True, False]
        m = pb.AllTypes()
        if _is_repeated(f):
            getattr(m, f.name).extend(values)
        else:
            for v in values:  # the last one stays; zero values of implicit presence fields vanish
                setattr(m, f.name, v)
                yield f"{f.name}={v!r}", _copy(m)
            continue
        yield f.name, m


def _copy(m: pb.AllTypes) -> pb.AllTypes:
    c = pb.AllTypes()
    c.CopyFrom(m)
    return c


@pytest.mark.parametrize("case", list(_edge_cases()), ids=lambda c: c[0])
def test_edge_values(client: Conformance, case: Tuple[str, pb.AllTypes]) -> None:
    _check(client, case[1].SerializeToString(deterministic=True))


def test_any_struct_and_time_helpers_survive(client: Conformance) -> None:
    m = pb.AllTypes()
    m.w_any.Pack(shared_pb2.Tag(name="x", level=shared_pb2.NEGATIVE, weights=[-1, 2]))
    m.w_struct.update({"a": 1.5, "b": [True, None, "s", {"c": []}], "": {}})
    m.w_value.list_value.extend([1, "two", None])
    m.w_timestamp.FromJsonString("1970-01-01T00:00:00.000000001Z")
    m.w_duration.FromNanoseconds(-1)
    m.w_field_mask.paths.extend(["a.b", "c"])
    m.w_empty.SetInParent()
    setattr(m, "o_null", struct_pb2.NULL_VALUE)  # explicit presence: written although zero
    m.c_timestamp.GetCurrentTime()
    any_list = [any_pb2.Any(), any_pb2.Any(type_url="x", value=b"\x00")]
    m.w_anys.extend(any_list)
    _check(client, m.SerializeToString(deterministic=True))
    reply = client.round_trip(m)
    unpacked = shared_pb2.Tag()
    assert reply.w_any.Unpack(unpacked) and unpacked.weights == [-1, 2]
    assert reply.HasField("o_null") and reply.HasField("w_empty")


def test_invalid_request_is_an_error_not_an_empty_reply(client: Conformance) -> None:
    # f_string (field 9) holding invalid UTF-8: proto3 parsers reject it; Go must report, not drop, it.
    bad = _tag(9, 2) + _varint(2) + b"\xff\xfe"
    with pytest.raises(wasmplug.PluginError):
        client.plugin.call_bytes(ROUND_TRIP, bad)
    # A truncated length-delimited field.
    with pytest.raises(wasmplug.PluginError):
        client.plugin.call_bytes(ROUND_TRIP, _tag(10, 2) + _varint(5) + b"ab")
    # The instance is still usable afterwards.
    assert client.round_trip(pb.AllTypes(f_int32=-1)).f_int32 == -1


# -- large requests: handed over to the guest ------------------------------------------------------
# From 32 KiB on the host writes a request into a buffer the guest asked for (`wasmplug_request`) and
# then keeps: the request's bytes fields alias that buffer instead of being copied out of it.

HANDOVER_MIN = 32 << 10


def _filler(seed: int, n: int) -> bytes:
    return (bytes(range(256)) * (n // 256 + 2))[seed % 256 : seed % 256 + n]


def _large(seed: int, n: int) -> pb.AllTypes:
    """Bytes fields of every kind (singular, repeated, map value, oneof, optional, nested, wrapper)."""
    return pb.AllTypes(
        f_bytes=_filler(seed, n),
        r_bytes=[_filler(seed + 1, n // 2), b"", _filler(seed + 2, 5)],
        m_int64={seed: _filler(seed + 3, n // 3), -1: b""},
        c_bytes=_filler(seed + 4, n // 4),
        o_bytes=_filler(seed + 5, 7),
        f_string="s" * (n // 5),
        f_nested=pb.AllTypes.Nested(deep=pb.AllTypes.Nested.Deep(data=_filler(seed + 6, n // 6))),
        w_bytes=wrappers_pb2.BytesValue(value=_filler(seed + 7, n // 7)),
    )


@pytest.fixture
def handovers(monkeypatch: pytest.MonkeyPatch) -> List[int]:
    """The sizes of the requests the host handed over to the guest."""
    from wasmplug import _instance

    sizes: List[int] = []
    handover = _instance.Instance._handover

    def counting(self: _instance.Instance, n: int) -> int:
        sizes.append(n)
        return handover(self, n)

    monkeypatch.setattr(_instance.Instance, "_handover", counting)
    return sizes


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=requests(), seed=st.integers(0, 255), n=st.integers(HANDOVER_MIN, 300_000))
def test_large_requests_round_trip_byte_exact_and_transform(
    client: Conformance, data: bytes, seed: int, n: int
) -> None:
    # the large fields merge into the random message (and replace its oneof case)
    _check(client, data + _large(seed, n).SerializeToString())


def test_large_requests_are_handed_over(client: Conformance, handovers: List[int]) -> None:
    request = _large(3, 100_000)
    assert client.round_trip(request) == request
    assert handovers == [request.ByteSize()]
    assert (
        client.round_trip(pb.AllTypes(f_bytes=b"x" * 1000)).f_bytes == b"x" * 1000
    )  # small: no handover
    assert len(handovers) == 1


def test_a_kept_large_request_outlives_later_ones(
    client: Conformance, handovers: List[int]
) -> None:
    messages = [_large(i, 60_000 + 1000 * i) for i in range(5)]
    client.keep(messages[0])
    for previous, current in zip(messages, messages[1:]):
        assert client.keep(current) == previous
    assert client.keep(pb.AllTypes()) == messages[-1]
    assert len(handovers) == 5


def test_unknown_fields_come_back_byte_for_byte(client: Conformance) -> None:
    base = pb.AllTypes(f_int32=7, m_string={"b": "1", "a": "2"}).SerializeToString(
        deterministic=True
    )
    unknown = (
        _tag(5000, 0)
        + _varint(2**64 - 1)
        + _tag(4000, 1)
        + struct.pack("<d", 1.0)
        + _tag(300, 3)
        + _tag(301, 5)
        + b"\x01\x02\x03\x04"
        + _tag(300, 4)
        + _tag(536870910, 2)
        + _varint(3)
        + b"abc"
    )
    got = client.plugin.call_bytes(ROUND_TRIP, base + unknown)
    assert got == base + unknown
    # Unknown fields sent before known ones come back after them, in their order (as upb writes them).
    got = client.plugin.call_bytes(ROUND_TRIP, unknown + base)
    assert got == base + unknown


def _entry(num: int, *fields: bytes) -> bytes:
    body = b"".join(fields)
    return _tag(num, 2) + _varint(len(body)) + body


def _len_field(num: int, payload: bytes) -> bytes:
    return _tag(num, 2) + _varint(len(payload)) + payload


def test_map_entries_in_any_form(client: Conformance) -> None:
    """Map entries as other encoders may write them: value before key, key or value missing (the
    zero value), a repeated key (the last entry wins, even for message values: it replaces, never
    merges), an unknown enum value."""
    data = b"".join(
        [
            _entry(61, _len_field(2, b"x"), _tag(1, 0) + _varint(5)),  # m_int32: value before key
            _entry(61, _len_field(2, b"y")),  # key missing -> 0
            _entry(61, _tag(1, 0) + _varint(7)),  # value missing -> ""
            _entry(61, _tag(1, 0) + _varint(5), _len_field(2, b"z")),  # key 5 again: "z" wins
            _entry(
                61, _tag(1, 0) + _varint(2**64 - 1), _len_field(2, b"neg")
            ),  # -1 as a 10-byte varint
            _entry(
                74, _len_field(1, b"k"), _len_field(2, pb.AllTypes.Nested(a=1).SerializeToString())
            ),
            _entry(
                74,
                _len_field(1, b"k"),
                _len_field(2, pb.AllTypes.Nested(b="x").SerializeToString()),
            ),
            _entry(71, _tag(2, 0) + _varint(1)),  # m_bool: false -> true
            _entry(
                73, _len_field(1, b"e"), _tag(2, 0) + _varint(12345)
            ),  # m_enum: unknown enum value
        ]
    )
    request = pb.AllTypes.FromString(data)
    assert dict(request.m_int32) == {5: "z", 0: "y", 7: "", -1: "neg"}
    assert request.m_nested["k"] == pb.AllTypes.Nested(b="x")
    _check(client, data)


@pytest.mark.parametrize(
    "entry",
    [
        _entry(61, _tag(1, 0) + _varint(3), _len_field(2, b"v"), _tag(3, 0) + _varint(1)),
        _entry(61, _tag(1, 5) + b"abcd", _len_field(2, b"v")),
        _entry(61, _tag(3, 0) + _varint(1), _len_field(2, b"v"), _tag(1, 0) + _varint(3)),
        _entry(61, _tag(1, 0) + _varint(0), _len_field(2, b""), _tag(3, 0) + _varint(1)),
        _entry(61, _tag(3, 0) + _varint(1)),
        _entry(61, _tag(1, 0) + _varint(3), _tag(1, 0) + _varint(4), _tag(9, 0) + _varint(1)),
        _entry(62, _tag(1, 0) + _varint(3), _tag(2, 5) + b"abcd"),
        _entry(
            74, _len_field(1, b"k"), _len_field(2, _tag(1, 0) + _varint(1)), _tag(3, 0) + _varint(1)
        ),
        _entry(74, _len_field(1, b"k"), _len_field(2, b""))
        + _entry(74, _len_field(1, b"k"), _tag(7, 1) + b"8bytes!!"),
        _entry(74, _len_field(1, b"k"), _len_field(2, _tag(9, 0) + _varint(1))),
    ],
    ids=[
        "unknown-field-in-entry",
        "key-of-wrong-wire-type",
        "unknown-field-first",
        "zero-key-and-value",
        "only-an-unknown-field",
        "repeated-key",
        "value-of-wrong-wire-type",
        "message-value",
        "entry-after-a-clean-one",
        "unknown-field-inside-the-message-value",
    ],
)
def test_map_entry_with_unknown_field(client: Conformance, entry: bytes) -> None:
    """As upb does: an entry holding an unknown field (or a key/value of the wrong wire type) stays out
    of the map and is kept, re-encoded, as an unknown field of the parent; a message value's own
    unknown fields stay inside the value."""
    assert client.plugin.call_bytes(ROUND_TRIP, entry) == pb.AllTypes.FromString(
        entry
    ).SerializeToString(deterministic=True)
