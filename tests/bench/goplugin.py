"""The peers that need Go at run time, built with tests/interop's helpers (``interop.builders``):

- go-plugin's generated Go host on wazero (``tests/interop/gohost``, its ``-bench N`` mode), calling
  helloworld ``Greeter.Greet`` on ``tests/interop/ourplugin`` (the same Greeter, built with our Go guest SDK from
  go-plugin's own greet.proto) — our runtime calls that very ``.wasm`` too;
- the extism peer guest ``tests/interop/extismguest``.

The interop Go module takes go-plugin, wazero and protobuf-go from the Go module cache (downloaded on first use);
builds are cached in ``builders.cache_root()``.
"""

from __future__ import annotations

import json
import os
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
