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

P_in,i is the unit value of what the buyer bought in the last trade pass: its purchases over their quantities,

    P_in,i = (Σ_j x_ij + x_i0) / (Σ_j x_ij / q_ij + x_i0 / p̄_c),

with x_ij its flows to suppliers at their delivered prices q_ij and x_i0 what it bought on its economy's market at
large (or could place nowhere) at that economy's typical home price p̄_c (``trade.market_option``). A firm that did
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

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel


class InputPrices(NamedTuple):
    """The input side of one step's unit costs (per firm slot unless noted)."""

    index: np.ndarray
    """P_in of each slot (the unit value of its last purchases; NaN when it did not buy in the last pass)."""
    factor: np.ndarray
    """F = (P_in / R_cs)^(ρ_in θ_s), the factor on the core unit cost (1 for free slots)."""
    home_price: np.ndarray
    """p̄_c of this step's unit costs, ``(c,)``: the price of the market-at-large option in the trade that follows."""
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
    index = np.full(f.capacity, np.nan)
    if prev is not None and tr is not None:
        same = np.zeros(f.capacity, bool)
        n = min(prev.uid.size, f.capacity, tr.purchases.size)
        same[:n] = f.alive[:n] & (f.uid[:n] == prev.uid[:n])
        index = unit_value(tr.supplier_price, tr.supplier_flow, tr.purchases, same, f.economy, prev.home_price)
    cell = f.economy.astype(np.int64) * n_s + f.sector
    known = f.alive & np.isfinite(index) & (index > 0)
    log_index = np.log(np.where(known, index, 1.0))
    if prev is not None and prev.frozen:
        log_ref = prev.log_reference
    else:
        log_ref = cell_log_mean(log_index, known, cell, f.weight, n_c * n_s).reshape(n_c, n_s)
    exponent = p["input_price_pass_through"] * model.intermediate_share[f.sector]
    ref = log_ref.ravel()[cell]
    log_factor = np.where(known & np.isfinite(ref), exponent * (log_index - np.where(np.isfinite(ref), ref, 0.0)), 0.0)
    # firms without a known P_in take their cell's mean log factor (0 while the reference follows the cells)
    has = known & np.isfinite(ref)
    mean_cell = np.nan_to_num(cell_log_mean(log_factor, has, cell, f.weight, n_c * n_s), nan=0.0)
    log_factor = np.where(has, log_factor, np.where(f.alive, mean_cell[cell], 0.0))
    factor = np.exp(log_factor)
    full = model.hosting_choice.unit_cost * factor
    return InputPrices(
        index=np.where(known, index, np.nan),
        factor=factor,
        home_price=home_price(f.arrays(), full, n_c=n_c, sigma=p["sigma"]),
        log_reference=log_ref,
        frozen=False if prev is None else prev.frozen,
        uid=f.uid.copy(),
    )


def freeze(prices: InputPrices | None) -> InputPrices | None:
    """``prices`` with its reference R_cs fixed from now on (the end of the burn-in)."""
    return None if prices is None else prices._replace(frozen=True)


def cell_log_mean(values: np.ndarray, use: np.ndarray, cell: np.ndarray, weight: np.ndarray, n: int) -> np.ndarray:
    """Weighted mean of ``values`` over the slots in ``use`` per cell, ``(n,)``; NaN where a cell has none."""
    w = np.where(use, weight, 0.0)
    total = np.bincount(cell, weights=w, minlength=n)
    summed = np.bincount(cell, weights=w * np.where(use, values, 0.0), minlength=n)
    return np.divide(summed, total, out=np.full(n, np.nan), where=total > 0)


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def unit_value(sup_price, sup_flow, purchases, same, economy, home_price):
    """P_in per slot: (Σ_j x_j + x_0) / (Σ_j x_j / q_j + x_0 / p̄_c) over the last trade pass (NaN if unknown).

    ``sup_price`` and ``sup_flow`` are the pass's supplier-slot matrices (delivered price, ∞ where infeasible or
    empty; flow per real firm of the buyer), ``purchases`` its purchases per slot; x_0 = purchases − Σ_j x_j is
    what was bought on the market at large (or placed nowhere), priced at ``home_price`` of the buyer's economy
    (left out where that price is not positive and finite). Only slots with ``same`` (the same firm as in the pass)
    are read; slots beyond the pass's arrays are NaN.
    """
    cap = same.size
    n = min(cap, sup_price.shape[0])
    m = sup_price.shape[1]
    out = np.full(cap, np.nan)
    for b in range(n):
        if not same[b]:
            continue
        spend = 0.0
        qty = 0.0
        for j in range(m):
            x = sup_flow[b, j]
            q = sup_price[b, j]
            if x > 0 and q > 0 and q < np.inf:
                spend += x
                qty += x / q
        rest = purchases[b] - spend
        p0 = home_price[economy[b]]
        if rest > 1e-12 * purchases[b] and p0 > 0 and p0 < np.inf:
            spend += rest
            qty += rest / p0
        if qty > 0:
            out[b] = spend / qty
    return out


@jit
def home_price(firms, unit_cost, n_c, sigma):
    """p̄_c = σ/(σ − 1) · (Σ fw u^(1−σ) / Σ fw)^(1/(1−σ)) over c's firms alive with a positive finite unit cost.

    The typical home price of ``trade.market_option_weight`` (the price of the market-at-large option); NaN where
    the economy has no such firm. ``firms`` is a ``FirmArrays``.
    """
    alive, economy, fw = firms.alive, firms.economy, firms.weight
    mass = np.zeros(n_c)
    real = np.zeros(n_c)
    for i in range(alive.size):
        if alive[i] and unit_cost[i] > 0 and unit_cost[i] < np.inf:
            e = economy[i]
            mass[e] += fw[i] * unit_cost[i] ** (1.0 - sigma)
            real[e] += fw[i]
    out = np.full(n_c, np.nan)
    for e in range(n_c):
        if real[e] > 0 and mass[e] > 0:
            out[e] = sigma / (sigma - 1.0) * (mass[e] / real[e]) ** (1.0 / (1.0 - sigma))
    return out
