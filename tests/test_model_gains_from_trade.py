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
    sel = _level(prohibitive, "region")
    assert len(sel) == 7 and (sel["hi"] < 0).all(), sel.round(2)


@pytest.mark.xfail(
    strict=False,
    reason="measured (20,000 agents, 16 pairs, seeds 7000-7015, last 8 of 28 steps): AFR -6.5 [-7.5, -5.5], EAP, "
    "EUR, NAM, SAS below zero, but LAC -1.4 [-7.0, 4.2] and MEA -0.4 [-2.7, 1.9]: in one replicate Bolivia's "
    "wage falls ~90 % after the bans (its buyers keep importing inputs from foreign suppliers whatever the price, "
    "draining its income, while its data-intensive exports are banned) until an export burst (+4,200 % real income); "
    "Qatar swings -116 to +50 %. Inputs that respond to prices and bans that oblige local hosting instead of "
    "forbidding sales are model economics II",
)
def test_full_data_autarky_lowers_real_income_of_every_region(autarky):
    sel = _level(autarky, "region")
    assert len(sel) == 7 and (sel["hi"] < 0).all(), sel.round(2)


@pytest.mark.xfail(
    strict=False,
    reason="measured (20,000 agents, 16 pairs, seeds 7000-7015): full data autarky leaves the 95 % CI upper bound >= "
    "0 for about 5-9 of 58 economies (e.g. CHN +0.5 [-0.8, 1.9], MEX +0.0 [-1.1, 1.0], SGP, NZL, JPN; and QAT, URY "
    "with CIs of +-25-45 pp): data bans still leave most goods trade open, so exporters of data-light goods gain "
    "terms of trade, and the smallest open economies' incomes rest on a few agents; bans are re-modelled in model "
    "economics II",
)
def test_full_data_autarky_lowers_real_income_of_every_economy(autarky):
    sel = _level(autarky, "economy")
    assert (sel["hi"] < 0).all(), sel[sel["hi"] >= 0].round(2)


@pytest.mark.xfail(
    strict=False,
    reason="measured (20,000 agents, 16 pairs): prohibitive trade costs leave the CI upper bound >= 0 for 4-5 large, "
    "closed economies (AUS -0.6 [-2.0, 0.8], CHN +0.1 [-1.0, 1.1], EUU 0.0 [-0.6, 0.7], JPN -0.5 [-1.6, 0.6], USA "
    "-0.6 [-1.3, 0.1]): their imports are ~5 % of income, so the loss (~1-2 %) is within the noise of wages that "
    "clear labour markets with a lag while their baseline income share drifts; buyers also keep paying foreign "
    "suppliers at any price until they switch (inputs do not enter unit costs yet: model economics II)",
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
