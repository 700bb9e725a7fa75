"""Connectivity on the supply side: internet use, broadband and digital capability scale data-intensive firms.

Each firm's effective productivity carries the factor

    conn_c^(χ_s δ_i) · broadband_c^(χ_B δ_i) · K_{c,s}^δ_i,

with conn_c the economy's internet users share in force (``LinkCosts.connectivity``: connectivity programmes move it),
broadband_c the broadband index, and K the digital-services capability of the firm's region for services firms
(``dds_capability_lac``, ``dds_capability_africa``; 1 elsewhere and for goods firms). A firm with δ = 0 is not
affected. (Connectivity on the demand side, which moves spending toward data-intensive sectors, is in
``trade.spending_shares``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from simulator.model.costs import LinkCosts
from simulator.model.population import Firms


@dataclass
class SupplyCapability:
    """The supply-side connectivity factor per firm slot, kept between steps.

    Recomputed only for the slots whose economy, sector or δ changed (entrants), or in full when the cost tables,
    the elasticities or the capacity change; element by element the same numbers as a full computation.

    Attributes:
        broadband: Broadband index per economy, ``(c,)``.
        dds_capability: Digital-services capability K per economy × sector, ``(c, s)``.
    """

    broadband: np.ndarray
    dds_capability: np.ndarray
    _key: tuple | None = field(default=None, repr=False)
    _slots: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _value: np.ndarray | None = field(default=None, repr=False)

    def _compute(self, conn: np.ndarray, chi: tuple[float, float], econ, sector, delta) -> np.ndarray:
        return (
            conn[econ] ** (chi[0] * delta)
            * self.broadband[econ] ** (chi[1] * delta)
            * self.dds_capability[econ, sector] ** delta
        )

    def values(self, firms: Firms, costs: LinkCosts, params: Mapping[str, float]) -> np.ndarray:
        """The factor per firm slot (read-only for callers)."""
        f = firms
        chi = (params["connectivity_supply_elasticity"], params["broadband_supply_elasticity"])
        conn = np.maximum(costs.connectivity, np.finfo(float).tiny)
        key = (costs, chi)
        if (
            self._value is None
            or self._key is None
            or self._key[0] is not costs
            or self._key[1] != chi
            or self._slots is None
            or self._slots[0].shape != f.economy.shape
        ):
            self._key = key
            self._slots = (f.economy.copy(), f.sector.copy(), f.delta.copy())
            self._value = self._compute(conn, chi, f.economy, f.sector, f.delta)
            return self._value
        econ, sector, delta = self._slots
        stale = np.flatnonzero((f.economy != econ) | (f.sector != sector) | (f.delta != delta))
        if stale.size:
            self._value[stale] = self._compute(conn, chi, f.economy[stale], f.sector[stale], f.delta[stale])
            econ[stale] = f.economy[stale]
            sector[stale] = f.sector[stale]
            delta[stale] = f.delta[stale]
        return self._value
