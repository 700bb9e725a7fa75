"""The idiomatic Mesa reference: the model's per-step rules written with one ``mesa.Agent`` per firm.

This is the honest baseline of the speed comparison (``run_benchmarks.py``). It does the same work per step as
``simulator.model.DataFlowModel`` (see ``benchmarks/README.md`` for what is reproduced and what is simplified), but
the way a Mesa model is usually written: every firm is a ``FirmAgent`` object with its own attributes (economy,
sector, productivity, data intensity, hosting mode, export markets, supplier slots, accounts) and methods, and
the step runs stages over the agents with ``AgentSet.shuffle_do``. CES markets are ``MarketAgent`` objects (one per
destination economy × sector) that collect the offers of the firms selling there; governments are the model's own
``Government`` agents.

Every agent stands for ``weight`` real firms (constant per economy × sector cell, ``population.cell_weights``): its
offers enter the CES masses and its sales the economy aggregates times its weight. Spending follows the model's
income closure (last step's income + unspent money + the published imbalance), a burn-in of ``burn_in_steps`` full
steps before step 0 calibrates wages and then labour endowments to the economies' GDP shares, wages clear labour
markets every step, and real income is nominal income over the exact CES price index of final demand.

What is *not* per-firm work is reused from the simulator, exactly as the vectorised model uses it: the world, the
compiled policy schedule, parameter values (``resolve_params``), the per-economy-pair cost tables
(``compile_costs``), the initial allocation of firms to economy × sector (``allocate``) and the cells' agent weights
(``cell_weights``), per-economy tables (sector spending shares, published trade balances, hosting prices, gravity
weights) and the parameters of the productivity and data-intensity distributions. The per-economy arithmetic of the
closure (spending, wage updates, price indices: vectors of one number per economy) is numpy; every sum over firms
that feeds it is a loop over the agents.

    from benchmarks.mesa_reference import MesaReferenceModel, measure_reference
    m = MesaReferenceModel(world, schedule, n_firms=1000, rng=1).run(5)
    m.datacollector.get_model_vars_dataframe()     # world-level metrics, one row per step (step 0 first)
"""

from __future__ import annotations

import math
import resource
import statistics
import sys
import time
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from itertools import accumulate
from pathlib import Path
from typing import Any

import mesa
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulator.model import hosting  # noqa: E402
from simulator.model.costs import COL, compile_costs, exposure_matrix  # noqa: E402
from simulator.model.government import Government  # noqa: E402
from simulator.model.model import MONEY_PER_USD, balance_shares, resolve_params  # noqa: E402
from simulator.model.network import gravity_cdf, gravity_decay  # noqa: E402
from simulator.model.population import (  # noqa: E402
    HostingMode,
    allocate,
    broadband_index,
    cell_weights,
    dds_capability,
    gdp_per_capita_index,
)
from simulator.model.trade import spending_shares  # noqa: E402
from simulator.world.policy import PolicySchedule  # noqa: E402
from simulator.world.world import World  # noqa: E402

TINY = float(np.finfo(float).tiny)
CLOUD, LOCAL, IN_HOUSE = int(HostingMode.FOREIGN_CLOUD), int(HostingMode.LOCAL), int(HostingMode.IN_HOUSE)
C_TAU, C_KAPPA, C_DEST = COL["tau"], COL["kappa"], COL["dest_storage"]
C_BAN, C_PAY, C_OPEN = COL["ban"], COL["payment"], COL["openness"]
C_FIXED, C_SC, C_FF, C_TRUST = COL["fixed"], COL["source_code"], COL["firm_fixed"], COL["trust"]

WORLD_METRICS: tuple[str, ...] = (
    "firm_count",
    "output",
    "revenue",
    "exports",
    "cross_border_share",
    "export_participation",
    "productivity",
    "productivity_growth",
    "innovating_share",
    "rd_intensity",
    "compliance_cost_share",
    "data_management_cost_share",
    "cloud_ai_access",
    "entry",
    "exit",
    "market_withdrawals",
    "withdrawn_share",
    "local_hosting_spend",
    "income",
    "real_income",
    "price_index",
)
"""World-level metrics the reference collects each step (same definitions as ``simulator.model.metrics``; the last
three are the model's extra metrics at world level)."""


class MarketAgent(mesa.Agent):
    """The CES market of one destination economy × sector: it aggregates the offers of the firms selling there.

    ``mass_open`` is Σ ω p^(1−σ) over every seller present in the destination (ω the seller's agent weight),
    ``mass_home`` the same over the destination's own firms (the home pool); demand is split between the two pools by
    the sector's tradability.
    """

    def __init__(self, model: MesaReferenceModel, economy: int, sector: int) -> None:
        super().__init__(model)
        self.economy = economy
        self.sector = sector
        self.e_open = 0.0
        self.e_home = 0.0
        self.mass_open = 0.0
        self.mass_home = 0.0
        self.price_index = math.nan
        self.home_price_index = math.nan

    def open_session(self, demand: float, tradability: float) -> None:
        """Start a step: set this step's final demand and forget last step's offers."""
        self.e_open = demand * tradability
        self.e_home = demand * (1.0 - tradability)
        self.mass_open = 0.0
        self.mass_home = 0.0

    def offer(self, x: float, weight: float, home: bool) -> None:
        """Receive one seller's offer x = p^(1−σ), made by each of the ``weight`` real firms its agent stands for."""
        xw = x * weight
        self.mass_open += xw
        if home:
            self.mass_home += xw

    def clear(self) -> None:
        """Compute the CES price indices of the open and home pools once every offer is in."""
        sigma = self.model.params["sigma"]
        self.price_index = self.mass_open ** (1.0 / (1.0 - sigma)) if self.mass_open > 0 else math.nan
        self.home_price_index = self.mass_home ** (1.0 / (1.0 - sigma)) if self.mass_home > 0 else math.nan

    def revenue(self, x: float, home: bool) -> float:
        """Revenue of one real firm offering x here: its CES share of the open pool (+ of the home pool at home)."""
        r = self.e_open * x / self.mass_open if self.mass_open > 0 else 0.0
        if home and self.mass_home > 0:
            r += self.e_home * x / self.mass_home
        return r

    def sold(self) -> float:
        """Final demand spent here: each pool's demand where it has a seller (unspent otherwise)."""
        return (self.e_open if self.mass_open > 0 else 0.0) + (self.e_home if self.mass_home > 0 else 0.0)


