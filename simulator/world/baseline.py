"""The status quo as a ``PolicyState``: the rules in force today, compiled from the world data.

Rules used here (each a documented modelling choice, not a hidden number):

- **Regimes**: each economy's ``*`` row per data category applies to every sector; a sector-specific row overrides
  it for that sector (specific beats general).
- **Agreements**: a bloc's effects (``data/agreement_effects.csv``) apply between every ordered pair of distinct
  economies that are both ``member`` of it by ``year``; where several blocs link a pair, the largest waiver counts.
  Blocs of kind ``adequacy`` are a hub: they link the EU (``EUU``) with each listed economy, both ways, and not the
  listed economies with each other.
- **Payment friction** between o and d: ``1 − sqrt(a_o · a_d) / 100`` with ``a`` the account-ownership rate
  (Global Findex), a proxy for the depth of the payment system; an economy without a Findex figure takes the
  population-weighted mean of its region. Assumption: shallow payment systems route cross-border payments through
  correspondent banks, the friction PAPSS-type arrangements remove.
- **Cloud regions**: in operation when ``cloud_region_since <= year``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.scenario.taxonomy import DataCategory, Safeguards
from simulator.world.policy import PolicyState, regime_code
from simulator.world.tables import BlocKind
from simulator.world.world import World

EU_HUB = "EUU"
"""Economy code of the EU aggregate, the hub of the adequacy list."""

CATEGORIES: tuple[DataCategory, ...] = tuple(DataCategory)
"""Order of the data-category axis of ``PolicyState.regime``."""


def regime_array(world: World) -> np.ndarray:
    """Return the baseline regime codes, ``int8`` of shape (economies, categories, sectors)."""
    econ = {c: i for i, c in enumerate(world.iso3)}
    cat = {str(k): i for i, k in enumerate(CATEGORIES)}
    sect = {s: i for i, s in enumerate(world.sector_codes)}
    out = np.zeros((len(econ), len(cat), len(sect)), dtype=np.int8)
    rules = world.regimes
    general = rules[rules["sector"] == "*"]
    for code, category, regime in zip(general["iso3"], general["data_category"], general["regime"], strict=True):
        out[econ[code], cat[category], :] = regime_code(regime)
    specific = rules[rules["sector"] != "*"]
    for code, category, sector, regime in zip(
        specific["iso3"], specific["data_category"], specific["sector"], specific["regime"], strict=True
    ):
        out[econ[code], cat[category], sect[sector]] = regime_code(regime)
    return out


def bloc_pairs(world: World, bloc: str, year: float | None = None) -> np.ndarray:
    """Return a ``bool`` (c, c) matrix: True where the ordered pair (o, d), o ≠ d, is linked by ``bloc``."""
    n = len(world.iso3)
    members = np.isin(np.asarray(world.iso3), world.members(bloc, year=year))
    kind = world.blocs.loc[bloc, "kind"] if bloc in world.blocs.index else None
    if kind == BlocKind.ADEQUACY.value:
        hub = np.asarray(world.iso3) == EU_HUB
        pairs = (hub[:, None] & members[None, :]) | (members[:, None] & hub[None, :])
    else:
        pairs = members[:, None] & members[None, :]
    pairs &= ~np.eye(n, dtype=bool)
    return pairs


def account_ownership(world: World) -> np.ndarray:
    """Return account ownership in percent per economy, regional population-weighted means filling the gaps."""
    econ = world.economies
    acc = econ["account_ownership_pct"].astype(float)
    known = acc.notna()
    weights = econ["population"].astype(float)
    regional = (acc[known] * weights[known]).groupby(econ.loc[known, "region"]).sum() / weights[known].groupby(
        econ.loc[known, "region"]
    ).sum()
    world_mean = float((acc[known] * weights[known]).sum() / weights[known].sum())
    filled = acc.where(known, econ["region"].map(regional)).fillna(world_mean)
    return filled.to_numpy(dtype=float)


def payment_friction(world: World) -> np.ndarray:
    """Return the baseline correspondent-banking friction between economies, ``float`` (c, c) in [0, 1]."""
    depth = np.clip(account_ownership(world), 0.0, 100.0) / 100.0
    friction = 1.0 - np.sqrt(depth[:, None] * depth[None, :])
    np.fill_diagonal(friction, 0.0)
    return friction


def baseline_state(world: World, year: float = 2025.0) -> PolicyState:
    """Compile the status quo of ``world`` into a ``PolicyState``.

    Args:
        world: The validated world.
        year: Calendar year whose memberships and cloud regions are in force.

    Returns:
        The rules in force in ``year`` (see the module docstring for the rules used).
    """
    n = len(world.iso3)
    regime = regime_array(world)
    trade = np.zeros((n, n), dtype=bool)
    transfer = np.zeros((n, n))
    localisation = np.zeros((n, n))
    bans = np.zeros((n, n))
    interop = np.zeros((n, n))
    for bloc, row in world.agreement_effects.iterrows():
        pairs = bloc_pairs(world, str(bloc), year=year)
        if bool(row["trade_agreement"]):
            trade |= pairs
        transfer = np.where(pairs, np.maximum(transfer, float(row["transfer_waiver"])), transfer)
        localisation = np.where(pairs, np.maximum(localisation, float(row["localisation_waiver"])), localisation)
        bans = np.where(pairs, np.maximum(bans, float(row["ban_waiver"])), bans)
        interop = np.where(pairs, np.maximum(interop, float(row["payment_interop"])), interop)
    safeguard_level = world.safeguards["safeguards"].reindex(world.iso3).map(lambda s: Safeguards(s).level)
    since = world.economies["cloud_region_since"]
    return PolicyState(
        regime=regime,
        regime_strength=np.ones(regime.shape),
        safeguards=safeguard_level.to_numpy(dtype=float),
        transfer_waiver=transfer,
        localisation_waiver=localisation,
        ban_waiver=bans,
        trade_agreement=trade,
        payment_friction=payment_friction(world),
        payment_interop=interop,
        internet_users_pct=world.economies["internet_users_pct"].to_numpy(dtype=float),
        cloud_region=(pd.notna(since) & (since <= year)).to_numpy(dtype=bool),
        border_cost_factor=np.ones(n),
        source_code_disclosure=np.zeros(n, dtype=bool),
        crypto_restriction=np.zeros(n),
        telecom_cost_factor=np.ones(n),
    )
