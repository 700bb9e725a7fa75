"""Hosting: firms' choice of where data is kept, and the local data-centre market's response to localisation.

Prices per economy c, ad valorem per unit of data intensity (× the telecom cost factor):

    cloud_c = h_cloud,   local_c = h₀ (1 + λ_h / (1 + depth_c)),   in-house = h_inhouse (+ a fixed capex)

Quality (access to frontier cloud/AI inputs): cloud 1, local depth/(1 + depth), in-house ``inhouse_quality``.
Storage rules at home force a share ``move`` of a firm's data onto local hosting and require a local copy of a share
``copy``; a cloud user pays local prices for those shares and loses part of the quality on the moved share.
Transfer conditions at home apply to the data a firm keeps on a foreign cloud (sending it abroad is a transfer): a
cloud user pays the transfer-compliance cost κ_T on the share not moved home (``LinkCosts.home_transfer``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from simulator.model.costs import LinkCosts
from simulator.model.numerics import jit
from simulator.world.world import World

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel


@dataclass
class HostingMarket:
    """Local data-centre market per economy.

    Attributes:
        depth0: Initial depth (from secure servers and cloud regions at construction).
        depth: Current depth.
        revenue: Local hosting revenue of the last step (by provider economy).
    """

    depth0: np.ndarray
    depth: np.ndarray
    revenue: np.ndarray


class HostingOptions(NamedTuple):
    """Prices, quality and home rules of the hosting modes, per economy or economy × sector (``hosting_step``)."""

    move: np.ndarray
    """Share of a firm's data storage rules force onto local hosting, ``(c, s)``."""
    copy: np.ndarray
    """Share of local copies required, × the copy hosting share, ``(c, s)``."""
    transfer: np.ndarray
    """Transfer-condition compliance κ_T on data kept on a foreign cloud, ``(c, s)``."""
    local_price: np.ndarray
    """Local hosting price, ``(c,)``."""
    local_quality: np.ndarray
    """Frontier quality of local hosting, ``(c,)``."""
    cloud_price: np.ndarray
    """Foreign cloud price, ``(c,)``."""
    inhouse_price: np.ndarray
    """In-house hosting price, ``(c,)``."""


def hosting_options(
    costs: LinkCosts, price: np.ndarray, depth: np.ndarray, params: Mapping[str, float]
) -> HostingOptions:
    """The hosting options of a step given the local price (``local_price``) and the depth in force."""
    return HostingOptions(
        move=costs.home_move,
        copy=costs.home_copy * params["copy_hosting_share"],
        transfer=costs.home_transfer,
        local_price=price,
        local_quality=local_quality(depth),
        cloud_price=params["h_cloud"] * costs.telecom,
        inhouse_price=params["h_inhouse"] * costs.telecom,
    )


def initial_market(world: World, params: Mapping[str, float]) -> HostingMarket:
    """Return the initial hosting market: depth0 = log(1 + secure servers per million / S_ref).

    Missing server counts take the median of the known ones in the same income group (else of all known ones; 0
    when none is known, so that depth then comes from cloud regions only).
    """
    econ = world.economies
    servers = econ["secure_servers_per_million"].astype(float)
    known = servers.notna()
    overall = float(servers[known].median()) if known.any() else 0.0
    by_group = servers[known].groupby(econ.loc[known, "income_group"].astype(str)).median()
    fill = econ["income_group"].astype(str).map(by_group).astype(float).fillna(overall)
    servers = servers.where(known, fill).to_numpy(dtype=float)
    depth = np.log1p(servers / params["depth_servers_ref"])
    return HostingMarket(depth0=depth.copy(), depth=depth, revenue=np.zeros_like(depth))


def effective_depth(market: HostingMarket, costs: LinkCosts, params: Mapping[str, float]) -> np.ndarray:
    """Depth in force: the market's own depth plus D_cr where a hyperscale cloud region operates now."""
    return market.depth + params["cloud_region_depth"] * costs.cloud_region


def local_price(depth: np.ndarray, costs: LinkCosts, params: Mapping[str, float]) -> np.ndarray:
    """Local hosting price per unit of data intensity, ``(c,)``."""
    return params["h0"] * (1.0 + params["lambda_h"] / (1.0 + depth)) * costs.telecom


def local_quality(depth: np.ndarray) -> np.ndarray:
    """Frontier quality of local hosting, depth / (1 + depth)."""
    return depth / (1.0 + depth)


def update_depth(
    market: HostingMarket, local_revenue: np.ndarray, firm_revenue: np.ndarray, params: Mapping[str, float]
) -> None:
    """Move depth toward its long-run level depth0 + D_h · local hosting revenue / (h₀ · firm revenue), in place."""
    share = np.divide(
        local_revenue, params["h0"] * firm_revenue, out=np.zeros_like(local_revenue), where=firm_revenue > 0
    )
    target = market.depth0 + params["hosting_depth_response"] * share
    market.depth += params["hosting_capacity_growth"] * (target - market.depth)
    market.revenue = local_revenue