class FirmAgent(mesa.Agent):
    """One firm. Its ``step`` stages are run by the model in order over all firms (see ``MesaReferenceModel.step``).

    Attributes (state): economy, sector, weight (real firms the agent stands for), phi (productivity), delta (data
    intensity), hosting (mode), access, revenue (last step), profit (last step, after R&D), loss_streak, knowledge,
    born, withdrew, size, markets (destination → step entered; the home market always), suppliers (list of
    ``FirmAgent`` or ``None``, m slots). Money amounts (revenue, costs, profit, flows) are per real firm.
    """

    def __init__(self, model: MesaReferenceModel, economy: int, sector: int, revenue: float, born: int) -> None:
        super().__init__(model)
        p = model.params
        self.economy = economy
        self.sector = sector
        self.weight = model.cell_weight[economy][sector]
        self.phi = (1.0 - self.random.random()) ** (-1.0 / p["pareto_shape"]) * model.tfp_scale[economy]
        self.delta = min(model.delta_s[sector] * math.exp(self.random.gauss(0.0, 1.0) * p["sigma_delta"]), 1.0)
        u = self.random.random()  # the preference for hosting at home: Logistic(0, s_h) by the inverse CDF
        self.local_affinity = p["hosting_taste_scale"] * math.log(max(u, TINY) / max(1.0 - u, TINY))
        self.hosting = CLOUD
        self.access = 1.0
        self.revenue = revenue
        self.profit = 0.0
        self.loss_streak = 0
        self.knowledge = 0.0
        self.born = born
        self.withdrew = False
        self.size = 0
        self.alive = True
        self.markets: dict[int, int] = {economy: model.steps}
        self.suppliers: list[FirmAgent | None] = [None] * model.m
        self.entry_charge = 0.0
        self.withdrawals = 0
        self.prev_phi = self.phi
        self.reconsider = False
        self.exiting = False
        self.innovated = False
        self.rd = 0.0
        self.g_first = self.g_second = 0.0
        # the accounts of a step (``settle``) and the capability term (``choose_hosting``): none before a firm first
        # trades (the burn-in's last entrants are alive at step 0 without having traded)
        self.value_added = self.compliance = self.hosting_cost = self.hosting_fixed = self.fixed = 0.0
        self.acc_profit = self.local_hosting = 0.0
        self.conn_pow = 1.0
        self.core_cost = 0.0
        # the input price index of the last purchases (``source``): none before a firm first buys
        self.input_price: float | None = None
        self.input_factor = 1.0
        self._reset_accounts()

    # ------------------------------------------------------------------------------------------- trade stages
    def _reset_accounts(self) -> None:
        self.acc_revenue = 0.0
        self.exports = 0.0
        self.core = 0.0
        self.compliance_var = 0.0
        self.payment = 0.0
        self.dest_host = 0.0
        self.purchases = 0.0
        self.final_sales = 0.0
        self.served: set[int] = set()
        self.buyer_slots: list[tuple[FirmAgent, int]] = []
        self.links: list[list[Any]] = []
        self.slot_price: list[float] = [math.inf] * self.model.m
        self.slot_flow: list[float] = [0.0] * self.model.m
        self.slot_open: list[float] = [0.0] * self.model.m

    def terms(self, dest: int) -> tuple[float, float, float, float, float, bool, list[float]]:
        """Cost terms of selling to ``dest``: τ, compliance, payment, destination hosting, wedge, feasible, row."""
        m = self.model
        row = m.cost_rows[(self.economy * m.n_c + dest) * m.n_s + self.sector]
        d = self.delta
        comp = d * row[C_KAPPA]
        pay = row[C_PAY]
        dh = d * row[C_DEST] * m.local_price[dest]
        feasible = d * row[C_BAN] < m.ban_threshold
        return row[C_TAU], comp, pay, dh, comp + pay + dh, feasible, row

    def choose_hosting(self, draw: bool = True) -> None:
        """Stage 1: decide whether to reconsider (share ψ), choose a hosting mode, set the unit cost."""
        m, p = self.model, self.model.params
        self._reset_accounts()
        if draw:
            self.reconsider = self.random.random() < p["psi"]
        c, s = self.economy, self.sector
        move = m.home_move[c][s]
        copy = m.home_copy[c][s] * p["copy_hosting_share"]
        loc = m.local_price[c]
        cloud = p["h_cloud"] * m.telecom[c]
        transfer = (1 - move) * m.home_transfer[c][s]
        cost = ((1 - move) * cloud + (move + copy) * loc + transfer, loc, p["h_inhouse"] * m.telecom[c])
        quality = ((1 - move) + move * m.local_quality[c], m.local_quality[c], p["inhouse_quality"])
        fixed = (0.0, 0.0, p["inhouse_fixed"] * m.money_scale)
        if self.reconsider:
            var = self.delta * self.revenue * (m.sigma - 1) / m.sigma
            home = m.home_preference[c] + self.local_affinity  # lowers the loss of hosting at home
            best, best_loss = 0, math.inf
            for k in range(3):
                loss = var * (cost[k] - p["zeta"] * quality[k] - (home if k != CLOUD else 0.0)) + fixed[k]
                if loss < best_loss:
                    best, best_loss = k, loss
            self.hosting = best
        k = self.hosting
        self.h = self.delta * cost[k]
        self.home_comp = self.delta * transfer if k == CLOUD else 0.0
        if k == CLOUD:
            self.local_share = (move + copy) * loc / cost[0] if cost[0] > 0 else 0.0
        else:
            self.local_share = 1.0 if k == LOCAL else 0.0
        self.hosting_fixed = fixed[k]
        self.access = quality[k]
        conn = max(m.connectivity[c], TINY)
        conn_pow = (  # as model.py
            conn ** (m.chi_s * self.delta)
            * m.broadband[c] ** (m.chi_b * self.delta)
            * m.dds_capability[c][self.sector] ** self.delta
        )
        self.conn_pow = conn_pow
        phi_eff = self.phi * (1.0 + p["zeta"] * self.delta * self.access) * conn_pow
        self.core_cost = m.wage[c] * (1.0 + self.h) / phi_eff

    def input_log_factor(self) -> float | None:
        """ρ_in θ_s (ln P_in − ln R_cs) from the last purchases, or ``None`` without a known index or reference."""
        m = self.model
        ref = m.input_log_ref[self.economy][self.sector]
        if self.input_price is None or not self.input_price > 0 or ref is None:
            return None
        theta = m.params["input_price_pass_through"] * m.intermediate_share[self.sector]
        return theta * (math.log(self.input_price) - ref)

    def price_inputs(self, cell_mean: list[list[float]]) -> None:
        """Stage 1b: the unit cost is the core cost times the input factor (the cell's mean factor when unknown)."""
        x = self.input_log_factor()
        self.input_factor = math.exp(cell_mean[self.economy][self.sector] if x is None else x)
        self.unit_cost = self.core_cost * self.input_factor

    def offer(self) -> None:
        """Stage 2: price every market served and post the offer p^(1−σ) to its ``MarketAgent``."""
        m = self.model
        sigma = m.sigma
        for dest in self.markets:
            tau, comp, pay, dh, wedge, feasible, row = self.terms(dest)
            # buyers in dest compare the price adjusted for their trust in this firm's economy (× θ_ods)
            price = m.markup * self.unit_cost * tau * (1.0 + wedge) * row[C_TRUST]
            x = price ** (1.0 - sigma) if feasible else 0.0
            home = dest == self.economy
            market = m.markets[dest * m.n_s + self.sector]
            market.offer(x, self.weight, home)
            self.links.append([dest, x, tau, comp, pay, dh, feasible, market, 0.0])

    def sell(self) -> None:
        """Stage 4 (after the markets cleared): revenue of every final-market link."""
        for link in self.links:
            dest, x, _tau, comp, pay, dh, _feasible, market = link[:8]
            r = market.revenue(x, dest == self.economy)
            link[8] = r
            self.final_sales += max(r, 0.0)
            self.record_sale(r, dest, comp, pay, dh, r * self.weight)

    def record_sale(self, r: float, dest: int, comp: float, pay: float, dh: float, aggregate: float) -> None:
        """Book a sale of ``r`` per real firm to ``dest`` (a final market or a buyer there) into this firm's accounts.

        ``aggregate`` is the sale over all the real firms on both sides (the economies' exports and imports).
        """
        m = self.model
        self.acc_revenue += r
        if dest != self.economy:
            self.exports += r
            m.exports_c[self.economy] += aggregate
            m.imports_c[dest] += aggregate
            if r > 0:
                self.served.add(dest)
        vc = r * (m.sigma - 1.0) / m.sigma
        one_w = 1.0 + comp + pay + dh
        self.core += vc / one_w
        self.compliance_var += vc * comp / one_w
        self.payment += vc * pay / one_w
        dest_fee = vc * dh / one_w
        self.dest_host += dest_fee
        m.local_revenue[dest] += dest_fee * self.weight

    def source(self) -> None:
        """Stage 5: spend on intermediate inputs over the supplier slots (logit over log delivered prices).

        Per real firm, the spending is split ∝ ω_j q_j^(−1/μ) (the supplier agent's weight ω_j: a logit over the real
        firms it stands for); all ω_b real firms of this agent buy from the ω_j of the supplier, so each of those
        earns ω_b / ω_j times this firm's flow.
        """
        m = self.model
        spend = m.intermediate_share[self.sector] * (m.sigma - 1.0) / m.sigma * self.revenue
        weights = []
        for k, sup in enumerate(self.suppliers):
            if sup is None:
                weights.append(None)
                continue
            tau, comp, pay, dh, wedge, feasible, row = sup.terms(self.economy)
            q = m.markup * sup.unit_cost * tau * (1.0 + wedge) * row[C_TRUST]  # trust-adjusted
            w = math.exp(-math.log(q) / m.mu) * sup.weight if feasible else 0.0
            self.slot_price[k] = q if feasible else math.inf
            self.slot_open[k] = row[C_OPEN]
            sup.buyer_slots.append((self, k))
            weights.append((sup, w, comp, pay, dh))
        market = m.market_weight[self.economy]
        total = sum(x[1] for x in weights if x is not None) + market
        self.input_price = self.inclusive_price(total, market, weights, spend)
        if not total > 0:
            # no supplier can deliver: the inputs are still paid for, and the money is spent by the economy next step
            if spend > 0:
                self.purchases += spend
                m.unplaced_c[self.economy] += spend * self.weight
            return
        for k, item in enumerate(weights):
            if item is None:
                continue
            sup, w, comp, pay, dh = item
            flow = spend * w / total
            self.slot_flow[k] = flow
            self.purchases += flow
            sup.record_sale(flow * (self.weight / sup.weight), self.economy, comp, pay, dh, flow * self.weight)
        if market > 0 and spend > 0:
            # the share bought on the economy's market at large: spent by the economy next step
            bought = spend * market / total
            self.purchases += bought
            m.unplaced_c[self.economy] += bought * self.weight

    def inclusive_price(self, total: float, market: float, weights: list, spend: float) -> float | None:
        """The input price index of this purchase: the logit's inclusive value total^(−μ) when the market option is
        there; else the spending-weighted geometric mean of the delivered prices (``None`` if nothing is bought)."""
        m = self.model
        if spend <= 0:
            return None
        if market > 0:
            return math.exp(-m.mu * math.log(total))
        if not total > 0:
            return None
        acc = sum(w * math.log(self.slot_price[k]) for k, item in enumerate(weights) if item and (w := item[1]) > 0)
        return math.exp(acc / total)

    def settle(self) -> None:
        """Stage 6: firm accounts of the step (fixed costs, compliance, profit, value added, hosting)."""
        m, p = self.model, self.model.params
        ms = m.money_scale
        n_foreign = 0
        for link in self.links:
            if link[0] != self.economy:
                self.served.add(link[0])
                n_foreign += 1
        # fixed compliance once per foreign destination served (final market or buyers with a positive flow)
        fixed_compliance = 0.0
        rules = [0.0, 0.0]
        for dest in self.served:
            row = m.cost_rows[(self.economy * m.n_c + dest) * m.n_s + self.sector]
            fixed_compliance += self.delta * (row[C_FIXED] + p["source_code_cost"] * ms * row[C_SC])
            rules.append(row[C_FF])
        # per-firm fixed compliance: once, at the strictest rule among the destinations served
        rules.sort(reverse=True)
        self.g_first, self.g_second = rules[0], rules[1]
        fixed_compliance += self.delta * self.g_first
        self.n_foreign = n_foreign
        self.hosting_cost = self.core * (self.h - self.home_comp) / (1.0 + self.h)
        compliance_home = self.core * self.home_comp / (1.0 + self.h)
        self.fixed_compliance = fixed_compliance
        self.fixed = (
            m.operating_cost(self)
            + p["fixed_export_cost"] * ms * n_foreign
            + fixed_compliance
            + self.hosting_fixed
            + self.entry_charge
        )
        self.compliance = self.compliance_var + fixed_compliance + self.dest_host + compliance_home
        self.acc_profit = self.acc_revenue / m.sigma - self.fixed
        self.value_added = self.acc_revenue - self.purchases
        local = (self.hosting_cost + compliance_home) * self.local_share
        self.local_hosting = local + self.dest_host
        m.local_revenue[self.economy] += local * self.weight

    # --------------------------------------------------------------------------------------- innovation stages
    def innovate(self) -> None:
        """Stage 7: R&D from profit and one success draw from R&D and the knowledge stock (rule ``schumpeterian``)."""
        m, p = self.model, self.model.params
        self.prev_phi = self.phi
        w = p["absorb_cloud_weight"]
        ret = (1.0 - w + w * self.access) ** p["rd_access_elasticity"]
        self.rd = p["rho"] * max(self.acc_profit, 0.0) * ret
        # the R&D input: this step's R&D and the knowledge stock after it, E = (1 − γ_K) R + γ_K δ_K ((1 − δ_K) K + R)
        dep, gamma = p["knowledge_depreciation"], p["knowledge_stock_weight"]
        effective = (1.0 - gamma) * self.rd + gamma * dep * ((1.0 - dep) * self.knowledge + self.rd)
        intensity = effective / self.revenue if self.revenue > 0 else 0.0
        conn = max(m.connectivity[self.economy], TINY)
        absorb = conn ** p["absorb_connectivity"] * (1.0 - w + w * self.access)
        prob = 1.0 - math.exp(-p["theta"] * intensity * absorb)
        u = self.random.random()
        gain = self.random.expovariate(1.0) * p["gbar"]
        self.innovated = u < prob
        self.phi_new = self.phi * (1.0 + gain) if self.innovated else self.phi

    def absorb(self) -> None:
        """Stage 8: spillovers from suppliers, β Σ w_ij max(ln φ_j − ln φ_i, 0) open_ij (after every draw)."""
        total = sum(self.slot_flow)
        gain = 0.0
        if total > 0:
            own = math.log(max(self.phi_new, TINY))
            for k, sup in enumerate(self.suppliers):
                if sup is not None and self.slot_flow[k] > 0:
                    gap = math.log(max(sup.phi_new, TINY)) - own
                    if gap > 0:
                        gain += self.slot_flow[k] / total * gap * self.slot_open[k]
        self.phi_next = self.phi_new * math.exp(self.model.params["beta"] * gain)

    def update_state(self) -> None:
        """Stage 9: productivity, knowledge stock, profit after R&D, revenue and size class."""
        m, p = self.model, self.model.params
        self.knowledge = (1.0 - p["knowledge_depreciation"]) * self.knowledge + self.rd
        self.phi = self.phi_next
        self.profit = self.acc_profit - self.rd
        self.revenue = self.acc_revenue
        self.size = bisect_right(m.size_edges, self.revenue)
        self.entry_charge = 0.0
        self.withdrawals = 0

    # ------------------------------------------------------------------------------------------ network stages
    def market_fixed(self, dest: int) -> float:
        """Per-step fixed cost of serving ``dest`` (export + compliance + source-code disclosure)."""
        m, p = self.model, self.model.params
        row = m.cost_rows[(self.economy * m.n_c + dest) * m.n_s + self.sector]
        sc = p["source_code_cost"] * m.money_scale * row[C_SC]
        return p["fixed_export_cost"] * m.money_scale + self.delta * (row[C_FIXED] + sc)

    def firm_fixed_saving(self, dest: int) -> float:
        """Per-firm fixed compliance saved by leaving ``dest``: δ (G_first − G_second) if it is the strictest rule."""
        m = self.model
        g = m.cost_rows[(self.economy * m.n_c + dest) * m.n_s + self.sector][C_FF]
        return self.delta * (self.g_first - self.g_second) if g >= self.g_first else 0.0

    def firm_fixed_added(self, dest: int) -> float:
        """Per-firm fixed compliance added by entering ``dest``: δ max(G_od − G_first, 0)."""
        m = self.model
        g = m.cost_rows[(self.economy * m.n_c + dest) * m.n_s + self.sector][C_FF]
        return self.delta * max(g - self.g_first, 0.0)

    def revise_markets(self) -> None:
        """Stage 10: drop infeasible or (if reconsidering) unprofitable markets; try one gravity-drawn market."""
        m, p = self.model, self.model.params
        for link in self.links:
            dest, feasible, r = link[0], link[6], link[8]
            if dest == self.economy:
                continue
            if not feasible or (
                self.reconsider and r / m.sigma - self.market_fixed(dest) - self.firm_fixed_saving(dest) < 0
            ):
                del self.markets[dest]
                self.withdrawals += 1
                self.withdrew = True
        if not self.reconsider:
            return
        cdf = m.market_cdf[self.economy]
        if cdf[-1] <= 0:
            return
        dest = min(bisect_left(cdf, self.random.random()), m.n_c - 1)
        if dest in self.markets:
            return
        tau, *_, wedge, feasible, row = self.terms(dest)
        if not feasible:
            return
        x = (m.markup * self.unit_cost * tau * (1.0 + wedge) * row[C_TRUST]) ** (1.0 - m.sigma)
        market = m.markets[dest * m.n_s + self.sector]
        mass = market.mass_open + x * self.weight
        r_hat = market.e_open * x / mass if mass > 0 else 0.0
        if r_hat / m.sigma - self.market_fixed(dest) - self.firm_fixed_added(dest) > 0:
            self.markets[dest] = m.steps
            self.entry_charge += p["market_entry_cost"] * p["fixed_export_cost"] * m.money_scale

    def drop_foreign_buyers(self) -> None:
        """Stage 10b: a reconsidering supplier stops serving a foreign economy's buyers that do not pay its fixed cost.

        Per foreign buyer economy d where this firm has no final-market link: if its sales per real firm to buyers in
        d (Σ flow · buyer weight / own weight) / σ <
        δ (F_ods + source-code cost), its slots at those buyers are emptied and one withdrawal is counted.
        """
        if not self.reconsider or not self.buyer_slots:
            return
        m, p = self.model, self.model.params
        by_dest: dict[int, list[tuple[FirmAgent, int]]] = {}
        for buyer, k in self.buyer_slots:
            if buyer.economy != self.economy:
                by_dest.setdefault(buyer.economy, []).append((buyer, k))
        for dest, slots in by_dest.items():
            if dest in self.markets:
                continue
            fixed = self.market_fixed(dest) - p["fixed_export_cost"] * m.money_scale + self.firm_fixed_saving(dest)
            sales = sum(buyer.slot_flow[k] * buyer.weight / self.weight for buyer, k in slots)
            if fixed > 0 and sales / m.sigma < fixed:
                for buyer, k in slots:
                    buyer.suppliers[k] = None
                self.withdrawals += 1
                self.withdrew = True

    def revise_suppliers(self) -> None:
        """Stage 11: empty slots made infeasible; if reconsidering, try one candidate supplier."""
        m = self.model
        for k, sup in enumerate(self.suppliers):
            if sup is not None and self.slot_price[k] == math.inf:
                self.suppliers[k] = None
        if not self.reconsider:
            return
        cand = m.draw_supplier(self.economy, self.sector)
        if cand is None or cand is self or cand in self.suppliers:
            return
        if cand.declines(self):
            return
        tau, *_, wedge, feasible, row = cand.terms(self.economy)
        q = m.markup * cand.unit_cost * tau * (1.0 + wedge) * row[C_TRUST] if feasible else math.inf
        if None in self.suppliers:
            if q < math.inf:
                self.suppliers[self.suppliers.index(None)] = cand
            return
        worst, worst_q = 0, -math.inf
        for k in range(m.m):
            if self.slot_price[k] > worst_q:
                worst, worst_q = k, self.slot_price[k]
        if q < worst_q * (1.0 - m.params["switching_cost"]):
            self.suppliers[worst] = cand

    def fill_suppliers(self) -> None:
        """Draw m candidate suppliers (construction and entry); a duplicate, oneself or a candidate that declines
        (``declines``) leaves the slot empty."""
        chosen: list[FirmAgent | None] = []
        for _ in range(self.model.m):
            cand = self.model.draw_supplier(self.economy, self.sector)
            ok = cand is not None and cand is not self and not cand.declines(self)
            chosen.append(cand if ok and cand not in chosen else None)
        self.suppliers = chosen

    def declines(self, buyer: FirmAgent) -> bool:
        """Whether this firm, drawn as a supplier, declines ``buyer``: it does not serve the buyer's economy yet and
        the buyer's expected purchases (its input spending over m slots) do not pay that economy's fixed cost at the
        margin 1/σ (the vectorised ``markets.declines``)."""
        m, p = self.model, self.model.params
        served = getattr(self, "served", None)
        if served is None or self.economy == buyer.economy or buyer.economy in served:
            return False
        need = self.market_fixed(buyer.economy) - p["fixed_export_cost"] * m.money_scale
        spend = m.intermediate_share[buyer.sector] * (m.sigma - 1.0) / m.sigma * max(buyer.revenue, 0.0)
        return spend / (m.m * m.sigma) < need

    def forget_exited(self) -> None:
        """Empty the supplier slots of firms that exited."""
        self.suppliers = [s if s is not None and s.alive else None for s in self.suppliers]

    def check_exit(self) -> None:
        """Stage 12: update the loss streak; exit after K loss-making steps in a row."""
        self.loss_streak = self.loss_streak + 1 if self.profit < 0 else 0
        self.exiting = self.loss_streak >= int(self.model.params["exit_after"])


