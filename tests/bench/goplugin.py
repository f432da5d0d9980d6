"""The peers that need Go at run time, built with tests/interop's helpers (``interop.builders``):

- go-plugin's generated Go host on wazero (``tests/interop/gohost``, its ``-bench N`` mode), calling
  helloworld ``Greeter.Greet`` on ``tests/interop/ourplugin`` (the same Greeter, built with our Go guest SDK from
  go-plugin's own greet.proto) — our runtime calls that very ``.wasm`` too;
- the extism peer guest ``tests/interop/extismguest``;
- go-plugin's own generated guest codec for the codec benchmark: ``protoc-gen-go-plugin`` built from go-plugin's
  module, run on ``tests/bench/codec/codec.proto``, and ``tests/bench/codec/goplugin/main.go`` built on it.

The interop Go module takes go-plugin, wazero and protobuf-go from the Go module cache (downloaded on first use);
builds are cached in ``builders.cache_root()``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from interop import builders


def _interop_dir() -> Path:
    """tests/interop with its Go sources: next to this file in a test sandbox, in the buildroot under `pants run`
    (a PEX carries Python sources only)."""
    if (builders.INTEROP_DIR / "go.mod").is_file():
        return builders.INTEROP_DIR
    for root in (os.environ.get("WASMPLUG_BUILDROOT"), os.getcwd()):
        if root and (Path(root) / "tests" / "interop" / "go.mod").is_file():
            return Path(root) / "tests" / "interop"
    raise FileNotFoundError(
        "tests/interop/go.mod not found: run from the repository root (./pants run tests/bench:bench)"
    )


def _use_interop_sources() -> None:
    builders.INTEROP_DIR = _interop_dir()


def build_extism_guest(out_dir: Path) -> Path:
    _use_interop_sources()
    return builders.build_extism_guest(out_dir / "extismguest.wasm")


@dataclass(frozen=True)
class GoPluginPeer:
    gohost: Path
    greet_wasm: Path  # ourplugin: helloworld Greeter built with our Go guest SDK

    def bench(self, calls: int, warmup: int) -> dict[str, object]:
        """gohost -bench: median of per-call samples (Go's time.Now around each call), plus its load time."""
        out = subprocess.run(
            [
                str(self.gohost),
                "-bench",
                str(calls),
                "-warmup",
                str(warmup),
                str(self.greet_wasm),
                "wasmplug",
            ],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
            timeout=600,
        ).stdout
        result: dict[str, object] = json.loads(out)
        return result

    def first_call_us(self) -> float:
        """A new gohost process: start, compile (wazero has no cache here), one Greet, exit; wall time."""
        t0 = time.perf_counter_ns()
        subprocess.run(
            [str(self.gohost), str(self.greet_wasm), "wasmplug"],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=120,
        )
        return (time.perf_counter_ns() - t0) / 1e3


def build_goplugin_peer(out_dir: Path) -> GoPluginPeer:
    _use_interop_sources()
    gohost = builders.build_gohost(out_dir / "gohost")
    gen = out_dir / "greet-go"
    include = builders.go_plugin_dir() / builders.HELLOWORLD_INCLUDE
    builders.generate(include, builders.HELLOWORLD_PROTO, gen, lang="go")
    wasm = builders.build_our_plugin(gen, out_dir / "ourplugin.wasm")
    return GoPluginPeer(gohost, wasm)


def _codec_dir() -> Path:
    """tests/bench/codec (its .proto and go-plugin guest sources): next to this file in a test sandbox, in the
    buildroot under `pants run`."""
    here = Path(__file__).resolve().parent / "codec"
    if (here / "goplugin" / "main.go").is_file():
        return here
    return _interop_dir().parent / "bench" / "codec"


def build_goplugin_codec(out_dir: Path) -> Path:
    """The codec plugin on go-plugin's generated guest code (vtprotobuf codec), for wasip1.

    protoc-gen-go-plugin is built inside go-plugin's own module (its go.mod pins its generator's
    dependencies); the generated package and ``goplugin/main.go`` form a module that requires what
    tests/interop's module requires (its go.sum is reused), built like go-plugin's own guests.
    """
    _use_interop_sources()
    gen_bin = out_dir / "protoc-gen-go-plugin"
    builders.run_go(
        ["build", "-o", str(gen_bin), "./cmd/protoc-gen-go-plugin"], cwd=builders.go_plugin_dir()
    )
    codec = _codec_dir()
    mod = out_dir / "goplugin-codec"
    pkg = mod / "codecpb"
    pkg.mkdir(parents=True)
    proto = "bench/codec/codec.proto"
    builders.run_protoc(
        [
            f"-I{codec.parent.parent}",
            f"--plugin=protoc-gen-go-plugin={gen_bin}",
            f"--go-plugin_out={pkg}",
            f"--go-plugin_opt=paths=source_relative,M{proto}=wasmplug.bench/goplugin/codecpb",
            proto,
        ],
        cwd=codec.parent.parent,
    )
    for f in (pkg / "bench" / "codec").iterdir():  # paths=source_relative keeps the proto's dirs
        f.rename(pkg / f.name)
    shutil.rmtree(pkg / "bench")
    interop = builders.INTEROP_DIR
    gomod = (
        (interop / "go.mod")
        .read_text()
        .replace("module wasmplug.dev/tests/interop", "module wasmplug.bench/goplugin", 1)
    )
    (mod / "go.mod").write_text(gomod)
    (mod / "go.sum").write_bytes((interop / "go.sum").read_bytes())
    (mod / "main.go").write_bytes((codec / "goplugin" / "main.go").read_bytes())
    out = out_dir / "goplugin-codec.wasm"
    builders.run_go(
        ["build", "-buildmode=c-shared", "-o", str(out), "."],
        cwd=mod,
        env=builders.go_env(GOOS="wasip1", GOARCH="wasm"),
    )
    return out
