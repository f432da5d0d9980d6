"""`./pants publish` of `wasm_plugin` targets to a real registry, in a copy of this repo's working tree:
a dry run says what it would push and pushes nothing; the real run pushes one plugin under two tags,
skips the one with `skip_push=True`, the artifact pulled back loads and answers, and its manifest
annotations are those `wasmplug push` writes for the same `.wasm`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from greeting.greeting_pb2 import GreetRequest
from greeting.greeting_wasmplug import GreeterPlugin
from oci.registry import Registry
from wasmplug import PluginConfig, oci
from wasmplug_codegen.cli import main


def outer_root() -> Path:
    root = os.environ.get("WASMPLUG_BUILDROOT")
    if not root:
        pytest.fail("WASMPLUG_BUILDROOT is not set (run through `./pants test`)")
    return Path(root)


def copy_tree(dest: Path) -> Path:
    """The outer repo's files as they are now (tracked and new, not ignored)."""
    root = outer_root()
    files = subprocess.run(
        ["git", "ls-files", "-z", "-co", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        src = root / os.fsdecode(name)
        if src.is_file():
            (dest / src.relative_to(root)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / src.relative_to(root))
    return dest


def pants(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "SSL_CERT_FILE", "PYENV_ROOT")
    }
    env["PANTS_BOOTSTRAP_DIR"] = str(outer_root() / ".pants-bootstrap")
    return subprocess.run(
        ["./pants", "--no-pantsd", "--no-dynamic-ui", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )


def test_pants_publish_round_trip(registry: Registry, tmp_path: Path) -> None:
    repo = copy_tree(tmp_path / "repo")
    morning = f"{registry.host}/published/morning"
    (repo / "src/go/plugins/morning/BUILD").write_text(
        'wasm_plugin(dependencies=["src/proto/greeting"],'
        f' repositories=["{morning}"], oci_tags=["v1", "latest"])\n'
    )
    (repo / "src/go/plugins/evening/BUILD").write_text(
        'wasm_plugin(dependencies=["src/proto/greeting"],'
        f' repositories=["{registry.host}/published/evening"], skip_push=True)\n'
    )
    targets = ["src/go/plugins/morning", "src/go/plugins/evening"]

    dry = pants(repo, "publish", "--wasmplug-oci-dry-run", *targets)
    assert dry.returncode == 0, dry.stderr[-6000:]
    out = dry.stdout + dry.stderr
    assert "would push src.go.plugins.morning/morning.wasm" in out, out[-4000:]
    assert f"{morning}:v1" in out and "skip_push" in out
    with pytest.raises(oci.RegistryError, match="no tag 'v1'"):
        oci.pull(f"{morning}:v1")

    run = pants(repo, "publish", *targets)
    assert run.returncode == 0, run.stderr[-6000:]
    out = run.stdout + run.stderr
    assert f"pushed src.go.plugins.morning/morning.wasm to {morning}:v1" in out, out[-4000:]
    v1, latest = oci.pull(f"{morning}:v1"), oci.pull(f"{morning}:latest")
    assert v1.reference == latest.reference and v1.wasm == latest.wasm
    with pytest.raises(oci.RegistryError, match="no tag 'latest'"):
        oci.pull(f"{registry.host}/published/evening:latest")
    # The same annotations as `wasmplug push` of the same module writes, services included.
    wasm = tmp_path / "morning.wasm"
    wasm.write_bytes(v1.wasm)
    assert main(["push", "-q", str(wasm), f"{registry.host}/pushed/morning:v1"]) == 0
    pushed = oci.pull(f"{registry.host}/pushed/morning:v1")
    assert v1.annotations == pushed.annotations
    services = json.loads(v1.annotations["dev.wasmplug.services"])
    assert services["greeting.Greeter"] == {"kind": "plugin", "version": 1}
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    with GreeterPlugin(config=PluginConfig(cache_dir=cache)).load(f"oci://{v1.reference}") as g:
        assert g.say_hello(GreetRequest(name="Ada")).message == "Good morning, Ada"
