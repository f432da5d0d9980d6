"""Plugins through a real OCI registry: `wasmplug push/pull`, `Plugin.load("oci://...")`, tampering."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Literal

import pytest
import wasmplug
from greeting.greeting_pb2 import GreetRequest
from greeting.greeting_wasmplug import GreeterPlugin
from oci.registry import Registry, free_port
from wasmplug import PluginConfig, oci
from wasmplug_codegen.cli import main


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push(capsys: pytest.CaptureFixture[str], wasm: Path, ref: str) -> str:
    assert main(["push", str(wasm), ref]) == 0
    out = capsys.readouterr()
    (by_digest,) = out.out.split()
    return by_digest


def private(d: Path) -> Path:
    d.mkdir(mode=0o700)
    return d


def test_push_then_pull_by_tag_and_by_digest(
    registry: Registry, plugin_wasm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wasm = plugin_wasm.read_bytes()
    ref = push(capsys, plugin_wasm, f"{registry.host}/plugins/greeter:v1")
    assert ref.startswith(f"{registry.host}/plugins/greeter@sha256:")
    for source in (f"{registry.host}/plugins/greeter:v1", ref, f"oci://{ref}"):
        out = tmp_path / "pulled.wasm"
        assert main(["pull", source, "-o", str(out)]) == 0
        assert capsys.readouterr().out.strip() == ref
        assert out.read_bytes() == wasm
    # The artifact as any OCI client sees it: our artifact type, the module as a layer, annotations.
    req = urllib.request.Request(
        f"http://{registry.host}/v2/plugins/greeter/manifests/v1",
        headers={"Accept": oci.MANIFEST_MEDIA_TYPE},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
    assert sha256(body) == ref.split("@")[1]
    manifest = json.loads(body)
    assert manifest["artifactType"] == "application/vnd.wasmplug.plugin.v1"
    assert manifest["config"]["mediaType"] == oci.CONFIG_MEDIA_TYPE
    (layer,) = manifest["layers"]
    assert layer["mediaType"] == "application/vnd.wasmplug.plugin.v1+wasm"
    assert layer["digest"] == sha256(wasm) and layer["size"] == len(wasm)
    assert layer["annotations"]["org.opencontainers.image.title"] == "greeter.wasm"
    assert manifest["annotations"]["dev.wasmplug.sha256"] == sha256(wasm)
    assert manifest["annotations"]["dev.wasmplug.size"] == str(len(wasm))
    # What the plugin describes of itself (the Go SDK embeds it).
    services = json.loads(manifest["annotations"]["dev.wasmplug.services"])
    assert services["greeting.Greeter"] == {"kind": "plugin", "version": 1}
    assert manifest["annotations"]["dev.wasmplug.abi"].isdigit()


def test_push_progress_for_large_modules(
    registry: Registry, plugin_wasm: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plugin_wasm.stat().st_size > 1 << 20  # a Go plugin is ~2 MB: progress is shown
    push(capsys, plugin_wasm, f"{registry.host}/plugins/progress:v1")
    assert main(["push", str(plugin_wasm), f"{registry.host}/plugins/progress:v2"]) == 0
    err = capsys.readouterr().err
    assert f"pushing {plugin_wasm}: " in err and "(100%)" in err
    assert main(["push", "-q", str(plugin_wasm), f"{registry.host}/plugins/progress:v3"]) == 0
    assert "pushing" not in capsys.readouterr().err


def test_clear_errors(
    registry: Registry, plugin_wasm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    push(capsys, plugin_wasm, f"{registry.host}/plugins/errors:v1")
    out = tmp_path / "x.wasm"
    assert main(["pull", f"{registry.host}/plugins/errors:nope", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "no tag 'nope' in repository plugins/errors of 127.0.0.1" in err
    nobody = f"127.0.0.1:{free_port()}"
    assert main(["pull", f"{nobody}/plugins/errors:v1", "-o", str(out)]) == 1
    assert f"cannot reach registry {nobody} (http)" in capsys.readouterr().err
    assert main(["push", str(plugin_wasm), f"{nobody}/plugins/errors:v1"]) == 1
    assert f"cannot reach registry {nobody}" in capsys.readouterr().err
    assert main(["pull", "not a reference", "-o", str(out)]) == 1
    assert "bad OCI reference 'not a reference'" in capsys.readouterr().err
    assert not out.exists()


def test_tampered_blob_is_refused(
    registry: Registry, plugin_wasm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wasm = plugin_wasm.read_bytes()
    mutated = bytearray(wasm)
    ref = push(capsys, plugin_wasm, f"{registry.host}/plugins/tampered:v1")
    blob = registry.blob_file(
        sha256(wasm)
    )  # the registry keeps one file per digest: restored below
    original = blob.read_bytes()
    assert original == wasm
    mutated[len(mutated) // 2] ^= 0xFF
    try:
        blob.write_bytes(bytes(mutated))
        out = tmp_path / "pulled.wasm"
        assert main(["pull", ref, "-o", str(out)]) == 1
        err = capsys.readouterr().err
        assert f"sha256 mismatch, expected {sha256(wasm)}, got {sha256(bytes(mutated))}" in err
        assert not out.exists()
        with pytest.raises(wasmplug.DigestMismatchError) as e:
            wasmplug.Plugin.load(
                f"oci://{ref}", config=PluginConfig(cache_dir=private(tmp_path / "c"))
            )
        assert e.value.expected == sha256(wasm) and e.value.actual == sha256(bytes(mutated))
        assert not list((tmp_path / "c").glob("**/*.wasm"))  # nothing kept
    finally:
        blob.write_bytes(original)


def test_oci_load_and_second_process_hits_the_cache(
    own_registry: Registry,
    plugin_wasm: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    wasm = plugin_wasm.read_bytes()
    ref = push(capsys, plugin_wasm, f"{own_registry.host}/plugins/greeter:v1")
    cache = private(tmp_path / "cache")
    loader = GreeterPlugin(config=PluginConfig(cache_dir=cache))
    with loader.load(f"oci://{own_registry.host}/plugins/greeter:v1") as greeter:
        assert greeter.say_hello(GreetRequest(name="tag")).message == "Hello, tag"
    with loader.load(f"oci://{ref}", sha256=sha256(wasm)) as greeter:
        assert greeter.say_hello(GreetRequest(name="oci")).message == "Hello, oci"
    with pytest.raises(wasmplug.DigestMismatchError):
        loader.load(f"oci://{ref}", sha256="0" * 64)
    own_registry.stop()
    # Another process, the registry gone: the digest reference is served from the cache.
    code = (
        "import sys, wasmplug\n"
        "from greeting.greeting_pb2 import GreetRequest\n"
        "from greeting.greeting_wasmplug import GreeterPlugin\n"
        "loader = GreeterPlugin(config=wasmplug.PluginConfig(cache_dir=sys.argv[2]))\n"
        "with loader.load(sys.argv[1]) as g:\n"
        "    print(g.say_hello(GreetRequest(name='again')).message)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.run(
        [sys.executable, "-c", code, f"oci://{ref}", str(cache)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Hello, again"
    # A tag must be resolved, and the registry is gone: a clear error, not a hang.
    with pytest.raises(oci.RegistryError, match="cannot reach registry") as unreachable:
        loader.load(f"oci://{own_registry.host}/plugins/greeter:v1")
    # Callers that handle load failures catch it as one.
    assert isinstance(unreachable.value, wasmplug.LoadError)


@pytest.mark.parametrize("cached", [False, True])
def test_oci_load_is_held_to_max_module_bytes(
    registry: Registry,
    plugin_wasm: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cached: bool,
) -> None:
    size = plugin_wasm.stat().st_size
    push(capsys, plugin_wasm, f"{registry.host}/plugins/toolarge:v1")
    source = f"oci://{registry.host}/plugins/toolarge:v1"
    cache: Path | Literal[False] = private(tmp_path / "c") if cached else False
    with pytest.raises(wasmplug.LoadError) as e:
        wasmplug.Plugin.load(
            source, config=PluginConfig(cache_dir=cache, max_module_bytes=size - 1)
        )
    assert str(e.value) == (
        f"cannot load plugin {source}: its module ({sha256(plugin_wasm.read_bytes())}) is {size}"
        f" bytes, more than PluginConfig.max_module_bytes={size - 1}"
    )
    if cached:
        assert not list((tmp_path / "c").glob("**/*.wasm"))  # refused before the download
    # At the limit it loads.
    wasmplug.Plugin.load(
        source, config=PluginConfig(cache_dir=cache, max_module_bytes=size)
    ).close()
