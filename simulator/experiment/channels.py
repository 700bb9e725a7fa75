"""Channels of a reform's effect, and a run in which some of them are neutralised.

The model reads policy only through its cost tables (``simulator.model.costs.LinkCosts``, recompiled from the policy
state whenever a government changes it). Each *channel* is a set of those tables — a mechanism of the model:

=============== ========================================================= =========================================
channel         tables (``LinkCosts`` fields)                             what flows through it
=============== ========================================================= =========================================
compliance      kappa, fixed, firm_fixed, home_transfer, crypto,          variable and fixed compliance costs of data
                source_code                                               rules (transfer conditions, storage rules,
                                                                          own data on a foreign cloud), cryptography
                                                                          restrictions, source-code disclosure
data_access     ban, openness                                             services made infeasible by bans; knowledge
                                                                          spillovers blocked where data cannot flow
hosting         dest_storage, home_move, home_copy, cloud_region          data forced onto (or copied to) local
                                                                          hosting; hyperscale cloud regions
payments        payment                                                   cross-border payment costs (friction,
                                                                          interoperability)
trust           trust, trust_link, trust_price                            buyers' trust from safeguards, adequacy and
                                                                          agreements and the ``none`` regime (demand
                                                                          among origins and data-intensive output)
connectivity    connectivity, telecom                                     internet use; telecom cost factors
trade_costs     tau                                                       distance costs cut by trade agreements,
                                                                          goods border costs (paperless trading)
=============== ========================================================= =========================================

The channels partition every table (a test keeps the partition complete when the model adds one). Neutralising a
channel in a reform's run means that, at every step, the channel's tables are those the *baseline's* rules in force
at that step give (compiled with the run's own parameters and money unit), while every other table follows the
reform: the reform's effect through that channel is removed and nothing else is. The baseline run is not changed.
With every channel neutralised a reform run reproduces the baseline run (the same numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import numpy as np

from simulator.model import stages
from simulator.model.costs import LinkCosts, compile_costs
from simulator.model.model import DataFlowModel
from simulator.world import PolicySchedule, World

CHANNELS: dict[str, tuple[str, ...]] = {
    "compliance": ("kappa", "fixed", "firm_fixed", "home_transfer", "crypto", "source_code"),
    "data_access": ("ban", "openness"),
    "hosting": ("dest_storage", "home_move", "home_copy", "cloud_region"),
    "payments": ("payment",),
    "trust": ("trust", "trust_link", "trust_price"),
    "connectivity": ("connectivity", "telecom"),
    "trade_costs": ("tau",),
}
"""Channel → the ``LinkCosts`` tables it consists of."""

CHANNEL_DEFINITIONS: dict[str, str] = {
    "compliance": "variable and fixed compliance costs of data rules (transfer conditions, storage rules, own data on "
    "a foreign cloud), cryptography restrictions and source-code disclosure",
    "data_access": "services made infeasible by bans, and knowledge spillovers blocked where data cannot flow",
    "hosting": "data forced onto (or copied to) local hosting, and hyperscale cloud regions",
    "payments": "cross-border payment costs (correspondent-banking friction, payment interoperability)",
    "trust": "buyers' trust from data-protection safeguards, adequacy and agreements (and the 'none' regime): demand "
    "among origins and for data-intensive output",
    "connectivity": "internet use and telecom cost factors",
    "trade_costs": "distance trade costs cut by trade agreements, and goods border costs (paperless trading)",
}
"""Channel → what it carries, in words (written into the decomposition's manifest entry)."""

NEUTRALISATION = (
    "the channel's cost tables (LinkCosts fields listed) are, at every step, those the baseline's rules in force at "
    "that step give, compiled with the run's own parameters; every other table follows the reform; the baseline run "
    "is unchanged"
)
"""How a channel is neutralised, in words."""

TABLE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(LinkCosts) if f.name != "packed")
"""Every table of ``LinkCosts`` (``packed`` is derived from the others)."""


def unassigned_tables() -> list[str]:
    """Tables of ``LinkCosts`` that no channel lists (empty while the partition is complete)."""
    listed = {t for tables in CHANNELS.values() for t in tables}
    return [t for t in TABLE_FIELDS if t not in listed]


def mixed_costs(own: LinkCosts, reference: LinkCosts, tables: Sequence[str]) -> LinkCosts:
    """``own`` with ``tables`` taken from ``reference`` (a new object; ``packed`` rebuilt)."""
    values = {f: getattr(reference if f in tables else own, f) for f in TABLE_FIELDS}
    out = LinkCosts(**values)
    out.pack()
    return out


