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
    """Measured (20,000 agents, 16 pairs, seeds 7000-7015, last 8 of 28 steps) with trust among origins, the hosting
    market that binds and inputs' prices in unit costs (ρ_in = 0.5): world -7.6 [-8.2, -7.0], AFR -20.0, EAP -5.2,
    EUR -7.7, LAC -14.2, MEA -7.8 [-8.7, -7.0], NAM -5.2, SAS -11.1. Before supply chains MEA was -0.46 [-0.96,
    +0.03] (an xfail): Qatar and the UAE gained from closing, which saved the per-market fixed export costs; dearer
    inputs now outweigh that saving."""
    sel = _level(prohibitive, "region")
    assert len(sel) == 7 and (sel["hi"] < 0).all(), sel.round(2)


def test_full_data_autarky_lowers_real_income_of_every_region(autarky):
    """Measured (20,000 agents, 16 pairs, seeds 7000-7015, last 8 of 28 steps; bans oblige local hosting and a local
    presence; trust among origins; the hosting market binds; inputs' prices in unit costs, ρ_in = 0.5): world -11.7
    [-12.1, -11.4], AFR -25.1, EAP -8.8, EUR -11.0, LAC -19.0, MEA -13.8, NAM -10.6, SAS -12.8 (supply chains alone:
    world -10.0; neither: world -7.0 [-7.2, -6.9], AFR -11.8, MEA -5.3; MEA was -0.1 [-1.1, 0.9] while bans were
    embargoes). Data autarky costs more than prohibitive trade costs (-7.6): every firm's own data must then be
    hosted at home, at local prices, a domestic cost that closing trade alone does not impose."""
    sel = _level(autarky, "region")
    assert len(sel) == 7 and (sel["hi"] < 0).all(), sel.round(2)


def test_full_data_autarky_lowers_real_income_of_every_economy(autarky):
    """Measured with trust, the hosting market and supply chains: every one of the 58 economies' 95 % upper bounds is
    below zero.
    Without them (an xfail) NZL -0.5 [-1.8, 0.9], SGP -1.2 [-3.1, 0.8] and URY -2.2 [-4.7, 0.3] were not."""
    sel = _level(autarky, "economy")
    assert (sel["hi"] < 0).all(), sel[sel["hi"] >= 0].round(2)


def test_prohibitive_trade_costs_lower_real_income_of_every_economy(prohibitive):
    """Measured (20,000 agents, 16 pairs, seeds 7000-7015) with trust, the hosting market and supply chains: every
    one of the 58 economies' 95 % upper bounds is below zero. With supply chains alone (an xfail) CHN -0.5 [-5.2,
    +4.1] was not; before supply chains 14 of 58 were not, five above zero (QAT +2.6 [1.1, 4.1], SGP, NZL, URY, ARE):
    closing saved the per-market fixed export costs f_x, which await the evidence issue's calibration."""
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
