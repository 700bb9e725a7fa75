"""Warm start: a reform branched from a model built under the baseline equals one built afresh (same initial rules)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.model import DataFlowModel
from simulator.model.branching import branch, same_state
from simulator.scenario.loader import load_scenario
from simulator.world import load_world
from simulator.world.compile import compile_scenario, vocabulary

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def setup():
    world = load_world()
    vocab = vocabulary(world)
    out = {}
    for name in ("baseline", "data_autarky", "storage_ban_nigeria"):
        sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml", vocab)
        out[name] = (compile_scenario(world, sc), sc.parameter_values())
    return world, out


def test_branched_reform_equals_a_fresh_build(setup) -> None:
    world, sched = setup
    base_schedule, params = sched["baseline"]
    reform_schedule, reform_params = sched["data_autarky"]
    assert params == reform_params and same_state(base_schedule.initial, reform_schedule.initial)
    assert reform_schedule.events and min(e.step for e in reform_schedule.events) <= 9
    seed = np.random.SeedSequence(42)
    base = DataFlowModel(world, base_schedule, params=params, n_firms=400, rng=seed)
    branched = branch(base, reform_schedule).run(10)
    fresh = DataFlowModel(world, reform_schedule, params=params, n_firms=400, rng=np.random.SeedSequence(42)).run(10)
    pd.testing.assert_frame_equal(branched.metrics_frame(), fresh.metrics_frame(), check_exact=True)
    pd.testing.assert_frame_equal(branched.firms_frame(), fresh.firms_frame(), check_exact=True)
    # the base model is untouched and can be branched again, to the baseline itself
    assert base.steps == 0
    again = branch(base, base_schedule).run(10)
    plain = DataFlowModel(world, base_schedule, params=params, n_firms=400, rng=np.random.SeedSequence(42)).run(10)
    pd.testing.assert_frame_equal(again.metrics_frame(), plain.metrics_frame(), check_exact=True)
    assert not branched.metrics_frame()["value"].equals(again.metrics_frame()["value"]), "the reform bites"


def test_branch_switches_the_rules_in_force(setup) -> None:
    world, sched = setup
    base_schedule, params = sched["baseline"]
    reform = sched["data_autarky"][0]
    base = DataFlowModel(world, base_schedule, params=params, n_firms=300, rng=1).run(9)
    new = branch(base, reform)
    assert same_state(new.policy, reform.state_at(9))
    assert not same_state(new.policy, base.policy)
    assert new.costs is not base.costs
    assert all(g.events == tuple(e for e in reform.events if e.economy == g.economy) for g in new.governments)


def test_branch_refuses_another_timeline(setup) -> None:
    from dataclasses import replace

    world, sched = setup
    base_schedule, params = sched["baseline"]
    base = DataFlowModel(world, base_schedule, params=params, n_firms=300, rng=1)
    with pytest.raises(ValueError, match="timeline"):
        branch(base, replace(sched["data_autarky"][0], step_years=1.0))
