"""Per-plugin configuration (what the sandbox grants, limits, pool and cache settings).

The classes are small immutable value types written out by hand rather than frozen dataclasses: importing
`dataclasses` (and the `inspect`, `ast`, `dis` it pulls in) costs ~5 ms of a fresh process's startup.
They behave like frozen dataclasses: keyword or positional construction, `==`, `hash`, `repr`, copy and
pickle; assigning to a field raises AttributeError; `replace(**changes)` makes a changed copy.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import IO, Any, Literal, TypeVar, Union

Stream = Union[IO[str], IO[bytes]]
_F = TypeVar("_F", bound="Frozen")


class Frozen:
    """Base of the immutable value classes: the fields are the `__slots__`, set once by `__init__`."""

    __slots__: tuple[str, ...] = ()

    def _init(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(
            f"cannot assign to field {name!r} of an immutable {type(self).__name__}"
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of an immutable {type(self).__name__}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__ or not isinstance(other, Frozen):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), self._values()

    def replace(self: _F, **changes: Any) -> _F:
        """A copy with `changes` applied (like `dataclasses.replace`)."""
        values = dict(zip(self.__slots__, self._values()))
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(sorted(unknown))}")
        values.update(changes)
        return type(self)(**values)


class Preopen(Frozen):
    """A host directory visible to the plugin at `guest_path` (read-only unless asked otherwise)."""

    __slots__ = ("host_path", "guest_path", "read_only")
    host_path: Union[str, "os.PathLike[str]"]
    guest_path: str
    read_only: bool

    def __init__(
        self, host_path: Union[str, "os.PathLike[str]"], guest_path: str, read_only: bool = True
    ) -> None:
        self._init(host_path=host_path, guest_path=guest_path, read_only=read_only)


class PluginConfig(Frozen):
    """Everything a plugin is allowed and limited to. The default grants nothing but discarded stdout/stderr."""

    __slots__ = (
        "stdout",
        "stderr",
        "env",
        "args",
        "preopens",
        "memory_limit",
        "timeout",
        "fuel",
        "max_instances",
        "fresh_instance_per_call",
        "cache_dir",
        "cache_max_bytes",
        "max_module_bytes",
    )
    stdout: Stream | None
    stderr: Stream | None
    env: Mapping[str, str]
    args: Sequence[str]
    preopens: Sequence[Preopen]
    memory_limit: int | None
    timeout: float | None
    fuel: int | None
    max_instances: int
    fresh_instance_per_call: bool
    cache_dir: Union[str, "os.PathLike[str]", None, Literal[False]]
    cache_max_bytes: int
    max_module_bytes: int

    def __init__(
        self,
        stdout: Stream | None = None,
        stderr: Stream | None = None,
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
        preopens: Sequence[Preopen] = (),
        memory_limit: int | None = None,
        timeout: float | None = None,
        fuel: int | None = None,
        max_instances: int | None = None,
        fresh_instance_per_call: bool = False,
        cache_dir: Union[str, "os.PathLike[str]", None, Literal[False]] = None,
        cache_max_bytes: int = 1 << 30,
        max_module_bytes: int = 256 << 20,
    ) -> None:
        if max_instances is None:
            max_instances = os.cpu_count() or 1
        if max_instances < 1:
            raise ValueError("max_instances must be >= 1")
        if memory_limit is not None and memory_limit <= 0:
            raise ValueError("memory_limit must be positive")
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be positive")
        if fuel is not None and fuel <= 0:
            raise ValueError("fuel must be positive")
        if cache_max_bytes <= 0:
            raise ValueError("cache_max_bytes must be positive")
        if max_module_bytes <= 0:
            raise ValueError("max_module_bytes must be positive")
        self._init(
            stdout=stdout,
            stderr=stderr,
            env={} if env is None else env,
            args=args,
            preopens=preopens,
            memory_limit=memory_limit,
            timeout=timeout,
            fuel=fuel,
            max_instances=max_instances,
            fresh_instance_per_call=fresh_instance_per_call,
            cache_dir=cache_dir,
            cache_max_bytes=cache_max_bytes,
            max_module_bytes=max_module_bytes,
        )


Signature = tuple[
    tuple[str, ...], tuple[str, ...]
]  # (params, results), e.g. (("i32", "i32"), ("i64",))
_METHOD: Signature = (("i32", "i32"), ("i64",))
_VERSION: Signature = ((), ("i64",))


class ServiceExports(Frozen):
    """What a generated loader requires of a plugin of one service, checked by `Plugin.load`.

    `name` is the service's full protobuf name (it names the service in errors); `version_export` the
    `<svc>_api_version` export, which must return `version`; `methods` the `<svc>_<method>` exports.
    """

    __slots__ = ("name", "version_export", "version", "methods")
    name: str
    version_export: str
    version: int
    methods: tuple[str, ...]

    def __init__(
        self, name: str, version_export: str, version: int, methods: Sequence[str]
    ) -> None:
        self._init(
            name=name, version_export=version_export, version=version, methods=tuple(methods)
        )

    def signatures(self) -> dict[str, Signature]:
        """Each export's required (params, results): the ABI's `() -> i64` and `(i32, i32) -> i64`."""
        table = {self.version_export: _VERSION}
        table.update((m, _METHOD) for m in self.methods)
        return table
