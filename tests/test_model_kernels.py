"""Each compiled kernel of the model (each in its mechanism's module) against the numpy form it replaces, on random
inputs and on a small real model (agreement up to floating-point reassociation); the longer numpy forms are in
``model_oracles.py``."""

from __future__ import annotations

import model_oracles as oracles
import numpy as np
import pytest
from test_model_fixtures import schedule, small_world

from simulator.model.accounts import FirmHosting, SellerCosts, account_totals, seller_accounts, served_fixed_masks
from simulator.model.behaviours import sample_by_group, supplier_weights
from simulator.model.costs import COL, _fixed_table
from simulator.model.entry_exit import cell_profit_revenue, loss_streaks
from simulator.model.hosting import HostingOptions, hosting_step
from simulator.model.innovation import _spillover_gain, firm_update, innovation_success, rd_success_exponent
from simulator.model.link_terms import _link_terms, _trade_table
from simulator.model.markets import (
    clear_infeasible_slots,
    drop_foreign_buyers,
    duplicate_candidates,
    market_drops,
    market_entries,
    markets_exist,
    switch_suppliers,
)
from simulator.model.metrics.cells import METRIC_QUANTITIES, SlotQuantities, link_metric_sums, metric_cells, phi_ratio
from simulator.model.metrics.values import ValueLayout, level_sums, metric_values, offdiag_sums
from simulator.model.network import (
    apply_drops,
    clear_dead_suppliers,
    gravity_cdf_rows,
    keep_links,
    keep_live_links,
    sample_cdf_rows,
)
from simulator.model.numerics import _pairwise_from, alive_sums
from simulator.model.population import FirmArrays, count_edges_at_or_below, empty_firms
from simulator.model.trade import TradeLinks, market_option_weight, trade_flows, trade_terms
from simulator.world.baseline import baseline_state

RTOL = 1e-12


def close(a, b, rtol=RTOL):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-300)


@pytest.fixture(scope="module")
def model():
    from simulator.model import DataFlowModel

    world = small_world()
    m = DataFlowModel(world, schedule(baseline_state(world), horizon=4), n_firms=600, rng=3)
    m.run(3)
    return m


def firm_arrays(n: int, **arrays: np.ndarray) -> FirmArrays:
    """A ``FirmArrays`` of ``n`` free slots with the given arrays in place of the empty ones (for a kernel test)."""
    return empty_firms(n).arrays()._replace(**arrays)


def trade_links(seller, dest, n_market: int = 0, row=None, delta=None) -> TradeLinks:
    """A ``TradeLinks`` of the given links (table rows and δ all 0 unless given, for kernels that do not read them)."""
    row = np.zeros(seller.size, np.int32) if row is None else row
    delta = np.zeros(seller.size) if delta is None else delta
    return TradeLinks(seller=seller, dest=dest, row=row, delta=delta, n_market=n_market)


def trade_cols() -> np.ndarray:
    return np.array(
        [COL[c] for c in ("tau", "kappa", "dest_storage", "ban", "payment", "openness", "trust")], dtype=np.int64
    )


def test_link_terms_match_numpy(model):
    from simulator.model.link_terms import link_terms

    f, c, net = model.firms, model.costs, model.network
    n_c, _, n_s = c.tau.shape
    ref = link_terms(net.mk_firm, net.mk_dest, f, c, model.local_price, model.params)
    got = _link_terms(
        net.mk_firm,
        net.mk_dest,
        f.arrays(),
        c.packed,
        trade_cols(),
        model.local_price,
        n_c=n_c,
        n_s=n_s,
        ban_threshold=model.params["ban_dependence_threshold"],
    )
    expected = (ref.tau, ref.compliance, ref.payment, ref.dest_hosting, ref.feasible, ref.trust)
    for r, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(r, g)
    np.testing.assert_array_equal(ref.trust, c.trust_price[f.economy[net.mk_firm], net.mk_dest, f.sector[net.mk_firm]])
    assert np.ptp(ref.trust) > 0  # trust differs across the links (the shipped η > 0)


def agent_weights(model, kind: str) -> np.ndarray:
    """The agents' weights ``fw`` a kernel test runs with: the model's own (constant per economy × sector cell), or
    random per slot (buyer and supplier weights then differ on every link, so a weight read from the wrong end of a
    link, or not at all, changes the numbers)."""
    if kind == "model":
        fw = model.firms.weight
        assert np.ptp(fw[model.firms.alive]) > 0  # the small world's cells do not all have the same weight
        return fw
    return np.random.default_rng(17).lognormal(0.0, 1.0, model.firms.capacity)


def home_trust_factor(model) -> np.ndarray:
    """θ_dds of each slot's firm at home: the trust price factor of its economy's buyers in it."""
    f = model.firms
    return model.costs.trust_price[f.economy, f.economy, f.sector]


