"""Entry and exit of firms.

Exit: a firm exits after ``exit_after`` (K) consecutive steps with negative profit (after R&D).

Entry: the number of firms a cell (economy c × sector s) supports moves with its profitability,

    S_cs = n⁰_cs · max(margin_cs, 0) / margin⁰_cs,   margin = Σ profit / Σ revenue of the cell's firms,

with n⁰_cs the firm count at construction (∝ market size) and margin⁰_cs the cell's margin over the burn-in's settling
steps (Σ profit / Σ revenue over those steps, at least ``entry_margin_floor`` / σ, see ``reference_margin``); entrants
per step
~ Poisson(e · max(S_cs − n_cs, 0)) close a share e of the gap. An empty cell counts as having its initial margin,
so it is re-populated. Entrants draw productivity and data intensity from the initial distributions. (The sketch's
"entrants ∝ market size × margin" without the gap term lets the firm count drift without bound in the baseline.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from simulator.model.numerics import jit
from simulator.model.population import Firms

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel


def update_exits(firms: Firms, params: Mapping[str, float]) -> np.ndarray:
    """Update loss streaks from ``firms.profit`` and return the firms that exit now (bool per slot)."""
    # streak + 1 where alive and losing, else 0, and the firms reaching ``exit_after``: one compiled pass
    firms.loss_streak, exiting = loss_streaks(firms.alive, firms.profit, firms.loss_streak, int(params["exit_after"]))
    return exiting


def loss_streak(model: DataFlowModel) -> np.ndarray:
    """A firm exits after ``exit_after`` consecutive loss-making steps (the streaks are updated in place)."""
    return update_exits(model.firms, model.params)


def entrants(model: DataFlowModel) -> np.ndarray:
    """Entry toward the cell's reference margin: Poisson(entry_rate · max(n⁰ margin / margin⁰ − n, 0)) per cell.

    n⁰ is the cell's target count at construction, margin the Σ profit / Σ revenue of the cell's firms staying, and
    margin⁰ the reference margin of the burn-in (``reference_margin``). Returns ``int (c, s)``.
    """
    f, p = model.firms, model.params
    n_c, n_s = model.cell_target.shape
    # firms staying (alive, not exiting): Σ profit, Σ revenue and count per cell, in one compiled pass (np.bincount)
    prof, rev, n = cell_profit_revenue(f.alive, model.exiting, f.economy, f.sector, n_c, n_s, f.profit, f.revenue)
    base = model.margin0.ravel()
    margin = np.divide(prof, rev, out=base.copy(), where=rev > 0)
    support = model.cell_target.ravel() * np.maximum(margin, 0.0) / base
    lam = p["entry_rate"] * np.maximum(support - n, 0.0)
    return model.rng.poisson(lam).reshape(n_c, n_s)


def cell_sums(model: DataFlowModel) -> tuple[np.ndarray, np.ndarray]:
    """Σ profit and Σ revenue of the firms alive per economy × sector cell, flat ``(c · s,)`` each (np.bincount)."""
    f = model.firms
    n_c, n_s = model.cell_target.shape
    cell = f.economy.astype(np.int64) * n_s + f.sector
    prof = np.bincount(cell[f.alive], weights=f.profit[f.alive], minlength=n_c * n_s)
    rev = np.bincount(cell[f.alive], weights=f.revenue[f.alive], minlength=n_c * n_s)
    return prof, rev


def reference_margin(
    profit: np.ndarray, revenue: np.ndarray, shape: tuple[int, int], params: Mapping[str, float]
) -> np.ndarray:
    """Reference margin⁰ of the entry rule per cell from its summed profit and revenue, ``shape``.

    Σ profit / Σ revenue; 1/σ where a cell has no revenue or a margin ≤ 0, and at least ``entry_margin_floor`` / σ
    where it is positive: a cell with a margin near zero would otherwise support n⁰ · margin / margin⁰ ≫ n⁰ firms at
    any ordinary margin and be flooded by entrants.
    """
    default = 1.0 / params["sigma"]
    margin = np.divide(profit, revenue, out=np.full(profit.size, default), where=revenue > 0)
    floor = params["entry_margin_floor"] / params["sigma"]
    return np.where(margin > 0, np.maximum(margin, floor), default).reshape(shape)


def cell_margin(model: DataFlowModel) -> np.ndarray:
    """``reference_margin`` of the firms alive now, ``(c, s)`` (the burn-in sums its settling steps instead)."""
    return reference_margin(*cell_sums(model), model.cell_target.shape, model.params)


def cell_median(firms: Firms, revenue: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Median revenue of the firms alive per economy × sector (the overall median for empty cells), ``(c, s)``."""
    n_c, n_s = shape
    a = firms.alive
    cell = firms.economy[a].astype(np.int64) * n_s + firms.sector[a]
    rev = revenue[a]
    order = np.lexsort((rev, cell))
    cell_sorted, rev_sorted = cell[order], rev[order]
    start = np.searchsorted(cell_sorted, np.arange(n_c * n_s), side="left")
    stop = np.searchsorted(cell_sorted, np.arange(n_c * n_s), side="right")
    overall = float(np.median(rev)) if rev.size else 1.0
    lo = rev_sorted[np.clip((start + stop - 1) // 2, 0, max(rev.size - 1, 0))] if rev.size else np.zeros(n_c * n_s)
    hi = rev_sorted[np.clip((start + stop) // 2, 0, max(rev.size - 1, 0))] if rev.size else np.zeros(n_c * n_s)
    med = np.where(stop > start, 0.5 * (lo + hi), overall)
    return med.reshape(n_c, n_s)


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def loss_streaks(alive, profit, streak, exit_after):
    """``entry_exit.update_exits``: new loss streaks and the firms that exit.

    The streak is +1 for firms alive with a loss, else 0 (``int32``); a firm alive exits when it reaches
    ``exit_after``.
    """
    n = alive.size
    out = np.empty(n, np.int32)
    exiting = np.empty(n, np.bool_)
    for i in range(n):
        s = streak[i] + 1 if alive[i] and profit[i] < 0 else 0
        out[i] = s
        exiting[i] = alive[i] and s >= exit_after
    return out, exiting


@jit
def cell_profit_revenue(alive, exclude, economy, sector, n_c, n_s, profit, revenue):
    """Σ profit, Σ revenue and the count of the slots alive and not ``exclude`` per economy × sector cell.

    The same as ``np.bincount`` over the selected slots' cells o · S + s (in slot order), each ``(C · S,)``.
    """
    n_cells = np.int64(n_c) * n_s
    prof = np.zeros(n_cells)
    rev = np.zeros(n_cells)
    count = np.zeros(n_cells, np.int64)
    for i in range(alive.size):
        if alive[i] and not exclude[i]:
            c = np.int64(economy[i]) * n_s + sector[i]
            prof[c] += profit[i]
            rev[c] += revenue[i]
            count[c] += 1
    return prof, rev, count