def _masked_tables(model: MaskedModel) -> None:
    """The masked cost tables follow the reference schedule (``MaskedModel``)."""
    model._apply_mask()


class MaskedModel(DataFlowModel):
    """A model whose cost tables in ``masked`` follow a reference schedule (the baseline's) instead of its own.

    Not built directly: ``mask(model, reference, tables)`` turns a built (or branched) model into one. After a
    government changes the policy, the model recompiles its tables as usual; before the step's markets clear, the
    masked tables are replaced by those of the reference schedule's rules at that step.
    """

    _mask_tables: tuple[str, ...]
    _mask_reference: PolicySchedule
    _mask_events: frozenset[int]
    _mask_own: LinkCosts
    _mask_seen: LinkCosts | None
    _mask_ref_costs: LinkCosts | None

    def start_mask(self, reference: PolicySchedule, tables: Sequence[str]) -> None:
        """From now on, ``tables`` follow ``reference``'s rules (put in place at once)."""
        self._mask_tables = tuple(tables)
        self._mask_reference = reference
        self._mask_events = frozenset(int(e.step) for e in reference.events)
        self._mask_seen = None
        self._mask_ref_costs = None
        self._mask_own = self.costs
        self._apply_mask()

    def _apply_mask(self) -> None:
        """Put the masked tables in place if the model's own tables or the reference's rules changed."""
        t = int(self.steps)
        own_changed = self.costs is not self._mask_seen
        ref_changed = self._mask_ref_costs is None or t in self._mask_events
        if not (own_changed or ref_changed):
            return
        if own_changed:
            self._mask_own = self.costs
        if ref_changed:
            state = self._mask_reference.state_at(t)
            self._mask_ref_costs = compile_costs(self.world, state, self.params, self.exposure, self.money_scale)
        self.costs = mixed_costs(self._mask_own, self._mask_ref_costs, self._mask_tables)
        self._mask_seen = self.costs

    # the governments' events apply and the cost tables are recompiled in the stage ``policy_events``: the masked
    # tables are put in place right after it, before anything of the step reads them
    step_stages = stages.with_stage(
        DataFlowModel.step_stages, stages.Stage("masked_tables", _masked_tables), "policy_events"
    )


def mask(model: DataFlowModel, reference: PolicySchedule, tables: Sequence[str]) -> DataFlowModel:
    """Neutralise ``tables`` of ``model``: from now on they follow ``reference``'s rules (in place; returns the model).

    Args:
        model: A built or branched model (its ``steps`` is the step the mask starts at).
        reference: The schedule whose rules the masked tables follow (the baseline's; same world and timeline).
        tables: ``LinkCosts`` fields to take from the reference (``CHANNELS`` values).
    """
    if not tables:
        return model
    unknown = sorted(set(tables) - set(TABLE_FIELDS))
    if unknown:
        raise ValueError(f"unknown cost tables {unknown}; the model has {list(TABLE_FIELDS)}")
    model.__class__ = MaskedModel
    m: MaskedModel = model  # type: ignore[assignment]
    m.start_mask(reference, tables)
    return m


def channel_tables(channels: Sequence[str]) -> tuple[str, ...]:
    """The tables of ``channels`` (in ``CHANNELS`` order)."""
    return tuple(t for c in CHANNELS if c in channels for t in CHANNELS[c])


def active_channels(
    world: World, baseline: PolicySchedule, reform: PolicySchedule, params: dict[str, float]
) -> list[str]:
    """The channels whose tables differ between ``reform`` and ``baseline`` at some step of the horizon.

    Compared at step 0 and at every step where either schedule has an event (the rules change only there), with
    the reform's parameters and a unit money scale (fixed costs scale with it; zero stays zero).
    """
    from simulator.model.costs import exposure_matrix

    exposure = exposure_matrix(world)
    steps = sorted({0, *(int(e.step) for e in baseline.events), *(int(e.step) for e in reform.events)})
    active: set[str] = set()
    for t in steps:
        a = compile_costs(world, baseline.state_at(t), params, exposure, 1.0)
        b = compile_costs(world, reform.state_at(t), params, exposure, 1.0)
        for name, tables in CHANNELS.items():
            if name not in active and any(not np.array_equal(getattr(a, f), getattr(b, f)) for f in tables):
                active.add(name)
        if len(active) == len(CHANNELS):
            break
    return [c for c in CHANNELS if c in active]
