"""Governments: one Mesa agent per economy, owning its slice of the policy state and applying its timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulator.world.policy import PolicyEvent

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel


class Government(mesa.Agent):
    """The government of one economy.

    It applies the ``PolicyEvent``s addressed to its economy at their step to its row of the model's
    ``PolicyState`` (its regimes, safeguards, waivers it grants, payment arrangements, connectivity, ...).

    Attributes:
        economy: Index of the economy (``World.iso3`` order).
        iso3: Economy code.
        events: The events addressed to this economy, sorted by step.
    """

    def __init__(self, model: DataFlowModel, economy: int, iso3: str, events: tuple[PolicyEvent, ...]) -> None:
        super().__init__(model)
        self.economy = economy
        self.iso3 = iso3
        self.events = events

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
