"""Shared helpers of the closure and gains-from-trade tests: paired runs on the shipped world at shipped defaults."""

from __future__ import annotations

import copy
import dataclasses
from functools import lru_cache

import numpy as np
import pandas as pd

from simulator.model import DataFlowModel
from simulator.model.costs import COL
from simulator.scenario.loader import load_scenario
from simulator.world import load_world
from simulator.world.compile import compile_scenario, vocabulary

PROHIBITIVE_TAU = 1e6
"""Iceberg cost on every cross-border link in the prohibitive-trade-cost counterfactual (offers ∝ τ^(1−σ) ≈ 0)."""


@lru_cache(maxsize=1)
def shipped_world():
    return load_world()


@lru_cache(maxsize=8)
def shipped_schedule(name: str):
    world = shipped_world()
    return compile_scenario(world, load_scenario(f"scenarios/{name}.yaml", vocabulary(world)))


def prohibit_trade(model: DataFlowModel) -> None:
    """Make every cross-border link prohibitively costly from now on (τ = ``PROHIBITIVE_TAU`` for o ≠ d), in place."""
    c = model.costs
    n_c, _, n_s = c.tau.shape
    packed = c.packed.copy()
    origin = np.repeat(np.arange(n_c), n_c * n_s)
    dest = np.tile(np.repeat(np.arange(n_c), n_s), n_c)
    packed[origin != dest, COL["tau"]] = PROHIBITIVE_TAU
    tau = c.tau.copy()
    tau[~np.eye(n_c, dtype=bool)] = PROHIBITIVE_TAU
    model.costs = dataclasses.replace(c, packed=packed, tau=tau)


def paired_real_income(
    reform: str, firms: int, reps: int, steps: int, window: int, branch_step: int = 8, seed0: int = 7000
) -> pd.DataFrame:
    """% change of real income (reform vs baseline) per replicate, mean over the last ``window`` of ``steps`` steps.

    ``reform`` is a shipped scenario name, or ``"prohibitive"``: the baseline run is copied at ``branch_step`` and
    the copy faces prohibitive trade costs from then on. Returns one column per replicate, rows (level, group) for
    the world, regions and economies.
    """
    world = shipped_world()
    base = shipped_schedule("baseline")
    out = []
    for r in range(reps):
        seed = np.random.SeedSequence(seed0 + r)
        b = DataFlowModel(world, base, n_firms=firms, rng=seed)
        if reform == "prohibitive":
            b.run(branch_step)
            m = copy.deepcopy(b)
            prohibit_trade(m)
            b.run(steps - branch_step)
            m.run(steps - branch_step)
        else:
            b.run(steps)
            m = DataFlowModel(world, shipped_schedule(reform), n_firms=firms, rng=seed).run(steps)
        vals = []
        for model in (b, m):
            df = model.metrics_frame()
            sel = df[(df.metric == "real_income") & (df.step > steps - window)]
            vals.append(sel.groupby(["level", "group"], observed=True)["value"].mean())
        out.append(100.0 * (vals[1] / vals[0] - 1.0))
    return pd.concat(out, axis=1)


def t_interval(tab: pd.DataFrame) -> pd.DataFrame:
    """Mean and two-sided 95 % t interval of each row's paired differences."""
    from scipy import stats

    n = tab.shape[1]
    mean = tab.mean(axis=1)
    half = stats.t.ppf(0.975, n - 1) * tab.std(axis=1, ddof=1) / np.sqrt(n)
    return pd.DataFrame({"mean": mean, "lo": mean - half, "hi": mean + half})
