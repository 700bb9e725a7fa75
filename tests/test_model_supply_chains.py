"""Supply chains: inputs' delivered prices in unit costs, and supplier search by input affinity (``inputs``)."""

from __future__ import annotations

import model_oracles
import numpy as np
import pytest
from scipy import stats
from test_model_fixtures import open_state, regime_events, schedule, small_world

from simulator.model import DataFlowModel, inputs
from simulator.model.network import gravity_decay
from simulator.scenario.parameters import PARAMETERS
from simulator.scenario.taxonomy import Regime

UPSTREAM = ("ict_digital", "business_services")
DOWNSTREAM = ("logistics", "retail_ecommerce", "finance_payments", "health")


@pytest.fixture(scope="module")
def world():
    return small_world()


def _downstream_log_costs(m: DataFlowModel, economy: int, sectors: np.ndarray) -> tuple[float, float]:
    """Weighted mean ln F and ln u' of the downstream firms of ``economy``."""
    f = m.firms
    sel = f.alive & (f.economy == economy) & np.isin(f.sector, sectors)
    w = f.weight[sel]
    return (
        float(np.average(np.log(m.input_prices.factor[sel]), weights=w)),
        float(np.average(np.log(m.unit_cost[sel]), weights=w)),
    )


def _paired_effect(world, pass_through: float, seeds: range, steps: int = 6) -> np.ndarray:
    """Reform − baseline of the downstream mean ln F and ln u' over the last 3 steps, one row per seed."""
    bra = world.index_of("BRA")
    down = np.array([world.sector_codes.index(s) for s in DOWNSTREAM])
    events = regime_events(world, "BRA", Regime.STORAGE_CONDITIONAL, step=1, sectors=UPSTREAM)
    params = {"input_price_pass_through": pass_through}
    out = []
    for seed in seeds:
        runs = []
        for ev in ((), events):
            m = DataFlowModel(world, schedule(open_state(world), ev), params=params, n_firms=2500, rng=seed)
            vals = []
            for _ in range(steps):
                m.step()
                vals.append(_downstream_log_costs(m, bra, down))
            runs.append(np.mean(vals[-3:], axis=0))
        out.append(runs[1] - runs[0])
    return np.array(out)


@pytest.fixture(scope="module")
def upstream_effect(world) -> np.ndarray:
    """BRA requires local storage (with conditional transfers) of ICT and business services' data only: reform −
    baseline of the downstream sectors' (logistics, retail, finance, health) mean ln F and ln u', 6 paired seeds."""
    return _paired_effect(world, PARAMETERS["input_price_pass_through"].default, range(41, 47))


def _above_zero(x: np.ndarray, label: str) -> None:
    n = x.size
    mean, half = x.mean(), stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / np.sqrt(n)
    assert mean - half > 0, f"{label}: {mean:.4f} ± {half:.4f}"


def test_a_data_rule_on_upstream_data_services_raises_downstream_input_prices(upstream_effect):
    """The sectors that buy the upstream services, whose own data rules do not change, pay more for their inputs:
    their input factor F rises against the baseline of the same seed (95 % t interval above 0, shipped ρ_in).
    Measured: ln F +0.011 to +0.019 before trust and the hosting market were merged."""
    _above_zero(upstream_effect[:, 0], "ln F")


# measured with the audited data of issue 16 (6 pairs, seeds 41-46): ln u' +0.0193 ± 0.0137, a pass (ln F +0.0159 ±
# 0.0034); an xfail before the audit, at +0.0129 ± 0.0177 with trust and the hosting market that binds: the firms' own
# hosting choices add noise at 2,500 agents, so this check is near its detection limit
def test_a_data_rule_on_upstream_data_services_raises_downstream_unit_costs(upstream_effect):
    """... and so do their unit costs u' = u F, hence their prices."""
    _above_zero(upstream_effect[:, 1], "ln u'")


def _logit_purchases(rng, n_buyers: int, m: int, mu: float, w0: np.ndarray, economy: np.ndarray):
    """Flows of buyers choosing among m suppliers and the market option (trade's logit) and their inclusive values."""
    q = rng.uniform(0.5, 3.0, (n_buyers, m))
    q[rng.random((n_buyers, m)) < 0.2] = np.inf  # infeasible or empty slots
    fw = rng.uniform(0.2, 5.0, (n_buyers, m))
    weight = np.where(np.isfinite(q), fw * q ** (-1.0 / mu), 0.0)
    v = weight.sum(axis=1) + w0[economy]
    spend = rng.uniform(0.0, 10.0, n_buyers)
    flow = spend[:, None] * weight / v[:, None]
    return q, flow, spend, v


