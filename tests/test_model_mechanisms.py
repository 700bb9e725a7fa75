"""One unit test per mechanism: bans, cloud regions, payment interoperability, agreements, trust, policy timelines."""

from __future__ import annotations

import numpy as np
import pytest
from test_model_fixtures import CATEGORIES, open_state, pair_events, regime_events, schedule, small_world

from simulator.model import DataFlowModel
from simulator.model import hosting as hosting_mod
from simulator.model.costs import compile_costs, exposure_matrix
from simulator.model.model import resolve_params
from simulator.scenario.taxonomy import Regime
from simulator.world.baseline import baseline_state
from simulator.world.policy import PolicyEvent, regime_code


@pytest.fixture(scope="module")
def world():
    return small_world()


@pytest.fixture(scope="module")
def params():
    return resolve_params(None)


def costs_of(world, state, params):
    return compile_costs(world, state, params, exposure_matrix(world), 1.0)


def test_a_ban_stops_only_transfer_dependent_services_sold_into_the_implementer(world):
    """BRA bans the transfer of every data category: foreign firms whose service is the cross-border processing of
    the data (δ_i · banned share · transfer dependence ≥ b*) stop selling to BRA; the rest, goods included, keep
    serving it, and BRA's own firms keep exporting (its ban keeps their own data at home, it does not forbid their
    sales)."""
    bra = world.index_of("BRA")
    ict = world.sector_codes.index("ict_digital")
    events = regime_events(world, "BRA", Regime.STORAGE_BAN, step=1)
    m = DataFlowModel(world, schedule(open_state(world), events), n_firms=3000, rng=5)
    f = m.firms
    threshold = m.params["ban_dependence_threshold"]
    dependence = world.sectors["transfer_dependence"].to_numpy(dtype=float)

    def sales_into_bra(tr):
        seller, d = tr.sales_seller, tr.sales_dest
        into = (f.economy[seller] != d) & (d == bra) & (tr.sales_revenue > 0)
        return seller[into], tr.sales_revenue[into]

    seller, _ = sales_into_bra(m.trade)
    dependent = f.delta[seller] * dependence[f.sector[seller]] >= threshold
    assert dependent.any() and (~dependent).any()  # both kinds of sellers served BRA before the ban
    m.step()
    others = np.arange(len(world.iso3)) != bra
    np.testing.assert_allclose(m.costs.ban[others, bra], np.broadcast_to(dependence, (others.sum(), dependence.size)))
    after, revenue = sales_into_bra(m.trade)
    assert not np.isin(after, seller[dependent]).any()  # they stopped
    assert revenue[~np.isin(after, seller[dependent])].sum() > 0  # the others serve BRA from a local presence
    tr = m.trade
    n_c, _, n_s = m.costs.tau.shape
    row = tr.sales_row.astype(np.int64)
    sector, o, d = row % n_s, row // n_s // n_c, tr.sales_dest
    out_of = (o != d) & (o == bra) & (sector == ict)
    assert tr.sales_revenue[out_of].sum() > 0
    assert (m.costs.ban[bra, :, ict] == 0).all()  # the exporter's own ban does not touch its links


def test_a_ban_obliges_local_hosting_and_presence_on_links_into_the_implementer(world, params):
    st = open_state(world)
    k = world.index_of("KEN")
    st.regime[k] = regime_code(Regime.STORAGE_BAN)
    c = costs_of(world, st, params)
    others = np.array([i for i in range(len(world.iso3)) if i != k])
    dependence = world.sectors["transfer_dependence"].to_numpy(dtype=float)
    goods = world.sectors["kind"].to_numpy() == "goods"
    # every category banned: the whole of each link's data stays in KEN
    np.testing.assert_allclose(c.ban[others, k, :], np.broadcast_to(dependence, (others.size, dependence.size)))
    assert (c.ban[others, k][:, goods] == 0).all()  # goods trade is never stopped
    assert (c.ban[k] == 0).all() and (c.ban[np.ix_(others, others)] == 0).all()
    assert (c.dest_storage[others, k, :] >= 1.0 - 1e-12).all()  # hosted in KEN
    free = costs_of(world, st, {**params, "ban_presence_cost": 0.0})
    np.testing.assert_allclose(c.fixed[others, k, :] - free.fixed[others, k, :], params["ban_presence_cost"])
    np.testing.assert_array_equal(c.fixed[np.ix_(others, others)], free.fixed[np.ix_(others, others)])


