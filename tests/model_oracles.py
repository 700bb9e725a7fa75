"""Readable numpy forms of the model's compiled kernels, kept as test oracles (``test_model_kernels.py``).

The package holds only the form that runs (the kernels, beside their rules); these are the numpy expressions each
kernel is checked against where the check needs more than a line or two: hosting options and choice
(``hosting.hosting_step``), the fixed costs of a market link (``markets.market_drops``, ``markets.market_entries``),
the supplier-slot matrices (``trade.trade_terms``), the served destinations as bit masks
(``accounts.seller_accounts``, ``accounts.served_fixed_masks``) and the distinct seller × destination pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simulator.model.costs import COL, LinkCosts
from simulator.model.hosting import HostingMarket, effective_depth, local_quality, market_price
from simulator.model.population import Firms, HostingMode, fit_to_capacity


def flat_index(seller: np.ndarray, dest: np.ndarray, firms: Firms, costs: LinkCosts) -> np.ndarray:
    """Row of ``costs.packed`` of each link seller → dest: (o · C + d) · S + s."""
    n_c, _, n_s = costs.tau.shape
    return (firms.economy[seller].astype(np.int64) * n_c + dest) * n_s + firms.sector[seller]


# ------------------------------------------------------------------------------------------------------------ hosting
@dataclass
class HostingOptions:
    """Per-firm cost (ad valorem per unit δ), local share of that cost, quality and fixed cost of each mode.

    Arrays are ``(n, 3)`` with columns in ``HostingMode`` order.
    """

    cost: np.ndarray
    local_share: np.ndarray
    quality: np.ndarray
    fixed: np.ndarray
    compliance: np.ndarray
    home: np.ndarray
    """The firm's preference for each mode (β_c + a_i for a local provider and in-house, 0 for the cloud)."""


def options(
    firms_idx: np.ndarray,
    firms: Firms,
    costs: LinkCosts,
    market: HostingMarket,
    params: Mapping[str, float],
    money_scale: float,
) -> HostingOptions:
    """Return the hosting options of the firms ``firms_idx`` under the rules and the hosting market in force."""
    c = firms.economy[firms_idx]
    s = firms.sector[firms_idx]
    depth = effective_depth(market, costs, params)
    move = costs.home_move[c, s]
    copy = costs.home_copy[c, s] * params["copy_hosting_share"]
    loc = market_price(market, costs, params)[c]
    q_loc = local_quality(depth)[c]
    cloud = params["h_cloud"] * costs.telecom[c]
    inhouse = params["h_inhouse"] * costs.telecom[c]
    n = firms_idx.size
    cost = np.empty((n, 3))
    transfer = (1 - move) * costs.home_transfer[c, s]
    cost[:, HostingMode.FOREIGN_CLOUD] = (1 - move) * cloud + (move + copy) * loc + transfer
    cost[:, HostingMode.LOCAL] = loc
    cost[:, HostingMode.IN_HOUSE] = inhouse
    local_share = np.zeros((n, 3))
    cloud_cost = cost[:, HostingMode.FOREIGN_CLOUD]
    compliance = np.zeros((n, 3))
    compliance[:, HostingMode.FOREIGN_CLOUD] = transfer
    local_share[:, HostingMode.FOREIGN_CLOUD] = np.divide(
        (move + copy) * loc, cloud_cost, out=np.zeros(n), where=cloud_cost > 0
    )
    local_share[:, HostingMode.LOCAL] = 1.0
    quality = np.empty((n, 3))
    quality[:, HostingMode.FOREIGN_CLOUD] = (1 - move) + move * q_loc
    quality[:, HostingMode.LOCAL] = q_loc
    quality[:, HostingMode.IN_HOUSE] = params["inhouse_quality"]
    fixed = np.zeros((n, 3))
    fixed[:, HostingMode.IN_HOUSE] = params["inhouse_fixed"] * money_scale
    home = np.zeros((n, 3))
    home[:, HostingMode.LOCAL] = home[:, HostingMode.IN_HOUSE] = market.preference[c] + firms.local_affinity[firms_idx]
    return HostingOptions(
        cost=cost, local_share=local_share, quality=quality, fixed=fixed, compliance=compliance, home=home
    )


