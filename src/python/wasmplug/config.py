"""Per-plugin configuration (what the sandbox grants, limits, pool and cache settings)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import IO, Literal, Union

Stream = Union[IO[str], IO[bytes]]


@dataclasses.dataclass(frozen=True)
class Preopen:
    """A host directory visible to the plugin at `guest_path` (read-only unless asked otherwise)."""

    host_path: Union[str, "os.PathLike[str]"]
    guest_path: str
    read_only: bool = True


def _default_instances() -> int:
    return os.cpu_count() or 1


@dataclasses.dataclass(frozen=True)
class PluginConfig:
    """Everything a plugin is allowed and limited to. The default grants nothing but discarded stdout/stderr."""

    stdout: Stream | None = None
    stderr: Stream | None = None
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)
    args: Sequence[str] = ()
    preopens: Sequence[Preopen] = ()
    memory_limit: int | None = None
    timeout: float | None = None
    fuel: int | None = None
    max_instances: int = dataclasses.field(default_factory=_default_instances)
    fresh_instance_per_call: bool = False
    cache_dir: Union[str, "os.PathLike[str]", None, Literal[False]] = None

    def __post_init__(self) -> None:
        if self.max_instances < 1:
            raise ValueError("max_instances must be >= 1")
        if self.memory_limit is not None and self.memory_limit <= 0:
            raise ValueError("memory_limit must be positive")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if self.fuel is not None and self.fuel <= 0:
            raise ValueError("fuel must be positive")
