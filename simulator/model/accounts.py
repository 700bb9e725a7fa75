"""Firm accounts of a step: the trade pass's link flows turned into costs, profit and value added per firm slot.

Per seller, one compiled pass over the links (``seller_accounts``) splits each link's variable cost
r (σ − 1)/σ into the core cost and the wedge's parts — variable compliance, payment, destination hosting — as
vc / (1 + W), vc · term / (1 + W); exports and foreign market counts are summed, and the foreign destinations each
seller serves (a market link, or supplier links with a positive flow) are kept as bit masks. Fixed data compliance is
paid once per served destination (``served_fixed_masks``: δ_i (F_ods + source code) and the strictest per-firm rule
G). ``account_totals`` then gives per slot: hosting and home compliance, fixed cost (operating, export, compliance,
in-house capex, entry charges), profit r / σ − fixed, value added r − purchases and local hosting spend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from simulator.model.costs import LinkCosts, fixed_table
from simulator.model.numerics import jit
from simulator.model.population import Firms
from simulator.model.trade import TradeResult


class SellerCosts(NamedTuple):
    """Per-seller sums of the step's links that ``account_totals`` turns into accounts (arrays per firm slot)."""

    core: np.ndarray
    """Core variable cost vc / (1 + W)."""
    compliance: np.ndarray
    """Variable compliance vc · δ κ / (1 + W)."""
    dest_hosting: np.ndarray
    """Destination hosting vc · δ f H / (1 + W)."""
    n_foreign: np.ndarray
    """Number of foreign market links."""
    fixed_compliance: np.ndarray
    """Fixed data compliance δ (F + source code) over the served foreign destinations."""
    rule_first: np.ndarray
    """The strictest per-firm rule G over the served foreign destinations."""


