"""Link terms: what a seller pays to deliver to a destination, gathered from the compiled cost tables.

A link i → d reads one row of ``LinkCosts.packed``, at (o · C + d) · S + s for the seller's economy o and sector s:
the iceberg cost τ_ods, the compliance wedge δ_i κ_ods (cryptography included), the payment cost π_od, destination
hosting δ_i f_ods H_d at d's local hosting price, feasibility (δ_i · ban_ods below ``ban_dependence_threshold``) and
the trust price factor θ_ods (``costs``: the delivered price times θ is the quality-adjusted price buyers compare).
``trade_table`` lays the columns the trade kernels read side by side, once per set of cost tables; ``link_terms``
gathers the terms of candidate links (market entry, supplier search).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simulator.model.costs import COL, LinkCosts
from simulator.model.numerics import jit
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
    trust: np.ndarray
    """Trust price factor θ_ods of each link (1 with η = 0): buyers compare delivered price × θ."""

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
    tau, compliance, payment, dest_hosting, feasible, trust = _link_terms(
        seller,
        dest,
        firms.arrays(),
        costs.packed,
        TRADE_COLS,
        local_price,
        n_c=n_c,
        n_s=n_s,
        ban_threshold=params["ban_dependence_threshold"],
    )
    return LinkTerms(
        seller=seller,
        dest=dest,
        tau=tau,
        compliance=compliance,
        payment=payment,
        dest_hosting=dest_hosting,
        feasible=feasible,
        trust=trust,
    )


TRADE_COLS = np.array(
    [COL[c] for c in ("tau", "kappa", "dest_storage", "ban", "payment", "openness", "trust")], dtype=np.int64
)
"""Columns of ``LinkCosts.packed`` the trade kernels read, in their order."""


def trade_table(costs: LinkCosts) -> np.ndarray:
    """The trade columns of ``costs.packed`` side by side (``_trade_table``): ``(rows, 8)``.

    It depends only on the cost tables, which are recompiled only when policy changes: a model builds it when its
    cost tables are set (``DataFlowModel.tables``).
    """
    return _trade_table(costs.packed, TRADE_COLS)


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def _link_terms(seller, dest, firms, packed, cols, local_price, n_c, n_s, ban_threshold):
    """Cost terms of links seller → dest: tau, compliance, payment, destination hosting, feasible, trust factor.

    ``firms`` is a ``FirmArrays``; ``cols`` holds the ``packed`` columns of tau, kappa, dest_storage, ban, payment,
    openness and trust (``TRADE_COLS``; openness is not read here).
    """
    economy, sector, delta = firms.economy, firms.sector, firms.delta
    n = seller.size
    tau = np.empty(n)
    comp = np.empty(n)
    pay = np.empty(n)
    dh = np.empty(n)
    feas = np.empty(n, np.bool_)
    th = np.empty(n)
    c_tau, c_kap, c_ds, c_ban, c_pay, c_th = cols[0], cols[1], cols[2], cols[3], cols[4], cols[6]
    for k in range(n):
        i = seller[k]
        d = dest[k]
        row = (np.int64(economy[i]) * n_c + d) * n_s + sector[i]
        dl = delta[i]
        tau[k] = packed[row, c_tau]
        comp[k] = dl * packed[row, c_kap]
        pay[k] = packed[row, c_pay]
        dh[k] = dl * packed[row, c_ds] * local_price[d]
        feas[k] = dl * packed[row, c_ban] < ban_threshold
        th[k] = packed[row, c_th]
    return tau, comp, pay, dh, feas, th


@jit
def _trade_table(packed, cols):
    """The trade columns of ``packed`` side by side, ``(rows, 8)``, so that a link reads one short contiguous row.

    ``cols`` are the ``packed`` columns of tau, kappa, dest_storage, ban, payment, openness and the trust price factor
    (``TRADE_COLS``); the last column is padding. It depends only on the cost tables: built once per ``LinkCosts``.
    """
    n_rows = packed.shape[0]
    tab = np.zeros((n_rows, 8))
    for r in range(n_rows):
        for q in range(cols.size):
            tab[r, q] = packed[r, cols[q]]
    return tab
