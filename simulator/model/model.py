"""``DataFlowModel``: the Mesa model that ties the mechanisms together, and the pure ``simulate`` entry point."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np
import pandas as pd

from simulator.model import entry_exit, hosting, markets, metrics
from simulator.model.accounts import Accounts, firm_accounts
from simulator.model.behaviours import resolve
from simulator.model.costs import LinkCosts, compile_costs, exposure_matrix, fixed_table
from simulator.model.government import Government
from simulator.model.innovation import InnovationResult, firm_update
from simulator.model.network import Network, empty_network
from simulator.model.numerics import alive_sums
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
    size_class_compiled,
)
from simulator.model.trade import (
    TradeResult,
    final_demand,
    market_option,
    spending_shares,
    trade_step,
    trade_table,
)
from simulator.scenario.parameters import PARAMETERS
from simulator.world.policy import PolicySchedule, PolicyState
from simulator.world.world import World

logger = logging.getLogger(__name__)

MONEY_PER_USD = 1e-9
"""Model money unit: billions of USD (a unit choice, not a behavioural number)."""


def resolve_params(params: Mapping[str, float] | None) -> dict[str, float]:
    """Return the defaults of ``PARAMETERS`` overridden by ``params``, checked against the declarations.

    Raises:
        KeyError: A name is not declared.
        ValueError: A value is outside its declared range.
    """
    out = PARAMETERS.defaults()
    for name, value in (params or {}).items():
        if name not in PARAMETERS:
            raise KeyError(f"unknown parameter {name!r}")
        problem = PARAMETERS[name].check(float(value))
        if problem:
            raise ValueError(f"parameter {name!r} = {value!r}: expected {problem}")
        out[name] = float(value)
    return out


class DataFlowModel(mesa.Model):
    """Agent-based model of firms trading over a network under data rules.

    Governments are Mesa agents (one per economy); firms are a vectorised population (``Firms``) of weighted agents.
    One call of ``step()`` runs: policy events → cost compilation → wages and spending (the income closure) → hosting
    choice → trade → income → innovation → network dynamics → exit → metrics → entry → local hosting market.

    Construction builds the population and the network, then runs a burn-in of ``burn_in_steps`` full steps under
    the initial policy (no events), in which wages are solved so that each economy's income share matches its GDP
    share; the labour endowments are then fixed and step 0 is recorded. ``copy.deepcopy`` of a built model is a
    valid starting point for any scenario sharing its initial policy state.

    Args:
        world: The world.
        schedule: The compiled policy path (initial state plus dated events).
        params: Parameter overrides (name → value); defaults from ``PARAMETERS``.
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
        self.params = resolve_params(params)
        self.n_firms = int(n_firms)
        self.behaviours = dict(behaviours or {})
        self.metrics_every = int(metrics_every)
        self._setup()

    # ------------------------------------------------------------------------------------------------ construction
    def _setup(self) -> None:
        world, p = self.world, self.params
        t_start = time.perf_counter()
        self._stream_key = int(self.rng.integers(np.iinfo(np.int64).max))
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
        self.wage = gdppc ** p["wage_gdppc_elasticity"]
        self.wage0 = self.wage.copy()
        # the income closure: spending of the first pass is GDP (the initial condition), then income (see ``step``)
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
        """The last numeraire revaluation ω (``_clear_labour_markets``)."""
        self.region_codes, self.region_of = np.unique(
            world.economies["region"].astype(str).to_numpy(), return_inverse=True
        )

        self.cell_target = allocate(world, self.n_firms, p)
        self.cell_weight = cell_weights(world, self.cell_target)
        econ, sect = np.nonzero(self.cell_target)
        counts = self.cell_target[econ, sect]
        n = int(counts.sum())
        self.firms: Firms = empty_firms(n)
        self._next_uid = 0
        self.network: Network = empty_network(n, int(p["suppliers_per_firm"]))
        self.money_scale = 1.0
        self.costs: LinkCosts = compile_costs(world, self.policy, p, self.exposure, self.money_scale)
        self.market = hosting.initial_market(world, p)
        self._entry_charges = np.zeros(n)
        self._withdrawals = np.zeros(n)
        self._add_firms(np.repeat(econ, counts), np.repeat(sect, counts), with_suppliers=False)
        self.log_price_ref_cells = self._reference_log_price()
        self.log_price_ref = self.log_price_ref_cells @ self.demand_share

        # first pass: home sales only, to fix the money unit of fixed costs
        self._compute_trade(reconsider=self.firms.alive.copy())
        rev0 = self.accounts.revenue
        self.money_scale = float(np.median(rev0[self.firms.alive]))
        self.cell_scale = entry_exit.cell_median(self.firms, rev0, self.cell_target.shape)
        self.costs = compile_costs(world, self.policy, p, self.exposure, self.money_scale)
        self.firms.revenue = self.accounts.revenue.copy()
        alive = np.flatnonzero(self.firms.alive)
        markets.fill_suppliers(self, alive)
        t_network = time.perf_counter()
        for _ in range(int(p["warmup_rounds"])):
            self._compute_trade(reconsider=self.firms.alive.copy())
            self.firms.revenue = self.accounts.revenue.copy()
            markets.update_markets(self, self.firms.alive.copy())
            markets.update_suppliers(self, self.firms.alive.copy())
        self._entry_charges[:] = 0.0
        self._withdrawals[:] = 0.0
        self.firms.withdrew[:] = False
        self._compute_trade(reconsider=self.firms.alive.copy())
        self.firms.revenue = self.accounts.revenue.copy()
        self.firms.size = size_class(self.firms.revenue, self.money_scale, p)
        self.firms.profit = self.accounts.profit.copy()
        self._close_income()
        self.margin0 = entry_exit.cell_margin(self)
        self.innovation = InnovationResult(
            phi=self.firms.phi.copy(), innovated=np.zeros(self.firms.capacity, bool), rd=np.zeros(self.firms.capacity)
        )
        self.prev_phi = self.firms.phi.copy()
        self.exiting = np.zeros(self.firms.capacity, bool)
        self._run_end = -1
        self._burn_in()
        self.collector = metrics.MetricsCollector(self)
        self.collector.collect(self)
        t_end = time.perf_counter()
        self.build_timings = {"network": t_network - t_start, "warmup": t_end - t_network, "total": t_end - t_start}
        """Seconds spent in construction: population and network (first pass, supplier draws), then warm-up rounds,
        burn-in and step-0 metrics (read by the benchmarks)."""

    # ----------------------------------------------------------------------------------------------- public API
    def step(self) -> None:
        """Advance the model by one step (``self.steps`` has already been incremented by Mesa)."""
        t = self.steps
        # common random numbers: each step draws from its own stream, keyed by the model's seed and the step, so a
        # reform run stays aligned with its baseline even after the two have drawn different numbers of variates
        self.rng = np.random.default_rng([self._stream_key, t])
        # governments decide (their ``government_policy`` behaviour may add events of their own, from this step on),
        # then those with events apply the ones dated this step
        self.rules["government_policy"](self)
        changed = sum(g.apply(t) for g in self.governments if g.events)
        if changed:
            self.costs = compile_costs(self.world, self.policy, self.params, self.exposure, self.money_scale)
        collect = t % self.metrics_every == 0 or t == self._run_end
        self._clear_labour_markets()
        self._advance(collect)

    def _advance(self, collect: bool, absorption: bool = False) -> None:
        """One step of the economy after policy and wages: spending, trade, income, innovation, network, exit, entry.

        With ``collect``, the metrics of the step are recorded (the accounts pass then also sums the links). With
        ``absorption`` (first third of the burn-in), spending is the published absorption instead of income.
        """
        p, f = self.params, self.firms
        self.prev_phi = f.phi.copy()
        reconsider = f.alive & (self.rng.random(f.capacity) < p["psi"])
        if absorption:
            world = float(self.income.sum() + self.carry.sum())
            self.balance = self.balance_share * world
            self.spending = world * self.gdp_share + self.balance
            self.debt = np.zeros(self.n_economies)
        else:
            self._set_spending()
        # the metrics' link sums are by-products of the accounts pass, computed on the steps that collect
        self._compute_trade(reconsider, link_metrics=collect)
        self._close_income()
        self.innovation = self.rules["innovation"](self)
        # knowledge (1 − depreciation) K + rd, φ where alive, profit π − rd and revenue: one compiled pass
        f.knowledge, f.phi, f.profit, f.revenue = firm_update(
            f.arrays(),
            self.innovation.rd,
            self.innovation.phi,
            self.accounts.profit,
            self.accounts.revenue,
            keep=1.0 - p["knowledge_depreciation"],
        )
        f.size = size_class_compiled(f.revenue, self.money_scale, p)
        self._entry_charges[:] = 0.0
        self._withdrawals[:] = 0.0
        markets.update_markets(self, reconsider)
        markets.withdraw_from_foreign_buyers(self, reconsider)
        markets.update_suppliers(self, reconsider)
        self.exiting = entry_exit.update_exits(f, p)
        if collect:
            self.collector.collect(self)
        self._remove(self.exiting)
        n_new = entry_exit.entrants(self)
        if n_new.sum() > 0:
            econ, sect = np.nonzero(n_new)
            k = n_new[econ, sect]
            self._add_firms(np.repeat(econ, k), np.repeat(sect, k), with_suppliers=True)
        firm_rev = alive_sums(f.economy, f.revenue * f.weight, f.alive, self.n_economies)
        hosting.update_depth(self.market, self.accounts.local_hosting_revenue, firm_rev, p)

    # ------------------------------------------------------------------------------------------ income closure
    def _burn_in(self) -> None:
        """Bring the baseline to a steady state before step 0, under the initial policy (no events are applied).

        ``burn_in_steps`` full steps in three phases:

        1. *Wages* (the first third): spending is the published absorption, E_d = Σ income · (GDP share_d + b_d), and
           each wage moves toward the level at which the economy's income share is its GDP share. The mean labour
           demand of the phase's last quarter becomes the labour endowment L_d.
        2. *Endowments* (up to the last quarter): the income closure is on (``_set_spending``), wages clear labour
           markets (``_clear_labour_markets``), and each L_d moves toward the level at which the income share is the
           GDP share (more labour at a given wage bill means a lower wage and more sales).
        3. *Settling* (the last quarter): nothing is calibrated; the mean trade of these steps is the reference
           trade T_d^ref of the imbalance rule.

        Income shares in the calibration are smoothed over steps (an exponential average with weight ½) so that one
        firm's good or bad step does not move an economy's wage. The step counter stays at 0: entrants of the burn-in,
        born at step 1, are drawn as suppliers from step 0 on (letting the counter run left export participation
        ≈ 0.54 at step 0 drifting to 0.46 over ten years, against ≈ 0.42–0.43 and steady). Counters are then reset
        (every firm alive counts as born at step 0), the reference margins of entry are the cells' margins over the
        settling steps (``entry_exit.reference_margin``: one step's margin was at the mercy of a bad step), and one
        trade pass with no hosting reconsidered gives every firm alive, the burn-in's last entrants included, the
        accounts of step 0.
        """
        p = self.params
        n = int(p["burn_in_steps"])
        n_wage = n // 3
        n_settle = max(1, n // 4) if n > 0 else 0
        labour, trade = [], []
        settle_profit, settle_revenue = 0.0, 0.0
        self._share_avg = self.income / self.income.sum()
        for b in range(n):
            self.rng = np.random.default_rng([self._stream_key, 0, b])
            if b < n_wage:
                self._calibrate_wages()
            else:
                if self.labour is None:
                    self.labour = np.mean(labour, axis=0) if labour else self.labour_demand()
                if b < n - n_settle:
                    self._calibrate_labour()
                self._clear_labour_markets()
            self._advance(collect=False, absorption=b < n_wage)
            share = np.maximum(self.income, 0.0) / max(float(self.income.sum()), np.finfo(float).tiny)
            self._share_avg = 0.5 * self._share_avg + 0.5 * share
            if b < n_wage and b >= n_wage - max(1, n_wage // 4):
                labour.append(self.labour_demand())
            if b >= n - n_settle:
                trade.append(self.trade_volume)
                prof, rev = entry_exit.cell_sums(self)
                settle_profit, settle_revenue = settle_profit + prof, settle_revenue + rev
        if self.labour is None:
            self.labour = self.labour_demand()
        self.trade_ref = np.mean(trade, axis=0) if trade else self.trade_volume.copy()
        f = self.firms
        f.born[f.alive] = 0
        f.withdrew[:] = False
        self.network.mk_born[:] = 0
        self._withdrawals[:] = 0.0
        self._entry_charges[:] = 0.0
        self.exiting = np.zeros(f.capacity, bool)
        if n_settle > 0:
            shape = (self.n_economies, self.n_sectors)
            self.margin0 = entry_exit.reference_margin(settle_profit, settle_revenue, shape, p)
        else:
            self.margin0 = entry_exit.cell_margin(self)
        self.prev_phi = f.phi.copy()
        self.rng = np.random.default_rng([self._stream_key, 0, n])
        if n > 0:
            self._set_spending()
            self._compute_trade(reconsider=np.zeros(f.capacity, bool))
            self._close_income()
            f.revenue = self.accounts.revenue.copy()
            f.profit = self.accounts.profit.copy()
            f.size = size_class(f.revenue, self.money_scale, self.params)
            self.innovation = InnovationResult(
                phi=f.phi.copy(), innovated=np.zeros(f.capacity, bool), rd=np.zeros(f.capacity)
            )

    def _share_step(self) -> np.ndarray:
        """(smoothed income share / GDP share)^λ_b, the ratio clipped to [0.5, 2], GDP-weighted geometric mean 1."""
        ratio = np.clip(self._share_avg / self.gdp_share, 0.5, 2.0)
        step = ratio ** self.params["wage_calibration_rate"]
        return step / np.exp(np.sum(self.gdp_share * np.log(step)))

    def _calibrate_wages(self) -> None:
        """Burn-in only: move each wage toward the level at which the economy's income share is its GDP share.

        w_d ← w_d · (s_Y,d / s_GDP,d)^λ_b (``_share_step``); an economy that earns less than its GDP share becomes
        cheaper and sells more. This is the baseline calibration of the closure (the data's GDP shares are
        reproduced, as in exact-hat-algebra trade models), not a policy response.
        """
        self.wage = self.wage * self._share_step()

    def _calibrate_labour(self) -> None:
        """Burn-in only: L_d ← L_d / (s_Y,d / s_GDP,d)^λ_b, so that labour-market clearing lands on the GDP shares."""
        self.labour = self.labour / self._share_step()

    def labour_demand(self) -> np.ndarray:
        """Labour demand per economy: (income − profits) / wage, the wage bill its firms paid, in wage units."""
        f = self.firms
        profit = alive_sums(f.economy, f.profit * f.weight, f.alive, self.n_economies)
        return np.maximum(self.income - profit, 0.0) / self.wage

    def _clear_labour_markets(self) -> None:
        """Wages respond to excess labour demand: w_d ← w_d · (LD_d / L_d)^λ, then the numeraire is restored.

        The numeraire is the world wage bill at the endowments, Σ w_d L_d (held at its burn-in value): wages are
        rescaled by ω = Σ w̃ L / Σ w L, and last step's income and unspent money are expressed in the new unit
        (divided by ω), so world nominal income in numeraire units responds to policy.
        """
        if self.labour is None:
            return
        ld = self.labour_demand()
        ratio = np.divide(ld, self.labour, out=np.ones_like(ld), where=self.labour > 0)
        trial = self.wage * np.clip(ratio, 0.5, 2.0) ** self.params["wage_adjustment_rate"]
        omega = float(np.sum(trial * self.labour) / np.sum(self.wage * self.labour))
        self.omega = omega
        self.wage = trial / omega
        self.income = self.income / omega
        self.carry = self.carry / omega

    def _set_spending(self) -> None:
        """E_d = income_d + unspent_d + B_d: last step's income and money not spent, plus the trade imbalance.

        B_d = b_d · g_d · Σ income, with b_d the published deficit share of world income (``balance_shares``) and
        g_d = min(1, T_d / T_d^ref) the economy's trade relative to the burn-in (a deficit cannot be financed
        without trade); positive and negative B are then scaled to the smaller side so that Σ B_d = 0. Spending is
        at least half of income.
        """
        world = float(self.income.sum())
        raw = self.balance_share * world
        if self.trade_ref is not None:
            ref = self.trade_ref
            g = np.divide(self.trade_volume, ref, out=np.zeros_like(ref), where=ref > 0)
            raw = raw * np.minimum(g, 1.0)
        raw = np.maximum(raw, -0.5 * self.income)
        raw = cancel_imbalances(raw)
        self.balance = raw
        spending = self.income + self.carry + raw
        # an economy whose income and money are negative cannot spend: it spends nothing and carries the debt
        self.debt = np.minimum(spending, 0.0)
        self.spending = spending - self.debt

    def _close_income(self) -> None:
        """After trade: income_d = Σ weight · value added of d's firms; what was not spent is carried.

        Spending not sold and intermediate spending no supplier could take are carried to the next step. Also keeps
        the economy's trade volume (exports + imports) for the imbalance rule.
        """
        f, tr = self.firms, self.trade
        self.income = alive_sums(f.economy, self.accounts.value_added * f.weight, f.alive, self.n_economies)
        self.carry = self.spending - tr.final_sales_by_cell.sum(axis=1) + tr.unplaced_inputs + self.debt
        self.trade_volume = tr.exports_by_economy + tr.imports_by_economy

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
        conn = self._conn_pow()
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

    # ------------------------------------------------------------------------------------------- mechanisms
    def _compute_trade(self, reconsider: np.ndarray, link_metrics: bool = False) -> None:
        """Hosting choice (for ``reconsider`` firms), prices, trade and accounts of the current step.

        With ``link_metrics``, the accounts also carry the per-link sums the metrics collect (``metrics.link_sums``).
        """
        p, f, c = self.params, self.firms, self.costs
        depth = hosting.effective_depth(self.market, c, p)
        lp = hosting.local_price(depth, c, p)
        # hosting options, choice (reconsidering firms) and unit costs in one compiled pass
        conn_pow = self._conn_pow()
        h, local_share, fixed, home_comp, unit_cost = hosting.hosting_step(
            f.arrays(),
            reconsider,
            hosting.hosting_options(c, lp, depth, p),
            conn_pow,
            self.wage,
            inhouse_quality=p["inhouse_quality"],
            inhouse_fixed=p["inhouse_fixed"] * self.money_scale,
            zeta=p["zeta"],
            sigma=p["sigma"],
        )
        trade_tab, fixed_tab = self._link_tables()
        demand = self._final_demand()
        self.demand = demand
        self.local_price = lp
        self.unit_cost = unit_cost
        self.trade: TradeResult = trade_step(
            f,
            self.network,
            c,
            demand,
            unit_cost,
            lp,
            self.tradability,
            self.intermediate_share,
            f.revenue,
            p,
            table=trade_tab,
            market=market_option(f, unit_cost, self.n_economies, p),
        )
        self.accounts: Accounts = firm_accounts(
            f,
            self.trade,
            c,
            h,
            local_share,
            fixed,
            self._entry_charges,
            self._operating_cost(),
            p,
            self.money_scale,
            hosting_compliance=home_comp,
            region_of=self.region_of if link_metrics else None,
            fixed_tab=fixed_tab,
        )

    def _link_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """``trade.trade_table`` and ``trade.fixed_table`` of the cost tables in force.

        Both are kept until the tables are recompiled (or the source-code cost in model money changes).
        """
        c = self.costs
        amount = self.params["source_code_cost"] * self.money_scale
        cache = getattr(self, "_link_tables_cache", None)
        if cache is None or cache[0] is not c or cache[1] is not c.packed or cache[2] != amount:
            cache = (c, c.packed, amount, trade_table(c), fixed_table(c, amount))
            self._link_tables_cache = cache
        return cache[3], cache[4]

    def _final_demand(self) -> np.ndarray:
        """``trade.final_demand`` of this step's spending under the cost tables in force (read-only for its users).

        The sector shares depend only on the world, the cost tables, η and the connectivity demand elasticity: kept
        until one of them changes (the tables are recompiled only when policy changes).
        """
        c, p = self.costs, self.params
        key = (p["eta"], p["connectivity_demand_elasticity"])
        cache = getattr(self, "_spending_shares_cache", None)
        if cache is None or cache[0] is not c or cache[1] != key:
            cache = (c, key, spending_shares(self.demand_share, self.delta_s, c, p))
            self._spending_shares_cache = cache
        return final_demand(self.spending, cache[2])

    def _conn_pow(self) -> np.ndarray:
        """Supply-side capability of data-intensive firms per slot: internet use^(χ_s δ) · broadband^(χ_B δ) · K^δ.

        K is the digital-services capability of the firm's region for services firms (``dds_capability_lac``,
        ``dds_capability_africa``; 1 elsewhere and for goods firms).

        Kept between steps and recomputed only for the slots whose economy, sector or δ changed (entrants), or in full
        when the cost tables, the elasticities or the capacity change; element by element the same numbers.
        """
        p, f, c = self.params, self.firms, self.costs
        chi_s, chi_b = p["connectivity_supply_elasticity"], p["broadband_supply_elasticity"]
        conn = np.maximum(c.connectivity, np.finfo(float).tiny)

        def compute(econ: np.ndarray, sector: np.ndarray, delta: np.ndarray) -> np.ndarray:
            return (
                conn[econ] ** (chi_s * delta)
                * self.broadband[econ] ** (chi_b * delta)
                * self.dds_capability[econ, sector] ** delta
            )

        cache = getattr(self, "_conn_pow_cache", None)
        if (
            cache is None
            or cache["costs"] is not c
            or cache["chi"] != (chi_s, chi_b)
            or cache["economy"].shape != f.economy.shape
        ):
            cache = {
                "costs": c,
                "chi": (chi_s, chi_b),
                "economy": f.economy.copy(),
                "sector": f.sector.copy(),
                "delta": f.delta.copy(),
                "value": compute(f.economy, f.sector, f.delta),
            }
            self._conn_pow_cache = cache
            return cache["value"]
        stale = np.flatnonzero(
            (f.economy != cache["economy"]) | (f.sector != cache["sector"]) | (f.delta != cache["delta"])
        )
        if stale.size:
            cache["value"][stale] = compute(f.economy[stale], f.sector[stale], f.delta[stale])
            cache["economy"][stale] = f.economy[stale]
            cache["sector"][stale] = f.sector[stale]
            cache["delta"][stale] = f.delta[stale]
        return cache["value"]

    def _operating_cost(self) -> np.ndarray:
        """Fixed operating cost per economy × sector cell (0 before it is known).

        f × the cell's median initial revenue × the economy's wage relative to its initial wage (the cost is labour).

        Each firm pays its cell's: ``accounts.account_totals`` gathers it per slot (the same product as per slot).
        """
        scale = getattr(self, "cell_scale", None)
        if scale is None:
            return np.zeros((self.n_economies, self.n_sectors))
        return self.params["fixed_operating_cost"] * scale * (self.wage / self.wage0)[:, None]

    def _remove(self, dead: np.ndarray) -> None:
        """Remove the firms flagged in ``dead`` and all their links."""
        if not dead.any():
            return
        self.network.remove_firms(dead)
        self.firms.alive[dead] = False

    def _add_firms(self, econ: np.ndarray, sect: np.ndarray, with_suppliers: bool) -> None:
        """Create firms of economies ``econ`` and sectors ``sect`` in free slots (growing the arrays if needed)."""
        p, f = self.params, self.firms
        free = np.flatnonzero(~f.alive)
        k = econ.size
        if free.size < k:
            extra = max(k - free.size, f.capacity // 4)
            f.grow(extra)
            self.network.grow(extra)
            self._entry_charges = np.concatenate([self._entry_charges, np.zeros(extra)])
            self._withdrawals = np.concatenate([self._withdrawals, np.zeros(extra)])
            if hasattr(self, "exiting"):
                self.exiting = np.concatenate([self.exiting, np.zeros(extra, bool)])
            if hasattr(self, "prev_phi"):
                self.prev_phi = np.concatenate([self.prev_phi, np.zeros(extra)])
            free = np.flatnonzero(~f.alive)
        slots = free[:k]
        f.alive[slots] = True
        f.uid[slots] = np.arange(self._next_uid, self._next_uid + k)
        self._next_uid += k
        f.economy[slots] = econ
        f.sector[slots] = sect
        f.phi[slots] = draw_productivity(self.rng, econ, self.tfp_scale, p["pareto_shape"])
        f.delta[slots] = draw_delta(self.rng, sect, self.delta_s, p["sigma_delta"])
        f.hosting[slots] = HostingMode.FOREIGN_CLOUD
        f.access[slots] = 1.0
        # an entrant's first intermediate purchases follow the median initial revenue of its own economy × sector
        # (the global median overstated it in small economies, where value added then came out negative)
        f.revenue[slots] = self.cell_scale[econ, sect] * self._income_scale()[econ] if with_suppliers else 0.0
        f.profit[slots] = 0.0
        f.loss_streak[slots] = 0
        f.knowledge[slots] = 0.0
        f.born[slots] = self.steps + 1 if with_suppliers else 0
        f.withdrew[slots] = False
        f.weight[slots] = self.cell_weight[econ, sect]
        f.size[slots] = SizeClass.MICRO
        if hasattr(self, "prev_phi"):
            self.prev_phi[slots] = f.phi[slots]
        self.network.sup[slots] = -1
        self.network.add_markets(slots, econ, self.steps)
        if with_suppliers:
            markets.fill_suppliers(self, slots)

    # ------------------------------------------------------------------------------------------------- helpers
    def _income_scale(self) -> np.ndarray:
        """Each economy's income relative to its income at construction (entrants' first-step revenue scales with it).

        0 where income is not positive: an entrant's first input purchases then cannot exceed what its economy earns.
        """
        return np.divide(
            np.maximum(self.income, 0.0), self.income0, out=np.zeros(self.n_economies), where=self.income0 > 0
        )

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


def balance_shares(world: World) -> np.ndarray:
    """b_d: each economy's published deficit on goods and services as a share of world GDP, ``(c,)``, Σ b_d = 0.

    b_d = −(external balance, % of GDP)_d / 100 · GDP_d / Σ GDP, from the world column ``external_balance_pct_gdp``
    (WDI NE.RSB.GNFS.ZS) where the data have it; an economy without a value is balanced (0), and the column being
    absent makes every economy balanced. The positive and negative parts are scaled to the smaller side so that
    Σ b_d = 0 (the published balances of the modelled economies need not sum to zero).
    """
    econ = world.economies
    gdp = econ["gdp_usd"].to_numpy(dtype=float)
    if "external_balance_pct_gdp" not in econ:
        return np.zeros(gdp.size)
    pct = econ["external_balance_pct_gdp"].to_numpy(dtype=float)
    raw = np.where(np.isfinite(pct), -pct / 100.0, 0.0) * gdp / gdp.sum()
    return cancel_imbalances(raw)


def cancel_imbalances(raw: np.ndarray) -> np.ndarray:
    """Scale the positive and the negative imbalances to the smaller side's total, so that they sum to 0.

    All zero when one side is empty (no deficit can exist without a surplus).
    """
    pos, neg = raw[raw > 0].sum(), -raw[raw < 0].sum()
    if pos <= 0 or neg <= 0:
        return np.zeros_like(raw)
    return np.where(raw > 0, raw * min(1.0, neg / pos), raw * min(1.0, pos / neg))


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
