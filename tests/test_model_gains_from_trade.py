"""Gains from trade (model economics I, item 4): closing the world lowers real income, on the shipped world.

Paired replicates (common random numbers) at 20,000 agents and the shipped defaults; the effect is the % change of
real income (nominal income over the exact CES price index) in the mean of the last 8 of 28 quarterly steps. A
region or economy passes when the upper bound of the 95 % t interval of its paired % change is below zero.
"""

from __future__ import annotations

import numpy as np
import pytest
from closure_support import paired_real_income, shipped_schedule, shipped_world, t_interval

from simulator.model import DataFlowModel

FIRMS = 20_000
REPS = 16
STEPS = 28
WINDOW = 8


@pytest.fixture(scope="module")
def autarky():
    return t_interval(paired_real_income("data_autarky", FIRMS, REPS, STEPS, WINDOW))


@pytest.fixture(scope="module")
def prohibitive():
    return t_interval(paired_real_income("prohibitive", FIRMS, REPS, STEPS, WINDOW))


def _level(res, level):
    return res[res.index.get_level_values("level") == level]


@pytest.mark.parametrize("case", ["autarky", "prohibitive"])
def test_closing_the_world_lowers_world_real_income(case, request):
    sel = _level(request.getfixturevalue(case), "world")
    assert len(sel) == 1 and (sel["hi"] < 0).all(), sel.round(2)


def test_prohibitive_trade_costs_lower_real_income_of_every_region(prohibitive):
    """Measured (20,000 agents, 16 pairs, seeds 7000-7015, last 8 of 28 steps) with inputs' prices in unit costs
    (supply chains, ρ_in = 0.5): world -7.5 [-8.4, -6.7], AFR -19.9, EAP -3.9 [-6.1, -1.7], EUR -7.9, LAC -14.1, MEA
    -8.2, NAM -6.0, SAS -11.1. Before supply chains MEA was -0.46 [-0.96, +0.03] (an xfail): Qatar and the UAE gained
    from closing, which saved the per-market fixed export costs; dearer inputs now outweigh that saving."""
    sel = _level(prohibitive, "region")
    assert len(sel) == 7 and (sel["hi"] < 0).all(), sel.round(2)


def test_full_data_autarky_lowers_real_income_of_every_region(autarky):
    """Measured (20,000 agents, 16 pairs, seeds 7000-7015, last 8 of 28 steps; bans oblige local hosting and a local
    presence; inputs' prices in unit costs, ρ_in = 0.5): world -10.0 [-10.4, -9.7], AFR -23.8, EAP -7.5, EUR -8.1,
    LAC -17.1, MEA -11.0, NAM -9.8, SAS -12.6 (without supply chains: world -7.0 [-7.2, -6.9], AFR -11.8, EAP -4.6,
    EUR -6.0, LAC -8.8, MEA -5.3, NAM -9.4, SAS -9.5; MEA was -0.1 [-1.1, 0.9] while bans were embargoes)."""
    sel = _level(autarky, "region")
    assert len(sel) == 7 and (sel["hi"] < 0).all(), sel.round(2)


def test_full_data_autarky_lowers_real_income_of_every_economy(autarky):
    """Measured with supply chains (ρ_in = 0.5): every one of the 58 economies' 95 % upper bounds is below zero.
    Without them (an xfail) NZL -0.5 [-1.8, 0.9], SGP -1.2 [-3.1, 0.8] and URY -2.2 [-4.7, 0.3] were not."""
    sel = _level(autarky, "economy")
    assert (sel["hi"] < 0).all(), sel[sel["hi"] >= 0].round(2)


@pytest.mark.xfail(
    strict=False,
    reason="measured (20,000 agents, 16 pairs, seeds 7000-7015) with inputs' prices in unit costs (ρ_in = 0.5): "
    "world -7.5 [-8.4, -6.7], every region below zero, but 1 of 58 economies has a CI upper bound >= 0: CHN -0.5 "
    "[-5.2, +4.1] (a wide replicate spread, not investigated). Before supply chains 14 of 58 were, five above zero "
    "(QAT +2.6 [1.1, 4.1], SGP +1.9, NZL +1.9, URY +1.6, ARE +1.1): closing saved the per-market fixed export costs "
    "(f_x = 0.4 median initial revenues per foreign market and step); with f_x = 0, as a diagnostic only, every "
    "economy lost. f_x awaits the evidence issue's calibration (exporter share of firms)",
)
def test_prohibitive_trade_costs_lower_real_income_of_every_economy(prohibitive):
    sel = _level(prohibitive, "economy")
    assert (sel["hi"] < 0).all(), sel[sel["hi"] >= 0].round(2)


def test_without_trust_removing_all_data_rules_does_not_lower_world_trade():
    world = shipped_world()
    steps, out = 28, []
    for r in range(REPS):
        vals = []
        for name in ("baseline", "no_rules"):
            m = DataFlowModel(
                world, shipped_schedule(name), n_firms=10_000, rng=np.random.SeedSequence(8000 + r), params={"eta": 0.0}
            ).run(steps)
            df = m.metrics_frame()
            sel = df[(df.level == "world") & (df.metric == "exports") & (df.step > steps - WINDOW)]
            vals.append(float(sel["value"].mean()))
        out.append(100.0 * (vals[1] / vals[0] - 1.0))
    diff = np.asarray(out)
    half = 2.131 * diff.std(ddof=1) / np.sqrt(diff.size)  # t(0.975, 15)
    assert diff.mean() - half > 0, (diff.mean(), half)
