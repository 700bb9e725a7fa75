"""Trust moves demand, it does not create it (issue 14, item 2): the bilateral trust channel.

Buyers in d trust a supplier from o by T_od (``costs``: d's safeguards, and whether data sent to o is safeguarded by
o's safeguards or a transfer waiver from d to o); trust is a quality shifter in the prices buyers compare, p · θ_ods
with θ = T_od^(−η w_s/(σ − 1)) (``trade``). On a small real world: T is bilateral and directed, a supplier from an
economy with safeguards takes a larger share of d's spending than the same supplier without them, spending totals do
not move, the price indices count trust exactly, and η = 0 gives the prices of the model without the channel.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
from test_model_fixtures import schedule, small_world

from simulator.model import DataFlowModel, stages
from simulator.model.costs import CATEGORIES, compile_costs
from simulator.scenario.taxonomy import DataCategory, Regime
from simulator.world.baseline import baseline_state
from simulator.world.policy import PolicyState, regime_code

DEST, SAFE, UNSAFE = "EUU", "BRA", "IND"


@pytest.fixture(scope="module")
def model() -> DataFlowModel:
    world = small_world()
    return DataFlowModel(world, schedule(baseline_state(world), horizon=4), n_firms=1500, rng=11).run(2)


def idx(code: str) -> int:
    return small_world().index_of(code)


def state_with(**changes) -> PolicyState:
    """The small world's status quo with d, the safe and the unsafe origin set up (no waivers between them)."""
    st = baseline_state(small_world()).copy()
    d, a, b = idx(DEST), idx(SAFE), idx(UNSAFE)
    st.safeguards[[d, a]] = 1.0
    st.safeguards[b] = 0.0
    for o in (a, b):
        st.transfer_waiver[d, o] = st.transfer_waiver[o, d] = 0.0
    for name, fn in changes.items():
        assert hasattr(st, name)
        fn(getattr(st, name))
    return st


def compile_for(model: DataFlowModel, state: PolicyState, **params):
    return compile_costs(model.world, state, {**model.params, **params}, model.exposure, model.money_scale)


def trade_with(model: DataFlowModel, costs, **params):
    """One trade pass (hosting choice with nobody reconsidering, trade, accounts) on a copy of the model's state
    (firms, network, final demand, wages) under ``costs`` and the model's parameters with ``params``; returns the
    copy."""
    m = copy.deepcopy(model)
    m.params = {**m.params, **params}
    m.costs = costs
    stages.trade_pass(m, np.zeros(m.firms.capacity, bool))
    return m


def final_sales(model: DataFlowModel, tr) -> np.ndarray:
    """Weighted final sales origin × destination, ``(c, c)``."""
    n_c = model.n_economies
    nm = tr.n_market_links
    seller = tr.sales_seller[:nm]
    origin = model.firms.economy[seller].astype(np.int64)
    value = tr.sales_revenue[:nm] * tr.weight[seller]
    return np.bincount(origin * n_c + tr.sales_dest[:nm], weights=value, minlength=n_c * n_c).reshape(n_c, n_c)