class HostingChoice(NamedTuple):
    """What a ``hosting_choice`` behaviour returns: per firm slot (0 for free slots) unless said otherwise.

    Attributes:
        cost: δ_i · cost of the firm's hosting mode (ad valorem on its core cost).
        local_share: Share of that hosting spend paid to local providers.
        fixed: Fixed hosting capex (in-house), model money per step.
        compliance: δ_i · transfer-condition compliance on the firm's own data kept on a foreign cloud (part of
            ``cost``, booked as compliance).
        unit_cost: Unit cost w_c (1 + cost) / φ̃_i.
        local_price: Local hosting price per unit of data intensity, ``(c,)``.
    """

    cost: np.ndarray
    local_share: np.ndarray
    fixed: np.ndarray
    compliance: np.ndarray
    unit_cost: np.ndarray
    local_price: np.ndarray


def least_cost(model: DataFlowModel, reconsider: np.ndarray) -> HostingChoice:
    """Reconsidering firms take the hosting mode of least first-order loss (price, quality, fixed capex).

    Modes: foreign cloud (with the shares storage rules move home or copy at local prices, and transfer compliance
    on the rest), local cloud, in-house. Updates ``firms.hosting`` and ``firms.access`` in place.
    """
    p, f, c = model.params, model.firms, model.costs
    depth = effective_depth(model.market, c, p)
    lp = local_price(depth, c, p)
    # hosting options, choice (reconsidering firms) and unit costs in one compiled pass
    cost, local_share, fixed, compliance, unit_cost = hosting_step(
        f.arrays(),
        reconsider,
        hosting_options(c, lp, depth, p),
        model.supply_capability(),
        model.wage,
        inhouse_quality=p["inhouse_quality"],
        inhouse_fixed=p["inhouse_fixed"] * model.money_scale,
        zeta=p["zeta"],
        sigma=p["sigma"],
    )
    return HostingChoice(cost, local_share, fixed, compliance, unit_cost, lp)


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def hosting_step(firms, reconsider, options, conn_pow, wage, inhouse_quality, inhouse_fixed, zeta, sigma):
    """Hosting options, choice and unit costs of every firm alive, in one pass (numpy form: ``tests/model_oracles.py``).

    ``firms`` is a ``FirmArrays``, ``options`` the ``HostingOptions`` of the step. Updates ``firms.hosting`` (firms
    in ``reconsider`` choose the mode of least first-order loss, first on ties as ``np.argmin``) and
    ``firms.access`` in place. ``options.copy`` is already × the copy hosting share; ``conn_pow`` is
    conn_c^(χ δ_i) per firm slot. Returns per slot (0 for free slots): δ · cost of the mode, its local share, fixed
    capex, δ · home transfer compliance, and the unit cost w_c (1 + δ h) / φ̃.
    """
    alive, economy, sector, delta = firms.alive, firms.economy, firms.sector, firms.delta
    revenue, phi, hosting, access = firms.revenue, firms.phi, firms.hosting, firms.access
    move_cs, copy_cs, transfer_cs = options.move, options.copy, options.transfer
    loc_c, qloc_c, cloud_c, inhouse_c = (
        options.local_price,
        options.local_quality,
        options.cloud_price,
        options.inhouse_price,
    )
    cap = alive.size
    h = np.zeros(cap)
    local_share = np.zeros(cap)
    fixed = np.zeros(cap)
    home_comp = np.zeros(cap)
    unit_cost = np.zeros(cap)
    cost = np.empty(3)
    quality = np.empty(3)
    for i in range(cap):
        if not alive[i]:
            continue
        c = economy[i]
        s = sector[i]
        move = move_cs[c, s]
        copy = copy_cs[c, s]
        loc = loc_c[c]
        q_loc = qloc_c[c]
        transfer = (1 - move) * transfer_cs[c, s]
        cost[0] = (1 - move) * cloud_c[c] + (move + copy) * loc + transfer
        cost[1] = loc
        cost[2] = inhouse_c[c]
        quality[0] = (1 - move) + move * q_loc
        quality[1] = q_loc
        quality[2] = inhouse_quality
        dl = delta[i]
        if reconsider[i]:
            var = dl * revenue[i] * (sigma - 1) / sigma
            best = 0
            best_loss = var * (cost[0] - zeta * quality[0]) + 0.0
            for k in range(1, 3):
                loss = var * (cost[k] - zeta * quality[k]) + (inhouse_fixed if k == 2 else 0.0)
                if loss < best_loss:
                    best = k
                    best_loss = loss
            hosting[i] = best
        mode = hosting[i]
        hi = dl * cost[mode]
        h[i] = hi
        if mode == 0:
            local_share[i] = (move + copy) * loc / cost[0] if cost[0] > 0 else 0.0
            home_comp[i] = dl * transfer
        elif mode == 1:
            local_share[i] = 1.0
        else:
            fixed[i] = inhouse_fixed
        a = quality[mode]
        access[i] = a
        phi_eff = phi[i] * (1.0 + zeta * dl * a) * conn_pow[i]
        unit_cost[i] = wage[c] * (1.0 + hi) / phi_eff
    return h, local_share, fixed, home_comp, unit_cost
