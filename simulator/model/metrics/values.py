"""Metric values from the cell table: level sums, ratios, shares, price indices, region flows, bloc modularity.

``metric_values`` sums the cell table to every group of the ``LEVELS`` (in numpy's order for these reductions), takes
each metric's ratio, and computes the extra metrics per world, region and economy from a few per-economy tables
(local hosting revenue, the exact CES price index, income, value added, investment) and the economy × economy flows.
The bloc modularity (``modularity``) stays in numpy: its matrix products sum in BLAS's order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from simulator.model.numerics import _pairwise_from, jit
from simulator.scenario.taxonomy import Regime
from simulator.world.policy import REGIME_ORDER

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel


class ValueLayout(NamedTuple):
    """What ``metric_values`` needs to know of the metrics and groups: fixed for a model (``MetricsCollector``)."""

    region_of: np.ndarray
    """Region of each economy, ``int64``."""
    n_r: int
    """Number of regions."""
    num: np.ndarray
    """Each metric's numerator column of the cell table."""
    den: np.ndarray
    """Each metric's denominator column (-1: a plain sum)."""
    level: np.ndarray
    """Each group's level (index into ``LEVELS``)."""
    order: np.ndarray
    """The groups in the order of the extra values (level by level)."""
    c_dds: int
    """Column of the dds exports."""
    c_phi: int
    """Column of productivity times output weight."""
    c_firms: int
    """Column of the output weight (the mean productivity's denominator)."""


def regime_bloc(model: DataFlowModel) -> np.ndarray:
    """Data-regime bloc of each economy: 0 open/none, 1 conditional, 2 storage rules (personal data, modal sector)."""
    severity = np.array([r.severity for r in REGIME_ORDER])
    personal = 0
    sev = severity[model.policy.regime[:, personal, :].astype(np.intp)]
    mean = sev.mean(axis=1)
    return np.digitize(mean, [Regime.CONDITIONAL.severity, Regime.STORAGE_COPY.severity])


def bloc_onehot(bloc: np.ndarray) -> np.ndarray:
    """One-hot matrix of the blocs, ``(economies, blocs)``: row i has a 1 in column ``bloc[i]``."""
    return np.eye(int(bloc.max(initial=0)) + 1)[bloc]


def modularity(flows: np.ndarray, bloc: np.ndarray, onehot: np.ndarray | None = None) -> float:
    """Newman modularity Σ_b (F_bb / F − (out_b / F)(in_b / F)) of a directed flow matrix with its diagonal removed.

    ``onehot`` is ``bloc_onehot(bloc)`` when the caller keeps it.
    """
    # the matrix without its diagonal and its sums in one compiled pass (numpy's numbers); the matrix products stay
    # numpy's (BLAS fixes their summation order)
    f, total, out_e, in_e = offdiag_sums(flows)
    if total <= 0:
        return 0.0
    if onehot is None:
        onehot = bloc_onehot(bloc)
    within = onehot.T @ f @ onehot
    out_b, in_b = out_e @ onehot, in_e @ onehot
    return float(np.trace(within) / total - (out_b * in_b).sum() / total**2)


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def level_sums(cell, region_of, n_r):
    """A ``(c, s, z, q)`` cell table summed to the metric groups, ``(1 + n_r + c + s + z, q)``.

    Rows world, regions, economies, sectors, sizes (the groups of ``metrics.LEVELS``). Each sum adds in numpy's order
    for these reductions (``cell.sum(axis=(1, 2))`` etc. with the quantity axis innermost: sequential over the
    summed cells in memory order; regions and world from the economy rows in economy order, as ``np.bincount`` and
    ``sum(axis=0)``).
    """
    n_c, n_s, n_z, q = cell.shape
    r0 = 1
    e0 = r0 + n_r
    s0 = e0 + n_c
    z0 = s0 + n_s
    out = np.zeros((z0 + n_z, q))
    for c in range(n_c):
        for s in range(n_s):
            for z in range(n_z):
                for k in range(q):
                    v = cell[c, s, z, k]
                    out[e0 + c, k] += v
                    out[s0 + s, k] += v
                    out[z0 + z, k] += v
    for c in range(n_c):
        r = region_of[c]
        for k in range(q):
            out[r0 + r, k] += out[e0 + c, k]
            out[0, k] += out[e0 + c, k]
    return out


@jit
def offdiag_sums(flows):
    """A square matrix with its diagonal set to 0, its total, row sums and column sums, bit for bit as numpy.

    The same numbers as ``f = flows.copy(); np.fill_diagonal(f, 0.0)``, ``f.sum()`` (numpy's pairwise sum over the
    flattened matrix), ``f.sum(axis=1)`` (pairwise per row) and ``f.sum(axis=0)`` (the rows added one by one).
    """
    n = flows.shape[0]
    f = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            f[i, j] = 0.0 if i == j else flows[i, j]
    flat = f.ravel()
    rows = np.empty(n)
    cols = np.zeros(n)
    for i in range(n):
        rows[i] = 0.0 + _pairwise_from(flat, i * n, n)
        for j in range(n):
            cols[j] += f[i, j]
    return f, 0.0 + _pairwise_from(flat, 0, n * n), rows, cols


