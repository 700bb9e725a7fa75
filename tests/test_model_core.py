"""Core model tests: construction, determinism, accounting identities, the tidy metrics table, parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_model_fixtures import schedule, small_world

from simulator.model import DataFlowModel, simulate
from simulator.model.government import Government
from simulator.model.metrics import EXTRA_METRICS, LEVELS, METRICS
from simulator.world.baseline import baseline_state


@pytest.fixture(scope="module")
def world():
    return small_world()


@pytest.fixture(scope="module")
def base(world):
    return schedule(baseline_state(world), horizon=12)


@pytest.fixture(scope="module")
def run12(world, base):
    return DataFlowModel(world, base, n_firms=1200, rng=7).run(12)


def test_model_is_mesa_with_government_agents(run12, world):
    govs = run12.agents_by_type[Government]
    assert len(govs) == len(world.iso3)
    assert sorted(g.iso3 for g in govs) == sorted(world.iso3)
    assert run12.steps == 12


def test_same_seed_same_results_different_seed_differs(world, base):
    a = simulate(world, base, n_firms=600, n_steps=6, seed=3)
    b = simulate(world, base, n_firms=600, n_steps=6, seed=3)
    c = simulate(world, base, n_firms=600, n_steps=6, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["value"].fillna(0), c["value"].fillna(0))


def test_seed_sequence_accepted(world, base):
    ss = np.random.SeedSequence(11)
    a = simulate(world, base, n_firms=400, n_steps=3, seed=ss.spawn(1)[0])
    b = simulate(world, base, n_firms=400, n_steps=3, seed=np.random.SeedSequence(11).spawn(1)[0])
    pd.testing.assert_frame_equal(a, b)


def test_sales_equal_purchases_and_final_demand(run12):
    """Every sale is someone's purchase: weighted link sales (each agent stands for ``weight`` real firms)."""
    m = run12
    tr = m.trade
    nm = tr.n_market_links
    w = tr.weight[tr.sales_seller]
    intermediate_sales = (tr.sales_revenue[nm:] * w[nm:]).sum() + tr.unplaced_inputs.sum()
    assert intermediate_sales == pytest.approx((tr.purchases * tr.weight).sum(), rel=1e-9)
    assert (tr.market_revenue * w[:nm]).sum() == pytest.approx(tr.final_sales_by_cell.sum(), rel=1e-9)
    assert tr.final_sales_by_cell.sum() <= m.demand.sum() * (1 + 1e-12)
    assert (m.accounts.revenue * tr.weight).sum() == pytest.approx((tr.sales_revenue * w).sum(), rel=1e-9)


def test_no_nan_inf_or_negative_quantities(run12):
    a, f = run12.accounts, run12.firms
    for name in ("revenue", "exports", "compliance", "payment", "hosting", "local_hosting", "fixed", "purchases"):
        v = getattr(a, name)
        assert np.isfinite(v).all(), name
        assert (v >= -1e-9).all(), name
    assert np.isfinite(f.phi[f.alive]).all() and (f.phi[f.alive] > 0).all()
    assert ((f.delta >= 0) & (f.delta <= 1)).all()
    assert np.isfinite(run12.trade.sales_revenue).all() and (run12.trade.sales_revenue >= 0).all()
    assert (a.exports <= a.revenue + 1e-9).all()


def test_metrics_frame_is_tidy_and_complete(run12, world):
    df = run12.metrics_frame()
    assert list(df.columns) == ["step", "metric", "level", "group", "value"]
    assert sorted(df["step"].unique()) == list(range(13))
    names = set(df["metric"].unique())
    assert {m.name for m in METRICS} <= names
    assert set(EXTRA_METRICS) <= names
    last = df[df["step"] == 12]
    for level in LEVELS:
        assert (last["level"] == level).any(), level
    econ = last[(last["metric"] == "output") & (last["level"] == "economy")]
    assert set(econ["group"]) == set(world.iso3)
    # sums add up across levels
    for metric in ("output", "exports", "firm_count"):
        tot = last[(last["metric"] == metric) & (last["level"] == "world")]["value"].iloc[0]
        for level in ("region", "economy", "sector", "size"):
            s = last[(last["metric"] == metric) & (last["level"] == level)]["value"].sum()
            assert s == pytest.approx(tot, rel=1e-9), (metric, level)
    sums = {m.name for m in METRICS if m.denominator is None}
    vals = last[last["metric"].isin(sums)]["value"]
    assert np.isfinite(vals).all() and (vals >= 0).all()


def test_firms_frame(run12):
    ff = run12.firms_frame()
    assert len(ff) == run12.firms.n_alive
    assert ff["uid"].is_unique
    assert set(ff["size"].cat.categories) == {"micro", "small", "medium", "large"}
    assert (ff["size"] == "micro").any() and (ff["size"] == "large").any()
    assert {"foreign_cloud", "local", "in_house"} >= set(ff["hosting"].unique())


def test_unknown_or_out_of_range_parameter_rejected(world, base):
    with pytest.raises(KeyError):
        DataFlowModel(world, base, params={"no_such_thing": 1.0}, n_firms=100, rng=1)
    with pytest.raises(ValueError):
        DataFlowModel(world, base, params={"sigma": 100.0}, n_firms=100, rng=1)


def test_every_economy_sector_has_firms(world, base):
    # the allocation at construction (before the burn-in's exits and entries) covers every cell
    m = DataFlowModel(
        world, base, n_firms=len(world.iso3) * len(world.sector_codes) + 50, rng=2, params={"burn_in_steps": 0}
    )
    f = m.firms
    cells = np.zeros((len(world.iso3), len(world.sector_codes)), int)
    np.add.at(cells, (f.economy[f.alive], f.sector[f.alive]), 1)
    assert (cells >= 1).all()


def test_metrics_every(world, base):
    m = DataFlowModel(world, base, n_firms=300, rng=1, metrics_every=4).run(10)
    steps = sorted(m.metrics_frame()["step"].unique())
    assert steps == [0, 4, 8, 10]
