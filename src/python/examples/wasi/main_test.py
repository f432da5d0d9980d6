from __future__ import annotations

import io
from pathlib import Path

import pytest
import wasmplug
from examples.wasi.main import load, main
from wasi.wasi_pb2 import ReadFileRequest, WriteFileRequest


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    (tmp_path / "secret.txt").write_text("not for plugins")
    shared = tmp_path / "shared"
    (shared / "sub").mkdir(parents=True)
    (shared / "sub" / "notes.txt").write_text("allow-listed")
    return shared


def test_reads_allow_listed_file_and_mirrors_stdout(shared: Path) -> None:
    out = io.StringIO()
    with load(shared, out) as files:
        assert (
            files.read_file(ReadFileRequest(path="/data/sub/notes.txt")).content == b"allow-listed"
        )
    assert out.getvalue() == "plugin: reading /data/sub/notes.txt\nplugin: read 12 bytes\n"


@pytest.mark.parametrize(
    "path", ["{tmp}/secret.txt", "/data/../secret.txt", "/etc/passwd", "secret.txt"]
)
def test_paths_outside_the_allow_list_are_refused(shared: Path, path: str) -> None:
    with load(shared, io.StringIO()) as files:
        with pytest.raises(wasmplug.PluginError, match="open "):
            files.read_file(ReadFileRequest(path=path.format(tmp=shared.parent)))
        # The plugin carries on after the refusal.
        assert (
            files.read_file(ReadFileRequest(path="/data/sub/notes.txt")).content == b"allow-listed"
        )


def test_allow_listed_directory_is_read_only(shared: Path) -> None:
    with load(shared, io.StringIO()) as files:
        for path in ("/data/sub/notes.txt", "/data/new.txt"):
            with pytest.raises(wasmplug.PluginError):
                files.write_file(WriteFileRequest(path=path, content=b"overwritten"))
    assert sorted(p.name for p in shared.rglob("*")) == ["notes.txt", "sub"]
    assert (shared / "sub" / "notes.txt").read_text() == "allow-listed"


def test_main(capsys: pytest.CaptureFixture[str]) -> None:
    assert main() == 0
    out = capsys.readouterr().out
    assert "plugin: reading /data/hello.txt\n" in out  # the plugin's own stdout, mirrored
    assert 'host: the plugin read "hello from the host\'s disk"' in out
    assert out.count("host: refused: ") == 3