def test_input_price_is_the_logit_inclusive_value_and_matches_numpy():
    rng = np.random.default_rng(3)
    n, m, mu = 400, 4, 0.5
    economy = rng.integers(0, 5, n)
    w0 = rng.uniform(0.1, 2.0, 5)
    q, flow, spend, v = _logit_purchases(rng, n, m, mu, w0, economy)
    same = rng.random(n) < 0.9
    got = inputs.inclusive_price(q, flow, spend, same, economy, w0, mu=mu)
    np.testing.assert_allclose(got, model_oracles.inclusive_price(q, flow, spend, same, economy, w0, mu), rtol=1e-12)
    # it recovers V^(−μ), the inclusive value of the choice the buyer faced, from what it bought
    np.testing.assert_allclose(got[same], v[same] ** (-mu), rtol=1e-9)
    assert np.isnan(got[~same]).all()
    # losing an option (a foreign supplier becomes infeasible) never lowers it
    q2 = q.copy()
    q2[:, 0] = np.inf
    v2 = v - np.where(np.isfinite(q[:, 0]), flow[:, 0] / spend * v, 0.0)
    flow_after = np.where(np.isfinite(q2), flow * (v / v2)[:, None], 0.0)
    after = inputs.inclusive_price(q2, flow_after, spend, np.ones(n, bool), economy, w0, mu=mu)
    before = inputs.inclusive_price(q, flow, spend, np.ones(n, bool), economy, w0, mu=mu)
    assert (after >= before * (1 - 1e-12)).all() and (after > before).any()
    # without a market option: the spending-weighted geometric mean of the delivered prices
    no_market = inputs.inclusive_price(q, flow, spend, np.ones(n, bool), economy, np.zeros(5), mu=mu)
    ok = np.isfinite(q) & (flow > 0)
    spent = np.where(ok, flow, 0.0).sum(1)
    geo = np.exp(np.where(ok, flow * np.log(np.where(ok, q, 1.0)), 0.0).sum(1) / np.where(spent > 0, spent, 1.0))
    geo = np.where(spent > 0, geo, np.nan)
    np.testing.assert_allclose(no_market, geo, rtol=1e-12)


def test_unit_costs_carry_the_input_factor_and_the_reference_is_frozen_after_the_burn_in(world):
    m = DataFlowModel(world, schedule(open_state(world)), n_firms=1500, rng=2)
    ip = m.input_prices
    assert ip.frozen
    ref = ip.log_reference.copy()
    m.step()
    ip = m.input_prices
    f = m.firms
    np.testing.assert_array_equal(ip.log_reference, ref)  # a policy-free constant after the burn-in
    # u' = u · F, F = (P_in / R_cs)^(ρ_in θ_s) for the firms whose P_in is known
    theta = m.intermediate_share[f.sector] * m.params["input_price_pass_through"]
    known = f.alive & (f.uid == ip.uid) & np.isfinite(ip.index)  # entrants may have taken slots since
    cell_ref = ref[f.economy, f.sector]
    np.testing.assert_allclose(ip.factor[known], np.exp(theta * (np.log(ip.index) - cell_ref))[known], rtol=1e-12)
    assert known.sum() > 0.8 * f.alive.sum()
    # with ρ_in = 0 there is no factor at all
    m0 = DataFlowModel(world, schedule(open_state(world)), params={"input_price_pass_through": 0.0}, n_firms=800, rng=2)
    m0.step()
    assert (m0.input_prices.factor == 1.0).all()


def test_supplier_search_follows_input_affinity(world):
    """Candidates of buyers of one sector come from supplier sectors in proportion to size × dist^−γ × a_ss'."""
    m = DataFlowModel(world, schedule(open_state(world)), n_firms=3000, rng=4)
    f = m.firms
    a = world.input_matrix
    n_s = m.n_sectors
    for sector in ("agri_mining", "finance_payments"):
        s = world.sector_codes.index(sector)
        buyers = np.flatnonzero(f.alive & (f.sector == s))
        draws = np.repeat(buyers, max(1, 20_000 // buyers.size))
        cand = m.rules["supplier_search"](m, draws)
        cand = cand[cand >= 0]
        share = np.bincount(f.sector[cand], minlength=n_s) / cand.size
        # no candidate from a sector the buyer's sector does not buy from
        assert share[a[s] == 0].sum() == 0.0
        # the expected shares: Σ_o decay_do M_os' a_ss' over the buyers' economies
        behaviour = m.rules["supplier_search"]
        raw, powered = behaviour.market_sales(m, m.params["supplier_size_exponent"])
        size = np.where(f.alive & (raw > 0) & (f.born <= m.steps), powered * f.weight, 0.0)
        mass = np.zeros((m.n_economies, n_s))
        np.add.at(mass, (f.economy, f.sector), size)
        decay = gravity_decay(world.distance_km, m.params["gamma"])
        w = decay[f.economy[draws]][:, :, None] * mass[None, :, :] * a[s][None, None, :]
        expected = (w / w.sum(axis=(1, 2), keepdims=True)).sum(axis=(0, 1)) / draws.size
        np.testing.assert_allclose(share, expected, atol=0.02)


@pytest.mark.parametrize("frozen", [False, True])
def test_input_factor_matches_numpy(world, frozen):
    m = DataFlowModel(world, schedule(open_state(world)), n_firms=800, rng=6)
    f = m.firms
    rng = np.random.default_rng(8)
    index = rng.lognormal(0.0, 0.5, f.capacity)
    index[rng.random(f.capacity) < 0.15] = np.nan  # entrants and firms that did not buy
    n_c, n_s = m.n_economies, m.n_sectors
    log_ref = rng.normal(0.0, 0.3, (n_c, n_s))
    log_ref[0, 1] = np.nan  # a cell without a reference
    exponent = 0.5 * m.intermediate_share
    got = inputs.input_factor(f.arrays(), index, log_ref, exponent, frozen=frozen, n_c=n_c, n_s=n_s)
    want = model_oracles.input_factor(f, index, log_ref, exponent, frozen, n_c, n_s)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
    assert (got[0][~f.alive] == 1.0).all() and np.ptp(got[0][f.alive]) > 0
