"""Check suite every registered behaviour must pass: shapes, no NaN, determinism under a seed, a full run."""

from __future__ import annotations

import numpy as np
import pytest
from test_model_fixtures import schedule, small_world

from simulator.model import REGISTRY, DataFlowModel, register
from simulator.model.behaviours import resolve
from simulator.world.baseline import baseline_state

CASES = [(kind, name) for kind, rules in REGISTRY.items() for name in rules]


@pytest.fixture(scope="module")
def world():
    return small_world()


def model(world, kind, name, seed=1):
    m = DataFlowModel(world, schedule(baseline_state(world), horizon=4), n_firms=400, rng=seed, behaviours={kind: name})
    m.run(2)
    return m


def call(m, kind):
    rule = m.rules[kind]
    f = m.firms
    m.rng = np.random.default_rng(123)
    if kind == "innovation":
        return rule(m)
    return rule(m, np.flatnonzero(f.alive))


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_behaviour_check_suite(world, kind, name):
    m = model(world, kind, name)
    out_a, out_b = call(m, kind), call(m, kind)
    f = m.firms
    if kind == "innovation":
        for field in ("phi", "innovated", "rd"):
            a, b = getattr(out_a, field), getattr(out_b, field)
            assert a.shape == (f.capacity,)
            assert np.isfinite(a).all()
            np.testing.assert_array_equal(a, b)
        assert (out_a.phi[f.alive] > 0).all() and (out_a.rd >= 0).all()
    else:
        n = f.n_alive
        assert out_a.shape == (n,)
        np.testing.assert_array_equal(out_a, out_b)
        upper = len(world.iso3) if kind == "market_search" else f.capacity
        assert ((out_a >= -1) & (out_a < upper)).all()
        if kind == "supplier_search":
            hit = out_a[out_a >= 0]
            assert f.alive[hit].all()
    df = m.metrics_frame()
    assert np.isfinite(df.loc[df["metric"] == "output", "value"]).all()


def test_unknown_behaviour_rejected():
    with pytest.raises(KeyError):
        resolve({"innovation": "no_such_rule"})
    with pytest.raises(KeyError):
        resolve({"no_such_kind": "x"})


def test_researcher_can_register_a_rule(world):
    @register("innovation", "frozen_for_test")
    def frozen(m):
        from simulator.model.innovation import InnovationResult

        f = m.firms
        return InnovationResult(phi=f.phi.copy(), innovated=np.zeros(f.capacity, bool), rd=np.zeros(f.capacity))

    try:
        m = model(world, "innovation", "frozen_for_test")
        assert m.rules["innovation"] is frozen
    finally:
        REGISTRY["innovation"].pop("frozen_for_test")
