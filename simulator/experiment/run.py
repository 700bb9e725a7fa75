"""One simulation of one scenario: build the model, step it, and keep tidy results with their provenance.

``run_model`` is the pure ``run(config, seed) -> results`` of the experiment layer: it takes in-memory objects
(world, compiled policy schedule, parameter values) and returns tables; ``write_run`` stores them as Parquet with a
``manifest.json`` beside them. Reading scenario files is the caller's business (the CLI, or a study runner).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.experiment.provenance import environment, package_versions, seed_record
from simulator.model import DataFlowModel
from simulator.model.government import decisions_frame
from simulator.model.registry import describe
from simulator.world import PolicySchedule, World

ProgressCallback = Callable[[int, int], None]
"""Called after each step with (steps done, steps in all)."""

METRICS_FILE = "metrics.parquet"
FIRMS_FILE = "firms.parquet"
MANIFEST_FILE = "manifest.json"
DECISIONS_FILE = "decisions.csv"


@dataclass(frozen=True)
class RunResult:
    """The outputs of one simulation.

    Attributes:
        metrics: Tidy metrics, one row per (step, metric, level, group).
        firms: The firm table at the end of the run.
        manifest: Provenance: settings, parameters, seed, versions, data checksums, scenario record.
        decisions: The governments' policy decisions during the run (``simulator.model.government.decisions_frame``:
            which economy adopted which contingent rule at which step, and why), or ``None`` when the schedule has
            no contingent rule (nothing to decide).
    """

    metrics: pd.DataFrame
    firms: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    decisions: pd.DataFrame | None = None


def run_model(
    world: World,
    schedule: PolicySchedule,
    params: Mapping[str, float],
    *,
    n_firms: int,
    n_steps: int,
    seed: int | np.random.SeedSequence,
    progress: ProgressCallback | None = None,
    behaviours: Mapping[str, Any] | None = None,
) -> RunResult:
    """Run one simulation and return its tidy results.

    Args:
        world: The validated world.
        schedule: The compiled policy path (baseline or reform).
        params: Every model parameter by name.
        n_firms: Number of firms at the start.
        n_steps: Number of steps to simulate.
        seed: Root seed (an int or a ``SeedSequence`` child of a study's root).
        progress: Optional callback after each step.
        behaviours: Behaviour choice, kind → rule name or ``{"rule": name, "params": {...}}`` (``None``: the
            defaults); ``simulator.experiment.behaviours.scenario_behaviours`` reads it from a scenario.

    Returns:
        Metrics, the final firm table and a manifest with everything needed to reproduce the run.
    """
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    chosen = describe(behaviours)  # checked before the model is built (raises BehaviourError)
    model = DataFlowModel(world, schedule, params=dict(params), n_firms=n_firms, rng=seq, behaviours=behaviours)
    for done in range(1, n_steps + 1):
        model.step()
        if progress is not None:
            progress(done, n_steps)
    manifest = {
        "settings": {"firms": int(n_firms), "steps": int(n_steps)},
        "seed": seed_record(seq),
        "parameters": {k: float(v) for k, v in params.items()},
        "behaviours": chosen,
        "timeline": {"start_year": schedule.start_year, "step_years": schedule.step_years},
        "data_checksums": dict(world.checksums),
        "economies": world.iso3,
        "sectors": world.sector_codes,
        "versions": package_versions(),
        "environment": environment(),
    }
    decisions = decisions_frame(model.governments) if schedule.contingent else None
    if decisions is not None:
        manifest["decisions"] = {"file": DECISIONS_FILE, "adoptions": len(decisions)}
    return RunResult(metrics=model.metrics_frame(), firms=model.firms_frame(), manifest=manifest, decisions=decisions)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def write_run(result: RunResult, out_dir: Path | str) -> dict[str, Path]:
    """Write the results of one run into ``out_dir`` (created if needed).

    Files: ``metrics.parquet`` and ``firms.parquet`` (tidy tables, pyarrow), ``manifest.json``, and
    ``decisions.csv`` (the governments' policy decisions) when the run has any to record.

    Returns:
        The paths written, by kind.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"metrics": out / METRICS_FILE, "firms": out / FIRMS_FILE, "manifest": out / MANIFEST_FILE}
    result.metrics.to_parquet(paths["metrics"], index=False)
    result.firms.to_parquet(paths["firms"], index=False)
    paths["manifest"].write_text(json.dumps(_jsonable(result.manifest), indent=2) + "\n", encoding="utf-8")
    if result.decisions is not None:
        paths["decisions"] = out / DECISIONS_FILE
        result.decisions.to_csv(paths["decisions"], index=False)
    return paths


def read_run(out_dir: Path | str) -> RunResult:
    """Read back what ``write_run`` wrote."""
    out = Path(out_dir)
    return RunResult(
        metrics=pd.read_parquet(out / METRICS_FILE),
        firms=pd.read_parquet(out / FIRMS_FILE),
        manifest=json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8")),
        decisions=pd.read_csv(out / DECISIONS_FILE, keep_default_na=False) if (out / DECISIONS_FILE).exists() else None,
    )
