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

from simulator.model import kernels


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

    def keep_markets(self, keep: np.ndarray) -> None:
        """Keep only the market links where ``keep`` is True (one compiled pass over the three arrays)."""
        self.mk_firm, self.mk_dest, self.mk_born = kernels.keep_links(self.mk_firm, self.mk_dest, self.mk_born, keep)

    def market_keys(self, n_economies: int) -> np.ndarray:
        """Sorted keys firm · C + destination of the existing market links."""
        return np.sort(self.mk_firm * n_economies + self.mk_dest)

    def grow(self, extra: int) -> None:
        """Append ``extra`` empty supplier rows."""
        pad = np.full((extra, self.sup.shape[1]), -1, dtype=np.int64)
        self.sup = np.concatenate([self.sup, pad])

    def remove_firms(self, dead: np.ndarray) -> None:
        """Remove every link of the firms flagged in ``dead`` (bool per slot)."""
        # the market links of the firms staying, in one compiled pass (``keep_markets(~dead[mk_firm])``)
        firm, dest, born = self.mk_firm, self.mk_dest, self.mk_born
        self.mk_firm, self.mk_dest, self.mk_born = kernels.keep_live_links(firm, dest, born, dead)
        # the rows of the dead and every slot holding a dead supplier, in one compiled pass (the numpy form:
        # ``sup[dead] = -1``, then ``sup[(sup >= 0) & dead[max(sup, 0)]] = -1``)
        kernels.clear_dead_suppliers(self.sup, dead)

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
        return kernels.gravity_cdf_rows(np.asarray(mass, dtype=np.float64), decay, exclude_home)
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
    return kernels.sample_cdf_rows(cdf, rows, u)


def sample_firms_by_economy(
    rng: np.random.Generator, economy: np.ndarray, weight: np.ndarray, eligible: np.ndarray, wanted: np.ndarray
) -> np.ndarray:
    """Draw one firm of economy ``wanted[i]`` per entry, with probability ∝ ``weight`` among ``eligible`` firms.

    Returns -1 where the economy has no eligible firm with positive weight.
    """
    n_c = int(economy.max(initial=0)) + 1 if economy.size else 1
    n_c = max(n_c, int(wanted.max(initial=0)) + 1)
    # one compiled pass: counting sort by economy, cumulative weights, inverse-CDF search within the economy
    u = rng.random(wanted.size)
    return kernels.sample_by_group(economy, weight, eligible, wanted.astype(np.int64), u, n_c)
