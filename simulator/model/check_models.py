"""The subjects and models of the conformance suite (``simulator.model.checks``).

A ``Subject`` is a behaviour and the parameter values to check it with; the checks run it on models built from a
small world of the shipped data (``CHECK_ECONOMIES``), stepped a few times, and call its rule once as the model's
stage would (``call_rule``).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.model import stages
from simulator.model.registry import Behaviour
from simulator.model.trade import final_demand

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel
    from simulator.world import World

CHECK_ECONOMIES: tuple[str, ...] = (
    "BRA",
    "ARG",
    "MEX",
    "CHL",
    "KEN",
    "NGA",
    "ZAF",
    "EGY",
    "GHA",
    "RWA",
    "USA",
    "EUU",
    "CHN",
    "IND",
)
"""Economies of the world the checks run on (a subset of the shipped world)."""

CHECK_FIRMS = 200
"""Firms of the models the checks build (the loop check also builds one with ten times as many)."""

CHECK_STEPS = 2
"""Steps run before a rule is called on its own (so that trade, accounts and the network exist)."""


@dataclass(frozen=True)
class Subject:
    """A behaviour under check: the registered behaviour and the parameter values to run it with.

    Attributes:
        behaviour: The behaviour (registered, possibly under a temporary name for a bare rule).
        params: Values of its own parameters (defaults for those not given).
        world: The world to check it on (``None``: the shipped world's ``CHECK_ECONOMIES``).
        n_firms: Firms of the models built.
        seed: Seed of the models built.
    """

    behaviour: Behaviour
    params: Mapping[str, float] = field(default_factory=dict)
    world: Any = None
    n_firms: int = CHECK_FIRMS
    seed: int = 1

    @property
    def label(self) -> str:
        """``kind.name`` (with parameters, if any were given)."""
        given = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{self.behaviour.kind}.{self.behaviour.name}" + (f"({given})" if given else "")

    @property
    def choice(self) -> dict[str, Any]:
        """The behaviour choice of a model running this behaviour."""
        return {self.behaviour.kind: {"rule": self.behaviour.name, "params": dict(self.params)}}


@functools.lru_cache(maxsize=1)
def check_world() -> World:
    """The world the checks run on: ``CHECK_ECONOMIES`` of the shipped world."""
    from simulator.world import load_world

    return load_world().subset(list(CHECK_ECONOMIES))


def world_of(subject: Subject) -> World:
    """The world the subject is checked on."""
    return subject.world if subject.world is not None else check_world()


def check_contingent(world: World) -> tuple[Any, ...]:
    """The contingent rule of the checks' schedule: every economy may adopt a local copy of financial data."""
    from simulator.scenario.taxonomy import DataCategory, Regime
    from simulator.world.policy import ContingentPolicy, regime_code

    k = list(DataCategory).index(DataCategory.FINANCIAL)
    cells = np.array([(k, s) for s in range(len(world.sector_codes))], dtype=np.int64)
    code = regime_code(Regime.STORAGE_COPY)
    return (ContingentPolicy(tuple(range(len(world.iso3))), cells, code, (0.5, 1.0), "conformance check"),)


def build_model(subject: Subject, n_firms: int | None = None, seed: int | None = None) -> DataFlowModel:
    """A model running the subject's behaviour, built on the check world from the baseline policy.

    For a ``government_policy`` behaviour the schedule also holds a contingent rule (``check_contingent``) the
    governments may adopt.
    """
    from simulator.model.model import DataFlowModel
    from simulator.world.baseline import baseline_state
    from simulator.world.policy import PolicySchedule

    world = world_of(subject)
    contingent = check_contingent(world) if subject.behaviour.kind == "government_policy" else ()
    schedule = PolicySchedule(baseline_state(world), horizon=CHECK_STEPS + 4, contingent=contingent)
    return DataFlowModel(
        world,
        schedule,
        n_firms=subject.n_firms if n_firms is None else n_firms,
        rng=subject.seed if seed is None else seed,
        behaviours=subject.choice,
    )


_stepped_cache: dict[tuple, DataFlowModel] = {}


def clear_models() -> None:
    """Forget the stepped models kept between checks (``check_behaviour`` does it when it is done)."""
    _stepped_cache.clear()


def stepped_model(subject: Subject, n_firms: int | None = None) -> DataFlowModel:
    """A copy of a model running the subject's behaviour after ``CHECK_STEPS`` steps (built once per subject)."""
    n = subject.n_firms if n_firms is None else n_firms
    key = (id(subject.behaviour.rule), subject.behaviour.name, repr(sorted(subject.params.items())), id(subject.world))
    key = (*key, n, subject.seed)
    if key not in _stepped_cache:
        if len(_stepped_cache) >= 4:
            _stepped_cache.pop(next(iter(_stepped_cache)))
        _stepped_cache[key] = build_model(subject, n_firms=n).run(CHECK_STEPS)
    return copy.deepcopy(_stepped_cache[key])


def call_rule(model: DataFlowModel, kind: str, seed: int = 123) -> tuple[Any, np.ndarray | None]:
    """Call the model's rule of ``kind`` once, from a fresh generator seeded ``seed``, as the model would.

    Returns:
        The rule's result, and the firms (or buyers) it was called for (``None`` for innovation).
    """
    rule = model.rules[kind]
    model.rng = np.random.default_rng(seed)
    if kind == "trade_choice":
        # trade follows the hosting choice of the step (unit costs of every slot, entrants included) and its demand
        model.reconsider = np.zeros(model.firms.capacity, bool)
        stages.hosting_choice(model)
        model.demand = final_demand(model.spending, model.tables.spending)
    if kind == "innovation":
        # innovation reads the step's accounts: run the step's economy up to it, so that last step's entrants have
        # accounts too (after a step that grew the population, the accounts are one population behind)
        for stage in stages.ECONOMY:
            if stage.name == "innovation":
                break
            stage.run(model)
    if kind == "hosting_choice":
        return rule(model, model.firms.alive.copy()), None
    if kind not in ("market_search", "supplier_search"):
        return rule(model), None
    firms = np.flatnonzero(model.firms.alive)
    return rule(model, firms), firms