# ------------------------------------------------------------------------------------------------------- tables
def test_trust_is_bilateral_and_directed(model):
    d, a, b = idx(DEST), idx(SAFE), idx(UNSAFE)
    c = compile_for(model, state_with())
    t = c.trust_link
    np.testing.assert_array_equal(np.diag(t), c.trust)  # at home: d's own level
    assert t[a, d] > t[b, d]  # data sent to an economy without safeguards is not safeguarded
    assert t[a, d] == c.trust[d]  # ... and to one with full safeguards it is, as at home
    # d's buyers trust IND's suppliers once d's transfer conditions towards CHN are waived (adequacy, agreement) ...
    adequacy = compile_for(model, state_with(transfer_waiver=lambda tw: tw.__setitem__((d, b), 1.0)))
    assert adequacy.trust_link[b, d] == c.trust[d]
    # ... not when the waiver runs the other way (data from IND to EUU says nothing about EUU's data in IND)
    other_way = compile_for(model, state_with(transfer_waiver=lambda tw: tw.__setitem__((b, d), 1.0)))
    assert other_way.trust_link[b, d] == t[b, d]
    # a buyer economy without safeguards trusts nobody beyond T₀
    none_at_d = compile_for(model, state_with(safeguards=lambda s: s.__setitem__(d, 0.0)))
    np.testing.assert_array_equal(none_at_d.trust_link[:, d], model.params["trust_min"])
    # the `none` regime on personal data at the origin lowers the trust of every other buyer in its suppliers
    personal = CATEGORIES.index(DataCategory.PERSONAL)
    repeal = compile_for(
        model, state_with(regime=lambda r: r.__setitem__((a, personal, slice(None)), regime_code(Regime.NONE)))
    )
    assert repeal.trust_link[a, d] < t[a, d]
    # the price factor: ≥ 1, larger where trust is lower, 1 where the sector handles no personal data or η = 0
    assert (c.trust_price >= 1.0).all()
    assert (c.trust_price[b, d] >= c.trust_price[a, d]).all() and (c.trust_price[b, d] > c.trust_price[a, d]).any()
    off = compile_for(model, state_with(), eta=0.0)
    assert (off.trust_price == 1.0).all()


# ------------------------------------------------------------------------------------------------------- demand
def test_a_supplier_from_an_economy_with_safeguards_takes_a_larger_share(model):
    """The same firms, prices and spending; only the safeguards of the origin differ (they touch nothing but trust)."""
    d, b = idx(DEST), idx(UNSAFE)
    without = state_with()
    with_safeguards = state_with(safeguards=lambda s: s.__setitem__(b, 1.0))
    sales = {}
    for eta in (model.params["eta"], 0.0):
        for name, st in (("without", without), ("with", with_safeguards)):
            sales[name, eta] = final_sales(model, trade_with(model, compile_for(model, st, eta=eta), eta=eta).trade)
    eta = model.params["eta"]
    assert eta > 0
    before, after = sales["without", eta][:, d], sales["with", eta][:, d]
    assert before[b] > 0
    share_before, share_after = before[b] / before.sum(), after[b] / after.sum()
    assert share_after > share_before * 1.001, (share_before, share_after)
    # the gain comes from d's other suppliers (every other origin loses), and d's spending does not change
    others = np.arange(before.size) != b
    assert (after[others] <= before[others]).all() and (after[others] < before[others]).any()
    np.testing.assert_allclose(after.sum(), before.sum(), rtol=1e-12)
    # without trust (η = 0) the safeguards of the origin move nothing
    np.testing.assert_array_equal(sales["with", 0.0], sales["without", 0.0])


def test_trust_moves_spending_but_never_creates_it(model):
    """Whatever the trust, each economy spends the same total (the sector tier only moves it between sectors), each
    pool's sellers earn exactly the pool's spending, and each buyer's input purchases are its spending: the totals of
    the same pass without trust (η = 0), with no safeguards anywhere, and with a strong trust channel (η = 2)."""
    st = baseline_state(small_world())
    nobody = dataclasses.replace(st.copy(), safeguards=np.zeros_like(st.safeguards))
    runs = [
        trade_with(model, compile_for(model, st, eta=0.0)),
        trade_with(model, compile_for(model, st)),
        trade_with(model, compile_for(model, nobody)),
        trade_with(model, compile_for(model, nobody, eta=2.0)),
    ]
    ref = runs[0]
    for m in runs:
        tr = m.trade
        np.testing.assert_allclose(m.demand.sum(axis=1), ref.demand.sum(axis=1), rtol=1e-12)
        np.testing.assert_allclose(m.demand.sum(axis=1), model.spending, rtol=1e-12)
        nm = tr.n_market_links
        seller = tr.sales_seller[:nm]
        cell = tr.sales_dest[:nm].astype(np.int64) * model.n_sectors + model.firms.sector[seller]
        earned = np.bincount(cell, weights=tr.sales_revenue[:nm] * tr.weight[seller], minlength=m.demand.size)
        served = (tr.open_mass.ravel() > 0) & np.isfinite(tr.home_price_index.ravel())  # both pools have sellers
        assert served.mean() > 0.5
        np.testing.assert_allclose(earned[served], m.demand.ravel()[served], rtol=1e-12)
        np.testing.assert_allclose(tr.purchases, ref.trade.purchases, rtol=1e-12, atol=0.0)
    # and trust does move spending: among sectors (the sector tier) and among the origins of each pool
    assert not np.allclose(runs[2].demand, ref.demand, rtol=1e-6)
    shares = [final_sales(model, m.trade) / m.demand.sum(axis=1)[None, :] for m in (ref, runs[2])]
    assert not np.allclose(shares[0], shares[1], rtol=1e-6)


