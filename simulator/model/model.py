"""``DataFlowModel``: the Mesa model that ties the mechanisms together, and the pure ``simulate`` entry point."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

import mesa
import numpy as np
import pandas as pd

from simulator.model import closure, entry_exit, hosting, inputs, markets, metrics, stages
from simulator.model.behaviours import resolve
from simulator.model.closure import balance_shares, cancel_imbalances
from simulator.model.connectivity import SupplyCapability
from simulator.model.costs import LinkCosts, compile_costs, exposure_matrix, fixed_table
from simulator.model.government import Government
from simulator.model.innovation import InnovationResult
from simulator.model.inputs import InputPrices
from simulator.model.link_terms import trade_table
from simulator.model.network import Network, empty_network
from simulator.model.population import (
    Firms,
    HostingMode,
    SizeClass,
    allocate,
    broadband_index,
    cell_weights,
    dds_capability,
    draw_delta,
    draw_productivity,
    empty_firms,
    fit_to_capacity,
    gdp_per_capita_index,
    size_class,
)
from simulator.model.trade import TradeResult, spending_shares
from simulator.scenario.parameters import PARAMETERS
from simulator.world.policy import PolicySchedule, PolicyState
from simulator.world.world import World

__all__ = [
    "MONEY_PER_USD",
    "DataFlowModel",
    "LinkTables",
    "balance_shares",
    "cancel_imbalances",
    "resolve_params",
    "simulate",
]

logger = logging.getLogger(__name__)

MONEY_PER_USD = 1e-9
"""Model money unit: billions of USD (a unit choice, not a behavioural number)."""


def resolve_params(
    params: Mapping[str, float] | None, calibration: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Return the defaults of ``PARAMETERS``, overridden by a world's ``calibration``, then by ``params``, checked.

    Args:
        params: Overrides (a scenario's ``parameters:``); they win over the calibration.
        calibration: Fitted values of the world (``World.calibration``), checked when the world was loaded.

    Raises:
        KeyError: A name is not declared.
        ValueError: A value is outside its declared range.
    """
    out = {**PARAMETERS.defaults(), **(calibration or {})}
    for name, value in (params or {}).items():
        if name not in PARAMETERS:
            raise KeyError(f"unknown parameter {name!r}")
        problem = PARAMETERS[name].check(float(value))
        if problem:
            raise ValueError(f"parameter {name!r} = {value!r}: expected {problem}")
        out[name] = float(value)
    return out


class LinkTables(NamedTuple):
    """Tables derived from the cost tables in force, rebuilt whenever they change (``DataFlowModel.costs``).

    Attributes:
        trade: ``link_terms.trade_table``: the trade columns of each link row side by side.
        fixed: ``costs.fixed_table``: the fixed-cost terms of each link row (source-code cost in model money).
        spending: ``trade.spending_shares``: each economy's final spending shares by sector, ``(c, s)``.
    """

    trade: np.ndarray
    fixed: np.ndarray
    spending: np.ndarray


