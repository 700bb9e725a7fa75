"""The firm population: a columnar (structure-of-arrays) table, one row per firm slot.

Firms are not Mesa agents: with 10⁵ firms a per-agent ``step()`` is two orders of magnitude slower than vectorised
numpy. Rows are *slots*; a slot whose ``alive`` flag is False is free and is reused by the next entrant, so that the
arrays keep their length (and the network's indices stay valid) while firms enter and exit.

Allocation rule (documented in ``docs/model.md``): the number of agents of economy c and sector s is

    n_cs = n_min + round_largest_remainder((N − C·S·n_min) · GDP_c^a · share_s / Σ GDP^a · share)

with ``a = firm_gdp_exponent`` and ``n_min = min_firms_per_cell`` (lowered to 0 when N < C·S·n_min).

**Weights.** An agent stands for a number of real firms: every agent of cell (c, s) has the weight

    ω_cs = R_cs / n_cs,   R_cs = N · GDP_c · share_s / Σ GDP · share,

i.e. the real firms of a cell are declared proportional to the cell's share of world demand (an assumption: no
firm-count data by economy × sector is read), in units where the mean weight of the initial population is 1. With
a < 1 small economies get more agents than their GDP share (a fair sample) and each of their agents stands for fewer
firms, so every aggregate (CES price indices, sales, income) is a weighted sum and stays where a = 1 would put it.
The weights are set before the burn-in and never fitted to value added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import IntEnum
from typing import NamedTuple

import numpy as np

from simulator.model.numerics import jit
from simulator.world.tables import SectorKind
from simulator.world.world import World


class SizeClass(IntEnum):
    """Firm size class, from revenue thresholds relative to the median firm of the initial population."""

    MICRO = 0
    SMALL = 1
    MEDIUM = 2
    LARGE = 3


class HostingMode(IntEnum):
    """Where a firm keeps and processes its data."""

    FOREIGN_CLOUD = 0
    """A hyperscale cloud operated from abroad (or a local region of one)."""
    LOCAL = 1
    """A local hosting provider."""
    IN_HOUSE = 2
    """The firm's own servers."""


class FirmArrays(NamedTuple):
    """The per-firm arrays of a ``Firms`` table as one argument of the compiled kernels (the same arrays, not copies).

    A kernel reads ``firms.economy[i]`` etc. and writes in place into the arrays it updates (``hosting``, ``access``,
    ``withdrew``). Built by ``Firms.arrays()`` at each call: the table's attributes are replaced by new arrays as a step
    goes on, so a view is not kept across steps. Fields as the attributes of ``Firms``.
    """

    uid: np.ndarray
    alive: np.ndarray
    economy: np.ndarray
    sector: np.ndarray
    size: np.ndarray
    phi: np.ndarray
    delta: np.ndarray
    hosting: np.ndarray
    access: np.ndarray
    revenue: np.ndarray
    profit: np.ndarray
    loss_streak: np.ndarray
    knowledge: np.ndarray
    born: np.ndarray
    withdrew: np.ndarray
    weight: np.ndarray
    local_affinity: np.ndarray


@dataclass
class Firms:
    """Columnar firm table. All arrays have the same length (the slot capacity).

    Attributes:
        uid: Unique firm id (never reused), ``int64``.
        alive: Whether the slot holds a firm.
        economy: Home economy index (``World.iso3`` order).
        sector: Sector index (``World.sector_codes`` order).
        size: ``SizeClass`` code, recomputed from revenue each step.
        phi: Productivity (heavy-tailed, includes the economy's TFP scale).
        delta: Data intensity δ_i.
        hosting: ``HostingMode`` code.
        access: Access to frontier cloud/AI inputs in [0, 1].
        revenue: Revenue of the last step (all markets, final + intermediate).
        profit: Profit of the last step (after fixed costs, before R&D).
        loss_streak: Consecutive loss-making steps.
        knowledge: R&D knowledge stock.
        born: Step at which the firm entered (0 for the initial population).
        withdrew: Whether the firm has ever withdrawn from a foreign market (cumulative).
        weight: Number of real firms the agent stands for (relative; see the module docstring), ``float``.
        local_affinity: The firm's own preference a_i for hosting at home (a local provider or its own servers),
            per unit of variable cost, drawn at birth from Logistic(0, s_h) (``hosting``).
    """

    uid: np.ndarray
    alive: np.ndarray
    economy: np.ndarray
    sector: np.ndarray
    size: np.ndarray
    phi: np.ndarray
    delta: np.ndarray
    hosting: np.ndarray
    access: np.ndarray
    revenue: np.ndarray
    profit: np.ndarray
    loss_streak: np.ndarray
    knowledge: np.ndarray
    born: np.ndarray
    withdrew: np.ndarray
    weight: np.ndarray
    local_affinity: np.ndarray

    @property
    def capacity(self) -> int:
        """Number of slots."""
        return int(self.alive.shape[0])

    @property
    def n_alive(self) -> int:
        """Number of firms alive."""
        return int(self.alive.sum())

    def arrays(self) -> FirmArrays:
        """The table's arrays as a ``FirmArrays`` (for the compiled kernels)."""
        return FirmArrays(**{f.name: getattr(self, f.name) for f in fields(self)})

    def grow(self, extra: int) -> None:
        """Append ``extra`` free slots to every array."""
        for f in fields(self):
            arr = getattr(self, f.name)
            pad = np.zeros(extra, dtype=arr.dtype)
            if f.name == "uid":
                pad -= 1
            setattr(self, f.name, np.concatenate([arr, pad]))


