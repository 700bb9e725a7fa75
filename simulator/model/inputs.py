"""Supply chains: the delivered prices of a firm's inputs enter its unit cost (stage ``input_costs``).

Production is Cobb–Douglas in the firm's own activity (labour with its data services, productivity φ̃_i) and a
bundle of intermediate inputs, with the sector's input share θ_s (``intermediate_share``, read from the BEA 1997 Use
table: ``data/input_output.csv``). Written as the hosting choice's core unit cost u_i = w_c (1 + δ_i h_i)/φ̃_i times
an input factor:

    u'_i = u_i · F_i,   F_i = (P_in,i / R_cs)^(ρ_in θ_s),

with ρ_in = ``input_price_pass_through`` (1 = the Cobb–Douglas closure of Caliendo and Parro 2015) and R_cs the
reference input price of the firm's economy × sector: the weighted geometric mean of P_in over the cell's firms
(agent weights), recomputed at every pass of the construction and the burn-in (so that in the calibrated baseline a
cell's typical firm has F = 1 and the burn-in's wages and endowments calibrate the economy as before) and frozen at
the end of the burn-in (``freeze``): a policy-free constant of the Cobb–Douglas cost function, the same for a
baseline and a reform built from one seed. After it, input prices that rise against the baseline raise costs. Buyers
spend θ_s of their variable cost on inputs (trade's X_b = θ_s (σ − 1)/σ r_b(t − 1)), so the spending side is the
Cobb–Douglas one whatever ρ_in. Prices are in numeraire units (the world wage bill at the endowments,
``closure.clear_labour_markets``), so P_in of different steps and R_cs are comparable.

P_in,i is the buyer's input price index in the last trade pass: the inclusive value of its logit choice among its
suppliers and its economy's market at large (trade's sourcing, ``trade.trade_flows``),

    P_in,i = V_i^(−μ),   V_i = Σ_j fw_j q_ij^(−1/μ) + W_c,

the welfare-consistent index of a logit (removing an option, or raising its price, never lowers it), computed from
what the buyer bought: its share spent on the market at large is x_i0 / X_i = W_c / V_i, so
P_in,i = (W_c X_i / x_i0)^(−μ) = p̄_c (ν w̄_c)^(−μ) (x_i0 / X_i)^μ with W_c = ν w̄_c p̄_c^(−1/μ) the option's weight in
that pass (``trade.market_option``), X_i its purchases and x_i0 what it bought on the market at large (or could place
nowhere). Where there is no market option (ν = 0) the index is the spending-weighted geometric mean of its delivered
prices q_ij (not a welfare index; documented fallback). A firm that did
not buy in the last pass (an entrant, a slot reused, no revenue) takes its cell's mean factor (geometric, agent
weights); before any pass, and in a cell without a reference, F = 1. The loop through the chain is lagged one step:
a price shock upstream reaches buyers next step, their buyers the step after, and a lasting shock is multiplied by up
to 1/(1 − ρ_in θ_s) along the chain.

The stage runs after ``hosting_choice`` (``hosting.py`` is not changed: the core cost is its unit cost) and replaces
``model.hosting_choice`` by the same choice with the full unit costs, so trade's prices, the market option and
supplier search all read u'. The stage's own state (``InputPrices``) is ``model.input_prices``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from simulator.model.numerics import jit
from simulator.model.trade import market_option

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel


class InputPrices(NamedTuple):
    """The input side of one step's unit costs (per firm slot unless noted)."""

    index: np.ndarray
    """P_in of each slot (the price index of its last purchases; NaN when it did not buy in the last pass)."""
    factor: np.ndarray
    """F = (P_in / R_cs)^(ρ_in θ_s), the factor on the core unit cost (1 for free slots)."""
    market_weight: np.ndarray
    """W_c of this step's unit costs, ``(c,)``: the market-at-large option's weight in the trade that follows."""
    log_reference: np.ndarray
    """ln R_cs, ``(c, s)`` (NaN where the cell has no firm with a known P_in)."""
    frozen: bool
    """Whether the reference is fixed (after the burn-in) or follows the cells' mean (construction, burn-in)."""
    uid: np.ndarray
    """The firm of each slot at this step (next step reads the trade flows of a slot only for the same firm)."""


def input_prices(model: DataFlowModel) -> InputPrices:
    """The input factor of every firm slot from the last trade pass (``model.trade``) and this step's core costs."""
    p, f = model.params, model.firms
    n_c, n_s = model.n_economies, model.n_sectors
    prev: InputPrices | None = model.input_prices
    tr = model.trade
    if prev is not None and tr is not None:
        same = np.zeros(f.capacity, bool)
        n = min(prev.uid.size, f.capacity, tr.purchases.size)
        same[:n] = f.alive[:n] & (f.uid[:n] == prev.uid[:n])
        index = inclusive_price(
            tr.supplier_price, tr.supplier_flow, tr.purchases, same, f.economy, prev.market_weight, mu=p["mu"]
        )
    else:
        index = np.full(f.capacity, np.nan)
    frozen = prev is not None and prev.frozen
    log_ref = prev.log_reference if frozen else np.full((n_c, n_s), np.nan)
    exponent = p["input_price_pass_through"] * model.intermediate_share
    factor, log_ref = input_factor(f.arrays(), index, log_ref, exponent, frozen=frozen, n_c=n_c, n_s=n_s)
    return InputPrices(
        index=index,
        factor=factor,
        market_weight=market_option(f, model.hosting_choice.unit_cost * factor, model.costs, p),
        log_reference=log_ref,
        frozen=frozen,
        uid=f.uid.copy(),
    )


