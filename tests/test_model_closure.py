"""The income closure, agent weights and the burn-in (model economics I), on the shipped world at shipped defaults.

Accounting identities are checked every step; the fair sample and the value-added fit after the burn-in at 20,000
agents; the steady baseline over ten simulated years. Measured values of what fails are in the xfail reasons.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from closure_support import prohibit_trade, shipped_schedule, shipped_world

from simulator.model import DataFlowModel
from simulator.model.model import balance_shares, resolve_params
from simulator.model.population import allocate, cell_weights


@pytest.fixture(scope="module")
def world():
    return shipped_world()


@pytest.fixture(scope="module")
def big(world):
    """A 20,000-agent baseline after its burn-in (step 0)."""
    return DataFlowModel(world, shipped_schedule("baseline"), n_firms=20_000, rng=np.random.SeedSequence(11))


def _identities(m: DataFlowModel, income_prev: np.ndarray, carry_prev: np.ndarray) -> None:
    tr = m.trade
    world_income = m.income.sum()
    sold = tr.final_sales_by_cell.sum()
    # every sale is someone's purchase (weighted: each agent stands for ``weight`` real firms, as trade saw them)
    nm = tr.n_market_links
    w = tr.weight[tr.sales_seller]
    purchases = (tr.purchases * tr.weight).sum()
    assert (tr.sales_revenue[nm:] * w[nm:]).sum() + tr.unplaced_inputs.sum() == pytest.approx(purchases, rel=1e-9)
    # world income = world final sales less inputs no supplier could take; world spending = sales + what is carried
    assert world_income == pytest.approx(sold - tr.unplaced_inputs.sum(), rel=1e-9)
    assert m.spending.sum() == pytest.approx(sold + m.carry.sum() - tr.unplaced_inputs.sum() - m.debt.sum(), rel=1e-9)
    # Σ B = 0, and spending is last step's income and unspent money (in this step's numeraire) plus B (an economy
    # whose income and money are negative spends nothing and carries the debt)
    assert abs(m.balance.sum()) <= 1e-9 * world_income
    assert (m.spending >= 0).all() and (m.debt <= 0).all()
    np.testing.assert_allclose(m.spending + m.debt - m.balance, (income_prev + carry_prev) / m.omega, rtol=1e-9)


def test_accounting_identities_hold_every_step_under_policy_change(world):
    m = DataFlowModel(world, shipped_schedule("data_autarky"), n_firms=3000, rng=np.random.SeedSequence(3))
    for _ in range(14):  # the autarky reform is enforced at step 8 and phased in over four steps
        income_prev, carry_prev = m.income.copy(), m.carry.copy()
        m.step()
        _identities(m, income_prev, carry_prev)


def test_imbalances_come_from_published_balances_and_cancel(world):
    b = balance_shares(world)
    assert abs(b.sum()) < 1e-12
    econ = world.economies.set_index("iso3")
    usa, chn = world.index_of("USA"), world.index_of("CHN")
    # the published signs: the United States runs a deficit on goods and services, China a surplus
    assert econ.loc["USA", "external_balance_pct_gdp"] < 0 and b[usa] > 0
    assert econ.loc["CHN", "external_balance_pct_gdp"] > 0 and b[chn] < 0


def test_imbalances_shrink_with_trade_and_world_income_responds_to_policy(world):
    base = DataFlowModel(world, shipped_schedule("baseline"), n_firms=3000, rng=np.random.SeedSequence(5))
    closed = copy.deepcopy(base)
    prohibit_trade(closed)
    base.run(12)
    closed.run(12)
    open_b = np.abs(base.balance).sum() / base.income.sum()
    shut_b = np.abs(closed.balance).sum() / closed.income.sum()
    assert open_b > 0.005
    # a deficit cannot be financed without trade: what is left is the trade that buyers still place with suppliers
    # abroad at prohibitive prices until they switch (their logit shares ignore the price level: model economics II)
    assert shut_b < 0.1 * open_b
    # world nominal income (in numeraire units: the world wage bill at the endowments) is not pinned by data: it
    # differs with policy, by far more than rounding (measured: 6e-5 after 12 steps of a closed world, seed 5; it moves
    # slowly, at the pace of the wage tâtonnement, toward Σ w L + profits)
    assert abs(closed.income.sum() / base.income.sum() - 1.0) > 1e-6


def test_fair_sample_of_every_economy_at_20000_agents(world, big):
    p = resolve_params(None)
    n = allocate(world, 20_000, p)
    assert n.sum() == 20_000
    assert n.sum(axis=1).min() >= 40
    assert n.min() >= 3
    # weights: real firms ∝ each cell's share of world demand, mean 1 over the initial agents
    w = cell_weights(world, n)
    real = w * n
    gdp = world.economies["gdp_usd"].to_numpy(float)
    share = world.sectors["demand_share"].to_numpy(float)
    np.testing.assert_allclose(real / real.sum(), np.outer(gdp, share) / np.outer(gdp, share).sum(), rtol=1e-12)
    assert real.sum() == pytest.approx(20_000)
    # after the burn-in, every economy × sector still has ≥ 3 agents with positive output
    f, a = big.firms, big.accounts
    va = a.value_added[: f.capacity]
    pos = f.alive[: va.size] & (va > 0)
    counts = np.zeros((big.n_economies, big.n_sectors), int)
    np.add.at(counts, (f.economy[: va.size][pos], f.sector[: va.size][pos]), 1)
    assert counts.min() >= 3, counts.min()


def _income_shares_after_burn_in(m: DataFlowModel, steps: int = 4) -> np.ndarray:
    m = copy.deepcopy(m)
    shares = []
    for _ in range(steps):
        m.step()
        shares.append(m.income / m.income.sum())
    return np.mean(shares, axis=0)


def test_regions_value_added_shares_match_gdp_shares(world, big):
    share = _income_shares_after_burn_in(big)
    region = world.economies["region"].astype(str).to_numpy()
    for r in np.unique(region):
        sel = region == r
        ratio = share[sel].sum() / big.gdp_share[sel].sum()
        assert abs(np.log(ratio)) <= 0.1, (r, ratio)


@pytest.mark.xfail(
    strict=False,
    reason="measured at 20,000 agents (mean income share of steps 1-4 after the burn-in): the largest "
    "|log(VA share / GDP share)| is 0.135, 0.155 and 0.251 for seeds 11, 12, 13, with 4-7 of 58 economies outside 0.1 "
    "(IDN, PRY, TZA, MAR, MEX, CHN...). The bias is systematic, not noise (IDN +0.11 to +0.14 at each of 12 steps): "
    "the burn-in's endowment calibration oscillates with a period of about 16 steps (labour endowments follow smoothed "
    "income shares while wages clear labour markets) and is not converged when it stops. A longer burn-in (64 steps: "
    "0.15-0.20), a shorter settling phase (one 0.55 outlier) and calibration rates 0.15 or 0.5 (0.13-0.16, 0.27-0.43) "
    "did not bring every economy inside the band",
)
def test_every_economy_value_added_share_matches_its_gdp_share(big):
    share = _income_shares_after_burn_in(big)
    assert np.abs(np.log(share / big.gdp_share)).max() <= 0.1


def test_steady_baseline_over_ten_years(world):
    """No policy change: world shares drift < 0.5 %/yr, real growth steady, no step loses > 3 % of firms."""
    slopes, growth_gap, worst_loss = {}, [], 0.0
    years = np.arange(41) * shipped_schedule("baseline").step_years
    for seed in range(3):
        m = DataFlowModel(world, shipped_schedule("baseline"), n_firms=10_000, rng=np.random.SeedSequence(900 + seed))
        n_prev = (m.firms.weight * m.firms.alive).sum()
        for _ in range(40):
            m.step()
            n = (m.firms.weight * m.firms.alive).sum()
            worst_loss = max(worst_loss, 1.0 - n / n_prev)
            n_prev = n
        df = m.metrics_frame()
        w = df[df.level == "world"]
        for met in ("export_participation", "cross_border_share", "intra_regional_share", "firm_count"):
            v = w[w.metric == met].sort_values("step")["value"].to_numpy(float)
            slopes.setdefault(met, []).append(100.0 * np.polyfit(years, v, 1)[0] / v.mean())
        ri = w[w.metric == "real_income"].sort_values("step")["value"].to_numpy(float)
        g = np.diff(np.log(ri)) / np.diff(years) * 100.0
        growth_gap.append(g[:20].mean() - g[20:].mean())
    for met, s in slopes.items():
        assert abs(np.mean(s)) < 0.5, (met, s)
    assert abs(np.mean(growth_gap)) < 0.2, growth_gap
    assert worst_loss <= 0.03, worst_loss