class MesaReferenceModel(mesa.Model):
    """The same economy as ``DataFlowModel``, with a ``FirmAgent`` per firm and ``shuffle_do`` stages.

    Construction builds the firms and their network as the model does, then runs ``burn_in_steps`` full steps
    under the initial policy (``_burn_in``: wages calibrated in the first half, labour markets clearing in the
    second) before step 0 is recorded.

    Args:
        world: The world.
        schedule: The compiled policy path.
        params: Parameter overrides (name → value); defaults from ``PARAMETERS``.
        n_firms: Number of firms at construction.
        rng: Seed of the model.
    """

    firm_class: type[FirmAgent] = FirmAgent
    """Agent class of the firms (a subclass changes a rule, e.g. for the test that the comparison can fail)."""

    def __init__(
        self,
        world: World,
        schedule: PolicySchedule,
        params: Mapping[str, float] | None = None,
        n_firms: int = 1000,
        rng: int | None = None,
    ) -> None:
        super().__init__(rng=rng)
        self.world = world
        self.schedule = schedule
        self.params = p = resolve_params(params, world.calibration)
        self.sigma = p["sigma"]
        self.markup = self.sigma / (self.sigma - 1.0)
        self.mu = p["mu"]
        self.chi_s = p["connectivity_supply_elasticity"]
        self.chi_b = p["broadband_supply_elasticity"]
        self.ban_threshold = p["ban_dependence_threshold"]
        self.m = int(p["suppliers_per_firm"])
        self.n_c, self.n_s = len(world.iso3), len(world.sector_codes)
        self._stream_key = int(self.rng.integers(2**62))

        self.policy = schedule.initial.copy()
        self.governments = [
            Government(self, i, code, tuple(e for e in schedule.events if e.economy == i))
            for i, code in enumerate(world.iso3)
        ]
        for g in self.governments:
            g.apply(0)
        self.exposure = exposure_matrix(world)
        sectors = world.sectors
        self.delta_s = sectors["data_intensity"].to_numpy(dtype=float).tolist()
        self.demand_share = sectors["demand_share"].to_numpy(dtype=float)
        self.tradability = sectors["tradability"].to_numpy(dtype=float).tolist()
        self.intermediate_share = sectors["intermediate_share"].to_numpy(dtype=float).tolist()
        # supplier search: dist_do^−γ · a_ss' on the (buyer cell, supplier cell) axes (a table of the world, reused)
        decay = gravity_decay(world.distance_km, p["gamma"])
        n_cells = len(world.iso3) * len(world.sector_codes)
        self.supplier_affinity = (decay[:, None, :, None] * world.input_matrix[None, :, None, :]).reshape(
            n_cells, n_cells
        )
        self.input_log_ref: list[list[float | None]] = [[None] * len(world.sector_codes) for _ in world.iso3]
        self.input_ref_frozen = False
        self.gdp_usd = world.economies["gdp_usd"].to_numpy(dtype=float)
        self.gdp_share = self.gdp_usd / self.gdp_usd.sum()
        self.balance_share = balance_shares(world)
        gdppc = gdp_per_capita_index(world)
        broadband = broadband_index(world, p["broadband_offset"])
        self.broadband = broadband.tolist()
        self.dds_capability = dds_capability(world, p).tolist()
        self.tfp_scale = (gdppc ** p["tfp_gdppc_elasticity"] * broadband ** p["tfp_broadband_elasticity"]).tolist()
        self.wage = (gdppc ** p["wage_gdppc_elasticity"]).tolist()
        self.wage0 = list(self.wage)
        # the income closure (per-economy vectors): spending of the first pass is GDP, then income (see ``_advance``)
        self.income = self.gdp_usd * MONEY_PER_USD * schedule.step_years
        self.income0 = self.income.copy()
        self.carry = np.zeros(self.n_c)
        self.spending = self.income.copy()
        self.balance = np.zeros(self.n_c)
        self.debt = np.zeros(self.n_c)
        self.labour: np.ndarray | None = None
        self.trade_ref: np.ndarray | None = None
        self.trade_volume = np.zeros(self.n_c)
        self.omega = 1.0
        self.market_cdf = gravity_cdf(self.gdp_usd, world.distance_km, p["gamma"], exclude_home=True).tolist()
        # the preference for hosting at home is set at the initial cost tables (the money unit does not enter it)
        self.hosting_market = hosting.initial_market(world, compile_costs(world, self.policy, p, self.exposure, 1.0), p)
        self.home_preference = self.hosting_market.preference.tolist()
        self.markets = [MarketAgent(self, d, s) for d in range(self.n_c) for s in range(self.n_s)]

        self.cell_target = allocate(world, n_firms, p)
        self.cell_weight = cell_weights(world, self.cell_target).tolist()
        self.money_scale = 1.0
        self.cell_scale: list[list[float]] | None = None
        self._compile()
        for c, s in zip(*np.nonzero(self.cell_target), strict=True):
            for _ in range(int(self.cell_target[c, s])):
                self.firm_class(self, int(c), int(s), revenue=0.0, born=0)
        self.firms = self.agents_by_type[self.firm_class]
        self.log_price_ref_cells = self._reference_log_price()
        self.log_price_ref = self.log_price_ref_cells @ self.demand_share

        # first pass: home sales only, to fix the money unit of fixed costs
        self._trade(draw=False, reconsider_all=True)
        revenues = [f.acc_revenue for f in self.firms]
        self.money_scale = float(statistics.median(revenues))
        self.cell_scale = self._cell_median()
        self._compile()
        for f in self.firms:
            f.revenue = f.acc_revenue
        self._build_supplier_index()
        self.firms.do("fill_suppliers")
        for _ in range(int(p["warmup_rounds"])):
            self._trade(draw=False, reconsider_all=True)
            for f in self.firms:
                f.revenue = f.acc_revenue
            self._build_supplier_index()
            self.firms.shuffle_do("revise_markets")
            self.firms.shuffle_do("revise_suppliers")
        for f in self.firms:
            f.entry_charge = 0.0
            f.withdrawals = 0
            f.withdrew = False
        self._trade(draw=False, reconsider_all=True)
        edges = [self.money_scale * p[k] for k in ("size_small", "size_medium", "size_large")]
        self.size_edges = edges
        for f in self.firms:
            f.revenue = f.acc_revenue
            f.size = bisect_right(edges, f.revenue)
            f.profit = f.acc_profit
            f.rd = 0.0
            f.innovated = False
            f.prev_phi = f.phi
        self._close_income()
        self.margin0 = self._cell_margin(default_nonpositive=True)
        self._burn_in()
        self.input_ref_frozen = True  # the reference input prices are fixed from step 0 on (``inputs.freeze``)
        self.datacollector = mesa.DataCollector(model_reporters={k: _reporter(k) for k in WORLD_METRICS})
        self._collect()

    # ------------------------------------------------------------------------------------------- model stages
    def _compile(self) -> None:
        """Compile the policy in force into the per-link cost tables (reused from the simulator)."""
        p = self.params
        self.costs = compile_costs(self.world, self.policy, p, self.exposure, self.money_scale)
        self.cost_rows = self.costs.packed.tolist()
        self.home_move = self.costs.home_move.tolist()
        self.home_copy = self.costs.home_copy.tolist()
        self.home_transfer = self.costs.home_transfer.tolist()
        self.telecom = self.costs.telecom.tolist()
        self.connectivity = self.costs.connectivity.tolist()

    def _trade(self, draw: bool, reconsider_all: bool = False) -> None:
        """Hosting choice, offers, market clearing, sales, intermediate sourcing and accounts of one step.

        Final demand of each economy × sector is this step's spending times the sector's spending share.
        """
        p = self.params
        depth = hosting.effective_depth(self.hosting_market, self.costs, p)
        self.local_price = hosting.market_price(self.hosting_market, self.costs, p).tolist()
        self.local_quality = hosting.local_quality(depth).tolist()
        self.local_revenue = [0.0] * self.n_c
        self.exports_c = [0.0] * self.n_c
        self.imports_c = [0.0] * self.n_c
        self.unplaced_c = [0.0] * self.n_c
        demand = (self.spending[:, None] * spending_shares(self.demand_share, self.delta_s_arr, self.costs, p)).ravel()
        for market in self.markets:
            market.open_session(
                float(demand[market.economy * self.n_s + market.sector]), self.tradability[market.sector]
            )
        if reconsider_all:
            for f in self.firms:
                f.reconsider = True
        self.firms.shuffle_do("choose_hosting", draw)
        self._price_inputs()
        self.firms.shuffle_do("offer")
        self.market_weight = self.home_market_weights()
        for market in self.markets:
            market.clear()
        self.firms.shuffle_do("sell")
        self.firms.shuffle_do("source")
        self.firms.shuffle_do("settle")
        # the economies each firm served in this pass (its market links and its buyers' economies): a supplier
        # declines new buyers elsewhere whose purchases would not pay the fixed cost (``FirmAgent.declines``)
        for f in self.firms:
            f.served = set(f.markets)
        for b in self.firms:
            for s in b.suppliers:
                if s is not None:
                    s.served.add(b.economy)

    def _price_inputs(self) -> None:
        """Inputs' prices enter unit costs: u' = u (P_in / R_cs)^(ρ_in θ_s) (``simulator.model.inputs``).

        R_cs, the weighted geometric mean of P_in over the cell's firms, follows the cells until the end of the
        burn-in and is then fixed; a firm without a known P_in takes its cell's mean factor.
        """
        cells = [[[0.0, 0.0] for _ in range(self.n_s)] for _ in range(self.n_c)]
        if not self.input_ref_frozen:
            for f in self.firms:
                if f.input_price is not None and f.input_price > 0:
                    acc = cells[f.economy][f.sector]
                    acc[0] += f.weight * math.log(f.input_price)
                    acc[1] += f.weight
            self.input_log_ref = [[a[0] / a[1] if a[1] > 0 else None for a in row] for row in cells]
        mean = [[[0.0, 0.0] for _ in range(self.n_s)] for _ in range(self.n_c)]
        for f in self.firms:
            x = f.input_log_factor()
            if x is not None:
                acc = mean[f.economy][f.sector]
                acc[0] += f.weight * x
                acc[1] += f.weight
        cell_mean = [[a[0] / a[1] if a[1] > 0 else 0.0 for a in row] for row in mean]
        self.firms.do("price_inputs", cell_mean)

    def home_market_weights(self) -> list[float]:
        """W_d per economy: the logit weight of d's market at large in its buyers' choice of inputs.

        ν typical suppliers' worth (mean agent weight of d's firms) at the CES mean of d's firms' prices at home,
        adjusted for the trust of d's buyers in them (× θ_dds).
        """
        nu, sigma = self.params["market_sourcing_weight"], self.sigma
        mass, real, agents = [0.0] * self.n_c, [0.0] * self.n_c, [0] * self.n_c
        for f in self.firms:
            if not 0.0 < f.unit_cost < math.inf:
                continue  # not priced yet
            theta = self.cost_rows[(f.economy * self.n_c + f.economy) * self.n_s + f.sector][C_TRUST]
            mass[f.economy] += f.weight * (f.unit_cost * theta) ** (1.0 - sigma)
            real[f.economy] += f.weight
            agents[f.economy] += 1
        out = [0.0] * self.n_c
        for d in range(self.n_c):
            if nu > 0 and agents[d] > 0 and mass[d] > 0:
                pbar = self.markup * (mass[d] / real[d]) ** (1.0 / (1.0 - sigma))
                out[d] = nu * real[d] / agents[d] * math.exp(-math.log(pbar) / self.mu)
        return out

    @property
    def delta_s_arr(self) -> np.ndarray:
        return np.asarray(self.delta_s)

    def operating_cost(self, firm: FirmAgent) -> float:
        """Fixed operating cost of ``firm``: f × the median initial revenue of its cell × its wage / initial wage."""
        if self.cell_scale is None:
            return 0.0
        c = firm.economy
        return self.params["fixed_operating_cost"] * self.cell_scale[c][firm.sector] * (self.wage[c] / self.wage0[c])

    def _build_supplier_index(self) -> None:
        """Per economy × sector cell, the firms with final sales and their cumulative weights ω (final sales)^α_s;
        per buyer cell (d, s), the CDF over supplier cells (o, s') ∝ M_os' · dist_do^−γ · a_ss' (input affinity).

        Firms born after the current step count as having no sales (the model's ``supplier_weights`` rule; it matters
        only in the burn-in, whose entrants are born at step 1 while the step counter stays at 0).
        """
        alpha = self.params["supplier_size_exponent"]
        t = self.steps
        n_cells = self.n_c * self.n_s
        members: list[list[FirmAgent]] = [[] for _ in range(n_cells)]
        weights: list[list[float]] = [[] for _ in range(n_cells)]
        for f in self.firms:
            if f.alive and f.final_sales > 0 and f.born <= t:
                cell = f.economy * self.n_s + f.sector
                members[cell].append(f)
                weights[cell].append(f.final_sales**alpha * f.weight)
        self.sup_members = members
        self.sup_cum = [list(accumulate(w)) for w in weights]
        mass = np.array([cum[-1] if cum else 0.0 for cum in self.sup_cum])
        w = self.supplier_affinity * mass[None, :]
        total = w.sum(axis=1, keepdims=True)
        self.sup_cdf = np.cumsum(np.divide(w, total, out=np.zeros_like(w), where=total > 0), axis=1).tolist()

    def draw_supplier(self, economy: int, sector: int) -> FirmAgent | None:
        """One candidate supplier for a buyer of ``sector`` in ``economy``: a cell by gravity × input affinity, then
        a firm ∝ weight."""
        cdf = self.sup_cdf[economy * self.n_s + sector]
        if cdf[-1] <= 0:
            return None
        src = min(bisect_left(cdf, self.random.random()), len(cdf) - 1)
        cum = self.sup_cum[src]
        if not cum:
            return None
        pos = min(bisect_right(cum, self.random.random() * cum[-1]), len(cum) - 1)
        return self.sup_members[src][pos]

    def _cells(self) -> dict[tuple[int, int], list[FirmAgent]]:
        cells: dict[tuple[int, int], list[FirmAgent]] = {}
        for f in self.firms:
            cells.setdefault((f.economy, f.sector), []).append(f)
        return cells

    def _cell_median(self) -> list[list[float]]:
        """Median revenue of the firms per economy × sector (the overall median for empty cells)."""
        cells = self._cells()
        overall = statistics.median([f.acc_revenue for f in self.firms])
        return [
            [
                statistics.median([f.acc_revenue for f in cells[(c, s)]]) if (c, s) in cells else overall
                for s in range(self.n_s)
            ]
            for c in range(self.n_c)
        ]

    def _cell_sums(self) -> tuple[list[list[float]], list[list[float]]]:
        """Σ profit and Σ revenue per cell of the firms alive."""
        prof = [[0.0] * self.n_s for _ in range(self.n_c)]
        rev = [[0.0] * self.n_s for _ in range(self.n_c)]
        for f in self.firms:
            prof[f.economy][f.sector] += f.profit
            rev[f.economy][f.sector] += f.revenue
        return prof, rev

    def _reference_margin(self, prof: list[list[float]], rev: list[list[float]]) -> list[list[float]]:
        """margin⁰ per cell from summed profit and revenue: 1/σ without revenue or when not positive, at least
        ``entry_margin_floor`` / σ where positive."""
        default = 1.0 / self.sigma
        floor = self.params["entry_margin_floor"] / self.sigma
        out = [[default] * self.n_s for _ in range(self.n_c)]
        for c in range(self.n_c):
            for s in range(self.n_s):
                if rev[c][s] > 0:
                    margin = prof[c][s] / rev[c][s]
                    out[c][s] = max(margin, floor) if margin > 0 else default
        return out

    def _cell_margin(self, default_nonpositive: bool) -> list[list[float]]:
        """Σ profit / Σ revenue per cell (1/σ without revenue); with ``default_nonpositive`` the reference margin."""
        prof, rev = self._cell_sums()
        if default_nonpositive:
            return self._reference_margin(prof, rev)
        out = [[1.0 / self.sigma] * self.n_s for _ in range(self.n_c)]
        for c in range(self.n_c):
            for s in range(self.n_s):
                if rev[c][s] > 0:
                    out[c][s] = prof[c][s] / rev[c][s]
        return out

    def step(self) -> None:
        """One step: policy, costs, labour markets, then ``_advance`` (the economy, metrics collected)."""
        t = self.steps
        self.random.seed(self._stream_key * 1_000_003 + t)
        self.rng = np.random.default_rng([self._stream_key, t])
        if sum(g.apply(t) for g in self.governments):
            self._compile()
        self._clear_labour_markets()
        self._advance(collect=True)

    def _advance(self, collect: bool, absorption: bool = False) -> None:
        """Spending, trade, income, innovation, network, exit, metrics, entry, hosting market (the model's order).

        With ``absorption`` (first third of the burn-in), spending is the published absorption instead of income.
        """
        p = self.params
        if absorption:
            world = float(self.income.sum() + self.carry.sum())
            self.balance = self.balance_share * world
            self.spending = world * self.gdp_share + self.balance
            self.debt = np.zeros(self.n_c)
        else:
            self._set_spending()
        self._trade(draw=True)
        self._close_income()
        self.firms.shuffle_do("innovate")
        self.firms.shuffle_do("absorb")
        self.firms.shuffle_do("update_state")
        self._build_supplier_index()
        self.firms.shuffle_do("revise_markets")
        self.firms.shuffle_do("drop_foreign_buyers")
        self.firms.shuffle_do("revise_suppliers")
        self.firms.shuffle_do("check_exit")
        if collect:
            self._collect()
        exiting = [f for f in self.firms if f.exiting]
        for f in exiting:
            f.alive = False
            f.remove()
        if exiting:
            self.firms.do("forget_exited")
        self._entry(self.steps)
        firm_rev = [0.0] * self.n_c
        for f in self.firms:
            firm_rev[f.economy] += f.revenue * f.weight
        hosting.update_depth(self.hosting_market, np.asarray(self.local_revenue), np.asarray(firm_rev), p)

    def _entry(self, t: int) -> None:
        """Entrants per cell ~ Poisson(e · max(S − n, 0)), S = n⁰ · max(margin, 0) / margin⁰."""
        p = self.params
        margin = self._cell_margin(default_nonpositive=False)
        count = [[0] * self.n_s for _ in range(self.n_c)]
        rev = [[0.0] * self.n_s for _ in range(self.n_c)]
        for f in self.firms:
            count[f.economy][f.sector] += 1
            rev[f.economy][f.sector] += f.revenue
        new: list[FirmAgent] = []
        for c in range(self.n_c):
            for s in range(self.n_s):
                base = self.margin0[c][s]
                mg = margin[c][s] if rev[c][s] > 0 else base
                support = float(self.cell_target[c, s]) * max(mg, 0.0) / base
                lam = p["entry_rate"] * max(support - count[c][s], 0.0)
                k = int(self.rng.poisson(lam)) if lam > 0 else 0
                for _ in range(k):
                    scale = max(float(self.income[c]), 0.0) / self.income0[c] if self.income0[c] > 0 else 0.0
                    new.append(self.firm_class(self, c, s, revenue=self.cell_scale[c][s] * scale, born=t + 1))
        if new:
            self._build_supplier_index()
            for f in new:
                f.fill_suppliers()

    def run(self, n_steps: int) -> MesaReferenceModel:
        """Run ``n_steps`` steps and return self."""
        for _ in range(int(n_steps)):
            self.step()
        return self

    # -------------------------------------------------------------------------------------------- income closure
    def _burn_in(self) -> None:
        """``burn_in_steps`` full steps under the initial policy before step 0 (as ``DataFlowModel._burn_in``).

        Three phases: wages calibrated toward GDP shares under the published absorption (the first third; the mean
        labour demand of its last quarter is the labour endowment), then the income closure and the labour-market
        tâtonnement with the endowments calibrated toward GDP shares (up to the last quarter), then nothing calibrated
        (the last quarter, whose mean trade is the reference trade of the imbalance rule). Income shares are smoothed
        over steps (weight ½). Then every firm counts as born at step 0, withdrawals are forgotten and margin⁰ is each
        cell's margin over the settling steps.
        """
        n = int(self.params["burn_in_steps"])
        n_wage = n // 3
        n_settle = max(1, n // 4) if n > 0 else 0
        labour: list[np.ndarray] = []
        trade: list[np.ndarray] = []
        settle_profit = [[0.0] * self.n_s for _ in range(self.n_c)]
        settle_revenue = [[0.0] * self.n_s for _ in range(self.n_c)]
        self._share_avg = self.income / self.income.sum()
        for b in range(n):
            self.random.seed(f"{self._stream_key}:burn-in:{b}")
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
            share = np.maximum(self.income, 0.0) / max(float(self.income.sum()), TINY)
            self._share_avg = 0.5 * self._share_avg + 0.5 * share
            if b < n_wage and b >= n_wage - max(1, n_wage // 4):
                labour.append(self.labour_demand())
            if b >= n - n_settle:
                trade.append(self.trade_volume)
                prof, rev = self._cell_sums()
                for c in range(self.n_c):
                    for s in range(self.n_s):
                        settle_profit[c][s] += prof[c][s]
                        settle_revenue[c][s] += rev[c][s]
        if self.labour is None:
            self.labour = self.labour_demand()
        self.trade_ref = np.mean(trade, axis=0) if trade else self.trade_volume.copy()
        for f in self.firms:
            f.born = 0
            f.withdrew = False
            f.withdrawals = 0
            f.entry_charge = 0.0
            f.exiting = False
            f.prev_phi = f.phi
            for dest in f.markets:
                f.markets[dest] = 0
        if n_settle > 0:
            self.margin0 = self._reference_margin(settle_profit, settle_revenue)
        else:
            self.margin0 = self._cell_margin(default_nonpositive=True)
        self.random.seed(f"{self._stream_key}:burn-in:{n}")
        self.rng = np.random.default_rng([self._stream_key, 0, n])
        if n > 0:
            # one trade pass with no hosting reconsidered: the accounts of step 0 for every firm alive
            for f in self.firms:
                f.reconsider = False
            self._set_spending()
            self._trade(draw=False)
            self._close_income()
            for f in self.firms:
                f.revenue = f.acc_revenue
                f.size = bisect_right(self.size_edges, f.revenue)
                f.profit = f.acc_profit
                f.rd = 0.0
                f.innovated = False

    def _share_step(self) -> np.ndarray:
        """(smoothed income share / GDP share)^λ_b, the ratio clipped to [0.5, 2], GDP-weighted geometric mean 1."""
        ratio = np.clip(self._share_avg / self.gdp_share, 0.5, 2.0)
        step = ratio ** self.params["wage_calibration_rate"]
        return step / np.exp(np.sum(self.gdp_share * np.log(step)))

    def _calibrate_wages(self) -> None:
        """Burn-in: w_d ← w_d (s_Y,d / s_GDP,d)^λ_b (``_share_step``)."""
        self.wage = (np.asarray(self.wage) * self._share_step()).tolist()

    def _calibrate_labour(self) -> None:
        """Burn-in: L_d ← L_d / (s_Y,d / s_GDP,d)^λ_b, so that labour-market clearing lands on the GDP shares."""
        self.labour = self.labour / self._share_step()

    def labour_demand(self) -> np.ndarray:
        """(income − Σ ω profit) / wage per economy: the wage bill its firms paid, in wage units."""
        profit = np.zeros(self.n_c)
        for f in self.firms:
            profit[f.economy] += f.profit * f.weight
        return np.maximum(self.income - profit, 0.0) / np.asarray(self.wage)

    def _clear_labour_markets(self) -> None:
        """w_d ← w_d (LD_d / L_d)^λ, then wages, income and unspent money rescaled so that Σ w L is unchanged."""
        if self.labour is None:
            return
        ld = self.labour_demand()
        wage = np.asarray(self.wage)
        ratio = np.divide(ld, self.labour, out=np.ones_like(ld), where=self.labour > 0)
        trial = wage * np.clip(ratio, 0.5, 2.0) ** self.params["wage_adjustment_rate"]
        omega = float(np.sum(trial * self.labour) / np.sum(wage * self.labour))
        self.omega = omega
        self.wage = (trial / omega).tolist()
        self.income = self.income / omega
        self.carry = self.carry / omega

    def _set_spending(self) -> None:
        """E_d = income_d + unspent_d + B_d, B_d the published imbalance scaled by trade and to Σ B = 0."""
        world = float(self.income.sum())
        raw = self.balance_share * world
        if self.trade_ref is not None:
            g = np.divide(
                self.trade_volume, self.trade_ref, out=np.zeros_like(self.trade_ref), where=self.trade_ref > 0
            )
            raw = raw * np.minimum(g, 1.0)
        raw = np.maximum(raw, -0.5 * self.income)
        pos, neg = raw[raw > 0].sum(), -raw[raw < 0].sum()
        if pos > 0 and neg > 0:
            raw = np.where(raw > 0, raw * min(1.0, neg / pos), raw * min(1.0, pos / neg))
        else:
            raw = np.zeros_like(raw)
        self.balance = raw
        spending = self.income + self.carry + raw
        self.debt = np.minimum(spending, 0.0)  # an economy with negative income and money spends nothing
        self.spending = spending - self.debt

    def _close_income(self) -> None:
        """Income = Σ ω value added per economy; trade = exports + imports.

        Final demand not sold and intermediate spending that no supplier could take are carried to the next step.
        """
        income = np.zeros(self.n_c)
        for f in self.firms:
            income[f.economy] += f.value_added * f.weight
        sold = np.zeros(self.n_c)
        for market in self.markets:
            sold[market.economy] += market.sold()
        self.income = income
        self.carry = self.spending - sold + np.asarray(self.unplaced_c) + self.debt
        self.trade_volume = np.asarray(self.exports_c) + np.asarray(self.imports_c)

    # ------------------------------------------------------------------------------------------ prices and welfare
    def _reference_log_price(self) -> np.ndarray:
        """ln P_ds^ref: the CES index of the initial firms at marginal cost without trade or data costs, ``(c, s)``."""
        sigma = self.sigma
        mass = np.zeros((self.n_c, self.n_s))
        for f in self.firms:
            price = self.markup * self.wage[f.economy] / f.phi
            mass[f.economy, f.sector] += f.weight * price ** (1.0 - sigma)
        with np.errstate(divide="ignore"):
            log_p = np.log(mass) / (1.0 - sigma)
        return np.where(np.isfinite(log_p), log_p, 0.0)

    def relative_price_index(self) -> np.ndarray:
        """P_d / P_d^ref: Σ_s share_s (t_s ln P^open_ds + (1 − t_s) ln P^home_ds), an empty pool at its reference."""
        log_p = np.zeros(self.n_c)
        for market in self.markets:
            c, s = market.economy, market.sector
            ref = self.log_price_ref_cells[c, s]
            lo = math.log(market.price_index) if market.mass_open > 0 else ref
            lh = math.log(market.home_price_index) if market.mass_home > 0 else ref
            t = self.tradability[s]
            log_p[c] += self.demand_share[s] * (t * lo + (1.0 - t) * lh)
        return np.exp(log_p - self.log_price_ref)

    # ------------------------------------------------------------------------------------------------ metrics
    def _collect(self) -> None:
        """World-level metrics of the current step, one pass over the firms (definitions of ``metrics.py``).

        Every per-firm quantity enters times the agent's weight (counts are counts of real firms); productivity is the
        effective φ̃ weighted by positive value added. Income, real income and the price index are the model's extra
        metrics at world level: Σ income, Σ income_d / P_d and their ratio.
        """
        t = self.steps
        zeta = self.params["zeta"]
        sums = dict.fromkeys(
            (
                "firms",
                "revenue",
                "exports",
                "exporter",
                "value_added",
                "output_weight",
                "phi_output",
                "log_growth",
                "innovated",
                "rd",
                "compliance_facing",
                "dm_facing",
                "cost_facing",
                "access_w",
                "delta",
                "entrants",
                "exits",
                "withdrawals",
                "withdrew",
                "local_hosting",
            ),
            0.0,
        )
        for f in self.firms:
            w = f.weight
            sums["firms"] += w
            sums["revenue"] += f.acc_revenue * w
            sums["exports"] += f.exports * w
            if f.exports > 0:
                sums["exporter"] += w
            sums["value_added"] += f.value_added * w
            if f.value_added > 0:
                va = f.value_added * w
                sums["output_weight"] += va
                sums["phi_output"] += f.phi * (1.0 + zeta * f.delta * f.access) * f.conn_pow * va
            if f.prev_phi > 0:
                sums["log_growth"] += math.log(f.phi / f.prev_phi) * w
            if f.innovated:
                sums["innovated"] += w
            sums["rd"] += f.rd * w
            if f.compliance > 0:
                sums["compliance_facing"] += f.compliance * w
                sums["dm_facing"] += (f.compliance + f.hosting_cost + f.hosting_fixed) * w
                sums["cost_facing"] += (f.acc_revenue - f.acc_revenue / self.sigma + f.fixed) * w
            sums["access_w"] += f.access * f.delta * w
            sums["delta"] += f.delta * w
            if f.born == t and t > 0:
                sums["entrants"] += w
            if f.exiting:
                sums["exits"] += w
            sums["withdrawals"] += f.withdrawals * w
            if f.withdrew:
                sums["withdrew"] += w
            sums["local_hosting"] += f.local_hosting * w
        real = float(np.sum(self.income / self.relative_price_index()))
        income = float(self.income.sum())

        def ratio(a: str, b: str) -> float:
            return sums[a] / sums[b] if sums[b] > 0 else math.nan

        self.world_metrics = {
            "firm_count": sums["firms"],
            "output": sums["value_added"],
            "revenue": sums["revenue"],
            "exports": sums["exports"],
            "cross_border_share": ratio("exports", "revenue"),
            "export_participation": ratio("exporter", "firms"),
            "productivity": ratio("phi_output", "output_weight"),
            "productivity_growth": ratio("log_growth", "firms"),
            "innovating_share": ratio("innovated", "firms"),
            "rd_intensity": ratio("rd", "revenue"),
            "compliance_cost_share": ratio("compliance_facing", "cost_facing"),
            "data_management_cost_share": ratio("dm_facing", "cost_facing"),
            "cloud_ai_access": ratio("access_w", "delta"),
            "entry": sums["entrants"],
            "exit": sums["exits"],
            "market_withdrawals": sums["withdrawals"],
            "withdrawn_share": ratio("withdrew", "firms"),
            "local_hosting_spend": sums["local_hosting"],
            "income": income,
            "real_income": real,
            "price_index": income / real if real > 0 else math.nan,
        }
        self.datacollector.collect(self)

    def firm_table(self) -> dict[str, np.ndarray]:
        """Firm-level columns of the firms alive (productivity, revenue, data intensity, exports, economy, sector)."""
        firms = list(self.firms)
        return {
            "productivity": np.array([f.phi for f in firms]),
            "revenue": np.array([f.revenue for f in firms]),
            "data_intensity": np.array([f.delta for f in firms]),
            "exports": np.array([f.exports for f in firms]),
            "economy": np.array([f.economy for f in firms]),
            "sector": np.array([f.sector for f in firms]),
        }

    def n_links(self) -> int:
        """Market links (home included) + filled supplier slots."""
        return sum(len(f.markets) + sum(s is not None for s in f.suppliers) for f in self.firms)


def _reporter(name: str) -> Any:
    return lambda model: model.world_metrics[name]


def peak_rss_mb() -> float:
    """Peak resident set size of this process, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure_reference(n_firms: int, n_steps: int, seed: int) -> dict[str, float]:
    """Build and run the Mesa reference once on the full world (baseline policy); return timings and sizes.

    Same protocol and keys as ``benchmarks.measure.measure_model`` (``impl`` = ``"mesa"``).
    """
    from simulator.world import baseline_state, load_world

    world = load_world()
    schedule = PolicySchedule(baseline_state(world), horizon=n_steps)
    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    model = MesaReferenceModel(world, schedule, n_firms=n_firms, rng=seed)
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    model.run(n_steps)
    run_s = time.perf_counter() - t1
    rss_after = peak_rss_mb()
    return {
        "impl": "mesa",
        "firms": n_firms,
        "steps": n_steps,
        "build_s": build_s,
        "run_s": run_s,
        "step_ms": 1000 * run_s / n_steps,
        "firm_steps_per_s": n_firms * n_steps / run_s,
        "firms_alive_end": len(model.firms),
        "links_end": model.n_links(),
        "peak_rss_mb": rss_after,
        "bytes_per_firm": (rss_after - rss_before) * 2**20 / n_firms,
        "mesa": mesa.__version__,
    }
