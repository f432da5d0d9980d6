"""Fixtures of the reliability tests (their helpers are in support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("wasmplug-cache")
    d.chmod(0o700)
    return d