def empty_firms(n: int) -> Firms:
    """Return a table of ``n`` free slots."""
    return Firms(
        uid=np.full(n, -1, dtype=np.int64),
        alive=np.zeros(n, dtype=bool),
        economy=np.zeros(n, dtype=np.int32),
        sector=np.zeros(n, dtype=np.int32),
        size=np.zeros(n, dtype=np.int8),
        phi=np.zeros(n),
        delta=np.zeros(n),
        hosting=np.zeros(n, dtype=np.int8),
        access=np.zeros(n),
        revenue=np.zeros(n),
        profit=np.zeros(n),
        loss_streak=np.zeros(n, dtype=np.int32),
        knowledge=np.zeros(n),
        born=np.zeros(n, dtype=np.int32),
        withdrew=np.zeros(n, dtype=bool),
        weight=np.zeros(n),
        local_affinity=np.zeros(n),
    )


def allocate(world: World, n_firms: int, params: Mapping[str, float]) -> np.ndarray:
    """Return the number of firms per economy × sector, ``int (c, s)``, summing to ``n_firms``.

    Args:
        world: The world (GDP and demand shares are used).
        n_firms: Total number of firms.
        params: Parameter values (``firm_gdp_exponent``, ``min_firms_per_cell``).
    """
    gdp = world.economies["gdp_usd"].to_numpy(dtype=float)
    share = world.sectors["demand_share"].to_numpy(dtype=float)
    n_c, n_s = gdp.size, share.size
    floor = int(params["min_firms_per_cell"])
    if n_firms < n_c * n_s * floor:
        floor = n_firms // (n_c * n_s)
    weight = np.outer(gdp ** params["firm_gdp_exponent"], share)
    weight = weight / weight.sum()
    rest = n_firms - n_c * n_s * floor
    exact = rest * weight
    base = np.floor(exact).astype(np.int64)
    short = rest - int(base.sum())
    if short > 0:
        order = np.argsort(-(exact - base), axis=None, kind="stable")[:short]
        base.ravel()[order] += 1
    return base + floor


def cell_weights(world: World, cell_target: np.ndarray) -> np.ndarray:
    """Weight ω_cs of every agent of each economy × sector cell, ``(c, s)`` (0 where a cell has no agent).

    ω_cs = R_cs / n_cs with R_cs = N · GDP_c · share_s / Σ GDP · share: real firms ∝ the cell's share of world
    demand, in units where the mean weight over the ``N = Σ n_cs`` agents is 1.
    """
    gdp = world.economies["gdp_usd"].to_numpy(dtype=float)
    share = world.sectors["demand_share"].to_numpy(dtype=float)
    real = np.outer(gdp, share)
    real = real / real.sum() * float(cell_target.sum())
    return np.divide(real, cell_target, out=np.zeros_like(real), where=cell_target > 0)


def gdp_per_capita_index(world: World) -> np.ndarray:
    """GDP per capita of each economy relative to the economies' aggregate GDP per capita, ``(c,)``."""
    gdp = world.economies["gdp_usd"].to_numpy(dtype=float)
    pop = world.economies["population"].to_numpy(dtype=float)
    return (gdp / pop) / (gdp.sum() / pop.sum())


