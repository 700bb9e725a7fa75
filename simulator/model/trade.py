"""Trade in one step: prices on every link, CES final demand, logit intermediate sourcing, firm accounts.

Final demand of economy d for sector s (money per step) is the economy's spending split over sectors:

    E_ds = E_d · α_ds,   α_ds = share_s · T_d^(η δ_s) · conn_d^(χ_d δ_s) / Σ_s' (same),

where E_d comes from the income closure (``DataFlowModel``: last step's income plus the trade imbalance B_d), so
trust and connectivity move spending between sectors inside the budget and never create or destroy it. Agents carry
weights (``Firms.weight``): CES masses and aggregates are weighted sums.

split into an open pool (share ``tradability_s``, all sellers present in d compete) and a home pool (the rest,
only d's own firms compete). A seller i on link i → d charges

    p_id = σ/(σ − 1) · u_i · τ_ods · (1 + δ_i (κ_ods + crypto_d) + π_od + δ_i f_ods H_d),
    u_i  = w_c (1 + δ_i h_i) / φ̃_i,

and earns r_id = E_pool · p_id^(1−σ) / Σ_j p_jd^(1−σ) (CES; the sums are segment sums by np.bincount). A link on
which a ban makes the firm's service infeasible carries nothing. Buyers spend
X_b = intermediate_share_s · (σ − 1)/σ · r_b(t − 1) over their suppliers with weights q^(−1/μ) (a logit over log
delivered prices) and their economy's market at large (``market_option``: what is bought there is spent by the
economy the next step), so sales to buyers equal buyers' purchases link by link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simulator.model import kernels
from simulator.model.costs import COL, LinkCosts
from simulator.model.network import Network
from simulator.model.population import Firms


@dataclass
class LinkTerms:
    """Cost terms of a set of links (seller i → destination d)."""

    seller: np.ndarray
    dest: np.ndarray
    tau: np.ndarray
    compliance: np.ndarray
    payment: np.ndarray
    dest_hosting: np.ndarray
    feasible: np.ndarray

    @property
    def wedge(self) -> np.ndarray:
        """Total ad-valorem wedge W = compliance + payment + destination hosting."""
        return self.compliance + self.payment + self.dest_hosting


def link_terms(
    seller: np.ndarray,
    dest: np.ndarray,
    firms: Firms,
    costs: LinkCosts,
    local_price: np.ndarray,
    params: Mapping[str, float],
) -> LinkTerms:
    """Gather the cost terms of links ``seller → dest`` from the compiled tables."""
    n_c, _, n_s = costs.tau.shape
    tau, compliance, payment, dest_hosting, feasible = kernels.link_terms(
        seller, dest, firms.economy, firms.sector, firms.delta, costs.packed, TRADE_COLS, local_price, n_c, n_s,
        params["ban_dependence_threshold"],
    )  # fmt: skip
    return LinkTerms(
        seller=seller,
        dest=dest,
        tau=tau,
        compliance=compliance,
        payment=payment,
        dest_hosting=dest_hosting,
        feasible=feasible,
    )


TRADE_COLS = np.array([COL[c] for c in ("tau", "kappa", "dest_storage", "ban", "payment", "openness")], dtype=np.int64)
"""Columns of ``LinkCosts.packed`` the trade kernels read, in their order."""


def trade_table(costs: LinkCosts) -> np.ndarray:
    """The trade columns of ``costs.packed`` side by side (``kernels.trade_table``): ``(rows, 8)``.

    It depends only on the cost tables, which are recompiled only when policy changes: callers that step a model
    keep it while ``costs`` (and its ``packed``) are the same objects (see ``DataFlowModel._link_tables``).
    """
    return kernels.trade_table(costs.packed, TRADE_COLS)


def fixed_table(costs: LinkCosts, source_code_amount: float) -> np.ndarray:
    """The fixed-cost terms of ``costs.packed`` per row (``kernels.fixed_table``): ``(rows, 2)``.

    The columns are F + source code amount × source code, and the per-firm rule G. ``source_code_amount`` is the
    source-code cost in model money. Like ``trade_table``, callers that step a model keep it while the cost tables
    and the amount are the same (see ``DataFlowModel._link_tables``).
    """
    return kernels.fixed_table(costs.packed, COL["fixed"], COL["source_code"], COL["firm_fixed"], source_code_amount)


def flat_index(seller: np.ndarray, dest: np.ndarray, firms: Firms, costs: LinkCosts) -> np.ndarray:
    """Row of ``costs.packed`` of each link seller → dest: (o · C + d) · S + s."""
    n_c, _, n_s = costs.tau.shape
    return (firms.economy[seller].astype(np.int64) * n_c + dest) * n_s + firms.sector[seller]


def spending_shares(
    demand_share: np.ndarray, delta_s: np.ndarray, costs: LinkCosts, params: Mapping[str, float]
) -> np.ndarray:
    """Return α_ds, the share of economy d's final spending that goes to sector s, ``(c, s)``; rows sum to 1.

    α_ds ∝ share_s · T_d^(η δ_s) · conn_d^(χ_d δ_s): trust and connectivity shift spending toward data-intensive
    sectors within the budget.
    """
    trust = costs.trust[:, None] ** (params["eta"] * delta_s[None, :])
    conn = np.maximum(costs.connectivity, np.finfo(float).tiny)[:, None] ** (
        params["connectivity_demand_elasticity"] * delta_s[None, :]
    )
    raw = demand_share[None, :] * trust * conn
    return raw / raw.sum(axis=1, keepdims=True)


def market_option(firms: Firms, unit_cost: np.ndarray, n_c: int, params: Mapping[str, float]) -> np.ndarray:
    """Return W_d, the logit weight of economy d's market at large in its buyers' choice of inputs, ``(c,)``.

    A buyer chooses among its suppliers (weights fw_j q_j^(−1/μ)) and its economy's market at large, which weighs
    as ν typical suppliers at the economy's typical home price: W_d = ν · w̄_d · p̄_d^(−1/μ), with
    p̄_d = σ/(σ − 1) · (Σ_{i∈d} fw_i u_i^(1−σ) / Σ_{i∈d} fw_i)^(1/(1−σ)) and w̄_d the mean agent weight of d's
    firms (ν = ``market_sourcing_weight``). What a buyer spends on that option is spent by its economy the next step
    (through final demand's CES, at the prices then), so input spending leaves foreign suppliers whose delivered
    prices rise against the home price level, and a country whose prices fall buys more of its inputs at home.
    """
    return kernels.market_option_weight(
        firms.alive, firms.economy, unit_cost, firms.weight, n_c, params["sigma"], params["mu"],
        params["market_sourcing_weight"],
    )  # fmt: skip


def final_demand(spending: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Return final demand E_ds = E_d · α_ds, ``(c, s)``, in model money per step."""
    return spending[:, None] * shares


@dataclass
class TradeResult:
    """Everything trade produced in one step, per link and per firm slot.

    Link arrays (``sales_*``) cover final-market links followed by supplier links (seller → buyer economy). The cost
    terms of the links are not stored but computed on demand, with the expressions of ``kernels.trade_terms`` (the
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
    supplier_flow: np.ndarray
    supplier_open: np.ndarray
    price_index: np.ndarray
    """CES price index of each destination cell's open pool (every seller present), ``(c, s)``; NaN if empty."""
    home_price_index: np.ndarray
    """CES price index of each destination cell's home pool (its own firms only), ``(c, s)``; NaN if empty."""
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
    seller, dest, rows, link_delta, feas, price, q_slots, open_slots = kernels.trade_terms(
        net.mk_firm, net.mk_dest, net.sup, firms.alive, firms.economy, firms.sector, firms.delta, unit_cost, tab,
        local_price, n_c, n_s, params["ban_dependence_threshold"], sigma,
    )  # fmt: skip
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
    rev, mass_open, mass_home, flow_slots, purchases, revenue, exports_c, imports_c, unplaced_c = kernels.trade_flows(
        seller, dest, firms.economy, firms.sector, weight, feas, nm, net.sup, firms.alive, n_c, n_s, e_open, e_home,
        intermediate_share, prev_revenue, sigma, cap, firms.weight, np.zeros(n_c) if market is None else market,
    )  # fmt: skip
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


@dataclass
class Accounts:
    """Firm-level accounts of one step (arrays per firm slot)."""

    revenue: np.ndarray
    exports: np.ndarray
    variable_cost: np.ndarray
    compliance: np.ndarray
    payment: np.ndarray
    hosting: np.ndarray
    local_hosting: np.ndarray
    fixed: np.ndarray
    fixed_compliance: np.ndarray
    purchases: np.ndarray
    profit: np.ndarray
    value_added: np.ndarray
    n_foreign_markets: np.ndarray
    inhouse_capex: np.ndarray
    local_hosting_revenue: np.ndarray
    firm_rule_first: np.ndarray
    firm_rule_second: np.ndarray
    intra_region_exports: np.ndarray | None = None
    """Exports to the seller's own region, per firm slot (``None`` unless computed for the metrics)."""
    trade_cost: np.ndarray | None = None
    """Σ sales × (τ(1 + W) − 1) on each seller's cross-border links (``None`` unless computed for the metrics)."""
    economy_flows: np.ndarray | None = None
    """Cross-border sales by origin × destination economy, flattened (``None`` unless computed for the metrics)."""


def firm_accounts(
    firms: Firms,
    tr: TradeResult,
    costs: LinkCosts,
    hosting_cost: np.ndarray,
    hosting_local_share: np.ndarray,
    hosting_fixed: np.ndarray,
    entry_charges: np.ndarray,
    operating_cost: np.ndarray,
    params: Mapping[str, float],
    money_scale: float,
    hosting_compliance: np.ndarray | None = None,
    region_of: np.ndarray | None = None,
    fixed_tab: np.ndarray | None = None,
) -> Accounts:
    """Turn link flows into firm accounts (costs, profit, value added).

    Args:
        firms: Firm table.
        tr: Trade result of the step.
        costs: Compiled cost tables.
        hosting_cost: Firm hosting cost per unit of core cost, δ_i · cost of its mode.
        hosting_local_share: Share of that hosting spend paid to local providers.
        hosting_fixed: Fixed hosting capex per firm (in-house).
        entry_charges: One-off market entry costs charged this step, per firm slot.
        operating_cost: Fixed operating cost per economy × sector cell, ``(c, s)`` (each firm pays its cell's).
        params: Parameter values.
        money_scale: Model money unit of fixed costs.
        hosting_compliance: The part of ``hosting_cost`` that is transfer-condition compliance on the firm's own
            data kept on a foreign cloud (δ_i · κ_T share); it is booked as compliance, not hosting.
        region_of: Region of each economy. When given, the pass over the links also sums what the metrics need
            (``Accounts.intra_region_exports``, ``trade_cost``, ``economy_flows``; see ``metrics.link_sums``).
        fixed_tab: ``fixed_table(costs, source-code cost × money_scale)`` when the caller keeps it (built here
            otherwise).
    """
    cap = firms.capacity
    sigma = params["sigma"]
    seller = tr.sales_seller
    n_c = costs.trust.size
    nm = tr.n_market_links
    # one compiled pass over the links: per-seller sums (as np.bincount in link order), the foreign destinations each
    # seller serves (bit masks), and (when asked) the link sums of the metrics
    link_metrics = region_of is not None
    regions = region_of if link_metrics else np.zeros(n_c, np.int64)
    (
        core, compliance_var, payment, dest_host, exports, n_foreign, dest_host_by_dest, served, intra, trade_cost,
        flows,
    ) = kernels.seller_accounts(
        seller, tr.sales_dest, tr.sales_row, firms.economy, tr.sales_delta, tr.table, tr.local_price,
        tr.sales_revenue, nm, sigma, cap, n_c, regions, link_metrics, firms.weight,
    )  # fmt: skip
    home_comp = np.zeros(cap) if hosting_compliance is None else hosting_compliance

    # fixed data-compliance costs: once per foreign destination economy a firm serves, whether it sells there to
    # final demand (a market link) or only to firms (supplier links with a positive flow)
    if fixed_tab is None:
        fixed_tab = fixed_table(costs, params["source_code_cost"] * money_scale)
    fix_comp, g_first, g_second = kernels.served_fixed_masks(
        served, firms.economy, firms.sector, firms.delta, fixed_tab, cap, n_c, costs.tau.shape[2]
    )
    # hosting and home compliance split of the core cost, fixed costs, compliance, profit, value added and local
    # hosting spend per slot in one compiled pass (element by element the numpy expressions:
    # hosting = core (h − h_comp) / (1 + h), fixed = operating · alive + F_x · n_foreign + fixed compliance + capex
    # + entry charges, compliance = variable + fixed + destination hosting + home, profit = r / σ − fixed, ...)
    local_rev = dest_host_by_dest
    hosting, fixed_compliance, fixed, compliance, profit, value_added, variable_cost, local_hosting, capex = (
        kernels.account_totals(
            firms.alive, firms.economy, firms.sector, tr.revenue, tr.purchases, core, compliance_var, dest_host,
            n_foreign, hosting_cost, home_comp, hosting_local_share, hosting_fixed, fix_comp, firms.delta, g_first,
            operating_cost, entry_charges, params["fixed_export_cost"] * money_scale, sigma, local_rev, firms.weight,
        )
    )  # fmt: skip
    revenue = tr.revenue
    return Accounts(
        revenue=revenue,
        exports=exports,
        variable_cost=variable_cost,
        compliance=compliance,
        payment=payment,
        hosting=hosting,
        local_hosting=local_hosting,
        fixed=fixed,
        fixed_compliance=fixed_compliance,
        purchases=tr.purchases,
        profit=profit,
        value_added=value_added,
        n_foreign_markets=n_foreign,
        inhouse_capex=capex,
        local_hosting_revenue=local_rev,
        firm_rule_first=g_first,
        firm_rule_second=g_second,
        intra_region_exports=intra if link_metrics else None,
        trade_cost=trade_cost if link_metrics else None,
        economy_flows=flows if link_metrics else None,
    )