class DataFlowModel(mesa.Model):
    """Agent-based model of firms trading over a network under data rules.

    Governments are Mesa agents (one per economy); firms are a vectorised population (``Firms``) of weighted agents.
    One call of ``step()`` runs the ordered stages of ``step_stages`` (``simulator.model.stages.STEP``: governments'
    decisions and events, labour markets, spending, hosting choice, trade, accounts, income, innovation, markets and
    suppliers, exit, metrics, entry, the local hosting market); the rules of the stages that are behaviours are the
    run's choice (``behaviours``, resolved into ``rules``).

    Construction builds the population and the network, then runs a burn-in of ``burn_in_steps`` full steps under
    the initial policy (no events), in which wages are solved so that each economy's income share matches its GDP
    share; the labour endowments are then fixed and step 0 is recorded. ``copy.deepcopy`` of a built model is a
    valid starting point for any scenario sharing its initial policy state.

    Args:
        world: The world.
        schedule: The compiled policy path (initial state plus dated events).
        params: Parameter overrides (name → value); defaults from ``PARAMETERS`` under the world's calibration
            (``World.calibration``).
        n_firms: Number of firms at construction.
        rng: Seed or ``SeedSequence`` of the model's generator (all randomness comes from it).
        behaviours: Behaviour choices, kind → registered name (see ``simulator.model.behaviours``).
        metrics_every: Collect metrics every this many steps (≥ 1; step 0 and the last step of ``run`` always).
    """

    def __init__(
        self,
        world: World,
        schedule: PolicySchedule,
        params: Mapping[str, float] | None = None,
        n_firms: int = 2000,
        rng: int | np.random.SeedSequence | None = None,
        behaviours: Mapping[str, str] | None = None,
        metrics_every: int = 1,
    ) -> None:
        super().__init__(rng=rng)
        self.world = world
        self.schedule = schedule
        self.params = resolve_params(params, world.calibration)
        self.n_firms = int(n_firms)
        self.behaviours = dict(behaviours or {})
        self.metrics_every = int(metrics_every)
        self._setup()

    # ------------------------------------------------------------------------------------------------ construction
    def _setup(self) -> None:
        world, p = self.world, self.params
        t_start = time.perf_counter()
        self.stream_key = int(self.rng.integers(np.iinfo(np.int64).max))
        """Key of the per-step random streams (``step``): drawn once from the seed."""
        self.rules = resolve(self.behaviours)
        self.policy: PolicyState = self.schedule.initial.copy()
        self.governments = [
            Government(self, i, code, tuple(e for e in self.schedule.events if e.economy == i))
            for i, code in enumerate(world.iso3)
        ]
        for g in self.governments:
            g.apply(0)
        self.exposure = exposure_matrix(world)
        # axis sizes, read every step (``World.iso3`` rebuilds a list from the economy index on each access)
        self.n_economies = len(world.iso3)
        self.n_sectors = len(world.sector_codes)
        sectors = world.sectors
        self.delta_s = sectors["data_intensity"].to_numpy(dtype=float)
        self.demand_share = sectors["demand_share"].to_numpy(dtype=float)
        self.tradability = sectors["tradability"].to_numpy(dtype=float)
        self.intermediate_share = sectors["intermediate_share"].to_numpy(dtype=float)
        self.gdp_usd = world.economies["gdp_usd"].to_numpy(dtype=float)
        self.gdp_share = self.gdp_usd / self.gdp_usd.sum()
        self.balance_share = balance_shares(world)
        gdppc = gdp_per_capita_index(world)

        self.broadband = broadband_index(world, p["broadband_offset"])
        self.tfp_scale = gdppc ** p["tfp_gdppc_elasticity"] * self.broadband ** p["tfp_broadband_elasticity"]
        self.dds_capability = dds_capability(world, p)
        self.capability = SupplyCapability(self.broadband, self.dds_capability)
        self.wage = gdppc ** p["wage_gdppc_elasticity"]
        self.wage0 = self.wage.copy()
        # the income closure (``closure``): spending of the first pass is GDP (the initial condition), then income
        self.income = self.gdp_usd * MONEY_PER_USD * self.schedule.step_years
        self.carry = np.zeros(self.n_economies)
        self.labour: np.ndarray | None = None
        self.trade_ref: np.ndarray | None = None
        self.income0 = self.income.copy()
        self.spending = self.income.copy()
        self.balance = np.zeros(self.n_economies)
        self.debt = np.zeros(self.n_economies)
        """Spending an economy could not make because its income and money were negative (≤ 0; carried)."""
        self.omega = 1.0
        """The last numeraire revaluation ω (``closure.clear_labour_markets``)."""
        self.region_codes, self.region_of = np.unique(
            world.economies["region"].astype(str).to_numpy(), return_inverse=True
        )

        self.cell_target = allocate(world, self.n_firms, p)
        self.cell_weight = cell_weights(world, self.cell_target)
        econ, sect = np.nonzero(self.cell_target)
        counts = self.cell_target[econ, sect]
        n = int(counts.sum())
        self.firms: Firms = empty_firms(n)
        self.next_uid = 0
        self.network: Network = empty_network(n, int(p["suppliers_per_firm"]))
        self.money_scale = 1.0
        self.cell_scale: np.ndarray | None = None
        self.costs = compile_costs(world, self.policy, p, self.exposure, self.money_scale)
        self.market = hosting.initial_market(world, self.costs, p)
        # per-step state of the stages (``stages``), sized with the firm slots
        self.entry_charges = np.zeros(n)
        """One-off market entry costs charged this step, per firm slot (``markets.update_markets``)."""
        self.withdrawals = np.zeros(n)
        """Withdrawals from foreign markets this step, per firm slot (``markets``)."""
        self.exiting = np.zeros(n, bool)
        self.prev_phi = np.zeros(n)
        self.collecting = False
        """Whether the current step collects metrics (its accounts pass then also sums the links)."""
        self.trade: TradeResult | None = None
        """The last trade pass (``stages.trade``); none before the first."""
        self.input_prices: InputPrices | None = None
        """The input side of the last unit costs (``stages.input_costs``); none before the first pass."""
        self.add_firms(np.repeat(econ, counts), np.repeat(sect, counts), with_suppliers=False)
        self.log_price_ref_cells = self._reference_log_price()
        self.log_price_ref = self.log_price_ref_cells @ self.demand_share

        # first pass: home sales only, to fix the money unit of fixed costs
        stages.trade_pass(self, self.firms.alive.copy())
        rev0 = self.accounts.revenue
        self.money_scale = float(np.median(rev0[self.firms.alive]))
        self.cell_scale = entry_exit.cell_median(self.firms, rev0, self.cell_target.shape)
        self.costs = compile_costs(world, self.policy, p, self.exposure, self.money_scale)
        self.firms.revenue = self.accounts.revenue.copy()
        alive = np.flatnonzero(self.firms.alive)
        markets.fill_suppliers(self, alive)
        t_network = time.perf_counter()
        for _ in range(int(p["warmup_rounds"])):
            stages.trade_pass(self, self.firms.alive.copy())
            self.firms.revenue = self.accounts.revenue.copy()
            markets.update_markets(self, self.firms.alive.copy())
            markets.update_suppliers(self, self.firms.alive.copy())
        self.entry_charges[:] = 0.0
        self.withdrawals[:] = 0.0
        self.firms.withdrew[:] = False
        stages.trade_pass(self, self.firms.alive.copy())
        self.firms.revenue = self.accounts.revenue.copy()
        self.firms.size = size_class(self.firms.revenue, self.money_scale, p)
        self.firms.profit = self.accounts.profit.copy()
        closure.close_income(self)
        self.margin0 = entry_exit.cell_margin(self)
        self.innovation = InnovationResult(
            phi=self.firms.phi.copy(), innovated=np.zeros(self.firms.capacity, bool), rd=np.zeros(self.firms.capacity)
        )
        self.prev_phi = self.firms.phi.copy()
        self.exiting = np.zeros(self.firms.capacity, bool)
        self._run_end = -1
        closure.burn_in(self)
        # the reference input prices of the unit costs are fixed from here on (``inputs``): policy-free
        self.input_prices = inputs.freeze(self.input_prices)
        self.collector = metrics.MetricsCollector(self)
        self.collector.collect(self)
        t_end = time.perf_counter()
        self.build_timings = {"network": t_network - t_start, "warmup": t_end - t_network, "total": t_end - t_start}
        """Seconds spent in construction: population and network (first pass, supplier draws), then warm-up rounds,
        burn-in and step-0 metrics (read by the benchmarks)."""

    @property
    def costs(self) -> LinkCosts:
        """The cost tables in force (``compile_costs`` of the policy state); setting them rebuilds ``tables``."""
        return self._costs

    @costs.setter
    def costs(self, value: LinkCosts) -> None:
        p = self.params
        self._costs = value
        self.tables = LinkTables(
            trade=trade_table(value),
            fixed=fixed_table(value, p["source_code_cost"] * self.money_scale),
            spending=spending_shares(self.demand_share, self.delta_s, value, p),
        )

    # ----------------------------------------------------------------------------------------------- public API
    step_stages: tuple[stages.Stage, ...] = stages.STEP
    """The stages of a step, in order (``simulator.model.stages``)."""

    def step(self) -> None:
        """Advance the model by one step: run ``step_stages`` in order (``self.steps`` was incremented by Mesa)."""
        t = self.steps
        # common random numbers: each step draws from its own stream, keyed by the model's seed and the step, so a
        # reform run stays aligned with its baseline even after the two have drawn different numbers of variates
        self.rng = np.random.default_rng([self.stream_key, t])
        self.collecting = t % self.metrics_every == 0 or t == self._run_end
        stages.run(self, self.step_stages)

    @property
    def local_price(self) -> np.ndarray:
        """Local hosting price per economy in the step's hosting choice (``hosting.HostingChoice``)."""
        return self.hosting_choice.local_price

    @property
    def unit_cost(self) -> np.ndarray:
        """Unit cost per firm slot in the step's hosting choice (``hosting.HostingChoice``)."""
        return self.hosting_choice.unit_cost

    def labour_demand(self) -> np.ndarray:
        """Labour demand per economy (``closure.labour_demand``)."""
        return closure.labour_demand(self)

    def supply_capability(self) -> np.ndarray:
        """The supply-side connectivity factor per firm slot (``connectivity.SupplyCapability``; read-only)."""
        return self.capability.values(self.firms, self.costs, self.params)

    def operating_cost(self) -> np.ndarray:
        """Fixed operating cost per economy × sector cell (0 before it is known).

        f × the cell's median initial revenue × the economy's wage relative to its initial wage (the cost is labour).

        Each firm pays its cell's: ``accounts.account_totals`` gathers it per slot (the same product as per slot).
        """
        if self.cell_scale is None:
            return np.zeros((self.n_economies, self.n_sectors))
        return self.params["fixed_operating_cost"] * self.cell_scale * (self.wage / self.wage0)[:, None]

    def remove_firms(self, dead: np.ndarray) -> None:
        """Remove the firms flagged in ``dead`` and all their links."""
        if not dead.any():
            return
        self.network.remove_firms(dead)
        self.firms.alive[dead] = False

    def add_firms(self, econ: np.ndarray, sect: np.ndarray, with_suppliers: bool) -> None:
        """Create firms of economies ``econ`` and sectors ``sect`` in free slots (growing the arrays if needed).

        With ``with_suppliers`` they are entrants of the step: born at the next step, with a first-step revenue
        that sets their first input purchases, and their first suppliers drawn.
        """
        p, f = self.params, self.firms
        free = np.flatnonzero(~f.alive)
        k = econ.size
        if free.size < k:
            extra = max(k - free.size, f.capacity // 4)
            f.grow(extra)
            self.network.grow(extra)
            self.entry_charges = np.concatenate([self.entry_charges, np.zeros(extra)])
            self.withdrawals = np.concatenate([self.withdrawals, np.zeros(extra)])
            self.exiting = np.concatenate([self.exiting, np.zeros(extra, bool)])
            self.prev_phi = np.concatenate([self.prev_phi, np.zeros(extra)])
            free = np.flatnonzero(~f.alive)
        slots = free[:k]
        f.alive[slots] = True
        f.uid[slots] = np.arange(self.next_uid, self.next_uid + k)
        self.next_uid += k
        f.economy[slots] = econ
        f.sector[slots] = sect
        f.phi[slots] = draw_productivity(self.rng, econ, self.tfp_scale, p["pareto_shape"])
        f.delta[slots] = draw_delta(self.rng, sect, self.delta_s, p["sigma_delta"])
        f.local_affinity[slots] = self.rng.logistic(0.0, p["hosting_taste_scale"], size=k)
        f.hosting[slots] = HostingMode.FOREIGN_CLOUD
        f.access[slots] = 1.0
        # an entrant's first intermediate purchases follow the median initial revenue of its own economy × sector
        # (the global median overstated it in small economies, where value added then came out negative)
        f.revenue[slots] = self.cell_scale[econ, sect] * closure.income_scale(self)[econ] if with_suppliers else 0.0
        f.profit[slots] = 0.0
        f.loss_streak[slots] = 0
        f.knowledge[slots] = 0.0
        f.born[slots] = self.steps + 1 if with_suppliers else 0
        f.withdrew[slots] = False
        f.weight[slots] = self.cell_weight[econ, sect]
        f.size[slots] = SizeClass.MICRO
        self.prev_phi[slots] = f.phi[slots]
        self.network.sup[slots] = -1
        self.network.add_markets(slots, econ, self.steps)
        if with_suppliers:
            markets.fill_suppliers(self, slots)

    # ------------------------------------------------------------------------------------------ prices and welfare
    def _reference_log_price(self) -> np.ndarray:
        """Log reference price ln P_ds^ref per economy × sector.

        The CES price index of the initial firms at marginal cost, with no trade or data costs.

        A policy-free reference (it depends on the seed's draws and the initial wages only), so real incomes of a
        baseline and a reform built from the same seed are measured in the same prices.
        """
        f, p = self.firms, self.params
        sigma = p["sigma"]
        a = f.alive
        price = sigma / (sigma - 1.0) * self.wage[f.economy[a]] / f.phi[a]
        cell = f.economy[a].astype(np.int64) * self.n_sectors + f.sector[a]
        n_cells = self.n_economies * self.n_sectors
        mass = np.bincount(cell, weights=f.weight[a] * price ** (1.0 - sigma), minlength=n_cells)
        with np.errstate(divide="ignore"):
            log_p = np.log(mass.reshape(self.n_economies, self.n_sectors)) / (1.0 - sigma)
        return np.where(np.isfinite(log_p), log_p, 0.0)

    def log_price_index(self) -> np.ndarray:
        """Log of P_d, the exact price index of economy d's final demand, ``(c,)``.

        Final demand is Cobb–Douglas over sectors (shares ``demand_share``) and, within a sector, over the open pool
        (share ``tradability``) and the home pool, each a CES aggregate whose exact index is P = (Σ ω p^(1−σ))^(1/(1−σ))
        over its sellers: ln P_d = Σ_s share_s (t_s ln P^open_ds + (1 − t_s) ln P^home_ds). An empty pool (no seller)
        contributes its reference level.
        """
        tr = self.trade
        t = self.tradability[None, :]
        ref = self.log_price_ref_cells
        with np.errstate(divide="ignore", invalid="ignore"):
            lo = np.log(tr.price_index)
            lh = np.log(tr.home_price_index)
        lo = np.where(np.isfinite(lo), lo, ref)
        lh = np.where(np.isfinite(lh), lh, ref)
        return (t * lo + (1.0 - t) * lh) @ self.demand_share

    def relative_price_index(self) -> np.ndarray:
        """P_d / P_d^ref per economy: the deflator of real income (``metrics``)."""
        return np.exp(self.log_price_index() - self.log_price_ref)

    def real_income(self) -> np.ndarray:
        """Real income per economy: nominal income over the exact price index relative to the reference."""
        return self.income / self.relative_price_index()

    def effective_productivity(self) -> np.ndarray:
        """φ̃ per slot: φ × (1 + ζ δ access) × connectivity and capability terms (every channel that lowers u)."""
        f, p = self.firms, self.params
        conn = self.supply_capability()
        if conn.size < f.capacity:
            conn = fit_to_capacity(conn, f.capacity)
        return f.phi * (1.0 + p["zeta"] * f.delta * f.access) * conn * f.alive

    def run(self, n_steps: int) -> DataFlowModel:
        """Run ``n_steps`` steps and return self (metrics of the last step are always collected)."""
        self._run_end = self.steps + int(n_steps)
        for _ in range(int(n_steps)):
            self.step()
        return self

    def metrics_frame(self) -> pd.DataFrame:
        """Return every metric collected so far as a tidy frame: step, metric, level, group, value."""
        return self.collector.frame()

    def firms_frame(self) -> pd.DataFrame:
        """Return the firms alive as a table (one row per firm)."""
        f = self.firms
        a = f.alive
        sectors = np.asarray(self.world.sector_codes)
        iso3 = np.asarray(self.world.iso3)
        return pd.DataFrame(
            {
                "uid": f.uid[a],
                "economy": iso3[f.economy[a]],
                "region": self.region_codes[self.region_of[f.economy[a]]],
                "sector": sectors[f.sector[a]],
                "size": pd.Categorical.from_codes(f.size[a], [s.name.lower() for s in SizeClass]),
                "productivity": f.phi[a],
                "data_intensity": f.delta[a],
                "hosting": pd.Categorical.from_codes(f.hosting[a], [h.name.lower() for h in HostingMode]),
                "cloud_ai_access": f.access[a],
                "revenue": f.revenue[a],
                "exports": fit_to_capacity(self.accounts.exports, f.capacity)[a],
                "profit": f.profit[a],
                "loss_streak": f.loss_streak[a],
                "knowledge": f.knowledge[a],
                "foreign_markets": fit_to_capacity(self.accounts.n_foreign_markets, f.capacity)[a].astype(int),
                "born": f.born[a],
                "weight": f.weight[a],
            }
        )

    # ------------------------------------------------------------------------------------------------- helpers
    def summary(self) -> dict[str, Any]:
        """A few headline numbers of the current state (for logs and quick checks)."""
        a = self.accounts
        return {
            "step": self.steps,
            "firms": self.firms.n_alive,
            "revenue": float(a.revenue.sum()),
            "exports": float(a.exports.sum()),
            "value_added": float(a.value_added.sum()),
        }


def simulate(
    world: World,
    schedule: PolicySchedule,
    params: Mapping[str, float] | None = None,
    n_firms: int = 2000,
    n_steps: int | None = None,
    seed: int | np.random.SeedSequence | None = None,
    behaviours: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Run one replicate and return its tidy metrics (the EMA-style ``run(config, seed) -> results``).

    Args:
        world: The world.
        schedule: The compiled policy path.
        params: Parameter overrides.
        n_firms: Number of firms.
        n_steps: Steps to run (default: the schedule's horizon).
        seed: Seed or ``SeedSequence`` (use the same one for a baseline and a reform: common random numbers).
        behaviours: Behaviour choices.
    """
    model = DataFlowModel(world, schedule, params=params, n_firms=n_firms, rng=seed, behaviours=behaviours)
    model.run(schedule.horizon if n_steps is None else n_steps)
    return model.metrics_frame()