def choose(opts: HostingOptions, delta: np.ndarray, revenue: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
    """Choose the mode minimising δ r (σ − 1)/σ · (cost − ζ · quality − preference) + fixed (first-order loss)."""
    sigma = params["sigma"]
    var = (delta * revenue * (sigma - 1) / sigma)[:, None]
    loss = var * (opts.cost - params["zeta"] * opts.quality - opts.home) + opts.fixed
    return np.argmin(loss, axis=1).astype(np.int8)


# ------------------------------------------------------------------------------------------- fixed costs of a market
def market_fixed(model, firm: np.ndarray, dest: np.ndarray) -> np.ndarray:
    """Per-step fixed cost of serving ``dest`` for ``firm`` (export + compliance + source-code)."""
    p, f, c = model.params, model.firms, model.costs
    rows = flat_index(firm, dest, f, c)
    fixed = c.packed[rows, COL["fixed"]]
    source_code = c.packed[rows, COL["source_code"]]
    sc = p["source_code_cost"] * model.money_scale * source_code
    return p["fixed_export_cost"] * model.money_scale + f.delta[firm] * (fixed + sc)


def firm_fixed_saving(model, firm: np.ndarray, dest: np.ndarray) -> np.ndarray:
    """Per-firm fixed compliance saved by leaving ``dest``: δ · (G_first − G_second) if d is the strictest."""
    f, a = model.firms, model.accounts
    g = model.costs.packed[flat_index(firm, dest, f, model.costs), COL["firm_fixed"]]
    first = fit_to_capacity(a.firm_rule_first, f.capacity)[firm]
    second = fit_to_capacity(a.firm_rule_second, f.capacity)[firm]
    return f.delta[firm] * np.where(g >= first, first - second, 0.0)


def firm_fixed_added(model, firm: np.ndarray, dest: np.ndarray) -> np.ndarray:
    """Per-firm fixed compliance a firm adds by entering ``dest``: δ · max(G_od − G_first, 0)."""
    f, a = model.firms, model.accounts
    g = model.costs.packed[flat_index(firm, dest, f, model.costs), COL["firm_fixed"]]
    return f.delta[firm] * np.maximum(g - fit_to_capacity(a.firm_rule_first, f.capacity)[firm], 0.0)


# ------------------------------------------------------------------------------------------------- links and slots
def slot_matrix(sup: np.ndarray, alive: np.ndarray, values: np.ndarray, fill: float) -> np.ndarray:
    """Per-link ``values`` of the supplier links in an ``sup``-shaped matrix, ``fill`` elsewhere.

    The links are the filled slots of buyers alive in row-major order (as ``trade.trade_terms`` lists them).
    """
    out = np.full(sup.shape, fill, dtype=float)
    out[np.nonzero((sup >= 0) & alive[:, None])] = values
    return out


def served_masks(seller: np.ndarray, dest: np.ndarray, served: np.ndarray, cap: int, n_c: int) -> np.ndarray:
    """Destinations of the links flagged ``served`` as bit masks per seller: ``(cap · W,)`` int64, W = ⌈n_c / 64⌉.

    Bit d mod 64 of word ``i · W + d // 64`` is set when seller i has a served link to d.
    """
    n_w = (n_c + 63) // 64
    bits = np.zeros((cap, n_w * 64), bool)
    bits[seller[served], dest[served]] = True
    words = (bits.reshape(cap, n_w, 64) * (np.uint64(1) << np.arange(64, dtype=np.uint64))).sum(2, dtype=np.uint64)
    return words.ravel().view(np.int64)


def unique_pairs(a: np.ndarray, b: np.ndarray, n_b: int) -> np.ndarray:
    """The distinct pairs (a, b) as sorted keys a · n_b + b."""
    return np.unique(a.astype(np.int64) * n_b + b)


def top_two(group: np.ndarray, value: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Largest and second largest ``value`` per ``group`` (0 where a group has none), each ``(size,)``."""
    first, second = np.zeros(size), np.zeros(size)
    if group.size == 0:
        return first, second
    order = np.lexsort((-value, group))
    g, v = group[order], value[order]
    start = np.ones(g.size, bool)
    start[1:] = g[1:] != g[:-1]
    first[g[start]] = v[start]
    nxt = np.flatnonzero(start) + 1
    ok = (nxt < g.size) & (g[np.minimum(nxt, g.size - 1)] == g[start])
    second[g[start][ok]] = v[nxt[ok]]
    return first, second


# ----------------------------------------------------------------------------------------------------- supply chains
def inclusive_price(
    sup_price: np.ndarray,
    sup_flow: np.ndarray,
    purchases: np.ndarray,
    same: np.ndarray,
    economy: np.ndarray,
    market_weight: np.ndarray,
    mu: float,
) -> np.ndarray:
    """``inputs.inclusive_price``: (W X / x_0)^(−μ), else the spending-weighted geometric mean of q; NaN if unknown."""
    cap = same.size
    n = min(cap, sup_price.shape[0])
    q, x = sup_price[:n], sup_flow[:n]
    ok = (x > 0) & (q > 0) & np.isfinite(q)
    spend = np.where(ok, x, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        geo = np.exp(np.where(ok, x * np.log(np.where(ok, q, 1.0)), 0.0).sum(axis=1) / spend)
        rest = purchases[:n] - spend
        w0 = market_weight[economy[:n]]
        logit = np.exp(-mu * np.log(w0 * purchases[:n] / rest))
    use_logit = (purchases[:n] > 0) & (rest > 1e-12 * purchases[:n]) & (w0 > 0)
    out = np.full(cap, np.nan)
    out[:n] = np.where(use_logit, logit, np.where(spend > 0, geo, np.nan))
    out[:n] = np.where(same[:n], out[:n], np.nan)
    return out


def input_factor(
    firms: Firms, index: np.ndarray, log_ref: np.ndarray, exponent: np.ndarray, frozen: bool, n_c: int, n_s: int
) -> tuple[np.ndarray, np.ndarray]:
    """``inputs.input_factor``: F = exp(ρ θ_s (ln P_in − ln R_cs)), R_cs the weighted cell mean unless ``frozen``."""
    n = n_c * n_s
    cell = firms.economy.astype(np.int64) * n_s + firms.sector

    def cell_mean(values: np.ndarray, use: np.ndarray) -> np.ndarray:
        w = np.where(use, firms.weight, 0.0)
        total = np.bincount(cell, weights=w, minlength=n)
        summed = np.bincount(cell, weights=w * np.where(use, values, 0.0), minlength=n)
        return np.divide(summed, total, out=np.full(n, np.nan), where=total > 0)

    known = firms.alive & np.isfinite(index) & (index > 0)
    log_index = np.log(np.where(known, index, 1.0))
    ref = log_ref.ravel() if frozen else cell_mean(log_index, known)
    has = known & np.isfinite(ref[cell])
    log_f = np.where(has, exponent[firms.sector] * (log_index - np.where(has, ref[cell], 0.0)), 0.0)
    mean = np.nan_to_num(cell_mean(log_f, has), nan=0.0)
    log_f = np.where(has, log_f, np.where(firms.alive, mean[cell], 0.0))
    return np.exp(log_f), ref.reshape(n_c, n_s)
