"""The hosting market binds: a declared share of firms hosts at home, and storage mandates raise local demand,
prices, capacity and investment (issue "Model economics II", item 4)."""

from __future__ import annotations

import numpy as np
import pytest
from test_model_fixtures import open_state, regime_events, schedule, small_world

from simulator.model import DataFlowModel
from simulator.model import hosting as hosting_mod
from simulator.model.model import resolve_params
from simulator.model.population import HostingMode
from simulator.scenario.taxonomy import Regime

N_FIRMS = 4000


@pytest.fixture(scope="module")
def world():
    return small_world()


def _local_share(m: DataFlowModel, economy: int | None = None) -> float:
    f = m.firms
    a = f.alive & (f.revenue > 0) if economy is None else f.alive & (f.revenue > 0) & (f.economy == economy)
    return float(f.weight[a & (f.hosting == HostingMode.LOCAL)].sum() / f.weight[a].sum())


def test_without_rules_the_declared_share_of_firms_prefers_a_local_provider(world):
    """At rules-free prices a share L of firms prefers a local provider to the cloud (β_c), whatever the economy's
    local price: without a burn-in (depth still at its initial level, where β_c was set) the local share of the firms
    with sales is L in the cheapest and the dearest local market alike, up to sampling and the few who host in-house.
    After the burn-in the world share is still ≈ L, but each economy's baseline local hosting has deepened its market
    (depth +0.6 to +2.0 on this world), so economies differ."""
    share = resolve_params(None)["local_hosting_share"]
    m = DataFlowModel(world, schedule(open_state(world)), params={"burn_in_steps": 0}, n_firms=N_FIRMS, rng=3)
    lp = m.local_price
    assert np.ptp(lp) > 0.05  # local prices differ across economies, the share does not follow them
    for c in (int(np.argmin(lp)), int(np.argmax(lp))):
        assert _local_share(m, c) == pytest.approx(share, abs=0.08)
    m = DataFlowModel(world, schedule(open_state(world)), n_firms=N_FIRMS, rng=3)
    assert _local_share(m) == pytest.approx(share, abs=0.04)


def test_the_preference_gives_the_declared_share_at_rules_free_prices(world):
    """β_c − Δ_c = s_h ln(L/(1 − L)): the logistic share of firms whose affinity clears the threshold is L."""
    m = DataFlowModel(world, schedule(open_state(world)), n_firms=500, rng=1)
    p = m.params
    market = hosting_mod.initial_market(world, m.costs, p)  # at construction, before depth follows local demand
    np.testing.assert_array_equal(market.preference, m.market.preference)
    depth = hosting_mod.effective_depth(market, m.costs, p)
    gap = (hosting_mod.local_price(depth, m.costs, p) - p["zeta"] * hosting_mod.local_quality(depth)) - (
        p["h_cloud"] * m.costs.telecom - p["zeta"]
    )
    prefer_local = 1.0 / (1.0 + np.exp(-(market.preference - gap) / p["hosting_taste_scale"]))
    np.testing.assert_allclose(prefer_local, p["local_hosting_share"], rtol=1e-12)


@pytest.fixture(scope="module")
def mandate(world):
    """Paired runs: the open world, and BRA moving every data category home (storage + conditional) at step 1."""
    events = regime_events(world, "BRA", Regime.STORAGE_CONDITIONAL, step=1)
    runs = {}
    for name, ev in (("base", ()), ("mandate", events)):
        m = DataFlowModel(world, schedule(open_state(world), ev), n_firms=N_FIRMS, rng=11)
        path = []
        for _ in range(12):
            m.step()
            path.append(
                {
                    "share": _local_share(m, world.index_of("BRA")),
                    "price": float(m.local_price[world.index_of("BRA")]),
                    "capacity": float(m.market.capacity[world.index_of("BRA")]),
                    "utilisation": float(hosting_mod.utilisation(m.market)[world.index_of("BRA")]),
                }
            )
        runs[name] = (m, path)
    return runs


def test_a_storage_mandate_moves_firms_to_local_hosting(mandate):
    base, reform = mandate["base"][1], mandate["mandate"][1]
    assert reform[-1]["share"] > base[-1]["share"] + 0.2


def test_a_storage_mandate_raises_local_prices_first_then_capacity_follows(mandate):
    base, reform = mandate["base"][1], mandate["mandate"][1]
    assert reform[1]["utilisation"] > 1.2 and reform[1]["price"] > base[1]["price"]  # demand outruns capacity
    assert reform[-1]["capacity"] > 1.3 * base[-1]["capacity"]  # capacity follows demand
    assert reform[-1]["utilisation"] < reform[1]["utilisation"]  # and the markup fades


def test_a_storage_mandate_raises_the_local_providers_investment(mandate):
    bra = mandate["base"][0].world.index_of("BRA")
    inv = {}
    for name, (m, _) in mandate.items():
        df = m.metrics_frame()
        sel = df[(df.metric == "real_investment") & (df.level == "economy") & (df.group == "BRA") & (df.step >= 2)]
        inv[name] = sel["value"].to_numpy()
        # hosting capital: positive in both, and part of real investment (the firms' own is the `investment` metric)
        assert hosting_mod.capital_investment(m.market, m.market.revenue, m.params)[bra] > 0
    assert inv["mandate"][:3].mean() > inv["base"][:3].mean()


def test_capacity_and_investment_rules():
    """Capacity moves toward demand by ν_h and is set at first sight; investment is k_h (K' − (1 − d_h) K) ≥ 0."""
    p = {
        "hosting_build_rate": 0.1,
        "hosting_price_elasticity": 0.5,
        "hosting_capital_ratio": 10.0,
        "hosting_depreciation": 0.02,
        "h0": 0.3,
        "hosting_depth_response": 0.0,
    }
    z = np.zeros(3)
    market = hosting_mod.HostingMarket(z.copy(), z.copy(), z.copy(), z.copy(), np.array([0.0, 1.0, 1.0]), z.copy())
    market.demand = np.array([0.0, 1.0, 1.0])
    revenue = np.array([2.0, 2.0, 0.5])
    np.testing.assert_allclose(hosting_mod.next_capacity(market, revenue, p), [2.0, 1.1, 0.95])
    np.testing.assert_allclose(hosting_mod.capital_investment(market, revenue, p), [0.0, 10 * (1.1 - 0.98), 0.0])
    market.demand = np.array([0.0, 4.0, 0.5])
    np.testing.assert_allclose(hosting_mod.scarcity_markup(market, p), [1.0, 2.0, np.sqrt(0.5)])  # idle: cheaper
