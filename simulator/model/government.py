"""Governments: one Mesa agent per economy, owning its slice of the policy state, applying its timeline and deciding.

A government applies the ``PolicyEvent``s of its timeline at their step. Its timeline is the scenario's dated
events addressed to its economy, plus the events of the contingent rules (``ContingentPolicy``) it decides to adopt
during the run: the run's ``government_policy`` behaviour (``simulator.model.behaviours``) calls its decision
methods, and an adoption only adds events to the government's own timeline, so adopted rules reach the model through
the same path as scheduled ones (``apply``, then the cost tables are recompiled).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np
import pandas as pd

from simulator.world.policy import REGIME_ORDER, ContingentPolicy, PolicyEvent

if TYPE_CHECKING:
    from collections.abc import Iterable

    from simulator.model.model import DataFlowModel


@dataclass(frozen=True)
class Adoption:
    """A government's decision to adopt a contingent rule.

    Attributes:
        step: Step at whose start the rule takes effect (the step of the decision).
        economy: Code of the adopting economy.
        rule: Index of the rule in ``PolicySchedule.contingent``.
        regime: The regime adopted.
        label: Where the rule was written (scenario file and key path).
        reason: The behaviour that decided (e.g. ``reciprocity``).
        partners: The partners the decision looked at (largest first).
        partners_with_rule: Those of them that had the rule.
        cells_changed: Covered (data category, sector) cells whose regime the adoption changes.
    """

    step: int
    economy: str
    rule: int
    regime: str
    label: str
    reason: str
    partners: tuple[str, ...] = ()
    partners_with_rule: tuple[str, ...] = ()
    cells_changed: int = 0


ADOPTION_COLUMNS: tuple[str, ...] = (
    "step",
    "economy",
    "rule",
    "regime",
    "label",
    "reason",
    "partners",
    "partners_with_rule",
    "cells_changed",
)
"""Columns of ``decisions_frame`` (lists of partners are written as space-separated codes)."""


class Government(mesa.Agent):
    """The government of one economy.

    It applies the ``PolicyEvent``s addressed to its economy at their step to its row of the model's
    ``PolicyState`` (its regimes, safeguards, waivers it grants, payment arrangements, connectivity, ...), and adopts
    contingent rules when the run's ``government_policy`` behaviour has it decide so.

    Attributes:
        economy: Index of the economy (``World.iso3`` order).
        iso3: Economy code.
        events: The events of its timeline, sorted by step (scheduled ones, then those of rules it adopted).
        adopted: Its decisions so far, in the order taken.
    """

    def __init__(self, model: DataFlowModel, economy: int, iso3: str, events: tuple[PolicyEvent, ...]) -> None:
        super().__init__(model)
        self.economy = economy
        self.iso3 = iso3
        self.events = events
        self.adopted: list[Adoption] = []

    @property
    def regimes(self) -> np.ndarray:
        """This economy's regime codes, ``(k, s)`` (a view into the model's policy state)."""
        return self.model.policy.regime[self.economy]

    def apply(self, step: int) -> int:
        """Apply the events dated ``step`` to the model's policy state; return how many were applied."""
        state = self.model.policy
        applied = 0
        for ev in self.events:
            if ev.step == step:
                getattr(state, ev.field)[(self.economy, *ev.index)] = ev.value
                applied += 1
        return applied

    # ------------------------------------------------------------------------------------------------ decisions
    def largest_partners(self, trade: np.ndarray, n: int) -> np.ndarray:
        """Indices of its ``n`` largest trading partners, largest first (ties: world order; no trade: left out).

        Args:
            trade: ``(c, c)`` two-way trade (exports plus imports) between economies.
            n: How many partners.
        """
        row = np.asarray(trade[self.economy], dtype=float).copy()
        row[self.economy] = 0.0
        order = np.lexsort((np.arange(row.size), -row))
        order = order[row[order] > 0.0]
        return order[: int(n)]

    def has_adopted(self, rule: int) -> bool:
        """Whether it has already adopted contingent rule ``rule`` (each rule is adopted once)."""
        return any(a.rule == rule for a in self.adopted)

    def reciprocate(
        self,
        rule: int,
        policy: ContingentPolicy,
        held: np.ndarray,
        trade: np.ndarray,
        n: int,
        k: int,
        step: int,
    ) -> Adoption | None:
        """Adopt contingent rule ``rule`` if at least ``k`` of its ``n`` largest trading partners have it.

        Args:
            rule: Index of the rule in ``PolicySchedule.contingent``.
            policy: The rule.
            held: ``bool (c,)``: which economies have the rule in force (``ContingentPolicy.held_by``), before any
                government decides this step.
            trade: ``(c, c)`` two-way trade between economies over the last step.
            n: How many of its largest partners it looks at.
            k: How many of them must have the rule.
            step: The step of the decision (the rule takes effect at its start).

        Returns:
            The adoption, or ``None`` if it does not adopt (not selected by the rule, has it already, too few
            partners have it).
        """
        if self.economy not in policy.economies or held[self.economy] or self.has_adopted(rule):
            return None
        partners = self.largest_partners(trade, n)
        with_rule = partners[held[partners]]
        if with_rule.size < int(k):
            return None
        return self.adopt(rule, policy, step, "reciprocity", partners, with_rule)

    def adopt(
        self,
        rule: int,
        policy: ContingentPolicy,
        step: int,
        reason: str,
        partners: Iterable[int] = (),
        partners_with_rule: Iterable[int] = (),
    ) -> Adoption:
        """Adopt contingent rule ``rule`` from ``step``: add its events to this government's timeline and record it."""
        new = policy.events(self.economy, step, self.model.policy)
        # stable: at the same step, scheduled events apply first and the adopted rule after them
        self.events = tuple(sorted((*self.events, *new), key=lambda e: e.step))
        iso3 = self.model.world.iso3
        record = Adoption(
            step=int(step),
            economy=self.iso3,
            rule=int(rule),
            regime=str(REGIME_ORDER[policy.regime]),
            label=policy.label,
            reason=reason,
            partners=tuple(iso3[int(i)] for i in partners),
            partners_with_rule=tuple(iso3[int(i)] for i in partners_with_rule),
            cells_changed=sum(1 for e in new if e.field == "regime"),
        )
        self.adopted.append(record)
        return record


def decisions(governments: Iterable[Government]) -> list[Adoption]:
    """Every decision of ``governments``, by step then world order."""
    govs = list(governments)
    order = {g.iso3: i for i, g in enumerate(govs)}
    return sorted((a for g in govs for a in g.adopted), key=lambda a: (a.step, order[a.economy], a.rule))


def decisions_frame(governments: Iterable[Government]) -> pd.DataFrame:
    """The governments' decisions as a table (``ADOPTION_COLUMNS``; one row per adoption, by step)."""
    rows = [
        {
            **{c: getattr(a, c) for c in ADOPTION_COLUMNS},
            "partners": " ".join(a.partners),
            "partners_with_rule": " ".join(a.partners_with_rule),
        }
        for a in decisions(governments)
    ]
    return pd.DataFrame(rows, columns=list(ADOPTION_COLUMNS))