def freeze(prices: InputPrices | None) -> InputPrices | None:
    """``prices`` with its reference R_cs fixed from now on (the end of the burn-in)."""
    return None if prices is None else prices._replace(frozen=True)


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def inclusive_price(sup_price, sup_flow, purchases, same, economy, market_weight, mu):
    """P_in per slot over the last trade pass (``inputs`` module docstring), NaN if unknown.

    ``sup_price`` and ``sup_flow`` are the pass's supplier-slot matrices (delivered price q_j, ∞ where infeasible or
    empty; flow x_j per real firm of the buyer), ``purchases`` its purchases X per slot and ``market_weight`` the
    market option's weight W of each economy in that pass. With x_0 = X − Σ_j x_j > 0 and W > 0:
    P = exp(−μ ln(W X / x_0)); otherwise, where the buyer bought from suppliers, the spending-weighted geometric mean
    exp(Σ_j x_j ln q_j / Σ_j x_j). Only slots with ``same`` (the same firm as in the pass) are read; slots beyond the
    pass's arrays are NaN.
    """
    cap = same.size
    n = min(cap, sup_price.shape[0])
    m = sup_price.shape[1]
    out = np.full(cap, np.nan)
    for b in range(n):
        if not same[b]:
            continue
        x_tot = purchases[b]
        spend = 0.0
        for j in range(m):
            x = sup_flow[b, j]
            q = sup_price[b, j]
            if x > 0 and q > 0 and q < np.inf:
                spend += x
        rest = x_tot - spend
        w0 = market_weight[economy[b]]
        if x_tot > 0 and rest > 1e-12 * x_tot and w0 > 0:
            out[b] = np.exp(-mu * np.log(w0 * x_tot / rest))
        elif spend > 0:
            acc = 0.0
            for j in range(m):
                x = sup_flow[b, j]
                q = sup_price[b, j]
                if x > 0 and q > 0 and q < np.inf:
                    acc += x * np.log(q)
            out[b] = np.exp(acc / spend)
    return out


@jit
def input_factor(firms, index, log_ref, exponent, frozen, n_c, n_s):
    """F = exp(ρ_in θ_s (ln P_in − ln R_cs)) per slot, and ln R_cs (``inputs`` module docstring).

    ``firms`` is a ``FirmArrays``; ``index`` is P_in per slot (NaN unknown); ``exponent`` is ρ_in θ_s per sector.
    Unless ``frozen``, ln R_cs is the agent-weighted mean of ln P_in over each cell's firms alive with a known index
    (NaN for a cell without one; ``log_ref`` is then not read); a firm alive without a known index, or in a cell
    without a reference, takes its cell's weighted mean log factor (0 if none). Free slots get F = 1. Sums per cell
    in slot order (as ``np.bincount``). Returns (F, ln R_cs as a (c, s) array).
    """
    alive, economy, sector, fw = firms.alive, firms.economy, firms.sector, firms.weight
    cap = alive.size
    n_cells = n_c * n_s
    ref = np.empty(n_cells)
    if frozen:
        for k in range(n_cells):
            ref[k] = log_ref[k // n_s, k % n_s]
    else:
        w_sum = np.zeros(n_cells)
        l_sum = np.zeros(n_cells)
        for i in range(cap):
            x = index[i]
            if alive[i] and x > 0 and x < np.inf:
                c = economy[i] * n_s + sector[i]
                w_sum[c] += fw[i]
                l_sum[c] += fw[i] * np.log(x)
        for k in range(n_cells):
            ref[k] = l_sum[k] / w_sum[k] if w_sum[k] > 0 else np.nan
    log_f = np.zeros(cap)
    has = np.zeros(cap, np.bool_)
    m_w = np.zeros(n_cells)
    m_l = np.zeros(n_cells)
    for i in range(cap):
        x = index[i]
        if not alive[i] or not (x > 0 and x < np.inf):
            continue
        c = economy[i] * n_s + sector[i]
        r = ref[c]
        if r == r:
            v = exponent[sector[i]] * (np.log(x) - r)
            log_f[i] = v
            has[i] = True
            m_w[c] += fw[i]
            m_l[c] += fw[i] * v
    factor = np.ones(cap)
    for i in range(cap):
        if has[i]:
            factor[i] = np.exp(log_f[i])
        elif alive[i]:
            c = economy[i] * n_s + sector[i]
            if m_w[c] > 0:
                factor[i] = np.exp(m_l[c] / m_w[c])
    out_ref = np.empty((n_c, n_s))
    for k in range(n_cells):
        out_ref[k // n_s, k % n_s] = ref[k]
    return factor, out_ref
