"""Baseline calibration targets (``docs/evidence.md``) and runs that measure them, alone or over a grid of parameters.

The targets are read from a run's tidy metrics at its last step; ``measure`` runs the status-quo baseline of a world
for several seeds, and ``grid`` repeats that for each value of one parameter. ``tests/test_model_calibration.py``
checks the defaults against ``TARGETS``; ``dlsim calibrate`` shows the same numbers, so that a re-fit can be
reproduced from the repository.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.model import DataFlowModel
from simulator.world import PolicySchedule, World
from simulator.world.baseline import baseline_state


@dataclass(frozen=True)
class Target:
    """One published figure the baseline must reproduce.

    Attributes:
        name: Identifier (a column of ``measure``'s result).
        figure: The published figure, as text.
        low: Lower end of the tolerance band (percent).
        high: Upper end of the tolerance band (percent).
        source: Where the figure comes from.
    """

    name: str
    figure: str
    low: float
    high: float
    source: str


TARGETS: tuple[Target, ...] = (
    Target("africa_dds_share", "Africa ≈ 1 % of world DDS exports", 0.5, 2.0, "WTO 2023 (docs/evidence.md, S)"),
    Target("lac_dds_share", "LAC ≈ 2 % of world DDS exports", 1.0, 4.0, "WTO 2023 (docs/evidence.md, S)"),
    Target("intra_africa_share", "intra-African share of African exports ≈ 15–18 %", 12.0, 22.0, "Afreximbank (S)"),
    Target(
        "data_management_share",
        "data-management costs ≈ 11 % of costs (firms facing a rule)",
        7.0,
        15.0,
        "OECD–WTO 2025 (V)",
    ),
)
"""The baseline calibration targets with their tolerance bands in percent (docs/evidence.md; the history of the
bands: docs/history.md, Calibration)."""

DEFAULT_SEEDS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)
"""Seeds of the calibration runs: the mean over them is compared with the bands."""
DEFAULT_FIRMS = 5000
"""Firms per calibration run."""
DEFAULT_STEPS = 8
"""Steps per calibration run (two years of 0.25)."""


def _last(df: pd.DataFrame, metric: str, level: str, group: str) -> float:
    sel = df[(df["metric"] == metric) & (df["level"] == level) & (df["group"] == group)]
    if sel.empty:
        return float("nan")
    return float(sel.loc[sel["step"] == sel["step"].max(), "value"].iloc[0])


def target_values(metrics: pd.DataFrame) -> dict[str, float]:
    """Return each target's value (percent) at the last collected step of a run's tidy metrics.

    Args:
        metrics: Tidy metrics (``step, metric, level, group, value``) of one run of the full world.
    """
    flows = metrics[(metrics["metric"] == "region_flow") & (metrics["level"] == "region_pair")]
    regions = sorted({g.split(">")[1] for g in flows["group"].unique() if g.startswith("AFR>")})
    afr_out = sum(_last(metrics, "region_flow", "region_pair", f"AFR>{r}") for r in regions)
    intra = _last(metrics, "region_flow", "region_pair", "AFR>AFR")
    return {
        "africa_dds_share": 100 * _last(metrics, "dds_export_share_of_world", "region", "AFR"),
        "lac_dds_share": 100 * _last(metrics, "dds_export_share_of_world", "region", "LAC"),
        "intra_africa_share": 100 * intra / afr_out if afr_out > 0 else float("nan"),
        "data_management_share": 100 * _last(metrics, "data_management_cost_share", "world", "world"),
    }


def measure(
    world: World,
    params: Mapping[str, float] | None = None,
    seeds: Iterable[int] = DEFAULT_SEEDS,
    n_firms: int = DEFAULT_FIRMS,
    n_steps: int = DEFAULT_STEPS,
) -> pd.DataFrame:
    """Run the status-quo baseline once per seed and return the targets, one row per seed.

    Args:
        world: The world (the full world for the published targets).
        params: Parameter overrides (defaults elsewhere).
        seeds: Seeds, one run each.
        n_firms: Firms per run.
        n_steps: Steps per run.

    Returns:
        A frame with a ``seed`` column and one column per target (percent).
    """
    schedule = PolicySchedule(initial=baseline_state(world), events=(), horizon=n_steps)
    rows = []
    for seed in seeds:
        model = DataFlowModel(world, schedule, params=params, n_firms=n_firms, rng=seed).run(n_steps)
        rows.append({"seed": seed, **target_values(model.metrics_frame())})
    return pd.DataFrame(rows)


def summarise(runs: pd.DataFrame, value: float = float("nan")) -> pd.DataFrame:
    """Summarise ``measure``'s runs per target: ``value, target, mean, min, max, low, high, inside``.

    Args:
        runs: One row per seed, one column per target (``measure``'s result).
        value: The value of the varied parameter, recorded in the ``value`` column (NaN at the defaults).
    """
    out = []
    for t in TARGETS:
        v = runs[t.name].to_numpy(dtype=float)
        mean = float(np.mean(v))
        out.append(
            {
                "value": value,
                "target": t.name,
                "mean": mean,
                "min": float(np.min(v)),
                "max": float(np.max(v)),
                "low": t.low,
                "high": t.high,
                "inside": bool(t.low <= mean <= t.high),
            }
        )
    return pd.DataFrame(out)


def grid(
    world: World,
    parameter: str,
    values: Sequence[float],
    params: Mapping[str, float] | None = None,
    seeds: Iterable[int] = DEFAULT_SEEDS,
    n_firms: int = DEFAULT_FIRMS,
    n_steps: int = DEFAULT_STEPS,
) -> pd.DataFrame:
    """Measure the targets for each value of one parameter; return mean, min and max over the seeds.

    Args:
        world: The world.
        parameter: Name of the parameter varied (as declared in ``simulator.scenario.parameters``).
        values: Its values.
        params: Other parameter overrides.
        seeds: Seeds, one run each per value.
        n_firms: Firms per run.
        n_steps: Steps per run.

    Returns:
        ``summarise``'s rows for every value, one after the other.
    """
    seeds = tuple(seeds)
    frames = [
        summarise(measure(world, {**(params or {}), parameter: value}, seeds, n_firms, n_steps), value)
        for value in values
    ]
    return pd.concat(frames, ignore_index=True)
