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

import numpy as np

from simulator.model.costs import LinkCosts
from simulator.model.population import Firms, HostingMode
from simulator.world.world import World


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


@dataclass
class HostingOptions:
    """Per-firm cost (ad valorem per unit δ), local share of that cost, quality and fixed cost of each mode.

    Arrays are ``(n, 3)`` with columns in ``HostingMode`` order.
    """

    cost: np.ndarray
    local_share: np.ndarray
    quality: np.ndarray
    fixed: np.ndarray
    compliance: np.ndarray


def options(
    firms_idx: np.ndarray,
    firms: Firms,
    costs: LinkCosts,
    depth: np.ndarray,
    params: Mapping[str, float],
    money_scale: float,
) -> HostingOptions:
    """Return the hosting options of the firms ``firms_idx`` under the rules in force."""
    c = firms.economy[firms_idx]
    s = firms.sector[firms_idx]
    move = costs.home_move[c, s]
    copy = costs.home_copy[c, s] * params["copy_hosting_share"]
    loc = local_price(depth, costs, params)[c]
    q_loc = local_quality(depth)[c]
    cloud = params["h_cloud"] * costs.telecom[c]
    inhouse = params["h_inhouse"] * costs.telecom[c]
    n = firms_idx.size
    cost = np.empty((n, 3))
    transfer = (1 - move) * costs.home_transfer[c, s]
    cost[:, HostingMode.FOREIGN_CLOUD] = (1 - move) * cloud + (move + copy) * loc + transfer
    cost[:, HostingMode.LOCAL] = loc
    cost[:, HostingMode.IN_HOUSE] = inhouse
    local_share = np.zeros((n, 3))
    cloud_cost = cost[:, HostingMode.FOREIGN_CLOUD]
    compliance = np.zeros((n, 3))
    compliance[:, HostingMode.FOREIGN_CLOUD] = transfer
    local_share[:, HostingMode.FOREIGN_CLOUD] = np.divide(
        (move + copy) * loc, cloud_cost, out=np.zeros(n), where=cloud_cost > 0
    )
    local_share[:, HostingMode.LOCAL] = 1.0
    quality = np.empty((n, 3))
    quality[:, HostingMode.FOREIGN_CLOUD] = (1 - move) + move * q_loc
    quality[:, HostingMode.LOCAL] = q_loc
    quality[:, HostingMode.IN_HOUSE] = params["inhouse_quality"]
    fixed = np.zeros((n, 3))
    fixed[:, HostingMode.IN_HOUSE] = params["inhouse_fixed"] * money_scale
    return HostingOptions(cost=cost, local_share=local_share, quality=quality, fixed=fixed, compliance=compliance)


def choose(opts: HostingOptions, delta: np.ndarray, revenue: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
    """Choose the mode minimising δ · r · (σ − 1)/σ · (cost − ζ · quality) + fixed (first-order profit loss)."""
    sigma = params["sigma"]
    var = (delta * revenue * (sigma - 1) / sigma)[:, None]
    loss = var * (opts.cost - params["zeta"] * opts.quality) + opts.fixed
    return np.argmin(loss, axis=1).astype(np.int8)


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