class FirmHosting(NamedTuple):
    """Hosting of each firm slot as the accounts take it (from ``hosting.hosting_step``)."""

    cost: np.ndarray
    """δ_i · cost of the firm's mode, per unit of core cost."""
    compliance: np.ndarray
    """The part of ``cost`` that is transfer-condition compliance (booked as compliance, not hosting)."""
    local_share: np.ndarray
    """Share of the hosting spend paid to local providers."""
    fixed: np.ndarray
    """Fixed hosting capex (in-house)."""


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
    n_c = costs.trust.size
    arrays = firms.arrays()
    # one compiled pass over the links: per-seller sums (as np.bincount in link order), the foreign destinations each
    # seller serves (bit masks), and (when asked) the link sums of the metrics
    link_metrics = region_of is not None
    regions = region_of if link_metrics else np.zeros(n_c, np.int64)
    (
        core,
        compliance_var,
        payment,
        dest_host,
        exports,
        n_foreign,
        dest_host_by_dest,
        served,
        intra,
        trade_cost,
        flows,
    ) = seller_accounts(
        tr.links,
        tr.sales_revenue,
        arrays,
        tr.table,
        tr.local_price,
        regions,
        sigma=sigma,
        cap=cap,
        n_c=n_c,
        link_metrics=link_metrics,
    )
    home_comp = np.zeros(cap) if hosting_compliance is None else hosting_compliance

    # fixed data-compliance costs: once per foreign destination economy a firm serves, whether it sells there to
    # final demand (a market link) or only to firms (supplier links with a positive flow)
    if fixed_tab is None:
        fixed_tab = fixed_table(costs, params["source_code_cost"] * money_scale)
    fix_comp, g_first, g_second = served_fixed_masks(
        served, firms.economy, firms.sector, firms.delta, fixed_tab, cap, n_c, costs.tau.shape[2]
    )
    # hosting and home compliance split of the core cost, fixed costs, compliance, profit, value added and local
    # hosting spend per slot in one compiled pass (element by element the numpy expressions:
    # hosting = core (h − h_comp) / (1 + h), fixed = operating · alive + F_x · n_foreign + fixed compliance + capex
    # + entry charges, compliance = variable + fixed + destination hosting + home, profit = r / σ − fixed, ...)
    local_rev = dest_host_by_dest
    sums = SellerCosts(
        core=core,
        compliance=compliance_var,
        dest_hosting=dest_host,
        n_foreign=n_foreign,
        fixed_compliance=fix_comp,
        rule_first=g_first,
    )
    hosted = FirmHosting(cost=hosting_cost, compliance=home_comp, local_share=hosting_local_share, fixed=hosting_fixed)
    hosting, fixed_compliance, fixed, compliance, profit, value_added, variable_cost, local_hosting, capex = (
        account_totals(
            arrays,
            tr.revenue,
            tr.purchases,
            sums,
            hosted,
            operating_cost,
            entry_charges,
            local_rev,
            export_fixed=params["fixed_export_cost"] * money_scale,
            sigma=sigma,
        )
    )
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


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def seller_accounts(links, revenue, firms, tab, local_price, region_of, sigma, cap, n_c, link_metrics):
    """Per-seller sums of one pass over the links (as ``np.bincount`` in link order).

    ``links`` is the step's ``TradeLinks`` and ``revenue`` its revenue per link; ``firms`` a ``FirmArrays`` (each
    seller's economy and agent weight ``fw`` are read). The links' ``row`` and ``delta`` are each link's ``tab`` row
    and seller's δ, as ``trade_terms`` returns them: the cost terms
    are computed again with its expressions (the same numbers bit for bit): τ = tab[row, 0], compliance
    δ · tab[row, 1], payment tab[row, 4], destination hosting δ · tab[row, 2] · local_price[d], and the wedge their
    sum in that order (as ``TradeResult.sales_wedge``).

    Returns core, variable compliance, payment, destination hosting, exports, foreign market count (per firm slot),
    destination-hosting revenue per destination economy, and the destinations each seller serves as bit masks
    (``served_masks`` of the foreign links with a market link or a positive flow). With ``link_metrics``, the same
    pass also returns the link sums the metrics need (what ``link_metric_sums`` computes, in the same order):
    per-seller intra-regional exports and Σ sales × (τ(1 + W) − 1) on cross-border links, and the economy × economy
    cross-border flows (flattened); empty arrays otherwise. Per-seller sums are per real firm of the seller; the
    per-economy sums (destination-hosting revenue, economy flows) are aggregates, each link weighted by its seller's
    agent weight ``fw``.
    """
    seller, dest, rows, delta, n_market = links.seller, links.dest, links.row, links.delta, links.n_market
    economy, fw = firms.economy, firms.weight
    core = np.zeros(cap)
    comp_var = np.zeros(cap)
    payment = np.zeros(cap)
    dest_host = np.zeros(cap)
    exports = np.zeros(cap)
    n_foreign = np.zeros(cap)
    local_rev = np.zeros(n_c)
    n_m = cap if link_metrics else 0
    intra = np.zeros(n_m)
    cost = np.zeros(n_m)
    flows = np.zeros(n_c * n_c if link_metrics else 0)
    # whether origin o and destination d (flat pair o · C + d) are in the same region
    same_region = np.zeros(n_c * n_c if link_metrics else 0, np.bool_)
    if link_metrics:
        for o in range(n_c):
            for d in range(n_c):
                same_region[o * n_c + d] = region_of[o] == region_of[d]
    n = seller.size
    n_w = (n_c + 63) // 64
    served = np.zeros(cap * n_w, np.int64)
    for k in range(n):
        i = seller[k]
        d = dest[k]
        r = revenue[k]
        vc = r * (sigma - 1.0) / sigma
        row = rows[k]
        dl = delta[k]
        ck = dl * tab[row, 1]
        pk = tab[row, 4]
        hk = dl * tab[row, 2] * local_price[d]
        if ck == 0.0 and pk == 0.0 and hk == 0.0 and abs(vc) < np.inf:
            # no wedge (every domestic link): 1 + W is exactly 1, so vc / (1 + W) is vc, and the three other terms
            # are ±0, whose addition leaves a sum started at +0 unchanged (bit for bit): four divisions saved
            one_w = 1.0
            core[i] += vc
        else:
            one_w = 1.0 + (ck + pk + hk)
            core[i] += vc / one_w
            comp_var[i] += vc * ck / one_w
            payment[i] += vc * pk / one_w
            v = vc * hk / one_w
            dest_host[i] += v
            local_rev[d] += v * fw[i]
        o = economy[i]
        if o != d:
            exports[i] += r
            if k < n_market:
                n_foreign[i] += 1.0
            if k < n_market or r > 0:
                served[i * n_w + (np.int64(d) >> 6)] |= np.int64(1) << (np.int64(d) & 63)
            if link_metrics:
                od = np.int64(o) * n_c + d
                # + 0 (no branch) off the region: a sum that starts at +0 never becomes -0, so x + 0 is x
                intra[i] += r if same_region[od] else 0.0
                cost[i] += r * (tab[row, 0] * one_w - 1.0)
                flows[od] += r * fw[i]
    return core, comp_var, payment, dest_host, exports, n_foreign, local_rev, served, intra, cost, flows


