"""The step as an ordered list of named stages.

One call of ``DataFlowModel.step`` runs ``STEP`` in order, each stage a function of the model. A stage that is a
*behaviour* calls the rule the run chose for its kind (``model.rules[kind]``, see ``simulator.model.registry``); the
others are the model's accounting (labour markets, spending, accounts, income, metrics), which keeps the identities
every behaviour relies on. Read top to bottom, the list below is the model's step::

    government_policy   governments decide (behaviour)               government.py, behaviours.py
    policy_events       events dated this step apply; costs recompiled   costs.py
    labour_markets      wages clear labour markets                    closure.py
    reconsideration     which firms revise their choices this step    (here)
    spending            spending from last step's income              closure.py
    hosting_choice      hosting mode and unit costs (behaviour)       hosting.py
    input_costs         inputs' delivered prices enter unit costs     inputs.py
    trade               prices and flows (behaviour trade_choice)     trade.py
    accounts            firm accounts from the flows                  accounts.py
    income              income from value added, money carried        closure.py
    innovation          R&D and productivity draws (behaviour)        innovation.py
    firm_update         knowledge, productivity, profit, size         innovation.py, population.py
    markets             export markets dropped and searched (behaviour market_search)   markets.py
    foreign_buyers      suppliers leave foreign buyers that do not pay   markets.py
    suppliers           supplier search and switching (behaviour supplier_search)   markets.py
    exit                who exits (behaviour)                          entry_exit.py
    metrics             the step's metrics (on collecting steps)       metrics/
    departures          exiting firms and their links removed          network.py
    entry               entrants per economy × sector (behaviour)      entry_exit.py
    hosting_market      local hosting capacity follows local demand    hosting.py

The burn-in (``closure.burn_in``) runs ``ECONOMY`` (everything after ``labour_markets``) with the calibration of
wages and endowments around it, and ``BURN_IN_WAGES`` (absorption instead of income as spending) in its first third.
A subclass may run other stages: ``with_stage`` inserts one (``simulator.experiment.channels.MaskedModel``).

State a stage leaves for the next ones is public on the model: ``reconsider``, ``hosting_choice``, ``demand``,
``input_prices``, ``trade``, ``accounts``, ``innovation``, ``exiting``, ``entry_charges`` and ``withdrawals``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulator.model import closure, hosting, inputs, markets
from simulator.model.accounts import firm_accounts
from simulator.model.costs import compile_costs
from simulator.model.innovation import firm_update as firm_update_kernel
from simulator.model.numerics import alive_sums
from simulator.model.population import size_class_compiled
from simulator.model.trade import final_demand

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel


@dataclass(frozen=True)
class Stage:
    """One named stage of the step.

    Attributes:
        name: Its name (unique within a step).
        run: What it does: ``run(model)``.
        kind: The behaviour kind it calls (``None`` for the model's accounting).
    """

    name: str
    run: Callable[[DataFlowModel], None]
    kind: str | None = None

    @property
    def summary(self) -> str:
        """The first line of its function's docstring."""
        doc = (self.run.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


def run(model: DataFlowModel, stages: Sequence[Stage]) -> None:
    """Run ``stages`` in order on ``model``."""
    for stage in stages:
        stage.run(model)


def with_stage(stages: Sequence[Stage], stage: Stage, after: str) -> tuple[Stage, ...]:
    """``stages`` with ``stage`` inserted after the stage named ``after``.

    Raises:
        KeyError: No stage is named ``after``.
    """
    names = [s.name for s in stages]
    if after not in names:
        raise KeyError(f"no stage named {after!r}; the stages are {', '.join(names)}")
    i = names.index(after) + 1
    return (*stages[:i], stage, *stages[i:])


# --- policy -----------------------------------------------------------------------------------------------------------


def government_policy(model: DataFlowModel) -> None:
    """Governments decide: their ``government_policy`` behaviour may adopt events of their own, from this step on."""
    model.rules["government_policy"](model)


def policy_events(model: DataFlowModel) -> None:
    """Governments apply the events dated this step; the cost tables are recompiled if the policy changed."""
    t = model.steps
    changed = sum(g.apply(t) for g in model.governments if g.events)
    if changed:
        model.costs = compile_costs(model.world, model.policy, model.params, model.exposure, model.money_scale)


def labour_markets(model: DataFlowModel) -> None:
    """Wages clear labour markets against the endowments; the numeraire is restored (``closure``)."""
    closure.clear_labour_markets(model)


# --- the economy ------------------------------------------------------------------------------------------------------


def reconsideration(model: DataFlowModel) -> None:
    """A share ψ of the firms alive revise their hosting, markets and suppliers this step (one uniform per slot)."""
    f = model.firms
    model.prev_phi = f.phi.copy()
    model.reconsider = f.alive & (model.rng.random(f.capacity) < model.params["psi"])


def spending(model: DataFlowModel) -> None:
    """Spending is last step's income, unspent money and the trade imbalance (``closure.set_spending``)."""
    closure.set_spending(model)


def absorption(model: DataFlowModel) -> None:
    """Burn-in only: spending is the published absorption (``closure.absorption_spending``)."""
    closure.absorption_spending(model)


def hosting_choice(model: DataFlowModel) -> None:
    """Reconsidering firms choose a hosting mode; every firm's unit cost follows (behaviour ``hosting_choice``)."""
    model.hosting_choice = model.rules["hosting_choice"](model, model.reconsider)


def input_costs(model: DataFlowModel) -> None:
    """Inputs' delivered prices of the last trade pass enter every firm's unit cost (``inputs``)."""
    model.input_prices = ip = inputs.input_prices(model)
    hc = model.hosting_choice
    model.hosting_choice = hc._replace(unit_cost=hc.unit_cost * ip.factor)


def trade(model: DataFlowModel) -> None:
    """Final demand from spending, then prices and flows on every link (behaviour ``trade_choice``)."""
    model.demand = final_demand(model.spending, model.tables.spending)
    model.trade = model.rules["trade_choice"](model)


def accounts(model: DataFlowModel) -> None:
    """Firm accounts (costs, profit, value added) from the flows; on collecting steps also the metrics' link sums."""
    p, f, hc = model.params, model.firms, model.hosting_choice
    model.accounts = firm_accounts(
        f,
        model.trade,
        model.costs,
        hc.cost,
        hc.local_share,
        hc.fixed,
        model.entry_charges,
        model.operating_cost(),
        p,
        model.money_scale,
        hosting_compliance=hc.compliance,
        region_of=model.region_of if model.collecting else None,
        fixed_tab=model.tables.fixed,
    )


def income(model: DataFlowModel) -> None:
    """Income is the value added of each economy's firms; what was not spent is carried (``closure``)."""
    closure.close_income(model)


def innovation(model: DataFlowModel) -> None:
    """R&D spending and productivity draws (behaviour ``innovation``)."""
    model.innovation = model.rules["innovation"](model)


def firm_update(model: DataFlowModel) -> None:
    """Knowledge (1 − depreciation) K + rd, productivity, profit net of R&D, revenue and size class of each firm."""
    p, f, inn, acc = model.params, model.firms, model.innovation, model.accounts
    keep = 1.0 - p["knowledge_depreciation"]
    f.knowledge, f.phi, f.profit, f.revenue = firm_update_kernel(
        f.arrays(), inn.rd, inn.phi, acc.profit, acc.revenue, keep=keep
    )
    f.size = size_class_compiled(f.revenue, model.money_scale, p)


def market_links(model: DataFlowModel) -> None:
    """Unprofitable or infeasible export markets are dropped, candidates searched (behaviour ``market_search``)."""
    model.entry_charges[:] = 0.0
    model.withdrawals[:] = 0.0
    markets.update_markets(model, model.reconsider)


def foreign_buyers(model: DataFlowModel) -> None:
    """Reconsidering suppliers stop serving foreign buyers whose purchases do not pay the fixed cost."""
    markets.withdraw_from_foreign_buyers(model, model.reconsider)


def suppliers(model: DataFlowModel) -> None:
    """Infeasible suppliers dropped; reconsidering buyers search and switch (behaviour ``supplier_search``)."""
    markets.update_suppliers(model, model.reconsider)


def exit_choice(model: DataFlowModel) -> None:
    """Which firms exit at the end of the step (behaviour ``exit``)."""
    model.exiting = model.rules["exit"](model)


def metrics(model: DataFlowModel) -> None:
    """The step's metrics, on collecting steps (``metrics.MetricsCollector``)."""
    if model.collecting:
        model.collector.collect(model)


def departures(model: DataFlowModel) -> None:
    """Exiting firms and all their links are removed."""
    model.remove_firms(model.exiting)


def entry(model: DataFlowModel) -> None:
    """Entrants per economy × sector (behaviour ``entry``) take free slots, with their first suppliers."""
    n_new = model.rules["entry"](model)
    if n_new.sum() > 0:
        econ, sect = np.nonzero(n_new)
        k = n_new[econ, sect]
        model.add_firms(np.repeat(econ, k), np.repeat(sect, k), with_suppliers=True)


def hosting_market(model: DataFlowModel) -> None:
    """Local hosting capacity moves toward the local hosting revenue firms paid (``hosting.update_depth``)."""
    f = model.firms
    firm_rev = alive_sums(f.economy, f.revenue * f.weight, f.alive, model.n_economies)
    hosting.update_depth(model.market, model.accounts.local_hosting_revenue, firm_rev, model.params)


POLICY: tuple[Stage, ...] = (
    Stage("government_policy", government_policy, "government_policy"),
    Stage("policy_events", policy_events),
    Stage("labour_markets", labour_markets),
)
"""The stages of a step before the economy's: decisions, events, wages."""

ECONOMY: tuple[Stage, ...] = (
    Stage("reconsideration", reconsideration),
    Stage("spending", spending),
    Stage("hosting_choice", hosting_choice, "hosting_choice"),
    Stage("input_costs", input_costs),
    Stage("trade", trade, "trade_choice"),
    Stage("accounts", accounts),
    Stage("income", income),
    Stage("innovation", innovation, "innovation"),
    Stage("firm_update", firm_update),
    Stage("markets", market_links, "market_search"),
    Stage("foreign_buyers", foreign_buyers),
    Stage("suppliers", suppliers, "supplier_search"),
    Stage("exit", exit_choice, "exit"),
    Stage("metrics", metrics),
    Stage("departures", departures),
    Stage("entry", entry, "entry"),
    Stage("hosting_market", hosting_market),
)
"""The economy's stages: spending, choices, trade, income, innovation, networks, exit and entry."""

STEP: tuple[Stage, ...] = POLICY + ECONOMY
"""One step of the model, in order."""

BURN_IN_WAGES: tuple[Stage, ...] = tuple(
    Stage("absorption", absorption) if s.name == "spending" else s for s in ECONOMY
)
"""The economy's stages with spending at the published absorption (first third of the burn-in)."""

TRADE_PASS: tuple[Stage, ...] = tuple(
    s for s in ECONOMY if s.name in ("hosting_choice", "input_costs", "trade", "accounts")
)
"""Hosting choice, input costs, trade and accounts: one pass of the markets without the rest of a step
(construction)."""


def trade_pass(model: DataFlowModel, reconsider: np.ndarray) -> None:
    """Run ``TRADE_PASS`` with ``reconsider`` as the firms that choose their hosting (construction, burn-in end).

    The metrics' link sums are not computed (``collecting`` is off).
    """
    model.reconsider = reconsider
    model.collecting = False
    run(model, TRADE_PASS)
