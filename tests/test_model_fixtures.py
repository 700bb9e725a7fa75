"""Shared helpers for the model tests: a small real world, baseline schedules and reform events (no tests here)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from simulator.experiment.validation import pair_events, regime_events, schedule  # noqa: F401 (re-exported for the tests)
from simulator.scenario.taxonomy import DataCategory, Regime
from simulator.world.baseline import baseline_state
from simulator.world.loader import load_world
from simulator.world.policy import PolicyState, regime_code
from simulator.world.world import World

SMALL = ("BRA", "ARG", "MEX", "CHL", "KEN", "NGA", "ZAF", "EGY", "GHA", "RWA", "USA", "EUU", "CHN", "IND")
CATEGORIES = tuple(DataCategory)


@lru_cache(maxsize=1)
def full_world() -> World:
    return load_world()


@lru_cache(maxsize=1)
def small_world() -> World:
    return full_world().subset(list(SMALL))


def open_state(world: World) -> PolicyState:
    """Baseline state with every regime set to ``open`` and no waivers (a clean slate for mechanism tests)."""
    st = baseline_state(world).copy()
    st.regime[:] = regime_code(Regime.OPEN)
    st.transfer_waiver[:] = 0.0
    st.localisation_waiver[:] = 0.0
    st.ban_waiver[:] = 0.0
    return st


def world_value(df, metric: str, level: str = "world", group: str = "world", step: int | None = None) -> float:
    sel = df[(df["metric"] == metric) & (df["level"] == level) & (df["group"] == group)]
    if step is None:
        step = int(sel["step"].max())
    return float(sel.loc[sel["step"] == step, "value"].iloc[0])


def mean_over_steps(df, metric: str, level: str, group: str, start: int) -> float:
    sel = df[(df["metric"] == metric) & (df["level"] == level) & (df["group"] == group) & (df["step"] >= start)]
    return float(np.nanmean(sel["value"].to_numpy(dtype=float)))