def test_a_ban_is_waived_only_where_an_agreement_says_so(world, params):
    st = open_state(world)
    k, a = world.index_of("KEN"), world.index_of("BRA")
    st.regime[k] = regime_code(Regime.STORAGE_BAN)
    st.localisation_waiver[a, k] = 1.0  # a localisation waiver does not waive the ban
    c = costs_of(world, st, params)
    assert (c.ban[a, k] > 0).any() and (c.dest_storage[a, k] > 0).all()
    st.ban_waiver[a, k] = 1.0
    w = costs_of(world, st, params)
    assert (w.ban[a, k] == 0).all() and (w.dest_storage[a, k] == 0).all() and (w.kappa[a, k] == 0).all()
    b = world.index_of("ARG")
    np.testing.assert_array_equal(w.ban[b, k], c.ban[b, k])  # only the waived pair


def test_cloud_region_lowers_local_hosting_cost(world, params):
    st = open_state(world)
    i = world.index_of("KEN")
    st.cloud_region[i] = False
    market = hosting_mod.initial_market(world, costs_of(world, st, params), params)
    without = hosting_mod.local_price(
        hosting_mod.effective_depth(market, costs_of(world, st, params), params), costs_of(world, st, params), params
    )
    st.cloud_region[i] = True
    with_region = hosting_mod.local_price(
        hosting_mod.effective_depth(market, costs_of(world, st, params), params), costs_of(world, st, params), params
    )
    assert with_region[i] < without[i]
    others = np.arange(len(world.iso3)) != i
    np.testing.assert_allclose(with_region[others], without[others])


def test_localisation_demand_deepens_local_hosting_market(world, params):
    market = hosting_mod.initial_market(world, costs_of(world, open_state(world), params), params)
    before = market.depth.copy()
    revenue = np.zeros_like(before)
    revenue[world.index_of("NGA")] = 10.0
    for _ in range(20):
        hosting_mod.update_depth(market, revenue, np.full_like(before, 100.0), params)
    assert market.depth[world.index_of("NGA")] > before[world.index_of("NGA")]
    assert market.depth[world.index_of("KEN")] == pytest.approx(before[world.index_of("KEN")])


def test_payment_interoperability_lowers_costs_between_members_only(world, params):
    st = open_state(world)
    st.payment_interop[:] = 0.0
    base = costs_of(world, st, params).payment
    members = [world.index_of(c) for c in ("KEN", "NGA", "GHA")]
    for a in members:
        for b in members:
            if a != b:
                st.payment_interop[a, b] = 1.0
    new = costs_of(world, st, params).payment
    for a in members:
        for b in members:
            if a != b:
                assert new[a, b] < base[a, b]
    za = world.index_of("ZAF")
    assert new[za, members[0]] == base[za, members[0]]
    assert new[members[0], za] == base[members[0], za]


def test_agreement_removes_compliance_cost_between_members_only(world, params):
    st = open_state(world)
    st.regime[:] = regime_code(Regime.CONDITIONAL)
    base = costs_of(world, st, params)
    a, b, c = (world.index_of(x) for x in ("BRA", "ARG", "KEN"))
    assert (base.kappa[a, b] > 0).all() and (base.fixed[a, b] > 0).all()
    st.transfer_waiver[a, b] = st.transfer_waiver[b, a] = 1.0
    st.localisation_waiver[a, b] = st.localisation_waiver[b, a] = 1.0
    new = costs_of(world, st, params)
    assert (new.kappa[a, b] == 0).all() and (new.kappa[b, a] == 0).all()
    assert (new.fixed[a, b] == 0).all()
    np.testing.assert_allclose(new.kappa[a, c], base.kappa[a, c])
    np.testing.assert_allclose(new.kappa[c, b], base.kappa[c, b])


def test_compliance_wedge_rises_with_severity(world, params):
    wedges = []
    for r in (Regime.OPEN, Regime.CONDITIONAL, Regime.STORAGE_CONDITIONAL, Regime.STORAGE_BAN):
        st = open_state(world)
        st.regime[world.index_of("BRA")] = regime_code(r)
        c = costs_of(world, st, params)
        wedges.append(c.kappa[world.index_of("USA"), world.index_of("BRA")].mean())
    assert wedges == sorted(wedges) and wedges[0] == 0


