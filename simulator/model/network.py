"""The two sparse layers of trade and their vectorised construction and rewiring.

1. *firm → market* (Melitz extensive margin): parallel arrays ``mk_firm``, ``mk_dest`` (a sparse firm × economy
   matrix in coordinate form). Every firm has its home link; export links are entered and dropped.
2. *firm → firm* (the supplier network): a fixed-width slot matrix ``sup`` of shape (firm slots, m), entry ``-1``
   when empty — the ELLPACK sparse layout, the fastest for a bounded in-degree. ``adjacency()`` returns the same
   network as a ``scipy.sparse.csr_array`` and ``to_networkx()`` as a ``networkx.DiGraph`` for analysis.

All sampling is vectorised (inverse-CDF draws on gravity weights) and uses the generator it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

from simulator.model.numerics import _pairwise_block, jit


@dataclass
class Network:
    """Market links and supplier slots.

    Attributes:
        mk_firm: Firm slot of each market link, ``int64 (L,)``.
        mk_dest: Destination economy of each market link, ``int32 (L,)`` (home links included).
        mk_born: Step at which the link was entered.
        sup: Supplier slots, ``int64 (n_slots, m)``, -1 = empty.
    """

    mk_firm: np.ndarray
    mk_dest: np.ndarray
    mk_born: np.ndarray
    sup: np.ndarray

    def add_markets(self, firm: np.ndarray, dest: np.ndarray, step: int) -> None:
        """Append market links."""
        self.mk_firm = np.concatenate([self.mk_firm, firm.astype(np.int64)])
        self.mk_dest = np.concatenate([self.mk_dest, dest.astype(np.int32)])
        self.mk_born = np.concatenate([self.mk_born, np.full(firm.size, step, dtype=np.int32)])

    def grow(self, extra: int) -> None:
        """Append ``extra`` empty supplier rows."""
        pad = np.full((extra, self.sup.shape[1]), -1, dtype=np.int64)
        self.sup = np.concatenate([self.sup, pad])

    def remove_firms(self, dead: np.ndarray) -> None:
        """Remove every link of the firms flagged in ``dead`` (bool per slot)."""
        # the market links of the firms staying, in one compiled pass (``keep_links`` of ``~dead[mk_firm]``)
        firm, dest, born = self.mk_firm, self.mk_dest, self.mk_born
        self.mk_firm, self.mk_dest, self.mk_born = keep_live_links(firm, dest, born, dead)
        # the rows of the dead and every slot holding a dead supplier, in one compiled pass (the numpy form:
        # ``sup[dead] = -1``, then ``sup[(sup >= 0) & dead[max(sup, 0)]] = -1``)
        clear_dead_suppliers(self.sup, dead)

    def adjacency(self, weights: np.ndarray | None = None) -> sp.csr_array:
        """Return the supplier network as a CSR matrix buyer × supplier (entries = ``weights`` or 1)."""
        n, m = self.sup.shape
        valid = self.sup >= 0
        rows = np.repeat(np.arange(n), m).reshape(n, m)[valid]
        data = np.ones(rows.size) if weights is None else weights[valid]
        return sp.csr_array((data, (rows, self.sup[valid])), shape=(n, n))

    def to_networkx(self, alive: np.ndarray) -> nx.DiGraph:
        """Return the supplier network (supplier → buyer edges) of the firms alive as a ``networkx.DiGraph``."""
        g = nx.DiGraph()
        g.add_nodes_from(np.flatnonzero(alive).tolist())
        coo = self.adjacency().tocoo()
        g.add_edges_from(zip(coo.col.tolist(), coo.row.tolist(), strict=True))
        return g


def empty_network(n_slots: int, m: int) -> Network:
    """Return a network with no links."""
    return Network(
        mk_firm=np.zeros(0, dtype=np.int64),
        mk_dest=np.zeros(0, dtype=np.int32),
        mk_born=np.zeros(0, dtype=np.int32),
        sup=np.full((n_slots, m), -1, dtype=np.int64),
    )


def gravity_cdf(mass: np.ndarray, dist_km: np.ndarray, gamma: float, exclude_home: bool) -> np.ndarray:
    """Return row-wise cumulative probabilities ∝ mass_d · (dist_od / 1000 km)^−γ, ``(c, c)``.

    The home distance is set to the smallest positive distance (a firm's own economy is near) unless excluded.
    """
    return gravity_cdf_from_decay(mass, gravity_decay(dist_km, gamma), exclude_home)


def gravity_decay(dist_km: np.ndarray, gamma: float) -> np.ndarray:
    """Distance decay (dist_od / 1000 km)^−γ of ``gravity_cdf``, ``(c, c)`` (home: the smallest positive distance)."""
    dist = np.asarray(dist_km, dtype=float) / 1000.0
    positive = dist[dist > 0]
    near = positive.min() if positive.size else 1.0
    dist = np.where(dist > 0, dist, near)
    return dist ** (-gamma)


def gravity_cdf_from_decay(mass: np.ndarray, decay: np.ndarray, exclude_home: bool) -> np.ndarray:
    """``gravity_cdf`` given its distance decay (``gravity_decay``), for callers that keep the decay between draws."""
    if decay.ndim == 2 and decay.shape[1] <= 128 and decay.dtype == np.float64:
        # one compiled pass, the same numbers (numpy's pairwise row sums are replicated up to 128 columns)
        return gravity_cdf_rows(np.asarray(mass, dtype=np.float64), decay, exclude_home)
    w = mass[None, :] * decay
    if exclude_home:
        np.fill_diagonal(w, 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
    return np.cumsum(w, axis=1)


def sample_rows(rng: np.random.Generator, cdf: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one column per entry of ``rows`` from the row-wise CDF ``cdf`` (vectorised inverse-CDF), -1 if empty."""
    u = rng.random(rows.size)
    # (cdf[rows] < u).sum(axis=1) clipped to the last column, -1 where the row is empty, in one compiled pass
    return sample_cdf_rows(cdf, rows, u)


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def gravity_cdf_rows(mass, decay, exclude_home):
    """``network.gravity_cdf_from_decay`` for at most 128 columns, the same numbers.

    w = mass_d · decay_od (0 on the diagonal when ``exclude_home``), each row divided by its sum (numpy's pairwise
    order; 0 where the sum is not positive) and summed cumulatively (as ``np.cumsum``).
    """
    n_r, n = decay.shape
    out = np.empty((n_r, n))
    w = np.empty(n)
    for r in range(n_r):
        for j in range(n):
            w[j] = mass[j] * decay[r, j]
        if exclude_home and r < n:
            w[r] = 0.0
        total = _pairwise_block(w, 0, w.size)
        acc = 0.0
        for j in range(n):
            v = w[j] / total if total > 0 else 0.0
            acc = v if j == 0 else acc + v
            out[r, j] = acc
    return out


@jit
def sample_cdf_rows(cdf, rows, u):
    """``network.sample_rows`` given its uniforms ``u``.

    The count of entries of row ``rows[i]`` below ``u[i]``, clipped to the last column, and -1 where the row's last
    entry is not positive (an empty row). Rows that never decrease are searched by bisection (the same count).
    """
    n = rows.size
    out = np.empty(n, np.int64)
    n_r, n_col = cdf.shape
    # rows that never decrease (and hold no NaN): the entries below u are a prefix, found by bisection
    monotone = np.empty(n_r, np.bool_)
    for r in range(n_r):
        ok = True
        prev = -np.inf
        for j in range(n_col):
            v = cdf[r, j]
            if not v >= prev:
                ok = False
                break
            prev = v
        monotone[r] = ok
    for i in range(n):
        r = rows[i]
        if cdf[r, n_col - 1] <= 0:
            out[i] = -1
            continue
        ui = u[i]
        if monotone[r]:
            lo = 0
            hi = n_col
            while lo < hi:
                mid = (lo + hi) >> 1
                if cdf[r, mid] < ui:
                    lo = mid + 1
                else:
                    hi = mid
            c = lo
        else:
            c = 0
            for j in range(n_col):
                if cdf[r, j] < ui:
                    c += 1
        out[i] = min(c, n_col - 1)
    return out


@jit
def keep_links(firm, dest, born, keep):
    """``firm[keep]``, ``dest[keep]`` and ``born[keep]`` in one pass (the market links ``keep`` flags, in order)."""
    n = 0
    for k in range(keep.size):
        n += np.int64(keep[k])
    out_firm = np.empty(n, firm.dtype)
    out_dest = np.empty(n, dest.dtype)
    out_born = np.empty(n, born.dtype)
    t = 0
    for k in range(keep.size):
        if keep[k]:
            out_firm[t] = firm[k]
            out_dest[t] = dest[k]
            out_born[t] = born[k]
            t += 1
    return out_firm, out_dest, out_born


@jit
def keep_live_links(firm, dest, born, dead):
    """``keep_links`` with ``keep = ~dead[firm]``: the market links of firms not flagged in ``dead``, in order."""
    keep = np.empty(firm.size, np.bool_)
    for k in range(firm.size):
        keep[k] = not dead[firm[k]]
    return keep_links(firm, dest, born, keep)


@jit
def apply_drops(firm, dest, born, drop, withdrawals, withdrew):
    """Drop the market links flagged in ``drop`` and return the links kept (``keep_links`` with ``~drop``).

    Their firms' ``withdrawals`` get +1 per dropped link and ``withdrew`` is set (in place).

    The numpy form: ``withdrawals += np.bincount(firm[drop], minlength=cap)`` (the same sums while ``withdrawals``
    holds whole numbers), ``withdrew[firm[drop]] = True``, then ``keep_links(firm, dest, born, ~drop)``.
    """
    keep = np.empty(drop.size, np.bool_)
    for k in range(drop.size):
        keep[k] = not drop[k]
        if drop[k]:
            i = firm[k]
            withdrawals[i] += 1.0
            withdrew[i] = True
    return keep_links(firm, dest, born, keep)


@jit
def clear_dead_suppliers(sup, dead):
    """Empty (in place) the supplier rows of ``dead`` buyers and every slot that holds a ``dead`` supplier."""
    cap, m = sup.shape
    for b in range(cap):
        if dead[b]:
            for j in range(m):
                sup[b, j] = -1
            continue
        for j in range(m):
            s = sup[b, j]
            if s >= 0 and dead[s]:
                sup[b, j] = -1
