"""The wheels' metadata: one job each, version ranges (no pins), the Python versions we support."""

from __future__ import annotations

import email.parser
import importlib.resources
import json
import os
import re
import subprocess
import zipfile
from email.message import Message
from pathlib import Path

import pytest
from wasmplug_codegen import describe

WHEELS = {
    "wasmplug": "wasmplug-0.2.0-py3-none-any.whl",
    "wasmplug-codegen": "wasmplug_codegen-0.2.0-py3-none-any.whl",
    "pants-backend-wasmplug": "pants_backend_wasmplug-0.2.0-py3-none-any.whl",
}
# What `pants publish` runs (src/python/wasmplug_pants/publish.py: OCI_CLIENT_FILES).
OCI_CLIENT = ("oci.py", "errors.py", "_digest.py")


def wheel(name: str) -> Path:
    (path,) = Path(".").glob(f"**/{WHEELS[name]}")
    return path


def metadata(name: str) -> Message:
    with zipfile.ZipFile(wheel(name)) as whl:
        (meta,) = [n for n in whl.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(whl.read(meta).decode())


def requirements(name: str, extra: str | None = None) -> dict[str, str]:
    """Requires-Dist as {project name: version specifier}: those of `extra`, or (None) the unconditional."""
    reqs = {}
    for line in metadata(name).get_all("Requires-Dist") or []:
        m = re.match(r"^([A-Za-z0-9_.\-]+(?:\[[a-z]+\])?)\s*\(?([^);]*)\)?", line)
        assert m, line
        marker = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", line)
        if (marker.group(1) if marker else None) == extra:
            reqs[m.group(1).lower()] = m.group(2).strip()
    return reqs


def top_level_entries(name: str) -> set[str]:
    with zipfile.ZipFile(wheel(name)) as whl:
        return {n.split("/", 1)[0] for n in whl.namelist() if ".dist-info/" not in n}


@pytest.mark.parametrize("name", sorted(WHEELS))
def test_requirements_are_ranges(name: str) -> None:
    extras = metadata(name).get_all("Provides-Extra") or []
    for project, spec in [
        *requirements(name).items(),
        *(item for extra in extras for item in requirements(name, extra).items()),
    ]:
        assert "==" not in spec and spec, f"{name} pins {project} {spec!r}"
        assert "<" in spec, f"{name}: {project} {spec!r} has no upper bound"


def test_runtime() -> None:
    assert metadata("wasmplug")["Requires-Python"] == ">=3.10"
    assert set(requirements("wasmplug")) == {"protobuf", "wasmtime"}
    # OCI references (wasmplug.oci): the registry client is optional.
    assert metadata("wasmplug").get_all("Provides-Extra") == ["oci"]
    assert requirements("wasmplug", "oci") == {"oras": "<0.3,>=0.2.25"}
    assert top_level_entries("wasmplug") == {"wasmplug"}
    with zipfile.ZipFile(wheel("wasmplug")) as whl:
        assert "wasmplug/py.typed" in whl.namelist()
        assert not [n for n in whl.namelist() if n.endswith((".lock", "_test.py"))]


def test_generator() -> None:
    assert metadata("wasmplug-codegen")["Requires-Python"] == ">=3.9"
    assert set(requirements("wasmplug-codegen")) == {"jinja2", "protobuf"}
    # `wasmplug push/pull` need the runtime with its registry client.
    assert requirements("wasmplug-codegen", "oci") == {"wasmplug[oci]": "<0.3,>=0.2"}
    assert top_level_entries("wasmplug-codegen") == {"wasmplug_codegen"}
    with zipfile.ZipFile(wheel("wasmplug-codegen")) as whl:
        names = whl.namelist()
        entry_points = whl.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "protoc-gen-wasmplug = wasmplug_codegen.__main__:main" in entry_points
    assert "wasmplug_codegen/guest/go.mod" in names
    assert "wasmplug_codegen/templates/host_sdk.py.j2" in names


def test_backend_needs_only_pants() -> None:
    meta = metadata("pants-backend-wasmplug")
    assert meta["Requires-Python"] == ">=3.9"
    assert requirements("pants-backend-wasmplug") == {"pantsbuild.pants": "<2.18,>=2.17.1"}
    # It carries the generator's files (run in a tool PEX), not the runtime.
    assert top_level_entries("pants-backend-wasmplug") == {"wasmplug_pants", "wasmplug_codegen"}


def test_backend_carries_what_pants_publish_needs() -> None:
    """`[wasmplug-oci]`'s built-in lockfile and the runtime's OCI client, the runtime wheel's own
    bytes, under `wasmplug_pants/` (no partial `wasmplug` package beside the runtime's)."""
    with zipfile.ZipFile(wheel("pants-backend-wasmplug")) as backend:
        names = set(backend.namelist())
        lock = backend.read("wasmplug_pants/wasmplug_oci.lock").decode()
        client = {f: backend.read(f"wasmplug_pants/oci_client/{f}") for f in OCI_CLIENT}
    with zipfile.ZipFile(wheel("wasmplug")) as runtime:
        assert client == {f: runtime.read(f"wasmplug/{f}") for f in OCI_CLIENT}
    assert not [n for n in names if n.startswith("wasmplug/")]
    assert '"oras<0.3,>=0.2.25"' in lock and '"CPython<3.14,>=3.9"' in lock


def test_backend_wheel_has_every_module_register_imports() -> None:
    """A backend module whose name matches a test glob (`*_test.py`) would silently be left out."""
    with zipfile.ZipFile(wheel("pants-backend-wasmplug")) as whl:
        names = set(whl.namelist())
        register = whl.read("wasmplug_pants/register.py").decode()
    blocks = re.findall(r"^from wasmplug_pants import \(([^)]*)\)", register, re.M | re.S)
    imported = {name for block in blocks for name in block.split(",")}
    modules = {m.split(" as ")[0].strip() for m in imported if m.strip()}
    assert modules >= {"codegen", "gofmt", "gotest", "wasm_build"}, modules
    assert {f"wasmplug_pants/{m}.py" for m in modules} <= names, modules


def run_on_backend_wheel(tmp_path: Path, code: str, *args: str) -> str:
    """`code` run by Pants' Python (3.9) with only the backend wheel on its path: its stdout."""
    with zipfile.ZipFile(wheel("pants-backend-wasmplug")) as whl:
        whl.extractall(tmp_path / "wheel")
    python = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"), "versions")
    (py39,) = sorted(python.glob("3.9*/bin/python3.9"))[-1:]
    proc = subprocess.run(
        [str(py39), "-S", "-c", code, *args],
        cwd=tmp_path / "wheel",
        env={"PYTHONPATH": str(tmp_path / "wheel")},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_backend_imports_its_contract_without_the_generators_requirements(tmp_path: Path) -> None:
    """On Pants' Python (3.9), with only the backend wheel: no jinja2, no protobuf needed."""
    code = (
        "import sys, wasmplug_codegen.contract as c; "
        "assert 'jinja2' not in sys.modules and 'google' not in sys.modules; print(c.GUEST_MODULE)"
    )
    assert run_on_backend_wheel(tmp_path, code).strip() == "wasmplug.dev/guest"


def test_backend_reads_a_plugins_annotations(tmp_path: Path) -> None:
    """`pants publish` annotates with the wheel's describe/wasm modules, on Pants' Python 3.9:
    what `wasmplug push` (3.11, from source) writes for the same plugin."""
    plugin = tmp_path / "morning.wasm"
    plugin.write_bytes((importlib.resources.files("plugins.morning") / "morning.wasm").read_bytes())
    code = (
        "import json, sys, wasmplug_codegen.describe as d; "
        "print(json.dumps(d.manifest_annotations(open(sys.argv[1], 'rb').read())))"
    )
    notes = json.loads(run_on_backend_wheel(tmp_path, code, str(plugin)))
    assert notes == describe.manifest_annotations(plugin.read_bytes())
    assert "greeting.Greeter" in json.loads(notes["dev.wasmplug.services"])
