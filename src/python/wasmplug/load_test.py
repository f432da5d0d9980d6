"""Load-time checks: `Plugin.load` reads only regular files of at most `max_module_bytes`, and a
generated loader's exports (every method's signature, the API version) are checked before any call.
"""

from __future__ import annotations

import os
import threading
import zipfile
from pathlib import Path

import pytest
import wasmplug
import wasmtime
from greeting.greeting_wasmplug import GreeterPlugin
from wasmplug import PluginConfig

# A go-plugin-shaped Greeter guest in WAT: memory, malloc/free, the version and the method exports.
ALLOC = """
  (memory (export "memory") 1)
  (func (export "malloc") (param i32) (result i32) i32.const 1024)
  (func (export "free") (param i32))
"""
VERSION = '(func (export "greeter_api_version") (result i64) i64.const {v})'
SAY_HELLO = '(func (export "greeter_say_hello") (param i32 i32) (result i64) i64.const 0)'


def greeter(*funcs: str, alloc: str = ALLOC) -> bytes:
    return bytes(wasmtime.wat2wasm(f"(module {alloc} {' '.join(funcs)})"))


def config(cache_dir: Path | bool, **kw: object) -> PluginConfig:
    return PluginConfig(cache_dir=cache_dir, **kw)  # type: ignore[arg-type]


@pytest.fixture(params=["cache", "no-cache"])
def cache(request: pytest.FixtureRequest, cache_dir: Path) -> Path | bool:
    """Both ways a path is read: through the compile cache's source record, or straight."""
    return cache_dir if request.param == "cache" else False


# --- what Plugin.load reads ---------------------------------------------------------------------