def numpy_market_option(model, fw):
    """The numpy form of ``market_option_weight``: W_d = ν · w̄_d · p̄_d^(−1/μ) per economy, with p̄_d the CES mean of
    d's firms' trust-adjusted home prices (u · θ_dds)."""
    f, p = model.firms, model.params
    sigma, n_c = p["sigma"], model.n_economies
    a = f.alive & (model.unit_cost > 0) & np.isfinite(model.unit_cost)
    u = model.unit_cost * home_trust_factor(model)
    mass = np.bincount(f.economy[a], weights=fw[a] * u[a] ** (1.0 - sigma), minlength=n_c)
    real = np.bincount(f.economy[a], weights=fw[a], minlength=n_c)
    agents = np.bincount(f.economy[a], minlength=n_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        pbar = sigma / (sigma - 1.0) * (mass / real) ** (1.0 / (1.0 - sigma))
        out = p["market_sourcing_weight"] * real / agents * np.exp(-np.log(pbar) / p["mu"])
    return np.where((agents > 0) & (mass > 0), out, 0.0)


def numpy_trade(model, fw, market):
    """The numpy form of the trade pass with agent weights ``fw`` (final markets, then supplier slots).

    Final markets: an agent adds fw · p^(1−σ) to its pool's CES mass and earns, per real firm, E · p^(1−σ) / mass.
    Supplier links: a buyer alive spends, per real firm, intermediate_share · (σ − 1)/σ · its previous revenue, split
    over its suppliers ∝ fw_j · q_j^(−1/μ); its fw_b firms all buy from j's fw_j firms, so j earns fw_b / fw_j times
    the buyer's per-firm flow per real firm. Cross-border sales are aggregated per economy as the link's sales times
    its seller's weight on market links and the buyer's flow times the buyer's weight on supplier links. A buyer alive
    whose suppliers cannot deliver (no filled slot, or none feasible) still pays for its inputs: its spending counts
    as purchases, and (times its weight) as its economy's unplaced input spending. ``market`` is the logit weight W_d
    of each economy's market at large: a buyer's suppliers share spend · fw_j q_j^(−1/μ) / (Σ + W_d), and the rest
    is bought on the market (a purchase, and unplaced input spending of the economy).
    """
    from simulator.model.link_terms import link_terms

    f, c, net, p = model.firms, model.costs, model.network, model.params
    sigma, demand, tradability = p["sigma"], model.demand, model.tradability
    markup = sigma / (sigma - 1.0)
    n_c, n_s = demand.shape
    cap = f.capacity
    mk = link_terms(net.mk_firm, net.mk_dest, f, c, model.local_price, p)
    price = markup * model.unit_cost[mk.seller] * mk.tau * (1.0 + mk.wedge) * mk.trust  # trust-adjusted
    x = np.where(mk.feasible, np.exp((1.0 - sigma) * np.log(price)), 0.0)
    home = f.economy[mk.seller] == mk.dest
    cell = mk.dest.astype(np.int64) * n_s + f.sector[mk.seller]
    xw = x * fw[mk.seller]
    mass_open = np.bincount(cell, weights=xw, minlength=n_c * n_s)
    mass_home = np.bincount(cell[home], weights=xw[home], minlength=n_c * n_s)
    e_open = (demand * tradability[None, :]).ravel()
    e_home = (demand * (1.0 - tradability[None, :])).ravel()
    share_open = np.divide(x, mass_open[cell], out=np.zeros_like(x), where=mass_open[cell] > 0)
    share_home = np.divide(x, mass_home[cell], out=np.zeros_like(x), where=(mass_home[cell] > 0) & home)
    r_mk = e_open[cell] * share_open + e_home[cell] * share_home
    n, m = net.sup.shape
    buyer, slot = np.nonzero((net.sup >= 0) & f.alive[:, None])
    supplier = net.sup[buyer, slot]
    sl = link_terms(supplier, f.economy[buyer], f, c, model.local_price, p)
    q = markup * model.unit_cost[supplier] * sl.tau * (1.0 + sl.wedge) * sl.trust
    w = np.where(sl.feasible, np.exp(-np.log(q) / p["mu"]), 0.0)
    ww = w * fw[supplier]
    w_sum = np.bincount(buyer, weights=ww, minlength=cap)
    w0 = market[f.economy]
    w_tot = w_sum + w0
    spend = model.intermediate_share[f.sector] * (sigma - 1.0) / sigma * f.revenue * f.alive
    flow = np.divide(spend[buyer] * ww, w_tot[buyer], out=np.zeros_like(w), where=w_tot[buyer] > 0)
    earned = flow * (fw[buyer] / fw[supplier])
    unplaced = f.alive & ~(w_tot > 0) & (spend > 0)
    on_market = f.alive & (w_tot > 0) & (w0 > 0) & (spend > 0)
    x0 = np.divide(spend * w0, w_tot, out=np.zeros(cap), where=on_market)
    no_supplier = on_market & ~(w_sum > 0)
    q_slots = np.full((n, m), np.inf)
    q_slots[buyer, slot] = np.where(sl.feasible, q, np.inf)
    flow_slots = np.zeros((n, m))
    flow_slots[buyer, slot] = flow
    open_slots = np.zeros((n, m))
    rows = (f.economy[supplier].astype(np.int64) * n_c + sl.dest) * n_s + f.sector[supplier]
    open_slots[buyer, slot] = c.packed[rows, COL["openness"]]
    seller = np.concatenate([mk.seller, sl.seller])
    dest = np.concatenate([mk.dest, sl.dest]).astype(np.int64)
    rev = np.concatenate([r_mk, earned])
    # the aggregate value of each link (all real firms of the seller on a market link, of the buyer on a supplier link)
    aggregate = np.concatenate([r_mk * fw[mk.seller], flow * fw[buyer]])
    cross = f.economy[seller] != dest
    return {
        "seller": seller,
        "dest": dest,
        "rev": rev,
        "tau": np.concatenate([mk.tau, sl.tau]),
        "comp": np.concatenate([mk.compliance, sl.compliance]),
        "pay": np.concatenate([mk.payment, sl.payment]),
        "dh": np.concatenate([mk.dest_hosting, sl.dest_hosting]),
        "feas": np.concatenate([mk.feasible, sl.feasible]),
        "weight": np.concatenate([x, w]),
        "weight_after": np.concatenate([x, ww]),
        "mass_open": mass_open,
        "mass_home": mass_home,
        "q_slots": q_slots,
        "flow_slots": flow_slots,
        "open_slots": open_slots,
        "purchases": np.bincount(buyer, weights=flow, minlength=cap) + np.where(unplaced, spend, x0),
        "unplaced_c": np.bincount(f.economy, weights=np.where(unplaced, spend * fw, x0 * fw), minlength=n_c),
        "n_unplaced": int(unplaced.sum()),
        "n_no_supplier": int(no_supplier.sum()),
        "revenue": np.bincount(seller, weights=rev, minlength=cap),
        "exports_c": np.bincount(f.economy[seller][cross], weights=aggregate[cross], minlength=n_c),
        "imports_c": np.bincount(dest[cross], weights=aggregate[cross], minlength=n_c),
        "n_market": mk.seller.size,
        "spend": spend,
        "e_open": e_open,
        "e_home": e_home,
    }


@pytest.fixture
def some_buyers_without_suppliers(model):
    """Empty the supplier slots of a few buyers alive with revenue (restored after the test): their inputs cannot be
    delivered, which the trade pass must still book."""
    f, net = model.firms, model.network
    saved = net.sup.copy()
    buyers = np.flatnonzero(f.alive & (f.revenue > 0) & (net.sup >= 0).any(axis=1))[::25]
    assert buyers.size >= 3
    net.sup[buyers] = -1
    yield buyers
    net.sup[:] = saved


@pytest.mark.parametrize("weights", ["model", "random"])
def test_trade_kernels_match_numpy(model, weights, some_buyers_without_suppliers):
    from simulator.model.trade import trade_step

    f, c, net, p = model.firms, model.costs, model.network, model.params
    n_c, _, n_s = c.tau.shape
    sigma = p["sigma"]
    fw = agent_weights(model, weights)
    arrays = f.arrays()._replace(weight=fw)
    market = market_option_weight(
        arrays,
        model.unit_cost * home_trust_factor(model),
        n_c=model.n_economies,
        sigma=sigma,
        mu=p["mu"],
        nu=p["market_sourcing_weight"],
    )
    np.testing.assert_allclose(market, numpy_market_option(model, fw), rtol=1e-12, atol=0.0)
    if weights == "model":
        from simulator.model.trade import market_option

        np.testing.assert_array_equal(market, market_option(f, model.unit_cost, c, p))
    assert (market > 0).all()
    ref = numpy_trade(model, fw, market)
    nm = ref["n_market"]
    tab = _trade_table(c.packed, trade_cols())
    np.testing.assert_array_equal(tab[:, :7], c.packed[:, trade_cols()])
    seller, dest, rows, link_delta, feas, price, q_slots, open_slots = trade_terms(
        net.mk_firm,
        net.mk_dest,
        net.sup,
        arrays,
        model.unit_cost,
        tab,
        model.local_price,
        n_c=n_c,
        n_s=n_s,
        ban_threshold=p["ban_dependence_threshold"],
        sigma=sigma,
    )
    links = TradeLinks(seller=seller, dest=dest, row=rows, delta=link_delta, n_market=nm)
    np.testing.assert_array_equal(seller, ref["seller"])
    np.testing.assert_array_equal(dest, ref["dest"])
    assert rows.dtype == np.int32
    np.testing.assert_array_equal(rows, (f.economy[seller].astype(np.int64) * n_c + dest) * n_s + f.sector[seller])
    np.testing.assert_array_equal(link_delta, f.delta[seller])
    np.testing.assert_array_equal(feas, ref["feas"])
    # the cost terms, computed again from the rows by ``TradeResult`` (and by ``seller_accounts``), bit for bit
    tr = trade_step(
        f, net, c, model.demand, model.unit_cost, model.local_price, model.tradability, model.intermediate_share,
        f.revenue, p, table=tab, market=market,
    )  # fmt: skip
    tau, comp, pay, dh = tr.sales_tau, tr.sales_compliance, tr.sales_payment, tr.sales_dest_hosting
    for name, got in (("tau", tau), ("comp", comp), ("pay", pay), ("dh", dh)):
        np.testing.assert_array_equal(got, ref[name], err_msg=name)
    np.testing.assert_array_equal(tr.sales_wedge, ref["comp"] + ref["pay"] + ref["dh"])
    np.testing.assert_array_equal(tr.sales_final, np.arange(seller.size) < nm)
    weight = np.concatenate(
        [
            np.where(feas[:nm], np.exp((1.0 - sigma) * np.log(price[:nm])), 0.0),
            np.where(feas[nm:], np.exp(-np.log(price[nm:]) / p["mu"]), 0.0),
        ]
    )
    np.testing.assert_array_equal(weight, ref["weight"])
    raw = weight.copy()
    raw[~feas] = 7.0  # overwritten with 0 in place where infeasible (and times the supplier's weight on supplier links)
    out = trade_flows(
        links,
        raw,
        feas,
        arrays,
        net.sup,
        f.revenue,
        e_open=ref["e_open"],
        e_home=ref["e_home"],
        inter_share=model.intermediate_share,
        market=market,
        n_c=n_c,
        n_s=n_s,
        sigma=sigma,
        cap=f.capacity,
    )
    rev, mass_open, mass_home, flow_slots, purchases, revenue, exports_c, imports_c, unplaced_c = out
    np.testing.assert_array_equal(raw, ref["weight_after"])
    # the kernel adds every sum in numpy's order (link order, as np.bincount) and computes each term with the same
    # operations in the same order: bit for bit
    for name, got in (
        ("rev", rev), ("mass_open", mass_open), ("mass_home", mass_home), ("flow_slots", flow_slots),
        ("purchases", purchases), ("revenue", revenue), ("exports_c", exports_c), ("imports_c", imports_c),
        ("unplaced_c", unplaced_c), ("q_slots", q_slots),
    ):  # fmt: skip
        np.testing.assert_array_equal(got, ref[name], err_msg=name)
    assert exports_c.sum() > 0 and imports_c.sum() > 0
    # some buyers have no supplier that can deliver: they buy all their inputs on the market at large
    assert ref["n_no_supplier"] > 0 and unplaced_c.sum() > 0
    # world exports are world imports (rtol: the two sums add the same links in different orders)
    close(exports_c.sum(), imports_c.sum())
    np.testing.assert_array_equal(
        q_slots, oracles.slot_matrix(net.sup, f.alive, np.where(feas[nm:], price[nm:], np.inf), np.inf)
    )
    np.testing.assert_array_equal(open_slots, ref["open_slots"])
    if weights == "model":
        # the model's trade pass is this one: same weights, same numbers
        for name, got in (("revenue", tr.revenue), ("purchases", tr.purchases),
                          ("exports_c", tr.exports_by_economy), ("imports_c", tr.imports_by_economy),
                          ("unplaced_c", tr.unplaced_inputs)):  # fmt: skip
            np.testing.assert_array_equal(got, ref[name], err_msg=name)

    wedge = comp + pay + dh
    region_of = model.region_of
    acc = seller_accounts(
        links, rev, arrays, tab, model.local_price, region_of, sigma=sigma, cap=f.capacity, n_c=n_c, link_metrics=True
    )
    core, comp_var, payment, dest_host, exports, n_foreign, local_rev, served, intra, cost, flows = acc
    # the link sums of the metrics, as link_metric_sums computes them (bit for bit: same order), or none
    for got, want in zip(
        (intra, cost, flows),
        link_metric_sums(links, rev, tau, wedge, arrays, region_of, cap=f.capacity, n_c=n_c),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)
    without = seller_accounts(
        links, rev, arrays, tab, model.local_price, region_of, sigma=sigma, cap=f.capacity, n_c=n_c, link_metrics=False
    )
    for got, want in zip(without[:8], acc[:8], strict=True):
        np.testing.assert_array_equal(got, want)
    assert all(x.size == 0 for x in without[8:])

    def by_firm(v):
        return np.bincount(seller, weights=v, minlength=f.capacity)

    vc = rev * (sigma - 1.0) / sigma
    one_w = 1.0 + wedge
    foreign = f.economy[seller] != dest
    # rtol: the kernel skips the division by 1 + W = 1 on wedge-free links (test_seller_accounts_zero_wedge_links_exact
    # checks those bit for bit); the oracle divides every link
    close(core, by_firm(vc / one_w))
    close(comp_var, by_firm(vc * comp / one_w))
    close(payment, by_firm(vc * pay / one_w))
    close(dest_host, by_firm(vc * dh / one_w))
    # (np.where, not rev · foreign: entrants since the model's trade pass have no unit cost yet, and their domestic
    # links a non-finite revenue here that the kernel never adds to exports)
    close(exports, by_firm(np.where(foreign, rev, 0.0)))
    close(n_foreign, np.bincount(seller[:nm], weights=foreign[:nm].astype(float), minlength=f.capacity))
    # destination-hosting revenue per economy is an aggregate: each link's per-firm amount times the seller's weight
    close(local_rev, np.bincount(dest, weights=vc * dh / one_w * fw[seller], minlength=n_c))
    assert np.nansum(local_rev) > 0
    np.testing.assert_array_equal(
        flows, np.bincount(f.economy[seller][foreign] * n_c + dest[foreign], weights=(rev * fw[seller])[foreign],
                           minlength=n_c * n_c),
    )  # fmt: skip
    served_links = foreign & ((np.arange(seller.size) < nm) | (rev > 0))
    np.testing.assert_array_equal(served, oracles.served_masks(seller, dest, served_links, f.capacity, n_c))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_seller_accounts_zero_wedge_links_exact(seed):
    """Links without a wedge (compliance = payment = destination hosting = 0, as every domestic link) skip the
    divisions by 1 + W = 1; the per-seller sums stay bit for bit those of ``np.bincount`` over the numpy expressions,
    with ±0 wedge terms, non-finite revenue and zero sums included."""
    rng = np.random.default_rng(seed)
    n, cap, n_c, nm, sigma = 4000, 300, 70, 900, 4.3
    seller = rng.integers(0, cap - 5, n)
    dest = rng.integers(0, n_c, n)
    economy = rng.integers(0, n_c, cap).astype(np.int16)
    dest[: n // 2] = economy[seller[: n // 2]]  # many domestic links
    rev = rng.lognormal(0.0, 2.0, n) * (rng.random(n) > 0.05)
    # a trade table whose rows hold zero, -0 and positive compliance, destination storage and payment terms (δ of
    # some sellers is 0 or -0 too); the first half of the links read rows without any
    n_rows = 600
    tab = np.zeros((n_rows, 8))
    tab[:, 0] = 1.0 + rng.random(n_rows)
    for col in (1, 2, 4):
        x = rng.random(n_rows) * 0.3 * (rng.random(n_rows) < 0.4)
        x[rng.random(n_rows) < 0.05] = -0.0
        tab[:, col] = x
    tab[:100, [1, 2, 4]] = 0.0
    tab[3, 2] = -0.0
    rows = rng.integers(100, n_rows, n).astype(np.int32)
    rows[: n // 2] = rng.integers(0, 100, n // 2)
    rows[5] = 3
    delta = rng.random(cap)
    delta[rng.random(cap) < 0.05] = 0.0
    delta[1] = -0.0
    local_price = 0.5 + rng.random(n_c)
    comp = delta[seller] * tab[rows, 1]
    pay = tab[rows, 4]
    dh = delta[seller] * tab[rows, 2] * local_price[dest]
    tau = tab[rows, 0]
    rev[[7, 11, 2500]] = [np.inf, np.nan, np.inf]  # non-finite revenue on wedge-free links and one other
    region_of = rng.integers(0, 5, n_c)
    fw = rng.lognormal(0.0, 1.0, cap)  # agent weights: destination-hosting revenue and flows are weighted aggregates
    links = trade_links(seller, dest, nm, rows, delta[seller])
    arrays = firm_arrays(cap, economy=economy, weight=fw)
    got = seller_accounts(
        links, rev, arrays, tab, local_price, region_of, sigma=sigma, cap=cap, n_c=n_c, link_metrics=True
    )
    core, comp_var, payment, dest_host, exports, n_foreign, local_rev, served, intra, cost, flows = got

    def by_firm(v):
        return np.bincount(seller, weights=v, minlength=cap)

    vc = rev * (sigma - 1.0) / sigma
    one_w = 1.0 + (comp + pay + dh)
    foreign = economy[seller] != dest
    with np.errstate(invalid="ignore"):
        want = {
            "core": by_firm(vc / one_w),
            "comp_var": by_firm(vc * comp / one_w),
            "payment": by_firm(vc * pay / one_w),
            "dest_host": by_firm(vc * dh / one_w),
            "local_rev": np.bincount(dest, weights=vc * dh / one_w * fw[seller], minlength=n_c),
            "exports": by_firm(np.where(foreign, rev, 0.0)),
        }
    for name, value in (("core", core), ("comp_var", comp_var), ("payment", payment), ("dest_host", dest_host),
                        ("local_rev", local_rev), ("exports", exports)):  # fmt: skip
        np.testing.assert_array_equal(value, want[name], err_msg=name)
        np.testing.assert_array_equal(np.signbit(value), np.signbit(want[name]), err_msg=name)
    assert np.isnan(comp_var).any() and np.isinf(core).any()  # the non-finite links take the general path
    np.testing.assert_array_equal(
        n_foreign, np.bincount(seller[:nm], weights=foreign[:nm].astype(float), minlength=cap)
    )
    wedge = comp + pay + dh
    for g, w in zip(
        (intra, cost, flows),
        link_metric_sums(links, rev, tau, wedge, arrays, region_of, cap=cap, n_c=n_c),
        strict=True,
    ):
        np.testing.assert_array_equal(g, w)
    o = economy[seller].astype(np.int64)
    np.testing.assert_array_equal(
        flows, np.bincount(o[foreign] * n_c + dest[foreign], weights=(rev * fw[seller])[foreign], minlength=n_c * n_c)
    )
    served_links = foreign & ((np.arange(n) < nm) | (rev > 0))
    np.testing.assert_array_equal(served, oracles.served_masks(seller, dest, served_links, cap, n_c))


def test_spillover_gain_matches_numpy(model):
    from simulator.model.innovation import spillover_gain

    rng = np.random.default_rng(11)
    phi = model.firms.phi * np.exp(rng.normal(0, 0.1, model.firms.capacity))
    ref = spillover_gain(model, phi)
    tr = model.trade
    logphi = np.log(np.maximum(phi, np.finfo(float).tiny))
    got = _spillover_gain(model.network.sup, tr.supplier_flow, tr.supplier_open, logphi, model.params["beta"])
    close(got, ref)


def test_link_metric_sums_match_numpy(model):
    f, tr = model.firms, model.trade
    n_c = len(model.world.iso3)
    seller, d = tr.sales_seller, tr.sales_dest
    o = f.economy[seller]
    foreign = o != d
    same = model.region_of[o] == model.region_of[d]
    gross = tr.sales_tau * (1.0 + tr.sales_wedge) - 1.0
    intra, cost, flows = link_metric_sums(
        tr.links, tr.sales_revenue, tr.sales_tau, tr.sales_wedge, f.arrays(), model.region_of, cap=f.capacity, n_c=n_c
    )
    # per-seller sums are per real firm; the economy × economy flows weigh each link by its seller's agent weight
    # (bit for bit: the oracle's extra terms on the links off the selection are +0, which leave a sum unchanged)
    np.testing.assert_array_equal(
        intra, np.bincount(seller, weights=tr.sales_revenue * (foreign & same), minlength=f.capacity)
    )
    np.testing.assert_array_equal(
        cost, np.bincount(seller, weights=tr.sales_revenue * gross * foreign, minlength=f.capacity)
    )
    flat = o[foreign].astype(np.int64) * n_c + d[foreign]
    np.testing.assert_array_equal(
        flows, np.bincount(flat, weights=(tr.sales_revenue * f.weight[seller])[foreign], minlength=n_c**2)
    )
    unweighted = np.bincount(flat, weights=tr.sales_revenue[foreign], minlength=n_c**2)
    assert not np.allclose(flows, unweighted)  # the small world's weights matter


def test_supplier_slot_matrices_and_hosting_step_match_numpy(model):
    from simulator.model import hosting

    f, c, net, p = model.firms, model.costs, model.network, model.params
    n_c, _, n_s = c.tau.shape
    terms = trade_terms(
        net.mk_firm,
        net.mk_dest,
        net.sup,
        f.arrays(),
        model.unit_cost,
        _trade_table(c.packed, trade_cols()),
        model.local_price,
        n_c=n_c,
        n_s=n_s,
        ban_threshold=p["ban_dependence_threshold"],
        sigma=p["sigma"],
    )
    nm = net.mk_firm.size
    feas, price, q, op = terms[4][nm:], terms[5][nm:], terms[6], terms[7]
    np.testing.assert_array_equal(q, oracles.slot_matrix(net.sup, f.alive, np.where(feas, price, np.inf), np.inf))
    buyer, slot = np.nonzero((net.sup >= 0) & f.alive[:, None])
    supplier = net.sup[buyer, slot]
    rows = (f.economy[supplier].astype(np.int64) * n_c + f.economy[buyer]) * n_s + f.sector[supplier]
    np.testing.assert_array_equal(op, oracles.slot_matrix(net.sup, f.alive, c.packed[rows, COL["openness"]], 0.0))

    # hosting: options + choice (every firm reconsiders) as the numpy form
    depth = hosting.effective_depth(model.market, c, p)
    idx = np.flatnonzero(f.alive)
    opts = oracles.options(idx, f, c, model.market, p, model.money_scale)
    chosen = oracles.choose(opts, f.delta[idx], f.revenue[idx], p)
    mode, access = f.hosting.copy(), f.access.copy()
    conn_pow = np.maximum(c.connectivity, np.finfo(float).tiny)[f.economy] ** (
        p["connectivity_supply_elasticity"] * f.delta
    )
    options = HostingOptions(
        move=c.home_move,
        copy=c.home_copy * p["copy_hosting_share"],
        transfer=c.home_transfer,
        local_price=hosting.market_price(model.market, c, p),
        local_quality=hosting.local_quality(depth),
        cloud_price=p["h_cloud"] * c.telecom,
        inhouse_price=p["h_inhouse"] * c.telecom,
        home_preference=model.market.preference,
    )
    assert np.ptp(hosting.utilisation(model.market)) > 0  # the scarcity term is exercised
    for got, want in zip(
        hosting.hosting_options(c, options.local_price, depth, model.market.preference, p), options, strict=True
    ):
        np.testing.assert_array_equal(got, want)  # the model's options
    h, share, fixed, home_comp, unit_cost = hosting_step(
        f.arrays()._replace(hosting=mode, access=access),
        f.alive,
        options,
        conn_pow,
        model.wage,
        inhouse_quality=p["inhouse_quality"],
        inhouse_fixed=p["inhouse_fixed"] * model.money_scale,
        zeta=p["zeta"],
        sigma=p["sigma"],
    )
    np.testing.assert_array_equal(mode[idx], chosen)
    assert np.unique(chosen).size >= 2  # the preference for hosting at home splits the firms
    rows = np.arange(idx.size)
    np.testing.assert_array_equal(h[idx], f.delta[idx] * opts.cost[rows, chosen])
    np.testing.assert_array_equal(share[idx], opts.local_share[rows, chosen])
    np.testing.assert_array_equal(fixed[idx], opts.fixed[rows, chosen])
    np.testing.assert_array_equal(home_comp[idx], f.delta[idx] * opts.compliance[rows, chosen])
    np.testing.assert_array_equal(access[idx], opts.quality[rows, chosen])
    phi_eff = f.phi * (1.0 + p["zeta"] * f.delta * access) * conn_pow
    np.testing.assert_array_equal(unit_cost[idx], (model.wage[f.economy] * (1.0 + h) / phi_eff)[idx])


def test_served_fixed_matches_unique_pairs(model):
    f, c, tr, p = model.firms, model.costs, model.trade, model.params
    n_c, _, n_s = c.tau.shape
    cap = f.capacity
    served = (f.economy[tr.sales_seller] != tr.sales_dest) & (
        (np.arange(tr.sales_seller.size) < tr.n_market_links) | (tr.sales_revenue > 0)
    )
    sel = np.flatnonzero(served)
    pairs = oracles.unique_pairs(tr.sales_seller[sel], tr.sales_dest[sel], n_c)
    ps, pd_ = pairs // n_c, pairs % n_c
    t = c.packed[oracles.flat_index(ps, pd_, f, c)]
    sc_amount = p["source_code_cost"] * model.money_scale
    ref = np.bincount(
        ps, weights=f.delta[ps] * (t[:, COL["fixed"]] + sc_amount * t[:, COL["source_code"]]), minlength=cap
    )
    first, second = oracles.top_two(ps, t[:, COL["firm_fixed"]], cap)
    ftab = _fixed_table(c.packed, COL["fixed"], COL["source_code"], COL["firm_fixed"], sc_amount)
    mask = oracles.served_masks(tr.sales_seller, tr.sales_dest, served, cap, n_c)
    fix, g1, g2 = served_fixed_masks(mask, f.economy, f.sector, f.delta, ftab, cap, n_c, n_s)
    np.testing.assert_array_equal(fix, ref)
    np.testing.assert_array_equal(g1, first)
    np.testing.assert_array_equal(g2, second)


@pytest.mark.parametrize("n_c", [5, 64, 150])
def test_served_masks_and_fixed_match_unique_pairs(n_c):
    rng = np.random.default_rng(n_c)
    n_s, cap, n = 3, 400, 4000
    seller = rng.integers(0, cap, n)
    dest = rng.integers(0, n_c, n)
    served = rng.random(n) < 0.4
    economy = rng.integers(0, n_c, cap).astype(np.int32)
    sector = rng.integers(0, n_s, cap).astype(np.int32)
    delta = rng.random(cap)
    packed = rng.random((n_c * n_c * n_s, 5))
    packed[:, 4] = np.round(packed[:, 4], 1)  # ties in the per-firm rule
    mask = oracles.served_masks(seller, dest, served, cap, n_c)
    n_w = (n_c + 63) // 64
    bits = np.zeros((cap, n_w * 64), bool)
    bits[seller[served], dest[served]] = True
    want = (bits.reshape(cap, n_w, 64) * (np.uint64(1) << np.arange(64, dtype=np.uint64))).sum(2, dtype=np.uint64)
    np.testing.assert_array_equal(mask.view(np.uint64), want.ravel())
    sel = np.flatnonzero(served)
    pairs = oracles.unique_pairs(seller[sel], dest[sel], n_c)
    ps, pd_ = pairs // n_c, pairs % n_c
    t = packed[(economy[ps].astype(np.int64) * n_c + pd_) * n_s + sector[ps]]
    ref = np.bincount(ps, weights=delta[ps] * (t[:, 0] + 0.3 * t[:, 1]), minlength=cap)
    first, second = oracles.top_two(ps, t[:, 4], cap)
    ftab = _fixed_table(packed, 0, 1, 4, 0.3)
    fix, g1, g2 = served_fixed_masks(mask, economy, sector, delta, ftab, cap, n_c, n_s)
    np.testing.assert_array_equal(fix, ref)
    np.testing.assert_array_equal(g1, first)
    np.testing.assert_array_equal(g2, second)


def test_fixed_table_matches_numpy():
    """F + sc_amount · source code and G per row, the numbers the fixed-cost rules computed from ``packed``."""
    rng = np.random.default_rng(5)
    packed = rng.random((300, 9)) * rng.choice([0.0, 1.0, 1e6], (300, 9))
    packed[:3, 7] = [np.inf, np.nan, -0.0]
    for amount in (0.0, 0.37, 1e-9):
        tab = _fixed_table(packed, 6, 7, 8, amount)
        assert tab.shape == (300, 2)
        with np.errstate(invalid="ignore"):  # 0 · ∞ is NaN, in the kernel as in numpy
            expected = packed[:, 6] + amount * packed[:, 7]
        np.testing.assert_array_equal(tab[:, 0], expected)
        np.testing.assert_array_equal(tab[:, 1], packed[:, 8])
    # the model keeps one table per cost tables (and source-code amount) and uses it in every fixed-cost rule
    from simulator.model import DataFlowModel

    world = small_world()
    m = DataFlowModel(world, schedule(baseline_state(world), horizon=4), n_firms=300, rng=1)
    trade_tab, fixed_tab = m.tables.trade, m.tables.fixed
    m.step()  # kept while the cost tables are the same
    assert m.tables.fixed is fixed_tab and m.tables.trade is trade_tab
    amount = m.params["source_code_cost"] * m.money_scale
    np.testing.assert_array_equal(
        fixed_tab, _fixed_table(m.costs.packed, COL["fixed"], COL["source_code"], COL["firm_fixed"], amount)
    )


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_sample_by_group_matches_numpy(seed):
    """The compiled draw ∝ weight within a group picks what argsort + cumsum + searchsorted + clip pick."""
    rng = np.random.default_rng(seed)
    n, n_g = (3000, 12) if seed < 2 else (20000, 4)
    group = rng.integers(0, n_g - 2, n).astype(np.int32)  # the last two groups are empty
    # heavy-tailed weights, or small integers (exact ties of targets with cumulative weights)
    weight = rng.pareto(1.5, n) if seed % 2 == 0 else rng.integers(1, 4, n).astype(float)
    weight = np.where(rng.random(n) < 0.2, 0.0, weight)
    eligible = rng.random(n) < 0.9
    wanted = rng.integers(-1, n_g, 5000)
    u = rng.random(wanted.size)
    u[:50] = 0.0
    if seed % 2:
        u[50:500] = rng.integers(0, 40, 450) / 40.0  # targets on the grid of the integer weights
    idx = np.flatnonzero(eligible & (weight > 0))
    order = idx[np.argsort(group[idx], kind="stable")]
    g_sorted = group[order]
    cum = np.cumsum(weight[order])
    start = np.searchsorted(g_sorted, np.arange(n_g), side="left")
    stop = np.searchsorted(g_sorted, np.arange(n_g), side="right")
    base = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
    top = np.where(stop > 0, cum[np.maximum(stop - 1, 0)], 0.0)
    w = np.maximum(wanted, 0)
    pos = np.searchsorted(cum, base[w] + u * (top[w] - base[w]), side="right")
    pos = np.clip(pos, start[w], np.maximum(stop[w] - 1, start[w]))
    ok = (wanted >= 0) & (stop[w] > start[w])
    expected = np.full(wanted.size, -1, dtype=np.int64)
    expected[ok] = order[np.minimum(pos[ok], order.size - 1)]
    np.testing.assert_array_equal(sample_by_group(group, weight, eligible, wanted, u, n_g), expected)


@pytest.mark.parametrize("seed", [0, 1])
def test_supplier_switch_kernels_match_numpy(seed):
    """Duplicate check and fill-or-switch of the supplier rule against their numpy form."""
    rng = np.random.default_rng(seed)
    cap, m = 400, 4
    sup = np.where(rng.random((cap, m)) < 0.3, -1, rng.integers(0, cap, (cap, m)))
    price = np.where(rng.random((cap, m)) < 0.1, np.inf, rng.choice([1.0, 2.0, 3.0], (cap, m)))
    buyers = np.sort(rng.choice(cap, 150, replace=False))
    cand = rng.integers(0, cap, buyers.size)
    cand[:20] = sup[buyers[:20], 0]
    dup = duplicate_candidates(sup, buyers, cand)
    np.testing.assert_array_equal(dup, (sup[buyers] == cand[:, None]).any(axis=1))
    q = np.where(rng.random(buyers.size) < 0.1, np.inf, rng.choice([0.5, 1.0, 1.9, 2.0, 2.5, 3.5], buyers.size))
    keep = 1 - 0.05
    expected = sup.copy()
    rows = expected[buyers]
    empty = rows < 0
    has_empty = empty.any(axis=1)
    prices = np.where(empty, -np.inf, price[buyers])
    worst = np.argmax(prices, axis=1)
    switch = ~has_empty & (q < prices[np.arange(buyers.size), worst] * keep)
    slot = np.where(has_empty, np.argmax(empty, axis=1), worst)
    act = (has_empty & np.isfinite(q)) | switch
    expected[buyers[act], slot[act]] = cand[act]
    got = sup.copy()
    assert switch_suppliers(got, price, buyers, cand, q, keep) == act.sum()
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("seed", [0, 1])
def test_clear_dead_suppliers_matches_numpy(seed):
    """Removing dead firms' supplier links in one pass, against the numpy form."""
    rng = np.random.default_rng(seed)
    cap, m = 300, 4
    sup = np.where(rng.random((cap, m)) < 0.3, -1, rng.integers(0, cap, (cap, m)))
    dead = rng.random(cap) < 0.1
    expected = sup.copy()
    expected[dead] = -1
    expected[(expected >= 0) & dead[np.maximum(expected, 0)]] = -1
    got = sup.copy()
    clear_dead_suppliers(got, dead)
    np.testing.assert_array_equal(got, expected)


def test_count_edges_matches_searchsorted():
    """Size classes by counting thresholds, against ``np.searchsorted(..., side="right")`` (ties and NaN included)."""
    rng = np.random.default_rng(0)
    edges = np.array([0.5, 1.0, 1.0, 4.0])
    values = np.concatenate([rng.random(200) * 5.0, edges, [np.nan, -np.inf, np.inf, 0.0]])
    got = count_edges_at_or_below(values, edges)
    np.testing.assert_array_equal(got, np.searchsorted(edges, values, side="right").astype(np.int8))
    assert got.dtype == np.int8


def test_markets_exist_matches_sorted_keys():
    """Existing-market look-up of the market rule against the sorted-key search it replaces."""
    rng = np.random.default_rng(0)
    cap, n_c = 500, 12
    mk_firm = rng.integers(0, cap, 1500)
    mk_dest = rng.integers(0, n_c, 1500).astype(np.int32)
    cand_firm = np.sort(rng.choice(cap, 200, replace=False))
    cand_dest = rng.integers(0, n_c, cand_firm.size)
    cand_dest[:30] = mk_dest[np.searchsorted(mk_firm, cand_firm[:30]) % mk_firm.size]
    existing = np.sort(mk_firm * n_c + mk_dest)
    keys = cand_firm * n_c + cand_dest
    pos = np.minimum(np.searchsorted(existing, keys), existing.size - 1)
    expected = existing[pos] == keys
    np.testing.assert_array_equal(markets_exist(mk_firm, mk_dest, cand_firm, cand_dest, cap), expected)


def _metric_cells_numpy(model, links, phi_eff):
    """The per-firm metric quantities of ``cells.metric_cells`` in readable numpy, summed per economy × sector ×
    size cell over the firms alive or exiting with ``np.bincount`` (slot order), and value added and investment per
    economy over every slot.

    Every per-firm quantity is per real firm and enters times the agent's weight w (counts are counts of real firms);
    productivity is the effective φ̃ weighted by positive value added of the firms alive (``output_weight``,
    ``phi_output``).
    """
    f, a, inn = model.firms, model.accounts, model.innovation
    n_c, n_s = model.cell_target.shape
    n_z = 4
    w = f.weight
    alive = f.alive * w
    intra, trade_cost, _ = links
    sup = model.network.sup
    valid = (sup >= 0) & f.alive[:, None]
    foreign_slot = valid & (f.economy[np.maximum(sup, 0)] != f.economy[:, None])
    suppliers = valid.sum(axis=1)
    foreign_suppliers = foreign_slot.sum(axis=1)
    foreign_buyers = np.bincount(sup[foreign_slot], minlength=f.capacity)
    services = (model.world.sectors["kind"].to_numpy() == "services")[f.sector]
    growth = np.log(np.divide(f.phi, model.prev_phi, out=np.ones(f.capacity), where=(model.prev_phi > 0) & f.alive))
    exporter = (a.exports > 0) * w
    facing = (a.compliance > 0) * w
    va_pos = np.maximum(a.value_added, 0.0) * alive
    q = {
        "access_weighted": f.access * f.delta * alive,
        "compliance": a.compliance * w,
        "compliance_facing": a.compliance * facing,
        "data_management_facing": (a.compliance + a.hosting + a.inhouse_capex) * facing,
        "dds_exports": a.exports * f.delta * services * w,
        "delta": f.delta * alive,
        "entrants": ((f.born == model.steps) & (model.steps > 0)) * alive,
        "exits": model.exiting * w,
        "exporter": exporter,
        "exports": a.exports * w,
        "firms": alive,
        "foreign_partners": (a.n_foreign_markets + foreign_buyers) * exporter,
        "foreign_suppliers": foreign_suppliers * w,
        "innovated": inn.innovated * w,
        "intra_region_exports": intra * w,
        "investment": (inn.rd + a.inhouse_capex) * w,
        "local_hosting": a.local_hosting * w,
        "log_growth": growth * alive,
        "output_weight": va_pos,
        "phi_output": phi_eff * va_pos,
        "rd": inn.rd * w,
        "revenue": a.revenue * w,
        "suppliers": suppliers * w,
        "total_cost_facing": (a.variable_cost + a.fixed) * facing,
        "trade_cost": trade_cost * w,
        "value_added": a.value_added * w,
        "withdrawals": model.withdrawals * w,
        "withdrew": f.withdrew * alive,
    }
    assert tuple(q) == METRIC_QUANTITIES
    cell = (f.economy.astype(np.int64) * n_s + f.sector) * n_z + f.size
    idx = np.flatnonzero(f.alive | model.exiting)
    table = np.stack(
        [np.bincount(cell[idx], weights=v[idx].astype(float), minlength=n_c * n_s * n_z) for v in q.values()], axis=1
    )
    by_economy = np.stack(
        [
            np.bincount(f.economy, weights=a.value_added * w, minlength=n_c),
            np.bincount(f.economy, weights=(inn.rd + a.inhouse_capex) * w, minlength=n_c),
        ],
        axis=1,
    )
    return table, by_economy


def test_metric_cells_match_numpy(model):
    """The one-pass metric table (with its supplier-slot pass) against the 28 weighted per-firm quantities in numpy
    summed by cell; value added and investment per economy against ``np.bincount``. Bit for bit (the same products,
    added in slot order)."""
    from simulator.model import metrics
    from simulator.model.population import SizeClass

    f = model.firms
    n_c, n_s = model.cell_target.shape
    n_z = len(SizeClass)
    assert n_z == 4
    saved = model.exiting
    rng = np.random.default_rng(4)
    try:
        model.exiting = f.alive & (rng.random(f.capacity) < 0.1)  # some firms exiting
        tr = model.trade
        links = link_metric_sums(
            tr.links,
            tr.sales_revenue,
            tr.sales_tau,
            tr.sales_wedge,
            f.arrays(),
            model.region_of,
            cap=f.capacity,
            n_c=n_c,
        )
        phi_eff = model.effective_productivity()
        want, want_econ = _metric_cells_numpy(model, links, phi_eff)
        table, by_economy = metrics.cell_tables(model, links)
        np.testing.assert_array_equal(table, want)
        np.testing.assert_array_equal(by_economy, want_econ)
        cell = (f.economy.astype(np.int64) * n_s + f.sector) * n_z + f.size
        idx = np.flatnonzero(f.alive | model.exiting)
        # the weights matter (the small world's cells have different weights), and so does φ̃
        col = {name: i for i, name in enumerate(METRIC_QUANTITIES)}
        unweighted = np.bincount(cell[idx], weights=f.alive[idx].astype(float), minlength=n_c * n_s * n_z)
        assert not np.allclose(table[:, col["firms"]], unweighted)
        assert table[:, col["output_weight"]].sum() > 0
        assert not np.allclose(table[:, col["phi_output"]], table[:, col["output_weight"]])
        # random weights and random effective productivities through the kernel and the numpy form
        saved_w = f.weight
        try:
            f.weight = rng.lognormal(0.0, 1.0, f.capacity)
            phi_rand = rng.lognormal(0.0, 0.5, f.capacity)
            a = model.accounts
            slots = SlotQuantities(
                exiting=model.exiting,
                phi_eff=phi_rand,
                growth=metrics.log_growth(model),
                revenue=a.revenue,
                exports=a.exports,
                n_foreign=a.n_foreign_markets,
                compliance=a.compliance,
                variable_cost=a.variable_cost,
                fixed=a.fixed,
                hosting=a.hosting,
                inhouse_capex=a.inhouse_capex,
                value_added=a.value_added,
                local_hosting=a.local_hosting,
                rd=model.innovation.rd,
                innovated=model.innovation.innovated,
                withdrawals=model.withdrawals,
                intra=links[0],
                trade_cost=links[1],
            )
            got = metric_cells(
                f.arrays(),
                slots,
                model.network.sup,
                model.collector.services,
                step=model.steps,
                n_c=n_c,
                n_s=n_s,
                n_z=n_z,
            )
            want = _metric_cells_numpy(model, links, phi_rand)
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])
        finally:
            f.weight = saved_w
    finally:
        model.exiting = saved


def test_phi_ratio_matches_numpy():
    rng = np.random.default_rng(2)
    phi, prev = rng.random(500) + 0.5, rng.random(500)
    prev[:50] = 0.0
    alive = rng.random(500) < 0.8
    ref = np.divide(phi, prev, out=np.ones(500), where=(prev > 0) & alive)
    np.testing.assert_array_equal(phi_ratio(phi, prev, alive), ref)


def test_account_totals_match_numpy(model):
    """The compiled tail of ``firm_accounts`` against its numpy expressions (bit for bit)."""
    f = model.firms
    cap, n_c = f.capacity, model.n_economies
    rng = np.random.default_rng(9)
    r = lambda: rng.random(cap)  # noqa: E731
    revenue, purchases, core, comp_var, dest_host, n_foreign = r(), r(), r(), r(), r(), rng.integers(0, 4, cap) * 1.0
    hosting_cost, home_comp, share, hosting_fixed, fix_comp, g_first = r(), r() * 0.1, r(), r(), r(), r()
    operating_cell, entry, dest_by_dest = rng.random((n_c, model.n_sectors)), r(), rng.random(n_c)
    operating = operating_cell[f.economy, f.sector]
    sigma, export_fixed = 4.0, 0.37
    local_rev = dest_by_dest.copy()
    fw = rng.lognormal(0.0, 1.0, cap)  # agent weights: only the hosting revenue per economy (an aggregate) reads them
    sums = SellerCosts(
        core=core,
        compliance=comp_var,
        dest_hosting=dest_host,
        n_foreign=n_foreign,
        fixed_compliance=fix_comp,
        rule_first=g_first,
    )
    hosted = FirmHosting(cost=hosting_cost, compliance=home_comp, local_share=share, fixed=hosting_fixed)
    got = account_totals(
        f.arrays()._replace(weight=fw),
        revenue,
        purchases,
        sums,
        hosted,
        operating_cell,
        entry,
        local_rev,
        export_fixed=export_fixed,
        sigma=sigma,
    )
    hosting = core * (hosting_cost - home_comp) / (1.0 + hosting_cost)
    compliance_home = core * home_comp / (1.0 + hosting_cost)
    fixed_compliance = fix_comp + f.delta * g_first
    fixed = operating * f.alive + export_fixed * n_foreign + fixed_compliance + hosting_fixed * f.alive + entry
    local = (hosting + compliance_home) * share
    ref = (
        hosting, fixed_compliance, fixed, comp_var + fixed_compliance + dest_host + compliance_home,
        revenue / sigma - fixed, revenue - purchases, revenue - revenue / sigma, local + dest_host,
        hosting_fixed * f.alive,
    )  # fmt: skip
    for g, want in zip(got, ref, strict=True):
        np.testing.assert_array_equal(g, want)
    np.testing.assert_array_equal(local_rev, np.bincount(f.economy, weights=local * fw, minlength=n_c) + dest_by_dest)


def test_cell_profit_revenue_matches_numpy(model):
    f = model.firms
    n_c, n_s = model.cell_target.shape
    exclude = np.random.default_rng(2).random(f.capacity) < 0.1
    prof, rev, n = cell_profit_revenue(f.alive, exclude, f.economy, f.sector, n_c, n_s, f.profit, f.revenue)
    stay = f.alive & ~exclude
    cell = f.economy.astype(np.int64) * n_s + f.sector
    np.testing.assert_array_equal(prof, np.bincount(cell[stay], weights=f.profit[stay], minlength=n_c * n_s))
    np.testing.assert_array_equal(rev, np.bincount(cell[stay], weights=f.revenue[stay], minlength=n_c * n_s))
    np.testing.assert_array_equal(n, np.bincount(cell[stay], minlength=n_c * n_s))


@pytest.mark.parametrize("seed", [0, 1])
def test_market_drops_match_numpy(model, seed):
    f, c, net, tr, p = model.firms, model.costs, model.network, model.trade, model.params
    n_c, _, n_s = c.tau.shape
    rng = np.random.default_rng(seed)
    # the market links as traded (the network's have changed since: drops, entries, exits)
    nm = tr.n_market_links
    firm, dest = tr.sales_seller[:nm], tr.sales_dest[:nm].astype(np.int32)
    assert net.mk_firm.size > 0
    feasible = tr.market_feasible & (rng.random(firm.size) < 0.9)
    reconsider = f.alive & (rng.random(f.capacity) < 0.5)
    revenue = tr.market_revenue * rng.uniform(0.0, 2.0, firm.size)
    sigma = p["sigma"]
    # the numpy form of markets.update_markets
    foreign = f.economy[firm] != dest
    profit = revenue / sigma - oracles.market_fixed(model, firm, dest)
    profit[foreign] -= oracles.firm_fixed_saving(model, firm[foreign], dest[foreign])
    want = foreign & (~feasible | (reconsider[firm] & (profit < 0)))
    ftab = _fixed_table(
        c.packed, COL["fixed"], COL["source_code"], COL["firm_fixed"], p["source_code_cost"] * model.money_scale
    )
    got = market_drops(
        firm,
        dest,
        f.arrays(),
        ftab,
        revenue,
        feasible,
        reconsider,
        rule_first=model.accounts.firm_rule_first,
        rule_second=model.accounts.firm_rule_second,
        export_fixed=p["fixed_export_cost"] * model.money_scale,
        sigma=sigma,
        n_c=n_c,
        n_s=n_s,
    )
    np.testing.assert_array_equal(got, want)
    assert want.any() and not want.all()


@pytest.mark.parametrize("seed", [0, 1])
def test_clear_infeasible_slots_matches_numpy(seed):
    rng = np.random.default_rng(seed)
    sup = rng.integers(-1, 50, (60, 4))
    price = rng.random((60, 4))
    price[rng.random((60, 4)) < 0.3] = np.inf
    price[rng.random((60, 4)) < 0.05] = -np.inf
    price[rng.random((60, 4)) < 0.05] = np.nan
    want = sup.copy()
    want[np.isinf(price) & (want >= 0)] = -1
    clear_infeasible_slots(sup, price)
    np.testing.assert_array_equal(sup, want)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_drop_foreign_buyers_matches_numpy(model, seed):
    """The supplier withdrawal rule against a plain per-pair form (sales summed in row-major slot order)."""
    f, c, net, p = model.firms, model.costs, model.network, model.params
    n_c, _, n_s = c.tau.shape
    rng = np.random.default_rng(seed)
    cap, m = net.sup.shape
    reconsider = f.alive & (rng.random(cap) < 0.6)
    flow = rng.pareto(1.0, (cap, m)) * rng.choice([0.0, 1e-3, 1.0, 30.0], (cap, m)) * model.money_scale
    mk_firm, mk_dest = net.mk_firm, net.mk_dest
    # some foreign market links, so that the market look-up matters
    b_of = np.flatnonzero(((net.sup >= 0) & f.alive[:, None]).any(axis=1))[:60]
    sellers = net.sup[b_of].max(axis=1)
    mk_firm = np.concatenate([mk_firm, sellers])
    mk_dest = np.concatenate([mk_dest, f.economy[b_of]])
    first = model.accounts.firm_rule_first.copy()
    second = model.accounts.firm_rule_second.copy()
    fe, sc = p["fixed_export_cost"] * model.money_scale, p["source_code_cost"] * model.money_scale * 3.0
    sigma = p["sigma"]
    fw = rng.uniform(0.2, 3.0, cap)  # agent weights: a supplier's sales per real firm are flow · fw_b / fw_s
    # the plain form
    sales: dict[tuple[int, int], float] = {}
    slots: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for b in np.flatnonzero(f.alive):
        for j in range(m):
            s = net.sup[b, j]
            if s >= 0 and reconsider[s] and f.economy[s] != f.economy[b]:
                key = (int(s), int(f.economy[b]))
                sales[key] = sales.get(key, 0.0) + flow[b, j] * (fw[b] / fw[s])
                slots.setdefault(key, []).append((b, j))
    markets = set(zip(mk_firm.tolist(), mk_dest.tolist(), strict=True))
    want_sup, want_w = net.sup.copy(), np.zeros(cap)
    for (s, d), v in sales.items():
        row = (int(f.economy[s]) * n_c + d) * n_s + int(f.sector[s])
        t = c.packed[row]
        fixed = (fe + f.delta[s] * (t[COL["fixed"]] + sc * t[COL["source_code"]])) - fe
        saving = first[s] - second[s] if t[COL["firm_fixed"]] >= first[s] else 0.0
        fixed = fixed + f.delta[s] * saving
        if (s, d) not in markets and fixed > 0 and v / sigma < fixed:
            want_w[s] += 1.0
            for b, j in slots[(s, d)]:
                want_sup[b, j] = -1
    sup, withdrawals, withdrew = net.sup.copy(), np.zeros(cap), np.zeros(cap, bool)
    ftab = _fixed_table(c.packed, COL["fixed"], COL["source_code"], COL["firm_fixed"], sc)
    n_drop = drop_foreign_buyers(
        sup,
        flow,
        mk_firm,
        mk_dest,
        f.arrays()._replace(withdrew=withdrew),
        ftab,
        reconsider,
        withdrawals,
        rule_first=first,
        rule_second=second,
        fw=fw,
        export_fixed=fe,
        sigma=sigma,
        n_c=n_c,
        n_s=n_s,
    )
    assert 0 < n_drop == want_w.sum() < len(sales)
    assert any(key in markets for key in sales)
    np.testing.assert_array_equal(sup, want_sup)
    np.testing.assert_array_equal(withdrawals, want_w)
    np.testing.assert_array_equal(withdrew, want_w > 0)


@pytest.mark.parametrize("seed", [0, 1])
def test_innovation_kernels_match_numpy(seed):
    """R&D, the success exponent (R&D and knowledge stock), the success draws and own-innovation φ as numpy computes."""
    rng = np.random.default_rng(seed)
    n = 2000
    profit = rng.normal(0.0, 1.0, n)
    profit[:5] = [0.0, np.nan, -1.0, np.inf, 2.0]
    revenue = np.where(rng.random(n) < 0.1, 0.0, rng.pareto(1.5, n))
    alive = rng.random(n) < 0.8
    ret = rng.uniform(0.5, 1.0, n)
    conn_factor = rng.uniform(0.1, 2.0, 7)
    economy = rng.integers(0, 7, n).astype(np.int32)
    access = rng.uniform(0.2, 1.0, n)
    absorb = conn_factor[economy] * access
    knowledge = np.where(rng.random(n) < 0.2, 0.0, rng.lognormal(0.0, 1.0, n))
    rho, theta, gbar, dep, gamma = 0.05, 3.0, 0.1, 0.07, 0.6
    rd_want = rho * np.maximum(profit, 0.0) * ret * alive
    effective = (1.0 - gamma) * rd_want + gamma * dep * ((1.0 - dep) * knowledge + rd_want)
    intensity = np.divide(effective, revenue, out=np.zeros_like(rd_want), where=revenue > 0)
    x_want = -theta * intensity * absorb
    arrays = firm_arrays(n, revenue=revenue, alive=alive, economy=economy, knowledge=knowledge)
    rd, x = rd_success_exponent(
        profit, arrays, ret, conn_factor, access, rho=rho, theta=theta, depreciation=dep, stock_weight=gamma
    )
    np.testing.assert_array_equal(rd, rd_want)
    np.testing.assert_array_equal(x, x_want)
    phi = rng.lognormal(0.0, 1.0, n)
    u = rng.random(n)
    draws = rng.exponential(1.0, n)
    prob = 1.0 - np.exp(x_want)
    success_want = (u < prob) & alive
    phi_want = phi * (1.0 + draws * gbar * success_want)
    got_phi, success = innovation_success(phi, u, draws, gbar, np.exp(x), alive)
    np.testing.assert_array_equal(success, success_want)
    np.testing.assert_array_equal(got_phi, phi_want)
    assert success.any() and not success.all()


def _random_links(rng: np.random.Generator, n: int = 5000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Market links of 900 firms: firm (int64), destination and birth step (int32)."""
    firm = rng.integers(0, 900, n)
    dest = rng.integers(0, 40, n).astype(np.int32)
    born = rng.integers(0, 30, n).astype(np.int32)
    return firm, dest, born


def test_keep_links_matches_boolean_indexing():
    rng = np.random.default_rng(0)
    n = 5000
    firm, dest, born = _random_links(rng, n)
    for keep in (rng.random(n) < 0.7, np.zeros(n, bool), np.ones(n, bool)):
        got = keep_links(firm, dest, born, keep)
        for g, want in zip(got, (firm[keep], dest[keep], born[keep]), strict=True):
            assert g.dtype == want.dtype
            np.testing.assert_array_equal(g, want)


def test_keep_live_links_matches_boolean_indexing():
    rng = np.random.default_rng(1)
    firm, dest, born = _random_links(rng)
    for dead in (rng.random(900) < 0.1, np.zeros(900, bool), np.ones(900, bool)):
        keep = ~dead[firm]
        got = keep_live_links(firm, dest, born, dead)
        for g, want in zip(got, (firm[keep], dest[keep], born[keep]), strict=True):
            assert g.dtype == want.dtype
            np.testing.assert_array_equal(g, want)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sample_cdf_rows_matches_numpy(seed):
    rng = np.random.default_rng(seed)
    n_c = 11
    w = rng.random((n_c, n_c)) * (rng.random((n_c, n_c)) < 0.6)
    w[2] = 0.0
    cdf = np.cumsum(w / np.maximum(w.sum(axis=1, keepdims=True), 1e-300), axis=1)
    cdf[5, -1] = np.nan
    cdf[6, 3] = np.nan  # rows that are not monotone are counted entry by entry
    cdf[7, 2] = cdf[7, 8] + 0.5
    rows = rng.integers(0, n_c, 4000)
    u = rng.random(4000)
    u[:50] = cdf[rows[:50], rng.integers(0, n_c, 50)]  # ties with the CDF's entries
    want = np.minimum((cdf[rows] < u[:, None]).sum(axis=1), n_c - 1)
    want[cdf[rows, -1] <= 0] = -1
    got = sample_cdf_rows(cdf, rows, u)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("n", [1, 5, 8, 9, 16, 58, 127, 128])
@pytest.mark.parametrize("exclude_home", [False, True])
def test_gravity_cdf_rows_is_bit_identical_to_numpy(n, exclude_home):
    rng = np.random.default_rng(n)
    for _ in range(20):
        mass = rng.lognormal(0.0, 3.0, n) * (rng.random(n) < 0.8)
        decay = rng.lognormal(0.0, 2.0, (n, n))
        w = mass[None, :] * decay
        if exclude_home:
            np.fill_diagonal(w, 0.0)
        total = w.sum(axis=1, keepdims=True)
        want = np.cumsum(np.divide(w, total, out=np.zeros_like(w), where=total > 0), axis=1)
        np.testing.assert_array_equal(gravity_cdf_rows(mass, decay, exclude_home), want)
    assert gravity_cdf_rows(np.zeros(n), np.ones((n, n)), exclude_home).max() == 0.0


def test_supplier_weights_match_numpy():
    rng = np.random.default_rng(4)
    n, n_c = 3000, 17
    sales = rng.lognormal(0.0, 2.0, n) * (rng.random(n) < 0.7)
    powered = sales**0.8
    born = rng.integers(0, 12, n)
    alive = rng.random(n) < 0.9
    economy = rng.integers(0, n_c, n).astype(np.int32)
    step = 9
    s = np.where(born > step, 0.0, sales)
    weight_want = np.where(s > 0, powered * alive, 0.0)
    weight, mass = supplier_weights(sales, powered, born, step, alive, economy, n_c)
    np.testing.assert_array_equal(weight, weight_want)
    np.testing.assert_array_equal(mass, np.bincount(economy, weights=weight_want, minlength=n_c))


def test_firm_update_and_loss_streaks_match_numpy():
    rng = np.random.default_rng(5)
    n = 4000
    alive = rng.random(n) < 0.9
    knowledge, rd, phi_new, phi = (rng.lognormal(0.0, 1.0, n) for _ in range(4))
    profit, revenue = rng.normal(0.0, 1.0, n), rng.lognormal(0.0, 1.0, n)
    keep = 1.0 - 0.15
    arrays = firm_arrays(n, alive=alive, knowledge=knowledge, phi=phi)
    k, ph, pr, rev = firm_update(arrays, rd, phi_new, profit, revenue, keep=keep)
    np.testing.assert_array_equal(k, keep * knowledge + rd)
    np.testing.assert_array_equal(ph, np.where(alive, phi_new, phi))
    np.testing.assert_array_equal(pr, profit - rd)
    np.testing.assert_array_equal(rev, revenue)
    assert rev is not revenue
    streak = rng.integers(0, 4, n).astype(np.int32)
    losing = alive & (profit < 0)
    want = np.where(losing, streak + 1, 0).astype(np.int32)
    got, exiting = loss_streaks(alive, profit, streak, 3)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(exiting, alive & (want >= 3))


def test_alive_sums_match_bincount():
    rng = np.random.default_rng(6)
    n, n_g = 5000, 23
    group = rng.integers(0, n_g, n)
    values = rng.normal(0.0, 1.0, n)
    alive = rng.random(n) < 0.8
    np.testing.assert_array_equal(
        alive_sums(group, values, alive, n_g), np.bincount(group, weights=values * alive, minlength=n_g)
    )


def _sum_rows(index, values, n):
    """Rows of ``values`` (k, q) summed by ``index`` (k,) into ``(n, q)`` with ``np.bincount`` (in row order)."""
    q = values.shape[1]
    flat = (np.asarray(index, dtype=np.int64)[:, None] * q + np.arange(q)).ravel()
    return np.bincount(flat, weights=values.ravel(), minlength=n * q).reshape(n, q)


@pytest.mark.parametrize("seed", [0, 1])
def test_level_sums_are_bit_identical_to_numpy(seed):
    rng = np.random.default_rng(seed)
    n_c, n_s, n_z, q, n_r = 13, 5, 4, 27, 3
    cell = rng.lognormal(0.0, 4.0, (n_c, n_s, n_z, q)) * (rng.random((n_c, n_s, n_z, q)) < 0.5)
    cell -= rng.random(cell.shape) * (rng.random(cell.shape) < 0.1)
    region_of = rng.integers(0, n_r, n_c)
    econ = cell.sum(axis=(1, 2))
    want = np.concatenate(
        [econ.sum(axis=0, keepdims=True), _sum_rows(region_of, econ, n_r), econ, cell.sum(axis=(0, 2)),
         cell.sum(axis=(0, 1))]
    )  # fmt: skip
    np.testing.assert_array_equal(level_sums(cell, region_of, n_r), want)


@pytest.mark.parametrize("seed", [0, 1])
def test_market_entries_match_numpy(model, seed):
    from simulator.model.link_terms import link_terms

    f, c, tr, p = model.firms, model.costs, model.trade, model.params
    n_c, _, n_s = c.tau.shape
    rng = np.random.default_rng(seed)
    firm = np.flatnonzero(f.alive)
    firm = firm[rng.random(firm.size) < 0.5]
    dest = rng.integers(0, n_c, firm.size)
    sigma = p["sigma"]
    lt = link_terms(firm, dest, f, c, model.local_price, p)
    price = sigma / (sigma - 1) * model.unit_cost[firm] * lt.tau * (1 + lt.wedge)
    x = np.where(lt.feasible, price ** (1 - sigma), 0.0) * rng.uniform(0.0, 50.0, firm.size)
    # the numpy form of markets.update_markets
    cell = dest * n_s + f.sector[firm]
    fw = rng.uniform(0.2, 3.0, f.capacity)  # agent weights: the candidate's real firms join the pool's mass
    mass = tr.open_mass.ravel()[cell] + x * fw[firm]
    e_open = (model.demand * model.tradability[None, :]).ravel()[cell]
    r_hat = np.divide(e_open * x, mass, out=np.zeros_like(x), where=mass > 0)
    entry_fixed = oracles.market_fixed(model, firm, dest) + oracles.firm_fixed_added(model, firm, dest)
    want = lt.feasible & (r_hat / sigma - entry_fixed > 0)
    ftab = _fixed_table(
        c.packed, COL["fixed"], COL["source_code"], COL["firm_fixed"], p["source_code_cost"] * model.money_scale
    )
    got = market_entries(
        firm,
        dest,
        f.arrays()._replace(weight=fw),
        ftab,
        x,
        lt.feasible,
        rule_first=model.accounts.firm_rule_first,
        open_mass=tr.open_mass.ravel(),
        demand=model.demand.ravel(),
        tradability=model.tradability,
        export_fixed=p["fixed_export_cost"] * model.money_scale,
        sigma=sigma,
        n_c=n_c,
        n_s=n_s,
    )
    np.testing.assert_array_equal(got, want)
    assert want.any() and not want.all()


def test_apply_drops_matches_numpy():
    rng = np.random.default_rng(2)
    n, cap = 6000, 900
    firm = rng.integers(0, cap, n)
    dest = rng.integers(0, 40, n).astype(np.int32)
    born = rng.integers(0, 30, n).astype(np.int32)
    for drop in (rng.random(n) < 0.2, np.zeros(n, bool), np.ones(n, bool)):
        withdrawals = rng.integers(0, 3, cap).astype(float)
        withdrew = rng.random(cap) < 0.1
        w_want, d_want = withdrawals + np.bincount(firm[drop], minlength=cap), withdrew.copy()
        d_want[firm[drop]] = True
        got = apply_drops(firm, dest, born, drop, withdrawals, withdrew)
        for g, want in zip(got, keep_links(firm, dest, born, ~drop), strict=True):
            assert g.dtype == want.dtype
            np.testing.assert_array_equal(g, want)
        np.testing.assert_array_equal(withdrawals, w_want)
        np.testing.assert_array_equal(withdrew, d_want)


def numpy_sum(a):
    """``a.sum()`` through the kernels' pairwise sum: +0 plus numpy's pairwise order (any length)."""
    return 0.0 + _pairwise_from(a, 0, a.size)


def test_numpy_sum_is_bit_identical_to_numpy():
    """numpy's pairwise summation, below, at and above its block of 128 (recursive halves), rows of a matrix too."""
    rng = np.random.default_rng(11)
    for n in [*range(0, 140), 255, 256, 257, 1000, 3364, 8193, 20011]:
        a = rng.lognormal(0.0, 5.0, n) * rng.choice([-1.0, 1.0], n)
        assert numpy_sum(a) == a.sum(), n
    x = rng.lognormal(0.0, 5.0, (5, 301))
    assert [numpy_sum(r) for r in x] == list(x.sum(axis=1))
    for n in (1, 8, 9, 200):  # the sum of -0 entries is +0, as numpy's
        assert not np.signbit(numpy_sum(np.full(n, -0.0)))


@pytest.mark.parametrize("n", [1, 5, 58, 130])
def test_offdiag_sums_are_bit_identical_to_numpy(n):
    rng = np.random.default_rng(n)
    flows = rng.lognormal(0.0, 4.0, (n, n)) * (rng.random((n, n)) < 0.7)
    f, total, rows, cols = offdiag_sums(flows)
    want = flows.copy()
    np.fill_diagonal(want, 0.0)
    np.testing.assert_array_equal(f, want)
    assert total == want.sum()
    np.testing.assert_array_equal(rows, want.sum(axis=1))
    np.testing.assert_array_equal(cols, want.sum(axis=0))
    assert not np.shares_memory(f, flows)


def test_modularity_is_bit_identical_to_the_numpy_form():
    """``metrics.modularity`` (compiled diagonal removal and sums, kept one-hot) against its numpy form."""
    from simulator.model.metrics import modularity

    rng = np.random.default_rng(5)
    for n, n_b in ((58, 3), (7, 2), (20, 1)):
        flows = rng.lognormal(0.0, 4.0, (n, n)) * (rng.random((n, n)) < 0.7)
        bloc = rng.integers(0, n_b, n)
        f = flows.copy()
        np.fill_diagonal(f, 0.0)
        onehot = np.eye(int(bloc.max()) + 1)[bloc]
        within = onehot.T @ f @ onehot
        out_b, in_b = f.sum(axis=1) @ onehot, f.sum(axis=0) @ onehot
        want = float(np.trace(within) / f.sum() - (out_b * in_b).sum() / f.sum() ** 2)
        assert modularity(flows, bloc) == want
        assert modularity(flows, bloc, onehot) == want
    assert modularity(np.diag([1.0, 2.0]), np.array([0, 1])) == 0.0


@np.errstate(all="ignore")
def _metric_values_numpy(cell, layout, host, cpi, income, by_economy, flows):
    """The numpy form of ``metric_values``.

    Per economy: nominal income, real income = income / P (P the exact price index relative to the reference), real
    output and real investment = value added and investment over P (NaN where P is not finite and positive). A region
    or the world sums its economies' levels (regions with ``np.bincount`` in economy order, the world with numpy's
    pairwise ``sum``) and its price index is Σ income / Σ real income (NaN where that is not positive).
    """
    region_of, n_r, num, den, level, order, c_dds, c_phi, c_firms = layout
    econ_cells = cell.sum(axis=(1, 2))
    groups = np.concatenate(
        [econ_cells.sum(axis=0, keepdims=True), _sum_rows(region_of, econ_cells, n_r), econ_cells,
         cell.sum(axis=(0, 2)), cell.sum(axis=(0, 1))]
    )  # fmt: skip
    n_num = groups[:, num].T
    n_den = groups[:, np.maximum(den, 0)].T
    ratio = np.divide(n_num, n_den, out=np.full_like(n_num, np.nan), where=n_den > 0)
    values = np.where((den < 0)[:, None], n_num, ratio)
    dds = groups[:, c_dds]
    share = dds / dds[0] if dds[0] > 0 else np.full_like(dds, np.nan)
    prod = np.divide(groups[:, c_phi], groups[:, c_firms], out=np.full(dds.shape, np.nan), where=groups[:, c_firms] > 0)
    parts = []
    for lv in range(level.max() + 1):
        sel = order[level[order] == lv]
        top = np.nanmax(prod[sel]) if np.isfinite(prod[sel]).any() else np.nan
        pair = np.empty((sel.size, 2))
        pair[:, 0] = share[sel]
        pair[:, 1] = prod[sel] / top if top > 0 else np.nan
        parts.append(pair.ravel())
    ok = np.isfinite(cpi) & (cpi > 0)
    real = np.where(ok, income / cpi, np.nan)
    real_va = np.where(ok, by_economy[:, 0] / cpi, np.nan)
    real_inv = np.where(ok, by_economy[:, 1] / cpi, np.nan)
    columns = (host, income, real, real_va, real_inv)
    econ = np.stack(columns, axis=1)
    world = np.array([[np.ascontiguousarray(x).sum() for x in columns]])
    h, y, ry, v, k = np.concatenate([world, _sum_rows(region_of, econ, n_r), econ]).T
    block = np.empty((h.size, 6))
    block[:, 0] = h
    block[:, 1] = np.divide(y, ry, out=np.full_like(y, np.nan), where=ry > 0)
    block[:, 2] = v
    block[:, 3] = k
    block[:, 4] = y
    block[:, 5] = ry
    parts.append(block.ravel())
    pairs = (region_of[:, None] * n_r + region_of[None, :]).ravel()
    parts.append(np.bincount(pairs, weights=flows, minlength=n_r * n_r))
    parts.append(np.array([np.nan]))
    return values, np.concatenate(parts)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_metric_values_are_bit_identical_to_numpy(seed):
    """Level sums, ratios and extras on random tables with empty groups, negative, zero and non-finite entries."""
    rng = np.random.default_rng(seed)
    n_c, n_s, n_z, q, n_r = 13, 5, 4, 9, 3
    cell = rng.lognormal(0.0, 3.0, (n_c, n_s, n_z, q)) * (rng.random((n_c, n_s, n_z, q)) < 0.6)
    cell[rng.random(cell.shape) < 0.05] *= -1.0
    if seed == 1:
        cell[2, :, :, 1] = np.inf  # an infinite φ sum: an infinite mean productivity
        cell[4, 1, :, :] = np.nan
    if seed == 2:
        cell[..., 0] = 0.0  # no dds exports in the world
        cell[..., 2] = 0.0  # no firms anywhere: every mean productivity NaN
    region_of = rng.integers(0, n_r, n_c).astype(np.int64)
    num = rng.integers(0, q, 11).astype(np.int64)
    den = np.where(rng.random(11) < 0.4, -1, rng.integers(0, q, 11)).astype(np.int64)
    n_g = 1 + n_r + n_c + n_s + n_z
    level = np.repeat(np.arange(5), [1, n_r, n_c, n_s, n_z]).astype(np.int64)
    order = np.arange(n_g, dtype=np.int64)
    if seed == 3:  # levels in another order
        level = rng.permutation(level)
        order = np.argsort(level, kind="stable").astype(np.int64)
    host = rng.random(n_c)
    cpi = rng.lognormal(0.0, 0.3, n_c)
    income = rng.lognormal(0.0, 2.0, n_c)
    if seed in (0, 1):
        cpi[3] = np.inf  # no price index: the economy's real quantities are NaN, and its region's and the world's
        cpi[5] = 0.0
        income[7] = -income[7]  # a negative income: a negative real income, no price index of its own
    if seed == 2:
        income[:] = 0.0  # no income anywhere: every place's price index NaN
    by_economy = rng.normal(0.0, 10.0, (n_c, 2))
    flows = rng.lognormal(0.0, 3.0, n_c * n_c)
    layout = ValueLayout(region_of, n_r, num, den, level, order, c_dds=0, c_phi=1, c_firms=2)
    args = (cell, layout, host, cpi, income, by_economy, flows)
    values, extra = metric_values(*args)
    want_values, want_extra = _metric_values_numpy(*args)
    np.testing.assert_array_equal(values, want_values)
    np.testing.assert_array_equal(extra, want_extra)
    # the economies' block: their price index is their own (to rounding), their real income income / P
    n_e = 1 + n_r + n_c
    block = extra[2 * n_g : 2 * n_g + 6 * n_e].reshape(n_e, 6)[1 + n_r :]
    ok = np.isfinite(cpi) & (cpi > 0) & (income > 0)
    close(block[ok, 1], cpi[ok])
    np.testing.assert_array_equal(block[ok, 5], income[ok] / cpi[ok])
    assert np.isnan(block[~ok, 1]).all()


def test_metric_values_match_numpy_on_a_model(model):
    """The collector's inputs of a real step, through the kernel and the numpy form; real income is income over the
    model's exact price index."""
    from simulator.model import metrics

    col = model.collector
    links = metrics.link_sums(model)
    table, by_economy = metrics.cell_tables(model, links, col.services)
    c = col._col
    cpi = model.relative_price_index()
    layout = ValueLayout(
        region_of=col._region_of64,
        n_r=len(col.region_names),
        num=col._num,
        den=col._den,
        level=col._level_of,
        order=col._level_order,
        c_dds=c["dds_exports"],
        c_phi=c["phi_output"],
        c_firms=c["output_weight"],
    )
    assert layout == col._layout  # the collector's layout
    table = table.reshape(col.n_c, col.n_s, col.n_z, len(metrics.QUANTITIES))
    args = (table, layout, model.accounts.local_hosting_revenue, cpi, model.income, by_economy, links[2])
    values, extra = metric_values(*args)
    want_values, want_extra = _metric_values_numpy(*args)
    np.testing.assert_array_equal(values, want_values)
    np.testing.assert_array_equal(extra, want_extra)
    assert extra.size == col.extra_labels[0].size
    assert np.isfinite(cpi).all() and (cpi > 0).all() and (model.income > 0).all()
    labels = list(zip(*col.extra_labels, strict=True))
    got = {lab: x for lab, x in zip(labels, extra, strict=True)}
    for i, iso in enumerate(col.iso3):
        assert got[("real_income", "economy", iso)] == model.real_income()[i]
        assert got[("income", "economy", iso)] == model.income[i]
        close(got[("price_index", "economy", iso)], cpi[i])