@jit
def metric_values(cell, layout, host, cpi, income, by_economy, flows):
    """The metric values of one step from the ``(c, s, z, q)`` cell table, bit for bit as the numpy form.

    ``layout`` is the collector's ``ValueLayout`` (``region_of``, ``n_r``, ``num``, ``den``, ``level``, ``order``,
    ``c_dds``, ``c_phi`` and ``c_firms`` below are its fields).
    ``groups = level_sums(cell, region_of, n_r)`` (rows world, regions, economies, sectors, sizes). Returns:

    - ``values``, ``(metrics, groups)``: metric ``i`` is ``groups[:, num[i]]`` where ``den[i] < 0`` (a plain sum),
      else ``groups[:, num[i]] / groups[:, den[i]]``, NaN where that denominator is not positive.
    - ``extra``, the vector of ``MetricsCollector.extra_labels`` with its last entry (bloc modularity) left NaN: per
      group in the order ``order``, its dds exports over the world's (NaN unless the world's are positive) and its
      mean productivity (``c_phi`` sum over ``c_firms`` sum, NaN without firms) over the highest one of its level
      ``level[g]`` (``nanmax``: NaN where the level has no finite mean, or where that highest one is not positive);
      then per world, region and economy (rows in that order): local hosting revenue ``host``, the price index,
      real output, real investment, nominal income and real income. An economy's real income is its nominal income
      over its exact price index ``cpi`` (relative to the model's reference), and likewise real output (value added)
      and real investment (``by_economy`` columns); a region's or the world's real quantities are the sums of their
      economies', and their price index is Σ income / Σ real income (NaN where not positive); then the region ×
      region sums of the economy × economy ``flows`` (flattened, as ``np.bincount`` in flat order).

    World sums are numpy's pairwise sums (``numpy_sum``), region sums add the economies in economy order
    (``np.bincount``).
    """
    region_of, n_r, num, den = layout.region_of, layout.n_r, layout.num, layout.den
    level, order, c_dds, c_phi, c_firms = layout.level, layout.order, layout.c_dds, layout.c_phi, layout.c_firms
    groups = level_sums(cell, region_of, n_r)
    n_g = groups.shape[0]
    n_m = num.size
    values = np.empty((n_m, n_g))
    for i in range(n_m):
        qn = num[i]
        qd = den[i]
        for g in range(n_g):
            x = groups[g, qn]
            if qd >= 0:
                d = groups[g, qd]
                x = x / d if d > 0 else np.nan
            values[i, g] = x
    n_c = region_of.size
    n_e = 1 + n_r + n_c
    extra = np.empty(2 * n_g + 6 * n_e + n_r * n_r + 1)
    # dds share of the world and catch-up
    world_dds = groups[0, c_dds]
    prod = np.empty(n_g)
    n_l = 0
    for g in range(n_g):
        n_l = max(n_l, level[g] + 1)
        firms = groups[g, c_firms]
        prod[g] = groups[g, c_phi] / firms if firms > 0 else np.nan
    top = np.full(n_l, np.nan)
    finite = np.zeros(n_l, np.bool_)
    for g in range(n_g):
        p = prod[g]
        lv = level[g]
        if np.isfinite(p):
            finite[lv] = True
        if not np.isnan(p) and (np.isnan(top[lv]) or p > top[lv]):
            top[lv] = p
    for t in range(order.size):
        g = order[t]
        extra[2 * t] = groups[g, c_dds] / world_dds if world_dds > 0 else np.nan
        tp = top[level[g]] if finite[level[g]] else np.nan
        extra[2 * t + 1] = prod[g] / tp if tp > 0 else np.nan
    # by economy: host, income, real income, real output, real investment; regions; world
    econ = np.zeros((n_e, 5))
    for c in range(n_c):
        e = 1 + n_r + c
        p = cpi[c]
        ok = np.isfinite(p) and p > 0
        econ[e, 0] = host[c]
        econ[e, 1] = income[c]
        econ[e, 2] = income[c] / p if ok else np.nan
        econ[e, 3] = by_economy[c, 0] / p if ok else np.nan
        econ[e, 4] = by_economy[c, 1] / p if ok else np.nan
    for c in range(n_c):
        r = 1 + region_of[c]
        for k in range(5):
            econ[r, k] += econ[1 + n_r + c, k]
    col = np.empty(n_c)
    for k in range(5):
        for c in range(n_c):
            col[c] = econ[1 + n_r + c, k]
        econ[0, k] = 0.0 + _pairwise_from(col, 0, n_c)
    b = 2 * n_g
    for e in range(n_e):
        real = econ[e, 2]
        extra[b + 6 * e] = econ[e, 0]
        extra[b + 6 * e + 1] = econ[e, 1] / real if real > 0 else np.nan
        extra[b + 6 * e + 2] = econ[e, 3]
        extra[b + 6 * e + 3] = econ[e, 4]
        extra[b + 6 * e + 4] = econ[e, 1]
        extra[b + 6 * e + 5] = real
    # region × region flows
    b += 6 * n_e
    for k in range(n_r * n_r):
        extra[b + k] = 0.0
    for o in range(n_c):
        ro = np.int64(region_of[o]) * n_r
        for d in range(n_c):
            extra[b + ro + region_of[d]] += flows[o * n_c + d]
    extra[extra.size - 1] = np.nan
    return values, extra
