from __future__ import annotations

import importlib.resources
import stat
from pathlib import Path

import pytest
from wasmplug_codegen.cli import main

TEMPLATE = importlib.resources.files("wasmplug_codegen.cli") / "template"
LAYOUT = [
    "pants.toml",
    "BUILD",
    ".gitignore",
    "pants",
    "build-support/bootstrap.sh",
    "3rdparty/python/requirements.txt",
    "src/proto/greeting/greeting.proto",
    "src/proto/greeting/BUILD",
    "src/go/plugins/hello/main.go",
    "src/go/plugins/hello/BUILD",
    "src/python/app/main.py",
    "src/python/app/BUILD",
    "tests/app_test.py",
    "tests/BUILD",
]


def wheels(directory: Path, *names: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_bytes(f"wheel {name}".encode())
    return directory


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    return wheels(
        tmp_path / "dist",
        "wasmplug-0.2.0-py3-none-any.whl",
        "wasmplug_codegen-0.2.0-py3-none-any.whl",
        "pants_backend_wasmplug-0.2.0-py3-none-any.whl",
        "wasmplug-0.1.0-py3-none-any.whl",
    )


@pytest.mark.parametrize("path", ["pants", "build-support/bootstrap.sh"])
def test_launcher_is_this_repos_own(path: str) -> None:
    # One recipe: the new repo's ./pants and bootstrap.sh are this repo's, byte for byte.
    assert (TEMPLATE / path).read_bytes() == Path(
        path
    ).read_bytes(), (
        f"src/python/wasmplug_codegen/cli/template/{path} differs from ./{path}: copy it over"
    )


def test_writes_the_layout_and_the_wheels(tmp_path: Path, dist: Path) -> None:
    repo = tmp_path / "repo"
    assert main(["init", str(repo), "--wheels", str(dist)]) == 0

    written = sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file())
    wheel_copies = [
        "3rdparty/wheels/pants_backend_wasmplug-0.2.0-py3-none-any.whl",
        "3rdparty/wheels/wasmplug-0.2.0-py3-none-any.whl",
        "3rdparty/wheels/wasmplug_codegen-0.2.0-py3-none-any.whl",
    ]
    assert written == sorted(LAYOUT + wheel_copies)
    for copy in wheel_copies:
        assert (repo / copy).read_bytes() == (dist / Path(copy).name).read_bytes()
    for script in ("pants", "build-support/bootstrap.sh"):
        assert (repo / script).stat().st_mode & stat.S_IXUSR
    assert 'plugins = ["pants-backend-wasmplug==0.2.0"]' in (repo / "pants.toml").read_text()
    assert (repo / "3rdparty/python/requirements.txt").read_text().startswith("wasmplug==0.2.0\n")
    for path in LAYOUT:
        assert b"@WASMPLUG_VERSION@" not in (repo / path).read_bytes(), path


def test_takes_the_newest_complete_version(tmp_path: Path, dist: Path) -> None:
    # 0.10.0 is newer than 0.2.0; 0.11.0 lacks the backend's wheel.
    wheels(
        dist,
        "wasmplug-0.10.0-py3-none-any.whl",
        "pants_backend_wasmplug-0.10.0-py3-none-any.whl",
        "wasmplug-0.11.0-py3-none-any.whl",
    )
    assert main(["init", str(tmp_path / "repo"), "--wheels", str(dist)]) == 0
    assert "==0.10.0" in (tmp_path / "repo/pants.toml").read_text()
    assert sorted(p.name for p in (tmp_path / "repo/3rdparty/wheels").iterdir()) == [
        "pants_backend_wasmplug-0.10.0-py3-none-any.whl",
        "wasmplug-0.10.0-py3-none-any.whl",
    ]


def test_never_overwrites(tmp_path: Path, dist: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    (repo / "src/python/app").mkdir(parents=True)
    (repo / "src/python/app/main.py").write_text("mine")
    assert main(["init", str(repo), "--wheels", str(dist)]) == 1
    assert f"{repo}/src/python/app/main.py already exist" in capsys.readouterr().err
    assert (repo / "src/python/app/main.py").read_text() == "mine"
    assert not (repo / "pants.toml").exists()


def test_names_the_wheel_directory_without_wheels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    only_runtime = wheels(tmp_path / "w", "wasmplug-0.2.0-py3-none-any.whl")
    assert main(["init", str(tmp_path / "repo"), "--wheels", str(only_runtime)]) == 1
    err = capsys.readouterr().err
    assert f"--wheels {only_runtime}: no version with all of" in err
    assert "pants_backend_wasmplug-*.whl" in err and "wasmplug-0.2.0-py3-none-any.whl" in err

    assert main(["init", str(tmp_path / "repo"), "--wheels", str(tmp_path / "nowhere")]) == 1
    assert f"--wheels {tmp_path / 'nowhere'}: not a directory" in capsys.readouterr().err
