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


@pytest.mark.xfail(
    strict=False,
    reason="measured (20,000 agents, 16 pairs, seeds 7000-7015, last 8 of 28 steps) with bans that oblige, the "
    "knowledge stock and connectivity held to causal evidence: AFR -3.2 [-3.6, -2.7], EAP -1.0 [-1.5, -0.6], LAC -2.6 "
    "[-3.0, -2.2], NAM -3.6 [-5.4, -1.9], SAS -2.7 [-3.6, -1.9], but MEA -0.46 [-0.96, +0.03] (it was -1.05 [-1.60, "
    "-0.50] before those changes): Qatar and the UAE gain from closing, which saves the per-market fixed export costs "
    "(f_x, fitted by the evidence issue's calibration; see the every-economy test)",
)
def test_prohibitive_trade_costs_lower_real_income_of_every_region(prohibitive):
    sel = _level(prohibitive, "region")
    assert len(sel) == 7 and (sel["hi"] < 0).all(), sel.round(2)


def test_full_data_autarky_lowers_real_income_of_every_region(autarky):
    """Measured (20,000 agents, 16 pairs, seeds 7000-7015, last 8 of 28 steps; bans oblige local hosting and a local
    presence): world -7.0 [-7.2, -6.9], AFR -11.8, EAP -4.6, EUR -6.0, LAC -8.8, MEA -5.3 [-6.1, -4.4], NAM -9.4,
    SAS -9.5 (MEA was -0.1 [-1.1, 0.9] while bans were embargoes)."""
    sel = _level(autarky, "region")
    assert len(sel) == 7 and (sel["hi"] < 0).all(), sel.round(2)


@pytest.mark.xfail(
    strict=False,
    reason="measured (20,000 agents, 16 pairs, seeds 7000-7015, bans oblige local hosting and a local presence): "
    "full data autarky lowers every economy's mean real income, but 3 of 58 have a 95 % CI upper bound >= 0: NZL "
    "-0.5 [-1.8, 0.9], SGP -1.2 [-3.1, 0.8], URY -2.2 [-4.7, 0.3] (19 of 58, four above zero, while bans were "
    "embargoes). Small open economies whose exports are data-light; their replicate spread is large at 20,000 agents "
    "(a few agents each)",
)
def test_full_data_autarky_lowers_real_income_of_every_economy(autarky):
    sel = _level(autarky, "economy")
    assert (sel["hi"] < 0).all(), sel[sel["hi"] >= 0].round(2)


@pytest.mark.xfail(
    strict=False,
    reason="measured (20,000 agents, 16 pairs, seeds 7000-7015): world -2.5 [-2.8, -2.2], every region below zero, "
    "but 14 of 58 economies have a CI upper bound >= 0, five above zero: QAT +2.6 [1.1, 4.1], SGP +1.9 [1.1, 2.8], NZL "
    "+1.9 [1.0, 2.7], URY +1.6 [0.3, 2.9], ARE +1.1 [0.2, 2.1]. Closing saves the per-market fixed export costs "
    "(f_x = 0.4 median initial revenues per foreign market and step, labour), which fund entry (Qatar: +16 % firms, "
    "home price index -4 % against its wage): with f_x = 0, as a diagnostic only, every economy loses (world -8.7 "
    "[-8.8, -8.5], all 58 upper bounds < 0). f_x awaits the evidence issue's calibration (exporter share of firms)",
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