def test_price_indices_count_trust_exactly(model):
    """With no safeguards anywhere every buyer trusts every supplier at T₀, so θ is one number per sector and each
    pool's exact CES index of the trust-adjusted prices is the index without trust times T₀^(−η w_s/(σ − 1))."""
    st = baseline_state(small_world())
    nobody = dataclasses.replace(st.copy(), safeguards=np.zeros_like(st.safeguards))
    costs = compile_for(model, nobody)
    on, off = trade_with(model, costs).trade, trade_with(model, compile_for(model, nobody, eta=0.0)).trade
    p = model.params
    w = model.delta_s * model.exposure[:, CATEGORIES.index(DataCategory.PERSONAL)]
    factor = p["trust_min"] ** (-p["eta"] * w / (p["sigma"] - 1.0))
    assert (factor > 1.0).all()
    for name in ("price_index", "home_price_index"):
        got, base = getattr(on, name), getattr(off, name)
        ok = np.isfinite(base)
        assert ok.sum() > 0.9 * ok.size
        np.testing.assert_allclose(got[ok], (base * factor[None, :])[ok], rtol=1e-12)


def test_eta_zero_gives_the_old_prices(model):
    """η = 0: every link's price is σ/(σ − 1) · u · τ · (1 + W) bit for bit (the model without the trust channel);
    with η > 0 it is that price times the link's θ."""
    st = baseline_state(small_world())
    p = model.params
    markup = p["sigma"] / (p["sigma"] - 1.0)
    for eta in (0.0, p["eta"]):
        m = trade_with(model, compile_for(model, st, eta=eta))
        tr = m.trade
        old = markup * m.hosting_choice.unit_cost[tr.sales_seller] * tr.sales_tau * (1.0 + tr.sales_wedge)
        theta = tr.sales_trust
        nm = tr.n_market_links
        # the supplier links' trust-adjusted prices are kept in the slot matrix (∞ where infeasible)
        f, net = model.firms, model.network
        buyer, slot = np.nonzero((net.sup >= 0) & f.alive[: net.sup.shape[0], None])
        q = tr.supplier_price[buyer, slot]
        feasible = np.isfinite(q)
        if eta == 0.0:
            assert (theta == 1.0).all()
            np.testing.assert_array_equal(q[feasible], old[nm:][feasible])
        else:
            assert np.ptp(theta) > 0
            np.testing.assert_array_equal(q[feasible], (old * theta)[nm:][feasible])
            # the pools' CES masses are of the trust-adjusted offers
            x = np.where(tr.market_feasible, (old[:nm] * theta[:nm]) ** (1.0 - p["sigma"]), 0.0)
            seller = tr.sales_seller[:nm]
            cell = tr.sales_dest[:nm].astype(np.int64) * model.n_sectors + f.sector[seller]
            mass = np.bincount(cell, weights=x * tr.weight[seller], minlength=tr.open_mass.size)
            np.testing.assert_allclose(mass, tr.open_mass.ravel(), rtol=1e-12)