def test_storage_rules_force_local_hosting_and_lower_access(world):
    st = open_state(world)
    ev = regime_events(world, "NGA", Regime.STORAGE_CONDITIONAL, step=1)
    m = DataFlowModel(world, schedule(st, ev), params={"psi": 1.0}, n_firms=800, rng=3)
    f = m.firms
    nga = (f.economy == world.index_of("NGA")) & f.alive
    revenue0 = m.accounts.local_hosting_revenue[world.index_of("NGA")]
    quality0 = hosting_mod.local_quality(hosting_mod.effective_depth(m.market, m.costs, m.params))
    cloud, local = nga & (f.hosting == 0), nga & (f.hosting == 1)
    assert cloud.any() and local.any()  # the hosting market binds: both modes in use before the rule
    before = f.access.copy()
    m.run(2)
    # the firms on the foreign cloud lose frontier access on the data the rule moves home (or by moving)
    assert f.access[cloud & f.alive].mean() < before[cloud & f.alive].mean()
    assert m.accounts.local_hosting_revenue[world.index_of("NGA")] > revenue0
    # the demand deepens the local market: the firms already hosting locally gain access (the mean over all of
    # NGA's firms may rise: 0.827 -> 0.842 at 800 agents, seed 3)
    quality = hosting_mod.local_quality(hosting_mod.effective_depth(m.market, m.costs, m.params))
    assert quality[world.index_of("NGA")] > quality0[world.index_of("NGA")]
    assert f.access[local & f.alive & (f.hosting == 1)].mean() > before[local & f.alive & (f.hosting == 1)].mean()


def test_trust_rises_with_safeguards_and_falls_under_none(world, params):
    st = open_state(world)
    i = world.index_of("GHA")
    st.safeguards[i] = 0.0
    low = costs_of(world, st, params).trust[i]
    st.safeguards[i] = 1.0
    high = costs_of(world, st, params).trust[i]
    st.regime[i, CATEGORIES.index("personal")] = regime_code(Regime.NONE)
    none = costs_of(world, st, params).trust[i]
    assert low < none < high


def test_governments_apply_their_own_events_at_their_step(world):
    ev = (
        PolicyEvent(2, world.index_of("KEN"), "safeguards", (), 0.0),
        *pair_events(world, ["KEN", "NGA"], "payment_interop", 1.0, step=3),
    )
    st = open_state(world)
    st.payment_interop[:] = 0.0
    m = DataFlowModel(world, schedule(st, ev), n_firms=300, rng=1)
    k = world.index_of("KEN")
    start = m.policy.safeguards[k]
    m.step()
    assert m.policy.safeguards[k] == start
    m.step()
    assert m.policy.safeguards[k] == 0.0
    assert m.policy.payment_interop[k, world.index_of("NGA")] == 0.0
    m.step()
    assert m.policy.payment_interop[k, world.index_of("NGA")] == 1.0
    np.testing.assert_array_equal(m.policy.safeguards, m.schedule.state_at(3).safeguards)


def test_per_firm_fixed_compliance_is_paid_once_at_the_strictest_rule(world):
    """F₁ is charged once per firm (not per destination), at the largest G_od among the foreign destinations served."""
    state = open_state(world)
    state.regime[:] = 2  # conditional everywhere
    # no burn-in: the rule is checked on one accounts pass of two models with the same network (with a burn-in the two
    # parameter values would grow different networks)
    base = {"fixed_compliance": 0.0, "burn_in_steps": 0}
    m0 = DataFlowModel(world, schedule(state), params={**base, "firm_fixed_compliance": 0.0}, n_firms=600, rng=3)
    m1 = DataFlowModel(world, schedule(state), params={**base, "firm_fixed_compliance": 0.01}, n_firms=600, rng=3)
    f, tr = m1.firms, m1.trade
    extra = m1.accounts.fixed_compliance - m0.accounts.fixed_compliance
    foreign = f.economy[tr.sales_seller] != tr.sales_dest
    served = foreign & ((np.arange(foreign.size) < tr.n_market_links) | (tr.sales_revenue > 0))
    n_dest = np.array([np.unique(tr.sales_dest[served & (tr.sales_seller == i)]).size for i in range(f.capacity)])
    g = m1.costs.firm_fixed  # (o, d, s), same construction in both runs (same step-0 state)
    expect = np.zeros(f.capacity)
    for i in np.flatnonzero(n_dest > 0):
        dests = np.unique(tr.sales_dest[served & (tr.sales_seller == i)])
        expect[i] = f.delta[i] * g[f.economy[i], dests, f.sector[i]].max()
    assert (n_dest > 1).any()
    np.testing.assert_allclose(extra, expect, rtol=1e-9, atol=1e-12)
    assert np.all(extra[n_dest == 0] == 0.0)


