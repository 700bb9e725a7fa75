"""Hosting: firms' choice of where data is kept, and the local data-centre market's response to localisation.

Prices per economy c, ad valorem per unit of data intensity (× the telecom cost factor):

    cloud_c = h_cloud,   local_c = h₀ (1 + λ_h / (1 + depth_c)) · max(u_c, ½)^ξ,   in-house = h_inhouse (+ capex)

with u_c the utilisation of local capacity (last step's local hosting demand, its revenue at unscarce prices, over
the capacity installed; 1 in a market at rest): demand that outruns capacity raises the local price, and capacity
follows demand at the build rate ν_k.
Quality (access to frontier cloud/AI inputs): cloud 1, local depth/(1 + depth), in-house ``inhouse_quality``.
Storage rules at home force a share ``move`` of a firm's data onto local hosting and require a local copy of a share
``copy``; a cloud user pays local prices for those shares and loses part of the quality on the moved share.
Transfer conditions at home apply, in part (``cloud_transfer_share``), to the data a firm keeps on a foreign cloud:
a cloud user pays that compliance on the share not moved home (``LinkCosts.home_transfer``).

The choice is a random-utility one: firm i prefers hosting at home (a local provider or its own servers) by
β_c + a_i per unit of variable cost, a_i ~ Logistic(0, s_h) drawn at birth (``Firms.local_affinity``: latency,
language, support, a preference for sovereignty), and β_c is set once per model so that, at rules-free prices, a
share L (``local_hosting_share``) of firms prefers a local provider to the foreign cloud
(``local_preference``). Rules then move firms across their thresholds.
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
        demand: Local hosting demand of the last step: its revenue over the scarcity markup u^ξ then in force.
        capacity: Local hosting capacity, in the units of ``demand`` (0: not yet set).
        preference: β_c, the preference for hosting at home that gives the baseline local share at rules-free
            prices (``local_preference``), per unit of variable cost.
    """

    depth0: np.ndarray
    depth: np.ndarray
    revenue: np.ndarray
    demand: np.ndarray
    capacity: np.ndarray
    preference: np.ndarray


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
    home_preference: np.ndarray
    """β_c, the preference for hosting at home per unit of variable cost, ``(c,)``."""


def hosting_options(
    costs: LinkCosts, price: np.ndarray, depth: np.ndarray, preference: np.ndarray, params: Mapping[str, float]
) -> HostingOptions:
    """The hosting options of a step given the local price (``market_price``), the depth and the preference."""
    return HostingOptions(
        move=costs.home_move,
        copy=costs.home_copy * params["copy_hosting_share"],
        transfer=costs.home_transfer,
        local_price=price,
        local_quality=local_quality(depth),
        cloud_price=params["h_cloud"] * costs.telecom,
        inhouse_price=params["h_inhouse"] * costs.telecom,
        home_preference=preference,
    )


def initial_market(world: World, costs: LinkCosts, params: Mapping[str, float]) -> HostingMarket:
    """Return the initial hosting market: depth0 = log(1 + secure servers per million / S_ref).

    Missing server counts take the median of the known ones in the same income group (else of all known ones; 0
    when none is known, so that depth then comes from cloud regions only). Capacity is set by the first step's
    demand; the preference β_c is ``local_preference`` at the initial cost tables (their telecom factors and cloud
    regions; no rule enters it).
    """
    econ = world.economies
    servers = econ["secure_servers_per_million"].astype(float)
    known = servers.notna()
    overall = float(servers[known].median()) if known.any() else 0.0
    by_group = servers[known].groupby(econ.loc[known, "income_group"].astype(str)).median()
    fill = econ["income_group"].astype(str).map(by_group).astype(float).fillna(overall)
    servers = servers.where(known, fill).to_numpy(dtype=float)
    depth = np.log1p(servers / params["depth_servers_ref"])
    market = HostingMarket(
        depth0=depth.copy(),
        depth=depth,
        revenue=np.zeros_like(depth),
        demand=np.zeros_like(depth),
        capacity=np.zeros_like(depth),
        preference=np.zeros_like(depth),
    )
    market.preference = local_preference(market, costs, params)
    return market


def local_preference(market: HostingMarket, costs: LinkCosts, params: Mapping[str, float]) -> np.ndarray:
    """β_c: the preference for hosting at home with which a share L of firms prefers a local provider at rest.

    At rules-free prices a firm with affinity a_i prefers the local provider to the foreign cloud when
    β_c + a_i > Δ_c = (local_c − ζ q_local,c) − (cloud_c − ζ); with a_i ~ Logistic(0, s_h) that share is L when
    β_c = Δ_c + s_h ln(L / (1 − L)). In-house hosting also enjoys β_c + a_i, so the share hosting at home is about L
    (more where own servers pay, for large firms).
    """
    depth = effective_depth(market, costs, params)
    zeta, share = params["zeta"], params["local_hosting_share"]
    gap = (local_price(depth, costs, params) - zeta * local_quality(depth)) - (params["h_cloud"] * costs.telecom - zeta)
    return gap + params["hosting_taste_scale"] * np.log(share / (1.0 - share))


