"""The codec cases (issue 15): the same message echoed by a plugin with our generated Go codec and by one
with go-plugin's own generated guest codec (vtprotobuf), both called through our host, beside upb's parse +
serialize of the same bytes in Python.

Every side sees the same request bytes: ours and go-plugin's through ``Plugin.call_bytes`` (serialized once
up front, so no Python protobuf work is in their times), upb as ``T.FromString(b).SerializeToString()``.
The sides take turns in each repetition (``Settings.interleaved_us``), so load that drifts during the run
does not skew their ratios.
The plugins' replies are checked to be the request again (ours byte for byte).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Optional

from bench.codec import codec_pb2 as pb
from bench.timing import Settings
from google.protobuf.message import Message

OURS = "ours"
GOPLUGIN = "go_plugin_codec"
UPB = "upb"
TITLES = {
    OURS: "ours (Go guest codec)",
    GOPLUGIN: "go-plugin's guest codec",
    UPB: "upb parse+serialize (Python)",
}


def kind(i: int) -> pb.Kind:
    return pb.KIND_B if i % 2 else pb.KIND_A


def leaf(i: int) -> pb.Leaf:
    return pb.Leaf(id=1000 + i, name=f"leaf-{i}", score=i * 0.25, kind=kind(i))


def rich() -> pb.Rich:
    """A ~1.3 KB message with a value in every field but one case of the oneof."""
    m = pb.Rich(
        f_double=3.14159,
        f_float=2.5,
        f_int64=-1234567890123,
        f_uint64=1 << 60,
        f_int32=-42,
        f_fixed64=0xDEADBEEFCAFE,
        f_fixed32=0xCAFE,
        f_bool=True,
        f_string="hello, wasmplug — ünïcödé",
        f_bytes=bytes(range(48)),
        f_uint32=4000000000,
        f_sfixed32=-7,
        f_sfixed64=-(1 << 40),
        f_sint32=-300,
        f_sint64=-(1 << 50),
        f_kind=pb.KIND_B,
        f_leaf=leaf(0),
        r_double=[i / 3 for i in range(8)],
        r_int64=[-(i**5) for i in range(10)],
        r_uint32=[i * 1000 for i in range(10)],
        r_sint64=[(-1) ** i * i * 99991 for i in range(10)],
        r_fixed32=list(range(6)),
        r_bool=[True, False, True, True],
        r_string=[f"item {i}" for i in range(6)],
        r_bytes=[bytes([i]) * 8 for i in range(4)],
        r_kind=[pb.KIND_A, pb.KIND_B, pb.KIND_A],
        r_leaf=[leaf(i) for i in range(1, 5)],
        r_unpacked=[1, -2, 300, -40000],
        m_string={f"key{i}": f"value {i}" for i in range(5)},
        m_int32={i * 7: -i * 1000 for i in range(5)},
        m_uint64={1 << (i * 8): f"u{i}" for i in range(4)},
        m_sint32={-i: i * 1.5 for i in range(4)},
        m_bool={True: b"yes", False: b"no"},
        m_leaf={f"l{i}": leaf(10 + i) for i in range(3)},
        m_fixed64={i * 0x1_0000_0001: kind(i) for i in range(3)},
        m_counts={"alpha": 1, "beta": 2, "gamma": 3},
        c_leaf=leaf(99),
        o_int32=0,
        o_string="",
        o_bool=False,
    )
    m.w_time.FromSeconds(1_700_000_000)
    m.w_time.nanos = 123456789
    m.w_duration.FromMilliseconds(90_061_001)
    m.w_any.Pack(leaf(7))
    m.w_struct.update({"name": "wasmplug", "n": 3.0, "ok": True, "tags": ["a", "b"], "none": None})
    m.w_value.list_value.values.add().string_value = "v"
    m.w_int64.value = -5
    m.w_string.value = "wrapped"
    m.w_bool.value = True
    m.w_empty.SetInParent()
    for s in range(3):
        m.w_times.add(seconds=1_600_000_000 + s, nanos=s)
    return m


def message_map() -> pb.MessageMap:
    return pb.MessageMap(entries={f"entry-{i:03d}": leaf(i) for i in range(100)})


def text() -> pb.Text:
    return pb.Text(text="é" * (32 * 1024))  # 64 KiB of 2-byte UTF-8 characters


def tree() -> pb.Tree:
    """20 branches of 20 leaves, each branch with 2 children of 5 leaves (list in list in list)."""
    t = pb.Tree()
    for b in range(20):
        br = t.branches.add(name=f"branch {b}", leaves=[leaf(b * 20 + i) for i in range(20)])
        for c in range(2):
            br.children.add(name=f"child {c}", leaves=[leaf(i) for i in range(5)])
    return t


# name, title, export, message
CASES: list[tuple[str, str, str, Callable[[], Message]]] = [
    ("codec_rich", "rich message (every field kind)", "codec_echo_rich", rich),
    ("codec_map100", "map<string, Leaf> x100", "codec_echo_map", message_map),
    ("codec_text64k", "64 KiB string (2-byte UTF-8)", "codec_echo_text", text),
    ("codec_tree", "list of lists (20x20 + 40x5 leaves)", "codec_echo_tree", tree),
]


@dataclasses.dataclass
class CodecRecord:
    name: str
    title: str
    size: int  # request bytes
    us: dict[str, Optional[float]] = dataclasses.field(
        default_factory=lambda: {OURS: None, GOPLUGIN: None, UPB: None}
    )
    extra: dict[str, float] = dataclasses.field(default_factory=dict)  # --codec-ab builds


def _caller(plugin: Any, export: str, data: bytes, want: type[Message]) -> Callable[[], bytes]:
    call_bytes = plugin.call_bytes
    reply = call_bytes(export, data)
    assert want.FromString(reply) == want.FromString(data), f"{export}: reply differs"
    return lambda: call_bytes(export, data)


def run(
    settings: Settings,
    ours_wasm: Any,
    goplugin_wasm: Optional[Path],
    ab: dict[str, Path],
    log: Callable[[str], None],
) -> list[CodecRecord]:
    """Time every case on every side, interleaved case by case. ``ab``: more builds of our codec plugin
    (label -> .wasm, e.g. one from before a change), timed beside ours in the same run."""
    import wasmplug

    config = wasmplug.PluginConfig(max_instances=1)
    plugins = {OURS: wasmplug.Plugin.load(ours_wasm, config=config)}
    if goplugin_wasm is not None:
        plugins[GOPLUGIN] = wasmplug.Plugin.load(goplugin_wasm, config=config)
    for label, path in ab.items():
        plugins[label] = wasmplug.Plugin.load(path, config=config)
    records = []
    try:
        for name, title, export, make in CASES:
            log(f"codec: {title}")
            msg = make()
            data = msg.SerializeToString(deterministic=True)
            r = CodecRecord(name, title, len(data))
            assert plugins[OURS].call_bytes(export, data) == data, f"{export}: not byte-exact"
            parse = type(msg).FromString
            sides: dict[str, Callable[[], object]] = {
                side: _caller(p, export, data, type(msg)) for side, p in plugins.items()
            }
            sides[UPB] = lambda: parse(data).SerializeToString()
            us = settings.interleaved_us(sides)  # every side in each repetition: ratios in one run
            for side in (OURS, GOPLUGIN, UPB):
                r.us[side] = us.get(side)
            r.extra = {label: us[label] for label in ab}
            records.append(r)
    finally:
        for p in plugins.values():
            p.close()
    return records


def _fmt(v: Optional[float]) -> str:
    return "-" if v is None else (f"{v:,.0f} us" if v >= 100 else f"{v:.2f} us")


def _ratio(a: Optional[float], b: Optional[float]) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def table(records: list[CodecRecord]) -> str:
    labels = list(records[0].extra) if records else []
    heads = [
        "codec case (echo)",
        "bytes",
        TITLES[OURS],
        TITLES[GOPLUGIN],
        TITLES[UPB],
        "ours/go-plugin",
        "ours/upb",
        *(f"{label} (A/B)" for label in labels),
        *(f"ours/{label}" for label in labels),
    ]
    rows = [
        [
            r.title,
            f"{r.size:,}",
            _fmt(r.us[OURS]),
            _fmt(r.us[GOPLUGIN]),
            _fmt(r.us[UPB]),
            _ratio(r.us[OURS], r.us[GOPLUGIN]),
            _ratio(r.us[OURS], r.us[UPB]),
            *(_fmt(r.extra[label]) for label in labels),
            *(_ratio(r.us[OURS], r.extra[label]) for label in labels),
        ]
        for r in records
    ]
    widths = [max(len(row[i]) for row in [heads, *rows]) for i in range(len(heads))]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(heads, widths)),
        "  ".join("-" * w for w in widths),
    ]
    for row in rows:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))
            )
        )
    return "\n".join(lines)
