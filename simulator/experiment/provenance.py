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
    """Return the Python version, platform, how the kernels ran and the time the record was made (UTC, ISO 8601).

    ``kernels`` is ``"uncompiled (DLSIM_NO_JIT)"`` for a run made with the no-compile switch (its last bits may
    differ from a compiled run's), else ``"compiled"``.
    """
    from simulator.model import numerics

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "kernels": f"uncompiled ({numerics.NO_JIT_VARIABLE})" if numerics.NO_JIT else "compiled",
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
    chosen = getattr(scenario, "behaviours", None)
    if chosen:  # only when the scenario chooses behaviours (older records stay as they were)
        record["behaviours"] = {
            kind: {"rule": c.rule, "params": dict(c.params), "origin": c.origin.label} for kind, c in chosen.items()
        }
    return record


MODEL_SOURCES: tuple[str, ...] = (
    "model",
    "world",
    "scenario",
    "experiment/tasks.py",
    "experiment/grouping.py",
    "experiment/channels.py",
)
"""Parts of the package (under ``simulator/``) whose source decides the numbers of a run (``model_checksum``)."""


def model_checksum() -> str:
    """SHA-256 of the source of every module that decides a run's numbers (model, world, scenario, run tasks).

    Two results folders with the same checksum, data checksums and settings were computed by the same code and
    calibration (the parameter defaults live in ``simulator/scenario/parameters.py``).
    """
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    files: list[Path] = []
    for part in MODEL_SOURCES:
        path = root / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def git_state() -> dict[str, object]:
    """The git commit of the source tree and whether it has uncommitted changes (``None`` outside a checkout)."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit.strip(), "dirty": bool(status and status.strip())}


def study_versions() -> dict[str, str]:
    """``package_versions`` plus the executor packages (dask, distributed)."""
    out = package_versions()
    for name in ("numba", "dask", "distributed", "SALib"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def calibration_record(calibration: Any = None) -> dict[str, Any]:
    """The calibration a study runs with: every parameter's default and their SHA-256 (``manifest["calibration"]``).

    The declared defaults live in ``simulator/scenario/parameters.py`` (so ``model_checksum`` changes with them too);
    the world's fitted values (``World.calibration``, from ``data/calibration.yaml``) replace them. Recording them
    lets a check say which parameters moved.

    Args:
        calibration: The world's fitted values (``None`` or empty: the declared defaults alone).
    """
    import hashlib
    import json

    from simulator.scenario.parameters import PARAMETERS

    defaults = {name: float(value) for name, value in {**PARAMETERS.defaults(), **(calibration or {})}.items()}
    digest = hashlib.sha256(json.dumps(defaults, sort_keys=True).encode()).hexdigest()
    return {"checksum": digest, "defaults": defaults}


def file_checksums(names: Any, data_dir: Any = None) -> dict[str, str | None]:
    """SHA-256 of each named file in ``data_dir`` (default: the project's ``data/``), ``None`` for a missing file."""
    import hashlib
    from pathlib import Path

    from simulator.world.loader import default_data_dir

    root = Path(data_dir) if data_dir is not None else default_data_dir()
    out: dict[str, str | None] = {}
    for name in names:
        path = root / str(name)
        try:
            out[str(name)] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            out[str(name)] = None
    return out


def _short(value: Any) -> str:
    return f"{str(value)[:12]}…" if value else "none recorded"


def version_differences(manifest: dict[str, Any], data_dir: Any = None) -> list[str]:
    """How a results folder's manifest differs from the code, data and calibration installed now, in words.

    Compares the manifest's ``model_checksum`` with ``model_checksum()``, its ``data_checksums`` with the files of
    the same names in ``data_dir`` (default: the project's ``data/``) and, when recorded, its ``calibration``
    defaults with the current parameter defaults under ``data_dir``'s calibration file (this names the parameters
    that moved). Empty when everything agrees.

    Args:
        manifest: A study's ``manifest.json``.
        data_dir: The data folder to compare with (the one the study was run with, if not the default).

    Returns:
        One phrase per difference, e.g. ``"model version (model checksum 1a2b… in the folder, 3c4d… now)"``.
    """
    out: list[str] = []
    old_model, new_model = manifest.get("model_checksum"), model_checksum()
    if old_model != new_model:
        out.append(f"model version (model checksum {_short(old_model)} in the folder, {_short(new_model)} now)")
    old_data = manifest.get("data_checksums")
    if not isinstance(old_data, dict) or not old_data:
        out.append("data set (no data checksums recorded in the folder)")
    else:
        now = file_checksums(old_data, data_dir)
        changed = [name for name, digest in old_data.items() if now.get(name) != digest]
        if changed:
            missing = [n for n in changed if now.get(n) is None]
            words = ", ".join(f"{n} (missing now)" if n in missing else n for n in changed)
            out.append(f"data set (data checksums differ: {words})")
    old_cal = manifest.get("calibration")
    if isinstance(old_cal, dict) and isinstance(old_cal.get("defaults"), dict):
        from simulator.world.loader import shipped_calibration

        new_cal = calibration_record(shipped_calibration(data_dir))
        if old_cal.get("checksum") != new_cal["checksum"]:
            before, after = old_cal["defaults"], new_cal["defaults"]
            moved = [
                f"{n} {before.get(n, 'absent')} → {after.get(n, 'absent')}"
                for n in sorted(set(before) | set(after))
                if before.get(n) != after.get(n)
            ]
            shown = "; ".join(moved[:5]) + (f"; and {len(moved) - 5} more" if len(moved) > 5 else "")
            out.append(f"calibration (parameter defaults differ: {shown or 'checksum only'})")
    return out
