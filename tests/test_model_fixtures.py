"""Shared helpers for the model tests: a small real world, baseline schedules and reform events (no tests here)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from simulator.scenario.taxonomy import DataCategory, Regime
from simulator.world.baseline import baseline_state
from simulator.world.loader import load_world
from simulator.world.policy import PolicyEvent, PolicySchedule, PolicyState, regime_code
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


def schedule(state: PolicyState, events: tuple[PolicyEvent, ...] = (), horizon: int = 20) -> PolicySchedule:
    return PolicySchedule(initial=state, events=tuple(sorted(events, key=lambda e: e.step)), horizon=horizon)


def regime_events(
    world: World,
    iso3: str,
    regime: Regime,
    step: int = 1,
    sectors: tuple[str, ...] | None = None,
    categories: tuple[DataCategory, ...] | None = None,
) -> tuple[PolicyEvent, ...]:
    """Events setting ``iso3``'s regime to ``regime`` for the given sectors and categories (default: all)."""
    c = world.index_of(iso3)
    secs = sectors or tuple(world.sector_codes)
    cats = categories or CATEGORIES
    return tuple(
        PolicyEvent(step, c, "regime", (CATEGORIES.index(k), world.sector_codes.index(s)), regime_code(regime))
        for k in cats
        for s in secs
    )


def pair_events(world: World, members: list[str], field: str, value: float, step: int = 1) -> tuple[PolicyEvent, ...]:
    """Events setting a (c, c) field to ``value`` between every ordered pair of distinct ``members``."""
    idx = [world.index_of(m) for m in members]
    return tuple(PolicyEvent(step, a, field, (b,), value) for a in idx for b in idx if a != b)


def world_value(df, metric: str, level: str = "world", group: str = "world", step: int | None = None) -> float:
    sel = df[(df["metric"] == metric) & (df["level"] == level) & (df["group"] == group)]
    if step is None:
        step = int(sel["step"].max())
    return float(sel.loc[sel["step"] == step, "value"].iloc[0])


def mean_over_steps(df, metric: str, level: str, group: str, start: int) -> float:
    sel = df[(df["metric"] == metric) & (df["level"] == level) & (df["group"] == group) & (df["step"] >= start)]
    return float(np.nanmean(sel["value"].to_numpy(dtype=float)))