@jit
def account_totals(
    firms, revenue, purchases, sums, hosted, operating_cost, entry_charges, local_rev, export_fixed, sigma
):
    """Firm accounts from the per-seller link sums, element by element as the numpy expressions of ``firm_accounts``.

    ``firms`` is a ``FirmArrays``, ``sums`` the ``SellerCosts`` and ``hosted`` the ``FirmHosting`` of the step;
    ``revenue`` and ``purchases`` are per firm slot.
    ``operating_cost`` is per economy × sector cell, ``(C, S)``: each slot pays its cell's (the numpy form gathers
    ``operating_cost[economy, sector]``). Returns per slot: hosting, fixed compliance, fixed cost, compliance,
    profit, value added, variable cost, local hosting spend and in-house capex; ``local_rev`` (destination-hosting
    revenue per economy) gets each slot's local hosting spend on home hosting added in slot order
    (``np.bincount(economy, weights=...)`` then ``+``).
    """
    alive, economy, sector, delta, fw = firms.alive, firms.economy, firms.sector, firms.delta, firms.weight
    core, comp_var, dest_host, n_foreign = sums.core, sums.compliance, sums.dest_hosting, sums.n_foreign
    fix_comp, g_first = sums.fixed_compliance, sums.rule_first
    hosting_cost, home_comp, local_share, hosting_fixed = (
        hosted.cost,
        hosted.compliance,
        hosted.local_share,
        hosted.fixed,
    )
    cap = alive.size
    hosting = np.empty(cap)
    fixed_compliance = np.empty(cap)
    fixed = np.empty(cap)
    compliance = np.empty(cap)
    profit = np.empty(cap)
    value_added = np.empty(cap)
    variable_cost = np.empty(cap)
    local_hosting = np.empty(cap)
    inhouse_capex = np.empty(cap)
    home_local = np.zeros(local_rev.size)
    for i in range(cap):
        a = 1.0 if alive[i] else 0.0
        c = core[i]
        hc = hosting_cost[i]
        hcomp = home_comp[i]
        h = c * (hc - hcomp) / (1.0 + hc)
        ch = c * hcomp / (1.0 + hc)
        fc = fix_comp[i] + delta[i] * g_first[i]
        capex = hosting_fixed[i] * a
        fx = operating_cost[economy[i], sector[i]] * a + export_fixed * n_foreign[i] + fc + capex + entry_charges[i]
        r = revenue[i]
        loc = (h + ch) * local_share[i]
        hosting[i] = h
        fixed_compliance[i] = fc
        fixed[i] = fx
        compliance[i] = comp_var[i] + fc + dest_host[i] + ch
        profit[i] = r / sigma - fx
        value_added[i] = r - purchases[i]
        variable_cost[i] = r - r / sigma
        local_hosting[i] = loc + dest_host[i]
        inhouse_capex[i] = capex
        home_local[economy[i]] += loc * fw[i]
    for d in range(local_rev.size):
        local_rev[d] = home_local[d] + local_rev[d]
    return (
        hosting,
        fixed_compliance,
        fixed,
        compliance,
        profit,
        value_added,
        variable_cost,
        local_hosting,
        inhouse_capex,
    )


_DEBRUIJN = 0x03F79D71B4CB0A89
_TRAILING_ZEROS = np.zeros(64, np.int64)
for _b in range(64):
    _TRAILING_ZEROS[(((1 << _b) * _DEBRUIJN) % (1 << 64)) >> 58] = _b
_DEBRUIJN_I64 = np.int64(_DEBRUIJN)
"""A de Bruijn sequence (as a signed 64-bit number) and its table: the index of the single bit set in ``low`` is
``_TRAILING_ZEROS[((low * _DEBRUIJN_I64) >> 58) & 63]`` (multiplication modulo 2^64)."""


@jit
def served_fixed_masks(mask, economy, sector, delta, ftab, cap, n_c, n_s):
    """``served_fixed`` given the served destinations as bit masks per seller (``served_masks``).

    ``ftab`` is ``fixed_table``. Each seller's destinations are visited in ascending order (word by word, lowest bit
    first), so the sums are those of ``np.bincount`` over ``unique_pairs``.
    """
    n_w = (n_c + 63) // 64
    fix = np.zeros(cap)
    first = np.zeros(cap)
    second = np.zeros(cap)
    for i in range(cap):
        base = np.int64(economy[i]) * n_c
        s = sector[i]
        di = delta[i]
        acc = 0.0
        f1 = -np.inf
        f2 = -np.inf
        found = False
        for w in range(n_w):
            bits = mask[i * n_w + w]
            while bits != 0:
                low = bits & -bits
                bits ^= low
                d = w * 64 + _TRAILING_ZEROS[((low * _DEBRUIJN_I64) >> 58) & 63]
                found = True
                row = (base + d) * n_s + s
                acc += di * ftab[row, 0]
                g = ftab[row, 1]
                if g > f1:
                    f2 = f1
                    f1 = g
                elif g > f2:
                    f2 = g
        if found:
            fix[i] = acc
            first[i] = f1 if f1 != -np.inf else 0.0
            second[i] = f2 if f2 != -np.inf else 0.0
    return fix, first, second
