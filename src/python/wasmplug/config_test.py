"""PluginConfig, Preopen and HostModule are immutable values (written out by hand, not dataclasses)."""

from __future__ import annotations

import copy
import pickle

import pytest
import wasmplug
from wasmplug import PluginConfig, Preopen


def test_values_compare_copy_and_pickle() -> None:
    cfg = PluginConfig(timeout=1.5, preopens=[Preopen("/host", "/data")], max_instances=3)
    assert cfg == PluginConfig(timeout=1.5, preopens=[Preopen("/host", "/data")], max_instances=3)
    assert cfg != PluginConfig(timeout=2.0, preopens=[Preopen("/host", "/data")], max_instances=3)
    assert copy.copy(cfg) == cfg and pickle.loads(pickle.dumps(cfg)) == cfg
    assert hash(Preopen("/a", "/b")) == hash(Preopen("/a", "/b", read_only=True))
    assert (
        "timeout=1.5" in repr(cfg)
        and repr(Preopen("/a", "/b")) == "Preopen(host_path='/a', guest_path='/b', read_only=True)"
    )
    assert wasmplug.HostModule("env", {}) == wasmplug.HostModule("env", {})


def test_immutable_and_replace() -> None:
    cfg = PluginConfig()
    with pytest.raises(AttributeError, match="immutable PluginConfig"):
        cfg.timeout = 1.0  # type: ignore[misc]
    changed = cfg.replace(fuel=10, timeout=0.5)
    assert (changed.fuel, changed.timeout, cfg.fuel, cfg.timeout) == (10, 0.5, None, None)
    assert cfg.env == {} and cfg.max_instances >= 1
    with pytest.raises(TypeError, match="no field"):
        cfg.replace(nope=1)


@pytest.mark.parametrize(
    "kw", [{"max_instances": 0}, {"memory_limit": 0}, {"timeout": 0}, {"fuel": -1}]
)
def test_invalid_values(kw: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        PluginConfig(**kw)  # type: ignore[arg-type]
