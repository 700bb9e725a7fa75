"""Provenance of a run: versions of the packages that shape the numbers, data checksums, seed entropy."""

from __future__ import annotations

import platform
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

TRACKED_PACKAGES: tuple[str, ...] = ("dlsim", "mesa", "numpy", "scipy", "pandas", "networkx", "pyarrow", "pydantic")
"""Packages whose version is recorded in every manifest."""


def package_versions() -> dict[str, str]:
    """Return the installed version of every tracked package (``"not installed"`` when absent)."""
    out: dict[str, str] = {}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def environment() -> dict[str, str]:
    """Return the Python version, platform and the time the record was made (UTC, ISO 8601)."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def seed_record(seed: int | np.random.SeedSequence) -> dict[str, object]:
    """Return what is needed to recreate the run's random stream: the entropy and spawn key of its seed sequence."""
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return {"entropy": int(seq.entropy), "spawn_key": [int(k) for k in seq.spawn_key]}


def scenario_record(scenario: Any) -> dict[str, Any]:
    """Return the resolved scenario as plain JSON-able data: header, chain, settings and every merged item.

    Each item carries ``origin`` (``file:line key.path``) so a manifest says where every rule came from.
    """
    from simulator.scenario.schema import LIST_SECTIONS

    def dump(model: Any) -> Any:
        return model.model_dump(mode="json", exclude_none=True) if hasattr(model, "model_dump") else model

    record: dict[str, Any] = {
        "name": scenario.name,
        "path": str(scenario.path),
        "chain": [str(p) for p in scenario.chain],
        "header": dump(scenario.header),
        "timeline": dump(scenario.timeline),
        "run": dump(scenario.run),
        "parameter_overrides": dict(scenario.parameters),
        "groups": {name: dump(s.item) for name, s in scenario.groups.items()},
    }
    for section in LIST_SECTIONS:
        record[section] = [{"origin": s.origin.label, **dump(s.item)} for s in getattr(scenario, section)]
    return record