def effective_depth(market: HostingMarket, costs: LinkCosts, params: Mapping[str, float]) -> np.ndarray:
    """Depth in force: the market's own depth plus D_cr where a hyperscale cloud region operates now."""
    return market.depth + params["cloud_region_depth"] * costs.cloud_region


def local_price(depth: np.ndarray, costs: LinkCosts, params: Mapping[str, float]) -> np.ndarray:
    """Local hosting price per unit of data intensity, ``(c,)``."""
    return params["h0"] * (1.0 + params["lambda_h"] / (1.0 + depth)) * costs.telecom


UTILISATION_FLOOR = 0.5
"""Lowest utilisation the local price reads (a market whose demand vanished prices as one half used)."""


def utilisation(market: HostingMarket) -> np.ndarray:
    """u_c: last step's local hosting demand over the capacity installed (1 where capacity is not yet set)."""
    return np.divide(market.demand, market.capacity, out=np.ones_like(market.demand), where=market.capacity > 0)


def scarcity_markup(market: HostingMarket, params: Mapping[str, float]) -> np.ndarray:
    """max(u_c, ½)^ξ, the factor on local hosting prices: above 1 while demand outruns capacity, below while idle.

    ξ is ``hosting_price_elasticity``. The markup is symmetric so that step-to-step noise in local demand does not
    raise prices on average (a markup floored at 1 did: +4 % at 300 agents per economy); the floor ½ keeps a market
    whose demand vanished at a finite price.
    """
    return np.maximum(utilisation(market), UTILISATION_FLOOR) ** params["hosting_price_elasticity"]


def market_price(market: HostingMarket, costs: LinkCosts, params: Mapping[str, float]) -> np.ndarray:
    """Local hosting price in force: ``local_price`` at the effective depth × the scarcity markup."""
    depth = effective_depth(market, costs, params)
    return local_price(depth, costs, params) * scarcity_markup(market, params)


def local_quality(depth: np.ndarray) -> np.ndarray:
    """Frontier quality of local hosting, depth / (1 + depth)."""
    return depth / (1.0 + depth)


def local_demand(market: HostingMarket, local_revenue: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
    """This step's local hosting demand: its revenue over the scarcity markup in force (so prices do not feed back)."""
    return local_revenue / scarcity_markup(market, params)


def next_capacity(market: HostingMarket, demand: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
    """Capacity after this step: it moves toward the local hosting demand by ν_k (set to it where still unset)."""
    cap = market.capacity
    grown = cap + params["hosting_build_rate"] * (demand - cap)
    return np.where(cap > 0, grown, demand)


def capital_investment(market: HostingMarket, local_revenue: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
    """Local hosting providers' investment this step, ``(c,)``: k_h (K' − (1 − d_h) K) in capacity units, ≥ 0.

    k_h (``hosting_capital_ratio``) is the capital per unit of capacity (steps of revenue) and d_h
    (``hosting_depreciation``) its depreciation per step: at rest the providers replace d_h k_h of capacity a step;
    demand that outruns capacity adds the capital of the new capacity. None where capacity is still unset.
    """
    cap = market.capacity
    gross = next_capacity(market, local_demand(market, local_revenue, params), params)
    gross = gross - (1.0 - params["hosting_depreciation"]) * cap
    return np.where(cap > 0, params["hosting_capital_ratio"] * np.maximum(gross, 0.0), 0.0)


def update_depth(
    market: HostingMarket, local_revenue: np.ndarray, firm_revenue: np.ndarray, params: Mapping[str, float]
) -> None:
    """Move depth toward depth0 + D_h · local hosting revenue / (h₀ · firm revenue) and capacity toward demand."""
    share = np.divide(
        local_revenue, params["h0"] * firm_revenue, out=np.zeros_like(local_revenue), where=firm_revenue > 0
    )
    target = market.depth0 + params["hosting_depth_response"] * share
    market.depth += params["hosting_capacity_growth"] * (target - market.depth)
    demand = local_demand(market, local_revenue, params)
    market.capacity = next_capacity(market, demand, params)
    market.demand = demand
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
    """Reconsidering firms take the hosting mode of least first-order loss (price, quality, fixed capex, taste).

    Modes: foreign cloud (with the shares storage rules move home or copy at local prices, and transfer compliance
    on the rest), local cloud, in-house; a firm's preference for hosting at home (β_c + a_i) lowers the loss of the
    last two. Updates ``firms.hosting`` and ``firms.access`` in place.
    """
    p, f, c, market = model.params, model.firms, model.costs, model.market
    depth = effective_depth(market, c, p)
    lp = market_price(market, c, p)
    # hosting options, choice (reconsidering firms) and unit costs in one compiled pass
    cost, local_share, fixed, compliance, unit_cost = hosting_step(
        f.arrays(),
        reconsider,
        hosting_options(c, lp, depth, market.preference, p),
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
    in ``reconsider`` choose the mode of least first-order loss net of their preference for hosting at home, first on
    ties as ``np.argmin``) and
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
    pref_c, affinity = options.home_preference, firms.local_affinity
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
            home = pref_c[c] + affinity[i]
            best = 0
            best_loss = var * (cost[0] - zeta * quality[0]) + 0.0
            for k in range(1, 3):
                loss = var * (cost[k] - zeta * quality[k] - home) + (inhouse_fixed if k == 2 else 0.0)
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
