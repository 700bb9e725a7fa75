"""Policy in force as arrays: the compiled form of a scenario that the model's governments apply.

A scenario (scenario layer) is resolved against the world (this layer) into a ``PolicySchedule``: the state at
step 0 plus dated ``PolicyEvent``s. Each government agent in the model owns its economy's slice of the state and
applies the events addressed to it. Arrays are indexed by the world's economy order (``World.iso3``), the order of
``DataCategory`` and the world's sector order (``World.sector_codes``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from simulator.scenario.taxonomy import Regime

REGIME_ORDER: tuple[Regime, ...] = tuple(Regime)
"""Integer code of each regime in ``PolicyState.regime`` is its position in this tuple."""


def regime_code(regime: Regime | str) -> int:
    """Return the integer code of ``regime`` used in ``PolicyState.regime``."""
    return REGIME_ORDER.index(Regime(regime))


@dataclass
class PolicyState:
    """Every policy lever in force at one moment. Shapes: c economies, k data categories, s sectors.

    Attributes:
        regime: ``int8 (c, k, s)``: regime code economy c applies to data category k for sector s.
        regime_strength: ``float (c, k, s)`` in [0, 1]: share of the regime's cost in force (phase-in ramps to 1).
        safeguards: ``float (c,)`` in [0, 1]: level of data-protection safeguards (trust channel).
        transfer_waiver: ``float (c, c)`` in [0, 1]: share of transfer-condition compliance cost waived for data
            flowing from o (row) to d (column) by agreements, adequacy decisions or clubs.
        localisation_waiver: ``float (c, c)`` in [0, 1]: share of d's localisation requirement waived for firms of o
            (e.g. computing-facility location articles of DEPA/CPTPP between members).
        ban_waiver: ``float (c, c)`` in [0, 1]: share of d's storage bans waived for firms of o (only where an
            agreement says so: computing-facility articles that cover bans, or a scenario's ``waive: bans``).
        trade_agreement: ``bool (c, c)``: o and d share a trade agreement or bloc (distance cost reduced by ``rta``).
        payment_friction: ``float (c, c)`` in [0, 1]: correspondent-banking friction on payments between o and d.
        payment_interop: ``float (c, c)`` in [0, 1]: strength of payment interoperability between o and d.
        internet_users_pct: ``float (c,)``: share of the population online (connectivity), in percent.
        cloud_region: ``bool (c,)``: a hyperscale cloud region operates in the economy.
        border_cost_factor: ``float (c,)`` ≥ 0: multiplier on goods border costs at d (paperless trading < 1).
        source_code_disclosure: ``bool (c,)``: d requires source-code disclosure (deters foreign digital entry).
        crypto_restriction: ``float (c,)`` ≥ 0: extra ad-valorem compliance cost from restrictions on commercial
            cryptography at d.
        telecom_cost_factor: ``float (c,)`` ≥ 0: multiplier on connectivity cost (telecom access commitments < 1).
    """

    regime: np.ndarray
    regime_strength: np.ndarray
    safeguards: np.ndarray
    transfer_waiver: np.ndarray
    localisation_waiver: np.ndarray
    ban_waiver: np.ndarray
    trade_agreement: np.ndarray
    payment_friction: np.ndarray
    payment_interop: np.ndarray
    internet_users_pct: np.ndarray
    cloud_region: np.ndarray
    border_cost_factor: np.ndarray
    source_code_disclosure: np.ndarray
    crypto_restriction: np.ndarray
    telecom_cost_factor: np.ndarray

    def copy(self) -> PolicyState:
        """Return a deep copy (arrays copied)."""
        return replace(self, **{f.name: getattr(self, f.name).copy() for f in fields(self)})

    @property
    def n_economies(self) -> int:
        """Number of economies."""
        return int(self.regime.shape[0])


@dataclass(frozen=True)
class PolicyEvent:
    """One dated change to one economy's policy.

    Attributes:
        step: Model step at whose start the change takes effect (0 = before the first step).
        economy: Index of the economy (in ``World.iso3`` order) whose government applies the change.
        field: Name of the ``PolicyState`` attribute changed.
        index: Index inside that attribute after the economy axis: ``()`` for ``(c,)`` fields, ``(d,)`` for
            ``(c, c)`` fields (row = this economy), ``(k, s)`` for ``(c, k, s)`` fields.
        value: New value.
        label: Where the change comes from (scenario file and key path), for provenance and ``dlsim diff``.
    """

    step: int
    economy: int
    field: str
    index: tuple[int, ...]
    value: float
    label: str = ""


@dataclass(frozen=True)
class ContingentPolicy:
    """A rule a government may adopt during a run, when its ``government_policy`` behaviour decides so.

    Compiled from a scenario rule marked ``contingent``. What adopting it at a step does is given here once, as
    ``PolicyEvent``s the government adds to its own timeline (and applies like any scheduled event):

    - the regime is set on every covered (data category, sector) cell where the regime in force is less
      restrictive (``Regime.severity``); adoption never loosens a stricter rule already in force;
    - its strength ramps up over the rule's phase-in from the adoption step, as a dated rule's does from the step it
      takes effect (``ramp``, computed by the scenario compiler);
    - a cell already under the same regime is left alone (re-imposing the regime in force does not restart a ramp).

    Attributes:
        economies: Indices of the economies that may adopt it (``World.iso3`` order).
        cells: ``int (m, 2)``: (data category, sector) indices it covers.
        regime: Regime code adopted (``regime_code``).
        ramp: Strength at the adoption step and each step after it until it reaches 1 (the last value is 1).
        label: Where the rule comes from (scenario file and key path).
    """

    economies: tuple[int, ...]
    cells: np.ndarray
    regime: int
    ramp: tuple[float, ...] = (1.0,)
    label: str = ""

    def held_by(self, state: PolicyState) -> np.ndarray:
        """``bool (c,)``: economies whose regime in force on every covered cell is at least as restrictive."""
        return (_severity(state.regime[:, self.cells[:, 0], self.cells[:, 1]]) >= _SEVERITY[self.regime]).all(axis=1)

    def events(self, economy: int, step: int, state: PolicyState) -> tuple[PolicyEvent, ...]:
        """The events that adopting the rule at ``step`` gives ``economy``, given the ``state`` in force."""
        k, s = self.cells[:, 0], self.cells[:, 1]
        current = state.regime[economy, k, s]
        change = (_severity(current) < _SEVERITY[self.regime]) & (current != self.regime)
        out: list[PolicyEvent] = []
        for kk, ss in zip(k[change].tolist(), s[change].tolist(), strict=True):
            out.append(PolicyEvent(step, economy, "regime", (kk, ss), float(self.regime), self.label))
            out.extend(
                PolicyEvent(step + j, economy, "regime_strength", (kk, ss), float(v), self.label)
                for j, v in enumerate(self.ramp)
            )
        return tuple(sorted(out, key=lambda e: e.step))


_SEVERITY = np.array([r.severity for r in REGIME_ORDER], dtype=np.int64)
"""``Regime.severity`` by regime code."""


def _severity(codes: np.ndarray) -> np.ndarray:
    return _SEVERITY[np.asarray(codes, dtype=np.int64)]


@dataclass(frozen=True)
class PolicySchedule:
    """The compiled policy path of a scenario.

    Attributes:
        initial: State in force at step 0 (before any event).
        events: Dated changes, sorted by step.
        start_year: Calendar year (decimal) at step 0.
        step_years: Length of one model step in years (0.25 for quarters).
        horizon: Number of steps the scenario declares.
        contingent: Rules governments may adopt during the run, when their ``government_policy`` behaviour decides
            (their events are not in ``events``, and ``state_at`` does not include them).
    """

    initial: PolicyState
    events: tuple[PolicyEvent, ...] = field(default_factory=tuple)
    start_year: float = 2025.0
    step_years: float = 0.25
    horizon: int = 40
    contingent: tuple[ContingentPolicy, ...] = field(default_factory=tuple)

    def state_at(self, step: int) -> PolicyState:
        """Return the state in force at ``step`` (the initial state with every event up to ``step`` applied)."""
        state = self.initial.copy()
        for ev in self.events:
            if ev.step > step:
                break
            getattr(state, ev.field)[(ev.economy, *ev.index)] = ev.value
        return state