def broadband_index(world: World, offset: float) -> np.ndarray:
    """Fixed broadband subscriptions per 100 people relative to the world, ``(c,)``: (b_c + b₀) / (b̄ + b₀).

    b̄ is the population-weighted mean over the economies with a value. An economy without a value (an empty
    ``fixed_broadband_per_100`` cell) gets the world mean, i.e. an index of 1. The offset b₀ keeps economies with
    almost no fixed lines (Nigeria 0.03 per 100) from a near-zero index.
    """
    econ = world.economies
    pop = econ["population"].to_numpy(dtype=float)
    if "fixed_broadband_per_100" not in econ:
        return np.ones(pop.size)
    bb = econ["fixed_broadband_per_100"].to_numpy(dtype=float)
    known = np.isfinite(bb)
    if not known.any():
        return np.ones(pop.size)
    mean = float((bb[known] * pop[known]).sum() / pop[known].sum())
    return np.where(known, (np.where(known, bb, mean) + offset) / (mean + offset), 1.0)


def dds_capability(world: World, params: Mapping[str, float]) -> np.ndarray:
    """Digital-services capability K of each economy × sector, ``(c, s)``.

    K is ``dds_capability_lac`` for services sectors of LAC economies, ``dds_capability_africa`` for those of Africa,
    and 1 elsewhere and for goods sectors; a services firm's supply capability is multiplied by K^δ.
    """
    region = world.economies["region"].astype(str).to_numpy()
    by_economy = np.ones(region.size)
    by_economy[region == "LAC"] = params["dds_capability_lac"]
    by_economy[region == "AFR"] = params["dds_capability_africa"]
    services = world.sectors["kind"].astype(str).to_numpy() == SectorKind.SERVICES
    return np.where(services[None, :], by_economy[:, None], 1.0)


def draw_productivity(rng: np.random.Generator, economy: np.ndarray, tfp_scale: np.ndarray, shape: float) -> np.ndarray:
    """Draw Pareto(shape) productivities with minimum 1, scaled by the economy's TFP scale."""
    u = rng.random(economy.size)
    return (1.0 - u) ** (-1.0 / shape) * tfp_scale[economy]


def draw_delta(rng: np.random.Generator, sector: np.ndarray, delta_s: np.ndarray, sigma_delta: float) -> np.ndarray:
    """Draw firm data intensities δ_i = δ_s · exp(ε), ε ~ N(0, σ_δ²), capped at 1."""
    eps = rng.normal(0.0, 1.0, sector.size) * sigma_delta
    return np.minimum(delta_s[sector] * np.exp(eps), 1.0)


def size_class(revenue: np.ndarray, scale: float, params: Mapping[str, float]) -> np.ndarray:
    """Return the ``SizeClass`` code of each revenue, thresholds in multiples of ``scale`` (median initial revenue)."""
    edges = scale * np.array([params["size_small"], params["size_medium"], params["size_large"]])
    return np.searchsorted(edges, revenue, side="right").astype(np.int8)


def size_class_compiled(revenue: np.ndarray, scale: float, params: Mapping[str, float]) -> np.ndarray:
    """``size_class`` in one compiled pass when its thresholds are sorted (else ``size_class`` itself)."""
    edges = scale * np.array([params["size_small"], params["size_medium"], params["size_large"]])
    if np.all(edges[1:] >= edges[:-1]):
        return count_edges_at_or_below(revenue, edges)
    return size_class(revenue, scale, params)


def fit_to_capacity(values: np.ndarray, capacity: int) -> np.ndarray:
    """Pad per-slot ``values`` with zeros to ``capacity`` (slots added by entry after the step's accounts)."""
    if values.size >= capacity:
        return values[:capacity]
    return np.concatenate([values, np.zeros(capacity - values.size, dtype=values.dtype)])


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def count_edges_at_or_below(values, edges):
    """Number of ``edges`` ≤ each value (all of them for NaN), as int8.

    The same as ``np.searchsorted(edges, values, side="right")`` when ``edges`` are sorted and not NaN. One pass over
    the values per edge, adding 0 or 1 without a branch (a loop the compiler vectorises; a per-value loop over the
    edges mispredicted its comparisons).
    """
    n = values.size
    out = np.zeros(n, np.int8)
    for e in edges:
        for k in range(n):
            out[k] += np.int8(not values[k] < e)
    return out