def test_entrant_in_a_reused_slot_does_not_inherit_final_sales(world):
    """An entrant that takes the slot of a firm that exited in the same step has no supplier-draw weight yet."""
    from simulator.model.behaviours import final_sales

    m = DataFlowModel(world, schedule(open_state(world)), n_firms=600, rng=4)
    m.run(1)
    f = m.firms
    sold = final_sales(m)
    donor = int(np.flatnonzero(f.alive & (sold > 0))[0])
    m.exiting[:] = False
    m.exiting[donor] = True
    m.remove_firms(m.exiting)
    m.add_firms(np.array([f.economy[donor]]), np.array([f.sector[donor]]), with_suppliers=True)
    assert f.alive[donor] and f.born[donor] == m.steps + 1  # the entrant took the dead firm's slot
    assert final_sales(m)[donor] == 0.0


@pytest.mark.xfail(
    reason="measured with trust among origins, the hosting market and supply chains (1,500 agents, seed 11, step 4): "
    "LAC's DDS export share 0.188 with K_LAC = 0.5 against 0.199 at the default (ratio 0.95, the test asks < 0.8); "
    "on the trust branch alone one seed's ratio ranged 0.39-0.96 over seeds 11-13 (0.65-0.80 before), pooled over "
    "the three 0.77: LAC's share at 1,500 agents rests on a few firms"
)
def test_dds_capability_scales_data_intensive_supply_of_its_region_only(world, params):
    # K_LAC^δ scales the supply-side capability of LAC services firms only (K_AFR^δ those of Africa); LAC DDS exports
    # fall when K_LAC is lowered
    low = dict(params, dds_capability_lac=0.5)
    region = world.economies["region"].astype(str).to_numpy()
    shares = []
    for p in (params, low):
        m = DataFlowModel(world, schedule(baseline_state(world)), params=p, n_firms=1500, rng=11)
        f = m.firms
        services = (world.sectors["kind"].to_numpy() == "services")[f.sector]
        lac = (region[f.economy] == "LAC") & services & f.alive
        afr = (region[f.economy] == "AFR") & services & f.alive
        expected = np.where(
            lac, p["dds_capability_lac"] ** f.delta, np.where(afr, p["dds_capability_africa"] ** f.delta, 1.0)
        )
        conn = np.maximum(m.costs.connectivity, np.finfo(float).tiny)[f.economy]
        base = conn ** (p["connectivity_supply_elasticity"] * f.delta) * m.broadband[f.economy] ** (
            p["broadband_supply_elasticity"] * f.delta
        )
        np.testing.assert_allclose(m.supply_capability()[f.alive], (base * expected)[f.alive], rtol=1e-12)
        df = m.run(4).metrics_frame()
        sel = df[(df.metric == "dds_export_share_of_world") & (df.level == "region") & (df.step == df.step.max())]
        shares.append(sel.set_index("group")["value"])
    # LAC's own share falls; other regions' shares are not signed under the income closure (the burn-in re-solves
    # LAC's wages so that its income share is its GDP share, which moves every region's competitiveness)
    assert shares[1]["LAC"] < 0.8 * shares[0]["LAC"], shares


def test_tables_kept_between_policy_events_follow_the_cost_tables(world):
    """Spending shares and the trade and fixed-cost tables are kept while the cost tables are the same, and rebuilt
    with them."""
    from simulator.model.costs import fixed_table
    from simulator.model.link_terms import trade_table
    from simulator.model.trade import final_demand, spending_shares

    events = regime_events(world, "BRA", Regime.STORAGE_BAN, step=2)
    m = DataFlowModel(world, schedule(baseline_state(world), events, horizon=6), n_firms=400, rng=5)

    def fresh():
        c, p = m.costs, m.params
        shares = spending_shares(m.demand_share, m.delta_s, c, p)
        return trade_table(c), fixed_table(c, p["source_code_cost"] * m.money_scale), shares  # ``LinkTables`` order

    costs, tables = m.costs, m.tables
    m.run(1)
    assert m.costs is costs and m.tables is tables  # kept while the cost tables are the same
    for got, want in zip(tables, fresh(), strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(m.demand, final_demand(m.spending, fresh()[2]))
    m.run(1)  # the ban of step 2 recompiles the cost tables, and the derived tables with them
    assert m.costs is not costs and m.tables is not tables
    for got, want in zip(m.tables, fresh(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(m.tables.trade, tables.trade)
