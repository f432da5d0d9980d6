"""A session-wide real registry (see registry.py) and the test plugin pushed to it."""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterator
from pathlib import Path

import pytest
from oci.registry import Registry


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with Registry(tmp_path_factory.mktemp("registry")) as reg:
        yield reg


@pytest.fixture
def own_registry(tmp_path: Path) -> Iterator[Registry]:
    """A registry of the test's own, which the test may stop."""
    with Registry(tmp_path / "own-registry") as reg:
        yield reg


@pytest.fixture(scope="session")
def plugin_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The greeting plugin built on the Go SDK (tests/guests/sdk), as a file."""
    wasm = importlib.resources.files("guests.sdk") / "sdk.wasm"
    path = tmp_path_factory.mktemp("plugin") / "greeter.wasm"
    path.write_bytes(wasm.read_bytes())
    return path