def _load_bounded(path: Path, cfg: PluginConfig) -> BaseException | None:
    """Plugin.load(path) on a thread, waited for at most 30 s: a load that blocks fails the test
    (instead of hanging it), and is then unblocked by opening the FIFO's other end."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            wasmplug.Plugin.load(path, config=cfg).close()
            outcome.append(None)
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(30)
    if t.is_alive():
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        t.join(30)
        pytest.fail(f"Plugin.load({path}) blocked")
    return outcome[0]


def test_fifo_is_refused_without_blocking(tmp_path: Path, cache: Path | bool) -> None:
    fifo = tmp_path / "plugin.wasm"
    os.mkfifo(fifo)
    exc = _load_bounded(fifo, config(cache))
    assert isinstance(exc, wasmplug.LoadError)
    assert str(exc) == f"cannot load plugin {fifo}: not a regular file (a FIFO)"


@pytest.mark.parametrize(
    "path, kind", [("/dev/zero", "a character device"), ("/dev/null", "a character device")]
)
def test_device_is_refused(path: str, kind: str, cache: Path | bool) -> None:
    """/dev/zero used to be read until a raw MemoryError."""
    with pytest.raises(wasmplug.LoadError) as info:
        wasmplug.Plugin.load(path, config=config(cache))
    assert str(info.value) == f"cannot load plugin {path}: not a regular file ({kind})"


def test_directory_is_refused(tmp_path: Path, cache: Path | bool) -> None:
    with pytest.raises(wasmplug.LoadError) as info:
        wasmplug.Plugin.load(tmp_path, config=config(cache))
    assert str(info.value) == f"cannot load plugin {tmp_path}: not a regular file (a directory)"


def test_missing_file(tmp_path: Path, cache: Path | bool) -> None:
    with pytest.raises(wasmplug.LoadError, match="No such file") as info:
        wasmplug.Plugin.load(tmp_path / "nope.wasm", config=config(cache))
    assert str(tmp_path / "nope.wasm") in str(info.value)


def test_oversize_file_is_refused(tmp_path: Path, cache: Path | bool) -> None:
    wasm = greeter(VERSION.format(v=1), SAY_HELLO)
    path = tmp_path / "plugin.wasm"
    path.write_bytes(wasm + b"\0" * (4096 - len(wasm)))  # a custom section would do as well
    with pytest.raises(wasmplug.LoadError) as info:
        wasmplug.Plugin.load(path, config=config(cache, max_module_bytes=4095))
    assert str(info.value) == (
        f"cannot load plugin {path}: 4096 bytes, more than PluginConfig.max_module_bytes=4095"
    )
    # at the limit it is read (and then refused as wasm: the zeros are no section)
    with pytest.raises(wasmplug.LoadError, match="invalid wasm module"):
        wasmplug.Plugin.load(path, config=config(cache, max_module_bytes=4096))
    path.write_bytes(wasm)
    wasmplug.Plugin.load(path, config=config(cache, max_module_bytes=len(wasm))).close()


def test_oversize_bytes_are_refused(cache_dir: Path) -> None:
    wasm = greeter(VERSION.format(v=1), SAY_HELLO)
    small = config(cache_dir, max_module_bytes=len(wasm) - 1)
    for source in (wasm, bytearray(wasm), memoryview(wasm)):
        with pytest.raises(wasmplug.LoadError) as info:
            wasmplug.Plugin.load(source, config=small)
        assert str(info.value) == (
            f"cannot load a plugin from {type(source).__name__}: {len(wasm)} bytes, more than"
            f" PluginConfig.max_module_bytes={len(wasm) - 1}"
        )
    wasmplug.Plugin.load(wasm, config=small.replace(max_module_bytes=len(wasm))).close()


def test_oversize_resource_is_refused(tmp_path: Path, cache_dir: Path) -> None:
    """A Traversable that is not a path (a zip member) is read up to the limit, not further."""
    wasm = greeter(VERSION.format(v=1), SAY_HELLO)
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("p/plugin.wasm", wasm)
    with zipfile.ZipFile(archive) as z:
        member = zipfile.Path(z, "p/plugin.wasm")
        with pytest.raises(wasmplug.LoadError) as info:
            wasmplug.Plugin.load(member, config=config(cache_dir, max_module_bytes=len(wasm) - 1))
        assert str(info.value) == (
            f"cannot load plugin {member}: more than PluginConfig.max_module_bytes={len(wasm) - 1}"
            " bytes"
        )
        wasmplug.Plugin.load(member, config=config(cache_dir)).close()


def test_max_module_bytes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_module_bytes"):
        PluginConfig(max_module_bytes=0)
    assert PluginConfig().max_module_bytes == 256 << 20


# --- the exports a generated loader requires -----------------------------------------------------


def _load_greeter(wasm: bytes, cache_dir: Path) -> wasmplug.ExportError:
    with pytest.raises(wasmplug.ExportError) as info:
        GreeterPlugin(config=config(cache_dir)).load(wasm)
    return info.value


def test_mistyped_method_fails_at_load(cache_dir: Path) -> None:
    """Used to load, and fail only at the first call of say_hello."""
    mistyped = '(func (export "greeter_say_hello") (param i32) (result i32) i32.const 0)'
    err = _load_greeter(greeter(VERSION.format(v=1), mistyped), cache_dir)
    assert (err.export, err.service) == ("greeter_say_hello", "greeting.Greeter")
    assert (err.expected, err.actual) == ("(i32, i32) -> (i64)", "(i32) -> (i32)")
    assert str(err) == (
        "export 'greeter_say_hello' of service greeting.Greeter: has type (i32) -> (i32),"
        " expected (i32, i32) -> (i64)"
    )


def test_missing_method_fails_at_load(cache_dir: Path) -> None:
    err = _load_greeter(greeter(VERSION.format(v=1)), cache_dir)
    assert str(err) == (
        "export 'greeter_say_hello' of service greeting.Greeter: not exported by the plugin"
        " (expected (i32, i32) -> (i64))"
    )


def test_mistyped_version_export(cache_dir: Path) -> None:
    version = '(func (export "greeter_api_version") (result i32) i32.const 1)'
    err = _load_greeter(greeter(version, SAY_HELLO), cache_dir)
    assert (err.export, err.service, err.expected, err.actual) == (
        "greeter_api_version",
        "greeting.Greeter",
        "() -> (i64)",
        "() -> (i32)",
    )


@pytest.mark.parametrize(
    "alloc, export, actual",
    [
        (
            ALLOC.replace(
                "(param i32) (result i32) i32.const 1024", "(param i64) (result i32) i32.const 1024"
            ),
            "malloc",
            "(i64) -> (i32)",
        ),
        (
            ALLOC.replace('"free") (param i32)', '"free") (param i32 i32)'),
            "free",
            "(i32, i32) -> ()",
        ),
    ],
)
def test_mistyped_allocator_names_the_service(
    cache_dir: Path, alloc: str, export: str, actual: str
) -> None:
    err = _load_greeter(greeter(VERSION.format(v=1), SAY_HELLO, alloc=alloc), cache_dir)
    assert (err.export, err.service, err.actual) == (export, "greeting.Greeter", actual)


def test_version_mismatch_comes_before_method_checks(cache_dir: Path) -> None:
    """go-plugin's order: a plugin of another API version is reported as that, even if (as is likely)
    its methods differ too."""
    with pytest.raises(
        wasmplug.VersionMismatchError, match="^API version mismatch, host: 1, plugin: 2$"
    ):
        GreeterPlugin(config=config(cache_dir)).load(greeter(VERSION.format(v=2)))


def test_well_typed_guest_loads(cache_dir: Path) -> None:
    with GreeterPlugin(config=config(cache_dir)).load(
        greeter(VERSION.format(v=1), SAY_HELLO)
    ) as client:
        assert client.plugin.instances == 1


def test_plugin_load_without_exports_checks_only_the_abi(cache_dir: Path) -> None:
    """`Plugin.load` alone knows no service: a method is checked at its first call, as before."""
    mistyped = '(func (export "greeter_say_hello") (param i32) (result i32) i32.const 0)'
    with wasmplug.Plugin.load(
        greeter(VERSION.format(v=1), mistyped), config=config(cache_dir)
    ) as p:
        with pytest.raises(wasmplug.ExportError, match="expected") as info:
            p.call_bytes("greeter_say_hello", b"")
        assert info.value.service == ""


def test_service_exports_table() -> None:
    exports = GreeterPlugin.EXPORTS
    assert exports == wasmplug.ServiceExports(
        "greeting.Greeter", "greeter_api_version", 1, ["greeter_say_hello"]
    )
    assert exports.signatures() == {
        "greeter_api_version": ((), ("i64",)),
        "greeter_say_hello": (("i32", "i32"), ("i64",)),
    }
