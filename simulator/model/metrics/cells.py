"""The cell table: every per-firm quantity of the metrics summed per economy × sector × size cell, in one pass.

Per-firm quantities (``QUANTITIES``: revenue, exports, compliance, R&D, …, each per real firm and added times the
agent's weight) are not materialised: ``metric_cells`` computes each firm's and adds it to its cell, with the
supplier-slot counts from a pass over the slots first. The per-link sums the metrics need (intra-regional exports,
trade-cost sums, economy × economy flows) come from the accounts pass of the step (``link_sums``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from simulator.model.metrics.definitions import QUANTITIES
from simulator.model.numerics import jit
from simulator.model.population import SizeClass

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel

METRIC_QUANTITIES = (
    "access_weighted",
    "compliance",
    "compliance_facing",
    "data_management_facing",
    "dds_exports",
    "delta",
    "entrants",
    "exits",
    "exporter",
    "exports",
    "firms",
    "foreign_partners",
    "foreign_suppliers",
    "innovated",
    "intra_region_exports",
    "investment",
    "local_hosting",
    "log_growth",
    "output_weight",
    "phi_output",
    "rd",
    "revenue",
    "suppliers",
    "total_cost_facing",
    "trade_cost",
    "value_added",
    "withdrawals",
    "withdrew",
)
"""Columns of ``metric_cells`` (the per-firm quantities of ``QUANTITIES``, sorted by name)."""

assert QUANTITIES == METRIC_QUANTITIES, "metric_cells must cover the metrics' quantities in order"


class SlotQuantities(NamedTuple):
    """The per-slot quantities of a step that ``metric_cells`` sums besides the firm table's own arrays.

    From the accounts (``revenue`` … ``local_hosting``), the innovation rule (``rd``, ``innovated``), the link sums
    (``intra``, ``trade_cost``) and the model (``exiting``, ``phi_eff``, ``growth``, ``withdrawals``).
    """

    exiting: np.ndarray
    """Whether the firm exits at the end of the step."""
    phi_eff: np.ndarray
    """Effective productivity φ̃."""
    growth: np.ndarray
    """ln(φ / φ_prev) (0 where undefined)."""
    revenue: np.ndarray
    exports: np.ndarray
    n_foreign: np.ndarray
    """Number of foreign market links."""
    compliance: np.ndarray
    variable_cost: np.ndarray
    fixed: np.ndarray
    hosting: np.ndarray
    """Hosting cost of the step (the accounts'), not the hosting mode."""
    inhouse_capex: np.ndarray
    value_added: np.ndarray
    local_hosting: np.ndarray
    rd: np.ndarray
    innovated: np.ndarray
    withdrawals: np.ndarray
    """Withdrawals from foreign markets this step."""
    intra: np.ndarray
    """Intra-regional exports."""
    trade_cost: np.ndarray
    """Σ sales × (τ(1 + W) − 1) on cross-border links."""


def link_sums(model: DataFlowModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-seller intra-regional exports, Σ sales × (τ(1 + W) − 1) on cross-border links, economy × economy flows.

    The accounts pass of a step that collects metrics computes them already (``Accounts.intra_region_exports``,
    ``trade_cost``, ``economy_flows``); otherwise one pass over the links. The flows are cross-border sales by
    origin × destination economy, flattened.
    """
    f, tr, a = model.firms, model.trade, model.accounts
    n_c = model.n_economies
    done = getattr(a, "intra_region_exports", None)
    if done is not None and done.size == f.capacity and a.economy_flows.size == n_c * n_c:
        return done, a.trade_cost, a.economy_flows
    return link_metric_sums(
        tr.links, tr.sales_revenue, tr.sales_tau, tr.sales_wedge, f.arrays(), model.region_of, cap=f.capacity, n_c=n_c
    )


def log_growth(model: DataFlowModel) -> np.ndarray:
    """ln(φ / φ_prev) per firm slot, 0 where the slot is free or φ_prev is not positive."""
    f = model.firms
    growth = phi_ratio(f.phi, model.prev_phi, f.alive)
    return np.log(growth, out=growth)


def cell_tables(
    model: DataFlowModel,
    links: tuple[np.ndarray, np.ndarray, np.ndarray],
    services: np.ndarray | None = None,
    size: np.ndarray | None = None,
    per_firm: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The cell table and, from the same pass, value added and investment per economy over every slot.

    The cell table is every per-firm quantity of ``QUANTITIES`` summed per economy × sector × size cell,
    ``(cells, QUANTITIES)``; the per-economy sums are ``(C, 2)``.
    One compiled pass over the supplier slots and one over the firms (``metric_cells``) instead of the 28 per-firm
    arrays (``tests/model_oracles.py`` holds that readable form; the tests compare the two).

    ``size`` replaces the firms' size classes of the step (the fixed classes of ``fix_size_classes``); ``per_firm``
    is ``(model.effective_productivity(), log_growth(model))`` when the caller has them already.
    """
    f, a, inn = model.firms, model.accounts, model.innovation
    n_c, n_s = model.cell_target.shape
    intra, trade_cost, _ = links
    if services is None:
        services = model.world.sectors["kind"].to_numpy() == "services"
    phi_eff, growth = per_firm if per_firm is not None else (model.effective_productivity(), log_growth(model))
    firms = f.arrays() if size is None else f.arrays()._replace(size=size)
    slots = SlotQuantities(
        exiting=model.exiting,
        phi_eff=phi_eff,
        growth=growth,
        revenue=a.revenue,
        exports=a.exports,
        n_foreign=a.n_foreign_markets,
        compliance=a.compliance,
        variable_cost=a.variable_cost,
        fixed=a.fixed,
        hosting=a.hosting,
        inhouse_capex=a.inhouse_capex,
        value_added=a.value_added,
        local_hosting=a.local_hosting,
        rd=inn.rd,
        innovated=inn.innovated,
        withdrawals=model.withdrawals,
        intra=intra,
        trade_cost=trade_cost,
    )
    return metric_cells(
        firms, slots, model.network.sup, services, step=model.steps, n_c=n_c, n_s=n_s, n_z=len(SizeClass)
    )


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def phi_ratio(phi, prev_phi, alive):
    """φ / φ_prev where φ_prev > 0 and the slot is alive, 1 elsewhere (``np.divide(..., out=ones, where=...)``)."""
    out = np.ones(phi.size)
    for k in range(phi.size):
        if prev_phi[k] > 0 and alive[k]:
            out[k] = phi[k] / prev_phi[k]
    return out


@jit
def link_metric_sums(links, revenue, tau, wedge, firms, region_of, cap, n_c):
    """Per-seller intra-regional exports and trade-cost-weighted exports, and the economy × economy export flows.

    ``links`` is a ``TradeLinks`` (seller and dest are read) with ``revenue``, ``tau`` and ``wedge`` per link;
    ``firms`` a ``FirmArrays``. The flows are aggregates: each link's sales times its seller's agent weight ``fw``.
    """
    seller, dest = links.seller, links.dest
    economy, fw = firms.economy, firms.weight
    intra = np.zeros(cap)
    cost = np.zeros(cap)
    flows = np.zeros(n_c * n_c)
    for k in range(seller.size):
        i = seller[k]
        o = economy[i]
        d = dest[k]
        if o != d:
            r = revenue[k]
            if region_of[o] == region_of[d]:
                intra[i] += r
            cost[i] += r * (tau[k] * (1.0 + wedge[k]) - 1.0)
            flows[np.int64(o) * n_c + d] += r * fw[i]
    return intra, cost, flows


@jit
def metric_cells(firms, slots, sup, services, step, n_c, n_s, n_z):
    """Every per-firm metric quantity of the firms alive or exiting, summed by economy × sector × size cell.

    Returns ``(C · S · Z, 28)``, columns ``METRIC_QUANTITIES``: the sums per cell of the per-firm quantities (as
    ``np.bincount`` by cell over the firms alive or exiting), each computed per firm in one pass (in slot order).
    ``firms`` is a ``FirmArrays`` (its economy, sector, size class, alive, born, δ, access, withdrew and agent weight
    ``fw`` are read) and ``slots`` the ``SlotQuantities`` of the step.
    Every firm's quantities are per real firm and are added times its agent weight ``fw`` (counts are counts of real
    firms). ``services`` is per sector,
    ``growth`` is ln(φ / φ_prev) per slot (0 where undefined), ``phi_eff`` the effective productivity φ̃ (every
    channel: base draw, frontier cloud/AI access, connectivity, digital capability), weighted by positive value added
    (``output_weight``, ``phi_output``). The supplier-slot counts come from a pass over ``sup`` first: filled and
    cross-border slots per buyer are added to the buyer's cell (times the buyer's weight), cross-border buyers per
    supplier are counted per slot. Also returns, per economy and over every slot (in slot order), weighted value added
    and investment (R&D + in-house hosting capex), ``(C, 2)``.
    """
    economy, sector, size, alive, born = firms.economy, firms.sector, firms.size, firms.alive, firms.born
    delta, access, withdrew, fw = firms.delta, firms.access, firms.withdrew, firms.weight
    exiting, phi_eff, growth, revenue, exports = (
        slots.exiting,
        slots.phi_eff,
        slots.growth,
        slots.revenue,
        slots.exports,
    )
    n_foreign, compliance, variable_cost, fixed = slots.n_foreign, slots.compliance, slots.variable_cost, slots.fixed
    hosting, inhouse_capex, value_added = slots.hosting, slots.inhouse_capex, slots.value_added
    local_hosting, rd, innovated, withdrawals = slots.local_hosting, slots.rd, slots.innovated, slots.withdrawals
    intra, trade_cost = slots.intra, slots.trade_cost
    out = np.zeros((np.int64(n_c) * n_s * n_z, 28))
    by_economy = np.zeros((n_c, 2))
    cap = alive.size
    m = sup.shape[1]
    # supplier slots of buyers alive, without data-dependent branches in the inner loop (an empty slot counts as
    # the buyer itself, which is never foreign)
    foreign_buyers = np.zeros(cap, np.int32)
    for b in range(sup.shape[0]):
        if not alive[b]:
            continue
        eb = economy[b]
        filled = 0
        foreign = 0
        for j in range(m):
            s = sup[b, j]
            ok = s >= 0
            s = s if ok else b
            x = np.int32(economy[s] != eb)
            filled += np.int64(ok)
            foreign += x
            foreign_buyers[s] += x
        c = (np.int64(eb) * n_s + sector[b]) * n_z + size[b]
        out[c, 22] += filled * fw[b]
        out[c, 12] += foreign * fw[b]
    for k in range(cap):
        e = economy[k]
        wk = fw[k]
        by_economy[e, 0] += value_added[k] * wk
        by_economy[e, 1] += (rd[k] + inhouse_capex[k]) * wk
        al = alive[k]
        if not (al or exiting[k]):
            continue
        r = (np.int64(e) * n_s + sector[k]) * n_z + size[k]
        a = wk if al else 0.0
        ex = exports[k]
        exporter = wk if ex > 0 else 0.0
        comp = compliance[k]
        facing = wk if comp > 0 else 0.0
        entrant = 1.0 if (born[k] == step and step > 0) else 0.0
        va_pos = max(value_added[k], 0.0) * a
        out[r, 0] += access[k] * delta[k] * a
        out[r, 1] += comp * wk
        out[r, 2] += comp * facing
        out[r, 3] += (comp + hosting[k] + inhouse_capex[k]) * facing
        out[r, 4] += ex * delta[k] * (wk if services[sector[k]] else 0.0)
        out[r, 5] += delta[k] * a
        out[r, 6] += entrant * a
        out[r, 7] += wk if exiting[k] else 0.0
        out[r, 8] += exporter
        out[r, 9] += ex * wk
        out[r, 10] += a
        out[r, 11] += (n_foreign[k] + foreign_buyers[k]) * exporter
        out[r, 13] += wk if innovated[k] else 0.0
        out[r, 14] += intra[k] * wk
        out[r, 15] += (rd[k] + inhouse_capex[k]) * wk
        out[r, 16] += local_hosting[k] * wk
        out[r, 17] += growth[k] * a
        out[r, 18] += va_pos
        out[r, 19] += phi_eff[k] * va_pos
        out[r, 20] += rd[k] * wk
        out[r, 21] += revenue[k] * wk
        out[r, 23] += (variable_cost[k] + fixed[k]) * facing
        out[r, 24] += trade_cost[k] * wk
        out[r, 25] += value_added[k] * wk
        out[r, 26] += withdrawals[k] * wk
        out[r, 27] += (wk if withdrew[k] else 0.0) * (1.0 if al else 0.0)
    return out, by_economy
