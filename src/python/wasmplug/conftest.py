"""Shared fixtures: test guests (Go plugins under tests/guests/, built by Pants `wasm_plugin` targets
or by hand) and a session-wide compile cache so each guest is compiled once per test run."""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; annotations only
    from importlib.resources.abc import Traversable


def guest_wasm(name: str) -> Traversable:
    wasm = importlib.resources.files(f"guests.{name}") / f"{name}.wasm"
    if not wasm.is_file():
        pytest.fail(f"test guest {name}.wasm is not built (tests/guests/{name})")
    return wasm


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("wasmplug-cache")
    d.chmod(0o700)
    return d


@pytest.fixture
def guest() -> Callable[[str], Traversable]:
    return guest_wasm


def _run_in_threads(worker: Callable[[int], None], n: int) -> None:
    import threading

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.fixture
def in_threads() -> Callable[[Callable[[int], None], int], None]:
    """in_threads(worker, n): run worker(0..n-1) on n threads at once and wait for all."""
    return _run_in_threads


@pytest.fixture
def host_mallocs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes host functions asked the guest's malloc for (replies that did not go to a reply buffer)."""
    from wasmplug._instance import Instance

    sizes: list[int] = []
    real = Instance.guest_malloc

    def counting(self: Instance, n: int, keep_gil: bool = False) -> int:
        if keep_gil:  # only host functions call it keeping the GIL
            sizes.append(n)
        return real(self, n, keep_gil)

    monkeypatch.setattr(Instance, "guest_malloc", counting)
    return sizes
