"""wasmplug benchmarks: our generated client vs naive wasmtime-py, the extism Python SDK and go-plugin's Go host.

    ./pants run tests/bench:bench                 full run (a few minutes), table on stdout, dist/bench.json
    ./pants run tests/bench:bench -- --quick      a handful of iterations (smoke test; numbers meaningless)

Options: --out PATH (default dist/bench.json, relative to the cwd: `pants run` runs in the buildroot),
--no-go-peers (skip building gohost/extismguest and go-plugin's codec guest with Go),
--codec-ab LABEL=PATH (repeatable: also time this build of tests/bench/codec/plugin, e.g. one from an older
commit, in the codec table, A/B in the same run), --codec-only (only the codec table: our Go codec vs
go-plugin's vs upb), --reliability-only (only the reliability table: deadline overshoot idle and with busy
Python threads, the pool's wait with more threads than instances).

Every peer runs in this one process (or its children), one after the other, so ratios are comparable even on a
noisy machine. Method: warm-up, 7 repetitions of a tight loop, median of the per-repetition mean (µs per call);
fresh-process cases spawn `python -m bench.child`. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Optional

from bench import codec_bench, goplugin, reliability_bench, timing
from bench.timing import Settings, once_us
from interop import builders

OURS = "wasmplug"
NAIVE = "naive_wasmtime_py"
EXTISM = "extism_py"
GOPLUGIN = "go_plugin_wazero"
PEERS = (NAIVE, EXTISM, GOPLUGIN)
PEER_TITLES = {
    OURS: "wasmplug (ours)",
    NAIVE: "naive wasmtime-py",
    EXTISM: "extism-py",
    GOPLUGIN: "go-plugin (Go/wazero)",
}

KIB, MIB = 1024, 1024 * 1024


@dataclasses.dataclass
class Record:
    name: str
    title: str
    unit: str  # "us", "KiB" or "x"
    target: str
    ours: Optional[float] = None
    peers: dict[str, Optional[float]] = dataclasses.field(
        default_factory=lambda: {p: None for p in PEERS}
    )
    met: Optional[bool] = None
    detail: dict[str, Any] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        if self.unit == "us":
            d["ours_us"] = self.ours
        return d


# name, title, unit, target (text)
CASES = [
    ("scalar_call", "scalar call", "us", "<= 1 us"),
    (
        "small_rpc",
        "small RPC (SayHello)",
        "us",
        "<= 5 us and >= 3x faster than extism-py echo 16 B",
    ),
    ("small_rpc_same_wasm", "small RPC, go-plugin's Greeter wasm (Greet)", "us", ""),
    ("add_rpc", "smallest message RPC (Bench.Add)", "us", ""),
    ("echo_1KiB", "echo 1 KiB round trip", "us", ""),
    ("echo_64KiB", "echo 64 KiB round trip", "us", ""),
    ("echo_1MiB", "echo 1 MiB round trip", "us", ">= 5 GB/s (1 MiB / round-trip time)"),
    ("host_function", "host-function round trip (16 B)", "us", "<= 3 us"),
    ("load_cold", "plugin load, cold (compile)", "us", ""),
    ("load_cached", "plugin load from cache", "us", "<= 10 ms"),
    ("first_call_process", "new process to first call", "us", "<= 50 ms"),
    ("rss_idle_instance", "RSS per idle pooled instance", "KiB", "<= 1.5 MiB (1536 KiB)"),
    ("threads_compute", "2 threads vs 1, compute-heavy call", "x", ">= 1.8x"),
]


class Suite:
    def __init__(self, settings: Settings, work: Path, go_peers: bool) -> None:
        self.s = settings
        self.work = work
        self.records = {
            name: Record(name, title, unit, target) for name, title, unit, target in CASES
        }
        self.unavailable: dict[str, str] = {}
        self.go_peers = go_peers
        self.codec: list[codec_bench.CodecRecord] = []
        self.reliability: list[reliability_bench.ReliabilityRecord] = []
        self.codec_ab: dict[str, Path] = {}

    # ------------------------------------------------------------------ helpers
    def log(self, msg: str) -> None:
        print(f"[bench] {msg}", file=sys.stderr, flush=True)

    def attempt(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run a peer's measurement; a peer that cannot run is recorded, not fatal."""
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - report and go on with the other peers
            self.log(f"{what}: FAILED: {type(exc).__name__}: {exc}")
            if os.environ.get("BENCH_DEBUG"):
                traceback.print_exc()
            self.unavailable.setdefault(
                what, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            )
            return None

    def child(self, *args: str, spawn_ns: int = 0) -> dict[str, Any]:
        env = builders.python_path_env()
        env["BENCH_SPAWN_NS"] = str(spawn_ns)
        # A deployed program has bytecode for its modules. Under `pants run` the sources sit in PEX dirs with
        # no .pyc and nothing writes one, so every child would compile everything (e.g. a 318 KB module of
        # wasmtime-py) from source: give the children a writable bytecode cache (filled by a warm-up spawn).
        env["PYTHONPYCACHEPREFIX"] = str(self.work / "pycache")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        proc = subprocess.run(
            [sys.executable, "-m", "bench.child", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"bench.child {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
        result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        return result

    def first_call_us(self, *args: str) -> tuple[float, dict[str, Any]]:
        """Spawn to first reply of one fresh child. Callers make one untimed call first (bytecode cache)."""
        t0 = time.monotonic_ns()
        out = self.child("first-call", *args, spawn_ns=t0)
        return (out["done_ns"] - t0) / 1e3, out

    def side_by_side(
        self,
        r: Record,
        ours: Callable[[], object],
        naive: Callable[[], object],
        extism: Optional[Callable[[], Callable[[], object]]] = None,
    ) -> None:
        """Time ours, naive and (if it can run) extism on one case, one after the other; for calls short enough
        to be hurt by preemption on a busy machine, also the median of per-call samples (gohost's method).
        """
        r.ours = self.s.us(ours)
        r.peers[NAIVE] = self.s.us(naive)
        if extism:
            r.peers[EXTISM] = self.attempt(EXTISM, lambda: self.s.us(extism()))
        if r.ours < 100:
            sampled = r.detail["per_call_sample_median_us"] = {
                OURS: self.s.sampled_us(ours),
                NAIVE: self.s.sampled_us(naive),
            }
            if extism and r.peers[EXTISM] is not None:
                sampled[EXTISM] = self.attempt(EXTISM, lambda: self.s.sampled_us(extism()))

    def same_wasm(
        self,
        r: Record,
        gop: goplugin.GoPluginPeer,
        ours: Any,
        naive: Any,
        gobench: Optional[dict[str, Any]],
    ) -> None:
        """Ours and naive on the very .wasm go-plugin's host runs (helloworld Greet, our Go guest SDK)."""
        import wasmplug
        import wasmtime
        from bench.naive import NaiveInstance
        from greeting.greeting_pb2 import GreetReply, GreetRequest

        req = GreetRequest(name="wasmplug")
        with wasmplug.Plugin.load(gop.greet_wasm, config=ours.config) as plugin:
            call = plugin.call
            assert call("greeter_greet", req, GreetReply).message == "Hello from wasmplug, wasmplug"
            greet = lambda: call("greeter_greet", req, GreetReply)  # noqa: E731
            r.ours = self.s.us(greet)
            sampled = r.detail["per_call_sample_median_us"] = {OURS: self.s.sampled_us(greet)}
        inst = NaiveInstance(
            naive.linker, wasmtime.Module.from_file(naive.engine, str(gop.greet_wasm))
        )
        naive_greet = lambda: GreetReply.FromString(
            inst.call("greeter_greet", req.SerializeToString())
        )  # noqa: E731
        r.peers[NAIVE] = self.s.us(naive_greet)
        sampled[NAIVE] = self.s.sampled_us(naive_greet)
        if gobench:
            r.peers[GOPLUGIN] = float(gobench["median_us"])

    # ------------------------------------------------------------------ run
    def run_codec(self) -> None:
        """Our generated Go codec vs go-plugin's vs upb (and any --codec-ab builds)."""
        from bench import peers

        goplugin_codec = None
        if self.go_peers:
            self.log("building go-plugin's codec guest (protoc-gen-go-plugin on bench/codec)")
            goplugin_codec = self.attempt(
                codec_bench.GOPLUGIN, lambda: goplugin.build_goplugin_codec(self.work)
            )
        else:
            self.unavailable[codec_bench.GOPLUGIN] = "--no-go-peers"
        self.codec = codec_bench.run(
            self.s, peers.codec_wasm(), goplugin_codec, self.codec_ab, self.log
        )

    def run_reliability(self) -> None:
        cache = self.work / "reliability-cache"
        cache.mkdir(mode=0o700, exist_ok=True)
        self.reliability = reliability_bench.run(self.s, cache, self.log)

    def run(self) -> None:
        from bench import peers

        s = self.s
        cache = self.work / "cache"
        cache.mkdir(mode=0o700)
        # The wasm as a deployed file, written now so it has long settled (unchanged for > 2 s) when the fresh
        # processes load it: a settled file is not re-hashed on a warm load (see docs/internals.md).
        bench_path = self.work / "bench.wasm"
        bench_path.write_bytes(peers.bench_wasm().read_bytes())

        extism_wasm: Optional[bytes] = None
        extism_path: Optional[Path] = None
        gop: Optional[goplugin.GoPluginPeer] = None
        if self.go_peers:
            self.log("building the Go peers (tests/interop: extismguest, gohost, ourplugin)")
            extism_path = self.attempt(EXTISM, lambda: goplugin.build_extism_guest(self.work))
            extism_wasm = extism_path.read_bytes() if extism_path else None
            gop = self.attempt(GOPLUGIN, lambda: goplugin.build_goplugin_peer(self.work))
        else:
            self.unavailable[EXTISM] = self.unavailable[GOPLUGIN] = "--no-go-peers"

        self.log("loading: ours (fills the compile cache), naive wasmtime-py, extism")
        ours = peers.Ours(cache)
        naive = peers.Naive()
        ext = self.attempt(EXTISM, lambda: peers.Extism(extism_wasm)) if extism_wasm else None
        R = self.records

        # --- scalar
        self.log("scalar call")
        r = R["scalar_call"]
        self.side_by_side(r, ours.scalar(), naive.scalar(), ext and ext.noop)
        r.met = r.ours is not None and r.ours <= 1.0
        r.notes.append(
            "ours: Plugin.api_version() - a () -> i64 export through the pool and the unchecked call "
            "(the generated API has no scalar methods: RPCs take messages); naive: Func.__call__ on the "
            "same export; extism: `noop` (no input, no output)"
        )

        # --- small RPC
        self.log("small RPC")
        r = R["small_rpc"]
        self.side_by_side(
            r, ours.say_hello(), naive.say_hello(), ext and (lambda: ext.echo(b"x" * 16))
        )
        gobench = None
        if gop:
            calls = 2000 if s.quick else 200_000
            gobench = self.attempt(GOPLUGIN, lambda: gop.bench(calls, calls // 10))
            if gobench:
                r.peers[GOPLUGIN] = float(gobench["median_us"])
                r.detail["go_plugin_bench"] = gobench
        extism16 = r.peers[EXTISM]
        r.met = (
            r.ours is not None
            and r.ours <= 5.0
            and extism16 is not None
            and extism16 / r.ours >= 3.0
        )
        if extism16 and r.ours:
            r.detail["extism_echo16_over_ours"] = extism16 / r.ours
        r.notes.append(
            "ours: Greeter.say_hello on src/go/plugins/morning; naive: same wasm and export; "
            "extism: `echo` of 16 bytes; go-plugin: gohost -bench, Greet on tests/interop/ourplugin "
            "(same message shapes; median of per-call samples)"
        )

        r = R["small_rpc_same_wasm"]
        if gop:
            self.attempt(GOPLUGIN, lambda: self.same_wasm(r, gop, ours, naive, gobench))
        r.notes.append(
            "all on tests/interop/ourplugin.wasm (go-plugin's helloworld greet.proto, our Go guest SDK); "
            "ours: Plugin.call('greeter_greet', GreetRequest, GreetReply) - what the generated client does"
        )

        # --- smallest message RPC
        self.log("add RPC")
        self.side_by_side(R["add_rpc"], ours.add(), naive.add())

        # --- payloads
        for name, size in (("echo_1KiB", KIB), ("echo_64KiB", 64 * KIB), ("echo_1MiB", MIB)):
            self.log(name)
            r = R[name]
            payload = os.urandom(size)
            self.side_by_side(
                r, ours.echo(payload), naive.echo(payload), ext and (lambda: ext.echo(payload))
            )
            raw = s.us(ours.echo_bytes(payload))
            r.detail["ours_call_bytes_us"] = raw
            r.detail["GB_per_s"] = {
                k: (size / (v * 1e3) if v else None)
                for k, v in [(OURS, r.ours), ("ours_call_bytes", raw), *r.peers.items()]
            }
        r = R["echo_1MiB"]
        r.met = r.ours is not None and MIB / (r.ours * 1e3) >= 5.0
        r.notes.append(
            "ours: Bench.echo(Blob(data=...)) (protobuf both ways, like naive); "
            "detail.ours_call_bytes_us: Plugin.call_bytes with the request pre-serialized; "
            "extism: raw bytes `echo`; GB/s = payload bytes / round-trip time"
        )

        # --- host function
        self.log("host-function round trip")
        r = R["host_function"]
        count_ours, count_naive = (2, 2) if s.quick else (1000, 100)
        payload = b"h" * 16
        r.ours = s.us(ours.call_host(count_ours, payload)) / count_ours
        r.peers[NAIVE] = s.us(naive.call_host(count_naive, payload)) / count_naive
        r.met = r.ours <= 3.0
        r.notes.append(
            f"per host call: Bench.CallHost loops BenchHost.HostEcho({len(payload)} B) {count_ours}x in the "
            "guest (Go marshal, host parse + reply into the guest's reply buffer, Go unmarshal); naive: "
            "Linker.define_func + Memory.read/write + Func.__call__(malloc) (it never asks for the reply buffer); "
            "extism guest has no host import"
        )

        # --- loads
        self.log("load cold / cached")
        wasm = bench_path.read_bytes()
        r = R["load_cold"]
        fresh: list[Path] = []

        def new_cache() -> None:
            d = Path(tempfile.mkdtemp(dir=self.work))
            fresh.append(d)

        def load_fresh() -> None:
            import wasmplug

            ours.load_bench(wasmplug.PluginConfig(cache_dir=fresh[-1])).close()

        r.ours = once_us(load_fresh, s.cold_reps, setup=new_cache)
        r.peers[NAIVE] = once_us(lambda: peers.Naive.load_cold(wasm), s.cold_reps)
        if extism_wasm:
            r.peers[EXTISM] = self.attempt(
                EXTISM, lambda: once_us(lambda: peers.Extism.load_cold(extism_wasm), s.cold_reps)
            )
        if gobench:
            r.peers[GOPLUGIN] = float(gobench["load_ms"]) * 1e3
        r.notes.append(
            "ours: compile + write the cache entry + instantiate + _initialize (fresh cache dir); naive: "
            "Module() + instantiate + _initialize; extism: Plugin(wasm) (its cache off); go-plugin: gohost's "
            "load_ms (wazero compile + instantiate, ourplugin.wasm)"
        )

        r = R["load_cached"]
        loaded: list[Any] = []
        r.ours = once_us(lambda: loaded.append(ours.load_bench(ours.config)), s.reps)
        for b in loaded:
            b.close()
        r.met = r.ours <= 10_000
        r.notes.append(
            "ours: BenchPlugin.load with the compile cache warm (read + verify + deserialize + link + "
            "instantiate + _initialize + version check); the peers have no compile cache of their own here"
        )

        # --- new process to first call
        self.log("new process to first call")
        r = R["first_call_process"]
        self.first_call_us("ours", str(cache), str(bench_path))  # warm-up: fills the bytecode cache
        runs = [self.first_call_us("ours", str(cache), str(bench_path)) for _ in range(s.reps)]
        r.ours = statistics.median(t for t, _ in runs)
        r.detail["ours_breakdown_median"] = {
            k: statistics.median(o[k] for _, o in runs)
            for k in ("start_ms", "import_ms", "load_ms", "call_us", "cpu_ms")
        }
        self.first_call_us("naive", str(bench_path))
        r.peers[NAIVE] = statistics.median(
            self.first_call_us("naive", str(bench_path))[0] for _ in range(s.cold_reps)
        )
        if extism_path:
            ext_path = extism_path

            def extism_first_call() -> float:
                self.first_call_us("extism", str(ext_path))  # warm-up, like ours and naive
                return statistics.median(
                    self.first_call_us("extism", str(ext_path))[0] for _ in range(s.cold_reps)
                )

            r.peers[EXTISM] = self.attempt(EXTISM, extism_first_call)
        if gop:
            r.peers[GOPLUGIN] = self.attempt(
                GOPLUGIN, lambda: statistics.median(gop.first_call_us() for _ in range(s.cold_reps))
            )
        r.met = r.ours <= 50_000
        r.notes.append(
            "wall time from spawning `python -m bench.child` to the first reply (CLOCK_MONOTONIC); ours "
            "with the compile cache warm, naive and extism compile (no cache); go-plugin: a gohost process "
            "until exit (wazero compiles). The Python children get a writable bytecode cache "
            "(PYTHONPYCACHEPREFIX; PEX dirs hold no .pyc) filled by one untimed spawn per peer, as a "
            "deployed program has bytecode; ours and naive load bench.wasm from a file path"
        )

        # --- RSS
        self.log("RSS per idle instance")
        r = R["rss_idle_instance"]
        k = s.rss_instances
        out = self.child("rss", "ours", str(k), str(cache))
        r.ours = out["kib_per_instance"]
        r.detail["ours"] = out
        out = self.child("rss", "naive", str(k), str(bench_path))
        r.peers[NAIVE] = out["kib_per_instance"]
        r.detail[NAIVE] = out
        if extism_path:
            out = self.attempt(
                EXTISM, lambda: self.child("rss", "extism", str(k), str(extism_path))
            )
            if out:
                r.peers[EXTISM] = out["kib_per_instance"]
                r.detail[EXTISM] = out
        r.met = r.ours <= 1536
        r.notes.append(
            f"fresh process; VmRSS delta over {k} instances, / {k}; ours: initialized instances idle in the "
            "pool (its prefill); naive: Store + instantiate + _initialize; extism: Plugin from one "
            "CompiledPlugin, after one noop call (extism guest, a different module)"
        )

        # --- threads
        self.log("threads")
        r = R["threads_compute"]
        probe_n = 2_000_000
        t = once_us(ours.spin(probe_n), 3)
        spin_n = max(1000, int(probe_n * s.spin_ms * 1e3 / t))
        calls = 1 if s.quick else 4
        r.ours, r.detail["ours"] = thread_speedup(
            [ours.spin(spin_n)] * 2, calls, max(3, s.reps - 2)
        )
        naive_insts = [naive.bench, naive.new_bench_instance()]
        r.peers[NAIVE], r.detail[NAIVE] = thread_speedup(
            [peers.Naive.spin(i, spin_n) for i in naive_insts], calls, max(3, s.reps - 2)
        )
        r.detail["spin_n"] = spin_n
        r.met = r.ours >= 1.8
        r.notes.append(
            f"Bench.Spin({spin_n}) (~{s.spin_ms:g} ms of guest compute), {calls} calls per thread; speedup = "
            "2 x T(1 thread) / T(2 threads doing the same each); ours: one client, pool of 2; naive: one "
            "Store per thread"
        )
        ours.close()
        self.run_codec()
        self.run_reliability()


def thread_speedup(
    fns: list[Callable[[], object]], calls: int, reps: int
) -> tuple[float, dict[str, float]]:
    def loop(fn: Callable[[], object]) -> None:
        for _ in range(calls):
            fn()

    for fn in fns:  # warm both instances
        fn()
    t1s, t2s = [], []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        loop(fns[0])
        t1s.append(time.perf_counter_ns() - t0)
        barrier = threading.Barrier(len(fns) + 1)

        def worker(fn: Callable[[], object]) -> None:
            barrier.wait()
            loop(fn)

        threads = [threading.Thread(target=worker, args=(fn,)) for fn in fns]
        for th in threads:
            th.start()
        barrier.wait()
        t0 = time.perf_counter_ns()
        for th in threads:
            th.join()
        t2s.append(time.perf_counter_ns() - t0)
    t1, t2 = statistics.median(t1s) / 1e3, statistics.median(t2s) / 1e3
    return len(fns) * t1 / t2, {"one_thread_us": t1, "two_threads_us": t2}


# ---------------------------------------------------------------------------------------------- output
def fmt(v: Optional[float], unit: str) -> str:
    if v is None:
        return "-"
    if unit == "x":
        return f"{v:.2f}x"
    if unit == "KiB":
        return f"{v:,.0f} KiB"
    if v >= 10_000:
        return f"{v / 1e3:,.1f} ms"
    if v >= 100:
        return f"{v:,.0f} us"
    return f"{v:.2f} us"


def table(records: list[Record]) -> str:
    heads = ["case", PEER_TITLES[OURS], *(PEER_TITLES[p] for p in PEERS), "target", "met"]
    rows = []
    for r in records:
        met = "-" if r.met is None else ("yes" if r.met else "NO")
        rows.append(
            [
                r.title,
                fmt(r.ours, r.unit),
                *(fmt(r.peers[p], r.unit) for p in PEERS),
                r.target or "-",
                met,
            ]
        )
        sampled = r.detail.get("per_call_sample_median_us")
        if sampled:
            go = r.detail.get("go_plugin_bench") or (
                r.peers[GOPLUGIN] is not None and {"median_us": r.peers[GOPLUGIN]}
            )
            rows.append(
                [
                    "  (median of per-call samples)",
                    fmt(sampled.get(OURS), r.unit),
                    fmt(sampled.get(NAIVE), r.unit),
                    fmt(sampled.get(EXTISM), r.unit),
                    fmt(float(go["median_us"]), r.unit) if go else "-",
                    "",
                    "",
                ]
            )
        if r.name.startswith("echo_") and r.ours:
            gbs = r.detail["GB_per_s"]
            rows.append(
                [
                    "  (throughput, GB/s)",
                    f"{gbs[OURS]:.2f}",
                    *(f"{gbs[p]:.2f}" if gbs.get(p) else "-" for p in PEERS),
                    "",
                    "",
                ]
            )
    widths = [max(len(str(row[i])) for row in [heads, *rows]) for i in range(len(heads))]
    sep = "  "
    lines = [sep.join(h.ljust(w) for h, w in zip(heads, widths)), sep.join("-" * w for w in widths)]
    for row in rows:
        lines.append(
            sep.join(
                c.ljust(w) if i == 0 or i >= len(heads) - 2 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths))
            )
        )
    return "\n".join(lines)


def _py_add(a: int, b: int) -> int:
    return a + b


def machine_state(settings: Settings) -> dict[str, Any]:
    """How busy the machine is: load average, and a pure-Python call (29 ns on this VM when idle, per
    ../shared/perf-probes/results/calls.txt) as a yardstick for scaling the numbers of a busy run.
    """
    return {
        "loadavg": list(os.getloadavg()),
        "python_call_ns": settings.us(lambda: _py_add(1, 2)) * 1e3,
    }


def meta(settings: Settings, unavailable: dict[str, str]) -> dict[str, Any]:
    import importlib.metadata as md

    def version(dist: str) -> Optional[str]:
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            return None

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "versions": {d: version(d) for d in ("wasmtime", "protobuf", "extism")},
        "settings": dataclasses.asdict(settings),
        "unavailable": unavailable,
        "method": "warm-up, then reps x tight loop; median of per-rep mean time per call (us)",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="very few iterations (smoke test)")
    parser.add_argument("--out", default=os.path.join("dist", "bench.json"))
    parser.add_argument(
        "--no-go-peers", action="store_true", help="skip the peers built with Go at run time"
    )
    parser.add_argument(
        "--codec-ab",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="another build of tests/bench/codec/plugin to time beside ours (A/B)",
    )
    parser.add_argument(
        "--codec-only", action="store_true", help="only the codec cases (their table and JSON)"
    )
    parser.add_argument(
        "--reliability-only",
        action="store_true",
        help="only the reliability cases: deadline overshoot, pool wait (their table and JSON)",
    )
    args = parser.parse_args(argv)
    codec_ab = {}
    for spec in args.codec_ab:
        label, sep, path = spec.partition("=")
        if not sep or not label or not Path(path).is_file():
            parser.error(f"--codec-ab {spec!r}: want LABEL=PATH to a .wasm file")
        codec_ab[label] = Path(path).resolve()
    settings = timing.QUICK if args.quick else Settings()
    work = Path(tempfile.mkdtemp(prefix="wasmplug-bench-"))
    before = machine_state(settings)
    try:
        suite = Suite(settings, work, go_peers=not args.no_go_peers)
        suite.codec_ab = codec_ab
        if args.codec_only:
            suite.run_codec()
        elif args.reliability_only:
            suite.run_reliability()
        else:
            suite.run()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    after = machine_state(settings)
    only = args.codec_only or args.reliability_only
    records = [] if only else list(suite.records.values())
    for when, st in (("before", before), ("after", after)):
        print(
            f"machine {when}: load average {' / '.join(f'{x:.2f}' for x in st['loadavg'])} (1/5/15 min, "
            f"{os.cpu_count()} CPUs); pure-Python call {st['python_call_ns']:.0f} ns (29 ns idle)"
        )
    print()
    if records:
        print(table(records))
        print()
    if suite.codec:
        print(codec_bench.table(suite.codec))
        print()
    if suite.reliability:
        print(reliability_bench.table(suite.reliability))
        print()
    for r in records:
        for note in r.notes:
            print(f"* {r.title}: {note}")
    if suite.reliability:
        print(
            "* reliability: interrupt = how long past a 0.2 s deadline the guest last ran (its own WASI clock); "
            "return = how long past it DeadlineExceeded reached the caller (plus winning the GIL back); "
            "pool wait = Pool.get time per call, ~10 us guest calls"
        )
    print(
        "* codec: each plugin echoes the request (decode + encode in the guest) through Plugin.call_bytes with "
        "the bytes serialized once; upb: T.FromString(b).SerializeToString() on the same bytes"
    )
    for what, why in suite.unavailable.items():
        title = PEER_TITLES.get(what) or codec_bench.TITLES.get(what, what)
        print(f"! {title} unavailable: {why}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    info = meta(settings, suite.unavailable)
    info["machine_before"], info["machine_after"] = before, after
    out.write_text(
        json.dumps(
            {
                "meta": info,
                "cases": [r.as_json() for r in records],
                "codec": [dataclasses.asdict(r) for r in suite.codec],
                "reliability": [dataclasses.asdict(r) for r in suite.reliability],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
