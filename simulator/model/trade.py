"""Trade in one step: prices on every link, CES final demand, logit intermediate sourcing (accounts: ``accounts``).

Final demand of economy d for sector s (money per step) is the economy's spending split over sectors:

    E_ds = E_d · α_ds,   α_ds = share_s · T_d^(η δ_s) · conn_d^(χ_d δ_s) / Σ_s' (same),

where E_d comes from the income closure (``DataFlowModel``: last step's income plus the trade imbalance B_d), so
trust and connectivity move spending between sectors inside the budget and never create or destroy it. Agents carry
weights (``Firms.weight``): CES masses and aggregates are weighted sums.

split into an open pool (share ``tradability_s``, all sellers present in d compete) and a home pool (the rest,
only d's own firms compete). A seller i on link i → d charges

    p_id = σ/(σ − 1) · u_i · τ_ods · (1 + δ_i (κ_ods + crypto_d) + π_od + δ_i f_ods H_d),
    u_i  = w_c (1 + δ_i h_i) / φ̃_i,

and earns r_id = E_pool · p̃_id^(1−σ) / Σ_j p̃_jd^(1−σ) (CES; the sums are segment sums by np.bincount), where
p̃_id = p_id · θ_ods is the trust-adjusted price: θ_ods = T_od^(−η w_s/(σ − 1)) (``costs``), so a supplier's CES
weight is p^(1−σ) · T_od^(η w_s). Trust is a quality shifter: it moves the pool's spending among origins and never
changes the pool's total; the pools' price indices (``TradeResult.price_index``) are the exact CES indices of
quality-adjusted prices. A link on which a ban makes the firm's service infeasible carries nothing. Buyers spend
X_b = intermediate_share_s · (σ − 1)/σ · r_b(t − 1) over their suppliers with weights q̃^(−1/μ) (a logit over log
trust-adjusted delivered prices q̃ = q · θ) and their economy's market at large (``market_option``: what is bought
there is spent by the economy the next step), so sales to buyers equal buyers' purchases link by link. The firm
still charges and is paid p (revenue = spending); θ only steers where the spending goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from simulator.model.costs import LinkCosts
from simulator.model.link_terms import trade_table
from simulator.model.network import Network
from simulator.model.numerics import jit
from simulator.model.population import Firms

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel


class TradeLinks(NamedTuple):
    """The links of one trade pass, per link: market links first, then the filled supplier slots of buyers alive.

    One argument of the compiled kernels that read the links (``trade_flows``, ``accounts.seller_accounts``,
    ``metrics.cells.link_metric_sums``); ``trade_step`` builds it from ``trade_terms``, ``TradeResult.links`` from a
    step's result.
    """

    seller: np.ndarray
    """Selling firm slot, ``int64``."""
    dest: np.ndarray
    """Destination economy (the buyer's economy on a supplier link), ``int64``."""
    row: np.ndarray
    """Row of the trade table (``trade_table``), ``int32``."""
    delta: np.ndarray
    """The seller's δ as trade read it."""
    n_market: int
    """Number of market links (the first ``n_market`` links)."""


def spending_shares(
    demand_share: np.ndarray, delta_s: np.ndarray, costs: LinkCosts, params: Mapping[str, float]
) -> np.ndarray:
    """Return α_ds, the share of economy d's final spending that goes to sector s, ``(c, s)``; rows sum to 1.

    α_ds ∝ share_s · T_d^(η δ_s) · conn_d^(χ_d δ_s): trust and connectivity shift spending toward data-intensive
    sectors within the budget. T_d = T_dd is the trust of d's buyers in suppliers at home (d's own safeguards):
    the sector tier answers to the protection d's own rules give; which origins get the sector's spending answers to
    the bilateral T_od inside the pools (``trade_terms``).
    """
    trust = costs.trust[:, None] ** (params["eta"] * delta_s[None, :])
    conn = np.maximum(costs.connectivity, np.finfo(float).tiny)[:, None] ** (
        params["connectivity_demand_elasticity"] * delta_s[None, :]
    )
    raw = demand_share[None, :] * trust * conn
    return raw / raw.sum(axis=1, keepdims=True)


def market_option(firms: Firms, unit_cost: np.ndarray, costs: LinkCosts, params: Mapping[str, float]) -> np.ndarray:
    """Return W_d, the logit weight of economy d's market at large in its buyers' choice of inputs, ``(c,)``.

    A buyer chooses among its suppliers (weights fw_j q̃_j^(−1/μ)) and its economy's market at large, which weighs
    as ν typical suppliers at the economy's typical trust-adjusted home price: W_d = ν · w̄_d · p̄_d^(−1/μ), with
    p̄_d = σ/(σ − 1) · (Σ_{i∈d} fw_i (u_i θ_dds_i)^(1−σ) / Σ_{i∈d} fw_i)^(1/(1−σ)) (θ_dds the trust price factor of
    d's firms at home, ``costs.LinkCosts.trust_price``; 1 with η = 0) and w̄_d the mean agent weight of d's firms
    (ν = ``market_sourcing_weight``). What a buyer spends on that option is spent by its economy the next step
    (through final demand's CES, at the prices then), so input spending leaves foreign suppliers whose delivered
    prices rise against the home price level, and a country whose prices fall buys more of its inputs at home.
    """
    n_c = costs.trust.size
    home = costs.trust_price[np.arange(n_c), np.arange(n_c)]  # θ_dds, (c, s)
    return market_option_weight(
        firms.arrays(),
        unit_cost * home[firms.economy, firms.sector],
        n_c=n_c,
        sigma=params["sigma"],
        mu=params["mu"],
        nu=params["market_sourcing_weight"],
    )


def final_demand(spending: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Return final demand E_ds = E_d · α_ds, ``(c, s)``, in model money per step."""
    return spending[:, None] * shares


@dataclass
class TradeResult:
    """Everything trade produced in one step, per link and per firm slot.

    Link arrays (``sales_*``) cover final-market links followed by supplier links (seller → buyer economy). The cost
    terms of the links are not stored but computed on demand, with the expressions of ``trade_terms`` (the
    same numbers as the prices used, bit for bit), from each link's row of the trade table (``sales_row``), its
    seller's δ as trade read it (``sales_delta``) and the local hosting price of its destination.
    """

    sales_seller: np.ndarray
    sales_dest: np.ndarray
    sales_revenue: np.ndarray
    sales_row: np.ndarray
    sales_delta: np.ndarray
    n_market_links: int
    market_revenue: np.ndarray
    market_feasible: np.ndarray
    supplier_price: np.ndarray
    """Trust-adjusted delivered price q · θ of each supplier slot (∞ where infeasible or empty), ``(cap, m)``."""
    supplier_flow: np.ndarray
    supplier_open: np.ndarray
    price_index: np.ndarray
    """CES price index of each destination cell's open pool (every seller present), ``(c, s)``; NaN if empty. It is
    the exact index of the trust-adjusted prices p · θ (trust is a quality shifter)."""
    home_price_index: np.ndarray
    """CES price index of each destination cell's home pool (its own firms only, trust-adjusted), ``(c, s)``; NaN if
    empty."""
    exports_by_economy: np.ndarray
    """Cross-border sales (final + intermediate) by origin economy, weighted aggregates, ``(c,)``."""
    imports_by_economy: np.ndarray
    """Cross-border purchases (final + intermediate) by destination economy, weighted aggregates, ``(c,)``."""
    unplaced_inputs: np.ndarray
    """Intermediate spending that no supplier could take, by buyer economy (weighted; spent by the economy next
    step), ``(c,)``."""
    weight: np.ndarray
    """Agent weight of each firm slot when trade ran (entrants may take a slot, and its weight, later in the step)."""
    open_mass: np.ndarray
    final_sales_by_cell: np.ndarray
    purchases: np.ndarray
    revenue: np.ndarray
    table: np.ndarray
    """The trade table the rows index (``trade_table``)."""
    local_price: np.ndarray
    """Local hosting price per economy (destination storage fees)."""

    @property
    def links(self) -> TradeLinks:
        """The step's links (seller, destination, table row, seller's δ) as the kernels take them."""
        return TradeLinks(
            seller=self.sales_seller,
            dest=self.sales_dest,
            row=self.sales_row,
            delta=self.sales_delta,
            n_market=self.n_market_links,
        )

    @property
    def sales_final(self) -> np.ndarray:
        """Whether each link is a final-market link (the first ``n_market_links``)."""
        return np.arange(self.sales_seller.size) < self.n_market_links

    @property
    def sales_tau(self) -> np.ndarray:
        """Iceberg trade cost τ of each link."""
        return self.table[self.sales_row, 0]

    @property
    def sales_compliance(self) -> np.ndarray:
        """Variable compliance δ_i κ_ods of each link (the packed κ column includes the cryptography term)."""
        return self.sales_delta * self.table[self.sales_row, 1]

    @property
    def sales_trust(self) -> np.ndarray:
        """Trust price factor θ_ods of each link (the price buyers compare is the delivered price × θ)."""
        return self.table[self.sales_row, 6]

    @property
    def sales_payment(self) -> np.ndarray:
        """Payment cost π_od of each link."""
        return self.table[self.sales_row, 4]

    @property
    def sales_dest_hosting(self) -> np.ndarray:
        """Destination hosting δ_i f_ods H_d of each link."""
        return self.sales_delta * self.table[self.sales_row, 2] * self.local_price[self.sales_dest]

    @property
    def sales_wedge(self) -> np.ndarray:
        """Total ad-valorem wedge W = compliance + payment + destination hosting of each link (computed on demand).

        The same numbers as the prices used: the kernels add the three terms in this order without storing the sum.
        """
        return self.sales_compliance + self.sales_payment + self.sales_dest_hosting


def trade_step(
    firms: Firms,
    net: Network,
    costs: LinkCosts,
    demand: np.ndarray,
    unit_cost: np.ndarray,
    local_price: np.ndarray,
    tradability: np.ndarray,
    intermediate_share: np.ndarray,
    prev_revenue: np.ndarray,
    params: Mapping[str, float],
    table: np.ndarray | None = None,
    market: np.ndarray | None = None,
) -> TradeResult:
    """Run the markets of one step.

    Args:
        firms: Firm table.
        net: Market links and supplier slots.
        costs: Compiled cost tables.
        demand: Final demand E_ds, ``(c, s)``.
        unit_cost: u_i per firm slot.
        local_price: Local hosting price per economy (for destination storage fees).
        tradability: Tradable share of each sector's final demand, ``(s,)``.
        intermediate_share: Share of variable cost spent on intermediate inputs, ``(s,)``.
        prev_revenue: Revenue of each firm slot in the previous step (sets intermediate spending).
        params: Parameter values.
        table: ``trade_table(costs)`` when the caller keeps it (built here otherwise).
        market: Logit weight of each economy's market at large in its buyers' input choice (``market_option``);
            none when not given.
    """
    sigma = params["sigma"]
    n_c, n_s = demand.shape
    cap = firms.capacity
    nm = int(net.mk_firm.size)
    # pass 1 (compiled): table row, seller's δ and delivered price of every link, market links then filled supplier
    # slots (the supplier links' delivered prices and openness go straight into their slot matrices)
    tab = trade_table(costs) if table is None else table
    arrays = firms.arrays()
    seller, dest, rows, link_delta, feas, price, q_slots, open_slots = trade_terms(
        net.mk_firm,
        net.mk_dest,
        net.sup,
        arrays,
        unit_cost,
        tab,
        local_price,
        n_c=n_c,
        n_s=n_s,
        ban_threshold=params["ban_dependence_threshold"],
        sigma=sigma,
    )
    links = TradeLinks(seller=seller, dest=dest, row=rows, delta=link_delta, n_market=nm)
    # offers p^(1−σ) on market links and logit weights q^(−1/μ) on supplier links (vectorised exp/log, in place in
    # the price array, which nothing else reads); −ln q / μ is computed as ln q / (−μ), the same number bit for bit
    # (division rounds symmetrically in sign) in one pass instead of two
    weight = np.log(price, out=price)
    weight[:nm] *= 1.0 - sigma
    np.divide(weight[nm:], -params["mu"], out=weight[nm:])
    np.exp(weight, out=weight)
    e_open = (demand * tradability[None, :]).ravel()
    e_home = (demand * (1.0 - tradability[None, :])).ravel()
    # pass 2 (compiled): infeasible links' weights to 0, CES pools by destination cell, shares, intermediate spending
    # intermediate_share_s · (σ − 1)/σ · previous revenue of buyers alive and its flows, revenue per firm
    rev, mass_open, mass_home, flow_slots, purchases, revenue, exports_c, imports_c, unplaced_c = trade_flows(
        links,
        weight,
        feas,
        arrays,
        net.sup,
        prev_revenue,
        e_open=e_open,
        e_home=e_home,
        inter_share=intermediate_share,
        market=np.zeros(n_c) if market is None else market,
        n_c=n_c,
        n_s=n_s,
        sigma=sigma,
        cap=cap,
    )
    sold = (mass_open > 0) * e_open + (mass_home > 0) * e_home
    with np.errstate(divide="ignore"):
        p_index = np.where(mass_open > 0, mass_open, np.nan) ** (1.0 / (1.0 - sigma))
        p_home = np.where(mass_home > 0, mass_home, np.nan) ** (1.0 / (1.0 - sigma))
    return TradeResult(
        sales_seller=seller,
        sales_dest=dest,
        sales_revenue=rev,
        sales_row=rows,
        sales_delta=link_delta,
        n_market_links=nm,
        market_revenue=rev[:nm],
        market_feasible=feas[:nm],
        supplier_price=q_slots,
        supplier_flow=flow_slots,
        supplier_open=open_slots,
        price_index=p_index.reshape(n_c, n_s),
        home_price_index=p_home.reshape(n_c, n_s),
        exports_by_economy=exports_c,
        imports_by_economy=imports_c,
        unplaced_inputs=unplaced_c,
        weight=firms.weight.copy(),
        open_mass=mass_open.reshape(n_c, n_s),
        final_sales_by_cell=sold.reshape(n_c, n_s),
        purchases=purchases,
        revenue=revenue,
        table=tab,
        local_price=local_price,
    )


def ces_logit(model: DataFlowModel) -> TradeResult:
    """CES final demand over every seller present (open and home pools) and logit sourcing of intermediate inputs.

    Buyers spend over their suppliers and their economy's market at large (``market_option``) at the delivered
    prices of the step's unit costs (``model.hosting_choice``); see the module docstring for the equations.
    """
    p, f, hc = model.params, model.firms, model.hosting_choice
    return trade_step(
        f,
        model.network,
        model.costs,
        model.demand,
        hc.unit_cost,
        hc.local_price,
        tradability=model.tradability,
        intermediate_share=model.intermediate_share,
        prev_revenue=f.revenue,
        params=p,
        table=model.tables.trade,
        market=market_option(f, hc.unit_cost, model.costs, p),
    )


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def trade_terms(mk_firm, mk_dest, sup, firms, unit_cost, tab, local_price, n_c, n_s, ban_threshold, sigma):
    """Cost terms and delivered prices of every trade link of a step (first of the two trade passes).

    ``firms`` is a ``FirmArrays``. Links are the market links followed by the filled supplier slots of buyers alive
    (row-major, as ``np.nonzero``). ``tab`` is ``trade_table(packed, cols)``. Returns seller, dest, ``tab`` row (int32:
    the table has far fewer than 2³¹ rows), seller's δ, feasible and price of every link, and two ``sup``-shaped
    matrices of the supplier links: the delivered price (∞ where infeasible or empty) and the openness (0 where empty).
    The price uses τ = tab[row, 0] and the wedge compliance δ · tab[row, 1] + payment tab[row, 4] + destination hosting
    δ · tab[row, 2] · local_price[d], added in that order, as numpy does. The four cost terms are not stored (writing
    four more link arrays set this pass's speed): ``seller_accounts`` and ``TradeResult`` compute them again from the
    row and δ with these expressions, so they are the same numbers bit for bit. The price of a link is the
    trust-adjusted price p · θ (θ = tab[row, 6], ``costs.LinkCosts.trust_price``): buyers compare it; the seller is
    paid the revenue the pool gives it. The offers p̃^(1−σ) and logit weights q̃^(−1/μ) are left to numpy
    (vectorised exp/log), then ``trade_flows`` clears the markets.
    """
    alive, economy, sector, delta = firms.alive, firms.economy, firms.sector, firms.delta
    markup = sigma / (sigma - 1.0)
    cap, m = sup.shape
    n_mk = mk_firm.size
    # per-firm record, one cache line per seller: base row o · C · S + s, δ, markup · u (the first product of the
    # price, so the price is bit for bit the same), ban threshold test input; links then gather one record each
    rec = np.empty((cap, 4))
    n_sl = 0
    for b in range(cap):
        rec[b, 0] = np.float64(np.int64(economy[b]) * n_c * n_s + sector[b])
        rec[b, 1] = delta[b]
        rec[b, 2] = markup * unit_cost[b]
        if alive[b]:
            for j in range(m):
                if sup[b, j] >= 0:
                    n_sl += 1
    n = n_mk + n_sl
    seller = np.empty(n, np.int64)
    dest = np.empty(n, np.int64)
    rows = np.empty(n, np.int32)
    link_delta = np.empty(n)
    feas = np.empty(n, np.bool_)
    price = np.empty(n)
    # every element of the two slot matrices is written once in the supplier loop (no separate fill pass)
    q_slots = np.empty((cap, m))
    open_slots = np.empty((cap, m))
    k = 0
    for t in range(n_mk):
        i = mk_firm[t]
        d = np.int64(mk_dest[t])
        seller[k] = i
        dest[k] = d
        row = np.int64(rec[i, 0]) + d * n_s
        dl = rec[i, 1]
        tt = tab[row, 0]
        cp = dl * tab[row, 1]
        py = tab[row, 4]
        h = dl * tab[row, 2] * local_price[d]
        w = cp + py + h
        rows[k] = row
        link_delta[k] = dl
        feas[k] = dl * tab[row, 3] < ban_threshold
        price[k] = rec[i, 2] * tt * (1.0 + w) * tab[row, 6]
        k += 1
    # Supplier links: the same per-link terms as the market-link loop above, written out again on purpose. A shared
    # @njit helper taking these arrays costs ≈ 2 ms per step at 100k firms (numba touches the reference count of every
    # array argument per call, even inlined); keep both loops in step when a term changes (test_model_kernels checks).
    for b in range(cap):
        if not alive[b]:
            for j in range(m):
                q_slots[b, j] = np.inf
                open_slots[b, j] = 0.0
            continue
        d = np.int64(economy[b])
        for j in range(m):
            s = sup[b, j]
            if s < 0:
                q_slots[b, j] = np.inf
                open_slots[b, j] = 0.0
                continue
            seller[k] = s
            dest[k] = d
            i = s
            row = np.int64(rec[i, 0]) + d * n_s
            dl = rec[i, 1]
            tt = tab[row, 0]
            cp = dl * tab[row, 1]
            py = tab[row, 4]
            h = dl * tab[row, 2] * local_price[d]
            w = cp + py + h
            rows[k] = row
            link_delta[k] = dl
            ok = dl * tab[row, 3] < ban_threshold
            feas[k] = ok
            pr = rec[i, 2] * tt * (1.0 + w) * tab[row, 6]
            price[k] = pr
            q_slots[b, j] = pr if ok else np.inf
            open_slots[b, j] = tab[row, 5]
            k += 1
    return seller, dest, rows, link_delta, feas, price, q_slots, open_slots


@jit
def trade_flows(
    links, weight, feasible, firms, sup, prev_revenue, e_open, e_home, inter_share, market, n_c, n_s, sigma, cap
):
    """Clear final markets (CES over open and home pools) and split buyers' spending over suppliers (logit).

    ``links`` is the ``TradeLinks`` of ``trade_terms`` (its seller, dest and ``n_market`` are read), ``firms`` a
    ``FirmArrays``. ``weight`` is p^(1−σ) on market links and q^(−1/μ) on supplier links, in the link order of
    ``trade_terms``; it is set to 0 in place where the link is not ``feasible``. ``fw`` (``firms.weight``) is each
    slot's agent weight (real firms it stands for): a seller adds fw · p^(1−σ) to its pool's CES mass, and earns per
    real firm E · p^(1−σ) / mass. A buyer alive spends, per real firm, inter_share_s · (σ − 1)/σ · its previous revenue
    on its suppliers, split in proportion to fw_j · q_j^(−1/μ) (a logit over the real firms its supplier agents stand
    for, as final demand's CES mass is weighted); all fw_b of its firms buy from supplier j's fw_j firms, so j earns
    fw_b / fw_j times the buyer's per-firm flow per real firm. Returns revenue per link (per real firm of the seller),
    mass_open and mass_home per destination cell, the supplier flow slot matrix (per real firm of the buyer), purchases
    and revenue per firm slot (per real firm), and each economy's cross-border sales (exports) and purchases (imports),
    final and intermediate, as weighted aggregates, and the intermediate spending no supplier could take per economy (a
    buyer without a feasible supplier still pays for its inputs: it counts as a purchase, and the money is spent by its
    economy the next step).

    ``market`` is the logit weight of the buyer economy's market at large, per economy (``market_option_weight``):
    the buyer's choice set is its suppliers plus that option, and the share it takes, spend · W_d / (Σ_j fw_j
    q_j^(−1/μ) + W_d), is bought on the market at large — a purchase whose money joins the economy's spending of the
    next step, like inputs no supplier could take. With W = 0 the split is over the suppliers alone.
    """
    seller, dest, n_mk = links.seller, links.dest, links.n_market
    economy, sector, alive, fw = firms.economy, firms.sector, firms.alive, firms.weight
    n_cells = n_c * n_s
    exports_c = np.zeros(n_c)
    imports_c = np.zeros(n_c)
    unplaced_c = np.zeros(n_c)
    n = seller.size
    rev = np.empty(n)
    mass_open = np.zeros(n_cells)
    mass_home = np.zeros(n_cells)
    # revenue per firm is summed in link order (as np.bincount): market links in the second market pass, then the
    # supplier links in the buyers' pass; infeasible weights are zeroed where each link is first read
    revenue = np.zeros(cap)
    for k in range(n_mk):
        x = weight[k] if feasible[k] else 0.0
        weight[k] = x
        i = seller[k]
        c = dest[k] * n_s + sector[i]
        xw = x * fw[i]
        mass_open[c] += xw
        if economy[i] == dest[k]:
            mass_home[c] += xw
    for k in range(n_mk):
        i = seller[k]
        c = dest[k] * n_s + sector[i]
        x = weight[k]
        so = x / mass_open[c] if mass_open[c] > 0 else 0.0
        sh = x / mass_home[c] if (mass_home[c] > 0 and economy[i] == dest[k]) else 0.0
        r = e_open[c] * so + e_home[c] * sh
        rev[k] = r
        revenue[i] += r
        if economy[i] != dest[k]:
            rw = r * fw[i]
            exports_c[economy[i]] += rw
            imports_c[dest[k]] += rw
    m = sup.shape[1]
    # every element of the flow matrix is written once below (no separate fill pass)
    flow_slots = np.empty((cap, m))
    purchases = np.zeros(cap)
    k = n_mk
    for b in range(sup.shape[0]):
        if not alive[b]:
            for j in range(m):
                flow_slots[b, j] = 0.0
            continue
        w_sum = 0.0
        k0 = k
        for j in range(m):
            s = sup[b, j]
            if s >= 0:
                x = weight[k] * fw[s] if feasible[k] else 0.0
                weight[k] = x
                w_sum += x
                k += 1
        k = k0
        spend = inter_share[sector[b]] * (sigma - 1.0) / sigma * prev_revenue[b]
        w0 = market[economy[b]]
        w_tot = w_sum + w0
        for j in range(m):
            s = sup[b, j]
            if s < 0:
                flow_slots[b, j] = 0.0
                continue
            fl = spend * weight[k] / w_tot if w_tot > 0 else 0.0
            fs = fl * (fw[b] / fw[s])
            rev[k] = fs
            flow_slots[b, j] = fl
            purchases[b] += fl
            revenue[s] += fs
            if economy[s] != economy[b]:
                fb = fl * fw[b]
                exports_c[economy[s]] += fb
                imports_c[economy[b]] += fb
            k += 1
        if not w_tot > 0:
            if spend > 0:
                # no supplier can deliver (no filled slot, or every one infeasible) and no market option: the inputs
                # are still paid for, from the economy at large (the money joins the economy's spending of the next
                # step), not produced for free
                purchases[b] += spend
                unplaced_c[economy[b]] += spend * fw[b]
        elif w0 > 0 and spend > 0:
            # the share bought on the market at large (spent by the economy next step, at its prices)
            x0 = spend * w0 / w_tot
            purchases[b] += x0
            unplaced_c[economy[b]] += x0 * fw[b]
    for b in range(sup.shape[0], cap):
        for j in range(m):
            flow_slots[b, j] = 0.0
    return rev, mass_open, mass_home, flow_slots, purchases, revenue, exports_c, imports_c, unplaced_c


@jit
def market_option_weight(firms, unit_cost, n_c, sigma, mu, nu):
    """Logit weight W_d of each economy's market at large in its buyers' input choice (``trade.market_option``).

    W_d = ν · w̄_d · p̄_d^(−1/μ): ν typical suppliers' worth of weight (w̄_d the mean agent weight of d's firms
    alive) at p̄_d = σ/(σ − 1) · (Σ fw u^(1−σ) / Σ fw)^(1/(1−σ)), the CES mean of d's firms' prices at home. 0 where
    the economy has no firm alive or ν = 0. Slots without a positive finite unit cost (an entrant that has not been
    priced yet) are left out. ``firms`` is a ``FirmArrays`` (``fw`` its agent weights).
    """
    alive, economy, fw = firms.alive, firms.economy, firms.weight
    mass = np.zeros(n_c)
    real = np.zeros(n_c)
    agents = np.zeros(n_c)
    for i in range(alive.size):
        if alive[i] and unit_cost[i] > 0 and unit_cost[i] < np.inf:
            e = economy[i]
            mass[e] += fw[i] * unit_cost[i] ** (1.0 - sigma)
            real[e] += fw[i]
            agents[e] += 1.0
    out = np.zeros(n_c)
    if nu > 0:
        for e in range(n_c):
            if agents[e] > 0 and mass[e] > 0:
                pbar = sigma / (sigma - 1.0) * (mass[e] / real[e]) ** (1.0 / (1.0 - sigma))
                out[e] = nu * real[e] / agents[e] * np.exp(-np.log(pbar) / mu)
    return out
