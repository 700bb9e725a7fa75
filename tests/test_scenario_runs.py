"""Every shipped scenario runs through the model, and every reform reaches it (differs from the baseline)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.model import simulate
from simulator.scenario.loader import load_scenario
from simulator.world import load_world
from simulator.world.compile import compile_scenario, vocabulary

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
FIRMS = 600
SEED = 11


@pytest.fixture(scope="module")
def world():
    return load_world()


def run(world, path: Path) -> pd.DataFrame:
    scenario = load_scenario(path, vocabulary(world), run_overrides={"firms": FIRMS})
    schedule = compile_scenario(world, scenario)
    return simulate(
        world,
        schedule,
        scenario.parameter_values(world.calibration),
        n_firms=FIRMS,
        n_steps=scenario.run.steps,
        seed=SEED,
    )


def world_at_end(metrics: pd.DataFrame) -> pd.Series:
    end = metrics[(metrics["level"] == "world") & (metrics["step"] == metrics["step"].max())]
    return end.set_index("metric")["value"]


@pytest.fixture(scope="module")
def baseline(world) -> pd.Series:
    return world_at_end(run(world, next(p for p in SCENARIOS if p.stem == "baseline")))


@pytest.mark.parametrize("path", [p for p in SCENARIOS if p.stem != "baseline"], ids=lambda p: p.stem)
def test_reform_runs_and_differs_from_baseline(world, baseline, path: Path) -> None:
    metrics = run(world, path)
    # Ratios are undefined (NaN) for a group with a zero denominator (an economy without exporters, or no firm
    # facing any rule under "no rules"); never infinite, and the world's totals are always defined.
    assert not np.isinf(metrics["value"]).any()
    totals = metrics[(metrics["level"] == "world") & metrics["metric"].isin(["output", "exports", "firm_count"])]
    assert len(totals) and np.isfinite(totals["value"]).all()
    end = world_at_end(metrics)
    common = baseline.index.intersection(end.index)
    changed = ~np.isclose(end[common], baseline[common], rtol=1e-9, atol=0.0)
    assert changed.any(), f"{path.stem} gives exactly the baseline: its levers do not reach the model"


def test_data_autarky_cuts_cross_border_sales(world, baseline) -> None:
    end = world_at_end(run(world, next(p for p in SCENARIOS if p.stem == "data_autarky")))
    assert end["cross_border_share"] < baseline["cross_border_share"]
