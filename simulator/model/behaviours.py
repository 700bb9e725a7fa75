"""The built-in behaviours: the rules of each kind shipped with the model, registered by name.

The registry, the kinds and how a run chooses a rule (with its own parameters, from a scenario file or a plugin) are
in ``simulator.model.registry``; this module registers the built-in rules. Every registered rule must pass the
conformance suite ``simulator.model.checks`` (shapes, no NaN, determinism under a seed, no global random state,
accounting identities, no per-firm Python loop).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import numpy as np

from simulator.model import entry_exit, hosting, innovation, metrics, trade
from simulator.model.government import Adoption
from simulator.model.network import (
    gravity_cdf,
    gravity_decay,
    sample_rows,
)
from simulator.model.numerics import jit
from simulator.model.registry import DEFAULTS, KINDS, REGISTRY, register, resolve
from simulator.scenario.parameters import Parameter

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel

__all__ = ["DEFAULTS", "KINDS", "REGISTRY", "final_sales", "register", "resolve"]


register("hosting_choice", "least_cost")(hosting.least_cost)
register("trade_choice", "ces_logit")(trade.ces_logit)
register("innovation", "schumpeterian")(innovation.schumpeterian)
register("innovation", "spillovers_only")(innovation.spillovers_only)
register("exit", "loss_streak")(entry_exit.loss_streak)
register("entry", "reference_margin")(entry_exit.entrants)


@register("market_search", "gravity")
class MarketSearchGravity:
    """Candidate export market ∝ GDP_d · dist_od^−γ among foreign economies.

    The CDF depends only on the world and γ: it is kept by the behaviour (one per model) and rebuilt if either
    changes.
    """

    def __init__(self) -> None:
        self.key: tuple[float, object] | None = None
        self.cdf: np.ndarray | None = None

    def __call__(self, model: DataFlowModel, firms: np.ndarray) -> np.ndarray:
        gamma = model.params["gamma"]
        if self.cdf is None or self.key is None or self.key[0] != gamma or self.key[1] is not model.world:
            gdp = model.world.economies["gdp_usd"].to_numpy(dtype=float)
            self.key = (gamma, model.world)
            self.cdf = gravity_cdf(gdp, model.world.distance_km, gamma, exclude_home=True)
        return sample_rows(model.rng, self.cdf, model.firms.economy[firms])


@register("market_search", "uniform")
def market_search_uniform(model: DataFlowModel, firms: np.ndarray) -> np.ndarray:
    """Candidate export market drawn uniformly among foreign economies."""
    n_c = len(model.world.iso3)
    mass = np.ones(n_c)
    cdf = gravity_cdf(mass, np.ones((n_c, n_c)), 0.0, exclude_home=True)
    return sample_rows(model.rng, cdf, model.firms.economy[firms])


@register("supplier_search", "gravity")
class SupplierSearchGravity:
    """Candidate supplier: a cell ∝ its firms' final sales × dist^−γ × input affinity, then a firm ∝ its final sales.

    A buyer of sector s in economy d draws the economy × sector cell (o, s') of its candidate with probability
    ∝ M_os' · dist_do^−γ · a_ss', where M_os' is the summed size of the cell's firms and a_ss' the share of sector s's
    inputs bought from sector s' (``World.input_matrix``, from ``data/input_output.csv``), then a firm of that cell
    ∝ its size. Sizes are (final sales)^α_s times the agent's weight (the real firms it stands for).

    Size is measured by sales to final demand, not total revenue: drawing ∝ total revenue (which includes sales to
    buyers) is preferential attachment, and let one firm collect a fifth of all buyers in the world whatever its
    productivity.

    The cell is drawn in two steps with the same joint law: the sector s' ∝ a_ss' Σ_o M_os' dist_do^−γ, then the
    economy o ∝ M_os' dist_do^−γ. The behaviour (one per model) keeps the distance decay (it depends only on the
    world and γ) and the market sales of the last trade pass with their power α (the search runs twice a step:
    supplier revision, entrants' first draws).
    """

    def __init__(self) -> None:
        self.decay_key: tuple[float, object] | None = None
        self.decay: np.ndarray | None = None
        self.sales_key: tuple[weakref.ref, int, float] | None = None
        self.sales: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, model: DataFlowModel, buyers: np.ndarray) -> np.ndarray:
        f = model.firms
        n_c, n_s = model.n_economies, model.n_sectors
        n_cells = n_c * n_s
        raw, powered = self.market_sales(model, model.params["supplier_size_exponent"])
        cell = f.economy.astype(np.int64) * n_s + f.sector
        # weight = powered · alive where the sales (0 for slots born since the trade pass) are positive, and its sum
        # per economy × sector cell (``np.bincount``), in one compiled pass; each agent stands for ``weight`` real
        # firms: its chance to be drawn scales with the firms it stands for
        weight, mass = supplier_weights(
            raw, powered * f.weight[: raw.size], f.born[: raw.size], model.steps, f.alive, cell, n_cells
        )
        gamma = model.params["gamma"]
        if (
            self.decay is None
            or self.decay_key is None
            or self.decay_key[0] != gamma
            or (self.decay_key[1] is not model.world)
        ):
            self.decay_key = (gamma, model.world)
            self.decay = gravity_decay(model.world.distance_km, gamma)
        affinity = model.world.input_matrix
        # the cell (o, s') in two draws with the same joint law: the sector s' ∝ a_ss' · Σ_o dist_do^−γ M_os', then
        # the economy o ∝ dist_do^−γ M_os' (small tables: (d, s) × s' and (d, s') × o)
        m_cs = mass.reshape(n_c, n_s)
        reach = self.decay @ m_cs  # (d, s'): Σ_o decay_do M_os'
        by_sector = (affinity[None, :, :] * reach[:, None, :]).reshape(n_cells, n_s)
        by_economy = (self.decay[:, None, :] * m_cs.T[None, :, :]).reshape(n_cells, n_c)
        econ = f.economy[buyers].astype(np.int64)
        s_drawn = sample_rows(model.rng, row_cdf(by_sector), econ * n_s + f.sector[buyers])
        o_drawn = sample_rows(model.rng, row_cdf(by_economy), econ * n_s + np.maximum(s_drawn, 0))
        drawn = np.where((s_drawn >= 0) & (o_drawn >= 0), o_drawn * n_s + s_drawn, -1)
        # a firm of each drawn cell ∝ its weight among the firms alive (every cell index and draw is below n_cells)
        return sample_by_group(cell, weight, f.alive, drawn, model.rng.random(drawn.size), n_cells)

    def market_sales(self, model: DataFlowModel, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        """Market sales per slot of the last trade pass and their power ``alpha`` (kept while both are the same).

        The sales are ``final_sales`` before newborn slots are zeroed. Element by element the same numbers.
        """
        tr, cap = model.trade, model.firms.capacity
        key = self.sales_key
        if key is not None and self.sales is not None and key[0]() is tr and key[1] == cap and key[2] == alpha:
            return self.sales
        nm = tr.n_market_links
        sales = np.bincount(tr.sales_seller[:nm], weights=np.maximum(tr.market_revenue, 0.0), minlength=cap)[:cap]
        # a weak reference: the behaviour must not keep a step's trade result (all its link arrays) alive into the
        # next step
        self.sales_key = (weakref.ref(tr), cap, alpha)
        self.sales = (sales, sales**alpha)
        return self.sales


def row_cdf(w: np.ndarray) -> np.ndarray:
    """Each row of ``w`` over its sum, summed cumulatively (0 where the row sum is not positive: an empty row)."""
    total = w.sum(axis=1, keepdims=True)
    return np.cumsum(np.divide(w, total, out=np.zeros_like(w), where=total > 0), axis=1)


def final_sales(model: DataFlowModel) -> np.ndarray:
    """Sales to final demand of each firm slot in the last trade computation (0 for slots created since)."""
    tr, cap = model.trade, model.firms.capacity
    nm = tr.n_market_links
    sales = np.bincount(tr.sales_seller[:nm], weights=np.maximum(tr.market_revenue, 0.0), minlength=cap)[:cap]
    return _newborn_zero(model, sales)


def _newborn_zero(model: DataFlowModel, sales: np.ndarray) -> np.ndarray:
    """``sales`` with the slots of firms born since the trade pass set to 0.

    An entrant may reuse the slot of a firm that exited in the same step: the slot's sales were the dead firm's.
    """
    return np.where(model.firms.born[: sales.size] > model.steps, 0.0, sales)


@register("supplier_search", "uniform")
def supplier_search_uniform(model: DataFlowModel, buyers: np.ndarray) -> np.ndarray:
    """Candidate supplier drawn uniformly among all firms alive."""
    alive = np.flatnonzero(model.firms.alive)
    if alive.size == 0:
        return np.full(buyers.size, -1, dtype=np.int64)
    return alive[model.rng.integers(0, alive.size, buyers.size)].astype(np.int64)


# --- government policy ------------------------------------------------------------------------------------------------


@register("government_policy", "scheduled")
def government_scheduled(model: DataFlowModel) -> tuple[Adoption, ...]:
    """Governments follow the scenario's timeline only: no decisions during the run."""
    return ()


RECIPROCITY_PARAMETERS = (
    Parameter(
        "partners_required",
        "k",
        "economies",
        2.0,
        1.0,
        20.0,
        "A government adopts a contingent rule once at least this many of its largest trading partners have it",
        "assumption: a hypothetical illustration (see scenarios/reciprocal_localisation.yaml)",
        "government_policy",
        integer=True,
    ),
    Parameter(
        "largest_partners",
        "n",
        "economies",
        5.0,
        1.0,
        20.0,
        "How many of its largest trading partners (exports plus imports over the last step) a government looks at",
        "assumption: a hypothetical illustration (see scenarios/reciprocal_localisation.yaml)",
        "government_policy",
        integer=True,
    ),
    Parameter(
        "review_every",
        "r",
        "steps",
        1.0,
        1.0,
        40.0,
        "Governments review their policy at the start of every step that is a multiple of this",
        "assumption: a quarterly review (one step) by default",
        "government_policy",
        integer=True,
    ),
)


def _reciprocity_constraints(values: dict[str, float]) -> list[tuple[str, str]]:
    if values["partners_required"] > values["largest_partners"]:
        return [
            (
                "partners_required",
                f"at most largest_partners ({values['largest_partners']:g}): a government looks at that many partners",
            )
        ]
    return []


@register("government_policy", "reciprocity", parameters=RECIPROCITY_PARAMETERS, constraints=_reciprocity_constraints)
def government_reciprocity(model: DataFlowModel, params: dict[str, float]) -> tuple[Adoption, ...]:
    """A government adopts a contingent rule once k of its n largest trading partners have it in force.

    At the start of every ``review_every``-th step, before any event of the step applies, each government the rule
    selects that does not have it yet ranks its trading partners by two-way trade (exports plus imports, all
    cross-border sales of the last step, ``metrics.link_sums``) and adopts the rule when at least
    ``partners_required`` of its ``largest_partners`` largest have it in force (``ContingentPolicy.held_by``: every
    covered cell at least as restrictive). Decisions are simultaneous: all look at the policy in force before any
    of them adopts, so an adoption is seen by the partners from the next review. No random numbers are drawn.
    """
    contingent = model.schedule.contingent
    if not contingent or model.steps % int(params["review_every"]) != 0:
        return ()
    n_c = len(model.governments)
    _, _, flows = metrics.link_sums(model)
    flows = np.asarray(flows, dtype=float).reshape(n_c, n_c)
    trade = flows + flows.T
    n, k = int(params["largest_partners"]), int(params["partners_required"])
    out: list[Adoption] = []
    for i, rule in enumerate(contingent):
        held = rule.held_by(model.policy)
        for e in rule.economies:
            decision = model.governments[e].reciprocate(i, rule, held, trade, n, k, model.steps)
            if decision is not None:
                out.append(decision)
    return tuple(out)


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def supplier_weights(sales, powered, born, step, alive, economy, n_c):
    """Supplier-draw weight per slot and its sum per group ``economy`` (``SupplierSearchGravity``: per cell).

    The sales of slots born after ``step`` count as 0; weight = powered · alive where those sales are positive, else
    0, and the sums per economy are taken in slot order (``np.bincount``).
    """
    n = sales.size
    weight = np.empty(n)
    mass = np.zeros(n_c)
    for i in range(n):
        s = 0.0 if born[i] > step else sales[i]
        w = powered[i] * (1.0 if alive[i] else 0.0) if s > 0 else 0.0
        weight[i] = w
        mass[economy[i]] += w
    return weight, mass


@jit
def sample_by_group(group, weight, eligible, wanted, u, n_g):
    """One index per entry of ``wanted``: a draw ∝ ``weight`` among the eligible entries of group ``wanted[t]``.

    Given its uniforms ``u`` (one per draw): eligible entries with positive
    weight ordered stably by group (a counting sort, the order of ``np.argsort(kind="stable")``), their cumulative
    weights summed in that order (as ``np.cumsum``), and the inverse-CDF search restricted to the group (the same
    position as ``np.searchsorted`` over all entries followed by the clip to the group). -1 where the group is empty.
    """
    n = group.size
    start = np.zeros(n_g + 1, np.int64)
    for i in range(n):
        if eligible[i] and weight[i] > 0:
            start[group[i] + 1] += 1
    for g in range(n_g):
        start[g + 1] += start[g]
    fill = start[:-1].copy()
    n_el = start[n_g]
    order = np.empty(n_el, np.int64)
    for i in range(n):
        if eligible[i] and weight[i] > 0:
            g = group[i]
            order[fill[g]] = i
            fill[g] += 1
    cum = np.empty(n_el)
    acc = 0.0
    for t in range(n_el):
        acc += weight[order[t]]
        cum[t] = acc
    # guide table per group, one bucket per 8 entries: guide[q] is the first position of the group whose cumulative
    # weight exceeds the bucket's lower edge base + j (top − base) / n_buckets, so a search starts there and scans
    # forward a few steps instead of bisecting the whole group (any edges give the same positions, only the time
    # differs: one bucket per entry cost more to build than it saved)
    bstart = np.zeros(n_g + 1, np.int64)
    for g in range(n_g):
        bstart[g + 1] = bstart[g] + (start[g + 1] - start[g] + 7) // 8
    guide = np.empty(bstart[n_g], np.int64)
    edge = np.empty(bstart[n_g])
    for g in range(n_g):
        a = start[g]
        b = start[g + 1]
        if b <= a:
            continue
        base = cum[a - 1] if a > 0 else 0.0
        span = cum[b - 1] - base
        q0 = bstart[g]
        nb_ = bstart[g + 1] - q0
        pos = a
        for j in range(nb_):
            e = base + span * (j / nb_)
            while pos < b and cum[pos] <= e:
                pos += 1
            guide[q0 + j] = pos
            edge[q0 + j] = e
    out = np.full(wanted.size, -1, np.int64)
    for t in range(wanted.size):
        g = wanted[t]
        if g < 0:
            continue
        a = start[g]
        b = start[g + 1]
        if b <= a:
            continue
        base = cum[a - 1] if a > 0 else 0.0
        top = cum[b - 1]
        target = base + u[t] * (top - base)
        q0 = bstart[g]
        nb_ = bstart[g + 1] - q0
        j = np.int64((target - base) / (top - base) * nb_) if top > base else 0
        if j > nb_ - 1:
            j = nb_ - 1
        if j < 0:
            j = 0
        while j > 0 and edge[q0 + j] > target:  # the bucket's edge must not exceed the target
            j -= 1
        # every position before guide has cum <= edge <= target (or is before the group): the first position with
        # cum > target (side="right") is at or after it
        lo = guide[q0 + j] if edge[q0 + j] <= target else a
        while lo < b and cum[lo] <= target:
            lo += 1
        if lo > b - 1:
            lo = b - 1
        out[t] = order[lo]
    return out
