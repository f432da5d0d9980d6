"""Remote cache on a real REAPI server: our rules' processes are hermetic across checkouts.

BuildGrid (PyPI `buildgrid`, installed by this test into a venv of its own) serves an in-memory
CAS and action cache on 127.0.0.1. `./pants package` of one plugin runs in a clean `git clone` of
this repo with remote cache writes, then in a second clone at another path with an empty local
store and empty named caches, reading the remote cache. Pants' own counters (`--stats-log`) and
debug log must show that protoc (`Generating Go from ...`) and `go build` were remote cache hits:
nothing compiled into the second run's Go build cache, and the same `.wasm` bytes came out.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

# The last BuildGrid release for Python < 3.12 (newer ones need 3.12+; our tests run on 3.11).
BUILDGRID = "buildgrid==0.4.4"
CONFIG = Path(__file__).parent / "buildgrid.yml"
PLUGIN = "src/go/plugins/morning"
PROTO = "src/proto/greeting:greeting"
WASM = Path("dist/src.go.plugins.morning/morning.wasm")
SERVER_START_TIMEOUT = 120.0


def outer_root() -> Path:
    root = os.environ.get("WASMPLUG_BUILDROOT")
    if not root:
        pytest.skip("WASMPLUG_BUILDROOT is not set (run through `./pants test`)")
    return Path(root)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def buildgrid(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A BuildGrid server on a free loopback port; yields its `grpc://` address."""
    root = tmp_path_factory.mktemp("buildgrid")
    env = {**os.environ, "PIP_CONFIG_FILE": "/dev/null"}
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True)
    # Like build-support/bootstrap.sh: an HTTPS-intercepting CA comes in as SSL_CERT_FILE.
    cert = ["--cert", os.environ["SSL_CERT_FILE"]] if os.environ.get("SSL_CERT_FILE") else []
    subprocess.run(
        [
            str(root / "venv/bin/pip"),
            "install",
            "-q",
            "--disable-pip-version-check",
            *cert,
            BUILDGRID,
        ],
        check=True,
        env=env,
    )
    port = free_port()
    config = root / "buildgrid.yml"
    config.write_text(CONFIG.read_text().replace("PORT", str(port)))
    log = (root / "server.log").open("w")
    server = subprocess.Popen(
        [str(root / "venv/bin/bgd"), "server", "start", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not port_open(port):
            assert server.poll() is None, (root / "server.log").read_text()
            assert time.monotonic() < deadline, (
                "BuildGrid did not listen in time:\n" + (root / "server.log").read_text()
            )
            time.sleep(0.5)
        yield f"grpc://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)
        log.close()


@dataclass(frozen=True)
class Run:
    repo: Path
    named_caches: Path
    stderr: str
    seconds: float
    counters: dict[str, int]


def clone(dest: Path) -> Path:
    # A clean clone: committed files only, no .pants.d, no dist/, no bootstrap state.
    subprocess.run(["git", "clone", "-q", str(outer_root()), str(dest)], check=True)
    return dest


def package(repo: Path, state: Path, *remote_flags: str) -> Run:
    """`./pants package PLUGIN` with a fresh local store and fresh named caches under `state`."""
    env = {
        k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "SSL_CERT_FILE", "PYENV_ROOT")
    }
    env["PANTS_BOOTSTRAP_DIR"] = str(outer_root() / ".pants-bootstrap")
    named_caches = state / "named_caches"
    start = time.monotonic()
    proc = subprocess.run(
        [
            "./pants",
            "--no-pantsd",
            "--no-dynamic-ui",
            "-ldebug",
            "--stats-log",
            f"--local-store-dir={state / 'lmdb_store'}",
            f"--named-caches-dir={named_caches}",
            *remote_flags,
            "package",
            PLUGIN,
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    seconds = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr[-8000:]
    counters = {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"^  ([a-z_]+): (\d+)$", proc.stderr, re.MULTILINE)
    }
    assert "remote_cache_requests" in counters, proc.stderr[-4000:]
    return Run(repo, named_caches, proc.stderr, seconds, counters)


def go_build_cache_entries(run: Run) -> list[Path]:
    """Go's compile results: the files in GOCACHE's `xx/` buckets. Go writes `README`/`trim.txt` at
    the top whenever a go command opens the cache, e.g. Pants' speculative local run that the cache
    hit cancels; those are not compiles."""
    cache = run.named_caches / "wasmplug_go_build"
    if not cache.exists():
        return []
    buckets = [d for d in cache.iterdir() if d.is_dir() and len(d.name) == 2]
    return [p for d in buckets for p in d.rglob("*") if p.is_file()]


def remote_hits(run: Run) -> str:
    return "\n".join(line for line in run.stderr.splitlines() if "remote cache hit for:" in line)


def test_second_clone_builds_from_the_remote_cache(
    buildgrid: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    remote = [f"--remote-store-address={buildgrid}", "--remote-instance-name="]
    first_dir = tmp_path_factory.mktemp("writer")
    second_dir = tmp_path_factory.mktemp("reader")

    writer = package(
        clone(first_dir / "repo"),
        first_dir,
        *remote,
        "--remote-cache-write",
        "--no-remote-cache-read",
    )
    # Cacheable processes: the codegen tool PEX, protoc + our generator, go build.
    c = writer.counters
    assert c["remote_cache_write_attempts"] >= 3, c
    assert c["remote_cache_write_successes"] == c["remote_cache_write_attempts"], c
    assert c["remote_cache_write_errors"] == 0, c
    assert go_build_cache_entries(writer), "the first run compiled nothing?"

    reader = package(
        clone(second_dir / "elsewhere" / "checkout"),
        second_dir,
        *remote,
        "--remote-cache-read",
        "--no-remote-cache-write",
    )
    c = reader.counters
    hits = remote_hits(reader)
    print(
        f"writer: {writer.seconds:.1f}s, remote_cache_write_successes="
        f"{writer.counters['remote_cache_write_successes']}; reader: {reader.seconds:.1f}s, "
        f"remote_cache_requests={c['remote_cache_requests']}, "
        f"remote_cache_requests_cached={c['remote_cache_requests_cached']}, "
        f"remote_cache_total_time_saved_ms={c['remote_cache_total_time_saved_ms']}"
    )
    assert c["remote_cache_requests"] >= 3, c
    assert c["remote_cache_requests_cached"] == c["remote_cache_requests"], (c, hits)
    assert c["remote_cache_requests_uncached"] == 0, c
    assert c["remote_cache_read_errors"] == 0, c
    # Pants races a local run against the cache lookup; the cache must have won every race.
    assert c["remote_cache_speculation_local_completed_first"] == 0, c
    assert f'remote cache hit for: "Generating Go from {PROTO}"' in hits, hits
    assert f'remote cache hit for: "go build {PLUGIN}:morning (wasip1/wasm)"' in hits, hits
    # No Go compile: the second run's (fresh) Go build cache stayed empty.
    assert go_build_cache_entries(reader) == []
    assert (reader.repo / WASM).read_bytes() == (writer.repo / WASM).read_bytes()
